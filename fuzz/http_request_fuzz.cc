// Fuzzes the control plane's request handling: raw bytes go through Boost.Beast's request
// parser with the server's own header and body limits, then through App::handle_fast and
// App::handle exactly as the HTTPS transport calls them. That covers the request line and
// headers, cookies, bearer tokens, the Origin/CSRF checks, path routing and every JSON body
// handler (setup, login, MFA, users, settings, devices, releases).
//
// To reach the handlers behind sign-in, the harness creates an owner once (with the one-time
// setup code and a TOTP enrolment, as a person would) and substitutes the placeholders
// @SESSION@ and @CSRF@ in the input with that owner's session cookie value and CSRF token.
//
// The same bytes also go through core's strict integer parser (parse_int64), which reads the
// ids in request paths: whatever it accepts prints back as exactly the bytes it read; and
// through the stored session state's parser (parse_session_state), with the same property.
//
// Contracts checked on every answer, not just the absence of crashes: a well-formed response
// with a status, the security headers present, and no answer revealing the owner's password or
// session token to a request that did not carry it.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/integer.h"
#include "identity/totp.h"
#include "server/service.h"
#include "server/store.h"

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using dss::server::Peer;
using dss::server::Request;
using dss::server::Response;

constexpr std::string_view kPassword = "fuzzing owner passphrase, long enough";

struct Harness {
  std::unique_ptr<dss::server::Service> service;
  std::string terminal;
  std::string session;  // the owner's session token (cookie value)
  std::string csrf;
  std::string origin;
};

[[noreturn]] void die(const std::string& why) {
  std::fputs(("http_request_fuzz: " + why + "\n").c_str(), stderr);
  std::abort();
}

Response call(Harness& h, Request req) {
  req.set(http::field::host, "127.0.0.1");
  req.prepare_payload();
  if (auto fast = h.service->app().handle_fast(req)) return std::move(*fast);
  return h.service->app().handle(req, Peer{"127.0.0.1"});
}

Request json_post(const Harness& h, std::string_view target, const std::string& body) {
  Request req{http::verb::post, target, 11};
  req.set(http::field::content_type, "application/json");
  req.set(http::field::origin, h.origin);
  if (!h.session.empty()) {
    req.set(http::field::cookie, "__Host-dss_session=" + h.session);
    req.set("X-CSRF-Token", h.csrf);
  }
  req.body() = body;
  return req;
}

std::string json_field(const std::string& body, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":\"";
  const auto at = body.find(key);
  if (at == std::string::npos) return {};
  const auto start = at + key.size();
  return body.substr(start, body.find('"', start) - start);
}

// The setup code is printed alone on a line indented by four spaces.
std::string setup_code(const std::string& terminal) {
  std::size_t at = 0;
  while ((at = terminal.find("\n    ", at)) != std::string::npos) {
    at += 5;
    const auto end = terminal.find('\n', at);
    if (end == std::string::npos) break;
    const std::string line = terminal.substr(at, end - at);
    if (!line.empty() && line.find_first_of(" \t") == std::string::npos) return line;
  }
  return {};
}

Harness& harness() {
  static Harness* h = [] {
    auto* out = new Harness();
    char tmpl[] = "/tmp/dss-http-fuzz-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) die("cannot create a state directory");
    dss::server::ServiceOptions o;
    o.state_dir = fs::path(tmpl) / "state";
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 1;
    o.product_version = "fuzz";
    o.terminal = [out](const std::string& line) { out->terminal += "\n" + line; };
    out->terminal = "\n";
    auto s = dss::server::Service::start(std::move(o));
    if (!s) die(s.error().to_string());
    out->service = std::move(*s);
    out->origin = "https://127.0.0.1:" + std::to_string(out->service->port());

    // The owner: setup code, sign-in, TOTP enrolment.
    const std::string pw(kPassword);
    auto r = call(*out, json_post(*out, "/api/v1/setup",
                                  R"({"setup_code":")" + setup_code(out->terminal) +
                                      R"(","username":"olive","password":")" + pw + "\"}"));
    if (r.result() != http::status::created) die("setup failed: " + r.body());
    r = call(*out, json_post(*out, "/api/v1/auth/login",
                             R"({"username":"olive","password":")" + pw + "\"}"));
    const std::string cookie(r[http::field::set_cookie]);
    const auto eq = cookie.find('=');
    out->session = cookie.substr(eq + 1, cookie.find(';') - eq - 1);
    out->csrf = json_field(r.body(), "csrf_token");
    r = call(*out, json_post(*out, "/api/v1/auth/mfa/totp/enrol", "{}"));
    const std::string uri = json_field(r.body(), "otpauth_uri");
    const auto at = uri.find("secret=");
    auto secret = dss::identity::base32_decode(uri.substr(at + 7, uri.find('&', at) - at - 7));
    if (!secret) die("no TOTP secret in the enrolment answer");
    const std::string code = dss::identity::totp_code(secret->view(), std::time(nullptr));
    r = call(*out, json_post(*out, "/api/v1/auth/mfa/totp/confirm", R"({"code":")" + code + "\"}"));
    if (r.result() != http::status::ok) die("TOTP confirmation failed: " + r.body());
    return out;
  }();
  return *h;
}

void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) {
    s.replace(at, from.size(), to);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = harness();
  std::string raw(reinterpret_cast<const char*>(data), size);
  if (const auto n = dss::parse_int64(raw); n && std::to_string(*n) != raw) {
    die("parse_int64 accepted a non-canonical number");
  }
  if (const auto st = dss::server::parse_session_state(raw);
      st && dss::server::session_state_name(*st) != raw) {
    die("parse_session_state accepted text that is not a state's name");
  }
  replace_all(raw, "@SESSION@", h.session);
  replace_all(raw, "@CSRF@", h.csrf);
  replace_all(raw, "@ORIGIN@", h.origin);

  // The transport's parser, with the transport's limits (server/https.h).
  http::request_parser<http::string_body> parser;
  parser.header_limit(dss::server::HttpsOptions{}.header_limit);
  parser.body_limit(dss::server::HttpsOptions{}.body_limit);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(raw), ec);
  if (ec || !parser.is_done()) return 0;
  Request req = parser.release();

  Response res;
  if (auto fast = h.service->app().handle_fast(req)) {
    res = std::move(*fast);
  } else {
    res = h.service->app().handle(req, Peer{"127.0.0.1"});
  }
  if (static_cast<unsigned>(res.result()) < 100) die("an answer without a status");
  if (res[http::field::strict_transport_security].empty()) die("an answer without HSTS");
  if (res["Content-Security-Policy"].empty()) die("an answer without a CSP");
  // (A request may carry the secrets itself: libFuzzer learns them from comparisons. Only an
  // answer that reveals a secret the request did not contain is a leak.)
  if (raw.find(kPassword) == std::string::npos && res.body().find(kPassword) != std::string::npos) {
    die("an answer revealed the owner's password");
  }
  if (raw.find(h.session) == std::string::npos && res.body().find(h.session) != std::string::npos) {
    die("an answer revealed the owner's session token");
  }
  return 0;
}
