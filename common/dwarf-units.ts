// The compilation directory of each compile unit (.debug_info's DW_AT_comp_dir), by the offset of its line
// table (DW_AT_stmt_list). A DWARF 2-4 line table does not repeat the compilation directory: a file compiled
// as `gcc -c src/kernel.c` (or with -fdebug-prefix-map) is named `src/kernel.c` there, relative to the
// directory the compiler ran in, which only the unit's first DIE records. Only that DIE is read; a form this
// reader does not know ends that unit's answer, never the whole reading, and nothing throws out.
import { cstrAt, DW_FORM_IMPLICIT_CONST, FormValue, readForm } from './dwarf-forms';
import { Reader } from './dwarf-reader';

const DW_AT_STMT_LIST = 0x10;
const DW_AT_COMP_DIR = 0x1b;
const DW_AT_STR_OFFSETS_BASE = 0x72;
/** The units read at most (a kernel has one per source file). */
const MAX_UNITS = 100_000;

export interface DwarfSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
}

/** The attribute forms of the abbreviation `code` in the table at `offset` of .debug_abbrev. */
function abbreviation(abbrev: Uint8Array, offset: number, code: number): [number, number, number][] | undefined {
  const r = new Reader(abbrev, offset);
  for (let n = 0; n < MAX_UNITS && !r.done; n++) {
    const c = r.uleb();
    if (c === 0) return undefined;
    r.uleb(); // tag
    r.u8(); // has children
    const attrs: [number, number, number][] = [];
    for (;;) {
      const at = r.uleb();
      const form = r.uleb();
      if (at === 0 && form === 0) break;
      attrs.push([at, form, form === DW_FORM_IMPLICIT_CONST ? r.sleb() : 0]);
    }
    if (c === code) return attrs;
  }
  return undefined;
}

/** The compile unit whose DIE starts at `r` (after its header): its line table offset and directory. */
function unitDirectory(
  r: Reader,
  s: DwarfSections,
  abbrevOffset: number,
  addressSize: number,
  version: number,
): { stmtList: number; compDir: string } | undefined {
  const attrs = abbreviation(s.abbrev, abbrevOffset, r.uleb());
  if (!attrs) return undefined;
  let stmtList: number | undefined;
  let dir: FormValue | undefined;
  const u = { addressSize, version, str: s.str, lineStr: s.lineStr };
  let strOffsetsBase = 8; // DWARF 5's default: just past the first contribution's header
  for (const [at, form, implicit] of attrs) {
    const v = form === DW_FORM_IMPLICIT_CONST ? { kind: 'number' as const, n: implicit } : readForm(r, form, u);
    if (at === DW_AT_STMT_LIST && v.kind === 'number') stmtList = v.n;
    else if (at === DW_AT_COMP_DIR) dir = v;
    else if (at === DW_AT_STR_OFFSETS_BASE && v.kind === 'number') strOffsetsBase = v.n;
  }
  if (stmtList === undefined || !dir) return undefined;
  let compDir: string | undefined;
  if (dir.kind === 'string') compDir = dir.s;
  else if (dir.kind === 'strx' && s.strOffsets) {
    const at = strOffsetsBase + dir.index * 4;
    if (at + 4 <= s.strOffsets.length) compDir = cstrAt(s.str, new Reader(s.strOffsets, at).u32());
  }
  return compDir ? { stmtList, compDir } : undefined;
}

/** DW_AT_comp_dir of every compile unit, by its DW_AT_stmt_list (the offset of its line table). */
export function compDirs(s: DwarfSections): Map<number, string> {
  const out = new Map<number, string>();
  let unit = 0;
  for (let n = 0; n < MAX_UNITS && unit + 11 <= s.info.length; n++) {
    const r = new Reader(s.info, unit);
    const length = r.u32();
    if (length === 0xffffffff || length < 7) break; // 64-bit DWARF: not from a 32-bit kernel
    const end = Math.min(s.info.length, unit + 4 + length);
    try {
      const version = r.u16();
      let abbrevOffset: number;
      let addressSize: number;
      let compile = true;
      if (version >= 5) {
        const type = r.u8();
        compile = type === 1 || type === 3; // DW_UT_compile, DW_UT_partial
        addressSize = r.u8();
        abbrevOffset = r.u32();
      } else {
        abbrevOffset = r.u32();
        addressSize = r.u8();
      }
      if (compile && version >= 2 && version <= 5) {
        const found = unitDirectory(new Reader(s.info.subarray(0, end), r.at), s, abbrevOffset, addressSize, version);
        if (found) out.set(found.stmtList, found.compDir);
      }
    } catch {
      // A unit this reader cannot follow: its files stay as the line table names them.
    }
    unit = unit + 4 + length;
  }
  return out;
}
