// What an ELF kernel's own debug information says about an address: its function (symbol table) and its
// source line (DWARF .debug_line). For `bootvisor run kernel.elf`, and for `--symbols kernel.elf` when a boot
// sector loads the kernel's raw binary at the addresses it was linked for (the os-tutorial pattern).
import * as fs from 'fs';
import * as path from 'path';
import { LineTable, readLineRows, type Locate } from './dwarf-line';
import { compDirs } from './dwarf-units';
import { ElfSymbols } from './elf-symbols';
import { readInputFile } from './input-file';
import { MAX_KERNEL_BYTES } from './limits';

export interface CodePlace {
  /** The source file as the compiler recorded it (absolute when it was compiled with an absolute path). */
  file?: string;
  line?: number;
  /** `kmain+0x12` */
  symbol?: string;
}

/**
 * A relative file of a line table: in its compilation directory (itself resolved against `base` when
 * relative), else in `base` (nasm records the source's own folder as its compilation directory, so
 * `nasm src/entry.asm` names src/src/entry.asm); the first that exists, else the first. An absolute name,
 * or a relative one with nothing to resolve it against, is kept as it is.
 */
function locator(base: string | undefined): Locate {
  return (file, compDir) => {
    if (path.isAbsolute(file)) return file;
    const candidates: string[] = [];
    if (compDir && (path.isAbsolute(compDir) || base)) candidates.push(path.resolve(base ?? '/', compDir, file));
    if (base) candidates.push(path.resolve(base, file));
    return candidates.find((c) => fs.existsSync(c)) ?? candidates[0] ?? file;
  };
}

export class ElfDebugInfo {
  readonly symbols: ElfSymbols;
  readonly lines: LineTable;

  /**
   * `base`: the directory relative names are resolved against when the DWARF leaves them relative (a
   * compilation directory made relative by -fdebug-prefix-map=$PWD=.): the project's, where the user
   * builds and debugs.
   */
  constructor(bytes: Uint8Array, base?: string) {
    this.symbols = new ElfSymbols(bytes);
    const str = this.symbols.section('.debug_str');
    const lineStr = this.symbols.section('.debug_line_str');
    const dirs = compDirs({
      info: this.symbols.section('.debug_info'),
      abbrev: this.symbols.section('.debug_abbrev'),
      str,
      lineStr,
      strOffsets: this.symbols.section('.debug_str_offsets'),
    });
    this.lines = new LineTable(readLineRows(this.symbols.section('.debug_line'), lineStr, str, dirs, locator(base)));
  }

  /** Reads `file` within the kernel bound (an InputFileError when it is not a readable regular file). */
  static fromFile(file: string, base?: string): ElfDebugInfo {
    return new ElfDebugInfo(readInputFile(file, 'an ELF with symbols', MAX_KERNEL_BYTES), base);
  }

  /** Whether there is anything to say (symbols or lines). */
  get empty(): boolean {
    return this.symbols.symbols.length === 0 && this.lines.rows.length === 0;
  }

  /**
   * Where a breakpoint on a function by name goes, as gdb puts it: past the prologue, at the first line-table
   * row inside the function whose line differs from the opening one (the function's start without lines).
   */
  functionEntry(name: string): { address: number; file?: string; line?: number } | undefined {
    const sym = this.symbols.symbols.find((s) => s.name === name && s.kind === 'function');
    if (!sym) return undefined;
    const inside = this.lines.rows
      .filter(
        (r) =>
          !r.endSequence && r.isStmt && r.address >= sym.address && r.address < sym.address + Math.max(sym.size, 1),
      )
      .sort((a, b) => a.address - b.address);
    const body = inside.find((r) => r.line !== inside[0].line && r.address > sym.address) ?? inside[0];
    return body ? { address: body.address, file: body.file, line: body.line } : { address: sym.address };
  }

  /** The source line of an address, for reports and Problems (none where no line owns it). */
  sourceAt(address: number): { file: string; line: number } | undefined {
    const row = this.lines.shownAt(address);
    return row ? { file: row.file, line: row.line } : undefined;
  }

  placeOf(address: number): CodePlace | undefined {
    const row = this.lines.shownAt(address);
    const sym = this.symbols.symbolAt(address);
    if (!row && !sym) return undefined;
    return {
      file: row?.file,
      line: row?.line,
      symbol: sym ? (sym.offset ? `${sym.symbol.name}+0x${sym.offset.toString(16)}` : sym.symbol.name) : undefined,
    };
  }
}
