// The exit profile names a BIOS call by its service, not by the ROM's internal port 0xEF.
import * as assert from 'assert';
import { parseNasm } from '../../server/nasm-file';
import { profileLabel } from '../../server/profile-label';

const SOURCE = [
  'org 0x7c00',
  'TELETYPE equ 0x0e',
  'start:',
  '    mov ah, TELETYPE',
  '    mov al, "A"',
  '    int 0x10',
  '    mov ax, 0xe820',
  '    int 0x15',
  '    int 0x16',
  '    out 0x80, al',
].join('\n');

describe('lsp: exit profile labels', () => {
  const file = parseNasm(SOURCE);
  const constants = (name: string) => (name === 'TELETYPE' ? '0x0e' : undefined);

  it('names the BIOS service an int line calls, and hides port 0xEF', () => {
    assert.strictEqual(
      profileLabel(file, { line: 5, exits: 23, ports: [0xef] }, constants),
      'int 0x10 AH=0Eh (teletype output): 23 VM exits in the last run',
    );
    assert.strictEqual(
      profileLabel(file, { line: 7, exits: 2, ports: [0xef] }, constants),
      'int 0x15 AX=E820h (query system address map): 2 VM exits in the last run',
    );
    assert.strictEqual(
      profileLabel(file, { line: 8, exits: 1, ports: [0xef] }, constants),
      'int 0x16: 1 VM exit in the last run',
      'AX is unknown after another BIOS call',
    );
  });

  it('keeps real ports as ports', () => {
    assert.strictEqual(
      profileLabel(file, { line: 9, exits: 5, ports: [0x80] }, constants),
      '5 VM exits in the last run (port 0x80)',
    );
  });
});
