// `dss repo serve`'s static HTTPS server: the TLS policy it shares with the control plane, and
// the certificate it generates. Real TLS on loopback, port 0.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <string>

#include "fakes/temp_dir.h"
#include "httpd/server.h"
#include "platform/files.h"

namespace dss::httpd {
namespace {

enum class ClientTls { kAny, kTls12Only };

// GETs `url` trusting `ca`; the HTTP status, or 0 when the connection or handshake failed.
long get(const std::string& url, const std::string& ca, ClientTls version,
         const char* tls12_ciphers = nullptr) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (version == ClientTls::kTls12Only) {
    constexpr long tls12_only = 6L | (6L << 16);  // CURL_SSLVERSION_TLSv1_2 | ..._MAX_TLSv1_2
    curl_easy_setopt(c, CURLOPT_SSLVERSION, tls12_only);
  }
  if (tls12_ciphers != nullptr) curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, tls12_ciphers);
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  return status;
}

class StaticServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(generate_self_signed_cert(cert(), dir_.path() / "key.pem"));
    ASSERT_TRUE(platform::ensure_private_dir(dir_.path() / "www"));
    ASSERT_TRUE(platform::write_file_atomic(dir_.path() / "www" / "root.json", "{}",
                                            platform::FileMode::kPublic));
  }
  std::unique_ptr<StaticHttpsServer> start(tls::TlsFloor floor) {
    StaticHttpsServer::Options o;
    o.root = dir_.path() / "www";
    o.cert_pem = cert();
    o.key_pem = dir_.path() / "key.pem";
    o.tls_floor = floor;
    auto s = StaticHttpsServer::start(o);
    EXPECT_TRUE(s) << s.error().to_string();
    return s ? std::move(*s) : nullptr;
  }
  std::filesystem::path cert() const { return dir_.path() / "cert.pem"; }
  static std::string url(const StaticHttpsServer& s) {
    return "https://127.0.0.1:" + std::to_string(s.port()) + "/root.json";
  }
  testing::TempDir dir_{"dss-httpd"};
};

// `dss repo serve` allowed TLS 1.2 with OpenSSL's default ciphers while the control plane
// allowed TLS 1.3 only: the one policy now applies to both.
TEST_F(StaticServerTest, RefusesTls12AtTheDefaultFloor) {
  auto s = start(tls::TlsFloor::kTls13);
  ASSERT_TRUE(s);
  EXPECT_EQ(get(url(*s), cert().string(), ClientTls::kTls12Only), 0);
  EXPECT_EQ(get(url(*s), cert().string(), ClientTls::kAny), 200);
}

TEST_F(StaticServerTest, LoosenedFloorAcceptsTls12WithForwardSecretAeadCiphersOnly) {
  auto s = start(tls::TlsFloor::kTls12);
  ASSERT_TRUE(s);
  EXPECT_EQ(get(url(*s), cert().string(), ClientTls::kTls12Only), 200);
  // CBC with SHA-1 is in OpenSSL's default list; it is not in DSS's.
  EXPECT_EQ(get(url(*s), cert().string(), ClientTls::kTls12Only, "ECDHE-ECDSA-AES128-SHA"), 0);
}

// The generated certificate was CA:TRUE with keyCertSign: trusting it trusted a key able to
// issue a certificate for any name.
TEST_F(StaticServerTest, GeneratedCertificateIsALeafForServerAuthOnly) {
  FILE* f = std::fopen(cert().c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  static_cast<void>(std::fclose(f));
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_check_ca(x), 0);
  EXPECT_EQ(X509_get_key_usage(x) & KU_KEY_CERT_SIGN, 0U);
  EXPECT_EQ(X509_get_extended_key_usage(x), static_cast<std::uint32_t>(XKU_SSL_SERVER));
  X509_free(x);
  // And a client that pins it as its CA file still verifies it (a self-signed leaf anchor).
  auto s = start(tls::TlsFloor::kTls13);
  ASSERT_TRUE(s);
  EXPECT_EQ(get(url(*s), cert().string(), ClientTls::kAny), 200);
}

}  // namespace
}  // namespace dss::httpd
