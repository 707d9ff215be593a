/*
 * mm/pool.c — the executive pools: ExAllocatePoolWithTag and ExFreePoolWithTag.
 *
 * NT's kernel heap. A request of up to 4080 bytes (POOL_BUDDY_MAX) is a
 * small block with an 8-byte POOL_HEADER, cut from a pool page (poolblk.c:
 * the free lists, splitting and merging). In front of the lists sit
 * per-size lookaside lists (lookasid.c) for blocks of up to 32 units: a
 * free pushes the block there, an allocation of that size pops it, and
 * neither takes the pool's lock. Requests above 4080 bytes are big
 * allocations: whole pages from poolpage.c, recorded with their tag and
 * size in the big-page table (pooltag.c). Every allocation and free is
 * counted against its tag (pooltag.c, poolmon's data).
 *
 * Verification, always on: a free checks the block's size against its page
 * and the next block's header, and against both neighbours before it is
 * merged (BAD_POOL_HEADER 0x19), catches a second free (BAD_POOL_CALLER
 * 0xC2 parameter 7; a block waiting in a lookaside list is marked so a
 * double free is seen there too), a wrong tag (0xC2, 0x0A), an address
 * outside every pool (0xC2, 0x40/0x42) and the wrong IRQL (0xC2, 0x08 on
 * allocation, 0x09 on free). Nonpaged pool is usable up to DISPATCH_LEVEL,
 * paged pool up to APC_LEVEL, because its pages fault in on first touch.
 *
 * The two entry points are written as a fast path per pool type (the type a
 * constant in each copy, so list and counter addresses are fixed) that
 * handles a plain small request — a lookaside hit or miss, a block from the
 * lists — and leaves everything else, unchanged, to a slow path that checks
 * again in full: AllocatePoolSlow (special pool, big pages, cache
 * alignment, bad arguments) and FreePoolSlow (every verdict on a bad free).
 * The lookaside part of each fast path is assembly; docs/POOL.md counts the
 * instructions of each step.
 */
#include "mi.h"

/* A lookaside-sized block whose header starts below this page offset ends inside its page. */
#define LOOKASIDE_HEADER_LIMIT  (PAGE_SIZE - POOL_SMALL_LISTS * POOL_SMALLEST_BLOCK)

static inline PGENERAL_LOOKASIDE SmallLookaside(POOL_TYPE BasePoolType, ULONG BlockSize)
{
    return &ExpSmallPoolLookasideLists[BasePoolType][BlockSize - 1];
}

/* Whole pages for a big request, entered in the big-page table and counted; NULL if either fails. */
static PVOID AllocateBigPages(POOL_TYPE BasePoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    PVOID Va = MiAllocatePoolPages(BasePoolType, NumberOfBytes);
    if (!Va)
        return NULL;
    ULONG Pages = BYTES_TO_PAGES(NumberOfBytes);
    if (!ExpAddTagForBigPages(Va, Tag, Pages)) {
        MiFreePoolPages(Va);
        return NULL;
    }
    ExpInsertPoolTracker(Tag, Pages << PAGE_SHIFT, BasePoolType);
    __atomic_fetch_add(&ExpPoolDescriptor(BasePoolType)->TotalBigPages, Pages, __ATOMIC_RELAXED);
    return Va;
}

/* The pool an address belongs to, or a bugcheck for an address outside both pools. */
static POOL_TYPE PoolOfAddress(PVOID P)
{
    if (MiIsNonPagedPoolAddress(P))
        return NonPagedPool;
    if (MiIsPagedPoolAddress(P))
        return PagedPool;
    if ((ULONG)P < (ULONG)MmSystemRangeStart)
        KeBugCheckEx(BAD_POOL_CALLER, 0x40, (ULONG_PTR)P, (ULONG_PTR)MmSystemRangeStart, 0);
    KeBugCheckEx(BAD_POOL_CALLER, 0x42, (ULONG_PTR)P, 0, 0);
}

/*
 * Frees the big allocation at the page-aligned address P. An address the
 * big-page table does not know gets MiBadPoolPagesFree's verdict.
 */
static void FreeBigPages(PVOID P, ULONG Tag)
{
    POOL_TYPE BasePoolType = PoolOfAddress(P);
    ULONG Key;

    MiCheckPoolFreeIrql(BasePoolType, P);
    ULONG Pages = ExpFindAndRemoveTagBigPages(P, Tag, &Key);
    if (Pages == 0)
        MiBadPoolPagesFree(P);
    ULONG Freed = MiFreePoolPages(P);
    if (Freed != Pages)
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_BIG_PAGES_MISMATCH, (ULONG_PTR)P, Pages, Freed);
    ExpRemovePoolTracker(Key, Pages << PAGE_SHIFT, BasePoolType);
    __atomic_fetch_sub(&ExpPoolDescriptor(BasePoolType)->TotalBigPages, Pages, __ATOMIC_RELAXED);
}

/*
 * The verdict on a freed block whose header does not say "allocated in this
 * pool": a free or lookaside-cached block is being freed a second time
 * (0xC2, 7); any other type or index is a corrupt header (0xC2, 1).
 */
static NORETURN __attribute__((noinline, cold)) void BadFreedHeader(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
    ULONG Type = Entry->PoolType;
    if (Type == POOL_FREE_BLOCK || Type == ((BasePoolType + 1u) | POOL_IN_LOOKASIDE))
        KeBugCheckEx(BAD_POOL_CALLER, 0x07, 0, Entry->Ulong1, (ULONG_PTR)(Entry + 1));
    KeBugCheckEx(BAD_POOL_CALLER, 0x01, (ULONG_PTR)Entry, Entry->Ulong1, 0);
}

/* The header bits that say "allocated in pool BasePoolType", and the mask they are read with: type and index. */
#define TYPE_AND_INDEX_MASK     ((POOL_HEADER){ .PoolIndex = 0x7F, .PoolType = 0x7F }.Ulong1)
#define ALLOCATED_BITS(Base)    ((POOL_HEADER){ .PoolType = (Base) + 1 }.Ulong1)

/* What every free checks first: the block is allocated, and allocated in this pool. */
static inline void CheckFreedType(POOL_TYPE BasePoolType, PPOOL_HEADER Entry)
{
    if (UNLIKELY((Entry->Ulong1 & TYPE_AND_INDEX_MASK) != ALLOCATED_BITS(BasePoolType)))
        BadFreedHeader(BasePoolType, Entry);
}

/*
 * The check a free into a lookaside list makes: the size fits the page and
 * the next block's PreviousSize agrees (NT checks the same since Windows 8).
 * The rest of CheckBlockNeighbours runs when the block is merged.
 */
static inline void CheckFreedSize(PPOOL_HEADER Entry)
{
    ULONG Size = Entry->BlockSize;
    ULONG End = ExpPageOffset(Entry) + Size;
    if (UNLIKELY(Size == 0 || End > POOL_UNITS_PER_PAGE ||
                 (End < POOL_UNITS_PER_PAGE && ExpBlockAt(Entry, Size)->PreviousSize != Size)))
        ExpCheckBlockNeighbours(Entry);
}

/*
 * Every request the fast path does not take: the argument checks and their
 * bugchecks (Caller is the address 0x9B names), special pool, big pages,
 * cache-aligned blocks.
 */
static __attribute__((noinline)) PVOID AllocatePoolSlow(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                                       PVOID Caller)
{
    if (PoolType >= MaxPoolType || PoolType == DontUseThisType)
        return NULL;
    if (PoolType & MUST_SUCCEED_POOL_TYPE_MASK)
        KeBugCheckEx(BAD_POOL_CALLER, 0x9A, PoolType, NumberOfBytes, Tag);
    if (Tag == 0)
        KeBugCheckEx(BAD_POOL_CALLER, 0x9B, PoolType, NumberOfBytes, (ULONG_PTR)Caller);
    POOL_TYPE BasePoolType = PoolType & BASE_POOL_TYPE_MASK;
    if (KeGetCurrentIrql() > MiPoolMaximumIrql(BasePoolType))
        KeBugCheckEx(BAD_POOL_CALLER, 0x08, KeGetCurrentIrql(), PoolType, NumberOfBytes);
    if (NumberOfBytes == 0)
        return NULL;

    bool CacheAligned = (PoolType & CACHE_ALIGNED_POOL_TYPE_MASK) != 0;
    if (Tag == MmSpecialPoolTag && !CacheAligned) {
        PVOID Special = MmAllocateSpecialPool(NumberOfBytes, Tag, BasePoolType);
        if (Special)
            return Special;
    }
    SIZE_T Limit = CacheAligned ? POOL_BUDDY_MAX - POOL_CACHE_ALIGN_UNITS * POOL_SMALLEST_BLOCK : POOL_BUDDY_MAX;
    if (NumberOfBytes > Limit)
        return AllocateBigPages(BasePoolType, NumberOfBytes, Tag);

    ULONG Units = (NumberOfBytes + POOL_OVERHEAD + POOL_SMALLEST_BLOCK - 1) >> POOL_BLOCK_SHIFT;
    if (CacheAligned)
        return ExpAllocateAlignedBlock(BasePoolType, Units, Tag);
    return BasePoolType == NonPagedPool ? ExpAllocateNonPagedBlock(Units, Tag) : ExpAllocatePagedBlock(Units, Tag);
}

/*
 * A small request from PoolType's lookaside list, in C: what the assembly
 * fast path below hands over when the tag is not in its home row of the
 * tag table. Arguments already checked.
 */
static __attribute__((noinline)) PVOID AllocateFromLookaside(POOL_TYPE PoolType, ULONG Units, ULONG Tag)
{
    PGENERAL_LOOKASIDE Lookaside = SmallLookaside(PoolType, Units);
    Lookaside->TotalAllocates++;
    PSINGLE_LIST_ENTRY Body = InterlockedPopEntrySList(&Lookaside->ListHead);
    if (Body == NULL) {
        Lookaside->AllocateMisses++;
        return PoolType == NonPagedPool ? ExpAllocateNonPagedBlock(Units, Tag) : ExpAllocatePagedBlock(Units, Tag);
    }
    PPOOL_HEADER Entry = (PPOOL_HEADER)Body - 1;
    Entry->PoolType = PoolType + 1;         /* allocated again: POOL_IN_LOOKASIDE cleared */
    Entry->PoolTag = Tag;
    ExpInsertPoolTracker(Tag, Units << POOL_BLOCK_SHIFT, PoolType);
    return Body;
}

/*
 * The fast path of ExAllocatePoolWithTag for one pool type (a constant): a
 * request of 1..4080 bytes with a tag that is neither 0 nor special pool's,
 * at an IRQL the pool allows. Up to 248 bytes it pops the lookaside list of
 * its size (NT's fast path: no lock); a miss, or a larger request, takes a
 * block from the free lists. Everything else goes to AllocatePoolSlow.
 *
 * The lookaside hit is written in assembly, for the reason FreeToPool's
 * is; each step is AllocateFromLookaside's C:
 *
 *   NumberOfBytes - 1 < 248, Tag != 0, Tag != MmSpecialPoolTag,
 *   IRQL <= the pool's                 (else the C below decides)
 *   tag's home row holds Tag           (else AllocateFromLookaside)
 *   Bytes = (NumberOfBytes + 15) & ~7  (the block with its header; the list
 *                                       of BlockSize units is at
 *                                       Lists + (BlockSize - 1) * 64, that
 *                                       is Lists - 64 + Bytes * 8)
 *   TotalAllocates++, pop (lock cmpxchg8b); empty: a miss
 *   PoolType = PoolType + 1 (the header's last byte: BlockSize is below
 *   256, so its top bit is 0, and POOL_IN_LOOKASIDE is cleared), PoolTag
 *   Allocs++, Bytes += Bytes           (interlocked)
 *
 * esi holds Bytes, edi the home row's offset, across the cmpxchg8b.
 */
static inline __attribute__((always_inline)) PVOID AllocateFromPool(POOL_TYPE PoolType,
                                                                   const SIZE_T *NumberOfBytesArgument,
                                                                   const ULONG *TagArgument)
{
    SIZE_T NumberOfBytes;
    ULONG Tag;
    PGENERAL_LOOKASIDE Lists = ExpSmallPoolLookasideLists[PoolType];
    POOL_TRACKER_COUNTS *Counts = &PoolTrackTable[0].Pool[PoolType];
    PVOID Body;

    __asm__ goto("movl %[NumberOfBytes], %%esi\n\t"
                 "decl %%esi\n\t"
                 "cmpl %[SmallMaximum], %%esi\n\t"
                 "jae %l[NotLookaside]\n\t"
                 "movl %[Tag], %%edx\n\t"
                 "testl %%edx, %%edx\n\t"
                 "jz %l[NotLookaside]\n\t"
                 "cmpl %[SpecialTag], %%edx\n\t"
                 "je %l[NotLookaside]\n\t"
                 "cmpb %[MaxIrql], %%fs:0x24\n\t"
                 "ja %l[NotLookaside]\n\t"
                 "imull %[HashMultiplier], %%edx, %%edi\n\t"
                 "shrl %[HashShift], %%edi\n\t"
                 "shll $5, %%edi\n\t"                           /* edi: the home row's offset */
                 "cmpl %%edx, %c[Rows](%%edi)\n\t"
                 "jne %l[NotHome]\n\t"
                 "addl $16, %%esi\n\t"
                 "andl $-8, %%esi\n\t"                          /* esi: Bytes */
                 "incl %c[Lists]-64+%c[TotalAllocatesField](,%%esi,8)\n\t"
                 "movl %c[Lists]-64(,%%esi,8), %%eax\n\t"
                 "movl %c[Lists]-60(,%%esi,8), %%edx\n"
                 "1:\t"
                 "testl %%eax, %%eax\n\t"
                 "jz %l[Miss]\n\t"
                 "movl (%%eax), %%ebx\n\t"                        /* the new first: first->Next */
                 "leal -1(%%edx), %%ecx\n\t"                      /* depth - 1, same sequence */
                 "lock cmpxchg8b %c[Lists]-64(,%%esi,8)\n\t"
                 "jnz 1b\n\t"
                 "movb %[AllocatedByte], -5(%%eax)\n\t"
                 "movl %[Tag], %%edx\n\t"
                 "movl %%edx, -4(%%eax)\n\t"
                 "lock incl %c[Allocs](%%edi)\n\t"
                 "lock addl %%esi, %c[Bytes](%%edi)"
                 : "=&a"(Body)
                 : [NumberOfBytes] "m"(*NumberOfBytesArgument), [Tag] "m"(*TagArgument),
                   [SpecialTag] "m"(MmSpecialPoolTag),
                   [MaxIrql] "i"(MiPoolMaximumIrql(PoolType)),
                   [SmallMaximum] "i"(POOL_SMALL_LISTS * POOL_SMALLEST_BLOCK - POOL_OVERHEAD),
                   [HashMultiplier] "i"(POOL_TAG_HASH_MULTIPLIER),
                   [HashShift] "i"(32 - POOL_TRACK_TABLE_SHIFT),
                   [Rows] "i"(&PoolTrackTable[0].Key),
                   [Allocs] "i"(&Counts->Allocs), [Bytes] "i"(&Counts->Bytes),
                   [Lists] "i"(Lists),
                   [TotalAllocatesField] "i"(offsetof(GENERAL_LOOKASIDE, TotalAllocates)),
                   [AllocatedByte] "i"((PoolType + 1) << 1)   /* PoolType is bits 1-7 of the header's last byte */
                 : "ebx", "ecx", "edx", "esi", "edi", "memory", "cc"
                 : NotLookaside, NotHome, Miss);
    return Body;

    /* The C below reads the arguments again, from where the caller put them. */
Miss:
    NumberOfBytes = *NumberOfBytesArgument;
    Tag = *TagArgument;
    {
        ULONG Units = (NumberOfBytes + POOL_OVERHEAD + POOL_SMALLEST_BLOCK - 1) >> POOL_BLOCK_SHIFT;
        SmallLookaside(PoolType, Units)->AllocateMisses++;
        return PoolType == NonPagedPool ? ExpAllocateNonPagedBlock(Units, Tag) : ExpAllocatePagedBlock(Units, Tag);
    }
NotHome:
    NumberOfBytes = *NumberOfBytesArgument;
    Tag = *TagArgument;
    return AllocateFromLookaside(PoolType, (NumberOfBytes + POOL_OVERHEAD + POOL_SMALLEST_BLOCK - 1) >> POOL_BLOCK_SHIFT,
                                 Tag);
NotLookaside:
    /* Above 248 bytes, or something to look at more closely: a block from the free lists, or the slow path. */
    NumberOfBytes = *NumberOfBytesArgument;
    Tag = *TagArgument;
    if (UNLIKELY(NumberOfBytes - 1 >= POOL_BUDDY_MAX || Tag == 0 || Tag == MmSpecialPoolTag ||
                 KeGetCurrentIrql() > MiPoolMaximumIrql(PoolType)))
        return AllocatePoolSlow(PoolType, NumberOfBytes, Tag, __builtin_return_address(0));
    {
        ULONG Units = (NumberOfBytes + POOL_OVERHEAD + POOL_SMALLEST_BLOCK - 1) >> POOL_BLOCK_SHIFT;
        return PoolType == NonPagedPool ? ExpAllocateNonPagedBlock(Units, Tag) : ExpAllocatePagedBlock(Units, Tag);
    }
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    /* The assembly reads the arguments where the caller put them, so it is given their addresses. */
    if (PoolType == NonPagedPool)
        return AllocateFromPool(NonPagedPool, &NumberOfBytes, &Tag);
    if (PoolType == PagedPool)
        return AllocateFromPool(PagedPool, &NumberOfBytes, &Tag);
    return AllocatePoolSlow(PoolType, NumberOfBytes, Tag, __builtin_return_address(0));
}

PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, POOL_DEFAULT_TAG);
}

/* Frees what is not a small block: special pool, a big allocation, or an address in no pool. */
static __attribute__((noinline)) void FreeNonSmallBlock(PVOID P, ULONG Tag)
{
    if (MiIsSpecialPoolAddress(P))
        MmFreeSpecialPool(P, Tag);
    else if (BYTE_OFFSET(P) == 0)
        FreeBigPages(P, Tag);
    else
        PoolOfAddress(P);
}

/*
 * Every free the fast path does not take, and every bad one: each check in
 * full, in order, and the verdict on the first that fails; a good block
 * then goes to its lookaside list or the free lists.
 */
static __attribute__((noinline)) void FreePoolSlow(PVOID P, ULONG Tag)
{
    POOL_TYPE BasePoolType;

    if (MiIsNonPagedPoolAddress(P) && BYTE_OFFSET(P) != 0) {
        BasePoolType = NonPagedPool;
    } else if (MiIsPagedPoolAddress(P) && BYTE_OFFSET(P) != 0) {
        BasePoolType = PagedPool;
    } else {
        FreeNonSmallBlock(P, Tag);
        return;
    }
    MiCheckPoolFreeIrql(BasePoolType, P);
    PPOOL_HEADER Entry = (PPOOL_HEADER)P - 1;
    CheckFreedType(BasePoolType, Entry);
    ULONG BlockTag = Entry->PoolTag;
    if (Tag != 0 && Tag != BlockTag)
        KeBugCheckEx(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)P, BlockTag, Tag);

    ULONG BlockSize = Entry->BlockSize;
    if (BlockSize <= POOL_SMALL_LISTS) {
        CheckFreedSize(Entry);
        ExpRemovePoolTracker(BlockTag, BlockSize << POOL_BLOCK_SHIFT, BasePoolType);
        PGENERAL_LOOKASIDE Lookaside = SmallLookaside(BasePoolType, BlockSize);
        Lookaside->TotalFrees++;
        if (ExQueryDepthSList(&Lookaside->ListHead) < Lookaside->Depth) {
            Entry->PoolType |= POOL_IN_LOOKASIDE;
            InterlockedPushEntrySList(&Lookaside->ListHead, P);
            return;
        }
        Lookaside->FreeMisses++;
        ExpFreeSmallBlock(BasePoolType, Entry);
        return;
    }
    /* ExpFreeSmallBlock checks the header against both neighbours before anything is changed. */
    ExpFreeSmallBlock(BasePoolType, Entry);
    ExpRemovePoolTracker(BlockTag, BlockSize << POOL_BLOCK_SHIFT, BasePoolType);
}

/*
 * The fast path of ExFreePoolWithTag for one pool type (a constant), P
 * already known to lie in that pool. A block whose checks pass in the
 * plainest way goes to its lookaside list; one larger than a lookaside
 * list's, to the free lists (which check it against both neighbours);
 * anything else, with nothing changed, to FreePoolSlow, which checks again
 * in full and names what is wrong. ExFreePool (tag 0) takes the slow path,
 * and so does a tag that is not in its home row of the tag table.
 *
 * The lookaside free is written in assembly, because it is most of what a
 * pool allocation costs and the compiler spills registers around the
 * cmpxchg8b it needs; each step is the C of FreePoolSlow's lookaside branch:
 *
 *   header in the first 3,840 bytes of P's page  (not page-aligned: not a
 *                                                 big allocation; a block of
 *                                                 up to 32 units ends inside
 *                                                 the page, so its next
 *                                                 header can be read)
 *   IRQL <= the pool's                           (else 0xC2/0x09)
 *   BlockSize | PoolType << 9 - ((PoolType + 1) << 9 | 1) < 32
 *                                                (allocated in this pool,
 *                                                 1..32 units: one compare)
 *   PoolIndex == 0, PoolTag == Tag
 *   next header's PreviousSize | PoolIndex << 9 == BlockSize
 *   tag's home row holds Tag                     (the row is 32 bytes)
 *   list depth < list Depth                      (the list is 64 bytes; as
 *                                                 in NT the depth is a bound
 *                                                 one processor keeps exactly,
 *                                                 several only roughly: it is
 *                                                 not checked again on a retry)
 *   Frees++, Bytes -= BlockSize * 8              (interlocked)
 *   TotalFrees++, PoolType |= POOL_IN_LOOKASIDE, push (lock cmpxchg8b)
 *
 * ebx holds P throughout: it is also the new first entry for cmpxchg8b.
 */
static inline __attribute__((always_inline)) void FreeToPool(POOL_TYPE PoolType, PVOID P, const ULONG *TagArgument)
{
    ULONG Tag;
    PGENERAL_LOOKASIDE Lists = ExpSmallPoolLookasideLists[PoolType];
    POOL_TRACKER_COUNTS *Counts = &PoolTrackTable[0].Pool[PoolType];

    __asm__ goto("leal -8(%[P]), %%eax\n\t"
                 "andl $0xfff, %%eax\n\t"
                 "cmpl %[HeaderLimit], %%eax\n\t"
                 "jae %l[Slow]\n\t"
                 "cmpb %[MaxIrql], %%fs:0x24\n\t"
                 "ja %l[Slow]\n\t"
                 "movzwl -6(%[P]), %%esi\n\t"
                 "subl %[SizeOneAllocated], %%esi\n\t"         /* esi: BlockSize - 1 */
                 "cmpl %[SmallLists], %%esi\n\t"
                 "jae %l[NotLookaside]\n\t"
                 "testb $0xfe, -7(%[P])\n\t"
                 "jnz %l[Slow]\n\t"
                 "movl %[Tag], %%edx\n\t"
                 "cmpl -4(%[P]), %%edx\n\t"
                 "jne %l[Slow]\n\t"
                 "leal 1(%%esi), %%eax\n\t"                     /* eax: BlockSize */
                 "cmpw %%ax, (%[P],%%esi,8)\n\t"                 /* the next header, at Entry + BlockSize * 8 */
                 "jne %l[Slow]\n\t"
                 "imull %[HashMultiplier], %%edx, %%ecx\n\t"
                 "shrl %[HashShift], %%ecx\n\t"
                 "shll $5, %%ecx\n\t"                           /* ecx: the home row's offset */
                 "cmpl %%edx, %c[Rows](%%ecx)\n\t"
                 "jne %l[Slow]\n\t"
                 "shll $6, %%esi\n\t"                           /* esi: the list's offset */
                 "movl %c[Lists]+4(%%esi), %%edx\n\t"            /* depth | sequence << 16 */
                 "cmpw %c[Lists]+%c[DepthField](%%esi), %%dx\n\t"
                 "jae %l[Slow]\n\t"
                 "lock incl %c[Frees](%%ecx)\n\t"
                 "shll %[UnitShift], %%eax\n\t"
                 "lock subl %%eax, %c[Bytes](%%ecx)\n\t"
                 "incl %c[Lists]+%c[TotalFreesField](%%esi)\n\t"
                 "orb %[InLookaside], -5(%[P])\n\t"              /* marked before the push, which hands the block on */
                 "movl %c[Lists](%%esi), %%eax\n"
                 "1:\t"
                 "movl %%eax, (%[P])\n\t"                        /* P->Next = first */
                 "leal 0x10001(%%edx), %%ecx\n\t"                /* depth + 1, sequence + 1 */
                 "lock cmpxchg8b %c[Lists](%%esi)\n\t"
                 "jnz 1b"
                 :
                 : [P] "b"(P), [Tag] "m"(*TagArgument),
                   [MaxIrql] "i"(MiPoolMaximumIrql(PoolType)),
                   [HeaderLimit] "i"(LOOKASIDE_HEADER_LIMIT),
                   [SizeOneAllocated] "i"(((PoolType + 1) << POOL_TYPE_SHIFT) | 1),
                   [SmallLists] "i"(POOL_SMALL_LISTS),
                   [HashMultiplier] "i"(POOL_TAG_HASH_MULTIPLIER),
                   [HashShift] "i"(32 - POOL_TRACK_TABLE_SHIFT),
                   [Rows] "i"(&PoolTrackTable[0].Key),
                   [Frees] "i"(&Counts->Frees), [Bytes] "i"(&Counts->Bytes),
                   [UnitShift] "i"(POOL_BLOCK_SHIFT),
                   [Lists] "i"(Lists),
                   [DepthField] "i"(offsetof(GENERAL_LOOKASIDE, Depth)),
                   [TotalFreesField] "i"(offsetof(GENERAL_LOOKASIDE, TotalFrees)),
                   [InLookaside] "i"(POOL_IN_LOOKASIDE << 1)  /* PoolType is bits 1-7 of the header's last byte */
                 : "eax", "ecx", "edx", "esi", "memory", "cc"
                 : NotLookaside, Slow);
    return;

NotLookaside:
    /* Larger than a lookaside list's block (or no block of this pool): the free lists, if the header checks out. */
    Tag = *TagArgument;
    {
        PPOOL_HEADER Entry = (PPOOL_HEADER)P - 1;
        if ((Entry->Ulong1 & TYPE_AND_INDEX_MASK) == ALLOCATED_BITS(PoolType) && Entry->PoolTag == Tag)
            return PoolType == NonPagedPool ? ExpFreeNonPagedListBlock(Entry, Tag, Entry->BlockSize)
                                            : ExpFreePagedListBlock(Entry, Tag, Entry->BlockSize);
    }
Slow:
    FreePoolSlow(P, *TagArgument);
}

void ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    /* The assembly reads the tag where the caller put it, so it is given its address. */
    if (MiIsNonPagedPoolAddress(P))
        return FreeToPool(NonPagedPool, P, &Tag);
    if (MiIsPagedPoolAddress(P))
        return FreeToPool(PagedPool, P, &Tag);
    FreePoolSlow(P, Tag);
}

void ExFreePool(PVOID P)
{
    ExFreePoolWithTag(P, 0);
}

SIZE_T ExQueryPoolBlockSize(PVOID PoolBlock, PBOOLEAN QuotaCharged)
{
    PVOID Start;
    ULONG Key, Pages;

    *QuotaCharged = FALSE;
    if (MiIsSpecialPoolAddress(PoolBlock))
        return MmQuerySpecialPoolBlockSize(PoolBlock);
    if (BYTE_OFFSET(PoolBlock) == 0)
        return ExpFindBigPages(PoolBlock, &Start, &Key, &Pages) && Start == PoolBlock ? Pages << PAGE_SHIFT : 0;
    if (!MiIsNonPagedPoolAddress(PoolBlock) && !MiIsPagedPoolAddress(PoolBlock))
        return 0;
    PPOOL_HEADER Entry = (PPOOL_HEADER)PoolBlock - 1;
    if (Entry->PoolType == POOL_FREE_BLOCK || (Entry->PoolType & POOL_IN_LOOKASIDE))
        return 0;
    return ((SIZE_T)Entry->BlockSize << POOL_BLOCK_SHIFT) - POOL_OVERHEAD;
}

void MiInitializePool(void)
{
    MiInitializePoolPages();
    ExpInitializePoolDescriptors();
    ExpInitializePoolLookasideLists();
    ExpInitializePoolTracking();
}

void MiInitializePoolPhase1(void)
{
    MiInitializeSpecialPool();
    ExpRegisterPoolTagGuard();
}
