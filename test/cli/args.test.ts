// The command line of `bootvisor run`: every option parsed, and every malformed one refused with status 64
// and a message naming it.
import * as assert from 'assert';

import { decodeKeys, parseArgs, type RunOptions } from '../../cli/args';
import { CliError, ExitStatus } from '../../cli/exit-codes';

function options(...argv: string[]): RunOptions {
  const c = parseArgs(['run', ...argv]);
  assert.strictEqual(c.kind, 'run');
  return (c as { kind: 'run'; options: RunOptions }).options;
}

function refused(argv: string[], pattern: RegExp): void {
  assert.throws(
    () => parseArgs(argv),
    (e: unknown) => {
      assert.ok(e instanceof CliError, `expected a CliError, got ${String(e)}`);
      assert.strictEqual(e.status, ExitStatus.usage);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('cli arguments', () => {
  it('takes the image and the defaults', () => {
    const o = options('boot.img');
    assert.strictEqual(o.input, 'boot.img');
    assert.strictEqual(o.backend, 'software');
    assert.strictEqual(o.requireSignature, true);
    assert.strictEqual(o.clock, 'fast');
    assert.strictEqual(o.timeout, undefined);
    assert.strictEqual(o.memoryMiB, undefined);
  });

  it('parses every option, in both --opt value and --opt=value forms', () => {
    const o = options(
      'boot.asm',
      '--backend',
      'kvm',
      '--memory=64',
      '--serial',
      '-',
      '--debugcon',
      'dbg.txt',
      '--timeout',
      '2.5',
      '--max-instructions',
      '0x1000',
      '--keys',
      'ab\\n',
      '--expect-serial',
      'Hello.*!',
      '--expect-screen=OK',
      '--screen',
      's.txt',
      '--screenshot',
      's.png',
      '--report',
      'r.json',
      '--boot-drive',
      'hdd',
      '--no-signature-check',
      '--clock',
      'real',
      '--stop-on-unhandled-port',
      '--quiet',
      '--guest-exit',
      'verbatim',
    );
    assert.deepStrictEqual(
      { ...o, expectSerial: String(o.expectSerial), expectScreen: String(o.expectScreen) },
      {
        input: 'boot.asm',
        backend: 'kvm',
        memoryMiB: 64,
        serial: '-',
        debugcon: 'dbg.txt',
        timeout: 2.5,
        maxInstructions: 4096,
        keys: 'ab\n',
        expectSerial: '/Hello.*!/m',
        expectScreen: '/OK/m',
        screen: 's.txt',
        screenshot: 's.png',
        report: 'r.json',
        bootDrive: 0x80,
        requireSignature: false,
        clock: 'real',
        stopOnUnhandledPort: true,
        quiet: true,
        guestExit: 'verbatim',
      },
    );
  });

  it('gives expectations a default timeout of 10 s', () => {
    assert.strictEqual(options('a.img', '--expect-serial', 'x').timeout, 10);
    assert.strictEqual(options('a.img', '--expect-serial', 'x', '--timeout', '3').timeout, 3);
  });

  it('reads boot drives by name or number', () => {
    assert.strictEqual(options('a.img', '--boot-drive', 'floppy').bootDrive, 0);
    assert.strictEqual(options('a.img', '--boot-drive', '0x80').bootDrive, 0x80);
    assert.strictEqual(options('a.img', '--boot-drive', '128').bootDrive, 128);
    // Only the drives the machine boots from (common/limits.ts BOOT_DRIVES): a usage error, not a bad image.
    refused(
      ['run', 'a.img', '--boot-drive', '0xff'],
      /--boot-drive "0xff": Bootvisor boots from 0x00 \(floppy\) or 0x80 \(hard disk\)/,
    );
  });

  it('decodes --keys escapes', () => {
    assert.strictEqual(decodeKeys('a\\tb\\r\\e\\\\\\x41'), 'a\tb\r\x1b\\A');
    assert.strictEqual(decodeKeys('line one\nline two'), 'line one\nline two');
  });

  it('answers help and version', () => {
    assert.deepStrictEqual(parseArgs(['--help']), { kind: 'help' });
    assert.deepStrictEqual(parseArgs(['run', 'x.img', '-h']), { kind: 'help' });
    assert.deepStrictEqual(parseArgs(['--version']), { kind: 'version' });
  });

  it('refuses what it cannot use, saying which option and why', () => {
    refused([], /missing command/);
    refused(['boot', 'x.img'], /unknown command "boot"/);
    refused(['run'], /missing IMAGE or FILE\.asm/);
    refused(['run', 'a.img', 'b.img'], /one image at a time/);
    refused(['run', 'a.img', '--bogus'], /unknown option --bogus/);
    refused(['run', 'a.img', '--serail', 'x'], /unknown option --serail/);
    refused(['run', 'a.img', '--backend', 'hyperv'], /--backend "hyperv": expected one of auto, software, kvm, nvmm/);
    refused(['run', 'a.img', '--backend'], /--backend needs a value/);
    refused(['run', 'a.img', '--memory', '0'], /--memory "0": expected a whole number of MiB from 1 to 3072/);
    refused(['run', 'a.img', '--memory', '1.5'], /--memory "1.5"/);
    refused(['run', 'a.img', '--memory', 'lots'], /--memory "lots"/);
    refused(['run', 'a.img', '--timeout', '-1'], /--timeout "-1": expected seconds/);
    refused(['run', 'a.img', '--max-instructions', '0'], /--max-instructions "0"/);
    refused(
      ['run', 'a.img', '--expect-serial', '(unclosed'],
      /--expect-serial "\(unclosed" is not a valid regular expression/,
    );
    refused(['run', 'a.img', '--expect-screen', '[z-a]'], /--expect-screen .* is not a valid regular expression/);
    refused(['run', 'a.img', '--keys', 'a\\q'], /unknown escape \\q/);
    refused(['run', 'a.img', '--keys', '\\x4'], /\\x needs two hex digits/);
    refused(['run', 'a.img', '--boot-drive', 'tape'], /--boot-drive "tape"/);
    refused(['run', 'a.img', '--boot-drive', '256'], /--boot-drive "256"/);
    assert.strictEqual(
      (parseArgs(['run', 'a.img', '--clock', 'virtual']) as { options: { clock: string } }).options.clock,
      'fast',
    );
    assert.strictEqual(
      (parseArgs(['run', 'a.img', '--clock', 'paced']) as { options: { clock: string } }).options.clock,
      'paced',
    );
    refused(['run', 'a.img', '--clock', 'slow'], /--clock "slow": expected fast, paced or real/);
    refused(['run', 'a.img', '--serial', '-', '--screen', '-'], /only one stream can go to standard output/);
    refused(['run', 'a.img', '--screenshot', '-'], /--screenshot needs a file name/);
    refused(['run', 'a.img', '--serial', 'a', '--serial', 'b'], /--serial was given twice/);
    refused(['run', 'a.img', '--quiet=yes'], /--quiet takes no value/);
  });
});
