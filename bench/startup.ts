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

/** Milliseconds from spawn until the first byte on stdout (or until exit when `untilExit`). */
function timeOnce(cmd: string, args: string[], untilExit = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!untilExit) child.kill('SIGKILL');
    };
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      if (!done) reject(new Error(`${cmd} printed nothing within 20 s`));
    }, 20000);
    child.on('error', reject);
    if (untilExit) child.on('exit', () => finish());
    else child.stdout.once('data', () => finish());
    child.on('close', () => clearTimeout(guard));
  });
}

interface Row {
  label: string;
  /** median */
  ms: number;
  min: number;
}

/** Runs the variants in turn, RUNS rounds, so a change in machine load touches them all alike. */
async function measureInterleaved(variants: { label: string; run: () => Promise<number> }[]): Promise<Row[]> {
  const times = variants.map(() => [] as number[]);
  for (const v of variants) await v.run(); // warm the file cache
  for (let i = 0; i < RUNS; i++) {
    for (let j = 0; j < variants.length; j++) times[j].push(await variants[j].run());
  }
  return variants.map((v, j) => {
    const sorted = [...times[j]].sort((x, y) => x - y);
    return { label: v.label, ms: sorted[Math.floor(sorted.length / 2)], min: sorted[0] };
  });
}

export async function startupBench(): Promise<void> {
  const cli = path.join(ROOT, 'out', 'cli', 'main.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: build with npx tsc -b`);
  const qemu = process.env.BOOTVISOR_QEMU || 'qemu-system-i386';
  const variants = [
    { label: 'node -e 0 (floor)', run: () => timeOnce(process.execPath, ['-e', '0'], true) },
    {
      label: 'bootvisor run hello.img',
      run: () => timeOnce(process.execPath, [cli, 'run', IMAGE, '--serial', '-', '--timeout', '10', '--quiet']),
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
  console.log(`  ${''.padEnd(36)} ${'median'.padStart(8)}    ${'min'.padStart(8)}`);
  for (const r of rows) {
    const extra =
      r === rows[0] ? '' : `  (+${(r.ms - floor).toFixed(1)} ms over bare node, ${(r.ms / floor).toFixed(2)}x)`;
    console.log(`  ${r.label.padEnd(36)} ${r.ms.toFixed(1).padStart(8)} ms ${r.min.toFixed(1).padStart(8)} ms${extra}`);
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
