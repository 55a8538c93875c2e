// SIEM export. An Exporter tails the audit log from a durable cursor and hands events, in log
// order, to a Sink; the cursor advances only past events the sink confirmed, so a collector
// that is down or restarting loses nothing: the exporter backs off and resumes where it was.
//
// Sinks:
//   FileSink       JSON Lines (OCSF by default, or ECS), one file per UTC day, for any SIEM
//                  agent to pick up (Filebeat, Splunk forwarder, Vector...). On by default.
//   SyslogTlsSink  RFC 5424 messages over TLS (RFC 5425, octet-counted framing) to a remote
//                  collector such as rsyslog, with the collector's certificate verified.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "audit/audit_log.h"

namespace dss::audit {

class Sink {
 public:
  virtual ~Sink() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  // Delivers `events` in order. Returns how many, from the start, are confirmed delivered (the
  // rest are offered again later), or an error when none could be.
  virtual Result<std::size_t> deliver(std::span<const Event> events) = 0;
};

enum class ExportFormat { kOcsf, kEcs };
Result<ExportFormat> export_format_from_name(std::string_view name);  // "ocsf" | "ecs"
std::string format_event(const Event& e, ExportFormat format);

class FileSink final : public Sink {
 public:
  // Writes <dir>/<prefix>-YYYY-MM-DD.jsonl (0600), synced before delivery is confirmed.
  // At-least-once: after a crash between the sync and the cursor update, a few events can be
  // written twice; each carries its unique event id (OCSF metadata.uid, ECS event.id).
  FileSink(std::filesystem::path dir, ExportFormat format);
  [[nodiscard]] std::string name() const override;
  Result<std::size_t> deliver(std::span<const Event> events) override;

 private:
  std::filesystem::path dir_;
  ExportFormat format_;
};

struct SyslogTlsOptions {
  std::string host;  // name or address; the certificate must match it
  std::uint16_t port = 6514;
  std::filesystem::path ca_file;      // trust anchors for the collector's certificate
  std::filesystem::path client_cert;  // optional, for collectors that require client auth
  std::filesystem::path client_key;
  std::string app_name = "dss";
  // After the collector has acknowledged the bytes at the TCP level, how long to watch for it
  // closing the connection without reading them before confirming delivery.
  std::chrono::milliseconds settle{30};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

class SyslogTlsSink final : public Sink {
 public:
  explicit SyslogTlsSink(SyslogTlsOptions options);
  ~SyslogTlsSink() override;
  SyslogTlsSink(const SyslogTlsSink&) = delete;
  SyslogTlsSink& operator=(const SyslogTlsSink&) = delete;
  [[nodiscard]] std::string name() const override;
  Result<std::size_t> deliver(std::span<const Event> events) override;

 private:
  struct Connection;
  Status connect();
  void disconnect();
  SyslogTlsOptions options_;
  std::unique_ptr<Connection> conn_;
};

class Exporter {
 public:
  // The cursor lives in `cursor_file` (the index of the next event to deliver).
  Exporter(AuditLog& audit, std::unique_ptr<Sink> sink, std::filesystem::path cursor_file);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Delivers from the cursor to the end of the log, in batches. Returns how many were
  // delivered; an error if the sink failed (the cursor then stays at the first undelivered).
  Result<std::uint64_t> run_once();
  // Runs in the background: polls every `poll`, and after a failure backs off exponentially
  // from `poll` up to `max_backoff`. Stopped by the destructor.
  void start(std::chrono::milliseconds poll, std::chrono::milliseconds max_backoff);
  [[nodiscard]] std::uint64_t cursor() const { return cursor_.load(); }
  [[nodiscard]] std::string last_error() const;

 private:
  AuditLog& audit_;
  std::unique_ptr<Sink> sink_;
  std::filesystem::path cursor_file_;
  std::atomic<std::uint64_t> cursor_{0};
  mutable std::mutex error_mu_;
  std::string last_error_;
  std::mutex run_mu_;
  std::jthread thread_;
};

}  // namespace dss::audit
