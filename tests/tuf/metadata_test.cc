// Metadata parsing rules (TUF 1.0.x §4) and the unknown-field round trip.
#include <gtest/gtest.h>

#include "crypto/keys.h"
#include "tuf/trusted_set.h"

namespace dss::tuf {
namespace {

std::string envelope(const std::string& signed_json) { return to_envelope_json(signed_json, {}); }

const char* kTargets =
    R"({"_type":"targets","spec_version":"1.0.31","version":3,"expires":"2030-01-01T00:00:00Z",)"
    R"("x-vendor":{"a":[1,2]},"targets":{"a b/c.txt":{"length":5,"hashes":{"sha256":"00"},)"
    R"("custom":{"k":"v"},"x-entry":true}},"delegations":{"keys":{},"x-del":1,"roles":[{"name":"r",)"
    R"("keyids":[],"threshold":1,"terminating":false,"paths":["a*"],"x-role":"kept"}]}})";

TEST(Metadata, UnknownFieldsSurviveAReadWriteRoundTrip) {
  MetadataParser p;
  auto md = p.targets(envelope(kTargets));
  ASSERT_TRUE(md) << md.error().to_string();
  EXPECT_EQ(md->signed_.version, 3);
  EXPECT_EQ(to_signed_json(md->signed_), md->signed_canonical);
  EXPECT_NE(md->signed_canonical.find("x-role"), std::string::npos);
}

TEST(Metadata, ControlCharacterInASignatureKeyIdIsEscapedWhenWritten) {
  // Found by the fuzzer: a key id holding a backspace was written raw, which no JSON parser
  // accepts, so a file the client stored could not be read back.
  auto md = MetadataParser{}.targets(envelope(kTargets));
  ASSERT_TRUE(md.has_value());
  const std::string file =
      to_envelope_json(md->signed_canonical, {Signature{std::string("ab\bcd\x01", 5), {1, 2}}});
  EXPECT_EQ(file.find('\b'), std::string::npos);
  auto again = MetadataParser{}.targets(file);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  ASSERT_EQ(again->signatures.size(), 1U);
  EXPECT_EQ(again->signatures[0].keyid, std::string("ab\bcd\x01", 5));
}

TEST(Metadata, SignedBytesAreTheCanonicalFormOfWhatWasReceived) {
  MetadataParser p;
  std::string pretty = std::string("{\n  \"signatures\": [],\n  \"signed\": ") + kTargets + "\n}";
  auto md = p.targets(pretty);
  ASSERT_TRUE(md);
  auto direct = json::canonicalize(kTargets);
  ASSERT_TRUE(direct);
  EXPECT_EQ(md->signed_canonical, *direct);
}

ErrorCode parse_targets_error(const std::string& signed_json) {
  MetadataParser p;
  auto md = p.targets(envelope(signed_json));
  return md ? ErrorCode::kOk : md.error().code;
}

std::string with(std::string_view replace, std::string_view by) {
  std::string s = kTargets;
  const auto pos = s.find(replace);
  EXPECT_NE(pos, std::string::npos) << replace;
  s.replace(pos, replace.size(), by);
  return s;
}

TEST(Metadata, WrongTypeIsRejected) {
  EXPECT_EQ(parse_targets_error(with("\"_type\":\"targets\"", "\"_type\":\"snapshot\"")),
            ErrorCode::kWrongType);
}

TEST(Metadata, MissingOrMistypedFieldsAreMalformed) {
  EXPECT_EQ(parse_targets_error(with("\"version\":3,", "")), ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with("\"version\":3", "\"version\":\"3\"")), ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with("\"version\":3", "\"version\":0")), ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with("\"length\":5", "\"length\":-5")), ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with("\"hashes\":{\"sha256\":\"00\"}", "\"hashes\":{}")),
            ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with("2030-01-01T00:00:00Z", "2030-01-01")), ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with("\"terminating\":false,", "")), ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with("\"custom\":{\"k\":\"v\"}", "\"custom\":[]")),
            ErrorCode::kMalformed);
}

TEST(Metadata, DelegationMustSetExactlyOneOfPathsAndHashPrefixes) {
  EXPECT_EQ(
      parse_targets_error(with("\"paths\":[\"a*\"]", "\"paths\":[],\"path_hash_prefixes\":[]")),
      ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with(",\"paths\":[\"a*\"]", "")), ErrorCode::kMalformed);
}

TEST(Metadata, DelegatedThresholdBelowOneIsRejected) {
  EXPECT_EQ(parse_targets_error(with("\"threshold\":1", "\"threshold\":0")),
            ErrorCode::kBadThreshold);
}

TEST(Metadata, DuplicateDelegatedRoleNamesAreRejected) {
  const std::string role =
      R"({"name":"r","keyids":[],"threshold":1,"terminating":false,"paths":["a*"]})";
  EXPECT_EQ(parse_targets_error(with("\"roles\":[", "\"roles\":[" + role + ",")),
            ErrorCode::kMalformed);
}

TEST(Metadata, DuplicateKeysInSignedAreRejected) {
  EXPECT_EQ(parse_targets_error(with("\"version\":3", "\"version\":3,\"version\":4")),
            ErrorCode::kMalformed);
}

TEST(Metadata, UnsupportedSpecVersionIsRejected) {
  EXPECT_EQ(parse_targets_error(with("1.0.31", "2.0.0")), ErrorCode::kUnsupported);
  EXPECT_EQ(parse_targets_error(with("1.0.31", "1")), ErrorCode::kMalformed);
  EXPECT_EQ(parse_targets_error(with("1.0.31", "1.0.x")), ErrorCode::kMalformed);
}

TEST(Metadata, ExtraTopLevelFieldsAreRejected) {
  MetadataParser p;
  auto md = p.targets(std::string("{\"signatures\":[],\"x\":1,\"signed\":") + kTargets + "}");
  ASSERT_FALSE(md);
  EXPECT_EQ(md.error().code, ErrorCode::kMalformed);
}

TEST(Metadata, SuccinctDelegationsAreRefusedClearly) {
  EXPECT_EQ(parse_targets_error(with("\"x-del\":1", "\"succinct_roles\":{}")),
            ErrorCode::kUnsupported);
}

TEST(Hashes, LengthAndEveryHashMustMatch) {
  const std::string data = "hello";
  Hashes h{{"sha256", crypto::sha256_hex(data)}};
  EXPECT_TRUE(verify_length_and_hashes(as_bytes(data), 5, h, "f"));
  EXPECT_EQ(verify_length_and_hashes(as_bytes(data), 6, h, "f").error().code,
            ErrorCode::kLengthOrHashMismatch);
  h["sha512"] = "00";
  EXPECT_EQ(verify_length_and_hashes(as_bytes(data), 5, h, "f").error().code,
            ErrorCode::kLengthOrHashMismatch);
  EXPECT_EQ(verify_length_and_hashes(as_bytes(data), 5, {{"blake2b", "00"}}, "f").error().code,
            ErrorCode::kUnsupported);
}

// A root in which one key holds every role.
Root single_key_root(const crypto::PrivateKey& key) {
  Root root;
  root.expires = 2'000'000'000;
  root.keys.emplace(key.public_key().keyid(), key.public_key());
  for (const char* r : {"root", "timestamp", "snapshot", "targets"}) {
    root.roles[r] = RoleKeys{{key.public_key().keyid()}, 1, {}};
  }
  return root;
}

TEST(TrustedSet, RootMustBeSignedByItsOwnThreshold) {
  auto key = crypto::PrivateKey::generate(crypto::KeyScheme::kEd25519);
  ASSERT_TRUE(key);
  const std::string signed_json = to_signed_json(single_key_root(*key));
  EXPECT_EQ(TrustedSet::create(to_envelope_json(signed_json, {}), 0).error().code,
            ErrorCode::kUnsigned);
  auto sig = key->sign(as_bytes(signed_json));
  auto set = TrustedSet::create(
      to_envelope_json(signed_json, {Signature{key->public_key().keyid(), *sig}}), 0);
  ASSERT_TRUE(set);
  // Loading order is enforced.
  EXPECT_EQ(set->update_snapshot("{}", Provenance::kRepository).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST(TrustedSet, PemKeyWithEscapedNewlinesRoundTrips) {
  auto key = crypto::PrivateKey::generate(crypto::KeyScheme::kEcdsaP256);
  ASSERT_TRUE(key);
  const std::string signed_json = to_signed_json(single_key_root(*key));
  auto sig = key->sign(as_bytes(signed_json));
  const std::string file =
      to_envelope_json(signed_json, {Signature{key->public_key().keyid(), *sig}});
  EXPECT_EQ(file.find('\n'), std::string::npos);  // standard JSON on disk
  EXPECT_TRUE(TrustedSet::create(file, 0));
}

}  // namespace
}  // namespace dss::tuf

namespace dss::tuf {
namespace {

TEST(LeanTargets, CanonicalFileIsVerifiedWithoutACopy) {
  Bytes bytes;
  const std::string file = to_envelope_json(*json::canonicalize(kTargets), {});
  bytes.assign(file.begin(), file.end());
  MetadataParser p;
  auto md = p.targets_lean(bytes);
  ASSERT_TRUE(md) << md.error().to_string();
  EXPECT_TRUE(md->message_in_source);
  EXPECT_TRUE(md->signed_canonical.empty());
  EXPECT_EQ(md->message(as_chars(bytes)), *json::canonicalize(kTargets));
  EXPECT_TRUE(md->signed_.targets.empty());
  ASSERT_TRUE(md->signed_.delegations);
  EXPECT_EQ(md->signed_.delegations->roles.size(), 1u);
  auto found = p.find_target(bytes, "a b/c.txt");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->length, 5u);
  EXPECT_FALSE(*p.find_target(bytes, "nope"));
  EXPECT_EQ(as_chars(bytes), file);  // the buffer is unchanged
}

TEST(LeanTargets, NonCanonicalFileFallsBackToTheCanonicalForm) {
  const std::string file =
      std::string("{\n  \"signed\": ") + kTargets + ",\n  \"signatures\": []\n}\n";
  Bytes bytes(file.begin(), file.end());
  MetadataParser p;
  auto md = p.targets_lean(bytes);
  ASSERT_TRUE(md);
  EXPECT_FALSE(md->message_in_source);
  EXPECT_EQ(md->message(as_chars(bytes)), *json::canonicalize(kTargets));
}

TEST(LeanTargets, MalformedEnvelopeOutsideSignedIsRejected) {
  // Found by the fuzzer: On-Demand alone skips over a broken signature object.
  const std::string file = std::string(R"({"signatures":[{"keyid":"a","sig":"00":{}}],"signed":)") +
                           *json::canonicalize(kTargets) + "}";
  Bytes bytes(file.begin(), file.end());
  MetadataParser p;
  EXPECT_EQ(p.targets_lean(bytes).error().code, ErrorCode::kMalformed);
}

TEST(LeanTargets, MalformedEntryIsRejectedAsStrictlyAsTheFullParser) {
  std::string bad = kTargets;
  bad.replace(bad.find("\"length\":5"), 10, "\"length\":-5");
  const std::string file = to_envelope_json(*json::canonicalize(bad), {});
  Bytes bytes(file.begin(), file.end());
  MetadataParser p;
  EXPECT_EQ(p.targets_lean(bytes).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(p.targets(file).error().code, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace dss::tuf
