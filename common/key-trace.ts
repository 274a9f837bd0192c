// Timestamps along one key's way to the guest screen's pixels, so that the key-to-screen latency can be split
// into its parts (the e2e suite prints them): webview → extension host → adapter → guest → adapter → extension
// host → webview → canvas. Every stamp is milliseconds since the epoch with sub-millisecond precision, taken
// from each process's own high-resolution clock (performance.timeOrigin + performance.now()), so stamps from
// the webview, the extension host and the adapter on one machine can be subtracted. No Node-only APIs here:
// the webview bundles this file.

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The adapter's part: a keys request arrived, the guest changed the screen after it, the frame went out. */
export interface AdapterKeyTrace {
  keysAt: number;
  screenAt: number;
  sentAt: number;
}

/** One key's whole way, as the webview finally holds it (the stamps a part did not see stay undefined). */
export interface KeyTrace {
  /** the webview's keydown */
  keydownAt?: number;
  /** the extension host got the key message */
  hostKeyAt?: number;
  /** ...sent it as a keys request */
  keysSentAt?: number;
  adapter?: AdapterKeyTrace;
  /** the extension host got the frame event */
  hostFrameAt?: number;
  /** ...posted it to the webview */
  postAt?: number;
  /** the webview got the frame message */
  messageAt?: number;
  /** ...drew it into the canvas */
  drawnAt?: number;
  /** ...and the next animation frame came (the pixels are on the page) */
  paintAt?: number;
}

/**
 * The parts of a trace worth printing, in milliseconds; a part whose stamps are missing is NaN. Each process's
 * timeOrigin is its own wall-clock reading at its start, so two processes' stamps can disagree by a few
 * milliseconds: `hostOffset` (the extension host's clock minus the webview's, as the view measured it over
 * the direct channel) moves the host's and the adapter's stamps into the webview's clock. The adapter is taken
 * to share the host's clock (its two hops are each under a millisecond at p50, so any offset between them is
 * smaller still).
 */
export function traceParts(t: KeyTrace, hostOffset = 0): Record<string, number> {
  const d = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? b - a : NaN);
  const h = (stamp: number | undefined) => (stamp === undefined ? undefined : stamp - hostOffset);
  return {
    'webview→host': d(t.keydownAt, h(t.hostKeyAt)),
    'host queue': d(t.hostKeyAt, t.keysSentAt),
    'host→adapter': d(t.keysSentAt, t.adapter?.keysAt),
    guest: d(t.adapter?.keysAt, t.adapter?.screenAt),
    'adapter encode': d(t.adapter?.screenAt, t.adapter?.sentAt),
    'adapter→host': d(t.adapter?.sentAt, t.hostFrameAt),
    'host→webview': d(h(t.postAt ?? t.hostFrameAt), t.messageAt),
    draw: d(t.messageAt, t.drawnAt),
    paint: d(t.drawnAt, t.paintAt),
    total: d(t.keydownAt, t.paintAt),
  };
}
