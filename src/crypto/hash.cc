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
  return make_error(ErrorCode::kUnsupported,
                    "unsupported hash algorithm \"" + std::string(name) + "\" (use sha256 or sha512)");
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

struct Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  HashAlgorithm alg;
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
