; JIT fixture (native/src/cpu/jit_x64.cpp): every whitelisted form at 16 and 32 bits inside a loop the JIT
; compiles, on operands that change every pass (a mixer in EBP), once spread over all 32 bits and once
; confined to the values where carries, overflows, zeros and signs happen (0-3 and the sign bits). After the
; form under test a dword store at DS:SI faults (#GP: SI walks 0xFFE0-0xFFFF, and 0xFFFD-0xFFFF cross the
; segment's end) in 3 passes of every 32: the JIT stops before it with the state exact, the threaded code
; raises the fault, and the handler folds the FLAGS image into EDI (so every flag each form leaves is
; checked, at every pass that faults). Then loops with other branches at their end, a loop left only by a
; fault (JMP back), a loop whose code is rewritten between its runs and one that stores into its own code,
; each pass. Runs in lockstep with the JIT on and off and the tier off (jit-tier.test.ts); IF is set so the
; harness can inject interrupts mid-loop (vector 0x40 counts them). The checksum goes to port 0xE9.
%include "lib/debugcon.inc"

bits 16
org 0x7C00
start:
  cli
  xor ax, ax
  mov ss, ax
  mov sp, 0x7000
  mov ds, ax
  mov word [13 * 4], gp_handler
  mov [13 * 4 + 2], ax
  mov word [0x40 * 4], irq_handler
  mov [0x40 * 4 + 2], ax
  mov ax, 0x2000                ; data: linear 0x20000-0x2FFFF, away from the code
  mov ds, ax
  mov es, ax
  xor edi, edi                  ; the checksum
  mov ebp, 0x9E3779B9           ; the mixer
  xor edx, edx
  sti

; FORM mask, instruction...: the instruction in a loop, EAX and EBX fresh each pass and ANDed with mask.
%macro FORM 2+
  mov byte [cs:skip], %%se - %%s
  mov si, 0xFFE0
  mov cx, 160
%%l:
  rol ebp, 5
  add ebp, 0x7F4A7C15
  mov eax, ebp
  xor ebx, eax
  ror ebx, 7
  and eax, %1
  and ebx, %1
  %2
%%s:
  mov [si], eax
%%se:
  inc si                        ; not ADD: the threaded tier would then recompute a rotate's CF and OF here
  or si, 0xFFE0
  dec cx
  jnz %%l
  pushf
  pop ax
  xor di, ax
  rol edi, 3
  xor edi, edx
  xor edi, eax
  add edi, ebx
%endmacro
%macro BOTH 1+
  FORM 0xFFFFFFFF, %1
  FORM 0x80008003, %1
%endmacro
; The GE encoding (03 /r and friends) of op eax, ebx / ax, bx.
%define GE32(op) db 0x66, (op << 3) | 3, 0xC3
%define GE16(op) db (op << 3) | 3, 0xC3

  ; ALU register, register (r/m op= reg), both sizes
  BOTH add eax, ebx
  BOTH add ax, bx
  BOTH or eax, ebx
  BOTH or bx, ax
  BOTH and eax, ebx
  BOTH and ax, bx
  BOTH sub eax, ebx
  BOTH sub bx, ax
  BOTH xor eax, ebx
  BOTH xor ax, bx
  BOTH cmp eax, ebx
  BOTH cmp bx, ax
  BOTH add eax, eax
  BOTH sub ebx, ebx
  ; reg op= r/m
  BOTH GE32(0)
  BOTH GE16(0)
  BOTH GE32(1)
  BOTH GE32(4)
  BOTH GE16(5)
  BOTH GE32(5)
  BOTH GE32(6)
  BOTH GE16(7)
  BOTH GE32(7)
  ; immediates: 81, 83 (sign-extended) and the accumulator's short forms
  BOTH add eax, 0x7FFFFFFF
  BOTH add bx, 0x8000
  BOTH sub eax, 0x80000000
  BOTH sub bx, 1
  BOTH cmp ebx, 0x80000001
  BOTH cmp ax, 0x7FFF
  BOTH and ebx, 0xFFFF0003
  BOTH or bx, 0x8001
  BOTH xor ebx, 0x55AA55AA
  BOTH add ebx, byte -1
  BOTH sub bx, byte -3
  BOTH cmp ebx, byte 2
  BOTH and bx, byte 0x7F
  BOTH add eax, strict dword 0x12345678
  BOTH or ax, strict word 0x1234
  BOTH sub eax, strict dword 3
  BOTH cmp ax, strict word 0x8000
  ; memory sources (the loads go through DS's read window; those past it take the threaded way)
  BOTH add eax, [si - 0x40]
  BOTH sub bx, [si - 0x3F]
  BOTH cmp eax, [esi - 0x20]
  BOTH xor bx, [si + 0x100]      ; wraps to 0x00E0-0x00FF
  BOTH and eax, [esi * 2 - 0x1FF00]
  BOTH or eax, [ss:esp]
  ; TEST
  BOTH test eax, ebx
  BOTH test bx, ax
  BOTH test eax, 0x80000001
  BOTH test ax, 0x8001
  BOTH test ebx, 0x10
  BOTH test bx, 3
  ; INC, DEC: both encodings
  BOTH inc eax
  BOTH dec ax
  BOTH inc bx
  BOTH dec ebx
  BOTH db 0x66, 0xFF, 0xC0      ; inc eax (FF /0)
  BOTH db 0xFF, 0xCB            ; dec bx (FF /1)
  ; ROL, ROR by 1 and by immediates, counts that mask to 0 or a whole turn
  BOTH rol eax, 1
  BOTH ror eax, 1
  BOTH rol ax, 1
  BOTH ror bx, 1
  BOTH rol eax, 3
  BOTH ror eax, 31
  BOTH rol bx, 15
  BOTH ror ax, 9
  BOTH rol ax, 16
  BOTH ror bx, 17
  BOTH rol eax, 32
  BOTH ror ebx, 0
  BOTH db 0x66, 0xC1, 0xC0, 0x21  ; rol eax, 33 (masks to 1)
  ; moves, LEA (no flags: the mixer's stay)
  BOTH mov edx, eax
  BOTH mov dx, bx
  BOTH db 0x66, 0x8B, 0xD0      ; mov edx, eax (8B)
  BOTH mov edx, 0x12345678
  BOTH mov dx, 0xBEEF
  BOTH db 0x66, 0xC7, 0xC2, 0x78, 0x56, 0x34, 0x12  ; mov edx, imm32 (C7 /0)
  BOTH db 0xC7, 0xC2, 0xEF, 0xBE                    ; mov dx, imm16 (C7 /0)
  BOTH mov edx, [si - 0x40]
  BOTH mov dx, [si - 0x3F]
  BOTH mov [si - 0x50], ebx
  BOTH mov [si - 0x4F], bx
  BOTH mov dword [si - 0x60], 0x89ABCDEF
  BOTH mov word [si - 0x61], 0x1357
  BOTH mov [0x8000], eax
  BOTH mov ax, [0x8000]
  BOTH mov edx, [ss:esp + 2]
  BOTH lea edx, [eax + ebx * 4 + 0x10]
  BOTH lea dx, [bx + si + 3]
  BOTH lea edx, [ebx * 8]
  BOTH lea dx, [0x1234]
  BOTH lea edx, [eax + 0x80000000]

; A rotate first in its loop with no lazy record (POPF leaves the flags exact): it must not mark one
; (LZ_OF_EXACT) where there is none. The first pass faults (SI starts at 0xFFFD), straight after the rotate.
%macro ROTFIRST 1+
  mov byte [cs:skip], %%se - %%s
  pushf
  pop ax
  xor ax, 0x08D5                ; every arithmetic flag the other way
  push ax
  popf
  mov si, 0xFFFD
  mov cx, 40
  jmp %%l                       ; so the first pass is the loop's block (not the tail of this one)
%%l:
  %1
%%s:
  mov [si], eax
%%se:
  inc si
  or si, 0xFFE0
  dec cx
  jnz %%l
%endmacro
  ROTFIRST rol ebx, 5
  ROTFIRST ror ebx, 1
  ROTFIRST rol bx, 3
  ROTFIRST ror bx, 9

; Other branches at a loop's end, each on the flags of the instruction before it.
%macro BRANCH 3+
  mov cx, %1
  xor bx, bx
%%l:
  rol ebp, 5
  add ebp, 0x7F4A7C15
  xor edx, ebp
  mov [si - 0x40], edx
  inc bx
  mov [si - 0x30], bx
  %3
  %2 %%l
  xor edi, ecx
  rol edi, 1
  xor edi, edx
%endmacro
  mov si, 0x8000
  BRANCH 300, ja, sub cx, 1
  BRANCH 300, jc, add cx, 0xFFFF
  BRANCH 300, jg, dec cx
  BRANCH 300, jns, sub cx, 1
  BRANCH 300, jnl, sub cx, 1
  BRANCH 300, jne, cmp cx, [si - 0x30]
  BRANCH 300, jpe, sub cx, 1
  BRANCH 300, jno, add cx, 0x6000
  BRANCH 300, jnbe, cmp edx, ecx
  BRANCH 300, jnz, test dx, 0x0F00
  BRANCH 300, jnb, sub cx, 7
  BRANCH 300, jnle, inc cx
  BRANCH 300, jc, dec cx         ; INC/DEC keep CF: this one stays on the threaded code

  ; A loop that only a fault leaves: the handler returns past it.
  mov byte [cs:skip], .jout - .js
  mov si, 0xFFE0
.jl:
  add eax, ebx
  rol ebx, 3
.js:
  mov [si], eax
  add si, 1
  or si, 0xFFE0
  jmp .jl
.jout:
  xor edi, eax
  xor edi, ebx

  ; Twelve rounds of ten different loops: with a small code memory (jit-tier.test.ts runs this with 4 KiB)
  ; it fills and starts again between one round's run of a loop and the next, whose code must be compiled
  ; again, not taken from where it was.
%macro ROUND 1
  mov cx, 24
%%l:
  add eax, 0x01000193 * %1
  rol ebx, %1
  xor eax, ebx
  mov [si - 0x40], eax
  sub edx, eax
  dec cx
  jnz %%l
%endmacro
  mov si, 0x8000
  mov bp, 12
.round:
%assign k 1
%rep 10
  ROUND k
%assign k k + 1
%endrep
  xor edi, edx
  rol edi, 1
  dec bp
  jnz .round

  ; A loop run again after its immediate was rewritten (the compiled code must go with the old bytes).
  mov dx, 4
.again:
  mov cx, 500
.sl:
  add eax, 0x11111111
.simm equ $ - 4
  rol eax, 1
  dec cx
  jnz .sl
  xor edi, eax
  add dword [cs:.simm], 0x01030507
  dec dx
  jnz .again

  ; A loop that stores into its own code every pass.
  mov cx, 300
.wl:
  add eax, 0x01010101
.wimm equ $ - 4
  mov [cs:.wimm], ecx
  rol eax, 3
  dec cx
  jnz .wl
  xor edi, eax

  cli
  PUTRAW32 edi
  PUTRAW32 [cs:irqs]
  out 0xF4, al
  hlt

%include "lib/fault-flags.inc"

irq_handler:
  inc dword [cs:irqs]
  iret

skip: db 0
irqs: dd 0
