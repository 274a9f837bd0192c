// `bootvisor run --gdb PORT` driven by the real gdb in batch mode: a C kernel by its symbols (break at a
// function, read variables and parameters, next/step, a hardware watchpoint), a boot sector in real mode
// (i8086 disassembly at the linear CS:IP) and across its switch to protected mode; and Ctrl-C, raw.
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

import { buildKernel, kernelDir } from '../kernels/build';
import { gdbBatch as gdb, requireGdb } from '../kernels/gdb-batch';
import { EXAMPLES, startGdbStub as startStub } from './harness';

describe('bootvisor run --gdb: the real gdb attached', function () {
  this.timeout(180000);
  let k: ReturnType<typeof kernelDir>;
  before(() => {
    requireGdb();
    k = kernelDir();
  });
  after(() => k?.remove());

  it('breaks at a C function by name, reads parameters and globals, steps by line and instruction, and detaches to let it finish', async () => {
    const elf = buildKernel(k.dir, 'bare', ['bare.c'], '-O0');
    const s = await startStub([elf, '--serial', path.join(k.dir, 'serial.txt')]);
    const out = await gdb(
      s.port,
      [
        'info registers eip',
        'break kmain',
        'continue',
        'print/x magic',
        'print initialised',
        'print/x mb->flags',
        'next',
        'next',
        'step',
        'bt 1',
        'finish',
        'stepi',
        'x/i $pc',
        'info registers cs',
        'detach',
      ],
      elf,
    );
    assert.match(out, /eip\s+0x100010\s+0x100010 <_start>/, out);
    assert.match(out, /Breakpoint 1, kmain \(magic=732803074, mb=0x9018\) at .*bare\.c:\d+/, out);
    assert.match(out, /\$1 = 0x2badb002/);
    assert.match(out, /\$2 = 12648430/);
    assert.match(out, /\$3 = 0x24d/);
    assert.match(out, /kputs\("Hello from a multiboot kernel\\n"\);/, 'next reached the kputs line');
    assert.match(out, /#0 {2}kputs \(s=0x[0-9a-f]+ "Hello from a multiboot kernel\\n"\) at .*kernel\.c/, out);
    assert.match(
      out,
      /0x[0-9a-f]+ in kmain \(magic=732803074, mb=0x9018\) at .*bare\.c:23/,
      'finish returned to kmain',
    );
    assert.match(out, /=> 0x10[0-9a-f]{4} <kmain\+\d+>:/);
    assert.match(out, /cs\s+0x8\s+8/);
    assert.strictEqual(await s.exited, 33, s.stderr());
    assert.match(fs.readFileSync(path.join(k.dir, 'serial.txt'), 'latin1'), /bye\n$/);
    assert.match(s.stderr(), /gdb detached: the guest runs on/);
  });

  it('stops on a hardware watchpoint when the timer interrupt changes a variable', async () => {
    const elf = buildKernel(k.dir, 'irq', ['irq.c', 'cpu.c', 'isr.asm'], '-O0');
    const s = await startStub([elf]);
    const out = await gdb(s.port, ['watch ticks', 'continue', 'bt 2', 'delete', 'kill'], elf);
    assert.match(out, /Hardware watchpoint 1: ticks/, out);
    assert.match(out, /Old value = 0\s+New value = 1/, out);
    assert.match(out, /#0 {2}on_timer \(f=0x[0-9a-f]+\) at .*irq\.c:\d+/, out);
    assert.strictEqual(await s.exited, 130, s.stderr());
    assert.match(s.stderr(), /gdb killed the run/);
  });

  it('a boot sector in real mode reads as 16-bit code at CS:IP, and a switch to protected mode is announced', async () => {
    const image = path.join(EXAMPLES, 'protected', 'protected.img');
    const bytes = fs.readFileSync(image);
    // jmp CODE_SEL:pm_start assembles as EA, the 16-bit offset, then the selector 08 00.
    const jmp = bytes.findIndex((b, i) => b === 0xea && bytes[i + 3] === 0x08 && bytes[i + 4] === 0x00 && i < 510);
    assert.ok(jmp > 0, 'the far jump into protected mode');
    const pmStart = bytes.readUInt16LE(jmp + 1);
    const s = await startStub([image]);
    const out = await gdb(s.port, [
      'show architecture',
      'x/2i $pc',
      'break *0x7c02',
      'continue',
      'info registers eip cs',
      'delete',
      `break *0x${pmStart.toString(16)}`,
      'continue',
      'set architecture i386',
      'x/i $pc',
      'monitor mode',
      'kill',
    ]);
    assert.match(out, /The target architecture is set to "auto" \(currently "i8086"\)/, out);
    assert.match(out, /=> 0x7c00:\s+xor\s+%ax,%ax\s+0x7c02:\s+mov\s+%ax,%ds/, out);
    assert.match(out, /eip\s+0x7c02\s+0x7c02\ncs\s+0x0\s+0/, out);
    assert.match(out, /Bootvisor: the CPU is in protected32 mode now: set architecture i386/, out);
    assert.match(out, new RegExp(`=> 0x${pmStart.toString(16)}:\\s+mov\\s+\\$0x10,%ax`), out);
    assert.match(out, /protected32: set architecture i386/);
    await s.exited;
  });

  it('Ctrl-C (0x03) stops a guest running (waiting for a key) with SIGINT; qSupported offers the target description', async () => {
    const s = await startStub([path.join(EXAMPLES, 'echo', 'echo.img')]);
    const socket = net.connect(s.port, '127.0.0.1');
    let got = '';
    socket.on('data', (b) => (got += b.toString('latin1')));
    const packet = (p: string): string => {
      let sum = 0;
      for (const c of p) sum = (sum + c.charCodeAt(0)) & 0xff;
      return `$${p}#${sum.toString(16).padStart(2, '0')}`;
    };
    const waitFor = async (re: RegExp, what: string): Promise<string> => {
      for (let i = 0; i < 600; i++) {
        const m = re.exec(got);
        if (m) {
          got = got.slice(m.index + m[0].length);
          return m[0];
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${what} from the stub: ${JSON.stringify(got)}`);
    };
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(packet('qSupported:multiprocess+;swbreak+'));
    assert.match(await waitFor(/\$[^#]*#../, 'qSupported reply'), /qXfer:features:read\+/);
    socket.write('+' + packet('qXfer:features:read:target.xml:0,ffff'));
    const xml = await waitFor(/\$l[^#]*#../, 'target.xml');
    assert.match(xml, /<architecture>i8086<\/architecture>/);
    assert.match(xml, /<feature name="org.gnu.gdb.i386.core">/);
    socket.write('+' + packet('c'));
    await new Promise((r) => setTimeout(r, 300));
    socket.write('\x03');
    assert.match(await waitFor(/\$T02[^#]*#../, 'stop reply after Ctrl-C'), /T02thread:1;/);
    socket.write('+' + packet('k'));
    socket.end();
    assert.strictEqual(await s.exited, 130);
  });
});
