; 386+ forms in real mode through 0x66/0x67 that the 286 vectors cannot cover: MOVZX/MOVSX, BT*, BSF/BSR,
; SHLD/SHRD, BSWAP, CMPXCHG/XADD/CMPXCHG8B, SETcc/CMOVcc, 32-bit MUL/DIV/IMUL, SIB addressing, 32-bit
; string ops and LOOP with ECX, FS/GS, and unreal mode (a 4 GiB DS limit kept after leaving protected mode).
; Undefined flags are masked. Compared line by line with QEMU (test/cpu/softcpu-qemu.test.ts).
%include "lib/boot.inc"

main:
  ; MOVZX / MOVSX
  mov eax, 0xFFFFFF80
  movzx ebx, al
  movsx ecx, al
  movsx dx, al
  SHOW16 "movzx", ebx
  SHOW16 "movsx", ecx
  SHOW16 "movsx16", edx
  mov word [scratch], 0x8001
  movzx esi, word [scratch]
  movsx edi, word [scratch]
  SHOW16 "movzxm", esi
  SHOW16 "movsxm", edi
  ; BT BTS BTR BTC, register and memory, immediate and register offsets
  mov eax, 0x12345678
  bt eax, 3
  SHOWF16 "bt.f", 1
  bts eax, 31
  btr eax, 4
  btc eax, 0
  SHOW16 "bts", eax
  mov dword [scratch], 0
  mov dword [scratch+4], 0
  mov ecx, 37
  bts dword [scratch], ecx          ; bit 37: the next dword
  mov ecx, -1
  bts word [scratch+4], cx          ; bit -1 of the word at +4: bit 15 of the word at +2
  SHOW16 "btsm0", dword [scratch]
  SHOW16 "btsm1", dword [scratch+4]
  SHOWF16 "btsm.f", 1
  ; BSF / BSR
  mov edx, 0x00F00000
  bsf eax, edx
  bsr ebx, edx
  SHOW16 "bsf", eax
  SHOW16 "bsr", ebx
  xor edx, edx
  mov eax, 0x55
  bsf eax, edx
  SHOWF16 "bsf0.f", 0x40
  ; SHLD / SHRD
  mov eax, 0x12345678
  mov ebx, 0x9ABCDEF0
  shld eax, ebx, 8
  SHOW16 "shld", eax
  SHOWF16 "shld.f", 0x0C5
  mov cl, 12
  shrd ebx, eax, cl
  SHOW16 "shrd", ebx
  SHOWF16 "shrd.f", 0x0C5
  mov ax, 0x1234
  mov dx, 0xABCD
  shld ax, dx, 4
  SHOW16 "shld16", eax
  ; BSWAP
  mov esi, 0x11223344
  bswap esi
  SHOW16 "bswap", esi
  ; CMPXCHG, XADD, CMPXCHG8B
  mov dword [scratch], 100
  mov eax, 100
  mov ecx, 200
  cmpxchg [scratch], ecx
  SHOWF16 "cx1.f", FL_ALL
  SHOW16 "cx1.m", dword [scratch]
  mov eax, 5
  cmpxchg [scratch], ecx
  SHOWF16 "cx2.f", FL_ALL
  SHOW16 "cx2.a", eax
  mov ebx, 0x7FFFFFFF
  mov edx, 1
  xadd ebx, edx
  SHOW16 "xadd.b", ebx
  SHOW16 "xadd.d", edx
  SHOWF16 "xadd.f", FL_ALL
  mov dword [scratch], 1
  mov dword [scratch+4], 2
  mov eax, 1
  mov edx, 2
  mov ebx, 0xAAAA
  mov ecx, 0xBBBB
  cmpxchg8b [scratch]
  SHOWF16 "c8b.f", 0x40
  SHOW16 "c8b.lo", dword [scratch]
  SHOW16 "c8b.hi", dword [scratch+4]
  ; SETcc and CMOVcc
  mov eax, 3
  cmp eax, 5
  setl bl
  setg bh
  setb cl
  seta ch
  SHOW16 "setcc", ebx
  SHOW16 "setcc2", ecx
  mov edx, 0x1111
  mov esi, 0x2222
  cmp eax, 5
  cmovl edx, esi
  cmovg esi, eax
  SHOW16 "cmov1", edx
  SHOW16 "cmov2", esi
  ; 32-bit MUL / IMUL / DIV / IDIV
  mov eax, 0x89ABCDEF
  mov ecx, 0x12345
  mul ecx
  SHOW16 "mul.a", eax
  SHOW16 "mul.d", edx
  SHOWF16 "mul.f", FL_MUL
  mov eax, -7
  mov ebx, 3
  imul eax, ebx
  SHOW16 "imul2", eax
  imul ecx, ebx, -1000
  SHOW16 "imul3", ecx
  mov edx, 1
  mov eax, 0x23456789
  mov ebx, 0x10000
  div ebx
  SHOW16 "div.q", eax
  SHOW16 "div.r", edx
  mov eax, -1000001
  cdq
  mov ebx, 1000
  idiv ebx
  SHOW16 "idiv.q", eax
  SHOW16 "idiv.r", edx
  ; SIB addressing through 0x67
  mov dword [table+12], 0xCAFEBABE
  mov eax, table
  mov ecx, 3
  mov edx, [eax+ecx*4]
  SHOW16 "sib", edx
  lea esi, [eax+ecx*8+0x10]
  SHOW16 "lea32", esi
  ; 32-bit string ops and LOOP with ECX (0x67)
  mov esi, table
  mov edi, table+32
  mov ecx, 4
  cld
  rep movsd
  SHOW16 "movsd.si", esi
  SHOW16 "movsd.m", dword [table+44]
  mov ecx, 0x10003
  xor eax, eax
.l:
  inc eax
  a32 loop .l
  SHOW16 "loopd", eax
  ; FS and GS
  mov ax, 0x1000
  mov fs, ax
  mov dword [fs:0x20], 0x5A5A1234
  push fs
  pop gs
  mov ebx, [gs:0x20]
  SHOW16 "fsgs", ebx
  ; PUSHAD / POPAD / PUSHFD / ENTER / LEAVE (32-bit)
  mov eax, 1
  mov ecx, 2
  pushad
  mov eax, 9
  mov ecx, 9
  popad
  SHOW16 "popad", eax
  SHOW16 "popad2", ecx
  mov ebp, 0x1234
  enter 8, 0
  mov ax, sp
  leave
  SHOW16 "enter.bp", ebp
  ; unreal mode: enter protected mode, load DS with a 4 GiB data segment, go back to real mode
  cli
  lgdt [gdt_desc]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp .pm
.pm:
  mov bx, 0x08
  mov ds, bx
  and al, 0xFE
  mov cr0, eax
  jmp .rm
.rm:
  xor bx, bx
  mov ds, bx
  mov esi, 0x00200000               ; 2 MiB: beyond a real-mode segment's 64 KiB
  mov dword [esi], 0x600DF00D
  mov ebx, [esi]
  SHOW16 "unreal", ebx
  DONE16

align 8
gdt:
  dq 0
  dq 0x00CF92000000FFFF              ; flat 4 GiB data
gdt_desc:
  dw gdt_desc - gdt - 1
  dd gdt
align 4
scratch: times 16 db 0
table: times 64 db 0

%include "lib/end.inc"
