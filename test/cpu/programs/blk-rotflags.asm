; Block-tier fixture for a rotate whose CF and OF are skipped because a later ALU op overwrites every flag with
; only memory moves between (native/src/cpu/block_exec.cpp, markDeadFlags and fixRotateFlags): in each loop a
; dword at DS:0xFFFD-0xFFFF faults (#GP) in the middle of a pass, at a store or a load between the rotate and
; its overwriter or at the overwriting load itself, and the handler folds the FLAGS image the fault pushed
; into EDI. Rotates by an immediate and by 1, left and right, at 32, 16 and 8 bits (AH and BH, the high
; bytes), by counts that mask to 0, and a load into the rotated register between (its flags then stay). Runs
; with the tier on and off in lockstep (block-tier.test.ts); the checksum goes to port 0xE9.
%include "lib/debugcon.inc"

bits 16
org 0x7C00
start:                          ; a global label first: nasm scopes the local labels below to it
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7000
  mov word [13 * 4], gp_handler
  mov [13 * 4 + 2], ax
  xor edi, edi                  ; the checksum
  xor edx, edx
  mov eax, 0x9E3779B9
  mov ebx, 0x7F4A7C15

%macro LOOP_START 0
  mov si, 0xFFE0
  mov cx, 200
%endmacro
%macro LOOP_END 1
  add si, 1
  or si, 0xFFE0
  dec cx
  jnz %1
  pushf
  pop bp
  xor di, bp
  rol edi, 3
  xor edi, edx
%endmacro

  ; The store between faults.
  mov byte [skip], .s1e - .s1
  LOOP_START
.l1:
  add eax, ebx
  rol ebx, 3
.s1:
  mov [si], eax
.s1e:
  xor edx, [si - 0x40]
  LOOP_END .l1

  ; The overwriting load faults (ROR by 1).
  mov byte [skip], .s2e - .s2
  LOOP_START
.l2:
  add eax, ebx
  ror ebx, 1
  mov [si - 0x40], eax
.s2:
  xor edx, [si]
.s2e:
  LOOP_END .l2

  ; 16 bits, a load into another register and a store between; CMP overwrites.
  mov byte [skip], .s3e - .s3
  LOOP_START
.l3:
  sub ax, bx
  rol bx, 5
  mov bp, [si - 0x40]
.s3:
  mov [si], ebx
.s3e:
  cmp dx, [si - 0x60]
  xor edx, ebp
  LOOP_END .l3

  ; 8 bits: AH rotated, BL loaded between (a different register), then BH rotated with BL loaded (the same
  ; register, EBX: its flags stay).
  mov byte [skip], .s4e - .s4
  LOOP_START
.l4:
  add eax, ebx
  rol ah, 1
  mov bl, [si - 0x40]
.s4:
  mov [si], eax
.s4e:
  and edx, [si - 0x60]
  xor edx, eax
  LOOP_END .l4
  mov byte [skip], .s5e - .s5
  LOOP_START
.l5:
  add ebx, eax
  ror bh, 3
  mov bl, [si - 0x40]
.s5:
  mov [si], eax
.s5e:
  or edx, [si - 0x60]
  xor edx, ebx
  LOOP_END .l5

  ; The rotated register itself is loaded between: its flags must stay, the fault at the overwriter shows them.
  mov byte [skip], .s6e - .s6
  LOOP_START
.l6:
  add eax, 0x3C6EF372
  rol eax, 7
  mov [si - 0x40], ebx
  mov eax, [si - 0x60]
.s6:
  sub edx, [si]
.s6e:
  LOOP_END .l6

  ; Counts that mask to 0 change no flag: the fault must show the ADD's.
  mov byte [skip], .s7e - .s7
  LOOP_START
.l7:
  add eax, ebx
  rol ebx, 32
  ror edx, 0
.s7:
  mov [si], eax
.s7e:
  xor edx, [si - 0x40]
  add ebx, 0x61C88647
  LOOP_END .l7

  PUTRAW32 edi
  out 0xF4, al
  hlt

%include "lib/fault-flags.inc"

skip: db 0

  times 510 - ($ - $$) db 0
  dw 0xAA55
