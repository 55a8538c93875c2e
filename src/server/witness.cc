#include "server/witness.h"

#include <optional>

#include "core/bytes.h"
#include "platform/files.h"
#include "transparency/verify.h"

namespace dss::server {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxLogFile = 64ull * 1024;

std::string hex_of(const tlog::Hash& h) { return hex_encode(ByteView(h.data(), h.size())); }

WitnessVerdict verdict(WitnessStatus status, std::string detail) {
  WitnessVerdict v;
  v.status = status;
  v.detail = std::move(detail);
  return v;
}

}  // namespace

std::string_view witness_status_name(WitnessStatus s) {
  switch (s) {
    case WitnessStatus::kNone:
      return "none";
    case WitnessStatus::kUnchecked:
      return "unchecked";
    case WitnessStatus::kConsistent:
      return "consistent";
    case WitnessStatus::kAhead:
      return "ahead";
    case WitnessStatus::kInvalid:
      return "invalid";
    case WitnessStatus::kForked:
      return "forked";
  }
  return "none";
}

WitnessVerdict witness_checkpoint(const fs::path& repo_dir, std::string_view note,
                                  const crypto::AllowedSchemes& allowed) {
  if (note.empty()) return verdict(WitnessStatus::kNone, "the device reported no checkpoint");
  const fs::path dir = repo_dir / "transparency";
  auto vkey = repo_dir.empty()
                  ? Result<std::string>(make_error(ErrorCode::kNotFound, "no repository"))
                  : platform::read_text_file(dir / "log" / "log.vkey", kMaxLogFile);
  auto served_note = vkey ? platform::read_text_file(dir / "checkpoint", kMaxLogFile) : vkey;
  if (!vkey || !served_note) {
    return verdict(WitnessStatus::kUnchecked,
                   "this server serves no repository with a transparency log to compare with");
  }
  while (!vkey->empty() && vkey->back() == '\n') vkey->pop_back();
  auto verifier = tlog::NoteVerifier::parse(*vkey);
  if (!verifier) {
    return verdict(WitnessStatus::kUnchecked,
                   "the served log's key is unreadable: " + verifier.error().message);
  }
  const transparency::LogKey key{verifier->name(), *verifier};
  auto served = transparency::open_log_checkpoint(*served_note, key, allowed);
  if (!served) {
    return verdict(WitnessStatus::kUnchecked,
                   "the served checkpoint does not open: " + served.error().message);
  }
  auto device = transparency::open_log_checkpoint(note, key, allowed);
  if (!device) return verdict(WitnessStatus::kInvalid, device.error().message);
  WitnessVerdict v;
  v.size = device->size;
  v.root_hex = hex_of(device->root);
  if (device->size > served->size) {
    v.status = WitnessStatus::kAhead;
    v.detail = "the device saw " + std::to_string(device->size) + " entries; this server serves " +
               std::to_string(served->size);
    return v;
  }
  std::optional<std::string> proof;
  if (device->size < served->size) {
    auto p = platform::read_text_file(
        dir / "consistency" / (std::to_string(device->size) + ".json"), kMaxLogFile);
    if (!p) {
      v.status = WitnessStatus::kUnchecked;
      v.detail = "this server serves no consistency proof from " + std::to_string(device->size) +
                 " entries";
      return v;
    }
    proof = std::move(*p);
  }
  if (auto st = transparency::check_extends(*device, *served, proof); !st) {
    v.status = WitnessStatus::kForked;
    v.detail = st.error().message;
    return v;
  }
  v.status = WitnessStatus::kConsistent;
  v.detail = "a prefix of the served log (" + std::to_string(served->size) + " entries)";
  return v;
}

}  // namespace dss::server
