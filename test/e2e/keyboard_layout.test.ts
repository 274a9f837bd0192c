// The "characters" keyboard layout: a printable character becomes the US key that types it, with Shift
// pressed or let go around it as that key needs, whatever the user holds.
import * as assert from 'assert';
import { typeCharacter } from '../../client/keyboard_layout';

describe('keyboard layout "characters"', () => {
  it('types letters, digits and symbols as the US keys, Shift around them as needed', () => {
    assert.deepStrictEqual(typeCharacter('z', false), [0x2c, 0xac], 'z is KeyZ on a US keyboard (Y on a QWERTZ one)');
    assert.deepStrictEqual(typeCharacter('Z', true), [0x2c, 0xac], 'Shift already held');
    assert.deepStrictEqual(
      typeCharacter('Z', false),
      [0x2a, 0x2c, 0xac, 0xaa],
      'Caps Lock on the host: Shift around it',
    );
    assert.deepStrictEqual(
      typeCharacter('@', false),
      [0x2a, 0x03, 0x83, 0xaa],
      '@ is Shift+2 (AltGr+Q on a German keyboard)',
    );
    assert.deepStrictEqual(
      typeCharacter('/', true),
      [0xaa, 0x35, 0xb5, 0x2a],
      '/ is unshifted on US (Shift+7 on German): Shift let go and pressed again',
    );
    assert.deepStrictEqual(typeCharacter(' ', false), [0x39, 0xb9]);
    assert.strictEqual(typeCharacter('é', false), undefined, 'no US key types it');
  });
});
