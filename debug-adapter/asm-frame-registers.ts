// The registers of an outer frame of a program without C debugging (a NASM image; code outside an ELF's DWARF),
// whose call stack comes from return addresses on the stack (stack.ts). That scan proves only the caller's
// CS:IP (the return address) and, for a caller found on the stack, its SS:SP once the CALL returns; assembly
// has no call-frame information and no calling convention to unwind the rest by, so every other register is
// shown <unavailable>, never the CPU's value. Editing is refused: select the innermost frame to edit the CPU.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { hex } from '../common/expression';
import { memoryReference } from './memory';
import { codeBitness } from './registers';
import type { Runtime } from './runtime';
import { callStack, type Frame } from './stack';

/** The CPU's own register scopes, which an outer frame replaces with its own. */
export const CPU_FRAME_SCOPES = new Set(['Registers', 'General registers', 'Segment registers', 'Flags']);
const UNAVAILABLE = '<unavailable>';

/** An outer frame's registers by the CALL scan: CS:IP and, when found on the stack, SS:SP. */
export function asmFrameVariables(
  frame: Frame,
  wide: boolean,
  ss: { selector: number; base: number },
): DebugProtocol.Variable[] {
  const e = wide ? 'e' : '';
  const width = wide ? 8 : 4;
  const value = (v: number | undefined, w = width): string => (v === undefined ? UNAVAILABLE : `0x${hex(v, w)}`);
  const known: Record<string, number | undefined> = {
    [`${e}ip`]: frame.ip,
    [`${e}sp`]: frame.sp,
    cs: frame.cs,
    ss: frame.sp !== undefined ? ss.selector : undefined,
  };
  const names = [
    ...['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'ip'].map((n) => `${e}${n}`),
    wide ? 'eflags' : 'flags',
    ...['cs', 'ss', 'ds', 'es', 'fs', 'gs'],
  ];
  const out: DebugProtocol.Variable[] = names.map((name) => ({
    name,
    value: value(known[name], name.length === 2 && /s$/.test(name) ? 4 : width),
    variablesReference: 0,
    memoryReference:
      name === `${e}sp` && frame.sp !== undefined ? memoryReference((ss.base + frame.sp) >>> 0) : undefined,
    presentationHint: { kind: 'data', attributes: ['readOnly'] },
  }));
  out.push({
    name: 'from',
    value:
      frame.sp !== undefined
        ? 'its return address on the stack (nothing unwinds the other registers here)'
        : 'the code that called the frame above (nothing unwinds its registers here)',
    variablesReference: 0,
    presentationHint: { kind: 'data', attributes: ['readOnly'] },
  });
  return out;
}

/** The register scopes of frame `frameId` of the CALL-scan call stack: the CPU's for the innermost frame. */
export function asmRegisterScopes(rt: Runtime, frameId: number, cpu: DebugProtocol.Scope[]): DebugProtocol.Scope[] {
  if (frameId <= 0) return cpu;
  const regs = rt.registers();
  const frame = callStack(rt.currentMachine, regs, rt.listing, undefined, rt.elf)[frameId];
  if (!frame) return cpu;
  const wide = codeBitness(regs) === 32;
  const scope = rt.variables.listScope(
    'Registers',
    () => asmFrameVariables(frame, wide, regs.ss),
    (name) =>
      `${name} of an outer frame is not the CPU's, and nothing here says where its value was saved: ` +
      'select the innermost frame to edit the CPU',
  );
  return [scope, ...cpu.filter((s) => !CPU_FRAME_SCOPES.has(s.name))];
}
