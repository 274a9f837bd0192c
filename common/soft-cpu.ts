// A typed wrapper over the addon's SoftCpu class: the software vCPU alone over its own RAM, for the
// hardware test vectors, the QEMU differential tests and benchmarks. Not part of the machine facade.
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from './binding';
import type { FaultStep, Registers, SegmentRegister, TableRegister } from './api';

export type SoftExitReason =
  'none' | 'io' | 'memory' | 'halted' | 'shutdown' | 'invalid' | 'stopped' | 'interrupt window' | 'exception' | 'debug';

export interface SoftExit {
  reason: SoftExitReason;
  /** Instructions retired by this run. */
  instructions: number;
  // io
  in?: boolean;
  port?: number;
  size?: number;
  value?: number;
  // memory
  gpa?: number;
  access?: number | string;
  // exception
  vector?: number;
  hasError?: boolean;
  errorCode?: number;
  cr2?: number;
  // debug
  kind?: 'breakpoint' | 'watchpoint' | 'step';
  id?: number;
  address?: number;
}

export interface SoftHistoryEntry {
  linear: number;
  cs: number;
  eip: number;
  bytes: number[];
}

/** Registers to set: any subset; a segment may be a bare selector (real-mode load: base = selector * 16). */
export type SoftRegistersIn = Partial<Omit<Registers, 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs' | 'gdtr' | 'idtr'>> & {
  es?: number | Partial<SegmentRegister>;
  cs?: number | Partial<SegmentRegister>;
  ss?: number | Partial<SegmentRegister>;
  ds?: number | Partial<SegmentRegister>;
  fs?: number | Partial<SegmentRegister>;
  gs?: number | Partial<SegmentRegister>;
  gdtr?: Partial<TableRegister>;
  idtr?: Partial<TableRegister>;
};

export interface SoftCpu {
  setState(regs: SoftRegistersIn): void;
  getState(): Registers;
  writeMemory(address: number, bytes: Uint8Array): void;
  readMemory(address: number, length: number): Uint8Array;
  run(maxInstructions: number): SoftExit;
  /** Runs on a worker thread, so that requestStop() can stop it. */
  runAsync(maxInstructions: number): Promise<SoftExit>;
  requestStop(): void;
  setPortValue(port: number, value: number): void;
  takeOutput(port: number): Uint8Array;
  addBreakpoint(address: number, physical?: boolean): number;
  removeBreakpoint(id: number): boolean;
  addWatchpoint(address: number, length: number, access: 'read' | 'write' | 'access', physical?: boolean): number;
  removeWatchpoint(id: number): boolean;
  catchException(vector: number, on?: boolean): void;
  history(): SoftHistoryEntry[];
  setHistorySize(n: number): void;
  faultChain(): FaultStep[];
  setA20(on: boolean): void;
  injectInterrupt(vector: number): void;
  instructionCount(): number;
  /** Whether the block tier runs (BOOTVISOR_BLOCK_TIER=off when the vCPU is made turns it off). */
  blockTier(): boolean;
  /** Whether its loops also run as host code (the JIT, x86-64 hosts; BOOTVISOR_JIT=off turns it off). */
  jitTier(): boolean;
  /** How many loops the JIT has compiled. */
  jitLoops(): number;
}

interface SoftCpuAddon {
  SoftCpu?: new (memoryBytes: number) => SoftCpu;
}

let addon: SoftCpuAddon | undefined;

/** Creates a software vCPU with memoryBytes of RAM. Throws with what to do when the addon is not built. */
export function createSoftCpu(memoryBytes: number): SoftCpu {
  if (!addon) {
    const root = packageRoot();
    const local = path.join(root, 'build', 'Release', 'bootvisor.node');
    if (!fs.existsSync(local)) {
      throw new Error(`the native addon is not built (${local} is missing): run scripts/build-native.sh`);
    }
    addon = require(local) as SoftCpuAddon;
  }
  if (typeof addon.SoftCpu !== 'function') {
    throw new Error('the native addon has no SoftCpu class: rebuild it with scripts/build-native.sh');
  }
  return new addon.SoftCpu(memoryBytes);
}
