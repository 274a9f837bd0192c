// NASM's directives and pseudo-instructions, as boot-sector code uses them (from the NASM manual, chapters
// 3 "The NASM Language", 4 "The NASM Preprocessor", 7 "Assembler Directives" and 8 "Output Formats").

const DIRECTIVES: Record<string, string> = {
  db: 'Emits bytes: numbers, characters and strings (`db "Hi", 13, 10, 0`).',
  dw: 'Emits 16-bit words, little-endian (`dw 0xAA55` stores the bytes 55 AA).',
  dd: 'Emits 32-bit doublewords (or single-precision floats).',
  dq: 'Emits 64-bit quadwords (a GDT descriptor is one `dq`).',
  dt: 'Emits 80-bit values (extended-precision floats).',
  resb: 'Reserves uninitialized bytes (in `-f bin` they are still zeros in the file when followed by data).',
  resw: 'Reserves uninitialized words.',
  resd: 'Reserves uninitialized doublewords.',
  resq: 'Reserves uninitialized quadwords.',
  times:
    'Repeats the instruction or data N times; `times 510-($-$$) db 0` pads a boot sector to byte 510 ($ is here, $$ the section start).',
  equ: 'Defines a constant: `NAME equ value`, evaluated once, takes no space.',
  incbin: 'Includes a binary file verbatim (searched like %include: the current folder, then -I paths).',
  org: 'Sets the address the output is assumed to be loaded at (`org 0x7C00` for a boot sector): labels count from it. `-f bin` only.',
  bits: 'Sets the code size: `bits 16` (real mode, the default in `-f bin`), `bits 32` (protected mode), `bits 64`.',
  use16: 'Same as `bits 16`.',
  use32: 'Same as `bits 32`.',
  section: 'Switches to (or creates) a section; in `-f bin`, `.text` comes first, then other sections in order.',
  segment: 'Same as `section`.',
  align: 'Pads with NOPs (or the given fill) to a multiple of the alignment.',
  alignb: 'Reserves space up to a multiple of the alignment (for uninitialized data).',
  global: 'Exports a symbol to the linker (object formats).',
  extern: 'Declares a symbol defined in another object file.',
  cpu: 'Restricts the instructions nasm accepts to a processor level (`cpu 386`).',
  struc: 'Starts a structure definition: fields are local labels (`.x resw 1`) whose values are offsets.',
  endstruc: 'Ends a structure definition; NAME_size holds its size.',
  istruc: 'Starts an instance of a structure in data, with `at field, db ...` lines and `iend`.',
  '%include': 'Inserts another source file here (searched in the current folder, then the -I paths).',
  '%define': 'Defines a single-line macro (text substitution, expanded where used).',
  '%xdefine': 'Defines a single-line macro, expanding its body now.',
  '%assign': 'Defines a numeric single-line macro, evaluated now (handy as a counter in %rep).',
  '%macro':
    'Starts a multi-line macro: `%macro NAME nparams` ... `%endmacro`; %1, %2 are the arguments, %%label is local to each expansion.',
  '%endmacro': 'Ends a multi-line macro.',
  '%rep': 'Repeats the lines up to %endrep N times (at most 1,000,000 unless %pragma says otherwise).',
  '%endrep': 'Ends a %rep block.',
  '%if': 'Assembles the lines up to %else/%elif/%endif only if the expression is non-zero.',
  '%ifdef': 'Assembles the lines up to %endif only if the single-line macro is defined.',
  '%ifndef': 'Assembles the lines up to %endif only if the single-line macro is not defined.',
  '%error': 'Stops assembly with this message.',
  '%warning': 'Prints this message as a warning.',
};

/** A NASM directive's summary, if the word is one (case-insensitive). */
export function lookupDirective(word: string): string | undefined {
  return DIRECTIVES[word.toLowerCase()];
}
