; Paging: 4 KiB pages through a page table and 4 MiB pages (CR4.PSE), aliases, the accessed and dirty bits,
; not-present pages (#PF with CR2 and the error code, on data and on instruction fetch, and on an access
; that crosses into a missing page), read-only and supervisor pages from ring 0 (CR0.WP) and ring 3, INVLPG.
%include "lib/boot.inc"
%include "lib/pm.inc"
%include "lib/paging.inc"

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  IDENTITY_PT 0x007                 ; identity map of the first 4 MiB, user, writable, A/D clear
  mov dword [PD + 0], PT | 7
  mov dword [PD + 4], 0x00000087    ; 4 MiB at 0x00400000 -> 0, user, writable
  mov dword [PD + 8], 0x00000085    ; 4 MiB at 0x00800000 -> 0, user, read-only
  mov dword [PD + 12], 0x00000083   ; 4 MiB at 0x00C00000 -> 0, supervisor
  mov dword [PTE(0x10)], 0          ; 0x10000 not present
  mov dword [PTE(0x11)], 0x11005    ; 0x11000 user read-only
  mov dword [PTE(0x12)], 0x12003    ; 0x12000 supervisor writable
  mov dword [PTE(0x13)], 0x14007    ; 0x13000 -> 0x14000
  mov dword [0x14000], 0x600DF00D
  mov dword [0x15000], 0x0BADCAFE
  mov dword [0x1200], 0x12345678
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
  PUTS32 "paging on", 10
  mov eax, [0x13000]
  SHOW32 "alias4k", eax
  mov eax, [0x401200]
  SHOW32 "alias4m", eax
  mov dword [0x401204], 0xAABBCCDD
  mov eax, [0x1204]
  SHOW32 "alias4m-write", eax
  mov eax, [0x801200]
  SHOW32 "alias4m-ro-read", eax
  SHOW32 "pde0", [PD + 0]
  SHOW32 "pde1", [PD + 4]
  SHOW32 "pde2", [PD + 8]
  SHOW32 "pte13", [PTE(0x13)]
  SHOW32 "pte14", [PTE(0x14)]
  SHOW32 "pte15", [PTE(0x15)]

  TRY p1
  mov eax, [0x10000]                ; not present, read: err 0
p1:
  TRY p2
  mov dword [0x10010], 1            ; not present, write: err 2
p2:
  TRY p3
  mov eax, [0xFFFE]                 ; crosses into the missing page: CR2 = 0x10000
p3:
  TRY p4
  mov eax, [0x1000000]              ; PDE 4 not present
p4:
  TRY p5
  jmp 0x10000                       ; instruction fetch from a missing page
p5:
  mov dword [0x11000], 0x5A5A5A5A   ; supervisor write to a read-only page, CR0.WP clear: allowed
  mov eax, [0x11000]
  SHOW32 "ro-write-wp0", eax
  mov eax, cr0
  or eax, 0x10000                   ; WP
  mov cr0, eax
  TRY p6
  mov dword [0x11000], 0x6B6B6B6B   ; now #PF err 3
p6:
  TRY p7
  mov dword [0x801000], 1           ; 4 MiB read-only page, WP: err 3
p7:
  mov dword [0xC01000], 0x77777777  ; supervisor 4 MiB page from ring 0
  SHOW32 "pde3", [PD + 12]

  ; ring 3
  TRY p8
  TO_RING3 0x3002
  mov ax, SEL_DATA3 | 3
  mov ds, ax
  mov es, ax
  mov eax, [0x11000]
  SHOW32 "r3.ro-read", eax
  mov eax, [0x12000]                ; supervisor page: err 5
p8:
  TRY p9
  TO_RING3 0x3002
  mov ax, SEL_DATA3 | 3
  mov ds, ax
  mov dword [0x11000], 2            ; read-only page: err 7
p9:
  TRY p10
  TO_RING3 0x3002
  mov ax, SEL_DATA3 | 3
  mov ds, ax
  mov dword [0x800100], 2           ; read-only 4 MiB page: err 7
p10:
  TRY p11
  TO_RING3 0x3002
  mov ax, SEL_DATA3 | 3
  mov ds, ax
  mov eax, [0xC00100]               ; supervisor 4 MiB page: err 5
p11:
  TRY p12
  TO_RING3 0x3002
  mov ax, SEL_DATA3 | 3
  mov ds, ax
  mov eax, [0x10000]                ; not present from ring 3: err 4
p12:
  ; INVLPG: remap 0x13000 to 0x15000
  mov eax, [0x13000]
  mov dword [PTE(0x13)], 0x15007
  invlpg [0x13000]
  mov eax, [0x13000]
  SHOW32 "after-invlpg", eax
  mov dword [PTE(0x13)], 0x14007
  mov eax, cr3
  mov cr3, eax
  mov eax, [0x13000]
  SHOW32 "after-cr3", eax
  SHOW32 "pte11", [PTE(0x11)]
  SHOW32 "pte12", [PTE(0x12)]
  mov eax, cr2
  SHOW32 "cr2", eax
  SHOW32 "exceptions", [exc_count]
  DONE32

%include "lib/end.inc"
