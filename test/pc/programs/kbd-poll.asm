; Keys read the way boot sectors without the BIOS read them: IRQ1 masked so the BIOS's handler takes nothing,
; then (1) the 8042's status polled until its output buffer is full and the scan code read from port 60h,
; (2) port 60h read over and over until it says Enter, (3) with interrupts off, the status polled for Enter's
; break code. Reports every scan code and how many BIOS ticks (IRQ0 stays on until phase 3) each wait took.
%include "lib.inc"
main:
    in al, 0x21
    or al, 0x02
    out 0x21, al
.drain:                     ; whatever SeaBIOS's keyboard set-up left behind
    in al, 0x64
    test al, 1
    jz .ibe
    in al, 0x60
    jmp .drain
.ibe:                       ; the controller ready for a command, as drivers wait before writing one
    in al, 0x64
    test al, 2
    jnz .ibe
    mov al, 0xae            ; enable the keyboard interface
    out 0x64, al
    mov si, ready
    call serial
    mov ebx, [0x46c]
    mov cx, 4               ; a's make and break, then b's
.key:
.obf:
    in al, 0x64
    test al, 1
    jz .obf
    in al, 0x60
    SHOW8 "scan", al
    cmp cx, 4
    jne .next
    mov eax, [0x46c]
    sub eax, ebx
    SHOW16 "ticks_to_first", ax
.next:
    loop .key
    mov ebx, [0x46c]
.enter:
    in al, 0x60
    cmp al, 0x1c
    jne .enter
    SHOW8 "scan", al
    mov eax, [0x46c]
    sub eax, ebx
    SHOW16 "ticks_to_enter", ax
    cli
.break:
    in al, 0x64
    test al, 1
    jz .break
    in al, 0x60
    SHOW8 "scan", al
    sti
    EXIT 0

; Prints the zero-terminated string at DS:SI on COM1 (the marker QEMU's keys wait for).
serial:
    mov dx, 0x3f8
.c: lodsb
    test al, al
    jz .r
    out dx, al
    jmp .c
.r: ret
ready: db "ready", 13, 10, 0
END_SECTOR
