; kernel/ke/syscall.asm — the two gates from ring 3 into the system services,
; and the one way back.
;
; NT's x86 convention: EAX holds the service number; the caller's arguments
; are on its stack. Two gates lead in, both building the same KTRAP_FRAME
; (include/ke.h) that every trap builds, so the rest of the kernel sees one
; shape whatever the entry:
;
;   int 2Eh (KiSystemService)   a DPL-3 interrupt gate; EDX points at the
;                               arguments. The CPU pushed SS, ESP, EFLAGS,
;                               CS, EIP.
;   sysenter (KiFastCallEntry)  the processor's fast entry (CPUID SEP): it
;                               loads CS, EIP and ESP from MSRs and pushes
;                               nothing, with interrupts off. EDX is the
;                               caller's ESP, which points at the return
;                               address into KUSER_SHARED_DATA's stub and
;                               then the service stub's own return address:
;                               the arguments are 8 bytes above it. The
;                               entry finds the thread's kernel stack through
;                               the KPCR's TSS (TSS.Esp0), as NT's does, and
;                               pushes the frame the CPU would have pushed for
;                               an interrupt: user SS and ESP, EFLAGS with IF,
;                               user CS, and as EIP the stub's return point,
;                               KI_SYSTEM_CALL_RETURN_VA — marked in ErrCode
;                               as a fast call.
;
; Both then call KiSystemServiceDispatch(TrapFrame, Arguments) with
; interrupts on (kernel/ke/syscall.c); it leaves the status in the frame's
; EAX. KiServiceExit leaves: with sysexit when the frame is still the fast
; call's untouched one (its mark, its EIP at the stub's return point, no
; single-step), else with iretd, which restores everything the frame holds
; — the path every frame a kernel routine rewrote (NtContinue, an exception
; dispatched to user mode) takes. KiExitToUserMode(TrapFrame) enters the
; same exit with a frame built elsewhere: a new user thread's first entry
; into ring 3.

%include "kernel.inc"

extern KiSystemServiceDispatch

KPCR_TSS            equ 0x40            ; KPCR.TSS (include/ketypes.h)
KTSS_ESP0           equ 0x04
KI_FAST_CALL_MARK   equ 0x5AFE          ; KTRAP_FRAME.ErrCode of a frame KiFastCallEntry built
KTRAP_ERRCODE       equ 0x34            ; offsets in KTRAP_FRAME (include/ke.h)
KTRAP_EIP           equ 0x38
KTRAP_EFLAGS        equ 0x40

section .text

global KiSystemService
KiSystemService:
    push dword 0                        ; ErrCode
    push dword VECTOR_SYSTEM_SERVICE
    pushad
    push ds
    push es
    push fs
    push gs
    mov bx, KGDT_R0_DATA                ; EBX is saved in the frame; EAX and EDX are the call's
    mov ds, bx
    mov es, bx
    mov bx, KGDT_R0_PCR
    mov fs, bx
    cld
    mov ebx, esp
    sti
    push edx                            ; the arguments
    push ebx                            ; the trap frame
    call KiSystemServiceDispatch
    add esp, 8
    jmp KiServiceExit

global KiFastCallEntry
KiFastCallEntry:
    mov ecx, KGDT_R0_PCR
    mov fs, cx
    mov esp, [fs:KPCR_TSS]
    mov esp, [esp + KTSS_ESP0]          ; the top of this thread's kernel stack
    push dword KGDT_R3_DATA | 3         ; SS
    push edx                            ; ESP
    pushfd
    or dword [esp], EFLAGS_IF           ; sysenter cleared IF; ring 3 runs with it set
    push dword KGDT_R3_CODE | 3         ; CS
    push dword KI_SYSTEM_CALL_RETURN_VA ; EIP
    push dword KI_FAST_CALL_MARK        ; ErrCode
    push dword VECTOR_SYSTEM_SERVICE
    pushad
    push ds
    push es
    push dword KGDT_R3_TEB | 3          ; FS as ring 3 had it (replaced above)
    push gs
    mov bx, KGDT_R0_DATA
    mov ds, bx
    mov es, bx
    cld
    mov ebx, esp
    sti
    lea edx, [edx + 8]                  ; the arguments, above the two return addresses
    push edx
    push ebx
    call KiSystemServiceDispatch
    add esp, 8
    ; fall through

global KiServiceExit
KiServiceExit:
    cli
    cmp dword [esp + KTRAP_ERRCODE], KI_FAST_CALL_MARK
    jne .iret
    cmp dword [esp + KTRAP_EIP], KI_SYSTEM_CALL_RETURN_VA
    jne .iret
    test dword [esp + KTRAP_EFLAGS], EFLAGS_TF
    jnz .iret
    pop gs
    pop fs
    pop es
    pop ds
    popad
    add esp, 8                          ; vector and mark
    mov edx, [esp]                      ; EIP for sysexit
    mov ecx, [esp + 12]                 ; ESP for sysexit
    sti                                 ; takes effect after the next instruction: none arrives before sysexit
    sysexit
.iret:
    pop gs
    pop fs
    pop es
    pop ds
    popad
    add esp, 8                          ; vector and error code
    iretd

; void KiExitToUserMode(PKTRAP_FRAME TrapFrame): leaves through TrapFrame (never returns).
global KiExitToUserMode
KiExitToUserMode:
    mov esp, [esp + 4]
    jmp KiServiceExit

section .note.GNU-stack noalloc noexec nowrite progbits
