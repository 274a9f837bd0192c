// Reading Content-Length framed JSON messages (DAP and LSP share the framing) off a byte stream without
// trusting it. `Content-Length: N\r\n\r\n` then N bytes of JSON, as the protocols say; anything else (no
// header, a negative, huge or missing length, a length too short or too long for its body, bytes that are
// not UTF-8 or not JSON) is reported once per occurrence and skipped up to the next header, so one bad
// message never makes a server deaf or silent. What a message must hold is the protocol's business (the
// `accept` callback). Memory stays bounded: at most one message (MAX_PROTOCOL_MESSAGE_BYTES) and a short
// header are buffered.
import { MAX_PROTOCOL_MESSAGE_BYTES } from './limits';

const HEADER_NAME = Buffer.from('Content-Length:', 'latin1');
const HEADER_NAME_LOWER = Buffer.from('content-length:', 'latin1');
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** How much of each end of an oversized message is kept to find its seq and command. */
const SALVAGE_BYTES = 4096;
/** Longer than any real header block (Content-Length plus an optional Content-Type). */
const MAX_HEADER_BYTES = 1024;

/** The identity of a request whose message is damaged, when it can still be read: seq/command (DAP) or id/method (LSP). */
export interface RequestIdentity {
  id: number | string;
  name: string;
}

export interface FramingProblem {
  message: string;
  /** When the bad message was still a request we could identify: answer it. */
  request?: RequestIdentity;
}

export interface FramerSink {
  /** A JSON object arrived (its body as sent); the protocol decides whether it is a message it takes. */
  message(msg: Record<string, unknown>, body: Buffer): void;
  problem(p: FramingProblem): void;
  /** The request a JSON text names, if any (also used on damaged text, by pattern). */
  identify(text: string, parsed?: Record<string, unknown>): RequestIdentity | undefined;
}

/** Where a header starts: "Content-Length:" as the protocol spells it (or all in lower case). */
function findHeader(buf: Buffer): number {
  const a = buf.indexOf(HEADER_NAME);
  const b = buf.indexOf(HEADER_NAME_LOWER);
  return a < 0 ? b : b < 0 ? a : Math.min(a, b);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class MessageFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** Body bytes expected; -1 while looking for a header. */
  private want = -1;
  /** An oversized body being skipped: bytes left, and its first and last bytes (where seq and command are). */
  private skipping?: { left: number; length: number; head: Buffer; tail: Buffer };

  constructor(
    private readonly sink: FramerSink,
    private readonly maxBody = MAX_PROTOCOL_MESSAGE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.skipping) {
        if (!this.skip()) return;
        continue;
      }
      if (this.want >= 0) {
        if (this.buf.length < this.want) {
          if (this.overlong()) continue;
          return;
        }
        const body = this.buf.subarray(0, this.want);
        this.buf = this.buf.subarray(this.want);
        this.want = -1;
        this.body(body);
        continue;
      }
      // Nothing left (the usual end of a chunk): no header to look for, and no junk to report.
      if (this.buf.length === 0) return;
      if (!this.header()) return;
    }
  }

  /**
   * The common case, `Content-Length: N\r\n\r\n` right at the start, read without searching or splitting
   * (a debugger's step is a few dozen microseconds, and the general path below cost several of them);
   * anything else, including a length over the limit, is left to the general path.
   */
  private plainHeader(): boolean {
    const b = this.buf;
    const name = HEADER_NAME.length;
    if (b.length < name + 5 || b[name] !== 0x20) return false;
    // Byte by byte: Buffer#compare is a call into C++ that costs more than these 14 compares, cold most of all.
    for (let k = 0; k < name; k++) if (b[k] !== HEADER_NAME[k]) return false;
    let length = 0;
    let i = name + 1;
    for (; i < b.length && i < name + 13 && b[i] >= 0x30 && b[i] <= 0x39; i++) length = length * 10 + (b[i] - 0x30);
    if (i === name + 1 || i + 4 > b.length || b.readUInt32BE(i) !== 0x0d0a0d0a || length > this.maxBody) return false;
    this.buf = b.subarray(i + 4);
    this.want = length;
    return true;
  }

  /** Finds and reads one header block; false when more bytes are needed. */
  private header(): boolean {
    if (this.plainHeader()) return true;
    // Search only the first part of the buffer for the header name: junk before it is skipped.
    const window = this.buf.subarray(0, Math.min(this.buf.length, MAX_HEADER_BYTES * 64));
    const at = findHeader(window);
    if (at < 0) {
      // Keep a tail that could be the start of a header split across chunks.
      const keep = Math.min(this.buf.length, HEADER_NAME.length - 1);
      const dropped = this.buf.length - keep;
      if (dropped > 0 && this.buf.subarray(0, dropped).some((b) => b !== 0x0d && b !== 0x0a && b !== 0x20)) {
        this.sink.problem({
          message: `skipped ${dropped} byte(s) that are not a DAP message (no Content-Length header)`,
        });
      }
      this.buf = this.buf.subarray(dropped);
      return false;
    }
    if (at > 0) {
      const junk = this.buf.subarray(0, at);
      if (junk.some((b) => b !== 0x0d && b !== 0x0a && b !== 0x20)) {
        this.sink.problem({
          message: `skipped ${at} byte(s) before a Content-Length header (a body longer than its Content-Length, or junk)`,
        });
      }
      this.buf = this.buf.subarray(at);
    }
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0) {
      if (this.buf.length > MAX_HEADER_BYTES) {
        this.sink.problem({
          message: `a header of more than ${MAX_HEADER_BYTES} bytes without its blank line: skipped`,
        });
        this.buf = this.buf.subarray(HEADER_NAME.length);
        return true;
      }
      return false;
    }
    const header = this.buf.subarray(0, end).toString('latin1');
    this.buf = this.buf.subarray(end + HEADER_END.length);
    let length: number | undefined;
    for (const line of header.split('\r\n')) {
      const m = /^content-length:\s*(.*?)\s*$/i.exec(line);
      if (m) length = /^\d{1,12}$/.test(m[1]) ? Number(m[1]) : NaN;
    }
    if (length === undefined || Number.isNaN(length)) {
      this.sink.problem({
        message: `a header with a Content-Length that is not a whole number (${JSON.stringify(header.slice(0, 80))}): skipped up to the next header`,
      });
      return true;
    }
    if (length > this.maxBody) {
      // Read past it without keeping it, then answer it if its seq can be found at either end.
      this.skipping = { left: length, length, head: Buffer.alloc(0), tail: Buffer.alloc(0) };
      return true;
    }
    this.want = length;
    return true;
  }

  /**
   * Consumes an oversized body without keeping it; true when it is over. A header arriving before the
   * declared length is spent means the length was a lie: the skip ends there and reading resumes at it.
   */
  private skip(): boolean {
    const s = this.skipping!;
    const window = this.buf.subarray(0, Math.min(this.buf.length, s.left));
    // A header split across chunks: look from the last bytes already skipped.
    const carry = s.tail.subarray(Math.max(0, s.tail.length - (HEADER_NAME.length - 1)));
    const joined = Buffer.concat([carry, window]);
    const found = findHeader(joined);
    const take = found >= 0 ? Math.max(0, found - carry.length) : window.length;
    const part = window.subarray(0, take);
    if (s.head.length < SALVAGE_BYTES)
      s.head = Buffer.concat([s.head, part.subarray(0, SALVAGE_BYTES - s.head.length)]);
    s.tail = Buffer.concat([s.tail, part]).subarray(-SALVAGE_BYTES);
    const salvaged = (): RequestIdentity | undefined =>
      this.sink.identify(`${s.head.toString('utf8')} ${s.tail.toString('utf8')}`);
    if (found >= 0) {
      this.buf = Buffer.concat([joined.subarray(found), this.buf.subarray(window.length)]);
      this.skipping = undefined;
      this.sink.problem({
        message: `Content-Length ${s.length} is over the limit of ${this.maxBody} bytes and another header came after ${s.length - s.left + take} bytes: reading resumes there`,
        request: salvaged(),
      });
      return true;
    }
    this.buf = this.buf.subarray(take);
    s.left -= take;
    if (s.left > 0) return false;
    this.skipping = undefined;
    this.sink.problem({
      message: `a message of ${s.length} bytes is over the limit of ${this.maxBody} bytes and was not read (a smaller request, such as a shorter writeMemory, works)`,
      request: salvaged(),
    });
    return true;
  }

  private body(bytes: Buffer): void {
    if (bytes.length === 0) {
      this.sink.problem({ message: 'an empty message (Content-Length: 0) was ignored' });
      return;
    }
    // The common case first: valid UTF-8 holding one JSON object (and at most whitespace after it) is a message
    // whose Content-Length was right, with no need to find where its JSON ends byte by byte (several
    // microseconds a message while the code is not yet optimised). Anything else takes the checks below.
    const whole = this.plainBody(bytes);
    if (whole) {
      this.sink.message(whole, bytes);
      return;
    }
    // A Content-Length longer than the message: the JSON ends early and the next header follows it. Take
    // the message, and read on from where it ended (the bytes taken from the next message go back).
    const end = jsonEnd(bytes);
    if (
      end > 0 &&
      end < bytes.length &&
      bytes.subarray(end).some((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)
    ) {
      this.sink.problem({
        message: `Content-Length ${bytes.length} is longer than its message (${end} bytes): reading resumes after the message`,
      });
      this.buf = Buffer.concat([bytes.subarray(end), this.buf]);
      bytes = bytes.subarray(0, end);
    }
    let text: string;
    let notUtf8 = false;
    try {
      text = utf8.decode(bytes);
    } catch {
      notUtf8 = true;
      text = bytes.toString('utf8');
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.sink.problem({
        message: `a message that is not JSON${notUtf8 ? ' (nor UTF-8)' : ''} was ignored: ${(e as Error).message}`,
        request: this.sink.identify(text),
      });
      return;
    }
    const isObject = typeof msg === 'object' && msg !== null && !Array.isArray(msg);
    if (notUtf8) {
      this.sink.problem({
        message: 'a message that is not valid UTF-8 was ignored',
        request: isObject ? this.sink.identify(text, msg as Record<string, unknown>) : undefined,
      });
      return;
    }
    if (!isObject) {
      this.sink.problem({ message: `a message that is not a JSON object was ignored (${text.slice(0, 40)})` });
      return;
    }
    this.sink.message(msg as Record<string, unknown>, bytes);
  }

  private plainBody(bytes: Buffer): Record<string, unknown> | undefined {
    try {
      const msg: unknown = JSON.parse(utf8.decode(bytes));
      return typeof msg === 'object' && msg !== null && !Array.isArray(msg)
        ? (msg as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * While a body is incomplete: if what came holds a whole JSON value followed by a new header, the
   * Content-Length was too long and the sender has moved on: do not wait for bytes that will not come.
   */
  private overlong(): boolean {
    const header = findHeader(this.buf);
    if (header <= 0) return false;
    const end = jsonEnd(this.buf.subarray(0, header));
    if (end <= 0) return false;
    const declared = this.want;
    this.want = -1;
    this.sink.problem({
      message: `Content-Length ${declared} is longer than its message (${end} bytes) and another header follows: reading resumes there`,
    });
    const body = this.buf.subarray(0, end);
    this.buf = this.buf.subarray(header);
    this.body(body);
    return true;
  }
}

/** Where the JSON value at the start of `b` ends (after leading whitespace), or -1 when it does not end in `b`. */
export function jsonEnd(b: Buffer): number {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  if (i >= b.length || (b[i] !== 0x7b && b[i] !== 0x5b)) return -1; // only objects and arrays end unambiguously
  let depth = 0;
  let inString = false;
  for (; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/** A request's identity from damaged text, by the names `seq`/`command` (DAP) or `id`/`method` (LSP). */
export function salvageIdentity(
  text: string,
  idKey: 'seq' | 'id',
  nameKey: 'command' | 'method',
): RequestIdentity | undefined {
  const id = new RegExp(`"${idKey}"\\s*:\\s*(\\d{1,15}|"[^"\\\\]{1,64}")`).exec(text);
  const name = new RegExp(`"${nameKey}"\\s*:\\s*"([A-Za-z0-9_/.$-]{1,64})"`).exec(text);
  if (!id) return undefined;
  return { id: id[1].startsWith('"') ? id[1].slice(1, -1) : Number(id[1]), name: name?.[1] ?? 'unknown' };
}
