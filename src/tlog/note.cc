#include "tlog/note.h"

#include <charconv>

namespace dss::tlog {

namespace {

constexpr std::uint8_t kAlgEd25519 = 0x01;
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr std::size_t kMaxNoteBytes = 1 << 20;
constexpr std::size_t kMaxSignatures = 100;

tl::unexpected<Error> malformed(std::string message) {
  return make_error(ErrorCode::kMalformed, std::move(message));
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '+') return false;
  }
  return true;
}

std::uint32_t compute_key_id(std::string_view name, ByteView public_key) {
  Hash h;
  const std::uint8_t sep[2] = {'\n', kAlgEd25519};
  crypto::sha256_concat({as_bytes(name), ByteView(sep, 2), public_key}, h);
  return (std::uint32_t{h[0]} << 24U) | (std::uint32_t{h[1]} << 16U) | (std::uint32_t{h[2]} << 8U) |
         std::uint32_t{h[3]};
}

std::string key_id_hex(std::uint32_t id) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(id >> 24U),
                             static_cast<std::uint8_t>(id >> 16U),
                             static_cast<std::uint8_t>(id >> 8U), static_cast<std::uint8_t>(id)};
  return hex_encode(ByteView(b, 4));
}

// Splits "a+b+c" at the first `max_fields - 1` pluses (base64 in the last field may hold '+').
std::vector<std::string_view> split_plus(std::string_view s, std::size_t max_fields) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    if (out.size() + 1 == max_fields) {
      out.push_back(s.substr(start));
      break;
    }
    const std::size_t plus = s.find('+', start);
    out.push_back(s.substr(start, plus == std::string_view::npos ? plus : plus - start));
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  return out;
}

Result<std::uint32_t> parse_key_id(std::string_view hex) {
  auto bytes = hex_decode(hex);
  if (!bytes || bytes->size() != 4 || hex.size() != 8) {
    return malformed("the key id must be 8 hexadecimal digits");
  }
  return (std::uint32_t{(*bytes)[0]} << 24U) | (std::uint32_t{(*bytes)[1]} << 16U) |
         (std::uint32_t{(*bytes)[2]} << 8U) | std::uint32_t{(*bytes)[3]};
}

bool valid_text(std::string_view text) {
  if (text.empty() || text.back() != '\n') return false;
  if (text.find("\n\n") != std::string_view::npos || text.front() == '\n') return false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7F) return false;
  }
  return true;
}

}  // namespace

NoteVerifier::NoteVerifier(std::string name, Bytes public_key, crypto::PublicKey key)
    : name_(std::move(name)),
      public_key_(std::move(public_key)),
      key_(std::move(key)),
      key_id_(compute_key_id(name_, public_key_)) {}

Result<NoteVerifier> NoteVerifier::parse(std::string_view vkey) {
  const auto fields = split_plus(vkey, 3);
  if (fields.size() != 3 || !valid_name(fields[0])) {
    return malformed("a verifier key has the form <name>+<key id>+<base64 key>");
  }
  auto id = parse_key_id(fields[1]);
  if (!id) return tl::unexpected(id.error());
  auto raw = base64_decode(fields[2]);
  if (!raw || raw->size() != 33 || (*raw)[0] != kAlgEd25519) {
    return malformed("the verifier key's key is not an Ed25519 key (type 0x01 and 32 bytes)");
  }
  Bytes pub(raw->begin() + 1, raw->end());
  auto key = crypto::PublicKey::create(crypto::KeyScheme::kEd25519, hex_encode(pub));
  if (!key) return tl::unexpected(key.error());
  NoteVerifier v(std::string(fields[0]), std::move(pub), std::move(*key));
  if (v.key_id() != *id) {
    return malformed("the verifier key's id does not match its name and key");
  }
  return v;
}

std::string NoteVerifier::to_string() const {
  Bytes typed{kAlgEd25519};
  typed.insert(typed.end(), public_key_.begin(), public_key_.end());
  return name_ + "+" + key_id_hex(key_id_) + "+" + base64_encode(typed);
}

bool NoteVerifier::verify(std::string_view text, ByteView signature) const {
  return key_.verify(as_bytes(text), signature).has_value();
}

Result<NoteSigner> NoteSigner::generate(std::string_view name) {
  if (!valid_name(name)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a log name must be non-empty, without spaces or '+'");
  }
  auto key = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
  if (!key) return tl::unexpected(key.error());
  auto pub = hex_decode(key->public_key().public_value());
  if (!pub) return tl::unexpected(pub.error());
  NoteVerifier verifier(std::string(name), std::move(*pub), key->public_key());
  return NoteSigner(std::move(*key), std::move(verifier));
}

Result<NoteSigner> NoteSigner::from_key(std::string_view name, crypto::PrivateKey key) {
  if (!valid_name(name)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a log name must be non-empty, without spaces or '+'");
  }
  if (key.public_key().scheme() != crypto::KeyScheme::kEd25519) {
    return make_error(ErrorCode::kInvalidArgument, "a note signing key must be Ed25519");
  }
  auto pub = hex_decode(key.public_key().public_value());
  if (!pub) return tl::unexpected(pub.error());
  NoteVerifier verifier(std::string(name), std::move(*pub), key.public_key());
  return NoteSigner(std::move(key), std::move(verifier));
}

Result<NoteSigner> NoteSigner::parse(const SecretBytes& key_text) {
  std::string_view text = as_chars(key_text.view());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto fields = split_plus(text, 5);
  if (fields.size() != 5 || fields[0] != "PRIVATE" || fields[1] != "KEY" ||
      !valid_name(fields[2])) {
    return malformed("the log signing key is not of the form PRIVATE+KEY+<name>+<id>+<key>");
  }
  auto id = parse_key_id(fields[3]);
  if (!id) return tl::unexpected(id.error());
  auto raw = base64_decode(fields[4]);
  if (!raw || raw->size() != 33 || (*raw)[0] != kAlgEd25519) {
    return malformed("the log signing key is not an Ed25519 seed (type 0x01 and 32 bytes)");
  }
  SecretBytes seed(raw->data() + 1, 32);
  secure_zero(raw->data(), raw->size());
  auto key = crypto::PrivateKey::from_secret(crypto::KeyScheme::kEd25519, seed);
  if (!key) return tl::unexpected(key.error());
  auto pub = hex_decode(key->public_key().public_value());
  if (!pub) return tl::unexpected(pub.error());
  NoteVerifier verifier(std::string(fields[2]), std::move(*pub), key->public_key());
  if (verifier.key_id() != *id) {
    return malformed("the log signing key's id does not match its name and key");
  }
  return NoteSigner(std::move(*key), std::move(verifier));
}

Result<SecretBytes> NoteSigner::key_text() const {
  auto seed = key_.secret();
  if (!seed) return tl::unexpected(seed.error());
  Bytes typed{kAlgEd25519};
  typed.insert(typed.end(), seed->view().begin(), seed->view().end());
  std::string text = "PRIVATE+KEY+" + verifier_.name() + "+" + key_id_hex(verifier_.key_id()) +
                     "+" + base64_encode(typed) + "\n";
  secure_zero(typed.data(), typed.size());
  SecretBytes out = SecretBytes::from_string(text);
  secure_zero(text.data(), text.size());
  return out;
}

Result<std::string> NoteSigner::sign(std::string_view text) const {
  if (!valid_text(text)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "note text must end in a newline and hold no blank line or control "
                      "character");
  }
  auto sig = key_.sign(as_bytes(text));
  if (!sig) return tl::unexpected(sig.error());
  const std::uint32_t id = verifier_.key_id();
  Bytes blob{static_cast<std::uint8_t>(id >> 24U), static_cast<std::uint8_t>(id >> 16U),
             static_cast<std::uint8_t>(id >> 8U), static_cast<std::uint8_t>(id)};
  blob.insert(blob.end(), sig->begin(), sig->end());
  std::string out(text);
  out += '\n';
  out += kSignaturePrefix;
  out += verifier_.name();
  out += ' ';
  out += base64_encode(blob);
  out += '\n';
  return out;
}

Result<std::string> open_note(std::string_view note, const NoteVerifier& verifier) {
  if (note.size() > kMaxNoteBytes) return malformed("the note is larger than 1 MiB");
  const std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return malformed("the note has no blank line before its signatures");
  }
  const std::string_view text = note.substr(0, split + 1);
  if (!valid_text(text)) return malformed("the note's text holds control characters");
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') return malformed("the note must end in a newline");
  std::size_t count = 0;
  while (!sigs.empty()) {
    const std::size_t nl = sigs.find('\n');
    const std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (++count > kMaxSignatures) return malformed("the note carries more than 100 signatures");
    if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
      return malformed("a signature line does not start with an em dash and a space");
    }
    const std::string_view rest = line.substr(kSignaturePrefix.size());
    const std::size_t space = rest.find(' ');
    if (space == std::string_view::npos || !valid_name(rest.substr(0, space))) {
      return malformed("a signature line has no valid key name");
    }
    auto blob = base64_decode(rest.substr(space + 1));
    if (!blob || blob->size() < 5) return malformed("a signature line's signature is not base64");
    const std::uint32_t id = (std::uint32_t{(*blob)[0]} << 24U) |
                             (std::uint32_t{(*blob)[1]} << 16U) |
                             (std::uint32_t{(*blob)[2]} << 8U) | std::uint32_t{(*blob)[3]};
    if (rest.substr(0, space) != verifier.name() || id != verifier.key_id()) continue;
    // The first line from the trusted key decides, as in Go's note.Open.
    if (!verifier.verify(text, ByteView(*blob).subspan(4))) {
      return make_error(ErrorCode::kBadCheckpointSignature,
                        "the signature by " + verifier.name() + " does not match the note");
    }
    return std::string(text);
  }
  return make_error(
      ErrorCode::kBadCheckpointSignature,
      "the note carries no signature by " + verifier.name() + "+" + key_id_hex(verifier.key_id()));
}

std::string Checkpoint::to_text() const {
  std::string out = origin + "\n" + std::to_string(size) + "\n" + base64_encode(root) + "\n";
  for (const auto& line : extensions) out += line + "\n";
  return out;
}

Result<Checkpoint> Checkpoint::parse(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return malformed("the checkpoint must end in a newline");
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) {
    return malformed("a checkpoint has an origin line, a tree size line and a root hash line");
  }
  Checkpoint c;
  if (lines[0].empty()) return malformed("the checkpoint's origin line is empty");
  c.origin = std::string(lines[0]);
  const std::string_view size = lines[1];
  const auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), c.size);
  if (size.empty() || ec != std::errc() || end != size.data() + size.size() ||
      (size.size() > 1 && size[0] == '0')) {
    return malformed("the checkpoint's second line must be the tree size in decimal");
  }
  auto root = base64_decode(lines[2]);
  if (!root || root->size() != c.root.size()) {
    return malformed("the checkpoint's third line must be a base64 SHA-256 root hash");
  }
  std::copy(root->begin(), root->end(), c.root.begin());
  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return malformed("the checkpoint holds an empty extension line");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

Result<Checkpoint> open_checkpoint(std::string_view note, const NoteVerifier& verifier) {
  auto text = open_note(note, verifier);
  if (!text) return tl::unexpected(text.error());
  auto c = Checkpoint::parse(*text);
  if (!c) return c;
  if (c->origin != verifier.name()) {
    return make_error(
        ErrorCode::kBadCheckpointSignature,
        "the checkpoint is for log \"" + c->origin + "\", not \"" + verifier.name() + "\"");
  }
  return c;
}

}  // namespace dss::tlog
