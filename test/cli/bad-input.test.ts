// Every bad input `bootvisor run` can meet gets its own exit status and a message that says what was wrong
// and what to do. These runs never reach the machine, so they hold whether or not the addon is built.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { ExitStatus } from '../../cli/exit-codes';
import { exampleAsm, exampleImg, requireNasm, runCli, tempDir } from './harness';

describe('cli bad input', function () {
  this.timeout(30000);
  const tmp = tempDir();
  after(() => tmp.remove());

  function image(name: string, bytes: Uint8Array): string {
    const f = tmp.file(name);
    fs.writeFileSync(f, bytes);
    return f;
  }

  it('refuses an empty image', () => {
    const f = image('empty.img', new Uint8Array(0));
    const r = runCli(['run', f]);
    assert.strictEqual(r.status, ExitStatus.badImage, r.stderr);
    assert.match(r.stderr, /empty\.img is empty \(0 bytes\): a boot image holds at least one 512-byte sector/);
  });

  it('refuses an image shorter than a sector, saying how to pad it in NASM', () => {
    const f = image('short.img', new Uint8Array(100));
    const r = runCli(['run', f]);
    assert.strictEqual(r.status, ExitStatus.badImage);
    assert.match(
      r.stderr,
      /short\.img is 100 bytes, not a whole number of 512-byte sectors\. End a boot sector with `times 510-\(\$-\$\$\) db 0` and `dw 0xaa55`/,
    );
  });

  it('refuses an image that is not whole sectors, saying the size to pad to', () => {
    const bytes = new Uint8Array(1000);
    bytes[510] = 0x55;
    bytes[511] = 0xaa;
    const r = runCli(['run', image('odd.img', bytes)]);
    assert.strictEqual(r.status, ExitStatus.badImage);
    assert.match(r.stderr, /odd\.img is 1000 bytes, not a whole number of 512-byte sectors\. Pad it to 1024 bytes/);
  });

  it('refuses a sector without the boot signature, naming the bytes and the option that waives it', () => {
    const bytes = new Uint8Array(512);
    bytes[510] = 0x12;
    bytes[511] = 0x34;
    const r = runCli(['run', image('nosig.img', bytes)]);
    assert.strictEqual(r.status, ExitStatus.badImage);
    assert.match(r.stderr, /nosig\.img has no boot signature: bytes 510-511 are 0x12 0x34/);
    assert.match(r.stderr, /pass --no-signature-check to boot it anyway/);
  });

  it('refuses a missing file and a directory', () => {
    let r = runCli(['run', tmp.file('nothere.img')]);
    assert.strictEqual(r.status, ExitStatus.noInput);
    assert.match(r.stderr, /nothere\.img: no such file\./);
    r = runCli(['run', tmp.file('nothere.asm')]);
    assert.strictEqual(r.status, ExitStatus.noInput);
    assert.match(r.stderr, /nothere\.asm: no such file\./);
    r = runCli(['run', tmp.dir]);
    assert.strictEqual(r.status, ExitStatus.noInput);
    assert.match(r.stderr, /is a directory, not a regular file: a disk image must be a regular file/);
  });

  it('refuses bad option values with status 64 before touching the image', () => {
    const r = runCli(['run', exampleImg('hello'), '--memory', '9999']);
    assert.strictEqual(r.status, ExitStatus.usage);
    assert.match(r.stderr, /--memory "9999": expected a whole number of MiB from 1 to 3072/);
    assert.match(r.stderr, /Run `bootvisor run --help` for the options\./);
    const bad = runCli(['run', exampleImg('hello'), '--backend', 'vmware']);
    assert.strictEqual(bad.status, ExitStatus.usage);
    assert.match(bad.stderr, /expected one of auto, software, kvm, nvmm/);
  });

  it('refuses output files in folders that do not exist, before the run', () => {
    const r = runCli(['run', exampleImg('hello'), '--screenshot', path.join(tmp.dir, 'no', 'such', 'x.png')]);
    assert.strictEqual(r.status, ExitStatus.cantCreate);
    assert.match(r.stderr, /--screenshot .*x\.png: the folder .* does not exist/);
  });

  it('explains how to install nasm when it is missing', () => {
    const r = runCli(['run', exampleAsm('hello')], { env: { ...process.env, PATH: tmp.dir, BOOTVISOR_NASM: '' } });
    assert.strictEqual(r.status, ExitStatus.nasmMissing, r.stderr);
    assert.match(r.stderr, /nasm was not found/);
    assert.match(r.stderr, /sudo apt-get install nasm/);
    assert.match(r.stderr, /brew install nasm/);
    assert.match(r.stderr, /pkgin install nasm/);
  });

  it("passes nasm's own errors on, with file and line", () => {
    requireNasm();
    const f = tmp.file('broken.asm');
    fs.writeFileSync(f, 'bits 16\norg 0x7c00\n  mov ax, bx, cx\n  jmp nowhere\n');
    const r = runCli(['run', f]);
    assert.strictEqual(r.status, ExitStatus.assembly, r.stderr);
    assert.match(r.stderr, /nasm could not assemble .*broken\.asm/);
    assert.match(r.stderr, /broken\.asm:3: error:/);
    assert.match(r.stderr, /broken\.asm:4: error: symbol `nowhere' not defined/);
  });

  it('refuses an assembled sector without the signature, naming the source', () => {
    requireNasm();
    const f = tmp.file('nosig.asm');
    fs.writeFileSync(f, 'bits 16\norg 0x7c00\n  cli\n  hlt\n  times 512-($-$$) db 0\n');
    const r = runCli(['run', f]);
    assert.strictEqual(r.status, ExitStatus.badImage, r.stderr);
    assert.match(r.stderr, /the image assembled from .*nosig\.asm has no boot signature/);
  });
});
