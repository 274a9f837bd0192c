; An x86-64 kernel's start, the usual hobby layout: a Multiboot2 header (GRUB's multiboot2, and Bootvisor, load
; the ELF64 file), a Multiboot v1 header too (for QEMU's -kernel once the file is converted with
; `objcopy -O elf32-i386`, as tutorials do: QEMU refuses ELF64), then 32-bit code that says so on COM1, checks
; CPUID for long mode, maps the first GiB with 2 MiB pages, turns on PAE, EFER.LME and paging, and jumps to
; 64-bit code that calls kmain64(magic, info) (x64.c). Without long mode it says so and leaves through the
; isa-debug-exit port with status 8 (QEMU's exit status 17).
section .multiboot
align 4
  dd 0x1BADB002, 0x3, -(0x1BADB002 + 0x3)
align 8
mb2_start:
  dd 0xE85250D6, 0, mb2_end - mb2_start, -(0xE85250D6 + (mb2_end - mb2_start))
  dw 0, 0
  dd 8
mb2_end:

section .bss
align 4096
pml4: resb 4096
pdpt: resb 4096
pd: resb 4096
stack: resb 16384
stack_top:

section .rodata
align 8
gdt64:
  dq 0
  dq 0x00AF9A000000FFFF               ; 64-bit code
  dq 0x00CF92000000FFFF               ; data
gdt64_ptr:
  dw gdt64_ptr - gdt64 - 1
  dd gdt64
boot_msg: db "boot32", 10, 0
no_lm_msg: db "no long mode", 10, 0

section .text
bits 32
global _start
extern kmain64
_start:
  mov esp, stack_top
  mov edi, eax                        ; the loader's magic and information, for kmain64
  mov esi, ebx
  mov ebx, boot_msg
  call puts32
  mov eax, 0x80000000
  cpuid
  cmp eax, 0x80000001
  jb .no_long_mode
  mov eax, 0x80000001
  cpuid
  test edx, 1 << 29
  jz .no_long_mode
  ; Identity map of the first GiB: PML4[0] -> PDPT[0] -> 512 2 MiB pages.
  mov eax, pdpt
  or eax, 3
  mov [pml4], eax
  mov eax, pd
  or eax, 3
  mov [pdpt], eax
  xor ecx, ecx
.map:
  mov eax, ecx
  shl eax, 21
  or eax, 0x83                        ; present, writable, 2 MiB
  mov [pd + ecx * 8], eax
  inc ecx
  cmp ecx, 512
  jb .map
  mov eax, pml4
  mov cr3, eax
  mov eax, cr4
  or eax, 1 << 5                      ; PAE
  mov cr4, eax
  mov ecx, 0xC0000080                 ; EFER
  rdmsr
  or eax, 1 << 8                      ; LME
  wrmsr
  mov eax, cr0
  or eax, 0x80000001                  ; PG, PE
  mov cr0, eax
  lgdt [gdt64_ptr]
  jmp 0x08:long_mode
.no_long_mode:
  mov ebx, no_lm_msg
  call puts32
  mov al, 8
  out 0xF4, al
.halt:
  cli
  hlt
  jmp .halt

puts32:                               ; EBX: a NUL-terminated string to COM1
  mov dx, 0x3F8
.next:
  mov al, [ebx]
  test al, al
  jz .done
  out dx, al
  inc ebx
  jmp .next
.done:
  ret

bits 64
long_mode:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  mov rsp, stack_top
  ; EDI and ESI still hold the magic and the information's address (zero-extended by the 32-bit moves).
  call kmain64
.halt64:
  cli
  hlt
  jmp .halt64

section .note.GNU-stack noalloc noexec nowrite progbits
