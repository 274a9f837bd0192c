// Where a breakpoint on a C source line goes, as gdb places it: the line's statement starts
// (LineTable.addressesOf), but only one in each function whose own line it is. gdb keeps one location per
// block; the line table alone does not name blocks, so a function's own lines stand for its block: clang -O2
// splits a loop's `sum += scale(*ptr, i);` around the call into two stretches of that line, and a breakpoint
// on both stopped twice a pass (a hit count counting half-passes, a logpoint printing twice). Lines of other
// code inlined into a function (a header's static inline, called twice) keep every copy.
import type { ElfDebugInfo } from './elf-debug-info';
import type { LineRow } from './dwarf-line';

/** What the placing needs of an ELF, worked out once: each function's opening row, by start address. */
interface Openings {
  /** Function start -> the first row there (its file and opening line). */
  byStart: Map<number, LineRow>;
  /** File -> its functions' opening lines, ascending. */
  linesOfFile: Map<string, number[]>;
  /** Address -> the statement rows there, in the table's order (a line's sites are looked up by address). */
  stmtRowsAt: Map<number, LineRow[]>;
}

const cache = new WeakMap<ElfDebugInfo, Openings>();

function openings(elf: ElfDebugInfo): Openings {
  let o = cache.get(elf);
  if (o) return o;
  const starts = new Set(elf.symbols.symbols.filter((s) => s.kind === 'function' && s.size > 0).map((s) => s.address));
  const byStart = new Map<number, LineRow>();
  for (const r of elf.lines.rows)
    if (!r.endSequence && r.line !== 0 && starts.has(r.address) && !byStart.has(r.address)) byStart.set(r.address, r);
  const linesOfFile = new Map<string, number[]>();
  for (const r of byStart.values()) linesOfFile.set(r.file, [...(linesOfFile.get(r.file) ?? []), r.line]);
  for (const l of linesOfFile.values()) l.sort((a, b) => a - b);
  const stmtRowsAt = new Map<number, LineRow[]>();
  for (const r of elf.lines.rows) {
    if (r.endSequence || !r.isStmt) continue;
    const at = stmtRowsAt.get(r.address);
    if (at) at.push(r);
    else stmtRowsAt.set(r.address, [r]);
  }
  o = { byStart, linesOfFile, stmtRowsAt };
  cache.set(elf, o);
  return o;
}

/**
 * The start of the function whose own code `row` is (a row of its file from its opening line up to the next
 * function's opening line there), or undefined when the row is inlined from elsewhere or no function says.
 */
function ownerOf(elf: ElfDebugInfo, row: LineRow): number | undefined {
  const sym = elf.symbols.symbolAt(row.address)?.symbol;
  if (!sym || sym.kind !== 'function' || sym.size === 0) return undefined;
  const o = openings(elf);
  const open = o.byStart.get(sym.address);
  if (!open || open.file !== row.file || row.line < open.line) return undefined;
  const next = (o.linesOfFile.get(open.file) ?? []).find((l) => l > open.line) ?? Infinity;
  return row.line < next ? sym.address : undefined;
}

export function breakpointSites(
  elf: ElfDebugInfo,
  file: string,
  line: number,
): { line: number; addresses: number[] } | undefined {
  const at = elf.lines.addressesOf(file, line);
  if (!at || at.addresses.length < 2) return at;
  const taken = new Set<number>();
  const rowsAt = openings(elf).stmtRowsAt;
  const addresses = at.addresses.filter((a) => {
    const row = rowsAt.get(a)?.find((r) => r.line === at.line);
    const owner = row ? ownerOf(elf, row) : undefined;
    if (owner === undefined) return true;
    if (taken.has(owner)) return false;
    taken.add(owner);
    return true;
  });
  return { line: at.line, addresses };
}
