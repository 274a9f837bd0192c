// KVM against the software vCPU, measured in the same run: port-I/O exits per second (an OUT that goes to the
// monitor and back) and compute-bound instructions per second. Runs scripts/test-kvm.sh --bench, which boots
// Linux under QEMU TCG with nested SVM and runs native/tools/kvm_driver there (figures from that nested setup
// are only comparable with each other); with BOOTVISOR_BENCH_KVM_HOST=1 it uses this machine's /dev/kvm.
// Usage: node out/bench/kvm.js
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

interface Figure {
  name: string;
  value: number;
  unit: string;
  detail: string;
}

function parse(stdout: string): Figure[] {
  const out: Figure[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^bench (\S+) ([\d.]+) (\S+)(?: \((.*)\))?/.exec(line.trim());
    if (m) out.push({ name: m[1], value: Number(m[2]), unit: m[3], detail: m[4] ?? '' });
  }
  return out;
}

function main(): void {
  const host = process.env.BOOTVISOR_BENCH_KVM_HOST === '1';
  const t0 = Date.now();
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'test-kvm.sh'), '--bench', ...(host ? ['--host'] : [])], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const figures = parse(r.stdout ?? '');
  if (figures.length === 0) {
    console.error(`kvm bench: no figures (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    process.exitCode = 1;
    return;
  }
  const setup = host ? "this machine's /dev/kvm" : 'nested: Linux 6.1 KVM (kvm_amd) inside QEMU TCG -cpu max';
  console.log(`KVM vs software vCPU (${setup}; total ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  for (const f of figures)
    console.log(
      `  ${f.name.padEnd(44)} ${f.value.toExponential(3).padStart(10)} ${f.unit}${f.detail ? `  (${f.detail})` : ''}`,
    );
  const get = (n: string): number | undefined => figures.find((f) => f.name === n)?.value;
  const ratio = (a?: number, b?: number): string => (a && b ? (a / b).toFixed(2) : 'n/a');
  console.log(
    `  exits/s, kvm / software:             ${ratio(get('kvm_port_io_exits_per_second'), get('software_port_io_exits_per_second'))}`,
  );
  console.log(
    `  instructions/s, kvm / software:      ${ratio(get('kvm_compute_instructions_per_second'), get('software_compute_instructions_per_second'))}`,
  );
}

main();
