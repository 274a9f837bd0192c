// A way between the guest-screen webview and the extension that skips the workbench: a WebSocket on
// 127.0.0.1 (an ephemeral port, a random token) taking the view's keys and mouse and sending it the screen's
// frames. In code-server every postMessage between the view and the extension host crosses the
// browser-server websocket and the workbench; the e2e's key trace measured those two hops at 20 ms and 15 ms
// per key (p50, load 4), most of a key's way to the screen. A WebSocket, not fetch or Server-Sent Events:
// VS Code's webview service worker intercepts a webview's http requests to 127.0.0.1 (for portMapping) and
// answers each after a round trip through the workbench (38 ms a key, measured), and a stream held open there
// kept other webviews from loading; WebSockets pass it by. The view falls back to postMessage whenever this way
// fails or is refused (a browser on another machine cannot reach 127.0.0.1 here).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { nowMs } from '../common/key-trace';

/** A key or mouse message is a few dozen bytes; a frame bigger than this from the view is not one. */
const MAX_INPUT_BYTES = 1024;
/** RFC 6455's constant for the handshake's accept key. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * For tests only: while the file this variable names exists, every connection is refused, as when the browser
 * cannot reach 127.0.0.1 (the e2e suite shows keys and frames still working through postMessage then).
 */
export const REFUSE_FOR_TEST = 'BOOTVISOR_TEST_REFUSE_DIRECT_SCREEN';

function refusedForTest(): boolean {
  const file = process.env[REFUSE_FOR_TEST];
  return !!file && existsSync(file);
}

export type DirectInput = Extract<BvWebviewMessage, { type: 'key' } | { type: 'mouse' }>;
type ClockQuestion = Extract<BvWebviewMessage, { type: 'clock' }>;

export interface DirectChannelHandlers {
  /** A key or mouse message from the view; false when no session can take it now. */
  input(message: DirectInput): boolean;
  /** The view connected: it needs the whole screen through this way, as a new view does. */
  connected(): void;
  problem(text: string): void;
}

export class DirectChannel {
  private readonly server: http.Server;
  private readonly token = randomBytes(24).toString('base64url');
  private socket: Socket | undefined;
  private closed = false;

  private constructor(private readonly handlers: DirectChannelHandlers) {
    this.server = http.createServer((req, res) => {
      // Only the WebSocket upgrade is served.
      req.resume();
      res.writeHead(404).end();
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.server.on('clientError', (_e, socket) => socket.destroy());
  }

  /** Listens on 127.0.0.1 only, on a port the system picks. */
  static async open(handlers: DirectChannelHandlers): Promise<DirectChannel> {
    const channel = new DirectChannel(handlers);
    await new Promise<void>((resolve, reject) => {
      channel.server.once('error', reject);
      channel.server.listen(0, '127.0.0.1', () => {
        channel.server.off('error', reject);
        resolve();
      });
    });
    channel.server.on('error', (e) => handlers.problem(`direct screen channel: ${e.message}`));
    return channel;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** What the view needs: the URL to connect to (its Content-Security-Policy's connect-src) and the token. */
  get address(): { url: string; token: string } {
    return { url: `ws://127.0.0.1:${this.port}/screen`, token: this.token };
  }

  /** Whether the view is connected: frames then go this way, and only this way, so they arrive in order. */
  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  /** Sends a message to the view; false when it is not connected (the caller posts it instead). */
  send(message: BvHostMessage): boolean {
    if (!this.connected) return false;
    this.socket!.write(encodeFrame(0x1, Buffer.from(JSON.stringify(message), 'utf8')));
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.end(encodeFrame(0x8, Buffer.alloc(0)));
    this.socket?.destroySoon();
    this.socket = undefined;
    this.server.close();
    this.server.closeAllConnections();
  }

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const key = req.headers['sec-websocket-key'];
    // A name that merely resolves to 127.0.0.1 (DNS rebinding) is refused along with a wrong token.
    if (
      this.closed ||
      refusedForTest() ||
      url.pathname !== '/screen' ||
      req.headers.host !== `127.0.0.1:${this.port}` ||
      !this.tokenMatches(url.searchParams.get('token')) ||
      typeof key !== 'string' ||
      req.headers.upgrade?.toLowerCase() !== 'websocket'
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key + WEBSOCKET_GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.setNoDelay(true);
    // One view, one connection: a newer one (the page was rebuilt) replaces the old.
    this.socket?.destroy();
    this.socket = socket;
    let pending = head;
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      pending = this.readFrames(socket, pending);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
    });
    this.handlers.connected();
    if (pending.length) pending = this.readFrames(socket, pending);
  }

  /** Takes the whole frames at the start of `data`; returns what is left of an incomplete one. */
  private readFrames(socket: Socket, data: Buffer): Buffer {
    for (;;) {
      const frame = decodeFrame(data);
      if (frame === 'incomplete') return data;
      if (frame === 'bad') {
        socket.destroy();
        return Buffer.alloc(0);
      }
      data = data.subarray(frame.size);
      if (frame.opcode === 0x8) {
        socket.end(encodeFrame(0x8, Buffer.alloc(0)));
        return Buffer.alloc(0);
      }
      if (frame.opcode === 0x9) socket.write(encodeFrame(0xa, frame.payload));
      if (frame.opcode !== 0x1) continue;
      const message = parseInput(frame.payload.toString('utf8'));
      // A clock question is the channel's own business: answered at once, on this socket, with the host's clock.
      if (message?.type === 'clock')
        socket.write(encodeFrame(0x1, Buffer.from(JSON.stringify(clockAnswer(message.t)))));
      else if (message) this.handlers.input(message);
    }
  }

  private tokenMatches(given: string | null): boolean {
    const a = Buffer.from(given ?? '', 'utf8'),
      b = Buffer.from(this.token, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

/** One unmasked, unfragmented frame, as a server sends them. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header =
    length < 126 ? Buffer.alloc(2) : length < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10, 0); /* 64-bit length */
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = length;
  else if (length < 0x10000) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/**
 * The frame at the start of `data`, unmasked: 'incomplete' until all of it arrived, 'bad' for what a browser
 * never sends (an unmasked or fragmented frame, or one bigger than any key or mouse message).
 */
export function decodeFrame(data: Buffer): { opcode: number; payload: Buffer; size: number } | 'incomplete' | 'bad' {
  if (data.length < 2) return 'incomplete';
  const fin = (data[0] & 0x80) !== 0,
    opcode = data[0] & 0x0f,
    masked = (data[1] & 0x80) !== 0;
  let length = data[1] & 0x7f,
    offset = 2;
  if (!fin || !masked || length === 127) return 'bad';
  if (length === 126) {
    if (data.length < 4) return 'incomplete';
    length = data.readUInt16BE(2);
    offset = 4;
  }
  if (length > MAX_INPUT_BYTES) return 'bad';
  if (data.length < offset + 4 + length) return 'incomplete';
  const mask = data.subarray(offset, offset + 4);
  const payload = Buffer.from(data.subarray(offset + 4, offset + 4 + length));
  for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
  return { opcode, payload, size: offset + 4 + length };
}

function clockAnswer(t: number): BvClockMessage {
  return { type: 'clock', t, hostAt: nowMs() };
}

/** A key, mouse or clock message as the view sends it, or undefined for anything else. */
export function parseInput(text: string): DirectInput | ClockQuestion | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const optional = (v: unknown, type: string) => v === undefined || typeof v === type;
  if (
    m.type === 'key' &&
    typeof m.code === 'string' &&
    m.code.length <= 64 &&
    typeof m.down === 'boolean' &&
    optional(m.key, 'string') &&
    optional(m.shift, 'boolean') &&
    optional(m.t, 'number')
  ) {
    return {
      type: 'key',
      code: m.code,
      down: m.down,
      key: m.key as string | undefined,
      shift: m.shift as boolean | undefined,
      t: m.t as number | undefined,
    };
  }
  if (
    m.type === 'mouse' &&
    Number.isFinite(m.dx) &&
    Number.isFinite(m.dy) &&
    Number.isInteger(m.buttons) &&
    (m.buttons as number) >= 0 &&
    (m.buttons as number) <= 7
  ) {
    return { type: 'mouse', dx: m.dx as number, dy: m.dy as number, buttons: m.buttons as number };
  }
  if (m.type === 'clock' && Number.isFinite(m.t)) return { type: 'clock', t: m.t as number };
  return undefined;
}
