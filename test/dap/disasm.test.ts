import * as assert from 'assert';
import * as fs from 'fs';
import { disassemble } from '../../common/disasm';
import { buildProgram } from './nasm-fixture';

describe('disassembly (iced-x86, NASM syntax)', () => {
  it('decodes 16-bit code as nasm assembled it, and classifies what stepping needs', () => {
    const built = buildProgram('steps');
    const image = fs.readFileSync(built.image);
    fs.rmSync(built.dir, { recursive: true, force: true });
    const code = disassemble(image.subarray(0, 0x42), 0x7c00, 16);
    const at = (off: number) => code.find((i) => i.offset === 0x7c00 + off)!;
    assert.strictEqual(at(0x0b).text, 'mov ax, 0x1234');
    assert.strictEqual(at(0x0e).kind, 'call');
    assert.strictEqual(at(0x0e).target, 0x7c39);
    assert.strictEqual(at(0x0e).nextOffset, 0x7c11);
    assert.strictEqual(at(0x17).kind, 'int');
    assert.strictEqual(at(0x17).text, 'int 0x10');
    assert.strictEqual(at(0x38).text, 'hlt');
    assert.strictEqual(at(0x3a).kind, 'ret');
  });

  it('decodes 32-bit code, REP strings, IRET and bad bytes', () => {
    const bytes = new Uint8Array([
      0xb8,
      0x78,
      0x56,
      0x34,
      0x12,
      0xf3,
      0xa5,
      0xcf,
      0x0f,
      0x04,
      ...new Array(16).fill(0x90),
    ]);
    const code = disassemble(bytes, 0x1000, 32);
    assert.strictEqual(code[0].text, 'mov eax, 0x12345678');
    assert.strictEqual(code[1].kind, 'rep-string');
    assert.strictEqual(code[2].kind, 'iret');
    assert.ok(code[3].invalid);
    assert.strictEqual(
      disassemble(new Uint8Array([0x66, 0xb8, 0x01]), 0, 16).length,
      0,
      'a truncated instruction is left out',
    );
  });
});
