#include "core/time_format.h"

#include <cstdio>

namespace linkhub {

namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string FormatRfc3339(TimePoint t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto days = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd(days);
  std::chrono::hh_mm_ss hms(secs - days);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string FormatRfc3339Millis(TimePoint t) {
  auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
  auto secs = std::chrono::floor<std::chrono::seconds>(ms);
  std::string s = FormatRfc3339(secs);
  char buf[8];
  std::snprintf(buf, sizeof(buf), ".%03d", static_cast<int>((ms - secs).count()));
  s.insert(s.size() - 1, buf);
  return s;
}

std::string FormatDays(std::chrono::sys_days d) {
  std::chrono::year_month_day ymd(d);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string FormatDate(TimePoint t) { return FormatDays(std::chrono::floor<std::chrono::days>(t)); }

std::optional<std::chrono::sys_days> ParseDate(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !ParseDigits(s, 0, 4, y) ||
      !ParseDigits(s, 5, 2, m) || !ParseDigits(s, 8, 2, d)) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(y),
                                  std::chrono::month(static_cast<unsigned>(m)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days(ymd);
}

std::optional<TimePoint> ParseRfc3339(std::string_view s) {
  if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto date = ParseDate(s.substr(0, 10));
  int hh, mm, ss;
  if (!date || !ParseDigits(s, 11, 2, hh) || !ParseDigits(s, 14, 2, mm) ||
      !ParseDigits(s, 17, 2, ss) || hh > 23 || mm > 59 || ss > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  std::chrono::nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100000000;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += std::chrono::nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  std::chrono::seconds offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
    // UTC
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, oh) || !ParseDigits(s, pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    if (s[pos] == '+') {
      offset = -offset;
    }
  } else {
    return std::nullopt;
  }
  auto t = std::chrono::sys_days(*date) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
           std::chrono::seconds(ss) + offset;
  // A TimePoint counts nanoseconds, which reach only from 1677 to 2262: a time outside that is
  // refused rather than overflowing (a second short of each end leaves room for the fraction).
  using std::chrono::seconds;
  constexpr seconds kEarliest = std::chrono::duration_cast<seconds>(TimePoint::duration::min());
  constexpr seconds kLatest = std::chrono::duration_cast<seconds>(TimePoint::duration::max());
  if (t.time_since_epoch() <= kEarliest || t.time_since_epoch() >= kLatest) {
    return std::nullopt;
  }
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      TimePoint(std::chrono::duration_cast<std::chrono::system_clock::duration>(
          t.time_since_epoch() + frac)));
}

}  // namespace linkhub
