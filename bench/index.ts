// npm run bench: every benchmark suite in turn. Each prints its own figures and ratios against the
// references it measures in the same run. To add a suite, add a line to SUITES.
import { cpuBench } from './cpu';
import { dapBench } from './dap';
import { keyLatencyBench } from './key-latency';
import { startupBench } from './startup';

const SUITES: { name: string; run: () => Promise<void> }[] = [
  { name: 'cpu', run: cpuBench },
  { name: 'dap', run: dapBench },
  { name: 'keys', run: keyLatencyBench },
  { name: 'startup', run: startupBench },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  let failed = 0;
  for (const s of SUITES) {
    if (only.length && !only.includes(s.name)) continue;
    console.log(`== ${s.name}`);
    try {
      await s.run();
    } catch (e) {
      failed++;
      console.log(`  ${s.name} failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  if (failed) process.exit(1);
}

main();
