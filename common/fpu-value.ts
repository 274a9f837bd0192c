// x87 register values as text and bytes, for the front ends that change them (the gdb stub's G/P packets, the
// debugger's Variables): 80-bit values as 20 hex digits (sign and exponent first, as getFpu gives them), from
// decimal text rounded to nearest-even at 64 bits, to and from gdb's little-endian bytes, and the tag word a
// register written from outside gets (what FXRSTOR would compute: a value makes its register non-empty).
import type { FpuRegisters } from './api';

const SIG_BITS = 64n;
const BIAS = 16383;
const MAX_EXP = 0x7fff;

/** The tag a value gets: 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unsupported). */
export function tagOf(bits: string): number {
  const exp = parseInt(bits.slice(0, 4), 16) & MAX_EXP;
  const sig = BigInt(`0x${bits.slice(4)}`);
  if (exp === 0) return sig === 0n ? 1 : 2;
  if (exp === MAX_EXP || !(sig >> 63n)) return 2;
  return 0;
}

/** The change that puts `bits` in ST(i): the register and its tag (the others' tags stay). */
export function writeSt(f: FpuRegisters, i: number, bits: string): Partial<FpuRegisters> {
  const phys = (((f.fsw >> 11) & 7) + i) & 7;
  const st: (string | undefined)[] = new Array(8).fill(undefined);
  st[i] = bits.toUpperCase();
  const ftw = (f.ftw & ~(3 << (2 * phys))) | (tagOf(bits) << (2 * phys));
  return { st: st as string[], ftw };
}

/** gdb's i387_ext register bytes (ten, little-endian, as hex) from our 20 digits, and back. */
export function toGdbHex(bits: string): string {
  return (bits.match(/../g) ?? []).reverse().join('').toLowerCase();
}
export function fromGdbHex(hex: string): string {
  return (hex.match(/../g) ?? []).reverse().join('').toUpperCase();
}

const hex20 = (sign: boolean, exp: number, sig: bigint): string =>
  ((sign ? 0x8000 : 0) | exp).toString(16).padStart(4, '0').toUpperCase() +
  sig.toString(16).padStart(16, '0').toUpperCase();

const bitLength = (n: bigint): number => n.toString(2).length;

/**
 * An 80-bit value from what a person types: a decimal (`-1.5`, `6.02e23`, `1e-4940`), `inf`, `-inf`, `nan`
 * (the default quiet NaN), or the raw bits as `0x` and 20 hex digits. Decimals are rounded to nearest-even at
 * 64 significant bits, as FLD of a decimal string would be; the answer is the bits or why the text is not
 * a value.
 */
export function parseFloat80(text: string): { bits: string } | { error: string } {
  const t = text.trim();
  const raw = /^0x([0-9a-f]{20})$/i.exec(t);
  if (raw) return { bits: raw[1].toUpperCase() };
  if (/^0x[0-9a-f]*$/i.test(t))
    return { error: `"${t}": raw bits need exactly 20 hex digits after 0x (sign and exponent first)` };
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (special) {
    const sign = special[1] === '-';
    return special[2].toLowerCase() === 'nan'
      ? { bits: hex20(sign, MAX_EXP, 0xc000000000000000n) }
      : { bits: hex20(sign, MAX_EXP, 1n << 63n) };
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(t);
  if (!m || (!m[2] && !m[3]))
    return { error: `"${t}" is not a number (write 1.5, -2e10, inf, nan or 0x and 20 hex digits)` };
  const sign = m[1] === '-';
  const digits = (m[2] ?? '') + (m[3] ?? '');
  const exp10 = Number(m[4] ?? '0') - (m[3]?.length ?? 0);
  const mant = BigInt(digits.replace(/^0+/, '') || '0');
  if (mant === 0n) return { bits: hex20(sign, 0, 0n) };
  // 10^exp10 beyond these is far outside the format (its range is about 3.6e-4951 to 1.2e4932).
  const magnitude = exp10 + digits.replace(/^0+/, '').length;
  if (magnitude > 4940) return { error: `"${t}" is too large for 80-bit extended precision (at most about 1.19e4932)` };
  if (magnitude < -4960) return { bits: hex20(sign, 0, 0n) };
  const num = exp10 >= 0 ? mant * 10n ** BigInt(exp10) : mant;
  const den = exp10 >= 0 ? 1n : 10n ** BigInt(-exp10);
  // value = num/den = q * 2^e with q a 64-bit integer whose top bit is set (or a denormal's, at the least e).
  const quotient = (e: number): [bigint, bigint] => {
    const n = e < 0 ? num << BigInt(-e) : num;
    const d = e > 0 ? den << BigInt(e) : den;
    return [n / d, n % d];
  };
  let e = bitLength(num) - bitLength(den) - Number(SIG_BITS);
  let [q, r] = quotient(e);
  while (q >= 1n << SIG_BITS) [q, r] = quotient(++e);
  while (q < 1n << (SIG_BITS - 1n)) [q, r] = quotient(--e);
  const minE = 1 - BIAS - 63;
  if (e < minE) [q, r] = quotient((e = minE)); // a denormal: fewer significant bits at the least exponent
  const d = e > 0 ? den << BigInt(e) : den;
  if (2n * r > d || (2n * r === d && q & 1n)) q += 1n;
  if (q >= 1n << SIG_BITS) {
    q >>= 1n;
    e += 1;
  }
  const biased = q >> 63n ? e + 63 + BIAS : 0;
  if (biased >= MAX_EXP)
    return { error: `"${t}" is too large for 80-bit extended precision (at most about 1.19e4932)` };
  return { bits: hex20(sign, biased, q) };
}
