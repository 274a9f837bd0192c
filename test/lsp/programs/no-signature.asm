org 0x7C00
start:
    cli
    hlt
    jmp start
