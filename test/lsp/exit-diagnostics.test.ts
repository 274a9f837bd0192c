// A run's exits on source lines, from report files in the documented format (common/exit-report.ts) written
// the way `bootvisor run --report` and debug sessions write them, and from the client's notification.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CodeLens, Diagnostic, DiagnosticSeverity, InlayHint } from 'vscode-languageserver-protocol/node';
import { EXIT_REPORT_NOTIFICATION } from '../../common/lsp-protocol';
import { LspClient, removeWorkspace, workspaceWith } from './lsp-client';
import { faultyReport, record, writeReport } from './reports';

const FILE = 'faulty.asm';
// 1-based lines of faulty.asm
const L = { outDx: 9, load: 12, div: 15, hlt: 17, lidt: 13, start: 5 };

const at = (d: Diagnostic[], line: number) =>
  d.filter((x) => x.range.start.line === line - 1 && x.source === 'bootvisor run');

describe('lsp: VM exit diagnostics from run reports', function () {
  this.timeout(60000);
  let client: LspClient;
  let root: string;

  before(async () => {
    root = workspaceWith([FILE]);
    client = await LspClient.start(root);
  });
  after(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  it('publishes every kind of exit at its line, with the expected severity and words', async () => {
    const chain = [
      {
        vector: 0,
        name: '#DE',
        cs: 0,
        eip: 0x7c1c,
        linear: 0x7c1c,
        bytes: [0xf7, 0xf1],
        reason: 'divide by zero',
        source: { file: FILE, line: L.div },
      },
      {
        vector: 13,
        name: '#GP',
        cs: 0,
        eip: 0x7c1c,
        linear: 0x7c1c,
        bytes: [0xf7, 0xf1],
        reason: "IDT limit 0x0000 is below vector 0x00's descriptor",
        source: { file: FILE, line: L.div },
      },
      {
        vector: 8,
        name: '#DF',
        cs: 0,
        eip: 0x7c1c,
        linear: 0x7c1c,
        bytes: [0xf7, 0xf1],
        reason: "IDT limit 0x0000 is below vector 0x0D's descriptor",
      },
      { vector: -1, name: 'shutdown', cs: 0, eip: 0x7c1c, linear: 0x7c1c, bytes: [], reason: 'no way to deliver #DF' },
    ];
    writeReport(
      root,
      faultyReport(root, '2026-01-01T10:00:00.000Z', [
        record('triple-fault', L.div, { severity: 'error', message: 'IDT limit 0 cannot deliver #DE', chain }),
        record('unhandled-port', L.outDx, {
          port: 0x378,
          count: 3,
          message: 'write to port 0x0378, which no device serves (ignored)',
        }),
        record('unmapped-memory', L.load, { address: 0xffff0 + 0x10000000 }),
        record('stack-overflow', L.start, { message: 'SP went below 0x0500 into the interrupt vector table (IVT)' }),
        record('exception', L.lidt, { message: '#GP(0) in LIDT' }),
        record('invalid-opcode', L.hlt - 1, { message: 'bytes 0F 0B' }),
        record('hlt-cli', L.hlt, { severity: 'information' }),
      ]),
    );
    const d = await client.diagnosticsOf(
      FILE,
      (list) => list.filter((x) => x.source === 'bootvisor run').length >= 7,
      'seven exit diagnostics',
    );

    const tf = at(d, L.div)[0];
    assert.strictEqual(tf.severity, DiagnosticSeverity.Error);
    assert.strictEqual(
      tf.message,
      'Triple fault (#DE -> #GP -> #DF -> shutdown): the CPU shut down; it began with #DE (divide by zero)',
    );
    assert.strictEqual(tf.relatedInformation?.length, 4, 'one related entry per step of the chain');
    assert.match(tf.relatedInformation![0].message, /^#DE \(vector 0\) at 0x0000:0x7C1C in `div cx`: divide by zero$/);
    assert.strictEqual(tf.relatedInformation![0].location.range.start.line, L.div - 1);
    assert.match(
      tf.relatedInformation![2].message,
      /#DF \(vector 8\).*in `div cx`.*below vector 0x0D/,
      'a step without a source line is disassembled from its bytes',
    );

    const port = at(d, L.outDx)[0];
    assert.strictEqual(port.severity, DiagnosticSeverity.Warning);
    assert.strictEqual(
      port.message,
      'Write to port 0x378, which no device of the VM serves (the write is dropped); on a PC it is usually LPT1 data [parallel port (LPT1)] (3 times)',
    );

    const mem = at(d, L.load)[0];
    assert.strictEqual(mem.severity, DiagnosticSeverity.Warning);
    assert.match(mem.message, /Access to 0x100FFFF0, where nothing is mapped/);

    assert.match(at(d, L.start)[0].message, /The stack ran into the interrupt vector table/);
    assert.strictEqual(at(d, L.lidt)[0].severity, DiagnosticSeverity.Error);
    assert.match(at(d, L.lidt)[0].message, /Unhandled exception: #GP\(0\) in LIDT/);
    assert.match(at(d, L.hlt - 1)[0].message, /^Invalid opcode \(#UD\)/);

    const hlt = at(d, L.hlt)[0];
    assert.strictEqual(hlt.severity, DiagnosticSeverity.Information);
    assert.match(hlt.message, /^Execution ended here/);
  });

  it("an exit outside the assembled source goes on the main file's first line, with its address", async () => {
    writeReport(
      root,
      faultyReport(root, '2026-01-01T10:30:00.000Z', [
        record('invalid-opcode', 0, {
          source: undefined,
          cs: 0xf000,
          eip: 0xfff0,
          linear: 0xffff0,
          message: 'bytes FF FF',
        }),
      ]),
    );
    const d = await client.diagnosticsOf(
      FILE,
      (list) => list.some((x) => /outside the assembled source/.test(x.message)),
      'the outside exit',
    );
    const ud = d.find((x) => /outside/.test(x.message))!;
    assert.strictEqual(d.filter((x) => x.source === 'bootvisor run').length, 1, 'the older run is gone');
    assert.strictEqual(ud.range.start.line, 0);
    assert.match(
      ud.message,
      /Invalid opcode \(#UD\): bytes FF FF \[at 0xF000:0xFFF0 \(linear 0xFFFF0\), outside the assembled source\]/,
    );
  });

  it("a newer run replaces the older run's diagnostics; an older one is ignored", async () => {
    writeReport(root, faultyReport(root, '2026-01-01T11:00:00.000Z', [record('hlt-cli', L.hlt)]));
    const d = await client.diagnosticsOf(
      FILE,
      (list) => list.filter((x) => x.source === 'bootvisor run').length === 1 && at(list, L.hlt).length === 1,
      'only the newer run',
    );
    assert.match(at(d, L.hlt)[0].message, /^Execution ended here/);

    // Sent as a notification, then a request: by the reply the server has handled (and ignored) it.
    const older = faultyReport(root, '2025-12-31T00:00:00.000Z', [record('unhandled-port', L.outDx, { port: 0x378 })]);
    void client.connection.sendNotification(EXIT_REPORT_NOTIFICATION, { report: older, baseDirectory: root });
    await client.request('workspace/symbol', { query: 'start' });
    await new Promise((r) => setTimeout(r, 200));
    const still = client.diagnostics.get(client.uri(FILE))!;
    assert.deepStrictEqual(
      still.filter((x) => x.source === 'bootvisor run').map((x) => x.range.start.line),
      [L.hlt - 1],
    );
  });

  it("takes a report from the client's bootvisor/exitReport notification too", async () => {
    const report = faultyReport(root, '2026-01-01T12:00:00.000Z', [record('unhandled-port', L.outDx, { port: 0x2f8 })]);
    void client.connection.sendNotification(EXIT_REPORT_NOTIFICATION, { report, baseDirectory: root });
    const d = await client.diagnosticsOf(
      FILE,
      (list) => at(list, L.outDx).length === 1 && at(list, L.hlt).length === 0,
      'the notified run',
    );
    assert.match(at(d, L.outDx)[0].message, /^I\/O to port 0x2F8, .*usually COM2 data/);
  });

  it('says when the source changed since the run', async () => {
    client.open(FILE);
    const text = fs.readFileSync(path.join(root, FILE), 'utf8');
    client.change(FILE, '; a new first line\n' + text, 2);
    const d = await client.diagnosticsOf(
      FILE,
      (list) => list.some((x) => /changed since this run/.test(x.message)),
      'a stale note',
    );
    assert.match(
      d.find((x) => x.source === 'bootvisor run')!.message,
      /faulty\.asm changed since this run \(2026-01-01T12:00:00.000Z\)/,
    );
    client.change(FILE, text, 3);
    await client.diagnosticsOf(
      FILE,
      (list) => list.some((x) => x.source === 'bootvisor run') && !list.some((x) => /changed since/.test(x.message)),
      'no stale note once the text is back',
    );
  });

  it('shows the exit profile as code lenses and inlay hints', async () => {
    writeReport(
      root,
      faultyReport(
        root,
        '2026-01-01T13:00:00.000Z',
        [],
        [
          { source: { file: FILE, line: L.outDx }, exits: 1234, ports: [0x378] },
          { source: { file: FILE, line: L.load }, exits: 1, ports: [] },
        ],
      ),
    );
    const uri = client.uri(FILE);
    let got: CodeLens[] = [];
    for (let i = 0; i < 40 && got.length !== 2; i++) {
      got = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
      if (got.length !== 2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepStrictEqual(
      got.map((c) => [c.range.start.line, c.command?.title]),
      [
        [L.outDx - 1, '1234 VM exits in the last run (port 0x378)'],
        [L.load - 1, '1 VM exit in the last run'],
      ],
    );
    const hints = await client.request<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 30, character: 0 } },
    });
    assert.deepStrictEqual(
      hints.map((h) => [h.position.line, h.label]),
      [
        [L.outDx - 1, '1234 exits'],
        [L.load - 1, '1 exit'],
      ],
    );
  });

  it("labels the findings of a debug session with the session's name", async () => {
    const report = {
      ...faultyReport(root, '2026-01-01T14:00:00.000Z', [record('unhandled-port', L.outDx, { port: 0x2f8 })]),
      origin: 'Boot faulty.asm',
    };
    void client.connection.sendNotification(EXIT_REPORT_NOTIFICATION, { report, baseDirectory: root });
    const d = await client.diagnosticsOf(
      FILE,
      (list) => list.some((x) => x.source === 'Boot faulty.asm'),
      "the session's findings",
    );
    assert.ok(!d.some((x) => x.source === 'bootvisor run'), 'no finding is labelled bootvisor run');
  });
});
