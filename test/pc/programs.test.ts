// One small NASM program per BIOS service group and per device (test/pc/programs/): each reports what it
// saw as "name=HEX" lines on port 0xE9 and leaves through port 0xF4. Asserted against known values, and,
// where a PC has only one right answer, against the same program under QEMU with SeaBIOS.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { assemble } from '../../common/nasm';
import { requireNasm, ROOT, tempDir } from '../cli/harness';
import { boot, results } from './boot';
import { requireQemu, runInQemu } from './qemu';

const PROGRAMS = path.join(ROOT, 'test', 'pc', 'programs');
const FLOPPY_144 = 1474560;

interface Spec {
  name: string;
  what: string;
  /** Exact values Bootvisor must report. */
  expect: Record<string, string | RegExp>;
  /** Names whose values must equal QEMU's ('all': every reported name). */
  sameAsQemu: string[] | 'all';
  bootDrive?: number;
  keys?: string;
  qemuKeys?: string[];
  qemuDrive?: 'floppy' | 'ide';
  /** Pad the image to a whole 1.44 MB floppy (QEMU guesses odd geometries for tiny floppy images). */
  padFloppy?: boolean;
  serial?: string;
  check?: (r: Map<string, string[]>, machineScreen: string[]) => void;
  screen?: boolean;
}

const SPECS: Spec[] = [
  {
    name: 'int10-text',
    what: 'INT 10h text: mode, teletype, cursor, char+attribute, write string, scroll',
    expect: {
      mode: '03',
      cols: '50',
      page: '00',
      cursor: '0002',
      readchar: '1E58',
      cursor2: '0205',
      cursor3: '0405',
      shape: '0607',
      cell_1_5: '1E58',
      cell_3_0: '0748',
    },
    sameAsQemu: 'all',
    screen: true,
    check: (_r, screen) => {
      assert.strictEqual(screen[0].trimEnd(), '', 'row 0 scrolled away');
      assert.strictEqual(screen[1].trimEnd(), '     XXX');
      assert.strictEqual(screen[3].trimEnd(), 'Hello');
    },
  },
  {
    name: 'int10-graphics',
    what: 'INT 10h graphics: mode 13h pixels, the DAC by INT 10h and by port, CGA mode 04h',
    expect: {
      mode: '13',
      cols: '28',
      pixel: '05',
      vram: '05',
      red: '0A',
      green: '14',
      blue: '1E',
      port_rg: '0201',
      port_b: '03',
      mode4: '04',
      cga: '30',
    },
    sameAsQemu: 'all',
  },
  {
    name: 'int13-chs',
    what: 'INT 13h CHS: reset, parameters, read, write and read back, status, a bad sector',
    expect: {
      drive: '00',
      reset_cf: '00',
      params_cf: '00',
      params_cx: '4F12',
      params_dh: '01',
      read_cf: '00',
      read_al: '01',
      data: '54434553',
      write_cf: '00',
      readback_cf: '00',
      readback: '12345678',
      status: '00',
      bad_cf: '01',
    },
    sameAsQemu: 'all',
    padFloppy: true,
  },
  {
    name: 'int13-lba',
    what: 'INT 13h extensions on a hard disk: 41h, 42h, 43h, 48h',
    expect: {
      drive: '80',
      ext_cf: '00',
      ext_bx: 'AA55',
      lba_cf: '00',
      data: '5341424C',
      write_cf: '00',
      readback: 'CAFEF00D',
      p48_cf: '00',
      bytes_per_sector: '0200',
    },
    sameAsQemu: 'all',
    bootDrive: 0x80,
    qemuDrive: 'ide',
  },
  {
    name: 'int14',
    what: 'INT 14h: init, send, status',
    expect: { init_ah: /^[67]0$/, send_ah: /^[67]0$/, status_ah: /^[67]0$/, com1: '03F8' },
    sameAsQemu: ['com1'],
    serial: 'Z',
  },
  {
    name: 'int16',
    what: 'INT 16h: peek, read (a, B, Enter), shift flags, buffer',
    expect: { peek: '1E61', key1: '1E61', key2: '3042', key3: '1C0D', shift: '00', empty: '01' },
    sameAsQemu: 'all',
    keys: 'aB\n',
    qemuKeys: ['a', 'shift-b', 'ret'],
  },
  {
    name: 'int1a',
    what: 'INT 1Ah: ticks advance while halted; RTC time and date (virtual clock starts 2026-01-01 00:00)',
    expect: {
      ticks_hi: '0000',
      advanced: '01',
      time_cf: '00',
      hour_min: '0000',
      date_cf: '00',
      century_year: '2026',
      month_day: '0101',
    },
    sameAsQemu: ['advanced', 'time_cf', 'date_cf'],
  },
  {
    name: 'int15',
    what: 'INT 15h: E820, A20, 88h, E801h, 86h; INT 11h, INT 12h',
    expect: { a20_on_cf: '00', a20: '01', e801_cf: '00', wait_cf: '00', base_kb: /^0(27F|280)$/ },
    sameAsQemu: ['a20_on_cf', 'a20', 'e801_cf', 'wait_cf', 'equipment_cmp'],
    check: (r) => {
      const bases = (r.get('e820_base') ?? []).map((h) => parseInt(h, 16));
      const lens = (r.get('e820_len') ?? []).map((h) => parseInt(h, 16));
      const types = (r.get('e820_type') ?? []).map((h) => parseInt(h, 16));
      assert.ok(bases.length >= 2, 'at least two E820 entries');
      const usable = bases.map((b, i) => ({ b, l: lens[i], t: types[i] })).filter((e) => e.t === 1);
      assert.ok(
        usable.some((e) => e.b === 0 && e.l >= 0x9f000 && e.l <= 0xa0000),
        'usable low memory from 0',
      );
      assert.ok(
        usable.some((e) => e.b === 0x100000 && e.l >= 30 << 20),
        'usable memory from 1 MiB (32 MiB guest)',
      );
      const ext = parseInt(r.get('ext_kb')![0], 16);
      assert.ok(ext >= 0x7800 && ext <= 0x7c00, `INT 15h 88h: ${ext} KiB above 1 MiB`);
      const e801 = parseInt(r.get('e801_ax')![0], 16);
      assert.ok(e801 >= 0x3000 && e801 <= 0x3c00, `E801h AX: ${e801} KiB between 1 and 16 MiB`);
      assert.strictEqual(parseInt(r.get('equipment')![0], 16) & 0x30, 0x20, 'INT 11h: 80x25 colour');
      // SeaBIOS sets bit 2 when it finds the PS/2 mouse (QEMU: 4227h); ours is always there.
      assert.strictEqual(r.get('equipment_cmp')![0], '0226', 'INT 11h: x87, PS/2 mouse, 80x25 colour, one COM port');
    },
  },
  {
    name: 'int19',
    what: 'INT 19h: boots the boot sector again, RAM kept',
    expect: { boots: '02' },
    sameAsQemu: 'all',
  },
  {
    name: 'bda',
    what: 'BIOS data area: video mode, columns, rows, cursor, CRTC port, COM1, keyboard buffer, memory, ticks',
    expect: {
      mode: '03',
      cols: '0050',
      rows: '18',
      cursor: '0304',
      crtc: '03D4',
      com1: '03F8',
      kb_start: '001E',
      kb_end: '003E',
      kb_empty: '01',
      base_kb: /^0(27F|280)$/,
      ticks_move: '01',
    },
    sameAsQemu: ['mode', 'cols', 'rows', 'cursor', 'crtc', 'com1', 'kb_start', 'kb_end', 'kb_empty', 'ticks_move'],
  },
  {
    name: 'pit',
    what: '8254 PIT: channel 0 counts, drives IRQ0 at 1 kHz; channel 2 output through port 0x61',
    expect: { counting: '01', irq0_seen: '01', ch2_toggles: '03' },
    sameAsQemu: 'all',
  },
  {
    name: 'pic',
    what: '8259 PIC: masks read back, ISR through OCW3, IRQ0 delivered and acknowledged',
    expect: { imr1: 'A5', imr2: '5A', isr: '00', irq0_count: '03', isr_in_handler: '01' },
    sameAsQemu: 'all',
  },
  {
    name: 'kbc',
    what: '8042: self-test, a byte written with D2h read back from port 0x60',
    expect: { selftest: '55', d2_byte: '1E', obf_after: '00' },
    sameAsQemu: 'all',
  },
  {
    name: 'cmos',
    what: 'CMOS/RTC: status registers, date registers, periodic interrupt on IRQ8',
    expect: {
      reg_a: '26',
      reg_b: '02',
      reg_d: '80',
      year: '26',
      month: '01',
      day: '01',
      century: '20',
      irq8_seen: '01',
      reg_c: 'C0',
    },
    sameAsQemu: ['reg_a', 'reg_b', 'reg_d', 'century', 'irq8_seen', 'reg_c'],
  },
  {
    name: 'vga',
    what: 'VGA ports: CRTC cursor follows INT 10h, cursor start register, misc output, 3DAh retrace toggles',
    expect: { crtc_cursor: '0052', cursor_start: '0D', misc_colour: '01', retrace_toggles: '03' },
    sameAsQemu: 'all',
  },
  {
    name: 'uart',
    what: '16550 UART: scratch, line status, loopback, interrupt-driven output on IRQ4',
    expect: { scratch: '5A', lsr_empty: '60', lsr_data: '01', loopback: '42', irq_sent: '04' },
    sameAsQemu: 'all',
    serial: 'IRQ!',
  },
  {
    name: 'a20',
    what: 'port 0x92 fast A20: addresses wrap at 1 MiB with the gate off',
    expect: { gate_off: '00', wrapped: 'ABCD', gate_on: '02', low: '1234', high: 'ABCD' },
    sameAsQemu: 'all',
  },
  {
    name: 'debugcon-exit',
    what: 'port 0xE9 debug console and the 0xF4 exit port',
    expect: { e9_reads: 'E9' },
    sameAsQemu: 'all',
  },
];

function grouped(pairs: [string, string][]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [k, v] of pairs) m.set(k, [...(m.get(k) ?? []), v]);
  return m;
}

describe('PC: BIOS services and devices, one program each (test/pc/programs)', function () {
  this.timeout(60000);
  const tmp = tempDir('bootvisor-pc-');
  const images = new Map<string, string>();
  after(() => tmp.remove());

  before(() => {
    requireNasm();
    for (const spec of SPECS) {
      const a = assemble(path.join(PROGRAMS, `${spec.name}.asm`));
      let image = Buffer.from(a.image);
      a.remove();
      if (spec.padFloppy) image = Buffer.concat([image, Buffer.alloc(FLOPPY_144 - image.length)]);
      const file = tmp.file(`${spec.name}.img`);
      fs.writeFileSync(file, image);
      images.set(spec.name, file);
    }
  });

  for (const [size, drive, what] of [
    [512, '80', 'a bare sector boots as the first hard disk, as QEMU boots it'],
    [FLOPPY_144, '00', 'a 1.44 MB image boots as a floppy'],
    [2949120, '00', 'a 2.88 MB image boots as a floppy'],
    [10 << 20, '80', 'a 10 MiB image boots as a hard disk'],
  ] as const) {
    it(`boot drive from what the image is: ${what} (DL=${drive}h)`, async () => {
      const a = assemble(path.join(PROGRAMS, 'int13-lba.asm'));
      a.remove();
      const image = Buffer.alloc(Math.max(size, a.image.length));
      image.set(a.image.subarray(0, Math.min(a.image.length, image.length)));
      const r = await boot(image.subarray(0, size));
      assert.strictEqual(r.stop.reason, 'guest-exit');
      assert.strictEqual(grouped(results(r.debugcon)).get('drive')?.[0], drive);
    });
  }

  for (const spec of SPECS) {
    it(`${spec.name}: ${spec.what}`, async () => {
      const image = fs.readFileSync(images.get(spec.name)!);
      const r = await boot(image, { bootDrive: spec.bootDrive, keys: spec.keys, keep: spec.screen });
      let screen: string[] = [];
      if (spec.screen) {
        screen = r.machine.screenText().lines;
        r.machine.dispose();
      }
      const out = r.debugcon.toString('latin1');
      assert.strictEqual(
        r.stop.reason,
        'guest-exit',
        `the program should leave through port 0xF4; it stopped with ${r.stop.reason} ${r.stop.message ?? ''}\n${out}`,
      );
      const pairs = results(r.debugcon);
      const got = grouped(pairs);
      for (const [k, want] of Object.entries(spec.expect)) {
        const v = got.get(k)?.[0];
        assert.ok(v !== undefined, `${k} was not reported:\n${out}`);
        if (want instanceof RegExp) assert.match(v, want, `${k}`);
        else assert.strictEqual(v, want, `${k}\n${out}`);
      }
      if (spec.serial !== undefined) assert.strictEqual(r.serial.toString('latin1'), spec.serial);
      spec.check?.(got, screen);

      if (spec.sameAsQemu === 'all' || spec.sameAsQemu.length > 0) {
        requireQemu();
        const q = await runInQemu(images.get(spec.name)!, {
          keys: spec.qemuKeys,
          drive: spec.qemuDrive,
          minMs: spec.qemuKeys ? 1500 : 8000,
          quietMs: 500,
          maxMs: 20000,
        });
        const qGot = grouped(results(q.debugcon));
        const names = spec.sameAsQemu === 'all' ? [...got.keys()] : spec.sameAsQemu;
        for (const k of names) {
          assert.deepStrictEqual(
            got.get(k),
            qGot.get(k),
            `${k}: Bootvisor and QEMU disagree\nBootvisor:\n${out}\nQEMU:\n${q.debugcon.toString('latin1')}`,
          );
        }
        if (spec.serial !== undefined) assert.strictEqual(q.serial.toString('latin1'), spec.serial, 'QEMU serial');
      }
    });
  }
});
