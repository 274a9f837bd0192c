#include "vmm/snapshot_store.h"

#include <algorithm>
#include <cstring>

namespace bv {

namespace {
bool allZero(const uint8_t* p, size_t n) {
  uint64_t acc = 0;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    acc |= v;
  }
  return acc == 0;
}
}  // namespace

SnapshotStore::Stats SnapshotStore::stats() const {
  Stats st;
  st.snapshots = snaps_.size();
  st.pageVersions = versionCount_;
  st.lastRestorePages = lastRestorePages_;
  return st;
}

uint32_t SnapshotStore::take(GuestMemory& mem, std::vector<uint8_t> state) {
  uint32_t id = next_++;
  Snap& s = snaps_[id];
  for (uint32_t p : mem.takeDirtyPages(PAGE_DIRTY_SNAPSHOT)) {
    const uint8_t* src = mem.data() + uint64_t(p) * PAGE_SIZE;
    PageData d;
    if (!allZero(src, PAGE_SIZE)) {
      d = std::make_shared<const std::vector<uint8_t>>(src, src + PAGE_SIZE);
      bytes_ += PAGE_SIZE;
    }
    versions_[p][id] = std::move(d);
    ++versionCount_;
    s.pages.push_back(p);
  }
  bytes_ += state.size();
  lastStateBytes_ = state.size();
  s.state = std::move(state);
  return id;
}

const std::vector<uint8_t>* SnapshotStore::restore(uint32_t id, GuestMemory& mem) {
  auto it = snaps_.find(id);
  if (it == snaps_.end()) return nullptr;
  std::vector<uint32_t> pages = mem.takeDirtyPages(PAGE_DIRTY_SNAPSHOT);
  for (auto later = std::next(it); later != snaps_.end(); ++later)
    pages.insert(pages.end(), later->second.pages.begin(), later->second.pages.end());
  std::sort(pages.begin(), pages.end());
  pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
  lastRestorePages_ = pages.size();
  static const std::vector<uint8_t> kZero(PAGE_SIZE, 0);
  uint8_t* flags = mem.pageFlags();
  for (uint32_t p : pages) {
    auto found = versions_.find(p);
    const std::vector<uint8_t>* src = &kZero;
    bool newer = false;  // a later snapshot holds a version of this page
    if (found != versions_.end()) {
      const auto& v = found->second;
      auto at = v.upper_bound(id);
      newer = at != v.end();
      if (at != v.begin()) {
        --at;
        if (at->second) src = at->second.get();
      }
    }
    // Content that is already right (the common case: a page written and put back) is not rewritten, so
    // decoded code on it survives and the screen is not redrawn for nothing.
    const uint64_t at = uint64_t(p) * PAGE_SIZE;
    if (std::memcmp(mem.data() + at, src->data(), PAGE_SIZE) != 0)
      mem.write(at, src->data(), PAGE_SIZE);  // dirty for every consumer, decoded code on it dropped
    // Dirty for the next snapshot only when a later snapshot's version must not stand for the page; else
    // the page is what snapshot id says and no later restore needs to look at it again.
    if (newer) flags[p] |= PAGE_DIRTY_SNAPSHOT;
    else flags[p] &= uint8_t(~PAGE_DIRTY_SNAPSHOT);
  }
  return &it->second.state;
}

void SnapshotStore::freeVersion(std::map<uint32_t, PageData>& v, std::map<uint32_t, PageData>::iterator at) {
  if (at->second) bytes_ -= PAGE_SIZE;
  v.erase(at);
  --versionCount_;
}

void SnapshotStore::drop(uint32_t id, GuestMemory& mem) {
  auto it = snaps_.find(id);
  if (it == snaps_.end()) return;
  Snap& s = it->second;
  bytes_ -= s.state.size();
  const auto next = std::next(it);
  const uint32_t nextId = next == snaps_.end() ? 0 : next->first;
  uint8_t* flags = mem.pageFlags();
  for (uint32_t p : s.pages) {
    auto found = versions_.find(p);
    if (found == versions_.end()) continue;
    auto& v = found->second;
    auto mine = v.find(id);
    if (mine == v.end()) continue;
    if (nextId == 0) {
      // The newest snapshot: its version is what memory holds now unless the page was written since, when
      // it is dirty anyway. Dirty again, the next snapshot copies it from memory instead.
      flags[p] |= PAGE_DIRTY_SNAPSHOT;
      freeVersion(v, mine);
    } else if (v.count(nextId)) {
      freeVersion(v, mine);  // the next snapshot has its own
    } else {
      v[nextId] = std::move(mine->second);  // unchanged until the next snapshot: that one's version too
      v.erase(mine);
      next->second.pages.push_back(p);
    }
    if (v.empty()) versions_.erase(found);
  }
  snaps_.erase(it);
}

}  // namespace bv
