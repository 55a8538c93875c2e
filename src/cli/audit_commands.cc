#include "cli/audit_commands.h"

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "audit/audit_log.h"
#include "audit/exporter.h"
#include "crypto/hash.h"
#include "platform/files.h"
#include "platform/system_clock.h"
#include "tlog/verify.h"

namespace dss::cli {

namespace fs = std::filesystem;

struct AuditCommands::State {
  CLI::App* verify = nullptr;
  CLI::App* checkpoint = nullptr;
  CLI::App* query = nullptr;
  CLI::App* exporter = nullptr;
  std::string dir;
  std::string saved_checkpoint;
  std::string key;
  std::string from;
  std::string to;
  std::string actor;
  std::string action;
  std::string outcome;
  std::size_t limit = 100;
  std::uint64_t cursor = 0;
  std::string format = "ocsf";
  std::string out;
};

namespace {

int fail(const Error& e, int status = 1) {
  std::cerr << "dss audit: " << e.to_string() << "\n";
  return status;
}

// A verifier key given inline or as a file; by default the log directory's own log.vkey.
Result<tlog::NoteVerifier> load_verifier(const std::string& dir, const std::string& key,
                                         bool& from_dir) {
  std::string text = key;
  from_dir = key.empty();
  std::error_code ec;
  if (key.empty() || fs::exists(key, ec)) {
    auto file =
        platform::read_text_file(key.empty() ? fs::path(dir) / "log.vkey" : fs::path(key), 4096);
    if (!file) return tl::unexpected(file.error());
    text = *file;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return tlog::NoteVerifier::parse(text);
}

Result<std::int64_t> parse_time(const std::string& text) {
  auto t = parse_utc_timestamp(text);
  if (!t) {
    return make_error(ErrorCode::kInvalidArgument,
                      "\"" + text + "\" is not a UTC time like 2026-11-22T18:00:00Z");
  }
  return *t * 1000;
}

}  // namespace

AuditCommands::AuditCommands(CLI::App& audit) : s_(std::make_unique<State>()) {
  audit.require_subcommand(1);
  s_->verify = audit.add_subcommand(
      "verify",
      "Recompute every entry, the hash chain and the Merkle tree of an audit log offline, and "
      "check them against every signed checkpoint. Reports the first problem found and exits "
      "with its error code.");
  s_->verify->add_option("DIR", s_->dir, "The audit log directory")->required();
  s_->verify->add_option("--checkpoint", s_->saved_checkpoint,
                         "A checkpoint saved earlier (for example by a monitoring system); the "
                         "log must still extend it, or it has been rewritten or forked");
  s_->verify->add_option("--key", s_->key,
                         "The log's verifier key (text or file). Without it the key in the "
                         "directory is trusted, which an attacker who rewrote the log could "
                         "also have replaced");

  s_->checkpoint = audit.add_subcommand(
      "checkpoint", "Sign and print a checkpoint of the audit log as it is now (C2SP format)");
  s_->checkpoint->add_option("DIR", s_->dir, "The audit log directory")->required();

  s_->query = audit.add_subcommand(
      "query", "Print audit events as JSON lines, filtered, one page at a time");
  s_->query->add_option("DIR", s_->dir, "The audit log directory")->required();
  s_->query->add_option("--from", s_->from, "Only events at or after this UTC time");
  s_->query->add_option("--to", s_->to, "Only events before this UTC time");
  s_->query->add_option("--actor", s_->actor, "Only events by this user, device or token id");
  s_->query->add_option("--action", s_->action,
                        "Only this action, or every action under a prefix ending in '.' "
                        "(for example auth.)");
  s_->query->add_option("--outcome", s_->outcome, "Only success or failure")
      ->check(CLI::IsMember({"success", "failure"}));
  s_->query->add_option("--limit", s_->limit, "Events per page (1 to 1000)");
  s_->query->add_option("--cursor", s_->cursor, "Continue from the cursor a page printed");

  s_->exporter = audit.add_subcommand(
      "export", "Write the audit events not yet exported as JSON lines for a SIEM (OCSF or ECS)");
  s_->exporter->add_option("DIR", s_->dir, "The audit log directory")->required();
  s_->exporter->add_option("--format", s_->format, "ocsf (default) or ecs")
      ->check(CLI::IsMember({"ocsf", "ecs"}));
  s_->exporter->add_option("--out", s_->out, "Where the daily files go (default: DIR/export)");
}

AuditCommands::~AuditCommands() = default;

int AuditCommands::run() {
  platform::SystemClock clock;
  if (s_->verify->parsed()) {
    bool from_dir = false;
    auto verifier = load_verifier(s_->dir, s_->key, from_dir);
    if (!verifier) return fail(verifier.error());
    std::optional<tlog::SavedCheckpoint> saved;
    if (!s_->saved_checkpoint.empty()) {
      auto note = platform::read_text_file(s_->saved_checkpoint, 1 << 20);
      if (!note) return fail(note.error());
      saved = tlog::SavedCheckpoint{*note, s_->saved_checkpoint};
    }
    auto report = tlog::verify_log(s_->dir, *verifier, saved);
    if (!report) {
      const auto code = static_cast<int>(report.error().code);
      return fail(report.error(), code >= 50 && code <= 54 ? code : 1);
    }
    std::cout << "audit log " << s_->dir << " verifies: " << report->entries << " entries in "
              << report->segments << " segments (" << report->bytes << " bytes), "
              << report->checkpoints << " signed checkpoints consistent, root "
              << base64_encode(report->root) << "\n";
    if (from_dir) {
      std::cerr << "dss audit: note: the verifier key was read from the log directory; pass "
                   "--key with a copy kept elsewhere to rule out a replaced key\n";
    }
    return 0;
  }
  // Bad filters are refused before the log is opened (opening it records an event).
  audit::Query q;
  if (!s_->from.empty()) {
    auto t = parse_time(s_->from);
    if (!t) return fail(t.error());
    q.from_ms = *t;
  }
  if (!s_->to.empty()) {
    auto t = parse_time(s_->to);
    if (!t) return fail(t.error());
    q.to_ms = *t;
  }
  // The remaining commands open the log for writing (they append and sign).
  audit::AuditLogOptions options;
  options.product_version = DSS_VERSION;
  options.checkpoint_interval = std::chrono::milliseconds(0);
  auto log = audit::AuditLog::open(s_->dir, clock, options);
  if (!log) return fail(log.error());
  if (s_->checkpoint->parsed()) {
    auto note = (*log)->log().checkpoint();
    if (!note) return fail(note.error());
    std::cout << *note;
    return 0;
  }
  if (s_->query->parsed()) {
    q.actor_id = s_->actor;
    q.action = s_->action;
    if (!s_->outcome.empty()) {
      q.outcome = s_->outcome == "success" ? audit::Outcome::kSuccess : audit::Outcome::kFailure;
    }
    q.limit = s_->limit;
    q.cursor = s_->cursor;
    auto page = (*log)->query(q);
    if (!page) return fail(page.error());
    for (const auto& item : page->items) std::cout << audit::to_json(item.event) << "\n";
    if (page->next_cursor) {
      std::cerr << "dss audit: more events remain: add --cursor " << *page->next_cursor << "\n";
    }
    return 0;
  }
  if (s_->exporter->parsed()) {
    auto format = audit::export_format_from_name(s_->format);
    if (!format) return fail(format.error());
    const fs::path default_out = fs::path(s_->dir) / "export";
    if (*format == audit::ExportFormat::kOcsf &&
        (s_->out.empty() || fs::path(s_->out) == default_out)) {
      // The built-in export (on by default) owns this directory and its cursor.
      auto n = (*log)->flush_export();
      if (!n) return fail(n.error());
      std::cout << "exported " << *n << " events to " << default_out.string() << "\n";
      return 0;
    }
    const fs::path out = s_->out.empty() ? default_out : fs::path(s_->out);
    std::error_code ec;
    const fs::path absolute_out = fs::absolute(out, ec);
    if (ec)
      return fail(Error{ErrorCode::kIo, "cannot resolve " + out.string() + ": " + ec.message()});
    // One cursor per destination, so exports to different places do not interfere.
    const std::string cursor = "export-" + s_->format + "-" +
                               crypto::sha256_hex(absolute_out.string()).substr(0, 12) + ".cursor";
    audit::Exporter exporter(**log, std::make_unique<audit::FileSink>(out, *format),
                             fs::path(s_->dir) / cursor);
    auto n = exporter.run_once();
    if (!n) return fail(n.error());
    std::cout << "exported " << *n << " events to " << out.string() << "\n";
    return 0;
  }
  return 1;
}

}  // namespace dss::cli
