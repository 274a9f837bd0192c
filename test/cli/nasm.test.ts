// nasm's diagnostics as the CLI and the language server read them.
import * as assert from 'assert';

import { parseNasmDiagnostics } from '../../common/nasm';

describe('nasm diagnostics', () => {
  it('reads errors and warnings with file and line', () => {
    const out = [
      'boot.asm:3: error: invalid combination of opcode and operands',
      'lib/io.inc:12: warning: byte data exceeds bounds [-w+number-overflow]',
      "nasm: fatal: unable to open input file `x.asm' No such file or directory",
    ].join('\n');
    assert.deepStrictEqual(parseNasmDiagnostics(out), [
      { file: 'boot.asm', line: 3, severity: 'error', message: 'invalid combination of opcode and operands' },
      { file: 'lib/io.inc', line: 12, severity: 'warning', message: 'byte data exceeds bounds [-w+number-overflow]' },
      { file: '', line: 0, severity: 'error', message: "unable to open input file `x.asm' No such file or directory" },
    ]);
  });
});
