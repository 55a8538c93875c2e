#include "settings/system.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/files.h"
#include "settings/snapshot.h"

namespace dss::settings {

namespace fs = std::filesystem;

namespace {

tl::unexpected<Error> io_error(const std::string& what) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(errno));
}

std::string os_release_field(std::string_view text, std::string_view name) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.size() <= name.size() || !line.starts_with(name) || line[name.size()] != '=') continue;
    std::string_view v = line.substr(name.size() + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    return std::string(v);
  }
  return "";
}

}  // namespace

Result<SettingsState> FileSettingsStore::load() {
  auto text = platform::read_text_file(path(), kMaxSettingsFileBytes);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return SettingsState{};
    return tl::unexpected(text.error());
  }
  auto state = parse_settings(*text);
  if (!state) {
    return make_error(state.error().code,
                      path().string() + " is not a valid settings file: " + state.error().message);
  }
  return state;
}

Status FileSettingsStore::save(const SettingsState& state) {
  DSS_TRY_STATUS(platform::ensure_private_dir(dir_));
  return platform::write_file_atomic(path(), serialize_settings(state),
                                     platform::FileMode::kPrivate);
}

audit::Event to_audit_event(const SettingsAuditEvent& event) {
  audit::Event e;
  e.time_ms = event.time * 1000;
  e.actor_kind = event.actor.empty() || event.role == "system" ? audit::ActorKind::kSystem
                                                               : audit::ActorKind::kUser;
  e.actor_id = event.actor;
  e.object = event.key;
  e.reason = event.reason;
  e.outcome = event.outcome == kOutcomeRefused || event.outcome == kOutcomeFailed
                  ? audit::Outcome::kFailure
                  : audit::Outcome::kSuccess;
  if (event.action == kActionLoosened) {
    e.action = "settings.loosen";
  } else if (event.action == kActionTightened) {
    e.action = "settings.tighten";
  } else if (event.action == kActionReset) {
    e.action = "settings.reset";
  } else if (event.action == kActionPolicyApplied) {
    e.action = "policy.apply";
  } else if (event.action == kActionPolicyRefused) {
    e.action = "policy.refuse";
  } else if (event.action == kActionChime) {
    e.action = "settings.chime";
  } else {
    e.action = "config.change";  // a template applied, or a refused change
  }
  for (const auto& [k, v] :
       {std::pair<const char*, const std::string&>{"settings_action", event.action},
        {"role", event.role},
        {"old_value", event.old_value},
        {"new_value", event.new_value},
        {"acknowledgement", event.acknowledgement},
        {"settings_outcome", event.outcome}}) {
    if (!v.empty()) e.details.emplace_back(k, v);
  }
  return e;
}

bool audit_fail_closed(const SettingsState& state) {
  return Snapshot(state).get(key::kAuditFailClosed);
}

AuditLogSink::AuditLogSink(std::filesystem::path state_dir, const Clock& clock, bool fail_closed)
    : dir_(std::move(state_dir)), clock_(clock), fail_closed_(fail_closed) {}
AuditLogSink::~AuditLogSink() = default;

Status AuditLogSink::record(const SettingsAuditEvent& event) {
  if (!log_) {
    audit::AuditLogOptions options;
    options.product_version = DSS_VERSION;
    options.fail_closed = fail_closed_;
    options.checkpoint_interval = std::chrono::milliseconds(0);
    options.export_interval = std::chrono::milliseconds(0);  // exported when the log closes
    DSS_TRY_STATUS(platform::ensure_private_dir(dir_));
    auto opened = audit::AuditLog::open(path(), clock_, options);
    if (!opened) {
      if (fail_closed_) {
        return make_error(ErrorCode::kAuditUnavailable,
                          "the change was refused because the audit log cannot be opened (" +
                              opened.error().message + ")");
      }
      static_cast<void>(
          std::fprintf(stderr,
                       "dss: WARNING: AN AUDITED CHANGE WAS NOT RECORDED (%s) and was allowed only "
                       "because the setting audit.fail_closed is loosened\n",
                       opened.error().message.c_str()));
      return ok();
    }
    log_ = std::move(*opened);
  }
  return log_->record(to_audit_event(event));
}

Result<bool> RealSystemProbe::tls_supports(std::string_view min_version) const {
  const int proto = min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr)
    return make_error(ErrorCode::kInternal, "OpenSSL cannot create a TLS context");
  const bool ok_min = SSL_CTX_set_min_proto_version(ctx, proto) == 1;
  const bool ok_max =
      SSL_CTX_get_max_proto_version(ctx) == 0 || SSL_CTX_get_max_proto_version(ctx) >= proto;
  SSL_CTX_free(ctx);
  // OpenSSL 1.1.1 introduced TLS 1.3.
  return ok_min && ok_max && (proto != TLS1_3_VERSION || OpenSSL_version_num() >= 0x10101000UL);
}

Result<ClockState> RealSystemProbe::clock() const {
  timex tx{};  // modes = 0: read only
  const int state = ::ntp_adjtime(&tx);
  if (state < 0) return io_error("ntp_adjtime");
  ClockState c;
  c.synchronised = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
  c.max_error_microseconds = static_cast<std::int64_t>(tx.maxerror);
  return c;
}

std::uint32_t RealSystemProbe::effective_uid() const { return ::geteuid(); }

Result<PathState> RealSystemProbe::path_state(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return PathState{};
    return io_error("cannot examine " + path);
  }
  PathState p;
  p.exists = true;
  p.is_directory = S_ISDIR(st.st_mode);
  p.mode = static_cast<std::uint32_t>(st.st_mode & 07777U);
  p.owner_uid = st.st_uid;
  return p;
}

Result<std::vector<std::string>> RealSystemProbe::list_files(const std::string& dir) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) out.push_back(it->path().string());
  }
  if (ec) return make_error(ErrorCode::kIo, "cannot list " + dir + ": " + ec.message());
  return out;
}

Result<OsInfo> RealSystemProbe::os() const {
  utsname u{};
  if (::uname(&u) != 0) return io_error("uname");
  OsInfo info;
  info.kernel_name = u.sysname;
  info.kernel_release = u.release;
  DSS_TRY(std::string text, platform::read_text_file("/etc/os-release", 64ull * 1024));
  info.distro_id = os_release_field(text, "ID");
  info.distro_version = os_release_field(text, "VERSION_ID");
  return info;
}

Result<std::uint64_t> RealSystemProbe::free_bytes(const std::string& path) const {
  struct statvfs v {};
  if (::statvfs(path.c_str(), &v) != 0) return io_error("cannot read free space of " + path);
  return static_cast<std::uint64_t>(v.f_bavail) * static_cast<std::uint64_t>(v.f_frsize);
}

}  // namespace dss::settings
