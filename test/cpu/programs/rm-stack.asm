; Stack and control-transfer forms in real mode, 16- and 32-bit: ENTER with nesting levels, LEAVE, PUSH SP,
; POP SP, POP to an ESP-based address, RET imm, far CALL/JMP/RET (direct, indirect, with imm), LES/LDS/LSS/
; LFS/LGS, XCHG with memory, CBW/CWDE/CWD/CDQ, PUSHF/POPF and PUSHFD. Compared line by line with QEMU
; (test/cpu/softcpu-qemu.test.ts).
%include "lib/boot.inc"

main:
  ; ENTER with nesting: the frame pointers copied from the enclosing frames
  mov bp, 0x7000
  mov word [0x6FFE], 0x1111
  mov word [0x6FFC], 0x2222
  mov sp, 0x6F00
  enter 4, 3
  SHOW16 "enter3.bp", ebp
  SHOW16 "enter3.sp", esp
  SHOW16 "enter3.m0", dword [0x6EFC]
  SHOW16 "enter3.m1", dword [0x6EF8]
  leave
  SHOW16 "leave.sp", esp
  SHOW16 "leave.bp", ebp
  mov sp, 0x7C00
  mov ebp, 0x00007000
  o32 enter 8, 2
  SHOW16 "enterd.bp", ebp
  SHOW16 "enterd.sp", esp
  o32 leave
  mov sp, 0x7C00
  ; PUSH SP pushes the old value; POP SP loads the popped value
  push sp
  pop ax
  SHOW16 "pushsp", eax
  mov word [0x6000], 0x1234
  mov sp, 0x6000
  pop sp
  SHOW16 "popsp", esp
  mov sp, 0x7C00
  ; POP to an ESP-based address uses ESP after the pop
  push dword 0xAABBCCDD
  push dword 0x11223344
  pop dword [esp]
  pop eax
  SHOW16 "popesp", eax
  ; RET imm and far transfers
  push word 0x5555
  call near_imm
  SHOW16 "retimm.sp", esp
  call 0:far_imm
  SHOW16 "retfimm", eax
  mov word [farptr], far_plain
  mov word [farptr+2], 0
  call far [farptr]
  SHOW16 "callfi", eax
  mov word [farptr], after_jmp
  jmp far [farptr]
  PUTS16 "not reached", 10
after_jmp:
  PUTS16 "jmpfi=ok", 10
  ; LES LDS LSS LFS LGS, XCHG with memory
  mov word [farptr], 0x1234
  mov word [farptr+2], 0x0100
  les bx, [farptr]
  lfs si, [farptr]
  lgs di, [farptr]
  mov ax, es
  SHOW16 "les", eax
  SHOW16 "les.bx", ebx
  mov ax, gs
  SHOW16 "lgs", eax
  xor ax, ax
  mov es, ax
  mov dword [scratch], 0x01020304
  mov ecx, 0xA0B0C0D0
  xchg [scratch], ecx
  SHOW16 "xchg.m", dword [scratch]
  SHOW16 "xchg.r", ecx
  mov word [stkptr], 0x7B00
  mov word [stkptr+2], 0
  lss sp, [stkptr]
  SHOW16 "lss", esp
  mov sp, 0x7C00
  ; sign extensions
  mov eax, 0x12348765
  cbw
  SHOW16 "cbw", eax
  cwde
  SHOW16 "cwde", eax
  cwd
  SHOW16 "cwd", edx
  mov eax, 0x80000000
  cdq
  SHOW16 "cdq", edx
  ; PUSHFD keeps the flags as set; POPF restores them
  stc
  pushf
  clc
  popf
  SHOWF16 "popf", 1
  DONE16

near_imm:
  ret 2
far_imm:
  mov eax, 0xF1
  retf
far_plain:
  mov eax, 0xF2
  retf

farptr: dd 0
stkptr: dd 0
scratch: dd 0

%include "lib/end.inc"
