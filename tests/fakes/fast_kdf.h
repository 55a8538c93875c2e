// The cheapest Argon2id parameters libsodium accepts (1 pass, 8 KiB), for tests that seal and
// unseal repository keys many times. The algorithm, the key file format and every code path are
// the production ones; only the cost differs. Argon2 at the interactive profile (64 MiB) was most
// of the suites' time. The production default (KdfLimits::moderate, 256 MiB) is what the
// end-to-end suite (tests/e2e, through the CLI) seals and unseals with.
#pragma once

#include <sodium.h>

#include "repo/key_file.h"

namespace dss::testing {

inline repo::KdfLimits fast_kdf() {
  return repo::KdfLimits{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

}  // namespace dss::testing
