#include "tlog/segment.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace dss::tlog {

namespace {

constexpr char kMagic[8] = {'D', 'S', 'S', 'T', 'L', 'O', 'G', '1'};
constexpr std::uint32_t kFormat = 1;

template <typename T>
void put_le(Bytes& out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
  }
}

template <typename T>
T get_le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

Hash chain_next(const Hash& chain, const Hash& leaf) {
  Hash out;
  crypto::sha256_concat({chain, leaf}, out);
  return out;
}

void encode_segment_header(const SegmentHeader& header, Bytes& out) {
  out.insert(out.end(), std::begin(kMagic), std::end(kMagic));
  put_le(out, kFormat);
  put_le(out, std::uint32_t{0});
  put_le(out, header.first_index);
  put_le(out, header.created_ms);
  out.insert(out.end(), header.chain_before.begin(), header.chain_before.end());
}

Result<SegmentHeader> decode_segment_header(ByteView data) {
  if (data.size() < kSegmentHeaderBytes || std::memcmp(data.data(), kMagic, 8) != 0) {
    return make_error(ErrorCode::kMalformed, "the file does not start with a log segment header");
  }
  if (get_le<std::uint32_t>(data.data() + 8) != kFormat) {
    return make_error(ErrorCode::kUnsupported, "the log segment has an unknown format version");
  }
  SegmentHeader h;
  h.first_index = get_le<std::uint64_t>(data.data() + 16);
  h.created_ms = get_le<std::int64_t>(data.data() + 24);
  std::memcpy(h.chain_before.data(), data.data() + 32, 32);
  return h;
}

void encode_record(std::uint64_t index, ByteView entry, const Hash& chain, Bytes& out) {
  put_le(out, index);
  put_le(out, static_cast<std::uint32_t>(entry.size()));
  out.insert(out.end(), entry.begin(), entry.end());
  out.insert(out.end(), chain.begin(), chain.end());
}

Result<std::optional<Record>> decode_record(ByteView data) {
  if (data.size() < 12) return std::optional<Record>();
  const auto length = get_le<std::uint32_t>(data.data() + 8);
  if (length > kMaxEntryBytes) {
    return make_error(ErrorCode::kMalformed, "a record claims " + std::to_string(length) +
                                                 " bytes, above the 1 MiB limit");
  }
  const std::size_t total = kRecordOverheadBytes + length;
  if (data.size() < total) return std::optional<Record>();
  Record r;
  r.index = get_le<std::uint64_t>(data.data());
  r.entry = data.subspan(12, length);
  std::memcpy(r.chain.data(), data.data() + 12 + length, 32);
  r.encoded_size = total;
  return std::optional<Record>(r);
}

std::string segment_file_name(std::uint64_t first_index) {
  std::string digits = std::to_string(first_index);
  return std::string(20 - digits.size(), '0') + digits + ".seg";
}

Result<std::vector<SegmentFile>> list_segments(const std::filesystem::path& dir) {
  std::vector<SegmentFile> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir / "segments", ec);
  if (ec) {
    return make_error(ErrorCode::kNotFound,
                      (dir / "segments").string() + " cannot be read: " + ec.message());
  }
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::filesystem::directory_entry& e = *it;
    const std::string name = e.path().filename().string();
    if (name.size() != 24 || name.substr(20) != ".seg") continue;
    std::uint64_t first = 0;
    const auto [end, err] = std::from_chars(name.data(), name.data() + 20, first);
    if (err != std::errc() || end != name.data() + 20) continue;
    out.push_back({first, e.path()});
  }
  // A listing cut short would look like a truncated log: report the failure instead.
  if (ec) {
    return make_error(ErrorCode::kIo,
                      (dir / "segments").string() + " cannot be read: " + ec.message());
  }
  std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) {
    return a.first_index < b.first_index;
  });
  return out;
}

}  // namespace dss::tlog
