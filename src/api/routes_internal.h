#pragma once

// Pieces shared by the API's route files (not part of the module's interface).

#include <boost/json/value.hpp>
#include <functional>
#include <string>

#include "api/api.h"
#include "core/result.h"
#include "http/message.h"
#include "http/router.h"

namespace linkhub::api {

http::Response JsonResponse(int status, const boost::json::value& v);

// A management-API handler: runs `f` with the caller's project once the API key checks out,
// and turns an error into StackOne's error body.
using ManagedHandler =
    std::function<Result<http::Response>(http::Request&, const std::string& project_id)>;
http::Handler Managed(ApiContext& ctx, ManagedHandler f);

// An integer query parameter within [min, max]; `fallback` when absent.
Result<int64_t> IntParam(const http::Request& r, std::string_view key, int64_t fallback,
                         int64_t min, int64_t max);

void RegisterActionRoutes(http::Router& router, ApiContext& ctx);

}  // namespace linkhub::api
