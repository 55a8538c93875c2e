// The agent's side of the release transparency log (ADR 0031) that touches the network and the
// disk: it fetches the log's files from the repository (through TUF for the log target, through
// the plain fetcher, with a size limit, for the checkpoint and proofs), hands their bytes to a
// TransparencyState to judge, and keeps the checkpoint the state accepted in
// <agent dir>/transparency-checkpoint (0600, written atomically). The judgement itself is the
// state's (transparency_state.h).
//
// Not thread-safe.
#pragma once

#include <filesystem>
#include <string>

#include "client/updater.h"
#include "core/result.h"
#include "net/fetcher.h"

namespace dss::agent {

class TransparencyClient {
 public:
  // `repo_url` is the repository's base URL (its transparency/ files are below it). `fetcher`
  // must outlive the client.
  TransparencyClient(std::filesystem::path agent_dir, const std::string& repo_url,
                     net::Fetcher& fetcher);

  // Before an install (kind "release") or a policy bundle is applied (kind "policy"): the file
  // with SHA-256 `sha256` must be in the repository's transparency log, under a checkpoint
  // signed with the key TUF vouches for and consistent with the last checkpoint this device
  // kept (which is then advanced). A repository that never had a log passes with a warning in
  // `note`; once a log was seen, its absence fails closed. On success `note` also names the
  // log and its size. Errors: the state's refusals (transparency_state.h); kNetwork and kIo
  // when a file cannot be fetched or the checkpoint cannot be kept (retried later).
  Status check(client::Updater& updater, const std::string& kind, const std::string& sha256,
               std::string& note);

  // Where the kept checkpoint lives (the check-in reports it).
  [[nodiscard]] std::filesystem::path kept_checkpoint_path() const;

 private:
  // A published transparency file; kNotFound when the server has none.
  Result<std::string> fetch(const std::string& rel);

  std::filesystem::path agent_dir_;
  std::string base_url_;  // ".../transparency/"
  net::Fetcher* fetcher_;
};

}  // namespace dss::agent
