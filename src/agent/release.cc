#include "agent/release.h"

#include <nlohmann/json.hpp>
#include <set>

namespace dss::agent {

using nlohmann::json;

namespace {

tl::unexpected<Error> bad(std::string_view target, std::string_view what) {
  return make_error(ErrorCode::kMalformed, "release " + std::string(target) + ": custom.dss " +
                                               std::string(what) + "; the release is ignored");
}

Status only_keys(const json& j, std::string_view target, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
  if (!j.is_object()) return bad(target, std::string(where) + " is not an object");
  for (const auto& [k, v] : j.items()) {
    bool found = false;
    for (auto a : allowed) found = found || k == a;
    if (!found) return bad(target, std::string(where) + " has an unknown key \"" + k + "\"");
  }
  return ok();
}

Result<std::int64_t> integer(const json& j, std::string_view target, const char* key,
                             std::int64_t lo, std::int64_t hi) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    return bad(target, std::string(key) + " must be an integer");
  const auto v = it->get<std::int64_t>();
  if (v < lo || v > hi) {
    return bad(target, std::string(key) + " must be between " + std::to_string(lo) + " and " +
                           std::to_string(hi));
  }
  return v;
}

Result<std::vector<std::string>> command(const json& j, std::string_view target) {
  const auto it = j.find("command");
  if (it == j.end() || !it->is_array() || it->empty() || it->size() > 64) {
    return bad(target, "command must be a list of 1 to 64 strings");
  }
  std::vector<std::string> argv;
  for (const auto& a : *it) {
    if (!a.is_string()) return bad(target, "command must be a list of strings");
    const auto& s = a.get_ref<const std::string&>();
    if (s.empty() || s.size() > 4096 || s.find('\0') != std::string::npos) {
      return bad(target, "command has an empty, too long or invalid argument");
    }
    argv.push_back(s);
  }
  if (argv[0].find("..") != std::string::npos && argv[0].front() != '/') {
    return bad(target, "command must name a program inside the release or an absolute path");
  }
  return argv;
}

Result<CommandSpec> hook(const json& j, std::string_view target, std::string_view where) {
  DSS_TRY_STATUS(only_keys(j, target, where, {"command", "timeout_s"}));
  CommandSpec c;
  DSS_TRY(c.argv, command(j, target));
  if (j.contains("timeout_s")) {
    DSS_TRY(c.timeout_s, integer(j, target, "timeout_s", 1, 3600));
  }
  return c;
}

}  // namespace

Result<Release> parse_release(std::string_view target_path, std::string_view custom_json) {
  if (custom_json.empty()) return bad(target_path, "is missing");
  const json root = json::parse(custom_json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return bad(target_path, "is not JSON");
  const auto d = root.find("dss");
  if (d == root.end()) return bad(target_path, "is missing");
  DSS_TRY_STATUS(only_keys(
      *d, target_path, "",
      {"version", "size", "entries", "hooks", "health", "allow_downgrade", "published", "sbom"}));
  Release r;
  r.target_path = std::string(target_path);
  const auto v = d->find("version");
  if (v == d->end() || !v->is_string()) return bad(target_path, "version must be a string");
  auto version = Version::parse(v->get_ref<const std::string&>());
  if (!version) return bad(target_path, version.error().message);
  r.version = std::move(*version);
  DSS_TRY(std::int64_t size,
          integer(*d, target_path, "size", 0, static_cast<std::int64_t>(kMaxReleaseBytes)));
  DSS_TRY(std::int64_t entries,
          integer(*d, target_path, "entries", 1, static_cast<std::int64_t>(kMaxReleaseEntries)));
  r.size = static_cast<std::uint64_t>(size);
  r.entries = static_cast<std::uint64_t>(entries);
  if (const auto h = d->find("hooks"); h != d->end()) {
    DSS_TRY_STATUS(only_keys(*h, target_path, "hooks", {"pre_install", "post_install"}));
    if (h->contains("pre_install")) {
      DSS_TRY(r.pre_install, hook(h->at("pre_install"), target_path, "hooks.pre_install"));
    }
    if (h->contains("post_install")) {
      DSS_TRY(r.post_install, hook(h->at("post_install"), target_path, "hooks.post_install"));
    }
  }
  if (const auto h = d->find("health"); h != d->end()) {
    DSS_TRY_STATUS(only_keys(*h, target_path, "health", {"command", "tries", "within_s"}));
    HealthSpec spec;
    DSS_TRY(spec.argv, command(*h, target_path));
    if (h->contains("tries")) {
      DSS_TRY(std::int64_t tries, integer(*h, target_path, "tries", 1, 20));
      spec.tries = static_cast<int>(tries);
    }
    if (h->contains("within_s")) {
      DSS_TRY(spec.within_s, integer(*h, target_path, "within_s", 1, 3600));
    }
    r.health = std::move(spec);
  }
  if (const auto p = d->find("published"); p != d->end()) {
    if (!p->is_number_integer() || p->get<std::int64_t>() < 0) {
      return bad(target_path, "published must be Unix seconds");
    }
    r.published = p->get<std::int64_t>();
  }
  if (const auto a = d->find("allow_downgrade"); a != d->end()) {
    if (!a->is_boolean()) return bad(target_path, "allow_downgrade must be true or false");
    r.allow_downgrade = a->get<bool>();
  }
  return r;
}

}  // namespace dss::agent
