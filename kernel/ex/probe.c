/*
 * kernel/ex/probe.c — probing user buffers, and the caller's mode.
 *
 * A system service must not trust a pointer from user mode: it probes it
 * (ProbeForRead/ProbeForWrite) before touching it, inside a handler, so a
 * buffer that reaches into system space raises STATUS_ACCESS_VIOLATION and
 * one badly aligned raises STATUS_DATATYPE_MISALIGNMENT. A probe only checks
 * the range (and, for writing, touches each page); the buffer can still
 * change under the caller, which is why the access itself is under the
 * handler too. Kernel-mode callers (previous mode KernelMode) are trusted
 * and not probed, as in NT.
 */
#include <ex.h>
#include <mm.h>

static inline void ExpCheckAlignmentArgument(ULONG Alignment)
{
    ASSERT(Alignment == 1 || Alignment == 2 || Alignment == 4 || Alignment == 8 || Alignment == 16);
}

void ProbeForRead(const volatile void *Address, SIZE_T Length, ULONG Alignment)
{
    ULONG Start = (ULONG)Address;

    if (Length == 0)
        return;
    ExpCheckAlignmentArgument(Alignment);
    if (Start & (Alignment - 1))
        ExRaiseDatatypeMisalignment();
    if (Start + Length < Start || Start + Length > (ULONG)MmUserProbeAddress)
        ExRaiseAccessViolation();
}

void ProbeForWrite(volatile void *Address, SIZE_T Length, ULONG Alignment)
{
    ULONG Start = (ULONG)Address;

    if (Length == 0)
        return;
    ExpCheckAlignmentArgument(Alignment);
    if (Start & (Alignment - 1))
        ExRaiseDatatypeMisalignment();
    ULONG Last = Start + Length - 1;
    if (Last < Start || Last >= (ULONG)MmUserProbeAddress)
        ExRaiseAccessViolation();
    /* The first byte of the buffer, then the first byte of each later page it spans. */
    for (ULONG Va = Start;;) {
        volatile UCHAR *Byte = (volatile UCHAR *)Va;
        *Byte = *Byte;
        if ((Va & ~(PAGE_SIZE - 1)) == (Last & ~(PAGE_SIZE - 1)))
            break;
        Va = (Va & ~(PAGE_SIZE - 1)) + PAGE_SIZE;
    }
}
