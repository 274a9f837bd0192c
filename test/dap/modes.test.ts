// Disassembly across a switch to protected mode (programs/modeswitch.asm): 32-bit code reads as 32-bit before
// the switch (the listing's BITS), 16-bit code reads as 16-bit after it (the listing, or without one the mode
// it ran in), and stepping back does not lose either.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { eachTestSession, lineOf } from './dap-session';
import { buildProgram, PROGRAMS } from './nasm-fixture';

const MODESWITCH = path.join(PROGRAMS, 'modeswitch.asm');

describe('disassembly across a mode switch', function () {
  this.timeout(30000);
  const session = eachTestSession();

  async function disassemble(
    address: number,
    instructionOffset: number,
    instructionCount: number,
  ): Promise<DebugProtocol.DisassembledInstruction[]> {
    const r = await session().dc.disassembleRequest({
      memoryReference: `0x${address.toString(16)}`,
      instructionOffset,
      instructionCount,
    });
    return r.body!.instructions;
  }
  const at = (rows: DebugProtocol.DisassembledInstruction[], address: number) =>
    rows.find((r) => Number(r.address) === address)?.instruction;

  it('decodes [bits 32] code as 32-bit before the switch, and the real-mode code as 16-bit after it', async () => {
    const s = session();
    const entry = s.expectStop('entry');
    await s.launch({ program: MODESWITCH, stopOnEntry: true });
    await entry;
    const pm = await disassemble(0x7c0c, 0, 3);
    assert.deepStrictEqual(
      pm.map((r) => r.instruction),
      ['mov eax, 0x10', 'mov ds, eax', 'mov ss, eax'],
    );
    assert.match(pm[0].symbol ?? '', /pm_start$/);

    await s.dc.setBreakpointsRequest({
      source: { path: MODESWITCH },
      breakpoints: [{ line: lineOf(MODESWITCH, 'mov esp, 0x90000') }],
    });
    await s.resume('breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
    // What VS Code's Disassembly view asks for around the PC: everything from the image decodes, on its lines.
    const view = await disassemble(0x7c15, -12, 30);
    assert.strictEqual(view[12].address, '0x7C15');
    assert.strictEqual(view[12].instruction, 'mov esp, 0x90000');
    const image = view.filter((r) => Number(r.address) >= 0x7c00);
    for (const r of image)
      assert.ok(r.instruction !== '??' && r.presentationHint !== 'invalid', `${r.address}: ${r.instruction}`);
    assert.strictEqual(at(view, 0x7c00), 'cli');
    assert.strictEqual(at(view, 0x7c07), 'mov sp, 0x7C00');
    assert.strictEqual(at(view, 0x7c1a), 'mov eax, 0x12345678');
    assert.match(at(view, 0x7c3f) ?? '', /^jmp (far )?(0x)?8:0x7C0C$/i);
    assert.match(at(view, 0x7c48) ?? '', /^dq 0$/);
  });

  it('without a listing, decodes each address in the mode it ran in, also after stepping back across the switch', async () => {
    const s = session();
    const built = buildProgram('modeswitch');
    const image = path.join(s.cwd, 'bare.img');
    fs.copyFileSync(built.image, image);
    fs.rmSync(built.dir, { recursive: true, force: true });
    const hit = s.expectStop('instruction breakpoint');
    await s.launch({ program: image }, (dc) =>
      dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x7C15' }] }),
    );
    await hit;
    const real = await disassemble(0x7c30, 0, 5);
    assert.deepStrictEqual(
      real.map((r) => Number(r.address)),
      [0x7c30, 0x7c35, 0x7c38, 0x7c3c, 0x7c3f],
    );
    assert.deepStrictEqual(
      real.slice(1, 4).map((r) => r.instruction),
      ['mov eax, cr0', 'or eax, 1', 'mov cr0, eax'],
    );
    assert.match(real[0].symbol ?? '', /^0000:7C30/, 'real-mode code keeps the CS:IP it ran at');
    const before = await disassemble(0x7c0c, -6, 7);
    assert.deepStrictEqual(
      before.map((r) => r.instruction),
      ['cli', 'xor ax, ax', 'mov ds, ax', 'mov ss, ax', 'mov sp, 0x7C00', 'jmp 0x7C30', 'mov eax, 0x10'],
    );

    for (let k = 0; k < 4; k++) await s.resume('step', (dc) => dc.stepBackRequest({ threadId: 1 }));
    const [top] = await s.frames();
    assert.strictEqual(top.instructionPointerReference, '0x7C3F', 'back on the far jump, in real mode');
    const pm = await disassemble(0x7c0c, 0, 3);
    assert.deepStrictEqual(
      pm.map((r) => r.instruction),
      ['mov eax, 0x10', 'mov ds, eax', 'mov ss, eax'],
    );
    const here = await disassemble(0x7c3f, -2, 3);
    assert.deepStrictEqual(here.map((r) => r.instruction).slice(0, 2), ['or eax, 1', 'mov cr0, eax']);
    assert.match(here[2].instruction, /^jmp (far )?(0x)?8:0x7C0C$/i);
  });
});
