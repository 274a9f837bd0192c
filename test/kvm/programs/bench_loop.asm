; Benchmark: a compute-bound loop of 50 million iterations (three instructions each), then HLT.
%include "pm_prologue.inc"
  mov ecx, 50000000
  xor eax, eax
.loop:
  add eax, ecx
  dec ecx
  jnz .loop
  hlt
times 510-($-$$) db 0
dw 0xAA55
