// C variables as DAP scopes and variables: a frame's parameters and locals, the kernel's globals, each with
// its C type; structs, unions and arrays expand, pointers expand to what they point at, enums show their
// names and bitfields their values (gdb's variable objects say all of that). Values are editable with C
// expressions. References come from a range of their own, so they never collide with the register views'.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { CDebugger, GdbVar } from './c-debugger';

type Variable = DebugProtocol.Variable;

/** C references start here; the register views count up from 1 and stay far below. */
export const C_REF_BASE = 1_000_000;
/** Aggregates whose whole value ({x = 3, y = 4}) is fetched per request, at most. */
const MAX_SUMMARIES = 64;
/** Globals shown at most. */
const MAX_GLOBALS = 500;

type Node =
  | { kind: 'locals'; frame: number }
  | { kind: 'globals' }
  | { kind: 'var'; id: string; path: string; type: string; frame: number }
  | { kind: 'message'; text: string }
  /** A list of its own (an outer frame's registers): read when opened, never edited (`refuse` says why). */
  | { kind: 'list'; list: () => Promise<Variable[]>; refuse: (name: string) => Promise<string> };

const isAggregate = (v: GdbVar): boolean => v.value === '{...}' || /^\[\d+\]$/.test(v.value);
const simplePath = (p: string): boolean => /^[\w$]+(?:(?:\.|->)[\w$]+|\[\d+\])*$/.test(p);
const wrap = (p: string): string => (simplePath(p) ? p : `(${p})`);

/** The C expression for a child of a variable object, from gdb's `exp` and the parent's type. */
export function childPath(parent: string, parentType: string, exp: string): { name: string; path: string } {
  if (exp.startsWith('*')) return { name: exp, path: `*${wrap(parent)}` };
  if (/\]\s*$/.test(parentType)) return { name: `[${exp}]`, path: `${wrap(parent)}[${exp}]` };
  if (/\*\s*$/.test(parentType)) return { name: exp, path: `${wrap(parent)}->${exp}` };
  return { name: exp, path: `${wrap(parent)}.${exp}` };
}

export class CVariables {
  private readonly nodes = new Map<number, Node>();
  /** Per container, the children last listed: name -> variable object (for setVariable). */
  private readonly listed = new Map<number, Map<string, { id: string; path: string; frame: number }>>();
  private next = C_REF_BASE;

  constructor(
    private readonly c: CDebugger,
    /** The guest state was edited (reverse execution's recorded future no longer holds). */
    private readonly changed: () => void,
  ) {}

  owns(ref: number): boolean {
    return ref >= C_REF_BASE;
  }

  has(ref: number): boolean {
    return this.nodes.has(ref);
  }

  /** A stop: references and gdb's variable objects of the last one are gone. */
  stopped(): void {
    this.nodes.clear();
    this.listed.clear();
    this.c.resumed();
  }

  private add(n: Node): number {
    const ref = this.next++;
    this.nodes.set(ref, n);
    return ref;
  }

  /** The C scopes of a C frame: Locals (parameters and locals) and Globals. */
  scopes(frame: number): DebugProtocol.Scope[] {
    return [
      {
        name: 'Locals',
        presentationHint: 'locals',
        variablesReference: this.add({ kind: 'locals', frame }),
        expensive: false,
      },
      { name: 'Globals', variablesReference: this.add({ kind: 'globals' }), expensive: false },
    ];
  }

  async variables(ref: number): Promise<Variable[]> {
    const n = this.nodes.get(ref);
    if (!n) throw new Error(`variablesReference ${ref} is unknown (stale after the guest ran, or never given out)`);
    if (n.kind === 'message') return [{ name: 'C variables', value: n.text, variablesReference: 0 }];
    if (n.kind === 'list') return n.list();
    let vars: { v: GdbVar; name: string; path: string; frame: number }[];
    try {
      if (n.kind === 'locals') {
        vars = (await this.c.locals(n.frame)).map((v) => ({ v, name: v.exp, path: v.exp, frame: n.frame }));
      } else if (n.kind === 'globals') {
        const globals = (await this.c.globals()).slice(0, MAX_GLOBALS);
        vars = [];
        for (const g of globals) {
          try {
            vars.push({
              v: await this.c.variable(g.expression, 0, g.name),
              name: g.name,
              path: g.expression,
              frame: 0,
            });
          } catch {
            // A global gdb cannot read (optimised away everywhere): left out.
          }
        }
      } else {
        vars = (await this.c.children(n.id)).map((v) => ({ v, ...childPath(n.path, n.type, v.exp), frame: n.frame }));
      }
    } catch (e) {
      return [{ name: 'C variables', value: e instanceof Error ? e.message : String(e), variablesReference: 0 }];
    }
    const names = new Map<string, { id: string; path: string; frame: number }>();
    const out: Variable[] = [];
    let summaries = 0;
    for (const { v, name, path, frame } of vars) {
      names.set(name, { id: v.id, path, frame });
      let value = v.value;
      if (isAggregate(v) && summaries++ < MAX_SUMMARIES) value = await this.summary(path, frame, value);
      out.push(this.variable(v, name, path, frame, value));
    }
    this.listed.set(ref, names);
    return out;
  }

  private async summary(path: string, frame: number, fallback: string): Promise<string> {
    try {
      return await this.c.evaluate(path, frame);
    } catch {
      return fallback;
    }
  }

  private variable(v: GdbVar, name: string, path: string, frame: number, value = v.value): Variable {
    return {
      name,
      value,
      type: v.type,
      evaluateName: path,
      variablesReference: v.numchild > 0 ? this.add({ kind: 'var', id: v.id, path, type: v.type, frame }) : 0,
    };
  }

  /** A scope whose variables `list` gives when it is opened, and which `refuse` says cannot be edited. */
  listScope(
    name: string,
    list: () => Promise<Variable[]>,
    refuse: (name: string) => Promise<string>,
  ): DebugProtocol.Scope {
    return {
      name,
      presentationHint: 'registers',
      variablesReference: this.add({ kind: 'list', list, refuse }),
      expensive: false,
    };
  }

  async setVariable(ref: number, name: string, value: string): Promise<Variable> {
    const n = this.nodes.get(ref);
    if (n?.kind === 'list') throw new Error(await n.refuse(name));
    const target = this.listed.get(ref)?.get(name);
    if (!target) throw new Error(`no C variable "${name}" was listed in that scope`);
    await this.c.assign(target.id, value);
    this.changed();
    // The variable again, read back from the guest (a bitfield or a char keeps what fits).
    const v = await this.c.variable(target.path, target.frame, name);
    const shown = isAggregate(v) ? await this.summary(target.path, target.frame, v.value) : v.value;
    return this.variable(v, name, target.path, target.frame, shown);
  }

  /** A C expression in a frame, for watch, hover and the Debug Console; aggregates expand. */
  async evaluate(
    expression: string,
    frame: number,
  ): Promise<{ result: string; type: string; variablesReference: number }> {
    let v: GdbVar;
    try {
      v = await this.c.variable(expression, frame, expression, true);
    } catch {
      // -var-create says only "unable to create variable object": gdb's evaluator says why (or has a value).
      const result = await this.c.evaluate(expression, frame);
      return { result, type: '', variablesReference: 0 };
    }
    const value = isAggregate(v) ? await this.summary(expression, frame, v.value) : v.value;
    const dap = this.variable(v, expression, expression, frame, value);
    return { result: value, type: v.type, variablesReference: dap.variablesReference };
  }

  /** Assigns a C value to a C lvalue in a frame (setExpression: an edited watch); its new value. */
  async setExpression(
    expression: string,
    value: string,
    frame: number,
  ): Promise<{ value: string; type: string; variablesReference: number }> {
    const target = await this.c.variable(expression, frame);
    await this.c.assign(target.id, value);
    this.changed();
    const r = await this.evaluate(expression, frame);
    return { value: r.result, type: r.type, variablesReference: r.variablesReference };
  }

  /** The C expression a listed variable stands for (a data breakpoint on it). */
  pathOf(ref: number, name: string): { path: string; frame: number } | undefined {
    const n = this.nodes.get(ref);
    if (n?.kind === 'locals' || n?.kind === 'globals' || n?.kind === 'var') {
      const t = this.listed.get(ref)?.get(name);
      return t && { path: t.path, frame: t.frame };
    }
    return undefined;
  }
}
