// Reading a secret (passphrase, password) for a CLI command: from a file, the environment, or
// the terminal with echo off. Never logged, never echoed.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"

namespace dss::cli {

// `file` if given (trailing newline removed), else $`env` if set and non-empty, else the
// terminal (`prompt` on stderr, echo off); kInvalidArgument when none of these is available.
Result<SecretBytes> read_secret(const std::string& file, const char* env, std::string_view prompt,
                                std::string_view what);

}  // namespace dss::cli
