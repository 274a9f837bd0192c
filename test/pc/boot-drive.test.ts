// The boot drive (DL) chosen from what the image is, as `qemu-system-i386 IMAGE` users expect: a partition
// table or a hard-disk BPB make a hard disk, a floppy BPB or a floppy size a floppy, anything else the first
// hard disk (QEMU attaches any image as the first IDE disk). A BIOS disk call that fails is a run event that
// says why and what to try.
import * as assert from 'assert';
import * as path from 'path';

import type { RunEvent, StopEvent } from '../../common/api';
import { createMachine } from '../../common/machine';
import { assemble } from '../../common/nasm';
import { requireNasm, ROOT } from '../cli/harness';

const PROGRAM = path.join(ROOT, 'test', 'pc', 'programs', 'boot-drive.asm');
const KiB = 1024;

interface Booted {
  stop: StopEvent;
  drive: number;
  reason: string;
  lines: string[];
  events: RunEvent[];
}

async function bootImage(image: Uint8Array, bootDrive?: number): Promise<Booted> {
  const m = createMachine({ image, backend: 'software', bootDrive, memoryMiB: 4 });
  const out: Buffer[] = [];
  const events: RunEvent[] = [];
  m.on('debugcon', (b) => out.push(Buffer.from(b)));
  m.on('event', (e) => events.push(e));
  try {
    const stop = await m.run({ maxInstructions: 1_000_000 });
    const lines = Buffer.concat(out).toString('latin1').split('\n').filter(Boolean);
    return { stop, drive: m.bootDrive, reason: m.bootDriveReason, lines, events };
  } finally {
    m.dispose();
  }
}

/** A FAT BPB in sector 0 (DOS 3.31 layout): total sectors, media descriptor, hidden sectors. */
function withBpb(sector: Buffer, total: number, media: number, hidden = 0): Buffer {
  const s = Buffer.from(sector);
  s.writeUInt16LE(512, 11);
  s[13] = 1; // sectors per cluster
  s.writeUInt16LE(1, 14); // reserved
  s[16] = 2; // FATs
  s.writeUInt16LE(224, 17);
  if (total < 0x10000) s.writeUInt16LE(total, 19);
  else s.writeUInt32LE(total, 32);
  s[21] = media;
  s.writeUInt32LE(hidden, 28);
  return s;
}

/** One partition entry (FAT16, active) in the MBR's table. */
function withPartition(sector: Buffer, start: number, count: number): Buffer {
  const s = Buffer.from(sector);
  const e = 446;
  s[e] = 0x80;
  s.set([0x01, 0x01, 0x00], e + 1); // CHS start: head 1, sector 1
  s[e + 4] = 0x06;
  s.set([0x0f, 0x3f, 0x13], e + 5); // CHS end: head 15, sector 63
  s.writeUInt32LE(start, e + 8);
  s.writeUInt32LE(count, e + 12);
  return s;
}

function padded(sector: Buffer, size: number): Buffer {
  const b = Buffer.alloc(size);
  sector.copy(b);
  return b;
}

describe('PC: the boot drive from what the image is, and failed disk calls as events', function () {
  this.timeout(30000);
  let sector: Buffer;
  let intLinear: number;

  before(() => {
    requireNasm();
    const a = assemble(PROGRAM);
    sector = Buffer.from(a.image);
    a.remove();
    // The `int 0x13` (CD 13) the failed call comes from.
    intLinear = 0x7c00 + sector.indexOf(Buffer.from([0xcd, 0x13]));
  });

  const cases: { what: string; make: () => Buffer; drive: number; reason: RegExp }[] = [
    {
      what: 'a bare 512-byte boot sector: the first hard disk, as QEMU',
      make: () => sector,
      drive: 0x80,
      reason: /no partition table, BPB or floppy size.*qemu-system-i386/,
    },
    {
      what: 'a 1.44 MB image',
      make: () => padded(sector, 1440 * KiB),
      drive: 0x00,
      reason: /size of a 1\.44 MB floppy/,
    },
    { what: 'a 720 KB image', make: () => padded(sector, 720 * KiB), drive: 0x00, reason: /size of a 720 KB floppy/ },
    {
      what: 'a 2.88 MB image',
      make: () => padded(sector, 2880 * KiB),
      drive: 0x00,
      reason: /size of a 2\.88 MB floppy/,
    },
    {
      what: 'a 10 MiB image without partition table',
      make: () => padded(sector, 10 << 20),
      drive: 0x80,
      reason: /no partition table/,
    },
    {
      what: 'a lone sector with a 1.44 MB floppy BPB',
      make: () => withBpb(sector, 2880, 0xf0),
      drive: 0x00,
      reason: /BPB describes a 1\.44 MB floppy \(media descriptor F0h\)/,
    },
    {
      what: 'a 1.44 MB image with a hard-disk BPB (media F8h)',
      make: () => padded(withBpb(sector, 2880, 0xf8, 63), 1440 * KiB),
      drive: 0x80,
      reason: /BPB describes a hard disk/,
    },
    {
      what: 'a 1.44 MB image with a partition table',
      make: () => padded(withPartition(sector, 63, 2000), 1440 * KiB),
      drive: 0x80,
      reason: /partition table/,
    },
  ];
  for (const c of cases) {
    it(`${c.what} boots with DL=${c.drive.toString(16).padStart(2, '0')}h`, async () => {
      const r = await bootImage(c.make());
      assert.strictEqual(r.stop.reason, 'guest-exit', `${r.stop.reason} ${r.stop.message ?? ''}`);
      assert.strictEqual(r.drive, c.drive);
      assert.strictEqual(r.lines[0], c.drive.toString(16).toUpperCase().padStart(2, '0'), 'DL as the guest saw it');
      assert.match(r.reason, c.reason);
    });
  }

  it('--boot-drive wins over the guess', async () => {
    const r = await bootImage(sector, 0x00);
    assert.deepStrictEqual([r.drive, r.lines[0], r.reason], [0x00, '00', 'asked for']);
  });

  it('a read from drive 80h on a floppy boot fails and becomes one event at the `int 0x13`, saying what to try', async () => {
    const r = await bootImage(padded(sector, 1440 * KiB));
    assert.strictEqual(r.lines[1], '01', 'CF set: no such drive');
    const disk = r.events.filter((e) => e.kind === 'disk-error');
    assert.strictEqual(disk.length, 1, JSON.stringify(r.events));
    assert.strictEqual(
      disk[0].message,
      'INT 13h AH=02h from drive 80h failed: no such drive; this image booted as a floppy (drive 00h, because it is ' +
        'the size of a 1.44 MB floppy), try --boot-drive hdd',
    );
    assert.deepStrictEqual([disk[0].cs, disk[0].eip, disk[0].linear], [0, intLinear, intLinear]);
  });

  it('the same read on a hard-disk boot succeeds, with no event', async () => {
    const r = await bootImage(sector);
    assert.strictEqual(r.lines[1], '00');
    assert.deepStrictEqual(
      r.events.filter((e) => e.kind === 'disk-error'),
      [],
    );
  });

  it('a read past the end of the disk says where the disk ends', async () => {
    // The 720 KB floppy has 80 cylinders: cylinder 80 (CH=50h) does not exist.
    const s = Buffer.from(sector);
    const at = s.indexOf(Buffer.from([0xb9, 0x01, 0x00])); // mov cx, 0x0001
    s[at + 2] = 0x50; // CX = 5001h: cylinder 80, sector 1
    const dl = s.indexOf(Buffer.from([0xb2, 0x80])); // mov dl, 0x80
    s[dl + 1] = 0x00;
    const r = await bootImage(padded(s, 720 * KiB));
    assert.strictEqual(r.lines[1], '01');
    const disk = r.events.filter((e) => e.kind === 'disk-error');
    assert.strictEqual(disk.length, 1);
    assert.match(
      disk[0].message,
      /^INT 13h AH=02h from drive 00h failed: sector not found: C\/H\/S 80\/0\/1 is outside the disk's 80 cylinders, 2 heads, 9 sectors per track$/,
    );
  });
});
