// The PNG encoder, checked by decoding its output with pngjs.
import * as assert from 'assert';
import { PNG } from 'pngjs';

import { encodePng } from '../../common/png';

describe('png encoder', () => {
  it('round-trips pixels through pngjs', () => {
    const w = 37;
    const h = 11;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([i & 255, (i * 7) & 255, (i * 13) & 255, 255 - (i & 127)], i * 4);
    const png = PNG.sync.read(encodePng(w, h, rgba));
    assert.strictEqual(png.width, w);
    assert.strictEqual(png.height, h);
    assert.ok(Buffer.from(png.data).equals(Buffer.from(rgba)));
  });

  it('refuses sizes that do not match the pixels', () => {
    assert.throws(() => encodePng(2, 2, new Uint8Array(15)), /2x2 RGBA needs 16 bytes, got 15/);
    assert.throws(() => encodePng(0, 2, new Uint8Array(0)), /positive size/);
  });
});
