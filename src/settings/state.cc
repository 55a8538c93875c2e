#include "settings/state.h"

#include <set>

#include "core/json.h"

namespace dss::settings {

namespace {

tl::unexpected<Error> malformed(std::string message) {
  return make_error(ErrorCode::kMalformed, std::move(message));
}

tl::unexpected<Error> invalid_type(const Declaration& d, std::string_view expected) {
  return make_error(ErrorCode::kInvalidValue, std::string(d.key) + ": wrong type, expected " +
                                                  std::string(expected) +
                                                  "; allowed: " + allowed_text(d));
}

// Reads a value of the declared type from JSON; the error names the key.
Result<Value> value_from_json(const Declaration& d, json::Element e) {
  const std::string what = std::string(d.key);
  Value v;
  switch (d.kind) {
    case Kind::kBool: {
      auto b = e.get_bool();
      if (b.error()) return invalid_type(d, "on or off (true or false)");
      v = b.value_unsafe();
      break;
    }
    case Kind::kInteger: {
      if (!e.is_int64()) return invalid_type(d, "a whole number");
      v = e.get_int64().value_unsafe();
      break;
    }
    case Kind::kChoice: {
      auto s = e.get_string();
      if (s.error()) return invalid_type(d, "a string");
      v = std::string(s.value_unsafe());
      break;
    }
    case Kind::kSet: {
      auto arr = e.get_array();
      if (arr.error()) return invalid_type(d, "a list of strings");
      Members m;
      for (json::Element item : arr.value_unsafe()) {
        auto s = item.get_string();
        if (s.error()) return invalid_type(d, "a list of strings");
        if (!m.emplace(s.value_unsafe()).second) {
          return make_error(ErrorCode::kInvalidValue,
                            what + ": \"" + std::string(s.value_unsafe()) + "\" is listed twice");
        }
      }
      v = std::move(m);
      break;
    }
  }
  DSS_TRY_STATUS(validate_value(d, v));
  return v;
}

Result<std::string> string_field(json::Object o, std::string_view key, std::string_view where) {
  DSS_TRY(json::Element e, json::field(o, key, where));
  DSS_TRY(std::string_view s, json::get_string(e, std::string(where) + "." + std::string(key)));
  return std::string(s);
}

Result<UnixSeconds> time_field(json::Object o, std::string_view key, std::string_view where) {
  DSS_TRY(std::string s, string_field(o, key, where));
  auto t = parse_utc_timestamp(s);
  if (!t) return malformed(std::string(where) + "." + std::string(key) + ": " + t.error().message);
  return *t;
}

// Rejects members not in `allowed` and duplicate members (the DOM keeps duplicates).
Status only_fields(json::Object o, std::initializer_list<std::string_view> allowed,
                   std::string_view where) {
  std::set<std::string_view> seen;
  for (auto f : o) {
    if (!seen.insert(f.key).second) {
      return malformed(std::string(where) + ": the field \"" + std::string(f.key) +
                       "\" appears twice");
    }
    bool known = false;
    for (auto a : allowed) known = known || a == f.key;
    if (!known) {
      return malformed(std::string(where) + ": unknown field \"" + std::string(f.key) + "\"");
    }
  }
  return ok();
}

Result<PolicyBundle> bundle_from_json(json::Element e) {
  DSS_TRY(json::Object o, json::get_object(e, "policy bundle"));
  DSS_TRY_STATUS(only_fields(o, {"type", "bundle_version", "floors"}, "policy bundle"));
  DSS_TRY(std::string type, string_field(o, "type", "policy bundle"));
  if (type != kPolicyBundleType) {
    return malformed("policy bundle: type is \"" + type + "\", expected \"" +
                     std::string(kPolicyBundleType) + "\"");
  }
  PolicyBundle b;
  DSS_TRY(json::Element ver, json::field(o, "bundle_version", "policy bundle"));
  DSS_TRY(b.bundle_version, json::get_int(ver, "policy bundle.bundle_version"));
  if (b.bundle_version < 1) return malformed("policy bundle: bundle_version must be at least 1");
  DSS_TRY(json::Element floors_e, json::field(o, "floors", "policy bundle"));
  DSS_TRY(json::Object floors, json::get_object(floors_e, "policy bundle.floors"));
  for (auto f : floors) {
    if (find_retired_setting(f.key) != nullptr) continue;  // pins nothing any more
    DSS_TRY(const Declaration* d, find_declaration(f.key));
    if (!d->policy_may_pin_floor) {
      return make_error(ErrorCode::kPermissionDenied,
                        std::string(d->key) +
                            ": the provider's policy may not pin a floor for "
                            "this setting");
    }
    DSS_TRY(Value v, value_from_json(*d, f.value));
    if (!b.floors.emplace(std::string(f.key), std::move(v)).second) {
      return malformed("policy bundle: floor for \"" + std::string(f.key) + "\" appears twice");
    }
  }
  return b;
}

}  // namespace

Result<SettingsState> parse_settings(std::string_view text) {
  SettingsState state;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return state;
  json::JsonParser parser;
  DSS_TRY(json::Element root, parser.parse_copy(text));
  DSS_TRY(json::Object o, json::get_object(root, "settings file"));
  DSS_TRY_STATUS(
      only_fields(o, {"format", "template", "values", "policy", "last_reminder"}, "settings file"));
  DSS_TRY(std::string format, string_field(o, "format", "settings file"));
  if (format != kSettingsFormat) {
    return malformed("settings file: format is \"" + format + "\", expected \"" +
                     std::string(kSettingsFormat) + "\"");
  }

  DSS_TRY(json::Element tpl_e, json::field(o, "template", "settings file"));
  DSS_TRY(json::Object tpl, json::get_object(tpl_e, "settings file.template"));
  DSS_TRY_STATUS(only_fields(tpl, {"name", "set_by", "set_at"}, "template"));
  DSS_TRY(state.template_name, string_field(tpl, "name", "template"));
  DSS_TRY_STATUS(find_template(state.template_name));
  DSS_TRY(state.template_set_by, string_field(tpl, "set_by", "template"));
  DSS_TRY(state.template_set_at, time_field(tpl, "set_at", "template"));

  DSS_TRY(json::Element values_e, json::field(o, "values", "settings file"));
  DSS_TRY(json::Object values, json::get_object(values_e, "settings file.values"));
  for (auto f : values) {
    if (const RetiredSetting* r = find_retired_setting(f.key)) {
      state.retired_warnings.push_back("the settings file holds a value for " +
                                       std::string(r->key) +
                                       ", a setting DSS no longer has; it is ignored and "
                                       "dropped at the next change (" +
                                       std::string(r->why) + ")");
      continue;
    }
    DSS_TRY(const Declaration* d, find_declaration(f.key));
    const std::string where = std::string(d->key);
    DSS_TRY(json::Object entry, json::get_object(f.value, where));
    DSS_TRY_STATUS(only_fields(entry, {"value", "set_by", "set_at", "reason"}, where));
    LocalValue lv;
    DSS_TRY(json::Element ve, json::field(entry, "value", where));
    DSS_TRY(lv.value, value_from_json(*d, ve));
    DSS_TRY(lv.set_by, string_field(entry, "set_by", where));
    DSS_TRY(lv.set_at, time_field(entry, "set_at", where));
    DSS_TRY(lv.reason, string_field(entry, "reason", where));
    if (!state.local.emplace(where, std::move(lv)).second) {
      return malformed("settings file: \"" + where + "\" appears twice");
    }
  }

  if (auto p = o["policy"]; !p.error()) {
    DSS_TRY(json::Object po, json::get_object(p.value_unsafe(), "settings file.policy"));
    DSS_TRY_STATUS(only_fields(po, {"bundle", "source", "applied_at"}, "policy"));
    AppliedPolicy applied;
    DSS_TRY(json::Element be, json::field(po, "bundle", "policy"));
    DSS_TRY(applied.bundle, bundle_from_json(be));
    DSS_TRY(applied.source, string_field(po, "source", "policy"));
    DSS_TRY(applied.applied_at, time_field(po, "applied_at", "policy"));
    state.policy = std::move(applied);
  }
  if (!o["last_reminder"].error()) {
    DSS_TRY(state.last_reminder, time_field(o, "last_reminder", "settings file"));
  }

  // A local value below the policy floor cannot have been stored by DSS: someone edited the
  // file. Refuse it rather than guess which of the two was meant.
  if (state.policy) {
    for (const auto& [key, lv] : state.local) {
      const auto floor = state.policy->bundle.floors.find(key);
      if (floor == state.policy->bundle.floors.end()) continue;
      const Declaration& d = **find_declaration(key);
      if (loosens(d, floor->second, lv.value)) {
        return make_error(ErrorCode::kBelowFloor,
                          key + ": the stored value " + format_value(lv.value) +
                              " is looser than the floor " + format_value(floor->second) +
                              " the provider's policy pins");
      }
    }
  }
  return state;
}

std::string serialize_policy_bundle(const PolicyBundle& bundle) {
  json::ObjectBuilder floors;
  for (const auto& [key, value] : bundle.floors) floors.raw(key, value_to_json(value));
  return json::ObjectBuilder()
      .str("type", kPolicyBundleType)
      .integer("bundle_version", bundle.bundle_version)
      .raw("floors", floors.finish())
      .finish();
}

std::string serialize_settings(const SettingsState& state) {
  json::ObjectBuilder values;
  for (const auto& [key, lv] : state.local) {
    values.raw(key, json::ObjectBuilder()
                        .raw("value", value_to_json(lv.value))
                        .str("set_by", lv.set_by)
                        .str("set_at", format_utc_timestamp(lv.set_at))
                        .str("reason", lv.reason)
                        .finish());
  }
  json::ObjectBuilder root;
  root.str("format", kSettingsFormat)
      .raw("template", json::ObjectBuilder()
                           .str("name", state.template_name)
                           .str("set_by", state.template_set_by)
                           .str("set_at", format_utc_timestamp(state.template_set_at))
                           .finish())
      .raw("values", values.finish())
      .str("last_reminder", format_utc_timestamp(state.last_reminder));
  if (state.policy) {
    root.raw("policy", json::ObjectBuilder()
                           .raw("bundle", serialize_policy_bundle(state.policy->bundle))
                           .str("source", state.policy->source)
                           .str("applied_at", format_utc_timestamp(state.policy->applied_at))
                           .finish());
  }
  // Reasons and actor ids are free text: escape control characters so the file is standard
  // JSON that parses back to the same state.
  return json::escape_control_characters(root.finish()) + "\n";
}

Result<PolicyBundle> parse_policy_bundle(std::string_view bytes) {
  json::JsonParser parser;
  DSS_TRY(json::Element root, parser.parse_copy(bytes));
  return bundle_from_json(root);
}

std::string_view source_name(Source s) {
  switch (s) {
    case Source::kDefault:
      return "default";
    case Source::kTemplate:
      return "template";
    case Source::kLocal:
      return "local";
    case Source::kPolicyFloor:
      return "policy floor";
  }
  return "unknown";
}

std::vector<Effective> resolve(const SettingsState& state) {
  auto tpl_r = find_template(state.template_name);
  DSS_CHECK(tpl_r.has_value());
  const Template& tpl = **tpl_r;
  std::vector<Effective> out;
  out.reserve(declarations().size());
  for (const Declaration& d : declarations()) {
    Effective e;
    e.declaration = &d;
    e.template_value = template_value(tpl, d);
    e.value = e.template_value;
    if (!(e.template_value == d.secure_default)) {
      e.source = Source::kTemplate;
      e.set_by = state.template_set_by;
      e.set_at = state.template_set_at;
      e.reason = "template " + state.template_name;
    }
    if (const auto it = state.local.find(d.key); it != state.local.end()) {
      e.value = it->second.value;
      e.source = Source::kLocal;
      e.set_by = it->second.set_by;
      e.set_at = it->second.set_at;
      e.reason = it->second.reason;
    }
    if (state.policy) {
      const auto f = state.policy->bundle.floors.find(d.key);
      if (f != state.policy->bundle.floors.end()) {
        e.floor = f->second;
        Value raised = strictest(d, e.value, f->second);
        if (!(raised == e.value)) {
          e.value = std::move(raised);
          e.source = Source::kPolicyFloor;
          e.set_by =
              "provider policy bundle " + std::to_string(state.policy->bundle.bundle_version);
          e.set_at = state.policy->applied_at;
          e.reason = "floor pinned by the provider (" + state.policy->source + ")";
        }
      }
    }
    e.loosened = loosens(d, d.secure_default, e.value);
    out.push_back(std::move(e));
  }
  return out;
}

Result<Effective> resolve_one(const SettingsState& state, std::string_view key) {
  DSS_TRY(const Declaration* d, find_declaration(key));
  for (Effective& e : resolve(state)) {
    // cppcheck-suppress returnStdMoveLocal ; e is a reference into a temporary, not a local
    if (e.declaration == d) return std::move(e);
  }
  DSS_CHECK(false);
  return make_error(ErrorCode::kInternal, "unreachable");
}

}  // namespace dss::settings
