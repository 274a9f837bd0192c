; reference: bochs (QEMU 7.2 TCG ignores DR7.GD)
; DR7.GD (general detect) in real mode: with GD set, the next MOV to or from a debug register faults with #DB
; before it runs (IP = the MOV), DR6.BD set, and GD cleared so the handler itself may use the registers and
; the MOV then runs when the handler returns.
%include "lib/boot.inc"

main:
  cli
  mov word [1 * 4], db_handler
  mov word [1 * 4 + 2], 0
  xor eax, eax
  mov dr6, eax
  mov eax, 0x00002000
  mov dr7, eax
  mov eax, 0x1234
  mov dr0, eax                    ; #DB fault here, then runs
  mov eax, dr0
  SHOW16 "gd.dr0", eax
  mov eax, dr7
  SHOW16 "gd.dr7", eax
  mov eax, 0x00002000
  mov dr7, eax
  mov eax, dr6                    ; a read faults too
  SHOW16 "gd.dr6", eax
  SHOW16 "count", dword [log_count]
  SHOW16 "ip0", dword [log]
  SHOW16 "dr6.0", dword [log + 4]
  SHOW16 "dr7.0", dword [log + 8]
  SHOW16 "ip1", dword [log + 12]
  SHOW16 "dr6.1", dword [log + 16]
  DONE16

; #DB: log (IP, DR6, DR7) for the first two, clear DR6.
db_handler:
  push eax
  push bx
  push bp
  mov bp, sp
  mov bx, [log_count]
  cmp bx, 2
  jae .full
  imul bx, bx, 12
  movzx eax, word [bp + 8]        ; IP (above EAX, BX, BP)
  mov [log + bx], eax
  mov eax, dr6
  mov [log + bx + 4], eax
  mov eax, dr7
  mov [log + bx + 8], eax
  inc word [log_count]
.full:
  xor eax, eax
  mov dr6, eax
  pop bp
  pop bx
  pop eax
  iret

align 4
log_count: dd 0
log: times 8 dd 0

%include "lib/end.inc"
