; Privilege changes in 32-bit protected mode: IRET to ring 3, a far call from ring 3 through a call gate to
; ring 0 with a parameter (stack switch through the TSS, RETF back to ring 3), faults in ring 3 delivered to
; ring 0 on the TSS's ESP0 stack, INT n against the gate DPL, IOPL-sensitive instructions, and data segment
; registers nulled by a return to an outer ring.
%include "lib/boot.inc"
%include "lib/pm.inc"

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  ; IDT vector 0x30: a trap gate of DPL 3 (INT 0x30 allowed from ring 3); vector 0x31 stays DPL 0.
  mov eax, LIN(int30_handler)
  mov [idt + 0x30 * 8], ax
  mov word [idt + 0x30 * 8 + 2], SEL_CODE0
  mov word [idt + 0x30 * 8 + 4], 0xEF00
  shr eax, 16
  mov [idt + 0x30 * 8 + 6], ax
  mov word [idt_desc], 0x31 * 8 + 7
  lidt [idt_desc]

  mov [saved_esp], esp
  TRY after_ring3_1
  mov ax, SEL_DATA0
  mov ds, ax                      ; DPL 0 in DS: nulled by the IRET to ring 3
  TO_RING3 0x3002                 ; IOPL 3 so ring 3 may print
  mov eax, cs
  mov ebx, ss
  mov ecx, ds
  mov edx, esp
  mov ax, SEL_DATA3 | 3
  mov ds, ax
  mov es, ax
  SHOW32 "r3.ds-nulled", ecx
  mov eax, cs
  SHOW32 "r3.cs2", eax
  SHOW32 "r3.ss", ebx
  SHOW32 "r3.esp", edx
  push dword 0xABCD1234           ; the call gate copies one dword parameter
  call SEL_CGATE | 3:0
  mov eax, esp
  SHOW32 "r3.after-gate-esp", eax
  mov eax, cs
  SHOW32 "r3.after-gate-cs", eax
  int 0x30                        ; DPL-3 trap gate: allowed
  SHOW32 "r3.after-int30", [int30_count]
  int 0x31                        ; DPL-0 gate from ring 3: #GP(0x31*8+2), delivered on ESP0's stack
after_ring3_1:
  mov eax, cs
  SHOW32 "back.cs", eax
  TRY after_ring3_2
  TO_RING3 0x0002                 ; IOPL 0
  cli                             ; #GP(0)
after_ring3_2:
  TRY after_ring3_3
  TO_RING3 0x0002
  out 0x80, al                    ; #GP(0): CPL > IOPL and no I/O bitmap
after_ring3_3:
  TRY after_ring3_4
  TO_RING3 0x0002
  mov eax, cr0                    ; #GP(0)
after_ring3_4:
  TRY after_ring3_5
  TO_RING3 0x0002
  hlt                             ; #GP(0)
after_ring3_5:
  TRY after_ring3_6
  TO_RING3 0x0002
  mov ax, SEL_DATA0
  mov ds, ax                      ; DPL 0 data from CPL 3: #GP(0x10)
after_ring3_6:
  TRY after_ring3_7
  TO_RING3 0x0002
  jmp SEL_CODE0:0                 ; direct far JMP to ring 0: #GP(0x08)
after_ring3_7:
  TRY after_ring3_8
  TO_RING3 0x3002
  mov ax, SEL_CODE0C
  mov ds, ax                      ; conforming readable code into DS from ring 3: allowed
  mov eax, ds
  SHOW32 "r3.ds-conforming", eax
  mov ax, SEL_CGATE | 3
  mov es, ax                      ; a gate into ES: #GP(0x50)
after_ring3_8:
  ; conforming code: a far jump from ring 0 keeps CPL 0
  jmp SEL_CODE0C:conf_target
conf_target:
  mov eax, cs
  SHOW32 "conforming.cs", eax
  jmp SEL_CODE0:conf_back
conf_back:
  SHOW32 "exceptions", [exc_count]
  DONE32

int30_handler:
  push ds
  push eax
  mov ax, SEL_DATA0
  mov ds, ax
  inc dword [int30_count]
  pop eax
  pop ds
  iret
int30_count: dd 0
saved_esp: dd 0

%include "lib/end.inc"
