// End to end: faulty programs run with `bootvisor run --report` (the real CLI, the real VM), and their
// diagnostics appear in the language server at the expected line, with the expected severity and words.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CodeLens, DiagnosticSeverity, InlayHint } from 'vscode-languageserver-protocol/node';
import { WORKSPACE_REPORT_PATH } from '../../common/exit-report';
import { LspClient, REPO, removeWorkspace, workspaceWith } from './lsp-client';

const CLI = path.join(REPO, 'out/cli/main.js');

/** Listings the CLI keeps for its reports (in temp folders): removed when the tests end. */
const keptListings: string[] = [];

function run(root: string, program: string): { status: number | null; output: string } {
  const report = path.join(root, WORKSPACE_REPORT_PATH);
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.rmSync(report, { force: true });
  const r = spawnSync(
    process.execPath,
    [CLI, 'run', program, '--report', WORKSPACE_REPORT_PATH, '--timeout', '20', '--quiet'],
    { cwd: root, encoding: 'utf8', timeout: 60000 },
  );
  try {
    const listing = (JSON.parse(fs.readFileSync(report, 'utf8')) as { listing?: string }).listing;
    if (listing && path.dirname(listing).startsWith(os.tmpdir())) keptListings.push(path.dirname(listing));
  } catch {
    // no report: the test says so
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('lsp: diagnostics end to end from `bootvisor run --report`', function () {
  this.timeout(120000);
  let client: LspClient;
  let root: string;

  before(async function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (npx tsc -b cli)`);
    root = workspaceWith(['faulty.asm', 'halt.asm', 'exits.asm', 'disk-error.asm']);
    client = await LspClient.start(root);
  });
  after(async () => {
    await client?.stop();
    if (root) removeWorkspace(root);
    for (const dir of keptListings.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a triple fault and an unserved port, at their lines', async () => {
    const r = run(root, 'faulty.asm');
    assert.ok(
      fs.existsSync(path.join(root, WORKSPACE_REPORT_PATH)),
      `the run wrote no report (status ${r.status}): ${r.output}`,
    );
    const d = await client.diagnosticsOf(
      'faulty.asm',
      (list) => list.some((x) => x.code === 'triple-fault') && list.some((x) => x.code === 'unhandled-port'),
      'triple fault and port diagnostics',
    );
    const tf = d.find((x) => x.code === 'triple-fault')!;
    assert.strictEqual(tf.severity, DiagnosticSeverity.Error);
    assert.strictEqual(tf.range.start.line, 14, 'at `div cx` (line 15)');
    assert.match(
      tf.message,
      /^Triple fault \(#DE -> #GP -> #DF( -> #GP)? -> shutdown\): the CPU shut down; it began with #DE \(divide by zero\)$/,
    );
    assert.ok((tf.relatedInformation?.length ?? 0) >= 3, 'the exception chain as related information');
    assert.match(
      tf.relatedInformation![0].message,
      /^#DE \(vector 0\) at 0x0000:0x7C[0-9A-F]{2} in `div cx`: divide by zero$/,
    );
    assert.ok(
      tf.relatedInformation!.every((r) => r.location.range.start.line === 14),
      'every step at the div line',
    );
    assert.match(tf.relatedInformation![tf.relatedInformation!.length - 1].message, /^shutdown at /);
    const port = d.find((x) => x.code === 'unhandled-port')!;
    assert.strictEqual(port.severity, DiagnosticSeverity.Warning);
    assert.strictEqual(port.range.start.line, 8, 'at `out dx, al` (line 9)');
    assert.strictEqual(
      port.message,
      'Write to port 0x378, which no device of the VM serves (the write is dropped); on a PC it is usually LPT1 data [parallel port (LPT1)]',
    );

    // The run's SHA-256 of the source matches the open, unchanged text; an edit makes every diagnostic say so.
    const text = fs.readFileSync(path.join(root, 'faulty.asm'), 'utf8');
    client.open('faulty.asm', text);
    await new Promise((done) => setTimeout(done, 300));
    assert.ok(
      !client.diagnostics.get(client.uri('faulty.asm'))!.some((x) => /changed since/.test(x.message)),
      'not stale while unchanged',
    );
    client.change('faulty.asm', text.replace('xor ax, ax', 'xor bx, bx'), 2);
    await client.diagnosticsOf(
      'faulty.asm',
      (list) =>
        list.some((x) => x.source === 'bootvisor run') &&
        list
          .filter((x) => x.source === 'bootvisor run')
          .every((x) => /faulty\.asm changed since this run/.test(x.message)),
      'stale notes',
    );
    client.change('faulty.asm', text, 3);
  });

  it('a newer run replaces it: HLT with interrupts off, as information', async () => {
    const r = run(root, 'halt.asm');
    assert.ok(
      fs.existsSync(path.join(root, WORKSPACE_REPORT_PATH)),
      `the run wrote no report (status ${r.status}): ${r.output}`,
    );
    const d = await client.diagnosticsOf(
      'halt.asm',
      (list) => list.some((x) => x.code === 'hlt-cli'),
      'the hlt-cli diagnostic',
    );
    const hlt = d.find((x) => x.code === 'hlt-cli')!;
    assert.strictEqual(hlt.severity, DiagnosticSeverity.Information);
    assert.strictEqual(hlt.range.start.line, 9, 'at `hlt` (line 10)');
    assert.match(hlt.message, /^Execution ended here/);
    await client.diagnosticsOf(
      'faulty.asm',
      (list) => !list.some((x) => x.source === 'bootvisor run'),
      "the older run's diagnostics gone",
    );
  });

  it('a failed BIOS disk call: a warning at the `int 0x13` line that says why and what to try', async () => {
    const r = run(root, 'disk-error.asm');
    assert.ok(
      fs.existsSync(path.join(root, WORKSPACE_REPORT_PATH)),
      `the run wrote no report (status ${r.status}): ${r.output}`,
    );
    const d = await client.diagnosticsOf(
      'disk-error.asm',
      (list) => list.some((x) => x.code === 'disk-error'),
      'the disk-error diagnostic',
    );
    const disk = d.find((x) => x.code === 'disk-error')!;
    assert.strictEqual(disk.severity, DiagnosticSeverity.Warning);
    assert.strictEqual(disk.range.start.line, 10, 'at `int 0x13` (line 11)');
    assert.match(
      disk.message,
      /^INT 13h AH=02h from drive 80h failed: no such drive; this image booted as a floppy \(drive 00h, because it is the size of a 1\.44 MB floppy\), try --boot-drive hdd$/,
    );
  });

  it('the exit profile of a real run: VM exits per line as code lenses and inlay hints', async () => {
    const r = run(root, 'exits.asm');
    assert.ok(
      fs.existsSync(path.join(root, WORKSPACE_REPORT_PATH)),
      `the run wrote no report (status ${r.status}): ${r.output}`,
    );
    const uri = client.uri('exits.asm');
    let lenses: CodeLens[] = [];
    for (let i = 0; i < 50 && lenses.length < 2; i++) {
      lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
      if (lenses.length < 2) await new Promise((done) => setTimeout(done, 100));
    }
    const byLine = new Map(lenses.map((l) => [l.range.start.line, l.command?.title]));
    assert.match(
      byLine.get(8) ?? '',
      /^5 VM exits in the last run( \(port 0x3F8\))?$/,
      '`out dx, al` ran 5 times (the port in DX, if the run knew it)',
    );
    assert.strictEqual(byLine.get(13), '3 VM exits in the last run (port 0xE9)', '`out 0xE9, al` ran 3 times');
    const hints = await client.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } },
    });
    assert.ok(hints.some((h) => h.position.line === 8 && h.label === '5 exits'));
  });
});
