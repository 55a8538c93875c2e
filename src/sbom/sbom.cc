#include "sbom/sbom.h"

#include <pthread.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "core/json.h"
#include "sbom/schemas.h"

namespace dss::sbom {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxProblems = 25;

// Problems found so far; check() turns a non-empty list into one error.
class Problems {
 public:
  void add(std::string where, std::string what) {
    if (lines_.size() < kMaxProblems) lines_.push_back(std::move(where) + ": " + std::move(what));
    ++count_;
  }
  [[nodiscard]] bool empty() const { return count_ == 0; }
  [[nodiscard]] std::string text(std::string_view heading) const {
    std::string out(heading);
    out += " (" + std::to_string(count_) + (count_ == 1 ? " problem" : " problems") + "):";
    for (const auto& l : lines_) out += "\n  - " + l;
    if (count_ > lines_.size())
      out += "\n  - ... and " + std::to_string(count_ - lines_.size()) + " more";
    return out;
  }

 private:
  std::vector<std::string> lines_;
  std::size_t count_ = 0;
};

// The official schemas, parsed once. $refs to the companion files resolve to embedded copies.
class SchemaSet {
 public:
  SchemaSet() {
    parse(cdx15_, detail::kBom15Schema);
    parse(cdx16_, detail::kBom16Schema);
    parse(spdx23_, detail::kSpdx23Schema);
  }
  const valijson::Schema& get(Format f) const {
    switch (f) {
      case Format::kCycloneDx15:
        return cdx15_;
      case Format::kCycloneDx16:
        return cdx16_;
      case Format::kSpdx23:
        return spdx23_;
    }
    return cdx16_;
  }

 private:
  static void parse(valijson::Schema& out, std::string_view text) {
    const json doc = json::parse(text);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    const valijson::adapters::NlohmannJsonAdapter adapter(doc);
    // Only the companion files are known; any other reference is a broken build.
    const auto fetch = [](const std::string& uri) -> const json* {
      const std::string name = uri.substr(uri.rfind('/') + 1);
      if (name == "spdx.schema.json") return new json(json::parse(detail::kSpdxLicenseSchema));
      if (name == "jsf-0.82.schema.json") return new json(json::parse(detail::kJsfSchema));
      return nullptr;
    };
    // NOLINTNEXTLINE(cppcoreguidelines-owning-memory)
    const auto free_doc = [](const json* d) { delete d; };
    parser.populateSchema(adapter, out, fetch, free_doc);
  }

  valijson::Schema cdx15_;
  valijson::Schema cdx16_;
  valijson::Schema spdx23_;
};

const SchemaSet& schemas() {
  static const SchemaSet set;  // a broken embedded schema is a build defect: it throws
  return set;
}

// Runs `fn` on a thread with a large stack: libstdc++'s std::regex, which the schema's patterns
// use, recurses once per character matched.
void run_with_large_stack(std::function<void()> fn) {
  constexpr std::size_t kStack = 256u << 20;  // reserved, committed only as used
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStack);
  pthread_t thread{};
  auto body = [](void* arg) -> void* {
    (*static_cast<std::function<void()>*>(arg))();
    return nullptr;
  };
  if (pthread_create(&thread, &attr, body, &fn) == 0) {
    pthread_join(thread, nullptr);
  } else {
    fn();  // no thread available: the string bound still limits the depth
  }
  pthread_attr_destroy(&attr);
}

// Schema errors, most specific first; an error whose place contains a more specific one
// already reported only summarises it and is dropped.
void validate(const json& doc, Format format, Problems& problems) {
  valijson::ValidationResults results;
  run_with_large_stack([&] {
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    const valijson::adapters::NlohmannJsonAdapter adapter(doc);
    validator.validate(schemas().get(format), adapter, &results);
  });
  std::vector<std::string> reported;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::string where;
    for (const auto& c : error.context) where += c;
    bool summary = false;
    for (const auto& r : reported) summary = summary || r.rfind(where, 0) == 0;
    if (summary) continue;
    reported.push_back(where);
    problems.add("schema " + where, error.description);
  }
}

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "components[2] (zlib)": the place, and the name when there is one.
std::string labelled(const std::string& where, const std::string& name) {
  return name.empty() ? where : where + " (" + name + ")";
}

// --- CycloneDX ---------------------------------------------------------------------------

Component cdx_component(const json& c, const std::string& where, Problems& problems) {
  Component out;
  out.name = str(c, "name");
  out.version = str(c, "version");
  if (const auto s = c.find("supplier"); s != c.end() && s->is_object())
    out.supplier = str(*s, "name");
  out.id = str(c, "purl");
  if (out.id.empty()) out.id = str(c, "cpe");
  const std::string label = labelled(where, out.name);
  if (out.name.empty()) problems.add(label, "no name");
  if (out.version.empty()) problems.add(label, "no version");
  if (out.supplier.empty()) problems.add(label, "no supplier.name (NTIA: supplier)");
  if (out.id.empty()) problems.add(label, "no purl or cpe (NTIA: unique identifier)");
  return out;
}

// NOLINTNEXTLINE(misc-no-recursion): depth is bounded by check_shape (kMaxDepth) in check()
void cdx_collect(const json& list, const std::string& where,
                 std::vector<std::pair<std::string, const json*>>& out) {
  if (!list.is_array()) return;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string here = where + "[" + std::to_string(i) + "]";
    out.emplace_back(here, &list[i]);
    if (const auto nested = list[i].find("components"); nested != list[i].end()) {
      cdx_collect(*nested, here + ".components", out);
    }
  }
}

Summary cdx_summary(const json& doc, Format format, Problems& problems) {
  Summary s;
  s.format = format;
  s.serial = str(doc, "serialNumber");
  const json empty = json::object();
  const auto mit = doc.find("metadata");
  const json& meta = mit != doc.end() && mit->is_object() ? *mit : empty;
  s.timestamp = str(meta, "timestamp");
  if (s.timestamp.empty()) problems.add("metadata.timestamp", "missing (NTIA: timestamp)");
  if (const auto a = meta.find("authors"); a != meta.end() && a->is_array()) {
    for (const auto& author : *a) {
      std::string name = author.is_object() ? str(author, "name") : std::string();
      if (name.empty() && author.is_object()) name = str(author, "email");
      if (!name.empty()) {
        s.author = name;
        break;
      }
    }
  }
  if (s.author.empty()) problems.add("metadata.authors", "no author with a name (NTIA: author)");

  std::string subject_ref;
  if (const auto c = meta.find("component"); c != meta.end() && c->is_object()) {
    s.subject = cdx_component(*c, "metadata.component", problems);
    if (s.subject.supplier.empty()) {
      if (const auto sup = meta.find("supplier"); sup != meta.end() && sup->is_object()) {
        s.subject.supplier = str(*sup, "name");
      }
    }
    subject_ref = str(*c, "bom-ref");
    if (subject_ref.empty()) {
      problems.add("metadata.component",
                   "no bom-ref, so no dependency can name it (NTIA: relationships)");
    }
  } else {
    problems.add("metadata.component", "missing: the SBOM must say which software it describes");
  }

  std::vector<std::pair<std::string, const json*>> all;
  if (const auto cs = doc.find("components"); cs != doc.end()) cdx_collect(*cs, "components", all);
  std::set<std::string> refs;
  for (const auto& [where, c] : all) {
    s.components.push_back(cdx_component(*c, where, problems));
    refs.insert(str(*c, "bom-ref"));
  }

  // Relationships: the subject has a dependency entry, and every component is reached.
  std::set<std::string> mentioned;
  bool subject_listed = false;
  if (const auto deps = doc.find("dependencies"); deps != doc.end() && deps->is_array()) {
    for (const auto& d : *deps) {
      if (!d.is_object()) continue;
      const std::string ref = str(d, "ref");
      subject_listed = subject_listed || (!subject_ref.empty() && ref == subject_ref);
      mentioned.insert(ref);
      if (const auto on = d.find("dependsOn"); on != d.end() && on->is_array()) {
        for (const auto& r : *on) {
          if (!r.is_string()) continue;
          mentioned.insert(r.get<std::string>());
          ++s.relationships;
        }
      }
    }
  }
  if (!subject_ref.empty() && !subject_listed) {
    problems.add("dependencies",
                 "no entry for the described component \"" + subject_ref +
                     "\" (NTIA: relationships; list its dependencies, or [] for none)");
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string ref = str(*all[i].second, "bom-ref");
    const std::string label = labelled(all[i].first, s.components[i].name);
    if (ref.empty()) {
      problems.add(label, "no bom-ref, so no dependency can name it (NTIA: relationships)");
    } else if (!mentioned.contains(ref)) {
      problems.add(label, "\"" + ref + "\" appears in no dependency (NTIA: relationships)");
    }
  }
  return s;
}

// --- SPDX 2.3 ----------------------------------------------------------------------------

std::string spdx_supplier(const json& p) {
  std::string v = str(p, "supplier");
  for (const char* prefix : {"Organization:", "Person:"}) {
    if (v.rfind(prefix, 0) == 0) {
      v = v.substr(std::string_view(prefix).size());
      const auto first = v.find_first_not_of(' ');
      return first == std::string::npos ? std::string() : v.substr(first);
    }
  }
  return std::string();  // NOASSERTION or absent
}

std::string spdx_identifier(const json& p) {
  std::string cpe;
  if (const auto refs = p.find("externalRefs"); refs != p.end() && refs->is_array()) {
    for (const auto& r : *refs) {
      if (!r.is_object()) continue;
      const std::string type = str(r, "referenceType");
      if (type == "purl") return str(r, "referenceLocator");
      if ((type == "cpe23Type" || type == "cpe22Type") && cpe.empty())
        cpe = str(r, "referenceLocator");
    }
  }
  return cpe;
}

Summary spdx_summary(const json& doc, Problems& problems) {
  Summary s;
  s.format = Format::kSpdx23;
  s.serial = str(doc, "documentNamespace");
  const json empty = json::object();
  const auto cit = doc.find("creationInfo");
  const json& info = cit != doc.end() && cit->is_object() ? *cit : empty;
  s.timestamp = str(info, "created");
  if (s.timestamp.empty()) problems.add("creationInfo.created", "missing (NTIA: timestamp)");
  if (const auto cs = info.find("creators"); cs != info.end() && cs->is_array()) {
    for (const auto& c : *cs) {
      const std::string v = c.is_string() ? c.get<std::string>() : std::string();
      if (v.rfind("Person:", 0) == 0 || v.rfind("Organization:", 0) == 0) {
        s.author = v.substr(v.find(':') + 1);
        if (const auto f = s.author.find_first_not_of(' '); f != std::string::npos)
          s.author.erase(0, f);
        break;
      }
    }
  }
  if (s.author.empty()) {
    problems.add("creationInfo.creators",
                 "no \"Person: ...\" or \"Organization: ...\" (NTIA: author)");
  }

  // The described package: documentDescribes, or a DESCRIBES relationship of the document.
  std::string subject_id;
  if (const auto d = doc.find("documentDescribes");
      d != doc.end() && d->is_array() && !d->empty() && (*d)[0].is_string()) {
    subject_id = (*d)[0].get<std::string>();
  }
  std::map<std::string, std::size_t> touched;  // SPDXID -> relationships naming it
  if (const auto rs = doc.find("relationships"); rs != doc.end() && rs->is_array()) {
    for (const auto& r : *rs) {
      if (!r.is_object()) continue;
      const std::string type = str(r, "relationshipType");
      const std::string from = str(r, "spdxElementId");
      const std::string to = str(r, "relatedSpdxElement");
      if (type == "DESCRIBES" && from == "SPDXRef-DOCUMENT") {
        if (subject_id.empty()) subject_id = to;
        continue;
      }
      ++touched[from];
      ++touched[to];
      ++s.relationships;
    }
  }
  if (subject_id.empty()) {
    problems.add("documentDescribes", "missing: the SBOM must say which package it describes");
  }

  bool subject_found = false;
  if (const auto ps = doc.find("packages"); ps != doc.end() && ps->is_array()) {
    for (std::size_t i = 0; i < ps->size(); ++i) {
      const json& p = (*ps)[i];
      if (!p.is_object()) continue;
      Component c;
      c.name = str(p, "name");
      c.version = str(p, "versionInfo");
      c.supplier = spdx_supplier(p);
      c.id = spdx_identifier(p);
      const std::string id = str(p, "SPDXID");
      const std::string where = labelled("packages[" + std::to_string(i) + "]", c.name);
      if (c.name.empty()) problems.add(where, "no name");
      if (c.version.empty()) problems.add(where, "no versionInfo");
      if (c.supplier.empty())
        problems.add(where,
                     "no supplier \"Organization: ...\" or \"Person: ...\" (NTIA: supplier)");
      if (c.id.empty())
        problems.add(where, "no purl or cpe in externalRefs (NTIA: unique identifier)");
      if (id == subject_id) {
        subject_found = true;
        s.subject = c;
      } else {
        if (!touched.contains(id))
          problems.add(where, "appears in no relationship (NTIA: relationships)");
        s.components.push_back(std::move(c));
      }
    }
  }
  if (!subject_id.empty() && !subject_found) {
    problems.add("documentDescribes", "\"" + subject_id + "\" is not one of the packages");
  }
  if (!s.components.empty() && s.relationships == 0) {
    problems.add("relationships", "none besides DESCRIBES (NTIA: relationships)");
  }
  return s;
}

}  // namespace

std::string_view format_name(Format format) {
  switch (format) {
    case Format::kCycloneDx15:
      return "CycloneDX 1.5";
    case Format::kCycloneDx16:
      return "CycloneDX 1.6";
    case Format::kSpdx23:
      return "SPDX 2.3";
  }
  return "unknown";
}

Result<Summary> check(std::string_view document) {
  if (document.size() > kMaxDocumentBytes) {
    return make_error(
        ErrorCode::kSbomInvalid,
        "the SBOM is larger than " + std::to_string(kMaxDocumentBytes >> 20) + " MiB");
  }
  if (auto shape = dss::json::check_shape(document, kMaxDepth, kMaxStringBytes, "the SBOM");
      !shape) {
    return make_error(ErrorCode::kSbomInvalid, shape.error().message);
  }
  json doc = json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(
        ErrorCode::kMalformed,
        "the SBOM is not a JSON object; export it as CycloneDX 1.5/1.6 JSON or SPDX 2.3 JSON");
  }
  Format format{};
  if (str(doc, "bomFormat") == "CycloneDX") {
    const std::string v = str(doc, "specVersion");
    if (v == "1.5") {
      format = Format::kCycloneDx15;
    } else if (v == "1.6") {
      format = Format::kCycloneDx16;
    } else {
      return make_error(
          ErrorCode::kSbomInvalid,
          "CycloneDX specVersion \"" + v + "\" is not accepted; export CycloneDX 1.5 or 1.6");
    }
  } else if (doc.contains("spdxVersion")) {
    const std::string v = str(doc, "spdxVersion");
    if (v != "SPDX-2.3") {
      return make_error(ErrorCode::kSbomInvalid,
                        "spdxVersion \"" + v + "\" is not accepted; export SPDX 2.3 JSON");
    }
    format = Format::kSpdx23;
  } else {
    return make_error(ErrorCode::kSbomInvalid,
                      "neither CycloneDX (no \"bomFormat\") nor SPDX (no \"spdxVersion\"); export "
                      "CycloneDX 1.5/1.6 JSON or SPDX 2.3 JSON");
  }
  Problems problems;
  validate(doc, format, problems);
  Summary summary =
      format == Format::kSpdx23 ? spdx_summary(doc, problems) : cdx_summary(doc, format, problems);
  if (!problems.empty()) {
    return make_error(ErrorCode::kSbomInvalid,
                      problems.text("the SBOM is not a valid " + std::string(format_name(format)) +
                                    " document with the NTIA minimum elements"));
  }
  return summary;
}

}  // namespace dss::sbom
