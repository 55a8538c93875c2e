// Time as a parameter. Verification code takes a reference time; only the edges of the
// program (CLI, daemons) read the system clock, through this interface, so tests can use a
// fake clock and whole programs can be shifted with faketime (time is read through libc).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace dss {

using UnixSeconds = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual UnixSeconds now() const = 0;
  // Milliseconds since the epoch, for audit timestamps. Clocks without finer resolution scale
  // their seconds.
  [[nodiscard]] virtual std::int64_t now_ms() const { return now() * 1000; }
};

// Strict "YYYY-MM-DDTHH:MM:SSZ" (the TUF `expires` format). Anything else is kMalformed.
Result<UnixSeconds> parse_utc_timestamp(std::string_view text);
std::string format_utc_timestamp(UnixSeconds t);

}  // namespace dss
