#include "cli/settings_commands.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "platform/files.h"
#include "platform/system_clock.h"
#include "server/https.h"
#include "settings/chime.h"
#include "settings/domain.h"
#include "settings/engine.h"
#include "settings/system.h"

namespace dss::cli {

namespace fs = std::filesystem;
using namespace dss::settings;

struct SettingsCommands::State {
  const std::string* state_dir = nullptr;
  CLI::App* settings = nullptr;
  CLI::App* doctor = nullptr;
  CLI::App* list = nullptr;
  CLI::App* explain = nullptr;
  CLI::App* set = nullptr;
  CLI::App* reset = nullptr;
  CLI::App* templates = nullptr;
  CLI::App* apply_template = nullptr;
  CLI::App* guide = nullptr;

  std::string key, value, name, reason, output, key_dir;
  std::optional<std::string> accept_risk;
};

namespace {

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string when(UnixSeconds t) { return t == 0 ? "-" : format_utc_timestamp(t); }

// The local actor: whoever runs `dss` with write access to the state directory controls it,
// so the CLI acts as owner. The id names the OS account (never a secret).
Actor local_actor() {
  std::string name = std::to_string(::geteuid());
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    name = pw->pw_name;
  }
  return Actor{"local:" + name, Role::kOwner};
}

int fail(const Error& e) {
  std::cerr << "dss settings: " << e.to_string() << "\n";
  return 1;
}

void add_consent_options(CLI::App* app, SettingsCommands::State& s) {
  app->add_option("--reason", s.reason, "Why you make this change; written to the audit log");
  app->add_option("--accept-risk", s.accept_risk,
                  "For a change that loosens security when no terminal is attached: the exact "
                  "confirmation phrase DSS shows (run once without it to see the phrase)");
}

// Adds the acknowledgement to `consent`: the --accept-risk phrase, or the phrase typed at
// the terminal after the risks are shown. Without either, the engine refuses the change.
void acknowledge(const Result<Preview>& preview, const SettingsCommands::State& s,
                 Consent& consent) {
  consent.reason = s.reason;
  if (s.accept_risk) {
    consent.phrase = *s.accept_risk;
    return;
  }
  if (!preview || !preview->loosens || ::isatty(STDIN_FILENO) == 0) return;
  std::cerr << "This change loosens security:\n";
  for (const std::string& r : preview->risks) std::cerr << "  - " << r << "\n";
  std::cerr << "It will be written to the audit log and announced on every DSS screen until "
               "it is undone.\nTo go ahead, type exactly:\n  "
            << preview->phrase << "\n> " << std::flush;
  std::string line;
  std::getline(std::cin, line);
  consent.phrase = line;
}

void print_changes(const Preview& p) {
  if (p.changes.empty()) {
    std::cout << "no effective value changed\n";
    return;
  }
  for (const SettingChange& c : p.changes) {
    std::cout << c.key << ": " << format_value(c.from) << " -> " << format_value(c.to)
              << (c.loosens ? "  (LOOSENED)" : "") << "\n";
  }
}

int list(const SettingsState& state) {
  std::cout << "Template: " << state.template_name;
  if (!state.template_set_by.empty()) {
    std::cout << " (chosen by " << state.template_set_by << " at " << when(state.template_set_at)
              << ")";
  }
  std::cout << "\nProvider policy: ";
  if (state.policy) {
    std::cout << "bundle " << state.policy->bundle.bundle_version << " from "
              << state.policy->source << ", applied " << when(state.policy->applied_at) << "\n";
  } else {
    std::cout << "none applied\n";
  }
  std::cout << "\n" << pad("SETTING", 38) << pad("VALUE", 26) << pad("FROM", 14) << "NOTES\n";
  std::size_t departures = 0;
  for (const Effective& e : resolve(state)) {
    std::string notes;
    if (!(e.value == e.template_value)) {
      ++departures;
      notes += "departs from template " + state.template_name + " (" +
               format_value(e.template_value) + ")";
    }
    if (e.floor)
      notes += std::string(notes.empty() ? "" : "; ") + "floor " + format_value(*e.floor);
    if (e.loosened) notes += std::string(notes.empty() ? "" : "; ") + "LOOSENED";
    std::cout << pad(std::string(e.declaration->key), 38) << pad(format_value(e.value), 26)
              << pad(std::string(source_name(e.source)), 14) << notes << "\n";
  }
  std::cout << "\n"
            << departures << " setting" << (departures == 1 ? "" : "s")
            << " depart from the template " << state.template_name
            << ". `dss settings explain KEY` says more about each.\n";
  return 0;
}

int explain(const SettingsState& state, const std::string& key) {
  auto e = resolve_one(state, key);
  if (!e) return fail(e.error());
  const Declaration& d = *e->declaration;
  std::cout << d.key << "\n\n"
            << d.description << "\n\n"
            << "Risk if loosened: " << d.risk << "\n\n"
            << "Allowed:          " << allowed_text(d) << " (" << strictness_text(d) << ")\n"
            << "Secure default:   " << format_value(d.secure_default) << "\n"
            << "Template " << pad(state.template_name + ":", 8) << " "
            << format_value(e->template_value) << "\n"
            << "Current value:    " << format_value(e->value) << (e->loosened ? "  (LOOSENED)" : "")
            << "\n"
            << "Set by:           ";
  if (e->source == Source::kDefault) {
    std::cout << "nobody (the declared default)\n";
  } else {
    std::cout << e->set_by << " at " << when(e->set_at) << " (" << source_name(e->source)
              << (e->reason.empty() ? "" : "; reason: " + e->reason) << ")\n";
  }
  std::cout << "Policy floor:     "
            << (e->floor
                    ? format_value(*e->floor) + " (pinned by the provider's policy)"
                    : std::string(d.policy_may_pin_floor ? "none pinned"
                                                         : "none (the policy may not pin one)"))
            << "\n"
            << "May be changed by: " << d.may_change.names() << "\n";
  return 0;
}

int templates_command(const SettingsState& state) {
  for (const Template& t : templates()) {
    std::cout << t.name << (t.name == state.template_name ? "  (chosen)" : "") << "\n  "
              << t.description << "\n";
    for (const auto& [key, value] : t.overrides) {
      std::cout << "    " << key << " = " << format_value(value) << "\n";
    }
  }
  return 0;
}

}  // namespace

std::string default_state_dir() {
  if (const char* v = std::getenv("DSS_STATE_DIR"); v != nullptr && *v != '\0') return v;
  if (const char* v = std::getenv("XDG_STATE_HOME"); v != nullptr && *v != '\0') {
    return (fs::path(v) / "dss").string();
  }
  if (const char* v = std::getenv("HOME"); v != nullptr && *v != '\0') {
    return (fs::path(v) / ".local" / "state" / "dss").string();
  }
  return "/var/lib/dss";
}

void print_settings_chime(const std::string& state_dir) {
  FileSettingsStore store(state_dir);
  auto state = store.load();
  if (!state) {
    std::cerr << "dss: WARNING: the settings cannot be read, so DSS cannot tell whether security "
                 "settings are loosened: "
              << state.error().to_string() << "\n";
    return;
  }
  for (const std::string& line : chime_lines(*state)) std::cerr << "dss: " << line << "\n";
  platform::SystemClock clock;
  AuditLogSink audit(state_dir, clock, audit_fail_closed(*state));
  SettingsEngine engine(store, audit, clock);
  if (auto r = engine.emit_due_reminder(); !r) {
    std::cerr << "dss: WARNING: the periodic reminder could not be recorded in the audit log: "
              << r.error().to_string() << "\n";
  }
}

SettingsCommands::SettingsCommands(CLI::App& settings, CLI::App& doctor,
                                   const std::string& state_dir)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.state_dir = &state_dir;
  s.settings = &settings;
  s.doctor = &doctor;
  settings.require_subcommand(1);
  settings.fallthrough();
  doctor.fallthrough();

  s.list = settings.add_subcommand("list",
                                   "Show every setting's current value, where it comes "
                                   "from, and where it departs from the chosen template");
  s.explain = settings.add_subcommand("explain",
                                      "Explain one setting: what it does, what "
                                      "loosening it risks, its default, current value, "
                                      "who set it and when, and any policy floor");
  s.explain->add_option("KEY", s.key, "The setting, e.g. tls.min_version")->required();
  s.set = settings.add_subcommand("set",
                                  "Change a setting. Loosening needs the confirmation "
                                  "phrase DSS shows; every change is audited");
  s.set->add_option("KEY", s.key, "The setting, e.g. tls.min_version")->required();
  s.set
      ->add_option("VALUE", s.value,
                   "The new value: on/off, a number, a name, or a comma-separated list")
      ->required();
  add_consent_options(s.set, s);
  s.reset = settings.add_subcommand("reset",
                                    "Remove your local choice for a setting, so the "
                                    "template's value applies again");
  s.reset->add_option("KEY", s.key, "The setting")->required();
  add_consent_options(s.reset, s);
  s.templates = settings.add_subcommand("templates",
                                        "List the templates (strict is the default; "
                                        "compatible suits older environments)");
  s.apply_template = settings.add_subcommand("apply-template",
                                             "Choose a template; this removes every local choice");
  s.apply_template->add_option("NAME", s.name, "strict or compatible")->required();
  add_consent_options(s.apply_template, s);
  s.guide = settings.add_subcommand("guide",
                                    "Print the loosening guide (docs/loosening-guide.md) "
                                    "generated from the setting declarations");
  s.guide->add_option("--output", s.output, "Write it to this file instead of printing it");
  for (CLI::App* sub :
       {s.list, s.explain, s.set, s.reset, s.templates, s.apply_template, s.guide}) {
    sub->fallthrough();
  }

  doctor.add_option("--keys", s.key_dir,
                    "Folder holding signing keys, checked for private permissions (optional)");
}

SettingsCommands::~SettingsCommands() = default;

bool SettingsCommands::parsed() const { return s_->settings->parsed() || s_->doctor->parsed(); }

int SettingsCommands::run() {
  State& s = *s_;
  platform::SystemClock clock;
  FileSettingsStore store(*s.state_dir);
  auto current = store.load();
  AuditLogSink audit(*s.state_dir, clock, current ? audit_fail_closed(*current) : true);
  SettingsEngine engine(store, audit, clock);
  const Actor actor = local_actor();
  try {
    if (s.guide->parsed()) {
      const std::string text = loosening_guide_markdown();
      if (s.output.empty()) {
        std::cout << text;
        return 0;
      }
      if (auto w = platform::write_file_atomic(s.output, text, platform::FileMode::kPublic); !w) {
        return fail(w.error());
      }
      return 0;
    }
    auto state = store.load();
    if (!state) return fail(state.error());
    for (const std::string& w : state->retired_warnings) std::cerr << "WARNING: " << w << "\n";
    if (s.doctor->parsed()) {
      RealSystemProbe probe;
      const DomainPaths paths{*s.state_dir, s.key_dir};
      bool failed = false;
      for (const CheckResult& r : check_domain(probe, *state, paths)) {
        std::cout << format_check(r) << "\n";
        failed = failed || r.status == CheckStatus::kFail;
      }
      // The server's certificate (ADR 0036): a warning from 14 days before it expires.
      if (auto cert = server::read_certificate_info(std::filesystem::path(*s.state_dir) / "tls" /
                                                    "cert.pem")) {
        const std::string warning =
            server::certificate_warning(cert->not_after_s, std::time(nullptr));
        if (!warning.empty()) std::cout << "WARN     tls.certificate: " << warning << "\n";
      }
      std::cout << (failed ? "\nSome requirements are not met: `dss server` and `dss agent` "
                             "will refuse to start until each FAIL above is fixed.\n"
                           : "\nEvery hard requirement is met.\n");
      return failed ? 1 : 0;
    }
    if (s.list->parsed()) return list(*state);
    if (s.explain->parsed()) return explain(*state, s.key);
    if (s.templates->parsed()) return templates_command(*state);
    Consent consent;
    Result<Preview> done = make_error(ErrorCode::kInternal, "no command");
    if (s.set->parsed()) {
      acknowledge(engine.preview_set(actor, s.key, s.value), s, consent);
      done = engine.set(actor, s.key, s.value, consent);
    } else if (s.reset->parsed()) {
      acknowledge(engine.preview_reset(actor, s.key), s, consent);
      done = engine.reset(actor, s.key, consent);
    } else if (s.apply_template->parsed()) {
      acknowledge(engine.preview_template(actor, s.name), s, consent);
      done = engine.apply_template(actor, s.name, consent);
    }
    if (!done) return fail(done.error());
    print_changes(*done);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dss settings: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace dss::cli
