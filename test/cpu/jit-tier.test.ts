// The JIT for looping blocks (native/src/cpu/jit_x64.cpp) against the threaded tier and the interpreter: the
// same program on three software vCPUs (JIT on, JIT off with the block tier on, the tier off), in runs of
// varied lengths, with interrupts injected and a watchpoint on the loops' stores set and cleared between
// runs; after every run the exit, every register and flag, the instruction count and (after long runs and
// stops) the history ring and fault chain must be the same. jit-forms.asm puts every whitelisted form at
// both sizes in a compiled loop whose passes fault after it, so every flag each form leaves is seen. Then a
// breakpoint inside a compiled loop. The JIT exists on x86-64 hosts only: elsewhere these tests skip.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createSoftCpu, SoftCpu } from '../../common/soft-cpu';
import { assemble as assembleProgram, bootCpu, loadAddon } from './qemu-diff-harness';

const SRC = path.resolve(__dirname, '../../../test/cpu/programs');
const RUN_LENGTHS = [1, 2, 3, 7, 1, 13, 5, 64, 1, 250, 9, 4096, 3, 40000];
const BUDGET = 20_000_000;
const DATA_PAGE = 0x2ff00; // jit-forms.asm's stores at DS:0xFFxx, DS = 0x2000

type Tier = 'jit' | 'threaded' | 'interpreter';
const TIERS: Tier[] = ['jit', 'threaded', 'interpreter'];

function withEnv<T>(tier: Tier, f: () => T): T {
  const old = { tier: process.env.BOOTVISOR_BLOCK_TIER, jit: process.env.BOOTVISOR_JIT };
  process.env.BOOTVISOR_BLOCK_TIER = tier === 'interpreter' ? 'off' : 'on';
  process.env.BOOTVISOR_JIT = tier === 'jit' ? 'on' : 'off';
  try {
    return f();
  } finally {
    for (const [k, v] of [
      ['BOOTVISOR_BLOCK_TIER', old.tier],
      ['BOOTVISOR_JIT', old.jit],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function boot(image: Buffer, tier: Tier): SoftCpu {
  const addon = loadAddon();
  if (typeof addon === 'string') throw new Error(addon);
  return withEnv(tier, () => bootCpu(addon, image)) as unknown as SoftCpu;
}

// Runs image on the three vCPUs in lockstep (see the header) until its write to port 0xF4; returns them.
function lockstep(image: Buffer, name: string, outBytes: number): SoftCpu[] {
  const cpus = TIERS.map((t) => boot(image, t));
  assert.deepStrictEqual(
    cpus.map((c) => [c.blockTier(), c.jitTier()]),
    [
      [true, true],
      [true, false],
      [false, false],
    ],
  );
  const watches: (number | undefined)[] = cpus.map(() => undefined);
  let total = 0;
  let done = false;
  for (let k = 0; total < BUDGET && !done; k++) {
    // A watchpoint on the loops' store page for 10 runs of every 60 (each store then stops the run), and an
    // interrupt (vector 0x40: the program counts them) every 23 runs, the same on every vCPU.
    if (k % 60 === 30) cpus.forEach((c, i) => (watches[i] = c.addWatchpoint(DATA_PAGE, 0x100, 'write')));
    if (k % 60 === 40)
      cpus.forEach((c, i) => {
        c.removeWatchpoint(watches[i] as number);
        watches[i] = undefined;
      });
    if (k % 23 === 11) cpus.forEach((c) => c.injectInterrupt(0x40));
    const n = RUN_LENGTHS[k % RUN_LENGTHS.length];
    const exits = cpus.map((c) => c.run(n));
    const where = `${name}, run ${k} of ${n} after ${total} instructions`;
    for (let t = 0; t < 2; t++) {
      const a = cpus[t];
      const b = cpus[2];
      const who = `${TIERS[t]} against the interpreter, ${where}`;
      assert.deepStrictEqual(exits[t], exits[2], `${who}: the exits differ`);
      assert.deepStrictEqual(a.getState(), b.getState(), `${who}: the registers differ`);
      assert.strictEqual(a.instructionCount(), b.instructionCount(), `${who}: the counts differ`);
      if (n >= 64 || exits[2].reason !== 'none')
        assert.deepStrictEqual(a.history(), b.history(), `${who}: the history rings differ`);
      if (exits[2].reason !== 'none')
        assert.deepStrictEqual(a.faultChain(), b.faultChain(), `${who}: the fault chains differ`);
    }
    total += exits[2].instructions;
    const e = exits[2];
    if (e.reason === 'io' && e.port === 0xf4) done = true;
    else if (e.reason !== 'none' && e.reason !== 'io' && e.reason !== 'debug') assert.fail(`${where}: ${e.reason}`);
  }
  assert.ok(done, `${name} did not finish within ${BUDGET} instructions`);
  const outs = cpus.map((c) => Buffer.from(c.takeOutput(0xe9)).toString('hex'));
  assert.strictEqual(outs[0], outs[2], 'the checksums differ (JIT)');
  assert.strictEqual(outs[1], outs[2], 'the checksums differ (threaded)');
  if (outBytes) assert.strictEqual(outs[2].length, 2 * outBytes, `${name}: ${outBytes} bytes of output`);
  assert.strictEqual(cpus[1].jitLoops() + cpus[2].jitLoops(), 0);
  return cpus;
}

// A program of 40 loops of 2-12 random instructions each, mostly from the JIT's whitelist (so most loops
// compile; the few others, ADC/SBB, 8-bit ALU, SHL, keep theirs on the threaded code), on registers
// EAX EBX EDX ESI EDI EBP (CX counts the passes), with memory operands in DS and SS through 16- and 32-bit
// address forms. An access past a segment's end raises #GP or #SS; the handler writes the FLAGS image to
// port 0xE9 (the output is compared) and clears the address registers, so the access is retried in range.
function randomLoops(seed: number): string {
  let x = seed >>> 0;
  const rnd = (n: number): number => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
  const pick = <T>(a: T[]): T => a[rnd(a.length)];
  const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
  const R: Record<number, string[]> = {
    1: ['al', 'bl', 'dl', 'ah', 'bh', 'dh'],
    2: ['ax', 'bx', 'dx', 'si', 'di', 'bp'],
    4: ['eax', 'ebx', 'edx', 'esi', 'edi', 'ebp'],
  };
  const imm = (size: number): string => {
    const v = pick([0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff]);
    const r = rnd(3) === 0 ? rnd(0x10000) * 0x10000 + rnd(0x10000) : v;
    return hex(size === 4 ? r : size === 2 ? r & 0xffff : r & 0xff);
  };
  const mem = (): string => {
    const d = rnd(0x10000);
    return pick([
      `[bx+si+${d}]`,
      `[bx+di+${d}]`,
      `[si+${d}]`,
      `[di+${d}]`,
      `[bp+${d}]`,
      `[bx+${d}]`,
      `[${d}]`,
      `[ebx+esi*4+${d}]`,
      `[edi+${d}]`,
      `[ebp+${d}]`,
      `[esi*2+${d}]`,
    ]);
  };
  const ptr = (size: number): string => (size === 4 ? 'dword ' : 'word ');
  const insn = (): string => {
    const size = rnd(2) ? 4 : 2;
    const r = pick(R[size]);
    const r2 = pick(R[size]);
    const k = rnd(100);
    if (k < 15) return `${pick(['add', 'or', 'and', 'sub', 'xor', 'cmp'])} ${r}, ${r2}`;
    if (k < 25) return `${pick(['add', 'or', 'and', 'sub', 'xor', 'cmp'])} ${r}, ${imm(size)}`;
    if (k < 33) return `${pick(['add', 'or', 'and', 'sub', 'xor', 'cmp'])} ${r}, ${ptr(size)}${mem()}`;
    if (k < 38) return rnd(2) ? `test ${r}, ${r2}` : `test ${r}, ${imm(size)}`;
    if (k < 46) return `${pick(['inc', 'dec'])} ${r}`;
    if (k < 56) return `${pick(['rol', 'ror'])} ${r}, ${pick([0, 1, 1, 2, 3, 7, 8, 15, 16, 17, 24, 31])}`;
    if (k < 62) return `mov ${r}, ${r2}`;
    if (k < 66) return `mov ${r}, ${imm(size)}`;
    if (k < 72) return `mov ${r}, ${ptr(size)}${mem()}`;
    if (k < 78) return `mov ${ptr(size)}${mem()}, ${r}`;
    if (k < 81) return `mov ${ptr(size)}${mem()}, ${imm(size)}`;
    if (k < 86) return `lea ${r}, ${mem()}`;
    if (k < 88) return `${pick(['adc', 'sbb'])} ${r}, ${r2}`;
    if (k < 90) return `${pick(['add', 'xor', 'sub'])} ${pick(R[1])}, ${pick(R[1])}`;
    if (k < 91) return `shl ${r}, ${pick([1, 3, 9])}`;
    return `add ${r}, ${r2}`;
  };
  const ends = ['dec cx\n  jnz', 'sub cx, 1\n  jnz', 'dec cx\n  jg', 'sub cx, 1\n  ja', 'add cx, 0xFFFF\n  jc'];
  const lines = [
    'bits 16',
    'org 0x7C00',
    'start:',
    '  cli',
    '  xor ax, ax',
    '  mov ds, ax',
    '  mov word [12 * 4], fault',
    '  mov [12 * 4 + 2], ax',
    '  mov word [13 * 4], fault',
    '  mov [13 * 4 + 2], ax',
    '  mov word [0x40 * 4], tick',
    '  mov [0x40 * 4 + 2], ax',
    '  mov ax, 0x3000',
    '  mov ss, ax',
    '  mov sp, 0xFF00',
    '  mov ax, 0x2000',
    '  mov ds, ax',
  ];
  for (const r of R[4]) lines.push(`  mov ${r}, ${imm(4)}`);
  lines.push('  sti');
  for (let l = 0; l < 40; l++) {
    lines.push(`  mov cx, ${10 + rnd(140)}`, `.l${l}:`);
    const n = 2 + rnd(11);
    for (let k = 0; k < n; k++) lines.push(`  ${insn()}`);
    lines.push(`  ${pick(ends)} .l${l}`);
  }
  lines.push('  cli', '  out 0xF4, al', '  hlt');
  lines.push('fault:', '  push bp', '  mov bp, sp', '  push ax', '  mov ax, [bp + 6]', '  out 0xE9, al');
  lines.push('  mov al, ah', '  out 0xE9, al', '  pop ax', '  pop bp');
  lines.push('  xor ebx, ebx', '  xor esi, esi', '  xor edi, edi', '  xor ebp, ebp', '  iret');
  lines.push('tick:', '  iret', '');
  return lines.join('\n');
}

const jitHost = process.arch === 'x64';

describe('software vCPU: the JIT for looping blocks against the threaded tier and the interpreter', function () {
  this.timeout(300000);

  it('is on by default on x86-64 hosts, off with BOOTVISOR_JIT=off or the block tier off', function () {
    const old = process.env.BOOTVISOR_JIT;
    delete process.env.BOOTVISOR_JIT;
    try {
      assert.strictEqual(createSoftCpu(1 << 20).jitTier(), jitHost);
    } finally {
      if (old !== undefined) process.env.BOOTVISOR_JIT = old;
    }
    assert.strictEqual(withEnv('threaded', () => createSoftCpu(1 << 20)).jitTier(), false);
    assert.strictEqual(withEnv('interpreter', () => createSoftCpu(1 << 20)).jitTier(), false);
  });

  it('jit-forms.asm: the same state after every run on all three, interrupts and watchpoints between runs', function () {
    if (!jitHost) this.skip();
    const cpus = lockstep(assembleProgram(path.join(SRC, 'jit-forms.asm')), 'jit-forms.asm', 8);
    // The program's loops really ran as host code: its FORM loops, branches, the fault-only loop, the rewritten one.
    assert.ok(cpus[0].jitLoops() >= 200, `only ${cpus[0].jitLoops()} loops were compiled`);
  });

  it('jit-forms.asm with 4 KiB of code memory (emptied whole whenever it fills): the same state', function () {
    if (!jitHost) this.skip();
    const old = process.env.BOOTVISOR_JIT_CODE_KIB;
    process.env.BOOTVISOR_JIT_CODE_KIB = '4';
    try {
      const cpus = lockstep(assembleProgram(path.join(SRC, 'jit-forms.asm')), 'jit-forms.asm (4 KiB)', 8);
      assert.ok(cpus[0].jitLoops() >= 200, `only ${cpus[0].jitLoops()} loops were compiled`);
    } finally {
      if (old === undefined) delete process.env.BOOTVISOR_JIT_CODE_KIB;
      else process.env.BOOTVISOR_JIT_CODE_KIB = old;
    }
  });

  it('random loops of whitelisted (and a few other) instructions: the same state on all three', function () {
    if (!jitHost) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-jit-'));
    try {
      let compiled = 0;
      for (let seed = 1; seed <= 16; seed++) {
        const file = path.join(dir, `random-${seed}.asm`);
        fs.writeFileSync(file, randomLoops(seed));
        compiled += lockstep(assembleProgram(file), `random loops, seed ${seed}`, 0)[0].jitLoops();
      }
      assert.ok(compiled >= 300, `only ${compiled} of the random loops were compiled`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops at a breakpoint inside a compiled loop, and counts the same', function () {
    if (!jitHost) this.skip();
    const image = assembleProgram(path.join(SRC, 'jit-forms.asm'));
    // The addresses of one pass of the first loop (it starts within 30 instructions).
    const probe = boot(image, 'interpreter');
    probe.run(100);
    const pass = new Set<number>();
    for (let k = 0; k < 40; k++) {
      pass.add(probe.getState().eip);
      probe.run(1);
    }
    const inside = [...pass].sort((x, y) => x - y);
    assert.ok(inside.length >= 10, `one pass has ${inside.length} instructions`);
    const at = inside[5];
    const seen = TIERS.map((t) => {
      const cpu = boot(image, t);
      assert.strictEqual(cpu.run(1000).reason, 'none'); // many passes in: the loop is compiled
      const id = cpu.addBreakpoint(at);
      const stops = [];
      for (let k = 0; k < 3; k++) {
        const e = cpu.run(100000);
        stops.push({ e, count: cpu.instructionCount(), state: cpu.getState() });
      }
      cpu.removeBreakpoint(id);
      cpu.run(3000);
      return { stops, count: cpu.instructionCount(), state: cpu.getState(), loops: cpu.jitLoops() };
    });
    assert.strictEqual(seen[2].stops[0].e.reason, 'debug');
    assert.strictEqual(seen[2].stops[0].state.eip, at);
    assert.ok(seen[0].loops > 0, 'the JIT compiled nothing');
    for (const s of seen) s.loops = 0;
    assert.deepStrictEqual(seen[0], seen[2], 'the breakpoint stops differ with the JIT on and the interpreter');
    assert.deepStrictEqual(seen[1], seen[2], 'the breakpoint stops differ with the threaded tier and the interpreter');
  });
});
