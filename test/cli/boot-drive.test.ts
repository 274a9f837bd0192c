// `bootvisor run` says first which drive the image boots as and why, reports every failed BIOS disk call
// (in its output and in the exit report, at the source line), and stops at once on a HLT nothing can wake.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import type { ExitReport } from '../../common/exit-report';
import { ExitStatus } from '../../cli/exit-codes';
import { exampleImg, requireNasm, ROOT, runCli, tempDir } from './harness';

const DISK_ERROR = path.join(ROOT, 'test', 'lsp', 'programs', 'disk-error.asm');

describe('bootvisor run: the boot drive, failed disk calls, hangs', function () {
  this.timeout(60000);
  const tmp = tempDir();
  after(() => tmp.remove());

  it('the first line names the boot drive and why: a bare boot sector is the first hard disk, as in QEMU', () => {
    const r = runCli(['run', exampleImg('hello')]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    assert.match(
      r.stderr.split('\n')[0],
      /^bootvisor: booting .*hello\.img as a hard disk \(DL=80h\): no partition table, BPB or floppy size, so the first hard disk, as qemu-system-i386 IMAGE boots it \(--boot-drive floppy to change\)$/,
    );
    const forced = runCli(['run', exampleImg('hello'), '--boot-drive', 'floppy']);
    assert.match(
      forced.stderr.split('\n')[0],
      /^bootvisor: booting .*hello\.img as a floppy \(DL=00h\), as --boot-drive asked$/,
    );
    assert.strictEqual(runCli(['run', exampleImg('hello'), '--quiet']).stderr, '', '--quiet says nothing');
  });

  it('a failed INT 13h call is an event in the output and in the report, at its source line', () => {
    requireNasm();
    const report = tmp.file('disk-error.json');
    const r = runCli(['run', DISK_ERROR, '--report', report]);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    const lines = r.stderr.split('\n');
    assert.match(
      lines[0],
      /^bootvisor: booting .*disk-error\.asm as a floppy \(DL=00h\): it is the size of a 1\.44 MB floppy \(--boot-drive hdd to change\)$/,
    );
    const event = lines.find((l) => l.includes('disk-error:'));
    assert.ok(event, r.stderr);
    assert.match(
      event,
      /^bootvisor: disk-error: INT 13h AH=02h from drive 80h failed: no such drive; this image booted as a floppy \(drive 00h, because it is the size of a 1\.44 MB floppy\), try --boot-drive hdd at 0000:7C[0-9A-F]{2} \(.*disk-error\.asm:11: int 0x13\)$/,
    );
    const json = JSON.parse(fs.readFileSync(report, 'utf8')) as ExitReport;
    const rec = json.exits.find((x) => x.kind === 'disk-error');
    assert.ok(rec, JSON.stringify(json.exits));
    assert.strictEqual(rec.severity, 'warning');
    assert.strictEqual(rec.source?.line, 11);
    assert.match(rec.message, /^INT 13h AH=02h from drive 80h failed: no such drive/);
    // With the drive the program expects, nothing fails.
    const hdd = runCli(['run', DISK_ERROR, '--boot-drive', 'hdd']);
    assert.doesNotMatch(hdd.stderr, /disk-error:/);
  });

  it('`sti; hlt` with every IRQ masked stops at once with the masks, not at --timeout', () => {
    requireNasm();
    const r = runCli(['run', path.join(ROOT, 'test', 'pc', 'programs', 'masked-hlt.asm'), '--timeout', '60']);
    assert.strictEqual(r.status, ExitStatus.ok, r.stderr);
    assert.match(
      r.stderr,
      /^bootvisor: the guest halted at 0000:7C[0-9A-F]{2} \(.*masked-hlt\.asm:\d+: hlt\) after \d+ instructions: HLT with interrupts enabled, but the PIC lets no IRQ through \(masks FFh\/FFh, in service 00h\/00h\): the guest can never wake up$/m,
    );
  });
});
