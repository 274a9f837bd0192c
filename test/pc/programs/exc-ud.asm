; An invalid opcode the guest never hooked: the run stops at the ud2 with #UD (it must not loop in the BIOS).
%include "lib.inc"
main:
    SHOW8 "before", 1
    ud2                         ; the faulting line
    SHOW8 "after", 1
    EXIT 0
END_SECTOR
