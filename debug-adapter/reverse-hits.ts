// Which past hits reverse-continue stops at: the decision forward continue takes, taken backwards. A replay
// stands at every hit of a stretch of history (oldest first) and asks each breakpoint there whether its
// condition holds (a C condition through gdb, which reads the machine where it stands); at the stretch's end
// the hits are numbered back from now (a breakpoint's count now, less its hits after that one), and the
// newest hit whose breakpoint would have stopped, hit count included, is where reverse-continue lands; the
// counts then go back with time, so continuing from there counts the same hits again. Logpoints count their
// hits but never stop, and print nothing: their messages were printed when that code ran forward. A hit
// numbered 0 or less came before the breakpoint counted anything: its hit count cannot hold there.
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
  /** Reverse-continue landed on the stop pick() gave, or (undefined) at the start of the history. */
  landed(at?: StopEvent): void;
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
  /** The hits after the stop pick() chose, kept for landed(). */
  private afterPick?: Map<Breakpoint, number>;

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
      if (stops) {
        this.afterPick = later;
        return s.stop;
      }
      for (const bp of s.hit) later.set(bp, (later.get(bp) ?? 0) + 1);
    }
    this.after = later;
    return undefined;
  }

  landed(at?: StopEvent): void {
    const later = at ? this.afterPick : this.after;
    for (const [bp, n] of later ?? []) bp.hits -= n;
  }

  private wouldStop(bp: Breakpoint, number: number): boolean {
    if (bp.logMessage !== undefined) return false;
    return !bp.hitCondition || (number > 0 && bp.hitCondition(number));
  }
}
