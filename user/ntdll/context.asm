; user/ntdll/context.asm — the user runtime's few routines that only
; assembly can write: the kernel's way back into a program after an
; exception, and saving and restoring the registers RTL_TRY needs.
;
; KiUserExceptionDispatcher is where the kernel resumes a thread that took
; an exception in ring 3 (kernel/ke/except.c): not called but jumped to,
; with the EXCEPTION_RECORD's address at [esp] and the CONTEXT's at [esp+4],
; both copied onto the thread's stack. As NT's: RtlDispatchException walks
; the handlers; if one continued execution the (possibly edited) context is
; resumed with NtContinue, else the kernel is asked for the second chance
; with NtRaiseException(FirstChance = FALSE), which ends the process.
; Neither returns. The image exports KiUserExceptionDispatcher (exports.def)
; so that the kernel finds it.

extern RtlDispatchException, NtContinue, NtRaiseException, NtTerminateProcess

section .text

global KiUserExceptionDispatcher
KiUserExceptionDispatcher:
    mov ecx, [esp + 4]                  ; PCONTEXT
    mov ebx, [esp]                      ; PEXCEPTION_RECORD
    push ecx
    push ebx
    call RtlDispatchException           ; cdecl (user/ntdll/except.c)
    add esp, 8
    mov ecx, [esp + 4]
    mov ebx, [esp]
    test al, al
    jz .second_chance
    push dword 0                        ; TestAlert
    push ecx
    call NtContinue                     ; stdcall; returns only if the context was bad
    jmp .raise_status
.second_chance:
    push dword 0                        ; FirstChance = FALSE
    push ecx
    push ebx
    call NtRaiseException
.raise_status:
    ; Both failed: nothing can be dispatched; end the process with what they returned.
    push eax
    push dword -1                       ; NtCurrentProcess()
    call NtTerminateProcess
.hang:
    jmp .hang

; KiUserApcDispatcher: where the kernel resumes a thread to run a user APC's normal routine
; (kernel/ke/except.c's KiInitializeUserApc): [esp] the routine, then its three arguments
; (NormalContext, SystemArgument1, SystemArgument2), then the CONTEXT to go back to. As NT's:
; call the routine, then NtContinue(Context, TestAlert = TRUE), which delivers the next APC.
global KiUserApcDispatcher
KiUserApcDispatcher:
    lea edi, [esp + 16]                 ; the CONTEXT, kept across the call (EDI is callee-saved)
    pop eax
    call eax
    push dword 1
    push edi
    call NtContinue
    push eax
    push dword -1
    call NtTerminateProcess
.hang:
    jmp .hang

; int RtlpSaveTryContext(RTL_TRY_FRAME *Frame): 0 now; 1 when an exception resumes it.
; Frame->Context (at +8, after the registration record): ebx esi edi ebp esp eip.
global RtlpSaveTryContext
RtlpSaveTryContext:
    mov eax, [esp + 4]
    mov [eax + 8], ebx
    mov [eax + 12], esi
    mov [eax + 16], edi
    mov [eax + 20], ebp
    lea ecx, [esp + 4]                  ; the caller's esp once this returns
    mov [eax + 24], ecx
    mov ecx, [esp]
    mov [eax + 28], ecx                 ; the return address
    xor eax, eax
    ret

; void RtlpResumeTryContext(RTL_TRY_FRAME *Frame): back into RtlpSaveTryContext's caller, which sees 1.
global RtlpResumeTryContext
RtlpResumeTryContext:
    mov eax, [esp + 4]
    mov ebx, [eax + 8]
    mov esi, [eax + 12]
    mov edi, [eax + 16]
    mov ebp, [eax + 20]
    mov esp, [eax + 24]
    mov ecx, [eax + 28]
    mov eax, 1
    jmp ecx

; void RtlpCaptureContext(PCONTEXT Context): the caller's registers as they are at the call
; (EIP its return address, ESP as it was before the call). CONTEXT offsets: include/ntexcept.h.
global RtlpCaptureContext
RtlpCaptureContext:
    push ebx
    mov ebx, [esp + 8]                  ; PCONTEXT
    mov dword [ebx + 0x00], 0x00010007  ; CONTEXT_FULL
    mov [ebx + 0xB0], eax
    mov [ebx + 0xAC], ecx
    mov [ebx + 0xA8], edx
    pop dword [ebx + 0xA4]              ; the caller's EBX
    mov [ebx + 0xA0], esi
    mov [ebx + 0x9C], edi
    mov [ebx + 0xB4], ebp
    mov eax, [esp]
    mov [ebx + 0xB8], eax               ; EIP: the return address
    lea eax, [esp + 4]
    mov [ebx + 0xC4], eax               ; ESP before the call
    pushfd
    pop dword [ebx + 0xC0]
    mov [ebx + 0xBC], cs
    mov [ebx + 0xC8], ss
    mov [ebx + 0x98], ds
    mov [ebx + 0x94], es
    mov [ebx + 0x90], fs
    mov [ebx + 0x8C], gs
    mov ebx, [ebx + 0xA4]
    ret

; Where RtlCreateUserThread's threads begin: EAX the start routine, EBX its parameter.
; The routine's return value ends the thread (NtTerminateThread(NtCurrentThread(), value)).
extern NtTerminateThread
global RtlpUserThreadStart
RtlpUserThreadStart:
    push ebx
    call eax                            ; stdcall: it pops its parameter
    push eax
    push dword -2                       ; NtCurrentThread()
    call NtTerminateThread
.hang:
    jmp .hang

section .note.GNU-stack noalloc noexec nowrite progbits
