; Segment checks in 32-bit protected mode: type (a write through a read-only data segment, a read-only or
; code segment into SS, an execute-only segment into DS), presence (#NP), the GDT limit, segment limits
; (expand-up, expand-down, through SS), and the null selector. Each fault prints its vector and error code.
; reference: bochs (QEMU TCG skips segment limit and write-permission checks on data accesses)
%include "lib/boot.inc"
%include "lib/pm.inc"

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  mov dword [0x1000], 0x11223344
  ; a read through a read-only segment works, a write faults with #GP(0)
  TRY s1
  mov ax, SEL_RODATA
  mov ds, ax
  mov eax, [0x1000]
  SHOW32 "ro-read", eax
  mov [0x1000], eax
s1:
  TRY s2
  mov ax, SEL_RODATA
  mov es, ax
  mov edi, 0x1000
  stosd                            ; string store through a read-only ES
s2:
  TRY s3
  mov ax, SEL_RODATA
  mov ss, ax                       ; #GP(0x30)
s3:
  TRY s4
  mov ax, SEL_CODE0
  mov ss, ax                       ; #GP(0x08)
s4:
  TRY s5
  mov ax, SEL_XONLY
  mov ds, ax                       ; #GP(0x68)
s5:
  TRY s6
  mov ax, SEL_CODE0
  mov ds, ax                       ; readable code into DS is allowed
  mov eax, [0x1000]
  SHOW32 "code-read", eax
  mov [0x1000], eax                ; but a write through it is #GP(0)
s6:
  TRY s7
  mov ax, SEL_NOTPRES
  mov es, ax                       ; #NP(0x58)
s7:
  TRY s8
  mov ax, gdt_end - gdt
  mov fs, ax                       ; just past the GDT limit: #GP(sel)
s8:
  TRY s9
  mov ax, SEL_DATA3
  mov ds, ax                       ; DPL 3 data from CPL 0 is fine
  mov ax, SEL_DATA3 | 3
  mov es, ax                       ; RPL 3 too
  mov ax, SEL_DATA0 | 3
  mov gs, ax                       ; RPL 3 > DPL 0: #GP(0x10)
s9:
  ; limits
  TRY s10
  mov ax, SEL_SMALL
  mov ds, ax
  mov dword [0xFFC], 0xCAFEBABE    ; last dword inside the limit
  mov eax, [0xFFC]
  SHOW32 "small-last", eax
  mov eax, [0xFFD]                 ; crosses the limit: #GP(0)
s10:
  TRY s11
  mov ax, SEL_SMALL
  mov ds, ax
  mov al, [0x1000]                 ; one past the limit
s11:
  TRY s12
  mov ax, SEL_SMALL
  mov es, ax
  mov edi, 0xFF8
  mov ecx, 4
  mov eax, 0x5A5A5A5A
  rep stosd                        ; faults on the third store: ECX shows how far it got
s12:
  SHOW32 "stos-ecx", ecx
  SHOW32 "stos-edi", edi
  TRY s13
  mov ax, SEL_EXPDOWN
  mov ds, ax
  mov eax, [0x2000]                ; above the limit: valid for expand-down
  SHOW32 "expdown-ok", eax
  mov eax, [0xFFE]                 ; at or below the limit: #GP(0)
s13:
  TRY s14
  mov ax, SEL_SMALL
  mov ss, ax
  mov esp, 0xF00
  mov ebp, 0x1000
  mov eax, [ebp]                   ; SS-relative past the limit: #SS(0)
s14:
  TRY s15
  mov ax, SEL_SMALL
  mov ss, ax
  mov esp, 0x802
  push eax
  push eax                         ; fine
  mov esp, 0x1000
  push eax                         ; the highest dword inside the limit
  mov ebx, esp
  SHOW32 "ss-push", ebx
  pop eax
  mov ax, SEL_DATA0
  mov ss, ax
  mov esp, KSTACK
s15:
  TRY s16
  xor eax, eax
  mov ds, ax                       ; null selector into DS is allowed
  SHOW32 "null-loaded", eax
  mov eax, [0x1000]                ; using it: #GP(0)
s16:
  TRY s17
  xor eax, eax
  mov ss, ax                       ; null into SS: #GP(0)
s17:
  mov ax, SEL_DATA0
  mov ds, ax
  TRY s18
  TO_RING3 0x3002
  mov eax, [0x1000]                ; DS (DPL 0) was nulled by the IRET to ring 3: #GP(0)
s18:
  TRY s19
  TO_RING3 0x3002
  mov ax, SEL_DATA3RO | 3
  mov ds, ax
  mov eax, [0x1000]
  SHOW32 "r3.ro-read", eax
  mov [0x1000], eax                ; read-only ring-3 data: #GP(0)
s19:
  mov ax, SEL_DATA0
  mov ds, ax
  ; LAR / LSL / VERR / VERW
  mov ebx, SEL_SMALL
  lsl eax, ebx
  SHOW32 "lsl", eax
  SHOWF32 "lsl.zf", 0x40
  lar eax, ebx
  SHOW32 "lar", eax
  mov ebx, SEL_RODATA
  verr bx
  SHOWF32 "verr.ro", 0x40
  verw bx
  SHOWF32 "verw.ro", 0x40
  mov ebx, SEL_XONLY
  verr bx
  SHOWF32 "verr.xo", 0x40
  mov ebx, 0x4000
  lar eax, ebx
  SHOWF32 "lar.bad", 0x40
  mov ebx, SEL_TSS
  lsl eax, ebx
  SHOW32 "lsl.tss", eax
  mov ax, SEL_DATA0 | 3
  mov bx, SEL_DATA3
  arpl ax, bx
  SHOW32 "arpl", eax
  SHOWF32 "arpl.zf", 0x40
  str eax
  and eax, 0xFFFF
  SHOW32 "str", eax
  sgdt [0x1100]
  SHOW32 "sgdt.lim", [0x1100]
  SHOW32 "exceptions", [exc_count]
  DONE32

%include "lib/end.inc"
