; kernel/ke/ctxswap.asm — KiSwapContext: the thread switch itself.
;
; void KiSwapContext(PVOID *OldKernelStack, PVOID NewKernelStack,
;                    ULONG NewCr3, PVOID NewInitialStack)
;
; Called by the dispatcher (kernel/ke/thrdschd.c) at DISPATCH_LEVEL with the
; dispatcher lock held. On the current (old) thread's stack it saves what
; the C calling convention says a callee must keep — EBP, EBX, ESI, EDI —
; plus EFLAGS (each thread resumes with its own interrupt flag) and the
; exception list at fs:[0] (the thread's fault catchers, NT's
; KPCR.NtTib.ExceptionList), and stores the resulting ESP in the old
; thread's KTHREAD.KernelStack. Then it loads the new address space when
; the new thread belongs to another process (NewCr3 != 0; a CR3 load drops
; the old process's non-global translations, never the kernel's global
; ones), points TSS.ESP0 at the new thread's stack base (where the CPU puts
; a trap frame on entry from ring 3), switches ESP and pops the same frame
; from the new stack. `ret` then returns into the new thread's own call of
; KiSwapContext — or, for a thread that has never run, into the frame
; KeInitializeThread built, which starts KiThreadStartup.
;
; Interrupts are off from the first save to the last restore, so no
; interrupt runs on a half-switched processor.

KPCR_EXCEPTION_LIST equ 0x00            ; KPCR.ExceptionList (include/ketypes.h)
KPCR_TSS            equ 0x40            ; KPCR.TSS
KTSS_ESP0           equ 0x04

section .text

global KiSwapContext
KiSwapContext:
    push ebp
    push ebx
    push esi
    push edi
    pushfd
    cli
    push dword [fs:KPCR_EXCEPTION_LIST]
    mov eax, [esp + 28]                 ; &Old->KernelStack (6 saved words + return address)
    mov ebx, [esp + 32]                 ; New->KernelStack
    mov ecx, [esp + 36]                 ; NewCr3, or 0
    mov edx, [esp + 40]                 ; New->InitialStack
    mov [eax], esp
    test ecx, ecx
    jz .same_process
    mov cr3, ecx
.same_process:
    mov eax, [fs:KPCR_TSS]
    mov [eax + KTSS_ESP0], edx
    mov esp, ebx
    pop dword [fs:KPCR_EXCEPTION_LIST]
    popfd
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
