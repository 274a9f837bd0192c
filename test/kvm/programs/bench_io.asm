; Benchmark: 20000 port writes to 0x80, each a VM exit round trip to the monitor, then HLT.
%include "pm_prologue.inc"
  mov ecx, 20000
.out:
  out 0x80, al
  dec ecx
  jnz .out
  hlt
times 510-($-$$) db 0
dw 0xAA55
