#include "net/post.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace dss::net {

namespace {

struct Sink {
  std::string* body = nullptr;
  std::uint64_t max = 0;
  bool too_large = false;
};

std::size_t on_write(char* data, std::size_t size, std::size_t nmemb, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t n = size * nmemb;
  if (s->body->size() + n > s->max) {
    s->too_large = true;
    return 0;
  }
  s->body->append(data, n);
  return n;
}

}  // namespace

Result<PostResponse> https_post_json(std::string_view url, std::string_view body,
                                     const std::vector<std::string>& headers,
                                     const FetchOptions& options, std::uint64_t max_response) {
  const std::string u(url);
  if (!u.starts_with("https://")) {
    return make_error(ErrorCode::kInvalidArgument, "\"" + u + "\" is not an https:// URL");
  }
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), curl_easy_cleanup);
  if (!c) return make_error(ErrorCode::kInternal, "libcurl could not be initialised");
  struct curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> guard(list, curl_slist_free_all);
  PostResponse out;
  Sink sink{&out.body, max_response};
  const std::string payload(body);
  CURL* e = c.get();
  curl_easy_setopt(e, CURLOPT_URL, u.c_str());
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  if (!options.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(e, CURLOPT_TIMEOUT, static_cast<long>(options.total_timeout.count()));
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "dss-agent/0.1");
  const CURLcode rc = curl_easy_perform(e);
  if (sink.too_large) {
    return make_error(ErrorCode::kDownloadTooLarge, u + ": the response is larger than " +
                                                        std::to_string(max_response) + " bytes");
  }
  if (rc != CURLE_OK) return make_error(ErrorCode::kNetwork, u + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

}  // namespace dss::net
