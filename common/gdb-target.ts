// What the gdb stub tells gdb about the CPU: the target description (qXfer:features:read:target.xml) and
// the register file behind 'g'/'G'/'p'/'P', in gdb's i386 numbering. gdb's i386 support needs the x87
// registers in the core feature: ST0-ST7 and the x87 control registers come from the machine's FPU (zeros on a
// backend without one) and take writes.
// In real and virtual-8086 mode the architecture is i8086 (gdb disassembles 16-bit code) and EIP is
// presented as the linear address CS.base + IP, which is what gdb reads memory and sets breakpoints with;
// in protected mode with flat segments (every multiboot kernel) that is EIP itself.
import type { FpuRegisters, Registers, SegmentRegister } from './api';
import { fromGdbHex, toGdbHex, writeSt } from './fpu-value';

export type CpuMode = 'real' | 'v86' | 'protected16' | 'protected32';

export function cpuMode(r: Registers): CpuMode {
  if (!(r.cr0 & 1)) return 'real';
  if (r.eflags & 0x20000) return 'v86';
  return r.cs.attrib & 0x400 ? 'protected32' : 'protected16';
}

/** gdb's architecture name for a mode: i8086 disassembles 16-bit code, i386 32-bit. */
export function gdbArchitecture(mode: CpuMode): 'i8086' | 'i386' {
  return mode === 'protected32' ? 'i386' : 'i8086';
}

interface RegisterSpec {
  name: string;
  bits: 32 | 80;
  type: string;
  group?: string;
  feature: 'core' | 'system';
}

const GPRS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
const SEGMENTS = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const;
/** gdb's i386 integer registers in its order (`info registers`, the first 16 of a `g` packet). */
export const I386_CORE_REGISTERS = [...GPRS, 'eip', 'eflags', ...SEGMENTS] as const;
const X87_CONTROL = ['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'];

/** Registers in gdb's order: i386 core (0-31), then Bootvisor's system registers. */
export const REGISTERS: RegisterSpec[] = [
  ...GPRS.map((name) => ({
    name,
    bits: 32 as const,
    type: name === 'esp' || name === 'ebp' ? 'data_ptr' : 'int32',
    feature: 'core' as const,
  })),
  { name: 'eip', bits: 32, type: 'code_ptr', feature: 'core' },
  { name: 'eflags', bits: 32, type: 'i386_eflags', feature: 'core' },
  ...SEGMENTS.map((name) => ({ name, bits: 32 as const, type: 'int32', feature: 'core' as const })),
  ...[...Array(8).keys()].map((i) => ({
    name: `st${i}`,
    bits: 80 as const,
    type: 'i387_ext',
    feature: 'core' as const,
  })),
  ...X87_CONTROL.map((name) => ({ name, bits: 32 as const, type: 'int', group: 'float', feature: 'core' as const })),
  ...['cr0', 'cr2', 'cr3', 'cr4'].map((name) => ({
    name,
    bits: 32 as const,
    type: 'int32',
    group: 'system',
    feature: 'system' as const,
  })),
  ...SEGMENTS.map((s) => ({
    name: `${s}_base`,
    bits: 32 as const,
    type: 'data_ptr',
    group: 'system',
    feature: 'system' as const,
  })),
  ...['gdtr_base', 'gdtr_limit', 'idtr_base', 'idtr_limit'].map((name) => ({
    name,
    bits: 32 as const,
    type: 'int32',
    group: 'system',
    feature: 'system' as const,
  })),
];

const EFLAGS_FLAGS = [
  ['CF', 0],
  ['', 1],
  ['PF', 2],
  ['AF', 4],
  ['ZF', 6],
  ['SF', 7],
  ['TF', 8],
  ['IF', 9],
  ['DF', 10],
  ['OF', 11],
  ['NT', 14],
  ['RF', 16],
  ['VM', 17],
  ['AC', 18],
  ['VIF', 19],
  ['VIP', 20],
  ['ID', 21],
] as const;

/** The target description for a mode (gdb reads it when it connects). */
export function targetXml(mode: CpuMode): string {
  const reg = (r: RegisterSpec, regnum?: number): string =>
    `<reg name="${r.name}" bitsize="${r.bits}" type="${r.type}"${r.group ? ` group="${r.group}"` : ''}${regnum !== undefined ? ` regnum="${regnum}"` : ''}/>`;
  const flags = EFLAGS_FLAGS.map(([n, b]) => `<field name="${n}" start="${b}" end="${b}"/>`).join('');
  const core = REGISTERS.filter((r) => r.feature === 'core')
    .map((r) => reg(r))
    .join('\n');
  const firstSystem = REGISTERS.findIndex((r) => r.feature === 'system');
  const system = REGISTERS.filter((r) => r.feature === 'system')
    .map((r, i) => reg(r, i === 0 ? firstSystem : undefined))
    .join('\n');
  return (
    '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n' +
    `<architecture>${gdbArchitecture(mode)}</architecture>\n` +
    `<feature name="org.gnu.gdb.i386.core">\n<flags id="i386_eflags" size="4">${flags}</flags>\n${core}\n</feature>\n` +
    `<feature name="org.bootvisor.x86.system">\n${system}\n</feature>\n</target>\n`
  );
}

const isReal = (r: Registers): boolean => cpuMode(r) === 'real' || cpuMode(r) === 'v86';

/** A register's value as gdb sees it (undefined for the x87 registers, which read as zeros). */
export function registerValue(r: Registers, name: string): number | undefined {
  if ((GPRS as readonly string[]).includes(name)) return r[name as (typeof GPRS)[number]] >>> 0;
  if ((SEGMENTS as readonly string[]).includes(name)) return r[name as (typeof SEGMENTS)[number]].selector;
  if (name.endsWith('_base') && (SEGMENTS as readonly string[]).includes(name.slice(0, 2)))
    return r[name.slice(0, 2) as (typeof SEGMENTS)[number]].base >>> 0;
  switch (name) {
    case 'eip':
      return (r.cs.base + r.eip) >>> 0;
    case 'eflags':
      return r.eflags >>> 0;
    case 'cr0':
    case 'cr2':
    case 'cr3':
    case 'cr4':
      return r[name] >>> 0;
    case 'gdtr_base':
      return r.gdtr.base >>> 0;
    case 'gdtr_limit':
      return r.gdtr.limit;
    case 'idtr_base':
      return r.idtr.base >>> 0;
    case 'idtr_limit':
      return r.idtr.limit;
  }
  return undefined;
}

/**
 * The change to make for gdb writing `value` to a register, or a reason it cannot be done. Segment registers
 * change only in real/V86 mode (a protected-mode selector would need its descriptor loaded: write the
 * register from the guest instead); the x87 and table registers ignore writes of what they hold.
 */
export function registerWrite(r: Registers, name: string, value: number): Partial<Registers> | string | undefined {
  value >>>= 0;
  if ((GPRS as readonly string[]).includes(name)) return { [name]: value };
  if (name === 'eip') return { eip: (value - r.cs.base) >>> 0 };
  if (name === 'eflags') return { eflags: value };
  if (name === 'cr0' || name === 'cr2' || name === 'cr3' || name === 'cr4') return { [name]: value };
  if ((SEGMENTS as readonly string[]).includes(name)) {
    const seg = r[name as (typeof SEGMENTS)[number]];
    if ((value & 0xffff) === seg.selector) return undefined;
    if (!isReal(r))
      return `${name} cannot be changed from gdb in protected mode (its descriptor would have to be loaded)`;
    const changed: SegmentRegister = { ...seg, selector: value & 0xffff, base: (value & 0xffff) << 4 };
    return { [name]: changed };
  }
  if (registerValue(r, name) === value || registerValue(r, name) === undefined) return undefined;
  return `${name} is read-only here`;
}

/** gdb's x87 control registers and the FpuRegisters field each one is. */
const X87_FIELDS: Record<string, keyof Omit<FpuRegisters, 'st'>> = {
  fctrl: 'fcw',
  fstat: 'fsw',
  ftag: 'ftw',
  fiseg: 'fcs',
  fioff: 'fip',
  foseg: 'fds',
  fooff: 'fdp',
  fop: 'fop',
};

const le32 = (n: number): string =>
  [0, 8, 16, 24].map((s) => ((n >>> s) & 0xff).toString(16).padStart(2, '0')).join('');

/** An x87 register as gdb's bytes (hex), or undefined for a register that is not one of them. */
export function x87RegisterHex(f: FpuRegisters | undefined, name: string): string | undefined {
  const st = /^st([0-7])$/.exec(name);
  if (st) return f ? toGdbHex(f.st[Number(st[1])]) : '00'.repeat(10);
  const field = X87_FIELDS[name];
  if (!field) return undefined;
  return le32(f ? f[field] : 0);
}

/**
 * The FPU change for gdb writing an x87 register (hex as gdb sends it), undefined for a register that is not
 * one of them, or a reason it cannot be done. A value written to ST(i) makes that register valid, zero or
 * special by what it holds, as FRSTOR of an image holding it would; ftag sets the tags themselves.
 */
export function x87RegisterWrite(
  f: FpuRegisters | undefined,
  name: string,
  hex: string,
): Partial<FpuRegisters> | string | undefined {
  const st = /^st([0-7])$/.exec(name);
  const field = X87_FIELDS[name];
  if (!st && !field) return undefined;
  if (!f) return `${name}: this backend has no x87 registers`;
  if (st) return writeSt(f, Number(st[1]), fromGdbHex(hex));
  let v = 0;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = v * 256 + parseInt(hex.slice(i, i + 2), 16);
  const max = field === 'fip' || field === 'fdp' ? 0xffffffff : field === 'fop' ? 0x7ff : 0xffff;
  if (v > max) return `${name} holds at most 0x${max.toString(16)}`;
  return { [field]: v };
}
