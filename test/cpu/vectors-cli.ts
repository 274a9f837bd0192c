// `npm run vectors -- DIR`: runs every .jsonl.gz vector file in DIR on the software vCPU, prints the pass
// rate per instruction form and the first failures, and ends with `N passed, N failed`.
import * as fs from 'fs';
import { newVectorCpu, runVectorFile, vectorFiles } from './vectors-lib';

function main(): number {
  const dir = process.argv[2];
  if (!dir) {
    console.error(
      'usage: npm run vectors -- DIR   (a folder of SingleStepTests .jsonl.gz files, e.g. ../shared/singlestep/80286)',
    );
    return 2;
  }
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    console.error(`vectors: ${dir} is not a folder; give the folder that holds the .jsonl.gz files`);
    return 2;
  }
  const files = vectorFiles(dir);
  if (files.length === 0) {
    console.error(`vectors: no .jsonl.gz files in ${dir}`);
    return 2;
  }
  const cpu = newVectorCpu();
  let passed = 0,
    failed = 0,
    excluded = 0;
  const excludedBy: Record<string, number> = {};
  for (const f of files) {
    const r = runVectorFile(cpu, f);
    passed += r.passed;
    failed += r.failed;
    excluded += r.excluded;
    for (const [why, n] of Object.entries(r.excludedBy)) excludedBy[why] = (excludedBy[why] ?? 0) + n;
    const total = r.passed + r.failed;
    const pct = total ? ((100 * r.passed) / total).toFixed(1) : '-';
    console.log(
      `${r.form.padEnd(6)} ${String(r.passed).padStart(4)}/${String(total).padEnd(4)} ${pct.padStart(5)}%${r.excluded ? `  (${r.excluded} excluded)` : ''}`,
    );
    for (const why of r.failures) console.log(`    ${why}`);
  }
  if (excluded) {
    console.log(`${excluded} excluded (286-only behaviour, see EXCLUSIONS in test/cpu/vectors-lib.ts):`);
    for (const [why, n] of Object.entries(excludedBy)) console.log(`  ${String(n).padStart(4)}  ${why}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = main();
