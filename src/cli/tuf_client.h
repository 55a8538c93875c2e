// `dss-tuf-client`: the standard TUF conformance client protocol, exactly.
//   dss-tuf-client --metadata-dir D init TRUSTED_ROOT_FILE
//   dss-tuf-client --metadata-url MURL --metadata-dir D refresh
//   dss-tuf-client --metadata-url MURL --metadata-dir D --target-name T [--target-name T2 ...]
//                  --target-dir TD --target-base-url TURL download
// Exit status 0 on full success, exactly 1 on any failure.
#pragma once

namespace dss::cli {

int tuf_client_main(int argc, char** argv);

}  // namespace dss::cli
