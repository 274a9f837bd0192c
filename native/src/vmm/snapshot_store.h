// Whole-machine snapshots kept in memory, cheap enough to take every few milliseconds of guest time.
//
// Memory is stored as page versions: a snapshot copies only the pages written since the previous snapshot
// (PAGE_DIRTY_SNAPSHOT), keyed by snapshot id; a page's content at snapshot k is its newest version with an
// id <= k (no version: still all zeros, as at power-on; all-zero pages are stored as no data). Restoring k
// rewrites only the pages that changed since k: those dirty now and those with a version newer than k.
// Dropping a snapshot hands each of its page versions to the next snapshot if that one still needs it, and
// frees it otherwise; dropping the newest one frees its versions and marks their pages dirty again, so the
// next snapshot copies them from memory (which still holds that content, or they are dirty anyway). So a
// dropped snapshot keeps nothing, and a restore's cost follows the live snapshots and the pages written,
// never how many snapshots were ever taken. Device, vCPU and clock state is a small byte blob per snapshot.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "bootvisor/memory.h"

namespace bv {

class SnapshotStore {
 public:
  uint32_t take(GuestMemory& mem, std::vector<uint8_t> state);
  // Memory back to snapshot id; its state blob, or nullptr for an unknown id (memory untouched).
  const std::vector<uint8_t>* restore(uint32_t id, GuestMemory& mem);
  void drop(uint32_t id, GuestMemory& mem);
  size_t bytes() const { return bytes_; }
  size_t lastStateBytes() const { return lastStateBytes_; }  // the newest state blob's size, to reserve for the next
  bool has(uint32_t id) const { return snaps_.count(id) != 0; }

  // For tests that bound the store by counts rather than host time.
  struct Stats {
    size_t snapshots = 0;         // live snapshots
    size_t pageVersions = 0;      // page versions held (all-zero pages included)
    size_t lastRestorePages = 0;  // pages the last restore looked at
  };
  Stats stats() const;

 private:
  using PageData = std::shared_ptr<const std::vector<uint8_t>>;
  struct Snap {
    std::vector<uint8_t> state;
    std::vector<uint32_t> pages;  // pages with a version under this id
  };
  void freeVersion(std::map<uint32_t, PageData>& v, std::map<uint32_t, PageData>::iterator at);

  // Per page ever snapshotted: snapshot id -> content (a map by page, not a vector over all of RAM, so a
  // 3 GiB guest that touches little costs little).
  std::unordered_map<uint32_t, std::map<uint32_t, PageData>> versions_;
  std::map<uint32_t, Snap> snaps_;
  uint32_t next_ = 1;
  size_t bytes_ = 0;
  size_t versionCount_ = 0;
  size_t lastRestorePages_ = 0;
  size_t lastStateBytes_ = 0;
};

}  // namespace bv
