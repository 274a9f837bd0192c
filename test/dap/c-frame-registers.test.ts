// The Registers scope of a selected outer frame (debug-adapter/c-frame-registers.ts): a caller's registers as
// unwound, the interrupted code's as its interrupt stub saved them, <unavailable> for what a call destroys.
// Proven against what the CPU itself holds when the guest gets back there: stopped in ctrap.c's timer
// handler, the registers shown for isr_dispatch (a caller) are the CPU's after step out; those of the
// interrupted wait_ticks are the CPU's when the IRET has returned to it (an instruction breakpoint at its
// EIP); those of kmain past the interrupt are the CPU's after wait_ticks returns. gcc and clang, -O0/-O2.
import * as assert from 'assert';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildKernel, C_BUILDS, KERNEL_SOURCES } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { DapSession, eachTestSession, frameScope as scope, lineOf } from './dap-session';

type Regs = Map<string, string>;

/** The CPU's registers now (the innermost frame's General registers and the compact view's eflags). */
async function cpu(s: DapSession): Promise<Regs> {
  const general = await scope(s, 0, 'General registers');
  const compact = await scope(s, 0, 'Registers');
  general.set('eflags', compact.get('eflags') ?? '?');
  return general;
}

const num = (v: string | undefined): number => parseInt((v ?? '').replace(/^0x/i, '').split(' ')[0], 16);

/** Every register the frame shows a value for equals the CPU's; returns how many were compared. */
function sameAsCpu(frame: Regs, now: Regs, what: string): number {
  let compared = 0;
  for (const name of ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags']) {
    const shown = frame.get(name);
    assert.ok(shown !== undefined, `${what}: no ${name} in ${[...frame.keys()].join(', ')}`);
    if (shown === '<unavailable>') continue;
    assert.strictEqual(
      num(shown) >>> 0,
      num(now.get(name)) >>> 0,
      `${what}: ${name} ${shown}, the CPU ${now.get(name)}`,
    );
    compared++;
  }
  return compared;
}

describe('C frames: the Registers scope of a selected outer frame', function () {
  this.timeout(180000);
  const session = eachTestSession();
  before(() => requireGdb());

  for (const [cc, opt] of C_BUILDS) {
    it(`${cc} ${opt}: a caller's, the interrupted code's and its caller's registers are the CPU's when it gets back there`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'ctrap', ['ctrap.c', 'cpu.c', 'isr.asm'], opt, { cc });
      const stopped = s.expectStop('function breakpoint');
      await s.launch({ program: elf }, (dc) =>
        dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'on_timer' }] }),
      );
      await stopped;
      const frames = await s.frames();
      const names = frames.map((f) => f.name.replace(/[+ ].*/, ''));
      const dispatch = names.indexOf('isr_dispatch');
      const marker = names.indexOf('[interrupt:');
      assert.ok(dispatch === 1 && marker > dispatch, names.join(' | '));
      assert.strictEqual(names[marker + 1], 'wait_ticks', names.join(' | '));
      assert.strictEqual(names[marker + 2], 'kmain', names.join(' | '));

      // The innermost frame keeps the CPU's scopes; an outer one has its own Registers in their place.
      const innermost = (await s.dc.scopesRequest({ frameId: frames[0].id })).body.scopes.map((x) => x.name);
      assert.ok(innermost.includes('General registers'), innermost.join(', '));
      const outer = (await s.dc.scopesRequest({ frameId: frames[dispatch].id })).body.scopes.map((x) => x.name);
      assert.ok(outer.includes('Registers') && !outer.includes('General registers'), outer.join(', '));
      assert.ok(outer.includes('Locals') && outer.includes('IDT'), outer.join(', '));

      const caller = await scope(s, frames[dispatch].id, 'Registers');
      const waiting = await scope(s, frames[marker + 1].id, 'Registers');
      const kmain = await scope(s, frames[marker + 2].id, 'Registers');
      // A call destroys EAX, ECX, EDX and the flags: the caller's are unknown (on_timer saves none of them).
      for (const name of ['eax', 'ecx', 'edx', 'eflags'])
        assert.strictEqual(caller.get(name), '<unavailable>', `isr_dispatch's ${name}`);
      for (const name of ['eax', 'ecx', 'edx', 'eflags'])
        assert.strictEqual(kmain.get(name), '<unavailable>', `kmain's ${name}`);
      // The caller's EIP is the return address its frame shows, and the CALL pushed it just below its ESP.
      assert.strictEqual(num(caller.get('eip')), num(frames[dispatch].instructionPointerReference));
      const pushed = await s.dc.customRequest('readMemory', {
        memoryReference: `0x${(num(caller.get('esp')) - 4).toString(16)}`,
        count: 4,
      });
      assert.strictEqual(
        Buffer.from((pushed as DebugProtocol.ReadMemoryResponse).body!.data!, 'base64').readUInt32LE(0),
        num(caller.get('eip')),
      );
      // isr_common's pusha saved every general register of wait_ticks; the iret frame its EIP, EFLAGS (IF on).
      for (const name of ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'])
        assert.notStrictEqual(waiting.get(name), '<unavailable>', `wait_ticks's ${name}`);
      assert.match(waiting.get('eflags') ?? '', /\bIF\b/);
      assert.strictEqual(waiting.get('ds'), '<unavailable>', 'isr_common reloads DS: the interrupted one is unknown');
      assert.strictEqual(waiting.get('cs'), '0x0008');
      assert.match(waiting.get('from') ?? '', /interrupted/);
      // They cannot be edited: the value lives in the callee's saved slot (said), never in the CPU.
      await assert.rejects(
        s.dc.setVariableRequest({ variablesReference: await ref(s, frames[dispatch].id), name: 'ebx', value: '1' }),
        /Cannot set ebx: .*(saved at [0-9A-F]{8}|no saved slot)/,
      );
      await assert.rejects(
        s.dc.setVariableRequest({ variablesReference: await ref(s, frames[dispatch].id), name: 'eax', value: '1' }),
        /Cannot set eax: .*no saved slot/,
      );

      // Step out of the handler: the CPU in isr_dispatch holds what its frame showed (EIP, ESP, callee-saved).
      await s.resume('step', (dc) => dc.stepOutRequest({ threadId: 1 }));
      assert.ok(sameAsCpu(caller, await cpu(s), 'isr_dispatch after step out') >= 6);

      // The IRET back to wait_ticks: every register shown for it is the CPU's.
      await s.dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await s.dc.customRequest('setInstructionBreakpoints', {
        breakpoints: [{ instructionReference: `0x${num(waiting.get('eip')).toString(16)}` }],
      });
      await s.resume('instruction breakpoint', (dc) => dc.continueRequest({ threadId: 1 }));
      assert.strictEqual(sameAsCpu(waiting, await cpu(s), 'wait_ticks after the IRET'), 10);

      // wait_ticks returns to kmain: what was shown for kmain past the interrupt is the CPU's there.
      await s.dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
      await s.resume('step', (dc) => dc.stepOutRequest({ threadId: 1 }));
      const back = (await s.frames())[0].name;
      assert.match(back, /^kmain/);
      assert.ok(sameAsCpu(kmain, await cpu(s), 'kmain after wait_ticks returns') >= 6);
    });
  }

  for (const cc of ['gcc', 'clang'] as const)
    it(`${cc} -O2: the function an inlined one runs in shares its registers; its caller's are unwound`, async () => {
      const s = session();
      const elf = buildKernel(s.cwd, 'cbreak', ['cbreak.c'], '-O2', { cc });
      const header = path.join(KERNEL_SOURCES, 'cbreak.h');
      const stopped = s.expectStop('breakpoint');
      await s.launch({ program: elf }, (dc) =>
        dc.setBreakpointsRequest({ source: { path: header }, breakpoints: [{ line: lineOf(header, 'HEADER line') }] }),
      );
      await stopped;
      const frames = await s.frames();
      const names = frames.map((f) => f.name).join(' | ');
      assert.match(frames[0].name, /^clamp \[inlined\]/, names);
      assert.match(frames[1].name, /^adjust/, names);
      assert.match(frames[2].name, /^kmain/, names);
      // adjust is the machine frame clamp runs in: every register is the CPU's, EAX and the flags too.
      const adjust = await scope(s, frames[1].id, 'Registers');
      assert.strictEqual(sameAsCpu(adjust, await cpu(s), 'adjust, clamp inlined in it'), 10);
      assert.match(adjust.get('from') ?? '', /inlined/);
      // kmain called adjust: what the call destroys is unknown there.
      const kmain = await scope(s, frames[2].id, 'Registers');
      assert.strictEqual(kmain.get('eax'), '<unavailable>');
      assert.strictEqual(num(kmain.get('eip')), num(frames[2].instructionPointerReference));
    });
});

async function ref(s: DapSession, frameId: number): Promise<number> {
  const scopes: DebugProtocol.Scope[] = (await s.dc.scopesRequest({ frameId })).body.scopes;
  return scopes.find((x) => x.name === 'Registers')!.variablesReference;
}
