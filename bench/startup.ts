// Start-up: wall time from process start to the guest's first serial byte, for `bootvisor run` and for
// QEMU (TCG, booting through SeaBIOS), with a bare `node -e 0` as the floor, all measured in this run.
// Prints medians; the target is below QEMU and within 30 ms of bare Node.
import { spawn, spawnSync } from 'child_process';
import * as os from 'os';
import * as fs from 'fs';
import * as path from 'path';
import { loadAverage } from './cpu';

const ROOT = path.resolve(__dirname, '..', '..');
const IMAGE = path.join(ROOT, 'examples', 'hello', 'hello.img');
const RUNS = Number(process.env.BOOTVISOR_BENCH_RUNS) || 7;

const PROBE = path.join(__dirname, 'cpu-probe.js');

/**
 * The CLI as the .vsix ships it (scripts/package.sh): one esbuild bundle at out/cli/main.js beside a
 * package.json, the addon in prebuilds/linux-x64/, found as an installed extension finds it. Returns the
 * bundle's path, or why it could not be built.
 */
function stageShippedCli(dir: string): { cli?: string; note?: string } {
  const esbuild = path.join(ROOT, 'node_modules', '.bin', 'esbuild');
  const addon = path.join(ROOT, 'build', 'Release', 'bootvisor.node');
  if (!fs.existsSync(esbuild) || !fs.existsSync(addon))
    return { note: 'needs esbuild (npm install) and the built addon' };
  const cli = path.join(dir, 'out', 'cli', 'main.js');
  const r = spawnSync(
    esbuild,
    [
      path.join(ROOT, 'cli', 'main.ts'),
      '--bundle',
      '--platform=node',
      '--target=node20',
      '--format=cjs',
      '--external:vscode',
      '--minify',
      '--keep-names',
      '--legal-comments=none',
      '--log-level=warning',
      `--outfile=${cli}`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) return { note: `esbuild failed: ${r.stderr || r.error?.message}` };
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.mkdirSync(path.join(dir, 'prebuilds', 'linux-x64'), { recursive: true });
  fs.copyFileSync(addon, path.join(dir, 'prebuilds', 'linux-x64', 'node.napi.node'));
  return { cli };
}

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
  const runArgs = ['run', IMAGE, '--serial', '-', '--timeout', '10', '--quiet'];
  const variants = [
    { label: 'node -e 0 (floor)', run: () => timeOnce(process.execPath, ['-e', '0'], true, true) },
    {
      label: 'bootvisor run hello.img (tsc out/)',
      run: () => timeOnce(process.execPath, [cli, ...runArgs], false, true),
    },
  ];
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-bench-vsix-'));
  const shipped = stageShippedCli(stage);
  if (shipped.cli) {
    const bundle = shipped.cli;
    variants.push({
      label: 'bootvisor run hello.img (.vsix bundle)',
      run: () => timeOnce(process.execPath, [bundle, ...runArgs], false, true),
    });
  } else console.log(`the .vsix's bundled CLI not measured: ${shipped.note}`);
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
  let rows: Row[];
  try {
    rows = await measureInterleaved(variants);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  const floor = rows[0].ms;
  console.log(
    `start-up to the first serial byte, ${RUNS} runs each, interleaved (examples/hello/hello.img; ${loadAverage()})`,
  );
  console.log(`  ${''.padEnd(40)} ${'median'.padStart(8)}    ${'min'.padStart(8)}    ${'CPU'.padStart(8)}`);
  for (const r of rows) {
    const extra =
      r === rows[0] ? '' : `  (+${(r.ms - floor).toFixed(1)} ms over bare node, ${(r.ms / floor).toFixed(2)}x)`;
    const cpu = r.cpuMs === undefined ? '-'.padStart(8) + '   ' : `${r.cpuMs.toFixed(1).padStart(8)} ms`;
    console.log(
      `  ${r.label.padEnd(40)} ${r.ms.toFixed(1).padStart(8)} ms ${r.min.toFixed(1).padStart(8)} ms ${cpu}${extra}`,
    );
  }
  const cpuFloor = rows[0].cpuMs;
  const bvRows = rows.filter((r) => r.label.startsWith('bootvisor'));
  for (const r of bvRows) {
    if (cpuFloor !== undefined && r.cpuMs !== undefined)
      console.log(
        `  CPU time to the first byte (the probe's; the load inflates it too, less than wall time): ${r.label} +${(r.cpuMs - cpuFloor).toFixed(1)} ms over bare node`,
      );
  }
  // The target is for what users run: the .vsix's bundle where it was measured.
  const bv = bvRows[bvRows.length - 1].ms;
  const q = rows.find((r) => r.label.startsWith(path.basename(qemu)))?.ms;
  if (q !== undefined) console.log(`  ${bvRows[bvRows.length - 1].label} / qemu: ${(bv / q).toFixed(2)}x (median)`);
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
