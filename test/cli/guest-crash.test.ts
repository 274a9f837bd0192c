// Unhandled real-mode exceptions (the guest never hooked the vector, so its default BIOS handler is reached)
// stop `bootvisor run` with status 2 and the faulting line, and reach the exit report as the language server
// reads it; a guest that hooks the vector keeps its own handler. Also: the exit profile charges a BIOS
// service's exits to the guest's `int` line.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import type { ExitReport } from '../../common/exit-report';
import { ExitStatus } from '../../cli/exit-codes';
import { exampleAsm, requireNasm, ROOT, runCli, tempDir } from './harness';

const PROGRAMS = path.join(ROOT, 'test', 'pc', 'programs');

/** 1-based lines of `file` whose code (comments stripped) starts with `start`. */
function linesOf(file: string, start: string): number[] {
  const out: number[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      if (l.replace(/;.*/, '').trim().toLowerCase().startsWith(start)) out.push(i + 1);
    });
  assert.ok(out.length, `no line starting with ${start} in ${file}`);
  return out;
}

describe('unhandled exceptions and the exit profile (bootvisor run)', function () {
  this.timeout(60000);
  const tmp = tempDir();
  before(requireNasm);
  after(() => tmp.remove());

  it('ud2 with vector 6 left to the BIOS: status 2, the line named, an invalid-opcode record at that line', () => {
    const asm = path.join(PROGRAMS, 'exc-ud.asm');
    const report = tmp.file('ud.json');
    const r = runCli(['run', asm, '--debugcon', '-', '--report', report]);
    assert.strictEqual(r.status, ExitStatus.guestCrash, r.stderr);
    assert.strictEqual(r.stdout, 'before=01\n', 'stops at the ud2, never reaches the next line');
    const line = linesOf(asm, 'ud2')[0];
    assert.ok(r.stderr.includes(`exc-ud.asm:${line}: ud2`), r.stderr);
    assert.match(
      r.stderr,
      /invalid opcode 0F 0B at 0000:7C[0-9A-F]{2}; vector 6 still points at the BIOS's default handler/,
    );
    const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as ExitReport;
    const rec = rep.exits.find((e) => e.kind === 'invalid-opcode');
    assert.ok(rec, JSON.stringify(rep.exits));
    assert.strictEqual(rec.severity, 'error');
    assert.strictEqual(rec.source?.line, line);
    assert.strictEqual(path.resolve(rec.source!.file), path.resolve(asm));
    assert.strictEqual(rep.stop.reason, 'exception');
    assert.strictEqual(rep.stop.exception?.vector, 6);
    assert.deepStrictEqual(rep.stop.exception?.chain[0].bytes, [0x0f, 0x0b]);
  });

  it('a stack inside the loaded boot sector: a stack-overflow warning in the report, at the int where it was seen', () => {
    const asm = path.join(PROGRAMS, 'stack-into-code.asm');
    const report = tmp.file('stack.json');
    const r = runCli(['run', asm, '--report', report]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as ExitReport;
    const rec = rep.exits.find((e) => e.kind === 'stack-overflow');
    assert.ok(rec, JSON.stringify(rep.exits));
    // Two pushes and the INT's own frame (FLAGS, CS, IP): 0x7D80 - 4 - 6.
    assert.match(rec.message, /SS:SP = 0000:7D76, .*boot sector loaded at 0x7C00-0x7DFF/);
    assert.strictEqual(rec.source?.line, linesOf(asm, 'int 0x10')[0], 'found at the BIOS call, reported at the int');
  });

  it('div by zero with vector 0 left to the BIOS: #DE at the div, with its bytes', () => {
    const asm = path.join(PROGRAMS, 'exc-de.asm');
    const report = tmp.file('de.json');
    const r = runCli(['run', asm, '--report', report]);
    assert.strictEqual(r.status, ExitStatus.guestCrash, r.stderr);
    const line = linesOf(asm, 'div bx')[0];
    assert.match(r.stderr, /unhandled exception #DE at 0000:7C[0-9A-F]{2}/);
    assert.ok(r.stderr.includes(`exc-de.asm:${line}: div bx`), r.stderr);
    assert.match(r.stderr, /divide error F7 F3 at 0000:7C[0-9A-F]{2}; vector 0 still points/);
    const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as ExitReport;
    const rec = rep.exits.find((e) => e.kind === 'exception');
    assert.ok(rec, JSON.stringify(rep.exits));
    assert.strictEqual(rec.source?.line, line);
    assert.strictEqual(rep.stop.exception?.vector, 0);
    assert.strictEqual(rep.stop.exception?.name, '#DE');
  });

  it('int3 with vector 3 left to the BIOS: #BP, the stop at the next instruction, the chain at the int3', () => {
    const asm = path.join(PROGRAMS, 'exc-bp.asm');
    const report = tmp.file('bp.json');
    const r = runCli(['run', asm, '--report', report]);
    assert.strictEqual(r.status, ExitStatus.guestCrash, r.stderr);
    const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as ExitReport;
    const step = rep.stop.exception?.chain[0];
    assert.strictEqual(rep.stop.exception?.name, '#BP');
    assert.deepStrictEqual(step?.bytes, [0xcc]);
    assert.strictEqual(rep.stop.eip, step!.eip + 1, 'INT3 pushes the address after itself');
    assert.ok(r.stderr.includes(`exc-bp.asm:${linesOf(asm, 'int3')[0]}: int3`), r.stderr);
  });

  it('a guest that hooks vectors 6 and 3 itself gets its own handlers, no stop', () => {
    const r = runCli(['run', path.join(PROGRAMS, 'exc-hooked.asm'), '--debugcon', '-']);
    assert.strictEqual(r.status, 4, r.stderr); // EXIT 0 through port 0xF4: QEMU's 1 is one of Bootvisor's own
    assert.strictEqual(r.stdout, 'ud=02\nbp=01\n');
    assert.doesNotMatch(r.stderr, /unhandled exception/);
  });

  it("hello's exit profile counts exits on its int 0x10 lines (the BIOS stub's exit is the caller's)", () => {
    const asm = exampleAsm('hello');
    const report = tmp.file('hello.json');
    const r = runCli(['run', asm, '--report', report]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    const rep = JSON.parse(fs.readFileSync(report, 'utf8')) as ExitReport;
    const intLines = linesOf(asm, 'int 0x10');
    for (const line of intLines) {
      const p = rep.profile.find((e) => e.source.line === line && path.resolve(e.source.file) === path.resolve(asm));
      assert.ok(p && p.exits > 0, `no exits on hello.asm:${line}: ${JSON.stringify(rep.profile)}`);
      assert.ok(p.ports.includes(0xef), 'the BIOS call port');
    }
    // The message loop calls INT 10h once per character: that line carries them all.
    const counts = intLines.map((l) => rep.profile.find((e) => e.source.line === l)!.exits);
    assert.ok(Math.max(...counts) >= 'Hello from Bootvisor!'.length, JSON.stringify(counts));
  });
});
