import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LaunchConfigError, validateLaunch } from '../../debug-adapter/launch-config';
import { PROGRAMS, REPO } from './nasm-fixture';

describe('launch configuration', () => {
  const steps = path.join(PROGRAMS, 'steps.asm');

  it('accepts exactly the attributes package.json describes', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const debuggerContribution = pkg.contributes.debuggers.find((d: { type: string }) => d.type === 'bootvisor');
    assert.strictEqual(debuggerContribution.program, './out/debug-adapter/main.js');
    assert.ok(
      fs.existsSync(path.join(REPO, debuggerContribution.program)),
      'the adapter is built where package.json says',
    );
    const props = Object.keys(debuggerContribution.configurationAttributes.launch.properties).sort();
    assert.deepStrictEqual(props, [
      'assembler',
      'backend',
      'bootDrive',
      'clock',
      'cmdline',
      'cwd',
      'gdbPort',
      'listing',
      'memory',
      'modules',
      'program',
      'replay',
      'serial',
      'stopOnEntry',
      'symbols',
      'trace',
    ]);
    // Every enum value the schema offers is one the adapter takes.
    for (const backend of debuggerContribution.configurationAttributes.launch.properties.backend.enum) {
      assert.strictEqual(validateLaunch({ program: steps, backend }).backend, backend);
    }
    for (const drive of debuggerContribution.configurationAttributes.launch.properties.bootDrive.enum) {
      assert.strictEqual(validateLaunch({ program: steps, bootDrive: drive }).bootDrive, drive);
    }
    const clock = debuggerContribution.configurationAttributes.launch.properties.clock;
    assert.strictEqual(clock.default, 'paced');
    for (const c of clock.enum) assert.strictEqual(validateLaunch({ program: steps, clock: c }).clock, c);
    for (const serial of debuggerContribution.configurationAttributes.launch.properties.serial.oneOf[0].enum) {
      assert.strictEqual(validateLaunch({ program: steps, serial }).serial, serial);
    }
    assert.deepStrictEqual(pkg.contributes.breakpoints, [{ language: 'nasm' }]);
  });

  it('normalises a good configuration', () => {
    const c = validateLaunch({
      program: 'steps.asm',
      cwd: PROGRAMS,
      memory: 64,
      stopOnEntry: true,
      serial: { file: 'out.txt' },
      assembler: ['nasm', '-o', '${output}', '${program}'],
    });
    assert.strictEqual(c.program, steps);
    assert.strictEqual(c.kind, 'source');
    assert.strictEqual(c.memoryMiB, 64);
    assert.deepStrictEqual(c.serial, { file: path.join(PROGRAMS, 'out.txt') });
    assert.deepStrictEqual(c.assembler, { command: 'nasm', args: ['-o', '${output}', '${program}'] });
    assert.strictEqual(c.backend, 'software');
    assert.strictEqual(c.clock, 'paced', 'F5 sessions are paced to the wall clock unless told otherwise');
  });

  it('names the attribute and the fix for each mistake', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-launch-'));
    try {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{}, /"program" is missing/],
        [{ program: path.join(dir, 'nope.asm') }, /"program" .*nope\.asm does not exist/],
        [{ program: dir }, /is a folder/],
        [{ program: steps, backend: 'qemu' }, /"backend" must be one of "auto", "software", "kvm", "nvmm"/],
        [{ program: steps, memory: 0 }, /"memory" is guest RAM in MiB/],
        [{ program: steps, memory: 1.5 }, /whole number/],
        [{ program: steps, stopOnEntry: 'yes' }, /"stopOnEntry" must be true or false/],
        [{ program: steps, bootDrive: 1 }, /"bootDrive" must be 0 .* or 128/],
        [{ program: steps, serial: 'printer' }, /"serial" must be/],
        [{ program: steps, clock: 'virtual' }, /"clock" must be one of "paced", "fast", "real"/],
        [{ program: steps, listing: 'x.lst' }, /"listing" .*does not exist/],
        [{ program: steps, assembler: 42 }, /"assembler" must be a command/],
        [{ program: steps, assembler: ['nasm', '${program}'] }, /must name the output image with \$\{output\}/],
        [{ program: steps, cwd: path.join(dir, 'missing') }, /"cwd" .* is not an existing folder/],
      ];
      for (const [args, message] of bad)
        assert.throws(
          () => validateLaunch(args),
          (e: Error) => e instanceof LaunchConfigError && message.test(e.message),
          JSON.stringify(args),
        );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
