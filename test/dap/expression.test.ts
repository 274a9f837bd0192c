import * as assert from 'assert';
import {
  evaluate,
  EvalContext,
  ExpressionError,
  formatValue,
  parseExpression,
  parseNumber,
  renderLogMessage,
} from '../../common/expression';

// A context over plain data: real-mode segments, a small memory.
function context(): EvalContext & { memory: Uint8Array } {
  const regs: Record<string, number> = {
    eax: 0x12345678,
    ebx: 0x10,
    ecx: 3,
    edx: 0,
    esi: 0x20,
    edi: 0x100,
    ebp: 0x7bf0,
    esp: 0x7be0,
    eip: 0x7c05,
    ds: 0,
    es: 0x1000,
    ss: 0,
    cs: 0,
  };
  const memory = new Uint8Array(0x20000);
  const reg = (n: string): number | undefined => {
    if (n in regs) return regs[n];
    const r16 = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip'];
    if (r16.includes(n)) return regs['e' + n] & 0xffff;
    const m = /^([abcd])([lh])$/.exec(n);
    if (m) return (regs[`e${m[1]}x`] >> (m[2] === 'h' ? 8 : 0)) & 0xff;
    if (n === 'zf') return 1;
    return undefined;
  };
  return {
    memory,
    register: reg,
    symbol: (n) => (({ msg: 0x7c40, buf: 0x500 }) as Record<string, number>)[n],
    segmentBase: (s) => (typeof s === 'string' ? regs[s] : s) * 16,
    readMemory: (a, size) => {
      if (a + size > memory.length) throw new Error(`0x${a.toString(16)} is outside guest memory`);
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + memory[a + i];
      return v;
    },
  };
}

describe('expressions', () => {
  it('reads NASM numbers', () => {
    assert.strictEqual(parseNumber('0x7C00'), 0x7c00);
    assert.strictEqual(parseNumber('7c00h'), 0x7c00);
    assert.strictEqual(parseNumber('$7c00'), 0x7c00);
    assert.strictEqual(parseNumber('1010b'), 10);
    assert.strictEqual(parseNumber('0b1010'), 10);
    assert.strictEqual(parseNumber('17q'), 15);
    assert.strictEqual(parseNumber('1_000'), 1000);
    assert.strictEqual(parseNumber("'AB'"), 0x4241);
    assert.strictEqual(parseNumber('zz'), undefined);
  });

  it('evaluates registers and their views, arithmetic and precedence', () => {
    const ctx = context();
    assert.strictEqual(evaluate('ax', ctx).value, 0x5678);
    assert.strictEqual(evaluate('ah + al', ctx).value, 0x56 + 0x78);
    assert.strictEqual(evaluate('EAX >> 16', ctx).value, 0x1234);
    assert.strictEqual(evaluate('1 + 2 * 3 - (4 - 1)', ctx).value, 4);
    assert.strictEqual(evaluate('~0 & 0xff', ctx).value, 0xff);
    assert.strictEqual(evaluate('ax == 0x5678 && zf', ctx).value, 1);
    assert.strictEqual(evaluate('cx <> 3 || bx < 0x10', ctx).value, 0);
  });

  it('reads memory through segments, sizes and labels', () => {
    const ctx = context();
    ctx.memory.set([0x34, 0x12, 0x78, 0x56], 0x10000 + 0x100); // es:di
    ctx.memory.set([0xaa, 0xbb], 0x7c40); // msg
    ctx.memory.set([0x99], 0x7bf0 + 2); // [bp+2] through ss
    assert.strictEqual(evaluate('word [es:di]', ctx).value, 0x1234);
    assert.strictEqual(evaluate('dword [es:di]', ctx).value, 0x56781234);
    assert.strictEqual(evaluate('byte [es:di+2]', ctx).value, 0x78);
    const m = evaluate('[msg]', ctx);
    assert.deepStrictEqual([m.value, m.address, m.size], [0xbbaa, 0x7c40, 2]);
    assert.strictEqual(evaluate('byte [bp+2]', ctx).value, 0x99);
    assert.strictEqual(evaluate('[0x1000:0x100]', ctx).value, 0x1234);
    assert.strictEqual(evaluate('msg', ctx).address, 0x7c40);
  });

  it('shows seg:off as a far pointer that knows its linear address', () => {
    const v = evaluate('es:di', context());
    assert.strictEqual(formatValue(v), '1000:0100');
    assert.strictEqual(v.address, 0x10100);
  });

  it('renders logpoints, with errors in place', () => {
    const ctx = context();
    const text = renderLogMessage('ax={ax} at {es:di} bad={nope}', (e) => formatValue(evaluate(e, ctx)));
    assert.strictEqual(text, "ax=0x5678 at 1000:0100 bad=<'nope' is neither a register nor a label in the listing>");
  });

  it('rejects bad syntax with where and what', () => {
    assert.throws(
      () => parseExpression('ax +'),
      (e: Error) => e instanceof ExpressionError && /at the end/.test(e.message),
    );
    assert.throws(() => parseExpression('[ax'), /expected '\]'/);
    assert.throws(() => parseExpression('ax # 1'), /unexpected '#' at column 4/);
    assert.throws(() => parseExpression(''), /empty/);
    assert.throws(() => evaluate('1/0', context()), /division by zero/);
    assert.throws(() => evaluate('dword [0xffffff]', context()), /outside guest memory/);
  });
});
