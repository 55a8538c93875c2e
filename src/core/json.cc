#include "core/json.h"

#include <algorithm>
#include <cstring>

namespace dss::json {

namespace {

tl::unexpected<Error> malformed(std::string message) {
  return make_error(ErrorCode::kMalformed, std::move(message));
}

// A canonical-JSON sink that compares with expected text instead of building a string.
class CompareSink {
 public:
  explicit CompareSink(std::string_view expected) : expected_(expected) {}
  void push_back(char c) {
    if (equal_ && pos_ < expected_.size() && expected_[pos_] == c) {
      ++pos_;
    } else {
      equal_ = false;
    }
  }
  void append(const char* data, std::size_t n) {
    if (equal_ && expected_.size() - pos_ >= n &&
        std::char_traits<char>::compare(expected_.data() + pos_, data, n) == 0) {
      pos_ += n;
    } else {
      equal_ = false;
    }
  }
  CompareSink& operator+=(std::string_view s) {
    append(s.data(), s.size());
    return *this;
  }
  [[nodiscard]] bool matched() const { return equal_ && pos_ == expected_.size(); }

 private:
  std::string_view expected_;
  std::size_t pos_ = 0;
  bool equal_ = true;
};

template <typename Out>
void quoted_to(Out& out, std::string_view s) {
  out.push_back('"');
  // Most strings (hashes, names) need no escape: find the next `"` or `\` with memchr, which
  // is vectorised, instead of testing every character.
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const auto n = static_cast<std::size_t>(end - p);
    const char* q = static_cast<const char*>(std::memchr(p, '"', n));
    const char* b = static_cast<const char*>(
        std::memchr(p, '\\', q == nullptr ? n : static_cast<std::size_t>(q - p)));
    const char* hit = b != nullptr ? b : q;
    if (hit == nullptr) {
      out.append(p, n);
      break;
    }
    out.append(p, static_cast<std::size_t>(hit - p));
    out.push_back('\\');
    out.push_back(*hit);
    p = hit + 1;
  }
  out.push_back('"');
}

template <typename Out>
// NOLINTNEXTLINE(misc-no-recursion): depth is bounded by kMaxJsonDepth
Status append_impl(Out& out, Element e, std::size_t depth) {
  if (depth > kMaxJsonDepth) return malformed("JSON nesting is deeper than 64 levels");
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      Object obj = e.get_object().value_unsafe();
      // Fast path: members already in strictly increasing order (what canonical writers,
      // including `dss repo`, produce) are emitted as they are, without sorting.
      bool sorted = true;
      std::string_view prev;
      bool first = true;
      for (auto field : obj) {
        if (!first && !(prev < field.key)) {
          sorted = false;
          break;
        }
        prev = field.key;
        first = false;
      }
      out.push_back('{');
      if (sorted) {
        first = true;
        for (auto field : obj) {
          if (!first) out.push_back(',');
          first = false;
          quoted_to(out, field.key);
          out.push_back(':');
          DSS_TRY_STATUS(append_impl(out, field.value, depth + 1));
        }
        out.push_back('}');
        return ok();
      }
      std::vector<std::pair<std::string_view, Element>> members;
      members.reserve(obj.size());
      for (auto field : obj) members.emplace_back(field.key, field.value);
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i > 0) {
          if (members[i].first == members[i - 1].first) {
            return malformed("JSON object has the key \"" + std::string(members[i].first) +
                             "\" twice");
          }
          out.push_back(',');
        }
        quoted_to(out, members[i].first);
        out.push_back(':');
        DSS_TRY_STATUS(append_impl(out, members[i].second, depth + 1));
      }
      out.push_back('}');
      return ok();
    }
    case simdjson::dom::element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      // Checked, not value_unsafe(): on an error simdjson hands back an array with no document.
      Array arr;
      if (e.get(arr) != simdjson::SUCCESS) return malformed("JSON array is unreadable");
      for (auto child : arr) {
        if (!first) out.push_back(',');
        first = false;
        DSS_TRY_STATUS(append_impl(out, child, depth + 1));
      }
      out.push_back(']');
      return ok();
    }
    case simdjson::dom::element_type::STRING:
      quoted_to(out, e.get_string().value_unsafe());
      return ok();
    case simdjson::dom::element_type::INT64:
      out += std::to_string(e.get_int64().value_unsafe());
      return ok();
    case simdjson::dom::element_type::UINT64:
      out += std::to_string(e.get_uint64().value_unsafe());
      return ok();
    case simdjson::dom::element_type::DOUBLE:
      return malformed(
          "JSON contains a floating-point number; canonical JSON allows integers only");
    case simdjson::dom::element_type::BOOL:
      out += e.get_bool().value_unsafe() ? "true" : "false";
      return ok();
    case simdjson::dom::element_type::NULL_VALUE:
      out += "null";
      return ok();
  }
  return malformed("unknown JSON value type");
}

}  // namespace

namespace {

// Recursive-descent check that the text is already canonical (see json.h).
class CanonicalScanner {
 public:
  explicit CanonicalScanner(std::string_view t) : t_(t) {}
  bool run() { return value(0) && p_ == t_.size(); }

 private:
  // NOLINTNEXTLINE(misc-no-recursion): depth is bounded by kMaxJsonDepth
  bool value(std::size_t depth) {
    if (depth > kMaxJsonDepth || p_ >= t_.size()) return false;
    switch (t_[p_]) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string(nullptr);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return integer();
    }
  }
  // NOLINTNEXTLINE(misc-no-recursion): depth is bounded by kMaxJsonDepth
  bool object(std::size_t depth) {
    ++p_;
    if (p_ < t_.size() && t_[p_] == '}') return ++p_, true;
    std::string_view prev;
    bool first = true;
    while (true) {
      std::string_view key;
      if (p_ >= t_.size() || t_[p_] != '"' || !string(&key)) return false;
      // Keys are compared as written; a key with an escape could sort differently unescaped.
      if (key.find('\\') != std::string_view::npos) return false;
      if (!first && !(prev < key)) return false;
      prev = key;
      first = false;
      if (p_ >= t_.size() || t_[p_] != ':') return false;
      ++p_;
      if (!value(depth + 1)) return false;
      if (p_ >= t_.size()) return false;
      if (t_[p_] == '}') return ++p_, true;
      if (t_[p_] != ',') return false;
      ++p_;
    }
  }
  // NOLINTNEXTLINE(misc-no-recursion): depth is bounded by kMaxJsonDepth
  bool array(std::size_t depth) {
    ++p_;
    if (p_ < t_.size() && t_[p_] == ']') return ++p_, true;
    while (true) {
      if (!value(depth + 1) || p_ >= t_.size()) return false;
      if (t_[p_] == ']') return ++p_, true;
      if (t_[p_] != ',') return false;
      ++p_;
    }
  }
  bool string(std::string_view* contents) {
    const std::size_t start = ++p_;
    while (p_ < t_.size()) {
      const auto c = static_cast<unsigned char>(t_[p_]);
      if (c == '"') {
        if (contents != nullptr) *contents = t_.substr(start, p_ - start);
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (p_ + 1 >= t_.size() || (t_[p_ + 1] != '"' && t_[p_ + 1] != '\\')) return false;
        p_ += 2;
        continue;
      }
      ++p_;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (t_.substr(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  bool integer() {
    const std::size_t start = p_;
    if (p_ < t_.size() && t_[p_] == '-') ++p_;
    const std::size_t digits = p_;
    while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    const std::size_t n = p_ - digits;
    if (n == 0 || n > 18) return false;
    if (t_[digits] == '0' && (n > 1 || digits != start)) return false;  // leading zero, "-0"
    return true;
  }

  std::string_view t_;
  std::size_t p_ = 0;
};

}  // namespace

bool is_canonical_text(std::string_view text) { return CanonicalScanner(text).run(); }

JsonParser::JsonParser() = default;

Result<Element> JsonParser::parse_in_place(Bytes& buffer) {
  const std::size_t n = buffer.size();
  buffer.resize(n + simdjson::SIMDJSON_PADDING, 0);
  auto r = parser_.parse(reinterpret_cast<const char*>(buffer.data()), n, false);
  buffer.resize(n);  // shrinking keeps the allocation, so the padding stays readable
  if (r.error()) {
    return malformed(std::string("not valid JSON: ") + simdjson::error_message(r.error()));
  }
  return r.value_unsafe();
}

Result<Element> JsonParser::parse(std::string& text) {
  const std::size_t n = text.size();
  text.append(simdjson::SIMDJSON_PADDING, '\0');
  auto r = parser_.parse(text.data(), n, false);
  text.resize(n);
  if (r.error()) {
    return malformed(std::string("not valid JSON: ") + simdjson::error_message(r.error()));
  }
  return r.value_unsafe();
}

Result<Element> JsonParser::parse_copy(std::string_view text) {
  std::string copy;
  copy.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  copy.assign(text);
  return parse(copy);
}

Status append_canonical(std::string& out, Element e) { return append_impl(out, e, 0); }

Result<bool> is_canonical_form_of(Element e, std::string_view text) {
  CompareSink sink(text);
  DSS_TRY_STATUS(append_impl(sink, e, 0));
  return sink.matched();
}

Result<std::string> canonical(Element e) {
  std::string out;
  DSS_TRY_STATUS(append_canonical(out, e));
  return out;
}

Result<std::string> canonicalize(std::string_view text) {
  JsonParser parser;
  DSS_TRY(Element e, parser.parse_copy(text));
  return canonical(e);
}

void append_quoted(std::string& out, std::string_view s) { quoted_to(out, s); }

std::string quoted(std::string_view s) {
  std::string out;
  append_quoted(out, s);
  return out;
}

ObjectBuilder& ObjectBuilder::raw(std::string_view key, std::string fragment) {
  members_.emplace_back(std::string(key), std::move(fragment));
  return *this;
}
ObjectBuilder& ObjectBuilder::str(std::string_view key, std::string_view value) {
  return raw(key, quoted(value));
}
ObjectBuilder& ObjectBuilder::integer(std::string_view key, std::int64_t value) {
  return raw(key, std::to_string(value));
}
ObjectBuilder& ObjectBuilder::boolean(std::string_view key, bool value) {
  return raw(key, value ? "true" : "false");
}
bool ObjectBuilder::has(std::string_view key) const {
  return std::any_of(members_.begin(), members_.end(),
                     [&](const auto& m) { return m.first == key; });
}
std::string ObjectBuilder::finish() {
  std::sort(members_.begin(), members_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "{";
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (i > 0) {
      DSS_CHECK(members_[i].first != members_[i - 1].first);
      out.push_back(',');
    }
    append_quoted(out, members_[i].first);
    out.push_back(':');
    out += members_[i].second;
  }
  out.push_back('}');
  members_.clear();
  return out;
}

std::string escape_control_characters(std::string_view canonical) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(canonical.size() + 64);
  for (const char ch : canonical) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

Result<Object> get_object(Element e, std::string_view what) {
  auto r = e.get_object();
  if (r.error()) return malformed(std::string(what) + " must be a JSON object");
  return r.value_unsafe();
}
Result<Array> get_array(Element e, std::string_view what) {
  auto r = e.get_array();
  if (r.error()) return malformed(std::string(what) + " must be a JSON array");
  return r.value_unsafe();
}
Result<std::string_view> get_string(Element e, std::string_view what) {
  auto r = e.get_string();
  if (r.error()) return malformed(std::string(what) + " must be a string");
  return r.value_unsafe();
}
Result<std::int64_t> get_int(Element e, std::string_view what) {
  if (!e.is_int64()) return malformed(std::string(what) + " must be an integer");
  return e.get_int64().value_unsafe();
}
Result<bool> get_bool(Element e, std::string_view what) {
  auto r = e.get_bool();
  if (r.error()) return malformed(std::string(what) + " must be true or false");
  return r.value_unsafe();
}
Result<Element> field(Object o, std::string_view key, std::string_view where) {
  auto r = o[key];
  if (r.error()) {
    return malformed(std::string(where) + " is missing the field \"" + std::string(key) + "\"");
  }
  return r.value_unsafe();
}

Status check_shape(std::string_view text, std::size_t max_depth, std::size_t max_string,
                   std::string_view what) {
  std::size_t depth = 0;
  std::size_t string_len = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
        continue;
      }
      if (++string_len > max_string) {
        return make_error(ErrorCode::kMalformed,
                          std::string(what) + " holds a string longer than " +
                              std::to_string(max_string) + " bytes; shorten it");
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      string_len = 0;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        return make_error(ErrorCode::kMalformed, std::string(what) + " nests deeper than " +
                                                     std::to_string(max_depth) + " levels");
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return ok();
}

}  // namespace dss::json
