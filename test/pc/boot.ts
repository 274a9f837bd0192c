// Booting an image on Bootvisor in-process, through the facade, the way the CLI does: collects COM1 and the
// debug console until the guest stops (or a host-time guard pauses it).
import type { StopEvent } from '../../common/api';
import { createMachine, type BootvisorMachine } from '../../common/machine';

export interface BootResult {
  stop: StopEvent;
  serial: Buffer;
  debugcon: Buffer;
  machine: BootvisorMachine;
}

export interface BootOptions {
  bootDrive?: number;
  keys?: string;
  maxInstructions?: number;
  /** Host-time guard: pause the guest after this long (the test then sees reason 'pause'). */
  guardMs?: number;
  /** Keep the machine for inspection (the caller disposes it). */
  keep?: boolean;
  stopOnUnhandledPort?: boolean;
}

export async function boot(image: Uint8Array, options: BootOptions = {}): Promise<BootResult> {
  const machine = createMachine({
    image,
    backend: 'software',
    bootDrive: options.bootDrive,
    stopOnUnhandledPort: options.stopOnUnhandledPort,
  });
  const serial: Buffer[] = [];
  const debugcon: Buffer[] = [];
  machine.on('serial', (b) => serial.push(Buffer.from(b)));
  machine.on('debugcon', (b) => debugcon.push(Buffer.from(b)));
  if (options.keys) machine.typeText(options.keys);
  const guard = setTimeout(() => machine.pause(), options.guardMs ?? 20000);
  try {
    const stop = await machine.run({ maxInstructions: options.maxInstructions ?? 500_000_000 });
    return { stop, serial: Buffer.concat(serial), debugcon: Buffer.concat(debugcon), machine };
  } finally {
    clearTimeout(guard);
    if (!options.keep) machine.dispose();
  }
}

/** "name=HEX" lines of a test program, in order (a name may repeat: E820 entries). */
export function results(debugcon: Buffer): [string, string][] {
  return debugcon
    .toString('latin1')
    .split('\n')
    .map((l) => /^([\w]+)=([0-9A-F]+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1], m[2]]);
}
