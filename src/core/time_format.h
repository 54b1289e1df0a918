#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace linkhub {

using TimePoint = std::chrono::system_clock::time_point;

// "2024-05-01T12:34:56Z" (UTC, whole seconds).
std::string FormatRfc3339(TimePoint t);
// "2024-05-01T12:34:56.789Z" (UTC, milliseconds).
std::string FormatRfc3339Millis(TimePoint t);
// "2024-05-01" (UTC).
std::string FormatDate(TimePoint t);
// Days since 1970-01-01 (UTC) <-> "YYYY-MM-DD".
std::string FormatDays(std::chrono::sys_days d);
// Parses "YYYY-MM-DD" strictly (valid calendar date). nullopt otherwise.
std::optional<std::chrono::sys_days> ParseDate(std::string_view s);
// Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" or with a "+HH:MM" offset. nullopt otherwise.
std::optional<TimePoint> ParseRfc3339(std::string_view s);

}  // namespace linkhub
