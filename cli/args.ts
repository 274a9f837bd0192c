// The command line of `bootvisor run`: parsed into RunOptions, or a CliError with status 64 that says which
// option was wrong and how to write it. No I/O here, so every message is testable.
import type { BackendName } from '../common/api';
import { BOOT_DRIVES, MEMORY_MIB } from '../common/limits';
import { CliError, ExitStatus, GuestExitMode } from './exit-codes';
import { parseKeyScript } from './keys';

export interface RunOptions {
  /** IMAGE or FILE.asm */
  input: string;
  backend: BackendName;
  memoryMiB?: number;
  /** A file, or '-' for standard output. */
  serial?: string;
  debugcon?: string;
  /** Seconds of host time; undefined: no limit (10 s when an expectation is given). */
  timeout?: number;
  maxInstructions?: number;
  /** The text to type, escapes already decoded. */
  keys?: string;
  /** Bytes for COM1: a file, or '-' for standard input. */
  serialIn?: string;
  /** Write the run's recording (input log, image hash, settings) here. */
  record?: string;
  /** Replay this recording instead of taking input. */
  replay?: string;
  expectSerial?: RegExp;
  expectScreen?: RegExp;
  screen?: string;
  screenshot?: string;
  /** Screenshots at guest times (--screenshot-at TIME:FILE.png, repeatable), in the order given. */
  screenshotsAt?: { ns: number; file: string }[];
  report?: string;
  bootDrive?: number;
  requireSignature: boolean;
  clock: 'paced' | 'fast' | 'real';
  stopOnUnhandledPort: boolean;
  quiet: boolean;
  /** How a guest's exit through port 0xF4 becomes the exit status (cli/exit-codes.ts). */
  guestExit: GuestExitMode;
  /** A multiboot kernel's command line after its name (--cmdline). */
  cmdline?: string;
  /** Files handed to a multiboot kernel as modules, in order (--module, repeatable). */
  modules?: string[];
  /** Wait for gdb on this TCP port (127.0.0.1) before the guest runs; it drives the run. */
  gdb?: number;
  /** An ELF whose symbols and DWARF lines name the code (a kernel's own are used without it). */
  symbols?: string;
}

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: RunOptions };

/** The timeout that applies when an expectation is given and --timeout is not. */
export const DEFAULT_EXPECT_TIMEOUT = 10;

export const HELP = `Usage: bootvisor run IMAGE|FILE.asm|KERNEL.elf [options]

Boots a boot sector or disk image on a virtual PC, headless, and tells why it stopped.
A .asm file is assembled with nasm first (its listing gives stops a source line).
A Multiboot (v1) 32-bit ELF kernel is loaded as GRUB and QEMU -kernel load it.

Options:
  --backend auto|software|kvm|nvmm  the vCPU (default: software; auto picks the fastest usable)
  --memory MiB                guest RAM, ${MEMORY_MIB.min}-${MEMORY_MIB.max} (default ${MEMORY_MIB.default})
  --serial FILE|-             write COM1 output to FILE, or - for standard output
  --debugcon FILE|-           write port 0xE9 output to FILE, or - for standard output
  --timeout SECONDS           stop after this much host time (default: none; 10 with --expect-*)
  --max-instructions N        stop after N guest instructions
  --keys TEXT                 type TEXT after boot (\\n or a newline is Enter; \\t, \\e, \\\\, \\xNN);
                              {enter} {up} {f1} {esc}...: a named key; {ctrl down} / {ctrl up}: hold, release;
                              {wait 500ms}: guest time; {after "login:"}: until on the screen or serial
  --serial-in FILE|-          COM1 receives the bytes of FILE (or standard input) from the start
  --record FILE.bvrec         save the run's inputs (stamped by instruction count), image hash and settings
  --replay FILE.bvrec         reproduce a recorded run to the instruction (same stop, screen and serial)
  --expect-serial REGEX       succeed as soon as the serial output matches REGEX
  --expect-screen REGEX       succeed as soon as the text screen matches REGEX
  --screen FILE.txt|-         write the final text screen as text
  --screenshot FILE.png       write the final screen as a PNG (text or graphics modes)
  --screenshot-at TIME:FILE.png  the screen at TIME of guest time (500ms, 3s) as a PNG; repeatable
  --report FILE.json          write the run's exit report (why it stopped, faults, VM exits per line)
  --boot-drive floppy|hdd|N   boot drive number (default: from the image size; 0x00 floppy, 0x80 disk)
  --no-signature-check        boot a first sector that does not end in 0x55 0xAA
  --clock fast|paced|real     guest time from the instruction count, idle skipped: as fast as the host can
                              (fast, default) or at a PC's pace (paced); real: host time, not deterministic
                              (virtual = fast)
  --stop-on-unhandled-port    stop at the first access to a port no device serves
  --guest-exit qemu|verbatim  how a guest's write of V to port 0xF4 becomes the exit status (default qemu)
  --cmdline TEXT              a multiboot kernel's command line (after the kernel's name, as GRUB gives it)
  --module FILE               hand FILE to a multiboot kernel as a module (repeat for more, in order)
  --symbols FILE.elf          name stops by this ELF's functions and C lines (a kernel's own are used anyway)
  --gdb PORT                  wait for gdb (target remote :PORT, on 127.0.0.1) before the first instruction
  --quiet                     say nothing unless something went wrong
  -h, --help                  show this help

Nothing is written into your files unless an option names them.
Streams named - go to standard output; everything the runner itself says goes to standard error.

Exit status:
  0    an expectation matched, or the guest halted cleanly (cli; hlt)
  N    the guest wrote V to the isa-debug-exit port 0xF4: N = (V << 1) | 1, as QEMU (odd, 3-255),
       unless N is one of the statuses below or over 255 (V = 0, 32-34, 36, 70, >= 128): then 4;
       with --guest-exit verbatim, N = V (0-255) and only the message tells it from these
  1    an expectation did not match
  2    the guest crashed (triple fault, unhandled exception)
  4    the guest wrote V to port 0xF4 and (V << 1) | 1 is reserved (the message gives V)
  124  --timeout or --max-instructions ran out (without --expect-*)
  130  interrupted (Ctrl-C)
  141  standard output was closed by its reader (as SIGPIPE)
  64   bad command line          65  unusable image (empty, size, signature) or kernel
  66   input file not found      67  nasm reported errors
  68   nasm not installed        69  backend unavailable / native addon missing
  73   cannot write an output file
`;

const BACKENDS: readonly BackendName[] = ['auto', 'software', 'kvm', 'nvmm'];

/** Options that take a value, and what the value is called in messages. */
const VALUE_OPTIONS: Record<string, string> = {
  '--backend': 'auto|software|kvm|nvmm',
  '--memory': 'MiB',
  '--serial': 'FILE|-',
  '--debugcon': 'FILE|-',
  '--timeout': 'SECONDS',
  '--max-instructions': 'N',
  '--keys': 'TEXT',
  '--serial-in': 'FILE|-',
  '--record': 'FILE.bvrec',
  '--replay': 'FILE.bvrec',
  '--expect-serial': 'REGEX',
  '--expect-screen': 'REGEX',
  '--screen': 'FILE.txt|-',
  '--screenshot': 'FILE.png',
  '--screenshot-at': 'TIME:FILE.png',
  '--report': 'FILE.json',
  '--boot-drive': 'floppy|hdd|N',
  '--clock': 'fast|paced|real',
  '--guest-exit': 'qemu|verbatim',
  '--cmdline': 'TEXT',
  '--module': 'FILE',
  '--gdb': 'PORT',
  '--symbols': 'FILE.elf',
};
const FLAG_OPTIONS = new Set(['--no-signature-check', '--stop-on-unhandled-port', '--quiet', '--help', '-h']);

const usage = (message: string): CliError =>
  new CliError(ExitStatus.usage, `${message}\nRun \`bootvisor run --help\` for the options.`);

/** Decodes the escapes --keys understands: \n \r \t \e \\ \xNN. */
export function decodeKeys(text: string): string {
  return text.replace(/\\(x[0-9A-Fa-f]{2}|.)/g, (whole, esc: string) => {
    switch (esc[0]) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'e':
        return '\x1b';
      case '\\':
        return '\\';
      case 'x':
        if (esc.length === 3) return String.fromCharCode(parseInt(esc.slice(1), 16));
        throw usage(`--keys: \\x needs two hex digits, as in \\x1b`);
      default:
        throw usage(`--keys: unknown escape ${whole}; use \\n \\r \\t \\e \\\\ or \\xNN`);
    }
  });
}

function parseNumber(option: string, value: string, what: string, min: number, max: number, integer: boolean): number {
  const n = /^0x[0-9a-f]+$/i.test(value) ? parseInt(value, 16) : Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw usage(`${option} ${JSON.stringify(value)}: expected ${what} from ${min} to ${max}`);
  }
  return n;
}

/** `500ms:a.png`, `3s:b.png`, `1.5s:c.png`: a guest time (as --keys' waits) and a PNG file. */
function parseScreenshotAt(value: string): { ns: number; file: string } {
  const m = /^(\d+(?:\.\d+)?)(ms|s):(.+)$/.exec(value);
  if (!m)
    throw usage(
      `--screenshot-at ${JSON.stringify(value)}: write it as TIME:FILE.png, the time in guest ms or s (500ms:boot.png, 3s:game.png)`,
    );
  const ns = Math.round(Number(m[1]) * (m[2] === 's' ? 1e9 : 1e6));
  if (!Number.isSafeInteger(ns)) throw usage(`--screenshot-at ${JSON.stringify(value)}: the time is too large`);
  if (m[3] === '-') throw usage('--screenshot-at needs a file name: binary output does not go to the terminal');
  return { ns, file: m[3] };
}

function parseRegex(option: string, value: string): RegExp {
  try {
    return new RegExp(value, 'm');
  } catch (e) {
    throw usage(`${option} ${JSON.stringify(value)} is not a valid regular expression: ${(e as Error).message}`);
  }
}

function parseBootDrive(value: string): number {
  const v = value.toLowerCase();
  if (v === 'floppy' || v === 'fd' || v === 'a') return 0x00;
  if (v === 'hdd' || v === 'hd' || v === 'disk' || v === 'c') return 0x80;
  const n = parseNumber('--boot-drive', value, 'floppy, hdd or a drive number', 0, 0xff, true);
  if (!(BOOT_DRIVES as readonly number[]).includes(n)) {
    const hex = (d: number): string => '0x' + d.toString(16).padStart(2, '0');
    throw usage(
      `--boot-drive ${JSON.stringify(value)}: Bootvisor boots from ${BOOT_DRIVES.map(hex).join(' (floppy) or ')} (hard disk); say floppy or hdd`,
    );
  }
  return n;
}

/** Parses the arguments after `bootvisor` (e.g. ['run', 'hello.img', '--serial', '-']). */
export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) throw usage('missing command: bootvisor run IMAGE|FILE.asm [options]');
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') return { kind: 'help' };
  if (command === '--version' || command === '-V') return { kind: 'version' };
  if (command !== 'run') {
    throw usage(`unknown command ${JSON.stringify(command)}: the command is \`bootvisor run IMAGE|FILE.asm\``);
  }

  const o: RunOptions = {
    input: '',
    backend: 'software',
    requireSignature: true,
    clock: 'fast',
    stopOnUnhandledPort: false,
    quiet: false,
    guestExit: 'qemu',
  };
  const seen = new Set<string>();
  let input: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    let arg = rest[i];
    let value: string | undefined;
    if (arg === '--') {
      for (const extra of rest.slice(i + 1)) {
        if (input !== undefined)
          throw usage(`one image at a time: got ${JSON.stringify(input)} and ${JSON.stringify(extra)}`);
        input = extra;
      }
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (input !== undefined)
        throw usage(`one image at a time: got ${JSON.stringify(input)} and ${JSON.stringify(arg)}`);
      input = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (FLAG_OPTIONS.has(arg)) {
      if (value !== undefined) throw usage(`${arg} takes no value`);
      if (arg === '--help' || arg === '-h') return { kind: 'help' };
      if (arg === '--no-signature-check') o.requireSignature = false;
      if (arg === '--stop-on-unhandled-port') o.stopOnUnhandledPort = true;
      if (arg === '--quiet') o.quiet = true;
      continue;
    }
    const what = VALUE_OPTIONS[arg];
    if (what === undefined) {
      const near = Object.keys(VALUE_OPTIONS)
        .concat([...FLAG_OPTIONS])
        .find((k) => k.startsWith(arg) || arg.startsWith(k));
      throw usage(`unknown option ${arg}${near ? ` (did you mean ${near}?)` : ''}`);
    }
    if (value === undefined) {
      if (i + 1 >= rest.length) throw usage(`${arg} needs a value: ${arg} ${what}`);
      value = rest[++i];
    }
    if (arg === '--screenshot-at') {
      (o.screenshotsAt ??= []).push(parseScreenshotAt(value));
      continue;
    }
    if (arg === '--module') {
      if (value === '' || value === '-') throw usage('--module needs a file name');
      (o.modules ??= []).push(value);
      continue;
    }
    if (seen.has(arg)) throw usage(`${arg} was given twice`);
    seen.add(arg);
    switch (arg) {
      case '--backend':
        if (!(BACKENDS as readonly string[]).includes(value)) {
          throw usage(`--backend ${JSON.stringify(value)}: expected one of ${BACKENDS.join(', ')}`);
        }
        o.backend = value as BackendName;
        break;
      case '--memory':
        o.memoryMiB = parseNumber(arg, value, 'a whole number of MiB', MEMORY_MIB.min, MEMORY_MIB.max, true);
        break;
      case '--serial':
      case '--debugcon':
      case '--screen':
      case '--screenshot':
      case '--report':
        if (value === '') throw usage(`${arg} needs a file name (or - for standard output)`);
        if ((arg === '--screenshot' || arg === '--report') && value === '-') {
          throw usage(`${arg} needs a file name: binary or JSON output does not go to the terminal`);
        }
        o[
          arg === '--serial'
            ? 'serial'
            : arg === '--debugcon'
              ? 'debugcon'
              : arg === '--screen'
                ? 'screen'
                : arg === '--screenshot'
                  ? 'screenshot'
                  : 'report'
        ] = value;
        break;
      case '--timeout':
        o.timeout = parseNumber(arg, value, 'seconds', 0.001, 86400, false);
        break;
      case '--max-instructions':
        o.maxInstructions = parseNumber(arg, value, 'a whole number', 1, Number.MAX_SAFE_INTEGER, true);
        break;
      case '--keys':
        o.keys = decodeKeys(value);
        parseKeyScript(o.keys); // refused now, not after the boot
        break;
      case '--serial-in':
      case '--record':
      case '--replay':
        if (value === '') throw usage(`${arg} needs a file name`);
        if (arg !== '--serial-in' && value === '-') throw usage(`${arg} needs a file name`);
        o[arg === '--serial-in' ? 'serialIn' : arg === '--record' ? 'record' : 'replay'] = value;
        break;
      case '--expect-serial':
        o.expectSerial = parseRegex(arg, value);
        break;
      case '--expect-screen':
        o.expectScreen = parseRegex(arg, value);
        break;
      case '--boot-drive':
        o.bootDrive = parseBootDrive(value);
        break;
      case '--clock':
        if (value === 'virtual') value = 'fast';
        if (value !== 'fast' && value !== 'paced' && value !== 'real') {
          throw usage(`--clock ${JSON.stringify(value)}: expected fast, paced or real`);
        }
        o.clock = value;
        break;
      case '--cmdline':
        o.cmdline = value;
        break;
      case '--symbols':
        if (value === '' || value === '-') throw usage('--symbols needs an ELF file');
        o.symbols = value;
        break;
      case '--gdb':
        o.gdb = parseNumber(arg, value, 'a TCP port', 0, 65535, true);
        break;
      case '--guest-exit':
        if (value !== 'qemu' && value !== 'verbatim')
          throw usage(`--guest-exit ${JSON.stringify(value)}: expected qemu or verbatim`);
        o.guestExit = value;
        break;
    }
  }
  if (input === undefined) throw usage('missing IMAGE or FILE.asm: bootvisor run IMAGE|FILE.asm [options]');
  o.input = input;
  const stdoutUsers = (['serial', 'debugcon', 'screen'] as const).filter((k) => o[k] === '-');
  if (stdoutUsers.length > 1) {
    throw usage(
      `only one stream can go to standard output; ${stdoutUsers.map((k) => `--${k}`).join(' and ')} both say -`,
    );
  }
  if (o.replay && (o.keys !== undefined || o.serialIn !== undefined)) {
    throw usage('--replay takes its input from the recording: leave out --keys and --serial-in');
  }
  if ((o.replay || o.record) && o.clock === 'real') {
    throw usage(`${o.replay ? '--replay' : '--record'} needs a deterministic clock: --clock fast or paced`);
  }
  if (o.timeout === undefined && (o.expectSerial || o.expectScreen)) o.timeout = DEFAULT_EXPECT_TIMEOUT;
  return { kind: 'run', options: o };
}
