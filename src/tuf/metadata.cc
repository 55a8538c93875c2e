#include "tuf/metadata.h"

#include <algorithm>
#include <set>

namespace dss::tuf {

namespace {

using json::Element;
using json::Object;

tl::unexpected<Error> malformed(std::string message) {
  return make_error(ErrorCode::kMalformed, std::move(message));
}

// Spec §4.2 ("File formats: general principles"): "The keyid MUST be unique in the
// signatures array". Counting a repeated key id once would accept a file that breaks the
// format, and verifiers that disagree on which copy counts would disagree on whether the file
// is signed. The key id itself is not echoed: it is untrusted text.
Status check_unique_signature_keyids(const std::vector<Signature>& signatures) {
  std::set<std::string_view> seen;
  for (const Signature& sig : signatures) {
    if (!seen.insert(sig.keyid).second) {
      return malformed(
          "signatures lists the same key id twice; each key may sign a metadata file once "
          "(the repository must re-sign the file without the duplicate)");
    }
  }
  return ok();
}

std::string join(std::string_view where, std::string_view key) {
  std::string out(where);
  out += '.';
  out += key;
  return out;
}

// Visits every member of `o`. `handle(key, value)` returns true if it recognised the member;
// unrecognised members are kept in `unknown` as canonical fragments.
template <typename F>
Status for_members(Object o, UnknownFields& unknown, F&& handle) {
  for (auto member : o) {
    DSS_TRY(bool known, handle(member.key, member.value));
    if (!known) {
      DSS_TRY(std::string fragment, json::canonical(member.value));
      unknown.emplace(std::string(member.key), std::move(fragment));
    }
  }
  return ok();
}

Status require(bool present, std::string_view where, std::string_view key) {
  if (present) return ok();
  return malformed(std::string(where) + " is missing the field \"" + std::string(key) + "\"");
}

Result<std::int64_t> positive_int(Element e, const std::string& what) {
  DSS_TRY(std::int64_t v, json::get_int(e, what));
  if (v < 1) return malformed(what + " must be at least 1, got " + std::to_string(v));
  return v;
}

Result<std::uint64_t> non_negative_int(Element e, const std::string& what) {
  DSS_TRY(std::int64_t v, json::get_int(e, what));
  if (v < 0) return malformed(what + " must not be negative");
  return static_cast<std::uint64_t>(v);
}

Result<std::vector<std::string>> string_list(Element e, const std::string& what, bool unique) {
  DSS_TRY(json::Array arr, json::get_array(e, what));
  std::vector<std::string> out;
  for (Element item : arr) {
    DSS_TRY(std::string_view s, json::get_string(item, what + "[]"));
    out.emplace_back(s);
  }
  if (unique) {
    std::vector<std::string> sorted = out;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return malformed(what + " lists the same entry twice");
    }
  }
  return out;
}

Result<Hashes> parse_hashes(Element e, const std::string& what, bool require_nonempty) {
  DSS_TRY(Object o, json::get_object(e, what));
  Hashes out;
  for (auto member : o) {
    DSS_TRY(std::string_view digest, json::get_string(member.value, what));
    out.emplace(std::string(member.key), std::string(digest));
  }
  if (require_nonempty && out.empty()) return malformed(what + " must list at least one hash");
  return out;
}

Result<MetaFile> parse_meta_file(Element e, const std::string& what) {
  DSS_TRY(Object o, json::get_object(e, what));
  MetaFile out;
  bool has_version = false;
  DSS_TRY_STATUS(for_members(o, out.unknown, [&](std::string_view key, Element v) -> Result<bool> {
    if (key == "version") {
      DSS_TRY(out.version, positive_int(v, join(what, key)));
      has_version = true;
    } else if (key == "length") {
      DSS_TRY(out.length, non_negative_int(v, join(what, key)));
    } else if (key == "hashes") {
      DSS_TRY(out.hashes, parse_hashes(v, join(what, key), true));
    } else {
      return false;
    }
    return true;
  }));
  DSS_TRY_STATUS(require(has_version, what, "version"));
  return out;
}

Result<TargetFile> parse_target_file(Element e, const std::string& what) {
  DSS_TRY(Object o, json::get_object(e, what));
  TargetFile out;
  bool has_length = false;
  bool has_hashes = false;
  DSS_TRY_STATUS(for_members(o, out.unknown, [&](std::string_view key, Element v) -> Result<bool> {
    if (key == "length") {
      DSS_TRY(out.length, non_negative_int(v, join(what, key)));
      has_length = true;
    } else if (key == "hashes") {
      DSS_TRY(out.hashes, parse_hashes(v, join(what, key), true));
      has_hashes = true;
    } else if (key == "custom") {
      DSS_TRY(Object custom, json::get_object(v, join(what, key)));
      (void)custom;
      DSS_TRY(out.custom, json::canonical(v));
    } else {
      return false;
    }
    return true;
  }));
  DSS_TRY_STATUS(require(has_length, what, "length"));
  DSS_TRY_STATUS(require(has_hashes, what, "hashes"));
  return out;
}

Result<std::map<std::string, crypto::PublicKey>> parse_keys(Element e, const std::string& what) {
  DSS_TRY(Object o, json::get_object(e, what));
  std::map<std::string, crypto::PublicKey> out;
  for (auto member : o) {
    auto key = crypto::PublicKey::from_json(member.value);
    if (!key) {
      return malformed(what + "[\"" + std::string(member.key) + "\"]: " + key.error().message);
    }
    out.emplace(std::string(member.key), std::move(*key));
  }
  return out;
}

Result<std::int64_t> parse_threshold(Element e, const std::string& what) {
  DSS_TRY(std::int64_t t, json::get_int(e, what));
  if (t < 1) {
    return make_error(ErrorCode::kBadThreshold,
                      what + " is " + std::to_string(t) + "; a threshold must be at least 1");
  }
  return t;
}

Result<RoleKeys> parse_role_keys(Element e, const std::string& what) {
  DSS_TRY(Object o, json::get_object(e, what));
  RoleKeys out;
  bool has_keyids = false;
  bool has_threshold = false;
  DSS_TRY_STATUS(for_members(o, out.unknown, [&](std::string_view key, Element v) -> Result<bool> {
    if (key == "keyids") {
      DSS_TRY(out.keyids, string_list(v, join(what, key), true));
      has_keyids = true;
    } else if (key == "threshold") {
      DSS_TRY(out.threshold, parse_threshold(v, join(what, key)));
      has_threshold = true;
    } else {
      return false;
    }
    return true;
  }));
  DSS_TRY_STATUS(require(has_keyids, what, "keyids"));
  DSS_TRY_STATUS(require(has_threshold, what, "threshold"));
  return out;
}

bool is_top_level_role(std::string_view name) {
  return name == "root" || name == "timestamp" || name == "snapshot" || name == "targets";
}

Result<DelegatedRole> parse_delegated_role(Element e, const std::string& what) {
  DSS_TRY(Object o, json::get_object(e, what));
  DelegatedRole out;
  bool has_name = false, has_keyids = false, has_threshold = false, has_terminating = false;
  DSS_TRY_STATUS(for_members(o, out.unknown, [&](std::string_view key, Element v) -> Result<bool> {
    if (key == "name") {
      DSS_TRY(std::string_view name, json::get_string(v, join(what, key)));
      out.name = name;
      has_name = true;
    } else if (key == "keyids") {
      DSS_TRY(out.keyids, string_list(v, join(what, key), true));
      has_keyids = true;
    } else if (key == "threshold") {
      DSS_TRY(out.threshold, parse_threshold(v, join(what, key)));
      has_threshold = true;
    } else if (key == "terminating") {
      DSS_TRY(out.terminating, json::get_bool(v, join(what, key)));
      has_terminating = true;
    } else if (key == "paths") {
      DSS_TRY(out.paths, string_list(v, join(what, key), false));
    } else if (key == "path_hash_prefixes") {
      DSS_TRY(out.path_hash_prefixes, string_list(v, join(what, key), false));
    } else {
      return false;
    }
    return true;
  }));
  DSS_TRY_STATUS(require(has_name, what, "name"));
  DSS_TRY_STATUS(require(has_keyids, what, "keyids"));
  DSS_TRY_STATUS(require(has_threshold, what, "threshold"));
  DSS_TRY_STATUS(require(has_terminating, what, "terminating"));
  if (out.paths.has_value() == out.path_hash_prefixes.has_value()) {
    return malformed(what + " \"" + out.name +
                     "\" must set exactly one of \"paths\" and \"path_hash_prefixes\"");
  }
  if (is_top_level_role(out.name)) {
    return malformed(what + " uses the top-level role name \"" + out.name + "\"");
  }
  if (out.name.empty()) return malformed(what + " has an empty role name");
  return out;
}

Result<Delegations> parse_delegations(Element e, const std::string& what) {
  DSS_TRY(Object o, json::get_object(e, what));
  Delegations out;
  bool has_keys = false, has_roles = false;
  DSS_TRY_STATUS(for_members(o, out.unknown, [&](std::string_view key, Element v) -> Result<bool> {
    if (key == "keys") {
      DSS_TRY(out.keys, parse_keys(v, join(what, key)));
      has_keys = true;
    } else if (key == "roles") {
      DSS_TRY(json::Array roles, json::get_array(v, join(what, key)));
      std::set<std::string, std::less<>> names;
      for (Element role_el : roles) {
        DSS_TRY(DelegatedRole role, parse_delegated_role(role_el, join(what, "roles[]")));
        if (!names.insert(role.name).second) {
          return malformed(what + ".roles delegates to \"" + role.name + "\" twice");
        }
        out.roles.push_back(std::move(role));
      }
      has_roles = true;
    } else if (key == "succinct_roles") {
      return make_error(ErrorCode::kUnsupported,
                        what + " uses succinct_roles (TAP 15), which DSS does not support");
    } else {
      return false;
    }
    return true;
  }));
  DSS_TRY_STATUS(require(has_keys, what, "keys"));
  DSS_TRY_STATUS(require(has_roles, what, "roles"));
  return out;
}

Status check_spec_version(std::string_view v) {
  // "1.x" or "1.x.y" with numeric parts; only major version 1 is understood.
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = v.find('.', start);
    const std::string_view part =
        v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    if (part.empty() ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return malformed("signed.spec_version \"" + std::string(v) + "\" is not a version number");
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts < 2 || parts > 3) {
    return malformed("signed.spec_version \"" + std::string(v) + "\" is not MAJOR.MINOR[.PATCH]");
  }
  if (v.substr(0, v.find('.')) != "1") {
    return make_error(ErrorCode::kUnsupported, "signed.spec_version " + std::string(v) +
                                                   " is not TUF 1.x; this client supports 1.0");
  }
  return ok();
}

// Parses the members every role has; `role_member` handles the role-specific ones.
template <typename T, typename F>
Status parse_signed(Object o, T& out, F&& role_member) {
  bool has_version = false, has_expires = false, has_spec = false;
  DSS_TRY_STATUS(for_members(o, out.unknown, [&](std::string_view key, Element v) -> Result<bool> {
    if (key == "_type") return true;  // checked by the envelope parser
    if (key == "version") {
      DSS_TRY(out.version, positive_int(v, "signed.version"));
      has_version = true;
      return true;
    }
    if (key == "expires") {
      DSS_TRY(std::string_view s, json::get_string(v, "signed.expires"));
      DSS_TRY(out.expires, parse_utc_timestamp(s));
      has_expires = true;
      return true;
    }
    if (key == "spec_version") {
      DSS_TRY(std::string_view s, json::get_string(v, "signed.spec_version"));
      DSS_TRY_STATUS(check_spec_version(s));
      out.spec_version = s;
      has_spec = true;
      return true;
    }
    return role_member(key, v);
  }));
  DSS_TRY_STATUS(require(has_version, "signed", "version"));
  DSS_TRY_STATUS(require(has_expires, "signed", "expires"));
  DSS_TRY_STATUS(require(has_spec, "signed", "spec_version"));
  return ok();
}

void append_unknown(json::ObjectBuilder& b, const UnknownFields& unknown) {
  for (const auto& [key, fragment] : unknown) {
    if (!b.has(key)) b.raw(key, fragment);
  }
}

std::string string_list_json(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    json::append_quoted(out, items[i]);
  }
  out += ']';
  return out;
}

std::string hashes_json(const Hashes& hashes) {
  json::ObjectBuilder b;
  for (const auto& [alg, digest] : hashes) b.str(alg, digest);
  return b.finish();
}

std::string keys_json(const std::map<std::string, crypto::PublicKey>& keys) {
  json::ObjectBuilder b;
  for (const auto& [keyid, key] : keys) b.raw(keyid, key.canonical_json());
  return b.finish();
}

std::string meta_file_json(const MetaFile& m) {
  json::ObjectBuilder b;
  b.integer("version", m.version);
  if (m.length) b.integer("length", static_cast<std::int64_t>(*m.length));
  if (!m.hashes.empty()) b.raw("hashes", hashes_json(m.hashes));
  append_unknown(b, m.unknown);
  return b.finish();
}

void common_json(json::ObjectBuilder& b, const Common& c, RoleType type) {
  b.str("_type", role_type_name(type));
  b.integer("version", c.version);
  b.str("expires", format_utc_timestamp(c.expires));
  b.str("spec_version", c.spec_version);
}

}  // namespace

std::string_view role_type_name(RoleType type) {
  switch (type) {
    case RoleType::kRoot:
      return "root";
    case RoleType::kTimestamp:
      return "timestamp";
    case RoleType::kSnapshot:
      return "snapshot";
    case RoleType::kTargets:
      return "targets";
  }
  return "unknown";
}

Status verify_length_and_hashes(ByteView data, std::optional<std::uint64_t> length,
                                const Hashes& hashes, std::string_view what) {
  if (length && data.size() != *length) {
    return make_error(ErrorCode::kLengthOrHashMismatch,
                      std::string(what) + " is " + std::to_string(data.size()) +
                          " bytes; the signed metadata says " + std::to_string(*length));
  }
  for (const auto& [name, expected_hex] : hashes) {
    DSS_TRY(crypto::HashAlgorithm alg, crypto::hash_algorithm_from_name(name));
    auto expected = hex_decode(expected_hex);
    const Bytes actual = crypto::digest(alg, data);
    if (!expected || *expected != actual) {
      return make_error(ErrorCode::kLengthOrHashMismatch,
                        std::string(what) + " does not match its signed " + name + " hash");
    }
  }
  return ok();
}

bool DelegatedRole::is_delegated_path(std::string_view target_path) const {
  if (paths) {
    return std::any_of(paths->begin(), paths->end(), [&](const std::string& pattern) {
      return path_matches_pattern(target_path, pattern);
    });
  }
  if (path_hash_prefixes) {
    const std::string digest = crypto::sha256_hex(target_path);
    return std::any_of(path_hash_prefixes->begin(), path_hash_prefixes->end(),
                       [&](const std::string& prefix) { return digest.starts_with(prefix); });
  }
  return false;
}

namespace {

// fnmatch-style match of one segment (no "/" inside either argument).
bool segment_matches(std::string_view name, std::string_view pattern) {
  std::size_t n = 0, p = 0;
  std::size_t star_p = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        star_p = p++;
        star_n = n;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pc == '[') {
        // Character class; an unterminated "[" is a literal, as in Python's fnmatch.
        std::size_t q = p + 1;
        bool negate = false;
        if (q < pattern.size() && pattern[q] == '!') {
          negate = true;
          ++q;
        }
        std::size_t close = q < pattern.size() && pattern[q] == ']' ? q + 1 : q;
        close = pattern.find(']', close);
        if (close != std::string_view::npos) {
          bool matched = false;
          for (std::size_t i = q; i < close; ++i) {
            if (i + 2 < close && pattern[i + 1] == '-') {
              if (name[n] >= pattern[i] && name[n] <= pattern[i + 2]) matched = true;
              i += 2;
            } else if (pattern[i] == name[n]) {
              matched = true;
            }
          }
          if (matched != negate) {
            p = close + 1;
            ++n;
            continue;
          }
        } else if (name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else if (pc == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    n = ++star_n;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool path_matches_pattern(std::string_view target_path, std::string_view pattern) {
  while (true) {
    const std::size_t ts = target_path.find('/');
    const std::size_t ps = pattern.find('/');
    if ((ts == std::string_view::npos) != (ps == std::string_view::npos)) return false;
    if (!segment_matches(target_path.substr(0, ts), pattern.substr(0, ps))) return false;
    if (ts == std::string_view::npos) return true;
    target_path.remove_prefix(ts + 1);
    pattern.remove_prefix(ps + 1);
  }
}

template <typename T>
Result<Object> MetadataParser::envelope(std::string_view bytes, RoleType expected, Metadata<T>& out,
                                        Bytes* in_place) {
  Element doc;
  if (in_place != nullptr) {
    DSS_TRY(doc, parser_.parse_in_place(*in_place));
    bytes = as_chars(*in_place);  // padding may have moved the buffer
  } else {
    buffer_.assign(bytes);
    DSS_TRY(doc, parser_.parse(buffer_));
  }
  DSS_TRY(Object top, json::get_object(doc, "metadata"));
  DSS_TRY(Element signed_el, json::field(top, "signed", "metadata"));
  DSS_TRY(Element sigs_el, json::field(top, "signatures", "metadata"));
  DSS_TRY(Object signed_obj, json::get_object(signed_el, "signed"));
  DSS_TRY(Element type_el, json::field(signed_obj, "_type", "signed"));
  DSS_TRY(std::string_view type, json::get_string(type_el, "signed._type"));
  if (type != role_type_name(expected)) {
    return make_error(ErrorCode::kWrongType, "metadata has _type \"" + std::string(type) +
                                                 "\"; expected \"" +
                                                 std::string(role_type_name(expected)) + "\"");
  }
  for (auto member : top) {
    if (member.key != "signed" && member.key != "signatures") {
      return malformed("metadata has the unexpected top-level field \"" + std::string(member.key) +
                       "\"");
    }
  }
  DSS_TRY(json::Array sigs, json::get_array(sigs_el, "signatures"));
  for (Element sig_el : sigs) {
    DSS_TRY(Object sig_obj, json::get_object(sig_el, "signatures[]"));
    DSS_TRY(Element keyid_el, json::field(sig_obj, "keyid", "signatures[]"));
    DSS_TRY(Element sig_hex_el, json::field(sig_obj, "sig", "signatures[]"));
    DSS_TRY(std::string_view keyid, json::get_string(keyid_el, "signatures[].keyid"));
    DSS_TRY(std::string_view sig_hex, json::get_string(sig_hex_el, "signatures[].sig"));
    // An undecodable signature is kept empty: it simply never verifies (an invalid extra
    // signature must not make otherwise well-signed metadata unusable).
    auto sig = hex_decode(sig_hex);
    out.signatures.push_back(Signature{std::string(keyid), sig ? std::move(*sig) : Bytes{}});
  }
  DSS_TRY_STATUS(check_unique_signature_keyids(out.signatures));
  if (in_place != nullptr) {
    // Canonical writers (dss repo among them) put "signed" last: its value then runs from
    // after the first `"signed":` to the envelope's closing brace. Whatever the candidate, it
    // is used only if it is exactly the canonical form, so a wrong guess costs a copy, no more.
    const std::size_t key = bytes.find("\"signed\":");
    const std::size_t close = bytes.find_last_not_of(" \t\r\n");
    if (key != std::string_view::npos && close != std::string_view::npos && close > key + 9 &&
        bytes[close] == '}') {
      const std::size_t start = key + 9;
      DSS_TRY(bool same, json::is_canonical_form_of(signed_el, bytes.substr(start, close - start)));
      if (same) {
        out.message_in_source = true;
        out.raw_offset = start;
        out.raw_length = close - start;
        return signed_obj;
      }
    }
  }
  out.signed_canonical.reserve(bytes.size());
  DSS_TRY_STATUS(json::append_canonical(out.signed_canonical, signed_el));
  return signed_obj;
}

namespace {

// The checks parse_target_file makes, without storing anything.
Status check_target_file(Element e) {
  auto obj = e.get_object();
  if (obj.error()) return malformed("target entry must be a JSON object");
  bool has_length = false, has_hashes = false;
  for (auto m : obj.value_unsafe()) {
    if (m.key == "length") {
      if (!m.value.is_int64() || m.value.get_int64().value_unsafe() < 0) {
        return malformed("target length must be a non-negative integer");
      }
      has_length = true;
    } else if (m.key == "hashes") {
      auto hashes = m.value.get_object();
      if (hashes.error()) return malformed("target hashes must be a JSON object");
      std::size_t n = 0;
      for (auto h : hashes.value_unsafe()) {
        if (!h.value.is_string()) return malformed("target hash values must be strings");
        ++n;
      }
      if (n == 0) return malformed("target hashes must list at least one hash");
      has_hashes = true;
    } else if (m.key == "custom") {
      if (!m.value.is_object()) return malformed("target custom must be a JSON object");
    }
  }
  if (!has_length) return malformed("target entry is missing the field \"length\"");
  if (!has_hashes) return malformed("target entry is missing the field \"hashes\"");
  return ok();
}

}  // namespace

Result<Metadata<Root>> MetadataParser::root(std::string_view bytes) {
  Metadata<Root> md;
  DSS_TRY(Object o, envelope(bytes, RoleType::kRoot, md));
  Root& r = md.signed_;
  bool has_cs = false, has_keys = false, has_roles = false;
  DSS_TRY_STATUS(parse_signed(o, r, [&](std::string_view key, Element v) -> Result<bool> {
    if (key == "consistent_snapshot") {
      DSS_TRY(r.consistent_snapshot, json::get_bool(v, "signed.consistent_snapshot"));
      has_cs = true;
    } else if (key == "keys") {
      DSS_TRY(r.keys, parse_keys(v, "signed.keys"));
      has_keys = true;
    } else if (key == "roles") {
      DSS_TRY(Object roles, json::get_object(v, "signed.roles"));
      for (auto member : roles) {
        if (!is_top_level_role(member.key)) {
          return malformed("signed.roles lists \"" + std::string(member.key) +
                           "\"; root defines only root, timestamp, snapshot and targets");
        }
        DSS_TRY(RoleKeys role, parse_role_keys(member.value, join("signed.roles", member.key)));
        r.roles.emplace(std::string(member.key), std::move(role));
      }
      has_roles = true;
    } else {
      return false;
    }
    return true;
  }));
  DSS_TRY_STATUS(require(has_cs, "signed", "consistent_snapshot"));
  DSS_TRY_STATUS(require(has_keys, "signed", "keys"));
  DSS_TRY_STATUS(require(has_roles, "signed", "roles"));
  for (std::string_view role : {"root", "timestamp", "snapshot", "targets"}) {
    if (!r.roles.contains(std::string(role))) {
      return malformed("signed.roles has no entry for \"" + std::string(role) + "\"");
    }
  }
  return md;
}

Result<Metadata<Timestamp>> MetadataParser::timestamp(std::string_view bytes) {
  Metadata<Timestamp> md;
  DSS_TRY(Object o, envelope(bytes, RoleType::kTimestamp, md));
  Timestamp& t = md.signed_;
  bool has_meta = false;
  DSS_TRY_STATUS(parse_signed(o, t, [&](std::string_view key, Element v) -> Result<bool> {
    if (key != "meta") return false;
    DSS_TRY(Object meta, json::get_object(v, "signed.meta"));
    for (auto member : meta) {
      if (member.key != "snapshot.json") {
        return malformed("timestamp signed.meta may list only snapshot.json, not \"" +
                         std::string(member.key) + "\"");
      }
      DSS_TRY(t.snapshot_meta, parse_meta_file(member.value, "signed.meta[\"snapshot.json\"]"));
      has_meta = true;
    }
    return true;
  }));
  DSS_TRY_STATUS(require(has_meta, "signed.meta", "snapshot.json"));
  return md;
}

Result<Metadata<Snapshot>> MetadataParser::snapshot(std::string_view bytes) {
  Metadata<Snapshot> md;
  DSS_TRY(Object o, envelope(bytes, RoleType::kSnapshot, md));
  Snapshot& s = md.signed_;
  bool has_meta = false;
  DSS_TRY_STATUS(parse_signed(o, s, [&](std::string_view key, Element v) -> Result<bool> {
    if (key != "meta") return false;
    DSS_TRY(Object meta, json::get_object(v, "signed.meta"));
    for (auto member : meta) {
      DSS_TRY(MetaFile mf,
              parse_meta_file(member.value, "signed.meta[\"" + std::string(member.key) + "\"]"));
      s.meta.emplace(std::string(member.key), std::move(mf));
    }
    has_meta = true;
    return true;
  }));
  DSS_TRY_STATUS(require(has_meta, "signed", "meta"));
  return md;
}

Result<Metadata<Targets>> MetadataParser::targets(std::string_view bytes) {
  lean_ = false;
  return targets_impl(bytes, nullptr);
}

namespace {

namespace od = simdjson::ondemand;

// The fast path of targets_lean for canonical files: simdjson On-Demand (no DOM, so no copy
// of every string) plus a scan proving the "signed" text is its own canonical form. It
// returns nullopt whenever anything is unusual, and the caller then takes the DOM path, which
// gives the precise error: this path can only accept, never judge.
std::optional<Metadata<Targets>> targets_ondemand(Bytes& bytes) {
  // The whole file must be canonical text: that proves it is well-formed JSON throughout
  // (On-Demand validates only what it reads) with no duplicate keys anywhere.
  if (!json::is_canonical_text(as_chars(bytes))) return std::nullopt;
  const std::size_t n = bytes.size();
  bytes.resize(n + simdjson::SIMDJSON_PADDING, 0);
  bytes.resize(n);
  od::parser parser;
  simdjson::padded_string_view view(reinterpret_cast<const char*>(bytes.data()), n,
                                    bytes.capacity());
  od::document doc;
  if (parser.iterate(view).get(doc)) return std::nullopt;
  od::object top;
  if (doc.get_object().get(top)) return std::nullopt;
  Metadata<Targets> md;
  bool has_signed = false, has_sigs = false;
  std::string_view signed_raw;
  for (auto field : top) {
    od::raw_json_string key;
    if (field.key().get(key)) return std::nullopt;
    if (key == "signatures") {
      if (has_sigs) return std::nullopt;
      od::array sigs;
      if (field.value().get_array().get(sigs)) return std::nullopt;
      for (auto sig_value : sigs) {
        od::object sig_obj;
        if (sig_value.get_object().get(sig_obj)) return std::nullopt;
        std::string_view keyid, sig_hex;
        if (sig_obj.find_field_unordered("keyid").get_string().get(keyid)) return std::nullopt;
        if (sig_obj.find_field_unordered("sig").get_string().get(sig_hex)) return std::nullopt;
        auto sig = hex_decode(sig_hex);
        md.signatures.push_back(Signature{std::string(keyid), sig ? std::move(*sig) : Bytes{}});
      }
      // A repeated key id is malformed; the DOM path below gives that error.
      if (!check_unique_signature_keyids(md.signatures)) return std::nullopt;
      has_sigs = true;
    } else if (key == "signed") {
      if (has_signed) return std::nullopt;
      od::object signed_obj;
      if (field.value().get_object().get(signed_obj)) return std::nullopt;
      if (signed_obj.raw_json().get(signed_raw)) return std::nullopt;
      has_signed = true;
    } else {
      return std::nullopt;
    }
  }
  if (!has_signed || !has_sigs) return std::nullopt;
  md.message_in_source = true;
  md.raw_offset =
      static_cast<std::size_t>(signed_raw.data() - reinterpret_cast<const char*>(bytes.data()));
  md.raw_length = signed_raw.size();

  // Second pass over "signed": typed fields, and every target entry checked.
  if (doc.rewind(), doc.get_object().get(top)) return std::nullopt;
  od::object s;
  if (top.find_field_unordered("signed").get_object().get(s)) return std::nullopt;
  Targets& t = md.signed_;
  bool has_type = false, has_version = false, has_expires = false, has_spec = false,
       has_targets = false;
  for (auto field : s) {
    od::raw_json_string key;
    if (field.key().get(key)) return std::nullopt;
    od::value v = field.value();
    if (key == "_type") {
      std::string_view type;
      if (v.get_string().get(type) || type != "targets") return std::nullopt;
      has_type = true;
    } else if (key == "version") {
      std::int64_t version = 0;
      if (v.get_int64().get(version) || version < 1) return std::nullopt;
      t.version = version;
      has_version = true;
    } else if (key == "expires") {
      std::string_view text;
      if (v.get_string().get(text)) return std::nullopt;
      auto when = parse_utc_timestamp(text);
      if (!when) return std::nullopt;
      t.expires = *when;
      has_expires = true;
    } else if (key == "spec_version") {
      std::string_view text;
      if (v.get_string().get(text) || !check_spec_version(text)) return std::nullopt;
      t.spec_version = text;
      has_spec = true;
    } else if (key == "targets") {
      od::object targets;
      if (v.get_object().get(targets)) return std::nullopt;
      for (auto entry : targets) {
        od::object tf;
        if (entry.value().get_object().get(tf)) return std::nullopt;
        bool has_length = false, has_hashes = false;
        for (auto m : tf) {
          od::raw_json_string mk;
          if (m.key().get(mk)) return std::nullopt;
          od::value mv = m.value();
          if (mk == "length") {
            std::int64_t length = 0;
            if (mv.get_int64().get(length) || length < 0) return std::nullopt;
            has_length = true;
          } else if (mk == "hashes") {
            od::object hashes;
            if (mv.get_object().get(hashes)) return std::nullopt;
            std::size_t count = 0;
            for (auto h : hashes) {
              od::json_type type{};
              if (h.value().type().get(type) || type != od::json_type::string) return std::nullopt;
              ++count;
            }
            if (count == 0) return std::nullopt;
            has_hashes = true;
          } else if (mk == "custom") {
            od::json_type type{};
            if (mv.type().get(type) || type != od::json_type::object) return std::nullopt;
          }
        }
        if (!has_length || !has_hashes) return std::nullopt;
      }
      has_targets = true;
    } else if (key == "delegations") {
      // Small: parsed fully, with every rule of the DOM path.
      od::object d;
      std::string_view raw;
      if (v.get_object().get(d) || d.raw_json().get(raw)) return std::nullopt;
      json::JsonParser small;
      auto e = small.parse_copy(raw);
      if (!e) return std::nullopt;
      auto parsed = parse_delegations(*e, "signed.delegations");
      if (!parsed) return std::nullopt;
      t.delegations = std::move(*parsed);
    }
    // Other members are legal and kept only by the DOM path (the client never writes back).
  }
  if (!has_type || !has_version || !has_expires || !has_spec || !has_targets) return std::nullopt;
  return md;
}

}  // namespace

Result<Metadata<Targets>> MetadataParser::targets_lean(Bytes& bytes) {
  if (auto fast = targets_ondemand(bytes)) return std::move(*fast);
  lean_ = true;
  auto r = targets_impl(as_chars(bytes), &bytes);
  lean_ = false;
  return r;
}

Result<std::optional<TargetFile>> MetadataParser::find_target(Bytes& bytes, std::string_view path) {
  DSS_TRY(Element doc, parser_.parse_in_place(bytes));
  DSS_TRY(Object top, json::get_object(doc, "metadata"));
  DSS_TRY(Element signed_el, json::field(top, "signed", "metadata"));
  DSS_TRY(Object signed_obj, json::get_object(signed_el, "signed"));
  DSS_TRY(Element targets_el, json::field(signed_obj, "targets", "signed"));
  DSS_TRY(Object targets, json::get_object(targets_el, "signed.targets"));
  for (auto member : targets) {
    if (member.key != path) continue;
    DSS_TRY(TargetFile tf, parse_target_file(member.value, "target"));
    return std::optional<TargetFile>(std::move(tf));
  }
  return std::optional<TargetFile>();
}

Result<Metadata<Targets>> MetadataParser::targets_impl(std::string_view bytes, Bytes* in_place) {
  Metadata<Targets> md;
  DSS_TRY(Object o, envelope(bytes, RoleType::kTargets, md, in_place));
  Targets& t = md.signed_;
  bool has_targets = false;
  DSS_TRY_STATUS(parse_signed(o, t, [&](std::string_view key, Element v) -> Result<bool> {
    if (key == "targets") {
      DSS_TRY(Object targets, json::get_object(v, "signed.targets"));
      for (auto member : targets) {
        if (lean_) {
          if (Status c = check_target_file(member.value); !c) {
            return make_error(c.error().code, "signed.targets[\"" + std::string(member.key) +
                                                  "\"]: " + c.error().message);
          }
          continue;
        }
        // The full path of the entry is spelled out only if it is wrong (100,000 targets
        // should not cost 100,000 error strings).
        auto tf = parse_target_file(member.value, "target");
        if (!tf) {
          return make_error(tf.error().code, "signed.targets[\"" + std::string(member.key) +
                                                 "\"]: " + tf.error().message);
        }
        t.targets.emplace_hint(t.targets.end(), std::string(member.key), std::move(*tf));
      }
      has_targets = true;
    } else if (key == "delegations") {
      DSS_TRY(t.delegations, parse_delegations(v, "signed.delegations"));
    } else {
      return false;
    }
    return true;
  }));
  DSS_TRY_STATUS(require(has_targets, "signed", "targets"));
  return md;
}

std::string to_signed_json(const Root& root) {
  json::ObjectBuilder b;
  common_json(b, root, RoleType::kRoot);
  b.boolean("consistent_snapshot", root.consistent_snapshot);
  b.raw("keys", keys_json(root.keys));
  json::ObjectBuilder roles;
  for (const auto& [name, role] : root.roles) {
    json::ObjectBuilder rb;
    rb.raw("keyids", string_list_json(role.keyids)).integer("threshold", role.threshold);
    append_unknown(rb, role.unknown);
    roles.raw(name, rb.finish());
  }
  b.raw("roles", roles.finish());
  append_unknown(b, root.unknown);
  return b.finish();
}

std::string to_signed_json(const Timestamp& ts) {
  json::ObjectBuilder b;
  common_json(b, ts, RoleType::kTimestamp);
  json::ObjectBuilder meta;
  meta.raw("snapshot.json", meta_file_json(ts.snapshot_meta));
  b.raw("meta", meta.finish());
  append_unknown(b, ts.unknown);
  return b.finish();
}

std::string to_signed_json(const Snapshot& snap) {
  json::ObjectBuilder b;
  common_json(b, snap, RoleType::kSnapshot);
  json::ObjectBuilder meta;
  for (const auto& [name, mf] : snap.meta) meta.raw(name, meta_file_json(mf));
  b.raw("meta", meta.finish());
  append_unknown(b, snap.unknown);
  return b.finish();
}

std::string to_signed_json(const Targets& targets) {
  json::ObjectBuilder b;
  common_json(b, targets, RoleType::kTargets);
  json::ObjectBuilder tb;
  for (const auto& [path, tf] : targets.targets) {
    json::ObjectBuilder fb;
    fb.integer("length", static_cast<std::int64_t>(tf.length))
        .raw("hashes", hashes_json(tf.hashes));
    if (!tf.custom.empty()) fb.raw("custom", tf.custom);
    append_unknown(fb, tf.unknown);
    tb.raw(path, fb.finish());
  }
  b.raw("targets", tb.finish());
  if (targets.delegations) {
    const Delegations& d = *targets.delegations;
    std::string roles = "[";
    for (std::size_t i = 0; i < d.roles.size(); ++i) {
      const DelegatedRole& r = d.roles[i];
      json::ObjectBuilder rb;
      rb.str("name", r.name).raw("keyids", string_list_json(r.keyids));
      rb.integer("threshold", r.threshold).boolean("terminating", r.terminating);
      if (r.paths) rb.raw("paths", string_list_json(*r.paths));
      if (r.path_hash_prefixes)
        rb.raw("path_hash_prefixes", string_list_json(*r.path_hash_prefixes));
      append_unknown(rb, r.unknown);
      if (i > 0) roles += ',';
      roles += rb.finish();
    }
    roles += ']';
    json::ObjectBuilder db;
    db.raw("keys", keys_json(d.keys)).raw("roles", roles);
    append_unknown(db, d.unknown);
    b.raw("delegations", db.finish());
  }
  append_unknown(b, targets.unknown);
  return b.finish();
}

std::string to_envelope_json(std::string_view signed_json, const std::vector<Signature>& sigs) {
  std::string out = "{\"signatures\":[";
  for (std::size_t i = 0; i < sigs.size(); ++i) {
    if (i > 0) out += ',';
    json::ObjectBuilder sb;
    sb.str("keyid", sigs[i].keyid).str("sig", hex_encode(sigs[i].sig));
    out += sb.finish();
  }
  out += "],\"signed\":";
  out += signed_json;
  out += '}';
  // Key ids are untrusted strings too: escape control characters anywhere in the envelope.
  return json::escape_control_characters(out);
}

}  // namespace dss::tuf
