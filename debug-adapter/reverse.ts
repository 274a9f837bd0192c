// Reverse execution: periodic whole-machine snapshots (registers, memory and devices) plus deterministic
// re-execution. Going back to instruction count N means restoring the newest snapshot at or before N and
// running forward exactly N - c instructions; reverse-continue replays each recorded stretch, newest
// first, noting where breakpoints would have stopped, and lands on the last such place. Replays run on the
// vCPU thread (never a synchronous step, which could wait for input on the JavaScript thread), so pause,
// stop and disconnect reach them: a replay asked to stop ends where it is, at a real point of the past.
import type { Machine, StopEvent } from '../common/api';
import type { ReverseJudge } from './reverse-hits';

export interface Snapshot {
  id: number;
  count: number;
}

/** Thinned so old history stays reachable: when full, the snapshot closest to its older neighbour goes. */
const MAX_SNAPSHOTS = 48;
/** Host memory all snapshots may hold together. */
const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;
/** Closer snapshots than this are not worth their cost: replaying this many instructions takes milliseconds. */
const MIN_GAP = 20_000;

export interface ReplayHooks {
  /** A judge for one reverse-continue: where the debugger would have stopped (reverse-hits.ts). */
  judge(): ReverseJudge;
  /** Guest output is muted during replays (it was shown the first time). */
  mute(on: boolean): void;
  /** A message for the user. */
  note?(text: string): void;
  /** Has the user asked the replay to stop (pause, stop, disconnect)? Checked between runs. */
  interrupted(): boolean;
}

/** How a replay ended: at its target, before the recorded history, or stopped by the user on the way. */
export type ReplayEnd = 'ok' | 'start' | 'interrupted';

export class History {
  private snapshots: Snapshot[] = [];

  constructor(
    private readonly machine: Machine,
    private readonly hooks: ReplayHooks,
  ) {}

  /** The oldest instruction count we can go back to. */
  get oldest(): number | undefined {
    return this.snapshots[0]?.count;
  }

  /** Why reverse execution cannot work with this machine (its backend takes no snapshots), if so. */
  unavailable?: string;

  /** Records the state now, unless a snapshot close enough before it can be replayed from. */
  record(): void {
    if (this.unavailable) return;
    try {
      this.recordNow();
    } catch (e) {
      this.unavailable = e instanceof Error ? e.message : String(e);
      this.hooks.note?.(`Reverse execution is off for this session: ${this.unavailable}`);
    }
  }

  private recordNow(): void {
    const count = this.machine.instructionCount();
    const last = this.snapshots[this.snapshots.length - 1];
    if (last && last.count > count) this.forgetAfter(count);
    const newest = this.snapshots[this.snapshots.length - 1];
    if (newest && count - newest.count < MIN_GAP) return;
    this.snapshots.push({ id: this.machine.snapshot(), count });
    if (this.snapshots.length > MAX_SNAPSHOTS) this.thin();
    // A guest that rewrites much of its RAM makes every snapshot big: keep the host's memory bounded.
    const bytes = (this.machine as { snapshotBytes?: () => number }).snapshotBytes;
    while (bytes && this.snapshots.length > 2 && bytes.call(this.machine) > MAX_SNAPSHOT_BYTES) this.thin();
  }

  /** The guest state was changed by the user: what was recorded after `count` is no longer its future. */
  forgetAfter(count: number): void {
    const keep: Snapshot[] = [];
    for (const s of this.snapshots) {
      if (s.count <= count) keep.push(s);
      else this.machine.dropSnapshot(s.id);
    }
    this.snapshots = keep;
  }

  clear(): void {
    for (const s of this.snapshots) this.machine.dropSnapshot(s.id);
    this.snapshots = [];
  }

  private thin(): void {
    let best = 1;
    let bestGap = Infinity;
    for (let i = 1; i < this.snapshots.length - 1; i++) {
      const gap = this.snapshots[i].count - this.snapshots[i - 1].count;
      if (gap < bestGap) {
        bestGap = gap;
        best = i;
      }
    }
    const [gone] = this.snapshots.splice(best, 1);
    this.machine.dropSnapshot(gone.id);
  }

  private newestAtOrBefore(count: number): Snapshot | undefined {
    for (let i = this.snapshots.length - 1; i >= 0; i--) if (this.snapshots[i].count <= count) return this.snapshots[i];
    return undefined;
  }

  /**
   * Runs forward from the current state to exactly `target` instructions, stepping over breakpoints on
   * the way; `onStop` sees each stop where the debugger would have looked. False when interrupted.
   */
  private async forwardTo(target: number, onStop?: (stop: StopEvent) => void | Promise<void>): Promise<boolean> {
    let guard = 0;
    while (this.machine.instructionCount() < target) {
      if (this.hooks.interrupted()) return false;
      const stop = await this.machine.run({ maxInstructions: target - this.machine.instructionCount() });
      if (stop.reason === 'instruction-limit' || stop.reason === 'step' || stop.reason === 'pause') continue;
      if (onStop && stop.instructions < target) await onStop(stop);
      if (['triple-fault', 'hlt-cli', 'guest-exit', 'error'].includes(stop.reason)) return true;
      // A breakpoint, watchpoint or caught exception stopped the run short: move on by one instruction.
      if (
        this.machine.instructionCount() < target &&
        (stop.reason === 'breakpoint' || stop.reason === 'watchpoint' || stop.reason === 'exception')
      ) {
        if (this.hooks.interrupted()) return false;
        const s = await this.machine.run({ maxInstructions: 1 });
        if (s.reason === 'watchpoint' && onStop && s.instructions < target) await onStop(s);
      }
      if (++guard > 1_000_000) throw new Error('replay made no progress');
    }
    return true;
  }

  /** Goes to instruction count `target` (restoring and replaying); 'start' when it is before the history. */
  async goTo(target: number): Promise<ReplayEnd> {
    const snap = this.newestAtOrBefore(target);
    if (!snap) return 'start';
    this.hooks.mute(true);
    try {
      this.machine.restore(snap.id);
      return (await this.forwardTo(target)) ? 'ok' : 'interrupted';
    } finally {
      await new Promise((r) => setImmediate(r));
      this.hooks.mute(false);
    }
  }

  /** Back to instruction count `target` (default: one instruction back); 'start' when it is not recorded. */
  async stepBack(target?: number): Promise<ReplayEnd> {
    const now = this.machine.instructionCount();
    const to = target ?? now - 1;
    if (now === 0 || this.oldest === undefined || this.oldest > to || to >= now) return 'start';
    return this.goTo(to);
  }

  /**
   * Replays from the `back`-th newest snapshot before now (0: the newest) up to now, stopping at `addresses`
   * on the way: `onHit` sees each such stop while the machine stands there. Ends where it began, at now.
   */
  async replayWatching(back: number, addresses: number[], onHit: (stop: StopEvent) => void): Promise<ReplayEnd> {
    const now = this.machine.instructionCount();
    const starts = this.snapshots.filter((s) => s.count < now);
    if (back >= starts.length) return 'start';
    const watch = new Set(addresses);
    const ids = [...watch].map((a) => this.machine.addBreakpoint(a));
    this.hooks.mute(true);
    try {
      this.machine.restore(starts[starts.length - 1 - back].id);
      const done = await this.forwardTo(now, (stop) => {
        if (stop.reason === 'breakpoint' && watch.has(stop.linear)) onHit(stop);
      });
      return done ? 'ok' : 'interrupted';
    } finally {
      for (const id of ids) this.machine.removeBreakpoint(id);
      await new Promise((r) => setImmediate(r));
      this.hooks.mute(false);
    }
  }

  /**
   * Back to the most recent place before now where the debugger would have stopped. Resolves with that
   * stop, 'start' after going to the start of the history, or 'interrupted' where the user stopped it.
   */
  async reverseContinue(): Promise<StopEvent | 'start' | 'interrupted'> {
    const now = this.machine.instructionCount();
    const starts = this.snapshots.filter((s) => s.count < now);
    const judge = this.hooks.judge();
    this.hooks.mute(true);
    try {
      await judge.begin();
      for (let i = starts.length - 1; i >= 0; i--) {
        const from = starts[i];
        const to = i + 1 < starts.length ? starts[i + 1].count : now;
        this.machine.restore(from.id);
        const done = await this.forwardTo(to, (stop) => judge.see(stop));
        if (!done) return 'interrupted';
        const last = judge.pick();
        if (last) {
          this.machine.restore(from.id);
          return (await this.forwardTo(last.instructions)) ? last : 'interrupted';
        }
      }
      if (starts.length > 0) this.machine.restore(starts[0].id);
      return 'start';
    } finally {
      await new Promise((r) => setImmediate(r));
      this.hooks.mute(false);
    }
  }
}
