// A Multiboot2 kernel file as a boot loader sees it (the Multiboot2 specification, version 2.0): the header
// in the first 32 KiB, 64-bit aligned, and its tags (what the kernel asks for: information, addresses, an
// entry point, a console, a framebuffer, module alignment, relocation), checked the way GRUB's multiboot2
// loader checks them: a tag the loader cannot honour is refused unless the kernel marked it optional. Pure:
// the file's bytes in, a load plan out (common/multiboot2-info.ts builds what the kernel gets).
import { MultibootError, type LoadSegment, type MultibootKernel } from './multiboot';

export const MULTIBOOT2_HEADER_MAGIC = 0xe85250d6;
/** What EAX holds when a Multiboot2 kernel starts. */
export const MULTIBOOT2_BOOTLOADER_MAGIC = 0x36d76289;
export const MULTIBOOT2_SEARCH_BYTES = 32768;
const ARCH_I386 = 0;
/** Header tags read at most: a real header has a handful. */
const MAX_HEADER_TAGS = 64;

/** Header tag types. */
const TAG_END = 0;
const TAG_INFORMATION_REQUEST = 1;
const TAG_ADDRESS = 2;
const TAG_ENTRY_ADDRESS = 3;
const TAG_CONSOLE_FLAGS = 4;
const TAG_FRAMEBUFFER = 5;
const TAG_MODULE_ALIGN = 6;
const TAG_EFI_BS = 7;
const TAG_ENTRY_ADDRESS_EFI32 = 8;
const TAG_ENTRY_ADDRESS_EFI64 = 9;
const TAG_RELOCATABLE = 10;
const TAG_OPTIONAL = 1;

const HEADER_TAG_NAMES: Record<number, string> = {
  [TAG_EFI_BS]: 'EFI boot services',
  [TAG_ENTRY_ADDRESS_EFI32]: 'an EFI i386 entry address',
  [TAG_ENTRY_ADDRESS_EFI64]: 'an EFI amd64 entry address',
};

/** Information (boot information tag) types the loader gives, and their names for messages. */
export const MBI_TAG = {
  END: 0,
  CMDLINE: 1,
  BOOT_LOADER_NAME: 2,
  MODULE: 3,
  BASIC_MEMINFO: 4,
  MMAP: 6,
  FRAMEBUFFER: 8,
  LOAD_BASE_ADDR: 21,
} as const;
const PROVIDED = new Set<number>(Object.values(MBI_TAG));
const MBI_TAG_NAMES: Record<number, string> = {
  5: 'the BIOS boot device',
  7: 'VBE information',
  9: 'ELF sections',
  10: 'the APM table',
  11: 'an EFI 32-bit system table',
  12: 'an EFI 64-bit system table',
  13: 'SMBIOS tables',
  14: 'the ACPI 1.0 RSDP',
  15: 'the ACPI 2.0 RSDP',
  16: 'networking information',
  17: 'the EFI memory map',
  18: 'EFI boot services not terminated',
  19: 'an EFI 32-bit image handle',
  20: 'an EFI 64-bit image handle',
};

/** What a Multiboot2 header asks of the loader beyond the load plan. */
export interface Multiboot2Request {
  /** Information tag types the kernel asked for (tag 1), required or not. */
  requested: number[];
  /** The framebuffer tag's preferred mode (0 = no preference), when the header has one. */
  framebuffer?: { width: number; height: number; depth: number; optional: boolean };
  /** The console flags tag: bit 0 a console is required, bit 1 the kernel supports EGA text. */
  consoleFlags?: number;
  /** A relocatable header (tag 10): the kernel is loaded where it was linked, and told where that is. */
  relocatable: boolean;
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).toUpperCase();

/** The offset of the first Multiboot2 header with a good checksum in `bytes`' first 32 KiB, or -1. */
export function findMultiboot2Header(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(bytes.length, MULTIBOOT2_SEARCH_BYTES) - 16;
  for (let at = 0; at <= end; at += 8) {
    if (view.getUint32(at, true) !== MULTIBOOT2_HEADER_MAGIC) continue;
    const sum = view.getUint32(at, true) + view.getUint32(at + 4, true) + view.getUint32(at + 8, true);
    if ((sum + view.getUint32(at + 12, true)) % 2 ** 32 === 0) return at;
  }
  return -1;
}

/** A bad-checksum Multiboot2 header's offset (for the message when there is no good one), or -1. */
function findDamagedHeader(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(bytes.length, MULTIBOOT2_SEARCH_BYTES) - 16;
  for (let at = 0; at <= end; at += 8) if (view.getUint32(at, true) === MULTIBOOT2_HEADER_MAGIC) return at;
  return -1;
}

interface HeaderTag {
  type: number;
  optional: boolean;
  /** Offset of the tag's first byte in the file. */
  at: number;
  size: number;
}

function headerTags(view: DataView, header: number, headerLength: number, name: string): HeaderTag[] {
  const tags: HeaderTag[] = [];
  const end = header + headerLength;
  for (let at = header + 16; ;) {
    if (at + 8 > end)
      throw new MultibootError(`${name}: the Multiboot2 header's tags run past its length (${headerLength} bytes).`);
    const type = view.getUint16(at, true);
    const optional = (view.getUint16(at + 2, true) & TAG_OPTIONAL) !== 0;
    const size = view.getUint32(at + 4, true);
    if (type === TAG_END) return tags;
    if (size < 8 || at + size > end)
      throw new MultibootError(
        `${name}: the Multiboot2 header tag of type ${type} at offset ${hex(at)} has a size of ${size} bytes, which does not fit the header.`,
      );
    tags.push({ type, optional, at, size });
    if (tags.length > MAX_HEADER_TAGS)
      throw new MultibootError(`${name}: more than ${MAX_HEADER_TAGS} Multiboot2 header tags without an end tag.`);
    at += (size + 7) & ~7;
  }
}

/**
 * The load plan of a Multiboot2 kernel whose header is at `header`, or a MultibootError saying what is
 * wrong. `elfPlan` gives the ELF's segments and entry when the header has no address tag.
 */
export function parseMultiboot2(
  bytes: Uint8Array,
  name: string,
  elfPlan: (() => { entry: number; segments: LoadSegment[] }) | undefined,
): MultibootKernel {
  const header = findMultiboot2Header(bytes);
  if (header < 0) {
    const damaged = findDamagedHeader(bytes);
    throw new MultibootError(
      damaged >= 0
        ? `${name}: the Multiboot2 header at offset ${hex(damaged)} has a bad checksum (magic + architecture + header_length + checksum must be 0).`
        : `${name}: no Multiboot2 header (magic 0xE85250D6, 64-bit aligned) in the first ${MULTIBOOT2_SEARCH_BYTES} bytes.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const arch = view.getUint32(header + 4, true);
  if (arch !== ARCH_I386)
    throw new MultibootError(
      `${name}: the Multiboot2 header is for architecture ${arch}${arch === 4 ? ' (32-bit MIPS)' : ''}, not i386 (0).`,
    );
  const headerLength = view.getUint32(header + 8, true);
  if (headerLength < 24 || header + headerLength > bytes.length)
    throw new MultibootError(
      `${name}: the Multiboot2 header's length (${headerLength} bytes) is too short for an end tag or runs past the file.`,
    );

  const request: Multiboot2Request = { requested: [], relocatable: false };
  let address: { header: number; load: number; loadEnd: number; bssEnd: number } | undefined;
  let entryAddress: number | undefined;
  for (const tag of headerTags(view, header, headerLength, name)) {
    const u32 = (offset: number): number => {
      if (offset + 4 > tag.size)
        throw new MultibootError(
          `${name}: the Multiboot2 header tag of type ${tag.type} is ${tag.size} bytes, too short for its fields.`,
        );
      return view.getUint32(tag.at + offset, true);
    };
    switch (tag.type) {
      case TAG_INFORMATION_REQUEST:
        for (let o = 8; o + 4 <= tag.size; o += 4) {
          const wanted = u32(o);
          if (!tag.optional && !PROVIDED.has(wanted)) {
            throw new MultibootError(
              `${name}: the Multiboot2 header requires ${MBI_TAG_NAMES[wanted] ?? `information tag ${wanted}`} (type ${wanted}), which Bootvisor's loader does not give; ` +
                'it gives the command line, the loader name, modules, basic memory information, the memory map and the framebuffer. Mark the request optional (flags bit 0) if the kernel can do without.',
            );
          }
          request.requested.push(wanted);
        }
        break;
      case TAG_ADDRESS:
        address = { header: u32(8), load: u32(12), loadEnd: u32(16), bssEnd: u32(20) };
        break;
      case TAG_ENTRY_ADDRESS:
        entryAddress = u32(8);
        break;
      case TAG_CONSOLE_FLAGS:
        request.consoleFlags = u32(8);
        break;
      case TAG_FRAMEBUFFER:
        request.framebuffer = { width: u32(8), height: u32(12), depth: u32(16), optional: tag.optional };
        break;
      case TAG_MODULE_ALIGN:
        break; // modules are page-aligned anyway
      case TAG_RELOCATABLE:
        request.relocatable = true;
        break;
      default:
        if (!tag.optional) {
          throw new MultibootError(
            `${name}: the Multiboot2 header requires ${HEADER_TAG_NAMES[tag.type] ?? `header tag ${tag.type}`}, which Bootvisor's loader (a BIOS machine, no EFI) cannot give.`,
          );
        }
    }
  }

  let plan: { entry: number; segments: LoadSegment[] };
  if (address) plan = addressPlan(bytes, header, address, entryAddress, name);
  else if (elfPlan) plan = elfPlan();
  else
    throw new MultibootError(
      `${name} is not an ELF file, and its Multiboot2 header has no address tag (type 2): a boot loader cannot tell where to put it.`,
    );
  if (entryAddress !== undefined) plan = { ...plan, entry: entryAddress };
  const inside = plan.segments.some((s) => plan.entry >= s.address && plan.entry < s.address + s.memorySize);
  if (!inside)
    throw new MultibootError(`${name}: the entry point ${hex(plan.entry)} is in none of the loaded segments.`);
  return {
    entry: plan.entry,
    segments: plan.segments,
    flags: 0,
    headerOffset: header,
    layout: address ? 'aout-kludge' : 'elf',
    version: 2,
    multiboot2: request,
  };
}

/** The address tag's load plan (the Multiboot2 form of the a.out kludge). */
function addressPlan(
  bytes: Uint8Array,
  header: number,
  a: { header: number; load: number; loadEnd: number; bssEnd: number },
  entry: number | undefined,
  name: string,
): { entry: number; segments: LoadSegment[] } {
  if (entry === undefined)
    throw new MultibootError(`${name}: the Multiboot2 header has an address tag but no entry address tag (type 3).`);
  // load_addr 0xFFFFFFFF means "from the start of the file".
  const load = a.load === 0xffffffff ? a.header - header : a.load;
  if (load > a.header)
    throw new MultibootError(
      `${name}: the address tag's load_addr ${hex(load)} is above header_addr ${hex(a.header)}.`,
    );
  const fileStart = header - (a.header - load);
  if (fileStart < 0)
    throw new MultibootError(
      `${name}: header_addr - load_addr (${hex(a.header - load)}) is more than the header's offset in the file (${hex(header)}).`,
    );
  const loadEnd = a.loadEnd === 0 ? load + (bytes.length - fileStart) : a.loadEnd;
  if (loadEnd < load || fileStart + (loadEnd - load) > bytes.length)
    throw new MultibootError(
      `${name}: load_addr..load_end_addr (${hex(load)}-${hex(loadEnd)}) is not within the file's ${bytes.length - fileStart} bytes from the load start.`,
    );
  const memEnd = a.bssEnd === 0 ? loadEnd : a.bssEnd;
  if (memEnd < loadEnd)
    throw new MultibootError(
      `${name}: the address tag's bss_end_addr ${hex(memEnd)} is below load_end_addr ${hex(loadEnd)}.`,
    );
  if (memEnd > 2 ** 32) throw new MultibootError(`${name}: the kernel would end past 4 GiB.`);
  return {
    entry,
    segments: [
      { address: load, data: bytes.subarray(fileStart, fileStart + (loadEnd - load)), memorySize: memEnd - load },
    ],
  };
}
