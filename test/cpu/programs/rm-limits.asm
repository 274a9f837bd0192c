; Real-mode segment limits and the A20 gate, self-checking (QEMU's TCG does not check real-mode limits, so
; the reference is the 80286/80386 behaviour the hardware vectors show): a word at DS:FFFF raises #GP and
; one at SS:FFFF (BP-based) #SS, both with the faulting instruction's IP pushed; a write to FFFF:0010
; lands at 0 when A20 is off and at 1 MiB when it is on.
%include "lib/boot.inc"

%macro SETVEC 2
  mov word [%1 * 4], %2
  mov word [%1 * 4 + 2], 0
%endmacro

main:
  SETVEC 12, ss_handler
  SETVEC 13, gp_handler
  mov bx, 0xFFFF
gp_site:
  mov ax, [bx]
  cmp word [last_ip], gp_site
  jne .gpbad
  PUTS16 "gp=ok", 10
  jmp .ss
.gpbad:
  SHOW16 "gp=bad", dword [last_ip]
.ss:
  mov bp, 0xFFFF
ss_site:
  mov ax, [bp]
  cmp word [last_ip], ss_site
  jne .ssbad
  PUTS16 "ss=ok", 10
  jmp .a20
.ssbad:
  SHOW16 "ss=bad", dword [last_ip]
.a20:
  mov word [0], 0x1111
  mov ax, 0xFFFF
  mov es, ax
  mov word [es:0x10], 0x2222
  xor ax, ax
  mov es, ax
  SHOW16 "low", dword [0]
  DONE16

gp_handler:
  push bp
  mov bp, sp
  mov ax, [bp+2]
  mov [last_ip], ax
  add word [bp+2], 2          ; skip the 2-byte MOV AX,[BX]
  pop bp
  iret
ss_handler:
  push bp
  mov bp, sp
  mov ax, [bp+2]
  mov [last_ip], ax
  add word [bp+2], 3          ; skip the 3-byte MOV AX,[BP+0]
  pop bp
  iret

last_ip: dd 0

%include "lib/end.inc"
