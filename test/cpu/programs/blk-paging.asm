; Block-tier fixture for the page windows under paging (native/src/cpu/block_exec.cpp): a loop that runs in
; place reads a page twice (the second read opens DS's window on it), rewrites that page's PTE without INVLPG,
; then reads a page 4 MiB higher, which takes the same TLB slot and evicts the first page's entry. The next
; pass must walk the new PTE, as the interpreter does, not keep reading through the window: a handler that
; refills the TLB must close the windows. block-tier.test.ts runs it with the tier on and off in lockstep.
%include "lib/boot.inc"
%include "lib/pm.inc"
%include "lib/paging.inc"

bits 16
main:
  ENTER_PM32
  IDENTITY_PT 0x007                 ; identity map of the first 4 MiB
  mov dword [PD + 0], PT | 7
  mov dword [PD + 4], 0x00000087    ; 4 MiB at 0x00400000 -> 0: 0x413000 shares 0x13000's TLB slot
  mov dword [0x14000], 0x600DF00D
  mov dword [0x14004], 0x11111111
  mov dword [0x15000], 0x0BADCAFE
  mov dword [0x15004], 0x22222222
  mov dword [0x13000], 0x33333333
  mov eax, cr4
  or eax, 0x10                      ; PSE
  mov cr4, eax
  mov eax, PD
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  jmp .paged
.paged:
  xor ebp, ebp
  mov ebx, 0x14007
  mov ecx, 40
.loop:
  mov eax, [0x13000]
  add ebp, eax
  mov eax, [0x13004]
  add ebp, eax
  xor ebx, 0x1000                   ; 0x13000 -> 0x15000, 0x14000, ... each pass
  mov [PTE(0x13)], ebx
  mov edx, [0x413000]
  add ebp, edx
  rol ebp, 1
  dec ecx
  jnz .loop
  SHOW32 "sum", ebp
  DONE32

%include "lib/end.inc"
