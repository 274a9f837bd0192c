// Generated x87 differential programs: a seeded table of operations (every basic operation, load and store
// of native/tools/fpu_oracle.cpp's list, in the same order) with operands of every class (random, near the
// ends of the exponent range, denormals, pseudo-denormals, unnormals, zeros, infinities, quiet and
// signalling NaNs, ties) and control words cycling through every rounding and precision control, all
// exceptions masked. The boot-sector program (test/cpu/programs/lib) runs the table and prints one line per
// entry to port 0xE9: the ten result bytes (ST(0) after the operation, or the memory operand a store wrote),
// most significant first, and the status word's C3 C2 C1 C0 and exception flags. The same table goes to
// fpu_oracle --table, which runs it on the host's x87 and prints lines in the same format.
import * as fs from 'fs';
import * as path from 'path';

export const OPS = [
  'fadd',
  'fsub',
  'fmul',
  'fdiv',
  'fsqrt',
  'fprem',
  'fprem1',
  'frndint',
  'fscale',
  'fxtract',
  'fcom',
  'fucom',
  'fst m32',
  'fst m64',
  'fld m32',
  'fld m64',
  'fist m16',
  'fist m32',
  'fistp m64',
  'fbstp',
] as const;

/** Each op's code in the guest: ST(0) = a, ST(1) = b; leaves the result in `res` and the status in `swv`. */
const OP_CODE: string[] = [
  'fadd st0, st1\n fnstsw [swv]\n fstp tword [res]',
  'fsub st0, st1\n fnstsw [swv]\n fstp tword [res]',
  'fmul st0, st1\n fnstsw [swv]\n fstp tword [res]',
  'fdiv st0, st1\n fnstsw [swv]\n fstp tword [res]',
  'fsqrt\n fnstsw [swv]\n fstp tword [res]',
  'fprem\n fnstsw [swv]\n fstp tword [res]',
  'fprem1\n fnstsw [swv]\n fstp tword [res]',
  'frndint\n fnstsw [swv]\n fstp tword [res]',
  'fscale\n fnstsw [swv]\n fstp tword [res]',
  'fxtract\n fnstsw [swv]\n fstp tword [res]\n fstp tword [res2]',
  'fcom st1\n fnstsw [swv]',
  'fucom st1\n fnstsw [swv]',
  'fst dword [res]\n fnstsw [swv]',
  'fst qword [res]\n fnstsw [swv]',
  'fninit\n fldcw [si + 1]\n fld dword [si + 3]\n fnstsw [swv]\n fstp tword [res]',
  'fninit\n fldcw [si + 1]\n fld qword [si + 3]\n fnstsw [swv]\n fstp tword [res]',
  'fist word [res]\n fnstsw [swv]',
  'fist dword [res]\n fnstsw [swv]',
  'fistp qword [res]\n fnstsw [swv]',
  'fbstp [res]\n fnstsw [swv]',
];

/** The status word bits compared: C3 C2 C1 C0 and the six exception flags. */
export const SW_MASK = 0x473f;
export const ENTRY_BYTES = 23;

/** The tables' seeded generator (xorshift64). */
export class Rng {
  private s: bigint;
  constructor(seed: number) {
    this.s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  }
  next(): bigint {
    const m = (1n << 64n) - 1n;
    this.s ^= (this.s << 13n) & m;
    this.s ^= this.s >> 7n;
    this.s ^= (this.s << 17n) & m;
    return this.s;
  }
  int(n: number): number {
    return Number(this.next() % BigInt(n));
  }
}

export interface F80 {
  se: number;
  sig: bigint;
}

export const TOP = 1n << 63n;
const MASK64 = (1n << 64n) - 1n;
export const make = (sign: boolean, exp: number, sig: bigint): F80 => ({
  se: (sign ? 0x8000 : 0) | exp,
  sig: sig & MASK64,
});

function gen(r: Rng): F80 {
  const s = (r.next() & 1n) === 1n;
  const m = r.next() | TOP;
  switch (r.int(20)) {
    case 0:
      return make(s, 0, 0n);
    case 1:
      return make(s, 0x7fff, TOP);
    case 2:
      return make(s, 0x7fff, TOP | (1n << 62n) | (r.next() >> 2n));
    case 3:
      return make(s, 0x7fff, TOP | ((r.next() >> 2n) | 1n));
    case 4:
      return make(s, 0, r.next() >> BigInt(r.int(64)));
    case 5:
      return make(s, 0, m);
    case 6:
      return make(s, 1 + r.int(70), m);
    case 7:
      return make(s, 0x7ffe - r.int(70), m);
    case 8:
      return make(s, 16383 + r.int(64), m & ~((1n << BigInt(r.int(64))) - 1n));
    case 9:
      return make(s, 16382 + r.int(4), TOP | ((r.next() & 0xffn) << BigInt(r.int(40))));
    case 10:
      return make(s, 1 + r.int(0x7ffe), m & ~TOP);
    case 11:
      return make(s, 16383 + r.int(40) - 20, m | ((1n << 40n) - 1n));
    default:
      return make(s, 16383 + r.int(128) - 64, m);
  }
}

function near(r: Rng, a: F80): F80 {
  const e = a.se & 0x7fff;
  if (r.int(3) === 0 || e <= 72 || e >= 0x7ffe - 70) return gen(r);
  const sign = ((a.se >> 15) ^ r.int(2)) === 1;
  let sig = a.sig;
  if (r.int(2)) sig ^= r.next() >> BigInt(r.int(64));
  return make(sign, e - r.int(70) + 2, sig | TOP);
}

/** A table of count entries from entry(k) (called in order), each op, control word, a, b (10 bytes each,
 * little-endian), ended by 0xFF. */
export function tableOf(count: number, entry: (k: number) => [number, number, F80, F80]): Buffer {
  const out = Buffer.alloc(count * ENTRY_BYTES + 1);
  for (let k = 0; k < count; k++) {
    const [op, cw, a, b] = entry(k);
    const o = k * ENTRY_BYTES;
    out[o] = op;
    out.writeUInt16LE(cw, o + 1);
    out.writeBigUInt64LE(a.sig, o + 3);
    out.writeUInt16LE(a.se, o + 11);
    out.writeBigUInt64LE(b.sig, o + 13);
    out.writeUInt16LE(b.se, o + 21);
  }
  out[count * ENTRY_BYTES] = 0xff;
  return out;
}

/** count entries from the seed: each op under the 12 control words in turn, operands of every class. */
export function table(seed: number, count: number): Buffer {
  const r = new Rng(seed);
  return tableOf(count, (k) => {
    const op = k % OPS.length;
    const cwIndex = Math.floor(k / OPS.length) % 12;
    const rc = cwIndex % 4;
    const pc = [0, 2, 3][Math.floor(cwIndex / 4)];
    const cw = 0x7f | (pc << 8) | (rc << 10);
    const a = gen(r);
    const b = ['fadd', 'fsub', 'fprem', 'fprem1', 'fcom'].includes(OPS[op]) ? near(r, a) : gen(r);
    return [op, cw, a, b];
  });
}

/** The guest's routine that prints AL as two hex digits to the debug console. */
const HEX8 = `hex8:
  push ax
  shr al, 4
  call .nibble
  pop ax
.nibble:
  and al, 15
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 7
.out:
  out DEBUGCON, al
  ret
`;

/** A table as NASM db lines. */
function dbLines(tab: Buffer): string {
  const bytes: string[] = [];
  for (let k = 0; k < tab.length; k += 16)
    bytes.push(` db ${Array.from(tab.subarray(k, k + 16), (b) => `0x${b.toString(16)}`).join(',')}`);
  return bytes.join('\n');
}

/**
 * The NASM source of a boot-sector program that runs a table (fpu-diff-gen.ts's or fpu-trans-gen.ts's): each
 * entry loads b then a, calls opCode[op] (which leaves its results in res and res2 and the status word in swv)
 * and prints each of `printed` as 20 hex digits and then the status word under swMask, one line per entry.
 */
export function tableProgram(
  generator: string,
  opCode: readonly string[],
  swMask: number,
  printed: readonly ('res' | 'res2')[],
  tab: Buffer,
): string {
  const print = printed.map((v) => `  mov di, ${v} + 9\n  call hex80\n  mov al, ' '\n  out DEBUGCON, al\n`).join('');
  return `; Generated by ${generator}.
%include "lib/boot.inc"

main:
  mov si, entries
.next:
  cmp byte [si], 0xFF
  je .done
  mov di, res
  mov cx, 20
  xor al, al
  rep stosb
  fninit
  fldcw [si + 1]
  fld tword [si + 13]
  fld tword [si + 3]
  movzx bx, byte [si]
  shl bx, 1
  call [ops + bx]
  fninit
${print}  mov ax, [swv]
  and ax, ${swMask}
  push ax
  mov al, ah
  call hex8
  pop ax
  call hex8
  mov al, 10
  out DEBUGCON, al
  add si, ${ENTRY_BYTES}
  jmp .next
.done:
  DONE16

hex80:
  mov cx, 10
.byte:
  mov al, [di]
  call hex8
  dec di
  loop .byte
  ret

${HEX8}
${opCode.map((c, k) => `op${k}:\n ${c}\n ret`).join('\n')}

ops: dw ${opCode.map((_, k) => `op${k}`).join(', ')}
align 4
res: times 10 db 0
res2: times 10 db 0
swv: dw 0
entries:
${dbLines(tab)}

%include "lib/end.inc"
`;
}

/** The NASM source of a boot-sector program that runs the table. */
export function programSource(tab: Buffer): string {
  return tableProgram(
    'test/cpu/fpu-diff-gen.ts: an x87 operation table run in real mode',
    OP_CODE,
    SW_MASK,
    ['res'],
    tab,
  );
}

/** Writes a program and its table into dir as NAME.asm and NAME.tab; returns both paths. */
export function writeFiles(dir: string, name: string, asm: string, tab: Buffer): { asm: string; table: string } {
  const asmPath = path.join(dir, `${name}.asm`);
  const tabPath = path.join(dir, `${name}.tab`);
  fs.writeFileSync(asmPath, asm);
  fs.writeFileSync(tabPath, tab);
  return { asm: asmPath, table: tabPath };
}

/** Writes the program for a seed into dir; returns the .asm path and the table path. */
export function writeProgram(dir: string, seed: number, count: number): { asm: string; table: string } {
  const tab = table(seed, count);
  return writeFiles(dir, `fpu-diff-${seed}`, programSource(tab), tab);
}
