// What a step means at the current instruction: step over runs a CALL, an INT or a REP string instruction
// as one step (to the instruction after it, on the same stack level); step out runs to the return of the
// current call or interrupt handler.
import type { Machine, Registers } from '../common/api';
import { DecodedInstruction, decodeKind, decodeOne } from '../common/disasm';
import { readWhatIsReadable } from './memory';
import { plainForStepOver } from './plain-instruction';
import { codeBitness } from './registers';

export function currentInstruction(machine: Machine, regs: Registers): DecodedInstruction | undefined {
  const linear = (regs.cs.base + regs.eip) >>> 0;
  const { data } = readWhatIsReadable(machine, linear, 15);
  if (data.length === 0) return undefined;
  return decodeOne(data, regs.eip, codeBitness(regs));
}

export interface StepOverPlan {
  /** Linear address of the instruction after this one, where the step ends. */
  returnLinear: number;
  /** The step is over when the stack is back at (or above) this ESP in the same SS. */
  esp: number;
  ss: number;
}

/** A plan when the current instruction is one step-over runs whole; undefined for a plain single step. */
export function planStepOver(machine: Machine, regs: Registers): StepOverPlan | undefined {
  const { data } = readWhatIsReadable(machine, (regs.cs.base + regs.eip) >>> 0, 15);
  if (plainForStepOver(data)) return undefined;
  const ins = data.length === 0 ? undefined : decodeKind(data, codeBitness(regs));
  if (!ins || ins.invalid) return undefined;
  if (ins.kind !== 'call' && ins.kind !== 'int' && ins.kind !== 'rep-string') return undefined;
  // The IP after it wraps to the code's size, as decodeOne's nextOffset does.
  const next = (regs.eip + ins.length) & (codeBitness(regs) === 16 ? 0xffff : 0xffffffff);
  return { returnLinear: (regs.cs.base + next) >>> 0, esp: regs.esp >>> 0, ss: regs.ss.selector };
}

/** Is the plan's end reached (not a deeper recursion passing the same address)? */
export function planReached(plan: StepOverPlan, regs: Registers): boolean {
  if ((regs.cs.base + regs.eip) >>> 0 !== plan.returnLinear) return false;
  return regs.ss.selector !== plan.ss || regs.esp >>> 0 >= plan.esp;
}
