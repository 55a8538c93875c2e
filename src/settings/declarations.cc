#include "settings/declarations.h"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "core/json.h"

namespace dss::settings {

namespace {

constexpr RoleSet kOwnerOnly{Role::kOwner};
constexpr RoleSet kSecurity{Role::kOwner, Role::kSecurityOfficer};
constexpr RoleSet kOperations{Role::kOwner, Role::kSecurityOfficer, Role::kOperator};
constexpr RoleSet kRelease{Role::kOwner, Role::kSecurityOfficer, Role::kReleaseManager};

Declaration boolean(std::string_view key, bool secure_default, std::string_view description,
                    std::string_view risk, RoleSet roles, bool floor = true) {
  Declaration d;
  d.key = key;
  d.kind = Kind::kBool;
  d.description = description;
  d.risk = risk;
  d.secure_default = secure_default;
  d.stricter_bool = secure_default;
  d.may_change = roles;
  d.policy_may_pin_floor = floor;
  return d;
}

Declaration integer(std::string_view key, std::int64_t secure_default, std::int64_t min,
                    std::int64_t max, Direction direction, std::string_view unit,
                    std::string_view description, std::string_view risk, RoleSet roles,
                    bool floor = true) {
  Declaration d;
  d.key = key;
  d.kind = Kind::kInteger;
  d.description = description;
  d.risk = risk;
  d.secure_default = secure_default;
  d.min = min;
  d.max = max;
  d.direction = direction;
  d.unit = unit;
  d.may_change = roles;
  d.policy_may_pin_floor = floor;
  return d;
}

// A choice (values listed strictest first) or a set (allowed members); the caller sets the
// default (assigning it here trips a GCC 12 maybe-uninitialized false positive).
Declaration listed(Kind kind, std::string_view key, std::vector<std::string_view> allowed,
                   std::string_view description, std::string_view risk, RoleSet roles, bool floor) {
  Declaration d;
  d.key = key;
  d.kind = kind;
  d.description = description;
  d.risk = risk;
  d.allowed = std::move(allowed);
  d.may_change = roles;
  d.policy_may_pin_floor = floor;
  return d;
}

Declaration choice(std::string_view key, std::string_view secure_default,
                   std::vector<std::string_view> strictest_first, std::string_view description,
                   std::string_view risk, RoleSet roles, bool floor = true) {
  Declaration d =
      listed(Kind::kChoice, key, std::move(strictest_first), description, risk, roles, floor);
  d.secure_default = std::string(secure_default);
  return d;
}

Declaration member_set(std::string_view key, Members secure_default,
                       std::vector<std::string_view> allowed, std::string_view description,
                       std::string_view risk, RoleSet roles, bool floor = true) {
  Declaration d = listed(Kind::kSet, key, std::move(allowed), description, risk, roles, floor);
  d.secure_default = std::move(secure_default);
  return d;
}

std::vector<Declaration> build_table() {
  using D = Direction;
  std::vector<Declaration> t;
  // --- Network encryption
  t.push_back(choice(
      "tls.min_version", "1.3", {"1.3", "1.2"},
      "The oldest version of TLS (the encryption that protects network connections) that DSS "
      "accepts. Version 1.3 is current; 1.2 is older and still found in older systems.",
      "Connections from older systems are accepted, with weaker protection against eavesdropping "
      "and tampering, and more ways for a misconfigured peer to fall back to weak encryption.",
      kSecurity));
  t.push_back(boolean(
      "tls.plaintext_listener", false,
      "Whether DSS also listens for unencrypted network connections. Off means every connection "
      "is encrypted.",
      "Anyone on the network path can read and alter traffic, including passwords, session "
      "tokens and the settings themselves.",
      kOwnerOnly));
  t.push_back(member_set(
      "crypto.allowed_signature_algorithms", Members{"ecdsa-p256", "ed25519"},
      {"ed25519", "ecdsa-p256", "rsa-pss"},
      "Which kinds of digital signature DSS accepts on software, policy and metadata. Fewer "
      "kinds means fewer ways in.",
      "Each extra kind of signature is more code an attacker can probe; older kinds are slower "
      "and easier to get wrong, so a forged release becomes more likely to slip through.",
      kSecurity));
  // --- People and sessions
  t.push_back(integer(
      "auth.password_min_length", kPasswordMinLengthDefault, 12, 128, D::kHigherIsStricter,
      "characters",
      "The shortest password a person may choose. Long passwords are much harder to guess.",
      "Short passwords can be guessed or cracked from a stolen password list in far less time, "
      "handing an account to an outsider.",
      kSecurity));
  t.push_back(boolean(
      "auth.mfa_required", true,
      "Whether every person must confirm a sign-in with a second factor (a code from an app or "
      "a hardware key), not a password alone.",
      "A single leaked or guessed password is enough to take over an account.", kSecurity));
  t.push_back(integer(
      "auth.max_failed_logins_per_hour", 10, 3, 1000, D::kLowerIsStricter, "attempts",
      "How many wrong passwords an account may receive in an hour before further attempts are "
      "refused for a while.",
      "Attackers can try many more passwords against each account, so weak passwords fall "
      "sooner.",
      kSecurity));
  t.push_back(
      integer("session.idle_timeout_minutes", 30, 5, 240, D::kLowerIsStricter, "minutes",
              "How long a signed-in session may sit unused before the person must sign in again.",
              "An unattended screen or a stolen session stays usable for longer.", kSecurity));
  t.push_back(integer(
      "session.absolute_lifetime_hours", 12, 1, 168, D::kLowerIsStricter, "hours",
      "The longest a session lasts, even while in use, before the person must sign in again.",
      "A stolen session token keeps working for longer, and removed staff keep access longer.",
      kSecurity));
  // --- Audit
  t.push_back(boolean(
      "audit.fail_closed", true,
      "Whether DSS refuses a change when it cannot write the change to the audit log. On means "
      "no change happens without a record.",
      "Changes can happen with no record of who made them, so a breach or a mistake cannot be "
      "traced or proven.",
      kOwnerOnly));
  // --- Updates
  t.push_back(integer(
      "update.check_interval_minutes", 60, 5, 1440, D::kLowerIsStricter, "minutes",
      "How often DSS asks the provider for new software and security policy.",
      "Security fixes and policy changes arrive later, leaving a known weakness open for longer.",
      kOperations));
  t.push_back(boolean(
      "update.auto_install", true,
      "Whether verified updates are installed automatically, without waiting for a person.",
      "Security fixes wait for someone to act; in practice many installations stay exposed for "
      "weeks.",
      kOperations));
  t.push_back(integer(
      "update.deferral_hours", 0, 0, 720, D::kLowerIsStricter, "hours",
      "How long a new release waits after publication before it installs (a staged rollout). "
      "Releases that fix an advisory affecting the installed version never wait.",
      "Fixes that are not yet covered by an advisory reach this installation later.", kOperations));
  t.push_back(boolean(
      "update.allow_downgrade", false,
      "Whether an older release may replace a newer one. Off means only newer releases install.",
      "An attacker, or a mistake, can bring back an old release with known, published "
      "weaknesses.",
      kOwnerOnly));
  // --- Releases
  t.push_back(boolean(
      "release.require_sbom", true,
      "Whether every release must come with a software bill of materials: a list of every "
      "component inside it, so affected releases can be found when a component has a flaw.",
      "When a flaw is announced in a component, nobody can tell quickly which releases contain "
      "it.",
      kRelease));
  t.push_back(boolean(
      "release.require_build_record", true,
      "Whether every release must come with a signed record of how it was built and from which "
      "source code.",
      "A release built from tampered source or on a compromised machine cannot be told apart "
      "from a genuine one.",
      kRelease));
  // --- The security domain: what the machine must provide (checked by `dss doctor`)
  t.push_back(boolean(
      "domain.require_tls", true,
      "Whether DSS refuses to start unless the system's encryption library supports the "
      "required TLS version and no unencrypted listener is enabled.",
      "DSS may run with no working network encryption, exposing everything it sends.", kOwnerOnly));
  t.push_back(boolean(
      "domain.require_clock_sync", true,
      "Whether DSS refuses to start unless the system clock is kept in step with a time "
      "server. Expiry of signatures and sessions depends on the right time.",
      "With a wrong clock, expired signatures and sessions are accepted, or valid updates are "
      "refused; an attacker who can move the clock can replay old releases.",
      kOwnerOnly));
  t.push_back(integer(
      "domain.clock_max_error_seconds", 1, 1, 300, D::kLowerIsStricter, "seconds",
      "How far, at most, the system clock may be from true time, as the operating system "
      "estimates it.",
      "Larger clock errors let recently expired signatures and sessions keep working.", kOwnerOnly,
      /*floor=*/false));  // a fact of the local machine the provider cannot know
  t.push_back(boolean(
      "domain.refuse_root", true,
      "Whether DSS refuses to run as the all-powerful administrator account (root).",
      "Any flaw in DSS becomes control of the whole machine instead of one service account.",
      kOwnerOnly));
  t.push_back(boolean(
      "domain.require_private_directories", true,
      "Whether DSS refuses to start unless its state and key folders are private to the "
      "service account (permissions 0700, owned by it) and key files are unreadable by others.",
      "Other accounts on the machine may read signing keys or alter DSS's state.", kOwnerOnly));
  t.push_back(boolean(
      "domain.require_supported_os", true,
      "Whether DSS refuses to start on an operating system or kernel that no longer receives "
      "security fixes (supported: Linux 5.10 or newer on Debian 12+, Ubuntu 22.04+ or "
      "RHEL 9+).",
      "Known, published flaws in the operating system stay open underneath DSS.", kOwnerOnly));
  t.push_back(integer(
      "domain.min_free_disk_mb", 1024, 0, 1048576, D::kHigherIsStricter, "MiB",
      "How much free disk space DSS requires in its state folder before it starts (0 turns the "
      "check off).",
      "A full disk can stop audit records and updates from being written, silently.", kOwnerOnly,
      /*floor=*/false));  // disk sizes are local
  return t;
}

std::vector<Template> build_templates() {
  std::vector<Template> t;
  t.push_back(Template{kDefaultTemplate,
                       "The secure defaults, exactly as declared. Recommended for every new "
                       "installation.",
                       {}});
  t.push_back(Template{
      "compatible",
      "For older environments: accepts TLS 1.2, RSA signatures and operating systems out of "
      "support. Every difference from strict is a loosening and is reported as one.",
      {{"tls.min_version", std::string("1.2")},
       {"crypto.allowed_signature_algorithms", Members{"ecdsa-p256", "ed25519", "rsa-pss"}},
       {"domain.require_supported_os", false}}});
  return t;
}

tl::unexpected<Error> invalid(const Declaration& d, std::string_view problem) {
  return make_error(ErrorCode::kInvalidValue, std::string(d.key) + ": " + std::string(problem) +
                                                  "; allowed: " + allowed_text(d));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::size_t choice_index(const Declaration& d, const std::string& v) {
  const auto it = std::find(d.allowed.begin(), d.allowed.end(), v);
  DSS_CHECK(it != d.allowed.end());
  return static_cast<std::size_t>(it - d.allowed.begin());
}

bool subset(const Members& a, const Members& b) {
  return std::includes(b.begin(), b.end(), a.begin(), a.end());
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kOwner:
      return "owner";
    case Role::kSecurityOfficer:
      return "security-officer";
    case Role::kReleaseManager:
      return "release-manager";
    case Role::kOperator:
      return "operator";
    case Role::kAuditor:
      return "auditor";
    case Role::kViewer:
      return "viewer";
  }
  return "unknown";
}

Result<Role> role_from_name(std::string_view name) {
  for (Role r : {Role::kOwner, Role::kSecurityOfficer, Role::kReleaseManager, Role::kOperator,
                 Role::kAuditor, Role::kViewer}) {
    if (role_name(r) == name) return r;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown role \"" + std::string(name) +
                        "\"; roles are owner, security-officer, release-manager, operator, "
                        "auditor, viewer");
}

std::string RoleSet::names() const {
  std::string out;
  for (Role r : {Role::kOwner, Role::kSecurityOfficer, Role::kReleaseManager, Role::kOperator,
                 Role::kAuditor, Role::kViewer}) {
    if (!contains(r)) continue;
    if (!out.empty()) out += ", ";
    out += role_name(r);
  }
  return out;
}

const std::vector<Declaration>& declarations() {
  static const std::vector<Declaration> table = [] {
    auto t = build_table();
    for (const Declaration& d : t) DSS_CHECK(validate_value(d, d.secure_default).has_value());
    return t;
  }();
  return table;
}

const RetiredSetting* find_retired_setting(std::string_view key) {
  static constexpr RetiredSetting kRetired[] = {
      {"audit.retention_days",
       "the audit log is append-only and verified end to end, so DSS never deletes records; "
       "keep them as long as you need in the export destination (`dss audit export`, your "
       "SIEM). ADR 0042"},
  };
  for (const RetiredSetting& r : kRetired) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

Result<const Declaration*> find_declaration(std::string_view key) {
  for (const Declaration& d : declarations()) {
    if (d.key == key) return &d;
  }
  return make_error(ErrorCode::kUnknownSetting, "unknown setting \"" + std::string(key) +
                                                    "\"; `dss settings list` shows every setting");
}

std::string strictness_text(const Declaration& d) {
  switch (d.kind) {
    case Kind::kBool:
      return d.stricter_bool ? "on is stricter" : "off is stricter";
    case Kind::kInteger:
      return d.direction == Direction::kHigherIsStricter ? "higher is stricter"
                                                         : "lower is stricter";
    case Kind::kChoice: {
      std::string out;
      for (auto v : d.allowed) out += (out.empty() ? "" : " is stricter than ") + std::string(v);
      return out;
    }
    case Kind::kSet:
      return "fewer is stricter";
  }
  return "";
}

std::string allowed_text(const Declaration& d) {
  switch (d.kind) {
    case Kind::kBool:
      return "on or off";
    case Kind::kInteger:
      return "a whole number from " + std::to_string(d.min) + " to " + std::to_string(d.max) +
             " (" + std::string(d.unit) + ")";
    case Kind::kChoice:
    case Kind::kSet: {
      std::string out = d.kind == Kind::kChoice ? "one of " : "one or more of ";
      bool first = true;
      for (auto v : d.allowed) {
        out += (first ? "" : ", ") + std::string(v);
        first = false;
      }
      if (d.kind == Kind::kSet) out += ", separated by commas";
      return out;
    }
  }
  return "";
}

Result<Value> parse_value(const Declaration& d, std::string_view text) {
  text = trim(text);
  switch (d.kind) {
    case Kind::kBool:
      if (text == "on" || text == "true" || text == "yes") return Value(true);
      if (text == "off" || text == "false" || text == "no") return Value(false);
      return invalid(d, "\"" + std::string(text) + "\" is not on or off");
    case Kind::kInteger: {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return invalid(d, "\"" + std::string(text) + "\" is not a whole number");
      }
      Value value(v);
      DSS_TRY_STATUS(validate_value(d, value));
      return value;
    }
    case Kind::kChoice: {
      Value value{std::string(text)};
      DSS_TRY_STATUS(validate_value(d, value));
      return value;
    }
    case Kind::kSet: {
      Members members;
      while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = trim(text.substr(0, comma));
        if (!item.empty() && !members.emplace(item).second) {
          return invalid(d, "\"" + std::string(item) + "\" is listed twice");
        }
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
      }
      Value value(std::move(members));
      DSS_TRY_STATUS(validate_value(d, value));
      return value;
    }
  }
  return invalid(d, "unsupported type");
}

Status validate_value(const Declaration& d, const Value& v) {
  switch (d.kind) {
    case Kind::kBool:
      if (!std::holds_alternative<bool>(v)) return invalid(d, "expected on or off");
      return ok();
    case Kind::kInteger: {
      if (!std::holds_alternative<std::int64_t>(v)) return invalid(d, "expected a whole number");
      const std::int64_t n = std::get<std::int64_t>(v);
      if (n < d.min || n > d.max) return invalid(d, std::to_string(n) + " is out of range");
      return ok();
    }
    case Kind::kChoice: {
      if (!std::holds_alternative<std::string>(v)) return invalid(d, "expected a single value");
      const std::string& s = std::get<std::string>(v);
      if (std::find(d.allowed.begin(), d.allowed.end(), s) == d.allowed.end()) {
        return invalid(d, "\"" + s + "\" is not allowed");
      }
      return ok();
    }
    case Kind::kSet: {
      if (!std::holds_alternative<Members>(v)) return invalid(d, "expected a list");
      const Members& m = std::get<Members>(v);
      if (m.empty()) return invalid(d, "the list is empty");
      for (const std::string& s : m) {
        if (std::find(d.allowed.begin(), d.allowed.end(), s) == d.allowed.end()) {
          return invalid(d, "\"" + s + "\" is not allowed");
        }
      }
      return ok();
    }
  }
  return invalid(d, "unsupported type");
}

std::string format_value(const Value& v) {
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "on" : "off";
  if (const std::int64_t* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  std::string out;
  for (const std::string& m : std::get<Members>(v)) out += (out.empty() ? "" : ",") + m;
  return out;
}

std::string value_to_json(const Value& v) {
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const std::int64_t* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  std::string out;
  if (const std::string* s = std::get_if<std::string>(&v)) {
    json::append_quoted(out, *s);
    return out;
  }
  out = "[";
  bool first = true;
  for (const std::string& m : std::get<Members>(v)) {
    if (!first) out += ",";
    json::append_quoted(out, m);
    first = false;
  }
  return out + "]";
}

Comparison compare(const Declaration& d, const Value& a, const Value& b) {
  if (a == b) return Comparison::kSame;
  switch (d.kind) {
    case Kind::kBool:
      return std::get<bool>(a) == d.stricter_bool ? Comparison::kStricter : Comparison::kLooser;
    case Kind::kInteger: {
      const bool higher = std::get<std::int64_t>(a) > std::get<std::int64_t>(b);
      return higher == (d.direction == Direction::kHigherIsStricter) ? Comparison::kStricter
                                                                     : Comparison::kLooser;
    }
    case Kind::kChoice:
      return choice_index(d, std::get<std::string>(a)) < choice_index(d, std::get<std::string>(b))
                 ? Comparison::kStricter
                 : Comparison::kLooser;
    case Kind::kSet: {
      const Members& ma = std::get<Members>(a);
      const Members& mb = std::get<Members>(b);
      if (subset(ma, mb)) return Comparison::kStricter;
      if (subset(mb, ma)) return Comparison::kLooser;
      return Comparison::kUnordered;
    }
  }
  return Comparison::kUnordered;
}

bool loosens(const Declaration& d, const Value& from, const Value& to) {
  const Comparison c = compare(d, to, from);
  return c == Comparison::kLooser || c == Comparison::kUnordered;
}

Value strictest(const Declaration& d, const Value& value, const Value& floor) {
  if (d.kind == Kind::kSet) {
    Members both;
    const Members& a = std::get<Members>(value);
    const Members& b = std::get<Members>(floor);
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::inserter(both, both.end()));
    if (both.empty()) return floor;
    return both;
  }
  return compare(d, floor, value) == Comparison::kStricter ? floor : value;
}

const std::vector<Template>& templates() {
  static const std::vector<Template> table = [] {
    auto t = build_templates();
    for (const Template& tpl : t) {
      for (const auto& [key, value] : tpl.overrides) {
        auto d = find_declaration(key);
        DSS_CHECK(d.has_value());
        DSS_CHECK(validate_value(**d, value).has_value());
      }
    }
    return t;
  }();
  return table;
}

Result<const Template*> find_template(std::string_view name) {
  for (const Template& t : templates()) {
    if (t.name == name) return &t;
  }
  std::string names;
  for (const Template& t : templates()) names += (names.empty() ? "" : ", ") + std::string(t.name);
  return make_error(ErrorCode::kUnknownSetting,
                    "unknown template \"" + std::string(name) + "\"; templates are " + names);
}

Value template_value(const Template& t, const Declaration& d) {
  for (const auto& [key, value] : t.overrides) {
    if (key == d.key) return value;
  }
  return d.secure_default;
}

std::string loosening_guide_markdown() {
  std::string out =
      "# Loosening guide\n\n"
      "Generated from the setting declarations by `dss settings guide`; do not edit by hand "
      "(a test fails when this file is stale).\n\n"
      "Every DSS setting starts at its secure default. Loosening one needs the confirmation "
      "phrase DSS shows you (or `--accept-risk \"<phrase>\"`), is written to the audit log, and "
      "is announced on every DSS screen and response until it is tightened again. "
      "`dss settings explain KEY` says more; `dss settings set KEY <default>` undoes a "
      "loosening.\n\n";
  for (const Declaration& d : declarations()) {
    out += "## `" + std::string(d.key) + "`\n\n";
    out += std::string(d.description) + "\n\n";
    out += "- Secure default: `" + format_value(d.secure_default) + "` (" + strictness_text(d) +
           "; allowed: " + allowed_text(d) + ")\n";
    out += "- What you give up by loosening it: " + std::string(d.risk) + "\n";
    out += "- Who may change it: " + d.may_change.names() +
           (d.policy_may_pin_floor ? "; the provider's policy may pin a floor" : "") + "\n\n";
  }
  return out;
}

}  // namespace dss::settings
