#include "cli/tuf_client.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "client/updater.h"
#include "core/url.h"
#include "net/fetcher.h"
#include "platform/files.h"
#include "platform/system_clock.h"
#include "tuf/trusted_set.h"

namespace dss::cli {

namespace {

constexpr std::uint64_t kMaxRootFile = 512ull * 1024;

struct Options {
  std::string metadata_dir;
  std::string metadata_url;
  std::vector<std::string> target_names;
  std::string target_dir;
  std::string target_base_url;
  std::string ca_file;
  std::string root_file;
};

int fail(const Error& e) {
  std::cerr << "dss-tuf-client: " << e.to_string() << "\n";
  return 1;
}

net::FetchOptions fetch_options(const Options& o) {
  net::FetchOptions f;
  f.ca_file = o.ca_file;
  if (f.ca_file.empty()) {
    if (const char* ca = std::getenv("DSS_CA_FILE")) f.ca_file = ca;
  }
  // The conformance suite serves plain HTTP on loopback; allow that only when explicitly
  // asked for, and the fetcher warns on every such request.
  if (const char* unsafe = std::getenv("DSS_UNSAFE_PLAIN_HTTP_LOOPBACK")) {
    f.unsafe_allow_plain_http_loopback = std::string_view(unsafe) == "1";
  }
  return f;
}

Status run_init(const Options& o) {
  DSS_TRY(std::string root, platform::read_text_file(o.root_file, kMaxRootFile));
  // A trust anchor that does not verify against itself is refused before it is stored.
  DSS_TRY(tuf::TrustedSet set, tuf::TrustedSet::create(root, 0));
  (void)set;
  DSS_TRY(client::DirectoryMetadataStore store,
          client::DirectoryMetadataStore::open(o.metadata_dir));
  return store.store("root", root);
}

Status require_url(const std::string& url, std::string_view flag) {
  if (url.empty()) {
    return make_error(ErrorCode::kInvalidArgument, std::string(flag) + " is required");
  }
  if (!url.ends_with('/')) {
    return make_error(ErrorCode::kInvalidArgument, std::string(flag) + " must end with \"/\"");
  }
  return ok();
}

Status run_refresh_or_download(const Options& o, bool download) {
  DSS_TRY_STATUS(require_url(o.metadata_url, "--metadata-url"));
  if (download) {
    DSS_TRY_STATUS(require_url(o.target_base_url, "--target-base-url"));
    if (o.target_dir.empty() || o.target_names.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "download needs --target-dir and at least one --target-name");
    }
  }
  DSS_TRY(client::DirectoryMetadataStore store,
          client::DirectoryMetadataStore::open(o.metadata_dir));
  net::CurlFetcher fetcher(fetch_options(o));
  platform::SystemClock clock;
  client::UpdaterConfig config;
  config.metadata_base_url = o.metadata_url;
  config.target_base_url = o.target_base_url;
  client::Updater updater(config, fetcher, store, clock);
  DSS_TRY_STATUS(updater.refresh());
  if (!download) return ok();
  DSS_TRY_STATUS(platform::ensure_private_dir(o.target_dir));
  for (const std::string& name : o.target_names) {
    DSS_TRY(client::TargetInfo info, updater.get_target_info(name));
    DSS_TRY_STATUS(
        updater.download_target(info, std::filesystem::path(o.target_dir) / percent_encode(name)));
  }
  return ok();
}

}  // namespace

int tuf_client_main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "TUF client (conformance protocol): keeps trusted metadata in a directory and "
      "downloads verified targets.",
      "dss-tuf-client"};
  app.add_option("--metadata-dir", o.metadata_dir,
                 "Directory holding the trusted metadata (root.json, timestamp.json, ...)")
      ->required();
  app.add_option("--metadata-url", o.metadata_url,
                 "Base URL of the repository's metadata, ending in \"/\"");
  app.add_option("--target-name", o.target_names,
                 "Target to download (repeat for several; processed in order)");
  app.add_option("--target-dir", o.target_dir, "Directory to write downloaded targets into");
  app.add_option("--target-base-url", o.target_base_url,
                 "Base URL of the repository's targets, ending in \"/\"");
  app.add_option("--ca-file", o.ca_file,
                 "PEM file of an extra certificate authority to trust for HTTPS "
                 "(default: the system store; env DSS_CA_FILE)");
  auto* init =
      app.add_subcommand("init", "Store TRUSTED_ROOT_FILE as the trusted root; no network");
  init->add_option("TRUSTED_ROOT_FILE", o.root_file, "The root metadata to trust")->required();
  auto* refresh = app.add_subcommand("refresh", "Update the trusted metadata from the repository");
  auto* download =
      app.add_subcommand("download", "Refresh, then download and verify the named targets");
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "dss-tuf-client: " << e.what() << "\n";
    return 1;
  }
  try {
    Status result = ok();
    if (init->parsed()) {
      result = run_init(o);
    } else if (refresh->parsed()) {
      result = run_refresh_or_download(o, false);
    } else if (download->parsed()) {
      result = run_refresh_or_download(o, true);
    }
    if (!result) return fail(result.error());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dss-tuf-client: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace dss::cli
