#include "advisory/advisory.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

#include "core/json.h"

namespace dss::advisory {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxDepth = 32;
constexpr std::size_t kMaxString = 64u << 10;

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return std::string();
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& member(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it != j.end() ? *it : kNull;
}

Result<json> parse_json(std::string_view document, std::string_view what) {
  if (document.size() > kMaxAdvisoryBytes) {
    return make_error(
        ErrorCode::kAdvisoryInvalid,
        std::string(what) + " is larger than " + std::to_string(kMaxAdvisoryBytes >> 20) + " MiB");
  }
  DSS_TRY_STATUS(dss::json::check_shape(document, kMaxDepth, kMaxString, what));
  json doc = json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(ErrorCode::kMalformed, std::string(what) + " is not a JSON object");
  }
  return doc;
}

// CVSS vectors: "CVSS:3.0/..." or "CVSS:3.1/..." or "CVSS:4.0/...", every base metric present
// once with an allowed value. Other (temporal, environmental, supplemental) metrics may follow.
using Metrics = std::map<std::string, std::string, std::less<>>;

std::optional<Metrics> vector_metrics(std::string_view vector, std::string& version) {
  const auto slash = vector.find('/');
  if (vector.rfind("CVSS:", 0) != 0 || slash == std::string_view::npos) return std::nullopt;
  version = std::string(vector.substr(5, slash - 5));
  Metrics m;
  std::string_view rest = vector.substr(slash + 1);
  while (!rest.empty()) {
    const auto next = rest.find('/');
    const std::string_view item = rest.substr(0, next);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == item.size())
      return std::nullopt;
    if (!m.emplace(std::string(item.substr(0, colon)), std::string(item.substr(colon + 1)))
             .second) {
      return std::nullopt;  // a metric twice
    }
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  return m;
}

using BaseMetric = std::pair<const char*, std::string_view>;  // name, allowed one-letter values

bool has_base(const Metrics& m, std::span<const BaseMetric> base) {
  return std::all_of(base.begin(), base.end(), [&](const auto& b) {
    const auto it = m.find(b.first);
    return it != m.end() && it->second.size() == 1 &&
           b.second.find(it->second[0]) != std::string_view::npos;
  });
}

// clang-format off
constexpr std::array<BaseMetric, 8> kBase3 = {{
    {"AV", "NALP"}, {"AC", "LH"}, {"PR", "NLH"}, {"UI", "NR"},
    {"S", "UC"},    {"C", "HLN"}, {"I", "HLN"},  {"A", "HLN"}}};
constexpr std::array<BaseMetric, 11> kBase4 = {{
    {"AV", "NALP"}, {"AC", "LH"},  {"AT", "NP"},  {"PR", "NLH"}, {"UI", "NPA"}, {"VC", "HLN"},
    {"VI", "HLN"},  {"VA", "HLN"}, {"SC", "HLN"}, {"SI", "HLN"}, {"SA", "HLN"}}};
// clang-format on

bool valid_vector(std::string_view vector) {
  std::string version;
  const auto m = vector_metrics(vector, version);
  if (!m) return false;
  if (version == "3.0" || version == "3.1") return has_base(*m, kBase3);
  if (version == "4.0") return has_base(*m, kBase4);
  return false;
}

std::string rating(double score) {
  if (score == 0.0) return "none";
  if (score < 4.0) return "low";
  if (score < 7.0) return "medium";
  if (score < 9.0) return "high";
  return "critical";
}

bool valid_cwe(const std::string& id) {
  if (id.size() < 5 || id.size() > 12 || id.rfind("CWE-", 0) != 0) return false;
  return std::all_of(id.begin() + 4, id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The checks every advisory must pass, whatever its source; every failure is listed.
Status require_complete(Advisory& a, std::vector<std::string>& missing,
                        std::string_view where_affected, std::string_view where_cvss,
                        std::string_view where_cwe, const std::string& declared_severity) {
  if (a.id.empty()) missing.emplace_back("id: missing");
  if (a.affected.empty()) {
    missing.push_back(std::string(where_affected) + ": no affected package with a version range");
  }
  for (std::size_t i = 0; i < a.affected.size(); ++i) {
    const auto& af = a.affected[i];
    const std::string here = std::string(where_affected) + "[" + std::to_string(i) + "]";
    if (af.package.empty()) missing.push_back(here + ": no package name");
    if (af.ranges.empty()) missing.push_back(here + ": no affected version range");
    for (const auto& r : af.ranges) {
      if (r.fixed.empty()) {
        missing.push_back(here + ": a range has no fixed version");
        continue;
      }
      const auto intro = Version::parse(r.introduced);
      const auto fixed = Version::parse(r.fixed);
      if (!intro) missing.push_back(here + ": introduced " + intro.error().message);
      if (!fixed) missing.push_back(here + ": fixed " + fixed.error().message);
      if (intro && fixed && !(*intro < *fixed)) {
        missing.push_back(here + ": the range " + r.introduced + " to " + r.fixed + " is empty");
      }
    }
  }
  if (a.cvss_vector.empty()) {
    missing.push_back(std::string(where_cvss) + ": no severity with a CVSS v3.x or v4.0 vector");
  } else if (!valid_vector(a.cvss_vector)) {
    missing.push_back(std::string(where_cvss) + ": \"" + a.cvss_vector.substr(0, 80) +
                      "\" is not a complete CVSS v3.x or v4.0 vector");
  } else {
    a.cvss_score = cvss3_base_score(a.cvss_vector);
    if (a.cvss_score) {
      a.severity = rating(*a.cvss_score);
    } else {
      std::string s = declared_severity;
      std::transform(s.begin(), s.end(), s.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (s == "moderate") s = "medium";
      a.severity = s == "critical" || s == "high" || s == "medium" || s == "low" ? s : "unrated";
    }
  }
  if (a.cwes.empty())
    missing.push_back(std::string(where_cwe) + ": no CWE id (the root cause, e.g. CWE-79)");
  for (const auto& c : a.cwes) {
    if (!valid_cwe(c))
      missing.push_back(std::string(where_cwe) + ": \"" + c.substr(0, 40) +
                        "\" is not a CWE id like CWE-79");
  }
  if (missing.empty()) return ok();
  std::string msg = "the advisory " + (a.id.empty() ? std::string() : a.id + " ") +
                    "is refused; it lacks what agents and the fleet view need:";
  for (const auto& m : missing) msg += "\n  - " + m;
  return make_error(ErrorCode::kAdvisoryInvalid, msg);
}

std::vector<std::string> string_list(const json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// --- CSAF 2.0 -------------------------------------------------------------------------------

struct CsafProduct {
  std::string package;
  std::string version;        // product_version
  std::string version_range;  // product_version_range ("vers:generic/>=1.0|<1.2.4")
};

// NOLINTNEXTLINE(misc-no-recursion): depth is bounded by check_shape (kMaxDepth) in parse_json
void walk_branches(const json& branches, const CsafProduct& path,
                   std::map<std::string, CsafProduct>& out) {
  if (!branches.is_array()) return;
  for (const auto& b : branches) {
    CsafProduct here = path;
    const std::string category = str(b, "category");
    const std::string name = str(b, "name");
    if (category == "product_name") here.package = name;
    if (category == "product_version") here.version = name;
    if (category == "product_version_range") here.version_range = name;
    const json& product = member(b, "product");
    if (const std::string id = str(product, "product_id"); !id.empty()) out[id] = here;
    walk_branches(member(b, "branches"), here, out);
  }
}

// "vers:<scheme>/>=1.0.0|<1.2.4" (or "<1.2.4"): the range [introduced, fixed).
std::optional<Range> vers_range(const std::string& vers) {
  const auto slash = vers.find('/');
  if (vers.rfind("vers:", 0) != 0 || slash == std::string::npos) return std::nullopt;
  Range r;
  std::string_view rest = std::string_view(vers).substr(slash + 1);
  while (!rest.empty()) {
    const auto bar = rest.find('|');
    const std::string_view c = rest.substr(0, bar);
    if (c.rfind(">=", 0) == 0) {
      r.introduced = std::string(c.substr(2));
    } else if (c.rfind("<", 0) == 0 && c.rfind("<=", 0) != 0) {
      r.fixed = std::string(c.substr(1));
    } else {
      return std::nullopt;  // other constraints do not map to [introduced, fixed)
    }
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  return r;
}

}  // namespace

std::optional<double> cvss3_base_score(std::string_view vector) {
  std::string version;
  const auto m = vector_metrics(vector, version);
  if (!m || (version != "3.0" && version != "3.1") || !has_base(*m, kBase3)) return std::nullopt;
  const auto v = [&](const char* k) { return m->at(k)[0]; };
  const bool changed = v("S") == 'C';
  const auto cia = [](char c) { return c == 'H' ? 0.56 : c == 'L' ? 0.22 : 0.0; };
  const double av = v("AV") == 'N' ? 0.85 : v("AV") == 'A' ? 0.62 : v("AV") == 'L' ? 0.55 : 0.2;
  const double ac = v("AC") == 'L' ? 0.77 : 0.44;
  const double pr = v("PR") == 'N'   ? 0.85
                    : v("PR") == 'L' ? (changed ? 0.68 : 0.62)
                                     : (changed ? 0.5 : 0.27);
  const double ui = v("UI") == 'N' ? 0.85 : 0.62;
  const double iss = 1 - (1 - cia(v("C"))) * (1 - cia(v("I"))) * (1 - cia(v("A")));
  const double impact =
      changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0.0;
  const double raw =
      std::min(changed ? 1.08 * (impact + exploitability) : impact + exploitability, 10.0);
  // CVSS 3.1 Roundup: the smallest one-decimal number >= raw, free of float noise.
  const auto scaled = static_cast<long long>(std::llround(raw * 100000));
  if (scaled % 10000 == 0) return static_cast<double>(scaled) / 100000.0;
  const long long tenths = scaled / 10000 + 1;  // integer division: the rounding up itself
  return static_cast<double>(tenths) / 10.0;
}

Result<Advisory> parse_osv(std::string_view document) {
  DSS_TRY(const json doc, parse_json(document, "the OSV advisory"));
  Advisory a;
  a.id = str(doc, "id");
  a.aliases = string_list(member(doc, "aliases"));
  a.summary = str(doc, "summary");
  a.details = str(doc, "details");
  a.published = str(doc, "published");
  a.modified = str(doc, "modified");
  std::vector<std::string> missing;
  const json& affected = member(doc, "affected");
  if (affected.is_array()) {
    for (std::size_t i = 0; i < affected.size(); ++i) {
      Affected af;
      af.package = str(member(affected[i], "package"), "name");
      const json& ranges = member(affected[i], "ranges");
      for (std::size_t k = 0; ranges.is_array() && k < ranges.size(); ++k) {
        const std::string type = str(ranges[k], "type");
        if (type != "ECOSYSTEM" && type != "SEMVER") {
          missing.push_back("affected[" + std::to_string(i) + "].ranges[" + std::to_string(k) +
                            "]: type \"" + type +
                            "\" has no version order; use ECOSYSTEM or SEMVER");
          continue;
        }
        // Events in order: each "introduced" opens a range, the next "fixed" closes it.
        std::optional<Range> open;
        const json& events = member(ranges[k], "events");
        for (std::size_t e = 0; events.is_array() && e < events.size(); ++e) {
          if (const std::string in = str(events[e], "introduced"); !in.empty()) {
            if (open) af.ranges.push_back(*open);  // still open: reported as missing its fix
            open = Range{in, ""};
          } else if (const std::string fx = str(events[e], "fixed"); !fx.empty()) {
            if (!open) open = Range{};
            open->fixed = fx;
            af.ranges.push_back(*open);
            open.reset();
          } else if (!str(events[e], "last_affected").empty() || !str(events[e], "limit").empty()) {
            if (open) {
              af.ranges.push_back(*open);  // no fixed version: reported below
              open.reset();
            }
          }
        }
        if (open) af.ranges.push_back(*open);
      }
      a.affected.push_back(std::move(af));
    }
  }
  const json& severity = member(doc, "severity");
  for (std::size_t i = 0; severity.is_array() && i < severity.size(); ++i) {
    const std::string type = str(severity[i], "type");
    if ((type == "CVSS_V3" || type == "CVSS_V4") && a.cvss_vector.empty())
      a.cvss_vector = str(severity[i], "score");
  }
  const json& db = member(doc, "database_specific");
  a.cwes = string_list(member(db, "cwe_ids"));
  DSS_TRY_STATUS(require_complete(a, missing, "affected", "severity", "database_specific.cwe_ids",
                                  str(db, "severity")));
  return a;
}

Result<Advisory> import_csaf(std::string_view document) {
  DSS_TRY(const json doc, parse_json(document, "the CSAF advisory"));
  const json& d = member(doc, "document");
  if (str(d, "csaf_version") != "2.0") {
    return make_error(
        ErrorCode::kAdvisoryInvalid,
        "document.csaf_version is not \"2.0\"; import CSAF 2.0 JSON or give OSV JSON");
  }
  Advisory a;
  const json& tracking = member(d, "tracking");
  a.id = str(tracking, "id");
  a.summary = str(d, "title");
  a.published = str(tracking, "initial_release_date");
  a.modified = str(tracking, "current_release_date");
  std::map<std::string, CsafProduct> products;
  walk_branches(member(member(doc, "product_tree"), "branches"), CsafProduct{}, products);

  std::map<std::string, std::vector<std::string>> affected_versions;  // package -> versions
  std::map<std::string, std::vector<Range>> ranges;                   // package -> vers ranges
  std::map<std::string, std::string> fixed;                           // package -> lowest fix
  std::set<std::string> cwes;
  std::vector<std::string> missing;
  const json& vulns = member(doc, "vulnerabilities");
  for (std::size_t i = 0; vulns.is_array() && i < vulns.size(); ++i) {
    const json& v = vulns[i];
    if (const std::string cve = str(v, "cve"); !cve.empty()) a.aliases.push_back(cve);
    if (const std::string cwe = str(member(v, "cwe"), "id"); !cwe.empty()) cwes.insert(cwe);
    const json& scores = member(v, "scores");
    for (std::size_t s = 0; scores.is_array() && s < scores.size() && a.cvss_vector.empty(); ++s) {
      a.cvss_vector = str(member(scores[s], "cvss_v3"), "vectorString");
    }
    if (a.details.empty()) {
      const json& notes = member(v, "notes");
      for (std::size_t n = 0; notes.is_array() && n < notes.size(); ++n) {
        if (str(notes[n], "category") == "description") a.details = str(notes[n], "text");
      }
    }
    const json& status = member(v, "product_status");
    for (const char* key : {"known_affected", "first_affected", "last_affected"}) {
      for (const auto& id : string_list(member(status, key))) {
        const auto p = products.find(id);
        if (p == products.end()) {
          missing.push_back("vulnerabilities[" + std::to_string(i) + "].product_status." + key +
                            ": product \"" + id + "\" is not in the product_tree");
          continue;
        }
        if (!p->second.version_range.empty()) {
          if (const auto r = vers_range(p->second.version_range)) {
            ranges[p->second.package].push_back(*r);
          } else {
            missing.push_back("product \"" + id + "\": version range \"" + p->second.version_range +
                              "\" is not of the form vers:<scheme>/>=A|<B");
          }
        } else if (!p->second.version.empty()) {
          affected_versions[p->second.package].push_back(p->second.version);
        }
      }
    }
    for (const auto& id : string_list(member(status, "fixed"))) {
      const auto p = products.find(id);
      if (p == products.end() || p->second.version.empty()) continue;
      auto& f = fixed[p->second.package];
      const auto nv = Version::parse(p->second.version);
      const auto ov = Version::parse(f);
      if (f.empty() || (nv && ov && *nv < *ov)) f = p->second.version;
    }
  }
  a.cwes.assign(cwes.begin(), cwes.end());
  std::set<std::string> packages;
  for (const auto& [p, _] : affected_versions) packages.insert(p);
  for (const auto& [p, _] : ranges) packages.insert(p);
  for (const auto& p : packages) {
    Affected af;
    af.package = p;
    for (auto r : ranges[p]) {
      if (r.fixed.empty()) r.fixed = fixed[p];
      af.ranges.push_back(r);
    }
    // Listed versions: one range from the lowest of them up to the fix.
    if (const auto& vs = affected_versions[p]; !vs.empty()) {
      std::string lowest = vs.front();
      for (const auto& v : vs) {
        const auto a1 = Version::parse(v);
        const auto a2 = Version::parse(lowest);
        if (a1 && a2 && *a1 < *a2) lowest = v;
      }
      af.ranges.push_back(Range{lowest, fixed[p]});
    }
    a.affected.push_back(std::move(af));
  }
  DSS_TRY_STATUS(require_complete(a, missing, "product_status.known_affected",
                                  "vulnerabilities[].scores", "vulnerabilities[].cwe",
                                  str(member(d, "aggregate_severity"), "text")));
  return a;
}

Result<Advisory> parse(std::string_view document) {
  DSS_TRY(const json doc, parse_json(document, "the advisory"));
  if (member(doc, "document").is_object()) return import_csaf(document);
  return parse_osv(document);
}

std::string to_osv(const Advisory& a) {
  json affected = json::array();
  for (const auto& af : a.affected) {
    json events = json::array();
    for (const auto& r : af.ranges) {
      events.push_back({{"introduced", r.introduced}});
      events.push_back({{"fixed", r.fixed}});
    }
    affected.push_back({{"package", {{"ecosystem", "DSS"}, {"name", af.package}}},
                        {"ranges", json::array({{{"type", "ECOSYSTEM"}, {"events", events}}})}});
  }
  json doc = {
      {"schema_version", "1.6.0"},
      {"id", a.id},
      {"aliases", a.aliases},
      {"summary", a.summary},
      {"details", a.details},
      {"affected", affected},
      {"severity",
       json::array({{{"type", a.cvss_vector.rfind("CVSS:4", 0) == 0 ? "CVSS_V4" : "CVSS_V3"},
                     {"score", a.cvss_vector}}})},
      {"database_specific", {{"cwe_ids", a.cwes}, {"severity", a.severity}}}};
  if (!a.published.empty()) doc["published"] = a.published;
  if (!a.modified.empty()) doc["modified"] = a.modified;
  return doc.dump(2);  // nlohmann orders keys, so the output is deterministic
}

std::optional<Range> affecting_range(const Advisory& a, std::string_view package,
                                     const Version& installed) {
  for (const auto& af : a.affected) {
    if (af.package != package) continue;
    for (const auto& r : af.ranges) {
      const auto intro = Version::parse(r.introduced);
      const auto fixed = Version::parse(r.fixed);
      if (intro && fixed && *intro <= installed && installed < *fixed) return r;
    }
  }
  return std::nullopt;
}

}  // namespace dss::advisory
