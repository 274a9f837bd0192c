// Bochs/gdb-style commands in the Debug Console, on protected.asm stopped in its 32-bit code.
import * as assert from 'assert';
import * as path from 'path';
import { eachTestSession } from './dap-session';
import { REPO } from './nasm-fixture';

const PROTECTED = path.join(REPO, 'examples/protected/protected.asm');

describe('Debug Console commands', function () {
  this.timeout(30000);
  const session = eachTestSession();

  it('examines memory (x/NFU), prints registers, the GDT, IDT and TSS, and walks pages', async () => {
    const s = session();
    await s.launchTo(PROTECTED, 'mov [edi], ax');
    const repl = async (expression: string) =>
      (await s.dc.evaluateRequest({ expression, frameId: 0, context: 'repl' })).body.result;
    assert.match(await repl('x/4xb 0x7c00'), /^0x07C00 <start>: 0x31 0xC0 0x8E 0xD8$/);
    assert.match(await repl('x/2xw 0x7c00'), /^0x07C00 <start>: 0xD88EC031 0x/);
    assert.match(await repl('x/s real_msg'), /<real_msg>: "Real mode: switching to protected mode\.\.\."$/);
    const ds = await repl('x/3xb ds:esi');
    assert.match(ds, /^0x07C[0-9A-F]{2} <pm_msg\+0x1>: 0x65 0x6C 0x6C$/, 'DS:ESI is one past the H of "Hello"');
    const code = (await repl('x/2i cs:eip')).split('\n');
    assert.match(code[0], /<pm_start\.next\+0x[0-9a-f]+>: 66 89 07 +mov \[edi\], ax$/);
    assert.match(code[1], /add edi, 2$/);
    const r = await repl('r');
    assert.match(r, /^ax [0-9A-F]{4}  bx [0-9A-F]{4} /);
    assert.match(r, /cs:ip 0008:[0-9A-F]{4}  ss:sp 0010:0000  ds 0010  es 0010/);
    assert.match(await repl('sreg'), /^es   0x0010  base 0x00000000  limit 0xFFFFFFFF/);
    assert.match(await repl('creg'), /^cr0 0x[0-9A-F]{8}: PE=1 PG=0/);
    const gdt = await repl('info gdt');
    assert.match(gdt, /^GDT at 0x0000[0-9A-F]{4}, limit 0x0017:/);
    assert.match(gdt, /0x0008  base 0x00000000, limit 0xFFFFFFFF: code, readable/);
    assert.match(await repl('info idt'), /^IDT at 0x00000000, limit 0x03FF:/);
    assert.match(await repl('info tss'), /TR holds no TSS|TR 0x0000/);
    assert.match(await repl('page 0x7c00'), /page walk of 0x00007C00:[\s\S]*physical 0x00007C00/);
    assert.match(await repl('help'), /x\/NFU addr/);
    // Not commands: still expressions.
    assert.strictEqual(await repl('word [esi-1] & 0xff'), '0x0048');
  });
});
