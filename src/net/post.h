// One HTTPS POST with a JSON body, for the device protocol (enrolment and check-ins). The same
// transport rules as the fetcher: HTTPS only (peer and host verified), no redirects, time
// limits, and a bound on the response body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "net/fetcher.h"

namespace dss::net {

struct PostResponse {
  long status = 0;
  std::string body;
};

// `headers` are complete lines ("Name: value"). Any HTTP status is a response; kNetwork for
// connection and TLS failures, kDownloadTooLarge when the response exceeds `max_response`,
// kInvalidArgument for a URL that is not https://.
Result<PostResponse> https_post_json(std::string_view url, std::string_view body,
                                     const std::vector<std::string>& headers,
                                     const FetchOptions& options,
                                     std::uint64_t max_response = 64ull * 1024);

}  // namespace dss::net
