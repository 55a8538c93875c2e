// The one TLS server policy of DSS, shared by the control plane (`dss server`) and the static
// repository server (`dss repo serve`), so the two cannot drift apart (issue 16, ADR 0036).
//
// Default (TlsFloor::kTls13): TLS 1.3 only. Loosened (TlsFloor::kTls12, the setting
// tls.min_version = "1.2", which chimes): TLS 1.2 too, with ECDHE key exchange and AEAD ciphers
// only. Always: no compression, no renegotiation, no session tickets, server cipher order.
// Links OpenSSL and Boost.Asio's headers; pure modules never link it.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace dss::tls {

enum class TlsFloor {
  kTls13,  // the secure default
  kTls12,  // tls.min_version loosened to "1.2"
};

// The floor the setting tls.min_version names; anything but "1.2" is the default (fail closed:
// an unknown value never loosens).
TlsFloor floor_from_setting(std::string_view min_version);
std::string_view floor_name(TlsFloor floor);  // "1.3" or "1.2+"

// "https://host:port", with an IPv6 literal in brackets (RFC 3986 §3.2.2) in its usual short
// form ("::1", not "0:0:0:0:0:0:0:1"): what `dss server` and `dss repo serve` print and what the
// control plane compares Origin headers with.
std::string https_origin(std::string_view host, std::string_view port);

// A server context with DSS's policy, serving `cert_pem` (a PEM chain) with `key_pem`.
// kInvalidArgument, naming the file and what to give instead, when either cannot be used or
// the key does not match; kInternal when OpenSSL refuses the policy itself.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(
    TlsFloor floor, const std::filesystem::path& cert_pem, const std::filesystem::path& key_pem);

}  // namespace dss::tls
