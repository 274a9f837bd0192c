// The differential harness for the software vCPU: a test program (test/cpu/programs/*.asm, a boot sector
// that prints its results as text to port 0xE9 and ends with a write to port 0xF4) is assembled by nasm and
// run on a reference emulator and on Bootvisor's SoftCpu; the tests compare the two outputs line by line.
//
// The reference is QEMU TCG (qemu-system-i386 -cpu pentium), unless a program's header says
// "; reference: bochs (why)": QEMU TCG skips segment limit and write-permission checks on data accesses and
// leaves the EXT bit out of error codes, so programs about those compare against Bochs (-cpu pentium).
// A header line "; expect: shutdown" marks a program that ends in a triple fault; "; chain: words" lines name
// reasons Bootvisor's fault chain must give.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { assemble as nasmAssemble } from '../../common/nasm';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const programsDir = path.join(repoRoot, 'test', 'cpu', 'programs');
export const QEMU = process.env.BOOTVISOR_QEMU || 'qemu-system-i386';
export const QEMU_CPU = 'pentium';
export const BOCHS_CPU = 'pentium';

export type Reference = 'qemu' | 'bochs';
export type RunEnd = 'exit' | 'shutdown' | 'timeout' | 'error';

export interface Program {
  name: string;
  file: string;
  reference: Reference;
  expectShutdown: boolean;
  /** Words a link of Bootvisor's fault chain must contain ("; chain: ..." header lines). */
  chainReasons: string[];
}

export interface RunResult {
  /** The lines the program printed after its @@BEGIN marker (without @@BEGIN / @@END). */
  lines: string[];
  end: RunEnd;
  /** What went wrong or how it ended, for messages. */
  detail: string;
}

const PROGRAM_PATTERN = /^(pm|paging|exc)-.*\.asm$/;

export function listPrograms(dir = programsDir): Program[] {
  return fs
    .readdirSync(dir)
    .filter((f) => PROGRAM_PATTERN.test(f))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const head = fs.readFileSync(file, 'utf8').split('\n').slice(0, 12);
      const ref = head.map((l) => /^;\s*reference:\s*(\w+)/.exec(l)).find((m) => m);
      const reference = (ref ? ref[1] : 'qemu') as Reference;
      if (reference !== 'qemu' && reference !== 'bochs') throw new Error(`${f}: unknown reference "${reference}"`);
      const chainReasons = head
        .map((l) => /^;\s*chain:\s*(.*\S)/.exec(l))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => m[1]);
      return {
        name: f.replace(/\.asm$/, ''),
        file,
        reference,
        expectShutdown: head.some((l) => /^;\s*expect:\s*shutdown/.test(l)),
        chainReasons,
      };
    });
}

export function toolMissing(cmd: string, args: string[] = ['--version']): string | undefined {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error
    ? `${cmd} is not installed: run scripts/install-test-deps.sh (Debian packages nasm, qemu-system-x86, bochs, bochs-term, vgabios)`
    : undefined;
}

/** Assembles a program; throws with nasm's messages when it does not assemble. */
export function assemble(file: string): Buffer {
  const a = nasmAssemble(file, { includeDirs: [programsDir], extraArgs: ['-w-prefix-lock'] });
  a.remove();
  return Buffer.from(a.image);
}

/** The program's lines from a debug-port transcript (firmware output before @@BEGIN is dropped). */
export function extractLines(text: string): { lines: string[]; ended: boolean } {
  const begin = text.indexOf('@@BEGIN\n');
  const body = begin >= 0 ? text.slice(begin + 8) : '';
  const endAt = body.indexOf('@@END\n');
  const used = endAt >= 0 ? body.slice(0, endAt) : body;
  const lines = used.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { lines, ended: endAt >= 0 };
}

/** A floppy image for the firmware: the program padded to 1.44 MB (SeaBIOS and Bochs's BIOS want a size they know). */
function floppyImage(img: Buffer, dir: string): string {
  const file = path.join(dir, 'floppy.img');
  const buf = Buffer.alloc(1474560);
  img.copy(buf);
  fs.writeFileSync(file, buf);
  return file;
}

function runProcess(
  cmd: string,
  args: string[],
  timeoutMs: number,
  cwd: string,
): Promise<{ code: number | null; timedOut: boolean; stdout: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
    let stdout = '';
    let timedOut = false;
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.resume();
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, timedOut: false, stdout, error: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, stdout });
    });
  });
}

/** QEMU TCG with SeaBIOS booting the program from a floppy; isa-debug-exit ends it (status 1 for `out 0xF4, 0`). */
export async function runQemu(img: Buffer, timeoutMs = 20000): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-qemu-diff-'));
  try {
    const floppy = floppyImage(img, dir);
    const debugcon = path.join(dir, 'debugcon.txt');
    const r = await runProcess(
      QEMU,
      [
        '-accel',
        'tcg',
        '-cpu',
        QEMU_CPU,
        '-display',
        'none',
        '-debugcon',
        `file:${debugcon}`,
        '-device',
        'isa-debug-exit,iobase=0xf4,iosize=0x04',
        '-drive',
        `file=${floppy},format=raw,if=floppy`,
        '-nodefaults',
        '-no-reboot',
      ],
      timeoutMs,
      dir,
    );
    if (r.error) return { lines: [], end: 'error', detail: `${QEMU} could not be started: ${r.error}` };
    const text = fs.existsSync(debugcon) ? fs.readFileSync(debugcon, 'latin1') : '';
    const { lines, ended } = extractLines(text);
    if (r.timedOut) return { lines, end: 'timeout', detail: `QEMU did not finish within ${timeoutMs} ms` };
    // isa-debug-exit exits with (value << 1) | 1; a triple fault with -no-reboot exits with 0.
    if (r.code === 1 && ended) return { lines, end: 'exit', detail: 'out 0xF4' };
    if (r.code === 0) return { lines, end: 'shutdown', detail: 'triple fault (QEMU -no-reboot)' };
    return { lines, end: 'error', detail: `QEMU exited with status ${r.code}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function bochsBinary(): string {
  return spawnSync('bochs-bin', ['--help'], { stdio: 'ignore' }).error ? 'bochs' : 'bochs-bin';
}

export function bochsMissing(): string | undefined {
  if (spawnSync('bochs', ['--help'], { stdio: 'ignore' }).error) return toolMissing('bochs');
  const rom = '/usr/share/bochs/BIOS-bochs-latest';
  const vga = '/usr/share/vgabios/vgabios.bin';
  for (const f of [rom, vga])
    if (!fs.existsSync(f)) return `${f} is missing: run scripts/install-test-deps.sh (Debian bochsbios, vgabios)`;
  if (
    !fs.existsSync('/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so') &&
    !fs.existsSync('/usr/lib/bochs/plugins/libbx_term_gui.so')
  )
    return "Bochs's term display is missing: run scripts/install-test-deps.sh (Debian bochs-term)";
  return undefined;
}

/**
 * Bochs (its own BIOS, the term display, port 0xE9 hack) booting the program from a floppy. Bochs has no
 * isa-debug-exit: the programs' DONE also writes "Shutdown" to port 0x8900, which ends Bochs; a triple fault
 * ends it through a panic (reset_on_triple_fault=0) that the log names.
 */
export async function runBochs(img: Buffer, timeoutMs = 30000, extraConfig = ''): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-bochs-diff-'));
  try {
    const floppy = floppyImage(img, dir);
    const log = path.join(dir, 'bochs.log');
    fs.writeFileSync(
      path.join(dir, 'bochsrc'),
      [
        'megs: 32',
        'romimage: file=/usr/share/bochs/BIOS-bochs-latest',
        'vgaromimage: file=/usr/share/vgabios/vgabios.bin',
        `floppya: 1_44=${floppy}, status=inserted`,
        'boot: floppy',
        'display_library: term',
        'port_e9_hack: enabled=1',
        `log: ${log}`,
        'panic: action=fatal',
        'error: action=ignore',
        'info: action=ignore',
        'debug: action=ignore',
        'speaker: enabled=0',
        `cpu: model=${BOCHS_CPU}, reset_on_triple_fault=0`,
        extraConfig,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'commands'), 'c\n'); // Debian's Bochs has the debugger built in: continue
    const r = await runProcess(bochsBinary(), ['-q', '-f', 'bochsrc', '-rc', 'commands'], timeoutMs, dir);
    if (r.error) return { lines: [], end: 'error', detail: `Bochs could not be started: ${r.error}` };
    const { lines, ended } = extractLines(r.stdout);
    const logText = fs.existsSync(log) ? fs.readFileSync(log, 'latin1') : '';
    if (ended) return { lines, end: 'exit', detail: 'out 0xF4 + shutdown port' };
    if (/exception with no resolution/.test(logText))
      return { lines, end: 'shutdown', detail: 'triple fault (Bochs panic)' };
    if (r.timedOut) return { lines, end: 'timeout', detail: `Bochs did not finish within ${timeoutMs} ms` };
    const panic = /PANIC<< (.*)/.exec(logText);
    return { lines, end: 'error', detail: panic ? `Bochs: ${panic[1]}` : `Bochs exited with status ${r.code}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Bootvisor ----

export interface SoftCpuExit {
  reason: string;
  instructions: number;
  port?: number;
}
export interface FaultLinkJs {
  vector: number;
  name: string;
  errorCode?: number;
  cs: number;
  eip: number;
  reason: string;
}
export interface SoftCpuLike {
  setState(s: Record<string, unknown>): void;
  writeMemory(addr: number, bytes: Uint8Array): void;
  run(max: number): SoftCpuExit;
  takeOutput(port: number): Uint8Array;
  faultChain(): FaultLinkJs[];
  instructionCount(): number;
}
interface Addon {
  SoftCpu: new (memoryBytes: number) => SoftCpuLike;
}

let addonCache: Addon | undefined;
/** The built addon, or a message saying how to build it. */
export function loadAddon(): Addon | string {
  if (addonCache) return addonCache;
  try {
    const a = require('node-gyp-build')(repoRoot) as Partial<Addon>;
    if (typeof a.SoftCpu !== 'function')
      return 'the addon has no SoftCpu class yet: rebuild it with scripts/build-native.sh';
    addonCache = a as Addon;
    return addonCache;
  } catch (e) {
    return `the native addon is not built (${(e as Error).message.split('\n')[0]}): run scripts/build-native.sh`;
  }
}

/** The state real BIOSes leave at 0000:7C00 (flat real mode, boot drive 0 in DL); the program sets the rest. */
export function bootCpu(addon: Addon, img: Buffer, memoryBytes = 32 << 20): SoftCpuLike {
  const cpu = new addon.SoftCpu(memoryBytes);
  cpu.writeMemory(0x7c00, new Uint8Array(img));
  cpu.setState({
    eip: 0x7c00,
    cs: 0,
    ds: 0,
    es: 0,
    ss: 0,
    fs: 0,
    gs: 0,
    esp: 0x7c00,
    edx: 0,
    eflags: 0x202,
    idtr: { base: 0, limit: 0x3ff },
  });
  return cpu;
}

export interface BootvisorResult extends RunResult {
  instructions: number;
  chain: FaultLinkJs[];
}

/** Runs the program on SoftCpu until its write to port 0xF4, a shutdown, or the instruction budget. */
export function runBootvisor(img: Buffer, budget = 200_000_000): BootvisorResult {
  const addon = loadAddon();
  if (typeof addon === 'string') return { lines: [], end: 'error', detail: addon, instructions: 0, chain: [] };
  const cpu = bootCpu(addon, img);
  let end: RunEnd = 'timeout';
  let detail = `no write to port 0xF4 within ${budget} instructions`;
  let left = budget;
  while (left > 0) {
    const e = cpu.run(Math.min(left, 10_000_000));
    left -= e.instructions;
    if (e.reason === 'io' && e.port === 0xf4) {
      end = 'exit';
      detail = 'out 0xF4';
      break;
    }
    if (e.reason === 'shutdown') {
      end = 'shutdown';
      detail = 'triple fault';
      break;
    }
    if (e.reason === 'io' || e.reason === 'none') continue;
    end = 'error';
    detail = `SoftCpu stopped with "${e.reason}"`;
    break;
  }
  const { lines } = extractLines(Buffer.from(cpu.takeOutput(0xe9)).toString('latin1'));
  return {
    lines,
    end,
    detail,
    instructions: cpu.instructionCount(),
    chain: end === 'shutdown' ? cpu.faultChain() : [],
  };
}

/** Undefined when equal; otherwise the first difference with a little context. */
export function diffLines(reference: string[], ours: string[], refName: string): string | undefined {
  const n = Math.max(reference.length, ours.length);
  for (let i = 0; i < n; i++) {
    if (reference[i] === ours[i]) continue;
    const ctx = reference
      .slice(Math.max(0, i - 2), i)
      .map((l) => `    ${l}`)
      .join('\n');
    return `line ${i + 1} differs\n${ctx}\n  ${refName.padEnd(9)}: ${reference[i] ?? '(no more lines)'}\n  bootvisor: ${ours[i] ?? '(no more lines)'}`;
  }
  return undefined;
}
