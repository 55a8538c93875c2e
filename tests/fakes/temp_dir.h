// A fresh private directory under $TMPDIR, removed with everything in it at the end of the test,
// and slurp(), which reads a whole file for a test to look at.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace dss::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "dss-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The file's bytes ("" when it cannot be read: the test's own assertion then fails).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();  // not istreambuf_iterator: gcc 12 -Wnull-dereference misfires on it
  return std::move(out).str();
}

}  // namespace dss::testing
