// A minimal gdb remote serial protocol client for QEMU's gdbstub (qemu-system-i386 -S -gdb tcp:...): the
// reference the adapter's stepping is compared with. Packets with checksums and acks, one request at a time.
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import { I386_CORE_REGISTERS } from '../../common/gdb-target';

export class GdbRemote {
  private buffer = '';
  private waiter?: (packet: string) => void;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.receive(d.toString('latin1')));
  }

  static async connect(port: number): Promise<GdbRemote> {
    for (let attempt = 0; ; attempt++) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        });
        return new GdbRemote(socket);
      } catch (e) {
        if (attempt > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private receive(text: string): void {
    this.buffer += text;
    for (;;) {
      this.buffer = this.buffer.replace(/^[+-]+/, ''); // acks (and nacks) before the next packet
      const m = /^\$([^#]*)#([0-9a-fA-F]{2})/.exec(this.buffer);
      if (!m) return;
      this.buffer = this.buffer.slice(m[0].length);
      this.socket.write('+');
      const w = this.waiter;
      this.waiter = undefined;
      w?.(m[1]);
    }
  }

  request(data: string, timeoutMs = 10000): Promise<string> {
    let sum = 0;
    for (const c of data) sum = (sum + c.charCodeAt(0)) & 0xff;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`QEMU did not answer "${data}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiter = (p) => {
        clearTimeout(timer);
        resolve(p);
      };
      this.socket.write(`$${data}#${sum.toString(16).padStart(2, '0')}`);
    });
  }

  /** i386 'g' layout: eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs, little-endian. */
  async registers(): Promise<Record<string, number>> {
    const hex = await this.request('g');
    const names = I386_CORE_REGISTERS;
    const out: Record<string, number> = {};
    names.forEach((n, i) => (out[n] = Buffer.from(hex.slice(i * 8, i * 8 + 8), 'hex').readUInt32LE(0)));
    return out;
  }

  /** Sets registers by 'g' index (QEMU answers 'P' with nothing, so: read all, change, write all with 'G'). */
  async setRegisters(values: Map<number, number>): Promise<void> {
    const hex = await this.request('g');
    let out = hex;
    for (const [index, value] of values) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(value >>> 0);
      out = out.slice(0, index * 8) + b.toString('hex') + out.slice(index * 8 + 8);
    }
    const r = await this.request(`G${out}`);
    if (r !== 'OK') throw new Error(`QEMU refused to set registers: ${r || '(empty reply)'}`);
  }

  async memory(address: number, length: number): Promise<Buffer> {
    return Buffer.from(await this.request(`m${address.toString(16)},${length.toString(16)}`), 'hex');
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** QEMU (TCG) with the image as a floppy, halted at reset with a gdbstub on a free local port. */
export async function startQemu(image: string): Promise<{ gdb: GdbRemote; child: ChildProcess }> {
  const port = await freePort();
  const bin = process.env.BOOTVISOR_QEMU || 'qemu-system-i386';
  const child = spawn(
    bin,
    [
      '-accel',
      'tcg',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'null',
      '-m',
      '32',
      '-S',
      '-gdb',
      `tcp:127.0.0.1:${port}`,
      '-drive',
      `file=${image},format=raw,if=floppy,readonly=on`,
    ],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (e) =>
      reject(new Error(`${bin} could not start (${e.message}); run scripts/install-test-deps.sh`)),
    ),
  );
  failed.catch(() => undefined); // an error after the connection is not this call's to report
  try {
    const gdb = await Promise.race([GdbRemote.connect(port), failed]);
    return { gdb, child };
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
}
