; kernel/ke/stack.asm — running a routine on another kernel stack.
;
; KiCallOnStack(StackBase, Routine, Context) switches ESP to StackBase (the
; top of a stack from MmCreateKernelStack), calls Routine(Context) there,
; switches back and returns what Routine returned. Startup uses it to leave
; the boot stack for the initial thread's kernel stack, for good; tests use
; it to run code on a fresh stack. The caller's frame pointer is saved on the
; new stack, so nothing else about the caller's state has to be kept.

section .text

global KiCallOnStack
KiCallOnStack:
    push ebp
    mov ebp, esp                    ; [ebp+8] StackBase, [ebp+12] Routine, [ebp+16] Context
    mov eax, [ebp + 8]
    mov ecx, [ebp + 12]
    mov edx, [ebp + 16]
    mov esp, eax
    push ebp                        ; the way back to the caller's stack
    push edx
    call ecx
    mov esp, [esp + 4]              ; ESP = the caller's frame, where its EBP was pushed
    pop ebp
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
