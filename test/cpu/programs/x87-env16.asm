; The x87's real-mode environment layouts and its unmasked-exception responses, printed for
; test/cpu/fpu-env-diff.test.ts to compare across Bootvisor, QEMU and Bochs:
; - FNSTENV with 16- and 32-bit operand size in real mode (14 and 28 bytes: the 20-bit linear instruction and
;   operand pointers split around the opcode), FNSAVE's 94-byte image and its FNINIT, FRSTOR of an edited
;   image, FLDENV of a crafted environment read back;
; - with CR0.NE = 1 and each exception unmasked in turn: what the instruction leaves (no result for IE, DE
;   and ZE; the exponent wrapped by 24,576 for OE and UE into a register; nothing stored for OE into memory;
;   the rounded result for PE), the status word, and the #MF the next FWAIT raises with the pointers it saw.
%include "lib/boot.inc"

%macro SHOWW 2            ; a word
  pushfd
  pushad
  movzx eax, word %2
  PUTS16 %1, "="
  call puthex16
  PUTS16 10
  popad
  popfd
%endmacro

%macro SHOWST0 0          ; ST(0)'s 80 bits (stored from a copy, so the stack is unchanged)
  fld st0
  fstp tword [tmp80]
  SHOWW "st0.se", [tmp80 + 8]
  SHOW16 "st0.hi", dword [tmp80 + 4]
  SHOW16 "st0.lo", dword [tmp80]
%endmacro

%macro SHOWENV16 1        ; the seven words of a 14-byte environment at label %1
  %assign i 0
  %rep 7
    SHOWW "w", [%1 + i]
    %assign i i + 2
  %endrep
%endmacro

main:
  mov word [16 * 4], mf_handler
  mov word [16 * 4 + 2], 0
  ; A value at linear 0x10010 (ES = 1000h): the operand pointer then has bits 16-19 set.
  mov ax, 0x1000
  mov es, ax
  mov dword [es:0x10], 0
  mov dword [es:0x14], 0x40080000         ; 3.0 as a double
  mov eax, cr0
  or eax, 0x22                            ; MP, NE: #MF for unmasked exceptions
  and eax, ~0xC                           ; not EM, TS
  mov cr0, eax

  ; ---- FNSTENV, 16-bit operand size
  fninit
  fldcw [cw_a]
  fld1
  fldpi
env16_site:
  fadd qword [es:0x10]
  fnstenv [env]
  and word [env + 2], 0xFDFF              ; C1 (QEMU never sets it for a rounded-up result)
  PUTS16 "fnstenv o16", 10
  SHOWENV16 env
  ; ---- FNSTENV, 32-bit operand size (the same state: FNSTENV masked every exception, nothing else)
  fldcw [cw_a]
  o32 fnstenv [env]
  and word [env + 4], 0xFDFF
  PUTS16 "fnstenv o32", 10
  %assign i 0
  %rep 7
    SHOW16 "d", dword [env + i]
    %assign i i + 4
  %endrep
  ; ---- FNSAVE (16-bit): the environment, the registers in ST(i) order, then FNINIT's state
  fldcw [cw_a]
  fnsave [save]
  and word [save + 2], 0xFDFF
  PUTS16 "fnsave o16", 10
  SHOWENV16 save
  SHOW16 "st0.lo", dword [save + 14]
  SHOW16 "st0.hi", dword [save + 18]
  SHOWW "st0.se", [save + 22]
  SHOWW "st1.se", [save + 32]
  fnstcw [tmp16]
  SHOWW "cw after", [tmp16]
  fnstsw [tmp16]
  SHOWW "sw after", [tmp16]
  ; ---- FRSTOR of the image with ST(0) replaced by -2 and the control word by 0x0C7F
  mov dword [save + 14], 0
  mov dword [save + 18], 0x80000000
  mov word [save + 22], 0xC000
  mov word [save], 0x0C7F
  frstor [save]
  PUTS16 "frstor", 10
  SHOWST0
  fnstcw [tmp16]
  SHOWW "cw", [tmp16]
  fnstenv [env]
  and word [env + 2], 0xFDFF
  SHOWENV16 env
  ; ---- FLDENV of a crafted real-mode environment: TOP 5, tags, pointers above 64 KiB, opcode 0x5A5
  fldenv [crafted]
  fnstenv [env]
  PUTS16 "fldenv", 10
  SHOWENV16 env
  fninit

  ; ---- unmasked exceptions (each alone, CR0.NE = 1): what stays, what is written, the #MF
  PUTS16 "ZE: 1/0", 10
  fninit
  fldcw [cw_ze]
  fld1
  fldz
ze_site:
  fdivp st1, st0
  call after
  PUTS16 "IE: sqrt(-1)", 10
  fninit
  fldcw [cw_ie]
  fld1
  fchs
  fsqrt
  call after
  PUTS16 "DE: denormal + 1", 10
  fninit
  fldcw [cw_de]
  fld1
  fld tword [denormal]
  fadd st0, st1
  call after
  PUTS16 "OE: max * max into ST0", 10
  fninit
  fldcw [cw_oe]
  fld tword [huge]
  fmul st0, st0
  call after
  PUTS16 "OE: max into m32", 10
  fninit
  fldcw [cw_oe]
  mov dword [m32], 0x12345678
  fld tword [huge]
  fst dword [m32]
  call after
  SHOW16 "m32", dword [m32]
  PUTS16 "UE: min * min into ST0", 10
  fninit
  fldcw [cw_ue]
  fld tword [tiny]
  fmul st0, st0
  call after
  PUTS16 "PE: 1/3", 10
  fninit
  fldcw [cw_pe]
  fld qword [es:0x10]
  fld1
  fdiv st0, st1
  call after
  DONE16

; After an instruction with an unmasked exception: the status word (C1 aside), the FWAIT's #MF (the handler
; prints the status word and the pointers it saw), then ST(0) (read once the handler cleared the exception).
after:
  fnstsw [tmp16]
  and word [tmp16], 0xFDFF
  SHOWW "sw", [tmp16]
  mov word [mf_count], 0
  fwait
  SHOWW "mf", [mf_count]
  SHOWST0
  ret

mf_handler:
  inc word [mf_count]
  fnstenv [mf_env]
  and word [mf_env + 2], 0xFDFF
  SHOWW "mf.sw", [mf_env + 2]
  SHOWW "mf.fip", [mf_env + 6]
  SHOWW "mf.fop", [mf_env + 8]
  SHOWW "mf.fdp", [mf_env + 10]
  SHOWW "mf.fdp2", [mf_env + 12]
  fnclex
  iret

align 2
cw_a: dw 0x0A7F          ; rounding down, 53-bit precision, everything masked
cw_ze: dw 0x037B
cw_ie: dw 0x037E
cw_de: dw 0x037D
cw_oe: dw 0x0377
cw_ue: dw 0x036F
cw_pe: dw 0x035F
crafted:
  dw 0x0B7F              ; control
  dw 0x2800 | 0x4100     ; TOP = 5, C3 and C0
  dw 0x0FF2              ; the tags as written (R0 special, R1 valid, R2-R5 empty, R6 R7 valid)
  dw 0x2345              ; FIP bits 0-15
  dw 0x1000 | 0x5A5      ; FIP bits 16-19, opcode
  dw 0xBCDE              ; FDP bits 0-15
  dw 0xA000              ; FDP bits 16-19
denormal: dw 0x1234, 0, 0, 0, 0
huge: dw 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0x7FFE
tiny: dw 0, 0, 0, 0x8000, 0x0001
tmp80: times 10 db 0
tmp16: dw 0
m32: dd 0
mf_count: dw 0
env: times 28 db 0
mf_env: times 14 db 0
save: times 94 db 0
%include "lib/end.inc"
