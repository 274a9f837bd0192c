// The JIT for looping blocks (native/src/cpu/jit_x64.cpp) against the threaded tier and the interpreter: the
// same program on three software vCPUs (JIT on, JIT off with the block tier on, the tier off), in runs of
// varied lengths, with interrupts injected and a watchpoint on the loops' stores set and cleared between
// runs; after every run the exit, every register and flag, the instruction count and (after long runs and
// stops) the history ring and fault chain must be the same. jit-forms.asm puts every whitelisted form at
// both sizes in a compiled loop whose passes fault after it, so every flag each form leaves is seen. Then a
// breakpoint inside a compiled loop. The JIT exists on x86-64 hosts only: elsewhere these tests skip.
import * as assert from 'assert';
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
    const image = assembleProgram(path.join(SRC, 'jit-forms.asm'));
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
      const where = `run ${k} of ${n} after ${total} instructions`;
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
    assert.ok(done, `jit-forms.asm did not finish within ${BUDGET} instructions`);
    const outs = cpus.map((c) => Buffer.from(c.takeOutput(0xe9)).toString('hex'));
    assert.strictEqual(outs[0], outs[2], 'the checksums differ (JIT)');
    assert.strictEqual(outs[1], outs[2], 'the checksums differ (threaded)');
    assert.strictEqual(outs[2].length, 16, 'two dwords: the checksum and the interrupt count');
    // The program's loops really ran as host code: its FORM loops, branches, the fault-only loop, the rewritten one.
    assert.ok(cpus[0].jitLoops() >= 200, `only ${cpus[0].jitLoops()} loops were compiled`);
    assert.strictEqual(cpus[1].jitLoops() + cpus[2].jitLoops(), 0);
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
