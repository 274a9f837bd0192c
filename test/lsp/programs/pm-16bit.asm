; Switches to protected mode but leaves the 32-bit code assembled as 16-bit.
org 0x7C00
    cli
    lgdt [gdt_desc]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:protected

protected:
    mov ax, 0x10
    mov ds, ax
    mov dword [0xB8000], 0x07690748
    hlt

gdt:     dq 0
         dq 0x00CF9A000000FFFF
         dq 0x00CF92000000FFFF
gdt_desc:
    dw gdt_desc - gdt - 1
    dd gdt
times 510-($-$$) db 0
dw 0xAA55
