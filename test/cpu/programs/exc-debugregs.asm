; Guest debug registers in real mode (CS=0, so linear = offset): an instruction breakpoint (a fault before
; the instruction, DR6.B0), the same with EFLAGS.RF set by the handler's IRETD (the instruction runs once,
; RF clears, the next pass hits again), write-only and read/write data breakpoints with LEN 2 and 4 (traps
; after the access, partial overlaps, reads not caught by RW=01), and a single step over MOV SS / POP SS
; (the trap comes only after the following instruction). DR7.GD is in exc-debugregs-gd.asm (QEMU 7.2 TCG
; does not implement it).
; Every #DB logs (IP, DR6) and clears DR6; the log is printed at the end and compared with QEMU.
%include "lib/boot.inc"

main:
  cli
  mov word [1 * 4], db_handler
  mov word [1 * 4 + 2], 0
  xor eax, eax
  mov dr6, eax
  ; 1. instruction breakpoint on bp1; the handler (mode 1) turns DR7 off so bp1 then runs
  mov byte [mode], 1
  mov eax, bp1
  mov dr0, eax
  mov eax, 0x00000001             ; L0, RW0=00 (execute), LEN0=00
  mov dr7, eax
  nop
bp1:
  inc word [counter]
  SHOW16 "bp1.counter", dword [counter]
  ; 2. instruction breakpoint with RF: the handler (mode 2) returns with RF set through IRETD
  mov byte [mode], 2
  mov eax, bp2
  mov dr1, eax
  mov eax, 0x00000004             ; L1, execute
  mov dr7, eax
  call sub_bp2
  call sub_bp2
  xor eax, eax
  mov dr7, eax
  SHOW16 "bp2.counter", dword [counter]
  ; 3. write-only data breakpoint on the word at var (DR2, RW=01, LEN=01)
  mov byte [mode], 0
  mov eax, var
  mov dr2, eax
  mov eax, 0x05000010             ; G2, RW2=01, LEN2=01
  mov dr7, eax
  mov word [var], 0x1234          ; hit
  mov ax, [var]                   ; a read: no hit
  mov byte [var + 1], 5           ; hit (overlaps)
  mov byte [var + 2], 6           ; no hit (past LEN)
  mov byte [var - 1], 7           ; no hit
  mov word [var - 1], 8           ; hit (overlaps var)
  cld
  mov di, var - 2
  mov cx, 6
  mov al, 9
  rep stosb                       ; hits in the 3rd and 4th iterations: traps with IP on the REP STOSB
  SHOW16 "rep.cx", ecx
  ; 4. read/write breakpoint on the 4 bytes at var4 (DR3, RW=11, LEN=11)
  mov eax, var4
  mov dr3, eax
  mov eax, 0xF0000040             ; G3, RW3=11, LEN3=11
  mov dr7, eax
  mov eax, [var4]                 ; hit (read)
  add [var4 + 3], al              ; hit once (read and write)
  mov byte [var4 + 4], 1          ; no hit
  push word [var4]                ; hit (the read)
  pop word [var4 + 8]             ; no hit
  xor eax, eax
  mov dr7, eax
  ; 5. single step over MOV SS and POP SS: no trap after them, one after the instruction that follows
  mov byte [mode], 0
  mov dx, ss
  pushf
  pop ax
  or ax, 0x100
  push ax
  popf                            ; TF on (the trap comes after the next instruction)
  nop
  mov ss, dx
  nop
  nop
  push ss
  pop ss
  inc cx
  pushf
  pop ax
  and ax, 0xFEFF
  push ax
  popf                            ; TF off (this POPF still traps)
  nop
  ; the log
  SHOW16 "count", dword [log_count]
  xor si, si
.print:
  cmp si, [log_count]
  jae .done
  mov bx, si
  shl bx, 3
  SHOW16 "ip", dword [log + bx]
  SHOW16 "dr6", dword [log + bx + 4]
  inc si
  jmp .print
.done:
  DONE16

sub_bp2:
  nop
bp2:
  inc word [counter]
  ret

; #DB: log (IP, DR6), clear DR6; mode 1 also turns DR7 off, mode 2 returns with RF set.
db_handler:
  push eax
  push bx
  push bp
  mov bp, sp
  mov bx, [log_count]
  cmp bx, 32
  jae .full
  shl bx, 3
  mov ax, [bp + 8]                ; IP (above EAX, BX, BP)
  movzx eax, ax
  mov [log + bx], eax
  mov eax, dr6
  mov [log + bx + 4], eax
  inc word [log_count]
.full:
  xor eax, eax
  mov dr6, eax
  cmp byte [mode], 1
  jne .not1
  mov dr7, eax
.not1:
  cmp byte [mode], 2
  je .rf
  pop bp
  pop bx
  pop eax
  iret
.rf:
  ; turn the 16-bit frame (IP CS FLAGS) into an IRETD frame with RF set
  movzx eax, word [bp + 12]
  or eax, 0x10000
  mov [rf_frame + 8], eax
  movzx eax, word [bp + 10]
  mov [rf_frame + 4], eax
  movzx eax, word [bp + 8]
  mov [rf_frame], eax
  pop bp
  pop bx
  pop eax
  add sp, 6
  push dword [rf_frame + 8]
  push dword [rf_frame + 4]
  push dword [rf_frame]
  iretd

align 4
mode: db 0, 0, 0, 0
counter: dd 0
log_count: dd 0
rf_frame: dd 0, 0, 0
align 8
  dw 0
var: dw 0, 0, 0, 0
align 8
var4: dd 0, 0, 0, 0
log: times 64 dd 0

%include "lib/end.inc"
