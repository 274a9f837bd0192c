// A gdb child process spoken to in GDB/MI (mi3): commands carry a token, their result records are matched to
// it, every command has a host-time limit, and a gdb that dies or hangs fails its pending commands with a
// message instead of leaving a request unanswered. The adapter's C debugging (c-debugger.ts) sits on this.
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';

export type MiValue = string | MiTuple | MiValue[];
export interface MiTuple {
  [name: string]: MiValue;
}

/** gdb answered `^error`: its message, which is usually worth showing the user as it is. */
export class MiError extends Error {}

/** Parses MI's values: c-strings, {tuples} and [lists] (of values or of name=value results). */
export class MiParser {
  private at = 0;
  constructor(private readonly s: string) {}

  static results(text: string): MiTuple {
    const p = new MiParser(text);
    const out: MiTuple = {};
    while (p.at < p.s.length) {
      const [name, value] = p.result();
      out[name] = value;
      if (p.s[p.at] === ',') p.at++;
      else break;
    }
    return out;
  }

  private result(): [string, MiValue] {
    const eq = this.s.indexOf('=', this.at);
    if (eq < 0) throw new Error(`MI: no '=' after ${this.s.slice(this.at, this.at + 20)}`);
    const name = this.s.slice(this.at, eq);
    this.at = eq + 1;
    return [name, this.value()];
  }

  private value(): MiValue {
    const c = this.s[this.at];
    if (c === '"') return this.cstring();
    if (c === '{') {
      this.at++;
      const t: MiTuple = {};
      while (this.s[this.at] !== '}') {
        if (this.at >= this.s.length) throw new Error('MI: unterminated tuple');
        const [n, v] = this.result();
        t[n] = v;
        if (this.s[this.at] === ',') this.at++;
      }
      this.at++;
      return t;
    }
    if (c === '[') {
      this.at++;
      const list: MiValue[] = [];
      while (this.s[this.at] !== ']') {
        if (this.at >= this.s.length) throw new Error('MI: unterminated list');
        // A list holds values or results (name=value); a result is kept as a one-entry tuple.
        if (/^[\w-]+=/.test(this.s.slice(this.at, this.at + 64))) {
          const [n, v] = this.result();
          list.push({ [n]: v });
        } else list.push(this.value());
        if (this.s[this.at] === ',') this.at++;
      }
      this.at++;
      return list;
    }
    throw new Error(`MI: unexpected '${c ?? 'end'}'`);
  }

  cstring(): string {
    this.at++; // the opening quote
    const bytes: number[] = [];
    while (this.at < this.s.length) {
      const c = this.s.charCodeAt(this.at++);
      if (c === 0x22) return Buffer.from(bytes).toString('utf8');
      if (c !== 0x5c) {
        if (c < 0x80) bytes.push(c);
        else bytes.push(...Buffer.from(String.fromCharCode(c), 'utf8'));
        continue;
      }
      const e = this.s[this.at++];
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27 };
      if (e in simple) bytes.push(simple[e]);
      else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(this.s[this.at])) digits += this.s[this.at++];
        bytes.push(parseInt(digits, 8) & 0xff);
      } else bytes.push(e.charCodeAt(0));
    }
    throw new Error('MI: unterminated string');
  }
}

/** A string for an MI command line: quoted, with C escapes. */
export function miQuote(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c).replace(/\n/g, '\\n') + '"';
}

interface Pending {
  resolve(r: MiTuple): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  command: string;
  console: string[];
}

export interface GdbMiOptions {
  /** The gdb to run (`gdb` on PATH by default). */
  gdb?: string;
  /** gdb's arguments after the MI ones (the ELF, -iex settings). */
  args: string[];
  /** The working directory gdb runs in (its $cwd in the source search path). */
  cwd?: string;
  /** Host-time limit of one command, in ms. */
  timeoutMs?: number;
}

export class GdbMi {
  private readonly child: ChildProcessWithoutNullStreams;
  private nextToken = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  private dead?: string;
  private stderr = '';
  private bug?: string;
  private readonly timeoutMs: number;

  constructor(options: GdbMiOptions) {
    this.timeoutMs = options.timeoutMs ?? 15000;
    this.child = spawn(options.gdb ?? 'gdb', ['--interpreter=mi3', '-nx', '-q', ...options.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: options.cwd,
    });
    this.child.stdout.setEncoding('latin1');
    this.child.stdout.on('data', (d: string) => this.receive(d));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    this.child.on('error', (e: NodeJS.ErrnoException) =>
      this.fail(
        e.code === 'ENOENT'
          ? 'gdb is not installed (C variables, expressions and the C call stack need it: sudo apt-get install gdb)'
          : `gdb could not be started: ${e.message}`,
      ),
    );
    // 'close', not 'exit': gdb's last words (an internal error) are read before its death is reported.
    this.child.on('close', (code, signal) =>
      this.fail(
        `gdb exited (${signal ?? `status ${code}`})${this.bug ? `: ${this.bug}` : this.stderr ? `: ${this.stderr.trim()}` : ''}`,
      ),
    );
    this.child.stdin.on('error', () => undefined);
  }

  /** The internal error gdb reported (an assertion of its own, after which it aborts), if it did. */
  get internalError(): string | undefined {
    return this.bug;
  }

  /** Why gdb cannot be used any more, or undefined while it runs. */
  get failure(): string | undefined {
    return this.dead;
  }

  /**
   * Sends one MI command (or a CLI command, which MI accepts too); resolves with the result record's
   * results, rejects with gdb's message on ^error, and with a timeout error (gdb is then killed: a gdb
   * that stopped answering cannot be trusted with the next command).
   */
  command(command: string, timeoutMs = this.timeoutMs): Promise<MiTuple> {
    if (this.dead) return Promise.reject(new Error(this.dead));
    const token = this.nextToken++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`gdb did not answer "${command}" within ${timeoutMs / 1000} s`));
        this.close(`gdb stopped answering ("${command}" took over ${timeoutMs / 1000} s)`);
      }, timeoutMs);
      this.pending.set(token, { resolve, reject, timer, command, console: [] });
      this.child.stdin.write(`${token}${command}\n`);
    });
  }

  /** A CLI command's console output (what gdb prints for it). */
  async cli(command: string, timeoutMs = this.timeoutMs): Promise<string> {
    const r = await this.command(`-interpreter-exec console ${miQuote(command)}`, timeoutMs);
    return (r['#console'] as string | undefined) ?? '';
  }

  close(reason = 'gdb was closed'): void {
    this.fail(reason);
    try {
      this.child.kill('SIGKILL');
    } catch {
      /* gone already */
    }
  }

  private fail(reason: string): void {
    this.dead ??= reason;
    for (const [token, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(token);
      p.reject(new Error(this.dead));
    }
  }

  private receive(data: string): void {
    this.buffer += data;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
    }
    if (this.buffer.length > 1 << 24) this.close('gdb sent a line longer than 16 MiB');
  }

  private line(line: string): void {
    const m = /^(\d*)([\^*+=~@&])(.*)$/.exec(line);
    if (!m) return; // the (gdb) prompt
    const [, tokenText, kind, rest] = m;
    if (kind === '&' && !this.bug) {
      const internal = /internal-error: (.*?)(?:\\n|"$)/.exec(rest);
      if (internal) this.bug = `gdb's internal error: ${internal[1]}`;
    }
    if (kind === '~') {
      // gdb answers in order: console output belongs to the oldest command not yet answered.
      const p = this.pending.get(this.oldestToken());
      if (p) p.console.push(new MiParser(rest).cstring());
      return;
    }
    if (kind !== '^') return;
    const token = Number(tokenText);
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    clearTimeout(p.timer);
    const comma = rest.indexOf(',');
    const cls = comma < 0 ? rest : rest.slice(0, comma);
    let results: MiTuple;
    try {
      results = comma < 0 ? {} : MiParser.results(rest.slice(comma + 1));
    } catch (e) {
      p.reject(new Error(`gdb's answer to "${p.command}" could not be read (${(e as Error).message})`));
      return;
    }
    if (cls === 'error') p.reject(new MiError(typeof results.msg === 'string' ? results.msg : 'gdb: error'));
    else {
      if (p.console.length) results['#console'] = p.console.join('');
      p.resolve(results);
    }
  }

  private oldestToken(): number {
    return this.pending.keys().next().value ?? -1;
  }
}
