; A Multiboot2 header that requires a 640x480x16 framebuffer (the tag not optional, no EGA text support in
; the console flags), and the entry of fbdraw.c (start.inc's).
MB2_MAGIC equ 0xE85250D6
MB2_ARCH equ 0
section .multiboot
align 8
global mb_header
mb_header:
  dd MB2_MAGIC, MB2_ARCH, header_end - mb_header
  dd -(MB2_MAGIC + MB2_ARCH + (header_end - mb_header))
align 8
  dw 4, 0                             ; console flags: none (no EGA text)
  dd 12
  dd 0
align 8
  dw 5, 0                             ; framebuffer, required: 640x480x16
  dd 20
  dd 640, 480, 16
align 8
  dw 0, 0
  dd 8
header_end:

%include "start.inc"
