// The debug adapter against a hostile or broken client: malformed frames and bodies, requests that ask for
// unbounded work, an assembly that never ends, an unwritable serial file. The adapter answers what it can,
// logs what it cannot read, keeps serving, and leaves nothing running or on disk.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { RUNAWAY_ASM, sandbox, Sandbox } from '../cli/leftovers';
import { PROGRAMS } from './nasm-fixture';
import { DapMessage, RawDap } from './raw-dap';

const STEPS = path.join(PROGRAMS, 'steps.asm');

/** A frame around `body` with the length given (the true one unless a test lies). */
const frame = (body: string | Buffer, length: number | string = Buffer.byteLength(body)): Buffer =>
  Buffer.concat([Buffer.from(`Content-Length: ${length}\r\n\r\n`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);

describe('debug adapter against a hostile client', function () {
  this.timeout(60000);
  let box: Sandbox;
  let dap: RawDap;
  beforeEach(() => {
    box = sandbox();
    dap = new RawDap(box.env);
  });
  afterEach(async () => {
    dap.kill();
    await dap.exit().catch(() => undefined);
    box.remove();
  });

  /** The adapter still serves: a threads request is answered. */
  async function serving(): Promise<void> {
    const r = await dap.request('threads');
    assert.strictEqual(r.success, true, JSON.stringify(r));
  }

  async function launched(args: Record<string, unknown>): Promise<DapMessage> {
    assert.strictEqual(
      (
        await dap.request('initialize', {
          adapterID: 'bootvisor',
          pathFormat: 'path',
          linesStartAt1: true,
          columnsStartAt1: true,
          supportsProgressReporting: true,
        })
      ).success,
      true,
    );
    const seq = dap.send('launch', { cwd: box.tmp, ...args });
    const first = await dap.waitFor(
      (m) => (m.type === 'event' && m.event === 'initialized') || (m.type === 'response' && m.request_seq === seq),
      30000,
      'initialized or the launch response',
    );
    if (first.type === 'response') return first;
    await dap.request('configurationDone');
    return dap.response(seq, 30000);
  }

  it('answers, logs and resynchronises on every kind of malformed frame and body, and never goes deaf', async () => {
    const cases: { name: string; bytes: Buffer; answers?: number; log: RegExp }[] = [
      {
        name: 'malformed JSON',
        bytes: frame('{"seq": 101, "type": "request", "command": "threads", '),
        answers: 101,
        log: /not JSON/,
      },
      { name: 'null', bytes: frame('null'), log: /not a JSON object/ },
      { name: 'an array', bytes: frame('[1,2]'), log: /not a JSON object/ },
      {
        name: 'a request without a command',
        bytes: frame('{"seq": 102, "type": "request"}'),
        answers: 102,
        log: /without a whole-number "seq" and a string "command"/,
      },
      {
        name: 'too short a Content-Length',
        bytes: frame('{"seq": 103, "type": "request", "command": "threads"}', 20),
        answers: 103,
        log: /not JSON/,
      },
      {
        name: 'invalid UTF-8',
        bytes: frame(
          Buffer.concat([
            Buffer.from('{"seq": 104, "type": "request", "command": "evaluate", "arguments": {"expression": "'),
            Buffer.from([0xff, 0xfe, 0xc3]),
            Buffer.from('"}}'),
          ]),
        ),
        answers: 104,
        log: /not valid UTF-8/,
      },
      { name: 'a negative Content-Length', bytes: frame('{"seq": 105}', -12), log: /not a whole number/ },
      {
        name: 'no Content-Length',
        bytes: Buffer.from(
          'Content-Type: application/json\r\n\r\n{"seq": 106, "type": "request", "command": "threads"}',
        ),
        log: /skipped \d+ byte/,
      },
      {
        name: 'a huge Content-Length',
        bytes: frame('{"seq": 107, "type": "request", "command": "threads"}', 99999999999),
        answers: 107,
        log: /over the limit/,
      },
      {
        name: 'random bytes',
        bytes: Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) & 0xff)),
        log: /skipped \d+ byte/,
      },
      {
        name: 'arguments that are not an object',
        bytes: frame('{"seq": 108, "type": "request", "command": "threads", "arguments": 5}'),
        answers: 108,
        log: /"arguments" must be an object/,
      },
    ];
    for (const c of cases) {
      const logged = dap.stderr.length;
      dap.sendRaw(c.bytes);
      // A well-formed request right behind the junk: it must be found and answered.
      await serving().catch((e: Error) => assert.fail(`after ${c.name}: ${e.message}`));
      if (c.answers !== undefined) {
        const r = await dap.response(c.answers, 5000);
        assert.strictEqual(r.success, false, `${c.name}: ${JSON.stringify(r)}`);
        assert.ok(r.message, `${c.name}: the answer says why`);
      }
      await dap.logged(c.log, logged).catch((e: Error) => assert.fail(`${c.name} is logged: ${e.message}`));
    }
    assert.strictEqual(dap.exited, undefined, 'still running');
    // Closing its input is the one way to end it without a request: it says so and exits.
    dap.child.stdin!.end();
    const end = await dap.exit();
    assert.strictEqual(end.code, 0);
    assert.match(dap.stderr, /the client closed the connection; exiting/);
  });

  it('stays responsive while nasm runs, shows progress, and kills nasm on disconnect', async () => {
    const src = path.join(box.tmp, '..', `${path.basename(box.tmp)}-runaway.asm`);
    fs.writeFileSync(src, RUNAWAY_ASM);
    try {
      assert.strictEqual(
        (
          await dap.request('initialize', {
            adapterID: 'bootvisor',
            pathFormat: 'path',
            linesStartAt1: true,
            columnsStartAt1: true,
            supportsProgressReporting: true,
          })
        ).success,
        true,
      );
      const launch = dap.send('launch', { program: src, cwd: box.tmp });
      await dap.waitFor((m) => m.type === 'event' && m.event === 'progressStart', 30000, 'a progressStart event');
      assert.ok(
        box.processes().some((p) => /nasm/.test(p)),
        'nasm runs',
      );
      await serving();
      const bye = await dap.request('disconnect', {});
      assert.strictEqual(bye.success, true);
      const failed = await dap.response(launch, 5000).catch(() => undefined);
      if (failed) assert.strictEqual(failed.success, false);
      await dap.exit();
      assert.deepStrictEqual(await box.leftovers(), [], 'no nasm, no temp folder');
    } finally {
      fs.rmSync(src, { force: true });
    }
  });

  it('fails the launch when the serial file cannot be opened, saying why', async () => {
    const dir = fs.mkdtempSync(path.join(box.tmp, 'serial-'));
    const fifo = path.join(dir, 'pipe');
    spawnSync('mkfifo', [fifo]);
    for (const [file, message] of [
      [dir, /"serial": .* is a directory: name a regular file/],
      [fifo, /"serial": .*pipe is a FIFO \(named pipe\): name a regular file/],
      [path.join(dir, 'no', 'such', 'folder.txt'), /"serial": cannot write .*folder\.txt \(ENOENT/],
    ] as const) {
      dap.kill();
      await dap.exit();
      dap = new RawDap(box.env);
      const r = await launched({ program: STEPS, serial: { file } });
      assert.strictEqual(r.success, false, JSON.stringify(r));
      assert.match(r.message ?? '', message);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepStrictEqual(await box.leftovers(), []);
  });

  it('fails the launch on a listing that is a device or a FIFO, in bounded time', async () => {
    const image = path.join(box.tmp, 'spin.img');
    const sector = Buffer.alloc(512);
    sector.set([0xeb, 0xfe]);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    fs.writeFileSync(image, sector);
    const r = await launched({ program: image, listing: '/dev/zero' });
    assert.strictEqual(r.success, false, JSON.stringify(r));
    assert.match(
      r.message ?? '',
      /\/dev\/zero is a character device, not a regular file: a nasm listing must be a regular file/,
    );
  });

  it('answers requests for unbounded work in bounded time: clamps, pages or refuses with a reason', async () => {
    const r = await launched({ program: STEPS, stopOnEntry: true });
    assert.strictEqual(r.success, true, JSON.stringify(r));
    await dap.waitFor((m) => m.type === 'event' && m.event === 'stopped', 30000, 'the stop on entry');

    const dis = await dap.request(
      'disassemble',
      { memoryReference: '0x7c00', instructionOffset: 3e6, instructionCount: 50 },
      10000,
    );
    assert.strictEqual(dis.success, false);
    assert.match(
      dis.message ?? '',
      /instructionOffset 3000000 is refused: disassembly starts at most 4096 instructions from its reference/,
    );
    const near = await dap.request(
      'disassemble',
      { memoryReference: '0x7c00', instructionOffset: -200, instructionCount: 400 },
      10000,
    );
    assert.strictEqual(near.success, true);
    assert.strictEqual((near.body!.instructions as unknown[]).length, 400);

    const read = await dap.request('readMemory', { memoryReference: '0x0', count: 1e9 }, 10000);
    assert.strictEqual(read.success, true);
    assert.strictEqual(
      Buffer.from(read.body!.data as string, 'base64').length,
      1 << 20,
      'a huge read is answered in part',
    );

    const big = Buffer.alloc(2 << 20).toString('base64');
    const write = await dap.request('writeMemory', { memoryReference: '0x100000', data: big }, 10000);
    assert.strictEqual(write.success, false);
    assert.match(write.message ?? '', /at most 1048576 bytes per writeMemory request \(send it in parts\)/);
    const huge = Buffer.alloc(32 << 20).toString('base64');
    const refused = await dap.request('writeMemory', { memoryReference: '0x100000', data: huge }, 20000);
    assert.strictEqual(refused.success, false);
    assert.match(refused.message ?? '', /over the limit of \d+ bytes and was not read/);

    const breakpoints = Array.from({ length: 20000 }, (_, i) => ({
      instructionReference: `0x${(0x100000 + i).toString(16)}`,
    }));
    const set = await dap.request('setInstructionBreakpoints', { breakpoints }, 30000);
    assert.strictEqual(set.success, true);
    const reset = await dap.request('bootvisor/reset', {}, 30000);
    assert.strictEqual(reset.success, true, JSON.stringify(reset));
    await serving();
  });
});
