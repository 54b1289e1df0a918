#pragma once

#include "core/error.h"

namespace linkhub::http {

// The one table from ErrorCode to HTTP status. Handlers never pick status numbers themselves.
int HttpStatusFor(ErrorCode code);

// The standard reason phrase for `status`, e.g. "Not Found".
const char* ReasonPhrase(int status);

}  // namespace linkhub::http
