// What the gdb stub tells gdb about the CPU: the target description (qXfer:features:read:target.xml) and
// the register file behind 'g'/'G'/'p'/'P', in gdb's i386 numbering. gdb's i386 support needs the x87
// registers in the core feature; Bootvisor has no FPU, so they read as zero and writes are ignored.
// In real and virtual-8086 mode the architecture is i8086 (gdb disassembles 16-bit code) and EIP is
// presented as the linear address CS.base + IP, which is what gdb reads memory and sets breakpoints with;
// in protected mode with flat segments (every multiboot kernel) that is EIP itself.
import type { Registers, SegmentRegister } from './api';

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
