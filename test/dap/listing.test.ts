import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { decodeOne } from '../../common/disasm';
import { ListingMap } from '../../common/listing';
import { buildProgram, PROGRAMS, readMapSymbols } from './nasm-fixture';

describe('listing map (nasm -l)', () => {
  const built = buildProgram('steps');
  const map = ListingMap.fromFile(built.listing, { mainFile: built.source });
  const image = fs.readFileSync(built.image);
  const main = built.source;
  const serial = path.join(PROGRAMS, 'serial.inc');
  const lineOf = (file: string, text: string) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(text)) + 1;

  after(() => fs.rmSync(built.dir, { recursive: true, force: true }));

  it('gives every label the value nasm gives it (its own map file is the oracle)', () => {
    const oracle = readMapSymbols(built.map);
    assert.ok(oracle.size >= 6, 'nasm map should list the labels');
    for (const [name, value] of oracle) assert.strictEqual(map.label(name)?.value, value, name);
    assert.strictEqual(map.labels.length, oracle.size);
  });

  it('maps each code line to bytes that decode to an instruction of the listed length', () => {
    let checked = 0;
    for (const e of map.entries) {
      if (!/^\s*[a-z]/.test(e.text) || /\b(db|dw|dd|times)\b/.test(e.text)) continue;
      const off = e.address - 0x7c00;
      const ins = decodeOne(image.subarray(off, off + 15), e.address, 16);
      assert.ok(ins && !ins.invalid, `${e.text} decodes`);
      assert.strictEqual(ins!.length, e.length, `${path.basename(e.file)}:${e.line} ${e.text}`);
      checked++;
    }
    assert.ok(checked > 20);
  });

  it('puts code of %include-d files on their own lines', () => {
    const line = lineOf(serial, 'out dx, al');
    const addr = map.addressOfLine(serial, line);
    assert.strictEqual(addr, map.label('serial_putc')!.address + 4);
    assert.deepStrictEqual(map.locate(addr), { file: serial, line });
    assert.strictEqual(image[addr - 0x7c00], 0xee);
  });

  it('attributes macro expansions to the line that invoked the macro', () => {
    const line = lineOf(main, "SERIAL_OUT 'Y'");
    const addr = map.addressOfLine(main, line);
    assert.strictEqual(image[addr - 0x7c00], 0xb0); // mov al, 'Y'
    assert.strictEqual(image[addr - 0x7c00 + 1], 'Y'.charCodeAt(0));
    assert.deepStrictEqual(map.locate(addr + 2), { file: main, line }); // the call inside the expansion too
  });

  it('says a line without code has none, and finds the next one that has', () => {
    const blank = lineOf(main, 'sti') + 1;
    assert.strictEqual(map.addressOfLine(main, blank), -1);
    const next = map.nextLineWithCode(main, blank)!;
    assert.strictEqual(next.line, lineOf(main, 'mov ax, 0x1234'));
    assert.strictEqual(next.address, 0x7c00 + 0x0b);
    assert.strictEqual(map.addressOfLine('/no/such/file.asm', 3), -1);
    assert.strictEqual(map.nextLineWithCode('/no/such/file.asm', 3), undefined);
  });

  it('names addresses by the nearest label', () => {
    const putc = map.label('serial_putc')!.address;
    assert.strictEqual(map.symbolize(putc), 'serial_putc');
    assert.strictEqual(map.symbolize(putc + 4), 'serial_putc+0x4');
    assert.strictEqual(map.symbolize(0x7000), undefined);
  });

  it('gives a %rep line one address per iteration, and keeps struc fields out of the code', () => {
    const rep = buildProgram('rep');
    try {
      const m = ListingMap.fromFile(rep.listing, { mainFile: rep.source });
      const img = fs.readFileSync(rep.image);
      const inc = lineOf(rep.source, 'inc ax');
      const addrs = m.addressesOfLine(rep.source, inc);
      assert.strictEqual(addrs.length, 3);
      for (const a of addrs) assert.strictEqual(img[a - 0x7c00], 0x40, 'inc ax');
      assert.deepStrictEqual(m.locate(addrs[2]), { file: rep.source, line: inc });
      assert.strictEqual(m.constants.get('point.y'), 2);
      assert.strictEqual(m.constants.get('point_size'), 4);
      assert.strictEqual(m.entryAt(0x7c00)!.text, 'cli', 'struc fields are not code at 0x7C00');
      for (const [name, value] of readMapSymbols(rep.map))
        if (!name.startsWith('point') && !name.startsWith('..@')) assert.strictEqual(m.label(name)?.value, value, name);
      assert.deepStrictEqual(
        map.addressesOfLine(main, lineOf(main, "SERIAL_OUT 'Y'")),
        [map.addressOfLine(main, lineOf(main, "SERIAL_OUT 'Y'"))],
        'a macro invocation is one instance',
      );
    } finally {
      fs.rmSync(rep.dir, { recursive: true, force: true });
    }
  });

  it('counts <rep> and continuation lines, and sections follow each other', () => {
    const text = [
      '     1                                  org 0x1000',
      '     2 00000000 68656C6C6F20776F72-     msg: db "hello world, this is long"',
      '     2 00000009 6C642C207468697320-',
      '     2 00000012 69736C6F6E67       ',
      '     3 00000018 00<rep 10h>             times 16 db 0',
      '     4                                  section .data',
      '     5 00000000 01                      y: db 1',
    ].join('\n');
    const m = ListingMap.parse(text, { mainFile: '/x/a.asm', loadAddress: 0x1000 });
    assert.strictEqual(m.label('msg')!.value, 0x1000);
    assert.strictEqual(m.entryAt(0x1000 + 0x18 + 15)!.line, 3);
    assert.strictEqual(m.entryAt(0x1000 + 0x18 + 16)!.line, 5); // .data starts right after, 4-aligned
    assert.strictEqual(m.label('y')!.value, 0x1000 + 0x28); // .data after .text, 4-aligned
  });
});
