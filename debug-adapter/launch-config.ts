// The launch configuration: its attributes (the package.json schema describes the same) and their
// validation, so a bad launch.json fails the launch with a message that says what to change.
import * as fs from 'fs';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { BackendName } from '../common/api';
import { BOOT_DRIVES, MEMORY_MIB } from '../common/limits';

export type SerialTarget = 'debugConsole' | 'terminal' | 'none' | { file: string };

export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  program?: unknown;
  assembler?: unknown;
  listing?: unknown;
  backend?: unknown;
  memory?: unknown;
  stopOnEntry?: unknown;
  bootDrive?: unknown;
  clock?: unknown;
  serial?: unknown;
  cwd?: unknown;
  cmdline?: unknown;
  modules?: unknown;
  gdbPort?: unknown;
  replay?: unknown;
  symbols?: unknown;
}

export interface AssemblerSpec {
  /** The nasm (or compatible) executable. */
  command: string;
  /** Full argument list with ${program}, ${output}, ${listing} placeholders; absent: nasm's default. */
  args?: string[];
}

export interface LaunchConfig {
  /** Absolute path of the .asm source or the image. */
  program: string;
  kind: 'source' | 'image';
  assembler: AssemblerSpec;
  /** For an image: its listing, when there is one. */
  listing?: string;
  backend: BackendName;
  memoryMiB: number;
  stopOnEntry: boolean;
  bootDrive?: number;
  clock: LaunchClock;
  serial: SerialTarget;
  cwd: string;
  /** A multiboot kernel's command line after its name. */
  cmdline?: string;
  /** Module files for a multiboot kernel, absolute, in order. */
  modules?: string[];
  /** gdb drives the guest through a stub on this port (0: any free one); VS Code shows screen and COM1. */
  gdbPort?: number;
  /** A recording (`bootvisor run --record`) whose inputs the guest receives again, at their instructions. */
  replay?: string;
  /** An ELF whose symbols and DWARF lines describe code the program loads (the os-tutorial pattern). */
  symbols?: string;
}

/**
 * Guest time (contract A): 'paced' keeps a PC's pace against the wall clock (a game plays at its speed),
 * 'fast' runs as fast as the host can, both deterministic (time from the instruction count, so reverse
 * execution replays exactly); 'real' follows the host's clock.
 */
export type LaunchClock = 'paced' | 'fast' | 'real';

export class LaunchConfigError extends Error {}

const CLOCKS: LaunchClock[] = ['paced', 'fast', 'real'];

const BACKENDS: BackendName[] = ['auto', 'software', 'kvm', 'nvmm'];
const SOURCE_EXT = /\.(asm|s|nasm)$/i;

function fail(message: string): never {
  throw new LaunchConfigError(`Launch configuration: ${message}`);
}

/** Checks and normalises the user's attributes; throws LaunchConfigError naming the attribute and the fix. */
export function validateLaunch(args: LaunchArguments): LaunchConfig {
  let cwd = process.cwd();
  if (args.cwd !== undefined) {
    if (typeof args.cwd !== 'string' || !args.cwd) fail('"cwd" must be a folder path (a string).');
    cwd = path.resolve(args.cwd);
    if (!fs.existsSync(cwd) || !fs.statSync(cwd).isDirectory()) fail(`"cwd" ${cwd} is not an existing folder.`);
  }
  if (typeof args.program !== 'string' || !args.program) {
    fail(
      '"program" is missing: give the .asm boot sector to assemble and boot, or a disk image (.img), e.g. "program": "${file}".',
    );
  }
  const program = path.resolve(cwd, args.program);
  if (!fs.existsSync(program)) fail(`"program" ${program} does not exist.`);
  const st = fs.statSync(program);
  if (!st.isFile()) {
    const what = st.isDirectory()
      ? 'a folder'
      : st.isFIFO()
        ? 'a FIFO'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : 'not a regular file';
    fail(`"program" ${program} is ${what}; give a .asm file or a disk image.`);
  }
  const kind = SOURCE_EXT.test(program) ? 'source' : 'image';

  const assembler: AssemblerSpec = { command: process.env.BOOTVISOR_NASM ?? 'nasm' };
  if (args.assembler !== undefined) {
    const a = args.assembler;
    if (typeof a === 'string' && a) assembler.command = a;
    else if (Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'string')) {
      assembler.command = a[0];
      assembler.args = a.slice(1);
    } else if (a && typeof a === 'object' && typeof (a as { command?: unknown }).command === 'string') {
      const o = a as { command: string; args?: unknown };
      assembler.command = o.command;
      if (o.args !== undefined) {
        if (!Array.isArray(o.args) || !o.args.every((x) => typeof x === 'string'))
          fail('"assembler.args" must be an array of strings.');
        assembler.args = o.args as string[];
      }
    } else
      fail(
        '"assembler" must be a command ("nasm"), a command line array (["nasm", "-f", "bin", "-o", "${output}", "-l", "${listing}", "${program}"]) or { "command", "args" }.',
      );
    if (assembler.args && !assembler.args.some((x) => x.includes('${output}'))) {
      fail(
        '"assembler" arguments must name the output image with ${output} (and the listing with ${listing} for source breakpoints).',
      );
    }
  }

  let listing: string | undefined;
  if (args.listing !== undefined) {
    if (typeof args.listing !== 'string' || !args.listing)
      fail('"listing" must be the path of a `nasm -l` listing (a string).');
    listing = path.resolve(cwd, args.listing);
    if (!fs.existsSync(listing))
      fail(`"listing" ${listing} does not exist; assemble with \`nasm -l\` to make one, or leave "listing" out.`);
    if (kind === 'source') fail('"listing" is for prebuilt images; for a .asm program the adapter makes its own.');
  }

  let backend: BackendName = 'software';
  if (args.backend !== undefined) {
    if (typeof args.backend !== 'string' || !BACKENDS.includes(args.backend as BackendName)) {
      fail(
        `"backend" must be one of ${BACKENDS.map((b) => `"${b}"`).join(', ')} (got ${JSON.stringify(args.backend)}).`,
      );
    }
    backend = args.backend as BackendName;
  }

  let memoryMiB: number = MEMORY_MIB.default;
  if (args.memory !== undefined) {
    if (
      typeof args.memory !== 'number' ||
      !Number.isInteger(args.memory) ||
      args.memory < MEMORY_MIB.min ||
      args.memory > MEMORY_MIB.max
    ) {
      fail(
        `"memory" is guest RAM in MiB, a whole number from ${MEMORY_MIB.min} to ${MEMORY_MIB.max} (got ${JSON.stringify(args.memory)}).`,
      );
    }
    memoryMiB = args.memory;
  }

  if (args.stopOnEntry !== undefined && typeof args.stopOnEntry !== 'boolean')
    fail('"stopOnEntry" must be true or false.');

  let bootDrive: number | undefined;
  if (args.bootDrive !== undefined) {
    const d = typeof args.bootDrive === 'string' ? Number(args.bootDrive) : args.bootDrive;
    if (!(BOOT_DRIVES as readonly unknown[]).includes(d))
      fail(`"bootDrive" must be 0 (floppy, 0x00) or 128 (hard disk, 0x80) (got ${JSON.stringify(args.bootDrive)}).`);
    bootDrive = d as number;
  }

  let clock: LaunchClock = 'paced';
  if (args.clock !== undefined) {
    if (typeof args.clock !== 'string' || !CLOCKS.includes(args.clock as LaunchClock)) {
      fail(`"clock" must be one of ${CLOCKS.map((c) => `"${c}"`).join(', ')} (got ${JSON.stringify(args.clock)}).`);
    }
    clock = args.clock as LaunchClock;
  }

  let serial: SerialTarget = 'debugConsole';
  if (args.serial !== undefined) {
    const s = args.serial;
    if (s === 'debugConsole' || s === 'terminal' || s === 'none') serial = s;
    else if (s && typeof s === 'object' && typeof (s as { file?: unknown }).file === 'string')
      serial = { file: path.resolve(cwd, (s as { file: string }).file) };
    else fail('"serial" must be "debugConsole", "terminal", "none" or { "file": "path" }.');
  }

  let cmdline: string | undefined;
  if (args.cmdline !== undefined) {
    if (typeof args.cmdline !== 'string') fail('"cmdline" is a multiboot kernel\'s command line: a string.');
    cmdline = args.cmdline;
  }
  let modules: string[] | undefined;
  if (args.modules !== undefined) {
    if (!Array.isArray(args.modules) || !args.modules.every((m) => typeof m === 'string' && m)) {
      fail('"modules" is a list of files handed to a multiboot kernel: ["initrd.img", ...].');
    }
    modules = (args.modules as string[]).map((m) => path.resolve(cwd, m));
  }

  let gdbPort: number | undefined;
  if (args.gdbPort !== undefined) {
    if (
      typeof args.gdbPort !== 'number' ||
      !Number.isInteger(args.gdbPort) ||
      args.gdbPort < 0 ||
      args.gdbPort > 65535
    ) {
      fail(
        `"gdbPort" is the TCP port gdb attaches to (target remote :PORT), 0-65535; 0 picks a free one (got ${JSON.stringify(args.gdbPort)}).`,
      );
    }
    gdbPort = args.gdbPort;
  }

  let replay: string | undefined;
  if (args.replay !== undefined) {
    if (typeof args.replay !== 'string' || !args.replay)
      fail('"replay" is a recording made by `bootvisor run IMAGE --record FILE.bvrec`: its path.');
    replay = path.resolve(cwd, args.replay as string);
  }

  let symbols: string | undefined;
  if (args.symbols !== undefined) {
    if (typeof args.symbols !== 'string' || !args.symbols)
      fail('"symbols" is the kernel ELF (with -g) whose code the boot sector loads: a path.');
    symbols = path.resolve(cwd, args.symbols);
    if (!fs.existsSync(symbols)) fail(`"symbols" ${symbols} does not exist.`);
  }

  return {
    program,
    kind,
    assembler,
    listing,
    backend,
    memoryMiB,
    stopOnEntry: args.stopOnEntry === true,
    bootDrive,
    clock,
    serial,
    cwd,
    cmdline,
    modules,
    gdbPort,
    replay,
    symbols,
  };
}
