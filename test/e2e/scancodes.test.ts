// The extension's pure parts, checked without VS Code: the key table the guest screen uses (against the
// scan codes of IBM's set 1, as the PC/AT technical reference and every BIOS list them), and the address
// parser of "Open listing".
import * as assert from 'node:assert/strict';
import { knownCodes, scanCodesFor } from '../../client/scancodes';
import { parseAddress } from '../../client/address';

describe('client: scan codes (set 1)', () => {
  it('gives letters, digits and Enter their make codes, and break = make | 0x80', () => {
    assert.deepEqual(scanCodesFor('KeyA', true), [0x1e]);
    assert.deepEqual(scanCodesFor('KeyA', false), [0x9e]);
    assert.deepEqual(scanCodesFor('KeyQ', true), [0x10]);
    assert.deepEqual(scanCodesFor('KeyM', true), [0x32]);
    assert.deepEqual(scanCodesFor('Digit1', true), [0x02]);
    assert.deepEqual(scanCodesFor('Digit0', true), [0x0b]);
    assert.deepEqual(scanCodesFor('Enter', true), [0x1c]);
    assert.deepEqual(scanCodesFor('Space', false), [0xb9]);
    assert.deepEqual(scanCodesFor('F10', true), [0x44]);
    assert.deepEqual(scanCodesFor('F11', true), [0x57]);
  });

  it('gives modifiers their own codes, the right-hand ones with 0xE0', () => {
    assert.deepEqual(scanCodesFor('ShiftLeft', true), [0x2a]);
    assert.deepEqual(scanCodesFor('ShiftRight', true), [0x36]);
    assert.deepEqual(scanCodesFor('ControlLeft', true), [0x1d]);
    assert.deepEqual(scanCodesFor('ControlRight', false), [0xe0, 0x9d]);
    assert.deepEqual(scanCodesFor('AltLeft', true), [0x38]);
    assert.deepEqual(scanCodesFor('AltRight', true), [0xe0, 0x38]);
  });

  it('prefixes the grey keys with 0xE0, unlike their keypad twins', () => {
    assert.deepEqual(scanCodesFor('ArrowUp', true), [0xe0, 0x48]);
    assert.deepEqual(scanCodesFor('ArrowUp', false), [0xe0, 0xc8]);
    assert.deepEqual(scanCodesFor('Numpad8', true), [0x48]);
    assert.deepEqual(scanCodesFor('Delete', true), [0xe0, 0x53]);
    assert.deepEqual(scanCodesFor('NumpadEnter', true), [0xe0, 0x1c]);
    assert.deepEqual(scanCodesFor('NumpadDivide', true), [0xe0, 0x35]);
  });

  it('sends Print Screen and Pause as their odd multi-byte sequences', () => {
    assert.deepEqual(scanCodesFor('PrintScreen', true), [0xe0, 0x2a, 0xe0, 0x37]);
    assert.deepEqual(scanCodesFor('PrintScreen', false), [0xe0, 0xb7, 0xe0, 0xaa]);
    assert.deepEqual(scanCodesFor('Pause', true), [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
    assert.deepEqual(scanCodesFor('Pause', false), []);
  });

  it('refuses keys a PC keyboard does not have', () => {
    assert.equal(scanCodesFor('F13', true), undefined);
    assert.equal(scanCodesFor('MediaPlayPause', true), undefined);
    assert.equal(scanCodesFor('', true), undefined);
  });

  it('never gives two keys the same code', () => {
    const seen = new Map<string, string>();
    for (const code of knownCodes()) {
      const key = scanCodesFor(code, true)!.join(',');
      assert.equal(seen.get(key), undefined, `${code} and ${seen.get(key)} share ${key}`);
      seen.set(key, code);
    }
  });
});

describe('client: addresses for "Open listing"', () => {
  it('reads hex in the usual spellings', () => {
    assert.equal(parseAddress('7c1a'), 0x7c1a);
    assert.equal(parseAddress('0x7C1A'), 0x7c1a);
    assert.equal(parseAddress('7c1ah'), 0x7c1a);
    assert.equal(parseAddress('$7c1a'), 0x7c1a);
    assert.equal(parseAddress(' 7C00 '), 0x7c00);
  });

  it('turns segment:offset into segment * 16 + offset', () => {
    assert.equal(parseAddress('0000:7C1A'), 0x7c1a);
    assert.equal(parseAddress('07C0:001A'), 0x7c1a);
    assert.equal(parseAddress('ffff:0010'), 0x100000);
  });

  it('refuses what is not an address', () => {
    assert.equal(parseAddress(''), undefined);
    assert.equal(parseAddress('start'), undefined);
    assert.equal(parseAddress('0x'), undefined);
    assert.equal(parseAddress('12345:0'), undefined);
    assert.equal(parseAddress('0x123456789'), undefined);
  });
});
