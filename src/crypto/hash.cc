#include "crypto/hash.h"

#include <openssl/evp.h>

namespace dss::crypto {

namespace {
const EVP_MD* md_for(HashAlgorithm alg) {
  return alg == HashAlgorithm::kSha256 ? EVP_sha256() : EVP_sha512();
}
}  // namespace

Result<HashAlgorithm> hash_algorithm_from_name(std::string_view name) {
  if (name == "sha256") return HashAlgorithm::kSha256;
  if (name == "sha512") return HashAlgorithm::kSha512;
  return make_error(ErrorCode::kUnsupported, "unsupported hash algorithm \"" + std::string(name) +
                                                 "\" (use sha256 or sha512)");
}

std::string_view hash_algorithm_name(HashAlgorithm alg) {
  return alg == HashAlgorithm::kSha256 ? "sha256" : "sha512";
}

Bytes digest(HashAlgorithm alg, ByteView data) {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md_for(alg))));
  unsigned int len = 0;
  DSS_CHECK(EVP_Digest(data.data(), data.size(), out.data(), &len, md_for(alg), nullptr) == 1);
  DSS_CHECK(len == out.size());
  return out;
}

namespace {
// One context per thread, with the algorithm fetched once: EVP_Digest looks the algorithm up on
// every call, which costs more than hashing the 65 bytes of a Merkle node.
struct ThreadSha256 {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ThreadSha256() { DSS_CHECK(md != nullptr && ctx != nullptr); }
  ~ThreadSha256() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
  ThreadSha256(const ThreadSha256&) = delete;
  ThreadSha256& operator=(const ThreadSha256&) = delete;
};
}  // namespace

void sha256_concat(std::initializer_list<ByteView> parts, Sha256Digest& out) {
  thread_local ThreadSha256 t;
  DSS_CHECK(EVP_DigestInit_ex2(t.ctx, t.md, nullptr) == 1);
  for (const ByteView part : parts) {
    DSS_CHECK(EVP_DigestUpdate(t.ctx, part.data(), part.size()) == 1);
  }
  unsigned int len = 0;
  DSS_CHECK(EVP_DigestFinal_ex(t.ctx, out.data(), &len) == 1);
  DSS_CHECK(len == out.size());
}

struct Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  HashAlgorithm alg{};
};

Hasher::Hasher(HashAlgorithm alg) : impl_(std::make_unique<Impl>()) {
  impl_->alg = alg;
  impl_->ctx = EVP_MD_CTX_new();
  DSS_CHECK(impl_->ctx != nullptr);
  DSS_CHECK(EVP_DigestInit_ex(impl_->ctx, md_for(alg), nullptr) == 1);
}
Hasher::~Hasher() { EVP_MD_CTX_free(impl_->ctx); }
void Hasher::update(ByteView data) {
  DSS_CHECK(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1);
}
Bytes Hasher::finish() {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md_for(impl_->alg))));
  unsigned int len = 0;
  DSS_CHECK(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) == 1);
  return out;
}

}  // namespace dss::crypto
