// A Multiboot (version 1) kernel file as a boot loader sees it: the multiboot header in its first 8 KiB and
// what to load where, from the ELF program headers or from the header's a.out-kludge addresses (flag bit
// 16), checked the way GRUB and QEMU's -kernel check them, each refusal saying what is wrong. Pure: the file's
// bytes in, a load plan out; common/multiboot-boot.ts hands the plan to a machine.

/** The header's magic, and what EAX holds when the kernel starts. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie in this much of the file's start, 32-bit aligned. */
export const MULTIBOOT_SEARCH_BYTES = 8192;

/** Header flags: bits 0-15 are requirements a loader must refuse when it cannot meet them. */
const FLAG_PAGE_ALIGN_MODULES = 1 << 0;
const FLAG_MEMORY_INFO = 1 << 1;
const FLAG_VIDEO_MODE = 1 << 2;
const FLAG_AOUT_KLUDGE = 1 << 16;
/** Bit 2 is met with the VGA's EGA text mode: the kernel is told so (framebuffer type 2) and must check. */
const SUPPORTED_REQUIREMENTS = FLAG_PAGE_ALIGN_MODULES | FLAG_MEMORY_INFO | FLAG_VIDEO_MODE;
export const MULTIBOOT_FLAG_VIDEO_MODE = FLAG_VIDEO_MODE;

import {
  findMultiboot2Header,
  MULTIBOOT2_HEADER_MAGIC,
  MULTIBOOT2_SEARCH_BYTES,
  parseMultiboot2,
  type Multiboot2Request,
} from './multiboot2';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ET_EXEC = 2;
const EM_386 = 3;
const EM_X86_64 = 62;
const PT_LOAD = 1;
/** Program headers read at most: real kernels have a handful. */
const MAX_PROGRAM_HEADERS = 256;

/** What is wrong with a kernel file, in words for the user (the CLI exits 65 with it). */
export class MultibootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultibootError';
  }
}

/** One piece to load: `data` at physical `address`, then zeros up to `memorySize` (bss). */
export interface LoadSegment {
  address: number;
  data: Uint8Array;
  memorySize: number;
}

export interface MultibootKernel {
  /** Physical address of the first instruction. */
  entry: number;
  segments: LoadSegment[];
  /** The header's flags (bit 0: page-align modules, bit 1: memory info wanted, bit 16: a.out kludge). */
  flags: number;
  /** Where the header was found in the file. */
  headerOffset: number;
  /** 'elf': program headers; 'aout-kludge': the header's own addresses. */
  layout: 'elf' | 'aout-kludge';
  /** Which specification's header was found (1 when absent): it decides EAX and the information's format. */
  version?: 1 | 2;
  /** A Multiboot2 header's requests (information, console, framebuffer). */
  multiboot2?: Multiboot2Request;
  /** 64 for an ELF64 (x86-64) kernel: loaded as GRUB's multiboot2 loads one, entered in 32-bit protected mode. */
  elfClass?: 32 | 64;
  /** A v1 header's video fields (flag bit 2): mode_type 0 linear graphics, 1 EGA text; 0 = no preference. */
  video?: { modeType: number; width: number; height: number; depth: number };
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).toUpperCase();
const hexWide = (n: number): string => '0x' + n.toString(16).toUpperCase();

/** Thrown by findHeader when the file has no Multiboot v1 magic at all (a Multiboot2 header may be there). */
class NoMultibootHeader extends MultibootError {}

/** True when the bytes start like an ELF file (whatever its class or machine). */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Whether a file is a kernel to load rather than a disk to boot, from its first 8 KiB and its size: an ELF,
 * or a flat binary whose multiboot header gives load addresses (flag bit 16) and that is no boot image (not
 * whole sectors, or no 0x55AA signature).
 */
export function looksLikeKernel(head: Uint8Array, size: number): boolean {
  if (isElf(head)) return true;
  const bootable = size % 512 === 0 && head[510] === 0x55 && head[511] === 0xaa;
  if (bootable) return false;
  if (findMultiboot2Header(head) >= 0) return true;
  try {
    return (findHeader(head, '').flags & FLAG_AOUT_KLUDGE) !== 0;
  } catch {
    return false;
  }
}

interface Header {
  offset: number;
  flags: number;
}

/** The first valid multiboot header in the first 8 KiB, or the reason there is none. */
function findHeader(bytes: Uint8Array, name: string): Header {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(bytes.length, MULTIBOOT_SEARCH_BYTES) - 12;
  let badChecksumAt: number | undefined;
  for (let at = 0; at <= end; at += 4) {
    if (view.getUint32(at, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(at + 4, true);
    const checksum = view.getUint32(at + 8, true);
    if ((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0 === 0) return { offset: at, flags };
    badChecksumAt ??= at;
  }
  if (badChecksumAt !== undefined) {
    const flags = view.getUint32(badChecksumAt + 4, true);
    const checksum = view.getUint32(badChecksumAt + 8, true);
    throw new MultibootError(
      `${name}: the multiboot header at offset ${hex(badChecksumAt)} has a bad checksum: ${hex(checksum)}, ` +
        `where magic + flags + checksum must be 0 (flags ${hex(flags)} want ${hex(-(MULTIBOOT_HEADER_MAGIC + flags))}).`,
    );
  }
  throw new NoMultibootHeader(
    `${name}: no multiboot header (magic 0x1BADB002, 32-bit aligned) in the first ${MULTIBOOT_SEARCH_BYTES} bytes, ` +
      `nor a Multiboot2 header (magic 0xE85250D6, 64-bit aligned) in the first ${MULTIBOOT2_SEARCH_BYTES}. ` +
      'Put a .multiboot section first in the linker script (the OSDev Bare Bones way) so the header lands at the start of the file.',
  );
}

function checkFlags(flags: number, name: string): void {
  const unknown = flags & 0xffff & ~SUPPORTED_REQUIREMENTS;
  if (unknown) {
    const bits = [...Array(16).keys()].filter((b) => unknown & (1 << b));
    throw new MultibootError(
      `${name}: the multiboot header's flags ${hex(flags)} set bit${bits.length > 1 ? 's' : ''} ${bits.join(', ')}, ` +
        'requirements Multiboot 0.6.96 does not define (a loader must refuse them); only bits 0 (page-align modules), 1 (memory information) and 2 (video mode) are.',
    );
  }
}

/**
 * The load plan of a Multiboot kernel, or a MultibootError saying what is wrong with the file. A file with
 * both headers loads as Multiboot v1, as QEMU's -kernel loads it; one with only a Multiboot2 header as GRUB's
 * `multiboot2` command loads it.
 */
export function parseMultibootKernel(bytes: Uint8Array, name: string): MultibootKernel {
  const elf = isElf(bytes);
  if (elf) checkElfIdentity(bytes, name);
  if (elf && bytes[4] === ELFCLASS64) {
    // An x86-64 kernel: GRUB's multiboot2 command loads it (QEMU's -kernel refuses it), entering its 32-bit
    // bootstrap at the entry address tag or the ELF entry, which must then lie below 4 GiB.
    const kernel = parseMultiboot2(bytes, name, () => elfKernel(bytes, { offset: -1, flags: 0 }, name));
    return { ...kernel, elfClass: 64 };
  }
  let header: Header;
  try {
    header = findHeader(bytes, name);
  } catch (e) {
    const v2 = e instanceof NoMultibootHeader && bytes.length >= 16 && hasMultiboot2Magic(bytes);
    if (!v2) throw e;
    return parseMultiboot2(bytes, name, elf ? () => elfKernel(bytes, { offset: -1, flags: 0 }, name) : undefined);
  }
  checkFlags(header.flags, name);
  const video = videoFields(bytes, header, name);
  const kernel = parseV1Layout(bytes, header, name, elf);
  return video ? { ...kernel, video } : kernel;
}

/** The header's mode_type, width, height and depth (offsets 32-44), present when flag bit 2 is set. */
function videoFields(bytes: Uint8Array, header: Header, name: string): MultibootKernel['video'] {
  if (!(header.flags & FLAG_VIDEO_MODE)) return undefined;
  if (header.offset + 48 > bytes.length)
    throw new MultibootError(
      `${name}: the multiboot header at ${hex(header.offset)} sets flag bit 2 (video mode) but the file ends before its video fields (offsets 32-47).`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = header.offset + 32;
  const modeType = view.getUint32(at, true);
  if (modeType > 1)
    throw new MultibootError(
      `${name}: the multiboot header's mode_type is ${modeType}; the specification defines 0 (linear graphics) and 1 (EGA text).`,
    );
  return {
    modeType,
    width: view.getUint32(at + 4, true),
    height: view.getUint32(at + 8, true),
    depth: view.getUint32(at + 12, true),
  };
}

function parseV1Layout(bytes: Uint8Array, header: Header, name: string, elf: boolean): MultibootKernel {
  if (header.flags & FLAG_AOUT_KLUDGE) return aoutKludge(bytes, header, name);
  if (!elf) {
    throw new MultibootError(
      `${name} is not an ELF file, and its multiboot header does not give load addresses (flag bit 16, the a.out kludge): ` +
        'a boot loader cannot tell where to put it.',
    );
  }
  return elfKernel(bytes, header, name);
}

/** Whether the magic of a Multiboot2 header (good checksum or not) is in the first 32 KiB. */
function hasMultiboot2Magic(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 16 <= Math.min(bytes.length, MULTIBOOT2_SEARCH_BYTES); at += 8)
    if (view.getUint32(at, true) === MULTIBOOT2_HEADER_MAGIC) return true;
  return false;
}

function checkElfIdentity(bytes: Uint8Array, name: string): void {
  const is64 = bytes[4] === ELFCLASS64;
  const headerBytes = is64 ? 64 : 52;
  if (bytes.length < headerBytes)
    throw new MultibootError(
      `${name}: an ELF file cut short (${bytes.length} bytes; its header alone is ${headerBytes}).`,
    );
  if (is64 && !hasMultiboot2Magic(bytes)) {
    throw new MultibootError(
      `${name} is a 64-bit ELF without a Multiboot2 header; Multiboot v1 loads 32-bit kernels (QEMU's -kernel refuses 64-bit ones too). ` +
        "Give it a Multiboot2 header (GRUB's multiboot2 loads x86-64 ELF files, and so does Bootvisor), build it with `gcc -m32` (and `ld -m elf_i386`), " +
        'or convert it with `objcopy -O elf32-i386`.',
    );
  }
  if (!is64 && bytes[4] !== ELFCLASS32)
    throw new MultibootError(`${name}: ELF class ${bytes[4]} is neither 32- nor 64-bit.`);
  if (bytes[5] !== ELFDATA2LSB)
    throw new MultibootError(`${name} is a big-endian ELF: an x86 kernel is little-endian.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = view.getUint16(18, true);
  if (is64 && machine !== EM_X86_64)
    throw new MultibootError(`${name} is a 64-bit ELF for machine ${machine}, not x86-64 (62).`);
  if (!is64 && machine !== EM_386) {
    throw new MultibootError(
      `${name} is an ELF for machine ${machine}${machine === 62 ? ' (x86-64)' : ''}, not i386 (3): build it with \`gcc -m32\`.`,
    );
  }
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC) {
    throw new MultibootError(
      `${name} is an ELF of type ${type}${type === 1 ? ' (a relocatable object: link it)' : type === 3 ? ' (a shared object or PIE: link with -static -no-pie)' : ''}, ` +
        'not an executable (2).',
    );
  }
}

function elfKernel(bytes: Uint8Array, header: Header, name: string): MultibootKernel {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ELF32 and ELF64 differ in field widths and places; 64-bit values past 2^53 stay huge, so every check
  // below still refuses them.
  const is64 = bytes[4] === ELFCLASS64;
  const word = (at: number): number => (is64 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true));
  const entryVirtual = word(24);
  const phoff = is64 ? word(32) : view.getUint32(28, true);
  const phentsize = view.getUint16(is64 ? 54 : 42, true);
  const phnum = view.getUint16(is64 ? 56 : 44, true);
  if (phnum === 0) throw new MultibootError(`${name}: the ELF has no program headers, so nothing to load.`);
  if (phnum > MAX_PROGRAM_HEADERS)
    throw new MultibootError(`${name}: ${phnum} program headers; at most ${MAX_PROGRAM_HEADERS} are read.`);
  if (phentsize < (is64 ? 56 : 32))
    throw new MultibootError(
      `${name}: program header entries of ${phentsize} bytes (an ELF${is64 ? '64 one is 56' : '32 one is 32'}).`,
    );
  if (phoff + phnum * phentsize > bytes.length) {
    throw new MultibootError(
      `${name}: the program headers (${phnum} at offset ${hex(phoff)}) run past the end of the file (${bytes.length} bytes).`,
    );
  }
  const segments: LoadSegment[] = [];
  let entry: number | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const [offset, vaddr, paddr, filesz, memsz] = (is64 ? [8, 16, 24, 32, 40] : [4, 8, 12, 16, 20]).map((o) =>
      word(at + o),
    );
    if (memsz === 0) continue;
    if (filesz > memsz)
      throw new MultibootError(
        `${name}: segment ${i} has more bytes in the file (${filesz}) than in memory (${memsz}).`,
      );
    if (offset + filesz > bytes.length) {
      throw new MultibootError(
        `${name}: segment ${i} (${filesz} bytes at file offset ${hex(offset)}) runs past the end of the file (${bytes.length} bytes); is the file cut short?`,
      );
    }
    if (paddr + memsz > 2 ** 32)
      throw new MultibootError(
        `${name}: segment ${i} at ${hexWide(paddr)} (${memsz} bytes) ${is64 ? 'ends past 4 GiB (a loader in 32-bit protected mode cannot put it there)' : 'wraps past 4 GiB'}.`,
      );
    segments.push({ address: paddr, data: bytes.subarray(offset, offset + filesz), memorySize: memsz });
    // Higher-half kernels link at virtual addresses and load at physical ones: the entry is where it loads.
    if (entry === undefined && entryVirtual >= vaddr && entryVirtual - vaddr < memsz)
      entry = paddr + (entryVirtual - vaddr);
  }
  if (segments.length === 0) throw new MultibootError(`${name}: the ELF has no loadable (PT_LOAD) segment.`);
  checkOverlaps(segments, name);
  if (entry === undefined) {
    throw new MultibootError(
      `${name}: the entry point ${hexWide(entryVirtual)} is in none of the loaded segments (is \`ENTRY(...)\` in the linker script right?).`,
    );
  }
  return { entry, segments, flags: header.flags, headerOffset: header.offset, layout: 'elf' };
}

function aoutKludge(bytes: Uint8Array, header: Header, name: string): MultibootKernel {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (header.offset + 32 > bytes.length)
    throw new MultibootError(
      `${name}: the multiboot header's address fields (flag bit 16) run past the end of the file.`,
    );
  const [headerAddr, loadAddr, loadEndAddr, bssEndAddr, entryAddr] = [12, 16, 20, 24, 28].map((o) =>
    view.getUint32(header.offset + o, true),
  );
  if (loadAddr > headerAddr)
    throw new MultibootError(
      `${name}: the header's load_addr ${hex(loadAddr)} is above header_addr ${hex(headerAddr)}.`,
    );
  const fileStart = header.offset - (headerAddr - loadAddr);
  if (fileStart < 0)
    throw new MultibootError(
      `${name}: header_addr - load_addr (${hex(headerAddr - loadAddr)}) is more than the header's offset in the file (${hex(header.offset)}).`,
    );
  const loadEnd = loadEndAddr === 0 ? loadAddr + (bytes.length - fileStart) : loadEndAddr;
  if (loadEnd < loadAddr)
    throw new MultibootError(
      `${name}: the header's load_end_addr ${hex(loadEndAddr)} is below load_addr ${hex(loadAddr)}.`,
    );
  const fileBytes = loadEnd - loadAddr;
  if (fileStart + fileBytes > bytes.length) {
    throw new MultibootError(
      `${name}: load_addr..load_end_addr is ${fileBytes} bytes, but the file has only ${bytes.length - fileStart} from the load start.`,
    );
  }
  const memEnd = bssEndAddr === 0 ? loadEnd : bssEndAddr;
  if (memEnd < loadEnd)
    throw new MultibootError(
      `${name}: the header's bss_end_addr ${hex(bssEndAddr)} is below load_end_addr ${hex(loadEnd)}.`,
    );
  if (memEnd > 2 ** 32) throw new MultibootError(`${name}: the kernel would end past 4 GiB.`);
  if (entryAddr < loadAddr || entryAddr >= memEnd) {
    throw new MultibootError(
      `${name}: the header's entry_addr ${hex(entryAddr)} is outside what it loads (${hex(loadAddr)}-${hex(memEnd)}).`,
    );
  }
  const segments = [
    { address: loadAddr, data: bytes.subarray(fileStart, fileStart + fileBytes), memorySize: memEnd - loadAddr },
  ];
  return { entry: entryAddr, segments, flags: header.flags, headerOffset: header.offset, layout: 'aout-kludge' };
}

function checkOverlaps(segments: LoadSegment[], name: string): void {
  const sorted = [...segments].sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.address + prev.memorySize > sorted[i].address) {
      throw new MultibootError(
        `${name}: segments overlap: ${hex(prev.address)}-${hex(prev.address + prev.memorySize)} and ${hex(sorted[i].address)}-` +
          `${hex(sorted[i].address + sorted[i].memorySize)}.`,
      );
    }
  }
}
