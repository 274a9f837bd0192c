// The DAP session: one method per request, each translating between the protocol and the Runtime. Every
// request is answered, and any error becomes an error response with a message for the user: the adapter
// never dies of a bad request.
import { nowMs } from '../common/key-trace';
import * as fs from 'fs';
import * as path from 'path';
import {
  Event,
  InitializedEvent,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  ExitedEvent,
  Thread,
  Logger,
  logger,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Machine } from '../common/api';
import { QuietLoggingSession } from './quiet-logging';
import {
  KEYS_REQUEST,
  MOUSE_REQUEST,
  KeysRequestArgs,
  MouseRequestArgs,
  RESET_REQUEST,
  SCREEN_CHANGED_EVENT,
  SCREEN_FRAME_EVENT,
  type ScreenFrameEventBody,
  SCREEN_FRAME_REQUEST,
  SCREEN_REQUEST,
  ScreenFrameArgs,
  ScreenRequestArgs,
  ScreenResponseBody,
  SERIAL_EVENT,
  SERIAL_INPUT_REQUEST,
  SerialInputArgs,
  STATUS_EVENT,
  type StatusEventBody,
} from '../common/dap-protocol';
import { ExpressionError } from '../common/expression';
import { encodeFrame } from '../common/screen-wire';
import { createMachine, type ExitCount, type MachineExtras } from '../common/machine';
import { createMultibootMachine } from '../common/multiboot-boot';
import { GdbStub } from '../common/gdb-stub';
import { ElfDebugInfo } from '../common/elf-debug-info';
import { outputProblem, readInputFile } from '../common/input-file';
import { MAX_IMAGE_BYTES } from '../common/image';
import { parseRecording, type Recording } from '../common/recording';
import { EventTally, instructionBehindStop } from '../common/exit-report-builder';
import {
  MAX_DISASSEMBLE_INSTRUCTIONS,
  MAX_DISASSEMBLE_OFFSET,
  MAX_INPUT_FILE_BYTES,
  MAX_MEMORY_REQUEST_BYTES,
  MAX_SOURCE_LINES_PER_REQUEST,
} from '../common/limits';
import { AssemblyError } from '../common/nasm';
import { disassembleRequest } from './disassembly';
import { exceptionFilters, settingsFromFilters } from './exception-filters';
import { SYSTEM_EVENTS_FILTER } from './system-events';
import { assemblyFailure } from './launch-failure';
import { consoleCommand } from './console-commands';
import { DataWatches, registerWatchRefusal } from './data-watches';
import { LaunchArguments, LaunchConfig, validateLaunch } from './launch-config';
import { memoryReference, parseMemoryReference, readWhatIsReadable } from './memory';
import { loadProgram, LoadedProgram, ProgramError } from './program';
import { writeReport } from './report';
import { GuestEnd, hexAddr, Runtime } from './runtime';
import { asmRegisterScopes } from './asm-frame-registers';
import { callStack, type Frame } from './stack';
import { PreparedReads, readKey } from './prepared-reads';
import { CSupport } from './c-session';
import { stepByLine } from './c-stepping';

const THREAD_ID = 1;

/** After the session has ended (terminated event), the client disconnects; if it never does, the adapter goes anyway. */
const EXIT_AFTER_END_MS = 5000;
/** Requests that run or stop the guest: gdb's while it is attached (launch attribute gdbPort). */
const GDB_DRIVES = new Set([
  'continue',
  'next',
  'stepIn',
  'stepOut',
  'stepBack',
  'reverseContinue',
  'pause',
  'goto',
  'restart',
]);

/** Error ids (the DAP `id` of error responses), so clients and tests can tell failures apart. */
export const ERR = {
  launch: 1001,
  assembly: 1002,
  notLaunched: 1003,
  variables: 1004,
  memory: 1005,
  evaluate: 1006,
  running: 1007,
  request: 1099,
} as const;

/** The arguments a request cannot do without, and their JSON types: checked before any handler runs. */
const REQUIRED: Record<string, [string, 'string' | 'number' | 'object' | 'array'][]> = {
  setBreakpoints: [['source', 'object']],
  setFunctionBreakpoints: [['breakpoints', 'array']],
  setInstructionBreakpoints: [['breakpoints', 'array']],
  setDataBreakpoints: [['breakpoints', 'array']],
  dataBreakpointInfo: [['name', 'string']],
  variables: [['variablesReference', 'number']],
  setVariable: [
    ['variablesReference', 'number'],
    ['name', 'string'],
    ['value', 'string'],
  ],
  evaluate: [['expression', 'string']],
  readMemory: [
    ['memoryReference', 'string'],
    ['count', 'number'],
  ],
  writeMemory: [
    ['memoryReference', 'string'],
    ['data', 'string'],
  ],
  disassemble: [
    ['memoryReference', 'string'],
    ['instructionCount', 'number'],
  ],
  stackTrace: [['threadId', 'number']],
};

function checkArguments(request: DebugProtocol.Request): void {
  const need = REQUIRED[request.command];
  if (!need) return;
  const args = (request.arguments ?? {}) as Record<string, unknown>;
  for (const [name, type] of need) {
    const v = args[name];
    const ok =
      type === 'array'
        ? Array.isArray(v)
        : type === 'object'
          ? typeof v === 'object' && v !== null
          : typeof v === type && (type !== 'number' || Number.isFinite(v));
    if (!ok)
      throw new RequestError(
        ERR.request,
        `"${request.command}" needs the argument "${name}" (${type === 'array' ? 'an array' : type === 'object' ? 'an object' : `a ${type}`}); got ${v === undefined ? 'nothing' : JSON.stringify(v)}.`,
      );
  }
}

const COMPLETION_REGISTERS = [
  'eax',
  'ebx',
  'ecx',
  'edx',
  'esi',
  'edi',
  'ebp',
  'esp',
  'eip',
  'eflags',
  'ax',
  'bx',
  'cx',
  'dx',
  'si',
  'di',
  'bp',
  'sp',
  'ip',
  'al',
  'ah',
  'bl',
  'bh',
  'cl',
  'ch',
  'dl',
  'dh',
  'cs',
  'ds',
  'es',
  'fs',
  'gs',
  'ss',
  'cr0',
  'cr2',
  'cr3',
  'cr4',
  'cf',
  'pf',
  'af',
  'zf',
  'sf',
  'tf',
  'if',
  'df',
  'of',
];

class RequestError extends Error {
  constructor(
    readonly id: number,
    message: string,
  ) {
    super(message);
  }
}

/** The `replay` launch attribute's recording, checked against the program about to boot. */
function readReplay(file: string, program: LoadedProgram): Recording {
  let text: string;
  let image: Uint8Array;
  try {
    text = readInputFile(file, 'a recording', MAX_INPUT_FILE_BYTES).toString('utf8');
    image = program.image ?? readInputFile(program.imagePath, 'a disk image', MAX_IMAGE_BYTES);
  } catch (e) {
    throw new ProgramError(`"replay" ${file}: cannot read it (${(e as Error).message})`);
  }
  try {
    return parseRecording(text, image);
  } catch (e) {
    throw new ProgramError(`"replay" ${file}: ${(e as Error).message}`);
  }
}

export class BootvisorSession extends QuietLoggingSession {
  private runtime?: Runtime;
  private config?: LaunchConfig;
  private program?: LoadedProgram;
  /** The gdb stub driving the guest (launch attribute gdbPort), while gdb is attached or awaited. */
  private gdb?: { port: number; stub: GdbStub };
  /** C debugging through gdb, when the program (or `symbols`) is an ELF with DWARF. */
  private c?: CSupport;
  private configurationDone?: () => void;
  private readonly configured = new Promise<void>((resolve) => (this.configurationDone = resolve));
  private serialFile?: number;
  private reported = false;
  private backend = 'not started';
  private clientSupports = { invalidated: false, memory: false, progress: false };
  /** Stops a launch still assembling (disconnect, terminate, the client gone). */
  private readonly launching = new AbortController();
  private noDebug = false;
  private sessionName = 'Bootvisor debug session';
  private readonly prepared = new PreparedReads((mark) => this.runtime?.variables.rollback(mark));

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- the boundary: every request goes through here ----

  protected dispatchRequest(request: DebugProtocol.Request): void {
    try {
      this.prepared.arrived(request.command, request.arguments as Record<string, unknown> | undefined);
      checkArguments(request);
      if (this.gdb && GDB_DRIVES.has(request.command)) {
        throw new RequestError(
          ERR.request,
          `gdb is attached (port ${this.gdb.port}) and drives the guest: continue, step and pause in gdb, or detach there to hand it back.`,
        );
      }
      super.dispatchRequest(request);
    } catch (e) {
      this.failRequest(request, e);
    }
  }

  private failRequest(request: DebugProtocol.Request, e: unknown): void {
    const response: DebugProtocol.Response = {
      type: 'response',
      seq: 0,
      request_seq: request.seq,
      command: request.command,
      success: false,
    };
    const id = e instanceof RequestError ? e.id : e instanceof ExpressionError ? ERR.evaluate : ERR.request;
    const message = e instanceof Error ? e.message : String(e);
    if (!(e instanceof RequestError) && !(e instanceof ExpressionError))
      logger.error(`${request.command}: ${e instanceof Error ? e.stack : message}`);
    this.sendErrorResponse(response, {
      id,
      format: message.replace(/[{}]/g, (c) => (c === '{' ? '(' : ')')),
      showUser: request.command === 'launch',
    });
  }

  /** Runs a request's body; a throw or a rejected promise becomes the error response to that request. */
  private handle(response: DebugProtocol.Response, body: () => void | Promise<void>): void {
    const fail = (e: unknown) =>
      this.failRequest(
        {
          type: 'request',
          seq: response.request_seq,
          command: response.command,
          arguments: undefined,
        } as DebugProtocol.Request,
        e,
      );
    try {
      const r = body();
      if (r instanceof Promise) r.catch(fail);
    } catch (e) {
      fail(e);
    }
  }

  private rt(): Runtime {
    if (!this.runtime) throw new RequestError(ERR.notLaunched, 'No guest is running: launch a program first.');
    return this.runtime;
  }

  private stopped(): Runtime {
    const rt = this.rt();
    if (rt.isRunning) throw new RequestError(ERR.running, 'The guest is running; pause it first.');
    if (rt.hasEnded) throw new RequestError(ERR.running, 'The guest has ended; restart the session to run it again.');
    return rt;
  }

  private machine(): Machine {
    return this.rt().currentMachine;
  }

  // ---- lifecycle ----

  protected initializeRequest(
    response: DebugProtocol.InitializeResponse,
    args: DebugProtocol.InitializeRequestArguments,
  ): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsStepBack: true,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsEvaluateForHovers: true,
      supportsExceptionInfoRequest: true,
      supportsTerminateRequest: true,
      supportsBreakpointLocationsRequest: true,
      supportsLoadedSourcesRequest: true,
      supportsGotoTargetsRequest: true,
      supportsCompletionsRequest: true,
      exceptionBreakpointFilters: exceptionFilters(),
    };
    this.clientSupports = {
      invalidated: args.supportsInvalidatedEvent === true,
      memory: args.supportsMemoryEvent === true,
      progress: args.supportsProgressReporting === true,
    };
    this.sendResponse(response);
  }

  protected async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    // `trace`: every DAP message after this one, in the Debug Console (true) or a file (a path).
    const trace = (args as { trace?: unknown }).trace;
    this.tracing = trace === true || typeof trace === 'string';
    logger.setup(
      trace === true || typeof trace === 'string' ? Logger.LogLevel.Verbose : Logger.LogLevel.Stop,
      typeof trace === 'string' && trace ? trace : false,
    );
    if (this.runtime) {
      this.sendErrorResponse(response, {
        id: ERR.launch,
        format: 'This session already runs a guest; start another debug session for another program.',
        showUser: true,
      });
      return;
    }
    this.noDebug = args.noDebug === true;
    // VS Code passes the configuration's name: the run's Problems entries are labelled with it.
    const name = (args as { name?: unknown }).name;
    this.sessionName = typeof name === 'string' && name.trim() ? name.trim().slice(0, 80) : 'Bootvisor debug session';
    let serial: number | undefined;
    try {
      this.config = validateLaunch(args);
      serial = this.openSerial(this.config);
      this.program = await this.assembleWithProgress(this.config);
      for (const w of this.program.warnings) this.sendEvent(new OutputEvent(`${w}\n`, 'console'));
      const program = this.program;
      const recording = this.config.replay ? readReplay(this.config.replay, program) : undefined;
      // The settings that decide execution come from the recording, as under `bootvisor run --replay`.
      const config = recording
        ? {
            ...this.config,
            memoryMiB: recording.settings.memoryMiB ?? this.config.memoryMiB,
            bootDrive: recording.settings.bootDrive ?? this.config.bootDrive,
          }
        : this.config;
      const kernel = program.kernel;
      const create = kernel
        ? () =>
            createMultibootMachine(
              { memoryMiB: config.memoryMiB, backend: config.backend, clock: config.clock },
              kernel.kernel,
              {
                kernelName: path.relative(config.cwd, config.program) || config.program,
                cmdline: kernel.cmdline,
                modules: kernel.modules,
              },
            ).machine
        : () =>
            createMachine({
              image: program.image,
              imagePath: program.image ? undefined : program.imagePath,
              memoryMiB: config.memoryMiB,
              backend: config.backend,
              bootDrive: config.bootDrive,
              clock: config.clock,
              requireSignature: true,
            });
      const machine = create();
      this.sendEvent(
        new OutputEvent(
          `Bootvisor: ${path.basename(config.program)} on the ${machine.backend} backend (${machine.backendNote})\n`,
          'console',
        ),
      );
      if (recording) {
        machine.loadInputLog(recording.inputs);
        this.sendEvent(
          new OutputEvent(
            `Bootvisor: replaying ${recording.inputs.length} recorded inputs from ${path.basename(config.replay!)} (the recorded run stopped at instruction ${recording.end.instructions}: ${recording.end.reason}); inputs typed now start a new timeline\n`,
            'console',
          ),
        );
      }
      this.backend = machine.backend;
      this.runtime = new Runtime(
        machine,
        program.listing,
        create,
        kernel && program.image
          ? new ElfDebugInfo(program.image, config.cwd)
          : config.symbols
            ? ElfDebugInfo.fromFile(config.symbols, config.cwd)
            : undefined,
      );
      this.wire(this.runtime);
      this.c = CSupport.create(kernel ? config.program : config.symbols, config.cwd, this.runtime, (t) =>
        this.sendEvent(new OutputEvent(t, 'console')),
      );
      if (this.noDebug) this.runtime.setExceptionSettings({ stopOnTripleFault: false, stopOnHang: false, vectors: [] });
      this.serialFile = serial;
    } catch (e) {
      this.program?.dispose();
      this.program = undefined;
      this.runtime?.dispose();
      this.runtime = undefined;
      if (this.serialFile === undefined) this.closeSerial(serial);
      if (e instanceof AssemblyError) {
        const failure = assemblyFailure(e, ERR.assembly, (l) => this.convertDebuggerLineToClient(l));
        for (const o of failure.output) this.sendEvent(o);
        this.sendErrorResponse(response, failure.message);
        return;
      }
      const message = e instanceof Error ? e.message : String(e);
      this.sendErrorResponse(response, { id: ERR.launch, format: message.replace(/[{}]/g, ''), showUser: true });
      return;
    }
    // Breakpoints come now, while the guest waits at its first instruction.
    this.sendEvent(new InitializedEvent());
    await Promise.race([this.configured, new Promise((r) => setTimeout(r, 5000))]);
    this.sendResponse(response);
    if (this.config.gdbPort !== undefined && !this.noDebug) {
      void this.underGdb(this.config.gdbPort);
      return;
    }
    // The backend is known now: a guest that halts before the first speed report still names it.
    this.sendEvent(
      new Event(STATUS_EVENT, {
        backend: this.runtime.currentMachine.backend,
        clock: this.config.clock,
        running: true,
        instructionsPerSecond: 0,
      } satisfies StatusEventBody),
    );
    this.runtime.start(this.config.stopOnEntry && !this.noDebug);
  }

  /** `gdbPort`: the guest waits for gdb, which drives it until it detaches (then VS Code does) or it ends. */
  private async underGdb(port: number): Promise<void> {
    const rt = this.rt();
    const stub = new GdbStub(rt.currentMachine, {
      port,
      log: (line) => this.sendEvent(new OutputEvent(`Bootvisor: ${line}\n`, 'console')),
      onStop: () => this.sendEvent(new StoppedEvent('pause', THREAD_ID, 'stopped by gdb')),
    });
    let bound: number;
    try {
      bound = await stub.listen();
    } catch (e) {
      this.sendEvent(
        new OutputEvent(`Bootvisor: ${(e as Error).message}; VS Code drives the guest instead.\n`, 'stderr'),
      );
      rt.start(true);
      return;
    }
    this.gdb = { port: bound, stub };
    this.sendEvent(
      new OutputEvent(
        `Bootvisor: waiting for gdb on 127.0.0.1:${bound} (gdb: target remote :${bound}); it drives the guest, VS Code shows its screen and COM1.\n`,
        'console',
      ),
    );
    const end = await stub.session();
    this.gdb = undefined;
    if (end.kind === 'stopped') {
      const stop = end.stop;
      this.guestEnded({
        stop,
        exitCode: stop.exitCode,
        message:
          stop.reason === 'guest-exit'
            ? `The guest exited with status ${stop.exitCode ?? 0} (port 0xF4).`
            : `The run ended under gdb (${stop.reason}).`,
      });
    } else if (end.kind === 'detached') {
      this.sendEvent(new OutputEvent('Bootvisor: gdb detached; the guest runs on under VS Code.\n', 'console'));
      rt.continue();
    } else {
      this.sendEvent(
        new OutputEvent(
          `Bootvisor: gdb ${end.kind === 'killed' ? 'killed the run' : 'went away'}; VS Code drives the guest again.\n`,
          'console',
        ),
      );
      this.sendEvent(new StoppedEvent('pause', THREAD_ID, 'gdb left'));
    }
  }

  protected attachRequest(response: DebugProtocol.AttachResponse): void {
    this.sendErrorResponse(response, {
      id: ERR.launch,
      format: 'Bootvisor starts its own virtual machine: use a "launch" configuration, not "attach".',
      showUser: true,
    });
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configurationDone?.();
    this.sendResponse(response);
  }

  private wire(rt: Runtime): void {
    rt.on('stopped', (s) => {
      this.prepared.drop();
      this.c?.stopped();
      const e = new StoppedEvent(s.reason, THREAD_ID, s.text) as DebugProtocol.StoppedEvent;
      e.body.description = s.description;
      if (s.hitBreakpointIds?.length) e.body.hitBreakpointIds = s.hitBreakpointIds;
      e.body.allThreadsStopped = true;
      this.sendEvent(e);
    });
    rt.on('output', (text, category) => this.sendEvent(new OutputEvent(text, category)));
    rt.on('serial', (bytes) => {
      this.sendEvent(new Event(SERIAL_EVENT, { data: Buffer.from(bytes).toString('base64') }));
      const serial = this.config?.serial;
      if (serial === 'debugConsole') this.sendEvent(new OutputEvent(Buffer.from(bytes).toString('latin1'), 'stdout'));
      else this.writeSerialFile(bytes);
    });
    rt.on('debugcon', (bytes) => this.sendEvent(new OutputEvent(Buffer.from(bytes).toString('latin1'), 'stdout')));
    rt.on('screen', () => {
      this.sendEvent(new Event(SCREEN_CHANGED_EVENT));
      this.pushFrame();
    });
    const backend = rt.currentMachine.backend;
    const clock = this.config?.clock;
    rt.on('status', (s) => this.sendEvent(new Event(STATUS_EVENT, { backend, clock, ...s })));
    rt.on('ended', (end) => this.guestEnded(end));
  }

  /** The generation of the last frame the client was sent: pushed frames carry only what changed since. */
  private sentGeneration: number | undefined;

  /** The client asked for pushed frames (ScreenFrameArgs.push). */
  private pushFrames = false;

  /** When the last keys request came, until a pushed frame carries it (the key-to-screen chain's trace). */
  private keysAt: number | undefined;

  private pushFrame(): void {
    const m = this.runtime?.currentMachine;
    if (!m || !this.pushFrames) return;
    const screenAt = nowMs();
    const base = this.sentGeneration;
    let frame;
    try {
      frame = m.screenFrame(base);
    } catch {
      return; // the machine is going away: the session's end says the rest
    }
    if (frame.generation === base) return;
    this.sentGeneration = frame.generation;
    const body: ScreenFrameEventBody = {
      ...encodeFrame(frame, frame.kind === 'text' ? m.screenText().lines : undefined),
      baseGeneration: base,
    };
    if (this.keysAt !== undefined) body.trace = { keysAt: this.keysAt, screenAt, sentAt: nowMs() };
    this.keysAt = undefined;
    this.sendEvent(new Event(SCREEN_FRAME_EVENT, body));
  }

  private guestEnded(end: GuestEnd): void {
    this.sendEvent(new OutputEvent(`${end.message}\n`, end.exitCode !== undefined ? 'console' : 'stderr'));
    this.writeExitReport();
    this.sendEvent(new ExitedEvent(end.exitCode ?? (end.stop.reason === 'guest-exit' ? 0 : 1)));
    this.sessionEnded();
  }

  /** The terminated event; the adapter never outlives its session, even if no disconnect follows. */
  private sessionEnded(): void {
    this.sendEvent(new TerminatedEvent());
    setTimeout(() => this.shutdown(), EXIT_AFTER_END_MS).unref();
  }

  private writeExitReport(): void {
    if (this.reported || !this.runtime || !this.config || !this.program) return;
    this.reported = true;
    try {
      const listing = this.program.listing;
      const rt = this.runtime;
      const file = writeReport(this.config.cwd, {
        image: this.config.program,
        listingPath: this.config.listing,
        sources: this.program.sources,
        locate: (linear) => listing?.locate(linear) ?? rt.elf?.sourceAt(linear),
        backend: this.backend,
        origin: this.sessionName,
        stop: rt.lastStop,
        stopSourceLinear: instructionBehindStop(rt.lastStop, listing, (linear) => {
          try {
            return rt.currentMachine.readMemory(linear, 1)[0];
          } catch {
            return undefined; // no memory there: the stop keeps the CPU's address
          }
        }),
        events: EventTally.of(rt.runEvents).list(),
        ...this.exitProfile(),
      });
      logger.log(`exit report: ${file}`);
    } catch (e) {
      this.sendEvent(
        new OutputEvent(`Could not write the exit report: ${e instanceof Error ? e.message : e}\n`, 'stderr'),
      );
    }
  }

  /** The machine's exit profile, when the facade offers one (common/machine.ts does). */
  private exitProfile(): { profile?: ExitCount[]; csBase?: number } {
    try {
      const m = this.runtime!.currentMachine as Machine & Partial<MachineExtras>;
      return { profile: m.exitProfile?.(), csBase: m.getRegisters().cs.base };
    } catch {
      return {};
    }
  }

  /**
   * "serial": a file gets the bytes; "terminal" leaves them to the client, which shows the SERIAL_EVENTs in
   * a terminal of its own and sends what the user types back with SERIAL_INPUT_REQUEST. A file that cannot
   * be written fails the launch (before anything runs) rather than losing the output in silence.
   */
  private openSerial(config: LaunchConfig): number | undefined {
    const s = config.serial;
    if (typeof s !== 'object') return undefined;
    const problem = outputProblem(s.file);
    if (problem) throw new Error(`"serial": ${problem}`);
    try {
      return fs.openSync(s.file, 'w');
    } catch (e) {
      throw new Error(`"serial": cannot write ${s.file} (${(e as Error).message}).`);
    }
  }

  private closeSerial(fd: number | undefined): void {
    if (fd === undefined) return;
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }

  /** The guest's serial bytes into the file; a failing write (a full disk) is said once, then the file is dropped. */
  private writeSerialFile(bytes: Uint8Array): void {
    if (this.serialFile === undefined) return;
    try {
      fs.writeSync(this.serialFile, bytes);
    } catch (e) {
      const file = typeof this.config?.serial === 'object' ? this.config.serial.file : 'the serial file';
      this.sendEvent(
        new OutputEvent(
          `Bootvisor: cannot write the serial output to ${file} (${(e as Error).message}); it is no longer written.\n`,
          'stderr',
        ),
      );
      this.closeSerial(this.serialFile);
      this.serialFile = undefined;
    }
  }

  /** Loads the program; an assembly that takes a while shows progress, and a disconnect stops it. */
  private async assembleWithProgress(config: LaunchConfig): Promise<LoadedProgram> {
    const progressId = `bootvisor-assemble-${process.pid}`;
    let shown = false;
    const onProgress = (elapsedMs: number): void => {
      if (elapsedMs < 500) return;
      const seconds = `${(elapsedMs / 1000).toFixed(0)} s`;
      if (!this.clientSupports.progress) {
        if (!shown || elapsedMs % 5000 < 250)
          this.sendEvent(
            new OutputEvent(`Bootvisor: assembling ${path.basename(config.program)} (${seconds})...\n`, 'console'),
          );
      } else if (!shown) {
        this.sendEvent(new ProgressStartEvent(progressId, `Assembling ${path.basename(config.program)}`, undefined));
      } else {
        this.sendEvent(new ProgressUpdateEvent(progressId, seconds));
      }
      shown = true;
    };
    try {
      return await loadProgram(config, { signal: this.launching.signal, onProgress });
    } finally {
      if (shown && this.clientSupports.progress) this.sendEvent(new ProgressEndEvent(progressId));
    }
  }

  private guestShutDown = false;

  private shutdownGuest(): void {
    this.gdb?.stub.shutdown();
    if (this.guestShutDown) return;
    this.guestShutDown = true;
    this.launching.abort();
    this.writeExitReport();
    this.runtime?.dispose();
    this.c?.dispose();
    this.closeSerial(this.serialFile);
    this.serialFile = undefined;
    this.program?.dispose();
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.shutdownGuest();
    this.sendResponse(response);
    this.shutdown(); // the process exits (in stdio mode): nothing is left behind
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.shutdownGuest();
    this.sendResponse(response);
    this.sessionEnded();
  }

  /**
   * Disconnect, SIGTERM and a closed stdin all end here (the library calls it): the guest stops first
   * (a run or a replay on the vCPU thread is interrupted, not waited for), then the process exits.
   */
  shutdown(): void {
    this.shutdownGuest();
    super.shutdown();
  }

  // ---- breakpoints ----

  /** Run Without Debugging: the guest runs to its end; breakpoints of any kind are answered, not set. */
  private noDebugBreakpoints(response: DebugProtocol.Response, count: number): boolean {
    if (!this.noDebug) return false;
    response.body = {
      breakpoints: Array.from({ length: count }, () => ({
        verified: false,
        message: 'Running without debugging: breakpoints are off.',
      })),
    };
    this.sendResponse(response);
    return true;
  }

  protected setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    this.handle(response, () => {
      if (this.noDebugBreakpoints(response, args.breakpoints?.length ?? 0)) return;
      const file = args.source.path ?? args.source.name ?? '';
      const bps = this.rt().breakpoints.setSourceBreakpoints(
        file,
        (args.breakpoints ?? []).map((b) => ({
          line: this.convertClientLineToDebugger(b.line),
          condition: b.condition,
          hitCondition: b.hitCondition,
          logMessage: b.logMessage,
        })),
      );
      response.body = {
        breakpoints: bps.map((b) => ({
          id: b.id,
          verified: b.verified,
          line: b.line !== undefined ? this.convertDebuggerLineToClient(b.line) : undefined,
          message: b.message,
          reason: b.verified ? undefined : 'failed',
          source: new Source(path.basename(file), file),
          instructionReference: b.verified ? memoryReference(b.address) : undefined,
        })),
      };
      this.sendResponse(response);
    });
  }

  protected breakpointLocationsRequest(
    response: DebugProtocol.BreakpointLocationsResponse,
    args: DebugProtocol.BreakpointLocationsArguments,
  ): void {
    this.handle(response, () => {
      const listing = this.rt().listing;
      const file = args.source.path ?? '';
      const lines: DebugProtocol.BreakpointLocation[] = [];
      // A source has far fewer lines than this: a range beyond it (endLine 1e308) must not spin.
      const last = Math.min(args.endLine ?? args.line, args.line + MAX_SOURCE_LINES_PER_REQUEST);
      for (let l = args.line; l <= last; l++)
        if (listing && listing.addressOfLine(file, this.convertClientLineToDebugger(l)) >= 0) lines.push({ line: l });
      response.body = { breakpoints: lines };
      this.sendResponse(response);
    });
  }

  protected setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.handle(response, () => {
      if (this.noDebugBreakpoints(response, args.breakpoints.length)) return;
      const bps = this.rt().breakpoints.setFunctionBreakpoints(
        args.breakpoints.map((b) => ({ name: b.name, condition: b.condition, hitCondition: b.hitCondition })),
      );
      response.body = {
        breakpoints: bps.map((b) => ({
          id: b.id,
          verified: b.verified,
          message: b.message,
          line: b.line,
          source: b.file ? new Source(path.basename(b.file), b.file) : undefined,
          instructionReference: b.verified ? memoryReference(b.address) : undefined,
        })),
      };
      this.sendResponse(response);
    });
  }

  protected setInstructionBreakpointsRequest(
    response: DebugProtocol.SetInstructionBreakpointsResponse,
    args: DebugProtocol.SetInstructionBreakpointsArguments,
  ): void {
    this.handle(response, () => {
      if (this.noDebugBreakpoints(response, args.breakpoints.length)) return;
      const specs = args.breakpoints.map((b) => {
        let address: number;
        try {
          address = parseMemoryReference(b.instructionReference, b.offset ?? 0);
        } catch {
          address = NaN;
        }
        return { address, condition: b.condition, hitCondition: b.hitCondition };
      });
      const bps = this.rt().breakpoints.setInstructionBreakpoints(specs);
      response.body = {
        breakpoints: bps.map((b) => ({
          id: b.id,
          verified: b.verified,
          message: b.message,
          instructionReference: b.verified ? memoryReference(b.address) : undefined,
          line: b.line,
        })),
      };
      this.sendResponse(response);
    });
  }

  protected setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    this.handle(response, () => {
      const { settings, results } = settingsFromFilters(args.filters ?? [], args.filterOptions ?? []);
      if (!this.noDebug) {
        try {
          this.rt().setExceptionSettings(settings);
        } catch (e) {
          // Only the system events can be refused (a hardware backend with no software vCPU to fall back on).
          this.rt().setExceptionSettings({ ...settings, system: undefined });
          const ids = [...(args.filters ?? []), ...(args.filterOptions ?? []).map((o) => o.filterId)];
          const i = ids.indexOf(SYSTEM_EVENTS_FILTER);
          if (i >= 0) results[i] = { verified: false, message: e instanceof Error ? e.message : String(e) };
        }
      }
      response.body = { breakpoints: results };
      this.sendResponse(response);
    });
  }

  protected exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    this.handle(response, () => {
      const info = this.stopped().exceptionInfo();
      response.body = {
        exceptionId: info.id,
        description: info.description,
        breakMode: 'always',
        details: { message: info.description, stackTrace: info.details.join('\n') || undefined },
      };
      this.sendResponse(response);
    });
  }

  protected dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    this.handle(response, async () => {
      const rt = this.stopped();
      let address: number | undefined;
      let size = args.bytes ?? 2;
      let label = args.name;
      let c;
      try {
        c = args.asAddress ? undefined : await this.c?.lvalue(args.name, args.frameId, args.variablesReference);
      } catch (e) {
        response.body = { dataId: null, description: `${args.name}: ${e instanceof Error ? e.message : e}` };
        this.sendResponse(response);
        return;
      }
      if (c) {
        address = c.address;
        size = c.size;
        label = c.label;
      } else if (args.asAddress) {
        address = parseMemoryReference(args.name);
        label = `${args.bytes ?? 1} byte(s) at ${args.name}`;
        size = args.bytes ?? 1;
      } else if (args.variablesReference) {
        const v = rt.variables.variables(args.variablesReference).find((x) => x.name === args.name);
        if (!v) throw new RequestError(ERR.variables, `No variable "${args.name}" in that scope.`);
        const register = registerWatchRefusal(rt.registers(), args.name);
        if (register) {
          response.body = { dataId: null, description: register };
          this.sendResponse(response);
          return;
        }
        if (v.memoryReference) {
          address = parseMemoryReference(v.memoryReference);
          label = `memory at ${args.name} (${v.memoryReference})`;
        }
      } else {
        let value: { address?: number; size?: number };
        try {
          value = rt.evaluateText(args.name);
        } catch (e) {
          throw new RequestError(ERR.evaluate, `${args.name}: ${e instanceof Error ? e.message : e}`);
        }
        address = value.address;
        if (value.size) size = value.size;
        label = args.name;
      }
      if (address === undefined) {
        response.body = {
          dataId: null,
          description: `"${args.name}" does not name memory: use a label, [address], a register holding an address, or an address.`,
        };
      } else {
        response.body = {
          dataId: `${address}:${size}:${encodeURIComponent(label)}`,
          description: `${label}: ${size} byte(s) at ${hexAddr(address)}`,
          accessTypes: ['read', 'write', 'readWrite'],
          canPersist: false,
        };
      }
      this.sendResponse(response);
    });
  }

  protected setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    this.handle(response, () => {
      if (this.noDebugBreakpoints(response, args.breakpoints.length)) return;
      const specs = args.breakpoints.map((b) => {
        const [a, s, l] = b.dataId.split(':');
        const address = Number(a);
        const size = Number(s);
        if (!Number.isInteger(address) || !Number.isInteger(size) || size < 1)
          throw new RequestError(ERR.memory, `data breakpoint id "${b.dataId}" is not one the adapter gave out`);
        const access = b.accessType === 'read' ? 'read' : b.accessType === 'readWrite' ? 'access' : 'write';
        return {
          address,
          size,
          access: access as 'read' | 'write' | 'access',
          label: decodeURIComponent(l ?? '') || hexAddr(address),
        };
      });
      const watches = this.rt().setDataWatches(specs);
      response.body = {
        breakpoints: watches.map((w) => ({ id: w.id, verified: true, message: DataWatches.describe(w) })),
      };
      this.sendResponse(response);
    });
  }

  // ---- execution ----

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD_ID, `CPU 0 (${this.backend})`)] };
    this.sendResponse(response);
    this.prepareRead(`stackTrace ${THREAD_ID}`, (rt) => this.framesOf(rt));
  }

  /**
   * Whether requests are answered in their handler now (a stopped assembly session: no gdb, no guest running
   * whose stop comes later): then the adapter waits a moment for the next one (input-spin.ts).
   */
  get answersAtOnce(): boolean {
    const rt = this.runtime;
    return !!rt && !this.c && !this.gdb && !rt.isRunning && !rt.hasEnded;
  }

  /**
   * After the answer just sent has been written: the answer to the read VS Code sends next, while its
   * request is on its way (prepared-reads.ts). Assembly sessions only: C reads go through gdb.
   */
  private prepareRead<T>(key: string, compute: (rt: Runtime) => T): T | undefined {
    const rt = this.runtime;
    if (!rt || this.c || this.gdb || rt.isRunning || rt.hasEnded) return undefined;
    this.flushOutput();
    const mark = rt.variables.mark();
    try {
      const value = compute(rt);
      this.prepared.add({ key, value, mark });
      return value;
    } catch {
      rt.variables.rollback(mark);
      this.prepared.drop(); // computed again on request, where the error is answered
      return undefined;
    }
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.handle(response, () => {
      const rt = this.stopped();
      response.body = { allThreadsContinued: true };
      // The response is sent by the runtime, before the stop's event (runtime.ts act).
      rt.continue(() => this.sendResponse(response));
    });
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.handle(response, () => {
      const rt = this.stopped();
      if (stepByLine(rt, 'over', args.granularity)) this.sendResponse(response);
      else rt.stepOver(args.granularity === 'line', () => this.sendResponse(response));
    });
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.handle(response, () => {
      const rt = this.stopped();
      if (stepByLine(rt, 'in', args.granularity)) this.sendResponse(response);
      else rt.stepIn(args.granularity === 'line', () => this.sendResponse(response));
    });
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.handle(response, () => {
      this.stopped().stepOut();
      this.sendResponse(response);
    });
  }

  protected stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.handle(response, () => {
      const rt = this.stopped();
      if (!stepByLine(rt, 'back', args.granularity)) rt.stepBack();
      this.sendResponse(response);
    });
  }

  protected reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.handle(response, () => {
      this.stopped().reverseContinue();
      this.sendResponse(response);
    });
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.handle(response, () => {
      this.rt().pause();
      this.sendResponse(response);
    });
  }

  // ---- state ----

  protected stackTraceRequest(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
  ): void {
    this.handle(response, () => {
      const rt = this.stopped();
      // Synchronous without C: the answer is written at the end of this turn, with no promise job before it.
      if (!this.c) {
        const prepared = this.prepared.take(`stackTrace ${args.threadId}`) as Frame[] | undefined;
        this.answerStackTrace(response, args, prepared ?? this.framesOf(rt));
        const scopes = this.prepareRead('scopes 0', () => this.scopesOf(rt, 0));
        const first = scopes?.[0]?.variablesReference;
        if (first) this.prepareRead(`variables ${first}`, () => rt.variables.variables(first));
        return;
      }
      return this.c
        .callStack()
        .then((frames) =>
          this.answerStackTrace(
            response,
            args,
            this.withFaultSite(
              rt,
              frames ?? callStack(rt.currentMachine, rt.registers(), rt.listing, undefined, rt.elf),
            ),
          ),
        );
    });
  }

  /** The assembly call stack of this stop. */
  private framesOf(rt: Runtime): Frame[] {
    return this.withFaultSite(rt, callStack(rt.currentMachine, rt.registers(), rt.listing, undefined, rt.elf));
  }

  private withFaultSite(rt: Runtime, frames: Frame[]): Frame[] {
    const site = rt.faultSite();
    if (site !== rt.lastStop && frames[0].linear === rt.lastStop.linear) {
      // Stopped by a hang: show the HLT, not the instruction after it that will never run.
      const loc = rt.listing?.locate(site.linear) ?? rt.elf?.sourceAt(site.linear);
      frames[0] = { ...frames[0], linear: site.linear, ip: site.eip, file: loc?.file, line: loc?.line };
    }
    return frames;
  }

  private answerStackTrace(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
    frames: Frame[],
  ): void {
    const start = args.startFrame ?? 0;
    const slice = frames.slice(start, args.levels ? start + args.levels : undefined);
    response.body = {
      stackFrames: slice.map((f, i) => {
        const sf = new StackFrame(
          start + i,
          f.name,
          f.file ? new Source(path.basename(f.file), f.file) : undefined,
          f.line !== undefined ? this.convertDebuggerLineToClient(f.line) : 0,
          1,
        ) as DebugProtocol.StackFrame;
        sf.instructionPointerReference = memoryReference(f.linear);
        if (!f.file) sf.presentationHint = 'subtle';
        return sf;
      }),
      totalFrames: frames.length,
    };
    this.sendResponse(response);
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handle(response, () => {
      const rt = this.stopped();
      const prepared = this.prepared.take(`scopes ${args.frameId}`) as DebugProtocol.Scope[] | undefined;
      response.body = { scopes: prepared ?? this.scopesOf(rt, args.frameId) };
      this.sendResponse(response);
    });
  }

  private scopesOf(rt: Runtime, frameId: number): DebugProtocol.Scope[] {
    const c = this.c?.isCFrame(frameId) ? this.c.variables.scopes(frameId) : [];
    const cpu = rt.variables.scopes();
    return [...c, ...(this.c?.registerScopes(frameId, cpu) ?? asmRegisterScopes(rt, frameId, cpu))].map((s) =>
      Object.assign(new Scope(s.name, s.variablesReference, s.expensive), s),
    );
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.handle(response, async () => {
      const rt = this.stopped();
      const c = this.c?.variables.has(args.variablesReference) ? this.c.variables : undefined;
      if (!c && !rt.variables.has(args.variablesReference))
        throw new RequestError(
          ERR.variables,
          `variablesReference ${args.variablesReference} is unknown (stale after the guest ran, or never given out).`,
        );
      const key = readKey('variables', args as unknown as Record<string, unknown>);
      const prepared = key ? (this.prepared.take(key) as DebugProtocol.Variable[] | undefined) : undefined;
      response.body = {
        variables:
          prepared ??
          (c ? await c.variables(args.variablesReference) : rt.variables.variables(args.variablesReference)),
      };
      this.sendResponse(response);
    });
  }

  protected setVariableRequest(
    response: DebugProtocol.SetVariableResponse,
    args: DebugProtocol.SetVariableArguments,
  ): void {
    this.handle(response, async () => {
      const rt = this.stopped();
      const c = this.c?.variables.has(args.variablesReference) ? this.c.variables : undefined;
      if (!c && !rt.variables.has(args.variablesReference))
        throw new RequestError(
          ERR.variables,
          `variablesReference ${args.variablesReference} is unknown (stale after the guest ran, or never given out).`,
        );
      let v: DebugProtocol.Variable;
      try {
        v = c
          ? await c.setVariable(args.variablesReference, args.name, args.value)
          : rt.variables.setVariable(args.variablesReference, args.name, args.value);
      } catch (e) {
        throw new RequestError(ERR.variables, `Cannot set ${args.name}: ${e instanceof Error ? e.message : e}`);
      }
      response.body = { value: v.value, variablesReference: v.variablesReference, memoryReference: v.memoryReference };
      this.sendResponse(response);
      if (this.clientSupports.invalidated) this.sendEvent(new Event('invalidated', { areas: ['variables'] }));
    });
  }

  /** Editing a watch: C lvalues in a C frame (registers and memory are edited in their scopes). */
  protected setExpressionRequest(
    response: DebugProtocol.SetExpressionResponse,
    args: DebugProtocol.SetExpressionArguments,
  ): void {
    this.handle(response, async () => {
      this.stopped();
      if (!this.c?.isCFrame(args.frameId))
        throw new RequestError(
          ERR.evaluate,
          `${args.expression}: only C expressions can be assigned here; edit registers in the Registers scopes and memory in the memory view.`,
        );
      try {
        response.body = await this.c.variables.setExpression(args.expression, args.value, args.frameId ?? 0);
      } catch (e) {
        throw new RequestError(ERR.evaluate, `Cannot set ${args.expression}: ${e instanceof Error ? e.message : e}`);
      }
      this.sendResponse(response);
      if (this.clientSupports.invalidated) this.sendEvent(new Event('invalidated', { areas: ['variables'] }));
    });
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.handle(response, async () => {
      const rt = this.stopped();
      const command = args.context === 'repl' ? consoleCommand(rt, args.expression) : undefined;
      if (command !== undefined) {
        response.body = { result: command, variablesReference: 0 };
        this.sendResponse(response);
        return;
      }
      let c;
      try {
        c = await this.c?.evaluate(args.expression, args.frameId);
      } catch (e) {
        throw new RequestError(ERR.evaluate, `${args.expression}: ${e instanceof Error ? e.message : e}`);
      }
      if (c) {
        response.body = c;
        this.sendResponse(response);
        return;
      }
      const walk = /^\s*(?:\.walk|pagewalk)\s+(.+)$/i.exec(args.expression);
      if (walk) {
        const target = rt.evaluateText(walk[1]);
        const linear = target.address ?? Number(target.text);
        const v = rt.variables.walkVariable(`page walk of ${hexAddr(linear)}`, linear);
        response.body = { result: v.value, variablesReference: v.variablesReference };
        this.sendResponse(response);
        return;
      }
      let value: { text: string; address?: number };
      try {
        value = rt.evaluateText(args.expression);
      } catch (e) {
        throw new RequestError(ERR.evaluate, `${args.expression}: ${e instanceof Error ? e.message : e}`);
      }
      let result = value.text;
      if (
        args.context === 'hover' &&
        /^[A-Za-z_.?][\w.?$@#~]*$/.test(args.expression) &&
        rt.listing?.label(args.expression)
      ) {
        // Hovering a label: its address, and what is stored there.
        try {
          result = `${value.text} (word [${args.expression}] = ${rt.evaluateText(`word [${args.expression}]`).text})`;
        } catch {
          /* unreadable: the address alone */
        }
      }
      response.body = {
        result,
        variablesReference: 0,
        memoryReference: value.address !== undefined ? memoryReference(value.address) : undefined,
      };
      this.sendResponse(response);
    });
  }

  /** "Jump to Cursor": the line's address, if the current code segment reaches it. */
  protected gotoTargetsRequest(
    response: DebugProtocol.GotoTargetsResponse,
    args: DebugProtocol.GotoTargetsArguments,
  ): void {
    this.handle(response, () => {
      const rt = this.stopped();
      const file = args.source.path ?? '';
      const address = rt.listing?.addressOfLine(file, this.convertClientLineToDebugger(args.line)) ?? -1;
      if (address < 0)
        throw new RequestError(ERR.request, `Line ${args.line} of ${path.basename(file)} has no code to jump to.`);
      response.body = {
        targets: [
          {
            id: address,
            label: `${hexAddr(address)}`,
            line: args.line,
            instructionPointerReference: memoryReference(address),
          },
        ],
      };
      this.sendResponse(response);
    });
  }

  protected gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    this.handle(response, () => {
      const rt = this.stopped();
      rt.jumpTo(args.targetId);
      this.sendResponse(response);
      const e = new StoppedEvent('goto', THREAD_ID) as DebugProtocol.StoppedEvent;
      e.body.description = `Jumped to ${hexAddr(args.targetId)}`;
      e.body.allThreadsStopped = true;
      this.sendEvent(e);
    });
  }

  protected loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    this.handle(response, () => {
      response.body = { sources: (this.rt().listing?.files() ?? []).map((f) => new Source(path.basename(f), f)) };
      this.sendResponse(response);
    });
  }

  /** Debug Console completion: registers, labels and constants that start with the word being typed. */
  protected completionsRequest(
    response: DebugProtocol.CompletionsResponse,
    args: DebugProtocol.CompletionsArguments,
  ): void {
    this.handle(response, () => {
      const before = (args.text ?? '').slice(0, Math.max(0, (args.column ?? 1) - 1));
      const word = /[A-Za-z_.?$@][\w.?$@#~]*$/.exec(before)?.[0] ?? '';
      const listing = this.rt().listing;
      const names = [
        ...COMPLETION_REGISTERS.map((label) => ({ label, type: 'variable' as const })),
        ...(listing?.labels ?? []).map((l) => ({ label: l.name, type: 'function' as const })),
        ...[...(listing?.constants.keys() ?? [])].map((label) => ({ label, type: 'value' as const })),
        ...['byte', 'word', 'dword'].map((label) => ({ label, type: 'keyword' as const })),
      ];
      response.body = {
        targets: names
          .filter((n) => n.label.toLowerCase().startsWith(word.toLowerCase()))
          .map((n) => ({ ...n, start: before.length - word.length, length: word.length })),
      };
      this.sendResponse(response);
    });
  }

  protected readMemoryRequest(
    response: DebugProtocol.ReadMemoryResponse,
    args: DebugProtocol.ReadMemoryArguments,
  ): void {
    this.handle(response, () => {
      const machine = this.stopped().currentMachine;
      let address: number;
      try {
        address = parseMemoryReference(args.memoryReference, args.offset ?? 0);
      } catch (e) {
        throw new RequestError(ERR.memory, e instanceof Error ? e.message : String(e));
      }
      // Larger reads are answered in part (DAP allows fewer bytes than asked): the client reads on from there.
      const { data, unreadable } = readWhatIsReadable(
        machine,
        address,
        Math.max(0, Math.min(args.count, MAX_MEMORY_REQUEST_BYTES)),
      );
      if (data.length === 0 && args.count > 0) {
        throw new RequestError(
          ERR.memory,
          `Memory at ${hexAddr(address)} cannot be read: it is outside guest RAM or not mapped by the guest's page tables.`,
        );
      }
      response.body = {
        address: memoryReference(address),
        data: Buffer.from(data).toString('base64'),
        unreadableBytes: unreadable || undefined,
      };
      this.sendResponse(response);
    });
  }

  protected writeMemoryRequest(
    response: DebugProtocol.WriteMemoryResponse,
    args: DebugProtocol.WriteMemoryArguments,
  ): void {
    this.handle(response, () => {
      const rt = this.stopped();
      const address = parseMemoryReference(args.memoryReference, args.offset ?? 0);
      const size = Math.floor((args.data.length * 3) / 4);
      if (size > MAX_MEMORY_REQUEST_BYTES + 2) {
        throw new RequestError(
          ERR.memory,
          `Writing about ${size} bytes at once is refused: at most ${MAX_MEMORY_REQUEST_BYTES} bytes per writeMemory request (send it in parts).`,
        );
      }
      const data = new Uint8Array(Buffer.from(args.data, 'base64'));
      try {
        rt.currentMachine.writeMemory(address, data);
      } catch (e) {
        throw new RequestError(
          ERR.memory,
          `Cannot write ${data.length} byte(s) at ${hexAddr(address)}: ${e instanceof Error ? e.message : e}`,
        );
      }
      rt.guestChanged();
      response.body = { bytesWritten: data.length };
      this.sendResponse(response);
      if (this.clientSupports.memory)
        this.sendEvent(
          new Event('memory', { memoryReference: args.memoryReference, offset: args.offset ?? 0, count: data.length }),
        );
    });
  }

  protected disassembleRequest(
    response: DebugProtocol.DisassembleResponse,
    args: DebugProtocol.DisassembleArguments,
  ): void {
    this.handle(response, () => {
      const rt = this.stopped();
      const address = parseMemoryReference(args.memoryReference, args.offset ?? 0);
      const offset = args.instructionOffset ?? 0;
      if (!Number.isInteger(offset) || Math.abs(offset) > MAX_DISASSEMBLE_OFFSET) {
        throw new RequestError(
          ERR.request,
          `instructionOffset ${offset} is refused: disassembly starts at most ${MAX_DISASSEMBLE_OFFSET} instructions from its reference (give a nearer memoryReference).`,
        );
      }
      if (args.instructionCount > MAX_DISASSEMBLE_INSTRUCTIONS) {
        throw new RequestError(
          ERR.request,
          `instructionCount ${args.instructionCount} is refused: at most ${MAX_DISASSEMBLE_INSTRUCTIONS} instructions per request.`,
        );
      }
      response.body = {
        instructions: disassembleRequest(
          rt.currentMachine,
          rt.registers(),
          rt.listing,
          address,
          args.instructionOffset ?? 0,
          args.instructionCount,
          rt.executed,
          rt.elf,
        ),
      };
      this.sendResponse(response);
    });
  }

  // ---- Bootvisor's custom requests ----

  protected customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    this.handle(response, async () => {
      switch (command) {
        case SCREEN_REQUEST: {
          const a = (args ?? {}) as ScreenRequestArgs;
          const m = this.machine();
          let body: ScreenResponseBody;
          if (a.format === 'text') {
            const t = m.screenText();
            body = { mode: t.mode, width: t.columns, height: t.rows, lines: t.lines, cursor: t.cursor };
          } else {
            const img = m.screenImage();
            body = {
              mode: m.screenText().mode,
              width: img.width,
              height: img.height,
              rgba: Buffer.from(img.rgba).toString('base64'),
            };
          }
          response.body = body;
          break;
        }
        case SCREEN_FRAME_REQUEST: {
          const since = ((args ?? {}) as ScreenFrameArgs).sinceGeneration;
          if (((args ?? {}) as ScreenFrameArgs).push === true) this.pushFrames = true;
          if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0))
            throw new RequestError(
              ERR.request,
              'sinceGeneration must be a generation from an earlier frame (a whole number).',
            );
          const m = this.machine();
          const frame = m.screenFrame(since);
          this.sentGeneration = frame.generation;
          response.body = encodeFrame(frame, frame.kind === 'text' ? m.screenText().lines : undefined);
          break;
        }
        case KEYS_REQUEST: {
          const a = (args ?? {}) as KeysRequestArgs;
          if (
            a.scanCodes !== undefined &&
            (!Array.isArray(a.scanCodes) || !a.scanCodes.every((c) => Number.isInteger(c) && c >= 0 && c <= 0xff))
          ) {
            throw new RequestError(ERR.request, 'scanCodes must be an array of bytes (0-255).');
          }
          // A key pressed (a make code: break codes have bit 7 set) starts the chain a pushed frame ends.
          if (a.scanCodes?.some((c) => c < 0x80) || a.text) this.keysAt = nowMs();
          if (a.scanCodes?.length) this.machine().sendScanCodes(a.scanCodes);
          if (typeof a.text === 'string' && a.text) this.machine().typeText(a.text);
          this.rt().guestChanged();
          break;
        }
        case MOUSE_REQUEST: {
          const a = (args ?? {}) as MouseRequestArgs;
          const whole = (v: unknown, limit: number) => Number.isInteger(v) && Math.abs(v as number) <= limit;
          if (!whole(a.dx, 32767) || !whole(a.dy, 32767) || !whole(a.buttons, 7) || a.buttons < 0) {
            throw new RequestError(ERR.request, 'dx and dy must be whole numbers within ±32767, buttons 0-7.');
          }
          this.machine().sendMouse(a.dx, a.dy, a.buttons);
          this.rt().guestChanged();
          break;
        }
        case SERIAL_INPUT_REQUEST: {
          const a = (args ?? {}) as SerialInputArgs;
          if (typeof a.data !== 'string') throw new RequestError(ERR.request, 'data must be base64 text.');
          this.machine().sendSerial(new Uint8Array(Buffer.from(a.data, 'base64')));
          this.rt().guestChanged();
          break;
        }
        case RESET_REQUEST:
          await this.rt().reset(this.config?.stopOnEntry ?? false);
          break;
        default:
          throw new RequestError(ERR.request, `Unknown request "${command}".`);
      }
      this.sendResponse(response);
    });
  }
}
