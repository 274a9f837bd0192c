// The debugger's decisions over one Machine: running, stepping, breakpoints with conditions and hit counts,
// exception filters, reverse execution. It knows nothing of the protocol: the session turns its typed
// events into DAP events.
import { EventEmitter } from 'events';
import type { ElfDebugInfo } from '../common/elf-debug-info';
import type { HistoryEntry, Machine, Registers, RunEvent, SegmentRegister, StopEvent } from '../common/api';
import { evaluate, formatValue, renderLogMessage } from '../common/expression';
import { type RegisterSnapshot, snapshotOf } from '../common/register-snapshot';
import type { ListingMap } from '../common/listing';
import { Breakpoint, BreakpointTable } from './breakpoints';
import { ExecutedModes } from './code-modes';
import { DataWatch, DataWatches, WatchSpec } from './data-watches';
import { evalContext } from './evaluation';
import { DEFAULT_EXCEPTION_SETTINGS, ExceptionSettings, explainStop } from './exceptions';
import { cWhere } from './c-lines';
import type { StepMoves } from './c-stepping';
import { History } from './reverse';
import { HitTrail, ReverseHits } from './reverse-hits';
import { currentInstruction, planReached, planStepOver, StepOverPlan } from './stepping';
import { VariableStore } from './variables';
import * as path from 'path';

/** Instructions per run() chunk: between chunks the history takes a snapshot and the status is updated. */
const CHUNK = 2_000_000;
/** A run first tries this many instructions on the adapter's thread (about 0.1 ms): a breakpoint close by then
 * stops it without a thread start and a hop through the event queue, which cost more than the run. */
const SYNC_SLICE = 20_000;

export type StopKind =
  | 'entry'
  | 'step'
  | 'breakpoint'
  | 'pause'
  | 'exception'
  | 'data breakpoint'
  | 'goto'
  | 'function breakpoint'
  | 'instruction breakpoint';

export interface RuntimeStop {
  reason: StopKind;
  description: string;
  text?: string;
  hitBreakpointIds?: number[];
}

export interface GuestEnd {
  stop: StopEvent;
  exitCode?: number;
  message: string;
}

export interface RuntimeEvents {
  stopped: [RuntimeStop];
  output: [string, 'console' | 'stdout' | 'stderr' | 'important'];
  serial: [Uint8Array];
  debugcon: [Uint8Array];
  screen: [];
  /** keepingUp: the paced clock's verdict (false while the host cannot keep a PC's pace). */
  status: [{ running: boolean; instructionsPerSecond: number; keepingUp?: boolean }];
  ended: [GuestEnd];
}

export type Outcome = RuntimeStop | { end: GuestEnd };
/**
 * A plain step, and a continue that stops close by, finish synchronously: the adapter's code is not yet
 * optimised for the first hundreds of steps of a session, and there every hop through a chain of async
 * functions costs microseconds. Only what must wait (an interrupt run back, a condition through gdb, a long
 * run on the machine's thread) returns a promise.
 */
type Maybe<T> = T | Promise<T>;

export class Runtime extends EventEmitter<RuntimeEvents> {
  readonly breakpoints: BreakpointTable;
  readonly variables: VariableStore;
  /** The mode each address last ran in, for disassembly across mode switches. */
  readonly executed = new ExecutedModes();
  private history: History;
  private exceptions: ExceptionSettings = DEFAULT_EXCEPTION_SETTINGS;
  readonly watches = new DataWatches();
  private busy = false;
  private pauseRequested = false;
  private muted = false;
  private ended = false;
  private disposed = false;
  /** The breakpoint stop already decided on (instruction count and address), so it is not counted twice. */
  private decided?: { count: number; linear: number };
  lastStop: StopEvent;
  /** C conditions and logpoints (c-session.ts): used when a breakpoint is hit in C code. */
  cBreakpoints?: {
    applies(): boolean;
    condition(text: string): Promise<boolean>;
    log(message: string): Promise<string>;
  };
  readonly runEvents: RunEvent[] = [];
  private statusAt = { time: Date.now(), count: 0 };
  private lastSpeed = 0;
  private keepingUp?: boolean;

  constructor(
    private machine: Machine,
    readonly listing: ListingMap | undefined,
    private readonly createMachine: () => Machine,
    /** A multiboot kernel's symbols and DWARF lines (C source breakpoints and frames). */
    readonly elf?: ElfDebugInfo,
  ) {
    super();
    this.breakpoints = new BreakpointTable(machine, listing, elf);
    const current = (): Machine => this.machine;
    this.variables = new VariableStore({
      get machine() {
        return current();
      },
      registers: () => this.machine.getRegisters(),
      changed: () => this.guestChanged(),
      linear: (s: SegmentRegister, off: number) => (s.base + off) >>> 0,
      watched: () => this.watches.variables(),
    });
    this.history = this.newHistory();
    this.attach();
    this.lastStop = this.entryStop();
  }

  get currentMachine(): Machine {
    return this.machine;
  }

  get isRunning(): boolean {
    return this.busy;
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  private newHistory(): History {
    return new History(this.machine, {
      // Conditions as forward continue evaluates them; one that cannot be evaluated stops, as it does forward.
      judge: () =>
        new ReverseHits({
          at: (linear) => this.breakpoints.at(linear),
          holds: (bp) => this.conditionHolds(bp).catch(() => true),
          countedHere: () =>
            this.decided?.count === this.machine.instructionCount() ? this.decided.linear : undefined,
        }),
      mute: (on) => (this.muted = on),
      note: (text) => this.emit('output', `${text}\n`, 'console'),
      interrupted: () => this.pauseRequested || this.disposed,
    });
  }

  private attach(): void {
    this.machine.on('serial', (bytes) => !this.muted && this.emit('serial', bytes));
    this.machine.on('debugcon', (bytes) => !this.muted && this.emit('debugcon', bytes));
    this.machine.on('screen', () => !this.muted && this.emit('screen'));
    // A guest gone idle (waiting for a key) has drawn its last change: the screen is worth fetching now.
    this.machine.on('idle', () => !this.muted && this.emit('screen'));
    this.machine.on('pacing', (keepingUp) => {
      if (this.muted) return;
      this.keepingUp = keepingUp;
      this.emit('status', { running: true, instructionsPerSecond: this.lastSpeed, keepingUp });
    });
    this.machine.on('event', (e) => {
      if (!this.muted) this.runEvents.push(e);
    });
  }

  private entryStop(): StopEvent {
    const r = this.machine.getRegisters();
    return {
      reason: 'entry',
      cs: r.cs.selector,
      eip: r.eip,
      linear: (r.cs.base + r.eip) >>> 0,
      instructions: this.machine.instructionCount(),
    };
  }

  registers(): Registers {
    return this.machine.getRegisters();
  }

  /** The user changed registers, memory or input: the recorded future no longer follows. */
  guestChanged(): void {
    this.trail = [];
    this.history.forgetAfter(this.machine.instructionCount());
  }

  /** Moves CS:EIP to a linear address in the current code segment (Jump to Cursor). */
  jumpTo(linear: number): void {
    const r = this.machine.getRegisters();
    const offset = linear - r.cs.base;
    if (offset < 0 || offset > r.cs.limit)
      throw new Error(
        `${hexAddr(linear)} is outside the current code segment (base ${hexAddr(r.cs.base)}, limit 0x${r.cs.limit.toString(16)})`,
      );
    this.machine.setRegisters({ eip: offset >>> 0 });
    this.guestChanged();
    this.variables.reset();
    this.syncLastStop('step');
  }

  setExceptionSettings(settings: ExceptionSettings): void {
    this.exceptions = settings;
    this.machine.setCatchExceptions(settings.vectors);
    this.machine.setSystemBreaks(settings.system ?? {});
  }

  where(linear: number): string | undefined {
    const loc = this.listing?.locate(linear);
    const label = this.listing?.symbolize(linear);
    if (!loc) return label ?? cWhere(this.elf, linear);
    return `${path.basename(loc.file)}:${loc.line}${label ? `, ${label}` : ''}`;
  }

  evaluateText(expression: string): { text: string; address?: number; size?: number } {
    const v = evaluate(expression, evalContext(this.machine, this.listing));
    return { text: formatValue(v), address: v.address, size: v.size };
  }

  // ---- data breakpoints ----

  setDataWatches(specs: WatchSpec[]): DataWatch[] {
    return this.watches.set(this.machine, specs);
  }

  // ---- running ----

  /**
   * Instruction counts where the user stood before each step, newest last: stepping back retraces the
   * user's steps (a CALL stepped over, a hidden interrupt) rather than single instructions. A continue
   * clears it; then stepping back goes one instruction at a time.
   */
  private trail: number[] = [];
  /** The registers when the current action started, until its first step uses them. */
  private resumedAt?: { registers: RegisterSnapshot; count: number };
  /** Counts act() calls, so a late status announcement knows whether its action is still the one running. */
  private actions = 0;
  private readonly hitTrail = new HitTrail();

  /**
   * Starts a resume action; the stop arrives as a 'stopped' (or 'ended') event. `respond` sends the request's
   * response: called once, before the stop's event, so that a step that finishes at once emits its stop in
   * this turn, without waiting behind the promise jobs and the input stream's ticks (tens of microseconds
   * while the adapter's code is cold). Without it the stop waits one promise job, for the caller's response.
   */
  private act(body: () => Maybe<Outcome>, kind: 'step' | 'run' | 'back' = 'run', respond?: () => void): void {
    if (this.ended) {
      respond?.();
      this.emit('output', 'The guest has ended; restart the session to run it again.\n', 'console');
      return;
    }
    if (this.busy) {
      respond?.();
      this.emit('output', 'The guest is already running.\n', 'console');
      return;
    }
    this.busy = true;
    this.pauseRequested = false;
    // As numbers, decoded only if the Variables view asks (most steps are followed by another step first).
    const registers = this.machine.registerSnapshot?.() ?? snapshotOf(this.machine.getRegisters());
    this.resumedAt = { registers, count: this.machine.instructionCount() };
    this.variables.resumed(registers.registers);
    if (kind === 'run') this.trail = [];
    // Steps take microseconds: only runs are worth telling the status bar about, and only those still going
    // after this turn of the event loop (a continue that runSync ends at a breakpoint close by sends none:
    // two messages fewer in its round trip).
    const status = { announced: false };
    const action = ++this.actions;
    if (kind === 'run') {
      setImmediate(() => {
        if (!this.busy || this.actions !== action || this.disposed) return;
        status.announced = true;
        this.emit('status', { running: true, instructionsPerSecond: 0 });
      });
    }
    let from = 0;
    let r: Maybe<Outcome>;
    try {
      this.history.record();
      from = this.machine.instructionCount();
      r = body();
    } catch (e) {
      r = this.internalError(e);
    }
    if (!respond) r = Promise.resolve(r);
    respond?.();
    if (r instanceof Promise)
      void r.then(
        (o) => this.actEnded(o, from, kind, status.announced),
        (e) => this.actEnded(this.internalError(e), from, kind, status.announced),
      );
    else this.actEnded(r, from, kind, status.announced);
  }

  private internalError(e: unknown): Outcome {
    this.emit('output', `Bootvisor: ${e instanceof Error ? e.message : String(e)}\n`, 'stderr');
    return { reason: 'pause', description: 'Stopped after an internal error (see the Debug Console)' };
  }

  private actEnded(outcome: Outcome, from: number, kind: 'step' | 'run' | 'back', announced: boolean): void {
    try {
      // Back in time (a step back, reverse-continue, a replay stopped on the way): so are the hit counts, and
      // a breakpoint decided later than here is to be decided again when execution gets there.
      const now = this.machine.instructionCount();
      if (this.decided && this.decided.count > now) this.decided = undefined;
      this.hitTrail.rewindTo(now, this.decided?.count === now);
      if (kind === 'step' && 'reason' in outcome && outcome.reason === 'step' && now > from) this.trail.push(from);
    } catch (e) {
      outcome = this.internalError(e);
    }
    this.busy = false;
    if (this.disposed) return; // the session ended while the guest ran
    if ('end' in outcome) {
      this.afterStop(announced);
      this.end(outcome.end);
      return;
    }
    // The stop first: its event leaves at once (quiet-logging.ts), and the bookkeeping below (for the views and
    // the next stop; nothing in the event needs it) runs in the same turn, before any other request, while
    // the client reads the event.
    this.emit('stopped', outcome);
    this.afterStop(announced);
  }

  private afterStop(announced: boolean): void {
    this.executed.gather(this.machine);
    this.watches.stopped(this.machine);
    if (announced) this.emit('status', { running: false, instructionsPerSecond: 0 });
  }

  start(stopOnEntry: boolean): void {
    if (stopOnEntry)
      this.emit('stopped', { reason: 'entry', description: 'Stopped at the boot sector entry (0000:7C00)' });
    else this.continue();
  }

  /** `respond`: the request's response, sent before the stop's event (see act). */
  continue(respond?: () => void): void {
    if (this.lastStop.reason === 'triple-fault' || this.lastStop.reason === 'hlt-cli') {
      const stop = this.lastStop;
      this.act(
        async () => ({
          end: {
            stop,
            message:
              stop.reason === 'triple-fault'
                ? 'The CPU shut down (triple fault); the guest cannot go on.'
                : 'The guest halted with interrupts disabled; it cannot go on.',
          },
        }),
        'run',
        respond,
      );
      return;
    }
    this.act(() => this.runLoop(), 'run', respond);
  }

  /** By instruction; with `wholeLine`, on until the source line changes (a macro's expansion is one line). */
  stepIn(wholeLine = false, respond?: () => void): void {
    this.act(() => (wholeLine ? this.byLine(() => this.stepOnce()) : this.stepOnce()), 'step', respond);
  }

  stepOver(wholeLine = false, respond?: () => void): void {
    this.act(() => (wholeLine ? this.byLine(() => this.overOnce()) : this.overOnce()), 'step', respond);
  }

  private overOnce(): Maybe<Outcome> {
    const plan = planStepOver(this.machine, this.machine.getRegisters());
    return plan ? this.runLoop(plan) : this.stepOnce();
  }

  private currentLine(): string | undefined {
    const r = this.machine.getRegisters();
    const loc = this.listing?.locate((r.cs.base + r.eip) >>> 0);
    return loc ? `${loc.file}:${loc.line}` : undefined;
  }

  /** `once` again until the source line changes (a plain step, by instruction, calls `once` itself). */
  private async byLine(once: () => Maybe<Outcome>): Promise<Outcome> {
    const start = this.currentLine();
    for (let n = 0; ; n++) {
      const o = await once();
      if (!start || !('reason' in o) || o.reason !== 'step' || this.pauseRequested || n >= 64) return o;
      if (this.currentLine() !== start) return o;
    }
  }

  /** A step whose logic lives elsewhere (c-stepping.ts), made of the moves every step is made of. */
  stepWith(body: (moves: StepMoves) => Promise<Outcome>, kind: 'step' | 'back' = 'step'): void {
    this.act(
      () =>
        body({
          machine: this.machine,
          history: this.history,
          once: async () => this.stepOnce(),
          over: async (plan) => this.runLoop(plan),
          interrupted: () => this.pauseRequested || this.disposed,
          settle: (reason) => this.syncLastStop(reason),
        }),
      kind,
    );
  }

  stepOut(): void {
    this.act(() => this.stepOutLoop(), 'step');
  }

  private reverseUnavailable(): RuntimeStop | undefined {
    const why = this.history.unavailable;
    return why ? { reason: 'step', description: `Reverse execution is unavailable: ${why}`, text: why } : undefined;
  }

  stepBack(): void {
    this.act(async () => {
      const no = this.reverseUnavailable();
      if (no) return no;
      const now = this.machine.instructionCount();
      while (this.trail.length && this.trail[this.trail.length - 1] >= now) this.trail.pop();
      const r = await this.history.stepBack(this.trail.pop());
      this.syncLastStop(r === 'interrupted' ? 'pause' : 'step');
      if (r === 'interrupted') return this.replayInterrupted();
      return r === 'ok'
        ? { reason: 'step', description: 'Stepped back' }
        : { reason: 'step', description: 'At the start of the recorded history', text: 'Nothing older is recorded.' };
    }, 'back');
  }

  reverseContinue(): void {
    this.act(async () => {
      const no = this.reverseUnavailable();
      if (no) return no;
      const stop = await this.history.reverseContinue();
      if (stop === 'interrupted') {
        this.syncLastStop('pause');
        return this.replayInterrupted();
      }
      if (stop === 'start') {
        this.syncLastStop('step');
        return {
          reason: 'step',
          description: 'Reached the start of the recorded history (no breakpoint on the way back)',
        };
      }
      this.lastStop = stop;
      this.decided = { count: stop.instructions, linear: stop.linear };
      if (stop.reason === 'watchpoint') return this.classify(stop) as RuntimeStop;
      return {
        reason: 'breakpoint',
        description: `Breakpoint (going backwards) at ${this.where(stop.linear) ?? hexAddr(stop.linear)}`,
        hitBreakpointIds: this.breakpoints.at(stop.linear).map((b) => b.id),
      };
    });
  }

  /** A replay stopped by the user stands at a real point of the past; the way back or forward goes on from there. */
  private replayInterrupted(): RuntimeStop {
    this.trail = [];
    return {
      reason: 'pause',
      description: `Paused while going back, at instruction ${this.machine.instructionCount()}`,
    };
  }

  pause(): void {
    this.pauseRequested = true;
    if (this.machine.running) this.machine.pause();
  }

  private syncLastStop(reason: StopEvent['reason']): void {
    const r = this.machine.getRegisters();
    this.lastStop = {
      reason,
      cs: r.cs.selector,
      eip: r.eip,
      linear: (r.cs.base + r.eip) >>> 0,
      instructions: this.machine.instructionCount(),
    };
  }

  /**
   * One instruction; a breakpoint at the new place is not a reason (it is a step). A hardware interrupt
   * that arrives instead is hidden, as QEMU's gdbstub hides IRQs while stepping: its handler runs back to
   * here and the step is tried again, so F11 on `cli` at 7C00 does not land in the BIOS timer handler.
   */
  private stepOnce(): Maybe<Outcome> {
    const r = this.stepAttempt(0);
    return 'hide' in r ? this.stepHidingInterrupts(r.hide) : r;
  }

  private async stepHidingInterrupts(plan: StepOverPlan): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      const o = await this.runLoop(plan);
      if (!('reason' in o) || o.reason !== 'step') return o;
      const r = this.stepAttempt(attempt);
      if (!('hide' in r)) return r;
      plan = r.hide;
    }
  }

  /** One try at the step: its outcome, or the plan that runs a hardware interrupt taken instead back to here. */
  private stepAttempt(attempt: number): Outcome | { hide: StepOverPlan } {
    // The registers act() read for Variables are where the first step starts (one native read fewer).
    const resumed = this.resumedAt;
    this.resumedAt = undefined;
    const before =
      resumed && resumed.count === this.machine.instructionCount()
        ? resumed.registers
        : (this.machine.registerSnapshot?.() ?? snapshotOf(this.machine.getRegisters()));
    const beforeLinear = before.linear;
    const s = this.machine.step();
    this.lastStop = s;
    if (s.idle)
      return {
        reason: 'pause',
        description: 'The guest waits for input (a key or serial bytes): type into the guest screen, then step',
      };
    if (s.reason !== 'step' && s.reason !== 'breakpoint') return this.classify(s);
    let executed: HistoryEntry | undefined;
    try {
      executed = this.machine.history(1)[0];
    } catch {
      executed = undefined; // a backend without history: interrupts are not hidden
    }
    if (executed) this.executed.noteStep(executed, s.instructions);
    if (attempt < 16 && executed && executed.linear !== beforeLinear && s.linear !== beforeLinear)
      return { hide: { returnLinear: beforeLinear, esp: before.esp >>> 0, ss: before.ssSelector } };
    return { reason: 'step', description: 'Stepped one instruction' };
  }

  /** After a manual step: are we where the plan ends, or on a breakpoint that stops? */
  private async checkHere(plan?: StepOverPlan): Promise<Outcome | undefined> {
    const regs = this.machine.getRegisters();
    if (plan && planReached(plan, regs)) return { reason: 'step', description: 'Stepped over' };
    const linear = (regs.cs.base + regs.eip) >>> 0;
    if (this.breakpoints.hasAt(linear)) {
      const count = this.machine.instructionCount();
      this.decided = { count, linear };
      const d = await this.breakpointDecision(linear);
      if (d) return d;
    }
    return undefined;
  }

  private runLoop(plan?: StepOverPlan): Maybe<Outcome> {
    const temp = plan ? this.machine.addBreakpoint(plan.returnLinear) : undefined;
    let first: Maybe<Outcome | undefined> | undefined;
    try {
      // The machine runs the instruction under a breakpoint it resumes from, so no step-off is needed.
      const near = this.machine.runSync?.(SYNC_SLICE) ?? null;
      if (this.pauseRequested) first = { reason: 'pause', description: 'Paused' };
      else if (near) first = this.settleStop(near, plan);
    } catch (e) {
      if (temp !== undefined) this.machine.removeBreakpoint(temp);
      throw e;
    }
    if (first !== undefined && !(first instanceof Promise)) {
      if (temp !== undefined) this.machine.removeBreakpoint(temp);
      return first;
    }
    return this.runOn(first, plan, temp);
  }

  /** The rest of runLoop, once something had to wait: a breakpoint's decision, or the run itself. */
  private async runOn(
    pending: Promise<Outcome | undefined> | undefined,
    plan: StepOverPlan | undefined,
    temp: number | undefined,
  ): Promise<Outcome> {
    try {
      const decided = await pending;
      if (decided) return decided;
      for (;;) {
        if (this.pauseRequested) return { reason: 'pause', description: 'Paused' };
        const o = await this.settleStop(await this.machine.run({ maxInstructions: CHUNK }), plan);
        if (o) return o;
      }
    } finally {
      if (temp !== undefined) this.machine.removeBreakpoint(temp);
    }
  }

  /** What a stop of the machine means for a run: its outcome, or undefined to run on. */
  private settleStop(stop: StopEvent, plan: StepOverPlan | undefined): Maybe<Outcome | undefined> {
    this.lastStop = stop;
    if (stop.reason === 'instruction-limit') {
      this.history.record();
      this.reportSpeed();
      return undefined;
    }
    if (stop.reason !== 'breakpoint') return this.classify(stop);
    // Registers only for a plan: a continue to a breakpoint reads none here.
    if (plan && planReached(plan, this.machine.getRegisters())) return { reason: 'step', description: 'Stepped over' };
    const already = this.decided && this.decided.count === stop.instructions && this.decided.linear === stop.linear;
    if (already) return undefined;
    this.decided = { count: stop.instructions, linear: stop.linear };
    return this.breakpointDecision(stop.linear);
  }

  private async stepOutLoop(): Promise<Outcome> {
    for (let n = 1; ; n++) {
      if (this.pauseRequested) return { reason: 'pause', description: 'Paused while stepping out' };
      if (n % 256 === 0) await new Promise((r) => setImmediate(r));
      if (n % 100_000 === 0) this.history.record();
      const regs = this.machine.getRegisters();
      const ins = currentInstruction(this.machine, regs);
      if (ins && (ins.kind === 'ret' || ins.kind === 'iret')) {
        const s = await this.stepOnce();
        return 'reason' in s && s.reason === 'step' ? { reason: 'step', description: `Stepped out (${ins.text})` } : s;
      }
      const plan = planStepOver(this.machine, regs);
      if (plan) {
        const o = await this.runLoop(plan);
        if (!('reason' in o) || o.reason !== 'step') return o;
        continue;
      }
      const s = await this.stepOnce();
      if (!('reason' in s) || s.reason !== 'step') return s;
      const here = await this.checkHere();
      if (here) return here;
    }
  }

  /** Counts a hit on every breakpoint at the address, runs logpoints; a stop when one of them says so. */
  private breakpointDecision(linear: number): Maybe<RuntimeStop | undefined> {
    const c = this.cBreakpoints?.applies() ? this.cBreakpoints : undefined;
    const here = this.breakpoints.at(linear);
    // A condition, or a logpoint in C (through gdb), takes an await; the others decide at once.
    if (here.some((bp) => bp.conditionText || (c && bp.logMessage !== undefined)))
      return this.breakpointDecisionAsync(linear, here, c);
    const hit: number[] = [];
    for (const bp of here) {
      if (!this.counted(bp)) continue;
      if (bp.logMessage !== undefined) {
        const ctx = evalContext(this.machine, this.listing);
        this.emit('output', renderLogMessage(bp.logMessage, (e) => formatValue(evaluate(e, ctx))) + '\n', 'console');
        continue;
      }
      hit.push(bp.id);
    }
    return this.breakpointStop(linear, here, hit);
  }

  private async breakpointDecisionAsync(
    linear: number,
    here: Breakpoint[],
    c: Runtime['cBreakpoints'],
  ): Promise<RuntimeStop | undefined> {
    const hit: number[] = [];
    for (const bp of here) {
      if (bp.conditionText) {
        try {
          if (!(await this.conditionHolds(bp))) continue;
        } catch (e) {
          this.emit(
            'output',
            `Breakpoint condition at ${this.where(linear) ?? hexAddr(linear)} failed: ${e instanceof Error ? e.message : e}; stopping.\n`,
            'stderr',
          );
          hit.push(bp.id);
          continue;
        }
      }
      if (!this.counted(bp)) continue;
      if (bp.logMessage !== undefined) {
        const ctx = evalContext(this.machine, this.listing);
        const text = c
          ? await c.log(bp.logMessage)
          : renderLogMessage(bp.logMessage, (e) => formatValue(evaluate(e, ctx)));
        this.emit('output', text + '\n', 'console');
        continue;
      }
      hit.push(bp.id);
    }
    return this.breakpointStop(linear, here, hit);
  }

  /** Counts the hit (undone if execution goes back past it); does the hit condition let it stop? */
  private counted(bp: Breakpoint): boolean {
    bp.hits++;
    this.hitTrail.counted(bp, this.machine.instructionCount());
    return !bp.hitCondition || bp.hitCondition(bp.hits);
  }

  private breakpointStop(linear: number, here: Breakpoint[], hit: number[]): RuntimeStop | undefined {
    if (hit.length === 0) return undefined;
    const kinds = here.filter((b) => hit.includes(b.id));
    const reason: StopKind = kinds.every((k) => k.kind === 'function')
      ? 'function breakpoint'
      : kinds.every((k) => k.kind === 'instruction')
        ? 'instruction breakpoint'
        : 'breakpoint';
    return { reason, description: `Breakpoint at ${this.where(linear) ?? hexAddr(linear)}`, hitBreakpointIds: hit };
  }

  /** Does its condition hold where the machine stands (a C one through gdb in C code)? Throws if it cannot say. */
  private async conditionHolds(bp: Breakpoint): Promise<boolean> {
    if (!bp.conditionText) return true;
    const c = this.cBreakpoints?.applies() ? this.cBreakpoints : undefined;
    if (c) return c.condition(bp.conditionText);
    if (!bp.condition) throw new Error('it is C, and this is not C code');
    return !!evaluate(bp.condition, evalContext(this.machine, this.listing)).value;
  }

  private classify(stop: StopEvent): Outcome {
    const explain = () => explainStop(this.faultSite(stop), (l) => this.where(l));
    switch (stop.reason) {
      case 'step':
        return { reason: 'step', description: 'Stepped one instruction' };
      case 'pause':
        return { reason: 'pause', description: 'Paused' };
      case 'entry':
        return { reason: 'entry', description: 'Entry' };
      case 'breakpoint':
        return {
          reason: 'breakpoint',
          description: `Breakpoint at ${this.where(stop.linear) ?? hexAddr(stop.linear)}`,
        };
      case 'watchpoint': {
        const hit = this.watches.hit(this.machine, stop);
        return {
          reason: 'data breakpoint',
          description: `Data breakpoint: ${hit.text}`,
          text: hit.text,
          hitBreakpointIds: hit.ids,
        };
      }
      case 'exception':
      case 'unhandled-port':
      case 'system-event':
      case 'error': {
        const e = explain();
        return { reason: 'exception', description: e.description.split('\n')[0], text: e.description };
      }
      case 'triple-fault':
      case 'hlt-cli': {
        const e = explain();
        const wanted = stop.reason === 'triple-fault' ? this.exceptions.stopOnTripleFault : this.exceptions.stopOnHang;
        if (wanted) return { reason: 'exception', description: e.description.split('\n')[0], text: e.description };
        return { end: { stop, message: e.description } };
      }
      case 'guest-exit':
        return {
          end: {
            stop,
            exitCode: stop.exitCode,
            message: `The guest exited with status ${stop.exitCode ?? 0} (port 0xF4).`,
          },
        };
      case 'instruction-limit':
        return { reason: 'pause', description: 'Paused' };
    }
  }

  private reportSpeed(): void {
    const now = Date.now();
    if (now - this.statusAt.time < 1000) return;
    const count = this.machine.instructionCount();
    const ips = Math.round(((count - this.statusAt.count) * 1000) / (now - this.statusAt.time));
    this.statusAt = { time: now, count };
    this.lastSpeed = Math.max(0, ips);
    this.emit('status', { running: true, instructionsPerSecond: this.lastSpeed, keepingUp: this.keepingUp });
  }

  private end(end: GuestEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.lastStop = end.stop;
    this.emit('ended', end);
  }

  /**
   * Where a stop happened as the user thinks of it: after a HLT the CPU's EIP is already past it, but the
   * HLT is the line that hangs.
   */
  faultSite(stop: StopEvent = this.lastStop): StopEvent {
    if (stop.reason !== 'hlt-cli' || stop.linear === 0) return stop;
    try {
      if (this.machine.readMemory(stop.linear - 1, 1)[0] === 0xf4)
        return { ...stop, linear: stop.linear - 1, eip: stop.eip - 1 };
    } catch {
      /* unreadable: keep the CPU's view */
    }
    return stop;
  }

  /** The explanation of the last stop, for exceptionInfo. */
  exceptionInfo(): { id: string; description: string; details: string[]; stop: StopEvent } {
    return { ...explainStop(this.faultSite(), (l) => this.where(l)), stop: this.lastStop };
  }

  /** Power-cycles the guest: a new machine from the same image, same breakpoints and watches. */
  async reset(stopOnEntry: boolean): Promise<void> {
    if (this.busy) {
      this.pause();
      for (let i = 0; this.busy && i < 400; i++) await new Promise((r) => setTimeout(r, 5));
      if (this.busy) throw new Error('the guest did not stop for the reset; pause it and try again');
    }
    const old = this.machine;
    this.history.clear();
    this.executed.clear();
    this.machine = this.createMachine();
    this.breakpoints.attach(this.machine);
    this.machine.setCatchExceptions(this.exceptions.vectors);
    this.machine.setSystemBreaks(this.exceptions.system ?? {});
    this.watches.reattach(this.machine);
    this.history = this.newHistory();
    this.attach();
    this.ended = false;
    this.decided = undefined;
    this.lastStop = this.entryStop();
    try {
      old.dispose();
    } catch {
      /* already gone */
    }
    this.start(stopOnEntry);
  }

  dispose(): void {
    this.disposed = true;
    try {
      if (this.machine.running) this.machine.pause();
      this.machine.dispose();
    } catch {
      /* already disposed */
    }
  }
}

export function hexAddr(n: number): string {
  return `0x${(n >>> 0).toString(16).toUpperCase().padStart(5, '0')}`;
}
