#include "settings/domain.h"

#include <charconv>
#include <cstdio>

namespace dss::settings {

namespace {

const Effective& find(const std::vector<Effective>& all, std::string_view key) {
  for (const Effective& e : all) {
    if (e.declaration->key == key) return e;
  }
  DSS_CHECK(false);
  return all.front();
}

bool bool_setting(const std::vector<Effective>& all, std::string_view key) {
  return std::get<bool>(find(all, key).value);
}

std::int64_t int_setting(const std::vector<Effective>& all, std::string_view key) {
  return std::get<std::int64_t>(find(all, key).value);
}

CheckResult start(std::string id, std::string requirement, std::string governed_by) {
  CheckResult r;
  r.id = std::move(id);
  r.requirement = std::move(requirement);
  r.governed_by = std::move(governed_by);
  return r;
}

// The governing setting was loosened by an owner: the check is not enforced.
void waived(CheckResult& r, std::string why) {
  r.status = CheckStatus::kLoosened;
  r.finding = "not checked: " + std::move(why);
}

void fail(CheckResult& r, std::string finding, std::string fix) {
  if (r.status == CheckStatus::kFail) {
    r.finding += "; " + finding;
    r.fix += "; " + fix;
    return;
  }
  r.status = CheckStatus::kFail;
  r.finding = std::move(finding);
  r.fix = std::move(fix);
}

// "6.1.0-13-amd64" -> {6, 1}; "22.04" -> {22, 4}. Missing parts are 0.
std::pair<int, int> major_minor(std::string_view s) {
  int major = 0, minor = 0;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  const auto r = std::from_chars(p, end, major);
  if (r.ec == std::errc() && r.ptr != end && *r.ptr == '.') {
    const auto r2 = std::from_chars(r.ptr + 1, end, minor);
    if (r2.ec != std::errc()) minor = 0;
  }
  return {major, minor};
}

std::string octal(std::uint32_t mode) {
  char buf[8];
  const int n = std::snprintf(buf, sizeof buf, "%04o", mode & 07777U);
  DSS_CHECK(n > 0 && static_cast<std::size_t>(n) < sizeof buf);  // at most 4 octal digits
  return buf;
}

void check_dir(const SystemProbe& probe, CheckResult& r, const std::string& dir,
               std::string_view what) {
  const std::uint32_t uid = probe.effective_uid();
  auto st = probe.path_state(dir);
  if (!st) {
    fail(r, std::string(what) + " " + dir + " could not be examined (" + st.error().message + ")",
         "check that " + dir + " is readable by the service account");
    return;
  }
  if (!st->exists || !st->is_directory) {
    fail(r, std::string(what) + " " + dir + " does not exist",
         "create it: install -d -m 0700 " + dir + " (as the service account)");
    return;
  }
  if ((st->mode & 077U) != 0) {
    fail(r,
         std::string(what) + " " + dir + " has permissions " + octal(st->mode) +
             ", so other accounts can reach it",
         "chmod 0700 " + dir);
  }
  if (st->owner_uid != uid) {
    fail(r,
         std::string(what) + " " + dir + " is owned by user id " + std::to_string(st->owner_uid) +
             ", not the service account (" + std::to_string(uid) + ")",
         "chown " + std::to_string(uid) + " " + dir);
  }
}

}  // namespace

std::vector<CheckResult> check_domain(const SystemProbe& probe, const SettingsState& state,
                                      const DomainPaths& paths) {
  const std::vector<Effective> all = resolve(state);
  std::vector<CheckResult> out;

  {
    CheckResult r =
        start("tls", "network encryption (TLS) is available and always used", "domain.require_tls");
    const std::string min = std::get<std::string>(find(all, "tls.min_version").value);
    if (!bool_setting(all, "domain.require_tls")) {
      waived(r, "an owner turned this requirement off");
    } else {
      auto supported = probe.tls_supports(min);
      if (!supported || !*supported) {
        fail(r, "the system's TLS library cannot negotiate TLS " + min + " or newer",
             "install a current OpenSSL (Debian: apt-get install libssl3)");
      }
      if (bool_setting(all, "tls.plaintext_listener")) {
        fail(r, "an unencrypted listener is enabled (tls.plaintext_listener is on)",
             "dss settings set tls.plaintext_listener off");
      }
      if (r.status == CheckStatus::kPass)
        r.finding = "TLS " + min + " or newer, no unencrypted listener";
    }
    out.push_back(std::move(r));
  }

  {
    CheckResult r = start("clock", "the system clock is kept in step with a time server",
                          "domain.require_clock_sync");
    const std::int64_t max_s = int_setting(all, "domain.clock_max_error_seconds");
    if (!bool_setting(all, "domain.require_clock_sync")) {
      waived(r, "an owner turned this requirement off");
    } else if (auto c = probe.clock(); !c) {
      fail(r, "the clock's state could not be read (" + c.error().message + ")",
           "make sure a time service runs: timedatectl set-ntp true, or install chrony");
    } else if (!c->synchronised) {
      fail(r, "the system clock is not synchronised with any time server",
           "start a time service: timedatectl set-ntp true (or install chrony), then wait a "
           "minute and run dss doctor again");
    } else if (c->max_error_microseconds > max_s * 1'000'000) {
      fail(r,
           "the clock may be off by up to " + std::to_string(c->max_error_microseconds / 1000) +
               " ms, more than the " + std::to_string(max_s) + " s allowed",
           "check the time service can reach its servers (chronyc sources or timedatectl "
           "timesync-status)");
    } else {
      r.finding = "synchronised, worst-case error " +
                  std::to_string(c->max_error_microseconds / 1000) + " ms";
    }
    out.push_back(std::move(r));
  }

  {
    CheckResult r = start("not-root", "DSS does not run as the administrator account (root)",
                          "domain.refuse_root");
    if (!bool_setting(all, "domain.refuse_root")) {
      waived(r, "an owner allowed running as root");
    } else if (probe.effective_uid() == 0) {
      fail(r, "running as root",
           "run DSS as its own service account: useradd --system dss, and User=dss in the "
           "systemd unit (or sudo -u dss)");
    } else {
      r.finding = "running as user id " + std::to_string(probe.effective_uid());
    }
    out.push_back(std::move(r));
  }

  {
    CheckResult r = start("private-dirs",
                          "state and key folders are private to the service account (0700), "
                          "key files unreadable by others",
                          "domain.require_private_directories");
    if (!bool_setting(all, "domain.require_private_directories")) {
      waived(r, "an owner turned this requirement off");
    } else {
      check_dir(probe, r, paths.state_dir, "the state folder");
      if (!paths.key_dir.empty()) {
        check_dir(probe, r, paths.key_dir, "the key folder");
        if (auto files = probe.list_files(paths.key_dir)) {
          for (const std::string& f : *files) {
            auto st = probe.path_state(f);
            if (st && st->exists && (st->mode & 077U) != 0) {
              fail(r,
                   "key file " + f + " has permissions " + octal(st->mode) +
                       ", so other accounts can read it",
                   "chmod 0600 " + f);
            }
          }
        }
      }
      if (r.status == CheckStatus::kPass) r.finding = "private and owned by the service account";
    }
    out.push_back(std::move(r));
  }

  {
    CheckResult r = start("os", "the operating system and kernel still receive security fixes",
                          "domain.require_supported_os");
    if (!bool_setting(all, "domain.require_supported_os")) {
      waived(r, "an owner allowed unsupported systems");
    } else if (auto os = probe.os(); !os) {
      fail(r, "the operating system could not be identified (" + os.error().message + ")",
           "make sure /etc/os-release exists");
    } else {
      const std::string fix =
          "upgrade to a supported release (Debian 12+, Ubuntu 22.04+, "
          "RHEL 9+, with Linux 5.10 or newer)";
      const auto [kmaj, kmin] = major_minor(os->kernel_release);
      if (os->kernel_name != "Linux") {
        fail(r, "the kernel is " + os->kernel_name + ", not Linux", fix);
      } else if (kmaj < 5 || (kmaj == 5 && kmin < 10)) {
        fail(r, "Linux " + os->kernel_release + " is older than 5.10", fix);
      }
      const auto [dmaj, dmin] = major_minor(os->distro_version);
      const bool supported =
          (os->distro_id == "debian" && dmaj >= 12) ||
          (os->distro_id == "ubuntu" && (dmaj > 22 || (dmaj == 22 && dmin >= 4))) ||
          ((os->distro_id == "rhel" || os->distro_id == "rocky" || os->distro_id == "almalinux") &&
           dmaj >= 9);
      if (!supported) {
        fail(r, os->distro_id + " " + os->distro_version + " is not a supported release", fix);
      }
      if (r.status == CheckStatus::kPass) {
        r.finding = os->distro_id + " " + os->distro_version + ", Linux " + os->kernel_release;
      }
    }
    out.push_back(std::move(r));
  }

  {
    CheckResult r = start("disk", "enough free disk space for state, audit records and updates",
                          "domain.min_free_disk_mb");
    const std::int64_t min_mb = int_setting(all, "domain.min_free_disk_mb");
    if (min_mb == 0) {
      waived(r, "an owner set the minimum to 0");
    } else if (auto free = probe.free_bytes(paths.state_dir); !free) {
      fail(r,
           "free space in " + paths.state_dir + " could not be read (" + free.error().message + ")",
           "make sure the state folder exists");
    } else if ((*free >> 20) < static_cast<std::uint64_t>(min_mb)) {
      fail(r,
           std::to_string(*free >> 20) + " MiB free in " + paths.state_dir + ", less than the " +
               std::to_string(min_mb) + " MiB required",
           "free disk space, or move the state folder (--state) to a larger disk");
    } else {
      r.finding = std::to_string(*free >> 20) + " MiB free";
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string format_check(const CheckResult& r) {
  switch (r.status) {
    case CheckStatus::kPass:
      return "PASS     " + r.id + ": " + r.requirement + " (" + r.finding + ")";
    case CheckStatus::kLoosened:
      return "LOOSENED " + r.id + ": " + r.requirement + " — " + r.finding +
             "; restore with: dss settings set " + r.governed_by + " " +
             format_value((*find_declaration(r.governed_by))->secure_default);
    case CheckStatus::kFail:
      return "FAIL     " + r.id + ": " + r.requirement + " — " + r.finding + ". Fix: " + r.fix +
             ". (Only an owner can waive this, by loosening " + r.governed_by + ".)";
  }
  return "";
}

Status enforce_domain(const SystemProbe& probe, const SettingsState& state,
                      const DomainPaths& paths) {
  std::string message;
  for (const CheckResult& r : check_domain(probe, state, paths)) {
    if (r.status != CheckStatus::kFail) continue;
    message += "\n  " + format_check(r);
  }
  if (message.empty()) return ok();
  return make_error(
      ErrorCode::kDomainCheckFailed,
      "refusing to start: the machine does not meet DSS's security requirements:" + message);
}

}  // namespace dss::settings
