#pragma once

#include <string>
#include <string_view>

#include "core/random.h"

namespace linkhub {

// A random (version 4) UUID in lowercase canonical form, e.g.
// "af1a0311-da53-4636-b754-dd15cc058176".
std::string NewUuid(Random& random);

// `length` characters drawn uniformly from [0-9A-Za-z].
std::string NewBase62(Random& random, size_t length);

// True if `s` is a canonical lowercase UUID.
bool IsUuid(std::string_view s);

}  // namespace linkhub
