// Fuzzes the metadata parser and the trusted set with arbitrary bytes as every role.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "tuf/trusted_set.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  dss::tuf::MetadataParser parser;
  if (auto root = parser.root(bytes)) {
    // Round trip: what we serialise must parse again to the same canonical signed bytes.
    const std::string again =
        dss::tuf::to_envelope_json(dss::tuf::to_signed_json(root->signed_), root->signatures);
    auto reparsed = parser.root(again);
    if (!reparsed || reparsed->signed_canonical != dss::tuf::to_signed_json(root->signed_)) {
      __builtin_trap();
    }
  }
  if (auto t = parser.targets(bytes)) {
    const std::string again =
        dss::tuf::to_envelope_json(dss::tuf::to_signed_json(t->signed_), t->signatures);
    if (!parser.targets(again)) __builtin_trap();
    for (const auto& [path, file] : t->signed_.targets) {
      (void)dss::tuf::verify_length_and_hashes({}, file.length, file.hashes, path);
    }
    if (t->signed_.delegations) {
      for (const auto& role : t->signed_.delegations->roles) (void)role.is_delegated_path("a/b.c");
    }
  }
  // The lean (On-Demand) path may accept only what the full parser accepts, with the same
  // signed bytes and the same signatures (so both refuse a repeated key id, spec §4.2); and
  // a file the lean path refuses as a repeated key id, the full parser refuses too.
  {
    dss::Bytes owned(bytes.begin(), bytes.end());
    dss::tuf::MetadataParser lean_parser;
    auto lean = lean_parser.targets_lean(owned);
    auto full = parser.targets(bytes);
    if (lean) {
      if (!full || lean->message(bytes) != full->signed_canonical ||
          lean->signed_.version != full->signed_.version ||
          lean->signatures.size() != full->signatures.size()) {
        __builtin_trap();
      }
      for (std::size_t i = 0; i < lean->signatures.size(); ++i) {
        if (lean->signatures[i].keyid != full->signatures[i].keyid ||
            lean->signatures[i].sig != full->signatures[i].sig) {
          __builtin_trap();
        }
      }
      // And both count the same keys toward a delegation's threshold, whichever schemes are
      // allowed: a key outside crypto.allowed_signature_algorithms counts on neither.
      if (full->signed_.delegations.has_value() != lean->signed_.delegations.has_value()) {
        __builtin_trap();
      }
      if (full->signed_.delegations) {
        const auto& fd = *full->signed_.delegations;
        const auto& ld = *lean->signed_.delegations;
        if (fd.roles.size() != ld.roles.size() || fd.keys.size() != ld.keys.size()) {
          __builtin_trap();
        }
        for (const dss::crypto::AllowedSchemes& allowed :
             {dss::crypto::AllowedSchemes{}, dss::crypto::AllowedSchemes::every_supported(),
              *dss::crypto::AllowedSchemes::from_words({"ed25519"})}) {
          for (std::size_t i = 0; i < fd.roles.size(); ++i) {
            const auto& fr = fd.roles[i];
            const auto& lr = ld.roles[i];
            const auto a =
                dss::tuf::verify_threshold(fr.name, fd.keys, fr.keyids, fr.threshold,
                                           full->signed_canonical, full->signatures, allowed);
            const auto b =
                dss::tuf::verify_threshold(lr.name, ld.keys, lr.keyids, lr.threshold,
                                           lean->message(bytes), lean->signatures, allowed);
            if (a.has_value() != b.has_value() || (!a && a.error().code != b.error().code)) {
              __builtin_trap();
            }
          }
        }
      }
    } else if (full) {
      std::set<std::string_view> keyids;
      for (const auto& sig : full->signatures) {
        if (!keyids.insert(sig.keyid).second) __builtin_trap();  // full accepted a duplicate
      }
    }
  }
  (void)parser.timestamp(bytes);
  (void)parser.snapshot(bytes);
  (void)dss::tuf::TrustedSet::create(bytes, 0);
  (void)dss::tuf::TrustedSet::create(bytes, 0, dss::crypto::AllowedSchemes::every_supported());
  return 0;
}
