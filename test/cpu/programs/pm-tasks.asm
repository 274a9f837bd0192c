; Hardware task switches between two 32-bit TSSs: JMP to a TSS, CALL through a task gate (back link, NT),
; IRET back through the link, INT n through a task gate in the IDT; the busy bits, CR0.TS, and the registers
; each task keeps in its TSS.
%include "lib/boot.inc"
%include "lib/pm.inc"

%macro SHOW_TYPE 2   ; name, selector: the descriptor's type nibble (busy bit = 2)
  mov ebx, %2
  lar eax, ebx
  shr eax, 8
  and eax, 0xF
  SHOW32 %1, eax
%endmacro

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  mov dword [tss2 + 0x20], task2_entry
  ; vector 0x1E: a task gate to the second task
  mov word [idt + 0x1E * 8 + 2], SEL_TSS2
  mov word [idt + 0x1E * 8 + 4], 0x8500
  SHOW_TYPE "tss1.type", SEL_TSS
  SHOW_TYPE "tss2.type", SEL_TSS2
  mov eax, 0x11111111
  mov esi, 0x5151
  jmp SEL_TSS2:0
  ; back from task 2 (its JMP)
  SHOW32 "t1.eax", eax
  SHOW32 "t1.esi", esi
  mov eax, cr0
  and eax, 8
  SHOW32 "t1.cr0.ts", eax
  clts
  SHOW_TYPE "tss1.type2", SEL_TSS
  SHOW_TYPE "tss2.type2", SEL_TSS2
  call SEL_TGATE:0
  ; back from task 2 (its IRET)
  pushfd
  pop eax
  and eax, 0x4000
  SHOW32 "t1.nt", eax
  SHOW_TYPE "tss2.type3", SEL_TSS2
  SHOW32 "tss2.link", [tss2]
  int 0x1E
  SHOW_TYPE "tss2.type4", SEL_TSS2
  str eax
  and eax, 0xFFFF
  SHOW32 "t1.tr", eax
  ; a JMP to the busy TSS of the running task: #GP(0x28)
  TRY t_busy
  jmp SEL_TSS:0
t_busy:
  SHOW32 "exceptions", [exc_count]
  DONE32

task2_entry:
  PUTS32 "task2 via jmp", 10
  SHOW32 "t2.eax", eax
  mov eax, esp
  SHOW32 "t2.esp", eax
  str eax
  and eax, 0xFFFF
  SHOW32 "t2.tr", eax
  pushfd
  pop eax
  and eax, 0x4000
  SHOW32 "t2.nt", eax
  mov esi, 0x2222
  jmp SEL_TSS:0
  PUTS32 "task2 via call", 10
  pushfd
  pop eax
  and eax, 0x4000
  SHOW32 "t2.nt2", eax
  SHOW32 "t2.esi", esi
  SHOW32 "t2.link", [tss2]
  SHOW_TYPE "t2.tss1.type", SEL_TSS
  iret
  PUTS32 "task2 via int", 10
  pushfd
  pop eax
  and eax, 0x4000
  SHOW32 "t2.nt3", eax
  iret

%include "lib/end.inc"
