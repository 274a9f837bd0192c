; A delay timed with the PIT, written the way boot sectors do it: latch channel 0, read its count (LSB, MSB),
; add up how far it went down since the last read (a 16-bit difference survives the reload), until 60000
; counts have gone by (50.3 ms). Channel 0 is set to mode 2 with the full count first, as SeaBIOS leaves it
; (Bootvisor's BIOS leaves mode 3, as IBM's did, which counts down by two), so that QEMU and Bootvisor count
; alike. 40 such delays with interrupts on (2.01 s), then the BIOS ticks they took (about 37) as two hex
; digits on COM1, and out through the isa-debug-exit port, so QEMU and Bootvisor can run the same image.
bits 16
org 0x7c00
boot:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7c00
  mov al, 0x34              ; channel 0: LSB then MSB, mode 2, binary
  out 0x43, al
  xor al, al                ; count 65536: 18.2 ticks per second
  out 0x40, al
  out 0x40, al
  sti
  hlt                       ; start on a tick
  mov ax, [0x46c]
  mov [start], ax
  mov si, 40
.again:
  call delay
  dec si
  jnz .again
  mov ax, [0x46c]
  sub ax, [start]
  mov dl, al
  mov al, 'T'
  call put
  mov al, dl
  shr al, 4
  call hexdigit
  mov al, dl
  and al, 0x0f
  call hexdigit
  mov al, 10
  call put
  mov al, 0
  out 0xf4, al
  cli
  hlt

delay:                      ; waits until 60000 counts of channel 0 have gone by
  call pit_read
  mov bx, ax                ; the count at the last read
  xor di, di                ; counts gone by
.poll:
  call pit_read
  mov cx, bx
  sub cx, ax                ; how far it went down since the last read
  mov bx, ax
  add di, cx
  cmp di, 60000
  jb .poll
  ret

pit_read:                   ; AX = channel 0's count
  mov al, 0x00              ; latch channel 0
  out 0x43, al
  in al, 0x40
  mov ah, al
  in al, 0x40
  xchg al, ah
  ret

hexdigit:
  add al, '0'
  cmp al, '9'
  jbe put
  add al, 7
put:
  push dx
  mov dx, 0x3f8
  out dx, al
  pop dx
  ret

start: dw 0
times 510-($-$$) db 0
dw 0xaa55
