; An INT3 the guest never hooked: a trap, so the CPU pushed the address after it; the stop names the int3.
%include "lib.inc"
main:
    int3                        ; the trapping line
    nop
    EXIT 0
END_SECTOR
