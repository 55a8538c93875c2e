// A product that keeps itself up to date with libdss (include/dss/updater.h).
//
//   self_update --repo https://updates.example.com/ --root root.json --install /opt/myapp
//               --state ~/.local/state/myapp --app myapp [--channel stable] [--ca-file ca.pem]
//               [--check-only]
//
// Prints what it found or did; exit status 0 unless the update was refused or failed.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "dss/updater.h"

int main(int argc, char** argv) {
  dss::UpdaterOptions o;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--repo")
      o.repository_url = next();
    else if (a == "--root")
      o.trusted_root = next();
    else if (a == "--install")
      o.install_root = next();
    else if (a == "--state")
      o.state_dir = next();
    else if (a == "--app")
      o.app = next();
    else if (a == "--channel")
      o.channel = next();
    else if (a == "--ca-file")
      o.ca_file = next();
    else if (a == "--check-only")
      check_only = true;
    else {
      std::cerr << "usage: self_update --repo URL --root ROOT.json --install DIR --state DIR "
                   "--app NAME [--channel C] [--ca-file PEM] [--check-only]\n";
      return 2;
    }
  }
  dss::Updater updater(o);
  updater.set_progress_callback([](std::uint64_t done, std::uint64_t total) {
    // Progress on a terminal is best effort: a failed write is not worth stopping the update.
    static_cast<void>(std::fprintf(stderr, "\rdownloading %llu/%llu bytes",
                                   static_cast<unsigned long long>(done),
                                   static_cast<unsigned long long>(total)));
    if (done == total) static_cast<void>(std::fputc('\n', stderr));
  });
  const dss::UpdateResult r = check_only ? updater.check() : updater.apply();
  std::cout << r.outcome << (r.version.empty() ? "" : " " + r.version) << ": " << r.message
            << (r.code.empty() ? "" : " [" + r.code + "]") << "\n";
  const dss::UpdateStatus s = updater.status();
  std::cout << "installed: " << (s.installed.empty() ? "nothing" : s.installed) << "\n";
  return r.ok ? 0 : 1;
}
