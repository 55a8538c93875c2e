// The server's error edge (ADR 0037): every library ErrorCode reaches the API with its own
// code and a 4xx or 503 unless it is truly internal, and docs/api.md lists exactly the API
// codes there are, each with its status.
#include "server/api_error.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "server/app_internal.h"

namespace dss::server {
namespace {

bool truly_internal(ErrorCode c) {
  switch (c) {
    case ErrorCode::kOk:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
    case ErrorCode::kDecryptFailed:
    case ErrorCode::kHookFailed:
    case ErrorCode::kHealthCheckFailed:
    case ErrorCode::kCommandTimedOut:
      return true;
    default:
      return false;
  }
}

TEST(ApiErrors, EveryErrorCodeGetsANon500AnswerUnlessItIsTrulyInternal) {
  for (const ErrorCode c : kAllErrorCodes) {
    const ApiError e = api_error(Error{c, "detail"}).value();
    EXPECT_EQ(e.status() == http::status::internal_server_error, truly_internal(c))
        << error_code_name(c) << " -> " << api_code_name(e.code);
    EXPECT_EQ(e.code == ApiCode::kInternal, truly_internal(c)) << error_code_name(c);
  }
}

TEST(ApiErrors, WeakPasswordPreconditionAndBadSbomAreTheCallersOwn4xx) {
  const ApiError weak = api_error(Error{ErrorCode::kWeakPassword, "too short"}).value();
  EXPECT_EQ(weak.code, ApiCode::kWeakPassword);
  EXPECT_EQ(weak.status(), http::status::bad_request);
  EXPECT_EQ(weak.message, "too short");
  const ApiError pre = api_error(Error{ErrorCode::kFailedPrecondition, "not yet"}).value();
  EXPECT_EQ(pre.code, ApiCode::kFailedPrecondition);
  EXPECT_EQ(pre.status(), http::status::conflict);
  const ApiError sbom = api_error(Error{ErrorCode::kSbomInvalid, "no supplier"}).value();
  EXPECT_EQ(sbom.code, ApiCode::kVerificationFailed);
  EXPECT_EQ(sbom.status(), http::status::unprocessable_entity);
}

TEST(ApiErrors, AnInternalErrorDoesNotLeakItsMessage) {
  const ApiError e = api_error(Error{ErrorCode::kIo, "/var/lib/dss/secret-path: EIO"}).value();
  EXPECT_EQ(e.code, ApiCode::kInternal);
  EXPECT_EQ(e.message.find("secret-path"), std::string::npos);
}

// The rows "| `code` | status | ..." of docs/api.md's "## Error codes" section.
std::map<std::string, int> documented_codes() {
  std::ifstream in(std::string(DSS_SOURCE_ROOT) + "/docs/api.md");
  std::map<std::string, int> out;
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Error codes";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    const auto bar = line.find('|', end);
    const std::string code = line.substr(3, end - 3);
    EXPECT_TRUE(out.emplace(code, std::stoi(line.substr(bar + 1))).second)
        << code << " is listed twice";
  }
  return out;
}

TEST(ApiDocs, ListEveryApiCodeWithItsStatusAndNoOther) {
  auto docs = documented_codes();
  ASSERT_FALSE(docs.empty()) << "docs/api.md has no \"## Error codes\" table";
  for (const ApiCode c : kAllApiCodes) {
    const std::string name(api_code_name(c));
    const auto it = docs.find(name);
    if (it == docs.end()) {
      ADD_FAILURE() << "docs/api.md does not list the API code " << name;
      continue;
    }
    EXPECT_EQ(it->second, static_cast<int>(api_status(c))) << name;
    docs.erase(it);
  }
  for (const auto& [name, status] : docs) {
    ADD_FAILURE() << "docs/api.md lists " << name << " (" << status
                  << "), which the server never sends";
  }
}

}  // namespace
}  // namespace dss::server
