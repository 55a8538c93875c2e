// An in-memory TUF repository that is also a Fetcher: metadata is signed on the fly from the
// models below, so a test changes a model, bumps versions, and lets the updater fetch.
// Modelled on python-tuf's RepositorySimulator. URLs:
//   https://repo.test/metadata/<N>.root.json, timestamp.json, <V>.snapshot.json,
//   <V>.<quoted role>.json;  https://repo.test/targets/<dir>/<hash>.<basename>
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "net/fetcher.h"
#include "tuf/metadata.h"

namespace dss::testing {

class RepositorySimulator final : public net::Fetcher {
 public:
  static constexpr std::string_view kMetadataUrl = "https://repo.test/metadata/";
  static constexpr std::string_view kTargetsUrl = "https://repo.test/targets/";
  static constexpr UnixSeconds kFarFuture = 2'000'000'000;  // 2033

  RepositorySimulator();

  // Models, edited freely by tests.
  tuf::Root root;
  tuf::Timestamp timestamp;
  tuf::Snapshot snapshot;
  tuf::Targets targets;
  std::map<std::string, tuf::Targets> delegates;
  std::map<std::string, std::vector<crypto::PrivateKey>> signers;  // role -> signing keys
  std::map<std::string, std::string> target_contents;              // target path -> bytes
  bool compute_metafile_hashes_length = true;

  std::vector<std::string> signed_roots;  // published root bytes, index = version - 1
  std::vector<std::string> fetch_log;     // file part of every URL requested
  // Served instead of the generated file (attacks); key is the file part of the URL.
  std::map<std::string, std::string> overrides;
  // Extra signatures appended to every signed envelope of a role (attacks).
  std::map<std::string, std::vector<tuf::Signature>> extra_signatures;

  // New key for `role`: added to the delegator (root or a targets role) and to signers.
  crypto::PrivateKey add_key(const std::string& role, const std::string& delegator = "root",
                             crypto::KeyScheme scheme = crypto::KeyScheme::kEd25519);
  // Replaces all keys of a top-level role with one fresh key.
  void rotate_keys(const std::string& role);
  void publish_root();      // signs `root` with current root signers, appends
  void update_timestamp();  // version+1, names the current snapshot
  void update_snapshot();   // version+1 with current targets versions; then timestamp
  void add_target(const std::string& role, const std::string& path, const std::string& content);
  // Adds a delegation from `delegator` with a fresh key; returns the key.
  crypto::PrivateKey add_delegation(const std::string& delegator, tuf::DelegatedRole role);

  // The bytes served for a role right now.
  std::string signed_bytes(const std::string& role);
  std::string sign_envelope(const std::string& role, const std::string& signed_json);

 protected:
  Status fetch_chunks(std::string_view url, const std::function<bool(ByteView)>& sink) override;

 private:
  Result<std::string> serve(std::string_view file);
  tuf::Targets& targets_for(const std::string& role);
};

}  // namespace dss::testing
