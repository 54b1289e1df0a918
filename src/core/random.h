#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace linkhub {

// The seam for randomness. Implementations must be thread-safe.
class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with `n` random bytes.
  virtual void Fill(void* out, size_t n) = 0;
  uint64_t Uint64();
  // A uniform integer in [lo, hi]. REQUIRES: lo <= hi.
  uint64_t Uniform(uint64_t lo, uint64_t hi);
  std::string Bytes(size_t n);
};

// Cryptographically secure: the kernel's getrandom(2). For tokens and ids.
class SecureRandom final : public Random {
 public:
  void Fill(void* out, size_t n) override;
};

// Deterministic from a seed: for tests and for reproducible fixture data.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  void Fill(void* out, size_t n) override;

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

}  // namespace linkhub
