// Where a breakpoint on a C source line goes, as gdb places it: the line's statement starts
// (LineTable.addressesOf), but only one in each function whose own line it is. gdb keeps one location per
// block; the line table alone does not name blocks, so a function's own lines stand for its block: clang -O2
// splits a loop's `sum += scale(*ptr, i);` around the call into two stretches of that line, and a breakpoint
// on both stopped twice a pass (a hit count counting half-passes, a logpoint printing twice). Lines of other
// code inlined into a function (a header's static inline, called twice) keep every copy.
import type { ElfDebugInfo } from './elf-debug-info';
import type { LineRow } from './dwarf-line';

/** The row at a function's first address that opens it (its file and opening line), if any. */
function openingRow(elf: ElfDebugInfo, address: number): LineRow | undefined {
  return elf.lines.rows.find((r) => r.address === address && !r.endSequence && r.line !== 0);
}

/**
 * The start of the function whose own code `row` is (a row of its file from its opening line up to the next
 * function's opening line there), or undefined when the row is inlined from elsewhere or no function says.
 */
function ownerOf(elf: ElfDebugInfo, row: LineRow): number | undefined {
  const sym = elf.symbols.symbolAt(row.address)?.symbol;
  if (!sym || sym.kind !== 'function' || sym.size === 0) return undefined;
  const open = openingRow(elf, sym.address);
  if (!open || open.file !== row.file || row.line < open.line) return undefined;
  let next = Infinity;
  for (const s of elf.symbols.symbols) {
    if (s.kind !== 'function' || s.size === 0 || s.address === sym.address) continue;
    const o = openingRow(elf, s.address);
    if (o && o.file === open.file && o.line > open.line && o.line < next) next = o.line;
  }
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
  const addresses = at.addresses.filter((a) => {
    const row = elf.lines.rows.find((r) => r.address === a && r.line === at.line && !r.endSequence && r.isStmt);
    const owner = row ? ownerOf(elf, row) : undefined;
    if (owner === undefined) return true;
    if (taken.has(owner)) return false;
    taken.add(owner);
    return true;
  });
  return { line: at.line, addresses };
}
