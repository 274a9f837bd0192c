; The double-fault rules: a fault while delivering a contributory fault is #DF; a benign exception whose
; gate is missing gives the #NP, not #DF; #DF goes through vector 8 with error code 0.
; reference: bochs (QEMU TCG leaves the EXT bit out of error codes of faults met during delivery)
%include "lib/boot.inc"
%include "lib/pm.inc"

%macro GATE_PRESENT 2   ; vector, 0/1
%if %2
  or byte [idt + %1 * 8 + 5], 0x80
%else
  and byte [idt + %1 * 8 + 5], 0x7F
%endif
%endmacro

bits 16
main:
  ENTER_PM32
  PUTS32 "pm", 10
  GATE_PRESENT 13, 0
  TRY d1
  mov ax, 0x1234
  mov ds, ax                       ; #GP, whose gate is not present: #NP during #GP -> #DF
d1:
  GATE_PRESENT 13, 1
  GATE_PRESENT 6, 0
  TRY d2
  ud2                              ; #UD (benign), gate missing: #NP(0x33) delivered normally
d2:
  GATE_PRESENT 6, 1
  GATE_PRESENT 0, 0
  TRY d3
  xor ecx, ecx
  div ecx                          ; #DE (contributory), gate missing: #NP -> #DF
d3:
  GATE_PRESENT 0, 1
  GATE_PRESENT 3, 0
  TRY d4
  int3                             ; INT3 to a missing gate: #NP(0x1A), EXT clear
d4:
  GATE_PRESENT 3, 1
  ; a gate whose code segment is a data segment: #GP(selector + EXT) from delivering #UD
  mov word [idt + 6 * 8 + 2], SEL_DATA0
  TRY d5
  ud2
d5:
  mov word [idt + 6 * 8 + 2], SEL_CODE0
  SHOW32 "exceptions", [exc_count]
  DONE32

%include "lib/end.inc"
