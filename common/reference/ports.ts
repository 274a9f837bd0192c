// What the I/O ports of a PC usually are, for hovers on IN/OUT and for the "no device serves this port"
// warning. Sources: the IBM PC/AT Technical Reference port map, the 8259A/8254/8042/16550A/MC146818 data
// sheets, QEMU's and Bochs's isa-debug ports.

export interface PortInfo {
  port: number;
  /** Short name: "COM1 data". */
  name: string;
  /** The device the port belongs to: "16550A UART (COM1)". */
  device: string;
  detail?: string;
}

type Range = [first: number, last: number, device: string, names: (string | undefined)[] | string];

const RANGES: Range[] = [
  [0x00, 0x0f, '8237 DMA controller 1', 'DMA controller 1 register'],
  [
    0x20,
    0x21,
    '8259A PIC (master)',
    ['master PIC command (ICW1, OCW2 EOI = 20h, OCW3)', 'master PIC data (ICW2-4, interrupt mask OCW1)'],
  ],
  [
    0x40,
    0x43,
    '8254 PIT',
    [
      'PIT channel 0 counter (IRQ 0, system timer)',
      'PIT channel 1 counter (DRAM refresh)',
      'PIT channel 2 counter (PC speaker)',
      'PIT mode/command register',
    ],
  ],
  [0x60, 0x60, '8042 keyboard controller', ['keyboard controller data (scan codes, controller command data)']],
  [0x61, 0x61, 'system control port B', ['system control port B (PC speaker gate, PIT channel 2 gate, NMI status)']],
  [0x64, 0x64, '8042 keyboard controller', ['keyboard controller status (read) / command (write)']],
  [0x70, 0x71, 'MC146818 CMOS RTC', ['CMOS index (bit 7: NMI disable)', 'CMOS data']],
  [0x80, 0x80, 'POST diagnostic port', ['POST code port (also used as an I/O delay)']],
  [0x81, 0x8f, 'DMA page registers', 'DMA page register'],
  [0x92, 0x92, 'system control port A', ['system control port A (bit 1: fast A20 gate, bit 0: fast reset)']],
  [0xa0, 0xa1, '8259A PIC (slave)', ['slave PIC command', 'slave PIC data (interrupt mask)']],
  [0xc0, 0xdf, '8237 DMA controller 2', 'DMA controller 2 register'],
  [0xe9, 0xe9, 'Bochs/QEMU debug console', ['debug console (port E9h hack: bytes written appear on the host)']],
  [0xf0, 0xf1, 'math coprocessor', 'FPU error/reset'],
  [0xf4, 0xf4, 'isa-debug-exit', ['isa-debug-exit (QEMU-compatible: writing V ends the run with status (V << 1) | 1)']],
  [
    0x170,
    0x177,
    'secondary ATA controller',
    [
      'ATA2 data',
      'ATA2 error/features',
      'ATA2 sector count',
      'ATA2 LBA low',
      'ATA2 LBA mid',
      'ATA2 LBA high',
      'ATA2 drive/head',
      'ATA2 status/command',
    ],
  ],
  [
    0x1f0,
    0x1f7,
    'primary ATA controller',
    [
      'ATA data',
      'ATA error/features',
      'ATA sector count',
      'ATA LBA low / sector',
      'ATA LBA mid / cylinder low',
      'ATA LBA high / cylinder high',
      'ATA drive/head',
      'ATA status (read) / command (write)',
    ],
  ],
  [
    0x2f8,
    0x2ff,
    '16550A UART (COM2)',
    [
      'COM2 data',
      'COM2 interrupt enable',
      'COM2 interrupt identification / FIFO control',
      'COM2 line control',
      'COM2 modem control',
      'COM2 line status',
      'COM2 modem status',
      'COM2 scratch',
    ],
  ],
  [0x376, 0x376, 'secondary ATA controller', ['ATA2 alternate status / device control']],
  [0x378, 0x37a, 'parallel port (LPT1)', ['LPT1 data', 'LPT1 status', 'LPT1 control']],
  [0x3b0, 0x3bb, 'monochrome display adapter', 'MDA/Hercules register'],
  [0x3c0, 0x3c0, 'VGA', ['VGA attribute controller index/data']],
  [0x3c1, 0x3c1, 'VGA', ['VGA attribute controller data (read)']],
  [0x3c2, 0x3c2, 'VGA', ['VGA miscellaneous output (write) / input status 0 (read)']],
  [0x3c4, 0x3c5, 'VGA', ['VGA sequencer index', 'VGA sequencer data']],
  [
    0x3c6,
    0x3c9,
    'VGA',
    ['VGA DAC pixel mask', 'VGA DAC read index', 'VGA DAC write index', 'VGA DAC data (palette R, G, B)'],
  ],
  [0x3cc, 0x3cc, 'VGA', ['VGA miscellaneous output (read)']],
  [0x3ce, 0x3cf, 'VGA', ['VGA graphics controller index', 'VGA graphics controller data']],
  [0x3d4, 0x3d5, 'VGA', ['VGA CRT controller index (cursor position: 0Eh/0Fh)', 'VGA CRT controller data']],
  [0x3da, 0x3da, 'VGA', ['VGA input status 1 (bit 3: vertical retrace; reading resets the attribute flip-flop)']],
  [
    0x3f0,
    0x3f7,
    'floppy disk controller',
    [
      'FDC status A',
      'FDC status B',
      'FDC digital output',
      'FDC tape drive',
      'FDC main status / data rate select',
      'FDC data FIFO',
      undefined,
      'FDC digital input / configuration control',
    ],
  ],
  [0x3f6, 0x3f6, 'primary ATA controller', ['ATA alternate status / device control']],
  [
    0x3f8,
    0x3ff,
    '16550A UART (COM1)',
    [
      'COM1 data (transmit/receive; divisor low when DLAB=1)',
      'COM1 interrupt enable (divisor high when DLAB=1)',
      'COM1 interrupt identification (read) / FIFO control (write)',
      'COM1 line control (bit 7: DLAB)',
      'COM1 modem control',
      'COM1 line status (bit 5: transmitter empty, bit 0: data ready)',
      'COM1 modem status',
      'COM1 scratch',
    ],
  ],
  [0x3e8, 0x3ef, '16550A UART (COM3)', 'COM3 register'],
  [0x2e8, 0x2ef, '16550A UART (COM4)', 'COM4 register'],
  [0x402, 0x402, 'QEMU/SeaBIOS debug console', ['SeaBIOS debug output']],
  [0x510, 0x511, 'QEMU fw_cfg', ['fw_cfg selector', 'fw_cfg data']],
  [0xcf8, 0xcfb, 'PCI configuration mechanism #1', 'PCI CONFIG_ADDRESS'],
  [0xcfc, 0xcff, 'PCI configuration mechanism #1', 'PCI CONFIG_DATA'],
  [0x8900, 0x8900, 'Bochs APM shutdown port', ['Bochs shutdown port (write "Shutdown")']],
];

/** What the port usually is on a PC, or undefined if nothing standard lives there. Later rows win (0x3F6 inside the FDC range). */
export function lookupPort(port: number): PortInfo | undefined {
  let found: PortInfo | undefined;
  for (const [first, last, device, names] of RANGES) {
    if (port < first || port > last) continue;
    const name = typeof names === 'string' ? `${names} ${hex(port)}` : names[port - first];
    if (name !== undefined) found = { port, name, device };
  }
  return found;
}

/** `0x3F8` */
export function hex(n: number, digits = 2): string {
  return '0x' + n.toString(16).toUpperCase().padStart(digits, '0');
}

/** "COM1 data (...) (port 0x3F8, 16550A UART (COM1))", or "port 0x1234 (nothing standard on a PC)". */
export function describePort(port: number): string {
  const info = lookupPort(port);
  if (!info) return `port ${hex(port)} (nothing standard on a PC lives there)`;
  return `port ${hex(port)}: ${info.name} [${info.device}]`;
}
