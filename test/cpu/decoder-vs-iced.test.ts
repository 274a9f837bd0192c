// The software vCPU's decoder (native/src/cpu/opcodes.def driving insn.h) against iced-x86, the debugger's
// disassembler: every opcode the vCPU implements, one-byte and 0F xx, with a spread of ModRM/SIB forms, in
// 16- and 32-bit code, with and without the operand-size, address-size and LOCK prefixes. Length, immediate,
// displacement and branch target must agree, so the debugger never shows an instruction the vCPU does not
// run. Bounded by the opcode space, not by time.
import * as assert from 'assert';
import { Code, Decoder, DecoderOptions, Instruction, OpKind } from 'iced-x86';
import { loadBinding, type NativeDecoded } from '../../common/binding';

type Ours = NativeDecoded;

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x0f]);
// One ModRM per (mod, rm) shape that changes the length: register, [reg], SIB, disp16/disp32-only, disp8, disp16/32.
const MODRM_SHAPES = [0x00, 0x04, 0x05, 0x06, 0x40, 0x44, 0x80, 0x84, 0xc0, 0xc7];
// After the ModRM: a SIB with base 5 (so mod 0 takes a disp32), then bytes that make every field recognisable.
const TAIL = [0x25, 0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0xf7, 0x18, 0x29, 0x3a, 0x4b, 0x5c];

function immediateOf(insn: Instruction, mask: number): { imm?: number; imm2?: number } {
  const out: { imm?: number; imm2?: number } = {};
  for (let k = 0; k < insn.opCount; k++) {
    switch (insn.opKind(k)) {
      case OpKind.Immediate8:
      case OpKind.Immediate16:
      case OpKind.Immediate32:
      case OpKind.Immediate8to16:
      case OpKind.Immediate8to32:
        if (out.imm === undefined) out.imm = Number(insn.immediate(k) & BigInt(mask));
        break;
      case OpKind.Immediate8_2nd:
        out.imm2 = insn.immediate8_2nd;
        break;
      default:
        break;
    }
  }
  return out;
}

// Forms the decoder hands to a handler that itself raises #UD at run time, so iced-x86 calling them invalid
// is agreement: a register where only memory will do, segment and control registers that do not exist, the
// reserved rows of groups 6 and 7, and the x87 escapes (no FPU is fitted: every one raises #NM or is skipped).
function refusedAtRunTime(d: Ours): boolean {
  const reg = (d.modrm >> 3) & 7;
  const registerForm = d.hasModrm && d.modrm >> 6 === 3;
  const memoryOnly =
    [0x62, 0x8d, 0xc4, 0xc5, 0x1b2, 0x1b4, 0x1b5, 0x1c7].includes(d.opcode) ||
    (d.opcode === 0xff && (reg === 3 || reg === 5));
  if (registerForm && memoryOnly) return true;
  if ((d.opcode === 0x8c || d.opcode === 0x8e) && reg > 5) return true;
  if (d.opcode === 0x8e && reg === 1) return true; // MOV CS, r/m
  if (d.opcode === 0x1c7 && reg !== 1) return true;
  return (
    (d.opcode >= 0x120 && d.opcode <= 0x123) ||
    d.opcode === 0x100 ||
    d.opcode === 0x101 ||
    (d.opcode >= 0xd8 && d.opcode <= 0xdf)
  );
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

describe('decoder agrees with iced-x86 (native/src/cpu/opcodes.def)', function () {
  const decode = loadBinding().decodeInstruction;

  function compare(bytes: Uint8Array, code32: boolean, problems: string[]): boolean {
    const ours = decode(bytes, code32);
    if (!ours.complete || !ours.valid) return false;
    const bits = code32 ? 32 : 16;
    const decoder = new Decoder(bits, bytes, DecoderOptions.None);
    const insn = decoder.decode();
    try {
      const where = `${bits}-bit ${hex(bytes.subarray(0, ours.length))} (${ours.mnemonic})`;
      if (insn.code === Code.INVALID) {
        if (refusedAtRunTime(ours)) return false;
        problems.push(`${where}: the vCPU runs it, iced-x86 says it is invalid`);
        return true;
      }
      if (insn.length !== ours.length) {
        problems.push(`${where}: length ${ours.length}, iced-x86 ${insn.length}`);
        return true;
      }
      const opMask = ours.op32 ? 0xffffffff : 0xffff;
      const addrMask = ours.a32 ? 0xffffffff : 0xffff;
      let hasMemory = false;
      for (let k = 0; k < insn.opCount; k++) {
        const kind = insn.opKind(k);
        if (kind === OpKind.Memory) {
          hasMemory = true;
          const theirs = Number(insn.memoryDisplacement & BigInt(addrMask));
          if ((ours.disp & addrMask) >>> 0 !== theirs) {
            problems.push(
              `${where}: displacement 0x${(ours.disp >>> 0).toString(16)}, iced-x86 0x${theirs.toString(16)}`,
            );
          }
        } else if (kind === OpKind.NearBranch16 || kind === OpKind.NearBranch32) {
          const target = Number(insn.nearBranchTarget & BigInt(opMask));
          if (((ours.length + ours.imm) & opMask) >>> 0 !== target) {
            problems.push(
              `${where}: branch target 0x${((ours.length + ours.imm) & opMask).toString(16)}, iced-x86 0x${target.toString(16)}`,
            );
          }
        } else if (kind === OpKind.FarBranch16 || kind === OpKind.FarBranch32) {
          const off = kind === OpKind.FarBranch16 ? insn.farBranch16 : insn.farBranch32;
          if (ours.imm >>> 0 !== off || ours.imm2 !== insn.farBranchSelector) {
            problems.push(
              `${where}: far pointer ${ours.imm2.toString(16)}:${ours.imm.toString(16)}, iced-x86 ${insn.farBranchSelector.toString(16)}:${off.toString(16)}`,
            );
          }
        }
      }
      const wantMemory = ours.hasModrm && ours.modrm >> 6 !== 3 && !(ours.opcode >= 0x120 && ours.opcode <= 0x123);
      const moffs = ours.opcode >= 0xa0 && ours.opcode <= 0xa3;
      // LEA and the x87 escapes name a memory operand too; XLAT's implicit [bx+al] is iced-x86's only extra.
      if (ours.opcode !== 0xd7 && hasMemory !== (wantMemory || moffs)) {
        problems.push(`${where}: memory operand ${wantMemory || moffs}, iced-x86 ${hasMemory}`);
      }
      const { imm, imm2 } = immediateOf(insn, opMask);
      // D0-D3 shift by an implicit 1 or CL: iced-x86 shows the 1 as an immediate the bytes do not hold.
      const implicit = ours.opcode >= 0xd0 && ours.opcode <= 0xd3;
      if (imm !== undefined && !implicit && (ours.imm & opMask) >>> 0 !== imm) {
        problems.push(`${where}: immediate 0x${(ours.imm >>> 0).toString(16)}, iced-x86 0x${imm.toString(16)}`);
      }
      if (imm2 !== undefined && ours.imm2 !== imm2)
        problems.push(`${where}: second immediate ${ours.imm2}, iced-x86 ${imm2}`);
    } finally {
      insn.free();
      decoder.free();
    }
    return true;
  }

  for (const code32 of [false, true]) {
    it(`${code32 ? 32 : 16}-bit code: every implemented opcode, ModRM form and prefix agrees`, function () {
      const problems: string[] = [];
      let compared = 0;
      const opcodes: number[][] = [];
      for (let b = 0; b < 0x100; b++) if (!PREFIXES.has(b)) opcodes.push([b]);
      for (let b = 0; b < 0x100; b++) opcodes.push([0x0f, b]);
      for (const op of opcodes) {
        const modrmForms = decode(Uint8Array.from([...op, 0xc0, ...TAIL]), code32).hasModrm
          ? MODRM_SHAPES.flatMap((shape) => [0, 1, 2, 3, 4, 5, 6, 7].map((reg) => shape | (reg << 3)))
          : [-1];
        for (const prefixes of [[], [0x66], [0x67], [0x66, 0x67], [0xf0]]) {
          for (const modrm of modrmForms) {
            const bytes = Uint8Array.from([...prefixes, ...op, ...(modrm < 0 ? [] : [modrm]), ...TAIL]);
            if (compare(bytes, code32, problems)) compared++;
          }
        }
      }
      assert.ok(
        compared > 5000,
        `only ${compared} forms compared: the binding's decodeInstruction or the table is broken`,
      );
      assert.deepStrictEqual(problems.slice(0, 40), [], `${problems.length} disagreements`);
    });
  }

  it('refuses what the vCPU does not implement and LOCK where it cannot lock', function () {
    const d = (...b: number[]): Ours => decode(Uint8Array.from([...b, ...TAIL]), false);
    assert.deepStrictEqual(
      [d(0x0f, 0x0b).valid, d(0x0f, 0x0b).length],
      [true, 2],
      'UD2 is an instruction (that raises #UD)',
    );
    assert.strictEqual(d(0xf0, 0x01, 0x07).valid, true, 'lock add [bx], ax');
    assert.strictEqual(d(0xf0, 0x01, 0xc0).valid, false, 'lock add ax, ax: register destination');
    assert.strictEqual(d(0xf0, 0x39, 0x07).valid, false, 'lock cmp: not read-modify-write');
    assert.strictEqual(d(0x0f, 0x38, 0x00).valid, false, 'SSSE3 is not implemented');
    assert.strictEqual(decode(Uint8Array.from([0x66, 0x05, 0x01]), false).complete, false, 'bytes ran out');
  });
});
