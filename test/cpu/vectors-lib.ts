// Runs the SingleStepTests 80286 real-mode hardware vectors (../shared/singlestep/80286, README there) on the
// software vCPU. Shared by the mocha test (vectors.test.ts) and `npm run vectors -- DIR` (vectors-cli.ts).
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { createSoftCpu, SoftCpu } from '../../common/soft-cpu';

const CF = 0x001,
  PF = 0x004,
  AF = 0x010,
  ZF = 0x040,
  SF = 0x080,
  OF = 0x800;

/**
 * Flags the Intel SDM calls undefined after each instruction form (Vol. 2, each instruction's "Flags
 * Affected"); the 286 left whatever its microcode did there, so they are not compared.
 */
export const UNDEFINED_FLAGS: Record<string, { mask: number; why: string }> = {};
function undef(forms: string[], mask: number, why: string): void {
  for (const f of forms) UNDEFINED_FLAGS[f] = { mask: (UNDEFINED_FLAGS[f]?.mask ?? 0) | mask, why };
}
const group = (op: string, regs: number[]): string[] => regs.map((r) => `${op}.${r}`);
// AND, OR, XOR, TEST: AF undefined.
undef(
  [
    '08',
    '09',
    '0A',
    '0B',
    '0C',
    '0D',
    '20',
    '21',
    '22',
    '23',
    '24',
    '25',
    '30',
    '31',
    '32',
    '33',
    '34',
    '35',
    '84',
    '85',
    'A8',
    'A9',
    ...group('80', [1, 4, 6]),
    ...group('81', [1, 4, 6]),
    ...group('82', [1, 4, 6]),
    ...group('83', [1, 4, 6]),
    ...group('F6', [0, 1]),
    ...group('F7', [0, 1]),
  ],
  AF,
  'AND/OR/XOR/TEST: AF undefined',
);
// MUL, IMUL: SF ZF AF PF undefined.
undef(
  [...group('F6', [4, 5]), ...group('F7', [4, 5]), '69', '6B'],
  SF | ZF | AF | PF,
  'MUL/IMUL: SF ZF AF PF undefined',
);
// DIV, IDIV: all six undefined.
undef(
  [...group('F6', [6, 7]), ...group('F7', [6, 7])],
  CF | OF | SF | ZF | AF | PF,
  'DIV/IDIV: CF OF SF ZF AF PF undefined',
);
// Shifts by 1: AF undefined (SHL/SHR/SAR/SAL); rotates leave AF alone.
undef([...group('D0', [4, 5, 6, 7]), ...group('D1', [4, 5, 6, 7])], AF, 'SHL/SHR/SAR by 1: AF undefined');
// Shifts and rotates by CL or imm8: OF undefined unless the count is 1, AF undefined for shifts.
undef(
  [
    ...group('C0', [0, 1, 2, 3]),
    ...group('C1', [0, 1, 2, 3]),
    ...group('D2', [0, 1, 2, 3]),
    ...group('D3', [0, 1, 2, 3]),
  ],
  OF,
  'ROL/ROR/RCL/RCR by a count: OF undefined unless the count is 1',
);
undef(
  [
    ...group('C0', [4, 5, 6, 7]),
    ...group('C1', [4, 5, 6, 7]),
    ...group('D2', [4, 5, 6, 7]),
    ...group('D3', [4, 5, 6, 7]),
  ],
  OF | AF,
  'SHL/SHR/SAR by a count: OF undefined unless the count is 1, AF undefined',
);
undef(['27', '2F'], OF, 'DAA/DAS: OF undefined');
undef(['37', '3F'], OF | SF | ZF | PF, 'AAA/AAS: OF SF ZF PF undefined');
undef(['D4', 'D5'], OF | AF | CF, 'AAM/AAD: OF AF CF undefined');

/**
 * Where a 386-class CPU (what Bootvisor models) differs from the 286 the vectors were captured on, by form.
 * `flags`: flag bits not compared (beyond the SDM's undefined ones); `skip(test)`: the test is excluded.
 */
export const EXCLUSIONS: {
  form: string;
  flags?: number;
  /** Excluded before running. */
  skip?: (t: VectorTest) => boolean;
  /** Excluded when it failed and the software vCPU raised `ourVector` first (undefined: no fault). */
  after?: (t: VectorTest, ourVector: number | undefined) => boolean;
  why: string;
}[] = [
  {
    form: '*',
    skip: (t) => t.exception?.number === 13 && t.bytes.length - 1 > 10,
    why: 'the 286 raises #GP past 10 instruction bytes (prefixes); a 386 accepts up to 15',
  },
  {
    form: '*',
    after: (t, v) => t.exception?.number === 13 && v === 12,
    why: 'a real-mode access through SS past offset 0xFFFF: the 286 raises #GP (13), a 386 raises #SS (12)',
  },
  {
    form: '*',
    after: (t, v) => v === 6 && t.exception?.number !== 6 && t.bytes.slice(0, t.bytes.length - 1).includes(0xf0),
    why: 'LOCK on an instruction that cannot be locked: the 286 ignores it, a 386+ raises #UD',
  },
  ...['A5', 'A7', 'AB', 'AD', '6D', '6F'].map((form) => ({
    form,
    skip: (t: VectorTest) =>
      t.exception?.number === 13 && (t.final.regs.si !== undefined || t.final.regs.di !== undefined),
    why: 'word string op at offset 0xFFFF: the 286 advances SI/DI before its #GP; a 386 faults with them unchanged',
  })),
  ...['8C', '8E'].map((form) => ({
    form,
    skip: (t: VectorTest) =>
      t.exception?.number === 6 && ((t.bytes[t.bytes.findIndex((b) => b === 0x8c || b === 0x8e) + 1] >> 3) & 7) >= 4,
    why: 'MOV to/from FS or GS: the 286 has no FS/GS (#UD); a 386 has them',
  })),
  ...['D8', 'D9', 'DA', 'DB', 'DC', 'DD', 'DE', 'DF'].map((form) => ({
    form,
    skip: (t: VectorTest) => t.exception?.number === 13,
    why: 'x87 escape with its memory operand past offset 0xFFFF: these vectors come from a 286 with no coprocessor, which checks the limit of every escape; Bootvisor has a 387-class FPU (tested by fpu-diff and fpu-oracle)',
  })),
  {
    form: '9D',
    flags: 0x7000,
    why: 'POPF in real mode: a 286 keeps IOPL and NT clear, a 386 loads them from the popped value',
  },
  {
    form: 'CF',
    flags: 0x7000,
    why: 'IRET in real mode: a 286 keeps IOPL and NT clear, a 386 loads them from the popped value',
  },
];

export interface VectorTest {
  name: string;
  bytes: number[];
  initial: { regs: Record<string, number>; ram: [number, number][] };
  final: { regs: Record<string, number>; ram: [number, number][] };
  exception?: { number: number; flag_address: number };
  hash: string;
}

export interface FormResult {
  form: string;
  passed: number;
  failed: number;
  excluded: number;
  /** Excluded tests by reason (EXCLUSIONS[].why). */
  excludedBy: Record<string, number>;
  failures: string[];
}

const REG16 = ['ax', 'bx', 'cx', 'dx', 'sp', 'bp', 'si', 'di'] as const;
const GPR_INDEX: Record<string, string> = {
  ax: 'eax',
  bx: 'ebx',
  cx: 'ecx',
  dx: 'edx',
  sp: 'esp',
  bp: 'ebp',
  si: 'esi',
  di: 'edi',
};
const SEGS = ['cs', 'ss', 'ds', 'es'] as const;
export const RAM_BYTES = 2 * 1024 * 1024; // the vectors address up to 0x10FFEF (A20 on)

function formOf(file: string): string {
  return path.basename(file).replace(/\.jsonl\.gz$/, '');
}

export function readVectorFile(file: string): VectorTest[] {
  const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as VectorTest);
}

/** Runs one test; returns null when it passed, else what differed. */
export function runVector(cpu: SoftCpu, t: VectorTest, flagMask: number): string | null {
  const r = t.initial.regs;
  const seg = (sel: number, code: boolean) => ({
    selector: sel,
    base: sel * 16,
    limit: 0xffff,
    attrib: code ? 0x9b : 0x93,
  });
  cpu.setState({
    eax: r.ax,
    ebx: r.bx,
    ecx: r.cx,
    edx: r.dx,
    esp: r.sp,
    ebp: r.bp,
    esi: r.si,
    edi: r.di,
    eip: r.ip,
    eflags: (r.flags & 0x0fff) | 2,
    cs: seg(r.cs, true),
    ss: seg(r.ss, false),
    ds: seg(r.ds, false),
    es: seg(r.es, false),
    fs: seg(0, false),
    gs: seg(0, false),
    idtr: { base: 0, limit: 0x3ff },
    gdtr: { base: 0, limit: 0xffff },
    cr0: 0x60000010,
    cr2: 0,
    cr3: 0,
    cr4: 0,
    halted: false,
    intShadow: false,
  });
  for (const [addr, val] of t.initial.ram) cpu.writeMemory(addr, Uint8Array.of(val));
  const exit = cpu.run(10000);
  const problems: string[] = [];
  if (exit.reason !== 'halted') problems.push(`stopped with '${exit.reason}' instead of at the final HLT`);
  const st = cpu.getState();
  const want = (k: string) => t.final.regs[k] ?? t.initial.regs[k];
  for (const k of REG16) {
    const got = (st as unknown as Record<string, number>)[GPR_INDEX[k]] & 0xffff;
    if (got !== want(k)) problems.push(`${k} ${hex(got)} != ${hex(want(k))}`);
  }
  for (const k of SEGS) {
    const got = st[k].selector;
    if (got !== want(k)) problems.push(`${k} ${hex(got)} != ${hex(want(k))}`);
  }
  if ((st.eip & 0xffff) !== want('ip')) problems.push(`ip ${hex(st.eip)} != ${hex(want('ip'))}`);
  const flagsWant = (t.final.regs.flags ?? (t.initial.regs.flags & 0x0fff) | 2) & ~flagMask & 0xffff;
  const flagsGot = st.eflags & ~flagMask & 0xffff;
  if (flagsGot !== flagsWant)
    problems.push(
      `flags ${hex(st.eflags & 0xffff)} != ${hex(t.final.regs.flags ?? t.initial.regs.flags)} (compared ${hex(flagsGot)} vs ${hex(flagsWant)})`,
    );
  // Where the 286 pushed FLAGS (flag_address in these files is one byte low): SS:SP-2 at the fault.
  const fa = t.exception ? r.ss * 16 + ((r.sp - 2) & 0xffff) : undefined;
  for (const [addr, val] of t.final.ram) {
    let got = cpu.readMemory(addr, 1)[0];
    let exp = val;
    if (fa !== undefined && (addr === fa || addr === fa + 1)) {
      const m = addr === fa ? flagMask & 0xff : (flagMask >> 8) & 0xff;
      got &= ~m;
      exp &= ~m;
    }
    if (got !== exp) problems.push(`[${hex(addr)}] ${hex(got)} != ${hex(exp)}`);
  }
  return problems.length ? problems.join(', ') : null;
}

/** Runs the test again, stopping at its first exception: the vector the software vCPU raises first. */
function firstFault(cpu: SoftCpu, t: VectorTest): number | undefined {
  for (let v = 0; v < 32; v++) cpu.catchException(v, true);
  try {
    runVector(cpu, t, 0);
    const chain = cpu.faultChain();
    return chain.length ? chain[0].vector : undefined;
  } finally {
    for (let v = 0; v < 32; v++) cpu.catchException(v, false);
    cpu.setState({ eip: 0 }); // drop the caught exception (setState discards it)
  }
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

export function runVectorFile(cpu: SoftCpu, file: string, maxFailures = 5): FormResult {
  const form = formOf(file);
  const opcodeForm = form;
  let mask = UNDEFINED_FLAGS[opcodeForm]?.mask ?? 0;
  const skips: { f: (t: VectorTest) => boolean; why: string }[] = [];
  const afters: { f: (t: VectorTest, v: number | undefined) => boolean; why: string }[] = [];
  for (const e of EXCLUSIONS) {
    if (e.form !== '*' && e.form !== form && e.form !== form.split('.')[0]) continue;
    if (e.flags) mask |= e.flags;
    if (e.skip) skips.push({ f: e.skip, why: e.why });
    if (e.after) afters.push({ f: e.after, why: e.why });
  }
  const res: FormResult = { form, passed: 0, failed: 0, excluded: 0, excludedBy: {}, failures: [] };
  const exclude = (why: string) => {
    res.excluded++;
    res.excludedBy[why] = (res.excludedBy[why] ?? 0) + 1;
  };
  for (const t of readVectorFile(file)) {
    const skip = skips.find((s) => s.f(t));
    if (skip) {
      exclude(skip.why);
      continue;
    }
    const why = runVector(cpu, t, mask);
    if (why === null) res.passed++;
    else if (afters.length) {
      const v = firstFault(cpu, t);
      const after = afters.find((a) => a.f(t, v));
      if (after) exclude(after.why);
      else {
        res.failed++;
        if (res.failures.length < maxFailures)
          res.failures.push(
            `${t.name} [${t.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}] ${t.hash.slice(0, 8)}: ${why}`,
          );
      }
    } else {
      res.failed++;
      if (res.failures.length < maxFailures)
        res.failures.push(
          `${t.name} [${t.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}] ${t.hash.slice(0, 8)}: ${why}`,
        );
    }
  }
  return res;
}

export function vectorFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl.gz'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function newVectorCpu(): SoftCpu {
  const cpu = createSoftCpu(RAM_BYTES);
  cpu.setHistorySize(0);
  return cpu;
}
