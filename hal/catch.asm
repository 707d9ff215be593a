; hal/catch.asm — save and resume the context of a fault catcher (include/ke.h).
;
; KiSaveFaultContext(catcher) saves the callee-saved registers, the stack
; pointer, the return address and EFLAGS, and returns 0. KiResumeFaultContext
; (catcher) restores them and makes that KiSaveFaultContext call return 1 —
; setjmp/longjmp for the kernel, used by the trap dispatcher when a catcher
; is armed and by the ktest harness to end a test whose ASSERT failed.

section .text

; Context layout: [0] ebx [4] esi [8] edi [12] ebp [16] esp [20] eip [24] eflags
global KiSaveFaultContext
KiSaveFaultContext:
    mov eax, [esp + 4]
    mov [eax + 0], ebx
    mov [eax + 4], esi
    mov [eax + 8], edi
    mov [eax + 12], ebp
    lea ecx, [esp + 4]              ; ESP after this call returns
    mov [eax + 16], ecx
    mov ecx, [esp]                  ; return address
    mov [eax + 20], ecx
    pushfd
    pop ecx
    mov [eax + 24], ecx
    xor eax, eax
    ret

global KiResumeFaultContext
KiResumeFaultContext:
    mov edx, [esp + 4]
    mov ebx, [edx + 0]
    mov esi, [edx + 4]
    mov edi, [edx + 8]
    mov ebp, [edx + 12]
    mov esp, [edx + 16]
    push dword [edx + 24]
    popfd
    mov eax, 1
    jmp [edx + 20]

section .note.GNU-stack noalloc noexec nowrite progbits
