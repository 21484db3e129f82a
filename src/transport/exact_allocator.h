#pragma once
// ExactAllocator: handler memory of exactly the size an operation needs, for waits that stay
// pending for a long time.
//
// Asio keeps freed handler memory in a small per-thread cache and hands a cached block to the
// next operation it fits, whatever its size. A wait that then stays pending for minutes (an idle
// connection's read, its timers) pins a block that was sized for, say, the HTTP upgrade's write:
// measured with heaptrack, about 1.2 KB of such blocks per idle connection instead of ~300 B.
// Binding this allocator (asio::bind_allocator) makes asio allocate those operations directly.
// Short-lived operations should keep asio's default: recycling is faster for them.

#include <cstddef>
#include <memory>

namespace strata {

template <typename T>
struct ExactAllocator {
  using value_type = T;

  ExactAllocator() = default;
  template <typename U>
  ExactAllocator(const ExactAllocator<U>&) noexcept {}  // NOLINT: allocator rebinding

  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) { std::allocator<T>().deallocate(p, n); }

  template <typename U>
  bool operator==(const ExactAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace strata
