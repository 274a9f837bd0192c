; A triple fault that starts with a page fault: paging on, the IDT limit 0, a read from a page whose PDE is
; not present. #PF cannot be delivered (#GP), nor that #GP (#DF), nor the #DF: shutdown. Bootvisor's fault
; chain must name the missing page and the IDT limit.
; expect: shutdown
; chain: page 0x00401000 not present (PDE 1)
; chain: IDT limit 0x0000 is below vector 0x0E's descriptor
%include "lib/boot.inc"
%include "lib/pm.inc"

PD equ 0x2000

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  mov edi, PD
  xor eax, eax
  mov ecx, 1024
  rep stosd
  mov dword [PD], 0x00000083      ; one 4 MiB page: 0-4 MiB identity; PDE 1 absent
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov eax, PD
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  PUTS32 "paging on", 10
  mov word [idt_desc], 0
  lidt [idt_desc]
  mov eax, [0x401234]
  PUTS32 "not reached", 10
  DONE32

%include "lib/end.inc"
