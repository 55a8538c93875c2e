// A small static-file HTTPS server (Boost.Beast): serves a directory read-only over TLS with the
// control plane's policy (tls/server_context.h: TLS 1.3 only unless tls.min_version is loosened
// to "1.2"), GET and HEAD only. Used by `dss repo serve` and brought up for real (port 0) by
// end-to-end tests and benchmarks. Request paths are percent-decoded; "." and ".." segments,
// symlinks out of the root and anything that is not a regular file are refused. Files are read
// fresh on each request, so a test can tamper with them between requests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "tls/server_context.h"

namespace dss::httpd {

// Writes an ECDSA P-256 self-signed leaf certificate (CA:FALSE, digitalSignature, serverAuth
// only) for localhost, 127.0.0.1 and ::1, valid for `valid_days` from now (the wall clock, which
// clients judge it by), and a fresh private key (0600). The certificate is its own trust
// anchor: clients pass it as their CA file.
Status generate_self_signed_cert(const std::filesystem::path& cert_pem,
                                 const std::filesystem::path& key_pem, int valid_days = 30);

class StaticHttpsServer {
 public:
  struct Options {
    std::filesystem::path root;
    std::filesystem::path cert_pem;
    std::filesystem::path key_pem;
    std::string bind = "127.0.0.1";
    std::uint16_t port = 0;                           // 0: any free port
    tls::TlsFloor tls_floor = tls::TlsFloor::kTls13;  // from the setting tls.min_version
    // If not empty, only these paths of `root` and what lies below them are served (e.g.
    // "metadata", "targets", "transparency/checkpoint"), so nothing else in the directory
    // (keys, settings) is ever exposed.
    std::vector<std::string> only_under;
  };

  // Starts serving on a background thread.
  static Result<std::unique_ptr<StaticHttpsServer>> start(Options options);
  ~StaticHttpsServer();  // NOLINT(bugprone-exception-escape): see server.cc
  StaticHttpsServer(const StaticHttpsServer&) = delete;
  StaticHttpsServer& operator=(const StaticHttpsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::uint64_t requests_served() const;
  // Request targets in the order they arrived (tests check what was fetched).
  [[nodiscard]] std::vector<std::string> request_log() const;
  void stop();

  struct Impl;

 private:
  explicit StaticHttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dss::httpd
