// The software vCPU's debug API and core guarantees, on small nasm programs from test/cpu/programs/:
// breakpoints, watchpoints, single step, catching exceptions, stop from another thread in `jmp $`,
// the history ring, the fault chain of a triple fault, self-modifying code, A20, segment limits,
// determinism, and clear errors on bad input.
import * as assert from 'assert';
import * as path from 'path';
import { assemble as nasmAssemble } from '../../common/nasm';
import { createSoftCpu, SoftCpu } from '../../common/soft-cpu';

const SRC = path.resolve(__dirname, '../../../test/cpu/programs');

function assemble(name: string): Buffer {
  const a = nasmAssemble(path.join(SRC, name), { includeDirs: [path.join(SRC, 'lib'), SRC] });
  a.remove();
  return Buffer.from(a.image);
}

function boot(name: string, opts: { a20?: boolean } = {}): SoftCpu {
  const cpu = createSoftCpu(4 * 1024 * 1024);
  if (opts.a20 === false) cpu.setA20(false);
  cpu.writeMemory(0x7c00, assemble(name));
  cpu.setState({ cs: 0, ds: 0, es: 0, ss: 0, eip: 0x7c00, esp: 0x7c00, eflags: 2, idtr: { base: 0, limit: 0x3ff } });
  return cpu;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('software vCPU: debug API', function () {
  this.timeout(60000);

  it('stops at a linear breakpoint before the instruction, and resuming executes it', function () {
    const cpu = boot('dbg-count.asm');
    const id = cpu.addBreakpoint(0x7c23);
    let hits = 0;
    for (;;) {
      const e = cpu.run(10000);
      if (e.reason !== 'debug') {
        assert.strictEqual(e.port, 0xf4, `ended with ${JSON.stringify(e)}`);
        break;
      }
      assert.strictEqual(e.kind, 'breakpoint');
      assert.strictEqual(e.id, id);
      assert.strictEqual(cpu.getState().eip, 0x7c23);
      hits++;
    }
    assert.strictEqual(hits, 5, 'the loop top runs five times');
    assert.strictEqual(text(cpu.takeOutput(0xe9)), '\x05');
  });

  it('stops at a physical breakpoint, and not after it is removed', function () {
    const cpu = boot('dbg-count.asm');
    const id = cpu.addBreakpoint(0x7c29, true);
    const e = cpu.run(10000);
    assert.strictEqual(e.reason, 'debug');
    assert.strictEqual(cpu.getState().eip, 0x7c29);
    assert.ok(cpu.removeBreakpoint(id));
    assert.strictEqual(cpu.run(10000).port, 0xf4);
  });

  it('stops after the instruction that writes or reads a watched range', function () {
    const cpu = boot('dbg-count.asm');
    const w = cpu.addWatchpoint(0x7d00, 2, 'write');
    let e = cpu.run(10000);
    assert.strictEqual(e.reason, 'debug');
    assert.strictEqual(e.kind, 'watchpoint');
    assert.strictEqual(e.id, w);
    assert.strictEqual(e.address, 0x7d00);
    assert.strictEqual(e.size, 2, 'INC WORD writes two bytes');
    assert.strictEqual(cpu.getState().eip, 0x7c27, 'stopped after INC, at the LOOP');
    assert.strictEqual(cpu.readMemory(0x7d00, 1)[0], 1);
    cpu.removeWatchpoint(w);
    const r = cpu.addWatchpoint(0x7d01, 1, 'read');
    e = cpu.run(10000);
    // INC reads the counter too: the first read after removal of the write watch is the next INC
    assert.strictEqual(e.kind, 'watchpoint');
    assert.strictEqual(e.id, r);
    assert.strictEqual(e.size, 2, 'the word read that covers the watched byte');
    cpu.removeWatchpoint(r);
    assert.strictEqual(cpu.run(10000).port, 0xf4);
  });

  it('executes exactly one instruction per run(1), an INT or a fault delivery counting as one', function () {
    const cpu = boot('dbg-count.asm');
    const eips: number[] = [];
    for (let i = 0; i < 8; i++) {
      const e = cpu.run(1);
      assert.strictEqual(e.instructions, 1);
      eips.push(cpu.getState().eip);
    }
    assert.deepStrictEqual(eips.slice(0, 6), [0x7c02, 0x7c04, 0x7c06, 0x7c09, 0x7c20, 0x7c23]);
    const c2 = boot('dbg-catch.asm');
    while (c2.getState().eip !== 0x7c20) c2.run(1);
    const e = c2.run(1);
    assert.strictEqual(e.instructions, 1);
    assert.strictEqual(c2.getState().eip, 0x7c50, 'one step delivers #DE: the next instruction is the handler');
  });

  it('catches an exception before delivery and delivers it on resume', function () {
    const cpu = boot('dbg-catch.asm');
    cpu.catchException(0);
    const e = cpu.run(10000);
    assert.strictEqual(e.reason, 'exception');
    assert.strictEqual(e.vector, 0);
    assert.strictEqual(cpu.getState().eip, 0x7c20, 'EIP at the faulting DIV');
    assert.strictEqual(cpu.faultChain()[0].name, '#DE');
    cpu.run(1);
    assert.strictEqual(cpu.getState().eip, 0x7c50, 'a step from a caught exception stops at the handler');
    const e2 = cpu.run(10000);
    assert.strictEqual(e2.port, 0xf4);
    const seen = cpu.readMemory(0x7c60, 2);
    assert.strictEqual(seen[0] | (seen[1] << 8), 0x7c20, 'the handler saw the DIV address pushed');
  });

  it('stops from another thread while spinning in jmp $', async function () {
    const cpu = boot('dbg-spin.asm');
    const running = cpu.runAsync(1e15);
    await new Promise((r) => setTimeout(r, 100));
    cpu.requestStop();
    const e = await running;
    assert.strictEqual(e.reason, 'stopped');
    assert.ok(e.instructions > 1000, 'it was running');
    assert.strictEqual(cpu.getState().eip, 0x7c01);
  });

  it('keeps the last N instructions with their bytes', function () {
    const cpu = boot('dbg-count.asm');
    cpu.setHistorySize(4);
    cpu.run(7); // ... mov cx,5 ; inc [counter] ; loop
    const h = cpu.history();
    assert.deepStrictEqual(
      h.map((x) => x.linear),
      [0x7c06, 0x7c09, 0x7c20, 0x7c23],
    );
    assert.deepStrictEqual(h[2].bytes, [0xb9, 0x05, 0x00]);
    assert.deepStrictEqual(h[3].bytes, [0xff, 0x06, 0x00, 0x7d]);
  });

  it('explains a triple fault as a chain in words', function () {
    const cpu = boot('dbg-triple.asm');
    const e = cpu.run(1000);
    assert.strictEqual(e.reason, 'shutdown');
    const chain = cpu.faultChain();
    assert.deepStrictEqual(
      chain.map((s) => s.name),
      ['#DE', '#GP', '#DF', '#GP', 'shutdown'],
    );
    assert.strictEqual(chain[0].eip, 0x7c0b);
    assert.deepStrictEqual(chain[0].bytes.slice(0, 2), [0xf6, 0xf1]);
    assert.match(chain[1].reason, /IVT limit 0x0000 is below vector 0x00/);
    assert.match(chain[4].reason, /triple fault/);
  });

  it('runs self-modifying code and keeps data beside code', function () {
    const cpu = boot('dbg-smc.asm');
    const e = cpu.run(100000);
    assert.strictEqual(e.port, 0xf4);
    assert.deepStrictEqual([...cpu.takeOutput(0xe9)], [0x42, 1 + 2 + 3 + 4, 4]);
  });

  it('drops decoded code written from the host side', function () {
    const cpu = boot('dbg-count.asm');
    cpu.run(7);
    cpu.writeMemory(0x7c20, Uint8Array.of(0xb9, 0x02, 0x00)); // mov cx, 2 instead of 5
    cpu.setState({ eip: 0x7c20 });
    cpu.writeMemory(0x7d00, Uint8Array.of(0, 0));
    assert.strictEqual(cpu.run(10000).port, 0xf4);
    assert.strictEqual(text(cpu.takeOutput(0xe9)), '\x02');
  });

  it('raises #GP and #SS for words at offset 0xFFFF, and wraps at 1 MiB only with A20 off', function () {
    for (const a20 of [true, false]) {
      const cpu = boot('rm-limits.asm', { a20 });
      assert.strictEqual(cpu.run(1e6).port, 0xf4);
      const out = text(cpu.takeOutput(0xe9));
      assert.match(out, /gp=ok\nss=ok\n/);
      assert.match(out, a20 ? /low=00001111/ : /low=00002222/);
    }
  });

  it('is deterministic: the same image and state give the same execution', function () {
    const run = () => {
      const cpu = boot('rm-basics.asm');
      cpu.setHistorySize(64);
      const e = cpu.run(1e6);
      return JSON.stringify([e, cpu.getState(), cpu.history(), text(cpu.takeOutput(0xe9))]);
    };
    assert.strictEqual(run(), run());
  });

  it('takes injected interrupts in HLT and counts them in the handler', function () {
    const cpu = boot('dbg-irq.asm');
    let halts = 0;
    for (let k = 0; k < 10; k++) {
      const e = cpu.run(10000);
      if (e.reason === 'io') break;
      assert.strictEqual(e.reason, 'halted');
      halts++;
      cpu.injectInterrupt(8);
    }
    assert.strictEqual(halts, 3);
    assert.strictEqual(text(cpu.takeOutput(0xe9)), '\x03');
  });

  it('takes an interrupt that waited through a CLI loop right after the POPF that sets IF, on either path', function () {
    const run = (instrumented: boolean) => {
      const cpu = boot('dbg-irq-cli.asm');
      if (instrumented) cpu.addBreakpoint(0xfffff0, true); // never hit; forces the checked path
      assert.strictEqual(cpu.run(100).reason, 'none');
      cpu.injectInterrupt(8);
      const e = cpu.run(1e6);
      assert.strictEqual(e.port, 0xf4, `ended with ${JSON.stringify(e)}`);
      assert.strictEqual(text(cpu.takeOutput(0xe9)), '\x00', 'the instruction after POPF ran before the handler');
      return cpu.instructionCount();
    };
    // 8 set-up + 1999 passes of 11 + 8 to the last POPF + the handler's 3 (the exit port write ends the run).
    assert.strictEqual(run(false), 8 + 1999 * 11 + 8 + 3);
    assert.strictEqual(run(true), run(false));
  });

  it('raises the single-step trap after each instruction while EFLAGS.TF is set', function () {
    const cpu = boot('dbg-trap.asm');
    assert.strictEqual(cpu.run(10000).port, 0xf4);
    // after the setting POPF's successor: NOP NOP NOP PUSHF POP AND PUSH POPF = 8 traps
    assert.strictEqual(cpu.takeOutput(0xe9)[0], 8);
  });

  it('gives the same result on the fast path and on the instrumented path', function () {
    const run = (instrumented: boolean) => {
      const cpu = boot('rm-basics.asm');
      cpu.setHistorySize(instrumented ? 16 : 0);
      if (instrumented) cpu.addBreakpoint(0xfffff0, true); // never hit; forces the checked path
      const e = cpu.run(1e6);
      const st = cpu.getState();
      return JSON.stringify([e, st, text(cpu.takeOutput(0xe9)), [...cpu.readMemory(0x7c00, 0x1000)]]);
    };
    assert.strictEqual(run(false), run(true));
  });

  it('refuses bad input with a message saying what to do', function () {
    assert.throws(() => createSoftCpu(-1), /RAM size in bytes/);
    const cpu = createSoftCpu(65536);
    assert.throws(() => cpu.writeMemory(65530, new Uint8Array(16)), /outside guest RAM/);
    assert.throws(() => cpu.readMemory(1 << 30, 1), /outside guest RAM/);
    assert.throws(() => cpu.run(-5), /instruction budget/);
    assert.throws(() => cpu.catchException(40), /vector 0-31/);
    // Code running off the end of RAM reads 0xFF from MMIO and faults cleanly; nothing crashes.
    cpu.setState({ cs: { selector: 0xf000, base: 0xf0000 }, eip: 0xfff0, idtr: { base: 0, limit: 0x3ff } });
    const e = cpu.run(1000);
    assert.ok(['shutdown', 'none', 'halted'].includes(e.reason), e.reason);
  });
});
