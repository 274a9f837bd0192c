// Debugger round trips: the median time of one instruction step, and of a continue that runs to a
// breakpoint, through the Bootvisor debug adapter (DebugClient over stdio, as VS Code talks to it), and the
// same two through QEMU's gdbstub (qemu-system-i386 -S -gdb, spoken to by a small gdb-remote client here;
// no gdb needed), interleaved in this run (each step and continue alternates between the two, so a change in
// the machine's load touches both alike). Target (issue 16): both faster than QEMU's.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { startQemu } from '../test/dap/gdb-remote';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { loadAverage } from './cpu';

const ROOT = path.resolve(__dirname, '..', '..');
const ADAPTER = path.join(ROOT, 'out', 'debug-adapter', 'main.js');
const SOURCE = path.join(ROOT, 'test', 'dap', 'programs', 'loop.asm');
const STEPS = Number(process.env.BOOTVISOR_BENCH_STEPS) || 300;
const CONTINUES = Number(process.env.BOOTVISOR_BENCH_CONTINUES) || 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

function loopLine(): number {
  return (
    fs
      .readFileSync(SOURCE, 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith('.loop:')) + 1
  );
}

/** One debugger under test: a step, a continue to the breakpoint, and setting that breakpoint. */
interface Debuggee {
  step(): Promise<void>;
  cont(): Promise<void>;
  breakAtLoop(): Promise<void>;
  close(): Promise<void>;
}

async function openBootvisor(): Promise<Debuggee> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-bench-dap-'));
  const dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd });
  await dc.start();
  await dc.initializeRequest({ adapterID: 'bootvisor', pathFormat: 'path', linesStartAt1: true });
  const entry = dc.waitForEvent('stopped');
  await Promise.all([
    dc.launchRequest({ program: SOURCE, stopOnEntry: true, cwd } as DebugProtocol.LaunchRequestArguments),
    dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
  ]);
  await entry;
  return {
    async step() {
      const stopped = dc.waitForEvent('stopped');
      await dc.stepInRequest({ threadId: 1 });
      await stopped;
    },
    async cont() {
      const stopped = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 1 });
      await stopped;
    },
    async breakAtLoop() {
      await dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: loopLine() + 1 }] });
    },
    async close() {
      await dc.stop().catch(() => undefined);
      fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
}

async function openQemu(image: string): Promise<Debuggee> {
  const { gdb, child } = await startQemu(image);
  try {
    await gdb.request('Z0,7c00,1');
    await gdb.request('c'); // through SeaBIOS to the boot sector
    await gdb.request('z0,7c00,1');
    return {
      async step() {
        const reply = await gdb.request('s');
        if (!/^[ST]/.test(reply)) throw new Error(`QEMU answered a step with ${reply}`);
      },
      async cont() {
        await gdb.request('c');
      },
      // The same breakpoint as the adapter's: the first instruction of .loop, at 0x7C03.
      async breakAtLoop() {
        await gdb.request('Z0,7c03,1');
      },
      async close() {
        gdb.close();
        child.kill('SIGKILL');
      },
    };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

type Timings = { step: number[]; cont: number[] };

/** Each step and each continue alternates between the debuggers, so a change in the machine's load touches both alike. */
async function interleaved(targets: Debuggee[]): Promise<Timings[]> {
  const out: Timings[] = targets.map(() => ({ step: [], cont: [] }));
  const timed = async (f: () => Promise<void>): Promise<number> => {
    const t0 = now();
    await f();
    return now() - t0;
  };
  for (let i = 0; i < STEPS; i++)
    for (let k = 0; k < targets.length; k++) out[k].step.push(await timed(() => targets[k].step()));
  for (const t of targets) await t.breakAtLoop();
  for (let i = 0; i < CONTINUES; i++)
    for (let k = 0; k < targets.length; k++) out[k].cont.push(await timed(() => targets[k].cont()));
  return out;
}

export async function dapBench(): Promise<void> {
  if (!fs.existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: build with npx tsc -b`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-bench-img-'));
  const image = path.join(dir, 'loop.img');
  const asm = spawnSync('nasm', ['-f', 'bin', '-o', image, SOURCE], { encoding: 'utf8' });
  if (asm.status !== 0) throw new Error(`nasm could not assemble ${SOURCE}: ${asm.stderr || asm.error?.message}`);
  const targets: Debuggee[] = [];
  try {
    targets.push(await openBootvisor());
    let qemuNote = '';
    try {
      targets.push(await openQemu(image));
    } catch (e) {
      qemuNote = `not measured: ${e instanceof Error ? e.message : e}`;
    }
    const before = loadAverage();
    const t = await interleaved(targets);
    const rows = t.map((x) => ({ step: median(x.step), cont: median(x.cont) }));
    console.log(
      `debugger round trips, interleaved (median of ${STEPS} steps, ${CONTINUES} continues to a breakpoint; ${before}):`,
    );
    const labels = ['Bootvisor adapter (DAP, software vCPU)', 'QEMU gdbstub (TCG)'];
    rows.forEach((r, k) =>
      console.log(
        `  ${labels[k].padEnd(40)} step ${r.step.toFixed(3)} ms   continue-to-breakpoint ${r.cont.toFixed(3)} ms`,
      ),
    );
    if (qemuNote) console.log(`  ${labels[1].padEnd(40)} ${qemuNote}`);
    else
      console.log(
        `  ratio Bootvisor/QEMU: step ${(rows[0].step / rows[1].step).toFixed(2)}x, continue ${(rows[0].cont / rows[1].cont).toFixed(2)}x (target: both below 1.00x)`,
      );
  } finally {
    for (const t of targets) await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  dapBench().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
