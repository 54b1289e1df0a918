#pragma once

// How linkhub writes its log lines (to stderr): `text` as spdlog does by default, or `json`, one
// object per line for log pipelines:
//
//   {"time":"2026-12-02T14:20:01.123Z","level":"info","message":"POST /actions/rpc 200 4521B
//    2.1ms rid=Xy3...","method":...,"request_id":"Xy3..."}
//
// The fields are the line's `key=value` words (a value ends at a space), so text and JSON lines
// say the same; `rid` is named `request_id`. Messages never hold a secret (see core/error.h).

#include <spdlog/formatter.h>

#include <memory>
#include <string_view>

namespace linkhub::app {

// The formatter of --log-format json.
std::unique_ptr<spdlog::formatter> NewJsonLogFormatter();

}  // namespace linkhub::app
