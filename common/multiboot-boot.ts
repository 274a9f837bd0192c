// Starting a Multiboot kernel on a machine the way GRUB and QEMU's -kernel do ("Machine state" in the
// Multiboot 0.6.96 specification, section 3.3 of the Multiboot2 one): segments at their physical addresses
// with bss zeroed, modules page-aligned after the kernel, the information (memory sizes and the memory map
// from the firmware's E820 table, the command line, the modules, the loader's name; the framebuffer when
// asked for) in low memory as QEMU puts it, A20 on, protected mode with flat 4 GiB segments from a GDT of our
// own, paging and interrupts off, EAX = 0x2BADB002 (Multiboot2: 0x36D76289, with the tagged information of
// common/multiboot2-info.ts), EBX = the information. Nothing here reads files: the caller hands over bytes it
// read within its bounds.
import type { BootvisorMachine } from './machine';
import type { MachineConfig } from './api';
import {
  MULTIBOOT_BOOTLOADER_MAGIC,
  MULTIBOOT_FLAG_VIDEO_MODE,
  MultibootError,
  type MultibootKernel,
} from './multiboot';
import { MULTIBOOT2_BOOTLOADER_MAGIC } from './multiboot2';
import { buildMultiboot2Info } from './multiboot2-info';
import { chooseFramebuffer, describeFramebuffer, videoRequest } from './multiboot-video';

export interface MultibootModule {
  /** The module's string in the information structure (the file as the user named it). */
  name: string;
  data: Uint8Array;
}

export interface MultibootBootOptions {
  /** How the kernel was named: the command line starts with it, as GRUB's and QEMU's do. */
  kernelName: string;
  /** The rest of the command line (`--cmdline`, launch `cmdline`). */
  cmdline?: string;
  modules?: MultibootModule[];
}

/** Where everything went, for the first line of a run and for tests. */
export interface MultibootPlacement {
  /** The specification the kernel was loaded by (its header's). */
  version: 1 | 2;
  entry: number;
  infoAddress: number;
  kernelStart: number;
  kernelEnd: number;
  modules: { start: number; end: number; name: string }[];
  /** The framebuffer handed over, in words, when the kernel asked for one. */
  framebuffer?: string;
  /** 64 for an x86-64 ELF (entered at its 32-bit bootstrap). */
  elfClass?: 32 | 64;
}

const PAGE = 4096;
/** The information structure goes here when the kernel leaves it free (QEMU's choice too). */
const LOW_INFO_ADDRESS = 0x9000;
/** Memory below this is the real-mode IVT and the BIOS data area: no kernel or module goes there. */
const BIOS_DATA_END = 0x500;
/** Strings handed to the kernel are bounded: a command line longer than this is refused. */
export const MAX_CMDLINE_BYTES = 4096;
export const MAX_MODULES = 64;
const LOADER_NAME = 'Bootvisor';

/** Multiboot information flags. */
const MBI_MEMORY = 1 << 0;
const MBI_CMDLINE = 1 << 2;
const MBI_MODULES = 1 << 3;
const MBI_MMAP = 1 << 6;
const MBI_LOADER_NAME = 1 << 9;
const MBI_FRAMEBUFFER = 1 << 12;
const MBI_SIZE = 88; // up to and including the VBE fields
const MBI_SIZE_WITH_FRAMEBUFFER = 120; // the framebuffer fields (88-115), rounded up to keep what follows aligned

/** Segment descriptors: null, flat 32-bit code (0x08), flat data (0x10), as QEMU's multiboot ROM loads. */
const GDT = [0, 0, 0x0000ffff, 0x00cf9a00, 0x0000ffff, 0x00cf9200];
const CODE_ATTRIB = 0xb | 0x10 | 0x80 | 0x400 | 0x800; // type 1011 (exec/read, accessed), S, P, D, G
const DATA_ATTRIB = 0x3 | 0x10 | 0x80 | 0x400 | 0x800; // type 0011 (read/write, accessed), S, P, B, G

/**
 * The disk a kernel-booted machine carries: on a reset the BIOS boots it and it says why the kernel is gone
 * (a multiboot kernel is loaded once, at power-on, as under QEMU -kernel after a reset it is not re-run from
 * disk). Assembled from: cld; xor ax,ax; mov ds,ax; mov si,msg; .l: lodsb; test al,al; jz .h; mov ah,0x0E;
 * mov bx,7; int 0x10; jmp .l; .h: cli; hlt; jmp .h; msg: db "...", 13, 10, 0 (org 0x7C00).
 */
export function resetSector(): Uint8Array {
  const code = [
    0xfc, 0x31, 0xc0, 0x8e, 0xd8, 0xbe, 0x1a, 0x7c, 0xac, 0x84, 0xc0, 0x74, 0x09, 0xb4, 0x0e, 0xbb, 0x07, 0x00, 0xcd,
    0x10, 0xeb, 0xf2, 0xfa, 0xf4, 0xeb, 0xfc,
  ];
  const sector = new Uint8Array(512);
  sector.set(code);
  sector.set(
    Buffer.from('The multiboot kernel was reset; Bootvisor loads it only at power-on.\r\n\0', 'latin1'),
    code.length,
  );
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).toUpperCase();
const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

interface Range {
  start: number;
  end: number;
}

/** Why [start, end) cannot hold guest code or data, or undefined when it lies in usable RAM. */
function placementProblem(start: number, end: number, usable: Range[], ramBytes: number): string | undefined {
  if (end > ramBytes)
    return `it ends at ${hex(end)}, beyond the guest's ${ramBytes >> 20} MiB of RAM (give it more with --memory, or the launch attribute memory)`;
  if (start < BIOS_DATA_END) return `it overlaps the real-mode interrupt table and BIOS data area (0x0-0x4FF)`;
  if (!usable.some((r) => start >= r.start && end <= r.end)) {
    return `it overlaps memory the firmware reserves (the EBDA, video memory and the BIOS ROM at 0x9FC00-0xFFFFF): link it at 1 MiB (0x100000) or above`;
  }
  return undefined;
}

/** The memory sizes of the information structure, from the same map E820 reports. */
function memorySizes(map: { base: number; length: number; type: number }[]): { lowerKiB: number; upperKiB: number } {
  const low = map.find((e) => e.type === 1 && e.base === 0);
  const high = map.find((e) => e.type === 1 && e.base === 0x100000);
  return { lowerKiB: low ? Math.floor(low.length / 1024) : 0, upperKiB: high ? Math.floor(high.length / 1024) : 0 };
}

/**
 * Loads the kernel and its modules into a freshly created machine and sets the CPU as a Multiboot loader
 * leaves it. Throws MultibootError (for the user) when the kernel or a module does not fit in RAM.
 */
export function bootMultiboot(
  m: BootvisorMachine,
  kernel: MultibootKernel,
  options: MultibootBootOptions,
): MultibootPlacement {
  const map = m.memoryMap();
  const usable: Range[] = map.filter((e) => e.type === 1).map((e) => ({ start: e.base, end: e.base + e.length }));
  const ramBytes = Math.max(...map.map((e) => e.base + e.length));
  const name = options.kernelName;

  for (const s of kernel.segments) {
    const problem = placementProblem(s.address, s.address + s.memorySize, usable, ramBytes);
    if (problem)
      throw new MultibootError(
        `${name}: the segment at ${hex(s.address)}-${hex(s.address + s.memorySize)} cannot be loaded: ${problem}.`,
      );
  }
  const kernelStart = Math.min(...kernel.segments.map((s) => s.address));
  const kernelEnd = Math.max(...kernel.segments.map((s) => s.address + s.memorySize));

  const moduleList = options.modules ?? [];
  if (moduleList.length > MAX_MODULES)
    throw new MultibootError(`${moduleList.length} modules; at most ${MAX_MODULES} are passed to a kernel.`);
  const modules: MultibootPlacement['modules'] = [];
  let next = alignUp(Math.max(kernelEnd, 0x100000), PAGE);
  for (const mod of moduleList) {
    const start = next;
    const end = start + mod.data.length;
    const problem = placementProblem(start, Math.max(end, start + 1), usable, ramBytes);
    if (problem)
      throw new MultibootError(
        `module ${mod.name} (${mod.data.length} bytes) does not fit after the kernel at ${hex(start)}: ${problem}.`,
      );
    modules.push({ start, end, name: mod.name });
    next = alignUp(end, PAGE);
  }

  const cmdline = options.cmdline === undefined ? `${name} ` : `${name} ${options.cmdline}`;
  const cmdBytes = Buffer.from(cmdline + '\0', 'utf8');
  if (cmdBytes.length > MAX_CMDLINE_BYTES)
    throw new MultibootError(
      `the command line is ${cmdBytes.length} bytes; at most ${MAX_CMDLINE_BYTES} are passed to a kernel.`,
    );

  // The information block: GDT, structure, module list, memory map, strings; one contiguous piece.
  const gdtBytes = GDT.length * 4;
  const mbiOffset = gdtBytes;
  const { lowerKiB, upperKiB } = memorySizes(map);
  const request = videoRequest(kernel);
  const framebuffer = request ? chooseFramebuffer(m, request, name) : undefined;
  const v2 =
    kernel.version === 2
      ? buildMultiboot2Info({
          cmdline: cmdBytes,
          loaderName: LOADER_NAME,
          modules: modules.map((mod) => ({ ...mod, name: Buffer.from(mod.name.slice(0, 1024) + '\0', 'utf8') })),
          lowerKiB,
          upperKiB,
          memoryMap: map,
          loadBase: kernel.multiboot2?.relocatable ? kernelStart : undefined,
          framebuffer,
        })
      : undefined;
  const video = (kernel.flags & MULTIBOOT_FLAG_VIDEO_MODE) !== 0 && framebuffer !== undefined;
  const modsOffset = mbiOffset + (video ? MBI_SIZE_WITH_FRAMEBUFFER : MBI_SIZE);
  const mmapOffset = modsOffset + modules.length * 16;
  const mmapLength = map.length * 24;
  let stringsOffset = mmapOffset + mmapLength;
  const strings: { offset: number; bytes: Buffer }[] = [];
  const addString = (s: Buffer): number => {
    const offset = stringsOffset;
    strings.push({ offset, bytes: s });
    stringsOffset += s.length;
    return offset;
  };
  const cmdOffset = addString(cmdBytes);
  const loaderOffset = addString(Buffer.from(LOADER_NAME + '\0', 'latin1'));
  const moduleStringOffsets = modules.map((mod) => addString(Buffer.from(mod.name.slice(0, 1024) + '\0', 'utf8')));
  // Multiboot2's information is self-contained (8-byte aligned after the 24-byte GDT).
  const blockSize = v2 ? mbiOffset + v2.length : stringsOffset;

  // Low memory unless the kernel sits there; else after the modules.
  const overlapsKernel = (start: number): boolean =>
    kernel.segments.some((s) => start < s.address + s.memorySize && s.address < start + blockSize);
  let base = LOW_INFO_ADDRESS;
  if (overlapsKernel(base) || placementProblem(base, base + blockSize, usable, ramBytes)) {
    base = next;
    const problem = placementProblem(base, base + blockSize, usable, ramBytes);
    if (problem)
      throw new MultibootError(
        `the multiboot information (${blockSize} bytes) does not fit at ${hex(base)}: ${problem}.`,
      );
  }

  const block = new Uint8Array(blockSize);
  const view = new DataView(block.buffer);
  GDT.forEach((w, i) => view.setUint32(i * 4, w, true));
  if (v2) block.set(v2, mbiOffset);
  else fillMultiboot1(view, block);

  function fillMultiboot1(view: DataView, block: Uint8Array): void {
    const mbi = (field: number, value: number): void => view.setUint32(mbiOffset + field, value >>> 0, true);
    mbi(0, MBI_MEMORY | MBI_CMDLINE | MBI_MODULES | MBI_MMAP | MBI_LOADER_NAME | (video ? MBI_FRAMEBUFFER : 0));
    if (video && framebuffer) {
      // Flag bit 2 asks for a video mode: the one set (type 1, RGB, with its colour fields at 110-115), or the
      // VGA's 80x25 text as type 2 (EGA text), as GRUB does when it leaves the console in text mode.
      const fb = framebuffer;
      view.setBigUint64(mbiOffset + 88, BigInt(fb.address), true);
      mbi(96, fb.pitch);
      mbi(100, fb.width);
      mbi(104, fb.height);
      view.setUint8(mbiOffset + 108, fb.bpp);
      view.setUint8(mbiOffset + 109, fb.type);
      fb.fields?.forEach((f, i) => view.setUint8(mbiOffset + 110 + i, f));
    }
    mbi(4, lowerKiB);
    mbi(8, upperKiB);
    mbi(16, base + cmdOffset);
    mbi(20, modules.length);
    mbi(24, base + modsOffset);
    mbi(44, mmapLength);
    mbi(48, base + mmapOffset);
    mbi(64, base + loaderOffset);
    modules.forEach((mod, i) => {
      const at = modsOffset + i * 16;
      view.setUint32(at, mod.start, true);
      view.setUint32(at + 4, mod.end, true);
      view.setUint32(at + 8, base + moduleStringOffsets[i], true);
    });
    map.forEach((e, i) => {
      // Each entry: size (20, not counting itself), base, length, type.
      const at = mmapOffset + i * 24;
      view.setUint32(at, 20, true);
      view.setBigUint64(at + 4, BigInt(e.base), true);
      view.setBigUint64(at + 12, BigInt(e.length), true);
      view.setUint32(at + 20, e.type, true);
    });
    for (const s of strings) block.set(s.bytes, s.offset);
  }

  for (const s of kernel.segments) {
    writeInPieces(m, s.address, s.data);
    if (s.memorySize > s.data.length) zeroFill(m, s.address + s.data.length, s.memorySize - s.data.length);
  }
  moduleList.forEach((mod, i) => writeInPieces(m, modules[i].start, mod.data));
  m.writeMemory(base, block, 'physical');

  // A20 on through port 0x92 (the fast gate), as a loader does before entering protected mode.
  m.portWrite(0x92, (m.portRead(0x92) | 0x02) & ~0x01);
  const regs = m.getRegisters();
  const flat = (selector: number, attrib: number) => ({ selector, base: 0, limit: 0xffffffff, attrib });
  const data = flat(0x10, DATA_ATTRIB);
  m.setRegisters({
    eax: v2 ? MULTIBOOT2_BOOTLOADER_MAGIC : MULTIBOOT_BOOTLOADER_MAGIC,
    ebx: base + mbiOffset,
    ecx: 0,
    edx: 0,
    esi: 0,
    edi: 0,
    ebp: 0,
    // The spec leaves ESP undefined; somewhere harmless below the boot sector, as after a BIOS.
    esp: 0x7c00,
    eip: kernel.entry,
    eflags: 0x2,
    cs: flat(0x08, CODE_ATTRIB),
    ds: data,
    es: data,
    fs: data,
    gs: data,
    ss: data,
    gdtr: { base, limit: gdtBytes - 1 },
    cr0: ((regs.cr0 | 0x1) & ~0x80000000) >>> 0,
  });
  return {
    version: kernel.version ?? 1,
    entry: kernel.entry,
    infoAddress: base + mbiOffset,
    kernelStart,
    kernelEnd,
    modules,
    ...(framebuffer ? { framebuffer: describeFramebuffer(framebuffer) } : {}),
    ...(kernel.elfClass === 64 ? { elfClass: 64 as const } : {}),
  };
}

/** The binding takes at most 64 MiB per write; kernels and modules may be larger. */
const WRITE_PIECE = 16 << 20;

function writeInPieces(m: BootvisorMachine, address: number, data: Uint8Array): void {
  for (let done = 0; done < data.length; done += WRITE_PIECE) {
    m.writeMemory(address + done, data.subarray(done, Math.min(data.length, done + WRITE_PIECE)), 'physical');
  }
}

/** Zeros a range of guest RAM in bounded pieces (a large bss need not become one large host buffer). */
function zeroFill(m: BootvisorMachine, address: number, length: number): void {
  const chunk = new Uint8Array(Math.min(length, 1 << 20));
  for (let done = 0; done < length; done += chunk.length) {
    const n = Math.min(chunk.length, length - done);
    m.writeMemory(address + done, n === chunk.length ? chunk : chunk.subarray(0, n), 'physical');
  }
}

/** A machine that starts in the kernel: created with the reset sector as its disk, then loaded. */
export function createMultibootMachine(
  config: Omit<MachineConfig, 'image' | 'imagePath' | 'bootDrive' | 'requireSignature'>,
  kernel: MultibootKernel,
  options: MultibootBootOptions,
): { machine: BootvisorMachine; placement: MultibootPlacement } {
  // Required lazily: the parser above is usable without the native addon.
  const { createMachine } = require('./machine') as typeof import('./machine');
  const machine = createMachine({ ...config, image: resetSector(), bootDrive: 0x80, requireSignature: true });
  try {
    return { machine, placement: bootMultiboot(machine, kernel, options) };
  } catch (e) {
    machine.dispose();
    throw e;
  }
}
