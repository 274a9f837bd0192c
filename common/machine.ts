// The typed facade over the native binding: createMachine() gives the Machine of api.ts. The vCPU runs on a
// native thread; its output arrives here as events, in order. While a run is in progress, inspecting or
// changing the machine (registers, memory, screen, keys) stops the vCPU briefly, does the work and lets
// it go on: the pending run() does not settle. step(), restore() and the device harness refuse to run then.
import { EventEmitter } from 'events';

import type {
  HistoryEntry,
  InputEvent,
  Machine,
  MachineConfig,
  MachineEvents,
  FpuRegisters,
  Registers,
  RunEvent,
  ScreenFrame,
  ScreenText,
  VideoMode,
  SegmentRegister,
  StopEvent,
  SystemBreaks,
  WatchAccess,
} from './api';
import { loadBinding, type NativeMachine, type PicRegisters, type SnapshotCounts } from './binding';
import { type RegisterSnapshot, snapshotOf } from './register-snapshot';
import { renderFrame } from './screen-render';

export type { PicRegisters } from './binding';

/** VM exits of one instruction, for the exit profile (rip as the backend saw it, CS base not added). */
export interface ExitCount {
  rip: number;
  io: number;
  mmio: number;
  /** The first few distinct ports the instruction accessed. */
  ports: number[];
}

/** What a machine offers beyond the api.ts contract: the run's exit profile and a qtest-like device harness. */
export interface MachineExtras {
  readonly bootDrive: number;
  /** Why that boot drive, in words: "it has a partition table", ..., or "asked for". */
  readonly bootDriveReason: string;
  exitProfile(): ExitCount[];
  virtualTimeNs(): number;
  /** Host memory held by snapshots. */
  snapshotBytes(): number;
  /** Live snapshots, page versions held, pages the last restore looked at (counts, for bounds in tests). */
  snapshotCounts(): SnapshotCounts;
  /** Port access as the guest would make it (no vCPU involved); size 1, 2 or 4. */
  portRead(port: number, size?: 1 | 2 | 4): number;
  portWrite(port: number, value: number, size?: 1 | 2 | 4): void;
  /** Advances virtual time, firing due timers. */
  clockStep(ns: number): void;
  /** The level of an interrupt line into the PIC (0-15). */
  irqLevel(irq: number): boolean;
  /** The PICs' request, in-service and mask registers and vector bases (the debugger's view: no side effects). */
  picRegisters(): PicRegisters;
  /** The firmware's memory map, as INT 15h E820h reports it (type 1 usable, 2 reserved). */
  memoryMap(): { base: number; length: number; type: number }[];
}

export type BootvisorMachine = Machine & MachineExtras;

const DEFAULTS = { memoryMiB: 32, backend: 'software', clock: 'fast' } as const;

/** registersInto's numbers as Registers (the layout of native/src/napi/js_convert.cpp registersToArray). */
function unpackRegisters(r: Float64Array): Registers {
  const seg = (k: number): SegmentRegister => ({ selector: r[k], base: r[k + 1], limit: r[k + 2], attrib: r[k + 3] });
  return {
    eax: r[0],
    ecx: r[1],
    edx: r[2],
    ebx: r[3],
    esp: r[4],
    ebp: r[5],
    esi: r[6],
    edi: r[7],
    eip: r[8],
    eflags: r[9],
    es: seg(10),
    cs: seg(14),
    ss: seg(18),
    ds: seg(22),
    fs: seg(26),
    gs: seg(30),
    ldtr: seg(34),
    tr: seg(38),
    gdtr: { base: r[42], limit: r[43] },
    idtr: { base: r[44], limit: r[45] },
    cr0: r[46],
    cr2: r[47],
    cr3: r[48],
    cr4: r[49],
    efer: r[50],
    dr: [r[51], r[52], r[53], r[54], r[55], r[56]],
    halted: r[57] !== 0,
    intShadow: r[58] !== 0,
  };
}

/**
 * A synchronous stop from the addon: its object, or (a plain stop: a step, a breakpoint, a pause) its reason
 * with the numbers in `p` (cs, eip, linear, instructions, breakpointId or -1, idle), built here as an object
 * literal, which costs far less than the same object built property by property through N-API.
 */
function unpackStop(r: unknown, p: Float64Array): StopEvent {
  if (typeof r !== 'string') return r as StopEvent;
  const s: StopEvent = { reason: r as StopEvent['reason'], cs: p[0], eip: p[1], linear: p[2], instructions: p[3] };
  if (p[4] >= 0) s.breakpointId = p[4];
  if (p[5] !== 0) s.idle = true;
  return s;
}

class NativeBackedMachine implements BootvisorMachine {
  private readonly emitter = new EventEmitter();
  private disposed = false;
  /** registersInto's layout (native/src/napi/js_convert.cpp registersToArray): 59 numbers. */
  private readonly packed = new Float64Array(64);
  /** stopToArray's layout (native/src/napi/js_convert.h): a step's or a short run's stop, see unpackStop. */
  private readonly packedStop = new Float64Array(8);
  /**
   * The instruction count as the last step() or runSync() reported it, undefined once anything else may
   * have run: the debugger asks for the count several times per step, and each native call costs
   * microseconds.
   */
  private knownCount: number | undefined;

  constructor(private readonly native: NativeMachine) {
    // A guest can print faster than a listener can be added; no warning about "possible leaks" for tests
    // that attach many short-lived listeners.
    this.emitter.setMaxListeners(0);
  }

  get backend(): string {
    return this.native.backend;
  }
  get backendNote(): string {
    return this.native.backendNote;
  }
  get bootDrive(): number {
    return this.native.bootDrive;
  }
  get bootDriveReason(): string {
    return this.native.bootDriveReason;
  }
  get running(): boolean {
    return !this.disposed && this.native.running;
  }

  /** Called by the binding, on the JavaScript thread, in the order the guest produced it. */
  deliver(kind: 'serial' | 'debugcon' | 'screen' | 'event' | 'idle' | 'pacing', payload?: unknown): void {
    switch (kind) {
      case 'serial':
      case 'debugcon':
        this.emitter.emit(kind, payload as Uint8Array);
        break;
      case 'screen':
        this.emitter.emit('screen');
        break;
      case 'event':
        this.emitter.emit('event', payload as RunEvent);
        break;
      case 'idle':
        this.emitter.emit('idle');
        break;
      case 'pacing':
        this.emitter.emit('pacing', payload as boolean);
        break;
    }
  }

  run(options: { maxInstructions?: number; untilNs?: number } = {}): Promise<StopEvent> {
    this.knownCount = undefined;
    try {
      return this.native.run(options.maxInstructions ?? 0, options.untilNs) as Promise<StopEvent>;
    } catch (e) {
      return Promise.reject(e);
    }
  }
  pause(): void {
    this.native.pause();
  }
  step(): StopEvent {
    this.knownCount = undefined;
    const s = unpackStop(this.native.step(this.packedStop), this.packedStop);
    this.knownCount = s.instructions;
    return s;
  }
  runSync(maxInstructions: number): StopEvent | null {
    this.knownCount = undefined;
    const r = this.native.runSync(maxInstructions, this.packedStop);
    const s = r === null ? null : unpackStop(r, this.packedStop);
    this.knownCount = s?.instructions;
    return s;
  }

  getFpu(): FpuRegisters | undefined {
    return (this.native.getRegisters() as { fpu?: FpuRegisters }).fpu;
  }
  setFpu(fpu: Partial<FpuRegisters>): void {
    this.native.setRegisters({ fpu });
  }

  getRegisters(): Registers {
    if (!this.native.registersInto) return this.native.getRegisters() as Registers;
    // The debugger reads the registers several times per step: one typed-array fill and an object literal
    // here cost a few microseconds, where the native object built property by property cost about 25.
    this.native.registersInto(this.packed);
    return unpackRegisters(this.packed);
  }

  registerSnapshot(): RegisterSnapshot {
    if (!this.native.registersInto) return snapshotOf(this.getRegisters());
    const r = new Float64Array(this.packed.length);
    this.native.registersInto(r);
    let decoded: Registers | undefined;
    return {
      linear: (r[15] + r[8]) >>> 0,
      esp: r[4],
      ssSelector: r[18],
      registers: () => (decoded ??= unpackRegisters(r)),
    };
  }
  setRegisters(regs: Partial<Registers>): void {
    this.native.setRegisters(regs);
  }
  readMemory(address: number, length: number, space: 'linear' | 'physical' = 'linear'): Uint8Array {
    return this.native.readMemory(address, length, space === 'physical');
  }
  writeMemory(address: number, data: Uint8Array, space: 'linear' | 'physical' = 'linear'): void {
    this.native.writeMemory(address, data, space === 'physical');
  }
  translate(linear: number): { physical?: number; steps: string[] } {
    return this.native.translate(linear);
  }

  addBreakpoint(linear: number): number {
    return this.native.addBreakpoint(linear);
  }
  removeBreakpoint(id: number): void {
    this.native.removeBreakpoint(id);
  }
  addWatchpoint(address: number, length: number, access: WatchAccess): number {
    return this.native.addWatchpoint(address, length, access);
  }
  removeWatchpoint(id: number): void {
    this.native.removeWatchpoint(id);
  }
  setCatchExceptions(vectors: number[]): void {
    this.native.setCatchExceptions(vectors);
  }
  setSystemBreaks(breaks: SystemBreaks): void {
    this.native.setSystemBreaks(breaks);
  }

  history(count: number): HistoryEntry[] {
    return this.native.history(count) as HistoryEntry[];
  }
  instructionCount(): number {
    return this.knownCount ?? this.native.instructionCount();
  }

  snapshot(): number {
    return this.native.snapshot();
  }
  restore(id: number): void {
    this.knownCount = undefined;
    this.native.restore(id);
  }
  dropSnapshot(id: number): void {
    this.native.dropSnapshot(id);
  }

  sendScanCodes(codes: number[]): void {
    this.native.sendScanCodes(codes);
  }
  typeText(text: string): void {
    this.native.typeText(text);
  }
  sendSerial(bytes: Uint8Array): void {
    this.native.sendSerial(bytes);
  }
  reset(): void {
    this.knownCount = undefined;
    this.native.sendReset();
  }
  sendMouse(dx: number, dy: number, buttons: number): void {
    this.native.sendMouse(dx, dy, buttons);
  }
  inputLog(): InputEvent[] {
    return this.native.inputLog() as InputEvent[];
  }
  loadInputLog(events: InputEvent[]): void {
    this.knownCount = undefined;
    this.native.loadInputLog(events);
  }

  setVideoMode(width: number, height: number, depth: number): VideoMode | undefined {
    return this.native.setVideoMode(width, height, depth) as VideoMode | undefined;
  }
  screenText(): ScreenText {
    return this.native.screenText() as ScreenText;
  }
  screenFrame(sinceGeneration?: number): ScreenFrame {
    return this.native.screenFrame(sinceGeneration) as ScreenFrame;
  }
  screenImage(): { width: number; height: number; rgba: Uint8Array } {
    return renderFrame(this.native.screenFrame() as ScreenFrame);
  }

  exitProfile(): ExitCount[] {
    return this.native.exitProfile();
  }
  virtualTimeNs(): number {
    return this.native.virtualTimeNs();
  }
  snapshotBytes(): number {
    return this.native.snapshotBytes();
  }
  snapshotCounts(): SnapshotCounts {
    return this.native.snapshotCounts();
  }
  portRead(port: number, size: 1 | 2 | 4 = 1): number {
    return this.native.portRead(port, size);
  }
  portWrite(port: number, value: number, size: 1 | 2 | 4 = 1): void {
    this.native.portWrite(port, size, value);
  }
  clockStep(ns: number): void {
    this.native.clockStep(ns);
  }
  irqLevel(irq: number): boolean {
    return this.native.irqLevel(irq);
  }
  picRegisters(): PicRegisters {
    return this.native.picRegisters();
  }
  memoryMap(): { base: number; length: number; type: number }[] {
    return this.native.memoryMap();
  }

  on<K extends keyof MachineEvents>(event: K, listener: MachineEvents[K]): this {
    this.emitter.on(event, listener);
    return this;
  }
  off<K extends keyof MachineEvents>(event: K, listener: MachineEvents[K]): this {
    this.emitter.off(event, listener);
    return this;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.knownCount = undefined;
    this.native.dispose();
    this.emitter.removeAllListeners();
  }
}

/**
 * Creates a machine booted to the point a BIOS hands over: the boot sector at 0000:7C00, not yet run.
 * Throws an Error whose message is for the user when the image or the configuration is unusable.
 */
export function createMachine(config: MachineConfig): BootvisorMachine {
  const { Machine: NativeMachineClass } = loadBinding();
  let facade: NativeBackedMachine | undefined;
  const native = new NativeMachineClass(
    {
      image: config.image,
      imagePath: config.imagePath,
      memoryMiB: config.memoryMiB ?? DEFAULTS.memoryMiB,
      backend: config.backend ?? DEFAULTS.backend,
      bootDrive: config.bootDrive ?? -1,
      requireSignature: config.requireSignature ?? true,
      clock: config.clock ?? DEFAULTS.clock,
      stopOnUnhandledPort: config.stopOnUnhandledPort ?? false,
    },
    (kind, payload) => facade?.deliver(kind, payload),
  );
  facade = new NativeBackedMachine(native);
  return facade;
}
