// Start-up: wall time from process start to the guest's first serial byte, for `bootvisor run` and for
// QEMU (TCG, booting through SeaBIOS), with a bare `node -e 0` as the floor, all measured in this run.
// Prints medians; the target is below QEMU and within 30 ms of bare Node.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadAverage } from './cpu';

const ROOT = path.resolve(__dirname, '..', '..');
const IMAGE = path.join(ROOT, 'examples', 'hello', 'hello.img');
const RUNS = Number(process.env.BOOTVISOR_BENCH_RUNS) || 7;

const PROBE = path.join(__dirname, 'cpu-probe.js');

interface Timing {
  ms: number;
  /** CPU milliseconds the process had used by then (Node processes only, through the preloaded probe). */
  cpuMs?: number;
}

/**
 * Milliseconds from spawn until the first byte on stdout (or until exit when `untilExit`). With `probe`,
 * the Node process preloads cpu-probe.js and the CPU time it reports is waited for too.
 */
function timeOnce(cmd: string, args: string[], untilExit = false, probe = false): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, probe ? ['-r', PROBE, ...args] : args, {
      stdio: ['ignore', 'pipe', probe ? 'pipe' : 'ignore'],
    });
    let done = false;
    let ms: number | undefined;
    let cpuMs: number | undefined;
    let err = '';
    const settle = (): void => {
      if (done || ms === undefined || (probe && cpuMs === undefined)) return;
      done = true;
      resolve({ ms, cpuMs });
      if (!untilExit) child.kill('SIGKILL');
    };
    const finish = (): void => {
      ms ??= Number(process.hrtime.bigint() - t0) / 1e6;
      settle();
    };
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('latin1');
      const m = /#cpu-us (\d+)/.exec(err);
      if (m) {
        cpuMs = Number(m[1]) / 1000;
        settle();
      }
    });
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      if (!done) reject(new Error(`${cmd} printed nothing within 20 s`));
    }, 20000);
    child.on('error', reject);
    if (untilExit) child.on('exit', () => finish());
    else child.stdout?.once('data', () => finish());
    child.on('close', () => clearTimeout(guard));
  });
}

interface Row {
  label: string;
  /** median */
  ms: number;
  min: number;
  /** median CPU time to the same moment, where measured */
  cpuMs?: number;
}

/** Runs the variants in turn, RUNS rounds, so a change in machine load touches them all alike. */
async function measureInterleaved(variants: { label: string; run: () => Promise<Timing> }[]): Promise<Row[]> {
  const times = variants.map(() => [] as Timing[]);
  for (const v of variants) await v.run(); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < variants.length; j++) times[j].push(await variants[j].run());
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return variants.map((v, j) => {
    const ms = times[j].map((t) => t.ms);
    const cpu = times[j].flatMap((t) => (t.cpuMs === undefined ? [] : [t.cpuMs]));
    return { label: v.label, ms: median(ms), min: Math.min(...ms), cpuMs: cpu.length ? median(cpu) : undefined };
  });
}

export async function startupBench(): Promise<void> {
  const cli = path.join(ROOT, 'out', 'cli', 'main.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: build with npx tsc -b`);
  const qemu = process.env.BOOTVISOR_QEMU || 'qemu-system-i386';
  const variants = [
    { label: 'node -e 0 (floor)', run: () => timeOnce(process.execPath, ['-e', '0'], true, true) },
    {
      label: 'bootvisor run hello.img',
      run: () =>
        timeOnce(process.execPath, [cli, 'run', IMAGE, '--serial', '-', '--timeout', '10', '--quiet'], false, true),
    },
  ];
  const qemuArgs = [
    '-accel',
    'tcg',
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'stdio',
    '-m',
    '32',
    '-drive',
    `file=${IMAGE},format=raw,if=floppy,readonly=on`,
  ];
  try {
    await timeOnce(qemu, qemuArgs);
    variants.push({ label: `${path.basename(qemu)} -accel tcg (SeaBIOS)`, run: () => timeOnce(qemu, qemuArgs) });
  } catch (e) {
    console.log(`QEMU not measured: ${(e as Error).message} (scripts/install-test-deps.sh installs it)`);
  }
  const rows = await measureInterleaved(variants);
  const floor = rows[0].ms;
  console.log(
    `start-up to the first serial byte, ${RUNS} runs each, interleaved (examples/hello/hello.img; ${loadAverage()})`,
  );
  console.log(`  ${''.padEnd(36)} ${'median'.padStart(8)}    ${'min'.padStart(8)}    ${'CPU'.padStart(8)}`);
  for (const r of rows) {
    const extra =
      r === rows[0] ? '' : `  (+${(r.ms - floor).toFixed(1)} ms over bare node, ${(r.ms / floor).toFixed(2)}x)`;
    const cpu = r.cpuMs === undefined ? '-'.padStart(8) + '   ' : `${r.cpuMs.toFixed(1).padStart(8)} ms`;
    console.log(
      `  ${r.label.padEnd(36)} ${r.ms.toFixed(1).padStart(8)} ms ${r.min.toFixed(1).padStart(8)} ms ${cpu}${extra}`,
    );
  }
  const cpuFloor = rows[0].cpuMs;
  const cpuBv = rows[1].cpuMs;
  if (cpuFloor !== undefined && cpuBv !== undefined) {
    console.log(
      `  CPU time to the first byte (the probe's; the load inflates it too, less than wall time): bootvisor +${(cpuBv - cpuFloor).toFixed(1)} ms over bare node`,
    );
  }
  const bv = rows[1].ms;
  const q = rows[2]?.ms;
  if (q !== undefined) console.log(`  bootvisor / qemu: ${(bv / q).toFixed(2)}x (median)`);
  console.log(
    `  target: below QEMU and within 30 ms of bare node: ${bv - floor <= 30 && (q === undefined || bv < q) ? 'met' : 'not met'}`,
  );
}

if (require.main === module) {
  startupBench().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
