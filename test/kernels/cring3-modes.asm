; The ways out of ring 0 for cring3.c: an iret to ring 3 (user segments, IF set), an iret to virtual-8086
; mode, the ring-3 task's first frame, and the V86 task itself (16-bit code run at FFFF:xxxx).
section .text
extern user_main
global enter_user, enter_v86, user_entry, v86_code

; enter_user(eip, esp): ring 3 with the flat user segments 1Bh/23h, interrupts on.
enter_user:
  mov ecx, [esp + 4]
  mov edx, [esp + 8]
  mov ax, 0x23
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  push dword 0x23                     ; SS
  push edx                            ; ESP
  push dword 0x202                    ; EFLAGS: IF
  push dword 0x1B                     ; CS
  push ecx                            ; EIP
  iret

; enter_v86(cs, ip, ss, sp): virtual-8086 mode, interrupts on, data segments 0.
enter_v86:
  mov eax, [esp + 4]
  mov ecx, [esp + 8]
  mov edx, [esp + 12]
  mov ebx, [esp + 16]
  push dword 0                        ; GS
  push dword 0                        ; FS
  push dword 0                        ; DS
  push dword 0                        ; ES
  push edx                            ; SS
  push ebx                            ; SP
  push dword 0x20202                  ; EFLAGS: VM, IF
  push eax                            ; CS
  push ecx                            ; IP
  iret

user_entry:
  call user_main
  jmp user_entry

bits 16
v86_code:
  xor ax, ax
.spin:
  inc ax                              ; V86 loop: the timer interrupts it here
  jmp .spin
bits 32

section .note.GNU-stack noalloc noexec nowrite progbits
