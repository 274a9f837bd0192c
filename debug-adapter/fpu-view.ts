// The x87 in the Variables view: ST(0)-ST(7) as decimals with their raw 80 bits and tags, the control word
// (rounding, precision, masks), the status word (flags, condition codes, TOP) and the tag word decoded, and
// the last instruction's opcode and pointers. ST0-ST7 and FCW take new values (fpuChange).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { FpuRegisters } from '../common/api';
import { hex, parseNumber } from '../common/expression';
import { parseFloat80, writeSt } from '../common/fpu-value';

type Variable = DebugProtocol.Variable;

const TAGS = ['valid', 'zero', 'special', 'empty'];
const ROUNDING = ['nearest', 'down', 'up', 'toward zero'];
const PRECISION = ['24-bit', 'reserved', '53-bit', '64-bit'];
const EXCEPTIONS = ['IE', 'DE', 'ZE', 'OE', 'UE', 'PE'];

/** An 80-bit value (20 hex digits, sign and exponent first) in decimal, 20 significant digits. */
export function decimal80(bits: string): string {
  const se = parseInt(bits.slice(0, 4), 16);
  const sig = BigInt(`0x${bits.slice(4)}`);
  const sign = se & 0x8000 ? '-' : '';
  const exp = se & 0x7fff;
  if (exp === 0x7fff) {
    if (sig === 1n << 63n) return `${sign}inf`;
    if (!(sig >> 63n)) return 'unsupported (pseudo-NaN/infinity)';
    return sig & (1n << 62n) ? `${sign}qnan` : `${sign}snan`;
  }
  if (sig === 0n) return `${sign}0`;
  if (exp !== 0 && !(sig >> 63n)) return 'unsupported (unnormal)';
  const e2 = (exp === 0 ? 1 : exp) - 16383 - 63; // value = sig * 2^e2
  // Scale by 10^k so that the integer part has about 21 digits, then round to 20.
  const approx = Math.floor((sig.toString(2).length - 1 + e2) * Math.log10(2));
  const k = 20 - approx;
  let n: bigint;
  if (k >= 0) n = e2 >= 0 ? (sig << BigInt(e2)) * 10n ** BigInt(k) : (sig * 10n ** BigInt(k)) >> BigInt(-e2);
  else n = e2 >= 0 ? (sig << BigInt(e2)) / 10n ** BigInt(-k) : (sig >> BigInt(-e2)) / 10n ** BigInt(-k);
  const all = n.toString();
  let exp10 = all.length - 1 - k;
  let digits = ((BigInt(all.slice(0, 21).padEnd(21, '0')) + 5n) / 10n).toString();
  if (digits.length > 20) {
    digits = digits.slice(0, 20);
    exp10 += 1;
  }
  const mantissa = `${digits[0]}.${digits.slice(1).replace(/0+$/, '') || '0'}`;
  return `${sign}${mantissa}${exp10 === 0 ? '' : `e${exp10 > 0 ? '+' : ''}${exp10}`}`;
}

function flagList(word: number, names: string[]): string {
  const set = names.filter((_, i) => word & (1 << i));
  return set.length ? set.join(' ') : 'none';
}

export function fpuVariables(f: FpuRegisters): Variable[] {
  const top = (f.fsw >> 11) & 7;
  const v = (name: string, value: string): Variable => ({ name, value, variablesReference: 0 });
  const regs = f.st.map((bits, i) => {
    const tag = (f.ftw >> (2 * ((top + i) & 7))) & 3;
    const text = tag === 3 ? 'empty' : decimal80(bits);
    return v(`ST${i}`, `${text} (0x${bits}${tag === 3 ? '' : `, ${TAGS[tag]}`})`);
  });
  const cc = [8, 9, 10, 14].map((b, i) => `C${i}=${(f.fsw >> b) & 1}`).join(' ');
  return [
    ...regs,
    v(
      'FCW',
      `0x${hex(f.fcw, 4)} (rounding ${ROUNDING[(f.fcw >> 10) & 3]}, precision ${PRECISION[(f.fcw >> 8) & 3]}, ` +
        `masked ${flagList(f.fcw, EXCEPTIONS)})`,
    ),
    v(
      'FSW',
      `0x${hex(f.fsw, 4)} (TOP=${top} ${cc}, flags ${flagList(f.fsw, EXCEPTIONS)}` +
        `${f.fsw & 0x40 ? ' SF' : ''}${f.fsw & 0x80 ? ' ES' : ''})`,
    ),
    v(
      'FTW',
      `0x${hex(f.ftw, 4)} (${[0, 1, 2, 3, 4, 5, 6, 7].map((r) => `R${r} ${TAGS[(f.ftw >> (2 * r)) & 3]}`).join(', ')})`,
    ),
    v('FOP', `0x${hex(f.fop, 3)}`),
    v('FIP', `${hex(f.fcs, 4)}:${hex(f.fip, 8)}`),
    v('FDP', `${hex(f.fds, 4)}:${hex(f.fdp, 8)}`),
  ];
}

/**
 * The change for the user typing `text` as the new value of `name` in the FPU scope: ST0-ST7 take a decimal
 * (rounded to nearest at 64 bits), inf, nan or the raw 80 bits as 0x and 20 hex digits; FCW a number up to
 * 0xFFFF. Throws with what to write instead.
 */
export function fpuChange(f: FpuRegisters, name: string, text: string): Partial<FpuRegisters> {
  const st = /^ST([0-7])$/i.exec(name);
  if (st) {
    const v = parseFloat80(text);
    if ('error' in v) throw new Error(v.error);
    return writeSt(f, Number(st[1]), v.bits);
  }
  if (/^FCW$/i.test(name)) {
    const n = parseNumber(text);
    if (n === undefined || n > 0xffff)
      throw new Error(`"${text.trim()}" is not a control word (a number from 0 to 0xFFFF, e.g. 0x037F or 895)`);
    return { fcw: n };
  }
  throw new Error(`${name} is read-only here (ST0-ST7 and FCW can be changed)`);
}
