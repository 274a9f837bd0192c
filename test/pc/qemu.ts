// QEMU as the reference PC: boots an image under TCG with SeaBIOS, collects COM1 and, once the guest has
// gone quiet, the text screen (pmemsave of 0xB8000 through the monitor). A triple fault pauses the VM
// instead of resetting it, so the screen before the fault can still be read.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const QEMU = process.env.BOOTVISOR_QEMU || 'qemu-system-i386';

export interface QemuRun {
  serial: Buffer;
  /** What the guest wrote to port 0xE9. */
  debugcon: Buffer;
  /** 25 rows of 80 columns, trailing blanks removed, NUL shown as a space. */
  screen: string[];
  /** QEMU's own exit status when the guest ended it (isa-debug-exit). */
  exitStatus?: number;
  /** The rendered screen (monitor screendump), when asked for. */
  image?: { width: number; height: number; rgb: Buffer };
}

/** Reads a binary PPM (P6, maxval 255) as QEMU's screendump writes it. */
export function readPpm(data: Buffer): { width: number; height: number; rgb: Buffer } {
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 40).toString('latin1'));
  if (!m) throw new Error('not a P6 PPM with maxval 255');
  const width = Number(m[1]);
  const height = Number(m[2]);
  return { width, height, rgb: data.subarray(m[0].length, m[0].length + width * height * 3) };
}

export function requireQemu(): void {
  const r = spawnSync(QEMU, ['--version']);
  if (r.error) {
    throw new Error(
      `${QEMU} is not installed: run scripts/install-test-deps.sh (or sudo apt-get install qemu-system-x86)`,
    );
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The characters of an 80x25 text screen dump (char, attribute pairs). */
export function textRows(dump: Buffer, columns = 80, rows = 25): string[] {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < columns; c++) {
      const ch = dump[(r * columns + c) * 2] ?? 0;
      line += ch === 0 ? ' ' : ch < 0x80 ? String.fromCharCode(ch) : '?';
    }
    out.push(line.replace(/\s+$/, ''));
  }
  return out;
}

/**
 * Boots `image` and waits until COM1 has been quiet for `quietMs` (at least `minMs` after start), then types
 * `keys` (QEMU sendkey names, e.g. ['h', 'i', 'ret']) if any and waits for quiet again, then reads the screen.
 * `until`, when given, must also hold of COM1 plus the debug console before the wait ends (bounded by `maxMs`):
 * a loaded host can keep SeaBIOS busy for longer than any fixed quiet period, so a test that knows what output
 * to expect waits for it instead of guessing a time.
 */
export async function runInQemu(
  image: string,
  options: {
    keys?: string[];
    quietMs?: number;
    minMs?: number;
    maxMs?: number;
    drive?: 'floppy' | 'ide';
    screendump?: boolean;
    until?: (output: { serial: Buffer; debugcon: Buffer }) => boolean;
    /**
     * After the keys: monitor commands (`mouse_move 10 -5`), each 100 ms after the last, and waits until COM1
     * has shown a text ({ serial: 'ready' }, bounded by maxMs), in order.
     */
    script?: (string | { serial: string })[];
  } = {},
): Promise<QemuRun> {
  const quietMs = options.quietMs ?? 600;
  const minMs = options.minMs ?? 1200;
  const maxMs = options.maxMs ?? 15000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-qemu-'));
  const serialFile = path.join(dir, 'serial.bin');
  const screenFile = path.join(dir, 'screen.bin');
  const debugconFile = path.join(dir, 'debugcon.bin');
  const dumpFile = path.join(dir, 'screen.ppm');
  const child = spawn(
    QEMU,
    [
      '-accel',
      'tcg',
      '-display',
      'none',
      '-no-reboot',
      '-action',
      'reboot=shutdown,shutdown=pause',
      '-m',
      '32',
      '-serial',
      `file:${serialFile}`,
      '-monitor',
      'stdio',
      '-debugcon',
      `file:${debugconFile}`,
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=0x04',
      '-drive',
      `file=${image},format=raw,if=${options.drive ?? 'floppy'},snapshot=on`,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let exitStatus: number | undefined;
  let exited = false;
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.on('exit', (code) => {
    exited = true;
    exitStatus = code ?? undefined;
  });
  const monitor = (cmd: string): void => {
    if (!exited) child.stdin.write(cmd + '\n');
  };
  // "Quiet" means neither COM1 nor the debug console has grown for a while.
  const serialSize = (): number =>
    [serialFile, debugconFile].reduce((n, f) => n + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
  const read = (f: string): Buffer => (fs.existsSync(f) ? fs.readFileSync(f) : Buffer.alloc(0));
  const arrived = (): boolean =>
    !options.until || options.until({ serial: read(serialFile), debugcon: read(debugconFile) });
  const waitQuiet = async (since: number, least: number, expect: boolean): Promise<void> => {
    let last = serialSize();
    let lastChange = Date.now();
    while (!exited && Date.now() - since < maxMs) {
      await sleep(50);
      const now = serialSize();
      if (now !== last) {
        last = now;
        lastChange = Date.now();
      }
      if (Date.now() - since >= least && Date.now() - lastChange >= quietMs && (!expect || arrived())) return;
    }
  };
  try {
    const start = Date.now();
    const keys = options.keys ?? [];
    await waitQuiet(start, minMs, keys.length === 0 && !options.script?.length);
    if (keys.length && !exited) {
      for (const k of keys) {
        monitor(`sendkey ${k}`);
        await sleep(60);
      }
      await waitQuiet(Date.now(), quietMs, true);
    }
    if (options.script?.length && !exited) {
      const since = Date.now();
      for (const step of options.script) {
        if (typeof step === 'string') {
          monitor(step);
          await sleep(100);
        } else {
          while (!exited && Date.now() - since < maxMs && !read(serialFile).toString('latin1').includes(step.serial))
            await sleep(50);
        }
      }
      await waitQuiet(Date.now(), quietMs, true);
    }
    let screen: string[] = [];
    if (!exited) {
      monitor(`pmemsave 0xb8000 4000 "${screenFile}"`);
      for (let i = 0; i < 40 && !(fs.existsSync(screenFile) && fs.statSync(screenFile).size === 4000); i++)
        await sleep(25);
      if (fs.existsSync(screenFile)) screen = textRows(fs.readFileSync(screenFile));
      if (options.screendump) {
        monitor(`screendump "${dumpFile}"`);
        let last = -1;
        for (let i = 0; i < 80; i++) {
          await sleep(25);
          const size = fs.existsSync(dumpFile) ? fs.statSync(dumpFile).size : 0;
          if (size > 0 && size === last) break;
          last = size;
        }
      }
      monitor('quit');
    }
    for (let i = 0; i < 100 && !exited; i++) await sleep(20);
    if (!exited) child.kill('SIGKILL');
    if (exitStatus !== undefined && exitStatus !== 0 && !fs.existsSync(serialFile)) {
      throw new Error(`QEMU failed (status ${exitStatus}): ${stderr.trim()}`);
    }
    const image = options.screendump && fs.existsSync(dumpFile) ? readPpm(fs.readFileSync(dumpFile)) : undefined;
    return { serial: read(serialFile), debugcon: read(debugconFile), screen, exitStatus, image };
  } finally {
    if (!exited) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An interactive QEMU (TCG, SeaBIOS) for tests that look at the screen several times in one boot: COM1 to a
 * file the test polls, the monitor on stdin for screendumps and keys.
 */
export class QemuSession {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-qemu-'));
  private readonly serialFile = path.join(this.dir, 'serial.bin');
  private readonly child;
  private exited = false;
  private dumps = 0;

  /** `drive` 'kernel': `image` is a Multiboot kernel for QEMU's -kernel, not a disk. */
  constructor(image: string, drive: 'floppy' | 'ide' | 'kernel' = 'floppy') {
    this.child = spawn(
      QEMU,
      [
        '-accel',
        'tcg',
        '-display',
        'none',
        '-no-reboot',
        '-m',
        '32',
        '-serial',
        `file:${this.serialFile}`,
        '-monitor',
        'stdio',
        ...(drive === 'kernel' ? ['-kernel', image] : ['-drive', `file=${image},format=raw,if=${drive},snapshot=on`]),
      ],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    this.child.on('exit', () => (this.exited = true));
  }

  serial(): Buffer {
    return fs.existsSync(this.serialFile) ? fs.readFileSync(this.serialFile) : Buffer.alloc(0);
  }

  /** Waits until COM1's output satisfies `done` (given all of it), for at most `ms`. */
  async waitSerial(done: (serial: Buffer) => boolean, ms: number, what: string): Promise<Buffer> {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.serial();
      if (done(s)) return s;
      if (this.exited) throw new Error(`QEMU exited while waiting for ${what}`);
      if (Date.now() > end) throw new Error(`QEMU: no ${what} within ${ms} ms (COM1 so far: ${s.length} bytes)`);
      await sleep(20);
    }
  }

  /** The monitor's screendump of what the display shows now. */
  async screendump(): Promise<{ width: number; height: number; rgb: Buffer }> {
    const file = path.join(this.dir, `screen${this.dumps++}.ppm`);
    this.child.stdin.write(`screendump "${file}"\n`);
    let last = -1;
    for (let i = 0; i < 400; i++) {
      await sleep(20);
      const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
      const m =
        size > 15 ? /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(fs.readFileSync(file).subarray(0, 40).toString('latin1')) : null;
      if (m && size >= m[0].length + Number(m[1]) * Number(m[2]) * 3 && size === last) {
        const ppm = readPpm(fs.readFileSync(file));
        fs.rmSync(file);
        return ppm;
      }
      last = size;
    }
    throw new Error('QEMU: the screendump did not complete');
  }

  sendkey(key: string): void {
    this.child.stdin.write(`sendkey ${key}\n`);
  }

  async close(): Promise<void> {
    if (!this.exited) this.child.stdin.write('quit\n');
    for (let i = 0; i < 100 && !this.exited; i++) await sleep(20);
    if (!this.exited) this.child.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
