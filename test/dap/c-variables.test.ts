// C data through gdb (debug-adapter/c-debugger.ts): locals, parameters and globals with their C types,
// expanded and edited; C expressions for watch, hover and the Debug Console; C lvalues for data
// breakpoints; C conditions and logpoints; the call stack from the DWARF call-frame information. On
// test/kernels/cvars.c built by gcc at -O0 and -O2 (and clang), DWARF 4 and 5, with a real DAP client.
import * as assert from 'assert';
import * as path from 'path';

import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildKernel, KERNEL_SOURCES } from '../kernels/build';
import { requireGdb } from '../kernels/gdb-batch';
import { DapSession, eachTestSession, lineOf } from './dap-session';

const SOURCE = path.join(KERNEL_SOURCES, 'cvars.c');

async function scope(s: DapSession, name: string, frameId = 0): Promise<DebugProtocol.Variable[]> {
  const scopes = (await s.dc.scopesRequest({ frameId })).body.scopes;
  const sc = scopes.find((x) => x.name === name);
  assert.ok(sc, `scope ${name} in ${scopes.map((x) => x.name).join(', ')}`);
  return (await s.dc.variablesRequest({ variablesReference: sc.variablesReference })).body.variables;
}

async function children(s: DapSession, v: DebugProtocol.Variable): Promise<DebugProtocol.Variable[]> {
  assert.ok(v.variablesReference > 0, `${v.name} expands`);
  return (await s.dc.variablesRequest({ variablesReference: v.variablesReference })).body.variables;
}

/** Launches the kernel stopped at the line of cvars.c holding `text`. */
async function stopAt(s: DapSession, elf: string, text: string): Promise<void> {
  const stopped = s.expectStop('breakpoint');
  await s.launch({ program: elf }, (dc) =>
    dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: lineOf(SOURCE, text) }] }),
  );
  await stopped;
}

function named(vars: DebugProtocol.Variable[], name: string): DebugProtocol.Variable {
  const v = vars.find((x) => x.name === name);
  assert.ok(v, `${name} in ${vars.map((x) => `${x.name}=${x.value}`).join(', ')}`);
  return v;
}

const BUILDS: { opt: string; cc: 'gcc' | 'clang'; dwarf: string }[] = [
  { opt: '-O0', cc: 'gcc', dwarf: '-gdwarf-5' },
  { opt: '-O2', cc: 'gcc', dwarf: '-gdwarf-4' },
  { opt: '-O0', cc: 'clang', dwarf: '-gdwarf-4' },
  { opt: '-O2', cc: 'clang', dwarf: '-gdwarf-5' },
];

describe('C variables, expressions and call stack through gdb', function () {
  this.timeout(120000);
  const session = eachTestSession();
  before(() => requireGdb());

  for (const b of BUILDS) {
    const tag = `${b.cc} ${b.opt} ${b.dwarf}`;
    const build = (s: DapSession): string =>
      buildKernel(s.cwd, 'cvars', ['cvars.c'], b.opt, { cc: b.cc, flags: [b.dwarf] });

    it(`${tag}: locals, parameters and globals with their C types; structs, unions, enums, bitfields, arrays, pointers`, async () => {
      const s = session();
      const elf = build(s);
      await stopAt(s, elf, 'BREAK scale');
      const locals = await scope(s, 'Locals');
      const p = named(locals, 'p');
      assert.strictEqual(p.type, 'struct point');
      assert.strictEqual(p.value, '{x = 3, y = 4}');
      const pc = await children(s, p);
      assert.strictEqual(named(pc, 'x').value, '3');
      assert.strictEqual(named(pc, 'y').evaluateName, 'p.y');
      assert.strictEqual(named(locals, 'i').value, '0');
      assert.strictEqual(named(locals, 'i').type, 'int');

      const globals = await scope(s, 'Globals');
      const st = named(globals, 'kernel_state');
      assert.strictEqual(st.type, 'struct state');
      const fields = await children(s, st);
      assert.strictEqual(named(fields, 'ticks').value, '8');
      assert.strictEqual(named(fields, 'shade').value, 'GREEN');
      const bits = await children(s, named(fields, 'bits'));
      assert.deepStrictEqual(
        ['ready', 'mode', 'count'].map((n) => named(bits, n).value),
        ['1', '5', '9'],
      );
      const tag4 = await children(s, named(fields, 'tag'));
      assert.strictEqual(named(tag4, 'whole').value, '287454020');
      const bytes = await children(s, named(tag4, 'bytes'));
      assert.strictEqual(bytes.length, 4);
      assert.strictEqual(bytes[0].name, '[0]');
      assert.strictEqual(bytes[0].evaluateName, 'kernel_state.tag.bytes[0]');
      const table = named(globals, 'table');
      assert.strictEqual(table.type, 'int [8]');
      assert.strictEqual((await children(s, table))[3].value, '13');
      const cp = named(globals, 'current_point');
      assert.strictEqual(cp.type, 'struct point *');
      assert.match(cp.value, /^0x[0-9a-f]+$/);
      const pointee = await children(s, cp);
      assert.deepStrictEqual(
        pointee.map((v) => `${v.name}=${v.value}`),
        ['x=3', 'y=4'],
      );
      assert.strictEqual(pointee[0].evaluateName, 'current_point->x');

      // The caller's frame: its own parameters (ptr points at kmain's p).
      const frames = await s.frames();
      assert.match(frames[1].name, /^walk/);
      const walk = await scope(s, 'Locals', frames[1].id);
      assert.strictEqual(named(walk, 'n').value, '5');
      const ptr = named(walk, 'ptr');
      assert.strictEqual(ptr.type, 'struct point *');
    });

    it(`${tag}: values are editable (setVariable) and the guest sees them`, async () => {
      const s = session();
      const elf = build(s);
      await stopAt(s, elf, 'BREAK done');
      const scopes = (await s.dc.scopesRequest({ frameId: 0 })).body.scopes;
      const globalsRef = scopes.find((x) => x.name === 'Globals')!.variablesReference;
      await s.dc.variablesRequest({ variablesReference: globalsRef });
      const set = await s.dc.setVariableRequest({ variablesReference: globalsRef, name: 'counter', value: '40 + 2' });
      assert.strictEqual(set.body.value, '42');
      const st = named(await scope(s, 'Globals'), 'kernel_state');
      const fields = await children(s, st);
      const bitsRef = named(fields, 'bits').variablesReference;
      await s.dc.variablesRequest({ variablesReference: bitsRef });
      const bf = await s.dc.setVariableRequest({ variablesReference: bitsRef, name: 'count', value: '3' });
      assert.strictEqual(bf.body.value, '3');
      const ended = s.dc.waitForEvent('terminated', 60000);
      await s.dc.continueRequest({ threadId: 1 });
      await ended;
      // put_dec(w.bytes[0] + c + f.mode + kernel_state.bits.count) = 0xDD + 6 + 2 + 3; then counter.
      assert.match(s.outputs.join(''), / 232 42\n/, s.outputs.join(''));
    });
  }
});
