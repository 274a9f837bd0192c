// Symbols, go to definition, references across %include, and hovers (instructions, BIOS calls, ports,
// registers during a debug session), through a real LSP connection.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DocumentSymbol, Hover, Location, SymbolInformation, SymbolKind } from 'vscode-languageserver-protocol/node';
import type { Registers } from '../../common/api';
import { DEBUG_STATE_NOTIFICATION } from '../../common/lsp-protocol';
import { LspClient, positionOf, removeWorkspace, workspaceWith } from './lsp-client';

describe('lsp: NASM language features', function () {
  this.timeout(60000);
  let client: LspClient;
  let root: string;
  let hello: string;
  let lib: string;
  let helloUri: string;
  let libUri: string;

  const hoverAt = async (uri: string, text: string, needle: string, nth = 0, offset = 0): Promise<string> => {
    const h = await client.request<Hover | null>('textDocument/hover', {
      textDocument: { uri },
      position: positionOf(text, needle, nth, offset),
    });
    if (!h) return '';
    const c = h.contents as { value: string };
    return c.value;
  };

  before(async () => {
    root = workspaceWith(['hello.asm', 'lib.inc', 'pm-32bit.asm']);
    hello = fs.readFileSync(path.join(root, 'hello.asm'), 'utf8');
    lib = fs.readFileSync(path.join(root, 'lib.inc'), 'utf8');
    client = await LspClient.start(root);
    helloUri = client.open('hello.asm');
    libUri = client.uri('lib.inc');
  });
  after(async () => {
    await client.stop();
    removeWorkspace(root);
  });

  it('document symbols: labels with their local labels, macros, equs, data', async () => {
    const libSyms = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', {
      textDocument: { uri: libUri },
    });
    const flat = libSyms.map((s) => [s.name, s.kind, (s.children ?? []).map((c) => c.name)]);
    assert.deepStrictEqual(flat, [
      ['COM1_PORT', SymbolKind.Constant, []],
      ['TELETYPE', SymbolKind.Constant, []],
      ['PUTC', SymbolKind.Method, []],
      ['print_string', SymbolKind.Function, ['.next', '.done']],
    ]);
    const ps = libSyms[3];
    assert.deepStrictEqual([ps.range.start.line, ps.range.end.line], [10, 19], 'print_string spans its body');
    const helloSyms = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', {
      textDocument: { uri: helloUri },
    });
    assert.deepStrictEqual(
      helloSyms.map((s) => [s.name, s.kind]),
      [
        ['start', SymbolKind.Function],
        ['greeting', SymbolKind.Variable],
      ],
    );
    assert.deepStrictEqual(
      helloSyms[0].children?.map((c) => c.name),
      ['.halt'],
    );
  });

  it('workspace symbols: every file of the folder, matched by query', async () => {
    const all = await client.request<SymbolInformation[]>('workspace/symbol', { query: '' });
    const names = all.map((s) => s.name);
    for (const n of [
      'start',
      'greeting',
      'print_string',
      'print_string.next',
      'COM1_PORT',
      'PUTC',
      'protected',
      'gdt_desc',
    ])
      assert.ok(names.includes(n), `${n} in ${names}`);
    const q = await client.request<SymbolInformation[]>('workspace/symbol', { query: 'prstr' });
    assert.deepStrictEqual(q.map((s) => s.name).sort(), ['print_string', 'print_string.done', 'print_string.next']);
    assert.strictEqual(q.find((s) => s.name === 'print_string')!.location.uri, libUri);
  });

  it('go to definition across %include (label, equ, macro, local label, the include itself)', async () => {
    const def = async (uri: string, text: string, needle: string, nth = 0) =>
      (
        await client.request<Location[]>('textDocument/definition', {
          textDocument: { uri },
          position: positionOf(text, needle, nth, 1),
        })
      ).map((l) => [path.basename(new URL(l.uri).pathname), l.range.start.line]);
    assert.deepStrictEqual(await def(helloUri, hello, 'print_string'), [['lib.inc', 10]]);
    assert.deepStrictEqual(await def(helloUri, hello, 'COM1_PORT'), [['lib.inc', 1]]);
    assert.deepStrictEqual(await def(helloUri, hello, 'PUTC'), [['lib.inc', 4]]);
    assert.deepStrictEqual(await def(helloUri, hello, 'lib.inc'), [['lib.inc', 0]]);
    assert.deepStrictEqual(await def(helloUri, hello, '.halt', 1), [['hello.asm', 17]]);
    assert.deepStrictEqual(
      await def(libUri, lib, '.next', 1),
      [['lib.inc', 12]],
      '`jmp .next` goes to print_string.next',
    );
  });

  it('find references across %include', async () => {
    const refs = await client.request<Location[]>('textDocument/references', {
      textDocument: { uri: libUri },
      position: positionOf(lib, 'print_string', 0, 2),
      context: { includeDeclaration: true },
    });
    assert.deepStrictEqual(refs.map((l) => [path.basename(new URL(l.uri).pathname), l.range.start.line]).sort(), [
      ['hello.asm', 10],
      ['lib.inc', 10],
    ]);
    const teletype = await client.request<Location[]>('textDocument/references', {
      textDocument: { uri: libUri },
      position: positionOf(lib, 'TELETYPE', 0, 1),
      context: { includeDeclaration: false },
    });
    assert.deepStrictEqual(
      teletype.map((l) => l.range.start.line),
      [5],
      'used once, in PUTC',
    );
  });

  it('hover on an instruction: what it does and the flags it affects', async () => {
    const xor = await hoverAt(helloUri, hello, 'xor ax, ax');
    assert.match(xor, /\*\*XOR\*\*: Bitwise exclusive OR/);
    assert.match(xor, /Flags: modified: OF=0 CF=0 SF ZF PF; undefined: AF/);
    const jz = await hoverAt(libUri, lib, 'jz');
    assert.match(jz, /Jumps if zero \(ZF=1\)/);
    assert.match(await hoverAt(helloUri, hello, 'times'), /\*\*times\*\* \(NASM\): Repeats/);
    assert.match(await hoverAt(helloUri, hello, 'dw 0xAA55'), /stores the bytes 55 AA/);
  });

  it('hover on int: the BIOS service AH selects, set just before (also via an equ)', async () => {
    const intLib = await hoverAt(libUri, lib, 'int 0x10', 1);
    assert.match(intLib, /INT 0x10\*\*: video services/);
    assert.match(intLib, /AH=0x0E: \*\*teletype output\*\*/, 'mov ah, 0x0E survives lodsb/test/jz before the int');
    const text =
      'org 0x7C00\nVIDEO equ 0x10\n    mov ah, 0x00\n    mov al, 0x13\n    int VIDEO\n    mov ax, 0xE820\n    int 0x15\n    int 0x16\n';
    const uri = client.open('bios.asm', text);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(await hoverAt(uri, text, 'int VIDEO', 0, 5), /AH=0x00: \*\*set video mode\*\*/);
    assert.match(await hoverAt(uri, text, 'int 0x15'), /AX=0xE820: \*\*query system address map\*\*/);
    assert.match(
      await hoverAt(uri, text, 'int 0x16'),
      /AH is not set just before this line; services by AH:[\s\S]*AH=0x00: read key/,
    );
  });

  it('hover on in/out: what the port is, immediate or from DX', async () => {
    assert.match(await hoverAt(helloUri, hello, 'out 0x80'), /Port 0x80\*\*: POST code port/);
    assert.match(await hoverAt(helloUri, hello, 'out dx, al'), /Port 0x3F8\*\* \(DX set just before\): COM1 data/);
    assert.match(await hoverAt(helloUri, hello, 'in al, 0x60', 0, 8), /Port 0x60\*\*: keyboard controller data/);
  });

  it('hover on a register: its value while a debug session is stopped, nothing otherwise', async () => {
    assert.strictEqual(await hoverAt(helloUri, hello, 'mov dx, COM1_PORT', 0, 5), '', 'no session, no value');
    const seg = (selector: number) => ({ selector, base: selector * 16, limit: 0xffff, attrib: 0x93 });
    const regs: Registers = {
      eax: 0x1234abcd,
      ecx: 0,
      edx: 0x3f8,
      ebx: 0,
      esp: 0x7c00,
      ebp: 0,
      esi: 0x7c30,
      edi: 0,
      eip: 0x7c10,
      eflags: 0x246,
      es: seg(0),
      cs: seg(0),
      ss: seg(0),
      ds: seg(0x07c0),
      fs: seg(0),
      gs: seg(0),
      gdtr: { base: 0, limit: 0 },
      idtr: { base: 0, limit: 0x3ff },
      ldtr: seg(0),
      tr: seg(0),
      cr0: 0x10,
      cr2: 0,
      cr3: 0,
      cr4: 0,
      efer: 0,
      dr: [0, 0, 0, 0, 0, 0],
      halted: false,
      intShadow: false,
    };
    void client.connection.sendNotification(DEBUG_STATE_NOTIFICATION, {
      registers: regs,
      description: 'stopped at hello.asm:13',
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.match(
      await hoverAt(helloUri, hello, 'mov dx, COM1_PORT', 0, 5),
      /\*\*DX\*\* = 0x03F8 \(1016\) \(stopped at hello.asm:13\)/,
    );
    assert.match(await hoverAt(helloUri, hello, "mov al, '!'", 0, 5), /\*\*AL\*\* = 0xCD \(205\)/);
    assert.match(await hoverAt(helloUri, hello, 'mov ds, ax', 0, 5), /\*\*DS\*\* = 0x07C0 \(base 0x00007C00/);
    void client.connection.sendNotification(DEBUG_STATE_NOTIFICATION, { registers: null });
    await new Promise((r) => setTimeout(r, 100));
    assert.strictEqual(
      await hoverAt(helloUri, hello, 'mov dx, COM1_PORT', 0, 5),
      '',
      'session resumed: no stale value',
    );
  });

  it("hover on a symbol: where it is defined, with an equ's value", async () => {
    assert.match(
      await hoverAt(helloUri, hello, 'COM1_PORT', 0, 2),
      /\*\*COM1_PORT\*\*: constant \(equ\) defined at lib.inc:2[\s\S]*COM1_PORT equ 0x3F8/,
    );
    assert.match(
      await hoverAt(helloUri, hello, 'PUTC', 0, 1),
      /\*\*PUTC\*\*: macro defined at lib.inc:5/,
      'a macro call',
    );
  });
});
