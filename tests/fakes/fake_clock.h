// A clock the test sets by hand.
#pragma once

#include "core/clock.h"

namespace dss::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixSeconds now = 1'800'000'000) : now_(now) {}  // 2027-01-15
  [[nodiscard]] UnixSeconds now() const override { return now_; }
  void set(UnixSeconds t) { now_ = t; }
  void advance(UnixSeconds seconds) { now_ += seconds; }

 private:
  UnixSeconds now_;
};

}  // namespace dss::testing
