// The software vCPU against QEMU TCG (and Bochs where QEMU is known to skip a check): every program in
// test/cpu/programs (pm-*, paging-*, exc-*) is assembled by nasm, run on both, and the printed results must
// be the same line for line; a program marked "expect: shutdown" must end in a triple fault on both, and
// Bootvisor must explain the fault chain in words.
import * as assert from 'assert';

import {
  assemble,
  bochsMissing,
  diffLines,
  listPrograms,
  loadAddon,
  QEMU,
  runBochs,
  runBootvisor,
  runQemu,
  toolMissing,
} from './qemu-diff-harness';

describe('software vCPU vs QEMU/Bochs (test/cpu/programs)', function () {
  this.timeout(90000);
  const programs = listPrograms();

  before(function () {
    const missing = toolMissing('nasm', ['-v']) ?? toolMissing(QEMU);
    if (missing) throw new Error(missing);
    const addon = loadAddon();
    if (typeof addon === 'string') throw new Error(addon);
  });

  it('has programs for both references', () => {
    assert.ok(
      programs.some((p) => p.reference === 'qemu'),
      'no QEMU-referenced program found',
    );
    assert.ok(
      programs.some((p) => p.reference === 'bochs'),
      'no Bochs-referenced program found',
    );
  });

  for (const p of programs) {
    it(`${p.name} prints the same as ${p.reference === 'qemu' ? 'QEMU' : 'Bochs'}`, async function () {
      if (p.reference === 'bochs') {
        const missing = bochsMissing();
        if (missing) throw new Error(missing);
      }
      const img = assemble(p.file);
      const ref = p.reference === 'qemu' ? await runQemu(img) : await runBochs(img);
      const ours = runBootvisor(img);
      const want = p.expectShutdown ? 'shutdown' : 'exit';
      assert.strictEqual(ref.end, want, `${p.reference} did not end by ${want}: ${ref.detail}`);
      assert.ok(ref.lines.length > 0, `${p.reference} printed nothing after @@BEGIN`);
      const d = diffLines(ref.lines, ours.lines, p.reference);
      assert.ok(d === undefined, `${p.name}: ${d}`);
      assert.strictEqual(ours.end, want, `Bootvisor did not end by ${want}: ${ours.detail}`);
      if (p.expectShutdown) {
        assert.ok(ours.chain.length >= 3, `a triple fault has at least three links, got ${JSON.stringify(ours.chain)}`);
        for (const link of ours.chain)
          assert.ok(link.reason.length > 0, `a link without a reason: ${JSON.stringify(link)}`);
        for (const words of p.chainReasons)
          assert.ok(
            ours.chain.some((l) => l.reason.includes(words)),
            `no link of the fault chain says "${words}":\n${ours.chain.map((l) => `  ${l.name}: ${l.reason}`).join('\n')}`,
          );
      }
    });
  }
});
