#include "settings/engine.h"

#include "settings/snapshot.h"

namespace dss::settings {

namespace {

Status check_role(const Actor& actor, const Declaration& d) {
  if (d.may_change.contains(actor.role)) return ok();
  return make_error(ErrorCode::kPermissionDenied,
                    std::string(d.key) + ": the role " + std::string(role_name(actor.role)) +
                        " may not change this setting; it may be changed by " +
                        d.may_change.names());
}

std::vector<SettingChange> diff(const SettingsState& before, const SettingsState& after) {
  std::vector<SettingChange> out;
  const std::vector<Effective> a = resolve(before);
  const std::vector<Effective> b = resolve(after);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].value == b[i].value) continue;
    const Declaration& d = *a[i].declaration;
    out.push_back(SettingChange{std::string(d.key), a[i].value, b[i].value,
                                loosens(d, a[i].value, b[i].value)});
  }
  return out;
}

Preview make_preview(std::vector<SettingChange> changes) {
  Preview p;
  p.changes = std::move(changes);
  for (const SettingChange& c : p.changes) {
    if (!c.loosens) continue;
    p.loosens = true;
    const Declaration& d = **find_declaration(c.key);
    p.risks.push_back(c.key + ": " + std::string(d.risk));
  }
  return p;
}

std::string describe_changes(const std::vector<SettingChange>& changes) {
  std::string out;
  for (const SettingChange& c : changes) {
    if (!out.empty()) out += "; ";
    out += c.key + " " + format_value(c.from) + " -> " + format_value(c.to);
  }
  return out;
}

bool audit_fails_closed(const SettingsState& state) {
  return Snapshot(state).get(key::kAuditFailClosed);
}

}  // namespace

std::string loosening_phrase(std::string_view key, const Value& value) {
  return "I accept the risk of loosening " + std::string(key) + " to " + format_value(value);
}

std::string template_phrase(std::string_view name) {
  return "I accept the risk of applying the " + std::string(name) + " template";
}

Result<SettingsEngine::Plan> SettingsEngine::plan_set(const Actor& actor, std::string_view key,
                                                      std::string_view text) {
  DSS_TRY(SettingsState state, store_.load());
  DSS_TRY(const Declaration* d, find_declaration(key));
  DSS_TRY_STATUS(check_role(actor, *d));
  DSS_TRY(Value value, parse_value(*d, text));
  if (state.policy) {
    const auto floor = state.policy->bundle.floors.find(key);
    if (floor != state.policy->bundle.floors.end() && loosens(*d, floor->second, value)) {
      return make_error(ErrorCode::kBelowFloor,
                        std::string(key) + ": " + format_value(value) +
                            " is looser than the floor " + format_value(floor->second) +
                            " pinned by the provider's policy (bundle " +
                            std::to_string(state.policy->bundle.bundle_version) +
                            "); the previous value stays in force");
    }
  }
  Plan plan{state, {}};
  plan.next.local[std::string(key)] = LocalValue{value, actor.id, clock_.now(), {}};
  plan.preview = make_preview(diff(state, plan.next));
  if (plan.preview.loosens) plan.preview.phrase = loosening_phrase(key, value);
  return plan;
}

Result<SettingsEngine::Plan> SettingsEngine::plan_reset(const Actor& actor, std::string_view key) {
  DSS_TRY(SettingsState state, store_.load());
  DSS_TRY(const Declaration* d, find_declaration(key));
  DSS_TRY_STATUS(check_role(actor, *d));
  Plan plan{state, {}};
  if (const auto it = plan.next.local.find(key); it != plan.next.local.end()) {
    plan.next.local.erase(it);
  }
  plan.preview = make_preview(diff(state, plan.next));
  if (plan.preview.loosens) {
    plan.preview.phrase = loosening_phrase(key, plan.preview.changes.front().to);
  }
  return plan;
}

Result<SettingsEngine::Plan> SettingsEngine::plan_template(const Actor& actor,
                                                           std::string_view name) {
  DSS_TRY(SettingsState state, store_.load());
  DSS_TRY(const Template* tpl, find_template(name));
  Plan plan{state, {}};
  plan.next.template_name = std::string(tpl->name);
  plan.next.template_set_by = actor.id;
  plan.next.template_set_at = clock_.now();
  plan.next.local.clear();
  plan.preview = make_preview(diff(state, plan.next));
  for (const SettingChange& c : plan.preview.changes) {
    DSS_TRY_STATUS(check_role(actor, **find_declaration(c.key)));
  }
  for (const auto& [key, lv] : state.local) {
    DSS_TRY_STATUS(check_role(actor, **find_declaration(key)));
  }
  if (plan.preview.loosens) plan.preview.phrase = template_phrase(name);
  return plan;
}

Result<Preview> SettingsEngine::preview_set(const Actor& actor, std::string_view key,
                                            std::string_view value) {
  DSS_TRY(Plan plan, plan_set(actor, key, value));
  return plan.preview;
}

Result<Preview> SettingsEngine::preview_reset(const Actor& actor, std::string_view key) {
  DSS_TRY(Plan plan, plan_reset(actor, key));
  return plan.preview;
}

Result<Preview> SettingsEngine::preview_template(const Actor& actor, std::string_view name) {
  DSS_TRY(Plan plan, plan_template(actor, name));
  return plan.preview;
}

Status SettingsEngine::record_and_save(const SettingsAuditEvent& event, const SettingsState& next) {
  DSS_TRY(SettingsState current, store_.load());
  if (auto r = audit_.record(event); !r) {
    if (audit_fails_closed(current)) {
      return make_error(r.error().code,
                        "nothing was changed: the audit log could not record the change (" +
                            r.error().message + ")");
    }
  }
  if (auto s = store_.save(next); !s) {
    SettingsAuditEvent failed = event;
    failed.outcome = std::string(kOutcomeFailed);
    failed.reason = "could not be stored: " + s.error().message;
    // Best effort: the change did not happen, and the caller is told so either way.
    ignore_error(audit_.record(failed));
    return s;
  }
  return ok();
}

Result<Preview> SettingsEngine::commit(const Actor& actor, Plan plan, const Consent& consent,
                                       std::string_view key, std::string_view action_if_tighter,
                                       std::string_view old_text, std::string_view new_text) {
  SettingsAuditEvent event;
  event.time = clock_.now();
  event.actor = actor.id;
  event.role = std::string(role_name(actor.role));
  event.key = std::string(key);
  event.old_value = std::string(old_text);
  event.new_value = std::string(new_text);
  event.reason = consent.reason;
  if (plan.preview.loosens) {
    event.action = std::string(kActionLoosened);
    if (!consent.phrase || *consent.phrase != plan.preview.phrase) {
      event.action = std::string(kActionRefused);
      event.outcome = std::string(kOutcomeRefused);
      event.reason = "loosening without the confirmation phrase";
      // The refusal stands whether or not it could be recorded.
      ignore_error(audit_.record(event));
      std::string risks;
      for (const std::string& r : plan.preview.risks) risks += "\n  - " + r;
      return make_error(ErrorCode::kAcknowledgementRequired,
                        std::string(key) + ": this change loosens security:" + risks +
                            "\nTo accept the risk, type the phrase when asked, or pass "
                            "--accept-risk \"" +
                            plan.preview.phrase + "\". Nothing was changed.");
    }
    event.acknowledgement = *consent.phrase;
  } else {
    event.action = std::string(action_if_tighter);
  }
  event.outcome = std::string(kOutcomeApplied);
  DSS_TRY_STATUS(record_and_save(event, plan.next));
  return plan.preview;
}

Result<Preview> SettingsEngine::set(const Actor& actor, std::string_view key,
                                    std::string_view value, const Consent& consent) {
  DSS_TRY(Plan plan, plan_set(actor, key, value));
  DSS_TRY(SettingsState current, store_.load());
  DSS_TRY(Effective old, resolve_one(current, key));
  LocalValue& stored = plan.next.local.at(std::string(key));
  stored.reason = consent.reason;
  const std::string new_text = format_value(stored.value);
  return commit(actor, std::move(plan), consent, key, kActionTightened, format_value(old.value),
                new_text);
}

Result<Preview> SettingsEngine::reset(const Actor& actor, std::string_view key,
                                      const Consent& consent) {
  DSS_TRY(Plan plan, plan_reset(actor, key));
  DSS_TRY(SettingsState current, store_.load());
  DSS_TRY(Effective old, resolve_one(current, key));
  DSS_TRY(Effective now, resolve_one(plan.next, key));
  return commit(actor, std::move(plan), consent, key, kActionReset, format_value(old.value),
                format_value(now.value));
}

Result<Preview> SettingsEngine::apply_template(const Actor& actor, std::string_view name,
                                               const Consent& consent) {
  DSS_TRY(SettingsState current, store_.load());
  DSS_TRY(Plan plan, plan_template(actor, name));
  const std::string changes = describe_changes(plan.preview.changes);
  return commit(actor, std::move(plan), consent, name, kActionTemplate,
                "template " + current.template_name,
                "template " + std::string(name) + (changes.empty() ? "" : ": " + changes));
}

Result<PolicyOutcome> SettingsEngine::apply_policy_bundle(std::string_view verified_bytes,
                                                          std::string_view source) {
  DSS_TRY(SettingsState state, store_.load());
  auto refuse = [&](Error e) -> Result<PolicyOutcome> {
    ignore_error(record_policy_refusal(source, e));  // the refusal stands either way
    return tl::unexpected(std::move(e));
  };
  auto bundle = parse_policy_bundle(verified_bytes);
  if (!bundle) return refuse(bundle.error());
  PolicyOutcome outcome;
  outcome.bundle_version = bundle->bundle_version;
  if (state.policy) {
    const PolicyBundle& current = state.policy->bundle;
    if (bundle->bundle_version == current.bundle_version && bundle->floors == current.floors) {
      outcome.kind = PolicyOutcome::Kind::kUnchanged;
      return outcome;
    }
    if (bundle->bundle_version <= current.bundle_version) {
      return refuse(Error{ErrorCode::kBadVersion, "policy bundle version " +
                                                      std::to_string(bundle->bundle_version) +
                                                      " is not newer than the applied version " +
                                                      std::to_string(current.bundle_version) +
                                                      "; the applied policy stays in force"});
    }
  }
  SettingsState next = state;
  next.policy = AppliedPolicy{*bundle, std::string(source), clock_.now()};
  // Local values looser than a new floor are raised to it (a stored value never sits below
  // the floor; see parse_settings). Raising never loosens.
  for (auto& [key, lv] : next.local) {
    const auto floor = bundle->floors.find(key);
    if (floor == bundle->floors.end()) continue;
    const Declaration& d = **find_declaration(key);
    Value raised = strictest(d, lv.value, floor->second);
    if (raised == lv.value) continue;
    lv.value = std::move(raised);
    lv.reason = "raised to the floor of provider policy bundle " +
                std::to_string(bundle->bundle_version) + " (was: " + lv.reason + ")";
  }
  outcome.changes = diff(state, next);
  SettingsAuditEvent event = policy_event(kActionPolicyApplied, source, kOutcomeApplied);
  event.old_value =
      state.policy ? "bundle " + std::to_string(state.policy->bundle.bundle_version) : "no bundle";
  event.new_value =
      "bundle " + std::to_string(bundle->bundle_version) + ": " + serialize_policy_bundle(*bundle);
  event.reason = describe_changes(outcome.changes);
  DSS_TRY_STATUS(record_and_save(event, next));
  return outcome;
}

Status SettingsEngine::record_policy_refusal(std::string_view source, const Error& why) {
  SettingsAuditEvent event = policy_event(kActionPolicyRefused, source, kOutcomeRefused);
  event.reason = why.to_string();
  return audit_.record(event);
}

SettingsAuditEvent SettingsEngine::policy_event(std::string_view action, std::string_view source,
                                                std::string_view outcome) const {
  SettingsAuditEvent event;
  event.time = clock_.now();
  event.actor = "provider-policy";  // the provider's signed bundle, not a person
  event.role = "provider";
  event.action = std::string(action);
  event.key = std::string(source);
  event.outcome = std::string(outcome);
  return event;
}

Result<std::optional<SettingsAuditEvent>> SettingsEngine::emit_due_reminder() {
  DSS_TRY(SettingsState state, store_.load());
  const UnixSeconds now = clock_.now();
  std::optional<SettingsAuditEvent> event = due_reminder(state, now);
  if (!event) return event;
  DSS_TRY_STATUS(audit_.record(*event));
  state.last_reminder = now;
  DSS_TRY_STATUS(store_.save(state));
  return event;
}

}  // namespace dss::settings
