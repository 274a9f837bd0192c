// A short run of the protocol fuzzer (test/fuzz/protocol-fuzzer.ts) against the real DAP and LSP servers:
// a fixed seed, a bounded number of inputs, every probe answered. `npm run fuzz:protocol` runs it longer.
import * as assert from 'assert';

import { dapTarget, fuzzProtocol, lspTarget } from './protocol-fuzzer';

describe('protocol fuzzing (DAP and LSP servers, short run)', function () {
  this.timeout(180000);
  for (const target of [dapTarget, lspTarget]) {
    it(`${target.name}: 400 random and mutated inputs, the server answers after each`, async () => {
      const r = await fuzzProtocol(target, { iterations: 400, seed: 20261202, probeMs: 30000 });
      console.log(
        `      ${target.name}: ${r.executions} executions in ${r.seconds.toFixed(1)} s (${(r.executions / r.seconds).toFixed(0)} exec/s)`,
      );
      assert.strictEqual(
        r.failure,
        undefined,
        r.failure && `${r.failure.message} (reproducer ${r.failure.reproducer})`,
      );
      assert.strictEqual(r.executions, 400);
    });
  }
});
