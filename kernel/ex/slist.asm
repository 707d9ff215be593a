; kernel/ex/slist.asm — NT's interlocked singly linked lists (include/slist.h).
;
; An SLIST head is 8 bytes: the first entry, then Depth (low 16 bits) and
; Sequence (high 16 bits). Each routine reads the head into EDX:EAX, builds
; the head it wants in ECX:EBX and replaces it with lock cmpxchg8b, which
; succeeds only if the head is still EDX:EAX; when it fails it has loaded the
; current head into EDX:EAX and the loop tries again. A torn read of the two
; halves only makes the exchange fail. Push adds 0x10001 (depth + 1,
; sequence + 1); pop subtracts 1 (depth - 1, the same sequence); flush keeps
; the sequence and zeroes the depth. The single push is C, inline in
; include/slist.h: it reads nothing another path may free.
;
; The pop reads the first entry's link (ExpInterlockedPopEntrySListFault)
; between reading the head and exchanging it. If another path popped that
; entry and freed its page meanwhile, the read faults; the page-fault
; handler (ExpResumeInterruptedSListPop, kernel/ex/slist.c) then restarts
; the pop at ExpInterlockedPopEntrySListResume. What it needs is in fixed
; registers at the faulting instruction: ESI the head's address, EDX:EAX the
; head as this pop read it. ESI rather than NT's EBP keeps the frame chain
; intact for a backtrace taken in a fault here.
;
; The calling convention is NT's FASTCALL (gcc's fastcall): the first two
; arguments in ECX and EDX, the rest on the stack, popped by the callee.

section .text

; PSLIST_ENTRY FASTCALL InterlockedPopEntrySList(PSLIST_HEADER ListHead)
global InterlockedPopEntrySList
global ExpInterlockedPopEntrySListResume
global ExpInterlockedPopEntrySListFault
InterlockedPopEntrySList:
    push ebx
    push esi
    mov esi, ecx                    ; the head, where the fault hook finds it
ExpInterlockedPopEntrySListResume:
    mov edx, [esi + 4]              ; depth and sequence
    mov eax, [esi]                  ; the first entry
ExpPopEntrySListRetry:
    test eax, eax
    jz ExpPopEntrySListDone                        ; empty: return NULL
    lea ecx, [edx - 1]              ; depth - 1, the same sequence
ExpInterlockedPopEntrySListFault:
    mov ebx, [eax]                  ; the new first entry: the first one's link (may fault)
    lock cmpxchg8b [esi]
    jnz ExpPopEntrySListRetry
ExpPopEntrySListDone:
    pop esi
    pop ebx
    ret

; PSLIST_ENTRY FASTCALL InterlockedPushListSList(PSLIST_HEADER ListHead, PSLIST_ENTRY List,
;                                                PSLIST_ENTRY ListEnd, ULONG Count)
global InterlockedPushListSList
InterlockedPushListSList:
    push ebx
    push esi
    push edi
    mov esi, ecx
    mov ebx, edx                    ; the new first entry: the chain's first
    mov edi, [esp + 16]             ; ListEnd
    mov edx, [esi + 4]
    mov eax, [esi]
.retry:
    mov [edi], eax                  ; ListEnd->Next = the first entry
    mov ecx, [esp + 20]             ; Count
    lea ecx, [ecx + edx + 0x10000]  ; depth + Count, sequence + 1
    lock cmpxchg8b [esi]
    jnz .retry
    pop edi
    pop esi
    pop ebx
    ret 8

; PSLIST_ENTRY FASTCALL InterlockedFlushSList(PSLIST_HEADER ListHead)
global InterlockedFlushSList
InterlockedFlushSList:
    push ebx
    push esi
    mov esi, ecx
    mov edx, [esi + 4]
    mov eax, [esi]
.retry:
    test eax, eax
    jz .done                        ; already empty: nothing to exchange
    xor ebx, ebx                    ; no first entry
    mov ecx, edx
    and ecx, 0xFFFF0000             ; depth 0, the same sequence
    lock cmpxchg8b [esi]
    jnz .retry
.done:
    pop esi
    pop ebx
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
