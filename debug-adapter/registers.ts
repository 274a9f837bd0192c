// Register names as the user writes them (eax/ax/ah/al, flags, segment selectors, control registers) mapped
// onto the facade's Registers, for reading (expressions, variables) and writing (setVariable).
import type { Registers, SegmentRegister } from '../common/api';

export const GENERAL = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'] as const;
export const SEGMENTS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss'] as const;
type General = (typeof GENERAL)[number];
type Segment = (typeof SEGMENTS)[number];

/** EFLAGS bits by name (IOPL is two bits and handled apart). */
export const FLAGS: [string, number, string][] = [
  ['CF', 0, 'carry'],
  ['PF', 2, 'parity'],
  ['AF', 4, 'auxiliary carry'],
  ['ZF', 6, 'zero'],
  ['SF', 7, 'sign'],
  ['TF', 8, 'trap'],
  ['IF', 9, 'interrupts enabled'],
  ['DF', 10, 'direction'],
  ['OF', 11, 'overflow'],
  ['NT', 14, 'nested task'],
  ['RF', 16, 'resume'],
  ['VM', 17, 'virtual-8086 mode'],
  ['AC', 18, 'alignment check'],
  ['VIF', 19, 'virtual interrupt'],
  ['VIP', 20, 'virtual interrupt pending'],
  ['ID', 21, 'CPUID available'],
];

export const CR0_BITS: [string, number][] = [
  ['PE', 0],
  ['MP', 1],
  ['EM', 2],
  ['TS', 3],
  ['ET', 4],
  ['NE', 5],
  ['WP', 16],
  ['AM', 18],
  ['NW', 29],
  ['CD', 30],
  ['PG', 31],
];
export const CR4_BITS: [string, number][] = [
  ['VME', 0],
  ['PVI', 1],
  ['TSD', 2],
  ['DE', 3],
  ['PSE', 4],
  ['PAE', 5],
  ['MCE', 6],
  ['PGE', 7],
  ['PCE', 8],
  ['OSFXSR', 9],
  ['OSXMMEXCPT', 10],
];
export const EFER_BITS: [string, number][] = [
  ['SCE', 0],
  ['LME', 8],
  ['LMA', 10],
  ['NXE', 11],
];

interface View {
  reg: General | 'eip' | 'eflags';
  shift: number;
  mask: number;
}

function viewOf(name: string): View | undefined {
  if ((GENERAL as readonly string[]).includes(name) || name === 'eip' || name === 'eflags')
    return { reg: name as General, shift: 0, mask: 0xffffffff };
  if (name === 'ip') return { reg: 'eip', shift: 0, mask: 0xffff };
  if (name === 'flags') return { reg: 'eflags', shift: 0, mask: 0xffff };
  if (['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp'].includes(name))
    return { reg: `e${name}` as General, shift: 0, mask: 0xffff };
  const m = /^([abcd])([lh])$/.exec(name);
  if (m) return { reg: `e${m[1]}x` as General, shift: m[2] === 'h' ? 8 : 0, mask: 0xff };
  return undefined;
}

/**
 * Every register name a view reads, looked up once: the Variables view reads about 30 registers by name at
 * each stop, and the searches, array literals and regular expression above cost microseconds each while the
 * adapter's code is cold (the first hundreds of steps).
 */
const VIEWS = new Map<string, View>();
for (const name of [...GENERAL, 'eip', 'eflags', 'ip', 'flags', 'ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp'])
  VIEWS.set(name, viewOf(name)!);
for (const r of 'abcd') for (const half of 'lh') VIEWS.set(`${r}${half}`, viewOf(`${r}${half}`)!);

const view = (name: string): View | undefined => VIEWS.get(name);

const flagBit = (name: string): number | undefined => FLAGS.find(([n]) => n.toLowerCase() === name)?.[1];

/** A register, view, flag or system register by lower-case name. */
export function readRegister(regs: Registers, name: string): number | undefined {
  const v = view(name);
  if (v) return ((regs[v.reg] >>> v.shift) & v.mask) >>> 0;
  if ((SEGMENTS as readonly string[]).includes(name)) return regs[name as Segment].selector;
  const bit = flagBit(name);
  if (bit !== undefined) return (regs.eflags >>> bit) & 1;
  if (name === 'iopl') return (regs.eflags >>> 12) & 3;
  if (name === 'cr0' || name === 'cr2' || name === 'cr3' || name === 'cr4' || name === 'efer') return regs[name] >>> 0;
  const dr = /^dr([0-7])$/.exec(name);
  if (dr) return regs.dr[[0, 1, 2, 3, -1, -1, 4, 5][Number(dr[1])]] ?? undefined;
  return undefined;
}

/** The change that sets one register, view or flag; throws saying why when it cannot be set. */
export function writeRegister(regs: Registers, name: string, value: number): Partial<Registers> {
  const v = view(name);
  if (v) {
    const old = regs[v.reg] >>> 0;
    const mask = (v.mask << v.shift) >>> 0;
    const next = ((old & ~mask) | ((value << v.shift) & mask)) >>> 0;
    return { [v.reg]: next } as Partial<Registers>;
  }
  if ((SEGMENTS as readonly string[]).includes(name)) {
    const seg = regs[name as Segment];
    if (value < 0 || value > 0xffff) throw new Error(`a selector is 16 bits (0 to 0xFFFF)`);
    const realMode = (regs.cr0 & 1) === 0 || (regs.eflags & (1 << 17)) !== 0;
    const next: SegmentRegister = realMode
      ? { ...seg, selector: value, base: value * 16 }
      : { ...seg, selector: value };
    if (!realMode)
      throw new Error(
        'in protected mode a selector is loaded with its descriptor; change it in the guest (mov) instead',
      );
    return { [name]: next } as Partial<Registers>;
  }
  const bit = flagBit(name);
  if (bit !== undefined) {
    if (value !== 0 && value !== 1) throw new Error(`a flag is 0 or 1`);
    return { eflags: value ? (regs.eflags | (1 << bit)) >>> 0 : (regs.eflags & ~(1 << bit)) >>> 0 };
  }
  if (name === 'cr0' || name === 'cr2' || name === 'cr3' || name === 'cr4' || name === 'efer')
    return { [name]: value >>> 0 } as Partial<Registers>;
  throw new Error(`"${name}" is not a register that can be set here`);
}

/** 16 or 32: the default operand size of the code segment (real mode and v8086 are 16-bit). */
export function codeBitness(regs: Registers): 16 | 32 {
  if ((regs.cr0 & 1) === 0 || (regs.eflags & (1 << 17)) !== 0) return 16;
  return (regs.cs.attrib >> 10) & 1 ? 32 : 16;
}

export function isRealMode(regs: Registers): boolean {
  return (regs.cr0 & 1) === 0;
}

/** The packed attributes in words: "code, readable, DPL 0, present, 32-bit, 4K granular". */
export function describeAttributes(attrib: number, system = false): string {
  const type = attrib & 0xf;
  const s = (attrib >> 4) & 1;
  const dpl = (attrib >> 5) & 3;
  const p = (attrib >> 7) & 1;
  const db = (attrib >> 10) & 1;
  const g = (attrib >> 11) & 1;
  const parts: string[] = [];
  if (s || !system) {
    if (type & 8) parts.push('code', type & 2 ? 'readable' : 'execute-only', ...(type & 4 ? ['conforming'] : []));
    else parts.push('data', type & 2 ? 'writable' : 'read-only', ...(type & 4 ? ['expand-down'] : []));
    if (type & 1) parts.push('accessed');
  } else parts.push(systemType(type));
  parts.push(`DPL ${dpl}`, p ? 'present' : 'not present', db ? '32-bit' : '16-bit');
  if (g) parts.push('4K granular');
  return parts.join(', ');
}

export function systemType(type: number): string {
  return (
    [
      'reserved',
      '16-bit TSS (available)',
      'LDT',
      '16-bit TSS (busy)',
      '16-bit call gate',
      'task gate',
      '16-bit interrupt gate',
      '16-bit trap gate',
      'reserved',
      '32-bit TSS (available)',
      'reserved',
      '32-bit TSS (busy)',
      '32-bit call gate',
      'reserved',
      '32-bit interrupt gate',
      '32-bit trap gate',
    ][type] ?? 'reserved'
  );
}
