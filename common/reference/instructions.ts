// x86 instruction summaries for hover: what each does and which flags it touches, in the words of the
// Intel SDM's "Flags Affected" sections, condensed. Covers what boot sectors and toy kernels use.

export interface InstructionInfo {
  mnemonic: string;
  summary: string;
  /** Flags written with a defined result. */
  modified: string[];
  /** Flags left undefined (their value must not be relied on). */
  undefined?: string[];
  /** Anything else about flags, e.g. "CF unchanged". */
  note?: string;
}

const ARITH = ['OF', 'SF', 'ZF', 'AF', 'PF', 'CF'];
const LOGIC = ['OF=0', 'CF=0', 'SF', 'ZF', 'PF'];
const NONE: string[] = [];

type Row = [string, string, string[], string[]?, string?];

const ROWS: Row[] = [
  [
    'mov',
    'Copies the source operand to the destination. Moves to a segment register load its descriptor (in protected mode) and, for SS, hold off interrupts for one instruction.',
    NONE,
  ],
  ['movzx', 'Copies a byte or word to a wider register, filling the upper bits with zeros.', NONE],
  ['movsx', 'Copies a byte or word to a wider register, filling the upper bits with copies of the sign bit.', NONE],
  [
    'xchg',
    "Exchanges the two operands (with a memory operand it is implicitly locked). `xchg bx, bx` is Bochs's magic breakpoint.",
    NONE,
  ],
  [
    'lea',
    'Loads the effective address (offset) of the memory operand into the register, without accessing memory.',
    NONE,
  ],
  ['lds', 'Loads a far pointer from memory: offset into the register, segment into DS.', NONE],
  ['les', 'Loads a far pointer from memory: offset into the register, segment into ES.', NONE],
  ['lss', 'Loads a far pointer from memory: offset into the register, segment into SS.', NONE],
  ['push', 'Decrements SP/ESP by the operand size and stores the operand at SS:SP.', NONE],
  ['pop', 'Loads the operand from SS:SP and increments SP/ESP by the operand size.', NONE],
  ['pusha', 'Pushes AX, CX, DX, BX, the original SP, BP, SI, DI.', NONE],
  ['pushad', 'Pushes EAX, ECX, EDX, EBX, the original ESP, EBP, ESI, EDI.', NONE],
  ['popa', 'Pops DI, SI, BP, (skips SP), BX, DX, CX, AX.', NONE],
  ['popad', 'Pops EDI, ESI, EBP, (skips ESP), EBX, EDX, ECX, EAX.', NONE],
  ['pushf', 'Pushes FLAGS.', NONE],
  ['pushfd', 'Pushes EFLAGS (with VM and RF cleared in the copy).', NONE],
  ['popf', 'Pops FLAGS; which bits change depends on CPL and IOPL.', ['all (from the stack)']],
  ['popfd', 'Pops EFLAGS; which bits change depends on CPL and IOPL.', ['all (from the stack)']],
  ['add', 'Adds the source to the destination.', ARITH],
  ['adc', 'Adds the source and CF to the destination.', ARITH],
  ['sub', 'Subtracts the source from the destination.', ARITH],
  ['sbb', 'Subtracts the source and CF from the destination.', ARITH],
  ['cmp', 'Subtracts the source from the destination, setting flags only (the destination is unchanged).', ARITH],
  ['inc', 'Adds 1 to the operand.', ['OF', 'SF', 'ZF', 'AF', 'PF'], undefined, 'CF unchanged'],
  ['dec', 'Subtracts 1 from the operand.', ['OF', 'SF', 'ZF', 'AF', 'PF'], undefined, 'CF unchanged'],
  [
    'neg',
    "Replaces the operand with its two's complement (0 - operand).",
    ARITH,
    undefined,
    'CF=0 if the operand was 0, else 1',
  ],
  [
    'mul',
    'Unsigned multiply of AL/AX/EAX by the operand; the result goes to AX, DX:AX or EDX:EAX.',
    ['OF', 'CF'],
    ['SF', 'ZF', 'AF', 'PF'],
    'OF=CF=1 when the upper half of the result is not zero',
  ],
  [
    'imul',
    'Signed multiply (one, two or three operands).',
    ['OF', 'CF'],
    ['SF', 'ZF', 'AF', 'PF'],
    'OF=CF=1 when the result was truncated',
  ],
  [
    'div',
    'Unsigned divide of AX, DX:AX or EDX:EAX by the operand: quotient in AL/AX/EAX, remainder in AH/DX/EDX. A zero divisor or a quotient too large raises #DE (vector 0).',
    NONE,
    ARITH,
  ],
  ['idiv', 'Signed divide, like DIV; a zero divisor or an overflowing quotient raises #DE (vector 0).', NONE, ARITH],
  ['and', 'Bitwise AND of the operands into the destination.', LOGIC, ['AF']],
  ['or', 'Bitwise OR of the operands into the destination.', LOGIC, ['AF']],
  ['xor', 'Bitwise exclusive OR into the destination; `xor r, r` is the usual way to zero a register.', LOGIC, ['AF']],
  ['not', 'Inverts every bit of the operand.', NONE],
  ['test', 'Bitwise AND of the operands, setting flags only.', LOGIC, ['AF']],
  [
    'shl',
    'Shifts left by the count (CL or an immediate, masked to 5 bits); the last bit shifted out goes to CF.',
    ['CF', 'SF', 'ZF', 'PF'],
    ['AF'],
    'OF defined only for 1-bit shifts; no flags change when the count is 0',
  ],
  [
    'sal',
    'Same as SHL.',
    ['CF', 'SF', 'ZF', 'PF'],
    ['AF'],
    'OF defined only for 1-bit shifts; no flags change when the count is 0',
  ],
  [
    'shr',
    'Logical shift right (zeros enter at the top); the last bit shifted out goes to CF.',
    ['CF', 'SF', 'ZF', 'PF'],
    ['AF'],
    'OF defined only for 1-bit shifts; no flags change when the count is 0',
  ],
  [
    'sar',
    'Arithmetic shift right (the sign bit is copied in); the last bit shifted out goes to CF.',
    ['CF', 'SF', 'ZF', 'PF'],
    ['AF'],
    'OF defined only for 1-bit shifts (0); no flags change when the count is 0',
  ],
  [
    'rol',
    'Rotates left; the bit rotated out of the top also goes to CF.',
    ['CF'],
    undefined,
    'OF defined only for 1-bit rotates; SF, ZF, AF, PF unchanged',
  ],
  [
    'ror',
    'Rotates right; the bit rotated out of the bottom also goes to CF.',
    ['CF'],
    undefined,
    'OF defined only for 1-bit rotates; SF, ZF, AF, PF unchanged',
  ],
  ['rcl', 'Rotates left through CF.', ['CF'], undefined, 'OF defined only for 1-bit rotates'],
  ['rcr', 'Rotates right through CF.', ['CF'], undefined, 'OF defined only for 1-bit rotates'],
  [
    'shld',
    'Shifts the destination left, filling from the source register.',
    ['CF', 'SF', 'ZF', 'PF'],
    ['AF'],
    'OF defined only for 1-bit shifts',
  ],
  [
    'shrd',
    'Shifts the destination right, filling from the source register.',
    ['CF', 'SF', 'ZF', 'PF'],
    ['AF'],
    'OF defined only for 1-bit shifts',
  ],
  ['bt', 'Copies the selected bit to CF.', ['CF'], ['OF', 'SF', 'AF', 'PF']],
  ['bts', 'Copies the selected bit to CF, then sets it.', ['CF'], ['OF', 'SF', 'AF', 'PF']],
  ['btr', 'Copies the selected bit to CF, then clears it.', ['CF'], ['OF', 'SF', 'AF', 'PF']],
  ['btc', 'Copies the selected bit to CF, then inverts it.', ['CF'], ['OF', 'SF', 'AF', 'PF']],
  [
    'bsf',
    'Finds the lowest set bit of the source; ZF=1 (destination undefined) when the source is 0.',
    ['ZF'],
    ['CF', 'OF', 'SF', 'AF', 'PF'],
  ],
  [
    'bsr',
    'Finds the highest set bit of the source; ZF=1 (destination undefined) when the source is 0.',
    ['ZF'],
    ['CF', 'OF', 'SF', 'AF', 'PF'],
  ],
  ['cbw', 'Sign-extends AL into AX.', NONE],
  ['cwde', 'Sign-extends AX into EAX.', NONE],
  ['cwd', 'Sign-extends AX into DX:AX (before a 16-bit IDIV).', NONE],
  ['cdq', 'Sign-extends EAX into EDX:EAX (before a 32-bit IDIV).', NONE],
  ['daa', 'Decimal-adjusts AL after an addition of packed BCD.', ['CF', 'AF', 'SF', 'ZF', 'PF'], ['OF']],
  ['das', 'Decimal-adjusts AL after a subtraction of packed BCD.', ['CF', 'AF', 'SF', 'ZF', 'PF'], ['OF']],
  ['aaa', 'ASCII-adjusts AL after an addition of unpacked BCD.', ['AF', 'CF'], ['OF', 'SF', 'ZF', 'PF']],
  ['aas', 'ASCII-adjusts AL after a subtraction of unpacked BCD.', ['AF', 'CF'], ['OF', 'SF', 'ZF', 'PF']],
  [
    'aam',
    'Splits AL into AH = AL / base, AL = AL mod base (base 10 by default); a base of 0 raises #DE.',
    ['SF', 'ZF', 'PF'],
    ['OF', 'AF', 'CF'],
  ],
  ['aad', 'Combines AH:AL into AL = AH * base + AL, AH = 0.', ['SF', 'ZF', 'PF'], ['OF', 'AF', 'CF']],
  [
    'jmp',
    'Jumps: short, near (within CS) or far (`jmp seg:off` loads CS; after setting CR0.PE it is what enters protected mode).',
    NONE,
  ],
  ['call', 'Pushes the return address (and CS for a far call) and jumps.', NONE],
  ['ret', 'Pops the return address (optionally then releases N bytes of arguments).', NONE],
  ['retf', 'Far return: pops IP/EIP then CS.', NONE],
  ['iret', 'Returns from an interrupt: pops IP, CS and FLAGS.', ['all (from the stack)']],
  [
    'iretd',
    'Returns from an interrupt: pops EIP, CS and EFLAGS (and ESP/SS on a privilege change).',
    ['all (from the stack)'],
  ],
  [
    'int',
    'Calls the interrupt handler for the vector: pushes FLAGS, CS, IP, clears IF and TF. In real mode the handler address comes from the IVT at 0000:vector*4; under Bootvisor, BIOS services are served by the paravirtual BIOS.',
    ['IF=0', 'TF=0'],
    undefined,
    'AC and RF cleared too in protected mode',
  ],
  ['into', 'Raises #OF (vector 4) if OF is set.', NONE],
  ['int3', 'Breakpoint trap (vector 3).', ['IF=0', 'TF=0']],
  ['loop', 'Decrements CX/ECX and jumps if it is not zero.', NONE, undefined, 'flags unchanged'],
  ['loope', 'Decrements CX/ECX and jumps if it is not zero and ZF=1.', NONE],
  ['loopne', 'Decrements CX/ECX and jumps if it is not zero and ZF=0.', NONE],
  ['jcxz', 'Jumps if CX is zero.', NONE],
  ['jecxz', 'Jumps if ECX is zero.', NONE],
  ['cli', 'Clears IF: maskable interrupts are held off. Followed by HLT, the CPU never wakes.', ['IF=0']],
  ['sti', 'Sets IF: maskable interrupts are taken after the next instruction.', ['IF=1']],
  ['cld', 'Clears DF: string instructions count upward.', ['DF=0']],
  ['std', 'Sets DF: string instructions count downward.', ['DF=1']],
  ['clc', 'Clears CF.', ['CF=0']],
  ['stc', 'Sets CF.', ['CF=1']],
  ['cmc', 'Inverts CF.', ['CF']],
  ['lahf', 'Loads SF, ZF, AF, PF, CF into AH.', NONE],
  ['sahf', 'Stores AH into SF, ZF, AF, PF, CF.', ['SF', 'ZF', 'AF', 'PF', 'CF']],
  [
    'hlt',
    'Halts until the next interrupt (NMI or, if IF=1, a maskable one). With interrupts disabled it ends execution.',
    NONE,
  ],
  ['nop', 'Does nothing.', NONE],
  ['in', 'Reads a byte, word or dword from an I/O port (an immediate 0-255, or DX) into AL/AX/EAX.', NONE],
  ['out', 'Writes AL/AX/EAX to an I/O port (an immediate 0-255, or DX).', NONE],
  ['insb', 'Reads a byte from port DX to ES:DI, then steps DI.', NONE],
  ['insw', 'Reads a word from port DX to ES:DI, then steps DI.', NONE],
  ['outsb', 'Writes the byte at DS:SI to port DX, then steps SI.', NONE],
  ['outsw', 'Writes the word at DS:SI to port DX, then steps SI.', NONE],
  ['lodsb', 'Loads the byte at DS:SI into AL, then steps SI by 1 (down if DF=1).', NONE],
  ['lodsw', 'Loads the word at DS:SI into AX, then steps SI by 2.', NONE],
  ['lodsd', 'Loads the dword at DS:ESI into EAX, then steps ESI by 4.', NONE],
  ['stosb', 'Stores AL at ES:DI, then steps DI by 1 (down if DF=1).', NONE],
  ['stosw', 'Stores AX at ES:DI, then steps DI by 2.', NONE],
  ['stosd', 'Stores EAX at ES:EDI, then steps EDI by 4.', NONE],
  ['movsb', 'Copies the byte at DS:SI to ES:DI, then steps both.', NONE],
  ['movsw', 'Copies the word at DS:SI to ES:DI, then steps both.', NONE],
  ['movsd', 'Copies the dword at DS:ESI to ES:EDI, then steps both.', NONE],
  ['cmpsb', 'Compares the byte at DS:SI with ES:DI (as CMP), then steps both.', ARITH],
  ['cmpsw', 'Compares the word at DS:SI with ES:DI (as CMP), then steps both.', ARITH],
  ['scasb', 'Compares AL with the byte at ES:DI (as CMP), then steps DI.', ARITH],
  ['scasw', 'Compares AX with the word at ES:DI (as CMP), then steps DI.', ARITH],
  ['rep', 'Prefix: repeats the string instruction CX/ECX times.', NONE],
  ['repe', 'Prefix: repeats while CX != 0 and ZF=1.', NONE],
  ['repz', 'Prefix: repeats while CX != 0 and ZF=1.', NONE],
  ['repne', 'Prefix: repeats while CX != 0 and ZF=0.', NONE],
  ['repnz', 'Prefix: repeats while CX != 0 and ZF=0.', NONE],
  ['lock', 'Prefix: makes the read-modify-write of the memory operand atomic.', NONE],
  ['lgdt', 'Loads GDTR (limit and base) from a 6-byte memory operand.', NONE],
  ['lidt', 'Loads IDTR (limit and base) from a 6-byte memory operand. In real mode it moves the IVT.', NONE],
  ['sgdt', 'Stores GDTR to memory.', NONE],
  ['sidt', 'Stores IDTR to memory.', NONE],
  ['lldt', 'Loads the LDT selector.', NONE],
  ['ltr', 'Loads the task register (marks the TSS busy).', NONE],
  ['lmsw', 'Loads the low 4 bits of CR0 (can set PE, cannot clear it).', NONE],
  ['smsw', 'Stores the low word of CR0.', NONE],
  ['clts', 'Clears CR0.TS.', NONE],
  ['invlpg', 'Invalidates the TLB entry for the page of the memory operand.', NONE],
  ['wbinvd', 'Writes back and invalidates the caches.', NONE],
  ['cpuid', 'Returns processor identification in EAX, EBX, ECX, EDX for the leaf in EAX (and ECX).', NONE],
  ['rdtsc', 'Reads the time-stamp counter into EDX:EAX.', NONE],
  ['rdmsr', 'Reads the model-specific register ECX into EDX:EAX.', NONE],
  ['wrmsr', 'Writes EDX:EAX to the model-specific register ECX (e.g. EFER = 0xC0000080).', NONE],
  ['ud2', 'Raises #UD (invalid opcode, vector 6) on purpose.', NONE],
  ['enter', 'Makes a stack frame: push BP, BP = SP, SP -= size.', NONE],
  ['leave', 'Releases a stack frame: SP = BP, pop BP.', NONE],
  ['xlat', 'AL = the byte at DS:[BX + AL].', NONE],
  ['xlatb', 'AL = the byte at DS:[BX + AL].', NONE],
  ['bswap', 'Reverses the byte order of a 32-bit register.', NONE],
  [
    'cmpxchg',
    'Compares the accumulator with the destination; if equal, stores the source there, else loads it into the accumulator.',
    ARITH,
  ],
  ['xadd', 'Exchanges then adds: destination = sum, source = old destination.', ARITH],
  ['arpl', 'Raises the RPL of the selector to that of the source.', ['ZF']],
  ['lar', 'Loads the access rights of a descriptor; ZF=1 when the selector is valid.', ['ZF']],
  ['lsl', 'Loads the segment limit of a descriptor; ZF=1 when the selector is valid.', ['ZF']],
  ['verr', 'Sets ZF if the segment is readable at the current privilege.', ['ZF']],
  ['verw', 'Sets ZF if the segment is writable at the current privilege.', ['ZF']],
  ['setcc', 'Sets the byte operand to 1 if the condition holds, else 0.', NONE],
  ['jcc', 'Jumps if the condition (tested on the flags) holds.', NONE],
  ['cmovcc', 'Moves if the condition holds.', NONE],
];

const CONDITIONS: Record<string, string> = {
  o: 'overflow (OF=1)',
  no: 'not overflow (OF=0)',
  b: 'below, unsigned (CF=1)',
  c: 'carry (CF=1)',
  nae: 'not above or equal (CF=1)',
  ae: 'above or equal, unsigned (CF=0)',
  nb: 'not below (CF=0)',
  nc: 'no carry (CF=0)',
  e: 'equal (ZF=1)',
  z: 'zero (ZF=1)',
  ne: 'not equal (ZF=0)',
  nz: 'not zero (ZF=0)',
  be: 'below or equal, unsigned (CF=1 or ZF=1)',
  na: 'not above (CF=1 or ZF=1)',
  a: 'above, unsigned (CF=0 and ZF=0)',
  nbe: 'not below or equal (CF=0 and ZF=0)',
  s: 'sign (SF=1)',
  ns: 'not sign (SF=0)',
  p: 'parity even (PF=1)',
  pe: 'parity even (PF=1)',
  np: 'parity odd (PF=0)',
  po: 'parity odd (PF=0)',
  l: 'less, signed (SF!=OF)',
  nge: 'not greater or equal (SF!=OF)',
  ge: 'greater or equal, signed (SF=OF)',
  nl: 'not less (SF=OF)',
  le: 'less or equal, signed (ZF=1 or SF!=OF)',
  ng: 'not greater (ZF=1 or SF!=OF)',
  g: 'greater, signed (ZF=0 and SF=OF)',
  nle: 'not less or equal (ZF=0 and SF=OF)',
};

const TABLE = new Map<string, InstructionInfo>();
for (const [mnemonic, summary, modified, undef, note] of ROWS) {
  TABLE.set(mnemonic, { mnemonic, summary, modified, undefined: undef, note });
}

/** The entry for a mnemonic (any case), including the conditional families jCC, setCC, cmovCC. */
export function lookupInstruction(mnemonic: string): InstructionInfo | undefined {
  const m = mnemonic.toLowerCase();
  const direct = TABLE.get(m);
  if (direct) return direct;
  for (const [prefix, family, verb] of [
    ['j', 'jcc', 'Jumps'],
    ['set', 'setcc', 'Sets the byte to 1'],
    ['cmov', 'cmovcc', 'Moves'],
  ] as const) {
    if (m.startsWith(prefix) && CONDITIONS[m.slice(prefix.length)] !== undefined) {
      const base = TABLE.get(family)!;
      return {
        ...base,
        mnemonic: m,
        summary: `${verb} if ${CONDITIONS[m.slice(prefix.length)]}${family === 'setcc' ? ', else 0' : ''}.`,
      };
    }
  }
  return undefined;
}

/** Every mnemonic the table knows (conditional families expanded). */
export function knownMnemonics(): string[] {
  const names = [...TABLE.keys()].filter((n) => !n.endsWith('cc'));
  for (const c of Object.keys(CONDITIONS)) names.push(`j${c}`, `set${c}`, `cmov${c}`);
  return names;
}

/** Markdown for a hover. */
export function describeInstruction(info: InstructionInfo): string {
  const flags: string[] = [];
  flags.push(info.modified.length > 0 ? `modified: ${info.modified.join(' ')}` : 'none modified');
  if (info.undefined && info.undefined.length > 0) flags.push(`undefined: ${info.undefined.join(' ')}`);
  if (info.note) flags.push(info.note);
  return `**${info.mnemonic.toUpperCase()}**: ${info.summary}\n\nFlags: ${flags.join('; ')}.`;
}
