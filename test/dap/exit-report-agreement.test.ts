// One run, two writers: `bootvisor run --report` and a debug session of the same program write the same exit
// report (the same records, severities, words, source lines, chain and exit profile), because both go
// through common/exit-report-builder.ts. Only what names the writer and the time may differ.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { WORKSPACE_REPORT_PATH, type ExitReport } from '../../common/exit-report';
import { DapSession } from './dap-session';
import { REPO } from './nasm-fixture';

const CLI = path.join(REPO, 'out/cli/main.js');
const PROGRAMS = path.join(REPO, 'test/lsp/programs');

/** The report without the fields that name who wrote it and when. */
function comparable(r: ExitReport): Partial<ExitReport> {
  const { finishedAt: _t, origin: _o, listing: _l, ...rest } = r;
  return rest;
}

function cliReport(program: string, dir: string): ExitReport {
  const file = path.join(dir, 'cli-report.json');
  const r = spawnSync(process.execPath, [CLI, 'run', program, '--report', file, '--timeout', '60', '--quiet'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120000,
  });
  assert.ok(fs.existsSync(file), `the CLI wrote no report (status ${r.status}): ${r.stdout}${r.stderr}`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ExitReport;
}

async function adapterReport(program: string): Promise<ExitReport> {
  const s = new DapSession();
  try {
    await s.start();
    // The end of the guest is a stop (the hang or the fault) in the debugger; continuing ends the session.
    const stopped = s.expectStop('exception');
    await s.launch({ program, clock: 'paced' });
    await stopped;
    const terminated = s.dc.waitForEvent('terminated', 30000);
    await s.dc.continueRequest({ threadId: 1 });
    await terminated;
    return JSON.parse(fs.readFileSync(path.join(s.cwd, WORKSPACE_REPORT_PATH), 'utf8')) as ExitReport;
  } finally {
    await s.stop();
  }
}

describe('exit reports: the CLI and the debug adapter agree on the same run', function () {
  this.timeout(180000);
  let dir: string;

  before(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -b)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-report-agree-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // faulty.asm: an unserved port and unmapped memory on the way, then a triple fault with its chain;
  // exits.asm: VM exits per line, then HLT with interrupts off.
  for (const [name, kinds] of [
    ['faulty.asm', ['triple-fault', 'unhandled-port']],
    ['exits.asm', ['hlt-cli']],
  ] as const) {
    it(`${name}: ${kinds.join(', ')}`, async () => {
      const program = path.join(PROGRAMS, name);
      const fromCli = cliReport(program, dir);
      const fromAdapter = await adapterReport(program);
      for (const kind of kinds)
        assert.ok(
          fromCli.exits.some((x) => x.kind === kind),
          `${kind} in ${JSON.stringify(fromCli.exits)}`,
        );
      assert.ok(fromAdapter.origin, 'the adapter names its session');
      assert.deepStrictEqual(comparable(fromAdapter), comparable(fromCli));
    });
  }
});
