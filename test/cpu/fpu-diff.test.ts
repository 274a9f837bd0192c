// The x87 as the guest sees it, differentially: generated operation tables (test/cpu/fpu-diff-gen.ts: every
// basic operation, load and store, operands of every class, every rounding and precision control) run as
// boot-sector programs on Bootvisor's software vCPU, on QEMU TCG (-cpu pentium, softfloat's 80-bit
// arithmetic) and on Bochs, and on the host's own x87 (native/tools/fpu_oracle --table). Bootvisor must print
// exactly what the host x87 computes; where a reference prints something else, the host's silicon says who
// is right, and the test requires every line where Bootvisor and a reference differ to be a line where that
// reference differs from the silicon (the counts are printed, and README's x87 section explains them).
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { writeProgram, OPS } from './fpu-diff-gen';
import { assemble, bochsMissing, runBochs, runBootvisor, runQemu, toolMissing, QEMU } from './qemu-diff-harness';
import { ROOT } from '../cli/harness';

const ORACLE = path.join(ROOT, 'build', 'Release', 'fpu_oracle');
const ENTRIES = 600;
const SEEDS = [1, 2, 3];

function opOf(k: number): string {
  return OPS[k % OPS.length];
}

/** Lines where `ref` differs from `ours`, and how many of those the silicon says `ref` got wrong. */
function compare(
  name: string,
  ours: string[],
  ref: string[],
  silicon: string[] | undefined,
): { differ: number; refWrong: number; unexplained: string[]; byOp: string } {
  const ops = new Map<string, number>();
  let differ = 0;
  let refWrong = 0;
  const unexplained: string[] = [];
  for (let k = 0; k < ours.length; k++) {
    if (ours[k] === ref[k]) continue;
    differ++;
    ops.set(opOf(k), (ops.get(opOf(k)) ?? 0) + 1);
    if (silicon && silicon[k] !== ref[k] && silicon[k] === ours[k]) refWrong++;
    else unexplained.push(`${name} entry ${k} (${opOf(k)}): Bootvisor ${ours[k]}, ${name} ${ref[k]}`);
  }
  const byOp = [...ops].map(([op, n]) => `${op} ${n}`).join(', ');
  return { differ, refWrong, unexplained, byOp };
}

describe('x87 differential: generated operation tables on Bootvisor, the host x87, QEMU and Bochs', function () {
  this.timeout(180000);
  let dir: string;
  const hostX87 = os.arch() === 'x64' || os.arch() === 'ia32';

  before(function () {
    const missing = toolMissing('nasm', ['-v']) ?? toolMissing(QEMU);
    if (missing) throw new Error(missing);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-fpu-diff-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const seed of SEEDS) {
    it(`table ${seed}: Bootvisor prints what the host x87 computes; QEMU and Bochs differ only where they are wrong`, async function () {
      const prog = writeProgram(dir, seed, ENTRIES);
      const img = assemble(prog.asm);
      const ours = runBootvisor(img);
      assert.strictEqual(ours.end, 'exit', `Bootvisor: ${ours.detail}`);
      assert.strictEqual(ours.lines.length, ENTRIES, ours.lines.slice(-3).join('\n'));

      let silicon: string[] | undefined;
      if (hostX87) {
        const r = spawnSync(ORACLE, ['--table', prog.table], { encoding: 'utf8' });
        assert.strictEqual(r.status, 0, r.stderr);
        silicon = r.stdout.trimEnd().split('\n');
        assert.strictEqual(silicon.length, ENTRIES);
        const wrong = ours.lines.flatMap((l, k) =>
          l === silicon![k] ? [] : [`entry ${k} (${opOf(k)}): Bootvisor ${l}, host x87 ${silicon![k]}`],
        );
        assert.deepStrictEqual(wrong, [], wrong.slice(0, 10).join('\n'));
      }

      const qemu = await runQemu(img);
      assert.strictEqual(qemu.end, 'exit', `QEMU: ${qemu.detail}`);
      const q = compare('QEMU', ours.lines, qemu.lines, silicon);
      const report = [`QEMU differs on ${q.differ} of ${ENTRIES} (wrong by the silicon: ${q.refWrong}; ${q.byOp})`];
      if (!bochsMissing()) {
        const bochs = await runBochs(img, 90000);
        assert.strictEqual(bochs.end, 'exit', `Bochs: ${bochs.detail}`);
        const b = compare('Bochs', ours.lines, bochs.lines, silicon);
        report.push(`Bochs differs on ${b.differ} (wrong by the silicon: ${b.refWrong}; ${b.byOp})`);
        q.unexplained.push(...b.unexplained);
      }
      console.log(`      table ${seed}: ${report.join('; ')}`);
      assert.deepStrictEqual(q.unexplained, [], q.unexplained.slice(0, 10).join('\n'));
    });
  }
});
