; hal/trap.asm — the entry routines for all 256 interrupt vectors.
;
; Each entry pushes a zero error code when the CPU does not push one, then its
; vector, and jumps to KiTrapCommon, which saves the rest of a KTRAP_FRAME
; (include/ke.h), loads the kernel data segments and FS = the KPCR, and calls
; KiDispatchTrap(KTRAP_FRAME *). When that returns, the frame — possibly
; edited, for example EAX for int 0x2A — leaves through the kernel's
; KiServiceExit (kernel/ke/syscall.asm), which delivers a user APC due on
; the way back to ring 3, restores the frame and IRETDs to the interrupted
; code. Vector 8 is normally reached through its task gate
; (KiDoubleFaultEntry below), never through its entry here.

%include "kernel.inc"

extern KiDispatchTrap, KiDoubleFault, KiServiceExit

section .text

%macro TRAP_ENTRY 1
align 8
KiTrapEntry%1:
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
    push dword %1
%else
    push dword 0
    push dword %1
%endif
    jmp KiTrapCommon
%endmacro

%assign v 0
%rep 256
    TRAP_ENTRY v
%assign v v + 1
%endrep

KiTrapCommon:
    pushad
    push ds
    push es
    push fs
    push gs
    mov ax, KGDT_R0_DATA
    mov ds, ax
    mov es, ax
    mov ax, KGDT_R0_PCR                 ; fs:[0] is the KPCR in kernel mode
    mov fs, ax
    cld
    push esp                        ; KTRAP_FRAME *
    call KiDispatchTrap
    add esp, 4
    jmp KiServiceExit               ; the kernel's one way out of a trap (kernel/ke/syscall.asm)

; The double fault arrives by task switch on its own TSS and stack (hal/gdt.c),
; so it works even when the faulting stack is exhausted. It never returns.
global KiDoubleFaultEntry
KiDoubleFaultEntry:
    xor ebp, ebp
    call KiDoubleFault
.hang:
    cli
    hlt
    jmp .hang

section .rodata
global KiTrapEntries
KiTrapEntries:
%assign v 0
%rep 256
    dd KiTrapEntry %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
