// The byte format every device, the clock and the vCPU save themselves into for a snapshot. Sections are
// named so that a load into a differently built machine fails with a message instead of misreading bytes.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace bv {

class SnapshotWriter {
 public:
  void u8(uint8_t v) { buf_.push_back(v); }
  void u16(uint16_t v) { bytes(&v, 2); }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void bytes(const void* p, size_t n) {
    auto b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable<T>::value, "pod() needs a trivially copyable type");
    bytes(&v, sizeof v);
  }
  void blob(const std::vector<uint8_t>& v) {
    u64(v.size());
    bytes(v.data(), v.size());
  }
  // A named section: the reader checks the name before the device reads its fields.
  void section(const char* name) {
    size_t n = std::strlen(name);
    u8(uint8_t(n));
    bytes(name, n);
  }
  const std::vector<uint8_t>& data() const { return buf_; }
  std::vector<uint8_t> take() { return std::move(buf_); }
  // One allocation of about the right size instead of a dozen doublings (each a fresh large block).
  void reserve(size_t n) { buf_.reserve(n); }

 private:
  std::vector<uint8_t> buf_;
};

// Reads what a SnapshotWriter wrote. Running past the end or a wrong section name sets failed(); reads then
// return zeros, so a device's load() can read everything and return ok() once.
class SnapshotReader {
 public:
  SnapshotReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  explicit SnapshotReader(const std::vector<uint8_t>& v) : SnapshotReader(v.data(), v.size()) {}
  uint8_t u8() {
    uint8_t v = 0;
    bytes(&v, 1);
    return v;
  }
  uint16_t u16() {
    uint16_t v = 0;
    bytes(&v, 2);
    return v;
  }
  uint32_t u32() {
    uint32_t v = 0;
    bytes(&v, 4);
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    bytes(&v, 8);
    return v;
  }
  bool boolean() { return u8() != 0; }
  void bytes(void* dst, size_t n) {
    if (failed_ || size_t(end_ - p_) < n) {
      failed_ = true;
      std::memset(dst, 0, n);
      return;
    }
    std::memcpy(dst, p_, n);
    p_ += n;
  }
  template <class T>
  void pod(T& v) {
    static_assert(std::is_trivially_copyable<T>::value, "pod() needs a trivially copyable type");
    bytes(&v, sizeof v);
  }
  std::vector<uint8_t> blob() {
    uint64_t n = u64();
    if (failed_ || n > uint64_t(end_ - p_)) {
      failed_ = true;
      return {};
    }
    std::vector<uint8_t> v(p_, p_ + n);
    p_ += n;
    return v;
  }
  bool section(const char* name) {
    size_t n = u8();
    std::string got(n, '\0');
    bytes(&got[0], n);
    if (got != name) {
      if (!failed_) failedAt_ = name;
      failed_ = true;
    }
    return !failed_;
  }
  bool ok() const { return !failed_; }
  bool atEnd() const { return p_ == end_; }
  const std::string& failedAt() const { return failedAt_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool failed_ = false;
  std::string failedAt_;
};

}  // namespace bv
