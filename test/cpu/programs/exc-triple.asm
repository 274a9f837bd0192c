; A triple fault: with an IDT limit of 0, #UD cannot be delivered (#GP), nor can that #GP (#DF), nor the
; #DF: the processor shuts down. QEMU (-no-reboot) exits; Bootvisor reports Shutdown with the fault chain.
; expect: shutdown
; chain: IDT limit 0x0000 is below vector 0x0D's descriptor
%include "lib/boot.inc"
%include "lib/pm.inc"

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  mov word [idt_desc], 0
  lidt [idt_desc]
  PUTS32 "idt limit 0", 10
  ud2
  PUTS32 "not reached", 10
  DONE32

%include "lib/end.inc"
