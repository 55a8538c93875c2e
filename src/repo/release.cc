#include "repo/release.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "advisory/advisory.h"
#include "core/version.h"
#include "crypto/hash.h"
#include "platform/files.h"
#include "repo/transparency.h"
#include "sbom/sbom.h"
#include "settings/state.h"

namespace dss::repo {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::uint64_t kMaxIndexBytes = 64u << 20;
constexpr std::uint64_t kMaxSbomBytes = sbom::kMaxDocumentBytes;

tl::unexpected<Error> invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

Status validate_name(const std::string& name) {
  const bool ok_chars = !name.empty() && name.size() <= 64 &&
                        std::all_of(name.begin(), name.end(),
                                    [](char c) {
                                      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                             c == '.' || c == '_' || c == '-';
                                    }) &&
                        name.front() != '.' && name.front() != '-' && name.front() != '_';
  if (!ok_chars) {
    return invalid(
        "release name \"" + name.substr(0, 64) +
        "\" must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit");
  }
  return ok();
}

std::string sha256_hex(ByteView data) {
  return hex_encode(crypto::digest(crypto::HashAlgorithm::kSha256, data));
}

fs::path archive_dir(const fs::path& dir) { return dir / "archive"; }

// The indexes are JSON arrays written atomically; a missing file is an empty index.
Result<json> load_index(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return json::array();
  DSS_TRY(const Bytes raw, platform::read_file(file, kMaxIndexBytes));
  json j = json::parse(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()),
                       nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return make_error(ErrorCode::kMalformed,
                      file.string() + " is damaged; restore it from a backup");
  }
  return j;
}

Status save_index(const fs::path& file, const json& j) {
  DSS_TRY_STATUS(platform::ensure_private_dir(file.parent_path()));
  return platform::write_file_atomic(file, j.dump(1) + "\n", platform::FileMode::kPublic);
}

ReleaseRecord record_from(const json& j) {
  ReleaseRecord r;
  r.name = j.value("name", "");
  r.version = j.value("version", "");
  r.channel = j.value("channel", "");
  r.target = j.value("target", "");
  r.sha256 = j.value("sha256", "");
  r.length = j.value("length", std::uint64_t{0});
  r.sbom_target = j.value("sbom_target", "");
  r.sbom_sha256 = j.value("sbom_sha256", "");
  r.sbom_format = j.value("sbom_format", "");
  r.published = j.value("published", std::int64_t{0});
  if (j.contains("withdrawn") && j["withdrawn"].is_number_integer())
    r.withdrawn = j["withdrawn"].get<std::int64_t>();
  return r;
}

json record_json(const ReleaseRecord& r) {
  json j = {{"name", r.name},
            {"version", r.version},
            {"channel", r.channel},
            {"target", r.target},
            {"sha256", r.sha256},
            {"length", r.length},
            {"sbom_target", r.sbom_target},
            {"sbom_sha256", r.sbom_sha256},
            {"sbom_format", r.sbom_format},
            {"published", r.published}};
  j["withdrawn"] = r.withdrawn ? json(*r.withdrawn) : json(nullptr);
  return j;
}

std::string as_text(const Bytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// A target's file in the archive: targets/<dir>/<sha256>.<file name>.
fs::path archived_file(const fs::path& dir, const std::string& target, const std::string& sha256) {
  const fs::path rel(target);
  return dir / "targets" / rel.parent_path() / (sha256 + "." + rel.filename().string());
}

}  // namespace

Result<Report> publish_release(const PublishReleaseOptions& o, const Secrets& secrets,
                               UnixSeconds now) {
  DSS_TRY_STATUS(validate_name(o.name));
  DSS_TRY_STATUS(validate_name(o.channel));
  if (o.channel == "sbom") return invalid("\"sbom\" is reserved and cannot be a channel name");
  DSS_TRY(const Version version, Version::parse(o.version));
  (void)version;
  if (!o.sbom && !o.sbom_optional) {
    return make_error(
        ErrorCode::kSbomInvalid,
        "a release needs its SBOM: add --sbom FILE (CycloneDX 1.5/1.6 or SPDX 2.3 JSON). "
        "Publishing without one is possible only when the owner loosens "
        "release.require_sbom (see docs/loosening-guide.md)");
  }
  json extra = json::object();
  if (!o.extra_dss_json.empty()) {
    extra = json::parse(o.extra_dss_json, nullptr, false);
    if (extra.is_discarded() || !extra.is_object())
      return invalid("the release's extra metadata must be a JSON object");
    for (const char* reserved : {"version", "size", "entries", "published", "sbom"}) {
      if (extra.contains(reserved))
        return invalid(std::string("the extra metadata may not set \"") + reserved + "\"");
    }
  }
  DSS_TRY_STATUS(platform::ensure_private_dir(archive_dir(o.dir)));
  DSS_TRY(platform::DirLock held, platform::DirLock::acquire(archive_dir(o.dir)));
  const fs::path index_file = archive_dir(o.dir) / "releases.json";
  DSS_TRY(json index, load_index(index_file));
  DSS_TRY(const Bytes artifact, platform::read_file(o.artifact, 64ull << 30));
  const std::string artifact_sha = sha256_hex(artifact);
  for (const auto& r : index) {
    if (r.value("name", "") == o.name && r.value("version", "") == o.version) {
      if (r.value("sha256", "") != artifact_sha) {
        return make_error(ErrorCode::kAlreadyExists,
                          o.name + " " + o.version +
                              " was already published with other content; a "
                              "published version never changes: publish a new version");
      }
      if (!r["withdrawn"].is_null()) {
        return make_error(
            ErrorCode::kFailedPrecondition,
            o.name + " " + o.version + " was withdrawn; publish a new version instead");
      }
      return make_error(ErrorCode::kAlreadyExists,
                        o.name + " " + o.version + " is already published");
    }
  }

  Report report;
  ReleaseRecord rec;
  rec.name = o.name;
  rec.version = o.version;
  rec.channel = o.channel;
  rec.target = o.name + "/" + o.channel + "/" + o.name + "-" + o.version + ".tar.zst";
  rec.sha256 = artifact_sha;
  rec.length = artifact.size();
  rec.published = now;
  json dss = extra;
  dss["version"] = o.version;
  dss["size"] = o.unpacked_bytes;
  dss["entries"] = o.entries;
  dss["published"] = now;

  if (o.sbom) {
    DSS_TRY(const Bytes sbom_bytes, platform::read_file(*o.sbom, kMaxSbomBytes));
    auto summary = sbom::check(as_text(sbom_bytes));
    if (!summary)
      return make_error(summary.error().code, summary.error().message + "\nNothing was published.");
    std::vector<std::string> mismatch;
    if (summary->subject.name != o.name)
      mismatch.push_back("names \"" + summary->subject.name + "\", not \"" + o.name + "\"");
    const auto described = Version::parse(summary->subject.version);
    if (!described || !(*described == version)) {
      mismatch.push_back("has version \"" + summary->subject.version + "\", not \"" + o.version +
                         "\"");
    }
    if (!mismatch.empty()) {
      std::string m =
          "the SBOM does not describe " + o.name + " " + o.version + ": its described component";
      for (std::size_t i = 0; i < mismatch.size(); ++i) m += (i ? " and " : " ") + mismatch[i];
      return make_error(ErrorCode::kSbomInvalid, m + ". Nothing was published.");
    }
    rec.sbom_target = o.name + "/sbom/" + o.name + "-" + o.version + ".sbom.json";
    rec.sbom_sha256 = sha256_hex(sbom_bytes);
    rec.sbom_format = std::string(sbom::format_name(summary->format));
    AddTargetOptions sbom_target;
    sbom_target.dir = o.dir;
    sbom_target.file = *o.sbom;
    sbom_target.target_path = rec.sbom_target;
    sbom_target.custom_json =
        json{{"dss_sbom",
              {{"release", o.name}, {"version", o.version}, {"format", rec.sbom_format}}}}
            .dump();
    // The transparency log records the SBOM and the release before agents can see them, so
    // an agent never meets a published release without its log entry.
    DSS_TRY_STATUS(transparency_append(
        o.dir, {"sbom", o.name, o.version, rec.sbom_target, rec.sbom_sha256}, secrets, now));
    DSS_TRY(Report r1, add_target(sbom_target, secrets, now));
    report.lines.insert(report.lines.end(), r1.lines.begin(), r1.lines.end());
    dss["sbom"] = {
        {"target", rec.sbom_target}, {"sha256", rec.sbom_sha256}, {"format", rec.sbom_format}};
  } else {
    report.lines.push_back(
        "WARNING: published without an SBOM because release.require_sbom is "
        "loosened; tighten it again with `dss settings tighten release.require_sbom`");
  }
  AddTargetOptions release_target;
  release_target.dir = o.dir;
  release_target.file = o.artifact;
  release_target.target_path = rec.target;
  release_target.custom_json = json{{"dss", dss}}.dump();
  DSS_TRY_STATUS(transparency_append(o.dir, {"release", o.name, o.version, rec.target, rec.sha256},
                                     secrets, now));
  DSS_TRY(Report r2, add_target(release_target, secrets, now));
  report.lines.insert(report.lines.end(), r2.lines.begin(), r2.lines.end());

  index.push_back(record_json(rec));
  DSS_TRY_STATUS(save_index(index_file, index));
  report.lines.push_back("both are in the release transparency log (dss repo transparency status)");
  report.lines.push_back(o.name + " " + o.version + " published on channel " + o.channel +
                         (rec.sbom_target.empty() ? "" : " with its " + rec.sbom_format + " SBOM"));
  return report;
}

Result<Report> withdraw_release(const fs::path& dir, const std::string& name,
                                const std::string& version, const Secrets& secrets,
                                UnixSeconds now) {
  DSS_TRY(platform::DirLock held, platform::DirLock::acquire(archive_dir(dir)));
  const fs::path index_file = archive_dir(dir) / "releases.json";
  DSS_TRY(json index, load_index(index_file));
  for (auto& r : index) {
    if (r.value("name", "") != name || r.value("version", "") != version) continue;
    if (!r["withdrawn"].is_null()) {
      return make_error(ErrorCode::kFailedPrecondition,
                        name + " " + version + " is already withdrawn");
    }
    DSS_TRY(Report report, remove_target(dir, "targets", r.value("target", ""), secrets, now));
    r["withdrawn"] = now;
    DSS_TRY_STATUS(save_index(index_file, index));
    report.lines.push_back(name + " " + version + " withdrawn from channel " +
                           r.value("channel", "") +
                           "; it stays in the archive (targets/ by hash, archive/releases.json)");
    return report;
  }
  return make_error(ErrorCode::kNotFound, "no release " + name + " " + version +
                                              " was ever published; "
                                              "see `dss repo release list`");
}

Result<std::vector<ReleaseRecord>> list_releases(const fs::path& dir, const std::string& name) {
  DSS_TRY(const json index, load_index(archive_dir(dir) / "releases.json"));
  std::vector<ReleaseRecord> out;
  for (const auto& r : index) {
    if (name.empty() || r.value("name", "") == name) out.push_back(record_from(r));
  }
  return out;
}

Result<ReleaseRecord> find_release(const fs::path& dir, const std::string& name,
                                   const std::string& version) {
  DSS_TRY(const auto all, list_releases(dir, name));
  for (const auto& r : all) {
    if (r.version == version) return r;
  }
  return make_error(ErrorCode::kNotFound, "no release " + name + " " + version +
                                              " was ever published; "
                                              "see `dss repo release list`");
}

Result<std::string> read_sbom(const fs::path& dir, const std::string& name,
                              const std::string& version) {
  DSS_TRY(const ReleaseRecord r, find_release(dir, name, version));
  if (r.sbom_target.empty()) {
    return make_error(ErrorCode::kNotFound,
                      name + " " + version + " was published without an SBOM");
  }
  DSS_TRY(const Bytes raw,
          platform::read_file(archived_file(dir, r.sbom_target, r.sbom_sha256), kMaxSbomBytes));
  if (sha256_hex(raw) != r.sbom_sha256) {
    return make_error(ErrorCode::kLengthOrHashMismatch,
                      "the archived SBOM of " + name + " " + version +
                          " no longer matches its hash; the archive was altered");
  }
  return as_text(raw);
}

Result<Report> publish_advisory(const fs::path& dir, const fs::path& file, const Secrets& secrets,
                                UnixSeconds now) {
  DSS_TRY(const Bytes raw, platform::read_file(file, advisory::kMaxAdvisoryBytes));
  auto parsed = advisory::parse(as_text(raw));
  if (!parsed)
    return make_error(parsed.error().code, parsed.error().message + "\nNothing was published.");
  const std::string& id = parsed->id;
  const bool id_ok = id.size() <= 64 &&
                     std::all_of(id.begin(), id.end(),
                                 [](char c) {
                                   return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                          (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                                          c == '.';
                                 }) &&
                     id.front() != '.';
  if (!id_ok)
    return invalid("advisory id \"" + id.substr(0, 64) +
                   "\" must be 1-64 of A-Z, a-z, 0-9, '-', '_', '.'");
  DSS_TRY_STATUS(platform::ensure_private_dir(archive_dir(dir)));
  DSS_TRY(platform::DirLock held, platform::DirLock::acquire(archive_dir(dir)));
  const fs::path index_file = archive_dir(dir) / "advisories.json";
  DSS_TRY(json index, load_index(index_file));
  const std::string osv = advisory::to_osv(*parsed);
  const fs::path staged = archive_dir(dir) / (".staged-" + id + ".json");
  DSS_TRY_STATUS(platform::write_file_atomic(staged, osv, platform::FileMode::kPublic));
  AddTargetOptions t;
  t.dir = dir;
  t.file = staged;
  t.target_path = "advisories/" + id + ".json";
  t.custom_json = json{{"dss_advisory", {{"id", id}, {"severity", parsed->severity}}}}.dump();
  const std::string osv_sha =
      sha256_hex(ByteView(reinterpret_cast<const std::uint8_t*>(osv.data()), osv.size()));
  if (auto logged =
          transparency_append(dir, {"advisory", id, "", t.target_path, osv_sha}, secrets, now);
      !logged) {
    std::error_code rm;
    fs::remove(staged, rm);
    return tl::unexpected(logged.error());
  }
  auto added = add_target(t, secrets, now);
  std::error_code ec;
  fs::remove(staged, ec);
  DSS_TRY(Report report, std::move(added));
  index.push_back({{"id", id}, {"target", t.target_path}, {"sha256", osv_sha}, {"published", now}});
  DSS_TRY_STATUS(save_index(index_file, index));
  std::string fixed;
  for (const auto& af : parsed->affected) {
    for (const auto& r : af.ranges)
      fixed += (fixed.empty() ? "" : ", ") + af.package + " " + r.fixed;
  }
  report.lines.push_back("advisory " + id + " (" + parsed->severity + ", " + parsed->cwes.front() +
                         ") published; agents on affected versions update to " + fixed +
                         " at their next cycle");
  return report;
}

Result<std::vector<AdvisoryRecord>> list_advisories(const fs::path& dir) {
  DSS_TRY(const json index, load_index(archive_dir(dir) / "advisories.json"));
  std::vector<AdvisoryRecord> out;
  for (const auto& a : index) {
    out.push_back({a.value("id", ""), a.value("target", ""), a.value("sha256", ""),
                   a.value("published", std::int64_t{0})});
  }
  return out;
}

Result<Report> publish_policy(const fs::path& dir, const fs::path& file, const Secrets& secrets,
                              UnixSeconds now) {
  DSS_TRY(const Bytes raw, platform::read_file(file, settings::kMaxPolicyBundleBytes));
  auto bundle = settings::parse_policy_bundle(as_text(raw));
  if (!bundle)
    return make_error(bundle.error().code, bundle.error().message + "\nNothing was published.");
  DSS_TRY_STATUS(platform::ensure_private_dir(archive_dir(dir)));
  DSS_TRY(platform::DirLock held, platform::DirLock::acquire(archive_dir(dir)));
  const fs::path index_file = archive_dir(dir) / "policies.json";
  DSS_TRY(json index, load_index(index_file));
  for (const auto& p : index) {
    const std::int64_t before = p.value("bundle_version", std::int64_t{0});
    if (bundle->bundle_version <= before) {
      return invalid("bundle_version " + std::to_string(bundle->bundle_version) +
                     " is not higher than the already published " + std::to_string(before) +
                     "; agents refuse a bundle that is not newer. Raise bundle_version. Nothing "
                     "was published.");
    }
  }
  const std::string text = settings::serialize_policy_bundle(*bundle);
  const std::string version = std::to_string(bundle->bundle_version);
  const fs::path staged = archive_dir(dir) / (".staged-policy-" + version + ".json");
  DSS_TRY_STATUS(platform::write_file_atomic(staged, text, platform::FileMode::kPublic));
  AddTargetOptions t;
  t.dir = dir;
  t.file = staged;
  t.target_path = "policy/bundle.json";
  t.custom_json = json{{"dss_policy", {{"bundle_version", bundle->bundle_version}}}}.dump();
  const std::string sha =
      sha256_hex(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  auto logged =
      transparency_append(dir, {"policy", "policy", version, t.target_path, sha}, secrets, now);
  Result<Report> added =
      logged ? add_target(t, secrets, now) : Result<Report>(tl::unexpected(logged.error()));
  std::error_code ec;
  fs::remove(staged, ec);
  DSS_TRY(Report report, std::move(added));
  index.push_back({{"bundle_version", bundle->bundle_version},
                   {"target", t.target_path},
                   {"sha256", sha},
                   {"published", now}});
  DSS_TRY_STATUS(save_index(index_file, index));
  report.lines.push_back("policy bundle " + version + " (" + std::to_string(bundle->floors.size()) +
                         " floors) published and logged; agents apply it at their next cycle");
  return report;
}

}  // namespace dss::repo
