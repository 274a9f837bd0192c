// The adapter's stepping against QEMU's: the same boot sector stepped instruction by instruction through
// the adapter (DebugClient) and through QEMU's gdbstub, with every general, segment and flag register
// compared after each step. paging.asm leaves real mode, loads a GDT, fills page tables with REP STOSD
// and a LOOP, and turns paging on: no BIOS calls, so both machines run exactly the same code.
import * as assert from 'assert';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { GdbRemote, startQemu } from './gdb-remote';
import { buildProgram, PROGRAMS, REPO } from './nasm-fixture';

const ADAPTER = path.join(REPO, 'out/debug-adapter/main.js');
const PAGING = path.join(PROGRAMS, 'paging.asm');
const GENERAL = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEGMENTS = ['cs', 'ss', 'ds', 'es'];
/** AF is left undefined by several instructions here; RF and bit 1 are bookkeeping. */
const FLAG_MASK = 0x3fffff & ~0x10 & ~0x10000 & ~0x2;

function nativeProblem(): string | undefined {
  try {
    const { createMachine } = require('../../common/machine') as typeof import('../../common/machine');
    const image = new Uint8Array(512);
    image.set([0x55, 0xaa], 510);
    createMachine({ image }).dispose();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

describe('debug adapter stepping against QEMU (gdbstub)', function () {
  this.timeout(120000);
  let dc: DebugClient | undefined;
  let qemu: { gdb: GdbRemote; child: ChildProcess } | undefined;
  let dir = '';

  before(function () {
    const problem = nativeProblem();
    if (problem) {
      console.log(`    skipped: the native machine is not available (${problem}). Build it: scripts/build-native.sh`);
      this.skip();
    }
  });

  afterEach(async () => {
    await dc?.stop().catch(() => undefined);
    qemu?.gdb.close();
    qemu?.child.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reaches the same registers as QEMU after every step of paging.asm', async () => {
    const built = buildProgram('paging');
    dir = built.dir;
    qemu = await startQemu(built.image);
    const gdb = qemu.gdb;
    await gdb.request('Z0,7c00,1');
    const atBoot = await gdb.request('c', 30000); // through SeaBIOS to the boot sector
    assert.match(atBoot, /^[ST]/, `QEMU did not stop at 0x7C00: ${atBoot}`);
    await gdb.request('z0,7c00,1');

    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-qemu-diff-'));
    dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd }, true);
    await dc.start();
    await dc.initializeRequest({ adapterID: 'bootvisor', pathFormat: 'path', linesStartAt1: true });
    const entry = dc.waitForEvent('stopped');
    await Promise.all([
      dc.launchRequest({
        program: PAGING,
        stopOnEntry: true,
        cwd,
        serial: 'none',
      } as DebugProtocol.LaunchRequestArguments),
      dc.waitForEvent('initialized').then(() => dc!.configurationDoneRequest()),
    ]);
    await entry;
    fs.rmSync(cwd, { recursive: true, force: true });
    const client = dc;

    const scopes = async () => (await client.scopesRequest({ frameId: 0 })).body.scopes;
    const ours = async (): Promise<Record<string, number>> => {
      const s = await scopes();
      const out: Record<string, number> = {};
      for (const v of (await client.variablesRequest({ variablesReference: s[1].variablesReference })).body.variables)
        out[v.name] = Number(v.value);
      for (const v of (await client.variablesRequest({ variablesReference: s[2].variablesReference })).body.variables)
        out[v.name] = Number(v.value.split(' ')[0]);
      const flags = (await client.variablesRequest({ variablesReference: s[3].variablesReference })).body.variables;
      out.eflags = Number(flags.find((v) => v.name === 'eflags')!.value.split(' ')[0]);
      return out;
    };

    // The same starting state: the BIOSes leave different values behind; the program defines the rest.
    const start = await ours();
    const s0 = await scopes();
    const qemuValues = new Map<number, number>([[9, start.eflags]]);
    for (const [i, name] of GENERAL.entries()) {
      const value = name === 'esp' ? 0x7c00 : 0;
      await client.setVariableRequest({ variablesReference: s0[1].variablesReference, name, value: String(value) });
      qemuValues.set(i, value);
    }
    await gdb.setRegisters(qemuValues);
    const q0 = await gdb.registers();
    for (const seg of ['ds', 'es', 'ss'])
      await client.setVariableRequest({
        variablesReference: (await scopes())[2].variablesReference,
        name: seg,
        value: String(q0[seg]),
      });

    let steps = 0;
    for (; steps < 6000; steps++) {
      const a = await ours();
      const b = await gdb.registers();
      const pc = (await client.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].instructionPointerReference!;
      const ins = (await client.disassembleRequest({ memoryReference: pc, instructionCount: 2 })).body!.instructions;
      const where = `after ${steps} steps, at ${pc} (${ins[0].instruction})`;
      for (const r of [...GENERAL, 'eip', ...SEGMENTS])
        assert.strictEqual(
          a[r] >>> 0,
          b[r] >>> 0,
          `${r} differs ${where}: ours 0x${a[r].toString(16)}, QEMU 0x${b[r].toString(16)}`,
        );
      assert.strictEqual(
        a.eflags & FLAG_MASK,
        b.eflags & FLAG_MASK,
        `eflags differ ${where}: ours 0x${a.eflags.toString(16)}, QEMU 0x${b.eflags.toString(16)}`,
      );
      if (ins[0].instruction === 'hlt') break;

      const stopped = client.waitForEvent('stopped');
      const rep = /^rep/.test(ins[0].instruction);
      // A REP string instruction is one step when stepped over (as the issue asks); QEMU steps it one
      // iteration at a time, so QEMU runs to its end.
      if (rep) await client.nextRequest({ threadId: 1, granularity: 'instruction' });
      else await client.stepInRequest({ threadId: 1, granularity: 'instruction' });
      await stopped;
      if (rep) {
        const next = Number(ins[1].address);
        await gdb.request(`Z0,${next.toString(16)},1`);
        await gdb.request('c');
        await gdb.request(`z0,${next.toString(16)},1`);
      } else {
        // QEMU's gdbstub can answer a step without having executed anything when its vCPU thread was kicked
        // (seen here about once in a few thousand steps on a loaded machine): no instruction of this program
        // jumps to itself, so a step that left EIP where it was is taken again.
        for (let tries = 0; ; tries++) {
          const reply = await gdb.request('s');
          assert.match(reply, /^[ST]/, `QEMU answered a step with ${reply}`);
          if ((await gdb.registers()).eip >>> 0 !== b.eip >>> 0 || tries === 3) break;
        }
      }
    }
    assert.ok(steps > 3000, `the program ran to its HLT (${steps} steps)`);
  });
});
