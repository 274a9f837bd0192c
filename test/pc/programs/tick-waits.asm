; A game's frame loop, four ways of waiting for the next timer tick in turn: polling INT 1Ah, polling the
; BIOS tick count at 0040:006C, INT 15h AH=86h for 55 ms, and HLT until IRQ0. Runs forever (a test reads
; the tick count and the frames drawn); every 16 frames it draws a character, as a game redraws.
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  sti
frame:
  mov ah, 0                 ; 1. poll the BIOS clock
  int 0x1a
  mov bx, dx
.poll1a:
  mov ah, 0
  int 0x1a
  cmp dx, bx
  je .poll1a
  mov ax, [0x46c]           ; 2. poll the tick count in the BIOS data area
.pollbda:
  cmp ax, [0x46c]
  je .pollbda
  mov ah, 0x86              ; 3. sleep one tick's worth through the BIOS
  mov cx, 0
  mov dx, 54925
  int 0x15
  hlt                       ; 4. sleep until the next interrupt (IRQ0)
  inc word [frames]
  test word [frames], 15
  jnz frame
  mov ax, 0x0e2a            ; a '*' every 16 frames
  int 0x10
  jmp frame
frames: dw 0
times 510-($-$$) db 0
dw 0xaa55
