// What AX and DX hold just before a line, as far as the straight-line code before it tells: enough to say
// which BIOS service an `int 0x10` calls (AH) and which port an `out dx, al` writes (DX). Walks forward from
// the enclosing label; anything it cannot follow makes the register unknown rather than wrong.
import type { ParsedFile } from './nasm-file';
import { parseNumber } from './nasm-file';

/** Byte halves tracked separately: `mov ah, 0x0e` then `lodsb` still knows AH. */
export interface KnownRegisters {
  al?: number;
  ah?: number;
  dl?: number;
  dh?: number;
}

const WINDOW = 40;

/** Finds the value text of an equ/%define by name in other files (the %include unit). */
export type ConstantLookup = (name: string) => string | undefined;

/** Value of an operand: a number, a character, or an equ/%define of this file or its unit (one level). */
export function evaluate(text: string, file: ParsedFile, lookup?: ConstantLookup): number | undefined {
  const direct = parseNumber(text);
  if (direct !== undefined) return direct;
  const name = text.trim();
  const def = file.defs.find((d) => (d.kind === 'equ' || d.kind === 'define') && d.name === name);
  const value = def?.value ?? lookup?.(name);
  return value !== undefined ? parseNumber(value) : undefined;
}

export function word(lo: number | undefined, hi: number | undefined): number | undefined {
  return lo === undefined || hi === undefined ? undefined : (hi << 8) | lo;
}

export function registersBefore(file: ParsedFile, line: number, lookup?: ConstantLookup): KnownRegisters {
  let from = Math.max(0, line - WINDOW);
  for (let l = line - 1; l >= from; l--) {
    const label = file.lines[l].label;
    if (label && !label.text.startsWith('.')) {
      from = l;
      break;
    }
  }
  const regs: KnownRegisters = {};
  for (let l = from; l < line; l++) {
    const lexed = file.lines[l];
    const op = lexed.op?.name;
    if (!op) continue;
    const [dst = '', src = ''] = lexed.operands.split(',').map((s, i) => (i === 0 ? s.trim().toLowerCase() : s.trim()));
    if (/^(int|call|ret|retf|iret|pusha|popa|pushad|popad|cpuid|rdmsr|rdtsc|mul|imul|div|idiv|cwd|cdq)$/.test(op)) {
      // Calls and BIOS services return values in AX (and some in DX); multiply/divide write both.
      regs.al = regs.ah = undefined;
      if (op !== 'int') regs.dl = regs.dh = undefined;
      continue;
    }
    if (/^(lodsb|xlat|xlatb|in|daa|das)$/.test(op)) {
      regs.al = undefined;
      if (op === 'in' && dst !== 'al') regs.ah = undefined;
      continue;
    }
    if (/^(lodsw|lodsd|lahf|cbw|cwde|aaa|aas|aam|aad)$/.test(op)) {
      regs.al = regs.ah = undefined;
      continue;
    }
    apply(regs, 'a', op, dst, src, file, lookup);
    apply(regs, 'd', op, dst, src, file, lookup);
  }
  return regs;
}

function apply(
  regs: KnownRegisters,
  r: 'a' | 'd',
  op: string,
  dst: string,
  src: string,
  file: ParsedFile,
  lookup?: ConstantLookup,
): void {
  const lo = `${r}l` as 'al' | 'dl';
  const hi = `${r}h` as 'ah' | 'dh';
  const full = [`${r}x`, `e${r}x`];
  const srcReg = src.toLowerCase();
  if (!(full.includes(dst) || dst === lo || dst === hi || (op === 'xchg' && [...full, lo, hi].includes(srcReg))))
    return;
  const value = evaluate(src, file, lookup);
  const setWord = (v: number | undefined) => {
    regs[lo] = v === undefined ? undefined : v & 0xff;
    regs[hi] = v === undefined ? undefined : (v >> 8) & 0xff;
  };
  if (op === 'mov' && value !== undefined) {
    if (full.includes(dst)) setWord(value & 0xffff);
    else regs[dst as 'al' | 'ah' | 'dl' | 'dh'] = value & 0xff;
    return;
  }
  if ((op === 'xor' || op === 'sub') && dst === srcReg) {
    if (full.includes(dst)) setWord(0);
    else regs[dst as 'al' | 'ah' | 'dl' | 'dh'] = 0;
    return;
  }
  const current = word(regs[lo], regs[hi]);
  if (current !== undefined && full.includes(dst)) {
    if (op === 'add' && value !== undefined) return setWord((current + value) & 0xffff);
    if (op === 'sub' && value !== undefined) return setWord((current - value) & 0xffff);
    if (op === 'inc') return setWord((current + 1) & 0xffff);
    if (op === 'dec') return setWord((current - 1) & 0xffff);
  }
  if (full.includes(dst) || op === 'xchg') setWord(undefined);
  else regs[dst as 'al' | 'ah' | 'dl' | 'dh'] = undefined;
}
