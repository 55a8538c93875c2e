// The audit log: audit events recorded in a tamper-evident log (tlog::Log), and read back a
// page at a time with the latest signed checkpoint attached.
//
// Recording is on by default and cannot be switched off. If an event cannot be made durable,
// record() fails with kAuditUnavailable and the caller must refuse the action (fail closed).
// The one way around that is the settings engine's loosened setting "audit.fail_closed" =
// false, which makes record() warn loudly on stderr instead; it is never the default.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/event.h"
#include "core/clock.h"
#include "tlog/log.h"

namespace dss::audit {

struct AuditLogOptions {
  tlog::LogOptions log;
  std::string product_version;
  std::string host;  // defaults to the machine's host name
  bool fail_closed = true;
  // Where loud warnings go (an event not recorded while fail_closed is loosened, a checkpoint
  // that failed). Standard error when empty.
  std::function<void(const std::string&)> warn;
  // Checkpoints are issued this often while events arrive (and on demand).
  std::chrono::milliseconds checkpoint_interval{std::chrono::seconds(60)};
  // SIEM export on by default: OCSF JSON Lines in <dir>/export/ocsf-YYYY-MM-DD.jsonl, kept up
  // to date in the background. An interval of 0 exports only when the log closes.
  bool export_ocsf_files = true;
  std::chrono::milliseconds export_interval{std::chrono::seconds(1)};
};

struct Query {
  std::optional<std::int64_t> from_ms;  // inclusive
  std::optional<std::int64_t> to_ms;    // exclusive
  std::string actor_id;                 // exact match when set
  std::string action;                   // exact match, or a prefix ending in '.' ("auth.")
  std::optional<Outcome> outcome;
  std::uint64_t cursor = 0;  // the log index to continue from (a page's next_cursor)
  std::size_t limit = 100;   // at most 1000
};

struct Page {
  struct Item {
    std::uint64_t index = 0;
    Event event;
  };
  std::vector<Item> items;
  std::optional<std::uint64_t> next_cursor;  // set when more entries remain to be scanned
  std::string checkpoint;                    // the latest signed checkpoint note
};

class Exporter;

class AuditLog {
 public:
  static Result<std::unique_ptr<AuditLog>> open(const std::filesystem::path& dir,
                                                const Clock& clock, AuditLogOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Fills in the time, id, version and host when empty, checks the event against the schema
  // and appends it; returns once it is durable. kAuditUnavailable if it cannot be recorded
  // (the caller must then refuse the action), kInvalidArgument for an event outside the schema.
  Status record(Event event);
  Result<Page> query(const Query& q) const;
  // Brings the built-in OCSF file export up to date now; returns how many events it wrote.
  Result<std::uint64_t> flush_export();

  [[nodiscard]] tlog::Log& log() { return *log_; }
  [[nodiscard]] const tlog::Log& log() const { return *log_; }

 private:
  AuditLog(const Clock& clock, AuditLogOptions options, std::unique_ptr<tlog::Log> log);
  const Clock& clock_;
  AuditLogOptions options_;
  std::unique_ptr<tlog::Log> log_;
  std::unique_ptr<Exporter> file_export_;
};

}  // namespace dss::audit
