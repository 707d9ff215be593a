/*
 * kernel/ps/psteb.c — the current thread's TEB, until there are threads.
 *
 * NT finds the running thread's TEB through its KTHREAD; the memory
 * manager reads the user stack's bounds there when a stack guard page is
 * touched (MiCheckForUserStackOverflow). mm386 has one flow of control
 * until the dispatcher lands, so the TEB is one slot, which code standing
 * in for a user thread (the tests of stack growth) sets.
 */
#include <ps.h>

static PTEB PspCurrentThreadTeb;

PTEB PsGetCurrentThreadTeb(void)
{
    return PspCurrentThreadTeb;
}

PTEB PspSetCurrentThreadTeb(PTEB Teb)
{
    PTEB Old = PspCurrentThreadTeb;
    PspCurrentThreadTeb = Teb;
    return Old;
}
