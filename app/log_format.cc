#include "app/log_format.h"

#include <spdlog/details/log_msg.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <string>

#include "core/json.h"

namespace linkhub::app {

namespace {

bool IsFieldKey(std::string_view key) {
  if (key.empty() || key.size() > 40 || !std::islower(static_cast<unsigned char>(key.front()))) {
    return false;
  }
  for (char c : key) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string out = R"({"time":")";
    auto since_epoch = msg.time.time_since_epoch();
    std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[40];
    size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(millis));
    out += stamp;
    out += R"(","level":)";
    AppendJsonString(out, std::string_view(spdlog::level::to_string_view(msg.level).data(),
                                           spdlog::level::to_string_view(msg.level).size()));
    std::string_view message(msg.payload.data(), msg.payload.size());
    out += R"(,"message":)";
    AppendJsonString(out, message);
    // The line's key=value words as fields; a key seen twice keeps its first value.
    std::string seen = ",";
    size_t i = 0;
    while (i < message.size()) {
      size_t end = message.find(' ', i);
      std::string_view word = message.substr(i, end == std::string_view::npos ? end : end - i);
      i = end == std::string_view::npos ? message.size() : end + 1;
      size_t eq = word.find('=');
      if (eq == std::string_view::npos || !IsFieldKey(word.substr(0, eq))) {
        continue;
      }
      std::string key(word.substr(0, eq));
      if (key == "rid") {
        key = "request_id";
      }
      if (key == "time" || key == "level" || key == "message" ||
          seen.find("," + key + ",") != std::string::npos) {
        continue;
      }
      seen += key + ",";
      out += ",";
      AppendJsonString(out, key);
      out += ":";
      AppendJsonString(out, word.substr(eq + 1));
    }
    out += "}\n";
    dest.append(out.data(), out.data() + out.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> NewJsonLogFormatter() {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace linkhub::app
