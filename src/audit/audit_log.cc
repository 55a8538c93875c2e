#include "audit/audit_log.h"

#include <unistd.h>

#include <cstdio>

#include "audit/exporter.h"

namespace dss::audit {

namespace {

constexpr std::size_t kMaxPage = 1000;
constexpr std::uint64_t kMaxScanPerPage = 200'000;
// Events are stamped before they are queued, so concurrent writers may land a little out of
// time order; time searches widen by this much and then filter exactly.
constexpr std::int64_t kTimeSlackMs = 60'000;

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

bool matches(const Event& e, const Query& q) {
  if (q.from_ms && e.time_ms < *q.from_ms) return false;
  if (q.to_ms && e.time_ms >= *q.to_ms) return false;
  if (!q.actor_id.empty() && e.actor_id != q.actor_id) return false;
  if (!q.action.empty()) {
    const bool prefix = q.action.back() == '.';
    if (prefix ? e.action.rfind(q.action, 0) != 0 : e.action != q.action) return false;
  }
  if (q.outcome && e.outcome != *q.outcome) return false;
  return true;
}

}  // namespace

AuditLog::AuditLog(const Clock& clock, AuditLogOptions options, std::unique_ptr<tlog::Log> log)
    : clock_(clock), options_(std::move(options)), log_(std::move(log)) {}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path& dir,
                                                 const Clock& clock, AuditLogOptions options) {
  if (options.host.empty()) options.host = host_name();
  if (!options.warn) {
    options.warn = [](const std::string& message) {
      static_cast<void>(std::fprintf(stderr, "dss: WARNING: %s\n", message.c_str()));
    };
  }
  auto log = tlog::Log::open(dir, clock, options.log);
  if (!log) return tl::unexpected(log.error());
  const auto interval = options.checkpoint_interval;
  std::unique_ptr<AuditLog> audit(new AuditLog(clock, std::move(options), std::move(*log)));
  Event start;
  start.action = "log.start";
  start.object = dir.string();
  DSS_TRY_STATUS(audit->record(std::move(start)));
  if (audit->options_.export_ocsf_files) {
    audit->file_export_ = std::make_unique<Exporter>(
        *audit, std::make_unique<FileSink>(dir / "export", ExportFormat::kOcsf),
        dir / "export-ocsf.cursor");
    if (audit->options_.export_interval.count() > 0) {
      audit->file_export_->start(audit->options_.export_interval, std::chrono::minutes(1));
    }
  }
  if (interval.count() > 0) {
    audit->log_->start_periodic_checkpoints(
        interval, [warn = audit->options_.warn](const Error& e) {
          warn("the audit log could not issue a checkpoint: " + e.message);
        });
  }
  return audit;
}

AuditLog::~AuditLog() {
  Event stop;
  stop.action = "log.stop";
  (void)record(std::move(stop));
  (void)log_->checkpoint();
  if (file_export_) {
    auto exported = file_export_->run_once();
    if (!exported)
      options_.warn("the audit log's OCSF export is behind: " + exported.error().message);
    file_export_.reset();
  }
}

Status AuditLog::record(Event event) {
  if (event.time_ms == 0) event.time_ms = clock_.now_ms();
  if (event.id.empty()) event.id = new_event_id(event.time_ms);
  if (event.product_version.empty()) event.product_version = options_.product_version;
  if (event.host.empty()) event.host = options_.host;
  DSS_TRY_STATUS(validate(event));
  const std::string line = to_json(event);
  auto index = log_->append(as_bytes(line));
  if (index) return ok();
  if (!options_.fail_closed) {
    options_.warn("AN AUDITED ACTION WAS NOT RECORDED (" + index.error().message +
                  ") and was allowed only because the setting audit.fail_closed is loosened. "
                  "Fix the audit log and run `dss settings reset audit.fail_closed`.");
    return ok();
  }
  return make_error(ErrorCode::kAuditUnavailable,
                    "the action was refused because it could not be recorded in the audit log (" +
                        index.error().message + ")");
}

Result<std::uint64_t> AuditLog::flush_export() {
  if (!file_export_) {
    return make_error(ErrorCode::kFailedPrecondition, "the built-in OCSF export is off");
  }
  return file_export_->run_once();
}

Result<Page> AuditLog::query(const Query& q) const {
  if (q.limit == 0 || q.limit > kMaxPage) {
    return make_error(ErrorCode::kInvalidArgument, "a page holds 1 to 1000 events");
  }
  const std::uint64_t size = log_->size();
  std::uint64_t start = q.cursor;
  // Time searches start near the first event at from_ms: binary search on stored times.
  if (q.cursor == 0 && q.from_ms) {
    std::uint64_t lo = 0;
    std::uint64_t hi = size;
    while (lo < hi) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      auto bytes = log_->read(mid);
      if (!bytes) return tl::unexpected(bytes.error());
      auto e = from_json(as_chars(*bytes));
      if (!e) return tl::unexpected(e.error());
      if (e->time_ms < *q.from_ms - kTimeSlackMs) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    start = lo;
  }
  Page page;
  std::uint64_t i = start;
  for (; i < size && page.items.size() < q.limit && i - start < kMaxScanPerPage; ++i) {
    auto bytes = log_->read(i);
    if (!bytes) return tl::unexpected(bytes.error());
    auto e = from_json(as_chars(*bytes));
    if (!e) return tl::unexpected(e.error());
    if (q.to_ms && e->time_ms >= *q.to_ms + kTimeSlackMs) {
      i = size;  // past the window, allowing for the slack: nothing later can match
      break;
    }
    if (matches(*e, q)) page.items.push_back({i, std::move(*e)});
  }
  if (i < size) page.next_cursor = i;
  // Attach the latest checkpoint, issuing one on demand if it does not cover the page.
  auto note = log_->latest_checkpoint();
  if (!page.items.empty()) {
    std::optional<tlog::Checkpoint> c;
    if (note) {
      auto opened = tlog::open_checkpoint(*note, log_->verifier());
      if (opened) c = *opened;
    }
    if (!c || c->size <= page.items.back().index) note = log_->checkpoint();
  }
  if (note) page.checkpoint = std::move(*note);
  return page;
}

}  // namespace dss::audit
