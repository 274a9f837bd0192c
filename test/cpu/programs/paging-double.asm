; A page fault while delivering a page fault is a double fault: the stack is moved onto a page that is not
; present, INT3 cannot push its frame (#PF), nor can that #PF (#DF). The #DF goes through a task gate to a
; second task with its own stack, as toy kernels handle it; that task reports CR2, its error code and the
; interrupted task's state from the TSS, then ends the test.
%include "lib/boot.inc"
%include "lib/pm.inc"
%include "lib/paging.inc"

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  mov dword [tss2 + 0x20], task2_entry
  IDENTITY_PT 0x003
  mov dword [PD], PT | 3
  mov dword [PT + 0x30 * 4], 0    ; 0x30000 not present
  mov eax, PD
  mov cr3, eax
  mov dword [tss2 + 0x1C], PD     ; the #DF task runs with the same page tables
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  ; #DF -> task gate
  mov word [idt + 8 * 8 + 2], SEL_TSS2
  mov word [idt + 8 * 8 + 4], 0x8500
  PUTS32 "paging on", 10
  ; first a #PF that is delivered normally
  TRY q1
  mov eax, [0x30000]
q1:
  mov eax, 0xA5A5A5A5
  mov esp, 0x30100                ; a stack on the missing page
  int3
  PUTS32 "not reached", 10
  DONE32

task2_entry:
  PUTS32 "double fault task", 10
  pop eax                         ; the #DF error code, pushed on this task's stack
  SHOW32 "df.err", eax
  mov eax, cr2
  SHOW32 "df.cr2", eax
  mov eax, esp
  SHOW32 "df.esp", eax
  SHOW32 "t1.eax", [tss + 0x28]
  SHOW32 "t1.esp", [tss + 0x38]
  str eax
  and eax, 0xFFFF
  SHOW32 "tr", eax
  SHOW32 "link", [tss2]
  SHOW32 "exceptions", [exc_count]
  DONE32

%include "lib/end.inc"
