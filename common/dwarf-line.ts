// DWARF line tables (.debug_line, versions 2 to 5, 32-bit DWARF) as gcc, clang and nasm -F dwarf write them:
// the rows of every sequence, and the two questions a debugger asks of them: which source line an address
// is on, and which addresses start a source line. No DWARF reader on npm reads native ELF (the one VS Code
// ships is for WebAssembly), so this is ours; test/cli/elf-debug-info.test.ts checks it against binutils'
// addr2line on gcc's DWARF 4 and 5 and nasm's. Malformed input ends a unit early; nothing throws out.

import { FormContext, readForm } from './dwarf-forms';
import { Reader } from './dwarf-reader';

export interface LineRow {
  address: number;
  /** The source file: its directory joined to its name, as the compiler recorded them. */
  file: string;
  line: number;
  column: number;
  isStmt: boolean;
  /** The address just past a sequence (no code of its own). */
  endSequence: boolean;
}

const join = (dir: string, name: string): string =>
  name.startsWith('/') || !dir ? name : `${dir.replace(/\/$/, '')}/${name}`;

/** DWARF 5 entry formats: (content type, form) pairs; returns the path and directory index of one entry. */
function readEntry(r: Reader, formats: [number, number][], u: FormContext): { path: string; dir: number } {
  let p = '';
  let dir = 0;
  for (const [content, form] of formats) {
    const v = readForm(r, form, u);
    // A string by index needs .debug_str_offsets, which a line table has no base into.
    if (v.kind === 'strx') throw new RangeError(`form 0x${form.toString(16)} in a line table header`);
    if (content === 1) p = v.kind === 'string' ? v.s : String(v.n);
    if (content === 2) dir = v.kind === 'number' ? v.n : Number(v.s);
  }
  return { path: p, dir };
}

/**
 * Where a file named by a line table is: `file` as the table names it (directory and name joined), relative
 * when the compiler was given a relative path; `compDir` the unit's compilation directory (.debug_info's,
 * for DWARF 2-4 tables, which do not repeat it), when known.
 */
export type Locate = (file: string, compDir: string | undefined) => string;

const joinCompDir: Locate = (file, compDir) => (compDir ? join(compDir, file) : file);

/** Every row of every unit in a .debug_line section (`compDirs`: DW_AT_comp_dir by line table offset). */
export function readLineRows(
  debugLine: Uint8Array,
  debugLineStr: Uint8Array = new Uint8Array(0),
  debugStr: Uint8Array = new Uint8Array(0),
  compDirs: Map<number, string> = new Map(),
  locate: Locate = joinCompDir,
): LineRow[] {
  const rows: LineRow[] = [];
  let unit = 0;
  while (unit + 4 <= debugLine.length) {
    const r = new Reader(debugLine, unit);
    const length = r.u32();
    if (length === 0xffffffff || length < 2) break; // 64-bit DWARF: not from a 32-bit kernel
    const end = Math.min(debugLine.length, unit + 4 + length);
    try {
      const found = new Map<string, string>();
      const compDir = compDirs.get(unit);
      // A DWARF 5 table's directory 0 is the compilation directory already.
      const where = (file: string, version: number): string => {
        let f = found.get(file);
        if (f === undefined) found.set(file, (f = locate(file, version < 5 ? compDir : undefined)));
        return f;
      };
      readUnit(new Reader(debugLine.subarray(0, end), r.at), rows, { line: debugLineStr, str: debugStr }, where);
    } catch {
      // A broken unit: what it produced so far stays.
    }
    unit = unit + 4 + length;
  }
  return rows;
}

function readUnit(
  r: Reader,
  rows: LineRow[],
  strs: { line: Uint8Array; str: Uint8Array },
  where: (file: string, version: number) => string,
): void {
  const version = r.u16();
  if (version < 2 || version > 5) return;
  const addressSize = version >= 5 ? r.u8() : 4;
  if (version >= 5) r.u8(); // segment_selector_size
  const headerLength = r.u32();
  const programStart = r.at + headerLength;
  const minInst = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction (VLIW only)
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = (r.u8() << 24) >> 24;
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) return;
  const opLengths = [0];
  for (let i = 1; i < opcodeBase; i++) opLengths.push(r.u8());
  const dirs: string[] = [];
  const files: string[] = [];
  if (version >= 5) {
    const u: FormContext = { addressSize, version, str: strs.str, lineStr: strs.line };
    const dirFormats: [number, number][] = [];
    for (let n = r.u8(); n > 0; n--) dirFormats.push([r.uleb(), r.uleb()]);
    // Entry 0 is the compilation directory; the others, when relative (clang writes "test/kernels"), are
    // relative to it.
    for (let n = r.uleb(); n > 0; n--) {
      const dir = readEntry(r, dirFormats, u).path;
      dirs.push(dirs.length ? join(dirs[0], dir) : dir);
    }
    const fileFormats: [number, number][] = [];
    for (let n = r.u8(); n > 0; n--) fileFormats.push([r.uleb(), r.uleb()]);
    for (let n = r.uleb(); n > 0; n--) {
      const e = readEntry(r, fileFormats, u);
      files.push(where(join(dirs[e.dir] ?? '', e.path), version));
    }
  } else {
    dirs.push(''); // index 0: the compilation directory, which v2-4 do not repeat here (where() adds it)
    for (let d = r.cstr(); d; d = r.cstr()) dirs.push(d);
    files.push(''); // file numbers start at 1
    for (let f = r.cstr(); f; f = r.cstr()) {
      const dir = r.uleb();
      r.uleb();
      r.uleb();
      files.push(where(join(dirs[dir] ?? '', f), version));
    }
  }
  r.at = programStart;
  let address = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = defaultIsStmt;
  const reset = (): void => {
    address = 0;
    file = 1;
    line = 1;
    column = 0;
    isStmt = defaultIsStmt;
  };
  const emit = (endSequence = false): void => {
    rows.push({ address: address >>> 0, file: files[file] ?? `file ${file}`, line, column, isStmt, endSequence });
  };
  while (!r.done) {
    const op = r.u8();
    if (op >= opcodeBase) {
      const adjusted = op - opcodeBase;
      address += Math.floor(adjusted / lineRange) * minInst;
      line += lineBase + (adjusted % lineRange);
      emit();
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        const next = r.at + len;
        const sub = len > 0 ? r.u8() : 0;
        if (sub === 1) {
          emit(true);
          reset();
        } else if (sub === 2) address = r.u32();
        else if (sub === 3 && version < 5) {
          const f = r.cstr();
          const dir = r.uleb();
          files.push(where(join(dirs[dir] ?? '', f), version));
        }
        r.at = next;
        break;
      }
      case 1:
        emit();
        break;
      case 2:
        address += r.uleb() * minInst;
        break;
      case 3:
        line += r.sleb();
        break;
      case 4:
        file = r.uleb();
        break;
      case 5:
        column = r.uleb();
        break;
      case 6:
        isStmt = !isStmt;
        break;
      case 7:
        break;
      case 8:
        address += Math.floor((255 - opcodeBase) / lineRange) * minInst;
        break;
      case 9:
        address += r.u16();
        break;
      case 10:
      case 11:
        break;
      case 12:
        r.uleb();
        break;
      default:
        for (let i = 0; i < opLengths[op]; i++) r.uleb();
    }
  }
}

/** The index of the last item at or below `address` in items sorted by address, or -1. */
export function lastAtOrBelow(items: { address: number }[], address: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].address <= address) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** Address to line and line to addresses over the rows of a program. */
export class LineTable {
  /** Rows that start code, sorted by address; an end-of-sequence row closes the range before it. */
  private readonly sorted: LineRow[];

  constructor(readonly rows: LineRow[]) {
    this.sorted = [...rows].sort((a, b) => a.address - b.address || Number(b.endSequence) - Number(a.endSequence));
  }

  /** The line an address is on: the last row at or below it in its sequence (none for line 0: code no line owns). */
  lineAt(address: number): LineRow | undefined {
    const best = lastAtOrBelow(this.sorted, address);
    if (best < 0) return undefined;
    const row = this.sorted[best];
    return row.endSequence || row.line === 0 ? undefined : row;
  }

  /**
   * The line a debugger shows at an address, as gdb does: lineAt's, unless that row is not a statement and
   * a statement row starts at the same address (-O2 puts several lines at one address, the last often not
   * a statement: a breakpoint on the statement's line must show that line).
   */
  shownAt(address: number): LineRow | undefined {
    const best = lastAtOrBelow(this.sorted, address);
    const row = best >= 0 ? this.sorted[best] : undefined;
    if (!row || row.endSequence || row.isStmt) return this.lineAt(address);
    for (let i = best - 1; i >= 0 && this.sorted[i].address === row.address; i--) {
      const r = this.sorted[i];
      if (r.endSequence) break;
      if (r.isStmt && r.line !== 0) return r;
    }
    return this.lineAt(address);
  }

  /** The files the table names. */
  files(): string[] {
    return [...new Set(this.rows.map((r) => r.file))];
  }

  /**
   * Where a breakpoint on `file:line` goes: the statement rows of that line (several for code a compiler
   * duplicated), else those of the next line that has code, with the line they are on. `file` matches by
   * its whole path or, failing that, by its name.
   */
  addressesOf(file: string, line: number): { line: number; addresses: number[] } | undefined {
    const base = (f: string): string => f.slice(f.lastIndexOf('/') + 1);
    let mine = this.rows.filter((r) => r.file === file && !r.endSequence && r.isStmt);
    if (mine.length === 0) mine = this.rows.filter((r) => base(r.file) === base(file) && !r.endSequence && r.isStmt);
    const lines = [...new Set(mine.map((r) => r.line))].filter((l) => l >= line).sort((a, b) => a - b);
    if (lines.length === 0) return undefined;
    const at = lines[0];
    // A row that only continues the line (another column of it, DWARF 5's views) is not a new start: a
    // breakpoint there would hit once per column (a logpoint printing four times per pass). So: the first
    // statement row of each stretch of rows on the line.
    const wanted = new Set(mine.filter((r) => r.line === at));
    const addresses: number[] = [];
    let inStretch = false;
    let taken = false;
    for (const r of this.sorted) {
      const same = !r.endSequence && r.line === at && (r.file === file || base(r.file) === base(file));
      if (!same) {
        inStretch = taken = false;
        continue;
      }
      if (!inStretch) inStretch = true;
      if (!taken && wanted.has(r)) {
        addresses.push(r.address);
        taken = true;
      }
    }
    return { line: at, addresses: [...new Set(addresses)].sort((a, b) => a - b) };
  }
}
