// The guest screen's direct channel (client/direct_channel.ts) as the webview sees it: a real WebSocket server
// on 127.0.0.1, spoken to by a client written here from RFC 6455 (Node 20 has no WebSocket client without a
// flag): keys sent with the token arrive, frames come back, everything else is refused.
import * as assert from 'assert';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DirectChannel, parseInput, REFUSE_FOR_TEST, type DirectInput } from '../../client/direct_channel';

interface Opened {
  channel: DirectChannel;
  inputs: DirectInput[];
  connections: number;
}

async function open(): Promise<Opened> {
  const state = { inputs: [] as DirectInput[], connections: 0 } as Opened;
  state.channel = await DirectChannel.open({
    input: (m) => (state.inputs.push(m), true),
    connected: () => state.connections++,
    problem: (text) => assert.fail(text),
  });
  return state;
}

/** A masked frame, as a browser sends them. */
function clientFrame(opcode: number, text: string | Buffer, fin = true): Buffer {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const header = payload.length < 126 ? Buffer.from([0, 0x80 | payload.length]) : Buffer.from([0, 0xfe, 0, 0]);
  if (payload.length >= 126) header.writeUInt16BE(payload.length, 2);
  header[0] = (fin ? 0x80 : 0) | opcode;
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]));
  return Buffer.concat([header, mask, masked]);
}

/** Connects; resolves to the socket and a reader of the server's text messages, or to the refusal's status. */
function connect(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<{ socket: Socket; next(): Promise<string>; ended: Promise<void> } | number> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      let data = head;
      const messages: string[] = [];
      let wake: (() => void) | undefined;
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        for (;;) {
          if (data.length < 2) break;
          let length = data[1] & 0x7f,
            offset = 2;
          if (length === 126) {
            if (data.length < 4) break;
            length = data.readUInt16BE(2);
            offset = 4;
          }
          if (data.length < offset + length) break;
          if ((data[0] & 0x0f) === 0x1) messages.push(data.subarray(offset, offset + length).toString('utf8'));
          data = data.subarray(offset + length);
        }
        wake?.();
      });
      const ended = new Promise<void>((done) => socket.on('close', () => done()));
      const next = async (): Promise<string> => {
        while (messages.length === 0) {
          if (socket.destroyed) throw new Error('the socket closed');
          await new Promise<void>((w) => {
            wake = w;
            socket.once('close', w);
          });
        }
        return messages.shift()!;
      };
      resolve({ socket, next, ended });
    });
    req.end();
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'timed out');
}

describe('guest screen direct channel', () => {
  let opened: Opened | undefined;
  afterEach(() => opened?.channel.close());

  it('listens on 127.0.0.1 only, takes keys and mouse sent with its token, and sends frames back', async () => {
    opened = await open();
    const { url, token } = opened.channel.address;
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/screen$/);
    assert.ok(token.length >= 32, 'a token too short to be a lock');
    assert.equal(opened.channel.send({ type: 'screen' }), false, 'nobody connected: the caller posts it');
    const ws = await connect(opened.channel.port, `/screen?token=${token}`);
    assert.ok(typeof ws !== 'number', `refused with ${String(ws)}`);
    assert.equal(opened.connections, 1, 'a new connection gets the whole screen');
    assert.equal(opened.channel.connected, true);
    const key = { type: 'key', code: 'KeyA', down: true, key: 'a', shift: false, t: 12.5 };
    const mouse = { type: 'mouse', dx: -3, dy: 2, buttons: 1 };
    // Two frames in one packet, then one split across three: both are read whole and in order.
    ws.socket.write(Buffer.concat([clientFrame(0x1, JSON.stringify(key)), clientFrame(0x1, JSON.stringify(mouse))]));
    const up = clientFrame(0x1, JSON.stringify({ type: 'key', code: 'KeyA', down: false }));
    ws.socket.write(up.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 20));
    ws.socket.write(up.subarray(1, 9));
    await new Promise((r) => setTimeout(r, 20));
    ws.socket.write(up.subarray(9));
    await until(() => opened!.inputs.length === 3);
    assert.deepStrictEqual(opened.inputs, [
      key,
      mouse,
      { type: 'key', code: 'KeyA', down: false, key: undefined, shift: undefined, t: undefined },
    ]);
    // Not keys or mouse: ignored, the connection stays.
    ws.socket.write(clientFrame(0x1, '{"type":"reset"}'));
    const state = { type: 'state', session: 'running', detail: 'x'.repeat(300) } as const;
    assert.equal(opened.channel.send(state), true);
    assert.deepStrictEqual(JSON.parse(await ws.next()), state, 'a frame longer than 125 bytes');
    assert.equal(opened.inputs.length, 3);
    // Closed with the session: the socket ends and the port answers no more.
    const port = opened.channel.port;
    opened.channel.close();
    await ws.ended;
    await assert.rejects(connect(port, `/screen?token=${token}`));
  });

  it('refuses a wrong or missing token, another Host, another path, and plain http', async () => {
    opened = await open();
    const { port } = opened.channel;
    const { token } = opened.channel.address;
    assert.equal(await connect(port, `/screen?token=${token}x`), 403);
    assert.equal(await connect(port, `/screen?token=${token.slice(1)}`), 403);
    assert.equal(await connect(port, '/screen'), 403);
    assert.equal(await connect(port, `/other?token=${token}`), 403);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends its own Host.
    assert.equal(await connect(port, `/screen?token=${token}`, `evil.example:${port}`), 403);
    const plain = await fetch(`http://127.0.0.1:${port}/screen?token=${token}`);
    assert.equal(plain.status, 404);
    assert.equal(opened.connections, 0);
  });

  it('drops a connection that sends what a browser never does: an unmasked, fragmented or huge frame', async () => {
    opened = await open();
    const { port } = opened.channel;
    const { token } = opened.channel.address;
    const bad = [
      Buffer.from([0x81, 0x02, 0x7b, 0x7d]), // unmasked
      clientFrame(0x1, '{"type":', false), // fragmented
      clientFrame(0x1, Buffer.alloc(2000, 0x20)), // bigger than any input
    ];
    for (const frame of bad) {
      const ws = await connect(port, `/screen?token=${token}`);
      assert.ok(typeof ws !== 'number');
      ws.socket.write(frame);
      await ws.ended;
    }
    assert.deepStrictEqual(opened.inputs, []);
  });

  it("answers a clock question at once with the host's clock, without passing it on as input", async () => {
    opened = await open();
    const ws = await connect(opened.channel.port, `/screen?token=${opened.channel.address.token}`);
    assert.ok(typeof ws !== 'number');
    const before = performance.timeOrigin + performance.now();
    ws.socket.write(clientFrame(0x1, '{"type":"clock","t":1234.5}'));
    const answer = JSON.parse(await ws.next()) as { type: string; t: number; hostAt: number };
    const after = performance.timeOrigin + performance.now();
    assert.equal(answer.type, 'clock');
    assert.equal(answer.t, 1234.5);
    assert.ok(
      answer.hostAt >= before && answer.hostAt <= after,
      `hostAt ${answer.hostAt} not in [${before}, ${after}]`,
    );
    ws.socket.write(clientFrame(0x1, '{"type":"clock","t":"soon"}'));
    ws.socket.write(clientFrame(0x1, JSON.stringify({ type: 'mouse', dx: 1, dy: 0, buttons: 0 })));
    await until(() => opened!.inputs.length === 1);
    assert.deepStrictEqual(opened.inputs, [{ type: 'mouse', dx: 1, dy: 0, buttons: 0 }]);
  });

  it(`refuses every connection while the file ${REFUSE_FOR_TEST} names exists (the e2e's fallback switch)`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-refuse-'));
    const file = path.join(dir, 'refuse');
    const saved = process.env[REFUSE_FOR_TEST];
    process.env[REFUSE_FOR_TEST] = file;
    try {
      opened = await open();
      const target = `/screen?token=${opened.channel.address.token}`;
      fs.writeFileSync(file, '');
      assert.equal(await connect(opened.channel.port, target), 403);
      assert.equal(opened.connections, 0);
      fs.rmSync(file);
      const ws = await connect(opened.channel.port, target);
      assert.ok(typeof ws !== 'number', `refused with ${String(ws)} after the switch was removed`);
      assert.equal(opened.connections, 1);
    } finally {
      if (saved === undefined) delete process.env[REFUSE_FOR_TEST];
      else process.env[REFUSE_FOR_TEST] = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses only well-formed input', () => {
    assert.equal(parseInput('null'), undefined);
    assert.equal(parseInput('{"type":"key"'), undefined);
    assert.equal(parseInput('{"type":"key","code":"KeyA","down":"yes"}'), undefined);
    assert.equal(parseInput(`{"type":"key","code":"${'K'.repeat(65)}","down":true}`), undefined);
    assert.equal(parseInput('{"type":"mouse","dx":1,"dy":1,"buttons":8}'), undefined);
    assert.equal(parseInput('{"type":"clock","t":null}'), undefined);
    assert.deepStrictEqual(parseInput('{"type":"clock","t":5,"hostAt":1}'), { type: 'clock', t: 5 });
    assert.deepStrictEqual(parseInput('{"type":"key","code":"Enter","down":false,"extra":1}'), {
      type: 'key',
      code: 'Enter',
      down: false,
      key: undefined,
      shift: undefined,
      t: undefined,
    });
  });
});
