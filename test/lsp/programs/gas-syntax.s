    .code16
    .globl _start
_start:
    movw $0x7c00, %sp
    movb $0x0e, %ah
    int $0x10
    .section .data
msg: .asciz "hi"
