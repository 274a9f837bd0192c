// Bad input never takes the server down, and each kind of trouble is said once: files that are not NASM,
// binary files, huge files, a missing nasm, broken reports and junk notifications.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DocumentSymbol, Hover, MessageType } from 'vscode-languageserver-protocol/node';
import { DEBUG_STATE_NOTIFICATION, EXIT_REPORT_NOTIFICATION } from '../../common/lsp-protocol';
import { WORKSPACE_REPORT_PATH } from '../../common/exit-report';
import { pathToFileURL } from 'url';
import { LspClient, PROGRAMS, removeWorkspace, workspaceWith } from './lsp-client';
import { faultyReport } from './reports';

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

describe('lsp: robustness', function () {
  this.timeout(60000);

  describe('with nasm', () => {
    let client: LspClient;
    let root: string;
    before(async () => {
      root = workspaceWith(['gas-syntax.s', 'hello.asm', 'lib.inc', 'faulty.asm']);
      client = await LspClient.start(root);
    });
    after(async () => {
      await client.stop();
      removeWorkspace(root);
    });

    it("a file in another assembler's syntax gets one clear diagnostic, however often it changes", async () => {
      const text = fs.readFileSync(path.join(root, 'gas-syntax.s'), 'utf8');
      client.open('gas-syntax.s', text);
      for (let v = 2; v < 8; v++) client.change('gas-syntax.s', text + `    nop # edit ${v}\n`, v);
      await settle();
      const d = await client.diagnosticsOf('gas-syntax.s', (list) => list.length > 0);
      assert.strictEqual(d.length, 1, JSON.stringify(d));
      assert.match(d[0].message, /does not look like NASM source \(GAS\/AT&T syntax/);
      assert.strictEqual(client.messages.length, 0, 'no pop-ups for it');
    });

    it('a binary file gets one diagnostic and no nasm run', async () => {
      client.open('blob.asm', 'MZ\u0000\u0001\u0002garbage\u0000\u00ff'.repeat(50));
      const d = await client.diagnosticsOf('blob.asm', (list) => list.length > 0);
      assert.strictEqual(d.length, 1);
      assert.match(d[0].message, /binary data, not NASM source/);
    });

    it('a huge file is not assembled as you type, says so once, and symbols still answer', async () => {
      const lines: string[] = ['org 0x7C00'];
      for (let i = 0; i < 60000; i++) lines.push(`label_${i}: mov ax, ${i} ; some padding text here`);
      const text = lines.join('\n');
      assert.ok(text.length > 512 * 1024);
      client.open('huge.asm', text);
      client.change('huge.asm', text + '\nnop', 2);
      client.change('huge.asm', text + '\nnop\nnop', 3);
      const d = await client.diagnosticsOf('huge.asm', (list) => list.length > 0);
      await settle();
      assert.strictEqual(client.diagnostics.get(client.uri('huge.asm'))!.length, 1);
      assert.match(d[0].message, /is \d+\.\d MiB, more than 512 KiB: it is not assembled as you type/);
      const syms = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', {
        textDocument: { uri: client.uri('huge.asm') },
      });
      assert.strictEqual(syms.length, 60000);
    });

    it('a broken report file is reported once, and a good one afterwards still counts', async () => {
      const file = path.join(root, WORKSPACE_REPORT_PATH);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, '{ "version": 1, "finishedAt": ');
      await client.until('a warning about the report', () =>
        client.messages.find((m) => /not valid JSON/.test(m.message)),
      );
      await settle(1600);
      assert.strictEqual(client.messages.filter((m) => /not valid JSON/.test(m.message)).length, 1);
      assert.strictEqual(client.messages.find((m) => /not valid JSON/.test(m.message))!.type, MessageType.Warning);
      fs.writeFileSync(file, JSON.stringify({ version: 99, finishedAt: 'x', exits: [] }));
      await client.until('a version warning', () =>
        client.messages.find((m) => /version 99; this server reads version 1/.test(m.message)),
      );
      fs.writeFileSync(
        file,
        JSON.stringify(
          faultyReport(root, new Date().toISOString(), [
            {
              kind: 'hlt-cli',
              severity: 'information',
              message: '',
              linear: 0,
              cs: 0,
              eip: 0,
              source: { file: 'faulty.asm', line: 17 },
              count: 1,
            },
          ]),
        ),
      );
      await client.diagnosticsOf('faulty.asm', (list) => list.some((x) => /Execution ended here/.test(x.message)));
    });

    it('junk notifications and requests on odd documents leave the server running', async () => {
      void client.connection.sendNotification(EXIT_REPORT_NOTIFICATION, { report: 'not a report' });
      void client.connection.sendNotification(EXIT_REPORT_NOTIFICATION, null);
      void client.connection.sendNotification(EXIT_REPORT_NOTIFICATION, {
        report: {
          version: 1,
          finishedAt: '2099-01-01T00:00:00Z',
          exits: [{ kind: 'bogus', source: { file: 42 } }],
          profile: [null, { source: null }],
        },
      });
      void client.connection.sendNotification(DEBUG_STATE_NOTIFICATION, { registers: { eax: 'x' } });
      void client.connection.sendNotification(DEBUG_STATE_NOTIFICATION, 17);
      await client.request('textDocument/hover', {
        textDocument: { uri: 'untitled:Untitled-1' },
        position: { line: 0, character: 0 },
      });
      await client.request('textDocument/hover', {
        textDocument: { uri: client.uri('nowhere.asm') },
        position: { line: 999, character: 999 },
      });
      await client.request('textDocument/codeLens', { textDocument: { uri: client.uri('faulty.asm') } });
      await client.request('textDocument/inlayHint', {
        textDocument: { uri: client.uri('faulty.asm') },
        range: { start: { line: 0, character: 0 }, end: { line: 99, character: 0 } },
      });
      client.open('empty.asm', '');
      await client.diagnosticsOf('empty.asm', () => true);
      const text = fs.readFileSync(path.join(root, 'hello.asm'), 'utf8');
      const uri = client.open('hello.asm', text);
      const h = await client.request<Hover | null>('textDocument/hover', {
        textDocument: { uri },
        position: { line: 7, character: 5 },
      });
      assert.ok(h, 'hover still answers');
      assert.ok(client.alive);
    });
  });

  describe('a runaway nasm', () => {
    it('is stopped after the time limit, with one message on the file, and the server carries on', async () => {
      const root = workspaceWith(['hello.asm', 'lib.inc']);
      const client = await LspClient.start(root, { nasmTimeoutMs: 1000 });
      try {
        client.open('runaway.asm', '%assign i 0\n%rep 1000000\n%rep 1000000\n%assign i i+1\n%endrep\n%endrep\n');
        const d = await client.diagnosticsOf('runaway.asm', (list) => list.length > 0);
        assert.strictEqual(d.length, 1);
        assert.match(d[0].message, /nasm did not finish within 1\.0 s and was stopped \(a runaway %rep/);
        client.open('hello.asm');
        await client.diagnosticsOf('hello.asm', (list) => list.length === 0);
      } finally {
        await client.stop();
        removeWorkspace(root);
      }
    });
  });

  describe('a nasm still running when the server ends', () => {
    it('is stopped with the server', async () => {
      const root = workspaceWith([]);
      const client = await LspClient.start(root, { nasmTimeoutMs: 120000 });
      const nasmsOfThisTest = () =>
        spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter((l) => /nasm/.test(l) && l.includes(root + path.sep));
      try {
        client.open('forever.asm', '%assign i 0\n%rep 1000000\n%rep 1000000\n%assign i i+1\n%endrep\n%endrep\n');
        await client.until('nasm running', () => nasmsOfThisTest().length > 0 || undefined);
      } finally {
        await client.stop();
        removeWorkspace(root);
      }
      await new Promise((r) => setTimeout(r, 300));
      assert.deepStrictEqual(nasmsOfThisTest(), []);
    });
  });

  describe('without nasm', () => {
    let client: LspClient;
    let root: string;
    before(async () => {
      root = workspaceWith(['hello.asm', 'lib.inc', 'no-signature.asm']);
      client = await LspClient.start(root, { nasmPath: path.join(os.tmpdir(), 'no-such-dir', 'nasm') });
    });
    after(async () => {
      await client.stop();
      removeWorkspace(root);
    });

    it('says once that nasm is missing, not once per keystroke or file, and keeps the other features', async () => {
      const text = fs.readFileSync(path.join(root, 'hello.asm'), 'utf8');
      const uri = client.open('hello.asm', text);
      client.open('no-signature.asm');
      for (let v = 2; v < 6; v++) {
        client.change('hello.asm', text + `; edit ${v}\n`, v);
        await settle(80);
      }
      await client.until('the missing-nasm message', () =>
        client.messages.find((m) => /nasm was not found/.test(m.message)),
      );
      await settle(600);
      const missing = client.messages.filter((m) => /nasm/.test(m.message));
      assert.strictEqual(missing.length, 1, JSON.stringify(client.messages));
      assert.strictEqual(missing[0].type, MessageType.Error);
      assert.match(missing[0].message, /Install it .*apt-get install nasm/);
      const syms = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
      assert.deepStrictEqual(
        syms.map((s) => s.name),
        ['start', 'greeting'],
      );
      assert.ok(client.alive);
    });
  });

  describe("reports announced by the client's file watcher", () => {
    it('reads a nested .bootvisor/last-run.json named in workspace/didChangeWatchedFiles', async () => {
      const root = workspaceWith([]);
      fs.mkdirSync(path.join(root, 'os', '.bootvisor'), { recursive: true });
      fs.copyFileSync(path.join(PROGRAMS, 'faulty.asm'), path.join(root, 'os', 'faulty.asm'));
      const client = await LspClient.start(root);
      try {
        // A debug session whose cwd is os/ leaves its report in os/.bootvisor: only the client's watcher sees it.
        const file = path.join(root, 'os', WORKSPACE_REPORT_PATH);
        const report = faultyReport(path.join(root, 'os'), new Date().toISOString(), [
          {
            kind: 'invalid-opcode',
            severity: 'error',
            message: 'bytes FF FF',
            linear: 0,
            cs: 0,
            eip: 0,
            source: { file: 'faulty.asm', line: 15 },
            count: 1,
          },
        ]);
        fs.writeFileSync(file, JSON.stringify(report));
        void client.connection.sendNotification('workspace/didChangeWatchedFiles', {
          changes: [{ uri: pathToFileURL(file).toString(), type: 1 }],
        });
        const d = await client.diagnosticsOf(path.join('os', 'faulty.asm'), (list) => list.length > 0);
        assert.strictEqual(d[0].range.start.line, 14);
        assert.match(d[0].message, /^Invalid opcode \(#UD\): bytes FF FF/);
      } finally {
        await client.stop();
        removeWorkspace(root);
      }
    });
  });

  describe('a workspace folder added later', () => {
    it('is searched for symbols and its run report is read', async () => {
      const first = workspaceWith(['hello.asm', 'lib.inc']);
      const second = workspaceWith(['faulty.asm']);
      const client = await LspClient.start(first);
      try {
        fs.mkdirSync(path.join(second, '.bootvisor'));
        fs.writeFileSync(
          path.join(second, WORKSPACE_REPORT_PATH),
          JSON.stringify(
            faultyReport(second, new Date().toISOString(), [
              {
                kind: 'hlt-cli',
                severity: 'information',
                message: '',
                linear: 0,
                cs: 0,
                eip: 0,
                source: { file: 'faulty.asm', line: 17 },
                count: 1,
              },
            ]),
          ),
        );
        void client.connection.sendNotification('workspace/didChangeWorkspaceFolders', {
          event: { added: [{ uri: pathToFileURL(second).toString(), name: 'second' }], removed: [] },
        });
        const uri = pathToFileURL(path.join(second, 'faulty.asm')).toString();
        await client.until(
          "the second folder's run",
          () => client.diagnostics.get(uri)?.some((d) => /Execution ended here/.test(d.message)) || undefined,
        );
        const syms = await client.request<{ name: string }[]>('workspace/symbol', { query: 'empty_idt' });
        assert.deepStrictEqual(
          syms.map((x) => x.name),
          ['empty_idt'],
        );
      } finally {
        await client.stop();
        removeWorkspace(first);
        removeWorkspace(second);
      }
    });
  });

  describe('report files outside the workspace (CI, a terminal run with --report elsewhere)', () => {
    it('watches the files named in reportFiles', async () => {
      const root = workspaceWith(['faulty.asm']);
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-ci-'));
      const reportFile = path.join(outside, 'ci-run.json');
      const client = await LspClient.start(root, { reportFiles: [reportFile] });
      try {
        await settle(200);
        const report = faultyReport(root, new Date().toISOString(), [
          {
            kind: 'unhandled-port',
            severity: 'warning',
            message: '',
            linear: 0,
            cs: 0,
            eip: 0,
            port: 0x378,
            source: { file: path.join(root, 'faulty.asm'), line: 9 },
            count: 1,
          },
        ]);
        report.sources = [{ file: path.join(root, 'faulty.asm'), sha256: report.sources[0].sha256 }];
        fs.writeFileSync(reportFile, JSON.stringify(report));
        const d = await client.diagnosticsOf('faulty.asm', (list) => list.length > 0);
        assert.match(d[0].message, /port 0x378, .*usually LPT1 data/);
        assert.strictEqual(d[0].range.start.line, 8);
      } finally {
        await client.stop();
        removeWorkspace(root);
        removeWorkspace(outside);
      }
    });
  });
});
