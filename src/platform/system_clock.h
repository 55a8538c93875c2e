// The system clock, read through libc (so `faketime` can shift it in tests).
#pragma once

#include "core/clock.h"

namespace dss::platform {

class SystemClock final : public Clock {
 public:
  [[nodiscard]] UnixSeconds now() const override;
  [[nodiscard]] std::int64_t now_ms() const override;
};

}  // namespace dss::platform
