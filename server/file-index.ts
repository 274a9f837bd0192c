// The NASM files the server knows: open documents (their live text) and the workspace's files on disk,
// parsed on demand and cached by version or mtime; %include resolution; and the "unit" of a file (the files
// joined to it by %include in either direction), over which definitions and references are searched.
import * as fs from 'fs';
import * as path from 'path';
import { parseNasm, ParsedFile } from './nasm-file';

/** Files larger than this are not parsed at all (a clear message says so). */
export const MAX_PARSE_BYTES = 4 << 20;
const SOURCE_EXT = /\.(asm|nasm|inc|s|mac|i)$/i;
const SKIP_DIRS = new Set(['node_modules', '.git', 'out', 'build', 'dist', '.cache', '.vscode-test', 'prebuilds']);
const MAX_FILES = 3000;
/** A workspace opened on a home folder must not stall the server: the walk gives up after this many folders. */
const MAX_DIRS = 4000;

export interface OpenText {
  /** Live text of open documents by absolute path. */
  get(file: string): { text: string; version: number } | undefined;
}

interface Entry {
  stamp: string;
  parsed: ParsedFile;
  text: string;
}

export class FileIndex {
  private cache = new Map<string, Entry>();
  private workspaceFiles: string[] | undefined;

  constructor(
    private readonly open: OpenText,
    private folders: string[],
  ) {}

  setFolders(folders: string[]): void {
    this.folders = folders;
    this.workspaceFiles = undefined;
  }

  /** Drops what is known of a file on disk (it changed or went away). */
  invalidate(file?: string): void {
    if (file) this.cache.delete(file);
    this.workspaceFiles = undefined;
  }

  text(file: string): string | undefined {
    const live = this.open.get(file);
    if (live) return live.text;
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile() || stat.size > MAX_PARSE_BYTES) return undefined;
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  parsed(file: string): ParsedFile | undefined {
    const live = this.open.get(file);
    let stamp: string;
    if (live) {
      stamp = `v${live.version}`;
    } else {
      try {
        const stat = fs.statSync(file);
        if (!stat.isFile() || stat.size > MAX_PARSE_BYTES) return undefined;
        stamp = `m${stat.mtimeMs}:${stat.size}`;
      } catch {
        return undefined;
      }
    }
    const hit = this.cache.get(file);
    if (hit && hit.stamp === stamp) return hit.parsed;
    const text = live ? live.text : this.text(file);
    if (text === undefined || text.length > MAX_PARSE_BYTES) return undefined;
    const parsed = parseNasm(text);
    this.cache.set(file, { stamp, parsed, text });
    return parsed;
  }

  /** Where `%include "name"` in `from` points: nasm looks in the current directory (the file's, as the server runs it), then the -I paths. */
  resolveInclude(from: string, name: string): string | undefined {
    const candidates = [path.resolve(path.dirname(from), name), ...this.folders.map((f) => path.resolve(f, name))];
    return candidates.find((c) => this.open.get(c) !== undefined || fs.existsSync(c));
  }

  /** Source files of the workspace folders (bounded walk). */
  files(): string[] {
    if (this.workspaceFiles) return this.workspaceFiles;
    const out: string[] = [];
    let dirs = 0;
    const walk = (dir: string, depth: number) => {
      if (out.length >= MAX_FILES || depth > 8 || ++dirs > MAX_DIRS) return;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1);
        } else if (e.isFile() && SOURCE_EXT.test(e.name)) {
          out.push(path.join(dir, e.name));
          if (out.length >= MAX_FILES) return;
        }
      }
    };
    for (const folder of this.folders) walk(folder, 0);
    this.workspaceFiles = out;
    return out;
  }

  /** Every known file: the workspace's plus open documents outside it. */
  allFiles(extraOpen: string[]): string[] {
    return [...new Set([...this.files(), ...extraOpen])];
  }

  /** `file`, everything it includes (transitively), every file that includes it (transitively) and what those include. */
  unit(file: string, extraOpen: string[]): string[] {
    const includesOf = (f: string): string[] =>
      (this.parsed(f)?.includes ?? [])
        .map((inc) => this.resolveInclude(f, inc.path))
        .filter((p): p is string => p !== undefined);
    const includers = new Map<string, string[]>();
    for (const f of this.allFiles(extraOpen)) {
      for (const inc of includesOf(f)) {
        const list = includers.get(inc) ?? [];
        list.push(f);
        includers.set(inc, list);
      }
    }
    const seen = new Set<string>([file]);
    const queue = [file];
    while (queue.length > 0) {
      const f = queue.shift()!;
      for (const next of [...includesOf(f), ...(includers.get(f) ?? [])]) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return [...seen];
  }

  /** Everything `file` includes, directly or through other includes. */
  includeClosure(file: string): Set<string> {
    const seen = new Set<string>();
    const queue = [file];
    while (queue.length > 0) {
      const f = queue.shift()!;
      for (const inc of this.parsed(f)?.includes ?? []) {
        const target = this.resolveInclude(f, inc.path);
        if (target && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
    return seen;
  }

  /** Files (not themselves include files) that include `file`, directly or not: what nasm should assemble to check it. */
  includers(file: string, extraOpen: string[]): string[] {
    return this.allFiles(extraOpen).filter((f) => f !== file && !isIncludeName(f) && this.includeClosure(f).has(file));
  }
}

/** `.inc`, `.mac`, `.i`: files meant to be included, never assembled on their own. */
export function isIncludeName(file: string): boolean {
  return /\.(inc|mac|i)$/i.test(file);
}
