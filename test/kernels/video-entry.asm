; A Multiboot v1 header that asks for a video mode (flag bit 2: EGA text, 80x25) and the entry of the
; boot-information kernel (boot-info.c; the entry is start.inc's). The address fields (flag bit 16) are unused but present, since the
; video fields follow them at fixed offsets.
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x7                      ; page-align modules, memory information, video mode
section .multiboot
align 4
  dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
  dd 0, 0, 0, 0, 0                    ; header_addr .. entry_addr (flag bit 16 clear: ignored)
  dd 1, 80, 25, 0                     ; mode_type 1 (EGA text), width, height, depth

%include "start.inc"
