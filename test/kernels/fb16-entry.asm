; fbdraw.c asking for 640x480x16 (fb-header.inc).
%define FB_WIDTH 640
%define FB_HEIGHT 480
%define FB_DEPTH 16
%include "fb-header.inc"
