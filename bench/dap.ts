// Debugger round trips: the median time of one instruction step, and of a continue that runs to a
// breakpoint, through the Bootvisor debug adapter (DebugClient over stdio, as VS Code talks to it), and the
// same two through QEMU's gdbstub (qemu-system-i386 -S -gdb, spoken to by a small gdb-remote client here;
// no gdb needed), measured in this run. Target (issue 16): both faster than QEMU's.
import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { freePort, GdbRemote } from '../test/dap/gdb-remote';
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
  return fs.readFileSync(SOURCE, 'utf8').split('\n').findIndex((l) => l.startsWith('.loop:')) + 1;
}

export async function bootvisor(): Promise<{ step: number; cont: number }> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-bench-dap-'));
  const dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd });
  await dc.start();
  try {
    await dc.initializeRequest({ adapterID: 'bootvisor', pathFormat: 'path', linesStartAt1: true });
    const entry = dc.waitForEvent('stopped');
    await Promise.all([
      dc.launchRequest({ program: SOURCE, stopOnEntry: true, cwd } as DebugProtocol.LaunchRequestArguments),
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    ]);
    await entry;
    const step: number[] = [];
    for (let i = 0; i < STEPS; i++) {
      const t0 = now();
      const stopped = dc.waitForEvent('stopped');
      await dc.stepInRequest({ threadId: 1 });
      await stopped;
      step.push(now() - t0);
    }
    await dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: loopLine() + 1 }] });
    const cont: number[] = [];
    for (let i = 0; i < CONTINUES; i++) {
      const t0 = now();
      const stopped = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 1 });
      await stopped;
      cont.push(now() - t0);
    }
    return { step: median(step), cont: median(cont) };
  } finally {
    await dc.stop().catch(() => undefined);
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

export async function qemu(image: string): Promise<{ step: number; cont: number }> {
  const port = await freePort();
  const bin = process.env.BOOTVISOR_QEMU || 'qemu-system-i386';
  const child: ChildProcess = spawn(
    bin,
    ['-accel', 'tcg', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-m', '32', '-S', '-gdb', `tcp:127.0.0.1:${port}`, '-drive', `file=${image},format=raw,if=floppy,readonly=on`],
    { stdio: 'ignore' },
  );
  try {
    const gdb = await GdbRemote.connect(port);
    try {
      await gdb.request('Z0,7c00,1');
      await gdb.request('c'); // through SeaBIOS to the boot sector
      await gdb.request('z0,7c00,1');
      const step: number[] = [];
      for (let i = 0; i < STEPS; i++) {
        const t0 = now();
        const reply = await gdb.request('s');
        step.push(now() - t0);
        if (!/^[ST]/.test(reply)) throw new Error(`QEMU answered a step with ${reply}`);
      }
      // The same breakpoint as the adapter's: the first instruction of .loop, at 0x7C03.
      await gdb.request('Z0,7c03,1');
      const cont: number[] = [];
      for (let i = 0; i < CONTINUES; i++) {
        const t0 = now();
        await gdb.request('c');
        cont.push(now() - t0);
      }
      return { step: median(step), cont: median(cont) };
    } finally {
      gdb.close();
    }
  } finally {
    child.kill('SIGKILL');
  }
}

export async function dapBench(): Promise<void> {
  if (!fs.existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: build with npx tsc -b`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-bench-img-'));
  const image = path.join(dir, 'loop.img');
  const asm = spawnSync('nasm', ['-f', 'bin', '-o', image, SOURCE], { encoding: 'utf8' });
  if (asm.status !== 0) throw new Error(`nasm could not assemble ${SOURCE}: ${asm.stderr || asm.error?.message}`);
  try {
    const bv = await bootvisor();
    const rows: [string, { step: number; cont: number } | string][] = [['Bootvisor adapter (DAP, software vCPU)', bv]];
    try {
      rows.push(['QEMU gdbstub (TCG)', await qemu(image)]);
    } catch (e) {
      rows.push(['QEMU gdbstub (TCG)', `not measured: ${e instanceof Error ? e.message : e}`]);
    }
    console.log(`debugger round trips (median of ${STEPS} steps, ${CONTINUES} continues to a breakpoint; ${loadAverage()}):`);
    for (const [label, r] of rows) {
      if (typeof r === 'string') console.log(`  ${label.padEnd(40)} ${r}`);
      else console.log(`  ${label.padEnd(40)} step ${r.step.toFixed(3)} ms   continue-to-breakpoint ${r.cont.toFixed(3)} ms`);
    }
    const q = rows[1][1];
    if (typeof q !== 'string') {
      console.log(`  ratio Bootvisor/QEMU: step ${(bv.step / q.step).toFixed(2)}x, continue ${(bv.cont / q.cont).toFixed(2)}x (target: both below 1.00x)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  dapBench().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
