// A test client for the control plane: real HTTPS over loopback with libcurl, verifying the
// server's certificate, with the session cookie and CSRF token handled like a browser would.
#pragma once

#include <curl/curl.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dss::testing {

struct HttpResult {
  long status = 0;
  std::string body;
  std::vector<std::string> headers;  // raw header lines
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    for (const auto& h : headers) {
      if (h.size() > name.size() && strncasecmp(h.c_str(), name.c_str(), name.size()) == 0 &&
          h[name.size()] == ':') {
        std::string v = h.substr(name.size() + 1);
        while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
        while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
        return v;
      }
    }
    return {};
  }
};

class HttpsClient {
 public:
  HttpsClient(std::string base, std::string ca_file)
      : base_(std::move(base)), ca_(std::move(ca_file)) {}

  // Every response seen, for the "no secret in any response" check.
  std::vector<HttpResult>& transcript() { return transcript_; }

  HttpResult request(const std::string& method, const std::string& path,
                     const std::string& body = "", std::vector<std::string> extra_headers = {},
                     const std::string& content_type = "application/json") {
    CURL* c = curl_easy_init();
    HttpResult r;
    std::string url = base_ + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CAINFO, ca_.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    if (tls_max_12_) {
      constexpr long kTls12Only = 6L | (6L << 16);  // CURL_SSLVERSION_TLSv1_2 | ..._MAX_TLSv1_2
      curl_easy_setopt(c, CURLOPT_SSLVERSION, kTls12Only);
    }
    curl_slist* hdrs = nullptr;
    if (!body.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
      if (!content_type.empty())
        hdrs = curl_slist_append(hdrs, ("Content-Type: " + content_type).c_str());
    }
    if (!cookie_.empty()) hdrs = curl_slist_append(hdrs, ("Cookie: " + cookie_).c_str());
    if (send_csrf_ && !csrf_.empty() && method != "GET") {
      hdrs = curl_slist_append(hdrs, ("X-CSRF-Token: " + csrf_).c_str());
    }
    if (send_origin_ && method != "GET")
      hdrs = curl_slist_append(hdrs, ("Origin: " + origin_).c_str());
    if (!bearer_.empty())
      hdrs = curl_slist_append(hdrs, ("Authorization: Bearer " + bearer_).c_str());
    for (const auto& h : extra_headers) hdrs = curl_slist_append(hdrs, h.c_str());
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* u) {
          static_cast<std::string*>(u)->append(p, s * n);
          return s * n;
        });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(
        c, CURLOPT_HEADERFUNCTION, +[](char* p, size_t s, size_t n, void* u) {
          static_cast<std::vector<std::string>*>(u)->emplace_back(p, s * n);
          return s * n;
        });
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    // Keep the session cookie like a browser.
    for (const auto& h : r.headers) {
      const std::string prefix = "Set-Cookie: __Host-dss_session=";
      if (strncasecmp(h.c_str(), prefix.c_str(), prefix.size()) == 0) {
        const std::string v = h.substr(prefix.size());
        const std::string token = v.substr(0, v.find(';'));
        cookie_ = token.empty() ? "" : "__Host-dss_session=" + token;
        session_token_ = token;
      }
    }
    if (auto j = r.json(); j.is_object() && j.contains("csrf_token")) {
      csrf_ = j["csrf_token"].get<std::string>();
    }
    transcript_.push_back(r);
    return r;
  }

  HttpResult get(const std::string& path) { return request("GET", path); }
  HttpResult post(const std::string& path, const nlohmann::json& body = nlohmann::json::object()) {
    return request("POST", path, body.empty() ? std::string() : body.dump());
  }
  HttpResult put(const std::string& path, const nlohmann::json& body) {
    return request("PUT", path, body.dump());
  }

  void set_origin(std::string origin) { origin_ = std::move(origin); }
  void send_csrf(bool on) { send_csrf_ = on; }
  void send_origin(bool on) { send_origin_ = on; }
  void set_bearer(std::string token) { bearer_ = std::move(token); }
  void set_tls_max_12(bool on) { tls_max_12_ = on; }
  void forget_session() {
    cookie_.clear();
    csrf_.clear();
  }
  const std::string& session_token() const { return session_token_; }

 private:
  std::string base_;
  std::string ca_;
  std::string origin_;
  std::string cookie_;
  std::string csrf_;
  std::string bearer_;
  std::string session_token_;
  bool send_csrf_ = true;
  bool send_origin_ = true;
  bool tls_max_12_ = false;
  std::vector<HttpResult> transcript_;
};

}  // namespace dss::testing
