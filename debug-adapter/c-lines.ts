// What stepping by source line needs to know of a program with DWARF lines (a C kernel, and the NASM
// `-g -F dwarf` objects linked into it): the line an address is on, where statements start (is_stmt rows,
// not line 0), and the function an address is in. Built once per session from the ELF's line table.
import type { ElfDebugInfo } from '../common/elf-debug-info';
import type { LineRow } from '../common/dwarf-line';

export interface SourceLine {
  file: string;
  line: number;
}

export class CLines {
  /** Address -> the line a statement starting there is on (the last is_stmt row at that address). */
  private readonly stmts = new Map<number, LineRow>();

  constructor(readonly elf: ElfDebugInfo) {
    for (const r of elf.lines.rows) if (r.isStmt && !r.endSequence && r.line !== 0) this.stmts.set(r.address, r);
  }

  /** The line an address is on (undefined: no line owns it, or line 0). */
  lineAt(linear: number): SourceLine | undefined {
    const row = this.elf.lines.shownAt(linear);
    return row ? { file: row.file, line: row.line } : undefined;
  }

  /** The line of a statement starting exactly at `linear`; undefined when none starts there. */
  statementAt(linear: number): SourceLine | undefined {
    if (!this.stmts.has(linear)) return undefined;
    return this.lineAt(linear);
  }

  /** Every address where a statement starts within [start, end). */
  statementsIn(start: number, end: number): number[] {
    const out: number[] = [];
    for (const a of this.stmts.keys()) if (a >= start && a < end) out.push(a);
    return out.sort((a, b) => a - b);
  }

  /** The function symbol (STT_FUNC with a size) containing `linear`. */
  functionAt(linear: number): { name: string; start: number; end: number } | undefined {
    const s = this.elf.symbols.symbolAt(linear);
    if (!s || s.symbol.kind !== 'function' || s.symbol.size === 0) return undefined;
    return { name: s.symbol.name, start: s.symbol.address, end: s.symbol.address + s.symbol.size };
  }

  /**
   * Where a C function's body starts, past its prologue, as gdb puts it: at the entry when the entry already
   * has a second line (an empty prologue at -O2), else at the first statement on another line. Undefined
   * for code that is not a sized function (an assembly routine: its first line is its first instruction).
   */
  bodyStart(entry: number): number | undefined {
    const fn = this.functionAt(entry);
    if (!fn || fn.start !== entry) return undefined;
    const atEntry = this.elf.lines.rows.filter((r) => r.address === entry && !r.endSequence && r.line !== 0);
    if (atEntry.length === 0) return undefined;
    if (new Set(atEntry.map((r) => r.line)).size > 1) return entry;
    const first = atEntry[0].line;
    return this.statementsIn(entry + 1, fn.end).find((a) => this.lineAt(a)?.line !== first);
  }

  static same(a: SourceLine | undefined, b: SourceLine | undefined): boolean {
    return !!a && !!b && a.file === b.file && a.line === b.line;
  }

  static describe(l: SourceLine): string {
    return `${l.file.slice(l.file.lastIndexOf('/') + 1)}:${l.line}`;
  }
}

/** An address as a C programmer names it: `cfault.c:36, stop_here+0x1` (undefined without lines or symbols). */
export function cWhere(elf: ElfDebugInfo | undefined, linear: number): string | undefined {
  const p = elf?.placeOf(linear);
  if (!p) return undefined;
  const line = p.file && p.line ? `${p.file.slice(p.file.lastIndexOf('/') + 1)}:${p.line}` : undefined;
  return [line, p.symbol].filter(Boolean).join(', ') || undefined;
}
