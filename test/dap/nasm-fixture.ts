// Assembles the test programs with the nasm on PATH (scripts/install-test-deps.sh installs it), into a
// temp folder, with the listing and nasm's own symbol map (the oracle for label values).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** test/dap/programs in the source tree (tests run from out/test/dap). */
export const PROGRAMS = path.resolve(__dirname, '../../../test/dap/programs');
export const REPO = path.resolve(__dirname, '../../..');

export interface Built {
  source: string;
  image: string;
  listing: string;
  map: string;
  dir: string;
}

export function buildProgram(name: string): Built {
  const source = path.join(PROGRAMS, `${name}.asm`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bv-dap-${name}-`));
  const image = path.join(dir, `${name}.img`);
  const listing = path.join(dir, `${name}.lst`);
  const map = path.join(dir, `${name}.map`);
  const r = spawnSync(
    'nasm',
    ['-f', 'bin', '--before', `[map symbols ${map}]`, '-I', PROGRAMS + path.sep, '-o', image, '-l', listing, source],
    { encoding: 'utf8' },
  );
  if (r.error)
    throw new Error(
      `nasm is needed for these tests and could not run (${r.error.message}); run scripts/install-test-deps.sh`,
    );
  if (r.status !== 0) throw new Error(`nasm failed on ${source}:\n${r.stderr}`);
  return { source, image, listing, map, dir };
}

/** nasm's map file: symbol -> value. */
export function readMapSymbols(mapPath: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of fs.readFileSync(mapPath, 'utf8').split('\n')) {
    const m = /^\s+([0-9A-F]+)\s+([0-9A-F]+)\s+(\S+)\s*$/.exec(line);
    if (m) out.set(m[3], parseInt(m[2], 16));
  }
  return out;
}
