// DWARF attribute forms (DWARF 2 to 5, 32-bit DWARF): the one reader of a value of any form, for the
// attributes of .debug_info's DIEs (dwarf-units.ts) and the entry formats of a DWARF 5 line table header
// (dwarf-line.ts). It throws a RangeError on a form it does not know (the callers end that unit's reading).
import { Reader } from './dwarf-reader';

export const DW_FORM_IMPLICIT_CONST = 0x21;

/** A number, a string (inline or from .debug_str / .debug_line_str), or an index into .debug_str_offsets. */
export type FormValue = { kind: 'number'; n: number } | { kind: 'string'; s: string } | { kind: 'strx'; index: number };

/** What a form's size or value depends on: the unit's address size and version, and the string sections. */
export interface FormContext {
  addressSize: number;
  version: number;
  str?: Uint8Array;
  lineStr?: Uint8Array;
}

export function cstrAt(section: Uint8Array | undefined, offset: number): string | undefined {
  return section && offset < section.length ? new Reader(section, offset).cstr() : undefined;
}

/** One attribute value of form `form`; throws on a form it does not know. */
export function readForm(r: Reader, form: number, u: FormContext): FormValue {
  const num = (n: number): FormValue => ({ kind: 'number', n });
  const skip = (n: number): FormValue => (r.skip(n), num(0));
  switch (form) {
    case 0x01: // addr
      return skip(u.addressSize);
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
      return { kind: 'string', s: cstrAt(u.str, r.u32()) ?? '' };
    case 0x0f: // udata
    case 0x15: // ref_udata
    case 0x1b: // addrx
    case 0x22: // loclistx
    case 0x23: // rnglistx
      return num(r.uleb());
    case 0x10: // ref_addr: address-sized in DWARF 2
      return u.version <= 2 ? skip(u.addressSize) : num(r.u32());
    case 0x19: // flag_present
    case DW_FORM_IMPLICIT_CONST: // its value is in the abbreviation
      return num(0);
    case 0x1a: // strx
      return { kind: 'strx', index: r.uleb() };
    case 0x1d: // strp_sup: another file's strings
      return skip(4);
    case 0x1e: // data16
      return skip(16);
    case 0x1f: // line_strp
      return { kind: 'string', s: cstrAt(u.lineStr, r.u32()) ?? '' };
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
    case 0x16: // indirect
      return readForm(r, r.uleb(), u);
    default:
      throw new RangeError(`form 0x${form.toString(16)}`);
  }
}
