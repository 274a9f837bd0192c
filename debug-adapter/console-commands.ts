// Bochs- and gdb-style commands in the Debug Console, for users who think in them:
//   x/16xb ds:si   x/8xw 0x7c00   x/4i cs:ip   x/s msg     memory, as gdb's x (units b h w g; formats x d u c i s)
//   r  sreg  creg                                          registers compactly, as Bochs prints them
//   info gdt | idt | tss                                   the descriptor tables and the current TSS
//   page 0x7c00                                            the page walk of a linear address
// Anything else is an expression (evaluation.ts). A command's answer is text; it never changes the guest.
import type { Machine, Registers } from '../common/api';
import { hex } from '../common/expression';
import { disassembleRequest } from './disassembly';
import { readWhatIsReadable, readUint } from './memory';
import { FLAGS, systemType } from './registers';
import type { Runtime } from './runtime';

export const CONSOLE_HELP = [
  'x/NFU addr    memory as gdb: N units, F = x d u c s i, U = b h w g (x/16xb ds:si, x/4i cs:ip, x/s msg)',
  'r, sreg, creg registers (Bochs style)',
  'info gdt | idt | tss',
  'page addr     page walk of a linear address',
  'anything else a NASM expression: word [es:di+2], [counter] == 3, es:di, a label',
].join('\n');

/** The answer to a console command, or undefined when the text is no command (an expression then). */
export function consoleCommand(rt: Runtime, text: string): string | undefined {
  const t = text.trim();
  let m: RegExpExecArray | null;
  // `x + 1` stays an expression: after a bare x, an operator is no address.
  if ((m = /^x(?:\/(\d*)([xducsi]?)([bhwg]?))?\s+([^\s+\-*/&|^=<>!%].*)$/i.exec(t)))
    return examine(rt, Number(m[1] || 1), (m[2] || 'x').toLowerCase(), (m[3] || 'b').toLowerCase(), m[4]);
  if (/^(r|regs|info\s+registers)$/i.test(t)) return generalRegisters(rt.registers());
  if (/^sreg$/i.test(t)) return segmentRegisters(rt.registers());
  if (/^creg$/i.test(t)) return controlRegisters(rt.registers());
  if ((m = /^info\s+(gdt|idt)$/i.exec(t))) return scopeLines(rt, m[1].toUpperCase());
  if (/^info\s+tss$/i.test(t)) return tss(rt.currentMachine, rt.registers());
  if ((m = /^page\s+(.+)$/i.exec(t))) {
    const linear = addressOf(rt, m[1]);
    const walk = rt.currentMachine.translate(linear);
    return [
      `page walk of 0x${hex(linear, 8)}:`,
      ...walk.steps.map((s) => `  ${s}`),
      walk.physical !== undefined ? `-> physical 0x${hex(walk.physical, 8)}` : '-> not mapped',
    ].join('\n');
  }
  if (/^(help|\?)$/i.test(t)) return CONSOLE_HELP;
  return undefined;
}

/** An address the way the user writes it: seg:off, a label, [memory] (its address) or a number. */
function addressOf(rt: Runtime, expression: string): number {
  const v = rt.evaluateText(expression);
  return (v.address ?? Number(v.text)) >>> 0;
}

const UNIT: Record<string, number> = { b: 1, h: 2, w: 4, g: 8 };
const MAX_UNITS = 4096;

function examine(rt: Runtime, count: number, format: string, unitName: string, expression: string): string {
  const machine = rt.currentMachine;
  const start = addressOf(rt, expression);
  count = Math.max(1, Math.min(count, MAX_UNITS));
  const label = (a: number) => {
    const s = rt.listing?.locate(a) ? rt.listing.symbolize(a) : undefined;
    return `0x${hex(a, 5)}${s ? ` <${s}>` : ''}:`;
  };
  if (format === 'i') {
    return disassembleRequest(machine, rt.registers(), rt.listing, start, 0, count, rt.executed)
      .map((i) => `${label(Number(i.address))} ${(i.instructionBytes ?? '').padEnd(20)} ${i.instruction}`)
      .join('\n');
  }
  if (format === 's') {
    const out: string[] = [];
    let at = start;
    for (let n = 0; n < count; n++) {
      const { data } = readWhatIsReadable(machine, at, 256);
      const end = data.indexOf(0);
      const bytes = data.subarray(0, end < 0 ? data.length : end);
      out.push(
        `${label(at)} "${[...bytes].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 ? String.fromCharCode(b) : `\\x${hex(b, 2)}`)).join('')}"${end < 0 ? '...' : ''}`,
      );
      at += bytes.length + 1;
    }
    return out.join('\n');
  }
  const unit = UNIT[unitName];
  const { data, unreadable } = readWhatIsReadable(machine, start, count * unit);
  const perLine = Math.max(1, 16 / unit);
  const lines: string[] = [];
  for (let k = 0; k * unit < data.length - unit + 1; k += perLine) {
    const cells: string[] = [];
    for (let j = k; j < Math.min(count, k + perLine) && (j + 1) * unit <= data.length; j++) {
      let v = 0n;
      for (let b = unit - 1; b >= 0; b--) v = (v << 8n) | BigInt(data[j * unit + b]);
      cells.push(formatUnit(v, unit, format));
    }
    lines.push(`${label(start + k * unit)} ${cells.join(' ')}`);
  }
  if (unreadable)
    lines.push(
      `(${unreadable} byte${unreadable === 1 ? '' : 's'} from 0x${hex(start + data.length, 5)} cannot be read)`,
    );
  return lines.join('\n');
}

function formatUnit(v: bigint, unit: number, format: string): string {
  const bits = BigInt(unit * 8);
  switch (format) {
    case 'd':
      return String(v >= 1n << (bits - 1n) ? v - (1n << bits) : v);
    case 'u':
      return String(v);
    case 'c':
      return v >= 0x20n && v < 0x7fn ? `'${String.fromCharCode(Number(v))}'` : `0x${v.toString(16).padStart(2, '0')}`;
    default:
      return `0x${v
        .toString(16)
        .toUpperCase()
        .padStart(unit * 2, '0')}`;
  }
}

function generalRegisters(r: Registers): string {
  const w = (n: number) => hex(n & 0xffff, 4);
  const d = (n: number) => hex(n, 8);
  const flags = FLAGS.filter(([, bit]) => bit <= 11)
    .map(([name, bit]) => ((r.eflags >>> bit) & 1 ? name : name.toLowerCase()))
    .join(' ');
  return [
    `ax ${w(r.eax)}  bx ${w(r.ebx)}  cx ${w(r.ecx)}  dx ${w(r.edx)}  si ${w(r.esi)}  di ${w(r.edi)}  bp ${w(r.ebp)}  sp ${w(r.esp)}`,
    `cs:ip ${w(r.cs.selector)}:${w(r.eip)}  ss:sp ${w(r.ss.selector)}:${w(r.esp)}  ds ${w(r.ds.selector)}  es ${w(r.es.selector)}  fs ${w(r.fs.selector)}  gs ${w(r.gs.selector)}`,
    `eax ${d(r.eax)} ebx ${d(r.ebx)} ecx ${d(r.ecx)} edx ${d(r.edx)}`,
    `esi ${d(r.esi)} edi ${d(r.edi)} ebp ${d(r.ebp)} esp ${d(r.esp)} eip ${d(r.eip)}`,
    `eflags ${d(r.eflags)}: ${flags} IOPL ${(r.eflags >>> 12) & 3}`,
  ].join('\n');
}

function segmentRegisters(r: Registers): string {
  return (['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const)
    .map(
      (n) =>
        `${n.padEnd(4)} 0x${hex(r[n].selector, 4)}  base 0x${hex(r[n].base, 8)}  limit 0x${hex(r[n].limit, 8)}  attrib 0x${hex(r[n].attrib, 4)}`,
    )
    .concat([
      `gdtr base 0x${hex(r.gdtr.base, 8)}  limit 0x${hex(r.gdtr.limit, 4)}`,
      `idtr base 0x${hex(r.idtr.base, 8)}  limit 0x${hex(r.idtr.limit, 4)}`,
    ])
    .join('\n');
}

function controlRegisters(r: Registers): string {
  return [
    `cr0 0x${hex(r.cr0, 8)}: PE=${r.cr0 & 1} PG=${(r.cr0 >>> 31) & 1}`,
    `cr2 0x${hex(r.cr2, 8)}  cr3 0x${hex(r.cr3, 8)}  cr4 0x${hex(r.cr4, 8)}  efer 0x${hex(r.efer, 8)}`,
  ].join('\n');
}

/** The GDT or IDT as the Variables view shows it, one entry a line. */
function scopeLines(rt: Runtime, name: string): string {
  const scope = rt.variables.scopes().find((s) => s.name === name);
  if (!scope) return `no ${name}`;
  const vars = rt.variables.variables(scope.variablesReference);
  const r = rt.registers();
  const table = name === 'GDT' ? r.gdtr : r.idtr;
  return [
    `${name} at 0x${hex(table.base, 8)}, limit 0x${hex(table.limit, 4)}:`,
    ...vars.map((v) => `  ${v.name}  ${v.value}`),
  ].join('\n');
}

/** The task register's TSS: 32-bit (type 9/11) or 16-bit (1/3) layout. */
function tss(machine: Machine, r: Registers): string {
  const type = r.tr.attrib & 0xf;
  if (r.tr.selector === 0 && r.tr.base === 0) return 'TR holds no TSS (the guest has not run LTR)';
  const head = `TR 0x${hex(r.tr.selector, 4)}: ${systemType(type)} at 0x${hex(r.tr.base, 8)}, limit 0x${hex(r.tr.limit, 4)}`;
  const at = (off: number, size: number) => {
    try {
      return hex(readUint(machine, r.tr.base + off, size), size * 2);
    } catch {
      return '?'.repeat(size * 2);
    }
  };
  if (type === 1 || type === 3) {
    const f = (name: string, off: number) => `${name} ${at(off, 2)}`;
    return [
      head,
      [f('link', 0), f('sp0', 2), f('ss0', 4), f('sp1', 6), f('ss1', 8), f('sp2', 10), f('ss2', 12)].join('  '),
      [
        f('ip', 14),
        f('flags', 16),
        f('ax', 18),
        f('cx', 20),
        f('dx', 22),
        f('bx', 24),
        f('sp', 26),
        f('bp', 28),
        f('si', 30),
        f('di', 32),
      ].join('  '),
      [f('es', 34), f('cs', 36), f('ss', 38), f('ds', 40), f('ldt', 42)].join('  '),
    ].join('\n');
  }
  const d = (name: string, off: number) => `${name} ${at(off, 4)}`;
  const s = (name: string, off: number) => `${name} ${at(off, 2)}`;
  return [
    head,
    [s('link', 0), d('esp0', 4), s('ss0', 8), d('esp1', 12), s('ss1', 16), d('esp2', 20), s('ss2', 24)].join('  '),
    [d('cr3', 28), d('eip', 32), d('eflags', 36)].join('  '),
    [
      d('eax', 40),
      d('ecx', 44),
      d('edx', 48),
      d('ebx', 52),
      d('esp', 56),
      d('ebp', 60),
      d('esi', 64),
      d('edi', 68),
    ].join('  '),
    [s('es', 72), s('cs', 76), s('ss', 80), s('ds', 84), s('fs', 88), s('gs', 92), s('ldt', 96), s('iomap', 102)].join(
      '  ',
    ),
  ].join('\n');
}
