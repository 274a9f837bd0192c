// C debugging through gdb, as Cortex-Debug does it: gdb reads the kernel's DWARF (types, locations and
// location lists, call-frame information, gcc's and clang's, DWARF 4 and 5) and reaches the guest through
// an in-process instance of Bootvisor's own gdb stub on an ephemeral 127.0.0.1 port. gdb is only asked while
// the guest is stopped, and it never runs the guest: it is told no breakpoints and may not call functions,
// so it only reads and writes registers and memory. Its caches are flushed before every question, since the
// guest ran (or was edited) behind its back. Without gdb, the C views say why and everything else works.
import * as path from 'path';
import type { Machine, Registers } from '../common/api';
import { GdbStub } from '../common/gdb-stub';
import { assigns, copyPrefix, isPieced, onCopies } from './c-piece-copies';
import { GdbMi, MiError, miQuote, type MiTuple, type MiValue } from './gdb-mi';

/** One frame of gdb's backtrace. */
export interface GdbFrame {
  level: number;
  addr: number;
  func?: string;
  /** The source as gdb resolved it (absolute). */
  file?: string;
  line?: number;
}

/** A variable object's view: what gdb's -var-create / -var-list-children say of it. */
export interface GdbVar {
  /** The variable object's name in gdb (var3.x). */
  id: string;
  /** The name to show (x, [3], *ptr). */
  exp: string;
  value: string;
  type: string;
  numchild: number;
}

/**
 * Where a question about a frame is asked: gdb's frame `level`, counted from the CPU's registers, or from
 * `view`, a register set gdb is shown instead of the CPU's (the interrupted code's, rebuilt from the iret
 * frame an interrupt or exception pushed), so that gdb unwinds and reads variables past the interrupt too.
 */
export interface FrameRef {
  level: number;
  view?: Registers;
}

/**
 * A register set gdb is shown instead of the CPU's; `unknown` names the general registers nobody saved
 * (gdb is told they are unavailable, and shows <unavailable> rather than a wrong value).
 */
export type ViewRegisters = Registers & { unknown?: string[] };

/** Source files whose frames are C (locals, C expressions); assembly frames keep the NASM views. */
const C_SOURCE = /\.(c|h|cc|cpp|cxx|hh|hpp|inc)$/i;
/** gdb's names for the registers its expressions call $sp and $pc (i386). */
const REGISTER_ALIASES: Record<string, string> = { sp: 'esp', pc: 'eip', fp: 'ebp', ps: 'eflags' };
/** At most this many frames are asked of gdb. */
const MAX_FRAMES = 64;
/** At most this many children of one variable are listed (a huge array is shown in part). */
export const MAX_CHILDREN = 1000;

export const isCSource = (file: string | undefined): boolean => !!file && C_SOURCE.test(file);

const str = (v: MiValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

export class CDebugger {
  private gdb?: GdbMi;
  private stub?: GdbStub;
  private stubMachine?: Machine;
  private starting?: Promise<GdbMi>;
  /** Variable objects made since the last stop; deleted before the next stop's questions. */
  private varobjs: string[] = [];
  private stale = false;
  /** The register set gdb is shown now instead of the CPU's (undefined: the CPU's own). */
  private view?: Registers;
  /** gdb wrote a register while it was shown a view: the CPU was not changed (see assign). */
  private viewWritten = false;
  /** The call stack's frames for this stop (DAP frame id -> where to ask), set by the stack trace. */
  private table?: (FrameRef | undefined)[];
  /** gdb's internal error, once it crashed on an expression: aggregates are then read from copies. */
  private crashed?: string;
  /** Expressions gdb crashed on even so: answered with the reason, never asked again. */
  private readonly crashes = new Map<string, string>();
  /** Copies made so far (each question's get names of their own). */
  private copies = 0;
  /** Whether a local is made of DW_OP_piece parts, by frame, view and name (for this stop). */
  private readonly piecedNames = new Map<string, boolean>();
  private viewIds = new WeakMap<Registers, number>();
  private views = 0;
  /** Where each variable object was made (its children and assignments are asked there too). */
  private readonly varWhere = new Map<string, FrameRef>();
  /** The register numbers of the gdb they were asked of. */
  private numbered?: { gdb: GdbMi; numbers: Map<string, number> };
  /** Questions go to gdb one whole question at a time (two requests must not both attach it). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    /** The kernel ELF gdb reads (the program, or the `symbols` file). */
    readonly elfPath: string,
    private readonly machine: () => Machine,
    private readonly options: {
      gdb?: string;
      /** gdb's working directory: where it looks for sources the DWARF names relatively ($cwd). */
      cwd?: string;
      timeoutMs?: number;
      /** gdb crashed on a question (and was restarted): what to tell the user, once per kind of crash. */
      onCrash?: (text: string) => void;
    } = {},
  ) {}

  /** The guest runs: what gdb made for this stop (variable objects) goes before the next. */
  resumed(): void {
    this.stale = true;
    this.table = undefined;
    this.piecedNames.clear();
    this.viewIds = new WeakMap();
  }

  /** The frames of this stop's call stack: a DAP frame id is an index of `table` (undefined: no C frame). */
  setFrames(table: (FrameRef | undefined)[]): void {
    this.table = table;
  }

  /** Where a DAP frame id is asked (before any stack trace of this stop, ids are gdb's levels). */
  private where(frame: number): FrameRef {
    const id = Math.max(0, Math.floor(frame));
    if (!this.table) return { level: id };
    const f = this.table[id];
    if (!f) throw new Error(`frame ${id} is not a C frame`);
    return f;
  }

  /** The machine as the stub shows it to gdb: with the current view's registers in place of the CPU's. */
  private viewed(machine: Machine): Machine {
    return new Proxy(machine, {
      get: (target, key) => {
        if (this.view && key === 'getRegisters') {
          const v = this.view;
          return () => v;
        }
        if (this.view && key === 'setRegisters')
          // The interrupted code's registers live where its interrupt stub saved them, not in the CPU.
          return (change: Partial<Registers>) => {
            this.view = { ...this.view!, ...change };
            this.viewWritten = true;
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Why C debugging is unavailable (gdb missing), if it is. */
  get unavailable(): string | undefined {
    const f = this.gdb?.failure;
    return f && /not installed|could not be started/.test(f) ? f : undefined;
  }

  private async start(): Promise<GdbMi> {
    const gdb = new GdbMi({
      gdb: this.options.gdb,
      cwd: this.options.cwd,
      timeoutMs: this.options.timeoutMs,
      args: [
        // No Python scripts from the ELF's folder, no debuginfod downloads: only the file we were given.
        '-iex',
        'set auto-load off',
        '-iex',
        'set debuginfod enabled off',
        // A gdb that hits an internal error quits without writing a core file into the user's folder.
        '-iex',
        'maint set internal-error corefile no',
        '-iex',
        'maint set internal-error quit yes',
        this.elfPath,
      ],
    });
    this.gdb = gdb;
    for (const setting of [
      'confirm off',
      'pagination off',
      'width 0',
      'height 0',
      // gdb must never run the guest: an expression calling a function is refused instead.
      'may-call-functions off',
      'stack-cache off',
      'code-cache off',
      'print pretty off',
      'print elements 64',
      'print repeats 16',
      'charset ASCII',
    ])
      await gdb.command(`-gdb-set ${setting}`).catch((e: Error) => {
        if (!(e instanceof MiError)) throw e; // an old gdb without a setting still works
      });
    return gdb;
  }

  private serial<T>(body: (gdb: GdbMi) => Promise<T>, view?: Registers): Promise<T> {
    const run = this.queue.then(async () => body(await this.ready(view)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Starts gdb now (it reads the ELF's DWARF meanwhile), so the first stop's questions need only the attach. */
  warm(): void {
    if (this.gdb || this.starting) return;
    this.starting = this.start().finally(() => (this.starting = undefined));
    this.starting.catch(() => undefined); // said again, with the reason, by the first question
  }

  /** gdb, started, attached to the current machine, with its caches dropped: ready for this stop's questions. */
  private async ready(view?: Registers): Promise<GdbMi> {
    if (this.gdb?.failure && !this.unavailable) {
      // It died or stopped answering: a fresh one next time.
      this.gdb = undefined;
      this.stubMachine = undefined;
      this.stub?.close();
      this.stub = undefined;
    }
    if (this.unavailable) throw new Error(this.unavailable);
    if (!this.gdb) {
      this.starting ??= this.start().finally(() => (this.starting = undefined));
      await this.starting;
    }
    const gdb = this.gdb!;
    const machine = this.machine();
    if (this.stubMachine !== machine) {
      // First use, or a reset made a new machine: a stub over it, and gdb attached to that stub.
      if (this.stub) {
        await gdb.command('-target-disconnect').catch(() => undefined);
        this.stub.close();
      }
      const stub = new GdbStub(this.viewed(machine), { port: 0 });
      const port = await stub.listen();
      this.stub = stub;
      this.stubMachine = machine;
      void stub.session();
      await gdb.command(`-target-select remote 127.0.0.1:${port}`);
      // C kernels run 32-bit code; a stop in real mode must not make gdb read frames as 16-bit.
      await gdb.command('-gdb-set architecture i386').catch(() => undefined);
      this.varobjs = [];
      this.varWhere.clear();
      this.stale = false;
    }
    if (this.stale) {
      this.stale = false;
      const old = this.varobjs;
      this.varobjs = [];
      this.varWhere.clear();
      for (const v of old) await gdb.command(`-var-delete ${v}`).catch(() => undefined);
    }
    // The registers gdb is shown for this question (a flush also drops gdb's frames, which were the last view's).
    this.view = view;
    this.viewWritten = false;
    await gdb.command('maint flush register-cache');
    await gdb.command('maint flush dcache').catch(() => undefined);
    return gdb;
  }

  /** gdb's backtrace of the stopped guest (from `view`'s registers, when given). */
  frames(view?: Registers): Promise<GdbFrame[]> {
    return this.serial(async (gdb) => {
      const r = await gdb.command(`-stack-list-frames 0 ${MAX_FRAMES - 1}`);
      const list = Array.isArray(r.stack) ? r.stack : [];
      return list.map((item) => {
        const f = (item as MiTuple).frame as MiTuple;
        const line = str(f.line);
        return {
          level: Number(str(f.level) ?? 0),
          addr: parseInt(str(f.addr) ?? '0', 16),
          func: str(f.func),
          file: str(f.fullname) ?? str(f.file),
          line: line !== undefined ? Number(line) : undefined,
        };
      });
    }, view);
  }

  private static frameArgs(where: FrameRef): string {
    return `--thread 1 --frame ${where.level}`;
  }

  /** A question about DAP frame `frame`, asked with that frame's registers in view. */
  private inFrame<T>(frame: number, body: (gdb: GdbMi, where: FrameRef) => Promise<T>): Promise<T> {
    let where: FrameRef;
    try {
      where = this.where(frame);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.serial((gdb) => body(gdb, where), where.view);
  }

  /** A question about a variable object, asked where it was made. */
  private onVar<T>(id: string, body: (gdb: GdbMi) => Promise<T>): Promise<T> {
    const where = this.varWhere.get(id.split('.')[0]);
    return this.serial(body, where?.view);
  }

  /** The frame's parameters then its locals, as variable objects. */
  locals(frame: number): Promise<GdbVar[]> {
    return this.inFrame(frame, async (gdb, where) => {
      const r = await gdb.command(`-stack-list-variables ${CDebugger.frameArgs(where)} --no-values`);
      const names = (Array.isArray(r.variables) ? r.variables : []).map((v) => v as MiTuple);
      // Parameters first, as the function declares them (gdb lists them first already; keep that order).
      const seen = new Set<string>();
      const out: GdbVar[] = [];
      for (const v of names) {
        const name = str(v.name);
        if (!name || seen.has(name)) continue; // a shadowed name: the innermost is the one in scope
        seen.add(name);
        out.push(await this.create(gdb, name, where, name));
      }
      return out;
    });
  }

  /** Global and static variables with debug information: [file, name, expression]. */
  globals(): Promise<{ file: string; name: string; expression: string }[]> {
    return this.serial(async (gdb) => {
      const r = await gdb.command('-symbol-info-variables');
      const debug = ((r.symbols as MiTuple | undefined)?.debug ?? []) as MiValue[];
      const out: { file: string; name: string; expression: string }[] = [];
      for (const f of debug) {
        const ft = f as MiTuple;
        const file = str(ft.fullname) ?? str(ft.filename) ?? '';
        for (const s of (ft.symbols ?? []) as MiTuple[]) {
          const name = str(s.name);
          if (name) out.push({ file, name, expression: name });
        }
      }
      // A name two files use is written file::name, which gdb reads as the one in that file.
      const count = new Map<string, number>();
      for (const g of out) count.set(g.name, (count.get(g.name) ?? 0) + 1);
      for (const g of out) if ((count.get(g.name) ?? 0) > 1) g.expression = `'${path.basename(g.file)}'::${g.name}`;
      return out.sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  /**
   * A variable object for an expression in a frame (its value, type and how many children it has);
   * `readOnly` when it is only shown (a watch), so that it may be read from copies after a gdb crash.
   */
  variable(expression: string, frame: number, shown = expression, readOnly = false): Promise<GdbVar> {
    return this.inFrame(frame, (gdb, where) =>
      this.guarded(gdb, where, expression, readOnly, (g, e) => this.create(g, e, where, shown)),
    );
  }

  /**
   * Asks `ask` about an expression, surviving a gdb that crashes on it (see c-piece-copies.ts): after a crash
   * the question is asked again of a fresh gdb on copies of the aggregates it names (when it only reads), and
   * an expression that crashes gdb even so is answered with the reason from then on, without asking again.
   */
  private async guarded<T>(
    gdb: GdbMi,
    where: FrameRef,
    expression: string,
    readOnly: boolean,
    ask: (gdb: GdbMi, expression: string) => Promise<T>,
  ): Promise<T> {
    const known = this.crashes.get(expression);
    if (known) throw new Error(known);
    const copies = readOnly && !assigns(expression);
    try {
      if (!copies) return await ask(gdb, expression);
      // Locals made of DW_OP_piece parts are read from copies from the first question on (gdb 13.1 dies on
      // them otherwise); after a crash, every aggregate local is.
      const names = this.crashed ? await CDebugger.aggregates(gdb, where) : await this.pieced(gdb, where, expression);
      return names.length ? await this.onCopies(gdb, where, expression, names, ask) : await ask(gdb, expression);
    } catch (e) {
      const bug = gdb.internalError;
      if (!bug) throw e;
      const first = !this.crashed;
      if (first)
        this.options.onCrash?.(
          `Bootvisor: gdb crashed evaluating ${expression} (${bug}) and was restarted; from now on expressions ` +
            'that read struct, union or array variables are evaluated on copies of them, which gdb survives.\n',
        );
      this.crashed = bug;
      if (first && copies) {
        try {
          const fresh = await this.ready(where.view);
          return await this.onCopies(fresh, where, expression, await CDebugger.aggregates(fresh, where), ask);
        } catch (again) {
          if (!this.gdb?.internalError) throw again;
        }
      }
      const message = `gdb crashes evaluating this (${bug}); it is not asked again`;
      this.crashes.set(expression, message);
      throw new Error(message);
    }
  }

  /** The frame's locals that are arrays, structs or unions. */
  private static async aggregates(gdb: GdbMi, where: FrameRef): Promise<string[]> {
    const r = await gdb.command(`-stack-list-variables ${CDebugger.frameArgs(where)} --simple-values`);
    // --simple-values gives arrays, structs and unions a type but no value.
    return (Array.isArray(r.variables) ? (r.variables as MiTuple[]) : [])
      .filter((v) => str(v.type) !== undefined && v.value === undefined)
      .map((v) => str(v.name) ?? '');
  }

  /**
   * The locals `expression` names whose DWARF location is made of pieces anywhere in their range (asked of
   * gdb with `info address` before anything is evaluated, remembered for this stop).
   */
  private async pieced(gdb: GdbMi, where: FrameRef, expression: string): Promise<string[]> {
    const r = await gdb.command(`-stack-list-variables ${CDebugger.frameArgs(where)} --no-values`);
    const locals = (Array.isArray(r.variables) ? (r.variables as MiTuple[]) : []).map((v) => str(v.name) ?? '');
    const out: string[] = [];
    for (const name of onCopies(expression, locals, '').used) {
      const key = `${where.level}/${this.viewId(where.view)}/${name}`;
      let known = this.piecedNames.get(key);
      if (known === undefined) {
        const text = await gdb
          .command(`-interpreter-exec ${CDebugger.frameArgs(where)} console ${miQuote(`info address ${name}`)}`)
          .then((a) => (a['#console'] as string | undefined) ?? '')
          .catch(() => '');
        known = isPieced(text);
        this.piecedNames.set(key, known);
      }
      if (known) out.push(name);
    }
    return out;
  }

  /** A register view's number for this stop (views are made afresh by each stack trace). */
  private viewId(view: Registers | undefined): number {
    if (!view) return 0;
    let id = this.viewIds.get(view);
    if (id === undefined) this.viewIds.set(view, (id = ++this.views));
    return id;
  }

  /** `ask` about the expression with the locals `names` read from copies (`$bv1_p = p` first). */
  private async onCopies<T>(
    gdb: GdbMi,
    where: FrameRef,
    expression: string,
    names: string[],
    ask: (gdb: GdbMi, expression: string) => Promise<T>,
  ): Promise<T> {
    const prefix = copyPrefix(++this.copies);
    const { text, used } = onCopies(expression, names, prefix);
    for (const name of used) await CDebugger.evaluateIn(gdb, where, `${prefix}${name} = ${name}`);
    return ask(gdb, text);
  }

  private async create(gdb: GdbMi, expression: string, where: FrameRef, shown: string): Promise<GdbVar> {
    const r = await gdb.command(`-var-create ${CDebugger.frameArgs(where)} - * ${miQuote(expression)}`);
    const id = str(r.name) ?? '';
    this.varobjs.push(id);
    this.varWhere.set(id, where);
    return {
      id,
      exp: shown,
      value: str(r.value) ?? '',
      type: str(r.type) ?? '',
      numchild: Number(str(r.numchild) ?? 0),
    };
  }

  children(id: string): Promise<GdbVar[]> {
    return this.onVar(id, async (gdb) => {
      const r = await gdb.command(`-var-list-children --all-values ${id} 0 ${MAX_CHILDREN}`);
      return ((Array.isArray(r.children) ? r.children : []) as MiTuple[]).map((c) => {
        const t = c.child as MiTuple;
        return {
          id: str(t.name) ?? '',
          exp: str(t.exp) ?? '',
          value: str(t.value) ?? '',
          type: str(t.type) ?? '',
          numchild: Number(str(t.numchild) ?? 0),
        };
      });
    });
  }

  /** Assigns a C value (an expression gdb evaluates) to a variable object; its new value. */
  assign(id: string, value: string): Promise<string> {
    return this.onVar(id, async (gdb) => {
      const r = await gdb.command(`-var-assign ${id} ${miQuote(value)}`);
      if (this.viewWritten)
        throw new Error(
          'it lives in a register of the interrupted code, which its interrupt stub saved on the stack: ' +
            'edit the saved copy there (the CPU was not changed)',
        );
      return str(r.value) ?? '';
    });
  }

  /** A C expression's value in a frame, as gdb prints it (`readOnly`: it may be read from copies). */
  evaluate(expression: string, frame = 0, readOnly = true): Promise<string> {
    return this.inFrame(frame, (gdb, where) =>
      this.guarded(gdb, where, expression, readOnly, (g, e) => CDebugger.evaluateIn(g, where, e)),
    );
  }

  private static async evaluateIn(gdb: GdbMi, where: FrameRef, expression: string): Promise<string> {
    const r = await gdb.command(`-data-evaluate-expression ${CDebugger.frameArgs(where)} ${miQuote(expression)}`);
    return str(r.value) ?? '';
  }

  /**
   * Registers of a frame as gdb unwound them (`sp`, `ebx`); undefined for one gdb cannot tell (`<unavailable>`,
   * `<not saved>`). One -data-list-register-values for them all, where each `$reg` cost a round trip of its own.
   */
  frameRegisters(where: FrameRef, names: string[]): Promise<Map<string, number | undefined>> {
    return this.serial(async (gdb) => {
      const numbers = await this.registerNumbers(gdb);
      const wanted = names.map((name) => numbers.get(REGISTER_ALIASES[name] ?? name));
      const known = wanted.filter((n): n is number => n !== undefined);
      const values = new Map<number, string>();
      if (known.length) {
        const r = await gdb.command(
          `-data-list-register-values ${CDebugger.frameArgs(where)} x ${[...new Set(known)].join(' ')}`,
        );
        for (const v of (Array.isArray(r['register-values']) ? r['register-values'] : []) as MiTuple[])
          values.set(Number(str(v.number)), str(v.value) ?? '');
      }
      const out = new Map<string, number | undefined>();
      names.forEach((name, i) => {
        const text = wanted[i] !== undefined ? values.get(wanted[i]) : undefined;
        out.set(name, text && /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) >>> 0 : undefined);
      });
      return out;
    }, where.view);
  }

  /** gdb's register numbers by name (asked once per gdb: the stub's target description fixes them). */
  private async registerNumbers(gdb: GdbMi): Promise<Map<string, number>> {
    if (this.numbered?.gdb === gdb) return this.numbered.numbers;
    const r = await gdb.command('-data-list-register-names');
    const names = Array.isArray(r['register-names']) ? (r['register-names'] as MiValue[]) : [];
    const numbers = new Map<string, number>();
    names.forEach((name, i) => {
      if (typeof name === 'string' && name) numbers.set(name, i);
    });
    this.numbered = { gdb, numbers };
    return numbers;
  }

  /** gdb's `info frame` of a frame: among others, where it saved its caller's registers, and whether it is inlined. */
  frameInfo(where: FrameRef): Promise<string> {
    return this.serial(async (gdb) => {
      const r = await gdb.command(`-interpreter-exec ${CDebugger.frameArgs(where)} console ${miQuote('info frame')}`);
      return (r['#console'] as string | undefined) ?? '';
    }, where.view);
  }

  /** Where an lvalue lives and how big it is (a data breakpoint on it). */
  async lvalue(expression: string, frame = 0): Promise<{ address: number; size: number }> {
    // `&counter` names the memory it points at, as `counter` does.
    const pointer = /^\s*&/.test(expression);
    const address = await this.evaluate(pointer ? expression : `&(${expression})`, frame, false);
    const m = /0x([0-9a-f]+)/i.exec(address);
    if (!m) throw new Error(`${expression} has no address (${address})`);
    const size = Number(
      await this.evaluate(pointer ? `sizeof(*(${expression}))` : `sizeof(${expression})`, frame, false),
    );
    if (!(size >= 1)) throw new Error(`${expression} has no size gdb knows (${size})`);
    return { address: parseInt(m[1], 16), size };
  }

  dispose(): void {
    this.gdb?.close('the session ended');
    this.gdb = undefined;
    this.stub?.close();
    this.stub = undefined;
  }
}
