; hello: the smallest useful boot sector. It greets on the screen (INT 10h teletype) and on COM1 (INT 14h),
; then stops for good with interrupts off, which Bootvisor reports as a clean halt.
;   nasm -f bin hello.asm -o hello.img && bootvisor run hello.img --serial -
bits 16
org 0x7c00

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov ax, 0x0003              ; 80x25 colour text: also clears whatever the BIOS left on screen
    int 0x10
    mov ah, 0x00                ; COM1: 9600 baud, 8 data bits, no parity, 1 stop bit
    mov al, 0xe3
    xor dx, dx
    int 0x14
    mov si, greeting
.next:
    lodsb
    test al, al
    jz .done
    mov ah, 0x0e                ; teletype: writes the character and moves the cursor
    mov bx, 0x0007
    int 0x10
    mov ah, 0x01                ; the same character to COM1
    xor dx, dx
    int 0x14
    jmp .next
.done:
    cli
    hlt

greeting: db "Hello from Bootvisor!", 13, 10, 0

    times 510 - ($ - $$) db 0
    dw 0xaa55
