// A gdb remote serial protocol stub over a Machine, so gdb (or CLion, IDA, Ghidra) can attach with
// `target remote :PORT`: registers (common/gdb-target.ts), memory, software and hardware breakpoints (Z0/Z1),
// watchpoints (Z2-Z4), step, continue, Ctrl-C, the target description for the CPU's mode. One client at a
// time, on 127.0.0.1 only. The guest stays stopped until gdb says continue or step; `detach` lets it run on.
import * as net from 'net';

import type { FpuRegisters, Machine, Registers, StopEvent, WatchAccess } from './api';
import {
  cpuMode,
  gdbArchitecture,
  REGISTERS,
  registerValue,
  registerWrite,
  targetXml,
  x87RegisterHex,
  x87RegisterWrite,
  type CpuMode,
} from './gdb-target';

/** Why the stub's session ended. */
export type GdbEnd =
  { kind: 'detached' } | { kind: 'killed' } | { kind: 'disconnected' } | { kind: 'stopped'; stop: StopEvent };

export interface GdbStubOptions {
  port: number;
  host?: string;
  /** Told what happens, for a line on standard error. */
  log?: (line: string) => void;
  /**
   * A stop gdb did not ask for (an expectation matched, a timeout) ends the session; the stub tells gdb the
   * program exited. Returns true when the stop is such an ending.
   */
  isEnding?: (stop: StopEvent) => boolean;
  /** Each stop gdb is told of (a front end showing the machine refreshes its view). */
  onStop?: (stop: StopEvent) => void;
}

/** Packets at most this long are accepted (gdb sends far less); a longer one is dropped. */
const MAX_PACKET = 1 << 20;
/** What we tell gdb it may send at once. */
const PACKET_SIZE = 0x4000;
/** A guest that needs more than this many interrupt deliveries to finish one step is reported as stepped. */
const MAX_HIDDEN_INTERRUPTS = 16;

const hex8 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');
const le32 = (n: number): string => [0, 8, 16, 24].map((s) => hex8(n >>> s)).join('');
const fromLe = (h: string): number => {
  let v = 0;
  for (let i = h.length - 2; i >= 0; i -= 2) v = v * 256 + parseInt(h.slice(i, i + 2), 16);
  return v >>> 0;
};
const checksum = (s: string): string => {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum = (sum + s.charCodeAt(i)) & 0xff;
  return hex8(sum);
};

/** Characters gdb's protocol reserves are escaped in binary data ('}' then the byte xor 0x20). */
function escapeBinary(s: string): string {
  return s.replace(/[#$}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

export class GdbStub {
  private server?: net.Server;
  private socket?: net.Socket;
  private input = '';
  private noAck = false;
  private running = false;
  /** gdb sent Ctrl-C while the guest runs. */
  private interrupted = false;
  private readonly breakpoints = new Map<string, number>();
  private readonly watchpoints = new Map<string, number>();
  private modeAtConnect?: CpuMode;
  private finish?: (end: GdbEnd) => void;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly machine: Machine,
    private readonly options: GdbStubOptions,
  ) {}

  /** Listens; resolves with the port (the one asked for, or the one given for 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((s) => this.accept(s));
      server.once('error', (e) =>
        reject(new Error(`--gdb ${this.options.port}: cannot listen (${(e as Error).message})`)),
      );
      server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
        this.server = server;
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Resolves when gdb detaches, kills, disconnects, or the guest's run ends for good. */
  session(): Promise<GdbEnd> {
    return new Promise((resolve) => (this.finish = resolve));
  }

  /** Ends the session from our side (Ctrl-C in the terminal): as if gdb had gone. */
  shutdown(): void {
    if (this.running) this.machine.pause();
    this.end({ kind: 'disconnected' });
  }

  close(): void {
    this.socket?.destroy();
    this.server?.close();
    this.socket = undefined;
    this.server = undefined;
  }

  private end(e: GdbEnd): void {
    const f = this.finish;
    this.finish = undefined;
    this.close();
    f?.(e);
  }

  private accept(s: net.Socket): void {
    if (this.socket) {
      s.end();
      return; // one client at a time
    }
    this.socket = s;
    s.setNoDelay(true);
    this.options.log?.(`gdb connected from ${s.remoteAddress}:${s.remotePort}`);
    s.on('data', (d) => this.receive(d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.socket !== s) return;
      this.socket = undefined;
      if (this.running) this.machine.pause();
      this.end({ kind: 'disconnected' });
    });
  }

  private send(payload: string): void {
    this.socket?.write(`$${payload}#${checksum(payload)}`);
  }

  private receive(text: string): void {
    this.input += text;
    for (;;) {
      if (this.input.startsWith('\x03')) {
        this.input = this.input.slice(1);
        if (this.running) {
          this.interrupted = true;
          this.machine.pause();
        }
        continue;
      }
      const acks = /^[+-]+/.exec(this.input);
      if (acks) {
        this.input = this.input.slice(acks[0].length);
        continue;
      }
      const start = this.input.indexOf('$');
      if (start < 0) {
        if (this.input.length > MAX_PACKET) this.input = '';
        return;
      }
      const hash = this.input.indexOf('#', start);
      if (hash < 0 || this.input.length < hash + 3) {
        if (this.input.length > MAX_PACKET) this.input = '';
        return;
      }
      const payload = this.input.slice(start + 1, hash);
      const sum = this.input.slice(hash + 1, hash + 3);
      this.input = this.input.slice(hash + 3);
      if (!this.noAck) this.socket?.write(sum.toLowerCase() === checksum(payload) ? '+' : '-');
      // Packets are handled one after another (a continue answers only when the guest stops).
      this.queue = this.queue
        .then(() => this.handle(payload))
        .catch((e) => this.options.log?.(`gdb stub: ${(e as Error).message}`));
    }
  }

  private async handle(p: string): Promise<void> {
    const m = this.machine;
    switch (p[0]) {
      case '?':
        return this.send('S05');
      case 'g':
        return this.send(this.allRegisters());
      case 'G':
        return this.send(this.writeAllRegisters(p.slice(1)));
      case 'p': {
        const n = parseInt(p.slice(1), 16);
        return this.send(n < REGISTERS.length ? this.registerHex(n) : 'E00');
      }
      case 'P': {
        const [n, v] = p.slice(1).split('=');
        return this.send(this.writeRegister(parseInt(n, 16), v ?? ''));
      }
      case 'm':
        return this.send(this.readMemory(p.slice(1)));
      case 'M':
        return this.send(this.writeMemory(p.slice(1)));
      case 'Z':
      case 'z':
        return this.send(this.breakpoint(p[0] === 'Z', p.slice(1)));
      case 'c':
        if (p.length > 1) this.setPc(parseInt(p.slice(1), 16));
        return this.continueGuest();
      case 's':
        if (p.length > 1) this.setPc(parseInt(p.slice(1), 16));
        return this.stepGuest();
      case 'H':
      case 'T':
        return this.send('OK');
      case 'k':
        this.send('OK');
        return this.end({ kind: 'killed' });
      case 'D':
        this.send('OK');
        return this.end({ kind: 'detached' });
      case 'q':
      case 'Q':
        return this.send(this.query(p));
      case 'v':
        if (p.startsWith('vKill')) {
          this.send('OK');
          return this.end({ kind: 'killed' });
        }
        return this.send('');
      default:
        void m;
        return this.send('');
    }
  }

  private query(p: string): string {
    if (p.startsWith('qSupported')) {
      return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+`;
    }
    if (p === 'QStartNoAckMode') {
      // The OK still goes out acknowledged-style; from the next packet on there are no acks.
      setImmediate(() => (this.noAck = true));
      return 'OK';
    }
    if (p.startsWith('qXfer:features:read:target.xml:')) {
      const [offset, length] = p
        .slice('qXfer:features:read:target.xml:'.length)
        .split(',')
        .map((x) => parseInt(x, 16));
      const mode = cpuMode(this.machine.getRegisters());
      this.modeAtConnect ??= mode;
      const xml = targetXml(mode);
      const chunk = xml.slice(offset, offset + length);
      return (offset + length >= xml.length ? 'l' : 'm') + escapeBinary(chunk);
    }
    if (p.startsWith('qXfer:')) return 'E00';
    if (p === 'qC') return 'QC1';
    if (p === 'qfThreadInfo') return 'm1';
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qAttached') return '1';
    if (p.startsWith('qSymbol')) return 'OK';
    if (p.startsWith('qRcmd,')) {
      const command = Buffer.from(p.slice(6), 'hex').toString('latin1').trim();
      return this.monitor(command);
    }
    return '';
  }

  /** `monitor mode`: the CPU's mode and the architecture to set in gdb for it. */
  private monitor(command: string): string {
    if (command === 'mode') {
      const mode = cpuMode(this.machine.getRegisters());
      return Buffer.from(`${mode}: set architecture ${gdbArchitecture(mode)}\n`, 'latin1').toString('hex');
    }
    return Buffer.from(`Bootvisor knows: monitor mode\n`, 'latin1').toString('hex');
  }

  private registerHex(n: number, r = this.machine.getRegisters(), f = this.machine.getFpu?.()): string {
    const spec = REGISTERS[n];
    // A register set of the debugger's own (an interrupted frame's) may not know some values: gdb's "unavailable".
    if ((r as { unknown?: string[] }).unknown?.includes(spec.name)) return 'xx'.repeat(spec.bits / 8);
    return x87RegisterHex(f, spec.name) ?? le32(registerValue(r, spec.name) ?? 0);
  }

  private allRegisters(): string {
    const r = this.machine.getRegisters();
    const f = this.machine.getFpu?.();
    return REGISTERS.map((_, n) => this.registerHex(n, r, f)).join('');
  }

  private writeRegister(n: number, hex: string): string {
    const spec = REGISTERS[n];
    if (!spec || !/^[0-9a-fA-F]*$/.test(hex) || hex.length !== spec.bits / 4) return 'E00';
    const x87 = x87RegisterWrite(this.machine.getFpu?.(), spec.name, hex);
    const change = x87 === undefined ? registerWrite(this.machine.getRegisters(), spec.name, fromLe(hex)) : x87;
    if (typeof change === 'string') {
      this.options.log?.(`gdb: ${change}`);
      return 'E01';
    }
    if (x87 !== undefined) this.machine.setFpu?.(change as Partial<FpuRegisters>);
    else if (change) this.machine.setRegisters(change as Partial<Registers>);
    return 'OK';
  }

  private writeAllRegisters(hex: string): string {
    let at = 0;
    for (let n = 0; n < REGISTERS.length && at < hex.length; n++) {
      const width = REGISTERS[n].bits / 4;
      const value = hex.slice(at, at + width);
      at += width;
      if (value.length < width) break;
      const current = this.registerHex(n);
      if (value.toLowerCase() === current) continue; // only what gdb changed (segments in protected mode stay)
      const r = this.writeRegister(n, value);
      if (r !== 'OK') return r;
    }
    return 'OK';
  }

  private readMemory(args: string): string {
    const [a, l] = args.split(',').map((x) => parseInt(x, 16));
    if (!Number.isFinite(a) || !Number.isFinite(l) || l < 0) return 'E01';
    const length = Math.min(l, PACKET_SIZE / 2);
    try {
      return Buffer.from(this.machine.readMemory(a, length)).toString('hex');
    } catch {
      // Part of it may be readable (a page boundary): as much as can be read, else an error.
      let out = '';
      for (let i = 0; i < length; i++) {
        try {
          out += hex8(this.machine.readMemory(a + i, 1)[0]);
        } catch {
          break;
        }
      }
      return out || 'E14';
    }
  }

  private writeMemory(args: string): string {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(args);
    if (!m) return 'E01';
    const data = Buffer.from(m[3], 'hex');
    if (data.length !== parseInt(m[2], 16)) return 'E01';
    try {
      this.machine.writeMemory(parseInt(m[1], 16), data);
      return 'OK';
    } catch {
      return 'E14';
    }
  }

  private breakpoint(insert: boolean, args: string): string {
    const [type, a, k] = args.split(',');
    const address = parseInt(a, 16);
    const kind = parseInt(k, 16);
    if (!Number.isFinite(address)) return 'E01';
    const key = `${type},${address}`;
    if (type === '0' || type === '1') {
      if (insert) {
        if (!this.breakpoints.has(key)) this.breakpoints.set(key, this.machine.addBreakpoint(address));
      } else {
        const id = this.breakpoints.get(key);
        if (id !== undefined) this.machine.removeBreakpoint(id);
        this.breakpoints.delete(key);
      }
      return 'OK';
    }
    const access: WatchAccess | undefined =
      type === '2' ? 'write' : type === '3' ? 'read' : type === '4' ? 'access' : undefined;
    if (!access || !(kind >= 1 && kind <= 4096)) return '';
    const wkey = `${key},${kind}`;
    if (insert) {
      if (!this.watchpoints.has(wkey)) this.watchpoints.set(wkey, this.machine.addWatchpoint(address, kind, access));
    } else {
      const id = this.watchpoints.get(wkey);
      if (id !== undefined) this.machine.removeWatchpoint(id);
      this.watchpoints.delete(wkey);
    }
    return 'OK';
  }

  private setPc(linear: number): void {
    const r = this.machine.getRegisters();
    this.machine.setRegisters({ eip: (linear - r.cs.base) >>> 0 });
  }

  /** One instruction; an interrupt taken instead runs to its return first, as QEMU's gdbstub hides IRQs. */
  private async stepGuest(): Promise<void> {
    const m = this.machine;
    for (let attempt = 0; ; attempt++) {
      const before = m.getRegisters();
      const beforeLinear = (before.cs.base + before.eip) >>> 0;
      const s = m.step();
      if (s.reason !== 'step' && s.reason !== 'breakpoint') return this.reportStop(s);
      const executed = m.history(1)[0];
      if (
        attempt < MAX_HIDDEN_INTERRUPTS &&
        executed &&
        executed.linear !== beforeLinear &&
        s.linear !== beforeLinear
      ) {
        // An interrupt was delivered instead of the instruction: run until it comes back, then step again.
        const back = m.addBreakpoint(beforeLinear);
        try {
          this.running = true;
          for (;;) {
            const stop = await m.run();
            if (
              stop.reason === 'breakpoint' &&
              stop.linear === beforeLinear &&
              m.getRegisters().esp >>> 0 === before.esp >>> 0
            )
              break;
            if (stop.reason !== 'breakpoint' || this.userBreakpointAt(stop.linear)) return this.reportStop(stop);
          }
        } finally {
          this.running = false;
          m.removeBreakpoint(back);
        }
        continue;
      }
      return this.reportStop({ ...s, reason: 'step' });
    }
  }

  private userBreakpointAt(linear: number): boolean {
    return this.breakpoints.has(`0,${linear}`) || this.breakpoints.has(`1,${linear}`);
  }

  private async continueGuest(): Promise<void> {
    this.running = true;
    this.interrupted = false;
    let stop: StopEvent;
    try {
      stop = await this.machine.run();
    } finally {
      this.running = false;
    }
    if (stop.reason === 'pause' && !this.interrupted && this.options.isEnding?.(stop)) {
      this.send('W00');
      return this.end({ kind: 'stopped', stop });
    }
    this.reportStop(stop);
  }

  /** The stop reply; also a console line when the CPU changed mode since gdb read the description. */
  private reportStop(stop: StopEvent): void {
    this.options.onStop?.(stop);
    const mode = cpuMode(this.machine.getRegisters());
    if (this.modeAtConnect && gdbArchitecture(mode) !== gdbArchitecture(this.modeAtConnect)) {
      this.send(
        'O' +
          Buffer.from(
            `Bootvisor: the CPU is in ${mode} mode now: set architecture ${gdbArchitecture(mode)}\n`,
            'latin1',
          ).toString('hex'),
      );
      this.modeAtConnect = mode;
    }
    switch (stop.reason) {
      case 'guest-exit':
        this.send(`W${hex8(stop.exitCode ?? 0)}`);
        return this.end({ kind: 'stopped', stop });
      case 'pause':
        return this.send('T02thread:1;');
      case 'breakpoint':
        return this.send('T05swbreak:;thread:1;');
      case 'watchpoint': {
        const w = stop.watch;
        const address = w?.address ?? 0;
        const access = [...this.watchpoints.keys()].some((k) => {
          const [type, a, len] = k.split(',').map(Number);
          return type === 4 && address >= a && address < a + len;
        });
        const kind = access ? 'awatch' : w?.access === 'read' ? 'rwatch' : 'watch';
        return this.send(`T05${kind}:${(w?.address ?? 0).toString(16)};thread:1;`);
      }
      case 'triple-fault':
      case 'exception':
      case 'error':
        this.options.log?.(
          `gdb stub: the guest stopped: ${stop.exception?.explanation ?? stop.message ?? stop.reason}`,
        );
        this.send(
          'O' +
            Buffer.from(
              `Bootvisor: ${stop.exception?.explanation ?? stop.message ?? stop.reason}\n`,
              'latin1',
            ).toString('hex'),
        );
        return this.send(stop.reason === 'exception' && stop.exception?.vector === 6 ? 'T04thread:1;' : 'T0bthread:1;');
      case 'hlt-cli':
        this.send(
          'O' +
            Buffer.from(
              'Bootvisor: the guest halted with interrupts off (cli; hlt): it cannot go on\n',
              'latin1',
            ).toString('hex'),
        );
        return this.send('T05thread:1;');
      default:
        return this.send('T05thread:1;');
    }
  }
}
