// `bootvisor run` against inputs a hostile or careless user gives it: a source nasm cannot finish, devices
// and FIFOs where files belong, a full disk, paths it may not read. Each ends by itself with its documented
// status and a message, and leaves no process and no temp folder behind (test/cli/leftovers.ts).
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { ExitStatus } from '../../cli/exit-codes';
import { CLI, exampleAsm, exampleImg, requireNasm, runCli } from './harness';
import { RUNAWAY_ASM, sandbox, Sandbox } from './leftovers';

describe('cli hostile input', function () {
  this.timeout(60000);
  let box: Sandbox;
  let work: string;
  beforeEach(() => {
    box = sandbox();
    work = fs.mkdtempSync(path.join(box.tmp, '..', 'bootvisor-hostile-'));
  });
  afterEach(() => {
    box.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const run = (args: string[]) => runCli(args, { env: box.env });
  async function clean(): Promise<void> {
    assert.deepStrictEqual(await box.leftovers(), [], 'nothing left running or in the temp folder');
  }
  function fifo(name: string): string {
    const f = path.join(work, name);
    const r = spawnSync('mkfifo', [f]);
    if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
    return f;
  }

  it('--timeout covers assembly: a source nasm cannot finish ends with 124, nasm killed', async () => {
    requireNasm();
    const src = path.join(work, 'runaway.asm');
    fs.writeFileSync(src, RUNAWAY_ASM);
    const r = run(['run', src, '--timeout', '1']);
    assert.strictEqual(r.status, ExitStatus.timeout, r.stderr);
    assert.match(r.stderr, /--timeout 1 s ran out while nasm assembled .*runaway\.asm; nasm was stopped/);
    await clean();
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`${signal} during assembly stops nasm and removes its temp folder`, async () => {
      requireNasm();
      const src = path.join(work, 'runaway.asm');
      fs.writeFileSync(src, RUNAWAY_ASM);
      const child = spawn(process.execPath, [CLI, 'run', src], { env: box.env });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      // Signal once nasm is running: its output goes into the sandbox.
      for (let i = 0; i < 400 && box.processes().filter((p) => /nasm/.test(p)).length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        box.processes().some((p) => /nasm/.test(p)),
        'nasm started',
      );
      child.kill(signal);
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      if (signal === 'SIGINT') {
        assert.strictEqual(status, ExitStatus.interrupted, stderr);
        assert.match(stderr, /interrupted while nasm assembled .*runaway\.asm; nasm was stopped/);
      } else {
        assert.strictEqual(status, 128 + (signal === 'SIGTERM' ? 15 : 1), stderr);
        assert.match(stderr, new RegExp(`bootvisor: ended by ${signal}; nasm \\(if it ran\\) was stopped`));
      }
      await clean();
    });
  }

  it('SIGKILL during assembly: nasm dies by its own bounds and the next run sweeps the orphaned temp folder', async () => {
    // SIGKILL runs no handler: nasm outlives the CLI. Its CPU limit (--timeout + 1 s of CPU, `ulimit -t`) and
    // the timeout(1) guard (--timeout + 2 s of wall time) end it by themselves; the folder named for the dead
    // CLI's pid is removed by the next run.
    requireNasm();
    const src = path.join(work, 'runaway.asm');
    fs.writeFileSync(src, RUNAWAY_ASM);
    const child = spawn(process.execPath, [CLI, 'run', src, '--timeout', '3'], { env: box.env });
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_s, signal) => resolve(signal)));
    for (let i = 0; i < 400 && !box.processes().some((p) => /nasm/.test(p)); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      box.processes().some((p) => /nasm/.test(p)),
      'nasm started',
    );
    child.kill('SIGKILL');
    assert.strictEqual(await closed, 'SIGKILL');
    // Its bounds are 4 s of CPU and 5 s of wall time; 60 s leaves room for a loaded machine.
    const until = Date.now() + 60000;
    while (box.processes().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    assert.deepStrictEqual(box.processes(), [], 'nasm ended by itself after its CLI was killed');
    const stale = box.files();
    assert.strictEqual(stale.length, 1, `the killed run's folder is left: ${stale.join(', ')}`);
    assert.match(stale[0], new RegExp(`^bootvisor-nasm-${child.pid}-`));
    const r = run(['run', exampleImg('hello'), '--timeout', '30']);
    assert.strictEqual(r.status, 0, r.stderr);
    await clean();
  });

  it('refuses devices, FIFOs and directories as the image or the source, with 66 and what the path is', async () => {
    const cases: [string, RegExp][] = [
      ['/dev/zero', /\/dev\/zero is a character device, not a regular file: a disk image must be a regular file\./],
      ['/dev/urandom', /\/dev\/urandom is a character device, not a regular file/],
      [
        fifo('pipe.img'),
        /pipe\.img is a FIFO \(named pipe\), not a regular file: a disk image must be a regular file\./,
      ],
      [
        fifo('pipe.asm'),
        /pipe\.asm is a FIFO \(named pipe\), not a regular file: a NASM source must be a regular file\./,
      ],
      [work, /is a directory, not a regular file: a disk image must be a regular file\./],
    ];
    fs.mkdirSync(path.join(work, 'x.asm'));
    cases.push([
      path.join(work, 'x.asm'),
      /x\.asm is a directory, not a regular file: a NASM source must be a regular file\./,
    ]);
    for (const [input, message] of cases) {
      const r = run(['run', input, '--timeout', '30']);
      assert.strictEqual(r.status, ExitStatus.noInput, `${input}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    await clean();
  });

  it('refuses an over-long path and a file it may not read with 66', async () => {
    const long = path.join(work, 'a'.repeat(5000) + '.img');
    let r = run(['run', long]);
    assert.strictEqual(r.status, ExitStatus.noInput, r.stderr);
    assert.match(r.stderr, /the path is too long \(\d+ characters\) for this system/);
    const secret = path.join(work, 'secret.img');
    fs.copyFileSync(exampleImg('hello'), secret);
    fs.chmodSync(secret, 0o000);
    fs.chmodSync(work, 0o755);
    // root reads anything: ask as nobody, as a user would meet it.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const s = spawnSync(process.execPath, [CLI, 'run', secret], { env: box.env, encoding: 'utf8', ...asNobody });
    assert.strictEqual(s.status, ExitStatus.noInput, s.stderr);
    assert.match(s.stderr, /secret\.img: permission denied\./);
    r = run(['run', exampleImg('hello'), '--boot-drive', '0xff']);
    assert.strictEqual(r.status, ExitStatus.usage, r.stderr);
    assert.match(r.stderr, /--boot-drive "0xff": Bootvisor boots from 0x00 \(floppy\) or 0x80 \(hard disk\)/);
    await clean();
  });

  it('a full disk behind --serial ends the run with 73 and a message, no stack trace', async () => {
    const r = run(['run', exampleImg('hello'), '--serial', '/dev/full', '--timeout', '30']);
    assert.strictEqual(r.status, ExitStatus.cantCreate, r.stderr);
    assert.match(
      r.stderr,
      /--serial \/dev\/full: cannot write the guest's output \(ENOSPC[^)]*\); the run was stopped/,
    );
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    await clean();
  });

  it('refuses a FIFO as --serial or --report before the run, with 73', async () => {
    for (const option of ['--serial', '--report']) {
      const f = fifo(`out-${option.slice(2)}`);
      const r = run(['run', exampleImg('hello'), option, f, '--timeout', '30']);
      assert.strictEqual(r.status, ExitStatus.cantCreate, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`${option} .*out-${option.slice(2)} is a FIFO \\(named pipe\\): name a regular file`),
      );
    }
    await clean();
  });

  it('leaves no temp folder after a --report run of a .asm (the report keeps source lines, not the listing)', async () => {
    requireNasm();
    const report = path.join(work, 'report.json');
    const r = run(['run', exampleAsm('triple-fault'), '--report', report]);
    assert.strictEqual(r.status, ExitStatus.guestCrash, r.stderr);
    const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as {
      stop: { source?: { line: number } };
      listing?: string;
    };
    assert.ok(parsed.stop.source && parsed.stop.source.line > 0);
    assert.strictEqual(parsed.listing, undefined);
    // An image with its .asm beside it: the sibling is assembled for source lines, and removed too.
    const r2 = run(['run', exampleImg('triple-fault'), '--report', report]);
    assert.strictEqual(r2.status, ExitStatus.guestCrash, r2.stderr);
    await clean();
  });
});
