// What the server knows of one NASM file without assembling it: its symbols (labels, local labels under
// their parent, macros, equs, %defines), the places symbols are used, its %includes, and the code size
// (`bits`) in force on every line.
import { isDataDirective, lexLine, LexedLine } from './nasm-lexer';

export type SymbolKindName = 'label' | 'data' | 'local' | 'macro' | 'equ' | 'define';

export interface SymbolDef {
  /** Full name: local labels carry their parent (`print.loop`). */
  name: string;
  /** As written (`.loop`). */
  written: string;
  kind: SymbolKindName;
  line: number;
  start: number;
  end: number;
  /** Last line of the symbol's body (up to the next label of the same level), for document symbols. */
  lastLine: number;
  parent?: string;
  /** For equ, %define and %assign: the value text. */
  value?: string;
}

export interface SymbolUse {
  /** Full name (a `.local` use is resolved against the label it follows). */
  name: string;
  line: number;
  start: number;
  end: number;
}

export interface IncludeDirective {
  path: string;
  line: number;
  start: number;
  end: number;
}

export interface ParsedFile {
  lines: LexedLine[];
  defs: SymbolDef[];
  uses: SymbolUse[];
  includes: IncludeDirective[];
  /** Code size on each line (16 until a `bits`/`use32` says otherwise). */
  bits: number[];
  /** `org` directive, if any: its line and value. */
  org?: { line: number; value?: number };
  /** Lines that look like NASM code (for telling NASM from other languages). */
  codeLines: number;
  /** Lines that look like another assembler's syntax (GAS/AT&T) or not like code at all. */
  foreignLines: number;
}

/** Parses `0x7C00`, `7C00h`, `0b101`, `101b`, `0o17`, `17q`, `$7C00`, decimal; undefined otherwise. */
export function parseNumber(text: string): number | undefined {
  const t = text.trim().replace(/_/g, '').toLowerCase();
  let m: RegExpExecArray | null;
  if ((m = /^(?:0x|0h|\$0?)([0-9a-f]+)$/.exec(t))) return parseInt(m[1], 16);
  if ((m = /^([0-9][0-9a-f]*)h$/.exec(t))) return parseInt(m[1], 16);
  if ((m = /^(?:0b|0y)([01]+)$/.exec(t)) || (m = /^([01]+)[by]$/.exec(t))) return parseInt(m[1], 2);
  if ((m = /^(?:0o|0q)([0-7]+)$/.exec(t)) || (m = /^([0-7]+)[oq]$/.exec(t))) return parseInt(m[1], 8);
  if ((m = /^(?:0d)?([0-9]+)d?$/.exec(t))) return parseInt(m[1], 10);
  if ((m = /^'(.)'$/.exec(text.trim())) || (m = /^"(.)"$/.exec(text.trim()))) return m[1].charCodeAt(0);
  return undefined;
}

const GAS_HINTS =
  /(^\s*\.(globl|global|section|text|data|byte|word|long|ascii|asciz|code16|code32|intel_syntax|att_syntax|org|fill|space)\b)|%(e?[abcd]x|[abcd][lh]|e?[sd]i|e?[sb]p)\b|\$0x/;

export function parseNasm(text: string): ParsedFile {
  const rawLines = text.split(/\r?\n/);
  const macroNames = new Set<string>();
  // First pass for macro names, so `print msg` reads as a macro call and not as a label `print`.
  for (const raw of rawLines) {
    const m = /^\s*%i?macro\s+([A-Za-z_.?][\w.?$#@~]*)/.exec(raw);
    if (m) macroNames.add(m[1]);
  }
  const file: ParsedFile = { lines: [], defs: [], uses: [], includes: [], bits: [], codeLines: 0, foreignLines: 0 };
  let parent = '';
  let bits = 16;
  let inMacro = false;
  let lastTop: SymbolDef | undefined;
  let lastLocal: SymbolDef | undefined;
  const close = (def: SymbolDef | undefined, line: number) => {
    if (def) def.lastLine = Math.max(def.line, line);
  };

  rawLines.forEach((raw, line) => {
    const lexed = lexLine(raw, macroNames);
    file.lines.push(lexed);
    const op = lexed.op?.name;
    const trimmed = raw.trim();
    if (trimmed !== '' && !trimmed.startsWith(';')) {
      if (GAS_HINTS.test(raw) || /^\s*#/.test(raw)) file.foreignLines++;
      else if (lexed.op || lexed.label) file.codeLines++;
      else file.foreignLines++;
    }

    if (op === 'bits' || op === 'use16' || op === 'use32' || op === 'use64') {
      const n = op === 'bits' ? parseNumber(lexed.operands) : Number(op.slice(3));
      if (n === 16 || n === 32 || n === 64) bits = n;
    }
    file.bits.push(bits);
    if (op === 'org' && !file.org) file.org = { line, value: parseNumber(lexed.operands) };

    if (op === '%macro' || op === '%imacro') {
      const name = lexed.identifiers[0];
      if (name) {
        file.defs.push({
          name: name.text,
          written: name.text,
          kind: 'macro',
          line,
          start: name.start,
          end: name.end,
          lastLine: line,
        });
      }
      inMacro = true;
      return;
    }
    if (op === '%endmacro' || op === '%endm') {
      const macro = [...file.defs].reverse().find((d) => d.kind === 'macro');
      close(macro, line);
      inMacro = false;
      return;
    }
    if (op === '%include') {
      const m = /["'<]([^"'>]+)["'>]/.exec(lexed.operands);
      if (m) {
        const start = lexed.operandsStart + lexed.operands.indexOf(m[1]);
        file.includes.push({ path: m[1], line, start, end: start + m[1].length });
      }
      return;
    }
    if (
      op === '%define' ||
      op === '%xdefine' ||
      op === '%assign' ||
      op === '%idefine' ||
      op === '%ixdefine' ||
      op === '%iassign'
    ) {
      const [name, ...rest] = lexed.identifiers;
      if (name && name.start === lexed.operandsStart) {
        const value = lexed.operands.slice(name.end - lexed.operandsStart).trim();
        file.defs.push({
          name: name.text,
          written: name.text,
          kind: 'define',
          line,
          start: name.start,
          end: name.end,
          lastLine: line,
          value,
        });
      }
      for (const id of rest) file.uses.push({ name: resolveName(id.text, parent), line, start: id.start, end: id.end });
      return;
    }

    if (op === 'struc' && lexed.identifiers[0]) {
      // `struc point` ... `.x resw 1` ... `endstruc` defines point.x: the structure is the fields' parent.
      const name = lexed.identifiers[0];
      const def: SymbolDef = {
        name: name.text,
        written: name.text,
        kind: 'data',
        line,
        start: name.start,
        end: name.end,
        lastLine: line,
      };
      file.defs.push(def);
      close(lastTop, line - 1);
      close(lastLocal, line - 1);
      lastLocal = undefined;
      lastTop = def;
      parent = name.text;
      return;
    }
    const label = lexed.label;
    if (label && !inMacro && !label.text.startsWith('..@') && !label.text.startsWith('%%')) {
      const isEqu = op === 'equ';
      const isLocal = label.text.startsWith('.') && !label.text.startsWith('..');
      const kind: SymbolKindName = isEqu
        ? 'equ'
        : isLocal
          ? 'local'
          : op !== undefined && isDataDirective(op)
            ? 'data'
            : 'label';
      const def: SymbolDef = {
        name: isLocal ? parent + label.text : label.text,
        written: label.text,
        kind,
        line,
        start: label.start,
        end: label.end,
        lastLine: line,
        parent: isLocal && parent ? parent : undefined,
        value: isEqu ? lexed.operands.trim() : undefined,
      };
      file.defs.push(def);
      if (isLocal) {
        close(lastLocal, line - 1);
        lastLocal = def;
      } else if (!isEqu) {
        close(lastTop, line - 1);
        close(lastLocal, line - 1);
        lastLocal = undefined;
        lastTop = def;
        parent = label.text;
      }
    }
    for (const id of lexed.identifiers) {
      if (inMacro && id.text.startsWith('.')) continue;
      file.uses.push({ name: resolveName(id.text, parent), line, start: id.start, end: id.end });
    }
  });
  let lastLine = rawLines.length - 1;
  while (lastLine > 0 && rawLines[lastLine].trim() === '') lastLine--;
  close(lastTop, lastLine);
  close(lastLocal, lastLine);
  for (const macro of file.defs) if (macro.kind === 'macro' && macro.lastLine < macro.line) macro.lastLine = macro.line;
  return file;
}

/** `.loop` used after `print:` means `print.loop`. */
export function resolveName(written: string, parent: string): string {
  return written.startsWith('.') && !written.startsWith('..') ? parent + written : written;
}

/** The label (non-local) in force at a line: what a `.local` written there belongs to. */
export function parentAt(file: ParsedFile, line: number): string {
  let parent = '';
  for (const def of file.defs) {
    if (def.line > line) break;
    if (def.kind === 'label' || def.kind === 'data') parent = def.name;
  }
  return parent;
}
