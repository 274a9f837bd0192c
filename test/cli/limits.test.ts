// The limits are stated once (common/limits.ts): the launch schema in package.json, the CLI's help and the
// native machine must say the same.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

import { HELP } from '../../cli/args';
import { BOOT_DRIVES, MEMORY_MIB } from '../../common/limits';
import { ROOT } from './harness';

describe('limits stated once', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    contributes: {
      debuggers: {
        configurationAttributes: {
          launch: {
            properties: Record<string, { minimum?: number; maximum?: number; default?: unknown; enum?: unknown[] }>;
          };
        };
      }[];
    };
  };
  const props = pkg.contributes.debuggers[0].configurationAttributes.launch.properties;

  it('the launch schema has the memory range, default and boot drives of common/limits.ts', () => {
    assert.deepStrictEqual(
      [props.memory.minimum, props.memory.maximum, props.memory.default],
      [MEMORY_MIB.min, MEMORY_MIB.max, MEMORY_MIB.default],
    );
    assert.deepStrictEqual(props.bootDrive.enum, [...BOOT_DRIVES]);
  });

  it('the CLI help says the same range', () => {
    assert.ok(HELP.includes(`guest RAM, ${MEMORY_MIB.min}-${MEMORY_MIB.max} (default ${MEMORY_MIB.default})`), HELP);
  });

  it('the native machine takes exactly that range', () => {
    const { createMachine } = require('../../common/machine') as typeof import('../../common/machine');
    const image = new Uint8Array(512);
    image[510] = 0x55;
    image[511] = 0xaa;
    createMachine({ image, memoryMiB: MEMORY_MIB.min }).dispose();
    for (const bad of [MEMORY_MIB.min - 1, MEMORY_MIB.max + 1]) {
      assert.throws(
        () => createMachine({ image, memoryMiB: bad }),
        new RegExp(`from ${MEMORY_MIB.min} to ${MEMORY_MIB.max}`),
      );
    }
  });
});
