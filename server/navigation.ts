// Finding one's way in NASM sources: document and workspace symbols, go to definition, find references
// (across %include), and hovers. Reads files through the index; knows nothing of diagnostics or runs.
import * as path from 'path';
import { DocumentSymbol, Location, Position, Range, SymbolInformation, SymbolKind } from 'vscode-languageserver/node';
import type { Registers } from '../common/api';
import type { FileIndex } from './file-index';
import { hoverAt, wordAt } from './hover';
import { parentAt, ParsedFile, resolveName, SymbolDef, SymbolKindName } from './nasm-file';

export interface NavigationHost {
  index: FileIndex;
  toPath(uri: string): string | undefined;
  toUri(file: string): string;
  openFiles(): string[];
  debugState(): { registers: Registers | null; description?: string };
}

export class Navigation {
  constructor(private readonly host: NavigationHost) {}

  private docContext(uri: string): { file: string; parsed: ParsedFile; text: string } | undefined {
    const file = this.host.toPath(uri);
    if (!file) return undefined;
    const parsed = this.host.index.parsed(file);
    const text = this.host.index.text(file);
    return parsed && text !== undefined ? { file, parsed, text } : undefined;
  }

  /** The name under the cursor, resolved (`.loop` -> `print.loop`), if it is a symbol-shaped word. */
  private nameAt(
    ctx: { parsed: ParsedFile; text: string },
    pos: Position,
  ): { name: string; written: string } | undefined {
    const lineText = ctx.text.split(/\r?\n/)[pos.line] ?? '';
    const w = wordAt(lineText, pos.character);
    if (!w) return undefined;
    return { name: resolveName(w.text, parentAt(ctx.parsed, pos.line)), written: w.text };
  }

  private findDefs(file: string, name: string): { file: string; def: SymbolDef }[] {
    const out: { file: string; def: SymbolDef }[] = [];
    for (const f of this.host.index.unit(file, this.host.openFiles())) {
      for (const def of this.host.index.parsed(f)?.defs ?? []) if (def.name === name) out.push({ file: f, def });
    }
    return out;
  }

  hover(uri: string, pos: Position) {
    const ctx = this.docContext(uri);
    if (!ctx) return null;
    const lineText = ctx.text.split(/\r?\n/)[pos.line] ?? '';
    const result = hoverAt({
      file: ctx.parsed,
      lineText,
      line: pos.line,
      character: pos.character,
      registers: this.host.debugState().registers,
      registersNote: this.host.debugState().description,
      findDefinition: (written) => {
        const defs = this.findDefs(ctx.file, resolveName(written, parentAt(ctx.parsed, pos.line)));
        const d = defs[0];
        return d ? { def: d.def, where: `${path.basename(d.file)}:${d.def.line + 1}` } : undefined;
      },
      constant: (name) =>
        this.findDefs(ctx.file, name).find((d) => d.def.kind === 'equ' || d.def.kind === 'define')?.def.value,
    });
    if (!result) return null;
    return {
      contents: { kind: 'markdown' as const, value: result.markdown },
      range: Range.create(pos.line, result.start, pos.line, result.end),
    };
  }

  definition(uri: string, pos: Position): Location[] {
    const ctx = this.docContext(uri);
    if (!ctx) return [];
    const lineText = ctx.text.split(/\r?\n/)[pos.line] ?? '';
    const inc = ctx.parsed.includes.find(
      (i) => i.line === pos.line && pos.character >= i.start - 1 && pos.character <= i.end + 1,
    );
    if (inc) {
      const target = this.host.index.resolveInclude(ctx.file, inc.path);
      if (target) return [Location.create(this.host.toUri(target), Range.create(0, 0, 0, 0))];
    }
    const n = this.nameAt(ctx, pos);
    if (!n || !lineText) return [];
    return this.findDefs(ctx.file, n.name).map(({ file, def }) =>
      Location.create(this.host.toUri(file), Range.create(def.line, def.start, def.line, def.end)),
    );
  }

  references(uri: string, pos: Position, includeDeclaration: boolean): Location[] {
    const ctx = this.docContext(uri);
    if (!ctx) return [];
    const n = this.nameAt(ctx, pos);
    if (!n) return [];
    const out: Location[] = [];
    for (const f of this.host.index.unit(ctx.file, this.host.openFiles())) {
      const parsed = this.host.index.parsed(f);
      if (!parsed) continue;
      const u = this.host.toUri(f);
      if (includeDeclaration)
        for (const d of parsed.defs)
          if (d.name === n.name) out.push(Location.create(u, Range.create(d.line, d.start, d.line, d.end)));
      for (const use of parsed.uses)
        if (use.name === n.name) out.push(Location.create(u, Range.create(use.line, use.start, use.line, use.end)));
    }
    return out;
  }

  documentSymbols(uri: string): DocumentSymbol[] {
    const ctx = this.docContext(uri);
    if (!ctx) return [];
    const lines = ctx.text.split(/\r?\n/);
    const top: DocumentSymbol[] = [];
    const byName = new Map<string, DocumentSymbol>();
    for (const d of ctx.parsed.defs) {
      const sym: DocumentSymbol = {
        name: d.written,
        detail: detailOf(d),
        kind: kindOf(d.kind),
        range: Range.create(d.line, 0, d.lastLine, (lines[d.lastLine] ?? '').length),
        selectionRange: Range.create(d.line, d.start, d.line, d.end),
        children: [],
      };
      const parent = d.kind === 'local' && d.parent ? byName.get(d.parent) : undefined;
      if (parent) parent.children!.push(sym);
      else top.push(sym);
      if (d.kind === 'label' || d.kind === 'data') byName.set(d.name, sym);
    }
    return top;
  }

  workspaceSymbols(query: string): SymbolInformation[] {
    const q = query.toLowerCase();
    const out: SymbolInformation[] = [];
    for (const f of this.host.index.allFiles(this.host.openFiles())) {
      for (const d of this.host.index.parsed(f)?.defs ?? []) {
        if (q && !fuzzy(d.name.toLowerCase(), q)) continue;
        out.push({
          name: d.name,
          kind: kindOf(d.kind),
          location: Location.create(this.host.toUri(f), Range.create(d.line, d.start, d.line, d.end)),
          containerName: d.parent ?? path.basename(f),
        });
        if (out.length >= 1000) return out;
      }
    }
    return out;
  }
}

function kindOf(kind: SymbolKindName): SymbolKind {
  switch (kind) {
    case 'label':
      return SymbolKind.Function;
    case 'local':
      return SymbolKind.Key;
    case 'data':
      return SymbolKind.Variable;
    case 'macro':
      return SymbolKind.Method;
    case 'equ':
      return SymbolKind.Constant;
    case 'define':
      return SymbolKind.Constant;
  }
}

function detailOf(d: SymbolDef): string {
  switch (d.kind) {
    case 'equ':
      return `equ ${d.value ?? ''}`;
    case 'define':
      return `%define ${d.value ?? ''}`;
    case 'macro':
      return 'macro';
    case 'data':
      return 'data';
    case 'local':
      return 'local label';
    default:
      return 'label';
  }
}

/** Characters of the query in order (what VS Code's symbol picker expects). */
function fuzzy(name: string, query: string): boolean {
  let i = 0;
  for (const c of name) if (c === query[i]) i++;
  return i === query.length;
}
