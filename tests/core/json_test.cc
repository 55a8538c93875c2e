// Canonical JSON as TUF signs it (OLPC canonical JSON, securesystemslib flavour).
#include "core/json.h"

#include <gtest/gtest.h>

#include "core/url.h"

namespace dss::json {
namespace {

std::string canon(std::string_view text) {
  auto r = canonicalize(text);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
  return r ? *r : std::string();
}

ErrorCode canon_error(std::string_view text) {
  auto r = canonicalize(text);
  return r ? ErrorCode::kOk : r.error().code;
}

TEST(CanonicalJson, SortsKeysAndDropsWhitespace) {
  EXPECT_EQ(canon(R"({ "b": 1, "a": [ true, false, null ], "c": {"z":"x","y":2} })"),
            R"({"a":[true,false,null],"b":1,"c":{"y":2,"z":"x"}})");
}

TEST(CanonicalJson, EscapesOnlyQuoteAndBackslash) {
  // A newline and a control character are emitted raw; only " and \ are escaped.
  EXPECT_EQ(canon(R"({"k":"a\"b\\c\nd\u0001"})"), "{\"k\":\"a\\\"b\\\\c\nd\x01\"}");
}

TEST(CanonicalJson, KeepsUtf8Raw) { EXPECT_EQ(canon(R"(["\u00e9"])"), "[\"\xC3\xA9\"]"); }

TEST(CanonicalJson, SortsKeysByCodePointNotLocale) {
  EXPECT_EQ(canon(R"({"a":1,"B":2,"_":3})"), R"({"B":2,"_":3,"a":1})");
}

TEST(CanonicalJson, RejectsFloats) {
  EXPECT_EQ(canon_error(R"({"x":1.5})"), ErrorCode::kMalformed);
  EXPECT_EQ(canon_error(R"({"x":1e3})"), ErrorCode::kMalformed);
}

TEST(CanonicalJson, RejectsDuplicateKeys) {
  EXPECT_EQ(canon_error(R"({"x":1,"x":2})"), ErrorCode::kMalformed);
}

TEST(CanonicalJson, RejectsExcessiveNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_EQ(canon_error(deep), ErrorCode::kMalformed);
}

TEST(CanonicalJson, RejectsInvalidJsonAndUtf8) {
  EXPECT_EQ(canon_error("{"), ErrorCode::kMalformed);
  EXPECT_EQ(canon_error("[\"\xFF\"]"), ErrorCode::kMalformed);
  EXPECT_EQ(canon_error(""), ErrorCode::kMalformed);
}

TEST(CanonicalJson, KeepsLargeIntegers) {
  EXPECT_EQ(canon("[18446744073709551615,-9223372036854775808]"),
            "[18446744073709551615,-9223372036854775808]");
}

TEST(CanonicalJson, ObjectBuilderSortsMembers) {
  ObjectBuilder b;
  b.integer("version", 3).str("_type", "root").boolean("consistent_snapshot", true);
  EXPECT_EQ(b.finish(), R"({"_type":"root","consistent_snapshot":true,"version":3})");
}

TEST(CanonicalText, RecognisesExactlyTheCanonicalForm) {
  for (const char* doc : {R"({"b":1,"a":[true,false,null,-5,0]})", R"({"k":"a\"b\\c"})",
                          R"([{"z":{}},[],"x"])", "{}", "12"}) {
    const std::string c = canon(doc);
    EXPECT_TRUE(is_canonical_text(c)) << c;
  }
  for (const char* text : {R"({"a":1, "b":2})", R"({"b":1,"a":2})", R"({"a":1,"a":2})", R"(["\n"])",
                           R"(["\u0041"])", "[1.0]", "[1e3]", "[01]", "[-0]",
                           "[1234567890123456789]", R"({"a":1)", "[1,]", "tru", R"(["a"] )"}) {
    EXPECT_FALSE(is_canonical_text(text)) << text;
  }
}

TEST(TypedAccess, WrongTypeNamesTheField) {
  JsonParser p;
  auto doc = p.parse_copy(R"({"version":"3"})");
  ASSERT_TRUE(doc);
  auto obj = get_object(*doc, "metadata");
  ASSERT_TRUE(obj);
  auto v = field(*obj, "version", "signed");
  ASSERT_TRUE(v);
  auto i = get_int(*v, "signed.version");
  ASSERT_FALSE(i);
  EXPECT_EQ(i.error().code, ErrorCode::kMalformed);
  EXPECT_NE(i.error().message.find("signed.version"), std::string::npos);
}

TEST(PercentEncode, MatchesPythonQuoteWithNoSafeCharacters) {
  EXPECT_EQ(percent_encode("a/b c?d#e"), "a%2Fb%20c%3Fd%23e");
  EXPECT_EQ(percent_encode("../x"), "..%2Fx");
  EXPECT_EQ(percent_encode("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(percent_encode("\xC3\xA9"), "%C3%A9");
}

}  // namespace
}  // namespace dss::json
