// The code an interrupt or exception stopped, seen from its handler. gdb cannot be trusted past the handler:
// an asm stub has no call-frame information, and the CFI gcc and clang write for __attribute__((interrupt))
// handlers describes a call, not the CPU's frame (gcc puts the interrupted stack pointer at the iret frame's
// CS; clang, when the CPU pushed an error code, takes that for the return address). So the CPU's iret frame
// is found on the stack above the handler (EIP, CS, EFLAGS; SS:ESP too when the interrupted code ran at
// another privilege level; ES, DS, FS, GS as well from virtual-8086 mode), the event is named from the IDT
// (which gate enters the handler) or from the tutorial stubs' pushed vector, and the interrupted code's
// registers come from the best witness there is: a `pusha` block, the handler's own CFI (an interrupt
// handler saves what it uses), or, for a stub that saved none, the callee-saved registers the C handler
// kept; any other register is unknown, and gdb is told so (it shows <unavailable>) instead of a wrong value.
import type { Registers, SegmentRegister } from '../common/api';
import type { ElfDebugInfo } from '../common/elf-debug-info';
import type { MachineExtras, PicRegisters } from '../common/machine';
import { hex } from '../common/expression';
import { isCSource, type CDebugger, type FrameRef, type GdbFrame, type ViewRegisters } from './c-debugger';
import { decodeDescriptor, readWhatIsReadable } from './memory';
import type { Runtime } from './runtime';
import type { Frame } from './stack';

/** How far above a handler's stack pointer the CPU's iret frame is looked for. */
const IRET_SCAN_BYTES = 256;
/** At most this much (vector, error code, segment pushes) between a stub's `pusha` and the iret frame. */
const PUSHA_GAP_BYTES = 32;
const EFLAGS_VM = 0x20000;
const SHT_PROGBITS = 1;

type General = Pick<Registers, 'eax' | 'ecx' | 'edx' | 'ebx' | 'ebp' | 'esi' | 'edi'>;
const GENERAL = ['eax', 'ecx', 'edx', 'ebx', 'ebp', 'esi', 'edi'] as const;
/** What a C function called from a stub keeps (the i386 System V ABI's callee-saved registers). */
const CALLEE_SAVED = new Set(['ebx', 'ebp', 'esi', 'edi']);

const word = (data: Uint8Array, i: number): number =>
  (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;

/**
 * A `pusha` block below the iret frame at offset `iret` of `data` (read from `sp`): found by its saved
 * ESP, which is the address just above the block (a value that names its own place, not a coincidence).
 */
export function pushaBlock(data: Uint8Array, sp: number, iret: number): { regs: General; at: number } | undefined {
  // Memory upwards from the block's start: EDI ESI EBP ESP EBX EDX ECX EAX; ESP's slot is the fourth.
  for (let slot = iret - 20; slot >= 12; slot -= 4) {
    const above = (sp + slot + 20) >>> 0;
    if (iret - (slot + 20) > PUSHA_GAP_BYTES) break;
    if (word(data, slot) !== above) continue;
    return {
      regs: {
        edi: word(data, slot - 12),
        esi: word(data, slot - 8),
        ebp: word(data, slot - 4),
        ebx: word(data, slot + 4),
        edx: word(data, slot + 8),
        ecx: word(data, slot + 12),
        eax: word(data, slot + 16),
      },
      at: (sp + slot - 12) >>> 0,
    };
  }
  return undefined;
}

/** The exceptions' mnemonics by vector (0-20). */
const EXCEPTIONS = [
  '#DE',
  '#DB',
  'NMI',
  '#BP',
  '#OF',
  '#BR',
  '#UD',
  '#NM',
  '#DF',
  'vector 9',
  '#TS',
  '#NP',
  '#SS',
  '#GP',
  '#PF',
  'vector 15',
  '#MF',
  '#AC',
  '#MC',
  '#XM',
  '#VE',
];
/** Exceptions for which the CPU pushes an error code (right below the iret frame's EIP). */
export const WITH_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);

/**
 * What the stub pushed between its `pusha` block and the iret frame, read the way most stubs lay it out
 * (isr.asm, the OSDev and James Molloy stubs): the vector just above the block, then the error code (the
 * CPU's, or the stub's dummy 0). Only a gap of exactly those two words is read; anything else says nothing.
 */
export function stubVector(gap: number[]): number | undefined {
  if (gap.length !== 2 || gap[0] > 0xff) return undefined;
  return gap[0];
}

/** The vectors whose IDT gate (32-bit interrupt or trap gate) enters at each address. */
export function gateTargets(idt: Uint8Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let v = 0; v * 8 + 8 <= idt.length && v < 256; v++) {
    const at = v * 8;
    const type = idt[at + 5];
    // Present, a 32-bit interrupt (0xE) or trap (0xF) gate.
    if (!(type & 0x80) || ((type & 0x1f) !== 0x0e && (type & 0x1f) !== 0x0f)) continue;
    const target = (idt[at] | (idt[at + 1] << 8) | (idt[at + 6] << 16) | (idt[at + 7] << 24)) >>> 0;
    out.set(target, [...(out.get(target) ?? []), v]);
  }
  return out;
}

/**
 * A per-vector stub that pushes immediates and jumps to a common path (`push 0; push 14; jmp isr_common`):
 * the values it pushes, in order, and where it jumps (code at linear `at`); undefined for anything else.
 */
export function jumpStub(code: Uint8Array, at: number): { pushes: number[]; to: number } | undefined {
  const pushes: number[] = [];
  for (let i = 0; i < code.length;) {
    const op = code[i];
    if (op === 0x6a && i + 2 <= code.length) {
      pushes.push(((code[i + 1] << 24) >> 24) >>> 0); // push imm8, sign-extended
      i += 2;
    } else if (op === 0x68 && i + 5 <= code.length) {
      pushes.push(word(code, i + 1));
      i += 5;
    } else if (op === 0xeb && i + 2 <= code.length) {
      return { pushes, to: (at + i + 2 + ((code[i + 1] << 24) >> 24)) >>> 0 };
    } else if (op === 0xe9 && i + 5 <= code.length) {
      return { pushes, to: (at + i + 5 + word(code, i + 1)) >>> 0 };
    } else return undefined;
  }
  return undefined;
}

/**
 * The vector of an event handled by a common path at `common`: the one IDT gate whose stub jumps there and
 * whose pushes are on the stack right below the iret frame at offset `iret` of `data` (below the CPU's
 * error code, for an exception that has one). Whatever order a stub pushes its vector and dummy error code
 * in, only the right stub's pushes match. `none`: no stub jumps there (the caller may guess by layout).
 */
function vectorByStub(
  rt: Runtime,
  gates: Map<number, number[]>,
  base: number,
  common: number,
  data: Uint8Array,
  iret: number,
): number | 'none' | undefined {
  let stubs = 0;
  const found: number[] = [];
  for (const [target, vectors] of gates) {
    const { data: code } = readWhatIsReadable(rt.currentMachine, (base + target) >>> 0, 16);
    const stub = jumpStub(code, target);
    if (!stub || stub.to !== common) continue;
    stubs++;
    for (const v of vectors) {
      const below = iret - 4 * (WITH_ERROR_CODE.has(v) ? 2 : 1);
      if (below - 4 * (stub.pushes.length - 1) < 0) continue;
      if (stub.pushes.every((value, k) => word(data, below - 4 * k) === value)) found.push(v);
    }
  }
  if (!stubs) return 'none';
  return found.length === 1 ? found[0] : undefined;
}

/**
 * The IRQ an event on an exception's vector is, by the PICs' in-service registers: with the PICs not remapped
 * (the BIOS's bases 08h and 70h), IRQ 0-7 arrive on vectors 8-15, and a handler entered for IRQ n has bit n
 * in service until its EOI. Undefined when the PICs say no IRQ on that vector is in service (or cannot say:
 * auto-EOI mode, a handler past its EOI, a backend without them): the event is then read as the exception.
 */
export function irqInService(pics: PicRegisters | undefined, vector: number): number | undefined {
  if (!pics) return undefined;
  const { master, slave } = pics;
  const line = (chip: { vectorBase: number; isr: number }): number | undefined => {
    const n = vector - chip.vectorBase;
    return n >= 0 && n < 8 && (chip.isr >> n) & 1 ? n : undefined;
  };
  const fromSlave = line(slave);
  if (fromSlave !== undefined && master.isr & 4) return 8 + fromSlave; // through the master's cascade input
  const fromMaster = line(master);
  return fromMaster !== 2 ? fromMaster : undefined;
}

/** The marker frame's first words: an exception by name and error code, an interrupt by vector (and IRQ). */
function describe(vector: number | undefined, error: number | undefined, irq?: number): string {
  if (vector === undefined) return '[interrupt or exception (vector unknown):';
  if (irq !== undefined && vector < EXCEPTIONS.length)
    return `[interrupt: IRQ ${irq} on vector ${vector} (in service at the PIC: not ${EXCEPTIONS[vector]}),`;
  if (vector < EXCEPTIONS.length)
    return `[exception: ${EXCEPTIONS[vector]} (vector ${vector})${error !== undefined ? `, error code ${hex(error, 8)}` : ''},`;
  return `[interrupt: vector ${vector},`;
}

/** A segment register as a descriptor of the GDT (or LDT-less guess: flat) describes the selector. */
function segmentOf(rt: Runtime, regs: Registers, selector: number): SegmentRegister | undefined {
  if (selector & 4 || selector < 8) return undefined; // the LDT, or the null selector
  const at = selector & ~7;
  if (at + 7 > regs.gdtr.limit) return undefined;
  const { data } = readWhatIsReadable(rt.currentMachine, (regs.gdtr.base + at) >>> 0, 8);
  if (data.length < 8) return undefined;
  const { base, limit, attrib } = decodeDescriptor(word(data, 0), word(data, 4), at >> 3);
  return attrib & 0x80 ? { selector, base, limit, attrib } : undefined; // present
}

const realSegment = (selector: number): SegmentRegister => ({
  selector,
  base: selector << 4,
  limit: 0xffff,
  attrib: 0xf3, // present, DPL 3, read/write data: what a V86 segment's cache holds
});

/**
 * Whether `linear` can be an interrupted EIP: inside a section the ELF loads with contents, not a data object
 * (symbolAt also names any address up to 64 KiB past a size-0 label such as `end_of_kernel`, so a stack word
 * pointing past the image, followed by 8 and a code address, looked like an iret frame).
 */
function inLoadedImage(elf: ElfDebugInfo, linear: number): boolean {
  if (elf.symbols.symbolAt(linear)?.symbol.kind === 'object') return false;
  return elf.symbols.sections.some(
    (s) => s.type === SHT_PROGBITS && s.address !== 0 && (linear - s.address) >>> 0 < s.size,
  );
}

/** The interrupted code past a handler: the marker, the registers gdb is shown, or a frame it cannot read. */
export interface Interrupted {
  marker: Frame;
  regs: ViewRegisters;
  /** Virtual-8086 code (16-bit, real-mode addressed): its frame, which gdb is not asked to unwind. */
  v86?: Frame;
}

/**
 * The interrupted code past `frames` (gdb's frames down to the handler's entry: an asm stub, or an
 * __attribute__((interrupt)) function `isr` when the IDT enters it), found from the registers of `view`
 * (`regs`); undefined when no iret frame is found above the handler.
 */
export async function interruptedCode(
  rt: Runtime,
  engine: CDebugger,
  frames: GdbFrame[],
  view: Registers | undefined,
  regs: Registers,
  gates: Map<number, number[]>,
): Promise<Interrupted | undefined> {
  const handler = frames[frames.length - 1];
  const at = (f: GdbFrame): FrameRef => ({ level: f.level, view });
  let inHandler: Map<string, number | undefined>;
  try {
    inHandler = await engine.frameRegisters(at(handler), ['sp', ...GENERAL]);
  } catch {
    return undefined;
  }
  const sp = inHandler.get('sp');
  if (sp === undefined) return undefined;
  const { data } = readWhatIsReadable(rt.currentMachine, (regs.ss.base + sp) >>> 0, IRET_SCAN_BYTES);
  const cpl = regs.cs.selector & 3;
  for (let off = 0; off + 12 <= data.length; off += 4) {
    const eip = word(data, off);
    const cs = word(data, off + 4);
    const eflags = word(data, off + 8);
    // EFLAGS as the CPU pushes it: bit 1 set, bits 3, 5, 15 and 22-31 clear; CS a 16-bit selector.
    if (cs >>> 16 !== 0 || (eflags & 0xffc08028) !== 0 || !(eflags & 2)) continue;
    const v86 = (eflags & EFLAGS_VM) !== 0;
    const outer = !v86 && (cs & 3) > cpl;
    if (!v86 && !outer && cs !== regs.cs.selector) continue;
    const words = v86 ? 9 : outer ? 5 : 3;
    if (off + words * 4 > data.length) continue;
    let code: SegmentRegister | undefined;
    let stack: SegmentRegister | undefined;
    let esp = (sp + off + 12) >>> 0; // same privilege: the interrupted stack is just above the frame
    if (v86) {
      if (eip > 0xffff) continue;
      code = realSegment(cs);
      stack = realSegment(word(data, off + 16) & 0xffff);
      esp = word(data, off + 12) & 0xffff;
    } else if (outer) {
      const ss = word(data, off + 16);
      code = segmentOf(rt, regs, cs);
      stack = segmentOf(rt, regs, ss & 0xffff);
      // A code segment of that privilege (DPL = RPL), a data segment of the same for the stack.
      if (!code || !stack || ss >>> 16 || (code.attrib & 0x18) !== 0x18 || ((code.attrib >> 5) & 3) !== (cs & 3))
        continue;
      esp = word(data, off + 12);
    } else code = regs.cs;
    const linear = (code.base + eip) >>> 0;
    if (!rt.elf?.placeOf(linear)?.symbol || !inLoadedImage(rt.elf, linear)) continue;

    const frameAt = (sp + off) >>> 0;
    // The event: the IDT gate that enters the handler (or the stub before it), else a tutorial stub's push.
    const entered = frames
      .map((f) => rt.elf?.symbols.symbolAt(f.addr)?.symbol.address)
      .map((a) => (a === undefined ? undefined : gates.get(a)))
      .find((v) => v?.length === 1);
    const saved = pushaBlock(data, sp, off);
    let vector = entered?.[0];
    const common = rt.elf?.symbols.symbolAt(handler.addr)?.symbol.address;
    const byStub =
      vector === undefined && common !== undefined
        ? vectorByStub(rt, gates, regs.cs.base, common, data, off)
        : undefined;
    if (typeof byStub === 'number') vector = byStub;
    if (vector === undefined && byStub === 'none' && saved) {
      const gap: number[] = [];
      for (let i = off - (frameAt - ((saved.at + 32) >>> 0)); i < off; i += 4) gap.push(word(data, i));
      vector = stubVector(gap);
    }
    // The PICs not remapped put IRQs on the exceptions' vectors: the one in service there is no exception.
    const irq =
      vector !== undefined && vector < EXCEPTIONS.length
        ? irqInService((rt.currentMachine as Partial<MachineExtras>).picRegisters?.(), vector)
        : undefined;
    const error =
      vector !== undefined && irq === undefined && WITH_ERROR_CODE.has(vector) && off >= 4
        ? word(data, off - 4)
        : undefined;

    // The registers: pusha's block; an interrupt function's CFI (gdb's frame above it); else what a C call keeps.
    const general = {} as General;
    const unknown: string[] = [];
    let witness: string;
    const isr = isCSource(handler.file) && entered !== undefined;
    let unwound: Map<string, number | undefined> | undefined;
    if (!saved && isr)
      unwound = await engine.frameRegisters({ level: handler.level + 1, view }, [...GENERAL]).catch(() => undefined);
    for (const name of GENERAL) {
      const value = saved
        ? saved.regs[name]
        : isr
          ? unwound?.get(name)
          : CALLEE_SAVED.has(name)
            ? inHandler.get(name)
            : undefined;
      if (value === undefined) unknown.push(name);
      general[name] = value ?? 0;
    }
    if (saved) witness = `registers saved by pusha at ${hex(saved.at, 8)}`;
    else if (isr) witness = "registers from the handler's call-frame information";
    else witness = 'no pusha: EAX, ECX, EDX unknown, the others as the C handler kept them';
    if (unknown.length && (saved || isr)) witness += ` (${unknown.join(', ').toUpperCase()} unknown)`;

    const where = v86
      ? `V86 ${hex(cs, 4)}:${hex(eip, 4)} (linear ${hex(linear, 8)}) SS:SP ${hex(stack!.selector, 4)}:${hex(esp, 4)}`
      : outer
        ? `ring ${cs & 3} EIP ${hex(eip, 8)} CS ${hex(cs, 4)} SS:ESP ${hex(stack!.selector, 4)}:${hex(esp, 8)}`
        : `EIP ${hex(eip, 8)} CS ${hex(cs, 4)}`;
    const marker: Frame = {
      linear,
      cs: regs.cs.selector,
      ip: eip,
      name: `${describe(vector, error, irq)} ${where} EFLAGS ${hex(eflags, 8)} pushed at ${hex(frameAt, 8)}, ${witness}]`,
    };
    const out: ViewRegisters = { ...regs, ...general, eip, eflags, esp, cs: code };
    if (stack) out.ss = stack;
    if (v86) {
      const seg = (i: number): SegmentRegister => realSegment(word(data, off + i) & 0xffff);
      Object.assign(out, { es: seg(20), ds: seg(24), fs: seg(28), gs: seg(32) });
    }
    if (unknown.length) out.unknown = unknown;
    if (!v86) return { marker, regs: out };
    const place = rt.elf?.placeOf(linear);
    return {
      marker,
      regs: out,
      v86: {
        linear,
        cs,
        ip: eip,
        name: `${place?.symbol ?? hex(linear, 8)} (${hex(cs, 4)}:${hex(eip, 4)}, virtual-8086)`,
        file: place?.file,
        line: place?.line,
      },
    };
  }
  return undefined;
}
