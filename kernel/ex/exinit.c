/*
 * kernel/ex/exinit.c — starting the executive's object types (NT's
 * ExInitSystem, phase 1).
 *
 * NT's executive owns the waitable objects a program creates by handle —
 * events, semaphores, mutants, timers — and makes their object types when
 * the object manager is ready, before the first program can ask for one.
 * mm386 does the same right after ObInitSystem: each file creates its own
 * type (ExpEventInitialization ...), with NT's name, generic mapping and
 * valid access mask. A type that cannot be made leaves the system without a
 * service it promises: PHASE1_INITIALIZATION_FAILED ('Ex', which one).
 */
#include "exp.h"

void ExInitSystem(void)
{
    static bool (*const Initializers[])(void) = {
        ExpEventInitialization,
        ExpSemaphoreInitialization,
        ExpMutantInitialization,
        ExpTimerInitialization,
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Initializers); i++) {
        if (!Initializers[i]())
            KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0x4578, i + 1, 0, 0);     /* 'Ex' */
    }
}
