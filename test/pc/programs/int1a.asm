; INT 1Ah: the tick count (and that it advances while the CPU halts), the RTC time and date.
%include "lib.inc"
main:
    mov ah, 0x00
    int 0x1a
    SHOW16 "ticks_hi", cx
    mov bx, dx
    add bx, 3
.wait:
    hlt
    mov ah, 0x00
    int 0x1a
    cmp dx, bx
    jb .wait
    SHOW8 "advanced", 1
    mov ah, 0x02
    int 0x1a
    SHOWCF "time_cf"
    SHOW16 "hour_min", cx
    mov ah, 0x04
    int 0x1a
    SHOWCF "date_cf"
    SHOW16 "century_year", cx
    SHOW16 "month_day", dx
    EXIT 0
END_SECTOR
