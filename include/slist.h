/*
 * include/slist.h — NT's interlocked singly linked lists (SLIST_HEADER).
 *
 * An SLIST is a lock-free stack. Its head is 8 bytes: the first entry, the
 * number of entries (Depth) and a Sequence number, replaced together with
 * one lock cmpxchg8b. Every push changes the sequence, so a pop that read a
 * head whose first entry was popped and pushed back meanwhile sees a
 * different head and retries (the ABA problem). An entry is a
 * SINGLE_LIST_ENTRY at the start of whatever the caller links; it belongs
 * to the list from its push to its pop.
 *
 * Every lock-free list in mm386 uses these routines: the pool's lookaside
 * lists and clients' (mm/lookasid.c), the system PTE caches (mm/syspte.c).
 * The pop, the chain push and the flush are written once, in
 * kernel/ex/slist.asm (the compare-exchange loops, and the pop's one known
 * faulting instruction, are what C cannot say), with NT's names and its
 * x86 fastcall convention; the push is C over the inline compare-exchange
 * below.
 *
 * The pop reads the first entry's link before its exchange. Another path
 * may pop that entry meanwhile and free it, page and all, so that read can
 * fault. As in NT (ExpInterlockedPopEntrySListFault), the page-fault handler
 * recognises the faulting instruction and, when the head has changed since
 * the pop read it, restarts the pop from the top
 * (ExpResumeInterruptedSListPop below). Entries must stay readable only
 * while they are on the list.
 */
#ifndef MM386_SLIST_H
#define MM386_SLIST_H

#include <ke.h>

#ifndef FASTCALL
#define FASTCALL __attribute__((fastcall))     /* NT's x86 FASTCALL: ECX, EDX, then the stack */
#endif

typedef SINGLE_LIST_ENTRY SLIST_ENTRY, *PSLIST_ENTRY;

typedef union ALIGNED(8) _SLIST_HEADER {
    ULONGLONG Alignment;
    struct {
        SLIST_ENTRY Next;       /* the first entry, NULL when the list is empty */
        USHORT Depth;           /* entries on the list */
        USHORT Sequence;        /* changed by every push */
    };
} SLIST_HEADER, *PSLIST_HEADER;

_Static_assert(sizeof(SLIST_HEADER) == 8, "an SLIST head is one cmpxchg8b operand");

static inline void InitializeSListHead(PSLIST_HEADER ListHead)
{
    ListHead->Alignment = 0;
}

/* The number of entries: a snapshot, exact only while nobody pushes or pops. */
static inline USHORT ExQueryDepthSList(const SLIST_HEADER *ListHead)
{
    return ((const volatile SLIST_HEADER *)ListHead)->Depth;
}

/* The first entry, or NULL: a snapshot, for a caller that holds the list still (a debugger, a drain under a lock). */
static inline PSLIST_ENTRY RtlFirstEntrySList(const SLIST_HEADER *ListHead)
{
    return ((const volatile SLIST_HEADER *)ListHead)->Next.Next;
}

/*
 * The 8-byte compare-exchange the SLIST routines are built on (NT's
 * InterlockedCompareExchange64: one lock cmpxchg8b, which C has no good
 * form of on x86 — gcc's 64-bit __atomic spills every half). If
 * *Destination holds *OldLow:*OldHigh it becomes NewLow:NewHigh and the
 * result is true; otherwise *OldLow:*OldHigh receive what it holds and the
 * result is false.
 */
static inline bool ExpInterlockedCompareExchange64(volatile ULONGLONG *Destination, ULONG *OldLow, ULONG *OldHigh,
                                                   ULONG NewLow, ULONG NewHigh)
{
    bool Exchanged;
    __asm__ volatile("lock cmpxchg8b %[Destination]"
                     : [Destination] "+m"(*Destination), "+a"(*OldLow), "+d"(*OldHigh), "=@ccz"(Exchanged)
                     : "b"(NewLow), "c"(NewHigh)
                     : "memory");
    return Exchanged;
}

/*
 * Pushes ListEntry and returns the entry that was first before (NULL if the
 * list was empty). Any IRQL; ListEntry must not be on any list. Inline, in
 * C over the compare-exchange: the push reads nothing another path may
 * free (unlike the pop), so it needs no fixed instruction for the fault
 * hook, and it is on every lookaside free and system PTE release. The head
 * is read as two halves (a torn read only makes the exchange fail); depth
 * and sequence, the upper half, go up by one each.
 */
static inline PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)
{
    const volatile ULONG *Half = (const volatile ULONG *)ListHead;
    ULONG First = Half[0], DepthAndSequence = Half[1];

    do {
        ListEntry->Next = (PSLIST_ENTRY)First;
    } while (!ExpInterlockedCompareExchange64(&ListHead->Alignment, &First, &DepthAndSequence, (ULONG)ListEntry,
                                              DepthAndSequence + 0x10001));
    return (PSLIST_ENTRY)First;
}

/*
 * Pops the first entry, or returns NULL if the list is empty. Any IRQL.
 * The entry is the caller's from here on.
 */
PSLIST_ENTRY FASTCALL InterlockedPopEntrySList(PSLIST_HEADER ListHead);

/*
 * Pushes a chain of Count entries already linked from List to ListEnd
 * (ListEnd's link is overwritten) with one exchange, List first; returns the
 * entry that was first before. NT's InterlockedPushListSList. Any IRQL.
 */
PSLIST_ENTRY FASTCALL InterlockedPushListSList(PSLIST_HEADER ListHead, PSLIST_ENTRY List, PSLIST_ENTRY ListEnd,
                                               ULONG Count);

/* Empties the list with one exchange and returns its former first entry: a NULL-terminated chain, the caller's. */
PSLIST_ENTRY FASTCALL InterlockedFlushSList(PSLIST_HEADER ListHead);

/* The pop's labels (kernel/ex/slist.asm), for the hook and the tests. */
extern const char ExpInterlockedPopEntrySListResume[];
extern const char ExpInterlockedPopEntrySListFault[];

/* The hook's work once the fault is known to be at the pop's read (kernel/ex/slist.c). */
bool ExpResumeInterruptedSListPopAt(PKTRAP_FRAME TrapFrame);

/*
 * The page-fault hook (kernel/ke/trap.c calls it first on every #PF): true,
 * with the trap frame sent back to the pop's retry point, when the fault is
 * InterlockedPopEntrySList's read of the first entry's link and the list's
 * head has changed since the pop read it — the entry was popped, and its
 * page freed, meanwhile. False for any other fault, and for that read when
 * the head has not changed (a bad entry on the list, or a page that must be
 * brought in): the fault then takes its ordinary course. Inline, so every
 * other page fault pays one compare for it, as in NT's KiTrap0E.
 */
static inline bool ExpResumeInterruptedSListPop(PKTRAP_FRAME TrapFrame)
{
    return UNLIKELY(TrapFrame->Eip == (ULONG)ExpInterlockedPopEntrySListFault) &&
           ExpResumeInterruptedSListPopAt(TrapFrame);
}

#endif
