; Enters 32-bit protected mode and turns paging on with one page table that identity-maps the first 4 MiB
; (so 0x400000 and above do not translate), then halts: for the page-walk scope.
org 0x7c00
bits 16

start:
    cli
    xor ax, ax
    mov ds, ax
    lgdt [gdt_descriptor]
    mov eax, 0x11               ; PE, ET: CR0 as a whole, whatever the BIOS left in it
    mov cr0, eax
    jmp 0x08:pm

bits 32
pm:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7c00
    ; page directory at 0x10000, its first entry -> page table at 0x11000
    mov edi, 0x10000
    xor eax, eax
    mov ecx, 2048
    rep stosd
    mov dword [0x10000], 0x11000 | 3
    mov edi, 0x11000
    mov eax, 3                  ; present, writable
    mov ecx, 1024
.fill:
    stosd
    add eax, 0x1000
    loop .fill
    mov eax, 0x10000
    mov cr3, eax
    mov eax, 0x80000011         ; PG too
    mov cr0, eax
paged:
    mov ebx, 0x12345678
    cli
    hlt

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff       ; 0x08: flat code
    dq 0x00cf92000000ffff       ; 0x10: flat data
gdt_descriptor:
    dw gdt_descriptor - gdt - 1
    dd gdt

times 510-($-$$) db 0
dw 0xaa55
