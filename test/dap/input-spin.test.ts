// The adapter's read-ahead after an answer (debug-adapter/input-spin.ts) over a real pipe: bytes taken by the
// spin and bytes taken by the stream arrive in order, whole, however the writer splits and spaces them.
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as path from 'path';

const SPIN_JS = path.join(__dirname, '..', '..', 'debug-adapter', 'input-spin.js');

// The child reads its stdin as the adapter does (stream, then a spin after each chunk) and reports what it got.
const CHILD = `
const { InputSpin } = require(${JSON.stringify(SPIN_JS)});
const got = [];
let spun = 0;
const spin = new InputSpin(0, (c) => { got.push(c); spun++; }, () => process.stdin.readableLength, Number(process.argv[1]));
process.stdin.on('data', (c) => { got.push(c); spin.run(() => true); });
process.stdin.on('end', () => process.stdout.write(JSON.stringify({ text: Buffer.concat(got).toString('latin1'), spun })));
`;

async function feed(spinUs: number, lines: number): Promise<{ text: string; spun: number; sent: string }> {
  const child = spawn(process.execPath, ['-e', CHILD, String(spinUs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let sent = '';
  // Bursts of lines, some split mid-line, with pauses shorter and longer than the spin between them.
  let seed = 12345;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  for (let i = 0; i < lines;) {
    let burst = '';
    for (let k = 1 + rand(4); k > 0 && i < lines; k--, i++) burst += `line ${i} ${'x'.repeat(rand(300))}\n`;
    const cut = rand(burst.length);
    for (const part of [burst.slice(0, cut), burst.slice(cut)]) {
      if (!part) continue;
      child.stdin.write(part);
      sent += part;
      await new Promise((r) => setTimeout(r, rand(3)));
    }
  }
  child.stdin.end();
  await done;
  return { ...(JSON.parse(out) as { text: string; spun: number }), sent };
}

describe('the adapter reads ahead after an answer (input-spin)', function () {
  this.timeout(120000);

  it('delivers every byte once and in order, the spin taking some chunks on Linux', async function () {
    const r = await feed(20000, 400);
    assert.equal(r.text, r.sent);
    if (process.platform === 'linux') assert.ok(r.spun > 0, 'the spin took no chunk: it never ran');
  });

  it('reads nothing itself when turned off (BOOTVISOR_DAP_SPIN_US=0)', async function () {
    const r = await feed(0, 100);
    assert.equal(r.text, r.sent);
    assert.equal(r.spun, 0);
  });
});
