// libFuzzer: release archive extraction (src/agent/archive.h). Any input must either extract
// inside the scratch folder or be refused; never crash, never write outside it.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include "agent/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string scratch = [] {
    std::string p = (std::filesystem::temp_directory_path() / "dss-archive-fuzz-XXXXXX").string();
    if (::mkdtemp(p.data()) == nullptr) abort();
    return p;
  }();
  const std::filesystem::path dest = std::filesystem::path(scratch) / "x";
  std::error_code ec;
  std::filesystem::remove_all(dest, ec);
  auto r = dss::agent::extract_tar_zst_memory(dss::ByteView(data, size), dest, {1 << 20, 1000});
  (void)r;
  std::filesystem::remove_all(dest, ec);
  return 0;
}
