; Block-tier fixture for the page windows of a looping block (native/src/cpu/block_exec.cpp: an inline memory
; operand skips the segment and TLB checks inside a 4 KiB window an earlier access of the block opened, until
; a handler runs). Loops that change what a window stands for between two accesses of the same pass: a
; segment load (DS's base moves a page each pass), ES loaded from the data read through the window, accesses
; walking across pages and straddling them (within 0x8000-0xBFFF), a word at DS:0xFFFF that faults (#GP, skipped by the handler) in
; the middle of a pass. block-tier.test.ts runs it with the tier on and off in lockstep; the checksum goes to
; port 0xE9.
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
  xor ebp, ebp                  ; the checksum
  mov eax, 0x9E3779B9

  ; A loop opens DS's windows on page 0; then DS moves a page each pass of a loop whose segment load ends a
  ; block: the store and the load after it must see the new base, not a window left from before.
  mov cx, 5
.warm:
  add [0x20], eax
  xor ebp, [0x10]
  dec cx
  jnz .warm
  mov bx, 0x1000
  mov cx, 40
.seg:
  mov [0x10], eax
  xor ebp, [0x20]
  mov ds, bx
  add [0x20], eax
  xor ebp, [0x10]
  rol eax, 7
  add bx, 0x100
  dec cx
  jnz .seg
  xor ax, ax
  mov ds, ax

  ; ES comes from memory read through DS's window, then a store through ES.
  mov word [0x500], 0x2000
  mov cx, 30
.es:
  mov es, [0x500]
  mov [es:0x30], ebp
  xor ebp, [es:0x34]
  add word [0x500], 0x80
  add ebp, ecx
  dec cx
  jnz .es
  xor ax, ax
  mov es, ax

  ; Walking across pages in steps that straddle them (a dword at 0x...FFE covers two pages).
  mov si, 0x1FF0
  mov cx, 600
.walk:
  add [si], ebp
  xor ebp, [si + 2]
  rol ebp, 3
  add si, 0x3F7
  and si, 0x3FFF
  or si, 0x8000
  dec cx
  jnz .walk

  ; A word at DS:0xFFFF faults in the middle of a pass; the handler skips it and folds the pass in.
  mov si, 0xFF00
  mov cx, 300
.limit:
  mov [si - 0x200], cx
  add ebp, [si - 0x100]
  mov dx, [si + 0xFF]
  add si, 1
  or si, 0xFF00
  dec cx
  jnz .limit

  PUTRAW32 ebp
  out 0xF4, al
  hlt

gp_handler:
  push bp
  mov bp, sp
  add word [bp + 2], 4          ; mov dx, [si + 0xFF] is 4 bytes
  pop bp
  inc ebp
  iret

  times 510 - ($ - $$) db 0
  dw 0xAA55
