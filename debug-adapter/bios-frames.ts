// Frames inside Bootvisor's BIOS: a pause while the guest waits in INT 16h lands in the ROM's service stubs
// (F000:E000 + 16 * service, see native/src/pc/bios/bios.h), which no listing covers. Such a frame is named by
// the service the guest asked for (`BIOS INT 16h AH=00h (waiting for a key)`), and the interrupt frame the INT
// or IRQ pushed gives the caller: CS:IP, the stack pointer above the frame, whether an `int n` made it.
import type { Machine, Registers } from '../common/api';
import { hex } from '../common/expression';
import { lookupBiosService } from '../common/reference/bios';
import { readWhatIsReadable } from './memory';
import { isRealMode } from './registers';

const ROM_SEGMENT = 0xf000;
const STUBS = 0xe000;
const STUB_SIZE = 16;
/** BiosService in native/src/pc/bios/bios.h, in order: each a vector, an IRQ line or a default exception handler. */
const SERVICES: ({ vector: number } | { irq: number } | { exception: number })[] = [
  ...[0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a].map((vector) => ({ vector })),
  { irq: 0 },
  { irq: 1 },
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((exception) => ({ exception })),
  { irq: 12 },
];
/** Bytes an IRQ stub has pushed by each offset (`push ax` after the monitor call), so the IRET frame is found. */
const IRQ_PUSHED: Record<number, (offset: number) => number> = {
  0: (o) => (o >= 5 && o <= 9 ? 2 : 0), // out; int 1Ch; push ax; mov al,20h; out 20h,al; pop ax; iret
  1: (o) => (o >= 3 && o <= 7 ? 2 : 0), // out; push ax; mov al,20h; out 20h,al; pop ax; iret
  // out; ret, called from the ROM's IRQ12 routine after it pushed AX, BX, CX, DX and SI.
  12: () => 12,
};
const IRQ_NAMES: Record<number, string> = { 0: 'timer tick', 1: 'keyboard', 12: 'mouse' };
const EXCEPTION_NAMES = [
  '#DE divide error',
  '#DB debug',
  'NMI',
  '#BP breakpoint',
  '#OF overflow',
  '#BR bound range',
  '#UD invalid opcode',
  '#NM no FPU',
];
/** The ROM's shared IRET, where every vector nobody hooked points. */
const DEFAULT_IRET = 0xe200;

export interface CodeContext {
  cs: number;
  csBase: number;
  ip: number;
  sp: number;
  ssBase: number;
}

export interface BiosFrame {
  name: string;
  /** Where the interrupted or calling code goes on. */
  caller: CodeContext;
  /** The caller was an `int n` (its frame is shown on the INT), not an interrupted instruction. */
  callerIsInt: boolean;
}

export function contextOf(regs: Registers): CodeContext {
  return {
    cs: regs.cs.selector,
    csBase: regs.cs.base >>> 0,
    ip: regs.eip & 0xffff,
    sp: regs.esp & 0xffff,
    ssBase: regs.ss.base >>> 0,
  };
}

/** A BIOS frame when `at` runs in the ROM's stubs (real mode only: the ROM's code is 16-bit). */
export function biosFrame(machine: Machine, regs: Registers, at: CodeContext): BiosFrame | undefined {
  if (!isRealMode(regs) || at.csBase !== ROM_SEGMENT * 16) return undefined;
  let name: string;
  let pushed = 0;
  const index = Math.floor((at.ip - STUBS) / STUB_SIZE);
  const offset = at.ip - STUBS - index * STUB_SIZE;
  const service = at.ip >= STUBS ? SERVICES[index] : undefined;
  if (service && 'vector' in service) {
    const ax = regs.eax & 0xffff;
    const ah = ax >> 8;
    const known = lookupBiosService(service.vector, ah, ax);
    const selector = known?.ax !== undefined ? `AX=${hex(ax, 4)}h` : `AH=${hex(ah, 2)}h`;
    // The stub is `out; iret; sti; hlt; jmp` and a service that must wait sends IP into the loop.
    const waiting = offset >= 3;
    const what = waiting
      ? service.vector === 0x16
        ? 'waiting for a key'
        : `waiting${known ? `: ${known.name}` : ''}`
      : (known?.name ?? 'unknown service');
    name = `BIOS INT ${hex(service.vector, 2)}h ${selector} (${what})`;
  } else if (service && 'irq' in service) {
    name = `BIOS IRQ ${service.irq} handler (${IRQ_NAMES[service.irq]})`;
    pushed = IRQ_PUSHED[service.irq](offset);
  } else if (service && 'exception' in service) {
    name = `BIOS default handler of ${EXCEPTION_NAMES[service.exception]}`;
  } else if (at.ip === DEFAULT_IRET) {
    name = 'BIOS default interrupt handler (IRET)';
  } else return undefined;
  const frame = readWhatIsReadable(machine, (at.ssBase + ((at.sp + pushed) & 0xffff)) >>> 0, 6).data;
  if (frame.length < 6) return undefined;
  const ip = frame[0] | (frame[1] << 8);
  const cs = frame[2] | (frame[3] << 8);
  const caller: CodeContext = { cs, csBase: cs * 16, ip, sp: (at.sp + pushed + 6) & 0xffff, ssBase: at.ssBase };
  const before = readWhatIsReadable(machine, (caller.csBase + ip - 2) >>> 0, 1).data;
  const callerIsInt = !('irq' in (service ?? {})) && before[0] === 0xcd;
  return { name, caller, callerIsInt };
}
