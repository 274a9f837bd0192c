; A Multiboot2 header (specification 2.0) and the entry of the boot-information kernel (boot-info.c): the
; header asks, as a requirement, for every information tag Bootvisor's loader gives (command line, loader
; name, modules, basic memory information, memory map, framebuffer), says it can use EGA text, and asks for
; a framebuffer with no preferred mode, marked optional. The entry is start.inc's.
MB2_MAGIC equ 0xE85250D6
MB2_ARCH equ 0                        ; i386, protected mode
section .multiboot
align 8
header_start:
  dd MB2_MAGIC, MB2_ARCH, header_end - header_start
  dd -(MB2_MAGIC + MB2_ARCH + (header_end - header_start))
align 8
  dw 1, 0                             ; information request, required
  dd 8 + 6 * 4
  dd 1, 2, 3, 4, 6, 8
align 8
  dw 4, 0                             ; console flags: EGA text supported (bit 1)
  dd 12
  dd 2
align 8
  dw 5, 1                             ; framebuffer, optional: no preferred width, height or depth
  dd 20
  dd 0, 0, 0
align 8
  dw 0, 0                             ; end
  dd 8
header_end:

%include "start.inc"
