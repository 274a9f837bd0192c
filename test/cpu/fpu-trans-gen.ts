// Generated transcendental tables for the differential test (test/cpu/fpu-trans-diff.test.ts): FSIN FCOS
// FPTAN FSINCOS FPATAN F2XM1 FYL2X FYL2XP1 with operands in each instruction's ranges (as
// native/tools/fpu_trans_oracle.h names them: tiny, small, mid, large, denormal, special) and control words
// cycling through every rounding control, all exceptions masked. The boot-sector program prints one line per
// entry to port 0xE9: the result and the value pushed (FPTAN's 1, FSINCOS's cosine; else zeros), 20 hex
// digits each, and the status word's C2 C1 and exception flags; fpu_oracle --trtable prints the host x87's
// lines in the same format. Table entries have fpu-diff-gen.ts's layout (op, control word, a, b).
import { make, tableOf, tableProgram, writeFiles, Rng, TOP, type F80 } from './fpu-diff-gen';

export const TR_OPS = ['fsin', 'fcos', 'fptan', 'fsincos', 'fpatan', 'f2xm1', 'fyl2x', 'fyl2xp1'] as const;
export const RANGES = ['tiny', 'small', 'mid', 'large', 'denormal', 'special'] as const;
export const TR_SW_MASK = 0x063f;

/** Each instruction in the guest: ST(0) = a, ST(1) = b. Leaves the result in `res`, the pushed value in `res2`. */
const OP_CODE: string[] = [
  'fsin\n fnstsw [swv]\n fstp tword [res]',
  'fcos\n fnstsw [swv]\n fstp tword [res]',
  'fptan\n fnstsw [swv]\n test byte [swv + 1], 4\n jnz .oor\n fstp tword [res2]\n.oor:\n fstp tword [res]',
  'fsincos\n fnstsw [swv]\n test byte [swv + 1], 4\n jnz .oor\n fstp tword [res2]\n.oor:\n fstp tword [res]',
  'fpatan\n fnstsw [swv]\n fstp tword [res]',
  'f2xm1\n fnstsw [swv]\n fstp tword [res]',
  'fyl2x\n fnstsw [swv]\n fstp tword [res]',
  'fyl2xp1\n fnstsw [swv]\n fstp tword [res]',
];

const BIAS = 16383;
/** |x| in [2^lo, 2^hi) with a random sign. */
const num = (r: Rng, lo: number, hi: number, sign = (r.next() & 1n) === 1n): F80 =>
  make(sign, BIAS + lo + r.int(hi - lo), r.next() | TOP);
const denormal = (r: Rng): F80 => make((r.next() & 1n) === 1n, 0, r.next() >> BigInt(r.int(64)));

function special(r: Rng): F80 {
  const s = (r.next() & 1n) === 1n;
  switch (r.int(6)) {
    case 0:
      return make(s, 0, 0n);
    case 1:
      return make(s, 0x7fff, TOP);
    case 2:
      return make(s, 0x7fff, TOP | (1n << 62n) | (r.next() >> 2n));
    case 3:
      return make(s, 0x7fff, TOP | ((r.next() >> 2n) | 1n));
    case 4:
      return make(s, 1 + r.int(0x7ffe), r.next() & ~TOP);
    default:
      return make(s, BIAS + 63 + r.int(300), r.next() | TOP);
  }
}

/** One operand pair of an instruction's range. */
function operands(r: Rng, op: number, range: number): [F80, F80] {
  let b = num(r, -20, 20);
  const pick = (tiny: () => F80, small: () => F80, mid: () => F80, large: () => F80): F80 =>
    [tiny, small, mid, large, () => denormal(r), () => special(r)][range]();
  switch (TR_OPS[op]) {
    case 'fsin':
    case 'fcos':
    case 'fptan':
    case 'fsincos':
      return [
        pick(
          () => num(r, -200, -32),
          () => num(r, -32, -1),
          () => num(r, 0, 20),
          () => num(r, 20, 63),
        ),
        b,
      ];
    case 'fpatan': {
      const a = num(r, -60, 60);
      const ea = (a.se & 0x7fff) - BIAS;
      b = pick(
        () => num(r, ea - 200, ea - 32),
        () => num(r, ea - 32, ea + 32),
        () => num(r, ea + 33, ea + 200),
        () => num(r, -16000, 16000),
      );
      return (r.next() & 1n) === 1n && range >= 4 ? [b, a] : [a, b];
    }
    case 'f2xm1':
      return [
        pick(
          () => num(r, -200, -32),
          () => num(r, -32, 0),
          () =>
            make((r.next() & 1n) === 1n, BIAS - 1 + r.int(2), TOP | ((r.next() & 1n) === 1n ? (1n << 63n) - 1n : 0n)),
          () => num(r, 0, 20),
        ),
        b,
      ];
    case 'fyl2x': {
      const a = pick(
        () => make(false, BIAS, TOP | (r.next() >> 33n)),
        () => num(r, -200, 200, false),
        () => make(false, BIAS + r.int(64) - 32, TOP),
        () => make(false, 1 + r.int(0x7ffd), r.next() | TOP),
      );
      if (range === 3) b = make((r.next() & 1n) === 1n, 1 + r.int(0x7ffd), r.next() | TOP);
      if (range >= 4 && (r.next() & 1n) === 1n) return [num(r, -5, 5, false), range === 4 ? denormal(r) : special(r)];
      return [a, b];
    }
    default: {
      // fyl2xp1
      const a = pick(
        () => num(r, -200, -32),
        () => num(r, -32, -2),
        () => make(false, BIAS - 2, TOP | (r.next() >> 3n)),
        () => num(r, 0, 20),
      );
      if (range >= 4 && (r.next() & 1n) === 1n) return [b, a];
      return [a, b];
    }
  }
}

/** count entries from the seed: instruction k % 8, range (k / 8) % 6, rounding control (k / 48) % 4. */
export function table(seed: number, count: number): Buffer {
  const r = new Rng(seed);
  return tableOf(count, (k) => {
    const op = k % TR_OPS.length;
    const range = Math.floor(k / TR_OPS.length) % RANGES.length;
    const rc = Math.floor(k / (TR_OPS.length * RANGES.length)) % 4;
    const pc = [0, 2, 3][r.int(3)];
    const cw = 0x7f | (pc << 8) | (rc << 10);
    return [op, cw, ...operands(r, op, range)];
  });
}

/** Which instruction, range and rounding control entry k holds. */
export function entryOf(k: number): { op: string; range: string; rc: number } {
  return {
    op: TR_OPS[k % TR_OPS.length],
    range: RANGES[Math.floor(k / TR_OPS.length) % RANGES.length],
    rc: Math.floor(k / (TR_OPS.length * RANGES.length)) % 4,
  };
}

/** The NASM source of a boot-sector program that runs the table. */
export function programSource(tab: Buffer): string {
  return tableProgram(
    'test/cpu/fpu-trans-gen.ts: an x87 transcendental table run in real mode',
    OP_CODE,
    TR_SW_MASK,
    ['res', 'res2'],
    tab,
  );
}

/** Writes the program for a seed into dir; returns the .asm path and the table path. */
export function writeProgram(dir: string, seed: number, count: number): { asm: string; table: string } {
  const tab = table(seed, count);
  return writeFiles(dir, `fpu-trans-${seed}`, programSource(tab), tab);
}
