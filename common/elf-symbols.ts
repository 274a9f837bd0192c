// A 32-bit little-endian ELF's sections and symbol table, read with bounds checks: what the debugger and the
// CLI need to name an address (`kmain+0x12`) and to find the DWARF sections (common/dwarf-line.ts). A
// malformed file gives fewer sections or symbols, never an exception past the reader.
import { lastAtOrBelow } from './dwarf-line';

export interface ElfSection {
  name: string;
  type: number;
  address: number;
  offset: number;
  size: number;
}

export interface ElfSymbol {
  name: string;
  address: number;
  size: number;
  kind: 'function' | 'object' | 'other';
}

const SHT_NOBITS = 8;
const SHT_SYMTAB = 2;
/** Bounds on what is read from a file we did not write: beyond any real kernel. */
const MAX_SECTIONS = 4096;
const MAX_SYMBOLS = 1 << 20;

function cString(bytes: Uint8Array, at: number, max = 4096): string {
  let end = at;
  while (end < bytes.length && end - at < max && bytes[end] !== 0) end++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, end - at).toString('utf8');
}

export class ElfSymbols {
  readonly sections: ElfSection[] = [];
  /** Functions and objects with a name, sorted by address. */
  readonly symbols: ElfSymbol[] = [];

  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[4] !== 1 || bytes[5] !== 1) return;
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const shoff = v.getUint32(32, true);
    const shentsize = v.getUint16(46, true);
    const shnum = Math.min(v.getUint16(48, true), MAX_SECTIONS);
    const shstrndx = v.getUint16(50, true);
    if (shentsize < 40 || shoff + shnum * shentsize > bytes.length) return;
    const raw = [...Array(shnum).keys()].map((i) => {
      const at = shoff + i * shentsize;
      return {
        nameOffset: v.getUint32(at, true),
        type: v.getUint32(at + 4, true),
        address: v.getUint32(at + 12, true),
        offset: v.getUint32(at + 16, true),
        size: v.getUint32(at + 20, true),
        link: v.getUint32(at + 24, true),
      };
    });
    const names = raw[shstrndx];
    for (const s of raw) {
      const name =
        names && names.offset + s.nameOffset < bytes.length ? cString(bytes, names.offset + s.nameOffset) : '';
      const inFile = s.type === SHT_NOBITS || s.offset + s.size <= bytes.length;
      this.sections.push({ name, type: s.type, address: s.address, offset: s.offset, size: inFile ? s.size : 0 });
    }
    const symtab = raw.find((s) => s.type === SHT_SYMTAB);
    const strtab = symtab ? raw[symtab.link] : undefined;
    if (!symtab || !strtab || symtab.offset + symtab.size > bytes.length || strtab.offset + strtab.size > bytes.length)
      return;
    const count = Math.min(Math.floor(symtab.size / 16), MAX_SYMBOLS);
    for (let i = 1; i < count; i++) {
      const at = symtab.offset + i * 16;
      const nameOffset = v.getUint32(at, true);
      const type = bytes[at + 12] & 0xf;
      const shndx = v.getUint16(at + 14, true);
      if (nameOffset === 0 || nameOffset >= strtab.size || shndx === 0) continue;
      const kind = type === 2 ? 'function' : type === 1 ? 'object' : type === 0 ? 'other' : undefined;
      if (!kind) continue; // sections, files
      this.symbols.push({
        name: cString(bytes, strtab.offset + nameOffset),
        address: v.getUint32(at + 4, true),
        size: v.getUint32(at + 8, true),
        kind,
      });
    }
    this.symbols.sort((a, b) => a.address - b.address);
  }

  /** A section's bytes (empty when absent or outside the file). */
  section(name: string): Uint8Array {
    const s = this.sections.find((x) => x.name === name);
    return s && s.type !== SHT_NOBITS ? this.bytes.subarray(s.offset, s.offset + s.size) : new Uint8Array(0);
  }

  /** The symbol an address is in (a function's or object's extent, else the nearest label below it). */
  symbolAt(address: number): { symbol: ElfSymbol; offset: number } | undefined {
    const best = lastAtOrBelow(this.symbols, address);
    // Prefer a sized symbol that contains it among those at the same address.
    for (let i = best; i >= 0 && i > best - 8; i--) {
      const s = this.symbols[i];
      if (s.size > 0 && address < s.address + s.size) return { symbol: s, offset: address - s.address };
    }
    if (best < 0) return undefined;
    const s = this.symbols[best];
    return s.size === 0 && address - s.address < 0x10000 ? { symbol: s, offset: address - s.address } : undefined;
  }

  /** The address of a symbol by name. */
  addressOf(name: string): number | undefined {
    return this.symbols.find((s) => s.name === name)?.address;
  }
}
