// Grow-only, 64-byte aligned scratch buffers, so hot kernels never allocate per call.
// Each thread owns its own (thread_local at the use site); contents are not preserved across calls.
#pragma once
#include <cstddef>
#include <cstdlib>

namespace simmer {

class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(data_); }

  float* floats(size_t n) {
    size_t bytes = (n * sizeof(float) + 63) & ~size_t(63);
    if (bytes > cap_) {
      std::free(data_);
      cap_ = bytes + bytes / 4;
      cap_ = (cap_ + 63) & ~size_t(63);
      data_ = std::aligned_alloc(64, cap_);
    }
    return static_cast<float*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace simmer
