// The reference tables behind hovers and port warnings, checked against an independent source where there
// is one: every instruction the table describes must be a real x86 mnemonic (iced-x86's list, or one of
// NASM's aliases), and every port row must decode to what the data sheets call it.
import * as assert from 'assert';
import { Mnemonic } from 'iced-x86';
import { biosServicesOf, lookupBiosService } from '../../common/reference/bios';
import { knownMnemonics, lookupInstruction } from '../../common/reference/instructions';
import { describePort, lookupPort } from '../../common/reference/ports';

describe('lsp: reference tables', () => {
  it('describes only real mnemonics', () => {
    const iced = new Set(
      Object.keys(Mnemonic)
        .filter((k) => Number.isNaN(Number(k)))
        .map((k) => k.toLowerCase()),
    );
    const aliases = new Set([
      'sal',
      'xlat',
      'xlatb',
      'repe',
      'repz',
      'repne',
      'repnz',
      'rep',
      'lock',
      'jnae',
      'jc',
      'jnb',
      'jnc',
      'jz',
      'jnz',
      'jna',
      'jnbe',
      'jpe',
      'jpo',
      'jnge',
      'jnl',
      'jng',
      'jnle',
      'pushad',
      'popad',
      'pushfd',
      'popfd',
      'iretd',
      'int3',
      'loope',
      'loopne',
      'retf',
      'cwde',
      'cdq',
    ]);
    const unknown = knownMnemonics().filter((m) => !iced.has(m) && !aliases.has(m) && !/^(set|cmov)n?[a-z]+$/.test(m));
    assert.deepStrictEqual(unknown, []);
  });

  it('expands condition codes and keeps flag facts straight', () => {
    assert.match(lookupInstruction('JNZ')!.summary, /not zero \(ZF=0\)/);
    assert.match(lookupInstruction('setb')!.summary, /CF=1/);
    assert.deepStrictEqual(lookupInstruction('inc')!.modified, ['OF', 'SF', 'ZF', 'AF', 'PF'], 'INC leaves CF alone');
    assert.deepStrictEqual(lookupInstruction('mov')!.modified, []);
    assert.strictEqual(lookupInstruction('frobnicate'), undefined);
  });

  it('finds BIOS services by AH, and by AX where AX selects', () => {
    assert.strictEqual(lookupBiosService(0x10, 0x0e)?.name, 'teletype output');
    assert.strictEqual(lookupBiosService(0x13, 0x42)?.name, 'extended read (LBA)');
    assert.strictEqual(lookupBiosService(0x15, undefined, 0xe820)?.name, 'query system address map');
    assert.strictEqual(lookupBiosService(0x15, 0x24, 0x2401)?.name, 'enable A20 gate');
    assert.strictEqual(lookupBiosService(0x10, 0xee), undefined);
    assert.ok(biosServicesOf(0x16).length >= 5);
  });

  it('names the ports of a PC, and says so when nothing standard lives there', () => {
    assert.match(lookupPort(0x3f8)!.name, /^COM1 data/);
    assert.match(lookupPort(0x3fd)!.name, /^COM1 line status/);
    assert.match(lookupPort(0x3f6)!.name, /ATA alternate status/, 'the ATA port inside the FDC range');
    assert.match(lookupPort(0x20)!.name, /master PIC command/);
    assert.match(lookupPort(0x43)!.name, /PIT mode/);
    assert.match(lookupPort(0x92)!.name, /fast A20/);
    assert.strictEqual(lookupPort(0x5a5a), undefined);
    assert.match(describePort(0x5a5a), /port 0x5A5A \(nothing standard/);
  });
});
