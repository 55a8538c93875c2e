#include "repo/transparency.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/bytes.h"
#include "core/json.h"
#include "crypto/hash.h"
#include "platform/files.h"
#include "repo/key_file.h"
#include "tlog/log.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/verify.h"

namespace dss::repo {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kKeyRole = "transparency-log";
constexpr std::string_view kOriginPrefix = "dss-release-transparency/";
constexpr std::uint64_t kMaxSmallFile = 1 << 20;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(UnixSeconds t) : t_(t) {}
  [[nodiscard]] UnixSeconds now() const override { return t_; }

 private:
  UnixSeconds t_;
};

fs::path tdir(const fs::path& repo) { return repo / "transparency"; }

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

std::string hex_of(const tlog::Hash& h) { return hex_encode(ByteView(h.data(), h.size())); }

std::string proof_array(const std::vector<tlog::Hash>& proof) {
  std::string out = "[";
  for (std::size_t i = 0; i < proof.size(); ++i) {
    if (i != 0) out += ",";
    out += json::quoted(hex_of(proof[i]));
  }
  return out + "]";
}

Result<fs::path> online_keys_dir(const fs::path& repo) {
  auto text = platform::read_text_file(repo / "repository.json", kMaxSmallFile);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) {
      return make_error(
          ErrorCode::kFailedPrecondition,
          repo.string() + " holds no DSS repository; create one with `dss repo init`");
    }
    return tl::unexpected(text.error());
  }
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(ErrorCode::kMalformed, (repo / "repository.json").string() + " is damaged");
  }
  const auto it = j.find("online_keys_dir");
  if (it != j.end() && it->is_string() && !it->get<std::string>().empty()) {
    return fs::path(it->get<std::string>());
  }
  return repo / "keys" / "online";
}

Result<std::string> origin_of(const fs::path& repo) {
  DSS_TRY(std::string root, platform::read_text_file(repo / "metadata" / "1.root.json", 4 << 20));
  return std::string(kOriginPrefix) + crypto::sha256_hex(root).substr(0, 16);
}

// The log's checkpoint signer: the existing key file, or a new key sealed with the online
// passphrase. `created` tells which.
Result<tlog::NoteSigner> load_or_create_signer(const fs::path& repo, const Secrets& secrets,
                                               bool& created) {
  created = false;
  DSS_TRY(fs::path kdir, online_keys_dir(repo));
  DSS_TRY(std::string origin, origin_of(repo));
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(kdir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& e = *it;
    if (e.path().extension() == ".key" &&
        e.path().filename().string().starts_with(std::string(kKeyRole) + "-")) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    DSS_TRY(std::string text, platform::read_text_file(f, kMaxSmallFile));
    auto info = peek_key_file(text);
    if (!info || info->role != kKeyRole) continue;
    DSS_TRY(crypto::PrivateKey key, open_key(text, secrets.online));
    return tlog::NoteSigner::from_key(origin, std::move(key));
  }
  if (secrets.online.view().empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the online passphrase is needed to create the transparency log's key");
  }
  DSS_TRY(crypto::PrivateKey key, crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519));
  DSS_TRY(std::string sealed, seal_key(key, kKeyRole, secrets.online, secrets.kdf));
  DSS_TRY_STATUS(platform::ensure_private_dir(kdir));
  const fs::path file =
      kdir / (std::string(kKeyRole) + "-" + key.public_key().keyid().substr(0, 16) + ".key");
  DSS_TRY_STATUS(platform::write_file_atomic(file, sealed, platform::FileMode::kPrivate));
  created = true;
  return tlog::NoteSigner::from_key(origin, std::move(key));
}

std::string log_target_json(const tlog::NoteVerifier& v) {
  json::ObjectBuilder b;
  b.str("format", "dss-transparency-log-v1")
      .str("origin", v.name())
      .str("verifier_key", v.to_string());
  return b.finish() + "\n";
}

// Publishes "transparency/log.json" through TUF unless the very same file is already there.
Status publish_log_target(const fs::path& repo, const tlog::NoteVerifier& v, const Secrets& secrets,
                          UnixSeconds now) {
  const std::string body = log_target_json(v);
  const std::string sha = crypto::sha256_hex(body);
  std::error_code ec;
  if (fs::exists(repo / "targets" / "transparency" / (sha + ".log.json"), ec)) return ok();
  const fs::path staging = tdir(repo) / "log.json";
  DSS_TRY_STATUS(platform::write_file_atomic(staging, body, platform::FileMode::kPublic));
  AddTargetOptions o;
  o.dir = repo;
  o.file = staging;
  o.target_path = std::string(kTransparencyLogTarget);
  DSS_TRY(Report r, add_target(o, secrets, now));
  (void)r;
  return ok();
}

// Rewrites every published file for the log's current size; the checkpoint goes last.
Status republish(const fs::path& repo, tlog::Log& log, const std::string& checkpoint_note) {
  const std::uint64_t n = log.size();
  const fs::path out = tdir(repo);
  for (const char* sub : {"entries", "consistency"}) {
    std::error_code ec;
    fs::create_directories(out / sub, ec);
    if (ec)
      return make_error(ErrorCode::kIo,
                        "cannot create " + (out / sub).string() + ": " + ec.message());
  }
  // One file per target hash; a hash appended twice keeps its first "release" leaf (or its
  // first leaf of any kind when none is a release).
  std::map<std::string, std::pair<std::uint64_t, std::string>> by_hash;
  for (std::uint64_t i = 0; i < n; ++i) {
    DSS_TRY(Bytes leaf, log.read(i));
    const std::string text(as_chars(ByteView(leaf.data(), leaf.size())));
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.contains("sha256") || !j["sha256"].is_string()) continue;
    const std::string sha = j["sha256"].get<std::string>();
    if (!is_hex64(sha)) continue;
    const bool release = j.value("kind", "") == "release";
    auto it = by_hash.find(sha);
    if (it == by_hash.end()) {
      by_hash.emplace(sha, std::make_pair(i, text));
    } else if (release) {
      const auto old = nlohmann::json::parse(it->second.second, nullptr, false);
      if (old.is_discarded() || old.value("kind", "") != "release") it->second = {i, text};
    }
  }
  for (const auto& [sha, entry] : by_hash) {
    DSS_TRY(std::vector<tlog::Hash> proof, log.inclusion_proof(entry.first, n));
    json::ObjectBuilder b;
    b.str("format", "dss-transparency-entry-v1")
        .integer("index", static_cast<std::int64_t>(entry.first))
        .str("leaf", entry.second)
        .integer("tree_size", static_cast<std::int64_t>(n))
        .raw("inclusion_proof", proof_array(proof));
    DSS_TRY_STATUS(platform::write_file_atomic(out / "entries" / (sha + ".json"), b.finish() + "\n",
                                               platform::FileMode::kPublic));
  }
  for (std::uint64_t old = 1; old < n; ++old) {
    DSS_TRY(std::vector<tlog::Hash> proof, log.consistency_proof(old, n));
    json::ObjectBuilder b;
    b.str("format", "dss-transparency-consistency-v1")
        .integer("old_size", static_cast<std::int64_t>(old))
        .integer("new_size", static_cast<std::int64_t>(n))
        .raw("proof", proof_array(proof));
    DSS_TRY_STATUS(
        platform::write_file_atomic(out / "consistency" / (std::to_string(old) + ".json"),
                                    b.finish() + "\n", platform::FileMode::kPublic));
  }
  return platform::write_file_atomic(out / "checkpoint", checkpoint_note,
                                     platform::FileMode::kPublic);
}

std::vector<tlog::Hash> parse_proof(const nlohmann::json& a, bool& ok_out) {
  std::vector<tlog::Hash> out;
  ok_out = a.is_array() && a.size() <= 64;
  if (!ok_out) return out;
  for (const auto& h : a) {
    if (!h.is_string() || !is_hex64(h.get<std::string>())) {
      ok_out = false;
      return out;
    }
    auto raw = hex_decode(h.get<std::string>());
    if (!raw || raw->size() != 32) {
      ok_out = false;
      return out;
    }
    tlog::Hash x{};
    std::copy(raw->begin(), raw->end(), x.begin());
    out.push_back(x);
  }
  return out;
}

}  // namespace

Result<std::string> transparency_leaf(const TransparencyEntry& e, UnixSeconds now) {
  static const std::set<std::string> kinds = {"release", "sbom", "advisory", "policy"};
  std::vector<std::string> wrong;
  if (!kinds.contains(e.kind)) wrong.emplace_back("kind (release, sbom, advisory or policy)");
  if (e.name.empty() || e.name.size() > 256 || !printable(e.name)) wrong.emplace_back("name");
  if (e.version.size() > 128 || !printable(e.version) ||
      (e.kind != "advisory" && e.version.empty())) {
    wrong.emplace_back("version");
  }
  if (e.target_path.empty() || e.target_path.size() > 1024 || !printable(e.target_path)) {
    wrong.emplace_back("target_path");
  }
  if (!is_hex64(e.sha256)) wrong.emplace_back("sha256 (64 lowercase hex digits)");
  if (!wrong.empty()) {
    std::string msg = "the transparency entry is missing or has a malformed ";
    for (std::size_t i = 0; i < wrong.size(); ++i) msg += (i ? ", " : "") + wrong[i];
    return make_error(ErrorCode::kInvalidArgument, msg);
  }
  json::ObjectBuilder b;
  b.str("kind", e.kind).str("name", e.name).integer("published", now).str("sha256", e.sha256);
  b.str("target_path", e.target_path).str("version", e.version);
  return json::canonicalize(b.finish());
}

Result<std::uint64_t> transparency_append(const fs::path& repo_dir, const TransparencyEntry& entry,
                                          const Secrets& secrets, UnixSeconds now) {
  DSS_TRY(std::string leaf, transparency_leaf(entry, now));
  bool created = false;
  DSS_TRY(tlog::NoteSigner signer, load_or_create_signer(repo_dir, secrets, created));
  const tlog::NoteVerifier verifier = signer.verifier();
  DSS_TRY_STATUS(platform::ensure_private_dir(tdir(repo_dir)));
  ::chmod(tdir(repo_dir).c_str(), 0755);  // the public files below are served as they are
  // The key reaches agents through TUF before any checkpoint signed with it is published.
  DSS_TRY_STATUS(publish_log_target(repo_dir, verifier, secrets, now));
  FixedClock clock(now);
  DSS_TRY(std::unique_ptr<tlog::Log> log,
          tlog::Log::open_with_signer(tdir(repo_dir) / "log", clock, std::move(signer)));
  DSS_TRY(std::uint64_t index, log->append(as_bytes(leaf)));
  DSS_TRY(std::string note, log->checkpoint());
  DSS_TRY_STATUS(republish(repo_dir, *log, note));
  return index;
}

Result<TransparencyStatus> transparency_status(const fs::path& repo_dir) {
  TransparencyStatus s;
  const fs::path out = tdir(repo_dir);
  auto note = platform::read_text_file(out / "checkpoint", kMaxSmallFile);
  if (!note) {
    if (note.error().code == ErrorCode::kNotFound) return s;
    return tl::unexpected(note.error());
  }
  DSS_TRY(std::string vkey, platform::read_text_file(out / "log" / "log.vkey", kMaxSmallFile));
  while (!vkey.empty() && vkey.back() == '\n') vkey.pop_back();
  DSS_TRY(tlog::NoteVerifier v, tlog::NoteVerifier::parse(vkey));
  DSS_TRY(tlog::Checkpoint c, tlog::open_checkpoint(*note, v));
  s.exists = true;
  s.origin = c.origin;
  s.verifier_key = vkey;
  s.size = c.size;
  s.root_hex = hex_of(c.root);
  // The newest leaves, from the entries files (no lock on the log needed).
  std::map<std::uint64_t, std::string> leaves;
  std::error_code ec;
  for (fs::directory_iterator it(out / "entries", ec), end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& e = *it;
    auto text = platform::read_text_file(e.path(), kMaxSmallFile);
    if (!text) continue;
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("index") ||
        !j["index"].is_number_unsigned() || !j.contains("leaf") || !j["leaf"].is_string()) {
      continue;
    }
    leaves[j["index"].get<std::uint64_t>()] = j["leaf"].get<std::string>();
  }
  for (auto it = leaves.rbegin(); it != leaves.rend() && s.last_entries.size() < 10; ++it) {
    s.last_entries.push_back(std::to_string(it->first) + " " + it->second);
  }
  return s;
}

Result<std::vector<std::string>> transparency_verify(const fs::path& repo_dir) {
  std::vector<std::string> problems;
  const fs::path out = tdir(repo_dir);
  std::error_code ec;
  if (!fs::exists(out / "log", ec)) return problems;  // nothing appended yet: nothing to check
  DSS_TRY(std::string vkey, platform::read_text_file(out / "log" / "log.vkey", kMaxSmallFile));
  while (!vkey.empty() && vkey.back() == '\n') vkey.pop_back();
  DSS_TRY(tlog::NoteVerifier v, tlog::NoteVerifier::parse(vkey));
  // The key agents trust is the one in the TUF target: it must be this one.
  if (!fs::exists(repo_dir / "targets" / "transparency" /
                      (crypto::sha256_hex(log_target_json(v)) + ".log.json"),
                  ec)) {
    problems.emplace_back("the TUF target transparency/log.json does not carry the log's key " +
                          vkey + "; agents cannot check the log");
  }
  auto report = tlog::verify_log(out / "log", v);
  if (!report) {
    problems.push_back("the log store: " + report.error().to_string());
    return problems;
  }
  auto note = platform::read_text_file(out / "checkpoint", kMaxSmallFile);
  if (!note) {
    problems.push_back("the published checkpoint: " + note.error().to_string());
    return problems;
  }
  auto c = tlog::open_checkpoint(*note, v);
  if (!c) {
    problems.push_back("the published checkpoint: " + c.error().to_string());
    return problems;
  }
  if (c->size != report->entries || c->root != report->root) {
    problems.push_back("the published checkpoint (size " + std::to_string(c->size) +
                       ") is not the log's current state (size " + std::to_string(report->entries) +
                       "); append again to republish");
  }
  for (fs::directory_iterator it(out / "entries", ec), end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& e = *it;
    const std::string name = e.path().filename().string();
    auto text = platform::read_text_file(e.path(), kMaxSmallFile);
    const auto j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    bool proof_ok = false;
    // (contains() before operator[]: a missing key of a const json is undefined behaviour.)
    if (j.is_discarded() || !j.is_object() || !j.contains("inclusion_proof") ||
        !j.contains("index") || !j["index"].is_number_unsigned() || !j.contains("tree_size") ||
        !j["tree_size"].is_number_unsigned() || !j.contains("leaf") || !j["leaf"].is_string()) {
      problems.push_back("entries/" + name + " is malformed");
      continue;
    }
    const auto proof = parse_proof(j["inclusion_proof"], proof_ok);
    const std::string leaf = j["leaf"].get<std::string>();
    const auto index = j["index"].get<std::uint64_t>();
    const auto lj = nlohmann::json::parse(leaf, nullptr, false);
    if (!proof_ok || j["tree_size"].get<std::uint64_t>() != c->size || !lj.is_object() ||
        !lj.contains("sha256") || !lj["sha256"].is_string() ||
        lj["sha256"].get<std::string>() + ".json" != name ||
        !tlog::verify_inclusion(tlog::leaf_hash(as_bytes(leaf)), index, c->size, proof, c->root)) {
      problems.push_back("entries/" + name +
                         ": the inclusion proof does not verify against the "
                         "published checkpoint");
    }
  }
  for (std::uint64_t old = 1; old < c->size; ++old) {
    const std::string name = std::to_string(old) + ".json";
    auto text = platform::read_text_file(out / "consistency" / name, kMaxSmallFile);
    const auto j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    bool proof_ok = false;
    const auto proof = j.is_object() && j.contains("proof") ? parse_proof(j["proof"], proof_ok)
                                                            : std::vector<tlog::Hash>{};
    // The old root comes from the log's own stored checkpoint of that size.
    auto old_note = platform::read_text_file(
        out / "log" / "checkpoints" / (std::to_string(old) + ".note"), kMaxSmallFile);
    auto old_c = old_note ? tlog::open_checkpoint(*old_note, v) : tl::unexpected(old_note.error());
    if (!old_c) continue;  // no checkpoint was ever issued at that size
    if (!proof_ok || !tlog::verify_consistency(old, c->size, old_c->root, c->root, proof)) {
      problems.push_back("consistency/" + name + " does not prove that the log of size " +
                         std::to_string(old) + " is a prefix of the published one");
    }
  }
  return problems;
}

}  // namespace dss::repo
