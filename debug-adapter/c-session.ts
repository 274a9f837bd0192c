// What the DAP session asks of C debugging, in one place so session.ts only calls in: the call stack from
// gdb's unwinder (DWARF call-frame information, frame pointers as its fallback), the C scopes of a C frame,
// C expressions for watch, hover and the Debug Console, C lvalues for data breakpoints, and C conditions and
// logpoints. Each answers undefined when the question is not a C one, and the session does what it did.
import * as fs from 'fs';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Registers } from '../common/api';
import type { ElfDebugInfo } from '../common/elf-debug-info';
import { hex } from '../common/expression';
import { CPU_FRAME_SCOPES } from './asm-frame-registers';
import { CDebugger, isCSource, type FrameRef, type GdbFrame } from './c-debugger';
import {
  editRefusal,
  frameRegisterValues,
  frameRegisterVariables,
  type FrameRegisterValues,
  type RegisterSource,
} from './c-frame-registers';
import { gateTargets, interruptedCode } from './c-interrupts';
import { readWhatIsReadable } from './memory';
import { CVariables } from './c-variables';
import type { Runtime } from './runtime';
import { callStack, type Frame } from './stack';

/** Interrupt frames followed at most (an exception in an IRQ handler in the interrupted code is two). */
const MAX_INTERRUPT_FRAMES = 4;

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
  /** The frames of the last stack trace of this stop (a frame id is an index; the interrupt markers are holes). */
  private frames?: ((FrameRef & { file?: string }) | undefined)[];
  /** Where each frame of the last stack trace has its registers (a frame id is an index). */
  private sources?: RegisterSource[];
  private said = new Set<string>();

  private constructor(
    elfPath: string,
    cwd: string,
    private readonly rt: Runtime,
    private readonly note: (text: string) => void,
  ) {
    // BOOTVISOR_GDB names another gdb (a cross i686-elf-gdb, one outside PATH).
    this.engine = new CDebugger(elfPath, () => rt.currentMachine, {
      gdb: process.env.BOOTVISOR_GDB || undefined,
      cwd,
      onCrash: (text) => this.sayOnce(text),
    });
    this.variables = new CVariables(this.engine, () => rt.guestChanged());
    rt.cBreakpoints = this.breakpointHooks();
    this.engine.warm();
  }

  /**
   * C support for a session whose program (or `symbols`) is an ELF with DWARF; else undefined. `cwd`: the
   * launch's, where relative source names (DWARF 4, -fdebug-prefix-map) are looked for.
   */
  static create(
    elfPath: string | undefined,
    cwd: string,
    rt: Runtime,
    note: (text: string) => void,
  ): CSupport | undefined {
    if (!elfPath || !rt.elf || !hasDebugInfo(rt.elf) || !fs.existsSync(elfPath)) return undefined;
    return new CSupport(elfPath, cwd, rt, note);
  }

  stopped(): void {
    this.frames = undefined;
    this.sources = undefined;
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
    const out: Frame[] = [];
    const table: ((FrameRef & { file?: string }) | undefined)[] = [];
    const sources: RegisterSource[] = [];
    let regs = r;
    let view: Registers | undefined;
    // The IDT's entry points: a frame in a function the IDT enters is a handler, whatever gdb unwinds past it.
    const idt = readWhatIsReadable(this.rt.currentMachine, r.idtr.base, Math.min(r.idtr.limit + 1, 256 * 8)).data;
    const gates = gateTargets(idt);
    const entry = (f: GdbFrame): boolean => {
      const start = this.rt.elf?.symbols.symbolAt(f.addr)?.symbol.address;
      return start !== undefined && gates.has(start);
    };
    for (let depth = 0; ; depth++) {
      let frames: GdbFrame[];
      try {
        frames = await this.engine.frames(view);
      } catch (e) {
        if (!view) {
          this.sayOnce(
            `Bootvisor: the C call stack comes from return addresses on the stack: ${(e as Error).message}\n`,
          );
          return undefined;
        }
        frames = [];
      }
      if (!frames.length) {
        if (!view) return undefined;
        // gdb has nothing past the interrupt: the interrupted code's return addresses, as without gdb.
        const scanned = callStack(this.rt.currentMachine, regs, this.rt.listing, 32, this.rt.elf);
        out.push(...scanned);
        sources.push(
          ...scanned.map((f, i): RegisterSource => (i ? { kind: 'return', eip: f.ip } : { kind: 'view', regs })),
        );
        break;
      }
      // gdb's unwinding ends in an interrupt stub without call-frame information ("?? ()" after it): the
      // interrupted code is found by the CPU's iret frame on the stack, and gdb is shown its registers to
      // unwind on from there. At -O2 gdb may simply stop at the stub instead; the outermost frame is tried
      // too (an entry point has no iret frame above it, so nothing is found there).
      // An interrupt handler gdb unwinds past (with the wrong registers: see c-interrupts.ts) ends at the
      // function the IDT enters.
      // (gdb's heuristic unwinder may name a "frame" after the data symbol its return address falls in.)
      const unknown = (f: GdbFrame): boolean =>
        !f.file && (!f.func || f.func === '??' || this.rt.elf?.symbols.symbolAt(f.addr)?.symbol.kind === 'object');
      let lost = frames.findIndex((f, i) => i > 0 && unknown(f));
      if (lost < 0 && frames.length > 1 && !isCSource(frames[frames.length - 1].file)) lost = frames.length;
      const gate = frames.findIndex(entry);
      if (gate >= 0 && (lost < 0 || gate < lost)) lost = gate + 1;
      const beyond =
        lost > 0 && depth < MAX_INTERRUPT_FRAMES
          ? await interruptedCode(this.rt, this.engine, frames.slice(0, lost), view, regs, gates)
          : undefined;
      if (beyond) frames = frames.slice(0, lost);
      // A return address of 0 is where gdb ran out of stack (a task's first frame), not a caller.
      else
        while (frames.length > 1 && frames[frames.length - 1].addr === 0 && unknown(frames[frames.length - 1]))
          frames.pop();
      frames.forEach((f, i) => {
        out.push(this.frameOf(f, i === 0, i > 0 && f.level === frames[i - 1].level, regs));
        table.push({ level: f.level, view, file: f.file });
        sources.push(
          f.level > 0
            ? { kind: 'unwound', where: { level: f.level, view } }
            : view
              ? { kind: 'view', regs: view }
              : { kind: 'cpu' },
        );
      });
      if (!beyond) break;
      out.push(beyond.marker);
      table.push(undefined);
      // The marker stands for the event: the registers the interrupted code had then.
      sources.push({ kind: 'view', regs: beyond.regs });
      if (beyond.v86) {
        // 16-bit code addressed as in real mode: its line from the ELF, no C frames to unwind.
        out.push(beyond.v86);
        table.push(undefined);
        sources.push({ kind: 'view', regs: beyond.regs });
        break;
      }
      regs = beyond.regs;
      view = beyond.regs;
    }
    this.frames = table;
    this.sources = sources;
    this.engine.setFrames(table);
    return out;
  }

  /**
   * The register scopes for a frame: the CPU's (`cpu`) for the innermost one; for an outer frame, its own
   * registers as unwound (read when opened) in place of the CPU's general, segment and flags scopes;
   * undefined when this stop's call stack is not gdb's.
   */
  registerScopes(frameId: number | undefined, cpu: DebugProtocol.Scope[]): DebugProtocol.Scope[] | undefined {
    if (!this.sources) return undefined; // no C call stack at this stop: the return-address scan's frames
    const source = this.sources[frameId ?? 0];
    if (!source || source.kind === 'cpu') return cpu;
    const now = this.rt.registers();
    let values: Promise<FrameRegisterValues> | undefined;
    const read = (): Promise<FrameRegisterValues> => (values ??= frameRegisterValues(this.engine, source, now));
    const ss = source.kind === 'view' ? source.regs.ss : (source.kind === 'unwound' && source.where.view?.ss) || now.ss;
    const scope = this.variables.listScope(
      'Registers',
      async () => {
        try {
          return frameRegisterVariables(await read(), ss);
        } catch (e) {
          return [{ name: 'Registers', value: e instanceof Error ? e.message : String(e), variablesReference: 0 }];
        }
      },
      async (name) => editRefusal(await read(), name),
    );
    return [scope, ...cpu.filter((s) => !CPU_FRAME_SCOPES.has(s.name))];
  }

  /** A frame of gdb's as the call stack shows it: the top one where the CPU is, a caller at its CALL. */
  private frameOf(f: GdbFrame, top: boolean, inlined: boolean, regs: Registers): Frame {
    const linear = top ? (regs.cs.base + regs.eip) >>> 0 : f.addr;
    const ip = (linear - regs.cs.base) >>> 0;
    // The return address is the line after the call: its CALL is the byte before (an inlined frame's is exact).
    const place = this.rt.elf?.placeOf(top || inlined ? linear : linear - 1);
    const where = `${hex(regs.cs.selector, 4)}:${hex(ip, 8)}`;
    // An inlined function's frame is gdb's alone: the ELF's symbol there is the function it was inlined into.
    const inlinedHere = f.func && place?.symbol && place.symbol.replace(/\+.*/, '') !== f.func;
    const symbol = inlinedHere ? `${f.func} [inlined]` : (place?.symbol ?? f.func);
    return {
      linear,
      cs: regs.cs.selector,
      ip,
      name: symbol ? `${symbol} (${where})` : where,
      file: f.file ?? place?.file,
      line: f.line ?? place?.line,
    };
  }

  /** Is frame `id` (an index of the last call stack) C code? */
  isCFrame(id: number | undefined): boolean {
    if (this.frames) return isCSource(this.frames[id ?? 0]?.file);
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
