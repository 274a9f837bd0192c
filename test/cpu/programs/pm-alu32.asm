; 32-bit ALU, shift, multiply/divide, string and BCD forms: first in real mode through operand/address-size
; prefixes, then the same block in 32-bit protected mode with flat segments. Undefined flags are masked.
%include "lib/boot.inc"
%include "lib/pm.inc"

%macro ALU_BLOCK 1   ; %1 = 16 or 32 (which SHOW/SHOWF to use)
  mov eax, 0x7FFFFFFF
  add eax, 1
  SHOW%1 "add.r", eax
  SHOWF%1 "add.f", FL_ALL
  mov ebx, 0x80000000
  sub ebx, 1
  SHOWF%1 "sub.f", FL_ALL
  mov ecx, 0x12345678
  adc ecx, 0xF0F0F0F0
  SHOW%1 "adc.r", ecx
  SHOWF%1 "adc.f", FL_ALL
  stc
  sbb ecx, 0x0F0F0F0F
  SHOW%1 "sbb.r", ecx
  SHOWF%1 "sbb.f", FL_ALL
  mov edx, 0xDEADBEEF
  and edx, 0x0FF00FF0
  xor edx, 0x55AA55AA
  or edx, 0x00010000
  SHOW%1 "logic.r", edx
  SHOWF%1 "logic.f", FL_LOGIC
  neg edx
  SHOW%1 "neg.r", edx
  SHOWF%1 "neg.f", FL_ALL
  not edx
  inc edx
  dec edx
  SHOW%1 "notincdec.r", edx
  SHOWF%1 "notincdec.f", FL_ALL
  mov esi, 0x80000001
  cmp esi, 1
  SHOWF%1 "cmp.f", FL_ALL
  ; shifts and rotates
  mov eax, 0x81234567
  shl eax, 1
  SHOW%1 "shl1.r", eax
  SHOWF%1 "shl1.f", FL_SHIFT | 0x800
  mov eax, 0x81234567
  mov cl, 7
  shr eax, cl
  SHOW%1 "shr7.r", eax
  SHOWF%1 "shr7.f", FL_SHIFT
  mov eax, 0x81234567
  sar eax, 13
  SHOW%1 "sar13.r", eax
  SHOWF%1 "sar13.f", FL_SHIFT
  mov eax, 0x81234567
  rol eax, 9
  SHOW%1 "rol9.r", eax
  mov eax, 0x81234567
  stc
  rcr eax, 3
  SHOW%1 "rcr3.r", eax
  SHOWF%1 "rcr3.f", 1
  mov eax, 0x81234567
  mov edx, 0xFEDCBA98
  shld eax, edx, 12
  SHOW%1 "shld.r", eax
  SHOWF%1 "shld.f", FL_SHIFT
  mov cl, 20
  shrd edx, eax, cl
  SHOW%1 "shrd.r", edx
  ; multiply and divide
  mov eax, 0x89ABCDEF
  mov ecx, 0x12345
  mul ecx
  SHOW%1 "mul.lo", eax
  SHOW%1 "mul.hi", edx
  SHOWF%1 "mul.f", FL_MUL
  mov eax, -1234567
  mov ecx, 89101
  imul ecx
  SHOW%1 "imul.lo", eax
  SHOW%1 "imul.hi", edx
  SHOWF%1 "imul.f", FL_MUL
  mov ebx, -77
  imul ebx, ebx, 1000003
  SHOW%1 "imul3.r", ebx
  SHOWF%1 "imul3.f", FL_MUL
  mov edx, 0x1234
  mov eax, 0x56789ABC
  mov ecx, 0x9876543
  div ecx
  SHOW%1 "div.q", eax
  SHOW%1 "div.r", edx
  mov eax, -1000000007
  cdq
  mov ecx, 12345
  idiv ecx
  SHOW%1 "idiv.q", eax
  SHOW%1 "idiv.r", edx
  ; bit operations, exchange forms, sign/zero extension
  mov eax, 0x00F00000
  bsf ecx, eax
  bsr edx, eax
  SHOW%1 "bsf", ecx
  SHOW%1 "bsr", edx
  mov eax, 0x12345678
  bt eax, 4
  SHOWF%1 "bt.f", 1
  bts eax, 0
  btr eax, 3
  btc eax, 31
  SHOW%1 "btx.r", eax
  bswap eax
  SHOW%1 "bswap", eax
  mov ebx, 0x11111111
  xadd eax, ebx
  SHOW%1 "xadd.a", eax
  SHOW%1 "xadd.b", ebx
  mov eax, 0x11111111
  mov ecx, 0x33333333
  cmpxchg ebx, ecx
  SHOW%1 "cmpxchg.a", eax
  SHOW%1 "cmpxchg.b", ebx
  SHOWF%1 "cmpxchg.f", FL_ALL
  mov ax, 0x8001
  movsx ecx, ax
  movzx edx, ax
  SHOW%1 "movsx", ecx
  SHOW%1 "movzx", edx
  mov al, 0x80
  cbw
  cwde
  SHOW%1 "cwde", eax
  mov al, 0x7F
  cmp al, 0x80
  setg bl
  setb bh
  movzx ebx, bx
  SHOW%1 "setcc", ebx
  ; BCD
  mov eax, 0x00000099
  add al, 0x01
  daa
  SHOW%1 "daa", eax
  SHOWF%1 "daa.f", 0x0C5
  mov ax, 0x0907
  aad
  SHOW%1 "aad", eax
  mov al, 77
  aam
  SHOW%1 "aam", eax
%endmacro

%macro STRING_BLOCK 1   ; flat DS=ES (real mode: segment 0)
  mov edi, 0x1000
  mov eax, 0xA5A50000
  mov ecx, 0x50                ; the whole 0x140-byte area the block reads
  cld
  a32 rep stosd
  mov esi, 0x1000
  mov edi, 0x1100
  mov ecx, 13
  a32 rep movsb
  SHOW%1 "movsb.esi", esi
  SHOW%1 "movsb.edi", edi
  mov esi, 0x1000
  mov edi, 0x1100
  mov ecx, 64
  a32 repe cmpsb
  SHOW%1 "cmpsb.ecx", ecx
  SHOWF%1 "cmpsb.f", FL_ALL
  mov edi, 0x1000
  mov al, 0x00
  mov ecx, 100
  a32 repne scasb
  SHOW%1 "scasb.ecx", ecx
  std
  mov esi, 0x103C
  a32 lodsd
  cld
  SHOW%1 "lodsd", eax
  SHOW%1 "lodsd.esi", esi
  mov esi, 0x1000
  xor eax, eax
  xor ebx, ebx
  mov ecx, 0x140
%%sum:
  a32 lodsb
  add ebx, eax
  rol ebx, 1
  a32 loop %%sum
  SHOW%1 "memsum", ebx
%endmacro

main:
  PUTS16 "real mode, 32-bit operands", 10
  ALU_BLOCK 16
  STRING_BLOCK 16
  ENTER_PM32
  PUTS32 "protected mode", 10
  ALU_BLOCK 32
  STRING_BLOCK 32
  DONE32

%include "lib/end.inc"
