/*
 * kernel/ex/exp.h — what the executive's files share (NT's exp.h): the
 * object types' initialisation, called once by ExInitSystem, and the way
 * every service hands a result back to its caller.
 */
#ifndef MM386_EXP_H
#define MM386_EXP_H

#include <ntexapi.h>
#include <rtl.h>

/* Each creates its object type (exinit.c calls them in phase 1); false if ObCreateObjectType failed. */
bool ExpEventInitialization(void);
bool ExpSemaphoreInitialization(void);
bool ExpMutantInitialization(void);
bool ExpTimerInitialization(void);

/*
 * Stores Value at *(Pointer), a caller's output, once the service has done
 * its work: directly for a KernelMode caller; for a UserMode caller under a
 * handler that ignores a fault, as NT does — the pointer was probed before
 * anything changed, so only a caller that unmapped or protected its buffer
 * in the meantime loses the value, and it will fault when it reads it.
 */
#define EXP_STORE_RESULT(PreviousMode, Pointer, Value)                          \
    do {                                                                        \
        if ((PreviousMode) == KernelMode) {                                     \
            *(Pointer) = (Value);                                               \
        } else {                                                                \
            volatile __typeof__(*(Pointer)) _ExpValue = (Value);                \
            NTSTATUS _ExpIgnored;                                               \
            EX_TRY {                                                            \
                *(Pointer) = _ExpValue;                                         \
            } EX_EXCEPT(_ExpIgnored) {                                          \
                (void)_ExpIgnored;                                              \
            } EX_END;                                                           \
        }                                                                       \
    } while (0)

/*
 * Copies a query's answer (Length bytes) to the caller's Buffer and the
 * length to *ReturnLength if given, under one handler for a UserMode caller
 * (a fault is ignored, as EXP_STORE_RESULT says).
 */
static inline void ExpStoreInformation(KPROCESSOR_MODE PreviousMode, PVOID Buffer, const void *Information,
                                       ULONG Length, PULONG ReturnLength)
{
    if (PreviousMode == KernelMode) {
        memcpy(Buffer, Information, Length);
        if (ReturnLength)
            *ReturnLength = Length;
        return;
    }
    NTSTATUS Ignored;
    EX_TRY {
        memcpy(Buffer, Information, Length);
        if (ReturnLength)
            *ReturnLength = Length;
    } EX_EXCEPT(Ignored) {
        (void)Ignored;
    } EX_END;
}

#endif
