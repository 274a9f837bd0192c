; Workload (c): the instruction mix of a real boot sector, in real mode with interrupts on (the BIOS's IRQ0
; handler runs at 18.2 Hz): 16-bit code with 32-bit address forms (scaled index, 32-bit displacement),
; string instructions (REP MOVSW, LODSW, STOSW), port I/O (the VGA status port a retrace wait polls, port
; 0x61), and three BIOS calls per pass: INT 1Ah AH=00h (tick count), INT 16h AH=01h (key waiting?) and
; INT 10h AH=0Eh (a character on the screen, which scrolls it). Its loop counter lives in memory.
; ITERATIONS x PER_ITERATION instructions of its own (what the BIOS executes inside a call is not counted)
; plus a constant. Assemble with nasm -DITERATIONS=N.
PER_ITERATION equ 28
org 0x7C00
bits 16
%include "start.inc"
  sti
  mov dword [0x5F0], ITERATIONS
  xor ebp, ebp
.loop:
  mov eax, [ebp * 4 + 0x600]
  add eax, [0x5F0]
  mov [ebp * 4 + 0x600], eax
  lea edx, [eax + ebp * 2 + 1]
  xor [dword 0x700], edx
  inc ebp
  and ebp, 15
  mov si, 0x600
  mov di, 0x800
  mov cx, 16
  cld
  rep movsw
  mov si, 0x800
  lodsw
  add ax, [si]
  stosw
  mov dx, 0x3DA
  in al, dx
  in al, 0x61
  xor ah, ah
  int 0x1A
  mov ah, 0x01
  int 0x16
  mov ax, 0x0E2E
  xor bx, bx
  int 0x10
  dec dword [0x5F0]
  jnz .loop
%include "exit.inc"
  times 510 - ($ - $$) db 0
  dw 0xAA55
