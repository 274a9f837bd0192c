; fbdraw.c asking for 1024x768x32 (fb-header.inc).
%define FB_WIDTH 1024
%define FB_HEIGHT 768
%define FB_DEPTH 32
%include "fb-header.inc"
