/*
 * kernel/ex/slist.c — the page-fault side of the SLIST pop (include/slist.h).
 *
 * InterlockedPopEntrySList (kernel/ex/slist.asm) reads the head, then the
 * first entry's link, then exchanges the head. Between the first two reads
 * it may be interrupted, and whoever runs meanwhile may pop that same entry
 * and free it, unmapping its page; the link read then faults. NT's KiTrap0E
 * checks for exactly this instruction (ExpInterlockedPopEntrySListFault)
 * and restarts the pop from ExpInterlockedPopEntrySListResume, which reads
 * the head again. mm386 does the same from its page-fault path
 * (kernel/ke/trap.c), before the memory manager sees the fault.
 *
 * It restarts only when the head differs from what the pop read (EDX:EAX
 * at the fault, the head's address in ESI): then the entry left the list
 * and the link the pop wanted does not matter. If the head is unchanged
 * the entry is still first, so its page should be there: the fault is an
 * ordinary one (a bad pointer on the list, or a page to bring in) and goes
 * on to MmAccessFault, which resolves it or stops the machine. Restarting
 * then would loop forever on a corrupt list.
 */
#include <slist.h>

bool ExpResumeInterruptedSListPopAt(PKTRAP_FRAME TrapFrame)
{
    if (TrapFrame->Eip != (ULONG)ExpInterlockedPopEntrySListFault || KiTrapFromUserMode(TrapFrame))
        return false;
    const volatile ULONG *Head = (const volatile ULONG *)TrapFrame->Esi;
    if (Head[0] == TrapFrame->Eax && Head[1] == TrapFrame->Edx)
        return false;
    TrapFrame->Eip = (ULONG)ExpInterlockedPopEntrySListResume;
    return true;
}
