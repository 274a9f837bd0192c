// F5 on a multiboot kernel: "program": "kernel.elf" boots it as the CLI does (cmdline and modules from the
// launch), stops on entry in 32-bit protected mode with EAX = 0x2BADB002, takes instruction breakpoints at C
// functions (addresses from the ELF's symbol table, read here with nm), and its COM1 output reaches the Debug Console.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildKernel, buildTutorialImage, KERNEL_SOURCES } from '../kernels/build';
import { gdbBatch, requireGdb } from '../kernels/gdb-batch';
import { eachTestSession } from './dap-session';

function symbol(elf: string, name: string): number {
  const r = spawnSync('nm', [elf], { encoding: 'utf8' });
  if (r.error) throw new Error('nm is not installed (binutils): scripts/install-test-deps.sh');
  const line = r.stdout.split('\n').find((l) => l.endsWith(` ${name}`));
  assert.ok(line, `${name} in nm ${elf}`);
  return parseInt(line.split(' ')[0], 16);
}

describe('debugging a multiboot kernel', function () {
  this.timeout(60000);
  const session = eachTestSession();

  it('stops on entry in protected mode, breaks at kmain, and runs to the end with COM1 in the Debug Console', async () => {
    const s = session();
    const elf = buildKernel(s.cwd, 'bare', ['bare.c']);
    fs.writeFileSync(path.join(s.cwd, 'mod.txt'), 'module text\n');
    const entry = s.expectStop('entry');
    await s.launch({
      program: 'bare.elf',
      stopOnEntry: true,
      cmdline: 'from launch.json',
      modules: ['mod.txt'],
      serial: 'debugConsole',
    });
    await entry;
    const frames = await s.frames();
    assert.match(frames[0].name, /0008:0010/, frames[0].name);
    const eax = await s.evaluate('eax');
    assert.match(eax.body.result, /2BADB002/i);

    const kmain = symbol(elf, 'kmain');
    const set = await s.dc.customRequest('setInstructionBreakpoints', {
      breakpoints: [{ instructionReference: '0x' + kmain.toString(16) }],
    });
    assert.ok(set.body.breakpoints[0].verified);
    await s.resume('instruction breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
    const eip = await s.evaluate('eip');
    assert.strictEqual(parseInt(eip.body.result.replace(/^0x/i, ''), 16), kmain, eip.body.result);

    await s.dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
    const ended = s.dc.waitForEvent('terminated', 30000);
    await s.dc.continueRequest({ threadId: 1 });
    await ended;
    const console = s.outputs.join('');
    assert.match(console, /cmdline \[bare\.elf from launch\.json\]/);
    assert.match(console, /\[mod\.txt\] 12 bytes, page-aligned: yes, after the kernel: yes, first line: module text/);
    assert.match(console, /bye/);
  });

  it('"gdbPort": gdb drives the guest (VS Code\'s continue is refused meanwhile), and its detach hands the guest back', async () => {
    requireGdb();
    const s = session();
    const elf = buildKernel(s.cwd, 'bare', ['bare.c'], '-O0');
    await s.launch({ program: 'bare.elf', gdbPort: 0 });
    let port: number | undefined;
    for (let i = 0; i < 200 && port === undefined; i++) {
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(s.outputs.join(''));
      if (m) port = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(port, s.outputs.join(''));
    await assert.rejects(s.dc.continueRequest({ threadId: 1 }), /gdb is attached \(port \d+\) and drives the guest/);
    const ended = s.dc.waitForEvent('terminated', 60000);
    const out = await gdbBatch(port, ['break kmain', 'continue', 'print/x magic', 'detach'], elf);
    assert.match(out, /Breakpoint 1, kmain \(magic=732803074/, out);
    assert.match(out, /\$1 = 0x2badb002/, out);
    await ended;
    const console = s.outputs.join('');
    assert.match(console, /gdb detached; the guest runs on under VS Code/);
    assert.match(console, /bye/);
  });

  it("takes breakpoints on C lines from the kernel's DWARF (moved past a line with no code) and shows the C line in the call stack", async () => {
    const s = session();
    const elf = buildKernel(s.cwd, 'bare', ['bare.c'], '-O0');
    const source = path.join(KERNEL_SOURCES, 'bare.c');
    const lines = fs.readFileSync(source, 'utf8').split('\n');
    const hello = lines.findIndex((l) => l.includes('kputs("Hello from a multiboot kernel')) + 1;
    const blank = lines.findIndex((l) => l.includes('kputs(magic == 0x2BADB002')) + 2; // the empty line after it
    assert.strictEqual(lines[blank - 1].trim(), '', 'an empty line');
    let set: DebugProtocol.SetBreakpointsResponse | undefined;
    const stopped = s.expectStop('breakpoint');
    await s.launch({ program: elf }, async (dc) => {
      set = await dc.setBreakpointsRequest({
        source: { path: source },
        breakpoints: [{ line: hello }, { line: blank }],
      });
    });
    const [exact, moved] = set!.body.breakpoints;
    assert.ok(exact.verified, exact.message);
    assert.strictEqual(exact.line, hello);
    assert.ok(moved.verified, moved.message);
    assert.ok(moved.line! > blank);
    assert.match(moved.message ?? '', /has no code; the breakpoint moved to line \d+/);
    await stopped;
    const frames = await s.frames();
    assert.strictEqual(frames[0].source?.path, source);
    assert.strictEqual(frames[0].line, hello);
    assert.match(frames[0].name, /^kmain\+0x[0-9a-f]+ \(0008:0010/);
    assert.ok(
      frames.some((f) => /_start/.test(f.name) && f.source?.path?.endsWith('entry.asm')),
      frames.map((f) => f.name).join(' | '),
    );
    await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
    assert.strictEqual((await s.frames())[0].line, moved.line);
  });

  it('"symbols": the os-tutorial pattern (a boot sector loading the flat binary) breaks on a C function by name and on a C line', async () => {
    const s = session();
    const { image, elf } = buildTutorialImage(s.cwd, ['crash.c']);
    const source = path.join(KERNEL_SOURCES, 'crash.c');
    const lines = fs.readFileSync(source, 'utf8').split('\n');
    const divideLine = lines.findIndex((l) => l.includes('return x / divisor;')) + 1;
    const printLine = lines.findIndex((l) => l.includes('kputs("about to divide')) + 1;
    let fn: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
    let src: DebugProtocol.SetBreakpointsResponse | undefined;
    const stopped = s.expectStop('breakpoint');
    await s.launch({ program: image, symbols: elf }, async (dc) => {
      fn = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'divide' }] });
      src = await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: printLine }] });
    });
    assert.ok(fn!.body.breakpoints[0].verified, fn!.body.breakpoints[0].message);
    assert.strictEqual(fn!.body.breakpoints[0].line, divideLine, 'past the prologue, at the first statement');
    assert.ok(src!.body.breakpoints[0].verified, src!.body.breakpoints[0].message);
    await stopped;
    let frames = await s.frames();
    assert.strictEqual(frames[0].line, printLine);
    assert.match(frames[0].name, /^kmain\+0x[0-9a-f]+ \(0008:0000/);
    await s.resume('function breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
    frames = await s.frames();
    assert.strictEqual(frames[0].source?.path, source);
    assert.strictEqual(frames[0].line, divideLine);
    assert.match(frames[0].name, /^divide\+0x[0-9a-f]+/);
  });

  it('fails the launch of a broken kernel with what is wrong', async () => {
    const s = session();
    const elf = buildKernel(s.cwd, 'bare', ['bare.c']);
    const bytes = fs.readFileSync(elf);
    bytes[4] = 2; // ELFCLASS64
    fs.writeFileSync(path.join(s.cwd, 'x64.elf'), bytes);
    await s.dc.initializeRequest({ adapterID: 'bootvisor', linesStartAt1: true, pathFormat: 'path' });
    await assert.rejects(
      s.dc.launchRequest({ program: 'x64.elf', cwd: s.cwd } as never),
      /64-bit ELF without a Multiboot2 header; Multiboot v1 loads 32-bit kernels/,
    );
  });
});
