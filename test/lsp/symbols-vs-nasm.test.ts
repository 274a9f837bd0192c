// The symbol parser against nasm's own answer: for every NASM program in the repository, the labels, local
// labels and equs the server finds (across %include) must be exactly the symbols of nasm's map file.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseNasm } from '../../server/nasm-file';
import { REPO } from './lsp-client';

const CORPUS = ['test/lsp/programs', 'examples', 'test/pc/programs', 'test/cpu/programs'];
/** nasm makes no map of these: two fail to assemble on purpose (they test nasm's messages), one is an ELF object. */
const NO_MAP = new Set(['syntax-errors.asm', 'too-big.asm', 'kernel-entry.asm']);

function programs(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.asm') && !NO_MAP.has(e.name)) out.push(p);
    }
  };
  for (const c of CORPUS) walk(path.join(REPO, c));
  return out.sort();
}

/** Symbols nasm defines, from `[map symbols]`; undefined when the program does not assemble on its own. */
function nasmSymbols(file: string, tmp: string): Set<string> | undefined {
  const map = path.join(tmp, 'out.map');
  const copy = path.join(tmp, path.basename(file));
  fs.writeFileSync(copy, `[map symbols ${map}]\n` + fs.readFileSync(file, 'utf8'));
  const r = spawnSync(
    'nasm',
    ['-f', 'bin', '-o', path.join(tmp, 'out.bin'), '-I', path.dirname(file) + path.sep, copy],
    { cwd: path.dirname(file), encoding: 'utf8' },
  );
  if (r.status !== 0 || !fs.existsSync(map)) return undefined;
  const names = new Set<string>();
  for (const line of fs.readFileSync(map, 'utf8').split('\n')) {
    const m = /^\s*(?:[0-9A-F]+\s+){1,2}(\S+)\s*$/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/** The server's symbols for a program and its includes, and all their text. */
function ourSymbols(file: string): { names: Set<string>; text: string } {
  const names = new Set<string>();
  const seen = new Set<string>();
  let text = '';
  const visit = (f: string) => {
    if (seen.has(f) || !fs.existsSync(f)) return;
    seen.add(f);
    const source = fs.readFileSync(f, 'utf8');
    text += source + '\n';
    const parsed = parseNasm(source);
    for (const d of parsed.defs) if (d.kind !== 'macro' && d.kind !== 'define') names.add(d.name);
    for (const inc of parsed.includes) visit(path.resolve(path.dirname(file), inc.path));
  };
  visit(file);
  return { names, text };
}

describe("lsp: symbols agree with nasm's map file", function () {
  this.timeout(60000);
  const files = programs();
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-map-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(`finds every program (${files.length})`, () => {
    assert.ok(files.length >= 10, `only ${files.length} programs found under ${CORPUS.join(', ')}`);
  });

  for (const file of files) {
    it(path.relative(REPO, file), function () {
      const theirs = nasmSymbols(file, tmp);
      if (!theirs) this.skip(); // does not assemble on its own (an include-only file): nothing to compare
      const { names: ours, text } = ourSymbols(file);
      // Names made by the preprocessor (`exc_stub_ %+ v` in a %rep, ..@ macro-locals) are written nowhere: only
      // nasm can know them.
      const written = (n: string) =>
        new RegExp(
          `(^|[^\\w.])${(n.includes('.', 1) ? n.slice(n.indexOf('.', 1)) : n).replace(/[.$?]/g, '\\$&')}\\b`,
        ).test(text);
      const relevant = [...theirs!].filter((n) => !n.startsWith('..@') && written(n));
      assert.deepStrictEqual([...ours].filter((n) => !theirs!.has(n)).sort(), [], 'symbols nasm does not know');
      assert.deepStrictEqual(relevant.filter((n) => !ours.has(n)).sort(), [], 'symbols the server missed');
    });
  }
});
