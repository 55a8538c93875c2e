// C2SP signed notes and tlog checkpoints.
#include "tlog/note.h"

#include <gtest/gtest.h>

namespace dss::tlog {
namespace {

TEST(SignedNote, MatchesGoSumdbNoteTestVector) {
  // The example of golang.org/x/mod/sumdb/note: Ed25519 signatures are deterministic, so the
  // signed note must be byte for byte the published one.
  auto signer = NoteSigner::parse(SecretBytes::from_string(
      "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"));
  ASSERT_TRUE(signer.has_value()) << signer.error().message;
  EXPECT_EQ(signer->verifier().to_string(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  const std::string text =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n";
  auto note = signer->sign(text);
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(*note,
            text +
                "\n\xE2\x80\x94 PeterNeumann "
                "x08go/ZJkuBS9UG/"
                "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
  auto opened = open_note(*note, signer->verifier());
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(*opened, text);
}

TEST(SignedNote, SignatureByAnotherKeyIsRefused) {
  auto log = NoteSigner::generate("example.com/log");
  auto impostor = NoteSigner::generate("example.com/log");
  ASSERT_TRUE(log && impostor);
  auto note = impostor->sign("hello\n");
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(open_note(*note, log->verifier()).error().code, ErrorCode::kBadCheckpointSignature);
}

TEST(SignedNote, AlteredTextIsRefused) {
  auto log = NoteSigner::generate("example.com/log");
  ASSERT_TRUE(log.has_value());
  auto note = log->sign("size 10\n");
  ASSERT_TRUE(note.has_value());
  std::string altered = *note;
  altered[5] = '9';
  EXPECT_EQ(open_note(altered, log->verifier()).error().code, ErrorCode::kBadCheckpointSignature);
}

TEST(SignedNote, MalformedNotesAreRefusedClearly) {
  auto log = NoteSigner::generate("example.com/log");
  ASSERT_TRUE(log.has_value());
  for (const char* bad : {"", "no blank line\n", "text\n\n", "text\n\n-- example.com/log AAAA\n",
                          "text\n\n\xE2\x80\x94 example.com/log !!!\n",
                          "te\x01xt\n\n\xE2\x80\x94 example.com/log AAAAAAAA\n"}) {
    auto r = open_note(bad, log->verifier());
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed) << bad;
  }
  EXPECT_FALSE(log->sign("two\n\nparagraphs\n").has_value());
  EXPECT_FALSE(log->sign("no newline").has_value());
}

TEST(SignedNote, KeyTextRoundTripsAndBadKeysAreRefused) {
  auto log = NoteSigner::generate("example.com/log");
  ASSERT_TRUE(log.has_value());
  auto text = log->key_text();
  ASSERT_TRUE(text.has_value());
  auto again = NoteSigner::parse(*text);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->verifier().to_string(), log->verifier().to_string());
  EXPECT_FALSE(NoteSigner::parse(SecretBytes::from_string("PRIVATE+KEY+x+00000000+AA==")));
  EXPECT_FALSE(
      NoteVerifier::parse("example.com/log+00000000+" + log->verifier().to_string().substr(25)));
  EXPECT_FALSE(NoteSigner::generate("has space").has_value());
  EXPECT_FALSE(NoteSigner::generate("has+plus").has_value());
}

TEST(Checkpoint, RoundTripsWithExtensionsAndRefusesBadLines) {
  Checkpoint c;
  c.origin = "example.com/log";
  c.size = 12345;
  c.root[0] = 7;
  c.extensions = {"extra line"};
  auto parsed = Checkpoint::parse(c.to_text());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->size, 12345U);
  EXPECT_EQ(parsed->root, c.root);
  EXPECT_EQ(parsed->extensions, c.extensions);
  for (const char* bad : {"o\n012\nAAAA\n", "o\n12\n", "o\n-1\n" /*sign*/,
                          "o\n12\nAAAA\n" /*short hash*/, "\n1\nAAAA\n", "o\n1x\nAAAA\n"}) {
    EXPECT_FALSE(Checkpoint::parse(bad).has_value()) << bad;
  }
}

TEST(Checkpoint, OriginMustBeTheKeysName) {
  auto log = NoteSigner::generate("example.com/log");
  ASSERT_TRUE(log.has_value());
  Checkpoint c;
  c.origin = "example.com/other";
  auto note = log->sign(c.to_text());
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(open_checkpoint(*note, log->verifier()).error().code,
            ErrorCode::kBadCheckpointSignature);
}

}  // namespace
}  // namespace dss::tlog
