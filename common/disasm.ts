// Disassembly in NASM syntax (iced-x86), 16- or 32-bit, and the facts about an instruction that stepping
// needs (is it a CALL, an INT, a REP string op, a return?). iced-x86 objects live in WebAssembly memory,
// so every Instruction is freed as soon as it has been read.
import { Decoder, DecoderOptions, FlowControl, Formatter, FormatterSyntax, Instruction, Mnemonic } from 'iced-x86';

export type Bitness = 16 | 32;

export interface DecodedInstruction {
  /** Offset within the code segment (IP/EIP). */
  offset: number;
  length: number;
  bytes: Uint8Array;
  /** NASM syntax, e.g. `mov ax,0x7C0`. `(bad)` when the bytes are no instruction. */
  text: string;
  mnemonic: string;
  invalid: boolean;
  /** What stepping needs to know. */
  kind: 'call' | 'int' | 'rep-string' | 'ret' | 'iret' | 'jump' | 'other';
  /** Offset of the next instruction (IP after it, wrapped to the operand size). */
  nextOffset: number;
  /** Direct branch or call target offset, when there is one. */
  target?: number;
}

let formatter: Formatter | undefined;

function nasmFormatter(): Formatter {
  if (!formatter) {
    formatter = new Formatter(FormatterSyntax.Nasm);
    formatter.hexPrefix = '0x';
    formatter.hexSuffix = '';
    formatter.uppercaseHex = true;
    formatter.spaceAfterOperandSeparator = true;
    formatter.showBranchSize = false;
  }
  return formatter;
}

const MNEMONIC_NAMES: Map<number, string> = new Map(
  Object.entries(Mnemonic)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k.toLowerCase()]),
);

function classify(instr: Instruction): DecodedInstruction['kind'] {
  const m = instr.mnemonic;
  if (m === Mnemonic.Iret || m === Mnemonic.Iretd) return 'iret';
  switch (instr.flowControl) {
    case FlowControl.Call:
    case FlowControl.IndirectCall:
      return 'call';
    case FlowControl.Interrupt:
      return m === Mnemonic.Int || m === Mnemonic.Int3 || m === Mnemonic.Into || m === Mnemonic.Int1 ? 'int' : 'other';
    case FlowControl.Return:
      return 'ret';
    case FlowControl.UnconditionalBranch:
    case FlowControl.IndirectBranch:
    case FlowControl.ConditionalBranch:
      return 'jump';
  }
  if (instr.isStringInstruction && (instr.hasRepPrefix || instr.hasRepePrefix || instr.hasRepnePrefix))
    return 'rep-string';
  return 'other';
}

/**
 * Decodes up to `count` instructions from `bytes`, the first at code offset `offset`. Stops early when the
 * bytes run out in the middle of an instruction.
 */
export function disassemble(
  bytes: Uint8Array,
  offset: number,
  bitness: Bitness,
  count = Infinity,
): DecodedInstruction[] {
  const out: DecodedInstruction[] = [];
  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  const mask = bitness === 16 ? 0xffff : 0xffffffff;
  try {
    decoder.ip = BigInt(offset >>> 0);
    let position = 0;
    while (decoder.canDecode && out.length < count) {
      const instr = decoder.decode();
      try {
        const length = instr.length;
        const invalid = instr.isInvalid;
        if (invalid && position + length >= bytes.length && bytes.length - position < 15) break; // truncated, not bad
        const kind = invalid ? 'other' : classify(instr);
        const target =
          !invalid &&
          (instr.isCallNear ||
            instr.isJmpShortOrNear ||
            instr.isJccShortOrNear ||
            instr.isLoop ||
            instr.isLoopcc ||
            instr.isJcxShort)
            ? Number(instr.nearBranchTarget) & mask
            : undefined;
        out.push({
          offset: (offset + position) & mask,
          length,
          bytes: bytes.slice(position, position + length),
          text: invalid ? '(bad)' : nasmFormatter().format(instr),
          mnemonic: invalid ? '(bad)' : (MNEMONIC_NAMES.get(instr.mnemonic) ?? '?'),
          invalid,
          kind,
          nextOffset: (offset + position + length) & mask,
          target,
        });
        position += length;
      } finally {
        instr.free();
      }
    }
  } finally {
    decoder.free();
  }
  return out;
}

/**
 * What step over needs of the instruction at the start of `bytes` (give it 15): its kind and length, without
 * the NASM text, the branch target or a copy of the bytes. Every `next` asks it, and each of those is a call
 * into iced-x86's WebAssembly; undefined when the bytes are too few (as decodeOne).
 */
export function decodeKind(
  bytes: Uint8Array,
  bitness: Bitness,
): { kind: DecodedInstruction['kind']; length: number; invalid: boolean } | undefined {
  const decoder = new Decoder(bitness, bytes, DecoderOptions.None);
  try {
    if (!decoder.canDecode) return undefined;
    const instr = decoder.decode();
    try {
      const length = instr.length;
      const invalid = instr.isInvalid;
      if (invalid && length >= bytes.length && bytes.length < 15) return undefined; // truncated, not bad
      return { kind: invalid ? 'other' : classify(instr), length, invalid };
    } finally {
      instr.free();
    }
  } finally {
    decoder.free();
  }
}

/** The one instruction at the start of `bytes` (give it 15 bytes), or undefined when they are too few. */
export function decodeOne(bytes: Uint8Array, offset: number, bitness: Bitness): DecodedInstruction | undefined {
  return disassemble(bytes, offset, bitness, 1)[0];
}
