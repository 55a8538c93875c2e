#include "fakes/repository_simulator.h"

#include "core/url.h"
#include "crypto/hash.h"

namespace dss::testing {

namespace {

crypto::PrivateKey new_key(crypto::KeyScheme scheme = crypto::KeyScheme::kEd25519) {
  auto key = crypto::PrivateKey::generate(scheme);
  DSS_CHECK(key.has_value());
  return std::move(*key);
}

tuf::MetaFile meta_for(const std::string& bytes, std::int64_t version, bool with_hashes) {
  tuf::MetaFile m;
  m.version = version;
  if (with_hashes) {
    m.length = bytes.size();
    m.hashes["sha256"] = crypto::sha256_hex(bytes);
  }
  return m;
}

}  // namespace

RepositorySimulator::RepositorySimulator() {
  for (auto* c : std::initializer_list<tuf::Common*>{&root, &timestamp, &snapshot, &targets}) {
    c->expires = kFarFuture;
  }
  for (const char* role : {"root", "timestamp", "snapshot", "targets"}) {
    root.roles[role] = tuf::RoleKeys{};
    add_key(role);
  }
  snapshot.meta["targets.json"] = tuf::MetaFile{};
  publish_root();
  // Version 1 of everything; the timestamp names the snapshot as served.
  timestamp.snapshot_meta.version = 1;
  const std::string snap = signed_bytes("snapshot");
  timestamp.snapshot_meta = meta_for(snap, 1, compute_metafile_hashes_length);
}

crypto::PrivateKey RepositorySimulator::add_key(const std::string& role,
                                                const std::string& delegator,
                                                crypto::KeyScheme scheme) {
  crypto::PrivateKey key = new_key(scheme);
  const std::string keyid = key.public_key().keyid();
  if (delegator == "root") {
    root.keys.emplace(keyid, key.public_key());
    root.roles[role].keyids.push_back(keyid);
  } else {
    tuf::Targets& parent = targets_for(delegator);
    parent.delegations->keys.emplace(keyid, key.public_key());
    for (tuf::DelegatedRole& r : parent.delegations->roles) {
      if (r.name == role) r.keyids.push_back(keyid);
    }
  }
  signers[role].push_back(key);
  return key;
}

void RepositorySimulator::rotate_keys(const std::string& role) {
  for (const std::string& keyid : root.roles[role].keyids) root.keys.erase(keyid);
  root.roles[role].keyids.clear();
  signers[role].clear();
  add_key(role);
}

void RepositorySimulator::publish_root() {
  root.version = static_cast<std::int64_t>(signed_roots.size()) + 1;
  signed_roots.push_back(sign_envelope("root", tuf::to_signed_json(root)));
}

void RepositorySimulator::update_timestamp() {
  timestamp.version += 1;
  const std::string snap = signed_bytes("snapshot");
  timestamp.snapshot_meta = meta_for(snap, snapshot.version, compute_metafile_hashes_length);
}

void RepositorySimulator::update_snapshot() {
  snapshot.version += 1;
  snapshot.meta["targets.json"] =
      meta_for(signed_bytes("targets"), targets.version, compute_metafile_hashes_length);
  for (const auto& [role, md] : delegates) {
    snapshot.meta[role + ".json"] =
        meta_for(signed_bytes(role), md.version, compute_metafile_hashes_length);
  }
  update_timestamp();
}

tuf::Targets& RepositorySimulator::targets_for(const std::string& role) {
  if (role == "targets") return targets;
  const auto it = delegates.find(role);
  DSS_CHECK(it != delegates.end());
  return it->second;
}

void RepositorySimulator::add_target(const std::string& role, const std::string& path,
                                     const std::string& content) {
  tuf::TargetFile tf;
  tf.length = content.size();
  tf.hashes["sha256"] = crypto::sha256_hex(content);
  targets_for(role).targets[path] = tf;
  target_contents[path] = content;
}

crypto::PrivateKey RepositorySimulator::add_delegation(const std::string& delegator,
                                                       tuf::DelegatedRole role) {
  tuf::Targets& parent = targets_for(delegator);
  if (!parent.delegations) parent.delegations = tuf::Delegations{};
  const std::string name = role.name;
  role.keyids.clear();
  parent.delegations->roles.push_back(std::move(role));
  tuf::Targets child;
  child.expires = kFarFuture;
  delegates[name] = child;
  snapshot.meta[name + ".json"] = tuf::MetaFile{};
  return add_key(name, delegator);
}

std::string RepositorySimulator::sign_envelope(const std::string& role,
                                               const std::string& signed_json) {
  std::vector<tuf::Signature> sigs;
  for (const crypto::PrivateKey& key : signers[role]) {
    auto sig = key.sign(as_bytes(signed_json));
    DSS_CHECK(sig.has_value());
    sigs.push_back(tuf::Signature{key.public_key().keyid(), std::move(*sig)});
  }
  for (const tuf::Signature& extra : extra_signatures[role]) sigs.push_back(extra);
  return tuf::to_envelope_json(signed_json, sigs);
}

std::string RepositorySimulator::signed_bytes(const std::string& role) {
  if (role == "root") return sign_envelope(role, tuf::to_signed_json(root));
  if (role == "timestamp") return sign_envelope(role, tuf::to_signed_json(timestamp));
  if (role == "snapshot") return sign_envelope(role, tuf::to_signed_json(snapshot));
  return sign_envelope(role, tuf::to_signed_json(targets_for(role)));
}

Result<std::string> RepositorySimulator::serve(std::string_view file) {
  if (const auto it = overrides.find(std::string(file)); it != overrides.end()) return it->second;
  const auto not_found = [&] {
    return make_error(ErrorCode::kNotFound, "404 " + std::string(file));
  };
  if (file == "timestamp.json") return signed_bytes("timestamp");
  const std::size_t dot = file.find('.');
  if (dot == std::string_view::npos) return not_found();
  const std::string version_str(file.substr(0, dot));
  if (version_str.empty() || version_str.find_first_not_of("0123456789") != std::string::npos) {
    return not_found();
  }
  const std::int64_t version = std::stoll(version_str);
  std::string role(file.substr(dot + 1));
  if (!role.ends_with(".json")) return not_found();
  role.resize(role.size() - 5);
  if (role == "root") {
    if (version < 1 || version > static_cast<std::int64_t>(signed_roots.size())) return not_found();
    return signed_roots[static_cast<std::size_t>(version - 1)];
  }
  std::int64_t current = 0;
  std::string found_role;
  if (role == "snapshot") {
    current = snapshot.version;
    found_role = role;
  } else {
    for (const auto& [name, md] : delegates) {
      if (percent_encode(name) == role) {
        found_role = name;
        current = md.version;
      }
    }
    if (role == "targets") {
      found_role = role;
      current = targets.version;
    }
  }
  if (found_role.empty() || current != version) return not_found();
  return signed_bytes(found_role);
}

Status RepositorySimulator::fetch_chunks(std::string_view url,
                                         const std::function<bool(ByteView)>& sink) {
  std::string body;
  if (url.starts_with(kMetadataUrl)) {
    const std::string_view file = url.substr(kMetadataUrl.size());
    fetch_log.emplace_back(file);
    DSS_TRY(body, serve(file));
  } else if (url.starts_with(kTargetsUrl)) {
    const std::string_view rest = url.substr(kTargetsUrl.size());
    fetch_log.emplace_back(rest);
    if (const auto it = overrides.find(std::string(rest)); it != overrides.end()) {
      body = it->second;
    } else {
      // <dir>/<hash>.<basename>: find the target whose hash and name match.
      bool found = false;
      for (const auto& [path, content] : target_contents) {
        const std::size_t slash = path.rfind('/');
        const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
        const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
        for (const std::string& digest :
             {crypto::sha256_hex(content),
              hex_encode(crypto::digest(crypto::HashAlgorithm::kSha512, as_bytes(content)))}) {
          if (dir + digest + "." + base == rest) {
            body = content;
            found = true;
          }
        }
      }
      if (!found) return make_error(ErrorCode::kNotFound, "404 " + std::string(rest));
    }
  } else {
    return make_error(ErrorCode::kNotFound, "404 " + std::string(url));
  }
  // Deliver in chunks, like a network would.
  for (std::size_t off = 0; off < body.size(); off += 4096) {
    const std::size_t n = std::min<std::size_t>(4096, body.size() - off);
    if (!sink(as_bytes(std::string_view(body).substr(off, n)))) return ok();
  }
  return ok();
}

}  // namespace dss::testing
