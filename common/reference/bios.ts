// PC BIOS services by interrupt vector and AH (or AX where the service is chosen by AX), as boot code calls
// them. Sources: the IBM PC/AT Technical Reference's BIOS listing and Ralf Brown's interrupt list, condensed.

export interface BiosService {
  vector: number;
  /** AH for most services; for services selected by the whole AX (INT 15h E820h...), `ax` is set instead. */
  ah?: number;
  ax?: number;
  name: string;
  /** Inputs and outputs in one line. */
  detail: string;
}

export interface BiosVector {
  vector: number;
  name: string;
}

export const BIOS_VECTORS: BiosVector[] = [
  { vector: 0x10, name: 'video services' },
  { vector: 0x11, name: 'equipment list (AX = equipment word)' },
  { vector: 0x12, name: 'conventional memory size (AX = KiB below 640K)' },
  { vector: 0x13, name: 'disk services' },
  { vector: 0x14, name: 'serial port services' },
  { vector: 0x15, name: 'system services' },
  { vector: 0x16, name: 'keyboard services' },
  { vector: 0x17, name: 'printer services' },
  { vector: 0x18, name: 'boot failure / ROM BASIC' },
  { vector: 0x19, name: 'bootstrap loader (reboot from disk)' },
  { vector: 0x1a, name: 'time of day and RTC services' },
];

type Row = [number, number, string, string];

// [vector, AH, name, detail]
const BY_AH: Row[] = [
  [0x10, 0x00, 'set video mode', 'AL = mode (03h: 80x25 text, 13h: 320x200x256)'],
  [0x10, 0x01, 'set cursor shape', 'CH = start scan line (bit 5: hide), CL = end scan line'],
  [0x10, 0x02, 'set cursor position', 'BH = page, DH = row, DL = column'],
  [0x10, 0x03, 'get cursor position and shape', 'BH = page -> DH = row, DL = column, CX = shape'],
  [0x10, 0x05, 'select active display page', 'AL = page'],
  [
    0x10,
    0x06,
    'scroll window up',
    'AL = lines (0 = clear), BH = fill attribute, CH,CL = top-left row,col, DH,DL = bottom-right',
  ],
  [
    0x10,
    0x07,
    'scroll window down',
    'AL = lines (0 = clear), BH = fill attribute, CH,CL = top-left, DH,DL = bottom-right',
  ],
  [0x10, 0x08, 'read character and attribute at cursor', 'BH = page -> AH = attribute, AL = character'],
  [
    0x10,
    0x09,
    'write character and attribute at cursor',
    'AL = character, BH = page, BL = attribute, CX = count (cursor does not move)',
  ],
  [0x10, 0x0a, 'write character at cursor', 'AL = character, BH = page, CX = count (cursor does not move)'],
  [0x10, 0x0b, 'set background / palette', 'BH = 0: BL = border colour'],
  [0x10, 0x0c, 'write graphics pixel', 'AL = colour, BH = page, CX = column, DX = row'],
  [0x10, 0x0d, 'read graphics pixel', 'BH = page, CX = column, DX = row -> AL = colour'],
  [
    0x10,
    0x0e,
    'teletype output',
    'AL = character, BH = page, BL = colour in graphics modes; advances the cursor, handles CR, LF, BS, BEL',
  ],
  [0x10, 0x0f, 'get video mode', '-> AL = mode, AH = columns, BH = active page'],
  [0x10, 0x10, 'palette registers', 'AL = subfunction'],
  [0x10, 0x11, 'character generator', 'AL = subfunction (e.g. 12h: 8x8 font, 50 rows)'],
  [0x10, 0x12, 'alternate select (EGA/VGA info)', 'BL = subfunction'],
  [0x10, 0x13, 'write string', 'AL = mode, BH = page, BL = attribute, CX = length, DH,DL = row,col, ES:BP = string'],
  [0x10, 0x1a, 'display combination code', 'AL = 00h: get -> BL = active display'],
  [0x10, 0x4f, 'VESA BIOS extensions', 'AL = subfunction (00h: controller info, 01h: mode info, 02h: set mode)'],
  [0x13, 0x00, 'reset disk system', 'DL = drive -> CF set on error, AH = status'],
  [0x13, 0x01, 'get status of last operation', 'DL = drive -> AH = status'],
  [
    0x13,
    0x02,
    'read sectors (CHS)',
    'AL = count, CH = cylinder, CL = sector (1-based; bits 6-7: cylinder high), DH = head, DL = drive, ES:BX = buffer -> CF set on error, AH = status, AL = sectors read',
  ],
  [
    0x13,
    0x03,
    'write sectors (CHS)',
    'AL = count, CH = cylinder, CL = sector, DH = head, DL = drive, ES:BX = buffer -> CF set on error',
  ],
  [0x13, 0x04, 'verify sectors', 'AL = count, CH,CL,DH,DL as for AH=02h'],
  [
    0x13,
    0x08,
    'get drive parameters',
    'DL = drive -> CH = max cylinder low, CL = max sector | cylinder high, DH = max head, DL = drives, CF on error',
  ],
  [0x13, 0x15, 'get disk type', 'DL = drive -> AH = type (0 none, 1 floppy no change-line, 2 floppy, 3 hard disk)'],
  [
    0x13,
    0x41,
    'check extensions present (EDD)',
    'BX = 55AAh, DL = drive -> CF clear and BX = AA55h if LBA calls are available',
  ],
  [
    0x13,
    0x42,
    'extended read (LBA)',
    'DL = drive, DS:SI = disk address packet (size 10h, count, buffer seg:off, 64-bit LBA) -> CF set on error',
  ],
  [0x13, 0x43, 'extended write (LBA)', 'AL = verify flag, DL = drive, DS:SI = disk address packet -> CF set on error'],
  [0x13, 0x48, 'extended get drive parameters', 'DL = drive, DS:SI = result buffer (size word set first)'],
  [0x14, 0x00, 'initialize serial port', 'AL = parameters (baud, parity, stop, length), DX = port number (0 = COM1)'],
  [0x14, 0x01, 'send character', 'AL = character, DX = port number -> AH bit 7 set on error'],
  [0x14, 0x02, 'receive character', 'DX = port number -> AL = character, AH = status'],
  [0x14, 0x03, 'get serial port status', 'DX = port number -> AH = line status, AL = modem status'],
  [0x15, 0x24, 'A20 gate control', 'AL = 00h disable, 01h enable, 02h query, 03h query support -> CF on error'],
  [0x15, 0x41, 'wait on external event', '(rarely supported)'],
  [0x15, 0x4f, 'keyboard intercept', 'called by the keyboard handler; AL = scan code'],
  [0x15, 0x86, 'wait', 'CX:DX = microseconds -> CF on error'],
  [0x15, 0x87, 'copy extended memory', 'CX = words, ES:SI = GDT for the copy'],
  [0x15, 0x88, 'get extended memory size', '-> AX = KiB above 1 MiB (up to 64 MiB)'],
  [0x15, 0xc0, 'get system configuration', '-> ES:BX = configuration table'],
  [0x16, 0x00, 'read key (wait)', '-> AH = scan code, AL = ASCII character'],
  [
    0x16,
    0x01,
    'check for key',
    '-> ZF set if no key waiting; else AH = scan code, AL = ASCII (the key stays in the buffer)',
  ],
  [0x16, 0x02, 'get shift flags', '-> AL = shift flags'],
  [0x16, 0x03, 'set typematic rate', 'AL = 05h, BH = delay, BL = rate'],
  [0x16, 0x05, 'store key in buffer', 'CH = scan code, CL = ASCII'],
  [0x16, 0x10, 'read extended key (wait)', '-> AH = scan code, AL = ASCII'],
  [0x16, 0x11, 'check for extended key', '-> ZF set if no key waiting'],
  [0x16, 0x12, 'get extended shift flags', '-> AX = shift flags'],
  [0x17, 0x00, 'print character', 'AL = character, DX = printer number -> AH = status'],
  [0x17, 0x01, 'initialize printer', 'DX = printer number -> AH = status'],
  [0x17, 0x02, 'get printer status', 'DX = printer number -> AH = status'],
  [0x1a, 0x00, 'get system time (ticks)', '-> CX:DX = ticks since midnight (18.2 per second), AL = midnight flag'],
  [0x1a, 0x01, 'set system time (ticks)', 'CX:DX = ticks since midnight'],
  [0x1a, 0x02, 'read RTC time', '-> CH = hours, CL = minutes, DH = seconds (BCD), CF on error'],
  [0x1a, 0x03, 'set RTC time', 'CH = hours, CL = minutes, DH = seconds (BCD)'],
  [0x1a, 0x04, 'read RTC date', '-> CH = century, CL = year, DH = month, DL = day (BCD), CF on error'],
  [0x1a, 0x05, 'set RTC date', 'CH = century, CL = year, DH = month, DL = day (BCD)'],
];

// [vector, AX, name, detail]
const BY_AX: Row[] = [
  [
    0x15,
    0xe820,
    'query system address map',
    'EAX = E820h, EDX = 534D4150h ("SMAP"), EBX = continuation (0 first), ECX = buffer size (20 or 24), ES:DI = buffer -> CF on error, EBX = next (0 = last)',
  ],
  [
    0x15,
    0xe801,
    'get memory size (above 1 MiB)',
    '-> AX/CX = KiB between 1 and 16 MiB, BX/DX = 64 KiB blocks above 16 MiB',
  ],
  [0x15, 0xe881, 'get memory size (32-bit)', 'as E801h with 32-bit results'],
  [0x15, 0x2400, 'disable A20 gate', '-> CF on error'],
  [0x15, 0x2401, 'enable A20 gate', '-> CF on error'],
  [0x15, 0x2402, 'query A20 gate status', '-> AL = 1 if enabled, CF on error'],
  [0x15, 0x2403, 'query A20 gate support', '-> BX = supported methods, CF on error'],
];

const services: BiosService[] = [
  ...BY_AH.map(([vector, ah, name, detail]) => ({ vector, ah, name, detail })),
  ...BY_AX.map(([vector, ax, name, detail]) => ({ vector, ax, name, detail })),
];

export function biosVector(vector: number): BiosVector | undefined {
  return BIOS_VECTORS.find((v) => v.vector === vector);
}

/**
 * The service an `int vector` selects, given what is known of AX before it: `ax` when the full register
 * was set (needed for INT 15h E820h), else `ah`.
 */
export function lookupBiosService(vector: number, ah?: number, ax?: number): BiosService | undefined {
  if (ax !== undefined) {
    const exact = services.find((s) => s.vector === vector && s.ax === ax);
    if (exact) return exact;
  }
  const high = ah ?? (ax !== undefined ? (ax >> 8) & 0xff : undefined);
  if (high === undefined) return undefined;
  return services.find((s) => s.vector === vector && s.ah === high);
}

/** Every service of one vector (for a hover that lists what AH selects). */
export function biosServicesOf(vector: number): BiosService[] {
  return services.filter((s) => s.vector === vector);
}
