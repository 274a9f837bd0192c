#include "vmm/input_log.h"

#include <algorithm>
#include <cstring>

namespace bv {

const char* inputKindName(InputKind k) {
  switch (k) {
    case InputKind::Keys: return "keys";
    case InputKind::Serial: return "serial";
    case InputKind::Reset: return "reset";
    case InputKind::Pace: return "pace";
    case InputKind::Mouse: return "mouse";
  }
  return "keys";
}

bool inputKindFromName(const char* s, InputKind& out) {
  for (InputKind k : {InputKind::Keys, InputKind::Serial, InputKind::Reset, InputKind::Pace, InputKind::Mouse}) {
    if (std::strcmp(s, inputKindName(k)) == 0) {
      out = k;
      return true;
    }
  }
  return false;
}

void InputLog::record(InputEvent e) {
  events_.resize(cursor_);
  events_.push_back(std::move(e));
  cursor_ = events_.size();
}

void InputLog::load(std::vector<InputEvent> events, uint64_t count, uint64_t timeNs) {
  // Stamps out of order cannot be replayed in order: keep them sorted (stable, so same-stamp order stays).
  std::stable_sort(events.begin(), events.end(), [](const InputEvent& a, const InputEvent& b) {
    return a.at != b.at ? a.at < b.at : a.timeNs < b.timeNs;
  });
  events_ = std::move(events);
  cursor_ = 0;
  while (cursor_ < events_.size() &&
         (events_[cursor_].at < count || (events_[cursor_].at == count && events_[cursor_].timeNs < timeNs)))
    ++cursor_;
}

bool InputLog::due(uint64_t count, uint64_t timeNs) const {
  const InputEvent* e = next();
  if (!e) return false;
  if (e->at < count) return true;  // overdue (a log loaded behind the machine): deliver at once
  return e->at == count && e->kind != InputKind::Pace && e->timeNs <= timeNs;
}

}  // namespace bv
