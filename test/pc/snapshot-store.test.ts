// The snapshot store (native/src/vmm/snapshot_store.cpp) keeps nothing for a dropped snapshot, so a machine
// that has taken and dropped thousands of snapshots (the whole-PC fuzzer, a long debugging session with step
// back) restores as cheaply as a new one. Bounded by counts (page versions held, pages a restore looks at),
// never by host time; and every drop order still restores the right memory.
import * as assert from 'assert';

import { sectorBench } from './sector';

const bench = sectorBench('bootvisor-snapshots-');
const PAGE = 4096;

describe('snapshot store: dropped snapshots keep nothing', function () {
  this.timeout(60000);
  after(() => bench.dispose());

  const make = () => bench.make(bench.sector('cli\nhlt'));
  const byte = (m: ReturnType<typeof make>, page: number): number => m.readMemory(page * PAGE, 1, 'physical')[0];
  const poke = (m: ReturnType<typeof make>, page: number, v: number): void =>
    m.writeMemory(page * PAGE, new Uint8Array([v]), 'physical');

  it('restore, write, snapshot, drop, 500 times: no page version is left behind and a restore looks at the same few pages', () => {
    const m = make();
    const base = m.snapshot();
    const start = m.snapshotCounts();
    const bytes = m.snapshotBytes();
    assert.strictEqual(start.snapshots, 1);
    const restorePages: number[] = [];
    for (let i = 0; i < 500; i++) {
      m.restore(base);
      restorePages.push(m.snapshotCounts().lastRestorePages);
      // As the fuzzer does it: pages written, two snapshots in between, both dropped (newest last).
      poke(m, 0x100 + (i % 7), i & 0xff);
      const a = m.snapshot();
      poke(m, 0x200 + (i % 5), 1 + (i & 0x7f));
      const b = m.snapshot();
      poke(m, 0x300, 3);
      m.dropSnapshot(i % 2 ? a : b);
      m.dropSnapshot(i % 2 ? b : a);
    }
    const end = m.snapshotCounts();
    assert.strictEqual(end.snapshots, 1, 'only the base snapshot is live');
    assert.strictEqual(end.pageVersions, start.pageVersions, 'the dropped snapshots left no page version behind');
    assert.strictEqual(m.snapshotBytes(), bytes, 'nor any byte');
    // Each restore looks at the pages written since (at most 3 pages, plus the machine's own BIOS data
    // area and stack), never at the 1,000 snapshots taken before.
    const most = Math.max(...restorePages.slice(1));
    assert.ok(most <= 8, `a restore looked at ${most} pages (${restorePages.slice(0, 10).join(', ')} ...)`);
    assert.strictEqual(restorePages[499], restorePages[1], 'the 500th restore costs what the 2nd did');
    m.restore(base);
    for (const p of [0x100, 0x106, 0x200, 0x204, 0x300])
      assert.strictEqual(byte(m, p), 0, `page 0x${p.toString(16)} back to zero`);
  });

  it('dropping the newest snapshot keeps later snapshots and restores right', () => {
    const m = make();
    const s1 = m.snapshot();
    poke(m, 0x400, 1);
    const s2 = m.snapshot();
    m.dropSnapshot(s2); // its version of page 0x400 goes; memory still holds it
    const s3 = m.snapshot(); // so this one must copy it from memory
    poke(m, 0x400, 2);
    m.restore(s3);
    assert.strictEqual(byte(m, 0x400), 1, 'the snapshot after a dropped one holds the page the dropped one had');
    m.restore(s1);
    assert.strictEqual(byte(m, 0x400), 0);
    poke(m, 0x401, 9);
    const s4 = m.snapshot();
    m.dropSnapshot(s4);
    m.restore(s1);
    assert.strictEqual(byte(m, 0x401), 0, 'a page only a dropped newest snapshot held is still put back');
    m.restore(s3);
    assert.strictEqual(byte(m, 0x400), 1);
    assert.strictEqual(byte(m, 0x401), 0);
  });

  it('dropping snapshots in the middle hands their pages on, and a ring of 4 holds a bounded number of pages', () => {
    const m = make();
    const s1 = m.snapshot();
    poke(m, 0x500, 1);
    poke(m, 0x501, 1);
    const s2 = m.snapshot();
    poke(m, 0x501, 2);
    const s3 = m.snapshot();
    m.dropSnapshot(s2); // 0x500 unchanged until s3: s3's now; 0x501 superseded by s3's own
    m.restore(s1);
    assert.deepStrictEqual([byte(m, 0x500), byte(m, 0x501)], [0, 0]);
    m.restore(s3);
    assert.deepStrictEqual([byte(m, 0x500), byte(m, 0x501)], [1, 2]);

    // Step back's pattern: a snapshot per step, the oldest dropped past 4.
    const ring: { id: number; v: number }[] = [];
    let most = 0;
    for (let i = 0; i < 400; i++) {
      poke(m, 0x600 + (i % 16), i & 0xff);
      ring.push({ id: m.snapshot(), v: i & 0xff });
      if (ring.length > 4) m.dropSnapshot(ring.shift()!.id);
      most = Math.max(most, m.snapshotCounts().pageVersions);
    }
    const back = ring[0];
    m.restore(back.id);
    assert.strictEqual(byte(m, 0x600 + ((400 - 4) % 16)), back.v, 'the oldest of the ring restores its step');
    m.restore(s1);
    assert.strictEqual(byte(m, 0x600 + 5), 0);
    assert.ok(most < 200, `a ring of 4 snapshots (plus 2) held up to ${most} page versions after 400 steps`);
  });
});
