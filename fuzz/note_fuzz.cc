// Fuzzes the transparency-log parsers: signed notes, checkpoints, verifier keys, segment
// records and stored audit events. None may crash; what parses must re-serialise to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/event.h"
#include "tlog/note.h"
#include "tlog/segment.h"

namespace {
const dss::tlog::NoteSigner& signer() {
  static const auto s = *dss::tlog::NoteSigner::generate("fuzz.example/log");
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)dss::tlog::open_note(text, signer().verifier());
  if (auto c = dss::tlog::Checkpoint::parse(text)) {
    auto again = dss::tlog::Checkpoint::parse(c->to_text());
    if (!again || again->to_text() != c->to_text()) __builtin_trap();
  }
  (void)dss::tlog::NoteVerifier::parse(text);
  (void)dss::tlog::decode_segment_header(dss::ByteView(data, size));
  (void)dss::tlog::decode_record(dss::ByteView(data, size));
  if (auto e = dss::audit::from_json(text)) {
    auto again = dss::audit::from_json(dss::audit::to_json(*e));
    if (!again || dss::audit::to_json(*again) != dss::audit::to_json(*e)) __builtin_trap();
  }
  return 0;
}
