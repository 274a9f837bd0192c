// The shortcut step over takes before decoding (debug-adapter/plain-instruction.ts) against iced-x86 itself:
// every pair of first bytes, with prefixes before them and random bytes after, in 16- and 32-bit code. An
// instruction the shortcut calls plain must not be one that step over runs whole.
import * as assert from 'assert';
import { decodeKind } from '../../common/disasm';
import { plainForStepOver } from '../../debug-adapter/plain-instruction';

const WHOLE = new Set(['call', 'int', 'rep-string']);

describe('step over: instructions told plain by their first bytes', () => {
  it('never calls plain a CALL, INT or REP string instruction that iced-x86 decodes', () => {
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const prefixes = [[], [0x66], [0x67], [0x2e], [0x66, 0x67], [0xf0], [0x26, 0x66], [0xf3], [0xf2, 0x66]];
    let plain = 0;
    let checked = 0;
    for (const bits of [16, 32] as const)
      for (const prefix of prefixes)
        for (let first = 0; first < 256; first++)
          for (let second = 0; second < 256; second += prefix.length ? 5 : 1) {
            const bytes = new Uint8Array(15);
            bytes.set(prefix);
            bytes[prefix.length] = first;
            bytes[prefix.length + 1] = second;
            for (let k = prefix.length + 2; k < 15; k++) bytes[k] = random();
            checked++;
            if (!plainForStepOver(bytes)) continue;
            plain++;
            const ins = decodeKind(bytes, bits);
            assert.ok(
              !ins || ins.invalid || !WHOLE.has(ins.kind),
              `${bits}-bit ${Buffer.from(bytes).toString('hex')}: called plain, decoded as ${ins?.kind}`,
            );
          }
    // Most first bytes are plain, so the shortcut is taken (and checked) for most of them.
    assert.ok(plain > checked / 2, `${plain} of ${checked} plain`);
  });

  it('leaves to the decoder what it cannot tell from the bytes given', () => {
    assert.strictEqual(plainForStepOver(new Uint8Array([])), false);
    assert.strictEqual(plainForStepOver(new Uint8Array([0x66, 0x2e])), false);
    assert.strictEqual(plainForStepOver(new Uint8Array([0xf3, 0xa4])), false); // rep movsb
    assert.strictEqual(plainForStepOver(new Uint8Array([0xe8, 0, 0])), false); // call
    assert.strictEqual(plainForStepOver(new Uint8Array([0xcd, 0x10])), false); // int 0x10
    assert.strictEqual(plainForStepOver(new Uint8Array([0x40])), true); // inc ax
    assert.strictEqual(plainForStepOver(new Uint8Array([0xa4])), true); // movsb without rep: one step
  });
});
