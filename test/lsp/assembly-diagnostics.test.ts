// nasm's errors and warnings as you type, and the boot-sector checks, through a real LSP connection.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DiagnosticSeverity } from 'vscode-languageserver-protocol/node';
import { LspClient, removeWorkspace, workspaceWith } from './lsp-client';

describe('lsp: assembly diagnostics', function () {
  this.timeout(60000);
  let client: LspClient;
  let root: string;

  before(async () => {
    root = workspaceWith([
      'hello.asm',
      'lib.inc',
      'syntax-errors.asm',
      'too-big.asm',
      'no-signature.asm',
      'wrong-signature.asm',
      'no-org.asm',
      'pm-16bit.asm',
      'pm-32bit.asm',
      'header.inc',
      'footer.inc',
      'with-header.asm',
      'footer-no-org.asm',
      'kernel-entry.asm',
    ]);
    client = await LspClient.start(root);
  });
  after(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  it('reports nasm errors at their line, from a temporary copy', async () => {
    const before = fs.readdirSync(root).sort();
    client.open('syntax-errors.asm');
    const d = await client.diagnosticsOf('syntax-errors.asm', (list) => list.some((x) => x.source === 'nasm'));
    const err = d.find((x) => x.source === 'nasm')!;
    assert.strictEqual(err.severity, DiagnosticSeverity.Error);
    assert.strictEqual(err.range.start.line, 3, 'the `foo ax, 1` line');
    assert.match(err.message, /instruction expected/);
    assert.deepStrictEqual(fs.readdirSync(root).sort(), before, 'nothing written into the workspace');
  });

  it('reports warnings, and clears diagnostics when the text is fixed', async () => {
    const text = fs.readFileSync(path.join(root, 'syntax-errors.asm'), 'utf8').replace('    foo ax, 1\n', '');
    client.change('syntax-errors.asm', text, 2);
    const d = await client.diagnosticsOf('syntax-errors.asm', (list) =>
      list.some((x) => /exceeds bounds/.test(x.message)),
    );
    const warn = d.find((x) => /exceeds bounds/.test(x.message))!;
    assert.strictEqual(warn.severity, DiagnosticSeverity.Warning);
    assert.strictEqual(warn.range.start.line, 3, '`mov al, 300` moved up one line');
    client.change('syntax-errors.asm', text.replace('mov al, 300', 'mov al, 30'), 3);
    await client.diagnosticsOf('syntax-errors.asm', (list) => list.length === 0, 'no diagnostics once fixed');
  });

  it('assembles files that link with others (global/extern) as ELF, not as a flat binary', async () => {
    client.open('kernel-entry.asm');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepStrictEqual(
      (await client.diagnosticsOf('kernel-entry.asm', () => true)).map((x) => x.message),
      [],
    );
  });

  it("resolves %include against the file's folder (no errors for hello.asm)", async () => {
    client.open('hello.asm');
    await new Promise((r) => setTimeout(r, 300));
    const d = await client.diagnosticsOf('hello.asm', () => true);
    assert.deepStrictEqual(
      d.map((x) => x.message),
      [],
    );
  });

  it('puts an error inside an included file on that file, through its includer', async () => {
    const lib = fs.readFileSync(path.join(root, 'lib.inc'), 'utf8');
    client.open('lib.inc', lib.replace('    lodsb\n', '    lodsb\n    bogus_instr al\n'));
    const d = await client.diagnosticsOf('lib.inc', (list) => list.some((x) => x.source === 'nasm'));
    const err = d.find((x) => x.source === 'nasm')!;
    assert.strictEqual(err.range.start.line, 14, 'the bogus line of lib.inc, as open (unsaved)');
    client.change('lib.inc', lib, 2);
    await client.diagnosticsOf('lib.inc', (list) => list.length === 0, 'lib.inc clean again');
  });

  it('boot sector: code and data over 510 bytes', async () => {
    client.open('too-big.asm');
    const d = await client.diagnosticsOf('too-big.asm', (list) => list.some((x) => x.code === 'boot-sector-too-big'));
    const big = d.find((x) => x.code === 'boot-sector-too-big')!;
    assert.strictEqual(big.severity, DiagnosticSeverity.Error);
    assert.strictEqual(big.range.start.line, 4, 'on the padding line');
    assert.match(big.message, /602 bytes, 92 more than the 510/);
    assert.strictEqual(big.relatedInformation?.[0].location.range.start.line, 3, 'the line that passes byte 510');
  });

  it('boot sector: missing 0x55AA signature, and one written in the wrong byte order', async () => {
    client.open('no-signature.asm');
    const d = await client.diagnosticsOf('no-signature.asm', (list) =>
      list.some((x) => x.code === 'boot-signature-missing'),
    );
    assert.match(
      d.find((x) => x.code === 'boot-signature-missing')!.message,
      /0x55AA boot signature is missing.*image is 4 bytes/,
    );
    client.open('wrong-signature.asm');
    const w = await client.diagnosticsOf('wrong-signature.asm', (list) =>
      list.some((x) => x.code === 'boot-signature-byte-order'),
    );
    assert.strictEqual(w.find((x) => x.code === 'boot-signature-byte-order')!.range.start.line, 4);
  });

  it('boot sector: absolute address without org 0x7C00', async () => {
    client.open('no-org.asm');
    const d = await client.diagnosticsOf('no-org.asm', (list) => list.some((x) => x.code === 'boot-missing-org'));
    const org = d.find((x) => x.code === 'boot-missing-org')!;
    assert.strictEqual(org.severity, DiagnosticSeverity.Warning);
    assert.deepStrictEqual(
      [org.range.start.line, org.range.start.character, org.range.end.character],
      [2, 12, 15],
      '`msg` in `mov si, msg`',
    );
    assert.match(org.message, /org 0x7C00/);
  });

  it('boot sector: org and signature from %include files count', async () => {
    client.open('with-header.asm');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepStrictEqual(
      (await client.diagnosticsOf('with-header.asm', () => true)).map((x) => x.message),
      [],
    );
    client.open('footer-no-org.asm');
    const d = await client.diagnosticsOf('footer-no-org.asm', (list) =>
      list.some((x) => x.code === 'boot-missing-org'),
    );
    assert.strictEqual(d.find((x) => x.code === 'boot-missing-org')!.range.start.line, 2);
  });

  it('boot sector: 32-bit code assembled as 16-bit after the protected-mode switch', async () => {
    client.open('pm-16bit.asm');
    const d = await client.diagnosticsOf('pm-16bit.asm', (list) =>
      list.some((x) => x.code === 'pm-code-assembled-16bit'),
    );
    const pm = d.find((x) => x.code === 'pm-code-assembled-16bit')!;
    assert.strictEqual(pm.severity, DiagnosticSeverity.Error);
    assert.strictEqual(pm.range.start.line, 9, 'on the `protected:` label');
    assert.match(pm.message, /bits 32/);
    assert.deepStrictEqual(
      pm.relatedInformation?.map((r) => r.location.range.start.line),
      [6, 7],
      'the CR0 write and the far jump',
    );
    client.open('pm-32bit.asm');
    await new Promise((r) => setTimeout(r, 300));
    const ok = await client.diagnosticsOf('pm-32bit.asm', () => true);
    assert.deepStrictEqual(
      ok.map((x) => x.message),
      [],
      'bits 32 before the target: nothing to say',
    );
  });
});

describe('lsp: assembly diagnostics of an include file whose includer is closed', function () {
  this.timeout(60000);
  it("assembles the includer from disk with the include's unsaved text, and reports only the include's lines", async () => {
    const root = workspaceWith(['hello.asm', 'lib.inc']);
    const client = await LspClient.start(root);
    try {
      const lib = fs.readFileSync(path.join(root, 'lib.inc'), 'utf8');
      client.open('lib.inc', lib.replace('    test al, al\n', '    test al, al, al\n'));
      const d = await client.diagnosticsOf('lib.inc', (list) => list.length > 0);
      assert.deepStrictEqual(
        d.map((x) => [x.range.start.line, x.severity, x.source]),
        [[14, DiagnosticSeverity.Error, 'nasm']],
      );
      assert.strictEqual(
        client.diagnostics.get(client.uri('hello.asm')),
        undefined,
        'nothing published for the closed includer',
      );
      client.change('lib.inc', lib, 2);
      await client.diagnosticsOf('lib.inc', (list) => list.length === 0, 'clean once fixed');
    } finally {
      await client.stop();
      removeWorkspace(root);
    }
  });
});

describe('lsp: assembly diagnostics are debounced', function () {
  this.timeout(60000);
  it('a burst of keystrokes is assembled once, after the pause', async () => {
    const root = workspaceWith(['syntax-errors.asm']);
    // A long pause, so a loaded machine delivering the burst slowly still sees one burst.
    const client = await LspClient.start(root, { debounceMs: 1500 });
    try {
      const base = fs.readFileSync(path.join(root, 'syntax-errors.asm'), 'utf8');
      const uri = client.open('syntax-errors.asm', base);
      await client.diagnosticsOf('syntax-errors.asm', (list) => list.length > 0);
      const count = client.publishCount.get(uri) ?? 0;
      // Only the last version has a blank first line: its error is one line lower.
      for (let v = 2; v < 22; v++)
        client.change('syntax-errors.asm', (v === 21 ? '\n' : '') + base.replace('foo ax, 1', `foo ax, ${v}`), v);
      await client.until('a check after the burst', () => (client.publishCount.get(uri) ?? 0) > count || undefined);
      await new Promise((r) => setTimeout(r, 2000)); // longer than the pause: any second check would be here by now
      const d = client.diagnostics.get(uri)!;
      assert.strictEqual(d.length, 1);
      assert.match(d[0].message, /instruction expected/);
      assert.strictEqual(d[0].range.start.line, 4, 'the last version was the one checked');
      assert.strictEqual((client.publishCount.get(uri) ?? 0) - count, 1, '20 changes, one check');
    } finally {
      await client.stop();
      removeWorkspace(root);
    }
  });
});
