// QR codes for TOTP enrolment (libqrencode, error correction level M, byte mode).
// Thread-safety: libqrencode is reentrant; every function may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace dss::identity {

// Terminal rendering: two modules a character cell with Unicode half blocks (U+2580, U+2584,
// U+2588), light modules drawn and dark ones blank, so it reads on a dark-background terminal
// (as `qrencode -t UTF8`), with the 4-module quiet zone. Lines end in '\n'.
// kInvalidArgument when `text` is empty or too long for a QR code.
Result<std::string> qr_utf8(std::string_view text);

// A standalone SVG 1.1 document: black modules on a white background with the quiet zone, one
// <path>, no script, no style sheet and no external reference. Same errors as qr_utf8.
Result<std::string> qr_svg(std::string_view text);

}  // namespace dss::identity
