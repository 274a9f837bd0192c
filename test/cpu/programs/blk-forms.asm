; Block-tier fixture: every form the threaded executor runs inline (native/src/cpu/block_exec.cpp), in long
; straight runs fed by a pseudo-random generator, each result and the flags after it folded into a checksum:
; the eight ALU operations register-register (both directions), with an immediate (both encodings and the
; accumulator form), from memory, into memory with a register and with an immediate, at 8, 16 and 32 bits;
; MOV in all its forms (moffs included), LEA with 16- and 32-bit addresses, TEST, INC/DEC of registers and
; memory, ROL/ROR by an immediate and by 1, every Jcc taken and not taken, and a word access that wraps at
; the segment's end (the executor hands it to the interpreter), and blocks that loop on themselves. block-tier.test.ts runs it with the tier on
; and off in lockstep; the checksum goes to port 0xE9.
%include "lib/debugcon.inc"

bits 16
org 0x7C00
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7000
  mov dword [seed], 0x2545F491
  xor ebp, ebp                  ; the checksum
  mov word [passes], 300

; The next pseudo-random dword in EAX (xorshift32), kept in [seed].
%macro NEXT 0
  mov eax, [seed]
  mov edx, eax
  shl edx, 13
  xor eax, edx
  mov edx, eax
  shr edx, 17
  xor eax, edx
  mov edx, eax
  shl edx, 5
  xor eax, edx
  mov [seed], eax
%endmacro

; Folds the flags (the arithmetic ones) and a register into the checksum.
%macro FOLD 1
  pushfd
  pop edx
  and edx, 0x8D5
  add ebp, edx
  rol ebp, 5
  xor ebp, %1
%endmacro

%macro WALK 0
  mov si, 0xFF00
%%walk:
  mov ax, [si]
  add ebp, eax
  inc si
  jnz %%walk
%endmacro

pass:
%assign op 0
%rep 8
  NEXT
  mov ebx, eax
  NEXT
  mov ecx, eax
  mov [mem32], ebx
  ; register-register, both directions, three sizes
  db 0x66, op * 8 + 1, 0xCB     ; op ebx, ecx  (E,G)
  FOLD ebx
  db 0x66, op * 8 + 3, 0xD9     ; op ebx, ecx  (G,E)
  FOLD ebx
  db op * 8 + 1, 0xCB           ; op bx, cx
  FOLD ebx
  db op * 8 + 0, 0xCB           ; op bl, cl
  FOLD ebx
  db op * 8 + 2, 0xFD           ; op bh, ch    (G,E, high bytes)
  FOLD ebx
  ; immediates: 81, 83 (sign-extended), 80, and the accumulator forms
  db 0x66, 0x81, 0xC3 + op * 8
  dd 0x9E3779B9
  FOLD ebx
  db 0x83, 0xC3 + op * 8, 0x85
  FOLD ebx
  db 0x80, 0xC7 + op * 8, 0x7F  ; op bh, 0x7F
  FOLD ebx
  mov eax, ecx
  db 0x66, op * 8 + 5
  dd 0x80000001
  FOLD eax
  db op * 8 + 4, 0x80           ; op al, 0x80
  FOLD eax
  ; memory: load, read-modify-write with a register and an immediate
  db 0x66, op * 8 + 3, 0x1E     ; op ebx, [mem32]
  dw mem32
  FOLD ebx
  db 0x66, op * 8 + 1, 0x0E     ; op [mem32], ecx
  dw mem32
  FOLD dword [mem32]
  db op * 8 + 0, 0x2E           ; op [mem32 + 1], ch
  dw mem32 + 1
  FOLD dword [mem32]
  db 0x83, 0x06 + op * 8        ; op word [mem32 + 2], imm8
  dw mem32 + 2
  db 0xF3
  FOLD dword [mem32]
  db 0x66, 0x81, 0x06 + op * 8  ; op dword [mem32], imm32
  dw mem32
  dd 0x01234567
  FOLD dword [mem32]
%assign op op + 1
%endrep

  ; MOV, LEA, TEST, INC/DEC, rotates
  NEXT
  mov esi, eax
  and si, 0x1FE
  mov [table + si], eax         ; store, base + displacement
  mov ebx, [table + si]         ; load
  mov [table + si + 4], bl
  mov cl, [table + si + 4]
  mov word [table + si + 6], 0x1234
  mov byte [table + si + 8], 0x56
  mov ax, [moffs]               ; A1
  mov [moffs + 2], al           ; A2
  mov eax, [moffs]              ; A1 32-bit
  mov [moffs + 4], eax          ; A3 32-bit
  mov dx, bx
  mov dh, cl
  mov edi, 0x12345678
  mov di, 0x4321
  mov bl, 0x9A
  lea di, [bx + si + 0x100]
  lea edi, [esi * 4 + ebx + 0x10000]
  lea eax, [eax + eax * 2]
  test eax, edi
  FOLD eax
  test cl, 0x81
  FOLD ecx
  test dx, 0xF00F
  FOLD edx
  test al, 0x40
  FOLD edi
  inc ax
  FOLD eax
  dec ebx
  FOLD ebx
  inc byte [table + si]
  FOLD dword [table + si]
  dec word [table + si + 2]
  FOLD dword [table + si]
  inc dword [table + si + 4]
  FOLD dword [table + si + 4]
  dec dl
  FOLD edx
  inc edi
  FOLD edi
  rol eax, 7
  FOLD eax
  ror bx, 3
  FOLD ebx
  rol cl, 1
  FOLD ecx
  ror edx, 1
  FOLD edx
  rol al, 0                     ; a count of 0 changes nothing, flags included
  FOLD eax
  ror ax, 17
  FOLD eax

  ; Every condition, taken or not, on flags from the generator.
%assign cc 0
%rep 16
  NEXT
  cmp eax, [seed + 4]
  mov [seed + 4], eax
  db 0x70 + cc, 2               ; jcc short over the INC
  inc ebp
  nop
  sub ax, cx
  db 0x0F, 0x80 + cc            ; jcc near over the ROL
  dw 3
  rol ebp, 1
  nop
  add ebp, eax
%assign cc cc + 1
%endrep
  jmp short .over
  hlt
.over:
  jmp near .over2
  hlt
.over2:
  ; A word read at offset 0xFFFF of DS: past the segment's end (#GP in real mode on a 386): the interpreter's
  ; business. The handler below skips the 4-byte instruction.
  mov word [13 * 4], gp_handler
  mov word [13 * 4 + 2], 0
  mov bx, 0xFFFF
  mov cx, 0x1111
  mov cx, [bx]
  add ebp, ecx
  ; Dead flags: an instruction whose flags a later register-only ALU operation or TEST overwrites, with only
  ; moves and LEA between, skips them inline; one with a load between keeps them (the load faults, and the
  ; #GP handler folds the FLAGS image the fault pushed), and so does one whose overwriter is ADC (it reads CF).
  mov cx, 40
.dead:
  NEXT
  mov ebx, eax
  add eax, ebx
  mov edx, ecx
  lea esi, [ebx + ecx * 2 + 5]
  sub ax, bx
  inc dx
  and dl, 0x3F
  test dx, 0x10
  FOLD eax
  NEXT
  sub eax, 0x7FFF
  mov bx, 0xFFFF
  mov dx, [bx]
  xor ax, dx
  FOLD eax
  NEXT
  cmp eax, 0x80000000
  mov dx, ax
  adc dx, 7
  FOLD edx
  dec cx
  jnz .dead
  ; Blocks that jump back to their own start run again in place: a tight loop with a store, then one whose
  ; word read at DS:0xFFFF faults in the middle of a pass (again just before the exit, so the history rings
  ; the test compares at the end hold its passes).
  mov cx, 200
.tight:
  add eax, ecx
  rol eax, 3
  xor [mem32], eax
  dec cx
  jnz .tight
  WALK
  dec word [passes]
  jnz pass

  PUTRAW32 ebp
  WALK
  out 0xF4, al
  hlt

gp_handler:
  push bp
  mov bp, sp
  add word [bp + 2], 2          ; mov cx, [bx] (and mov dx, [bx]) is 2 bytes
  push edx
  movzx edx, word [bp + 6]      ; FLAGS as the fault pushed them
  and dx, 0x8D5
  mov [gpflags], dx
  pop edx
  pop bp
  inc ebp
  push edx
  movzx edx, word [gpflags]
  add ebp, edx
  pop edx
  iret

align 4
seed: dd 0, 0
passes: dw 0
gpflags: dw 0
mem32: dd 0
moffs: dd 0x0BADF00D, 0, 0
table: times 0x220 db 0
