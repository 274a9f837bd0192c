; Virtual-8086 mode: IRETD from ring 0 with VM set enters it; real-mode segment arithmetic there; INT n goes
; to the protected-mode IDT (gate DPL 3) on the TSS's ring-0 stack with the V86 frame (GS FS DS ES SS ESP
; EFLAGS CS EIP) and DS..GS nulled; IRETD back to V86; HLT (CPL 3) faults with #GP to ring 0, and so do
; INT n and CLI with IOPL 0.
%include "lib/boot.inc"
%include "lib/pm.inc"

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  mov eax, LIN(v86_int)           ; vector 0x1D: 32-bit interrupt gate, DPL 3
  mov [idt + 0x1D * 8], ax
  mov word [idt + 0x1D * 8 + 2], SEL_CODE0
  mov word [idt + 0x1D * 8 + 4], 0xEE00
  shr eax, 16
  mov [idt + 0x1D * 8 + 6], ax
  TRY after_v86
  push dword 0x0000               ; gs
  push dword 0x0000               ; fs
  push dword 0x0000               ; ds
  push dword 0x0100               ; es
  push dword 0x0000               ; ss
  push dword 0x6000               ; esp
  push dword 0x00023002           ; eflags: VM, IOPL 3
  push dword 0x0000               ; cs
  push dword LIN(v86_code)        ; eip
  iretd
after_v86:
  SHOW32 "v86.result", [0x1000]
  ; again with IOPL 0: INT n and CLI fault with #GP(0) instead
  TRY after_v86_2
  push dword 0
  push dword 0
  push dword 0
  push dword 0
  push dword 0
  push dword 0x6000
  push dword 0x00020002           ; eflags: VM, IOPL 0
  push dword 0
  push dword LIN(v86_iopl0)
  iretd
after_v86_2:
  TRY after_v86_3
  push dword 0
  push dword 0
  push dword 0
  push dword 0
  push dword 0
  push dword 0x6000
  push dword 0x00020002
  push dword 0
  push dword LIN(v86_cli)
  iretd
after_v86_3:
  SHOW32 "exceptions", [exc_count]
  DONE32

bits 16
v86_code:
  mov ax, 0x0100
  mov ds, ax                      ; base 0x1000
  mov word [0], 0xBEEF
  mov word [2], 0x0086
  mov bx, 0x4321
  int 0x1D                        ; to the ring-0 handler and back
  mov [4], bx                     ; the handler changed BX
  hlt                             ; CPL 3: #GP(0)

v86_iopl0:
  int 0x1D                        ; IOPL 0: #GP(0)
v86_cli:
  cli                             ; IOPL 0: #GP(0)

bits 32
v86_int:
  PUTS32 "v86 int", 10
  mov ebp, esp                    ; SHOW32 pushes: read the frame through EBP
  SHOW32 "frame.eip", [ebp]
  SHOW32 "frame.cs", [ebp + 4]
  mov eax, [ebp + 8]
  and eax, 0x00027FD5
  SHOW32 "frame.eflags", eax
  SHOW32 "frame.esp", [ebp + 12]
  SHOW32 "frame.ss", [ebp + 16]
  SHOW32 "frame.es", [ebp + 20]
  SHOW32 "frame.ds", [ebp + 24]
  mov eax, esp
  SHOW32 "handler.esp", eax
  mov eax, ds
  SHOW32 "handler.ds", eax
  mov eax, cs
  SHOW32 "handler.cs", eax
  mov bx, 0x7777
  iretd

%include "lib/end.inc"
