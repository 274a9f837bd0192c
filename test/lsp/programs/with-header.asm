; org and the signature come from includes: nothing to say.
%include "header.inc"
start:
    mov si, msg
    jmp start
msg db "hi", 0
%include "footer.inc"
