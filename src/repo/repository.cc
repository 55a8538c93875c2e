#include "repo/repository.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "core/json.h"
#include "core/url.h"
#include "crypto/hash.h"
#include "platform/files.h"
#include "tuf/trusted_set.h"

namespace dss::repo {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxMetadataFile = 256ull * 1024 * 1024;
constexpr std::uint64_t kMaxKeyFile = 64ull * 1024;
constexpr std::uint64_t kMaxTargetFile = 64ull * 1024 * 1024 * 1024;
constexpr std::int64_t kDay = 86400;

// The repository checks its own signatures with every scheme DSS implements: which schemes its
// devices accept is their setting (crypto.allowed_signature_algorithms), checked at init.
crypto::AllowedSchemes own_signatures() { return crypto::AllowedSchemes::every_supported(); }

tl::unexpected<Error> invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

bool is_top_level(std::string_view role) {
  return role == "root" || role == "timestamp" || role == "snapshot" || role == "targets";
}
bool is_online(std::string_view role) { return role == "timestamp" || role == "snapshot"; }

// ---- repository state ------------------------------------------------------------------------

struct State {
  fs::path dir;
  Settings settings;
  tuf::Metadata<tuf::Root> root;
  tuf::Metadata<tuf::Timestamp> timestamp;
  tuf::Metadata<tuf::Snapshot> snapshot;
  std::map<std::string, tuf::Metadata<tuf::Targets>> targets;  // "targets" and delegated roles
  std::map<std::string, std::string> delegator_of;             // role -> delegating role

  [[nodiscard]] fs::path metadata_dir() const { return dir / "metadata"; }
  [[nodiscard]] fs::path offline_dir() const {
    return settings.offline_keys_dir.empty() ? dir / "keys" / "offline" : settings.offline_keys_dir;
  }
  [[nodiscard]] fs::path online_dir() const {
    return settings.online_keys_dir.empty() ? dir / "keys" / "online" : settings.online_keys_dir;
  }
  [[nodiscard]] fs::path key_dir_for(std::string_view role) const {
    return is_online(role) ? online_dir() : offline_dir();
  }
  [[nodiscard]] std::int64_t days_for(std::string_view role) const {
    if (role == "root") return settings.root_days;
    if (role == "snapshot") return settings.snapshot_days;
    if (role == "timestamp") return settings.timestamp_days;
    return settings.targets_days;
  }
  // Keys and threshold that sign `role`, as its delegator lists them.
  [[nodiscard]] std::pair<const std::map<std::string, crypto::PublicKey>*, const tuf::RoleKeys*>
  top_role(std::string_view role) const {
    const auto it = root.signed_.roles.find(std::string(role));
    return {&root.signed_.keys, it == root.signed_.roles.end() ? nullptr : &it->second};
  }
};

std::string settings_json(const Settings& s) {
  json::ObjectBuilder days;
  days.integer("root", s.root_days).integer("targets", s.targets_days);
  days.integer("snapshot", s.snapshot_days).integer("timestamp", s.timestamp_days);
  json::ObjectBuilder b;
  b.str("format", "dss-repository-v1").raw("expiry_days", days.finish());
  b.str("scheme", crypto::key_scheme_name(s.scheme));
  b.str("offline_keys_dir", s.offline_keys_dir.string());
  b.str("online_keys_dir", s.online_keys_dir.string());
  return b.finish() + "\n";
}

Result<Settings> parse_settings(std::string_view text) {
  json::JsonParser parser;
  DSS_TRY(json::Element doc, parser.parse_copy(text));
  DSS_TRY(json::Object o, json::get_object(doc, "repository.json"));
  Settings s;
  DSS_TRY(json::Element days_el, json::field(o, "expiry_days", "repository.json"));
  DSS_TRY(json::Object days, json::get_object(days_el, "expiry_days"));
  for (auto [name, target] : std::initializer_list<std::pair<const char*, std::int64_t*>>{
           {"root", &s.root_days},
           {"targets", &s.targets_days},
           {"snapshot", &s.snapshot_days},
           {"timestamp", &s.timestamp_days}}) {
    DSS_TRY(json::Element e, json::field(days, name, "expiry_days"));
    DSS_TRY(*target, json::get_int(e, std::string("expiry_days.") + name));
    if (*target < 1)
      return make_error(ErrorCode::kMalformed, "expiry periods must be at least 1 day");
  }
  DSS_TRY(json::Element scheme_el, json::field(o, "scheme", "repository.json"));
  DSS_TRY(std::string_view scheme, json::get_string(scheme_el, "scheme"));
  DSS_TRY(s.scheme, crypto::key_scheme_from_name(scheme));
  DSS_TRY(json::Element off_el, json::field(o, "offline_keys_dir", "repository.json"));
  DSS_TRY(std::string_view off, json::get_string(off_el, "offline_keys_dir"));
  DSS_TRY(json::Element on_el, json::field(o, "online_keys_dir", "repository.json"));
  DSS_TRY(std::string_view on, json::get_string(on_el, "online_keys_dir"));
  s.offline_keys_dir = off;
  s.online_keys_dir = on;
  return s;
}

// Clients request N.<percent-encoded role>.json; a static web server decodes that to the
// literal role name, so that is the name on disk. Role names are checked to be safe file names.
std::string versioned_name(std::int64_t version, std::string_view role) {
  return std::to_string(version) + "." + std::string(role) + ".json";
}

Result<std::string> read_metadata(const fs::path& path) {
  auto text = platform::read_text_file(path, kMaxMetadataFile);
  if (!text && text.error().code == ErrorCode::kNotFound) {
    return make_error(ErrorCode::kNotFound, path.string() + " is missing from the repository");
  }
  return text;
}

Result<State> load_state(const fs::path& dir) {
  State st;
  st.dir = dir;
  auto settings_text = platform::read_text_file(dir / "repository.json", kMaxKeyFile);
  if (!settings_text) {
    if (settings_text.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kFailedPrecondition,
                        dir.string() + " holds no DSS repository; create one with `dss repo init " +
                            dir.string() + "`");
    }
    return tl::unexpected(std::move(settings_text).error());
  }
  DSS_TRY(st.settings, parse_settings(*settings_text));
  tuf::MetadataParser parser;
  DSS_TRY(std::string root_text, read_metadata(st.metadata_dir() / "root.json"));
  DSS_TRY(st.root, parser.root(root_text));
  DSS_TRY(std::string ts_text, read_metadata(st.metadata_dir() / "timestamp.json"));
  DSS_TRY(st.timestamp, parser.timestamp(ts_text));
  DSS_TRY(std::string snap_text,
          read_metadata(st.metadata_dir() /
                        versioned_name(st.timestamp.signed_.snapshot_meta.version, "snapshot")));
  DSS_TRY(st.snapshot, parser.snapshot(snap_text));
  for (const auto& [name, meta] : st.snapshot.signed_.meta) {
    if (!name.ends_with(".json")) continue;
    const std::string role = name.substr(0, name.size() - 5);
    DSS_TRY(std::string text,
            read_metadata(st.metadata_dir() / versioned_name(meta.version, role)));
    DSS_TRY(auto md, parser.targets(text));
    st.targets.emplace(role, std::move(md));
  }
  if (!st.targets.contains("targets")) {
    return make_error(ErrorCode::kRepositoryError, "snapshot does not list targets.json");
  }
  for (const auto& [role, md] : st.targets) {
    if (!md.signed_.delegations) continue;
    for (const auto& child : md.signed_.delegations->roles) st.delegator_of[child.name] = role;
  }
  return st;
}

// ---- keys ------------------------------------------------------------------------------------

struct Signer {
  std::string role;
  crypto::PrivateKey key;
  fs::path file;
};

std::string key_file_name(std::string_view role, const std::string& keyid) {
  return percent_encode(role) + "-" + keyid.substr(0, 16) + ".key";
}

// Generates a key for `role` and writes it, encrypted, into its key directory.
Result<crypto::PrivateKey> create_key(const State& st, std::string_view role,
                                      const Secrets& secrets, std::vector<fs::path>& written) {
  DSS_TRY(crypto::PrivateKey key, crypto::PrivateKey::generate(st.settings.scheme));
  const SecretBytes& pass = is_online(role) ? secrets.online : secrets.offline;
  DSS_TRY(std::string sealed, seal_key(key, role, pass, secrets.kdf));
  const fs::path kdir = st.key_dir_for(role);
  DSS_TRY_STATUS(platform::ensure_private_dir(kdir));
  const fs::path file = kdir / key_file_name(role, key.public_key().keyid());
  DSS_TRY_STATUS(platform::write_file_atomic(file, sealed, platform::FileMode::kPrivate));
  written.push_back(file);
  return key;
}

// Unlocks every key file in the role's directory that belongs to `role` and is one of `keyids`.
Result<std::vector<Signer>> unlock_keys(const State& st, std::string_view role,
                                        const std::set<std::string>& keyids,
                                        const Secrets& secrets) {
  std::vector<Signer> out;
  const fs::path kdir = st.key_dir_for(role);
  std::error_code ec;
  if (!fs::is_directory(kdir, ec)) return out;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(kdir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    if (entry.path().extension() == ".key") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    DSS_TRY(std::string text, platform::read_text_file(file, kMaxKeyFile));
    auto info = peek_key_file(text);
    if (!info || info->role != role || !keyids.contains(info->keyid)) continue;
    DSS_TRY(crypto::PrivateKey key,
            open_key(text, is_online(role) ? secrets.online : secrets.offline));
    out.push_back(Signer{std::string(role), std::move(key), file});
  }
  return out;
}

// Adds `more` to `into`, one signature per key id (spec §4.2): a newer signature by a key
// replaces the one it made before, so merging a signature file twice, or one for a key that
// already signed, still yields well-formed metadata.
void merge_signatures(std::vector<tuf::Signature>& into, const std::vector<tuf::Signature>& more) {
  for (const tuf::Signature& sig : more) {
    const auto same = std::find_if(into.begin(), into.end(),
                                   [&](const tuf::Signature& s) { return s.keyid == sig.keyid; });
    if (same == into.end()) {
      into.push_back(sig);
    } else {
      *same = sig;
    }
  }
}

std::vector<tuf::Signature> sign_with(const std::vector<Signer>& signers,
                                      const std::string& bytes) {
  std::vector<tuf::Signature> sigs;
  std::set<std::string> seen;
  for (const Signer& s : signers) {
    const std::string keyid = s.key.public_key().keyid();
    if (!seen.insert(keyid).second) continue;
    auto sig = s.key.sign(as_bytes(bytes));
    if (sig) sigs.push_back(tuf::Signature{keyid, std::move(*sig)});
  }
  return sigs;
}

// ---- the transaction -------------------------------------------------------------------------

struct Edit {
  State st;
  std::string old_root_bytes;  // the published root before this edit (empty at init)
  bool root_changed = false;
  std::set<std::string> changed;               // targets roles to re-sign
  std::set<std::string> presigned;             // roles whose signatures are already complete
  std::vector<crypto::PrivateKey> fresh_keys;  // generated in this edit (may sign at once)
  std::vector<fs::path> written;               // files created so far (removed on failure)
  std::vector<fs::path> retire;                // key files to move to keys/retired on success
};

Status check_threshold(std::string_view role, const std::map<std::string, crypto::PublicKey>& keys,
                       const tuf::RoleKeys& rk, const std::string& bytes,
                       const std::vector<tuf::Signature>& sigs) {
  return tuf::verify_threshold(role, keys, rk.keyids, rk.threshold, bytes, sigs, own_signatures());
}

// Signatures for `role` over `bytes` from every available key: key files plus keys generated
// in this edit.
Result<std::vector<tuf::Signature>> collect_signatures(Edit& e, std::string_view role,
                                                       const std::set<std::string>& keyids,
                                                       const std::string& bytes,
                                                       const Secrets& secrets) {
  DSS_TRY(std::vector<Signer> signers, unlock_keys(e.st, role, keyids, secrets));
  std::vector<tuf::Signature> sigs = sign_with(signers, bytes);
  std::set<std::string> have;
  for (const auto& s : sigs) have.insert(s.keyid);
  for (const crypto::PrivateKey& k : e.fresh_keys) {
    const std::string id = k.public_key().keyid();
    if (keyids.contains(id) && !have.contains(id)) {
      auto sig = k.sign(as_bytes(bytes));
      if (sig) sigs.push_back(tuf::Signature{id, std::move(*sig)});
      have.insert(id);
    }
  }
  return sigs;
}

// Keys and threshold with which `role` is verified in the edited state.
Result<std::pair<const std::map<std::string, crypto::PublicKey>*, const tuf::RoleKeys*>>
signing_role(const State& st, const std::string& role, tuf::RoleKeys& scratch) {
  if (is_top_level(role)) {
    auto [keys, rk] = st.top_role(role);
    if (rk == nullptr) return make_error(ErrorCode::kRepositoryError, "root lacks role " + role);
    return std::make_pair(keys, rk);
  }
  const auto d = st.delegator_of.find(role);
  if (d == st.delegator_of.end()) {
    return make_error(ErrorCode::kNotFound, "no role delegates to \"" + role + "\"");
  }
  const auto& parent = st.targets.at(d->second).signed_;
  for (const auto& r : parent.delegations->roles) {
    if (r.name == role) {
      scratch.keyids = r.keyids;
      scratch.threshold = r.threshold;
      return std::make_pair(&parent.delegations->keys, &scratch);
    }
  }
  return make_error(ErrorCode::kNotFound, "no role delegates to \"" + role + "\"");
}

std::string envelope_of(const std::string& signed_bytes, const std::vector<tuf::Signature>& sigs) {
  return tuf::to_envelope_json(signed_bytes, sigs);
}

Status stage_pending(Edit& e, const std::string& role, const std::string& signed_bytes,
                     const std::vector<tuf::Signature>& sigs) {
  const fs::path pdir = e.st.dir / "pending";
  DSS_TRY_STATUS(platform::ensure_private_dir(pdir));
  return platform::write_file_atomic(pdir / (percent_encode(role) + ".json"),
                                     envelope_of(signed_bytes, sigs), platform::FileMode::kPrivate);
}

struct Outcome {
  bool published = false;
  std::vector<std::string> staged;
};

// Re-signs what changed, then snapshot and timestamp; verifies; writes. See the file header.
Result<Outcome> commit(Edit& e, const Secrets& secrets, UnixSeconds now, Report& report) {
  State& st = e.st;
  std::map<std::string, std::string> files;  // metadata file name -> bytes, in write order below
  std::vector<std::string> order;
  const auto add_file = [&](const std::string& name, std::string bytes) {
    if (!files.contains(name)) order.push_back(name);
    files[name] = std::move(bytes);
  };
  Outcome outcome;
  std::string root_bytes;
  if (e.root_changed) {
    tuf::Root& r = st.root.signed_;
    if (!e.presigned.contains("root")) {
      r.version += e.old_root_bytes.empty() ? 0 : 1;
      r.expires = now + st.settings.root_days * kDay;
    }
    const std::string signed_bytes = tuf::to_signed_json(r);
    std::vector<tuf::Signature> sigs = st.root.signatures;
    std::optional<tuf::Metadata<tuf::Root>> old_root;
    if (!e.old_root_bytes.empty()) {
      tuf::MetadataParser p;
      DSS_TRY(old_root, p.root(e.old_root_bytes));
    }
    if (!e.presigned.contains("root")) {
      std::set<std::string> ids(r.roles.at("root").keyids.begin(), r.roles.at("root").keyids.end());
      if (old_root)
        ids.insert(old_root->signed_.roles.at("root").keyids.begin(),
                   old_root->signed_.roles.at("root").keyids.end());
      DSS_TRY(sigs, collect_signatures(e, "root", ids, signed_bytes, secrets));
    }
    // §5.3.4/5: the new root needs the old root's threshold and its own.
    Status enough = check_threshold("root", r.keys, r.roles.at("root"), signed_bytes, sigs);
    if (enough && old_root) {
      enough = check_threshold("root", old_root->signed_.keys, old_root->signed_.roles.at("root"),
                               signed_bytes, sigs);
    }
    if (!enough) {
      DSS_TRY_STATUS(stage_pending(e, "root", signed_bytes, sigs));
      outcome.staged.push_back("root");
      report.lines.push_back("root version " + std::to_string(r.version) +
                             " needs more signatures (" + enough.error().message +
                             "); staged in pending/root.json. Each key holder runs `dss repo "
                             "sign`, then `dss repo merge` publishes it.");
      return outcome;
    }
    root_bytes = envelope_of(signed_bytes, sigs);
    add_file(versioned_name(r.version, "root"), root_bytes);
    report.lines.push_back("root: version " + std::to_string(r.version) + ", expires " +
                           format_utc_timestamp(r.expires));
  }
  // Targets roles, parents before children.
  std::vector<std::string> roles_in_order;
  {
    std::deque<std::string> queue{"targets"};
    std::set<std::string> seen;
    while (!queue.empty()) {
      std::string role = queue.front();
      queue.pop_front();
      if (!seen.insert(role).second || !st.targets.contains(role)) continue;
      roles_in_order.push_back(role);
      const auto& d = st.targets.at(role).signed_.delegations;
      if (d)
        for (const auto& c : d->roles) queue.push_back(c.name);
    }
  }
  std::map<std::string, std::string> targets_bytes;
  for (const std::string& role : roles_in_order) {
    auto& md = st.targets.at(role);
    if (e.changed.contains(role) && !e.presigned.contains(role)) {
      md.signed_.version +=
          st.snapshot.signed_.meta.contains(role + ".json") && !e.old_root_bytes.empty() ? 1 : 0;
      md.signed_.expires = now + st.days_for(role) * kDay;
      const std::string signed_bytes = tuf::to_signed_json(md.signed_);
      tuf::RoleKeys scratch;
      DSS_TRY(auto keys_rk, signing_role(st, role, scratch));
      const std::set<std::string> ids(keys_rk.second->keyids.begin(), keys_rk.second->keyids.end());
      DSS_TRY(md.signatures, collect_signatures(e, role, ids, signed_bytes, secrets));
      md.signed_canonical = signed_bytes;
      if (Status enough =
              check_threshold(role, *keys_rk.first, *keys_rk.second, signed_bytes, md.signatures);
          !enough) {
        DSS_TRY_STATUS(stage_pending(e, role, signed_bytes, md.signatures));
        outcome.staged.push_back(role);
        report.lines.push_back(role + " version " + std::to_string(md.signed_.version) +
                               " needs more signatures (" + enough.error().message +
                               "); staged in pending/" + percent_encode(role) +
                               ".json. Each key holder runs `dss repo sign`, then `dss repo "
                               "merge` publishes it.");
        return outcome;
      }
      report.lines.push_back(role + ": version " + std::to_string(md.signed_.version) +
                             ", expires " + format_utc_timestamp(md.signed_.expires));
    }
    const std::string bytes = envelope_of(tuf::to_signed_json(md.signed_), md.signatures);
    targets_bytes[role] = bytes;
    if (e.changed.contains(role)) add_file(versioned_name(md.signed_.version, role), bytes);
  }
  // Snapshot: every targets role with version, length and hash (mix-and-match defence).
  tuf::Snapshot& snap = st.snapshot.signed_;
  if (!e.old_root_bytes.empty()) snap.version += 1;
  snap.expires = now + st.settings.snapshot_days * kDay;
  snap.meta.clear();
  for (const auto& [role, bytes] : targets_bytes) {
    tuf::MetaFile m;
    m.version = st.targets.at(role).signed_.version;
    m.length = bytes.size();
    m.hashes["sha256"] = crypto::sha256_hex(bytes);
    snap.meta[role + ".json"] = m;
  }
  // The online roles are signed by every key root lists for them.
  const auto sign_online = [&](const std::string& role,
                               const std::string& signed_bytes) -> Result<std::string> {
    const auto& ids = st.root.signed_.roles.at(role).keyids;
    DSS_TRY(std::vector<tuf::Signature> sigs,
            collect_signatures(e, role, {ids.begin(), ids.end()}, signed_bytes, secrets));
    return envelope_of(signed_bytes, sigs);
  };
  DSS_TRY(const std::string snap_bytes, sign_online("snapshot", tuf::to_signed_json(snap)));
  add_file(versioned_name(snap.version, "snapshot"), snap_bytes);
  tuf::Timestamp& ts = st.timestamp.signed_;
  if (!e.old_root_bytes.empty()) ts.version += 1;
  ts.expires = now + st.settings.timestamp_days * kDay;
  ts.snapshot_meta = tuf::MetaFile{};
  ts.snapshot_meta.version = snap.version;
  ts.snapshot_meta.length = snap_bytes.size();
  ts.snapshot_meta.hashes["sha256"] = crypto::sha256_hex(snap_bytes);
  DSS_TRY(const std::string ts_bytes, sign_online("timestamp", tuf::to_signed_json(ts)));
  report.lines.push_back("snapshot: version " + std::to_string(snap.version) +
                         "; timestamp: version " + std::to_string(ts.version) + ", expires " +
                         format_utc_timestamp(ts.expires));

  // Verify the whole new state exactly as a client would, before writing anything.
  {
    const std::string& trust = e.old_root_bytes.empty() ? root_bytes : e.old_root_bytes;
    DSS_TRY(tuf::TrustedSet set, tuf::TrustedSet::create(trust, now, own_signatures()));
    if (!root_bytes.empty() && !e.old_root_bytes.empty())
      DSS_TRY_STATUS(set.update_root(root_bytes));
    DSS_TRY_STATUS(set.update_timestamp(ts_bytes));
    DSS_TRY_STATUS(set.update_snapshot(snap_bytes, tuf::Provenance::kRepository));
    for (const std::string& role : roles_in_order) {
      if (role == "targets") {
        DSS_TRY_STATUS(set.update_targets(targets_bytes.at(role)));
      } else {
        DSS_TRY_STATUS(
            set.update_delegated_targets(targets_bytes.at(role), role, st.delegator_of.at(role)));
      }
    }
  }

  // Write: new versioned files, then root.json, then timestamp.json (the commit point).
  const fs::path mdir = st.metadata_dir();
  DSS_TRY_STATUS(platform::ensure_private_dir(mdir));
  const auto undo = [&] {
    for (const fs::path& p : e.written) ignore_error(platform::remove_file_durable(p));
  };
  for (const std::string& name : order) {
    const fs::path p = mdir / name;
    std::error_code ec;
    if (fs::exists(p, ec)) {
      undo();
      return make_error(ErrorCode::kAlreadyExists,
                        p.string() +
                            " already exists; the repository is inconsistent. Run "
                            "`dss repo verify` and remove stray files from an "
                            "interrupted edit");
    }
    if (Status w = platform::write_file_atomic(p, files[name], platform::FileMode::kPublic); !w) {
      undo();
      return tl::unexpected(w.error());
    }
    e.written.push_back(p);
  }
  if (!root_bytes.empty()) {
    if (Status w = platform::write_file_atomic(mdir / "root.json", root_bytes,
                                               platform::FileMode::kPublic);
        !w) {
      undo();
      return tl::unexpected(w.error());
    }
  }
  if (Status w = platform::write_file_atomic(mdir / "timestamp.json", ts_bytes,
                                             platform::FileMode::kPublic);
      !w) {
    undo();
    return tl::unexpected(w.error());
  }
  // Committed. Tidy up: retired keys and pending files of published roles.
  for (const fs::path& key : e.retire) {
    const fs::path rdir = st.dir / "keys" / "retired";
    if (platform::ensure_private_dir(rdir)) {
      std::error_code ec;
      fs::rename(key, rdir / key.filename(), ec);
    }
  }
  for (const std::string& role : e.presigned) {
    ignore_error(
        platform::remove_file_durable(st.dir / "pending" / (percent_encode(role) + ".json")));
  }
  outcome.published = true;
  return outcome;
}

Result<platform::DirLock> lock(const fs::path& dir) { return platform::DirLock::acquire(dir); }

Result<Edit> begin(const fs::path& dir) {
  Edit e;
  DSS_TRY(e.st, load_state(dir));
  DSS_TRY(e.old_root_bytes, read_metadata(e.st.metadata_dir() / "root.json"));
  return e;
}

Status validate_target_path(const std::string& path) {
  const auto bad = [&](std::string_view why) {
    return invalid("target path \"" + path + "\" " + std::string(why) +
                   "; use a relative path like \"app/1.0/app.tar.gz\"");
  };
  if (path.empty()) return bad("is empty");
  if (path.front() == '/') return bad("is absolute");
  if (path.find('\\') != std::string::npos) return bad("contains a backslash");
  for (const char c : path) {
    if (static_cast<unsigned char>(c) < 0x20) return bad("contains a control character");
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string seg =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..")
      return bad("has an empty, \".\" or \"..\" segment");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return ok();
}

Status validate_role_name(const std::string& name) {
  if (name.empty()) return invalid("a delegated role needs a name");
  if (is_top_level(name)) {
    return invalid("\"" + name + "\" is a top-level role; choose another name for the delegation");
  }
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '/' || c == '\\') {
      return invalid("role name \"" + name +
                     "\" contains \"/\", \"\\\" or a control character; "
                     "the name becomes a file name in the repository");
    }
  }
  return ok();
}

// The edited targets role `role`, never null on success; kNotFound when the repository has
// no such role (then nothing is edited).
Result<tuf::Targets*> targets_role(Edit& e, const std::string& role) {
  const auto it = e.st.targets.find(role);
  if (it == e.st.targets.end()) {
    return make_error(ErrorCode::kNotFound,
                      "the repository has no targets role \"" + role +
                          "\"; `dss repo status` lists the roles, `dss repo delegate` adds one");
  }
  return &it->second.signed_;
}

Report finish(Outcome o, Report r) {
  if (o.published) r.lines.push_back("published.");
  return r;
}

std::string short_id(const std::string& keyid) { return keyid.substr(0, 16); }

}  // namespace

// ---- operations ------------------------------------------------------------------------------

Result<Report> init(const InitOptions& o, const Secrets& secrets, UnixSeconds now) {
  std::error_code ec;
  if (fs::exists(o.dir / "repository.json", ec) || fs::exists(o.dir / "metadata", ec)) {
    return make_error(ErrorCode::kAlreadyExists,
                      o.dir.string() + " already holds a repository; refusing to overwrite it");
  }
  if (secrets.offline.empty() || secrets.online.empty()) {
    return invalid("passphrases for offline and online keys are required (no default passwords)");
  }
  if (o.root_keys < 1 || o.targets_keys < 1 || o.root_threshold < 1 || o.targets_threshold < 1 ||
      o.root_threshold > o.root_keys || o.targets_threshold > o.targets_keys) {
    return invalid("each threshold must be between 1 and the number of keys of its role");
  }
  for (const std::int64_t d : {o.settings.root_days, o.settings.targets_days,
                               o.settings.snapshot_days, o.settings.timestamp_days}) {
    if (d < 1) return invalid("expiry periods must be at least 1 day");
  }
  DSS_TRY_STATUS(platform::ensure_private_dir(o.dir));
  DSS_TRY(platform::DirLock held, lock(o.dir));
  Edit e;
  e.st.dir = o.dir;
  e.st.settings = o.settings;
  Report report;
  const auto fail_cleanup = [&](Error err) -> Result<Report> {
    for (const fs::path& p : e.written) ignore_error(platform::remove_file_durable(p));
    return tl::unexpected(std::move(err));
  };
  tuf::Root& root = e.st.root.signed_;
  root.consistent_snapshot = true;
  const std::vector<std::tuple<std::string, int, std::int64_t>> plan{
      {"root", o.root_keys, o.root_threshold},
      {"targets", o.targets_keys, o.targets_threshold},
      {"snapshot", 1, 1},
      {"timestamp", 1, 1}};
  for (const auto& [role, count, threshold] : plan) {
    tuf::RoleKeys rk;
    rk.threshold = threshold;
    for (int i = 0; i < count; ++i) {
      auto key = create_key(e.st, role, secrets, e.written);
      if (!key) return fail_cleanup(key.error());
      rk.keyids.push_back(key->public_key().keyid());
      root.keys.emplace(key->public_key().keyid(), key->public_key());
      report.lines.push_back(role + " key " + short_id(key->public_key().keyid()) + " created in " +
                             e.st.key_dir_for(role).string());
      e.fresh_keys.push_back(std::move(*key));
    }
    root.roles[role] = rk;
  }
  e.root_changed = true;
  root.version = 1;
  e.st.targets["targets"].signed_.version = 1;
  e.changed.insert("targets");
  e.st.snapshot.signed_.version = 1;
  e.st.timestamp.signed_.version = 1;
  auto settings_write = platform::write_file_atomic(
      o.dir / "repository.json", settings_json(o.settings), platform::FileMode::kPrivate);
  if (!settings_write) return fail_cleanup(settings_write.error());
  e.written.push_back(o.dir / "repository.json");
  ignore_error(platform::ensure_private_dir(o.dir / "targets"));
  auto outcome = commit(e, secrets, now, report);
  if (!outcome) return fail_cleanup(outcome.error());
  if (!outcome->published) {
    return make_error(ErrorCode::kInternal, "a new repository could not be fully signed");
  }
  return finish(*outcome, report);
}

Result<Report> add_target(const AddTargetOptions& o, const Secrets& secrets, UnixSeconds now) {
  DSS_TRY_STATUS(validate_target_path(o.target_path));
  DSS_TRY(platform::DirLock held, lock(o.dir));
  DSS_TRY(Edit e, begin(o.dir));
  DSS_TRY(tuf::Targets* const role, targets_role(e, o.role));
  tuf::Targets& t = *role;
  auto content = platform::read_file(o.file, kMaxTargetFile);
  if (!content) {
    return make_error(content.error().code,
                      "cannot read the target file: " + content.error().message);
  }
  tuf::TargetFile tf;
  tf.length = content->size();
  const std::string sha256 = hex_encode(crypto::digest(crypto::HashAlgorithm::kSha256, *content));
  const std::string sha512 = hex_encode(crypto::digest(crypto::HashAlgorithm::kSha512, *content));
  tf.hashes["sha256"] = sha256;
  tf.hashes["sha512"] = sha512;
  if (!o.custom_json.empty()) {
    json::JsonParser p;
    DSS_TRY(json::Element c, p.parse_copy(o.custom_json));
    if (!c.is_object()) return invalid("--custom must be a JSON object");
    DSS_TRY(tf.custom, json::canonical(c));
  }
  if (const auto old = t.targets.find(o.target_path); old != t.targets.end()) {
    tf.unknown = old->second.unknown;  // keep fields other tools added
  }
  // Target files are content-addressed, so writing them before the commit is harmless.
  const fs::path rel(o.target_path);
  const fs::path tdir = o.dir / "targets" / rel.parent_path();
  DSS_TRY_STATUS(platform::ensure_private_dir(tdir));
  for (const std::string& h : {sha256, sha512}) {
    DSS_TRY_STATUS(platform::write_file_atomic(tdir / (h + "." + rel.filename().string()), *content,
                                               platform::FileMode::kPublic));
  }
  t.targets[o.target_path] = tf;
  e.changed.insert(o.role);
  Report report;
  report.lines.push_back("target " + o.target_path + " (" + std::to_string(tf.length) +
                         " bytes, sha256 " + sha256.substr(0, 16) + "…) added to " + o.role);
  DSS_TRY(Outcome outcome, commit(e, secrets, now, report));
  return finish(outcome, report);
}

Result<Report> remove_target(const fs::path& dir, const std::string& role,
                             const std::string& target_path, const Secrets& secrets,
                             UnixSeconds now) {
  DSS_TRY(platform::DirLock held, lock(dir));
  DSS_TRY(Edit e, begin(dir));
  DSS_TRY(tuf::Targets* const edited, targets_role(e, role));
  tuf::Targets& t = *edited;
  if (t.targets.erase(target_path) == 0) {
    return make_error(ErrorCode::kNotFound,
                      "role " + role + " lists no target \"" + target_path + "\"");
  }
  e.changed.insert(role);
  Report report;
  report.lines.push_back(
      "target " + target_path + " removed from " + role +
      " (its file stays in targets/ for clients that still hold older metadata)");
  DSS_TRY(Outcome outcome, commit(e, secrets, now, report));
  return finish(outcome, report);
}

Result<Report> delegate(const DelegateOptions& o, const Secrets& secrets, UnixSeconds now) {
  DSS_TRY_STATUS(validate_role_name(o.name));
  if (o.paths.empty() == o.hash_prefixes.empty()) {
    return invalid("give either --path patterns or --hash-prefix values (exactly one kind)");
  }
  if (o.keys < 1 || o.threshold < 1 || o.threshold > o.keys) {
    return invalid("the threshold must be between 1 and the number of keys");
  }
  DSS_TRY(platform::DirLock held, lock(o.dir));
  DSS_TRY(Edit e, begin(o.dir));
  if (e.st.targets.contains(o.name) || e.st.delegator_of.contains(o.name)) {
    return make_error(ErrorCode::kAlreadyExists, "role \"" + o.name + "\" already exists");
  }
  DSS_TRY(tuf::Targets* const delegator, targets_role(e, o.delegator));
  tuf::Targets& parent = *delegator;
  if (!parent.delegations) parent.delegations = tuf::Delegations{};
  tuf::DelegatedRole role;
  role.name = o.name;
  role.threshold = o.threshold;
  role.terminating = o.terminating;
  if (!o.paths.empty()) role.paths = o.paths;
  if (!o.hash_prefixes.empty()) role.path_hash_prefixes = o.hash_prefixes;
  Report report;
  for (int i = 0; i < o.keys; ++i) {
    auto key = create_key(e.st, o.name, secrets, e.written);
    if (!key) {
      for (const fs::path& p : e.written) ignore_error(platform::remove_file_durable(p));
      return tl::unexpected(key.error());
    }
    role.keyids.push_back(key->public_key().keyid());
    parent.delegations->keys.emplace(key->public_key().keyid(), key->public_key());
    report.lines.push_back(o.name + " key " + short_id(key->public_key().keyid()) + " created");
    e.fresh_keys.push_back(std::move(*key));
  }
  parent.delegations->roles.push_back(role);
  e.st.delegator_of[o.name] = o.delegator;
  auto& child = e.st.targets[o.name];
  child.signed_.version = 1;
  e.changed.insert(o.name);
  e.changed.insert(o.delegator);
  auto outcome = commit(e, secrets, now, report);
  if (!outcome) {
    for (const fs::path& p : e.written) ignore_error(platform::remove_file_durable(p));
    return tl::unexpected(outcome.error());
  }
  return finish(*outcome, report);
}

Result<Report> refresh(const fs::path& dir, const std::vector<std::string>& roles,
                       const Secrets& secrets, UnixSeconds now) {
  DSS_TRY(platform::DirLock held, lock(dir));
  DSS_TRY(Edit e, begin(dir));
  for (const std::string& role : roles) {
    if (role == "root") {
      e.root_changed = true;
    } else if (role == "snapshot" || role == "timestamp") {
      continue;  // always re-signed
    } else if (e.st.targets.contains(role)) {
      e.changed.insert(role);
    } else {
      return make_error(ErrorCode::kNotFound, "the repository has no role \"" + role + "\"");
    }
  }
  Report report;
  DSS_TRY(Outcome outcome, commit(e, secrets, now, report));
  return finish(outcome, report);
}

Result<Report> rotate_key(const RotateOptions& o, const Secrets& secrets, UnixSeconds now) {
  if (o.add_keys < 0) return invalid("--add must not be negative");
  DSS_TRY(platform::DirLock held, lock(o.dir));
  DSS_TRY(Edit e, begin(o.dir));
  State& st = e.st;
  std::map<std::string, crypto::PublicKey>* keys = nullptr;
  std::vector<std::string>* keyids = nullptr;
  std::int64_t* threshold = nullptr;
  if (is_top_level(o.role)) {
    keys = &st.root.signed_.keys;
    auto& rk = st.root.signed_.roles.at(o.role);
    keyids = &rk.keyids;
    threshold = &rk.threshold;
    e.root_changed = true;
  } else {
    const auto d = st.delegator_of.find(o.role);
    if (d == st.delegator_of.end()) {
      return make_error(ErrorCode::kNotFound, "the repository has no role \"" + o.role + "\"");
    }
    auto& parent = st.targets.at(d->second).signed_;
    keys = &parent.delegations->keys;
    for (auto& r : parent.delegations->roles) {
      if (r.name == o.role) {
        keyids = &r.keyids;
        threshold = &r.threshold;
      }
    }
    e.changed.insert(d->second);
  }
  Report report;
  std::vector<std::string> removed;
  for (const std::string& prefix : o.remove_keyids) {
    if (prefix.size() < 8)
      return invalid("key id prefix \"" + prefix + "\" is shorter than 8 hex digits");
    std::vector<std::string> matches;
    for (const std::string& id : *keyids) {
      if (id.starts_with(prefix)) matches.push_back(id);
    }
    if (matches.size() != 1) {
      return invalid("key id \"" + prefix + "\" matches " + std::to_string(matches.size()) +
                     " keys of " + o.role + "; give a longer prefix");
    }
    removed.push_back(matches.front());
  }
  for (const std::string& id : removed) {
    keyids->erase(std::find(keyids->begin(), keyids->end(), id));
    const bool still_used =
        std::any_of(st.root.signed_.roles.begin(), st.root.signed_.roles.end(), [&](const auto& r) {
          return std::find(r.second.keyids.begin(), r.second.keyids.end(), id) !=
                 r.second.keyids.end();
        });
    if (!still_used || !is_top_level(o.role)) keys->erase(id);
    e.retire.push_back(st.key_dir_for(o.role) / key_file_name(o.role, id));
    report.lines.push_back(o.role + " key " + short_id(id) +
                           " removed (file moved to keys/retired)");
  }
  for (int i = 0; i < o.add_keys; ++i) {
    auto key = create_key(st, o.role, secrets, e.written);
    if (!key) {
      for (const fs::path& p : e.written) ignore_error(platform::remove_file_durable(p));
      return tl::unexpected(key.error());
    }
    keyids->push_back(key->public_key().keyid());
    keys->emplace(key->public_key().keyid(), key->public_key());
    report.lines.push_back(o.role + " key " + short_id(key->public_key().keyid()) + " added");
    e.fresh_keys.push_back(std::move(*key));
  }
  if (o.threshold) *threshold = *o.threshold;
  if (*threshold < 1 || *threshold > static_cast<std::int64_t>(keyids->size())) {
    for (const fs::path& p : e.written) ignore_error(platform::remove_file_durable(p));
    return invalid("after rotation " + o.role + " would have " + std::to_string(keyids->size()) +
                   " keys and threshold " + std::to_string(*threshold) +
                   "; the threshold must be between 1 and the number of keys");
  }
  // The role itself must be re-signed with its new keys.
  if (o.role == "targets" || !is_top_level(o.role)) e.changed.insert(o.role);
  auto outcome = commit(e, secrets, now, report);
  if (!outcome) {
    for (const fs::path& p : e.written) ignore_error(platform::remove_file_durable(p));
    return tl::unexpected(outcome.error());
  }
  return finish(*outcome, report);
}

Result<StatusReport> status(const fs::path& dir, UnixSeconds now) {
  DSS_TRY(State st, load_state(dir));
  StatusReport out;
  const auto add = [&](const std::string& role, const tuf::Common& c,
                       const std::vector<std::string>& keyids, std::int64_t threshold) {
    out.roles.push_back(RoleStatus{role, c.version, c.expires, keyids, threshold});
    const std::int64_t left = c.expires - now;
    const std::string days = std::to_string(left / kDay);
    const bool offline = !is_online(role);
    const std::string fix = role == "root" ? "`dss repo refresh " + dir.string() + " --role root`"
                            : offline
                                ? "`dss repo refresh " + dir.string() + " --role " + role + "`"
                                : "`dss repo refresh " + dir.string() + "` (run it from a timer)";
    if (left <= 0) {
      out.warnings.push_back("ERROR: " + role + " expired at " + format_utc_timestamp(c.expires) +
                             "; clients refuse this repository until you run " + fix);
    } else if (offline && left < 14 * kDay) {
      out.warnings.push_back("CRITICAL: " + role + " expires in " + days + " days (" +
                             format_utc_timestamp(c.expires) + "); run " + fix + " now");
    } else if (offline && left < 60 * kDay) {
      out.warnings.push_back("WARNING: " + role + " expires in " + days + " days (" +
                             format_utc_timestamp(c.expires) +
                             "); plan a signing session and run " + fix);
    } else if (!offline && left < st.days_for(role) * kDay / 2) {
      out.warnings.push_back("WARNING: " + role + " expires at " + format_utc_timestamp(c.expires) +
                             "; run " + fix);
    }
  };
  for (const char* role : {"root", "targets", "snapshot", "timestamp"}) {
    const auto& rk = st.root.signed_.roles.at(role);
    const tuf::Common* c = nullptr;
    if (std::string_view(role) == "root") c = &st.root.signed_;
    if (std::string_view(role) == "targets") c = &st.targets.at("targets").signed_;
    if (std::string_view(role) == "snapshot") c = &st.snapshot.signed_;
    if (std::string_view(role) == "timestamp") c = &st.timestamp.signed_;
    add(role, *c, rk.keyids, rk.threshold);
  }
  for (const auto& [role, md] : st.targets) {
    if (role == "targets") continue;
    tuf::RoleKeys scratch;
    auto keys_rk = signing_role(st, role, scratch);
    add(role, md.signed_, keys_rk ? keys_rk->second->keyids : std::vector<std::string>{},
        keys_rk ? keys_rk->second->threshold : 0);
  }
  std::error_code ec;
  if (fs::is_directory(dir / "pending", ec)) {
    for (fs::directory_iterator it(dir / "pending", ec), end; !ec && it != end; it.increment(ec)) {
      const fs::directory_entry& entry = *it;
      if (entry.path().extension() == ".json") out.pending.push_back(entry.path().stem().string());
    }
  }
  return out;
}

Result<std::vector<std::string>> verify(const fs::path& dir, UnixSeconds now) {
  std::vector<std::string> problems;
  const fs::path mdir = dir / "metadata";
  DSS_TRY(std::string first, read_metadata(mdir / "1.root.json"));
  auto set = tuf::TrustedSet::create(first, now, own_signatures());
  if (!set) return std::vector<std::string>{"1.root.json: " + set.error().to_string()};
  std::string last_root = first;
  for (std::int64_t v = 2;; ++v) {
    auto text = platform::read_text_file(mdir / versioned_name(v, "root"), kMaxMetadataFile);
    if (!text) break;
    if (Status s = set->update_root(*text); !s) {
      problems.push_back(versioned_name(v, "root") + ": " + s.error().to_string());
      return problems;
    }
    last_root = *text;
  }
  auto root_json = platform::read_text_file(mdir / "root.json", kMaxMetadataFile);
  if (!root_json || *root_json != last_root) {
    problems.push_back("root.json is not the latest versioned root");
  }
  const auto step = [&](std::string_view what, Status s) {
    if (!s) problems.push_back(std::string(what) + ": " + s.error().to_string());
    return static_cast<bool>(s);
  };
  DSS_TRY(std::string ts, read_metadata(mdir / "timestamp.json"));
  auto ts_loaded = set->update_timestamp(ts);
  if (!step("timestamp.json", ts_loaded ? ok() : Status(tl::unexpected(ts_loaded.error())))) {
    return problems;
  }
  const tuf::MetaFile& snap_meta = set->timestamp()->snapshot_meta;
  auto snap = read_metadata(mdir / versioned_name(snap_meta.version, "snapshot"));
  if (!snap) return std::vector<std::string>{snap.error().to_string()};
  if (!step("snapshot", set->update_snapshot(*snap, tuf::Provenance::kRepository))) return problems;
  // Targets roles, parents first; then every target file.
  std::deque<std::pair<std::string, std::string>> queue{{"targets", "root"}};
  std::set<std::string> seen;
  while (!queue.empty()) {
    auto [role, delegator] = queue.front();
    queue.pop_front();
    if (!seen.insert(role).second) continue;
    const auto meta = set->snapshot()->meta.find(role + ".json");
    if (meta == set->snapshot()->meta.end()) {
      problems.push_back("snapshot does not list " + role + ".json");
      continue;
    }
    auto text = read_metadata(mdir / versioned_name(meta->second.version, role));
    if (!text) {
      problems.push_back(text.error().to_string());
      continue;
    }
    const Status loaded = role == "targets" ? set->update_targets(*text)
                                            : set->update_delegated_targets(*text, role, delegator);
    if (!step(role, loaded)) continue;
    const tuf::Targets* t = set->targets(role);
    for (const auto& [path, file] : t->targets) {
      const fs::path rel(path);
      const auto sha = file.hashes.find("sha256");
      if (sha == file.hashes.end()) {
        problems.push_back("target " + path + " has no sha256 hash");
        continue;
      }
      const fs::path p =
          dir / "targets" / rel.parent_path() / (sha->second + "." + rel.filename().string());
      auto content = platform::read_file(p, file.length + 1);
      if (!content) {
        problems.push_back("target " + path + ": " + content.error().message);
        continue;
      }
      step("target " + path,
           tuf::verify_length_and_hashes(*content, file.length, file.hashes, path));
    }
    if (t->delegations) {
      for (const auto& child : t->delegations->roles) queue.emplace_back(child.name, role);
    }
  }
  return problems;
}

Result<std::vector<PublishedTarget>> read_published_targets(const fs::path& dir, UnixSeconds now,
                                                            const crypto::AllowedSchemes& allowed,
                                                            int max_roles) {
  const fs::path mdir = dir / "metadata";
  const auto in_file = [](const std::string& file, Error e) -> tl::unexpected<Error> {
    return make_error(e.code, file + ": " + e.message);
  };
  // §5.2–§5.5: the trust chain, from the first root as a new client starts.
  DSS_TRY(std::string first, read_metadata(mdir / "1.root.json"));
  auto created = tuf::TrustedSet::create(first, now, allowed);
  if (!created) return in_file("1.root.json", std::move(created).error());
  tuf::TrustedSet set = std::move(*created);
  for (std::int64_t v = 2; v < 2 + tuf::kMaxRootRotations; ++v) {
    auto text = read_metadata(mdir / versioned_name(v, "root"));
    if (!text) {
      if (text.error().code == ErrorCode::kNotFound) break;
      return tl::unexpected(std::move(text).error());
    }
    if (Status s = set.update_root(*text); !s) {
      return in_file(versioned_name(v, "root"), std::move(s).error());
    }
  }
  DSS_TRY(std::string ts, read_metadata(mdir / "timestamp.json"));
  if (auto s = set.update_timestamp(ts); !s) return in_file("timestamp.json", std::move(s).error());
  const tuf::MetaFile& snap_meta = set.timestamp()->snapshot_meta;
  const std::string snap_name = versioned_name(snap_meta.version, "snapshot");
  DSS_TRY(std::string snap, read_metadata(mdir / snap_name));
  if (Status s = set.update_snapshot(snap, tuf::Provenance::kRepository); !s) {
    return in_file(snap_name, std::move(s).error());
  }
  // §5.6: a role is read and verified the first time the search reaches it, and verified
  // again (no new bytes) when another delegator reaches it.
  const auto load = [&](const std::string& role, const std::string& delegator) -> Status {
    if (set.targets(role) != nullptr) return set.verify_delegation(role, delegator);
    const auto meta = set.snapshot()->meta.find(role + ".json");
    if (meta == set.snapshot()->meta.end()) {
      return make_error(ErrorCode::kRepositoryError,
                        "snapshot does not list " + role + ".json; the role cannot be trusted");
    }
    const std::string name = versioned_name(meta->second.version, role);
    DSS_TRY(std::string text, read_metadata(mdir / name));
    if (Status s = set.update_delegated_targets(text, role, delegator); !s) {
      return in_file(name, std::move(s).error());
    }
    return ok();
  };
  // Every role reachable from targets, each once: a broken one fails the listing.
  std::set<std::string> candidates;
  {
    std::deque<std::pair<std::string, std::string>> queue{{"targets", "root"}};
    std::set<std::string> seen;
    while (!queue.empty()) {
      auto [role, delegator] = std::move(queue.front());
      queue.pop_front();
      if (!seen.insert(role).second) continue;
      if (static_cast<int>(seen.size()) > max_roles) break;  // the search visits no more
      DSS_TRY_STATUS(load(role, delegator));
      const tuf::Targets* t = set.targets(role);
      for (const auto& [path, file] : t->targets) candidates.insert(path);
      if (t->delegations) {
        for (const auto& child : t->delegations->roles) queue.emplace_back(child.name, role);
      }
    }
  }
  std::vector<PublishedTarget> out;
  for (const std::string& path : candidates) {
    DSS_TRY(tuf::TargetSearch found, tuf::search_delegations(set, path, max_roles, load));
    if (found.found) out.push_back(PublishedTarget{path, std::move(*found.found), found.role});
  }
  return out;
}

Result<std::string> sign(const fs::path& dir, const std::string& role, const fs::path& key_file,
                         const SecretBytes& passphrase) {
  const fs::path pending = dir / "pending" / (percent_encode(role) + ".json");
  auto text = platform::read_text_file(pending, kMaxMetadataFile);
  if (!text) {
    return make_error(ErrorCode::kNotFound, "nothing is waiting for signatures for role " + role +
                                                " (" + pending.string() + " does not exist)");
  }
  tuf::MetadataParser p;
  std::string signed_bytes;
  std::int64_t version = 0;
  if (role == "root") {
    DSS_TRY(auto md, p.root(*text));
    signed_bytes = md.signed_canonical;
    version = md.signed_.version;
  } else {
    DSS_TRY(auto md, p.targets(*text));
    signed_bytes = md.signed_canonical;
    version = md.signed_.version;
  }
  DSS_TRY(std::string key_text, platform::read_text_file(key_file, kMaxKeyFile));
  DSS_TRY(KeyFileInfo info, peek_key_file(key_text));
  if (info.role != role) {
    return invalid("key file " + key_file.string() + " holds a " + info.role + " key, not a " +
                   role + " key");
  }
  DSS_TRY(crypto::PrivateKey key, open_key(key_text, passphrase));
  DSS_TRY(Bytes sig, key.sign(as_bytes(signed_bytes)));
  json::ObjectBuilder b;
  b.str("format", "dss-signature-v1").str("role", role).integer("version", version);
  b.str("signed_sha256", crypto::sha256_hex(signed_bytes)).str("keyid", info.keyid);
  b.str("sig", hex_encode(sig));
  return b.finish() + "\n";
}

Result<Report> merge(const fs::path& dir, const std::vector<fs::path>& signature_files,
                     const Secrets& secrets, UnixSeconds now) {
  DSS_TRY(platform::DirLock held, lock(dir));
  DSS_TRY(Edit e, begin(dir));
  Report report;
  std::map<std::string, std::vector<tuf::Signature>> added;
  for (const fs::path& f : signature_files) {
    DSS_TRY(std::string text, platform::read_text_file(f, kMaxKeyFile));
    json::JsonParser parser;
    DSS_TRY(json::Element doc, parser.parse_copy(text));
    DSS_TRY(json::Object o, json::get_object(doc, "signature file"));
    const auto str = [&](std::string_view k) -> Result<std::string> {
      DSS_TRY(json::Element el, json::field(o, k, "signature file"));
      DSS_TRY(std::string_view s, json::get_string(el, k));
      return std::string(s);
    };
    DSS_TRY(std::string format, str("format"));
    if (format != "dss-signature-v1") return invalid(f.string() + " is not a DSS signature file");
    DSS_TRY(std::string role, str("role"));
    DSS_TRY(std::string digest, str("signed_sha256"));
    DSS_TRY(std::string keyid, str("keyid"));
    DSS_TRY(std::string sig_hex, str("sig"));
    DSS_TRY(Bytes sig, hex_decode(sig_hex));
    const fs::path pending = dir / "pending" / (percent_encode(role) + ".json");
    DSS_TRY(std::string ptext, read_metadata(pending));
    tuf::MetadataParser p;
    std::string signed_bytes;
    if (role == "root") {
      DSS_TRY(auto md, p.root(ptext));
      signed_bytes = md.signed_canonical;
    } else {
      DSS_TRY(auto md, p.targets(ptext));
      signed_bytes = md.signed_canonical;
    }
    if (crypto::sha256_hex(signed_bytes) != digest) {
      return make_error(ErrorCode::kFailedPrecondition,
                        f.string() + " signs different " + role +
                            " metadata than the pending one; ask the key holder to sign again");
    }
    added[role].push_back(tuf::Signature{keyid, std::move(sig)});
  }
  for (auto& [role, sigs] : added) {
    const fs::path pending = dir / "pending" / (percent_encode(role) + ".json");
    DSS_TRY(std::string ptext, read_metadata(pending));
    tuf::MetadataParser p;
    if (role == "root") {
      DSS_TRY(auto md, p.root(ptext));
      merge_signatures(md.signatures, sigs);
      e.st.root = std::move(md);
      e.root_changed = true;
      e.presigned.insert("root");
    } else {
      DSS_TRY(auto md, p.targets(ptext));
      merge_signatures(md.signatures, sigs);
      if (!e.st.targets.contains(role)) {
        return make_error(ErrorCode::kNotFound, "the repository has no targets role " + role);
      }
      e.st.targets[role] = std::move(md);
      e.changed.insert(role);
      e.presigned.insert(role);
    }
    report.lines.push_back("merged " + std::to_string(sigs.size()) + " signature(s) into " + role);
  }
  DSS_TRY(Outcome outcome, commit(e, secrets, now, report));
  if (!outcome.published) {
    // Keep the merged signatures for the next round.
    for (const std::string& role : e.presigned) {
      const std::string bytes =
          role == "root" ? envelope_of(tuf::to_signed_json(e.st.root.signed_), e.st.root.signatures)
                         : envelope_of(tuf::to_signed_json(e.st.targets.at(role).signed_),
                                       e.st.targets.at(role).signatures);
      DSS_TRY_STATUS(platform::write_file_atomic(dir / "pending" / (percent_encode(role) + ".json"),
                                                 bytes, platform::FileMode::kPrivate));
    }
  }
  return finish(outcome, report);
}

}  // namespace dss::repo
