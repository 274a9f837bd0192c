// Debugger round trips: the median time of one instruction step, and of a continue that runs to a
// breakpoint, through the Bootvisor debug adapter (DebugClient over stdio, as VS Code talks to it), and the
// same two through QEMU's gdbstub (qemu-system-i386 -S -gdb, spoken to by a small gdb-remote client here;
// no gdb needed), interleaved in this run (each step and continue alternates between them, so a change in
// the machine's load touches both alike). Target (issue 16): both faster than QEMU's.
// A third line is the floor of any Node adapter (dap-floor.ts: canned answers through the same client, pipes
// and event loop, no debugger behind them). Beside each median: the CPU time the debugger's process (all its
// threads, from /proc) and the client spent per round trip, which the load inflates far less than wall time.
// Two more lines time a step and a continue as VS Code does them: after the stopped event VS Code asks for
// the threads, the call stack, the top frame's scopes and the first scope's variables (the Registers), one
// after the other, before the user sees the new state; QEMU's side does what gdb does after a stop (`g` for
// the registers, then the stack's memory, `m`, for its backtrace).
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
const FLOOR = path.join(__dirname, 'dap-floor.js');
const SOURCE = path.join(ROOT, 'test', 'dap', 'programs', 'loop.asm');
const STEPS = Number(process.env.BOOTVISOR_BENCH_STEPS) || 300;
const CONTINUES = Number(process.env.BOOTVISOR_BENCH_CONTINUES) || 100;
const FULL = Number(process.env.BOOTVISOR_BENCH_FULL) || 100;

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
  /** Step over (VS Code's F10); QEMU: `s`, which is what gdb's `nexti` sends on an instruction that is not a call. */
  next(): Promise<void>;
  cont(): Promise<void>;
  /** The state a debugger's user sees after a stop, read as its usual client reads it. */
  refresh(): Promise<void>;
  breakAtLoop(): Promise<void>;
  close(): Promise<void>;
  /** The debugger's process, for its CPU time. */
  pid?: number;
}

/** Nanoseconds of CPU all threads of a process have used (Linux schedstat; undefined elsewhere). */
function processCpuNs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let ns = 0;
    for (const t of fs.readdirSync(`/proc/${pid}/task`))
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    return ns;
  } catch {
    return undefined;
  }
}

async function openBootvisor(adapter = ADAPTER): Promise<Debuggee> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-bench-dap-'));
  const dc = new DebugClient('node', adapter, 'bootvisor', { cwd });
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
    async next() {
      const stopped = dc.waitForEvent('stopped');
      await dc.nextRequest({ threadId: 1 });
      await stopped;
    },
    async cont() {
      const stopped = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 1 });
      await stopped;
    },
    async refresh() {
      await dc.threadsRequest();
      const st = await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
      const top = st.body.stackFrames[0];
      if (!top) throw new Error('stackTrace answered no frames');
      const scopes = await dc.scopesRequest({ frameId: top.id });
      const first = scopes.body.scopes[0];
      if (!first) throw new Error('scopes answered none');
      const vars = await dc.variablesRequest({ variablesReference: first.variablesReference });
      if (vars.body.variables.length === 0) throw new Error('variables answered none');
    },
    async breakAtLoop() {
      await dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: loopLine() + 1 }] });
    },
    async close() {
      await dc.stop().catch(() => undefined);
      fs.rmSync(cwd, { recursive: true, force: true });
    },
    // DebugClient keeps the adapter's process to itself.
    pid: (dc as unknown as { _adapterProcess?: { pid?: number } })._adapterProcess?.pid,
  };
}

async function openQemu(image: string): Promise<Debuggee> {
  const { gdb, child } = await startQemu(image);
  try {
    await gdb.request('Z0,7c00,1');
    await gdb.request('c'); // through SeaBIOS to the boot sector
    await gdb.request('z0,7c00,1');
    const step = async (): Promise<void> => {
      const reply = await gdb.request('s');
      if (!/^[ST]/.test(reply)) throw new Error(`QEMU answered a step with ${reply}`);
    };
    return {
      step,
      next: step,
      async cont() {
        await gdb.request('c');
      },
      async refresh() {
        // i386 'g': eax ecx edx ebx esp ... eip eflags cs ss, 8 hex digits each, little-endian.
        const g = await gdb.request('g');
        const reg = (k: number): number =>
          Number(
            `0x${g
              .slice(k * 8, k * 8 + 8)
              .match(/../g)!
              .reverse()
              .join('')}`,
          );
        const stack = ((reg(11) << 4) + (reg(4) & 0xffff)) >>> 0;
        const m = await gdb.request(`m${stack.toString(16)},40`);
        if (!/^[0-9a-f]+$/.test(m)) throw new Error(`QEMU answered a stack read with ${m}`);
      },
      // The same breakpoint as the adapter's: the first instruction of .loop, at 0x7C03.
      async breakAtLoop() {
        await gdb.request('Z0,7c03,1');
      },
      async close() {
        gdb.close();
        child.kill('SIGKILL');
      },
      pid: child.pid,
    };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}

type Timings = {
  step: number[];
  next: number[];
  cont: number[];
  fullStep: number[];
  fullCont: number[];
  cpu: { step: Cpu; next: Cpu; cont: Cpu; fullStep: Cpu; fullCont: Cpu };
};
/** Microseconds of CPU per round trip: the debugger's process, and the client (this process) for it. */
type Cpu = { server?: number; client: number };

type Series = 'step' | 'next' | 'cont' | 'fullStep' | 'fullCont';

/** Each step and each continue alternates between the debuggers, so a change in the machine's load touches all alike. */
async function interleaved(targets: Debuggee[]): Promise<Timings[]> {
  const out = targets.map(() => ({
    step: [] as number[],
    next: [] as number[],
    cont: [] as number[],
    fullStep: [] as number[],
    fullCont: [] as number[],
    client: 0,
  }));
  const timed = async (k: number, f: () => Promise<void>): Promise<number> => {
    const c0 = process.cpuUsage();
    const t0 = now();
    await f();
    const ms = now() - t0;
    const c = process.cpuUsage(c0);
    out[k].client += c.user + c.system;
    return ms;
  };
  const phase = async (
    n: number,
    op: (t: Debuggee) => Promise<void>,
    into: (k: number) => number[],
  ): Promise<Cpu[]> => {
    const before = targets.map((t) => processCpuNs(t.pid));
    out.forEach((o) => (o.client = 0));
    // The order rotates each round, so each debugger follows each other one equally often: whatever the one
    // before leaves running (QEMU reads the client's acknowledgement after its reply) lands on all alike.
    for (let i = 0; i < n; i++)
      for (let j = 0; j < targets.length; j++) {
        const k = (i + j) % targets.length;
        into(k).push(await timed(k, () => op(targets[k])));
      }
    return targets.map((t, k) => {
      const a = before[k];
      const b = processCpuNs(t.pid);
      return { server: a === undefined || b === undefined ? undefined : (b - a) / 1e3 / n, client: out[k].client / n };
    });
  };
  // The same action alone, then followed by the reads the user's client makes after each stop.
  const both = async (n: number, op: (t: Debuggee) => Promise<void>, alone: Series, full: Series) => [
    await phase(n, op, (k) => out[k][alone]),
    await phase(
      FULL,
      async (t) => {
        await op(t);
        await t.refresh();
      },
      (k) => out[k][full],
    ),
  ];
  const [stepCpu, fullStepCpu] = await both(STEPS, (t) => t.step(), 'step', 'fullStep');
  const nextCpu = await phase(
    STEPS,
    (t) => t.next(),
    (k) => out[k].next,
  );
  for (const t of targets) await t.breakAtLoop();
  const [contCpu, fullContCpu] = await both(CONTINUES, (t) => t.cont(), 'cont', 'fullCont');
  return out.map((o, k) => ({
    ...o,
    cpu: { step: stepCpu[k], next: nextCpu[k], cont: contCpu[k], fullStep: fullStepCpu[k], fullCont: fullContCpu[k] },
  }));
}

export async function dapBench(): Promise<void> {
  if (!fs.existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: build with npx tsc -b`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-bench-img-'));
  const image = path.join(dir, 'loop.img');
  const asm = spawnSync('nasm', ['-f', 'bin', '-o', image, SOURCE], { encoding: 'utf8' });
  if (asm.status !== 0) throw new Error(`nasm could not assemble ${SOURCE}: ${asm.stderr || asm.error?.message}`);
  const targets: Debuggee[] = [];
  const labels: string[] = [];
  try {
    targets.push(await openBootvisor());
    labels.push('Bootvisor adapter (DAP, software vCPU)');
    let qemuNote = '';
    try {
      targets.push(await openQemu(image));
      labels.push('QEMU gdbstub (TCG)');
    } catch (e) {
      qemuNote = `not measured: ${e instanceof Error ? e.message : e}`;
    }
    targets.push(await openBootvisor(FLOOR));
    labels.push('floor: canned DAP answers (Node)');
    const before = loadAverage();
    const t = await interleaved(targets);
    const rows = t.map((x) => ({
      step: median(x.step),
      next: median(x.next),
      cont: median(x.cont),
      fullStep: median(x.fullStep),
      fullCont: median(x.fullCont),
    }));
    console.log(
      `debugger round trips, interleaved (median of ${STEPS} steps, ${CONTINUES} continues to a breakpoint; ${before}; after: ${loadAverage()}):`,
    );
    const us = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(0));
    rows.forEach((r, k) => {
      const c = t[k].cpu;
      console.log(
        `  ${labels[k].padEnd(40)} step ${r.step.toFixed(3)} ms   continue-to-breakpoint ${r.cont.toFixed(3)} ms   ` +
          `CPU per round trip, debugger + client: step ${us(c.step.server)} + ${us(c.step.client)} us, continue ${us(c.cont.server)} + ${us(c.cont.client)} us`,
      );
    });
    console.log(
      `next (step over, VS Code's F10; QEMU: s, what gdb's nexti sends on an instruction that is not a call):`,
    );
    rows.forEach((r, k) => {
      const c = t[k].cpu.next;
      console.log(
        `  ${labels[k].padEnd(40)} next ${r.next.toFixed(3)} ms   CPU per round trip, debugger + client: ${us(c.server)} + ${us(c.client)} us`,
      );
    });
    console.log(
      `as VS Code does them (median of ${FULL}: the stopped event, then threads, stackTrace, scopes, variables; QEMU: then g and m, as gdb does):`,
    );
    rows.forEach((r, k) => {
      const c = t[k].cpu;
      console.log(
        `  ${labels[k].padEnd(40)} step ${r.fullStep.toFixed(3)} ms   continue-to-breakpoint ${r.fullCont.toFixed(3)} ms   ` +
          `CPU per round trip, debugger + client: step ${us(c.fullStep.server)} + ${us(c.fullStep.client)} us, continue ${us(c.fullCont.server)} + ${us(c.fullCont.client)} us`,
      );
    });
    if (qemuNote) console.log(`  QEMU gdbstub (TCG)${''.padEnd(22)} ${qemuNote}`);
    else {
      console.log(
        `  ratio Bootvisor/QEMU: step ${(rows[0].step / rows[1].step).toFixed(2)}x, next ${(rows[0].next / rows[1].next).toFixed(2)}x, continue ${(rows[0].cont / rows[1].cont).toFixed(2)}x (target: below 1.00x); ` +
          `as VS Code and gdb do them: step ${(rows[0].fullStep / rows[1].fullStep).toFixed(2)}x, continue ${(rows[0].fullCont / rows[1].fullCont).toFixed(2)}x`,
      );
      const cpu = (k: number, w: 'step' | 'cont'): number | undefined => {
        const c = t[k].cpu[w];
        return c.server === undefined ? undefined : c.server + c.client;
      };
      const b = [cpu(0, 'step'), cpu(0, 'cont')];
      const q = [cpu(1, 'step'), cpu(1, 'cont')];
      if (b.every((v) => v !== undefined) && q.every((v) => v !== undefined))
        console.log(
          `  CPU ratio Bootvisor/QEMU (debugger + client): step ${(b[0]! / q[0]!).toFixed(2)}x, continue ${(b[1]! / q[1]!).toFixed(2)}x`,
        );
    }
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
