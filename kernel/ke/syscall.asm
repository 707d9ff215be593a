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
;                               address into KUSER_SHARED_DATA's code and
;                               then the ntdll entry's own return address:
;                               the arguments are 8 bytes above it. The
;                               entry finds the thread's kernel stack through
;                               the KPCR's TSS (TSS.Esp0), as NT's does, and
;                               pushes the frame the CPU would have pushed for
;                               an interrupt: user SS and ESP, EFLAGS with IF,
;                               user CS, and as EIP the code's return point,
;                               KI_SYSTEM_CALL_RETURN_VA — marked in ErrCode
;                               as a fast call.
;
; Both then run KiSystemServiceCommon with interrupts on, NT's
; KiSystemService: the number indexes one table (KiServiceTable and
; KiArgumentTable, generated from kernel/ke/services.list, as the user
; runtime's stubs are; kernel/ke/syscall.c includes it); a number past its
; end is STATUS_INVALID_SYSTEM_SERVICE. The arguments are copied onto the
; kernel stack — for a caller in ring 3 only after checking that they end
; at or below MmUserProbeAddress, and a fault while copying them (an
; unmapped stack) makes the trap handler resume KiSystemServiceCopyFault,
; which returns STATUS_ACCESS_VIOLATION — and the routine is called. Around
; the call the thread's PreviousMode is the caller's mode (each service
; probes what a UserMode caller passes; include/ex.h) and its TrapFrame
; this frame; both are put back after. The status goes into the frame's
; EAX. A service that returns above PASSIVE_LEVEL or with kernel APCs
; disabled is a bugcheck (KiServiceMisbehaved). KiServiceExit leaves: with sysexit when the frame is still the fast
; call's untouched one (its mark, its EIP at the code's return point, no
; single-step), else with iretd, which restores everything the frame holds
; — the path every frame a kernel routine rewrote (NtContinue, an exception
; dispatched to user mode) takes. KiExitToUserMode(TrapFrame) enters the
; same exit with a frame built elsewhere: a new user thread's first entry
; into ring 3.

%include "kernel.inc"

extern KiServiceTable, KiArgumentTable, KiServiceLimit, MmUserProbeAddress, KiServiceMisbehaved, KiDeliverUserApc

; Offsets, pinned by _Static_asserts in kernel/ke/syscall.c.
KPCR_TSS            equ 0x40            ; KPCR.TSS (include/ketypes.h)
KPCR_IRQL           equ 0x24
KPCR_CURRENT_THREAD equ 0x124
KPCR_SYSTEM_CALLS   equ 0x268           ; KPCR.PrcbData.KeSystemCalls
KTSS_ESP0           equ 0x04
KTHREAD_PREVIOUS_MODE equ 0x2C
KTHREAD_APC_DISABLE equ 0x32            ; KernelApcDisable, then SpecialApcDisable
KTHREAD_TRAP_FRAME  equ 0x10C
KTHREAD_USER_APC_PENDING equ 0xEA       ; ApcState.UserApcPending
KI_FAST_CALL_MARK   equ 0x5AFE          ; KTRAP_FRAME.ErrCode of a frame KiFastCallEntry built
KTRAP_EAX           equ 0x2C            ; offsets in KTRAP_FRAME (include/ke.h)
KTRAP_ERRCODE       equ 0x34
KTRAP_CS            equ 0x3C
STATUS_ACCESS_VIOLATION         equ 0xC0000005
STATUS_INVALID_SYSTEM_SERVICE   equ 0xC000001C

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
    jmp KiSystemServiceCommon

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
    mov cx, KGDT_R0_DATA
    mov ds, cx
    mov es, cx
    cld
    mov ebx, esp
    sti
    add edx, 8                          ; the arguments, above the two return addresses
    ; fall through

; The service itself. EBX: the trap frame; EDX: the arguments; EAX: the number. Interrupts on.
KiSystemServiceCommon:
    mov esi, [fs:KPCR_CURRENT_THREAD]
    inc dword [fs:KPCR_SYSTEM_CALLS]
    movzx ecx, byte [esi + KTHREAD_PREVIOUS_MODE]
    push ecx                            ; [ebx-4]: the thread's PreviousMode, put back after
    push dword [esi + KTHREAD_TRAP_FRAME]   ; [ebx-8]: its TrapFrame
    mov [esi + KTHREAD_TRAP_FRAME], ebx
    mov ecx, [ebx + KTRAP_CS]
    and ecx, 1                          ; ring 3's CS has RPL 3: UserMode (1), else KernelMode (0)
    mov [esi + KTHREAD_PREVIOUS_MODE], cl
    cmp eax, [KiServiceLimit]
    jae KiServiceInvalid
    mov edi, [KiServiceTable + eax * 4]
    push edi                            ; [ebx-12]: the routine, named if it misbehaves
    movzx ecx, byte [KiArgumentTable + eax]
    xor ebp, ebp                        ; the kernel's backtraces end at the service
    test ecx, ecx
    jz KiServiceCall
    lea eax, [ecx * 4]
    sub esp, eax
    test byte [ebx + KTRAP_CS], 1
    jz KiServiceCopy
    lea eax, [edx + ecx * 4]            ; ring 3's arguments must end at or below MmUserProbeAddress
    cmp eax, edx
    jb KiServiceAccessViolation
    cmp eax, [MmUserProbeAddress]
    ja KiServiceAccessViolation
KiServiceCopy:
    push esi
    mov esi, edx
    lea edi, [esp + 4]
global KiSystemServiceCopyArguments, KiSystemServiceCopyEnd
KiSystemServiceCopyArguments:
    rep movsd                           ; a fault here resumes KiSystemServiceCopyFault (kernel/ke/trap.c)
KiSystemServiceCopyEnd:
    pop esi
    mov edi, [ebx - 12]
KiServiceCall:
    call edi
KiServiceReturn:
    lea esp, [ebx - 12]
    pop edx                             ; the routine
    pop dword [esi + KTHREAD_TRAP_FRAME]
    pop ecx
    mov [esi + KTHREAD_PREVIOUS_MODE], cl
    mov [ebx + KTRAP_EAX], eax
    cmp byte [fs:KPCR_IRQL], 0
    jne KiServiceMisbehavedExit
    cmp dword [esi + KTHREAD_APC_DISABLE], 0    ; KernelApcDisable and SpecialApcDisable together
    jne KiServiceMisbehavedExit
    jmp KiServiceExit
KiServiceInvalid:
    push dword 0
    mov eax, STATUS_INVALID_SYSTEM_SERVICE
    jmp KiServiceReturn
KiServiceAccessViolation:
    mov eax, STATUS_ACCESS_VIOLATION
    jmp KiServiceReturn
KiServiceMisbehavedExit:
    push edx
    call KiServiceMisbehaved            ; bugchecks (kernel/ke/syscall.c)

; A fault while copying ring 3's arguments: the trap handler resumes here instead (NT's KiSystemServiceCopyEnd).
global KiSystemServiceCopyFault
KiSystemServiceCopyFault:
    pop esi
    mov eax, STATUS_ACCESS_VIOLATION
    jmp KiServiceReturn

global KiServiceExit
KiServiceExit:
    cli
    cmp dword [esp + KTRAP_ERRCODE], KI_FAST_CALL_MARK
    jne .iret
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
    test byte [esp + KTRAP_CS], 1
    jz .pop
    mov eax, [fs:KPCR_CURRENT_THREAD]
    cmp byte [eax + KTHREAD_USER_APC_PENDING], 0
    je .pop
    sti                                 ; a user APC on the way out (kernel/ke/apcobj.c)
    push esp
    call KiDeliverUserApc
    add esp, 4
    jmp KiServiceExit
.pop:
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
