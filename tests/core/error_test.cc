// The error model's contracts: every code is named and listed once, retired values stay
// unassigned, and every code has a category decided in core (ADR 0037).
#include "core/error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace dss {
namespace {

TEST(ErrorCode, EveryNamedValueIsListedOnceInValueOrder) {
  for (std::uint32_t v = 0; v <= std::numeric_limits<std::uint16_t>::max(); ++v) {
    const auto code = static_cast<ErrorCode>(v);
    const bool listed = std::find(std::begin(kAllErrorCodes), std::end(kAllErrorCodes), code) !=
                        std::end(kAllErrorCodes);
    EXPECT_EQ(error_code_name(code) != "unknown", listed) << v;
  }
  EXPECT_TRUE(std::is_sorted(std::begin(kAllErrorCodes), std::end(kAllErrorCodes)));
  EXPECT_EQ(std::adjacent_find(std::begin(kAllErrorCodes), std::end(kAllErrorCodes)),
            std::end(kAllErrorCodes));
}

TEST(ErrorCode, MergedTransparencyValuesStayRetired) {
  // 133, 134 and 136 meant kLogForked, kBadProof and kBadCheckpointSignature; a value is never
  // reused, since old agents reported them.
  for (const int v : {133, 134, 136}) {
    EXPECT_EQ(error_code_name(static_cast<ErrorCode>(v)), "unknown") << v;
  }
}

TEST(ErrorCategory, EveryCodeButOkHasACategoryAndOnlyInternalIsInternal) {
  for (const ErrorCode code : kAllErrorCodes) {
    const ErrorCategory c = error_category(code);
    EXPECT_EQ(c == ErrorCategory::kNone, code == ErrorCode::kOk) << error_code_name(code);
    EXPECT_EQ(c == ErrorCategory::kInternal, code == ErrorCode::kInternal) << error_code_name(code);
  }
}

TEST(ErrorCategory, VerificationFailuresOfEitherLogAreRefusalsAndOutagesAreNot) {
  for (const ErrorCode code :
       {ErrorCode::kLogForked, ErrorCode::kBadProof, ErrorCode::kBadCheckpointSignature,
        ErrorCode::kNotInTransparencyLog, ErrorCode::kTransparencyLogMissing,
        ErrorCode::kTransparencyRolledBack, ErrorCode::kTargetNotFound, ErrorCode::kUnsigned,
        ErrorCode::kExpired, ErrorCode::kLengthOrHashMismatch, ErrorCode::kArchiveRefused,
        ErrorCode::kDowngradeRefused}) {
    EXPECT_EQ(error_category(code), ErrorCategory::kRefused) << error_code_name(code);
  }
  for (const ErrorCode code : {ErrorCode::kNetwork, ErrorCode::kIo, ErrorCode::kSlowRetrieval,
                               ErrorCode::kAgentBusy, ErrorCode::kAuditUnavailable}) {
    EXPECT_EQ(error_category(code), ErrorCategory::kUnavailable) << error_code_name(code);
  }
}

}  // namespace
}  // namespace dss
