// An array whose all-zero bytes are its empty state, in anonymous memory that the kernel maps on demand: it
// costs host memory, and a page fault, only for the pages written. The software vCPU's caches are thousands
// of slots of which a boot sector touches a few dozen; built slot by slot, they cost the first machine of a
// process 16 ms of faults and stores before its first instruction (most of `bootvisor run`'s start-up
// above bare Node).
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace bv::cpu {

// T must mean "empty" as zero bytes (plain integers, flags and pointers: trivially copyable and destructible,
// never constructed here).
template <typename T>
class LazyZeroArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                "LazyZeroArray holds only types that are valid as zero bytes");

 public:
  explicit LazyZeroArray(size_t n) : size_(n), bytes_(n * sizeof(T)) {
    void* p =
        mmap(nullptr, bytes_ ? bytes_ : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<T*>(p);
      mapped_ = true;
    } else {
      data_ = static_cast<T*>(std::calloc(n ? n : 1, sizeof(T)));  // null: see usable()
    }
  }
  ~LazyZeroArray() {
    if (mapped_) munmap(data_, bytes_ ? bytes_ : 1);
    else std::free(data_);
  }
  LazyZeroArray(const LazyZeroArray&) = delete;
  LazyZeroArray& operator=(const LazyZeroArray&) = delete;

  // False only when the host had no memory at all for it.
  bool usable() const { return data_ != nullptr; }
  size_t size() const { return size_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }

  // Every element back to zero bytes; the pages go back to the kernel.
  void clear() {
    if (mapped_) madvise(data_, bytes_, MADV_DONTNEED);
    else if (data_) std::memset(static_cast<void*>(data_), 0, bytes_);
  }

 private:
  size_t size_, bytes_;
  T* data_ = nullptr;
  bool mapped_ = false;
};

}  // namespace bv::cpu
