// The bounds Bootvisor puts on what it is given: guest RAM, disk images, the files it reads, nasm's time and
// output. Every front end (CLI, debug adapter, language server, extension) and the launch schema take them
// from here, so a limit is changed in one place (test/cli/limits.test.ts checks package.json and the native
// binding's messages agree).

const MiB = 1 << 20;

/** Guest RAM in MiB: the native machine refuses anything else. */
export const MEMORY_MIB = { min: 1, max: 3072, default: 32 } as const;

export const SECTOR_SIZE = 512;

/** The largest disk image Bootvisor boots: larger than any disk a toy OS boots from. */
export const MAX_DISK_BYTES = 2 ** 31 - SECTOR_SIZE;

/** The BIOS drive numbers a guest can boot from (DL at boot): the first floppy and the first hard disk. */
export const BOOT_DRIVES = [0x00, 0x80] as const;

/**
 * A nasm listing is text about the image: a few dozen bytes per source line and per 8 bytes of output, and
 * nasm folds repeated data (`times`, `resb`) into one line. Far beyond any boot sector's, well below what
 * would exhaust the host when read.
 */
export const MAX_LISTING_BYTES = 64 * MiB;

/** A NASM source (or one it includes) read by Bootvisor itself: hashed for the report, scanned for symbols. */
export const MAX_SOURCE_BYTES = 16 * MiB;

/** A multiboot kernel file, read whole (its debug information included), and each module handed to it. */
export const MAX_KERNEL_BYTES = 256 * MiB;
export const MAX_MODULE_BYTES = 1024 * MiB;

/** Other inputs read whole: a --serial-in file or stream, a --replay recording (an input log). */
export const MAX_INPUT_FILE_BYTES = 16 * MiB;

/** How long nasm may run when the caller states no limit (the CLI's --timeout and the server's option do). */
export const NASM_DEFAULT_TIMEOUT_MS = 60_000;

/** nasm's messages kept in memory (the rest is counted, not stored): thousands of diagnostics. */
export const NASM_MAX_MESSAGE_BYTES = 1 * MiB;

/** nasm's output files may not outgrow what they are for: the image a disk, the listing the bound above. */
export const NASM_MAX_IMAGE_BYTES = MAX_DISK_BYTES;

/** Guest memory a debugger request reads or writes at once (`readMemory`, `writeMemory`). */
export const MAX_MEMORY_REQUEST_BYTES = 1 * MiB;

/** Instructions a `disassemble` request returns at once, and how far from its reference it may start. */
export const MAX_DISASSEMBLE_INSTRUCTIONS = 4096;
export const MAX_DISASSEMBLE_OFFSET = 4096;

/** Source lines one request may walk (breakpointLocations' line range): beyond any real source file. */
export const MAX_SOURCE_LINES_PER_REQUEST = 100_000;

/** One DAP or LSP message body: far beyond any real request (a 1 MiB writeMemory is 1.4 MiB of base64). */
export const MAX_PROTOCOL_MESSAGE_BYTES = 16 * MiB;
