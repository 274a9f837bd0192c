// The registers of a selected outer frame, as gdb's `frame N` then `info registers` gives them, but never a
// wrong value: a caller's EIP (its return address), ESP (the callee's CFA) and the callee-saved EBX, ESI, EDI,
// EBP come from gdb's unwinder (the call-frame information, else its prologue analysis); EAX, ECX, EDX and
// EFLAGS, which a call destroys, are known only where the callee saved them (an interrupt function does);
// an inlined function and the function it was inlined into share one set. Past an interrupt, the interrupted
// code's registers are those c-interrupts.ts rebuilt from the iret frame and its witness (a pusha block, the
// handler's CFI, the callee-saved registers), and its DS, ES, FS, GS are unknown unless the CPU pushed them
// (virtual-8086 mode): a stub may have reloaded them. What cannot be recovered is shown as <unavailable>.
// Editing is refused with where the value lives (gdb writes the saved slot; here the memory view does that).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Registers } from '../common/api';
import { hex } from '../common/expression';
import { I386_CORE_REGISTERS } from '../common/gdb-target';
import type { CDebugger, FrameRef, ViewRegisters } from './c-debugger';
import { memoryReference } from './memory';
import { FLAGS } from './registers';

/** Where a call stack frame's registers come from. */
export type RegisterSource =
  /** The CPU's own (the innermost frame): the usual register scopes. */
  | { kind: 'cpu' }
  /** A register set rebuilt past an interrupt (the interrupted code, its marker, a V86 frame). */
  | { kind: 'view'; regs: ViewRegisters }
  /** A caller gdb unwinds to: level > 0 of `where.view` (or of the CPU's registers). */
  | { kind: 'unwound'; where: FrameRef }
  /** A caller found only by its return address on the stack: nothing but its EIP is known. */
  | { kind: 'return'; eip: number };

/** The registers shown, in gdb's `info registers` order. */
export const FRAME_REGISTERS = I386_CORE_REGISTERS;
export type FrameRegister = (typeof FRAME_REGISTERS)[number];

/** What a call destroys (the i386 System V ABI's caller-saved registers and the flags). */
const CALL_CLOBBERED = new Set<FrameRegister>(['eax', 'ecx', 'edx', 'eflags']);
const UNWOUND = ['eip', 'esp', 'ebp', 'ebx', 'esi', 'edi', 'eax', 'ecx', 'edx', 'eflags'] as const;
const SEGMENT = new Set<FrameRegister>(['cs', 'ss', 'ds', 'es', 'fs', 'gs']);

export interface FrameRegisterValues {
  /** undefined: cannot be recovered in this frame. */
  values: Map<FrameRegister, number | undefined>;
  /** Where the frame's value of a register was saved (a callee's slot), for the refusal to edit it. */
  slots: Map<FrameRegister, number>;
  /** How the set was found, for the scope's first line. */
  how: string;
}

/** gdb's `info frame`: the registers it saved (name -> slot address) and whether it is an inlined function's. */
export function parseFrameInfo(text: string): { saved: Map<string, number>; inlined: boolean } {
  const saved = new Map<string, number>();
  const at = text.indexOf('Saved registers:');
  if (at >= 0)
    for (const m of text.slice(at).matchAll(/\b([a-z]{2,6}) at (0x[0-9a-f]+)/gi))
      saved.set(m[1].toLowerCase(), Number(m[2]));
  return { saved, inlined: /\binlined into frame\b/.test(text) };
}

function fromRegisters(regs: ViewRegisters, interrupted: boolean): Map<FrameRegister, number | undefined> {
  const v86 = (regs.eflags & 0x20000) !== 0;
  const unknown = new Set(regs.unknown ?? []);
  const out = new Map<FrameRegister, number | undefined>();
  for (const name of FRAME_REGISTERS) {
    let value: number | undefined;
    if (SEGMENT.has(name)) {
      const seg = regs[name as 'cs'];
      // The stub may have reloaded DS/ES/FS/GS for the handler; only CS and SS (and V86's) came from the CPU.
      value = interrupted && !v86 && name !== 'cs' && name !== 'ss' ? undefined : seg.selector;
    } else value = regs[name as 'eax'] >>> 0;
    out.set(name, unknown.has(name) ? undefined : value);
  }
  return out;
}

/**
 * The registers of a frame: `base` is the register set of the innermost frame on the same side of every
 * interrupt (the CPU's, or the interrupted code's view), whose segment registers a call keeps.
 */
export async function frameRegisterValues(
  engine: CDebugger,
  source: RegisterSource,
  cpu: Registers,
): Promise<FrameRegisterValues> {
  if (source.kind === 'cpu') return { values: fromRegisters(cpu, false), slots: new Map(), how: 'the CPU' };
  if (source.kind === 'view')
    return {
      values: fromRegisters(source.regs, true),
      slots: new Map(),
      how: 'the interrupted code, from its iret frame',
    };
  if (source.kind === 'return') {
    const values = new Map<FrameRegister, number | undefined>(FRAME_REGISTERS.map((n) => [n, undefined]));
    values.set('eip', source.eip);
    return { values, slots: new Map(), how: 'a return address on the stack (no unwinder here)' };
  }
  const { level, view } = source.where;
  const base = view ? fromRegisters(view, true) : fromRegisters(cpu, false);
  if (level === 0) return { values: base, slots: new Map(), how: view ? 'the interrupted code' : 'the CPU' };
  const callee = parseFrameInfo(await engine.frameInfo({ level: level - 1, view }));
  if (callee.inlined) {
    // One machine frame: the inlined function's registers are its container's.
    const inner = await frameRegisterValues(engine, { kind: 'unwound', where: { level: level - 1, view } }, cpu);
    return { ...inner, how: `${inner.how} (the frame inlined here shares its registers)` };
  }
  const unwound = await engine.frameRegisters(source.where, [...UNWOUND]);
  const values = new Map<FrameRegister, number | undefined>();
  const slots = new Map<FrameRegister, number>();
  for (const name of FRAME_REGISTERS) {
    if (SEGMENT.has(name)) {
      values.set(name, base.get(name)); // a call changes no segment register
      continue;
    }
    const slot = callee.saved.get(name);
    if (slot !== undefined) slots.set(name, slot);
    // A register the callee saved is in its slot; one it had to keep is unchanged; one a call destroys is gone.
    values.set(name, CALL_CLOBBERED.has(name) && slot === undefined ? undefined : unwound.get(name as 'eax'));
  }
  return { values, slots, how: "unwound by gdb from the callee's call-frame information" };
}

const UNAVAILABLE = '<unavailable>';
const readOnly: DebugProtocol.VariablePresentationHint = { kind: 'data', attributes: ['readOnly'] };

/** The frame's registers as DAP variables (<unavailable> where unknown), with a line saying where they came from. */
export function frameRegisterVariables(r: FrameRegisterValues, ss: { base: number }): DebugProtocol.Variable[] {
  const out: DebugProtocol.Variable[] = [];
  for (const name of FRAME_REGISTERS) {
    const v = r.values.get(name);
    const segment = SEGMENT.has(name);
    let value = v === undefined ? UNAVAILABLE : `0x${hex(v, segment ? 4 : 8)}`;
    if (v !== undefined && name === 'eflags')
      value += ` [${FLAGS.filter(([, bit]) => v & (1 << bit))
        .map(([n]) => n)
        .join(' ')}]`;
    out.push({
      name,
      value,
      type: segment ? 'word' : 'dword',
      variablesReference: 0,
      memoryReference:
        v !== undefined && (name === 'esp' || name === 'ebp') ? memoryReference((ss.base + v) >>> 0) : undefined,
      presentationHint: readOnly,
    });
  }
  out.push({ name: 'from', value: r.how, variablesReference: 0, presentationHint: readOnly });
  return out;
}

/** Why a register of an outer frame is not edited, and where its value lives. */
export function editRefusal(r: FrameRegisterValues, name: string): string {
  const key = name.toLowerCase() as FrameRegister;
  const slot = r.slots.get(key);
  if (slot !== undefined)
    return (
      `${key} of this frame is the copy its callee saved at ${hex(slot, 8)}: edit that memory (the memory view), ` +
      'or select the innermost frame to edit the CPU'
    );
  return (
    `the registers of an outer frame are shown as unwound; ${key} of this frame has no saved slot to edit. ` +
    'Select the innermost frame to edit the CPU'
  );
}
