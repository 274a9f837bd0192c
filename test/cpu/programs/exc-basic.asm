; Exceptions through the IDT in 32-bit protected mode: #DE, #UD, #BP, #OF, #BR, INT n past the IDT limit,
; INT n through a gate whose DPL is below CPL, and an interrupt gate that clears IF.
%include "lib/boot.inc"
%include "lib/pm.inc"

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  TRY next1
  xor edx, edx
  mov eax, 100
  xor ecx, ecx
  div ecx                         ; #DE
next1:
  TRY next2
  mov eax, 0x80000000
  cdq
  mov ecx, -1
  idiv ecx                        ; #DE (quotient overflow)
next2:
  TRY next3
  ud2                             ; #UD
next3:
  TRY next4
  db 0x0F, 0xFF                   ; #UD (reserved opcode)
next4:
  TRY next5
  int3                            ; #BP, a trap: eip past it
next5:
  TRY next6
  mov eax, 0x7FFFFFFF
  add eax, 1
  into                            ; #OF
next6:
  TRY next7
  mov eax, 10
  bound eax, [bounds]             ; #BR
next7:
  TRY next8
  mov eax, 3
  bound eax, [bounds]             ; in range: no fault
  PUTS32 "bound ok", 10
next8:
  TRY next9
  int 0x40                        ; vector past the IDT limit: #GP(0x40*8+2)
next9:
  TRY next10
  sti
  int 0x03                        ; INT 3 through an interrupt gate: IF cleared in the handler's frame?
next10:
  pushfd
  pop eax
  and eax, 0x200
  SHOW32 "if-after", eax
  cli
  TRY next11
  mov ax, 0x1234
  mov ss, ax                      ; a selector past the GDT limit into SS: #GP(0x1230)
next11:
  TRY next12
  lock add eax, ebx               ; LOCK on a register destination: #UD
next12:
  TRY next13
  mov eax, dr4                    ; CR4.DE=0: DR4 aliases DR6
  SHOW32 "dr4", eax
next13:
  TRY next14
  db 0x8E, 0xC8                   ; mov cs, ax: #UD
next14:
  SHOW32 "exceptions", [exc_count]
  DONE32

bounds: dd 0, 5

%include "lib/end.inc"
