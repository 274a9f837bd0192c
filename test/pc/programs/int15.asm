; INT 15h and friends: the E820 memory map, A20 functions, 88h and E801h sizes, 86h wait; INT 11h, INT 12h.
%include "lib.inc"
main:
    xor ebx, ebx
.e820:
    mov eax, 0xe820
    mov edx, 0x534d4150
    mov ecx, 24
    mov di, 0x8000
    int 0x15
    jc .e820_done
    SHOW32 "e820_base", [0x8000]
    SHOW32 "e820_len", [0x8008]
    SHOW8 "e820_type", [0x8010]
    test ebx, ebx
    jnz .e820
.e820_done:
    mov ax, 0x2401
    int 0x15
    SHOWCF "a20_on_cf"
    mov ax, 0x2402
    int 0x15
    SHOW8 "a20", al
    mov ah, 0x88
    int 0x15
    SHOW16 "ext_kb", ax
    mov ax, 0xe801
    int 0x15
    SHOWCF "e801_cf"
    SHOW16 "e801_ax", ax
    SHOW16 "e801_bx", bx
    mov ah, 0x86
    xor cx, cx
    mov dx, 1000
    int 0x15
    SHOWCF "wait_cf"
    int 0x11
    SHOW16 "equipment", ax
    ; What QEMU must agree on: bit 0 (a floppy drive: QEMU always has one) and bits 14-15 (parallel ports, QEMU
    ; has LPT1, Bootvisor none) are the machines' own.
    and ax, 0x3ffe
    SHOW16 "equipment_cmp", ax
    int 0x12
    SHOW16 "base_kb", ax
    EXIT 0
END_SECTOR
