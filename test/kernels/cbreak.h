/* A static inline function in a header: a breakpoint on its lines must stop where it runs (a call at -O0,
 * inlined into the caller at -O2). */
#pragma once

static inline int clamp(int v, int lo, int hi) {
  if (v < lo) return lo; /* HEADER line */
  return v > hi ? hi : v;
}
