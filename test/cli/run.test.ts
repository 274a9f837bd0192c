// `bootvisor run` end to end, as a user runs it: streams, expectations, exit statuses, the stop message
// with its source line, the text screen, the screenshot and the exit report.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { PNG } from 'pngjs';

import { WORKSPACE_REPORT_PATH, type ExitReport } from '../../common/exit-report';
import { ExitStatus } from '../../cli/exit-codes';
import * as path from 'path';

import { CLI, exampleAsm, exampleImg, requireNasm, ROOT, runCli, runCliAsync, tempDir } from './harness';

/** The 1-based line of `file` whose trimmed text starts with `start`. */
function lineOf(file: string, start: string): number {
  const i = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.trim().startsWith(start));
  assert.ok(i >= 0, `no line starting with ${start} in ${file}`);
  return i + 1;
}

describe('bootvisor run', function () {
  this.timeout(60000);
  const tmp = tempDir();
  after(() => tmp.remove());

  it('boots hello.img, streams COM1 to stdout and says why it stopped, with the source line', () => {
    const r = runCli(['run', exampleImg('hello'), '--serial', '-']);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    assert.strictEqual(r.stdout, 'Hello from Bootvisor!\r\n');
    assert.match(r.stderr, /halted with interrupts disabled at 0000:7C[0-9A-F]{2} \(.*hello\.asm:\d+: hlt\)/);
    assert.ok(r.stderr.includes(`hello.asm:${lineOf(exampleAsm('hello'), 'hlt')}: hlt`), r.stderr);
  });

  it('assembles a .asm first and runs it the same', () => {
    requireNasm();
    const r = runCli(['run', exampleAsm('hello'), '--serial', '-', '--quiet']);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    assert.strictEqual(r.stdout, 'Hello from Bootvisor!\r\n');
    assert.strictEqual(r.stderr, '', '--quiet says nothing when all is well');
  });

  it('exits 0 as soon as --expect-serial matches, 1 when it never does', async () => {
    const [ok, bad] = await Promise.all([
      runCliAsync(['run', exampleImg('hello'), '--expect-serial', 'from Boot']),
      runCliAsync(['run', exampleImg('hello'), '--expect-serial', 'Goodbye']),
    ]);
    assert.strictEqual(ok.status, ExitStatus.ok, ok.stderr);
    assert.match(ok.stderr, /--expect-serial \/from Boot\/m matched/);
    assert.strictEqual(bad.status, ExitStatus.expectationFailed, bad.stderr);
    assert.match(bad.stderr, /--expect-serial \/Goodbye\/m did not match the serial output/);
  });

  it('matches --expect-screen against the text screen', () => {
    const r = runCli(['run', exampleImg('protected'), '--expect-screen', '^Hello from 32-bit protected mode!']);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    const bad = runCli(['run', exampleImg('protected'), '--expect-screen', 'Windows']);
    assert.strictEqual(bad.status, ExitStatus.expectationFailed, bad.stderr);
    assert.match(bad.stderr, /did not match the screen/);
  });

  it('types --keys into the echo example', () => {
    const r = runCli([
      'run',
      exampleImg('echo'),
      '--keys',
      'hello\\nworld',
      '--expect-serial',
      'hello\\r\\nworld',
      '--serial',
      '-',
    ]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    assert.strictEqual(r.stdout, 'Type something: hello\r\nworld');
  });

  it('types the --keys escapes as the keys they name (Escape, Tab, \\xNN)', () => {
    requireNasm();
    const r = runCli([
      'run',
      path.join(ROOT, 'test', 'pc', 'programs', 'int16.asm'),
      '--keys',
      '\\e\\t\\x41',
      '--debugcon',
      '-',
    ]);
    assert.strictEqual(r.status, ExitStatus.guestExitReserved, r.stderr); // it leaves through port 0xF4 with 0: QEMU's 1 is reserved
    assert.match(r.stdout, /^key1=011B$/m, 'Escape: scan code 01h, ASCII 1Bh');
    assert.match(r.stdout, /^key2=0F09$/m, 'Tab');
    assert.match(r.stdout, /^key3=1E41$/m, 'A, shifted');
  });

  it('times out with 124, and with 1 when an expectation was waiting', async () => {
    const [plain, expecting] = await Promise.all([
      runCliAsync(['run', exampleImg('echo'), '--timeout', '0.5']),
      runCliAsync(['run', exampleImg('echo'), '--timeout', '0.5', '--expect-serial', 'never']),
    ]);
    assert.strictEqual(plain.status, ExitStatus.timeout, plain.stderr);
    assert.match(plain.stderr, /timed out after 0\.5 s at [0-9A-F]{4}:[0-9A-F]{4}/);
    assert.strictEqual(expecting.status, ExitStatus.expectationFailed, expecting.stderr);
  });

  it('stops at the instruction budget with 124', () => {
    requireNasm();
    const f = tmp.file('spin.asm');
    fs.writeFileSync(f, 'bits 16\norg 0x7c00\n  jmp $\n  times 510-($-$$) db 0\n  dw 0xaa55\n');
    const r = runCli(['run', f, '--max-instructions', '5000']);
    assert.strictEqual(r.status, ExitStatus.timeout, r.stderr);
    assert.match(r.stderr, /the instruction budget \(5000 instructions\) is spent/);
  });

  it('reports a triple fault with its chain and the source line of the div, exit status 2', () => {
    const r = runCli(['run', exampleImg('triple-fault')]);
    assert.strictEqual(r.status, ExitStatus.guestCrash, r.stderr);
    const line = lineOf(exampleAsm('triple-fault'), 'div cx');
    assert.match(r.stderr, /triple fault: the CPU shut down at 0000:7C[0-9A-F]{2}/);
    assert.ok(r.stderr.includes(`triple-fault.asm:${line}: div cx`), r.stderr);
    assert.ok(
      r.stderr.includes(`(examples/triple-fault/triple-fault.asm:${line}: div cx) [F7 F1]: divide by zero`),
      r.stderr,
    );
    assert.match(r.stderr, /^bootvisor: {3}#DE at 0000:7C[0-9A-F]{2} \(/m);
    assert.match(r.stderr, /-> #DF/);
  });

  it('exits with the isa-debug-exit status the guest wrote to port 0xF4, never one of its own', () => {
    requireNasm();
    const exitWith = (value: number): string => {
      const f = tmp.file(`exit-${value}.asm`);
      fs.writeFileSync(
        f,
        `bits 16\norg 0x7c00\n  mov al, ${value}\n  out 0xf4, al\n  jmp $\n  times 510-($-$$) db 0\n  dw 0xaa55\n`,
      );
      return f;
    };
    // 0x10: QEMU's (0x10 << 1) | 1 = 33, which Bootvisor never uses itself.
    let r = runCli(['run', exitWith(0x10)]);
    assert.strictEqual(r.status, 33, r.stderr);
    assert.match(
      r.stderr,
      /the guest wrote 10h to the exit port 0xF4 at 0000:7C04 \(.*exit-16\.asm:4: out 0xf4, al\): exit status 33 \(as QEMU's isa-debug-exit\)/,
    );
    // 0x20: QEMU would give 65, Bootvisor's "unusable image"; 0x80: 257 does not fit. Both give 4 and say why.
    r = runCli(['run', exitWith(0x20)]);
    assert.strictEqual(r.status, ExitStatus.guestExitReserved, r.stderr);
    assert.match(
      r.stderr,
      /wrote 20h to the exit port 0xF4 .*: exit status 4: QEMU's status \(32 << 1\) \| 1 = 65 is one of Bootvisor's own; --guest-exit verbatim gives 32/,
    );
    r = runCli(['run', exitWith(0x80)]);
    assert.strictEqual(r.status, ExitStatus.guestExitReserved, r.stderr);
    assert.match(
      r.stderr,
      /exit status 4: QEMU's status \(128 << 1\) \| 1 = 257 does not fit in 8 bits; --guest-exit verbatim gives 128/,
    );
    // verbatim: the value itself.
    r = runCli(['run', exitWith(0x20), '--guest-exit', 'verbatim']);
    assert.strictEqual(r.status, 0x20, r.stderr);
    assert.match(r.stderr, /exit status 32 \(--guest-exit verbatim\)/);
  });

  it('writes COM1 and the debug console to files', () => {
    requireNasm();
    const f = tmp.file('both.asm');
    fs.writeFileSync(
      f,
      'bits 16\norg 0x7c00\n  mov al, "S"\n  mov dx, 0x3f8\n  out dx, al\n  mov al, "D"\n  out 0xe9, al\n  cli\n  hlt\n  times 510-($-$$) db 0\n  dw 0xaa55\n',
    );
    const r = runCli(['run', f, '--serial', tmp.file('serial.txt'), '--debugcon', tmp.file('debugcon.txt')]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    assert.strictEqual(fs.readFileSync(tmp.file('serial.txt'), 'latin1'), 'S');
    assert.strictEqual(fs.readFileSync(tmp.file('debugcon.txt'), 'latin1'), 'D');
  });

  it('writes the final text screen with --screen', () => {
    const out = tmp.file('screen.txt');
    const r = runCli(['run', exampleImg('protected'), '--screen', out]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    assert.strictEqual(lines[0], 'Real mode: switching to protected mode...');
    assert.strictEqual(lines[1], 'Hello from 32-bit protected mode!');
    assert.strictEqual(lines.length, 26, '25 rows and a final newline');
  });

  it('writes a PNG screenshot of a text screen, drawn with the VGA font and palette', () => {
    const out = tmp.file('hello.png');
    const r = runCli(['run', exampleImg('hello'), '--screenshot', out]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    const png = PNG.sync.read(fs.readFileSync(out));
    assert.strictEqual(png.width % 80, 0);
    assert.strictEqual(png.height % 25, 0);
    const cw = png.width / 80;
    const ch = png.height / 25;
    const cell = (row: number, col: number): number[][] => {
      const px: number[][] = [];
      for (let y = row * ch; y < (row + 1) * ch; y++) {
        for (let x = col * cw; x < (col + 1) * cw; x++) {
          const i = (y * png.width + x) * 4;
          px.push([png.data[i], png.data[i + 1], png.data[i + 2]]);
        }
      }
      return px;
    };
    const lit = (px: number[][]): number[][] => px.filter((p) => p.some((c) => c > 40));
    const h = lit(cell(0, 0));
    assert.ok(h.length > 10, 'the H has pixels');
    assert.ok(
      h.every((p) => p.every((c) => Math.abs(c - 0xaa) <= 2)),
      'in light grey (attribute 07h)',
    );
    assert.strictEqual(lit(cell(0, 5)).length, 0, 'the space after Hello is blank');
    assert.strictEqual(lit(cell(10, 40)).length, 0, 'the rest of the screen is black');
    assert.notDeepStrictEqual(lit(cell(0, 0)), lit(cell(0, 1)), 'H and e differ');
  });

  it('writes a graphics-mode screenshot', () => {
    const out = tmp.file('mode13h.png');
    const r = runCli(['run', exampleImg('mode13h'), '--screenshot', out, '--screen', tmp.file('g.txt')]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    const png = PNG.sync.read(fs.readFileSync(out));
    assert.strictEqual(png.width % 320, 0);
    const i = (Math.floor(png.height / 2) * png.width + Math.floor(png.width / 2)) * 4;
    assert.deepStrictEqual([...png.data.subarray(i, i + 3)], [255, 255, 255], 'the sun is white');
    assert.match(r.stderr, /graphics mode 13h: --screen has no text/);
  });

  it('writes an exit report the language server can place on source lines', () => {
    const out = tmp.file('report.json');
    const r = runCli(['run', exampleImg('triple-fault'), '--report', out]);
    assert.strictEqual(r.status, ExitStatus.guestCrash, r.stderr);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as ExitReport;
    const asm = exampleAsm('triple-fault');
    const line = lineOf(asm, 'div cx');
    assert.strictEqual(report.version, 1);
    assert.strictEqual(report.backend, 'software');
    assert.strictEqual(report.stop.reason, 'triple-fault');
    assert.deepStrictEqual(report.stop.source, { file: asm, line });
    assert.strictEqual(report.listing, undefined, 'the report carries source lines, not a temp listing');
    assert.deepStrictEqual(
      report.sources.map((s) => s.file),
      [asm],
    );
    assert.match(report.sources[0].sha256, /^[0-9a-f]{64}$/);
    const tf = report.exits.find((e) => e.kind === 'triple-fault');
    assert.ok(tf, JSON.stringify(report.exits));
    assert.strictEqual(tf.severity, 'error');
    assert.deepStrictEqual(tf.source, { file: asm, line });
    assert.strictEqual(tf.chain?.[0].name, '#DE');
    assert.deepStrictEqual(tf.chain?.[0].source, { file: asm, line });
  });

  it('makes the .bootvisor folder for --report .bootvisor/last-run.json, where the language server looks', () => {
    const ws = tempDir('bootvisor-ws-');
    try {
      fs.copyFileSync(exampleImg('hang'), path.join(ws.dir, 'hang.img'));
      const r = runCli(['run', 'hang.img', '--report', WORKSPACE_REPORT_PATH], { cwd: ws.dir });
      assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
      const report = JSON.parse(fs.readFileSync(path.join(ws.dir, WORKSPACE_REPORT_PATH), 'utf8')) as ExitReport;
      assert.strictEqual(report.stop.reason, 'hlt-cli');
      assert.strictEqual(report.image, path.join(fs.realpathSync(ws.dir), 'hang.img'));
      assert.deepStrictEqual(fs.readdirSync(ws.dir).sort(), ['.bootvisor', 'hang.img'], 'nothing else written');
    } finally {
      ws.remove();
    }
  });

  it('writes nothing into the folder it runs in unless an option names a file', () => {
    const ws = tempDir('bootvisor-ws-');
    try {
      fs.copyFileSync(exampleImg('hello'), path.join(ws.dir, 'hello.img'));
      fs.copyFileSync(exampleAsm('hello'), path.join(ws.dir, 'hello.asm'));
      const r = runCli(['run', 'hello.img'], { cwd: ws.dir });
      assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
      assert.match(r.stderr, /hello\.asm:\d+: hlt/, 'the source line comes from the .asm beside the image');
      assert.deepStrictEqual(fs.readdirSync(ws.dir).sort(), ['hello.asm', 'hello.img']);
    } finally {
      ws.remove();
    }
  });

  it('reports unhandled ports per line, and VM exits per source line in the profile', () => {
    const out = tmp.file('ports.json');
    const r = runCli(['run', exampleImg('unhandled-port'), '--report', out]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    assert.match(r.stderr, /unhandled-port: .* at 0000:7C[0-9A-F]{2} \(.*unhandled-port\.asm:\d+: in al, dx\)/);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as ExitReport;
    const asm = exampleAsm('unhandled-port');
    const inLine = lineOf(asm, 'in al, dx');
    const e = report.exits.find((x) => x.kind === 'unhandled-port');
    assert.ok(e, JSON.stringify(report.exits));
    assert.strictEqual(e.port, 0x5a5a);
    assert.deepStrictEqual(e.source, { file: asm, line: inLine });
    assert.strictEqual(e.severity, 'warning');
    const row = report.profile.find((p) => p.source.line === inLine);
    assert.ok(row, `the in line is in the profile: ${JSON.stringify(report.profile)}`);
    assert.ok(row.exits >= 1);
    assert.deepStrictEqual(row.ports, [0x5a5a]);
    const hlt = report.exits.find((x) => x.kind === 'hlt-cli');
    assert.ok(hlt && hlt.severity === 'information');
  });

  it('passes --memory and --boot-drive to the machine', () => {
    requireNasm();
    const programs = path.join(ROOT, 'test', 'pc', 'programs');
    const mem = runCli(['run', path.join(programs, 'int15.asm'), '--memory', '64', '--debugcon', '-']);
    assert.strictEqual(mem.status, ExitStatus.guestExitReserved, mem.stderr); // it writes 0 to port 0xF4: QEMU's 1 is reserved
    assert.match(mem.stdout, /^ext_kb=FC00$/m, '63 MiB above the first');
    const hdd = runCli(['run', path.join(programs, 'int13-lba.asm'), '--boot-drive', 'hdd', '--debugcon', '-']);
    assert.match(hdd.stdout, /^drive=80$/m, hdd.stderr);
    assert.match(hdd.stdout, /^ext_bx=AA55$/m);
  });

  it('stops quietly when the reader of standard output goes away', () => {
    const r = spawnSync('bash', [
      '-c',
      `"${process.execPath}" "${CLI}" run "${exampleImg('echo')}" --serial - --timeout 5 --keys "${'a'.repeat(200)}" | head -c 5; exit \${PIPESTATUS[0]}`,
    ]);
    assert.strictEqual(r.stdout.toString(), 'Type ');
    assert.strictEqual(r.status, ExitStatus.brokenPipe, r.stderr.toString());
    assert.doesNotMatch(r.stderr.toString(), /EPIPE|Error/);
  });

  it('stops at the first unhandled port with --stop-on-unhandled-port, at the in line, status 2', () => {
    const r = runCli(['run', exampleImg('unhandled-port'), '--stop-on-unhandled-port']);
    assert.strictEqual(r.status, ExitStatus.guestCrash, r.stderr);
    const line = lineOf(exampleAsm('unhandled-port'), 'in al, dx');
    assert.match(
      r.stderr,
      new RegExp(
        `stopped: port 0x5A5A is served by no device at 0000:7C[0-9A-F]{2} \\(.*unhandled-port\\.asm:${line}: in al, dx\\)`,
      ),
    );
  });

  it('refuses an output file it cannot create with 73', () => {
    const r = runCli(['run', exampleImg('hello'), '--serial', tmp.dir]);
    assert.strictEqual(r.status, ExitStatus.cantCreate, r.stderr);
    assert.match(r.stderr, /--serial .* is a directory: name a regular file/);
  });

  it('boots with --no-signature-check what it otherwise refuses', () => {
    const bytes = Buffer.alloc(512);
    bytes.set([0xb0, 0x07, 0xe6, 0xf4]); // mov al, 7; out 0xf4, al
    const f = tmp.file('nosig.img');
    fs.writeFileSync(f, bytes);
    assert.strictEqual(runCli(['run', f]).status, ExitStatus.badImage);
    const r = runCli(['run', f, '--no-signature-check']);
    assert.strictEqual(r.status, 15, r.stderr);
  });
});
