; The signature comes from an include, but nothing sets org.
start:
    mov si, msg
    jmp start
msg db "hi", 0
%include "footer.inc"
