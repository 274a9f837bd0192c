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

bool SnapshotStore::has(uint32_t id) const {
  auto it = snaps_.find(id);
  return it != snaps_.end() && it->second.live;
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
    s.pages.push_back(p);
  }
  bytes_ += state.size();
  s.state = std::move(state);
  return id;
}

const std::vector<uint8_t>* SnapshotStore::restore(uint32_t id, GuestMemory& mem) {
  auto it = snaps_.find(id);
  if (it == snaps_.end() || !it->second.live) return nullptr;
  std::vector<uint32_t> pages = mem.takeDirtyPages(PAGE_DIRTY_SNAPSHOT);
  for (auto later = snaps_.upper_bound(id); later != snaps_.end(); ++later)
    pages.insert(pages.end(), later->second.pages.begin(), later->second.pages.end());
  std::sort(pages.begin(), pages.end());
  pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
  static const std::vector<uint8_t> kZero(PAGE_SIZE, 0);
  for (uint32_t p : pages) {
    auto found = versions_.find(p);
    const std::vector<uint8_t>* src = &kZero;
    if (found == versions_.end()) {
      mem.write(uint64_t(p) * PAGE_SIZE, src->data(), PAGE_SIZE);
      continue;
    }
    const auto& v = found->second;
    auto at = v.upper_bound(id);
    if (at != v.begin()) {
      --at;
      if (at->second) src = at->second.get();
    }
    // Through write(): the page becomes dirty again (the next snapshot must record it) and decoded code
    // on it is dropped.
    mem.write(uint64_t(p) * PAGE_SIZE, src->data(), PAGE_SIZE);
  }
  return &it->second.state;
}

void SnapshotStore::freeVersion(uint32_t page, uint32_t id) {
  auto& v = versions_[page];
  auto at = v.find(id);
  if (at == v.end()) return;
  if (at->second) bytes_ -= PAGE_SIZE;
  v.erase(at);
}

void SnapshotStore::drop(uint32_t id) {
  auto it = snaps_.find(id);
  if (it == snaps_.end() || !it->second.live) return;
  Snap& s = it->second;
  bytes_ -= s.state.size();
  s.state.clear();
  s.state.shrink_to_fit();
  s.live = false;
  uint32_t nextLive = 0;
  for (auto n = std::next(it); n != snaps_.end(); ++n)
    if (n->second.live) {
      nextLive = n->first;
      break;
    }
  std::vector<uint32_t> kept;
  for (uint32_t p : s.pages) {
    auto& v = versions_[p];
    auto mine = v.find(id);
    if (mine == v.end()) continue;
    auto newer = v.upper_bound(id);
    bool superseded = newer != v.end() && (nextLive == 0 || newer->first <= nextLive);
    if (superseded) {
      freeVersion(p, id);
    } else if (nextLive) {
      v[nextLive] = mine->second;  // unchanged until the next live snapshot: it is that one's version too
      v.erase(id);
      snaps_[nextLive].pages.push_back(p);
    } else {
      kept.push_back(p);  // the newest content of a page nobody wrote since: future snapshots need it
    }
  }
  s.pages = std::move(kept);
  if (s.pages.empty()) snaps_.erase(it);
}

}  // namespace bv
