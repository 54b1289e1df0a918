#include <cstdio>
#include <cstdlib>

#include "core/result.h"

namespace linkhub {

void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
  std::abort();
}

}  // namespace linkhub
