// Loads the native addon (node-gyp-build: a local build, or a prebuilt binary shipped in prebuilds/) and
// describes its shape. Only common/machine.ts uses it; everything above common/ goes through the facade.
import * as fs from 'fs';
import * as path from 'path';

/** The configuration the native constructor accepts (validated again natively). */
export interface NativeConfig {
  image?: Uint8Array;
  /** Used when image is absent. */
  imagePath?: string;
  memoryMiB: number;
  backend: string;
  bootDrive: number; // -1: from what the image is
  requireSignature: boolean;
  clock: 'paced' | 'fast' | 'real' | 'virtual';
  stopOnUnhandledPort: boolean;
}

/** Events from the vCPU thread, delivered in order on the JavaScript thread. */
export type NativeEventSink = (
  kind: 'serial' | 'debugcon' | 'screen' | 'event' | 'idle' | 'pacing',
  payload?: unknown,
) => void;

/** One 8259's registers (read without the side effects of the guest's OCW3 reads). */
export interface PicChip {
  irr: number;
  isr: number;
  imr: number;
  vectorBase: number;
}
export interface PicRegisters {
  master: PicChip;
  slave: PicChip;
}

/** The snapshot store in counts: live snapshots, page versions held, pages the last restore looked at. */
export interface SnapshotCounts {
  snapshots: number;
  pageVersions: number;
  lastRestorePages: number;
}

export interface NativeMachine {
  readonly backend: string;
  readonly backendNote: string;
  readonly bootDrive: number;
  readonly bootDriveReason: string;
  readonly running: boolean;
  run(maxInstructions: number, untilNs?: number): Promise<unknown>;
  pause(): void;
  /** With `packed` (a Float64Array of 6): a plain stop comes back as its reason, its numbers in there. */
  step(packed?: Float64Array): unknown;
  runSync(maxInstructions: number, packed?: Float64Array): unknown;
  getRegisters(): unknown;
  registersInto?(out: Float64Array): void;
  setRegisters(regs: object): void;
  readMemory(address: number, length: number, physical: boolean): Uint8Array;
  writeMemory(address: number, data: Uint8Array, physical: boolean): void;
  translate(linear: number): { physical?: number; steps: string[] };
  addBreakpoint(linear: number): number;
  removeBreakpoint(id: number): void;
  addWatchpoint(address: number, length: number, access: string): number;
  removeWatchpoint(id: number): void;
  setCatchExceptions(vectors: number[]): void;
  setSystemBreaks(breaks: object): void;
  history(count: number): unknown[];
  instructionCount(): number;
  virtualTimeNs(): number;
  snapshot(): number;
  restore(id: number): void;
  dropSnapshot(id: number): void;
  snapshotBytes(): number;
  snapshotCounts(): SnapshotCounts;
  sendScanCodes(codes: number[]): void;
  typeText(text: string): number;
  sendSerial(bytes: Uint8Array): void;
  sendReset(): void;
  sendMouse(dx: number, dy: number, buttons: number): void;
  inputLog(): unknown[];
  loadInputLog(events: unknown[]): void;
  screenText(): unknown;
  setVideoMode(width: number, height: number, depth: number): unknown;
  screenFrame(sinceGeneration?: number): unknown;
  exitProfile(): { rip: number; io: number; mmio: number; ports: number[] }[];
  portRead(port: number, size: number): number;
  portWrite(port: number, size: number, value: number): void;
  clockStep(ns: number): void;
  irqLevel(irq: number): boolean;
  picRegisters(): PicRegisters;
  memoryMap(): { base: number; length: number; type: number }[];
  dispose(): void;
}

/** One row of the CPU exception table (native/include/bootvisor/exceptions.h). */
export interface NativeExceptionRow {
  vector: number;
  mnemonic: string;
  name: string;
  kind: 'fault' | 'trap' | 'fault or trap' | 'abort' | 'interrupt' | 'reserved';
  errorCode: boolean;
  doubleFault: 'benign' | 'contributory' | 'page fault';
}

/** What the software vCPU's decoder makes of some bytes (native/include/bootvisor/decode.h). */
export interface NativeDecoded {
  complete: boolean;
  valid: boolean;
  length: number;
  opcode: number;
  hasModrm: boolean;
  modrm: number;
  op32: boolean;
  a32: boolean;
  disp: number;
  imm: number;
  imm2: number;
  mnemonic: string | null;
}

export interface NativeAddon {
  Machine: new (config: NativeConfig, sink: NativeEventSink) => NativeMachine;
  exceptionTable(): NativeExceptionRow[];
  secondFault(first: number, second: number): 'serial' | 'double fault' | 'triple fault';
  decodeInstruction(bytes: Uint8Array, code32: boolean): NativeDecoded;
}

/**
 * The package root: the nearest folder upwards holding our package.json. Works from out/common/ (tsc) and
 * from a bundle anywhere below the root (esbuild puts everything in one file, so __dirname is the bundle's).
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'bootvisor') return dir;
      } catch {
        // an unreadable package.json further down (a test fixture): keep looking upwards
      }
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find the bootvisor package root above ${from}`);
    }
  }
}

let cached: NativeAddon | undefined;

/** The addon, loaded once. Throws with what to do when it was never built. */
export function loadBinding(): NativeAddon {
  if (cached) return cached;
  // From out/common/ the build is two folders up: no search, no package.json to read on the common path.
  const near = path.join(__dirname, '..', '..', 'build', 'Release', 'bootvisor.node');
  const root = fs.existsSync(near) ? path.join(__dirname, '..', '..') : packageRoot();
  // The common case first: a plain require of the local build skips node-gyp-build's directory scans.
  const local = path.join(root, 'build', 'Release', 'bootvisor.node');
  try {
    cached = (fs.existsSync(local) ? require(local) : require('node-gyp-build')(root)) as NativeAddon;
  } catch (e) {
    throw new Error(
      `the Bootvisor native addon could not be loaded from ${root}: ${(e as Error).message}\n` +
        'Build it with `npm install` (or `scripts/build-native.sh` in a checkout); it needs a C++17 compiler and python3.',
    );
  }
  if (typeof cached.Machine !== 'function') {
    cached = undefined;
    throw new Error(`the Bootvisor native addon in ${root} has no Machine class: rebuild it (scripts/build-native.sh)`);
  }
  return cached;
}
