// The facade over the native binding (common/machine.ts, native/src/napi/): the vCPU thread, stop-inspect-
// resume while running, pause, step, breakpoints, watchpoints, caught exceptions, history, snapshots,
// memory access bounds, input, the device harness, and what dispose leaves behind.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import type { StopEvent } from '../../common/api';
import { createMachine } from '../../common/machine';
import { assemble } from '../../common/nasm';
import { exampleImg, requireNasm, ROOT, tempDir } from '../cli/harness';
import { sectorBench } from './sector';

const bench = sectorBench('bootvisor-facade-');
const sector = bench.sector;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('facade: the Machine over the native binding', function () {
  this.timeout(30000);
  const make = bench.make;
  after(() => bench.dispose());

  // A guest that counts in EAX forever, with interrupts off.
  const spin = (): Uint8Array => sector('cli\nxor eax, eax\nagain: inc eax\njmp again');

  it('runs on its own thread: inspecting while running stops, reads and resumes without settling the run', async () => {
    const m = make(spin());
    let settled = false;
    const run = m.run().then((s) => {
      settled = true;
      return s;
    });
    assert.strictEqual(m.running, true);
    await sleep(30);
    const a = m.getRegisters().eax;
    await sleep(30);
    const b = m.getRegisters().eax;
    assert.ok(b > a, `the guest goes on between two looks (${a} then ${b})`);
    assert.strictEqual(m.readMemory(0x7c00, 1, 'physical')[0], 0xfa, 'cli is the first byte');
    assert.strictEqual(settled, false, 'the run did not end');
    assert.throws(() => m.step(), /running: pause\(\) it before stepping/);
    await assert.rejects(m.run(), /already running/);
    m.pause();
    const stop = await run;
    assert.strictEqual(stop.reason, 'pause');
    assert.strictEqual(m.running, false);
    assert.ok(stop.instructions > 1000);
  });

  it('steps one instruction at a time and counts them', () => {
    const m = make(sector('mov ax, 0x1234\nmov bx, ax\ncli\nhlt'));
    // Interrupts off, so that a timer tick does not come first.
    m.setRegisters({ eflags: 0x2 });
    const s1 = m.step();
    assert.strictEqual(s1.reason, 'step');
    assert.strictEqual(m.getRegisters().eax & 0xffff, 0x1234);
    assert.strictEqual(m.getRegisters().eip, 0x7c03);
    m.step();
    assert.strictEqual(m.getRegisters().ebx & 0xffff, 0x1234);
    assert.strictEqual(m.instructionCount(), 2);
    assert.deepStrictEqual(
      m.history(2).map((x) => x.linear),
      [0x7c00, 0x7c03],
    );
  });

  it('runSync stops at a breakpoint close by on the calling thread, or says null where run() must go on', () => {
    const m = make(sector('mov cx, 3\nl: dec cx\njnz l\nagain: inc eax\njmp again'));
    m.setRegisters({ eflags: 0x2 });
    const id = m.addBreakpoint(0x7c03); // dec cx
    const s = m.runSync!(1000);
    assert.deepStrictEqual([s?.reason, s?.breakpointId, s?.linear, s?.instructions], ['breakpoint', id, 0x7c03, 1]);
    m.removeBreakpoint(id);
    // The budget spent: exactly that many instructions ran, and nothing says where it stopped.
    assert.strictEqual(m.runSync!(500), null);
    assert.strictEqual(m.instructionCount(), 501);
    // A halted guest under the paced clock would wait for the wall clock: runSync stops before the wait.
    const paced = createMachine({ image: sector('sti\nhlt\njmp $'), backend: 'software', clock: 'paced' });
    try {
      assert.strictEqual(paced.runSync!(1_000_000), null);
      const r = paced.getRegisters();
      assert.deepStrictEqual([r.eip, r.halted], [0x7c02, true], 'in the HLT');
      const count = paced.instructionCount();
      // The next timer tick is the wall clock's business: had it waited for it, the handler would have run.
      assert.strictEqual(paced.runSync!(1_000_000), null);
      assert.strictEqual(paced.instructionCount(), count);
    } finally {
      paced.dispose();
    }
  });

  it('reads back every register it was given (the packed register layout)', () => {
    const m = make(spin());
    const gprs = {
      eax: 0x11111111,
      ecx: 0x22222222,
      edx: 0x33333333,
      ebx: 0x44444444,
      esp: 0x5556,
      ebp: 0x66666666,
      esi: 0x77777777,
      edi: 0x88888888,
    };
    m.setRegisters({ ...gprs, eip: 0x7c10, eflags: 0x2 | 0x40, cr2: 0xabcd0000, dr: [1, 2, 3, 4, 0xffff0ff0, 0x400] });
    m.setRegisters({
      ds: { selector: 0x1234, base: 0x12340, limit: 0xffff, attrib: 0x93 },
      fs: { selector: 0x40, base: 0x400, limit: 0xffff, attrib: 0x93 },
    });
    const r = m.getRegisters();
    assert.deepStrictEqual(
      { eax: r.eax, ecx: r.ecx, edx: r.edx, ebx: r.ebx, esp: r.esp, ebp: r.ebp, esi: r.esi, edi: r.edi },
      gprs,
    );
    assert.deepStrictEqual(
      [r.eip, r.eflags & 0x40, r.cr2, r.dr],
      [0x7c10, 0x40, 0xabcd0000, [1, 2, 3, 4, 0xffff0ff0, 0x400]],
    );
    assert.deepStrictEqual(
      [r.ds.selector, r.ds.base, r.fs.selector, r.fs.base, r.cs.selector, r.ss.limit],
      [0x1234, 0x12340, 0x40, 0x400, 0, 0xffff],
    );
    assert.deepStrictEqual(
      [r.idtr.limit, r.halted, r.intShadow, typeof r.gdtr.base, typeof r.tr.attrib, r.efer],
      [0x3ff, false, false, 'number', 'number', 0],
    );
  });

  it('stops at breakpoints with their id, and goes on from them', async () => {
    const m = make(sector('mov cx, 3\nl: dec cx\njnz l\ncli\nhlt'));
    const id = m.addBreakpoint(0x7c03); // dec cx
    let s = await m.run();
    assert.deepStrictEqual([s.reason, s.breakpointId, s.linear], ['breakpoint', id, 0x7c03]);
    s = await m.run();
    assert.strictEqual(s.reason, 'breakpoint');
    assert.strictEqual(m.getRegisters().ecx & 0xffff, 2);
    m.removeBreakpoint(id);
    s = await m.run();
    assert.strictEqual(s.reason, 'hlt-cli');
  });

  it('stops on a watched write with the address and access', async () => {
    const m = make(sector('mov word [0x600], 5\nmov ax, [0x600]\ncli\nhlt'));
    m.addWatchpoint(0x600, 2, 'write');
    const s = await m.run();
    assert.strictEqual(s.reason, 'watchpoint');
    assert.strictEqual(s.watch?.access, 'write');
    assert.strictEqual(s.watch?.address, 0x600);
    assert.strictEqual(s.watch?.size, 2, 'the size of the access that hit (MOV WORD)');
  });

  it('catches an exception before delivery, with the vector and where', async () => {
    const m = make(fs.readFileSync(exampleImg('triple-fault')));
    m.setCatchExceptions([0]);
    const s = await m.run();
    assert.strictEqual(s.reason, 'exception');
    assert.strictEqual(s.exception?.vector, 0);
    assert.deepStrictEqual([...m.readMemory(s.linear, 2)], [0xf7, 0xf1], 'at the div');
    const h = m.history(3);
    assert.strictEqual(h.length, 3);
    assert.ok(
      h.every((x) => x.linear >= 0x7c00 && x.linear <= s.linear),
      `history holds what ran before: ${JSON.stringify(h)}`,
    );
  });

  it('restores a snapshot: registers and memory come back', async () => {
    const m = make(sector('mov byte [0x600], 1\nmov byte [0x600], 2\nmov byte [0x600], 3\ncli\nhlt'));
    m.setRegisters({ eflags: 0x2 });
    m.step();
    const snap = m.snapshot();
    const before = m.getRegisters();
    m.step();
    m.step();
    assert.strictEqual(m.readMemory(0x600, 1)[0], 3);
    m.restore(snap);
    assert.strictEqual(m.readMemory(0x600, 1)[0], 1);
    assert.strictEqual(m.getRegisters().eip, before.eip);
    assert.throws(() => m.restore(snap + 1000), /snapshot/i);
    m.dropSnapshot(snap);
  });

  it('reads and writes guest memory with bounds checks', () => {
    const m = make(spin());
    m.writeMemory(0x1000, new Uint8Array([1, 2, 3]), 'physical');
    assert.deepStrictEqual([...m.readMemory(0x1000, 3, 'physical')], [1, 2, 3]);
    assert.throws(
      () => m.readMemory(64 << 20, 4, 'physical'),
      /cannot read 4 bytes at physical 0x4000000: beyond guest RAM \(32 MiB\)/,
    );
    assert.throws(() => m.writeMemory((32 << 20) - 1, new Uint8Array(2), 'physical'), /nothing was written/);
    assert.throws(() => m.readMemory(-1, 1), /address must be an integer/);
    assert.throws(() => m.readMemory(0, 1e12), /length must be an integer from 0 to 0x4000000/);
    const t = m.translate(0x7c00);
    assert.strictEqual(t.physical, 0x7c00);
  });

  it('sets registers, refusing values that do not fit', () => {
    const m = make(spin());
    m.setRegisters({ eax: 0xdeadbeef, cs: { selector: 0x7c0, base: 0x7c00, limit: 0xffff, attrib: 0x93 } });
    const r = m.getRegisters();
    assert.strictEqual(r.eax, 0xdeadbeef);
    assert.strictEqual(r.cs.base, 0x7c00);
    assert.throws(() => m.setRegisters({ ebx: 2 ** 32 }), /registers\.ebx must be an integer from 0 to 0xFFFFFFFF/);
  });

  it('delivers COM1 input to the guest', async () => {
    const m = make(
      sector('mov dx, 0x3fd\nw: in al, dx\ntest al, 1\njz w\nmov dx, 0x3f8\nin al, dx\nout 0xe9, al\ncli\nhlt'),
    );
    const out: number[] = [];
    m.on('debugcon', (b) => out.push(...b));
    m.sendSerial(new Uint8Array([0x51]));
    const s = await m.run({ maxInstructions: 1_000_000 });
    assert.strictEqual(s.reason, 'hlt-cli');
    assert.deepStrictEqual(out, [0x51]);
  });

  it('takes raw set-1 scan codes as key presses', async () => {
    requireNasm();
    const a = assemble(path.join(ROOT, 'test', 'pc', 'programs', 'int16.asm'));
    a.remove();
    const m = make(a.image);
    const out: number[] = [];
    m.on('debugcon', (b) => out.push(...b));
    // a, then B with left shift held, then Enter: make and break codes
    m.sendScanCodes([0x1e, 0x9e, 0x2a, 0x30, 0xb0, 0xaa, 0x1c, 0x9c]);
    const s = await m.run({ maxInstructions: 50_000_000 });
    assert.strictEqual(s.reason, 'guest-exit');
    const text = Buffer.from(out).toString('latin1');
    assert.match(text, /^key1=1E61$/m);
    assert.match(text, /^key2=3042$/m);
    assert.match(text, /^key3=1C0D$/m);
    assert.match(text, /^shift=00$/m, 'shift released again');
  });

  it('exposes a device harness: ports, virtual time and IRQ lines', () => {
    const m = make(spin());
    m.portWrite(0x70, 0x0a);
    assert.strictEqual(m.portRead(0x71) & 0x7f, 0x26, 'CMOS status register A');
    // PIT channel 0, mode 0 (interrupt on terminal count), count 1000: IRQ0 rises after ~838 us.
    m.portWrite(0x43, 0x30);
    m.portWrite(0x40, 1000 & 0xff);
    m.portWrite(0x40, 1000 >> 8);
    assert.strictEqual(m.irqLevel(0), false);
    m.clockStep(900_000);
    assert.strictEqual(m.irqLevel(0), true);
    assert.throws(() => m.portRead(0x10000), /port must be an integer from 0 to 0xFFFF/);
  });

  it("reads the PICs' registers for the debugger without the guest's OCW3 side effects", () => {
    const m = make(spin());
    // ICW1-4 with the BIOS's bases (IRQ 0-7 on vectors 8-15), then every line but IRQ0 masked.
    for (const [port, value] of [
      [0x20, 0x11],
      [0xa0, 0x11],
      [0x21, 0x08],
      [0xa1, 0x70],
      [0x21, 0x04],
      [0xa1, 0x02],
      [0x21, 0x01],
      [0xa1, 0x01],
      [0x21, 0xfe],
      [0xa1, 0xff],
    ])
      m.portWrite(port, value);
    m.portWrite(0x43, 0x30); // PIT channel 0, mode 0, count 1000: IRQ0 requested after ~838 us
    m.portWrite(0x40, 1000 & 0xff);
    m.portWrite(0x40, 1000 >> 8);
    m.clockStep(900_000);
    const pics = m.picRegisters();
    assert.deepStrictEqual(pics.master, { irr: 1, isr: 0, imr: 0xfe, vectorBase: 0x08 });
    assert.deepStrictEqual(pics.slave, { irr: 0, isr: 0, imr: 0xff, vectorBase: 0x70 });
    // The guest chose ISR reads (OCW3); reading for the debugger leaves that choice as it was.
    m.portWrite(0x20, 0x0b);
    m.picRegisters();
    assert.strictEqual(m.portRead(0x20), 0, 'the ISR, as the guest asked');
    m.portWrite(0x20, 0x0a);
    assert.strictEqual(m.portRead(0x20), 1, 'the IRR');
  });

  it('settles a pending run when disposed, and refuses everything after', async () => {
    const m = createMachine({ image: spin(), backend: 'software' });
    const run = m.run();
    await sleep(10);
    m.dispose();
    await assert.rejects(run, /disposed while running/);
    assert.throws(() => m.getRegisters(), /disposed/);
    m.dispose(); // twice is fine
  });

  it('a step never blocks: a guest waiting in INT 16h gives an idle pause, and steps on once a key comes (every clock)', () => {
    // In a child process: a step that blocked would hang this one (step() holds the JS thread), not fail.
    const image = sector('sti\nagain: mov ah, 0\nint 0x16\nmov [0x600], al\njmp again');
    const tmp = tempDir('bootvisor-step-');
    const imgFile = tmp.file('int16-wait.img');
    fs.writeFileSync(imgFile, image);
    const machineJs = path.join(ROOT, 'out', 'common', 'machine.js');
    const script = `
      const { createMachine } = require(${JSON.stringify(machineJs)});
      const image = require('fs').readFileSync(${JSON.stringify(imgFile)});
      const out = {};
      for (const clock of ['fast', 'paced', 'real']) {
        const m = createMachine({ image, backend: 'software', clock });
        const r = { idle: 0, steps: 0, maxMs: 0, typed: -1, inBios: 0 };
        for (let i = 0; i < 400; i++) {
          const t = Date.now();
          const s = m.step();
          r.maxMs = Math.max(r.maxMs, Date.now() - t);
          if (s.idle) { r.idle++; r.idleReason = s.reason; r.idleCount = m.instructionCount(); if (s.instructions !== r.idleCount) r.bad = 'count'; }
          else r.steps++;
          if ((s.linear >>> 16) === 0xf) r.inBios++;
        }
        m.typeText('x');
        for (let i = 0; i < 400 && r.typed < 0; i++) { m.step(); if (m.readMemory(0x600, 1, 'physical')[0] === 0x78) r.typed = i; }
        out[clock] = r;
        m.dispose();
      }
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['-e', script], { timeout: 60000, encoding: 'utf8' });
    tmp.remove();
    assert.strictEqual(r.status, 0, `exit status ${r.status} ${r.signal ?? ''} (a step blocked?): ${r.stderr}`);
    const res = JSON.parse(r.stdout) as Record<
      string,
      { idle: number; steps: number; maxMs: number; typed: number; inBios: number; idleReason?: string; bad?: string }
    >;
    for (const clock of ['fast', 'real']) {
      const c = res[clock];
      assert.ok(c.idle > 300, `${clock}: once in the key wait, every step says idle (${JSON.stringify(c)})`);
      assert.strictEqual(c.idleReason, 'pause', clock);
      assert.strictEqual(c.bad, undefined, `${clock}: an idle step runs nothing`);
      assert.ok(c.maxMs < 3000, `${clock}: one step took ${c.maxMs} ms`);
    }
    // Paced: time goes on while the guest waits for a key (as on a PC), so steps run the timer's handler
    // and the BIOS wait loop; each comes back without waiting for the wall clock.
    assert.strictEqual(res.paced.idle, 0, JSON.stringify(res.paced));
    assert.ok(res.paced.inBios > 300, `paced: the steps stay in the BIOS's wait (${JSON.stringify(res.paced)})`);
    assert.ok(res.paced.maxMs < 3000, `paced: one step took ${res.paced.maxMs} ms`);
    for (const clock of ['fast', 'paced', 'real'])
      assert.ok(
        res[clock].typed >= 0,
        `${clock}: the typed key reaches the guest by steps (${JSON.stringify(res[clock])})`,
      );
  });

  it('lets a process exit cleanly with machines never disposed, collected, or still running', () => {
    const machineJs = path.join(ROOT, 'out', 'common', 'machine.js');
    const script = `
      const { createMachine } = require(${JSON.stringify(machineJs)});
      const img = require('fs').readFileSync(${JSON.stringify(exampleImg('hello'))});
      const spin = Buffer.alloc(512); spin.set([0xeb, 0xfe]); spin[510] = 0x55; spin[511] = 0xaa;
      (async () => {
        for (let i = 0; i < 8; i++) { const m = createMachine({ image: img }); if (i % 2) await m.run(); }
        global.gc();
        createMachine({ image: spin }).run();
        setTimeout(() => process.exit(3), 50);
      })();`;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { timeout: 20000 });
    assert.strictEqual(r.status, 3, `exit status ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  });

  it('refuses bad configurations with what to change', () => {
    assert.throws(() => createMachine({ image: new Uint8Array(0) }), /empty|0 bytes/i);
    assert.throws(
      () => createMachine({ image: spin(), memoryMiB: 0 }),
      /memoryMiB must be a whole number of MiB from 1 to 3072/,
    );
    assert.throws(() => createMachine({ image: spin(), bootDrive: 300 }), /bootDrive must be 0x00-0xFF/);
    assert.throws(() => createMachine({ image: 'x' as unknown as Uint8Array }), /config\.image must be a Uint8Array/);
  });

  it('gives events in the order the guest made them, and before the stop', async () => {
    const m = make(sector('mov cx, 200\nl: mov al, "a"\nout 0xe9, al\nloop l\ncli\nhlt'));
    let bytes = 0;
    let stopSeen: StopEvent | undefined;
    m.on('debugcon', (b) => {
      assert.strictEqual(stopSeen, undefined, 'no output after the stop');
      bytes += b.length;
    });
    stopSeen = await m.run();
    assert.strictEqual(bytes, 200);
  });
});
