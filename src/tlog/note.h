// C2SP signed notes (c2sp.org/signed-note) with Ed25519, and C2SP tlog checkpoints
// (c2sp.org/tlog-checkpoint). Key texts use the format of Go's golang.org/x/mod/sumdb/note, so
// checkpoints can be checked with the ecosystem's tools:
//   signer key:   PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 || 32-byte seed)>
//   verifier key: <name>+<key id, 8 hex>+<base64(0x01 || 32-byte public key)>
// key id = first 4 bytes of SHA-256(name || "\n" || 0x01 || public key), big-endian.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "crypto/keys.h"
#include "tlog/merkle.h"

namespace dss::tlog {

class NoteVerifier {
 public:
  // kMalformed when `vkey` is not a verifier key of the form above.
  static Result<NoteVerifier> parse(std::string_view vkey);
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::uint32_t key_id() const { return key_id_; }
  [[nodiscard]] bool verify(std::string_view text, ByteView signature) const;
  // The Ed25519 key, for checks of which schemes are accepted (crypto::AllowedSchemes).
  [[nodiscard]] const crypto::PublicKey& public_key() const { return key_; }

 private:
  friend class NoteSigner;
  NoteVerifier(std::string name, Bytes public_key, crypto::PublicKey key);
  std::string name_;
  Bytes public_key_;  // 32 bytes
  crypto::PublicKey key_;
  std::uint32_t key_id_ = 0;
};

class NoteSigner {
 public:
  // `name` identifies the log (for example "dss.example.com/audit"): non-empty, no spaces, no '+'.
  static Result<NoteSigner> generate(std::string_view name);
  // A signer for `name` with an existing Ed25519 key (one kept elsewhere, for example
  // encrypted in a key file). kInvalidArgument for a bad name or a key of another scheme.
  static Result<NoteSigner> from_key(std::string_view name, crypto::PrivateKey key);
  // kMalformed when `key_text` is not a signer key; the message never repeats the key.
  static Result<NoteSigner> parse(const SecretBytes& key_text);
  // The signer key text (a secret: store it 0600, never log it).
  [[nodiscard]] Result<SecretBytes> key_text() const;
  [[nodiscard]] const NoteVerifier& verifier() const { return verifier_; }
  // The signed note for `text` (which must end in a newline and hold no blank line).
  [[nodiscard]] Result<std::string> sign(std::string_view text) const;

 private:
  NoteSigner(crypto::PrivateKey key, NoteVerifier verifier)
      : key_(std::move(key)), verifier_(std::move(verifier)) {}
  crypto::PrivateKey key_;
  NoteVerifier verifier_;
};

// The text of `note` when it carries a valid signature from `verifier`. kMalformed when the note
// does not parse; kBadCheckpointSignature when the verifier's signature is missing or wrong
// (signatures by other keys are ignored, as the specification requires).
Result<std::string> open_note(std::string_view note, const NoteVerifier& verifier);

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // optional lines after the root hash

  [[nodiscard]] std::string to_text() const;
  // kMalformed, naming the line at fault.
  static Result<Checkpoint> parse(std::string_view text);
};

// Opens and parses a signed checkpoint in one step, and checks that its origin is the key's name.
Result<Checkpoint> open_checkpoint(std::string_view note, const NoteVerifier& verifier);

}  // namespace dss::tlog
