// Canonical JSON exactly as TUF signs it (OLPC canonical JSON as securesystemslib implements
// it): object keys sorted by code point, no insignificant whitespace, strings escape only `"`
// and `\`, integers only. Floats, duplicate keys, invalid UTF-8 and nesting deeper than
// kMaxJsonDepth are rejected as kMalformed.
//
// Parsing uses simdjson's DOM. Callers that parse many documents keep one JsonParser per
// thread (it owns reusable buffers); it is not thread-safe.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace dss::json {

inline constexpr std::size_t kMaxJsonDepth = 64;

using Element = simdjson::dom::element;
using Object = simdjson::dom::object;
using Array = simdjson::dom::array;

class JsonParser {
 public:
  JsonParser();
  // Parses `text`. The returned element stays valid until the next parse on this parser.
  // `text` may be modified temporarily (padding is appended and removed); its contents and
  // size are unchanged on return.
  Result<Element> parse(std::string& text);
  // Copying variant for read-only input.
  Result<Element> parse_copy(std::string_view text);
  // Parses `buffer` without copying it: padding is appended in place and the size restored.
  // If `buffer` lacks spare capacity for the padding it is reallocated, so views into it taken
  // before the call are invalid after it. Reserve size + 64 bytes to avoid that copy.
  Result<Element> parse_in_place(Bytes& buffer);

 private:
  simdjson::dom::parser parser_;
};

// Appends the canonical form of `e` to `out`. Fails on floats, duplicate keys, excess depth.
Status append_canonical(std::string& out, Element e);
Result<std::string> canonical(Element e);
// Whether `text` is byte for byte the canonical form of `e`, computed without building it.
// Errors as append_canonical.
Result<bool> is_canonical_form_of(Element e, std::string_view text);
// Parses any JSON text and returns its canonical form.
Result<std::string> canonicalize(std::string_view text);

// True only if `text` is valid JSON that is byte for byte its own canonical form (no
// whitespace, keys strictly increasing, strings escaping only `"` and `\`, integers without
// sign or leading zeros beyond canonical form, at most 18 digits, depth <= 64). False means
// "not shown": callers then parse and canonicalise. Expects valid UTF-8 (checked elsewhere).
bool is_canonical_text(std::string_view text);

// Appends a canonical string literal (only `"` and `\` are escaped).
void append_quoted(std::string& out, std::string_view s);

// Builds a canonical object from members given in any order. Values are canonical fragments.
class ObjectBuilder {
 public:
  ObjectBuilder& raw(std::string_view key, std::string fragment);
  ObjectBuilder& str(std::string_view key, std::string_view value);
  ObjectBuilder& integer(std::string_view key, std::int64_t value);
  ObjectBuilder& boolean(std::string_view key, bool value);
  [[nodiscard]] bool has(std::string_view key) const;
  // DSS_CHECKs that no key was added twice (a programming error, not input).
  [[nodiscard]] std::string finish();

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

std::string quoted(std::string_view s);

// Canonical JSON may hold raw control characters inside strings (PEM keys carry newlines),
// which standard JSON parsers refuse. This escapes them as \uXXXX so the result is standard
// JSON whose canonical form is the input again. Use it for bytes written to files.
std::string escape_control_characters(std::string_view canonical);

// Typed accessors over untrusted documents; the error names the field that was wrong.
// Bounds checked by one non-recursive pass over JSON text, before a recursive parser or a
// backtracking regular expression sees it: nesting deeper than `max_depth` or a string longer
// than `max_string` bytes is kMalformed, with `what` ("the SBOM") named in the message.
Status check_shape(std::string_view text, std::size_t max_depth, std::size_t max_string,
                   std::string_view what);

Result<Object> get_object(Element e, std::string_view what);
Result<Array> get_array(Element e, std::string_view what);
Result<std::string_view> get_string(Element e, std::string_view what);
Result<std::int64_t> get_int(Element e, std::string_view what);
Result<bool> get_bool(Element e, std::string_view what);
// Field lookup: kMalformed naming `where.key` if missing.
Result<Element> field(Object o, std::string_view key, std::string_view where);

}  // namespace dss::json
