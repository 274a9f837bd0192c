; Debug-API fixture: an IVT limit of 0 makes #DE undeliverable: #DE -> #GP -> #DF -> shutdown.
bits 16
org 0x7C00
  xor ax, ax
  mov ds, ax
  lidt [zero_idt]
  xor cl, cl
  div cl                      ; 0x7C0B
  hlt
zero_idt: dw 0
          dd 0
