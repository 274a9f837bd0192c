// The compilation directory of each compile unit (.debug_info's DW_AT_comp_dir), by the offset of its line
// table (DW_AT_stmt_list). A DWARF 2-4 line table does not repeat the compilation directory: a file compiled
// as `gcc -c src/kernel.c` (or with -fdebug-prefix-map) is named `src/kernel.c` there, relative to the
// directory the compiler ran in, which only the unit's first DIE records. Only that DIE is read; a form this
// reader does not know ends that unit's answer, never the whole reading, and nothing throws out.
import { Reader } from './dwarf-line';

const DW_AT_STMT_LIST = 0x10;
const DW_AT_COMP_DIR = 0x1b;
const DW_AT_STR_OFFSETS_BASE = 0x72;
const DW_FORM_INDIRECT = 0x16;
const DW_FORM_IMPLICIT_CONST = 0x21;
/** The units read at most (a kernel has one per source file). */
const MAX_UNITS = 100_000;

export interface DwarfSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
}

type Value = { kind: 'number'; n: number } | { kind: 'string'; s: string } | { kind: 'strx'; index: number };

function cstrAt(section: Uint8Array | undefined, offset: number): string | undefined {
  return section && offset < section.length ? new Reader(section, offset).cstr() : undefined;
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

/** One attribute value of form `form`; throws on a form it does not know. */
function readForm(r: Reader, form: number, addressSize: number, version: number, s: DwarfSections): Value {
  const num = (n: number): Value => ({ kind: 'number', n });
  const skip = (n: number): Value => (r.skip(n), num(0));
  switch (form) {
    case 0x01: // addr
      return skip(addressSize);
    case 0x03: // block2
      return skip(r.u16());
    case 0x04: // block4
      return skip(r.u32());
    case 0x05: // data2
    case 0x12: // ref2
      return num(r.u16());
    case 0x06: // data4
    case 0x13: // ref4
    case 0x17: // sec_offset
    case 0x1c: // ref_sup4
      return num(r.u32());
    case 0x07: // data8
    case 0x14: // ref8
    case 0x20: // ref_sig8
    case 0x24: // ref_sup8
      return skip(8);
    case 0x08: // string
      return { kind: 'string', s: r.cstr() };
    case 0x09: // block
    case 0x18: // exprloc
      return skip(r.uleb());
    case 0x0a: // block1
      return skip(r.u8());
    case 0x0b: // data1
    case 0x0c: // flag
    case 0x11: // ref1
      return num(r.u8());
    case 0x0d: // sdata
      return num(r.sleb());
    case 0x0e: // strp
      return { kind: 'string', s: cstrAt(s.str, r.u32()) ?? '' };
    case 0x0f: // udata
    case 0x15: // ref_udata
    case 0x1b: // addrx
    case 0x22: // loclistx
    case 0x23: // rnglistx
      return num(r.uleb());
    case 0x10: // ref_addr: address-sized in DWARF 2
      return version <= 2 ? skip(addressSize) : num(r.u32());
    case 0x19: // flag_present
    case DW_FORM_IMPLICIT_CONST:
      return num(0);
    case 0x1a: // strx
      return { kind: 'strx', index: r.uleb() };
    case 0x1d: // strp_sup: another file's strings
      return skip(4);
    case 0x1e: // data16
      return skip(16);
    case 0x1f: // line_strp
      return { kind: 'string', s: cstrAt(s.lineStr, r.u32()) ?? '' };
    case 0x25: // strx1
      return { kind: 'strx', index: r.u8() };
    case 0x26: // strx2
      return { kind: 'strx', index: r.u16() };
    case 0x27: // strx3
      return { kind: 'strx', index: r.u16() | (r.u8() << 16) };
    case 0x28: // strx4
      return { kind: 'strx', index: r.u32() };
    case 0x29: // addrx1
      return skip(1);
    case 0x2a: // addrx2
      return skip(2);
    case 0x2b: // addrx3
      return skip(3);
    case 0x2c: // addrx4
      return skip(4);
    case DW_FORM_INDIRECT:
      return readForm(r, r.uleb(), addressSize, version, s);
    default:
      throw new RangeError(`form 0x${form.toString(16)}`);
  }
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
  let dir: Value | undefined;
  let strOffsetsBase = 8; // DWARF 5's default: just past the first contribution's header
  for (const [at, form, implicit] of attrs) {
    const v =
      form === DW_FORM_IMPLICIT_CONST
        ? { kind: 'number' as const, n: implicit }
        : readForm(r, form, addressSize, version, s);
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
