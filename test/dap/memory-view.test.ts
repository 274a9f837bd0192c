// The memory view's model (client/memory_dump.ts) against the real adapter: it follows an expression at each
// stop, marks what changed since the previous stop, and writes a byte in place.
import * as assert from 'assert';
import * as path from 'path';
import { MemoryDump, renderRows } from '../../client/memory_dump';
import { eachTestSession, lineOf } from './dap-session';
import { PROGRAMS } from './nasm-fixture';

const STEPS = path.join(PROGRAMS, 'steps.asm');

describe('memory view', function () {
  this.timeout(30000);
  const session = eachTestSession();

  it('follows ss:sp and a label across stops, marks the bytes that changed, and edits a byte', async () => {
    const s = session();
    const entry = s.expectStop('entry');
    await s.launch({ program: STEPS, stopOnEntry: true });
    await entry;
    const dump = new MemoryDump({
      customRequest: (command, args) => s.dc.customRequest(command, args).then((r) => r.body),
    });

    await dump.show('ss:sp');
    for (let k = 0; k < 5; k++) await s.resume('step', (dc) => dc.stepInRequest({ threadId: 1 })); // past mov sp, 0x7c00
    await dump.stopped();
    assert.strictEqual(dump.target, 0x7c00, 'the view followed SP');
    assert.strictEqual(dump.rows()[0].bytes[0], 0xfa, 'cli, the first byte of the boot sector');

    const counter = Number((await s.evaluate('counter')).body.memoryReference);
    await dump.show('counter');
    assert.strictEqual(dump.target, counter);
    await dump.stopped();
    await s.dc.setBreakpointsRequest({
      source: { path: STEPS },
      breakpoints: [{ line: lineOf(STEPS, 'mov al, [flag]') }],
    });
    await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
    await dump.stopped();
    const changed = dump
      .rows()
      .flatMap((r) => r.bytes.map((_, i) => (r.changed[i] ? r.address + i : -1)))
      .filter((a) => a >= 0);
    assert.deepStrictEqual(changed, [counter], 'inc word [counter] changed one byte, and only it is marked');
    const html = renderRows(dump.rows(), dump.target);
    assert.match(html, new RegExp(`<td class="b changed target" data-a="${counter}" tabindex="0">01</td>`));

    await dump.write(counter + 1, 0x42);
    assert.strictEqual((await s.evaluate('word [counter]')).body.result, '0x4201');
    assert.strictEqual(dump.rows()[0].bytes[(counter + 1) % 16], 0x42);
    await assert.rejects(dump.show('ds:nowhere'), /nowhere/);
  });
});
