#include "core/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "core/result.h"

namespace linkhub {

uint64_t Random::Uint64() {
  uint64_t v;
  Fill(&v, sizeof(v));
  return v;
}

uint64_t Random::Uniform(uint64_t lo, uint64_t hi) {
  LINKHUB_CHECK(lo <= hi);
  uint64_t span = hi - lo + 1;
  if (span == 0) {
    return Uint64();
  }
  // Rejection sampling keeps the distribution uniform.
  uint64_t limit = UINT64_MAX - UINT64_MAX % span;
  uint64_t v;
  do {
    v = Uint64();
  } while (v >= limit);
  return lo + v % span;
}

std::string Random::Bytes(size_t n) {
  std::string s(n, '\0');
  Fill(s.data(), n);
  return s;
}

void SecureRandom::Fill(void* out, size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      // Without entropy we cannot mint a safe token: stop rather than continue weakly.
      CheckFailed("getrandom failed", __FILE__, __LINE__);
    }
    p += got;
    n -= static_cast<size_t>(got);
  }
}

void SeededRandom::Fill(void* out, size_t n) {
  std::lock_guard lock(mu_);
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    uint64_t v = engine_();
    size_t k = n < sizeof(v) ? n : sizeof(v);
    std::memcpy(p, &v, k);
    p += k;
    n -= k;
  }
}

}  // namespace linkhub
