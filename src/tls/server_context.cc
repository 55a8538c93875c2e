#include "tls/server_context.h"

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>

namespace dss::tls {

namespace {

// ECDHE key exchange and AEAD ciphers only (forward secrecy, no CBC), for TLS 1.2 peers.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

TlsFloor floor_from_setting(std::string_view min_version) {
  return min_version == "1.2" ? TlsFloor::kTls12 : TlsFloor::kTls13;
}

std::string_view floor_name(TlsFloor floor) {
  switch (floor) {
    case TlsFloor::kTls13:
      return "1.3";
    case TlsFloor::kTls12:
      return "1.2+";
  }
  return "1.3";
}

std::string https_origin(std::string_view host, std::string_view port) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  std::string name = ec ? std::string(host) : address.to_string();
  if (!ec && address.is_v6()) name = "[" + name + "]";
  return "https://" + name + ":" + std::string(port);
}

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(
    TlsFloor floor, const std::filesystem::path& cert_pem, const std::filesystem::path& key_pem) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* raw = ctx->native_handle();
  const int min_version = floor == TlsFloor::kTls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
  if (SSL_CTX_set_min_proto_version(raw, min_version) != 1) {
    return make_error(ErrorCode::kInternal, "OpenSSL refused the minimum TLS version");
  }
  SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  if (SSL_CTX_set_cipher_list(raw, kTls12Ciphers) != 1) {
    return make_error(ErrorCode::kInternal, "OpenSSL refused the TLS 1.2 cipher list");
  }
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_pem.string(), ec);
  if (ec) {
    return make_error(ErrorCode::kInvalidArgument, "cannot use the certificate " +
                                                       cert_pem.string() + ": " + ec.message() +
                                                       "; give a PEM certificate chain");
  }
  ctx->use_private_key_file(key_pem.string(), ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(raw) != 1) {
    return make_error(
        ErrorCode::kInvalidArgument,
        "cannot use the private key " + key_pem.string() +
            (ec ? ": " + ec.message() : std::string(": it does not match the certificate")) +
            "; give the PEM key of this certificate");
  }
  return ctx;
}

}  // namespace dss::tls
