// Which past hits reverse-continue stops at: the decision forward continue takes, taken backwards. A replay
// stands at every hit of a stretch of history (oldest first) and asks each breakpoint there whether its
// condition holds (a C condition through gdb, which reads the machine where it stands); at the stretch's end
// the hits are numbered back from now (a breakpoint's count now, less its hits after that one), and the
// newest hit whose breakpoint would have stopped, hit count included, is where reverse-continue lands. Logpoints
// count their hits but never stop, and print nothing: their messages were printed when that code ran forward. A
// hit numbered 0 or less came before the breakpoint counted anything: its hit count cannot hold there. The
// counts go back with time (HitTrail, for every way back), so continuing again counts the same hits again.
import type { StopEvent } from '../common/api';
import type { Breakpoint } from './breakpoints';

/** What reverse-continue asks while replaying (reverse.ts); one per reverse-continue. */
export interface ReverseJudge {
  /** Before the replays, the machine standing where reverse-continue starts. */
  begin(): Promise<void>;
  /** A stop of the replay, the machine standing there; the stops of a stretch come oldest first. */
  see(stop: StopEvent): Promise<void>;
  /** The stretch is done: its newest stop to land on, or undefined (the judge goes on to an older stretch). */
  pick(): StopEvent | undefined;
}

export interface HitRules {
  /** The breakpoints at a linear address. */
  at(linear: number): Breakpoint[];
  /** Does its condition hold where the machine stands (true without one, and when it cannot be evaluated)? */
  holds(bp: Breakpoint): Promise<boolean>;
  /** Where the current stop counted hits (continue stopped at a breakpoint there), if it did. */
  countedHere(): number | undefined;
}

interface Seen {
  stop: StopEvent;
  /** The breakpoints whose condition held there (none for a watchpoint stop). */
  hit: Breakpoint[];
}

export class ReverseHits implements ReverseJudge {
  /** Per breakpoint: hits from the end of the stretch being judged up to now. */
  private after = new Map<Breakpoint, number>();
  private seen: Seen[] = [];

  constructor(private readonly rules: HitRules) {}

  // The stop reverse-continue starts from may have counted hits itself: they are after every replayed one.
  async begin(): Promise<void> {
    const here = this.rules.countedHere();
    if (here === undefined) return;
    for (const bp of this.rules.at(here)) if (await this.rules.holds(bp)) this.after.set(bp, 1);
  }

  async see(stop: StopEvent): Promise<void> {
    if (stop.reason === 'watchpoint') {
      this.seen.push({ stop, hit: [] });
      return;
    }
    if (stop.reason !== 'breakpoint') return;
    const hit: Breakpoint[] = [];
    for (const bp of this.rules.at(stop.linear)) if (await this.rules.holds(bp)) hit.push(bp);
    if (hit.length) this.seen.push({ stop, hit });
  }

  pick(): StopEvent | undefined {
    const later = new Map(this.after);
    const seen = this.seen;
    this.seen = [];
    for (let i = seen.length - 1; i >= 0; i--) {
      const s = seen[i];
      const stops = s.hit.length === 0 || s.hit.some((bp) => this.wouldStop(bp, bp.hits - (later.get(bp) ?? 0)));
      if (stops) return s.stop;
      for (const bp of s.hit) later.set(bp, (later.get(bp) ?? 0) + 1);
    }
    this.after = later;
    return undefined;
  }

  private wouldStop(bp: Breakpoint, number: number): boolean {
    if (bp.logMessage !== undefined) return false;
    return !bp.hitCondition || (number > 0 && bp.hitCondition(number));
  }
}

/** At most this many counted hits are remembered (a logpoint in a hot loop); older ones are not taken back. */
const MAX_TRAIL = 100_000;

/**
 * The hits continue counted, each with the instruction count where it was counted, so that a breakpoint's hit
 * count follows the guest back in time: stepping back or reverse-continuing to instruction N takes back the
 * hits counted after N, and one counted at N unless the stop there is the one that counted it (continuing
 * from there does not count it again).
 */
export class HitTrail {
  private hits: { count: number; bp: Breakpoint }[] = [];

  counted(bp: Breakpoint, count: number): void {
    this.hits.push({ count, bp });
    if (this.hits.length > 2 * MAX_TRAIL) this.hits.splice(0, this.hits.length - MAX_TRAIL);
  }

  rewindTo(count: number, keepAt: boolean): void {
    // After every step: an empty trail's hits[-1] is a named-property lookup along the prototype chain.
    if (this.hits.length === 0) return;
    for (let h = this.hits[this.hits.length - 1]; h; h = this.hits[this.hits.length - 1]) {
      if (h.count < count || (h.count === count && keepAt)) return;
      h.bp.hits = Math.max(0, h.bp.hits - 1);
      this.hits.pop();
    }
  }
}
