; A division by zero the guest never hooked: the run stops at the div with #DE.
%include "lib.inc"
main:
    mov ax, 1234
    xor dx, dx
    xor bx, bx
    div bx                      ; the faulting line
    EXIT 0
END_SECTOR
