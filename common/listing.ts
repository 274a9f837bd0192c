// The NASM listing map: a `nasm -l` listing read into DeZog's two indexes (address -> source line, and
// file:line -> address) plus the labels. The debug adapter, the CLI and the language server all use it.
//
// A listing names no files: lines of `%include`d files and macro expansions carry a nesting level `<N>`.
// We keep a stack of frames: a level opened by a `%include` line is that file; any other level is a
// macro (or %rep) expansion, whose code is attributed to the line that invoked it, where a user expects
// a breakpoint to go.
//
// Addresses: offsets in the listing are relative to the section. The image is loaded at `loadAddress`
// (0x7C00 for a boot sector), so code at offset o runs at linear loadAddress + o whatever its `org`; a
// label's *value* (what `[msg]` means to the program) is org + o.
import * as fs from 'fs';
import * as path from 'path';
import { parseNumber } from './expression';
import { readInputFile } from './input-file';
import { MAX_LISTING_BYTES } from './limits';

export interface ListingEntry {
  file: string;
  /** 1-based */
  line: number;
  /** Offset in the image. */
  offset: number;
  /** Linear address when loaded at loadAddress. */
  address: number;
  length: number;
  /** The source text (for macro expansions, the expanded line). */
  text: string;
  /** Which expansion or %rep iteration it came from: the same line's code in two instances is two places. */
  instance: number;
  /** The BITS in force where it was assembled (nasm's -f bin starts at 16). */
  bits: 16 | 32 | 64;
  /** Data (db/dw/dd/times ... db/incbin), not instructions. */
  data: boolean;
}

export interface ListingLabel {
  name: string;
  /** What the label means to the program (org + offset). */
  value: number;
  /** Linear address when loaded at loadAddress. */
  address: number;
  file: string;
  line: number;
}

export interface ListingOptions {
  /** The file that was assembled (the listing does not name it). */
  mainFile: string;
  /** Where the image runs (default 0x7C00). */
  loadAddress?: number;
  /** Extra `-i` directories nasm searched for includes. */
  includeDirs?: string[];
  /** Resolves an include name seen in `fromFile`; defaults to nasm's search (that file's dir, cwd, includeDirs). */
  resolveInclude?: (name: string, fromFile: string) => string;
}

interface Frame {
  /** file: an %include; rep: a %rep block (its lines are the file's own); macro: an expansion. */
  kind: 'file' | 'macro' | 'rep';
  file: string;
  /** For a macro: the invoking line everything inside is attributed to. */
  line: number;
}

const LINE_RE = /^\s*(\d+) (?:([0-9A-Fa-f]{8}) | {9})/;
const LABEL_RE = /^\s*([A-Za-z._?$@][\w.?$@#~]*)\s*:/;
const BARE_LABEL_RE = /^\s*([A-Za-z._?][\w.?$@#~]*)\s+(?:db|dw|dd|dq|dt|resb|resw|resd|resq|rest|times|equ|incbin)\b/i;
const EQU_RE = /^\s*([A-Za-z._?][\w.?$@#~]*)\s*:?\s+equ\s+(.+?)\s*(?:;.*)?$/i;
const ORG_RE = /^\s*\[?\s*org\s+([^\]\s;]+)/i;
const SECTION_RE = /^\s*\[?\s*(?:section|segment)\s+([^\s\]]+)/i;
const INCLUDE_RE = /^\s*%include\s+["<']([^"'>]+)["'>]/i;
const ENDREP_RE = /^\s*%endrep\b/i;
const STRUC_RE = /^\s*struc\s+([A-Za-z._?][\w.?$@#~]*)/i;
const ENDSTRUC_RE = /^\s*endstruc\b/i;
const ABSOLUTE_RE = /^\s*\[?\s*absolute\b/i;
const BITS_RE = /^\s*\[?\s*(?:bits\s+(16|32|64)|use(16|32|64))\s*\]?\s*$/i;
const DATA_RE = /(?:^|[\s:])(?:db|dw|dd|dq|dt|do|incbin)\b/i;

export class ListingMap {
  readonly entries: ListingEntry[] = [];
  readonly labels: ListingLabel[] = [];
  /** EQU constants whose value is a plain number. */
  readonly constants = new Map<string, number>();
  readonly loadAddress: number;
  org = 0;
  /** Problems met while reading (unresolvable includes...), for the user to see. */
  readonly warnings: string[] = [];

  /** file -> line -> entries, for breakpoints. */
  private readonly byLine = new Map<string, Map<number, ListingEntry[]>>();
  /** entries with code, sorted by address, for stops. */
  private readonly byAddress: ListingEntry[] = [];
  /** The end of the furthest entry (entries may overlap, so not always the last one's). */
  private addressEnd = 0;
  private readonly labelByName = new Map<string, ListingLabel>();

  private constructor(loadAddress: number) {
    this.loadAddress = loadAddress;
  }

  static fromFile(listingPath: string, options: ListingOptions): ListingMap {
    // A listing named by the user may be anything (/dev/zero, a FIFO): read only a regular file, bounded.
    return ListingMap.parse(readInputFile(listingPath, 'a nasm listing', MAX_LISTING_BYTES).toString('utf8'), options);
  }

  static parse(text: string, options: ListingOptions): ListingMap {
    const map = new ListingMap(options.loadAddress ?? 0x7c00);
    map.read(text, options);
    return map;
  }

  private read(text: string, options: ListingOptions): void {
    const mainFile = path.resolve(options.mainFile);
    const resolve =
      options.resolveInclude ?? ((name: string, from: string) => defaultResolve(name, from, options.includeDirs ?? []));
    const stack: Frame[] = [{ kind: 'file', file: mainFile, line: 0 }];
    let previous: { level: number; text: string; file: string; line: number } | undefined;
    const pendingLabels: { name: string; file: string; line: number }[] = [];
    let lastGlobal = '';
    const sections = new Map<string, number>([['.text', 0]]);
    let sectionBase = 0;
    let imageEnd = 0;
    let inStruc: string | undefined;
    let strucEnd = 0;
    let instance = 0;
    let inAbsolute = false;
    let bits: 16 | 32 | 64 = 16;

    for (const raw of text.split(/\r?\n/)) {
      const m = LINE_RE.exec(raw);
      if (!m) continue;
      const lineNo = Number(m[1]);
      const rest = raw.slice(m[0].length);
      // The bytes field is 18 wide (19 with a continuation dash), the level marker `<N>` sits at 20, the
      // source starts at 24.
      const bytesField = rest.slice(0, 20).trim();
      const levelMatch = /^<(\d+)>/.exec(rest.slice(20, 24));
      const level = levelMatch ? Number(levelMatch[1]) : 0;
      const source = rest.slice(24);
      if (bytesField.startsWith('***')) continue; // a warning printed into the listing

      // Open or close frames to this line's level.
      while (stack.length > level + 1) stack.pop();
      while (stack.length < level + 1) {
        instance++;
        const opener = previous;
        const incl = opener ? INCLUDE_RE.exec(opener.text) : null;
        if (opener && incl) {
          stack.push({ kind: 'file', file: resolve(incl[1], opener.file), line: 0 });
        } else if (opener && ENDREP_RE.test(opener.text)) {
          // nasm lists a %rep body after its %endrep, with the body's own line numbers.
          stack.push({ kind: 'rep', file: opener.file, line: 0 });
        } else {
          const top = stack[stack.length - 1];
          const at = opener ? { file: opener.file, line: opener.line } : { file: top.file, line: top.line };
          stack.push({ kind: 'macro', file: at.file, line: at.line });
        }
      }
      const frame = stack[stack.length - 1];
      const file = frame.file;
      const ownLines = frame.kind !== 'macro';
      if (frame.kind === 'rep' && lineNo <= frame.line) instance++; // the next iteration
      const line = ownLines ? lineNo : frame.line;
      if (ownLines) frame.line = lineNo;
      previous = { level, text: source, file, line };

      const code = stripComment(source);
      // struc and absolute blocks describe offsets, not bytes of the image: their fields are constants.
      const struc = STRUC_RE.exec(code);
      if (struc) {
        inStruc = struc[1];
        continue;
      }
      if (inStruc !== undefined) {
        if (ENDSTRUC_RE.test(code)) {
          this.constants.set(`${inStruc}_size`, strucEnd);
          inStruc = undefined;
          strucEnd = 0;
        } else {
          const field = LABEL_RE.exec(code) ?? BARE_LABEL_RE.exec(code);
          if (field && m[2])
            this.constants.set(field[1].startsWith('.') ? inStruc + field[1] : field[1], parseInt(m[2], 16));
          if (m[2]) strucEnd = Math.max(strucEnd, parseInt(m[2], 16) + byteCount(bytesField));
        }
        continue;
      }
      const bitsDirective = BITS_RE.exec(code);
      if (bitsDirective) bits = Number(bitsDirective[1] ?? bitsDirective[2]) as 16 | 32 | 64;
      if (ABSOLUTE_RE.test(code)) inAbsolute = true;
      else if (SECTION_RE.test(code)) inAbsolute = false;
      if (inAbsolute) continue;
      if (level === 0 || frame.kind !== 'macro') {
        const org = ORG_RE.exec(code);
        if (org) {
          const v = parseNumber(org[1]);
          if (v !== undefined) this.org = v;
          else
            this.warnings.push(
              `${path.basename(file)}:${line}: org ${org[1]} is not a plain number; labels assume org 0`,
            );
        }
        const section = SECTION_RE.exec(code);
        if (section) {
          const name = section[1];
          if (!sections.has(name)) sections.set(name, align(imageEnd, 4));
          sectionBase = sections.get(name)!;
        }
        const equ = EQU_RE.exec(code);
        if (equ) {
          const v = parseNumber(equ[2]);
          if (v !== undefined) this.constants.set(qualify(equ[1], lastGlobal), v);
        } else {
          const label = LABEL_RE.exec(code) ?? BARE_LABEL_RE.exec(code);
          if (label && !/^%/.test(code.trim())) {
            const name = qualify(label[1], lastGlobal);
            if (!label[1].startsWith('.') && !label[1].startsWith('..@')) lastGlobal = label[1];
            pendingLabels.push({ name, file, line });
          }
        }
      }

      if (!m[2]) continue;
      const offset = sectionBase + parseInt(m[2], 16);
      const length = byteCount(bytesField);
      for (const p of pendingLabels.splice(0)) this.addLabel(p.name, offset, p.file, p.line);
      if (length === 0) {
        continue;
      }
      const data = DATA_RE.test(code.replace(/(["'`])(?:(?!\1).)*\1/g, '""'));
      const entry: ListingEntry = {
        file,
        line,
        offset,
        address: this.loadAddress + offset,
        length,
        text: source.trim(),
        instance,
        bits,
        data,
      };
      this.entries.push(entry);
      imageEnd = Math.max(imageEnd, offset + length);
    }
    for (const p of pendingLabels) this.addLabel(p.name, imageEnd, p.file, p.line);
    this.index();
  }

  private addLabel(name: string, offset: number, file: string, line: number): void {
    if (this.labelByName.has(name)) return;
    const label: ListingLabel = { name, value: this.org + offset, address: this.loadAddress + offset, file, line };
    this.labels.push(label);
    this.labelByName.set(name, label);
  }

  private index(): void {
    for (const e of this.entries) {
      let lines = this.byLine.get(e.file);
      if (!lines) this.byLine.set(e.file, (lines = new Map()));
      const list = lines.get(e.line);
      if (list) list.push(e);
      else lines.set(e.line, [e]);
    }
    this.byAddress.push(...this.entries);
    this.byAddress.sort((a, b) => a.address - b.address);
    for (const e of this.byAddress) this.addressEnd = Math.max(this.addressEnd, e.address + e.length);
    this.labels.sort((a, b) => a.address - b.address);
  }

  /** The source files the listing maps to (absolute paths). */
  files(): string[] {
    return [...this.byLine.keys()];
  }

  hasFile(file: string): boolean {
    return this.byLine.has(path.resolve(file)) || this.filesDeclared().has(path.resolve(file));
  }

  private declared?: Set<string>;
  private filesDeclared(): Set<string> {
    if (!this.declared) this.declared = new Set([...this.labels.map((l) => l.file), ...this.byLine.keys()]);
    return this.declared;
  }

  /** The first address of code on that line, or -1 when the line has none. */
  addressOfLine(file: string, line: number): number {
    const list = this.byLine.get(path.resolve(file))?.get(line);
    return list && list.length > 0 ? Math.min(...list.map((e) => e.address)) : -1;
  }

  /**
   * Where each instance of that line's code starts: one address for plain code and for a macro
   * invocation (its expansion is one run of entries), one per iteration for a line inside %rep.
   */
  addressesOfLine(file: string, line: number): number[] {
    const first = new Map<number, number>();
    for (const e of this.byLine.get(path.resolve(file))?.get(line) ?? []) {
      const a = first.get(e.instance);
      if (a === undefined || e.address < a) first.set(e.instance, e.address);
    }
    return [...first.values()].sort((a, b) => a - b);
  }

  /** The first line at or after `line` in that file that has code (for a breakpoint on a blank line). */
  nextLineWithCode(file: string, line: number): { line: number; address: number } | undefined {
    const lines = this.byLine.get(path.resolve(file));
    if (!lines) return undefined;
    let best: number | undefined;
    for (const l of lines.keys()) if (l >= line && (best === undefined || l < best)) best = l;
    return best === undefined ? undefined : { line: best, address: this.addressOfLine(file, best) };
  }

  /** The entry whose bytes contain the linear address. */
  entryAt(address: number): ListingEntry | undefined {
    const list = this.byAddress;
    // Outside the program at once: a call stack asks this of every word on the stack, mostly not code.
    if (list.length === 0 || address < list[0].address || address >= this.addressEnd) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].address <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const e = list[found];
    return address < e.address + e.length ? e : undefined;
  }

  /** The source line of the code at a linear address. */
  locate(address: number): { file: string; line: number } | undefined {
    const e = this.entryAt(address);
    return e ? { file: e.file, line: e.line } : undefined;
  }

  label(name: string): ListingLabel | undefined {
    return this.labelByName.get(name);
  }

  /** The nearest label at or below the address, as `name` or `name+0x12`. */
  symbolize(address: number): string | undefined {
    let best: ListingLabel | undefined;
    for (const l of this.labels) {
      if (l.address <= address) best = l;
      else break;
    }
    if (!best) return undefined;
    const delta = address - best.address;
    return delta === 0 ? best.name : `${best.name}+0x${delta.toString(16)}`;
  }
}

function defaultResolve(name: string, fromFile: string, includeDirs: string[]): string {
  const candidates = [
    path.resolve(path.dirname(fromFile), name),
    path.resolve(name),
    ...includeDirs.map((d) => path.resolve(d, name)),
  ];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
}

function qualify(name: string, lastGlobal: string): string {
  return name.startsWith('.') && !name.startsWith('..') && lastGlobal ? lastGlobal + name : name;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Bytes a listing field stands for: hex pairs (relocated ones in [] or ()), `<rep N>` repeats, `??` reserves. */
function byteCount(field: string): number {
  let s = field.replace(/-$/, '');
  let repeat = 1;
  const rep = /<rep ([0-9A-Fa-f]+)h>/.exec(s);
  if (rep) {
    repeat = parseInt(rep[1], 16);
    s = s.slice(0, rep.index);
  }
  s = s.replace(/[[\]()]/g, '');
  if (!/^([0-9A-Fa-f?]{2})*$/.test(s)) return 0;
  return (s.length / 2) * repeat;
}

function stripComment(source: string): string {
  let inQuote = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (inQuote) {
      if (c === inQuote) inQuote = '';
    } else if (c === '"' || c === "'" || c === '`') inQuote = c;
    else if (c === ';') return source.slice(0, i);
  }
  return source;
}
