// The examples ship their assembled images so the README's first command works without nasm; each must be
// exactly what nasm makes of its source today.
import * as assert from 'assert';
import * as fs from 'fs';

import { assemble } from '../../common/nasm';
import { exampleAsm, exampleImg, exampleNames, requireNasm } from './harness';

describe('examples', () => {
  const names = exampleNames();

  it('include at least the ones the README promises', () => {
    for (const n of ['hello', 'mode13h', 'protected', 'echo', 'triple-fault', 'hang', 'unhandled-port']) {
      assert.ok(names.includes(n), `examples/${n}/${n}.asm is missing`);
    }
  });

  for (const name of names) {
    it(`${name}.img is byte-identical to what nasm makes of ${name}.asm`, () => {
      requireNasm();
      const shipped = exampleImg(name);
      assert.ok(
        fs.existsSync(shipped),
        `examples/${name}/${name}.img is missing: nasm -f bin -o ${name}.img ${name}.asm`,
      );
      const a = assemble(exampleAsm(name));
      try {
        assert.ok(
          Buffer.from(a.image).equals(fs.readFileSync(shipped)),
          `examples/${name}/${name}.img is stale: re-assemble it with nasm -f bin -o ${name}.img ${name}.asm`,
        );
        assert.strictEqual(a.image.length % 512, 0);
        assert.deepStrictEqual([a.image[510], a.image[511]], [0x55, 0xaa]);
      } finally {
        a.remove();
      }
    });
  }
});
