// One NASM source line taken apart: label, operation (instruction or directive), operands and the
// identifiers in them, with columns. Deliberately forgiving: it never throws, whatever the text.
import { Mnemonic } from 'iced-x86';
import { knownMnemonics } from '../common/reference/instructions';

export interface Span {
  text: string;
  start: number;
  end: number;
}

export interface LexedLine {
  label?: Span & { colon: boolean };
  /** Instruction mnemonic or directive, lower-cased in `name`; prefixes (rep, lock, o32...) are skipped. */
  op?: Span & { name: string };
  prefix?: string;
  /** Operand text (comment removed) and where it starts. */
  operands: string;
  operandsStart: number;
  /** Identifiers inside the operands (strings, numbers, registers and size keywords excluded). */
  identifiers: Span[];
  /** `[bits 32]`-style directive in brackets. */
  bracketDirective?: boolean;
}

const DATA_DIRECTIVES = new Set([
  'db',
  'dw',
  'dd',
  'dq',
  'dt',
  'do',
  'dy',
  'dz',
  'resb',
  'resw',
  'resd',
  'resq',
  'rest',
  'reso',
  'resy',
  'resz',
  'incbin',
  'times',
  'equ',
]);
const DIRECTIVES = new Set([
  ...DATA_DIRECTIVES,
  'bits',
  'use16',
  'use32',
  'use64',
  'org',
  'section',
  'segment',
  'absolute',
  'global',
  'extern',
  'common',
  'static',
  'cpu',
  'float',
  'default',
  'align',
  'alignb',
  'struc',
  'endstruc',
  'istruc',
  'at',
  'iend',
  'warning',
  'required',
  'sectalign',
]);
const PREFIXES = new Set([
  'rep',
  'repe',
  'repz',
  'repne',
  'repnz',
  'lock',
  'o16',
  'o32',
  'o64',
  'a16',
  'a32',
  'a64',
  'cs',
  'ds',
  'es',
  'fs',
  'gs',
  'ss',
  'xacquire',
  'xrelease',
  'bnd',
]);
export const REGISTERS = new Set([
  'al',
  'ah',
  'ax',
  'eax',
  'rax',
  'bl',
  'bh',
  'bx',
  'ebx',
  'rbx',
  'cl',
  'ch',
  'cx',
  'ecx',
  'rcx',
  'dl',
  'dh',
  'dx',
  'edx',
  'rdx',
  'si',
  'esi',
  'rsi',
  'sil',
  'di',
  'edi',
  'rdi',
  'dil',
  'bp',
  'ebp',
  'rbp',
  'bpl',
  'sp',
  'esp',
  'rsp',
  'spl',
  'ip',
  'eip',
  'rip',
  'cs',
  'ds',
  'es',
  'fs',
  'gs',
  'ss',
  'cr0',
  'cr2',
  'cr3',
  'cr4',
  'cr8',
  'dr0',
  'dr1',
  'dr2',
  'dr3',
  'dr6',
  'dr7',
  'st0',
  'st1',
  'st2',
  'st3',
  'st4',
  'st5',
  'st6',
  'st7',
  'flags',
  'eflags',
  ...Array.from({ length: 8 }, (_, i) => [`r${i + 8}`, `r${i + 8}d`, `r${i + 8}w`, `r${i + 8}b`, `mm${i}`]).flat(),
  ...Array.from({ length: 16 }, (_, i) => [`xmm${i}`, `ymm${i}`]).flat(),
]);
const KEYWORDS = new Set([
  'byte',
  'word',
  'dword',
  'qword',
  'tword',
  'oword',
  'yword',
  'zword',
  'far',
  'near',
  'short',
  'strict',
  'rel',
  'abs',
  'seg',
  'wrt',
  'nosplit',
  'to',
  'ptr',
]);

let mnemonics: Set<string> | undefined;
/** Every x86 mnemonic iced-x86 knows, plus NASM's aliases (jz, setnae...). */
export function isMnemonic(word: string): boolean {
  if (!mnemonics) {
    mnemonics = new Set(knownMnemonics());
    for (const name of Object.keys(Mnemonic))
      if (Number.isNaN(Number(name)) && name !== 'INVALID') mnemonics.add(name.toLowerCase());
    for (const extra of [
      'retn',
      'pushaw',
      'popaw',
      'pushfw',
      'popfw',
      'iretw',
      'int1',
      'icebp',
      'sal',
      'xlatb',
      'jmpe',
      'salc',
    ])
      mnemonics.add(extra);
  }
  return mnemonics.has(word.toLowerCase());
}

export function isDirective(word: string): boolean {
  const w = word.toLowerCase();
  return DIRECTIVES.has(w) || w.startsWith('%');
}

export function isDataDirective(word: string): boolean {
  return DATA_DIRECTIVES.has(word.toLowerCase());
}

const IDENT_START = /[A-Za-z_.?@$]/;
const IDENT_BODY = /[A-Za-z0-9_.?@$#~]/;

/** Index of the `;` that starts the comment (outside quotes), or the line's length. */
export function commentStart(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (c === ';') {
      return i;
    }
  }
  return line.length;
}

/** Identifier-like words in a stretch of code (skipping quoted strings and numbers), with absolute columns. */
export function scanIdentifiers(text: string, offset: number): Span[] {
  const out: Span[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      const close = text.indexOf(c, i + 1);
      i = close < 0 ? text.length : close + 1;
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < text.length && /[0-9A-Za-z_.]/.test(text[i])) i++;
      continue;
    }
    if (c === '%') {
      // Preprocessor tokens (%1, %%local, %[expr]) are not symbols of the file.
      i++;
      while (i < text.length && IDENT_BODY.test(text[i])) i++;
      continue;
    }
    if (IDENT_START.test(c)) {
      const start = i;
      i++;
      while (i < text.length && IDENT_BODY.test(text[i])) i++;
      let word = text.slice(start, i);
      let wordStart = start;
      if (word.startsWith('$') && word.length > 1 && /[A-Za-z_.?]/.test(word[1])) {
        word = word.slice(1); // `$name` escapes a name that is also a keyword
        wordStart++;
      }
      const lower = word.toLowerCase();
      if (
        word === '$' ||
        word === '$$' ||
        REGISTERS.has(lower) ||
        KEYWORDS.has(lower) ||
        DATA_DIRECTIVES.has(lower) ||
        /^\.+$/.test(word)
      )
        continue;
      if (isMnemonic(lower)) continue; // `times 4 nop`: no label can be named like an instruction
      out.push({ text: word, start: offset + wordStart, end: offset + i });
      continue;
    }
    i++;
  }
  return out;
}

/** Takes one line apart. `macroNames` lets a macro invocation count as an operation, not a label. */
export function lexLine(raw: string, macroNames?: ReadonlySet<string>): LexedLine {
  const end = commentStart(raw);
  const code = raw.slice(0, end);
  const result: LexedLine = { operands: '', operandsStart: end, identifiers: [] };
  let pos = 0;
  const skipSpace = () => {
    while (pos < code.length && /\s/.test(code[pos])) pos++;
  };
  const readWord = (): Span | undefined => {
    skipSpace();
    const start = pos;
    if (pos < code.length && code[pos] === '%') pos++;
    while (pos < code.length && IDENT_BODY.test(code[pos])) pos++;
    if (pos === start) return undefined;
    return { text: code.slice(start, pos), start, end: pos };
  };

  skipSpace();
  if (code[pos] === '[') {
    // `[bits 32]`, `[org 0x7c00]`, `[section .text]`: the primitive form of a directive.
    const close = code.indexOf(']', pos);
    const inner = code.slice(pos + 1, close < 0 ? code.length : close);
    const m = /^\s*([A-Za-z]+)/.exec(inner);
    if (m) {
      const start = pos + 1 + inner.indexOf(m[1]);
      result.op = { text: m[1], name: m[1].toLowerCase(), start, end: start + m[1].length };
      result.operandsStart = result.op.end;
      result.operands = code.slice(result.op.end, close < 0 ? code.length : close);
      result.bracketDirective = true;
      return result;
    }
  }

  let first = readWord();
  if (!first) return result;
  if (code[pos] === ':' && !first.text.startsWith('%')) {
    result.label = { ...first, colon: true };
    pos++;
    first = readWord();
  } else if (/^\s*%\+/.test(code.slice(pos))) {
    // `exc_stub_ %+ v:` pastes tokens: what it defines is known only after expansion.
    return result;
  } else if (
    !first.text.startsWith('%') &&
    !isMnemonic(first.text) &&
    !isDirective(first.text) &&
    !PREFIXES.has(first.text.toLowerCase()) &&
    !macroNames?.has(first.text)
  ) {
    // NASM accepts a label without a colon when an instruction or directive follows it (`msg db 'hi'`). A word
    // alone on a line is read as a macro call (maybe from an include): nasm warns about orphan labels anyway.
    const save = pos;
    const next = readWord();
    if (
      next &&
      (isMnemonic(next.text) ||
        (isDirective(next.text) && next.text !== '%') ||
        PREFIXES.has(next.text.toLowerCase()) ||
        macroNames?.has(next.text))
    ) {
      result.label = { ...first, colon: false };
      first = next;
    } else {
      pos = save; // Not NASM-shaped; leave the first word as the operation.
    }
  }
  while (first && PREFIXES.has(first.text.toLowerCase())) {
    const save = pos;
    const next = readWord();
    if (!next) {
      break; // a prefix alone is an instruction of its own (`rep`), keep it
    }
    result.prefix = first.text.toLowerCase();
    first = next;
    if (save === pos) break;
  }
  if (first) {
    result.op = { ...first, name: first.text.toLowerCase() };
    skipSpace();
    result.operandsStart = pos;
    result.operands = code.slice(pos);
    // Section names, CPU levels and messages are not symbols.
    if (
      !/^(%include|%error|%warning|%fatal|%pragma|%line|section|segment|cpu|default|warning|float)$/.test(
        result.op.name,
      )
    ) {
      result.identifiers = scanIdentifiers(result.operands, pos);
    }
  }
  return result;
}
