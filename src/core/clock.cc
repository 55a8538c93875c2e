#include "core/clock.h"

#include <cstdio>

namespace dss {

namespace {

bool parse_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

Result<UnixSeconds> parse_utc_timestamp(std::string_view s) {
  // 2030-01-01T00:00:00Z
  auto bad = [&] {
    return make_error(ErrorCode::kMalformed,
                      "timestamp must look like 2030-01-31T23:59:59Z (UTC, no fractions)");
  };
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return bad();
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!parse_digits(s, 0, 4, y) || !parse_digits(s, 5, 2, mo) || !parse_digits(s, 8, 2, d) ||
      !parse_digits(s, 11, 2, h) || !parse_digits(s, 14, 2, mi) || !parse_digits(s, 17, 2, sec)) {
    return bad();
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return bad();
  const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return static_cast<UnixSeconds>(days) * 86400 + UnixSeconds{h} * 3600 + UnixSeconds{mi} * 60 +
         sec;
}

std::string format_utc_timestamp(UnixSeconds t) {
  const auto tp = std::chrono::sys_seconds{std::chrono::seconds{t}};
  const auto day_point = std::chrono::floor<std::chrono::days>(tp);
  const std::chrono::year_month_day ymd{day_point};
  const std::chrono::hh_mm_ss hms{tp - day_point};
  char buf[32];
  const int n =
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                    static_cast<int>(hms.seconds().count()));
  DSS_CHECK(n > 0 && static_cast<std::size_t>(n) < sizeof buf);  // sized for any int year
  return buf;
}

}  // namespace dss
