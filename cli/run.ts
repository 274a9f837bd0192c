// One `bootvisor run`: load (or assemble) the image, boot it, stream its output, watch the clock and the
// expectations, and when it stops write what was asked for and decide the exit status.
import * as fs from 'fs';
import * as path from 'path';

import type { StopEvent } from '../common/api';
import type { SourceLocation } from '../common/exit-report';
import type { Assembled } from '../common/nasm';
import type { BootvisorMachine } from '../common/machine';
import type { RunOptions } from './args';
import { CliError, ExitStatus, guestExitStatus } from './exit-codes';
import type { EventTally } from '../common/exit-report-builder';
import type { Sources } from './sources';
import type { Ending, Locator } from './stop-message';
import type { Recording } from './recording';
import type { KernelInput } from './kernel-input';
import type { MultibootPlacement } from '../common/multiboot-boot';

export interface RunIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Keys are typed one at a time, this far apart in guest time (or as soon as the guest waits for one), so the
 * guest's 16-key buffer never overflows; `{after}` looks at the screen this often. Guest time, so a run with
 * keys is the same run on every host.
 */
const KEY_INTERVAL_NS = 8_000_000;
/** Expectations look at most at this much of the serial output's tail. */
const SERIAL_WINDOW = 1 << 20;

interface Loaded {
  /** An assembled image, in memory. */
  image?: Uint8Array;
  /** An image file, mapped by the machine rather than read (its first bytes are read for the sources). */
  imagePath?: string;
  assembled?: Assembled;
  /** A multiboot kernel (and its modules) instead of a disk image. */
  kernel?: KernelInput;
  /** Where the kernel went, once loaded. */
  placement?: MultibootPlacement;
}

/** Sources of an image are found by assembling NAME.asm and comparing: this much of the image is enough. */
const SOURCE_COMPARE_BYTES = 16 << 20;

/** The run's host-time budget, which assembly spends from too (`--timeout 3` bounds nasm as well). */
interface Deadline {
  /** Milliseconds left, or undefined without --timeout. */
  left(): number | undefined;
}

/** What the user named is not a readable regular file of sensible size: 66, or 65 when it is too large to boot. */
function inputFailure(e: unknown): CliError | undefined {
  const { InputFileError } = require('../common/input-file') as typeof import('../common/input-file');
  if (!(e instanceof InputFileError)) return undefined;
  return new CliError(e.problem === 'too-large' ? ExitStatus.badImage : ExitStatus.noInput, e.message);
}

async function assembleInput(o: RunOptions, deadline: Deadline, signal: AbortSignal): Promise<Loaded> {
  const nasm = require('../common/nasm') as typeof import('../common/nasm');
  let assembled: Assembled;
  try {
    assembled = await nasm.assembleAsync(o.input, { timeoutMs: deadline.left(), signal });
  } catch (e) {
    if (e instanceof nasm.NasmMissingError) throw new CliError(ExitStatus.nasmMissing, e.message);
    if (e instanceof nasm.AssemblyError) throw new CliError(ExitStatus.assembly, e.message);
    if (e instanceof nasm.AssemblerStoppedError) {
      if (e.reason === 'aborted')
        throw new CliError(ExitStatus.interrupted, `interrupted while nasm assembled ${o.input}; nasm was stopped`);
      if (e.reason === 'timeout')
        throw new CliError(
          ExitStatus.timeout,
          `--timeout ${o.timeout} s ran out while nasm assembled ${o.input}; nasm was stopped`,
        );
      throw new CliError(ExitStatus.assembly, e.message);
    }
    throw inputFailure(e) ?? new CliError(ExitStatus.noInput, (e as Error).message);
  }
  const { checkImage, ImageError } = require('../common/image') as typeof import('../common/image');
  try {
    checkImage(assembled.image, `the image assembled from ${o.input}`, {
      requireSignature: o.requireSignature,
      waiveHint: WAIVE_HINT,
    });
  } catch (e) {
    assembled.remove();
    if (e instanceof ImageError) throw new CliError(ExitStatus.badImage, e.message);
    throw e;
  }
  return { image: assembled.image, assembled };
}

const WAIVE_HINT = 'pass --no-signature-check to boot it anyway';

async function loadInput(o: RunOptions, deadline: Deadline, signal: AbortSignal): Promise<Loaded> {
  if (/\.(asm|s|nasm)$/i.test(o.input)) return assembleInput(o, deadline, signal);
  const kernelInput = require('./kernel-input') as typeof import('./kernel-input');
  if (kernelInput.isKernelFile(o.input)) return { kernel: kernelInput.readKernelInput(o.input, o.modules ?? []) };
  if (/\.elf$/i.test(o.input) && fs.existsSync(o.input) && fs.statSync(o.input).isFile()) {
    throw new CliError(
      ExitStatus.badImage,
      `${o.input} is not an ELF file (it does not start with 7F 45 4C 46 "\\x7fELF"): is it the kernel the linker wrote?`,
    );
  }
  if (o.cmdline !== undefined || o.modules) {
    throw new CliError(
      ExitStatus.usage,
      `${o.cmdline !== undefined ? '--cmdline' : '--module'} is for multiboot kernels; ${o.input} is not one (no ELF, no multiboot header with load addresses)`,
    );
  }
  const { inspectImage, ImageError } = require('../common/image') as typeof import('../common/image');
  try {
    inspectImage(o.input, { requireSignature: o.requireSignature, waiveHint: WAIVE_HINT });
    return { imagePath: o.input };
  } catch (e) {
    if (e instanceof ImageError) throw new CliError(ExitStatus.badImage, e.message);
    throw inputFailure(e) ?? e;
  }
}

/** The whole image, for what needs every byte (a recording's SHA-256): read once, only then. */
function imageBytes(loaded: Loaded): Uint8Array {
  if (loaded.kernel) return loaded.kernel.bytes;
  if (!loaded.image && loaded.imagePath) {
    const { readInputFile } = require('../common/input-file') as typeof import('../common/input-file');
    const { MAX_IMAGE_BYTES } = require('../common/image') as typeof import('../common/image');
    loaded.image = readInputFile(loaded.imagePath, 'a disk image', MAX_IMAGE_BYTES);
  }
  return loaded.image ?? new Uint8Array(0);
}

function imagePrefix(file: string): Uint8Array {
  const { readPrefix } = require('../common/image') as typeof import('../common/image');
  try {
    return readPrefix(file, SOURCE_COMPARE_BYTES);
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * A stream the guest writes to: a file opened now (so a bad path fails before the run), or stdout. A write
 * that fails (a full disk, /dev/full) stops the run through `onFailure` rather than throwing mid-run.
 */
class Sink {
  private fd?: number;
  failure?: string;
  constructor(
    private readonly option: string,
    private readonly target: string,
    private readonly stdout: NodeJS.WritableStream,
    private readonly onFailure: () => void,
  ) {
    if (target !== '-') {
      try {
        this.fd = fs.openSync(target, 'w');
      } catch (e) {
        throw new CliError(ExitStatus.cantCreate, `${option} ${target}: cannot write it (${(e as Error).message})`);
      }
    }
  }
  write(bytes: Uint8Array): void {
    if (this.failure) return;
    if (this.fd === undefined) {
      this.stdout.write(bytes);
      return;
    }
    try {
      fs.writeSync(this.fd, bytes);
    } catch (e) {
      this.failure = `${this.option} ${this.target}: cannot write the guest's output (${(e as Error).message}); the run was stopped`;
      this.onFailure();
    }
  }
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function writeOutput(option: string, file: string, data: string | Uint8Array, io: RunIo): void {
  if (file === '-') {
    io.stdout.write(data);
    return;
  }
  try {
    fs.writeFileSync(file, data);
  } catch (e) {
    throw new CliError(ExitStatus.cantCreate, `${option} ${file}: cannot write it (${(e as Error).message})`);
  }
}

/** Output files named by options must be creatable; say so before the run rather than after it. */
function checkOutputs(o: RunOptions): void {
  const { outputProblem } = require('../common/input-file') as typeof import('../common/input-file');
  const outputs: [string, string | undefined][] = [
    ['--serial', o.serial],
    ['--debugcon', o.debugcon],
    ['--screen', o.screen],
    ['--screenshot', o.screenshot],
    ...(o.screenshotsAt ?? []).map((s): [string, string] => ['--screenshot-at', s.file]),
    ['--report', o.report],
    ['--record', o.record],
  ];
  for (const [option, file] of outputs) {
    if (!file || file === '-') continue;
    const dir = path.dirname(path.resolve(file));
    // The workspace's report folder is made on demand: `--report .bootvisor/last-run.json` feeds the
    // language server from a terminal run.
    if (option === '--report' && path.basename(dir) === '.bootvisor' && !fs.existsSync(dir)) {
      try {
        fs.mkdirSync(dir, { recursive: true });
      } catch (e) {
        throw new CliError(ExitStatus.cantCreate, `${option} ${file}: cannot create ${dir} (${(e as Error).message})`);
      }
    }
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new CliError(ExitStatus.cantCreate, `${option} ${file}: the folder ${dir} does not exist`);
    }
    const problem = outputProblem(file);
    if (problem) throw new CliError(ExitStatus.cantCreate, `${option} ${problem}`);
  }
}

/** --serial-in: the bytes of a regular file, or of standard input to its end; at most MAX_INPUT_FILE_BYTES. */
function readSerialIn(source: string): Uint8Array {
  const { readInputFile, readStdinBounded } = require('../common/input-file') as typeof import('../common/input-file');
  const { MAX_INPUT_FILE_BYTES } = require('../common/limits') as typeof import('../common/limits');
  try {
    return source === '-'
      ? readStdinBounded(MAX_INPUT_FILE_BYTES)
      : readInputFile(source, 'a --serial-in file', MAX_INPUT_FILE_BYTES);
  } catch (e) {
    throw new CliError(ExitStatus.noInput, `--serial-in ${source}: cannot read it (${(e as Error).message})`);
  }
}

function createMachineOrExplain(o: RunOptions, loaded: Loaded): BootvisorMachine {
  let mod: typeof import('../common/machine');
  try {
    if (loaded.kernel) return createKernelMachine(o, loaded, loaded.kernel);
    mod = require('../common/machine') as typeof import('../common/machine');
    return mod.createMachine({
      image: loaded.image,
      imagePath: loaded.image ? undefined : loaded.imagePath,
      memoryMiB: o.memoryMiB,
      backend: o.backend,
      bootDrive: o.bootDrive,
      requireSignature: o.requireSignature,
      clock: o.clock,
      stopOnUnhandledPort: o.stopOnUnhandledPort,
    });
  } catch (e) {
    const message = (e as Error).message;
    const unavailable = o.backend !== 'software' || /addon|backend|kvm|nvmm/i.test(message);
    const hint =
      o.backend === 'kvm' || o.backend === 'nvmm' ? '; --backend auto picks what works here, software always does' : '';
    throw new CliError(unavailable ? ExitStatus.unavailable : ExitStatus.badImage, message + hint);
  }
}

/** Loaded when first needed: most runs report nothing, and start-up counts every module. */
const reportBuilder = (): typeof import('../common/exit-report-builder') => require('../common/exit-report-builder');

function createKernelMachine(o: RunOptions, loaded: Loaded, k: KernelInput): BootvisorMachine {
  const { createMultibootMachine } = require('../common/multiboot-boot') as typeof import('../common/multiboot-boot');
  const { MultibootError } = require('../common/multiboot') as typeof import('../common/multiboot');
  try {
    const { machine, placement } = createMultibootMachine(
      { memoryMiB: o.memoryMiB, backend: o.backend, clock: o.clock, stopOnUnhandledPort: o.stopOnUnhandledPort },
      k.kernel,
      { kernelName: o.input, cmdline: o.cmdline, modules: k.modules },
    );
    loaded.placement = placement;
    return machine;
  } catch (e) {
    if (e instanceof MultibootError) throw new CliError(ExitStatus.badImage, e.message);
    throw e;
  }
}

/** Said before an x86-64 kernel runs on the software vCPU, which has no long mode. */
export const LONG_MODE_NOTE =
  'an x86-64 kernel: its 32-bit entry runs here, but the software vCPU has no long mode (EFER.LME faults, CPUID says no LM): 64-bit code needs the kvm backend (--backend kvm)';

/** The first thing a kernel run says: where it went. */
function kernelLine(input: string, p: MultibootPlacement): string {
  const hex = (n: number): string => '0x' + n.toString(16).toUpperCase();
  const mods = p.modules.length
    ? `, ${p.modules.length} module${p.modules.length > 1 ? 's' : ''} from ${hex(p.modules[0].start)}`
    : '';
  return `loading ${input} as a multiboot${p.version === 2 ? '2' : ''} kernel: ${hex(p.kernelStart)}-${hex(p.kernelEnd)}, entry ${hex(p.entry)}${mods}, information at ${hex(p.infoAddress)}${p.framebuffer ? `, framebuffer ${p.framebuffer}` : ''}`;
}

/**
 * Stops named by an ELF's functions and DWARF lines: the kernel's own, or --symbols'. HLT, OUT and a port
 * nobody serves stop past their instruction: the byte before is inside it.
 */
function elfLocator(o: RunOptions, loaded: Loaded, stop: StopEvent): Locator | undefined {
  if (!loaded.kernel && !o.symbols) return undefined;
  const { ElfDebugInfo } = require('../common/elf-debug-info') as typeof import('../common/elf-debug-info');
  let info: import('../common/elf-debug-info').ElfDebugInfo;
  try {
    // Relative source names (DWARF 4, -fdebug-prefix-map) are the project's, where bootvisor runs.
    info = o.symbols
      ? ElfDebugInfo.fromFile(o.symbols, process.cwd())
      : new ElfDebugInfo(loaded.kernel!.bytes, process.cwd());
  } catch (e) {
    throw new CliError(ExitStatus.noInput, `--symbols ${o.symbols}: ${(e as Error).message}`);
  }
  const after = stop.reason === 'hlt-cli' || stop.reason === 'guest-exit' || stop.reason === 'unhandled-port';
  return (linear) => {
    const place = info.placeOf(after && linear === stop.linear ? linear - 1 : linear);
    if (!place || (!place.file && !place.symbol)) return undefined;
    return { file: place.file ?? o.symbols ?? o.input, line: place.line ?? 0, text: place.symbol };
  };
}

/** One byte of guest memory, or undefined where there is none. */
function peek(m: BootvisorMachine, linear: number): number | undefined {
  try {
    return linear >= 0 ? m.readMemory(linear, 1)[0] : undefined;
  } catch {
    return undefined;
  }
}

/** The first thing a run says: which drive the image boots as, and why (a floppy and a disk boot differently). */
export function bootDriveLine(input: string, m: BootvisorMachine): string {
  const drive = m.bootDrive;
  const kind = drive < 0x80 ? 'a floppy' : 'a hard disk';
  const dl = `DL=${drive.toString(16).toUpperCase().padStart(2, '0')}h`;
  const reason = m.bootDriveReason;
  if (reason === 'asked for') return `booting ${input} as ${kind} (${dl}), as --boot-drive asked`;
  const other = drive < 0x80 ? 'hdd' : 'floppy';
  return `booting ${input} as ${kind} (${dl}): ${reason} (--boot-drive ${other} to change)`;
}

function screenAsText(m: BootvisorMachine): string {
  const t = m.screenText();
  return t.lines.map((l) => l.replace(/\s+$/, '')).join('\n') + '\n';
}

export async function run(o: RunOptions, io: RunIo): Promise<number> {
  const say = (line: string): void => void io.stderr.write(`bootvisor: ${line}\n`);
  checkOutputs(o);
  const started = Date.now();
  const deadline: Deadline = {
    left: () => (o.timeout === undefined ? undefined : Math.max(1, o.timeout * 1000 - (Date.now() - started))),
  };
  // Ctrl-C while nasm runs stops nasm; once the guest runs, it pauses the guest (below).
  const assembly = new AbortController();
  const stopAssembly = (): void => assembly.abort();
  process.once('SIGINT', stopAssembly);
  let loaded: Loaded;
  try {
    loaded = await loadInput(o, deadline, assembly.signal);
  } finally {
    process.removeListener('SIGINT', stopAssembly);
  }
  // Only a replay or a record needs the recording code (and node:crypto, which it loads).
  const rec = (): typeof import('./recording') => require('./recording');
  let replay: Recording | undefined;
  if (o.replay) {
    try {
      replay = rec().readRecording(o.replay, imageBytes(loaded));
    } catch (e) {
      loaded.assembled?.remove();
      throw e;
    }
    // The settings that decide execution come from the recording.
    o = {
      ...o,
      memoryMiB: replay.settings.memoryMiB,
      bootDrive: replay.settings.bootDrive,
      requireSignature: replay.settings.requireSignature,
    };
  }
  const serialIn = o.serialIn !== undefined ? readSerialIn(o.serialIn) : undefined;
  const sinks: Sink[] = [];
  let machine: BootvisorMachine | undefined;
  try {
    const outputFailed = (): void => machine?.pause();
    const serialSink = o.serial ? new Sink('--serial', o.serial, io.stdout, outputFailed) : undefined;
    const debugconSink = o.debugcon ? new Sink('--debugcon', o.debugcon, io.stdout, outputFailed) : undefined;
    if (serialSink) sinks.push(serialSink);
    if (debugconSink) sinks.push(debugconSink);
    const m = createMachineOrExplain(o, loaded);
    machine = m;
    if (!o.quiet) say(loaded.placement ? kernelLine(o.input, loaded.placement) : bootDriveLine(o.input, m));
    if (loaded.placement?.elfClass === 64 && m.backend === 'software') say(LONG_MODE_NOTE);
    // With auto, which backend ran is worth a line (and why the others did not).
    if (o.backend === 'auto' && !o.quiet) say(`backend: ${m.backendNote || m.backend}`);

    // Loaded when the first diagnostic arrives: most runs have none, and start-up counts every module.
    let tally: EventTally | undefined;
    let serialText = '';
    let serialMatched = !o.expectSerial;
    let screenMatched = !o.expectScreen;
    let ending: 'timeout' | 'interrupted' | 'matched' | undefined;
    const allMatched = (): boolean =>
      (o.expectSerial !== undefined || o.expectScreen !== undefined) && serialMatched && screenMatched;
    const finishIfMatched = (): void => {
      if (!ending && allMatched()) {
        ending = 'matched';
        m.pause();
      }
    };
    const checkScreen = (): void => {
      if (screenMatched || !o.expectScreen) return;
      screenMatched = o.expectScreen.test(m.screenText().lines.join('\n'));
      finishIfMatched();
    };

    // Keys go one at a time: when the guest waits for one (idle), or every KEY_INTERVAL_NS of guest time (the
    // machine runs in slices that end there). Waits and triggers hold the script until guest time has passed
    // or the text has appeared. Every decision is taken where the guest stands still (a slice's end, or an idle
    // guest whose time a fast clock freezes), so the keys land at the same instructions on every run.
    const script = o.keys ? (require('./keys') as typeof import('./keys')).parseKeyScript(o.keys) : [];
    let serialSeen = '';
    let waitUntilNs: number | undefined;
    /** The mouse buttons the script holds down. */
    let mouseButtons = 0;
    const typeNext = (idleNow = false): void => {
      while (script.length) {
        const s = script[0];
        if (s.kind === 'wait') {
          waitUntilNs ??= m.virtualTimeNs() + s.ns;
          // A fast clock stands still while the guest waits for a key: that ends the wait too.
          if (!idleNow && m.virtualTimeNs() < waitUntilNs) return;
          waitUntilNs = undefined;
        } else if (s.kind === 'after') {
          if (!serialSeen.includes(s.text) && !m.screenText().lines.join('\n').includes(s.text)) return;
        } else if (s.kind === 'click') {
          // Pressed in this slot, released in the next: two packets, as a person's click makes.
          m.sendMouse(0, 0, mouseButtons | s.button);
          script[0] = { kind: 'mouse', dx: 0, dy: 0 };
          return;
        } else {
          if (s.kind === 'text') m.typeText(s.text);
          else if (s.kind === 'mouse') {
            mouseButtons = s.buttons ?? mouseButtons;
            m.sendMouse(s.dx, s.dy, mouseButtons);
          } else m.sendScanCodes(s.codes);
          script.shift();
          return;
        }
        script.shift();
      }
    };

    m.on('serial', (bytes) => {
      serialSink?.write(bytes);
      if (script.length) serialSeen = (serialSeen + Buffer.from(bytes).toString('latin1')).slice(-SERIAL_WINDOW);
      if (o.expectSerial && !serialMatched) {
        serialText = (serialText + Buffer.from(bytes).toString('latin1')).slice(-SERIAL_WINDOW);
        serialMatched = o.expectSerial.test(serialText);
        finishIfMatched();
      }
    });
    m.on('debugcon', (bytes) => debugconSink?.write(bytes));
    // Idle comes after the output before it was flushed: the latest screen is there to be checked.
    m.on('idle', () => {
      checkScreen();
      if (m.running) typeNext(true);
    });
    m.on('event', (e) => (tally ??= new (reportBuilder().EventTally)()).add(e));
    if (o.expectScreen) m.on('screen', checkScreen);

    const timers: NodeJS.Timeout[] = [];
    const left = deadline.left();
    if (left !== undefined) {
      timers.push(
        setTimeout(() => {
          if (!ending) {
            ending = 'timeout';
            m.pause();
          }
        }, left),
      );
    }
    let shutdownGdb: (() => void) | undefined;
    const onSigint = (): void => {
      if (!ending) {
        ending = 'interrupted';
        m.pause();
        shutdownGdb?.();
      }
    };
    process.once('SIGINT', onSigint);

    if (replay) m.loadInputLog(replay.inputs);
    if (serialIn && serialIn.length) m.sendSerial(serialIn);
    const budget = o.maxInstructions ?? replay?.end.instructions;
    // Screenshots at guest times: the machine stops at each (the first instruction boundary at or past it).
    const shots = [...(o.screenshotsAt ?? [])].sort((a, b) => a.ns - b.ns);
    const takeShots = (): void => {
      while (shots.length && m.virtualTimeNs() >= shots[0].ns) writeScreenshot('--screenshot-at', shots.shift()!.file);
    };
    const running =
      o.gdb !== undefined
        ? underGdb()
        : script.length || shots.length
          ? runSliced()
          : m.run({ maxInstructions: budget });
    async function underGdb(): Promise<StopEvent> {
      const r = await runUnderGdb(
        o,
        o.gdb!,
        m,
        say,
        () => ending !== undefined,
        (stub) => (shutdownGdb = () => stub.shutdown()),
      );
      if (r.interrupted && !ending) ending = 'interrupted';
      return r.stop;
    }
    async function runSliced(): Promise<StopEvent> {
      const first = m.instructionCount();
      for (;;) {
        const now = m.virtualTimeNs();
        const head = script[0];
        let untilNs =
          head?.kind === 'wait'
            ? Math.min((waitUntilNs ??= now + head.ns), now + KEY_INTERVAL_NS)
            : head
              ? now + KEY_INTERVAL_NS
              : undefined;
        if (shots.length) untilNs = Math.min(untilNs ?? Infinity, shots[0].ns);
        const left = budget === undefined ? undefined : budget - (m.instructionCount() - first);
        const s = await m.run({ maxInstructions: left, untilNs });
        if (s.reason !== 'instruction-limit' || untilNs === undefined || ending || m.virtualTimeNs() < untilNs)
          return s;
        takeShots();
        typeNext();
      }
    }
    function writeScreenshot(option: string, file: string): void {
      const { renderFrame } = require('../common/screen-render') as typeof import('../common/screen-render');
      const img = renderFrame(m.screenFrame());
      const { encodePng } = require('../common/png') as typeof import('../common/png');
      writeOutput(option, file, encodePng(img.width, img.height, img.rgba), io);
    }
    let stop: StopEvent;
    try {
      stop = await running;
    } finally {
      for (const t of timers) clearTimeout(t);
      process.removeListener('SIGINT', onSigint);
    }
    const failedSink = sinks.find((k) => k.failure);
    if (failedSink) throw new CliError(ExitStatus.cantCreate, failedSink.failure!);
    // The final screen decides too: a guest may draw its last words and halt within one coalescing period.
    checkScreen();
    if (!ending && allMatched()) ending = 'matched';

    let sources: Sources | undefined;
    const loadSources = (): Sources | undefined => sources;
    let stopSource: number | undefined;
    const stopSourceLinear = (): number =>
      (stopSource ??= reportBuilder().instructionBehindStop(stop, loadSources()?.listing, (linear) => peek(m, linear)));
    const elfPlace = elfLocator(o, loaded, stop);
    const elfSource = (linear: number): SourceLocation | undefined => {
      const p = elfPlace?.(linear);
      return p && p.line > 0 ? { file: p.file, line: p.line } : undefined;
    };
    const locate: Locator = (linear) =>
      elfPlace?.(linear) ?? loadSources()?.locate(linear === stop.linear ? stopSourceLinear() : linear);

    const matchedWhat = [
      o.expectSerial && `--expect-serial ${o.expectSerial}`,
      o.expectScreen && `--expect-screen ${o.expectScreen}`,
    ]
      .filter(Boolean)
      .join(' and ');
    const end: Ending =
      ending === 'matched'
        ? { kind: 'matched', stop, what: matchedWhat }
        : ending === 'timeout' && stop.reason === 'pause'
          ? { kind: 'timeout', stop, seconds: o.timeout ?? 0 }
          : ending === 'interrupted' && stop.reason === 'pause'
            ? { kind: 'interrupted', stop }
            : { kind: 'stop', stop, guestExit: o.guestExit };
    const status = exitStatus(end, o);
    // Source lines cost an assembly of the sibling .asm: only when something will be said or reported.
    if (!o.quiet || status !== ExitStatus.ok || o.report) {
      const src = require('./sources') as typeof import('./sources');
      sources = loaded.kernel
        ? undefined
        : loaded.assembled
          ? src.sourcesOfAssembly(o.input, loaded.assembled)
          : await src.sourcesOfImage(o.input, loaded.image ?? imagePrefix(o.input), siblingAssemblyTimeout(deadline));
    }
    const { describeEnding, describeEvents } = require('./stop-message') as typeof import('./stop-message');
    const lines = !o.quiet || status !== ExitStatus.ok || o.report ? describeEnding(end, locate) : [];
    const expectations = o.expectSerial || o.expectScreen;
    if (!o.quiet || status !== ExitStatus.ok) {
      if (replay && stop.instructions === replay.end.instructions) {
        say(
          `replayed ${replay.inputs.length} inputs to the recorded end (instruction ${stop.instructions}, where the recording stopped: ${replay.end.reason})`,
        );
      }
      for (const line of lines) say(line);
      if (expectations && status === ExitStatus.expectationFailed) {
        if (!serialMatched) say(`--expect-serial ${o.expectSerial} did not match the serial output`);
        if (!screenMatched) say(`--expect-screen ${o.expectScreen} did not match the screen`);
      }
      for (const line of describeEvents(tally?.list() ?? [], locate)) say(line);
    }

    if (o.screen) {
      const t = m.screenText();
      if (t.lines.length === 0)
        say(`the screen is in graphics mode ${t.mode.toString(16)}h: --screen has no text to write (try --screenshot)`);
      writeOutput('--screen', o.screen, t.lines.length ? screenAsText(m) : '', io);
    }
    if (o.screenshot) writeScreenshot('--screenshot', o.screenshot);
    for (const s of shots) {
      say(
        `--screenshot-at ${s.ns / 1e6} ms: the run stopped at ${(m.virtualTimeNs() / 1e6).toFixed(1)} ms of guest time, before it; ${s.file} not written`,
      );
    }
    if (o.report) {
      const report = reportBuilder().buildExitReport({
        image: path.resolve(o.input),
        listingPath: sources?.listingPath,
        sources: sources?.hashes() ?? [],
        locate: (linear) => sources?.locate(linear) ?? elfSource(linear),
        backend: m.backend,
        stop,
        stopSourceLinear: stopSourceLinear(),
        events: tally?.list() ?? [],
        profile: m.exitProfile(),
        csBase: m.getRegisters().cs.base,
      });
      writeOutput('--report', o.report, JSON.stringify(report, null, 2) + '\n', io);
    }
    if (o.record) {
      const { writeRecording, RECORDING_FORMAT, sha256 } = rec();
      writeRecording(o.record, {
        format: RECORDING_FORMAT,
        version: 1,
        image: {
          sha256: sha256(imageBytes(loaded)),
          bytes: imageBytes(loaded).length,
          name: path.basename(o.input),
        },
        settings: {
          clock: o.clock === 'paced' ? 'paced' : 'fast',
          memoryMiB: o.memoryMiB,
          bootDrive: m.bootDrive,
          requireSignature: o.requireSignature,
        },
        end: { reason: stop.reason, instructions: stop.instructions },
        inputs: m.inputLog(),
      });
    }
    return status;
  } finally {
    loaded.assembled?.remove();
    for (const s of sinks) s.close();
    machine?.dispose();
  }
}

/**
 * --gdb: the guest waits for gdb, which drives it; the run's stop is where gdb's session ended it. gdb's
 * detach lets the guest run on to its own end; kill or a closed connection end the run as Ctrl-C does.
 */
async function runUnderGdb(
  o: RunOptions,
  port: number,
  m: BootvisorMachine,
  say: (line: string) => void,
  ending: () => boolean,
  started: (stub: import('../common/gdb-stub').GdbStub) => void,
): Promise<{ stop: StopEvent; interrupted: boolean }> {
  const { GdbStub } = require('../common/gdb-stub') as typeof import('../common/gdb-stub');
  const stub = new GdbStub(m, { port, log: (line) => !o.quiet && say(line), isEnding: () => ending() });
  let bound: number;
  try {
    bound = await stub.listen();
  } catch (e) {
    throw new CliError(ExitStatus.unavailable, (e as Error).message);
  }
  started(stub);
  say(`waiting for gdb on 127.0.0.1:${bound} (gdb: target remote :${bound})`);
  const end = await stub.session();
  const here = (): StopEvent => {
    const r = m.getRegisters();
    return {
      reason: 'pause',
      cs: r.cs.selector,
      eip: r.eip,
      linear: (r.cs.base + r.eip) >>> 0,
      instructions: m.instructionCount(),
    };
  };
  switch (end.kind) {
    case 'stopped':
      return { stop: end.stop, interrupted: false };
    case 'detached':
      if (!o.quiet) say('gdb detached: the guest runs on');
      return { stop: await m.run({ maxInstructions: o.maxInstructions }), interrupted: false };
    default:
      if (!o.quiet) say(end.kind === 'killed' ? 'gdb killed the run' : 'gdb went away: the run ends');
      return { stop: here(), interrupted: true };
  }
}

/** A sibling .asm is assembled after the run for source lines: within what --timeout left, but at least 1 s. */
function siblingAssemblyTimeout(deadline: Deadline): number | undefined {
  const left = deadline.left();
  return left === undefined ? undefined : Math.max(1000, left);
}

export function exitStatus(end: Ending, o: RunOptions): number {
  const expectations = o.expectSerial !== undefined || o.expectScreen !== undefined;
  const crashed =
    end.kind === 'stop' && ['triple-fault', 'exception', 'error', 'unhandled-port'].includes(end.stop.reason);
  switch (end.kind) {
    case 'matched':
      return ExitStatus.ok;
    case 'interrupted':
      return ExitStatus.interrupted;
    case 'timeout':
      return expectations ? ExitStatus.expectationFailed : ExitStatus.timeout;
    case 'stop':
      if (crashed) return ExitStatus.guestCrash;
      if (expectations) return ExitStatus.expectationFailed;
      if (end.stop.reason === 'guest-exit') return guestExitStatus(end.stop.exitCode ?? 1, o.guestExit);
      if (end.stop.reason === 'instruction-limit') return ExitStatus.timeout;
      return ExitStatus.ok;
  }
}
