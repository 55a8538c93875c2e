// crypto.allowed_signature_algorithms as one value (crypto/allowed_schemes.h): the setting's
// words map to TUF schemes in one place, the default is the setting's secure default, and a
// key outside the list is refused with a message naming the setting.
#include "crypto/allowed_schemes.h"

#include <gtest/gtest.h>

#include <string>

#include "settings/declarations.h"

namespace dss::crypto {
namespace {

PublicKey key_of(KeyScheme scheme) {
  auto k = PrivateKey::generate(scheme);
  DSS_CHECK(k.has_value());
  return k->public_key();
}

TEST(AllowedSchemes, DefaultIsTheSettingsSecureDefault) {
  const AllowedSchemes defaults;
  EXPECT_TRUE(defaults.allows(KeyScheme::kEd25519));
  EXPECT_TRUE(defaults.allows(KeyScheme::kEcdsaP256));
  EXPECT_FALSE(defaults.allows(KeyScheme::kRsaPssSha256));
  const settings::Declaration& d = **settings::find_declaration(kAllowedSchemesSetting);
  const auto* words = std::get_if<settings::Members>(&d.secure_default);
  ASSERT_NE(words, nullptr);
  auto parsed = AllowedSchemes::from_words(*words);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, defaults);
  EXPECT_EQ(defaults.to_string(), "ecdsa-p256,ed25519");
}

TEST(AllowedSchemes, EveryWordTheSettingAllowsMapsToOneScheme) {
  const settings::Declaration& d = **settings::find_declaration(kAllowedSchemesSetting);
  std::set<KeyScheme> schemes;
  for (std::string_view word : d.allowed) {
    auto s = scheme_from_setting_word(word);
    ASSERT_TRUE(s) << word;
    EXPECT_EQ(scheme_setting_word(*s), word);
    schemes.insert(*s);
  }
  EXPECT_EQ(schemes.size(), 3U) << "each scheme DSS implements has one word";
  EXPECT_EQ(AllowedSchemes::every_supported().to_string(), "ecdsa-p256,ed25519,rsa-pss");
}

TEST(AllowedSchemes, UnknownWordOrEmptyListIsAnInvalidValue) {
  EXPECT_EQ(AllowedSchemes::from_words({"ed25519", "md5"}).error().code, ErrorCode::kInvalidValue);
  EXPECT_EQ(AllowedSchemes::from_words({}).error().code, ErrorCode::kInvalidValue);
  EXPECT_EQ(AllowedSchemes::from_words({"rsassa-pss-sha256"}).error().code,
            ErrorCode::kInvalidValue)
      << "the TUF name is not the setting's word";
  // The text a person types is the settings module's to parse (settings::parse_value).
  const settings::Declaration& d = **settings::find_declaration(kAllowedSchemesSetting);
  auto typed = settings::parse_value(d, " rsa-pss , ed25519 ");
  ASSERT_TRUE(typed);
  auto parsed = AllowedSchemes::from_words(std::get<settings::Members>(*typed));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->to_string(), "ed25519,rsa-pss");
}

TEST(AllowedSchemes, KeyOutsideTheListIsRefusedNamingTheSetting) {
  const PublicKey rsa = key_of(KeyScheme::kRsaPssSha256);
  const Status refused = AllowedSchemes{}.check(rsa, "the test key");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("crypto.allowed_signature_algorithms"), std::string::npos);
  EXPECT_NE(refused.error().message.find("rsa-pss"), std::string::npos);
  EXPECT_TRUE(AllowedSchemes::from_words({"rsa-pss"})->check(rsa, "the test key"));
  EXPECT_FALSE(AllowedSchemes::from_words({"ecdsa-p256"})->allows(key_of(KeyScheme::kEd25519)));
}

}  // namespace
}  // namespace dss::crypto
