// The x87's real-mode environment layouts and unmasked-exception responses, differentially:
// test/cpu/programs/x87-env16.asm (FNSTENV with 16- and 32-bit operand size, FNSAVE, FRSTOR of an edited image,
// FLDENV of a crafted one; each exception unmasked in turn under CR0.NE = 1, with the #MF it raises) runs on
// Bootvisor's software vCPU, on Bochs and on QEMU 7.2 TCG. Bootvisor must print what Bochs prints on every
// line; where the host's x87 can run the same thing (the unmasked responses, read with non-waiting
// instructions; the 32-bit environment's reserved halves: native/tools/fpu_oracle --unmasked) Bootvisor must
// print what the silicon does. QEMU's differences are counted and each must be a line where Bochs sides with
// Bootvisor (README's x87 section lists them).
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';

import {
  assemble,
  bochsMissing,
  programsDir,
  runBochs,
  runBootvisor,
  runQemu,
  toolMissing,
  QEMU,
} from './qemu-diff-harness';
import { ROOT } from '../cli/harness';

const ORACLE = path.join(ROOT, 'build', 'Release', 'fpu_oracle');
const PROGRAM = path.join(programsDir, 'x87-env16.asm');

/** The unmasked-exception part of the program's lines, without the handler's pointer lines (host-specific). */
function unmaskedPart(lines: string[]): string[] {
  const start = lines.indexOf('ZE: 1/0');
  return start < 0 ? [] : lines.slice(start).filter((l) => !/^mf/.test(l));
}

describe('x87 environments and unmasked exceptions in real mode: Bootvisor, Bochs, QEMU and the host', function () {
  this.timeout(180000);
  let ours: string[] = [];

  before(function () {
    const missing = toolMissing('nasm', ['-v']) ?? toolMissing(QEMU);
    if (missing) throw new Error(missing);
    const run = runBootvisor(assemble(PROGRAM));
    assert.strictEqual(run.end, 'exit', `Bootvisor: ${run.detail}`);
    ours = run.lines;
  });

  it('prints the layouts and responses (a sanity check of what the program shows)', () => {
    // FNSTENV o16 in real mode: FIP 0x07EB3 (linear, bits 16-19 above the opcode 0x406 of FADD m64), FDP 0x10010.
    assert.deepStrictEqual(ours.slice(0, 8), [
      'fnstenv o16',
      'w=00000A7F',
      'w=00003020',
      'w=00000FFF',
      'w=00007EB3',
      'w=00000406',
      'w=00000010',
      'w=00001000',
    ]);
    const fldenv = ours.indexOf('fldenv');
    assert.deepStrictEqual(ours.slice(fldenv + 4, fldenv + 8), [
      'w=00002345',
      'w=000015A5',
      'w=0000BCDE',
      'w=0000A000',
    ]);
    const ze = unmaskedPart(ours);
    assert.deepStrictEqual(ze.slice(0, 5), [
      'ZE: 1/0',
      'sw=0000B084',
      'st0.se=00000000',
      'st0.hi=00000000',
      'st0.lo=00000000',
    ]);
    assert.strictEqual(ours.filter((l) => l === 'mf=00000001').length, 7, 'one #MF per unmasked exception');
  });

  it('prints what Bochs prints, line for line', async function () {
    const missing = bochsMissing();
    if (missing) throw new Error(missing);
    const bochs = await runBochs(assemble(PROGRAM), 90000);
    assert.strictEqual(bochs.end, 'exit', `Bochs: ${bochs.detail}`);
    assert.deepStrictEqual(ours, bochs.lines);
  });

  it('leaves what the host x87 leaves after each unmasked exception, and the same reserved halves', function () {
    if (os.arch() !== 'x64' && os.arch() !== 'ia32') this.skip();
    const r = spawnSync(ORACLE, ['--unmasked'], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const host = r.stdout.trimEnd().split('\n');
    const reserved = /^env32 reserved=(\w+) (\w+) (\w+) (\w+)$/.exec(host.shift() ?? '');
    assert.ok(reserved, r.stdout);
    const o32 = ours.indexOf('fnstenv o32');
    // Control, status and tag dwords of the 32-bit real-mode environment: their upper halves as the silicon's.
    for (let k = 0; k < 3; k++) assert.strictEqual(ours[o32 + 1 + k].slice(2, 6), reserved[k + 1], ours[o32 + 1 + k]);
    assert.deepStrictEqual(unmaskedPart(ours), host);
  });

  it('QEMU differs only where Bochs agrees with Bootvisor', async function () {
    const qemu = await runQemu(assemble(PROGRAM));
    assert.strictEqual(qemu.end, 'exit', `QEMU: ${qemu.detail}`);
    const bochs = bochsMissing() ? undefined : (await runBochs(assemble(PROGRAM), 90000)).lines;
    let differ = 0;
    const sections = new Set<string>();
    const unexplained: string[] = [];
    // Line up by section titles (QEMU prints fewer lines in the DE case).
    const bySection = (lines: string[]): Map<string, string[]> => {
      const m = new Map<string, string[]>();
      let cur = '';
      for (const l of lines) {
        if (!/=/.test(l)) cur = l;
        m.set(cur, [...(m.get(cur) ?? []), l]);
      }
      return m;
    };
    const q = bySection(qemu.lines);
    const b = bochs ? bySection(bochs) : undefined;
    for (const [title, mine] of bySection(ours)) {
      const theirs = q.get(title) ?? [];
      if (mine.join('\n') === theirs.join('\n')) continue;
      differ++;
      sections.add(title);
      if (b && b.get(title)?.join('\n') !== mine.join('\n')) unexplained.push(`${title}: Bochs differs too`);
    }
    console.log(`      QEMU differs in ${differ} of ${bySection(ours).size} sections: ${[...sections].join('; ')}`);
    assert.deepStrictEqual(unexplained, []);
  });
});
