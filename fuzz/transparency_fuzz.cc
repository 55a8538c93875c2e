// Fuzzes the agent's release transparency checks (transparency/verify.h): the signed log target,
// entry files with inclusion proofs, and consistency proof files. None may crash, and nothing
// random may pass as included in, or consistent with, a fixed checkpoint.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "transparency/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)dss::transparency::parse_log_target(text);
  dss::tlog::Checkpoint cp{"dss-release-transparency/fuzz", 7, {}, {}};
  cp.root.fill(0x5a);
  // A root no input can reach without a SHA-256 preimage: nothing may verify.
  if (dss::transparency::check_inclusion(cp, text, "release", std::string(64, 'a')))
    __builtin_trap();
  dss::tlog::Checkpoint saved{"dss-release-transparency/fuzz", 3, {}, {}};
  saved.root.fill(0xa5);
  if (dss::transparency::check_extends(saved, cp, std::string(text))) __builtin_trap();
  return 0;
}
