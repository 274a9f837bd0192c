// What the DAP session asks of C debugging, in one place so session.ts only calls in: the call stack from
// gdb's unwinder (DWARF call-frame information, frame pointers as its fallback), the C scopes of a C frame,
// C expressions for watch, hover and the Debug Console, C lvalues for data breakpoints, and C conditions and
// logpoints. Each answers undefined when the question is not a C one, and the session does what it did.
import * as fs from 'fs';
import type { Registers } from '../common/api';
import type { ElfDebugInfo } from '../common/elf-debug-info';
import { hex } from '../common/expression';
import { CDebugger, isCSource, type GdbFrame } from './c-debugger';
import { CVariables } from './c-variables';
import type { Runtime } from './runtime';
import { readWhatIsReadable } from './memory';
import { callStack, type Frame } from './stack';

/** How far above an interrupt stub's stack pointer the CPU's iret frame is looked for. */
const IRET_SCAN_BYTES = 256;

/** Whether the ELF at `file` carries DWARF type information (.debug_info), which C variables need. */
function hasDebugInfo(elf: ElfDebugInfo): boolean {
  try {
    return elf.symbols.section('.debug_info').length > 0;
  } catch {
    return false;
  }
}

/** A C condition's value as gdb prints it (1, 0, 0x0, true, 0 '\\000', 2.5) is true unless it is zero. */
export function isTrue(value: string): boolean {
  const m = /^\s*(?:\([^)]*\)\s*)?(-?0x[0-9a-f]+|-?[\d.]+(?:e[-+]?\d+)?|true|false)/i.exec(value);
  if (!m) return true;
  const t = m[1].toLowerCase();
  if (t === 'false') return false;
  if (t === 'true') return true;
  return Number(t) !== 0;
}

export class CSupport {
  readonly engine: CDebugger;
  readonly variables: CVariables;
  /** gdb's frames at the last stack trace of this stop (frame ids are their levels). */
  private frames?: GdbFrame[];
  private said = new Set<string>();

  private constructor(
    elfPath: string,
    private readonly rt: Runtime,
    private readonly note: (text: string) => void,
  ) {
    // BOOTVISOR_GDB names another gdb (a cross i686-elf-gdb, one outside PATH).
    this.engine = new CDebugger(elfPath, () => rt.currentMachine, { gdb: process.env.BOOTVISOR_GDB || undefined });
    this.variables = new CVariables(this.engine, () => rt.guestChanged());
    rt.cBreakpoints = this.breakpointHooks();
    this.engine.warm();
  }

  /** C support for a session whose program (or `symbols`) is an ELF with DWARF; else undefined. */
  static create(elfPath: string | undefined, rt: Runtime, note: (text: string) => void): CSupport | undefined {
    if (!elfPath || !rt.elf || !hasDebugInfo(rt.elf) || !fs.existsSync(elfPath)) return undefined;
    return new CSupport(elfPath, rt, note);
  }

  stopped(): void {
    this.frames = undefined;
    this.variables.stopped();
  }

  /** The current instruction is C (or nasm -F dwarf) code of the ELF, in 32-bit protected mode. */
  private inElfCode(r: Registers): boolean {
    if (!(r.cr0 & 1) || r.eflags & 0x20000 || !(r.cs.attrib & 0x400)) return false;
    return !!this.rt.elf?.placeOf((r.cs.base + r.eip) >>> 0)?.file;
  }

  private sayOnce(text: string): void {
    if (this.said.has(text)) return;
    this.said.add(text);
    this.note(text);
  }

  /** The call stack by gdb's unwinder, when the guest stopped in the ELF's code; else undefined. */
  async callStack(): Promise<Frame[] | undefined> {
    const r = this.rt.registers();
    if (!this.inElfCode(r)) return undefined;
    let frames: GdbFrame[];
    try {
      frames = await this.engine.frames();
    } catch (e) {
      this.sayOnce(`Bootvisor: the C call stack comes from return addresses on the stack: ${(e as Error).message}\n`);
      return undefined;
    }
    if (!frames.length) return undefined;
    // gdb's unwinding ends in an interrupt stub without call-frame information ("?? ()" after it): the
    // interrupted code is found by the CPU's iret frame on the stack, and its callers by return addresses.
    // At -O2 gdb may simply stop there instead; the outermost frame is tried too (an entry point has no
    // iret frame above it, so nothing is found there).
    const unknown = (f: GdbFrame): boolean => !f.file && (!f.func || f.func === '??');
    let lost = frames.findIndex((f, i) => i > 0 && unknown(f));
    if (lost < 0 && frames.length > 1 && !isCSource(frames[frames.length - 1].file)) lost = frames.length;
    const beyond = lost > 0 ? await this.interrupted(frames[lost - 1], r) : undefined;
    if (beyond) frames = frames.slice(0, lost);
    this.frames = frames;
    const cs = r.cs.selector;
    return [
      ...frames.map((f, i) => {
        // The top frame is where the CPU is; a caller is shown at its CALL (the return address is the next line).
        const linear = i === 0 ? (r.cs.base + r.eip) >>> 0 : f.addr;
        const ip = (linear - r.cs.base) >>> 0;
        const place = this.rt.elf?.placeOf(i === 0 || f.level === frames[i - 1].level ? linear : linear - 1);
        const where = `${hex(cs, 4)}:${hex(ip, 8)}`;
        const symbol = place?.symbol ?? f.func;
        return {
          linear,
          cs,
          ip,
          name: symbol ? `${symbol} (${where})` : where,
          file: f.file ?? place?.file,
          line: f.line ?? place?.line,
        };
      }),
      ...(beyond ?? []),
    ];
  }

  /**
   * Frames past an interrupt stub: the iret frame (EIP, CS, EFLAGS the CPU pushed) found above the stub's
   * stack pointer, a frame naming it, then the interrupted code and its callers (return addresses on its
   * stack, each verified by the CALL before it).
   */
  private async interrupted(stub: GdbFrame, r: Registers): Promise<Frame[] | undefined> {
    let sp: number | undefined;
    try {
      sp = await this.engine.frameSp(stub.level);
    } catch {
      return undefined;
    }
    if (sp === undefined) return undefined;
    const machine = this.rt.currentMachine;
    const { data } = readWhatIsReadable(machine, (r.ss.base + sp) >>> 0, IRET_SCAN_BYTES);
    const word = (i: number): number =>
      (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
    for (let off = 0; off + 12 <= data.length; off += 4) {
      const eip = word(off);
      const cs = word(off + 4);
      const eflags = word(off + 8);
      // EFLAGS as the CPU pushes it: bit 1 set, bits 3, 5, 15 and 22-31 clear; CS the kernel's code segment.
      if ((cs & 0xffff) !== r.cs.selector || cs >>> 16 !== 0 || (eflags & 0xffc08028) !== 0 || !(eflags & 2)) continue;
      const linear = (r.cs.base + eip) >>> 0;
      if (!this.rt.elf?.placeOf(linear)?.symbol) continue;
      const at = sp + off;
      const marker: Frame = {
        linear,
        cs: r.cs.selector,
        ip: eip,
        name: `[interrupt: EIP ${hex(eip, 8)} CS ${hex(cs & 0xffff, 4)} EFLAGS ${hex(eflags, 8)} pushed at ${hex(at, 8)}]`,
      };
      const regs: Registers = { ...r, eip, esp: (at + 12) >>> 0 };
      return [marker, ...callStack(machine, regs, this.rt.listing, 32, this.rt.elf)];
    }
    return undefined;
  }

  /** Is frame `id` (a level of gdb's stack) C code? */
  isCFrame(id: number | undefined): boolean {
    const f = this.frames?.[id ?? 0];
    if (f) return isCSource(f.file);
    return (id ?? 0) === 0 && this.inCCode();
  }

  /** The CPU is in C code of the ELF now. */
  private inCCode(): boolean {
    const r = this.rt.registers();
    return this.inElfCode(r) && isCSource(this.rt.elf?.placeOf((r.cs.base + r.eip) >>> 0)?.file);
  }

  /**
   * A C expression for evaluate (watch, hover, the Debug Console) in a C frame; undefined when the frame is
   * not C or the expression is one of the adapter's own (a register, `word [x]`) that C does not know.
   */
  async evaluate(
    expression: string,
    frameId: number | undefined,
  ): Promise<{ result: string; type: string; variablesReference: number } | undefined> {
    if (!this.isCFrame(frameId)) return undefined;
    try {
      return await this.variables.evaluate(expression, frameId ?? 0);
    } catch (e) {
      try {
        this.rt.evaluateText(expression);
        return undefined; // not C, but the adapter's expressions know it (eax, byte [esi])
      } catch {
        throw e;
      }
    }
  }

  /** The runtime's hooks for C conditions and logpoints (at a hit in C code, in the top frame). */
  breakpointHooks(): NonNullable<Runtime['cBreakpoints']> {
    return {
      applies: () => this.inCCode(),
      condition: async (text) => isTrue(await this.engine.evaluate(`(${text})`, 0)),
      log: async (message) => {
        let out = '';
        let last = 0;
        for (const m of message.matchAll(/\{([^{}]+)\}/g)) {
          out += message.slice(last, m.index);
          last = (m.index ?? 0) + m[0].length;
          try {
            out += await this.engine.evaluate(m[1].trim(), 0);
          } catch (e) {
            out += `<${e instanceof Error ? e.message : String(e)}>`;
          }
        }
        return out + message.slice(last);
      },
    };
  }

  /** Address and size of a C lvalue (dataBreakpointInfo), by expression or by a listed variable. */
  async lvalue(
    name: string,
    frameId: number | undefined,
    variablesReference?: number,
  ): Promise<{ address: number; size: number; label: string } | undefined> {
    if (variablesReference && this.variables.owns(variablesReference)) {
      const p = this.variables.pathOf(variablesReference, name);
      if (!p) throw new Error(`No C variable "${name}" was listed in that scope.`);
      return { ...(await this.engine.lvalue(p.path, p.frame)), label: p.path };
    }
    if (variablesReference || !this.isCFrame(frameId)) return undefined;
    try {
      return { ...(await this.engine.lvalue(name, frameId ?? 0)), label: name };
    } catch (e) {
      try {
        this.rt.evaluateText(name);
        return undefined;
      } catch {
        throw e;
      }
    }
  }

  dispose(): void {
    this.engine.dispose();
  }
}
