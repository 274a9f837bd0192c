// The compact register view, as Bochs's `r` and `sreg` print it: the general registers in the code's own
// size (ax..ip in 16-bit code, eax..eip in 32-bit code), then `cs:ip ss:sp ds es` on one line, then the
// flags. What changed since the last stop carries a marker in its value ("(was 0x1234)", or "*" inside the
// segment line) and the presentation attribute `changed`, since VS Code's own change highlight lasts only
// until the view is redrawn and the 32-bit scope below holds the full registers.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Registers } from '../common/api';
import { hex } from '../common/expression';
import { codeBitness, FLAGS, readRegister } from './registers';

type Variable = DebugProtocol.Variable;

const NAMES16 = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip'];

/** The names the compact view shows for the current code size. */
export function compactNames(regs: Registers): string[] {
  return codeBitness(regs) === 32 ? NAMES16.map((n) => `e${n}`) : NAMES16;
}

const changedHint: DebugProtocol.VariablePresentationHint = { kind: 'data', attributes: ['changed'] };

/** One general register of the compact view, marked when it differs from the last stop. */
export function compactRegister(
  regs: Registers,
  previous: Registers | undefined,
  name: string,
  memoryReference?: string,
): Variable {
  const width = name.startsWith('e') ? 8 : 4;
  const value = readRegister(regs, name)!;
  const before = previous ? readRegister(previous, name) : undefined;
  const changed = before !== undefined && before !== value;
  return {
    name,
    value: `0x${hex(value, width)}${changed ? ` (was 0x${hex(before, width)})` : ''}`,
    type: width === 8 ? 'dword' : 'word',
    evaluateName: name,
    variablesReference: 0,
    memoryReference,
    presentationHint: changed ? changedHint : undefined,
  };
}

/** `cs:ip ss:sp ds es` (with fs gs in 32-bit code) on one line; a changed part ends in "*". */
export function segmentLine(regs: Registers, previous: Registers | undefined): Variable {
  const wide = codeBitness(regs) === 32;
  const ip = wide ? 'eip' : 'ip';
  const sp = codeBitness(regs) === 32 || (regs.ss.attrib >> 10) & 1 ? 'esp' : 'sp';
  const parts: [string, (r: Registers) => string][] = [
    [`cs:${ip}`, (r) => `${hex(r.cs.selector, 4)}:${hex(readRegister(r, ip)!, wide ? 8 : 4)}`],
    [`ss:${sp}`, (r) => `${hex(r.ss.selector, 4)}:${hex(readRegister(r, sp)!, sp === 'esp' ? 8 : 4)}`],
    ['ds', (r) => hex(r.ds.selector, 4)],
    ['es', (r) => hex(r.es.selector, 4)],
    ...(wide
      ? ([
          ['fs', (r: Registers) => hex(r.fs.selector, 4)],
          ['gs', (r: Registers) => hex(r.gs.selector, 4)],
        ] as [string, (r: Registers) => string][])
      : []),
  ];
  let anyChanged = false;
  const values = parts.map(([, show]) => {
    const now = show(regs);
    const changed = previous !== undefined && show(previous) !== now;
    anyChanged ||= changed;
    return changed ? `${now}*` : now;
  });
  return {
    name: parts.map(([n]) => n).join(' '),
    value: values.join(' '),
    variablesReference: 0,
    presentationHint: { kind: 'data', attributes: anyChanged ? ['readOnly', 'changed'] : ['readOnly'] },
  };
}

/** FLAGS (EFLAGS in 32-bit code) with the set flags by name; flags that changed are listed after "changed:". */
export function flagsLine(regs: Registers, previous: Registers | undefined): Variable {
  const wide = codeBitness(regs) === 32;
  const set = FLAGS.filter(([, bit]) => regs.eflags & (1 << bit)).map(([n]) => n);
  const flipped = previous
    ? FLAGS.filter(([, bit]) => ((regs.eflags ^ previous.eflags) >>> bit) & 1).map(([n]) => n)
    : [];
  return {
    name: wide ? 'eflags' : 'flags',
    value: `0x${hex(wide ? regs.eflags : regs.eflags & 0xffff, wide ? 8 : 4)} [${set.join(' ')}]${flipped.length ? ` (changed: ${flipped.join(' ')})` : ''}`,
    variablesReference: 0,
    presentationHint: { kind: 'data', attributes: flipped.length ? ['readOnly', 'changed'] : ['readOnly'] },
  };
}
