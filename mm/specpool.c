/*
 * mm/specpool.c — special pool: catching overruns and use after free with
 * the MMU (NT's Driver Verifier "special pool").
 *
 * Booted with /SPECIALPOOL=TAG, every allocation with that tag gets a page
 * of its own, placed so that it ends where the page ends, and the page
 * after it is never mapped: a write one byte past the end (rounded up to
 * the 8-byte alignment the pool promises) touches the guard page and
 * faults at once, and MmAccessFault stops the machine with
 * PAGE_FAULT_BEYOND_END_OF_ALLOCATION (0xCD) pointing at the culprit. When
 * the allocation is freed its page is unmapped, and its slot waits at the
 * back of a FIFO queue behind every other free slot before it is used
 * again, so a late access to freed memory faults too:
 * PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xCC). Neither can be caught by an
 * exception handler, as in NT.
 *
 * An allocation made with ExAllocatePoolWithTagPriority's
 * SpecialPoolUnderrun priority is placed the other way round: at the start
 * of its page, so a write just before it touches the guard page in front
 * (the previous slot's, never mapped: slot 0 is never handed out) and
 * faults with the same 0xCD.
 *
 * The bytes of the page that are not the caller's — between the small
 * header and the allocation (the header is at the start of the page, or at
 * its end for an underrun placement), and the up to seven bytes of rounding
 * — are filled with a pattern and checked on free:
 * SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION (0xC1) if they changed.
 *
 * The special pool region MmSpecialPoolStart..MmSpecialPoolEnd is pairs of
 * pages, data then guard, reserved from system PTEs once at boot, as NT
 * reserves it. NT uses 0xCC/0xCD when the kernel is the caller
 * and DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL (0xD5) and
 * DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION (0xD6) when it can name a
 * driver; mm386 has no drivers, so it is always the kernel's codes.
 * Special pool pages are resident whatever pool type was asked for, and
 * each is charged commit.
 */
#include "mi.h"

#define MI_SPECIAL_POOL_SLOTS       1024        /* allocations outstanding at most */
#define MI_SPECIAL_POOL_PATTERN     0xAA
#define MI_SPECIAL_POOL_SIGNATURE   MAKE_TAG('S', 'p', 'P', 'l')

/* At the start of every data page. */
typedef struct _MI_SPECIAL_POOL_HEADER {
    ULONG Signature;
    ULONG Size;                 /* bytes the caller asked for */
    ULONG Tag;
    POOL_TYPE PoolType;         /* NonPagedPool or PagedPool, for the tag table */
} MI_SPECIAL_POOL_HEADER, *PMI_SPECIAL_POOL_HEADER;

PVOID MmSpecialPoolStart, MmSpecialPoolEnd;
ULONG MmSpecialPoolTag;

static KSPIN_LOCK MiSpecialPoolLock;
static USHORT MiSpecialPoolFreeSlots[MI_SPECIAL_POOL_SLOTS];   /* FIFO ring of free slot numbers */
static ULONG MiSpecialPoolFreeHead, MiSpecialPoolFreeCount;
static BOOLEAN MiSpecialPoolUnderrun[MI_SPECIAL_POOL_SLOTS];   /* a live slot's placement: at the page's start */

void MiInitializeSpecialPool(void)
{
    if (!KeBootOptions.SpecialPool)
        return;
    PMMPTE First = MiReserveSystemPtes(2 * MI_SPECIAL_POOL_SLOTS, SystemPteSpace);
    if (!First) {
        DbgPrint("specpool: no %u system PTEs for special pool; /SPECIALPOOL ignored\n", 2 * MI_SPECIAL_POOL_SLOTS);
        return;
    }
    KeInitializeSpinLock(&MiSpecialPoolLock);
    MmSpecialPoolStart = MiPteToAddress(First);
    MmSpecialPoolEnd = (PVOID)((ULONG)MmSpecialPoolStart + 2 * MI_SPECIAL_POOL_SLOTS * PAGE_SIZE);
    /* Slot 0 is never used: its guard page is what lies before slot 1's data page, as before every other. */
    for (ULONG i = 1; i < MI_SPECIAL_POOL_SLOTS; i++)
        MiSpecialPoolFreeSlots[i - 1] = (USHORT)i;
    MiSpecialPoolFreeCount = MI_SPECIAL_POOL_SLOTS - 1;
    MmSpecialPoolTag = KeBootOptions.SpecialPoolTag;
    char Tag[5];
    RtlTagToString(MmSpecialPoolTag, Tag);
    DbgPrint("specpool: allocations tagged '%s' go to special pool at %08x..%08x\n", Tag,
             (ULONG)MmSpecialPoolStart, (ULONG)MmSpecialPoolEnd - 1);
}

static inline PVOID SlotPage(ULONG Slot)
{
    return (PVOID)((ULONG)MmSpecialPoolStart + Slot * 2 * PAGE_SIZE);
}

static ULONG TakeSlot(void)
{
    KIRQL OldIrql;
    ULONG Slot = MI_SPECIAL_POOL_SLOTS;

    KeAcquireSpinLock(&MiSpecialPoolLock, &OldIrql);
    if (MiSpecialPoolFreeCount) {
        Slot = MiSpecialPoolFreeSlots[MiSpecialPoolFreeHead];
        MiSpecialPoolFreeHead = (MiSpecialPoolFreeHead + 1) % MI_SPECIAL_POOL_SLOTS;
        MiSpecialPoolFreeCount--;
    }
    KeReleaseSpinLock(&MiSpecialPoolLock, OldIrql);
    return Slot;
}

/* Queues a slot behind every other free one: its page stays unmapped as long as possible. */
static void ReturnSlot(ULONG Slot)
{
    KIRQL OldIrql;
    KeAcquireSpinLock(&MiSpecialPoolLock, &OldIrql);
    MiSpecialPoolFreeSlots[(MiSpecialPoolFreeHead + MiSpecialPoolFreeCount) % MI_SPECIAL_POOL_SLOTS] = (USHORT)Slot;
    MiSpecialPoolFreeCount++;
    KeReleaseSpinLock(&MiSpecialPoolLock, OldIrql);
}

/*
 * Where an allocation of Size bytes begins on its page: ending at the page
 * end, 8-byte aligned; or, for an underrun placement, at the page start.
 */
static inline PUCHAR BodyOf(PVOID Page, ULONG Size, bool Underrun)
{
    return Underrun ? (PUCHAR)Page : (PUCHAR)Page + PAGE_SIZE - ROUND_UP(Size, POOL_SMALLEST_BLOCK);
}

/* Where a data page's header is: at its start, or at its end for an underrun placement. */
static inline PMI_SPECIAL_POOL_HEADER HeaderOf(PVOID Page, bool Underrun)
{
    return Underrun ? (PMI_SPECIAL_POOL_HEADER)((PUCHAR)Page + PAGE_SIZE) - 1 : (PMI_SPECIAL_POOL_HEADER)Page;
}

static inline ULONG SlotOf(PVOID Va)
{
    return ((ULONG)Va - (ULONG)MmSpecialPoolStart) / (2 * PAGE_SIZE);
}

/* The bytes of the data page that are neither the header nor the allocation: [*From, *To) in one piece per side. */
static void PatternRanges(PVOID Page, PMI_SPECIAL_POOL_HEADER Header, PUCHAR Body, ULONG Size, bool Underrun,
                          PUCHAR Range[2][2])
{
    if (Underrun) {
        Range[0][0] = Range[0][1] = Body;                       /* nothing before the body */
        Range[1][0] = Body + Size;
        Range[1][1] = (PUCHAR)Header;
    } else {
        Range[0][0] = (PUCHAR)(Header + 1);
        Range[0][1] = Body;
        Range[1][0] = Body + Size;
        Range[1][1] = (PUCHAR)Page + PAGE_SIZE;
    }
}

PVOID MmAllocateSpecialPool(SIZE_T NumberOfBytes, ULONG Tag, POOL_TYPE PoolType, bool Underrun)
{
    if (NumberOfBytes > PAGE_SIZE - sizeof(MI_SPECIAL_POOL_HEADER) || !MiChargeCommitment(1))
        return NULL;
    ULONG Slot = TakeSlot();
    if (Slot == MI_SPECIAL_POOL_SLOTS || MiMapNewSystemPage(SlotPage(Slot)) == MI_NO_PAGE) {
        if (Slot != MI_SPECIAL_POOL_SLOTS)
            ReturnSlot(Slot);
        MiReturnCommitment(1);
        return NULL;
    }
    PVOID Page = SlotPage(Slot);
    MiSpecialPoolUnderrun[Slot] = Underrun;

    PMI_SPECIAL_POOL_HEADER Header = HeaderOf(Page, Underrun);
    PUCHAR Body = BodyOf(Page, NumberOfBytes, Underrun);
    PUCHAR Range[2][2];
    PatternRanges(Page, Header, Body, NumberOfBytes, Underrun, Range);
    for (ULONG i = 0; i < 2; i++)
        memset(Range[i][0], MI_SPECIAL_POOL_PATTERN, Range[i][1] - Range[i][0]);
    Header->Signature = MI_SPECIAL_POOL_SIGNATURE;
    Header->Size = NumberOfBytes;
    Header->Tag = Tag;
    Header->PoolType = PoolType;
    ExpInsertPoolTracker(Tag, PAGE_SIZE, PoolType);
    return Body;
}

/* The header of the live allocation on Va's data page, or NULL. */
static PMI_SPECIAL_POOL_HEADER FindAllocation(PVOID Va)
{
    ULONG Offset = (ULONG)Va - (ULONG)MmSpecialPoolStart;
    PVOID Page = PAGE_ALIGN(Va);
    if (!MiIsSpecialPoolAddress(Va) || (Offset & PAGE_SIZE) || !MiSyncSystemPde(Page) ||
        !MiReadPte(MiAddressToPte(Page)).u.Hard.Valid)
        return NULL;
    PMI_SPECIAL_POOL_HEADER Header = HeaderOf(Page, MiSpecialPoolUnderrun[SlotOf(Page)]);
    return Header->Signature == MI_SPECIAL_POOL_SIGNATURE ? Header : NULL;
}

static void CheckPattern(PVOID P, PUCHAR From, PUCHAR To, ULONG Violation)
{
    for (PUCHAR Byte = From; Byte < To; Byte++) {
        if (*Byte != MI_SPECIAL_POOL_PATTERN)
            KeBugCheckEx(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, (ULONG_PTR)P, (ULONG_PTR)Byte, 0, Violation);
    }
}

void MmFreeSpecialPool(PVOID P, ULONG Tag)
{
    PMI_SPECIAL_POOL_HEADER Header = FindAllocation(P);
    if (!Header)
        KeBugCheckEx(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, (ULONG_PTR)P, 0, 0, 0x20);
    PVOID Page = PAGE_ALIGN(P);
    ULONG Slot = SlotOf(Page);
    bool Underrun = MiSpecialPoolUnderrun[Slot];
    PUCHAR Body = BodyOf(Page, Header->Size, Underrun);
    if ((PUCHAR)P != Body)
        KeBugCheckEx(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, (ULONG_PTR)P, Header->Size,
                     (PUCHAR)Page + PAGE_SIZE - (PUCHAR)P, 0x21);
    MiCheckPoolFreeIrql(Header->PoolType, P);
    if (Tag != 0 && Tag != Header->Tag)
        KeBugCheckEx(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)P, Header->Tag, Tag);
    PUCHAR Range[2][2];
    PatternRanges(Page, Header, Body, Header->Size, Underrun, Range);
    CheckPattern(P, Range[0][0], Range[0][1], 0x23);
    CheckPattern(P, Range[1][0], Range[1][1], 0x24);

    ExpRemovePoolTracker(Header->Tag, PAGE_SIZE, Header->PoolType);
    MiFreeSystemPage(Page);
    MiReturnCommitment(1);
    ReturnSlot(Slot);
}

SIZE_T MmQuerySpecialPoolBlockSize(PVOID P)
{
    PMI_SPECIAL_POOL_HEADER Header = FindAllocation(P);
    return Header && BodyOf(PAGE_ALIGN(P), Header->Size, MiSpecialPoolUnderrun[SlotOf(P)]) == P ? Header->Size : 0;
}

bool MiQuerySpecialPoolBlock(PVOID Va, PPOOL_BLOCK_INFORMATION Block)
{
    PMI_SPECIAL_POOL_HEADER Header = FindAllocation(Va);
    if (!Header)
        return false;
    Block->Header = PAGE_ALIGN(Va);
    Block->Size = PAGE_SIZE;
    Block->Tag = Header->Tag;
    Block->PoolType = Header->PoolType;
    Block->BigAllocation = TRUE;
    return true;
}

NORETURN void MiSpecialPoolFault(PVOID Va, bool Write, const KTRAP_FRAME *TrapFrame)
{
    bool GuardPage = (((ULONG)Va - (ULONG)MmSpecialPoolStart) & PAGE_SIZE) != 0;
    KiBugCheckWithTrapFrame(GuardPage ? PAGE_FAULT_BEYOND_END_OF_ALLOCATION : PAGE_FAULT_IN_FREED_SPECIAL_POOL,
                            (ULONG_PTR)Va, Write, TrapFrame->Eip, 0, TrapFrame);
}
