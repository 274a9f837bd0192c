// NASM-like expressions for watches, conditions, logpoints and memory references: numbers in NASM's
// spellings, registers (32/16/8-bit views), flags, labels, `byte|word|dword [seg:off]`, `[label]`,
// `seg:off` far pointers, arithmetic, comparisons and logic. Parsing is separate from evaluation so a
// breakpoint condition is parsed once, when it is set, and a syntax error reaches the user then.

export type Node =
  | { kind: 'num'; value: number }
  | { kind: 'ident'; name: string }
  | { kind: 'unary'; op: string; arg: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'mem'; size?: number; segment?: Node; offset: Node }
  | { kind: 'far'; segment: Node; offset: Node };

export class ExpressionError extends Error {}

/** What an expression means: a number, and where it came from when it names memory. */
export interface Value {
  value: number;
  /** Linear address of the memory read (a `[...]`), or the address a far pointer / label stands for. */
  address?: number;
  /** Bytes read for a memory operand. */
  size?: number;
  /** For a `seg:off` far pointer: shown as such. */
  far?: { segment: number; offset: number };
}

export interface EvalContext {
  /** A register, 8/16/32-bit view or flag by lower-case name, or undefined when it is not one. */
  register(name: string): number | undefined;
  /** A label or constant by name (case-sensitive), or undefined. */
  symbol(name: string): number | undefined;
  /** The base of a segment register (`'ds'`) or of a selector value in the current mode. */
  segmentBase(segment: string | number): number;
  /** Reads `size` bytes little-endian at a linear address; throws when unreadable. */
  readMemory(linear: number, size: number): number;
}

const SIZES: Record<string, number> = { byte: 1, word: 2, dword: 4 };
const SEGMENTS = new Set(['cs', 'ds', 'es', 'fs', 'gs', 'ss']);

/** A NASM number: 0x1F, 1Fh, $1F, 0b101, 101b, 0o17, 17q, 17o, 0d10, decimal, 'ab' character constants, underscores allowed. */
export function parseNumber(text: string): number | undefined {
  const t = text.trim().replace(/_/g, '');
  let m: RegExpExecArray | null;
  if (
    (m = /^0[xh]([0-9a-f]+)$/i.exec(t)) ||
    (m = /^\$([0-9a-f]+)$/i.exec(t)) ||
    (m = /^([0-9][0-9a-f]*)[hx]$/i.exec(t))
  )
    return parseInt(m[1], 16);
  if ((m = /^0[by]([01]+)$/i.exec(t)) || (m = /^([01]+)[by]$/i.exec(t))) return parseInt(m[1], 2);
  if ((m = /^0[oq]([0-7]+)$/i.exec(t)) || (m = /^([0-7]+)[oq]$/i.exec(t))) return parseInt(m[1], 8);
  if ((m = /^0[dt]([0-9]+)$/i.exec(t)) || (m = /^([0-9]+)[dt]?$/i.exec(t))) return parseInt(m[1], 10);
  if ((m = /^(['"`])(.{1,4})\1$/.exec(t))) {
    let v = 0;
    for (let i = m[2].length - 1; i >= 0; i--) v = v * 256 + (m[2].charCodeAt(i) & 0xff);
    return v;
  }
  return undefined;
}

interface Token {
  kind: 'num' | 'ident' | 'op' | 'end';
  text: string;
  pos: number;
}

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '<<',
  '>>',
  '&&',
  '||',
  '<>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '~',
  '!',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  ':',
  '=',
];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    let m =
      /^(?:0[xh][0-9a-f_]+|\$[0-9a-f_]+|[0-9][0-9a-f_]*[hx]|0[by][01_]+|0[oq][0-7_]+|0[dt][0-9_]+|[0-9][0-9_]*[a-z]?)(?![\w.])/i.exec(
        rest,
      );
    if (m && /^[0-9$]/.test(rest) && !(rest[0] === '$' && !/^\$[0-9a-f]/i.test(rest))) {
      tokens.push({ kind: 'num', text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    m = /^(['"`])([^'"`]{1,4})\1/.exec(rest);
    if (m) {
      tokens.push({ kind: 'num', text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    m = /^(?:[A-Za-z_.?@][\w.?$@#~]*|\$\$?)/.exec(rest);
    if (m) {
      tokens.push({ kind: 'ident', text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new ExpressionError(`unexpected '${c}' at column ${i + 1}`);
    tokens.push({ kind: 'op', text: op, pos: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

const BINARY_LEVELS: string[][] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!=', '<>', '='],
  ['<', '<=', '>', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];

/** Parses an expression; throws ExpressionError saying where and what was expected. */
export function parseExpression(text: string): Node {
  if (!text.trim()) throw new ExpressionError('the expression is empty');
  const tokens = tokenize(text);
  let p = 0;
  const peek = () => tokens[p];
  const at = (t: Token) => (t.kind === 'end' ? 'at the end' : `at column ${t.pos + 1} ('${t.text}')`);
  const expect = (op: string) => {
    const t = tokens[p];
    if (t.kind !== 'op' || t.text !== op) throw new ExpressionError(`expected '${op}' ${at(t)}`);
    p++;
  };

  const binary = (level: number): Node => {
    if (level >= BINARY_LEVELS.length) return unary();
    let left = binary(level + 1);
    for (;;) {
      const t = peek();
      if (t.kind !== 'op' || !BINARY_LEVELS[level].includes(t.text)) return left;
      p++;
      const op = t.text === '<>' ? '!=' : t.text === '=' ? '==' : t.text;
      left = { kind: 'binary', op, left, right: binary(level + 1) };
    }
  };

  const unary = (): Node => {
    const t = peek();
    if (t.kind === 'op' && ['-', '+', '~', '!'].includes(t.text)) {
      p++;
      return { kind: 'unary', op: t.text, arg: unary() };
    }
    return farPointer();
  };

  // `es:di` (outside brackets) is a far pointer.
  const farPointer = (): Node => {
    const first = primary();
    const t = peek();
    if (t.kind === 'op' && t.text === ':') {
      p++;
      return { kind: 'far', segment: first, offset: primary() };
    }
    return first;
  };

  const memory = (size?: number): Node => {
    expect('[');
    const inner = binary(0);
    let node: Node;
    if (peek().kind === 'op' && peek().text === ':') {
      p++;
      node = { kind: 'mem', size, segment: inner, offset: binary(0) };
    } else if (inner.kind === 'far') {
      node = { kind: 'mem', size, segment: inner.segment, offset: inner.offset };
    } else node = { kind: 'mem', size, offset: inner };
    expect(']');
    return node;
  };

  const primary = (): Node => {
    const t = peek();
    if (t.kind === 'num') {
      p++;
      const value = parseNumber(t.text);
      if (value === undefined)
        throw new ExpressionError(`'${t.text}' is not a number NASM would read (column ${t.pos + 1})`);
      return { kind: 'num', value };
    }
    if (t.kind === 'op' && t.text === '(') {
      p++;
      const inner = binary(0);
      expect(')');
      return inner;
    }
    if (t.kind === 'op' && t.text === '[') return memory();
    if (t.kind === 'ident') {
      p++;
      const size = SIZES[t.text.toLowerCase()];
      if (size !== undefined && peek().kind === 'op' && peek().text === '[') return memory(size);
      return { kind: 'ident', name: t.text };
    }
    throw new ExpressionError(`expected a number, register, label or '[' ${at(t)}`);
  };

  const node = binary(0);
  if (peek().kind !== 'end') throw new ExpressionError(`unexpected ${at(peek())}`);
  return node;
}

function identifier(name: string, ctx: EvalContext): number {
  const reg = ctx.register(name.toLowerCase());
  if (reg !== undefined) return reg;
  const sym = ctx.symbol(name);
  if (sym !== undefined) return sym;
  throw new ExpressionError(`'${name}' is neither a register nor a label in the listing`);
}

function usesStackSegment(node: Node): boolean {
  if (node.kind === 'ident') return ['bp', 'ebp', 'sp', 'esp'].includes(node.name.toLowerCase());
  if (node.kind === 'binary') return usesStackSegment(node.left) || usesStackSegment(node.right);
  if (node.kind === 'unary') return usesStackSegment(node.arg);
  return false;
}

function segmentOf(node: Node, ctx: EvalContext): { base: number; selector: number } {
  if (node.kind === 'ident' && SEGMENTS.has(node.name.toLowerCase())) {
    const name = node.name.toLowerCase();
    return { base: ctx.segmentBase(name), selector: identifier(name, ctx) };
  }
  const selector = evaluateNode(node, ctx).value & 0xffff;
  return { base: ctx.segmentBase(selector), selector };
}

function evaluateNode(node: Node, ctx: EvalContext): Value {
  switch (node.kind) {
    case 'num':
      return { value: node.value };
    case 'ident': {
      const value = identifier(node.name, ctx);
      return ctx.register(node.name.toLowerCase()) === undefined ? { value, address: value } : { value };
    }
    case 'unary': {
      const v = evaluateNode(node.arg, ctx).value;
      switch (node.op) {
        case '-':
          return { value: -v };
        case '+':
          return { value: v };
        case '~':
          return { value: ~v >>> 0 };
        default:
          return { value: v ? 0 : 1 };
      }
    }
    case 'binary': {
      const a = evaluateNode(node.left, ctx).value;
      if (node.op === '&&') return { value: a && evaluateNode(node.right, ctx).value ? 1 : 0 };
      if (node.op === '||') return { value: a || evaluateNode(node.right, ctx).value ? 1 : 0 };
      const b = evaluateNode(node.right, ctx).value;
      switch (node.op) {
        case '+':
          return { value: a + b };
        case '-':
          return { value: a - b };
        case '*':
          return { value: a * b };
        case '/':
        case '%':
          if (b === 0) throw new ExpressionError('division by zero');
          return { value: node.op === '/' ? Math.trunc(a / b) : a % b };
        case '&':
          return { value: (a & b) >>> 0 };
        case '|':
          return { value: (a | b) >>> 0 };
        case '^':
          return { value: (a ^ b) >>> 0 };
        case '<<':
          return { value: (a << b) >>> 0 };
        case '>>':
          return { value: a >>> b };
        case '==':
          return { value: a === b ? 1 : 0 };
        case '!=':
          return { value: a !== b ? 1 : 0 };
        case '<':
          return { value: a < b ? 1 : 0 };
        case '<=':
          return { value: a <= b ? 1 : 0 };
        case '>':
          return { value: a > b ? 1 : 0 };
        default:
          return { value: a >= b ? 1 : 0 };
      }
    }
    case 'far': {
      const seg = segmentOf(node.segment, ctx);
      const offset = evaluateNode(node.offset, ctx).value >>> 0;
      return {
        value: (seg.base + offset) >>> 0,
        address: (seg.base + offset) >>> 0,
        far: { segment: seg.selector, offset },
      };
    }
    case 'mem': {
      const segNode: Node = node.segment ?? { kind: 'ident', name: usesStackSegment(node.offset) ? 'ss' : 'ds' };
      const seg = segmentOf(segNode, ctx);
      const offset = evaluateNode(node.offset, ctx).value >>> 0;
      const address = (seg.base + offset) >>> 0;
      const size = node.size ?? 2;
      return { value: ctx.readMemory(address, size), address, size };
    }
  }
}

/** Evaluates a parsed expression; throws ExpressionError (or the context's read error) with a clear message. */
export function evaluate(node: Node | string, ctx: EvalContext): Value {
  return evaluateNode(typeof node === 'string' ? parseExpression(node) : node, ctx);
}

/** How a value reads in the Debug Console and in logpoints: hex, plus far pointers as seg:off. */
export function formatValue(v: Value): string {
  if (v.far) return `${hex(v.far.segment, 4)}:${hex(v.far.offset, v.far.offset > 0xffff ? 8 : 4)}`;
  const n = v.value;
  if (n < 0) return `-0x${(-n).toString(16)}`;
  const digits = v.size ? v.size * 2 : n > 0xffff ? 8 : 4;
  return `0x${hex(n, digits)}`;
}

export function hex(n: number, digits: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(digits, '0');
}

/** Splits a logpoint message into text and `{expression}` parts, and renders it. */
export function renderLogMessage(message: string, evaluateText: (expr: string) => string): string {
  return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
    try {
      return evaluateText(expr.trim());
    } catch (e) {
      return `<${e instanceof Error ? e.message : String(e)}>`;
    }
  });
}
