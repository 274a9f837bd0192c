// Stepping by source line where the program has DWARF lines (a C kernel and the NASM `-g -F dwarf` objects
// linked into it), as gdb steps: a step ends at the start of a statement (an is_stmt row, never line 0) on
// another line, or back in the caller after a return. Step over runs each CALL, INT and REP whole to its
// return on the same stack level (deeper recursion passing the same address does not end it); step in
// enters a callee that has lines and stops past its prologue, and runs one without lines whole. Step back
// replays the recorded past (reverse.ts) to the start of the previous line in the same invocation.
// 'instruction' granularity (the Disassembly view) keeps the runtime's instruction steps.
import type { Machine, Registers, StopEvent } from '../common/api';
import type { ElfDebugInfo } from '../common/elf-debug-info';
import { CLines, type SourceLine } from './c-lines';
import type { History, ReplayEnd } from './reverse';
import type { Outcome, Runtime } from './runtime';
import { currentInstruction, planStepOver, type StepOverPlan } from './stepping';

/** The runtime's moves a line step is made of. */
export interface StepMoves {
  machine: Machine;
  history: History;
  /** One instruction (a hardware interrupt arriving meanwhile is run whole and hidden). */
  once(): Promise<Outcome>;
  /** Runs to the plan's return on the same stack level (or a breakpoint, a fault). */
  over(plan: StepOverPlan): Promise<Outcome>;
  /** Has the user asked to stop (pause, disconnect)? */
  interrupted(): boolean;
  /** The machine was moved by a replay: the stop now is where it stands. */
  settle(reason: StopEvent['reason']): void;
}

/** A line whose code loops longer than this without leaving it stops the step, saying so (pause still works). */
const MAX_LINE_INSTRUCTIONS = 2_000_000;
/** Snapshots tried going back for the previous line before giving up at the oldest. */
const MAX_BACK_WINDOWS = 48;

const cache = new WeakMap<ElfDebugInfo, CLines>();
function linesOf(elf: ElfDebugInfo): CLines {
  let l = cache.get(elf);
  if (!l) cache.set(elf, (l = new CLines(elf)));
  return l;
}

const linear = (r: Registers): number => (r.cs.base + r.eip) >>> 0;
const isStep = (o: Outcome): boolean => 'reason' in o && o.reason === 'step';

/**
 * Starts a step by source line when it applies (the program has DWARF lines for where the CPU stands and
 * the client did not ask for instructions); false leaves the step to the runtime's instruction steps.
 */
export function stepByLine(rt: Runtime, kind: 'in' | 'over' | 'back', granularity: string | undefined): boolean {
  if (granularity === 'instruction' || !rt.elf) return false;
  const lines = linesOf(rt.elf);
  if (!lines.lineAt(linear(rt.registers()))) return false;
  if (kind === 'back') rt.stepWith((m) => stepBackLine(m, lines), 'back');
  else rt.stepWith((m) => stepLine(m, lines, kind === 'in'));
  return true;
}

function stopped(lines: CLines, m: Machine, how: string): Outcome {
  const at = lines.lineAt(linear(m.getRegisters()));
  return { reason: 'step', description: at ? `${how} to ${CLines.describe(at)}` : how };
}

export async function stepLine(moves: StepMoves, lines: CLines, into: boolean): Promise<Outcome> {
  const m = moves.machine;
  let from: SourceLine | undefined = lines.lineAt(linear(m.getRegisters()));
  /** Calls stepped into and not yet returned from (inside a prologue being skipped). */
  let depth = 0;
  for (let n = 1; ; n++) {
    if (moves.interrupted()) return { reason: 'pause', description: 'Paused while stepping' };
    if (n % 512 === 0) await new Promise((r) => setImmediate(r));
    if (n > MAX_LINE_INSTRUCTIONS)
      return {
        reason: 'pause',
        description: `Stopped stepping after ${MAX_LINE_INSTRUCTIONS} instructions without leaving ${from ? CLines.describe(from) : 'the line'}`,
      };
    const regs = m.getRegisters();
    const ins = currentInstruction(m, regs);
    const plan = planStepOver(m, regs);
    const enter = into && plan && ins?.kind === 'call';
    const o = plan && !enter ? await moves.over(plan) : await moves.once();
    if (!isStep(o)) return o;
    const here = linear(m.getRegisters());
    if (enter && plan) {
      if (here === plan.returnLinear) continue; // a call to the next instruction (get the EIP)
      if (!lines.lineAt(here)) {
        // No line information there: run it whole, as step over would.
        const back = await moves.over(plan);
        if (!isStep(back)) return back;
      } else {
        const body = lines.bodyStart(here);
        if (body === undefined || body === here) return stopped(lines, m, 'Stepped into');
        depth++;
        from = lines.lineAt(here); // the opening line: on to the first statement of the body
        continue;
      }
    } else if (ins && (ins.kind === 'ret' || ins.kind === 'iret')) {
      if (depth === 0) return stopped(lines, m, 'Returned');
      depth--;
    }
    const st = lines.statementAt(linear(m.getRegisters()));
    if (st && !CLines.same(st, from)) return stopped(lines, m, 'Stepped');
  }
}

interface Hit {
  count: number;
  pc: number;
  esp: number;
}

/**
 * Back to the start of the previous line of this invocation: the stretch before now is replayed with a stop
 * at each statement of the function (and its entry), noting the stack pointer; entries and returns tracked
 * by the stack pointer tell this invocation's statements from those of deeper calls (recursion too).
 * Before the function's first line: back in the caller, at its CALL.
 */
export async function stepBackLine(moves: StepMoves, lines: CLines): Promise<Outcome> {
  const m = moves.machine;
  const regs = m.getRegisters();
  const pc = linear(regs);
  const now = m.instructionCount();
  const espNow = regs.esp >>> 0;
  const from = lines.lineAt(pc);
  const fn = lines.functionAt(pc);
  if (!fn || !from) return backTo(moves, lines, now - 1);
  const addresses = [fn.start, ...lines.statementsIn(fn.start, fn.end)];
  for (let back = 0; back < MAX_BACK_WINDOWS; back++) {
    const hits: Hit[] = [];
    const end: ReplayEnd = await moves.history.replayWatching(back, addresses, (stop) =>
      hits.push({ count: stop.instructions, pc: stop.linear, esp: m.getRegisters().esp >>> 0 }),
    );
    if (end === 'interrupted') {
      moves.settle('pause');
      return { reason: 'pause', description: `Paused while going back, at instruction ${m.instructionCount()}` };
    }
    if (end === 'start') break;
    const target = previousLine(hits, fn.start, espNow, from, lines);
    if (target !== undefined) return backTo(moves, lines, target);
  }
  const oldest = moves.history.oldest;
  if (oldest === undefined || oldest >= now)
    return { reason: 'step', description: 'At the start of the recorded history', text: 'Nothing older is recorded.' };
  return backTo(moves, lines, oldest, 'At the start of the recorded history');
}

/** The instruction count to go back to, from the stops of one replayed stretch; undefined: look further back. */
function previousLine(hits: Hit[], entry: number, espNow: number, from: SourceLine, lines: CLines): number | undefined {
  // This invocation began at the newest entry whose return address lies at or above the stack pointer now.
  let begin = -1;
  for (let i = hits.length - 1; i >= 0; i--)
    if (hits[i].pc === entry && hits[i].esp >= espNow) {
      begin = i;
      break;
    }
  // Live invocations by the stack pointer at their entry; the bottom one is this invocation.
  const live: number[] = [begin >= 0 ? hits[begin].esp : Infinity];
  const mine: Hit[] = [];
  for (let i = Math.max(0, begin); i < hits.length; i++) {
    const h = hits[i];
    if (h.pc === entry && i !== begin) {
      while (live.length > 1 && live[live.length - 1] <= h.esp) live.pop();
      live.push(h.esp);
    } else {
      while (live.length > 1 && live[live.length - 1] < h.esp) live.pop();
    }
    if (live.length === 1) mine.push(h);
  }
  const key = (h: Hit): SourceLine | undefined => lines.statementAt(h.pc) ?? lines.lineAt(h.pc);
  let j = mine.length - 1;
  while (j >= 0 && CLines.same(key(mine[j]), from)) j--;
  if (j < 0) return begin >= 0 ? hits[begin].count - 1 : undefined; // before the first line: the caller's CALL
  const line = key(mine[j]);
  let i = j;
  while (i > 0 && CLines.same(key(mine[i - 1]), line)) i--;
  // The run reaches back to the entry and is only the prologue: the caller's CALL instead.
  if (begin >= 0 && mine[i].count === hits[begin].count) {
    const body = lines.bodyStart(entry);
    if (body !== undefined && body !== entry && mine.slice(i, j + 1).every((h) => h.pc < body))
      return hits[begin].count - 1;
  }
  return mine[i].count;
}

async function backTo(moves: StepMoves, lines: CLines, target: number, note?: string): Promise<Outcome> {
  const r = await moves.history.goTo(target);
  moves.settle(r === 'interrupted' ? 'pause' : 'step');
  if (r === 'interrupted')
    return {
      reason: 'pause',
      description: `Paused while going back, at instruction ${moves.machine.instructionCount()}`,
    };
  if (r === 'start')
    return { reason: 'step', description: 'At the start of the recorded history', text: 'Nothing older is recorded.' };
  return note ? { reason: 'step', description: note } : stopped(lines, moves.machine, 'Stepped back');
}
