// Step over runs a CALL, an INT or a REP string instruction whole; everything else is a single step. Most
// instructions are told apart from those by their first bytes alone, without a call into iced-x86's
// WebAssembly decoder (which made a `next` cost about twice a step's CPU): legacy prefixes, then an opcode
// byte that no CALL (E8, 9A, FF), INT (CC, CD, CE, F1) or escape starts (0F, and the VEX/EVEX/XOP leads C4,
// C5, 62, 8F, decoded whole to be safe). A REP prefix (F2, F3) always goes to the decoder.

/** Prefixes that change neither whether an instruction is a CALL or INT nor whether it repeats. */
const PASSIVE_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0]);
/** Opcode bytes whose instruction the decoder must look at. */
const DECODE = new Set([0x0f, 0x62, 0x8f, 0x9a, 0xc4, 0xc5, 0xcc, 0xcd, 0xce, 0xe8, 0xf1, 0xff]);

/**
 * True when the instruction at the start of `bytes` is certainly none of the kinds step over runs whole;
 * false when the decoder must say (it may be one, or the bytes are too few to tell).
 */
export function plainForStepOver(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (PASSIVE_PREFIXES.has(b)) continue;
    return b !== 0xf2 && b !== 0xf3 && !DECODE.has(b);
  }
  return false;
}
