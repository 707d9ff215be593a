/*
 * tests/mm/mdl.c — MDLs (mm/mdlsup.c) and mapping them (mm/iosup.c):
 * IoAllocateMdl, MmBuildMdlForNonPagedPool, MmMapLockedPagesSpecifyCache,
 * MmAllocatePagesForMdl and MmAllocatePagesForMdlEx (flags, cache types),
 * and the cache-type rules of mapping.
 */
#include <ex.h>
#include <ktest.h>
#include <pool.h>
#include <rtl.h>
#include "mm/mi.h"
#include "../testlib.h"

/*
 * An unaligned buffer over three pages: the MDL records its offset and
 * frames, a second mapping shows the same bytes both ways, and unmapping
 * restores the MDL; else drivers would read or write the wrong memory.
 */
KTEST(mdl, build_map_read_write_unmap)
{
    const ULONG Offset = 0x234, Length = 2 * PAGE_SIZE + 100;
    char *Base = ExAllocatePoolWithTag(NonPagedPool, 3 * PAGE_SIZE, MAKE_TAG('T', 'm', 'd', 'l'));
    ASSERT_NOT_NULL(Base);
    char *Buffer = Base + Offset;

    PMDL Mdl = IoAllocateMdl(Buffer, Length, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    EXPECT_EQ(Mdl->Size, MmSizeOfMdl(Buffer, Length));
    EXPECT_EQ(Mdl->Size, sizeof(MDL) + 3 * sizeof(PFN_NUMBER));
    EXPECT_EQ(Mdl->StartVa, Base);
    EXPECT_EQ(MmGetMdlByteOffset(Mdl), Offset);
    EXPECT_EQ(MmGetMdlByteCount(Mdl), Length);
    EXPECT_EQ(MmGetMdlVirtualAddress(Mdl), Buffer);
    EXPECT_EQ(Mdl->MdlFlags, 0);

    MmBuildMdlForNonPagedPool(Mdl);
    EXPECT_TRUE(Mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    EXPECT_FALSE(Mdl->MdlFlags & MDL_IO_SPACE);
    EXPECT_EQ(Mdl->MappedSystemVa, Buffer);
    for (ULONG i = 0; i < 3; i++)
        EXPECT_EQ(MmGetMdlPfnArray(Mdl)[i], MmGetPhysicalAddress(Base + i * PAGE_SIZE) >> PAGE_SHIFT);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority), Buffer);

    char *Second = MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    ASSERT_NOT_NULL(Second);
    EXPECT_NE(Second, Buffer);
    EXPECT_EQ(BYTE_OFFSET(Second), Offset);
    EXPECT_TRUE(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority), Second);

    for (ULONG i = 0; i < Length; i += 509)
        Buffer[i] = (char)(i * 7 + 1);
    ULONG Mismatches = 0;
    for (ULONG i = 0; i < Length; i += 509)
        Mismatches += Second[i] != (char)(i * 7 + 1);
    EXPECT_EQ(Mismatches, 0);
    for (ULONG i = 3; i < Length; i += 511)
        Second[i] = (char)(i * 3 + 2);
    for (ULONG i = 3; i < Length; i += 511)
        Mismatches += Buffer[i] != (char)(i * 3 + 2);
    EXPECT_EQ(Mismatches, 0);
    EXPECT_EQ(MmGetPhysicalAddress(Second + Length - 1), MmGetPhysicalAddress(Buffer + Length - 1));

    MmUnmapLockedPages(Second, Mdl);
    EXPECT_FALSE(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    EXPECT_EQ(Mdl->MappedSystemVa, Buffer);
    IoFreeMdl(Mdl);
    ExFreePoolWithTag(Base, MAKE_TAG('T', 'm', 'd', 'l'));
}

/*
 * A buffer that starts mid-page, locked with MmProbeAndLockPages (so it has
 * no system address of its own): MmGetSystemAddressForMdlSafe maps its pages
 * and returns the mapping plus the MDL's byte offset, as NT's
 * MmMapLockedPagesSpecifyCache does — the address's offset within its page
 * is the buffer's, every byte read through it is the buffer's (the
 * physical addresses agree), and asking again returns the same address.
 * Unlocking unmaps it. Else a driver's DMA or copy would start at the
 * page's first byte instead of the buffer's.
 */
KTEST(mdl, locked_buffer_system_address_adds_byte_offset)
{
    const ULONG Tag = MAKE_TAG('T', 'm', 'd', 'o'), Offset = 0x5C4, Length = PAGE_SIZE + 0x300;
    char *Base = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE, Tag);
    ASSERT_NOT_NULL(Base);
    ASSERT_EQ(BYTE_OFFSET(Base), 0);                   /* a multi-page allocation starts on a page */
    char *Buffer = Base + Offset;
    for (ULONG i = 0; i < Length; i++)
        Buffer[i] = (char)(i * 13 + 5);

    PMDL Mdl = IoAllocateMdl(Buffer, Length, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    volatile NTSTATUS Status = STATUS_SUCCESS;
    EX_TRY {
        MmProbeAndLockPages(Mdl, KernelMode, IoModifyAccess);
    } EX_EXCEPT(Status) {
    } EX_END;
    ASSERT_EQ(Status, STATUS_SUCCESS);
    EXPECT_EQ(MmGetMdlByteOffset(Mdl), Offset);
    EXPECT_FALSE(Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL));

    char *Mapped = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
    ASSERT_NOT_NULL(Mapped);
    EXPECT_NE(Mapped, Buffer);                          /* a mapping of its own, not the pool address */
    EXPECT_EQ(BYTE_OFFSET(Mapped), Offset);
    EXPECT_EQ(Mdl->MappedSystemVa, Mapped);
    EXPECT_TRUE(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority), Mapped);
    ULONG Mismatches = 0;
    for (ULONG i = 0; i < Length; i++)
        Mismatches += Mapped[i] != (char)(i * 13 + 5);
    EXPECT_EQ(Mismatches, 0);
    EXPECT_EQ(MmGetPhysicalAddress(Mapped), MmGetPhysicalAddress(Buffer));
    EXPECT_EQ(MmGetPhysicalAddress(Mapped + Length - 1), MmGetPhysicalAddress(Buffer + Length - 1));

    MmUnlockPages(Mdl);
    EXPECT_FALSE(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    IoFreeMdl(Mdl);
    ExFreePoolWithTag(Base, Tag);
}

/*
 * 2 MB of fresh pages: 512 distinct RAM frames, all zeroed, mapped in one
 * piece, each address translating to its frame, all given back after; else
 * a DMA buffer would overlap other memory or leak it.
 */
KTEST(mdl, allocate_pages_2mb)
{
    const ULONG Bytes = 2 * 1024 * 1024, Pages = Bytes / PAGE_SIZE;
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, Bytes);
    ASSERT_NOT_NULL(Mdl);
    ASSERT_EQ(MmGetMdlByteCount(Mdl), Bytes);
    EXPECT_TRUE(Mdl->MdlFlags & MDL_PAGES_LOCKED);

    const PFN_NUMBER *Pfns = MmGetMdlPfnArray(Mdl);
    ULONG NotRam = 0, NotInUse = 0, Duplicates = 0;
    for (ULONG i = 0; i < Pages; i++) {
        NotRam += !MiIsPhysicalPage(Pfns[i]);
        NotInUse += MI_PFN_ELEMENT(Pfns[i])->u3.e2.e1.PageLocation != ActiveAndValid;
        for (ULONG j = 0; j < i; j++)
            Duplicates += Pfns[j] == Pfns[i];
    }
    EXPECT_EQ(NotRam, 0);
    EXPECT_EQ(NotInUse, 0);
    EXPECT_EQ(Duplicates, 0);

    ULONG *Va = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
    ASSERT_NOT_NULL(Va);
    ULONG NonZero = 0, Misplaced = 0;
    for (ULONG i = 0; i < Bytes / sizeof(ULONG); i++)
        NonZero += Va[i] != 0;
    for (ULONG i = 0; i < Pages; i++) {
        ULONG *Page = Va + i * (PAGE_SIZE / sizeof(ULONG));
        Page[i % (PAGE_SIZE / sizeof(ULONG))] = Pfns[i];
        Misplaced += MmGetPhysicalAddress(Page) != (PHYSICAL_ADDRESS)Pfns[i] << PAGE_SHIFT;
    }
    EXPECT_EQ(NonZero, 0);
    EXPECT_EQ(Misplaced, 0);

    MmUnmapLockedPages(Va, Mdl);
    MmFreePagesFromMdl(Mdl);
    EXPECT_FALSE(Mdl->MdlFlags & MDL_PAGES_LOCKED);
    ULONG StillInUse = 0;
    for (ULONG i = 0; i < Pages; i++)
        StillInUse += MI_PFN_ELEMENT(Pfns[i])->u3.e2.e1.PageLocation == ActiveAndValid;
    EXPECT_EQ(StillInUse, 0);
    IoFreeMdl(Mdl);
}

/*
 * The physical range is honoured, and SkipBytes moves it up: pages from
 * [8 MB, 8 MB + 4 KB) and then 1 MB apart; nothing where there is no RAM.
 * Else a driver limited to low memory gets frames it cannot reach.
 */
KTEST(mdl, allocate_pages_in_range)
{
    const PHYSICAL_ADDRESS Low = 8 * 0x100000, Skip = 0x100000;
    PMDL Mdl = MmAllocatePagesForMdl(Low, Low + PAGE_SIZE - 1, Skip, 4 * PAGE_SIZE);
    ASSERT_NOT_NULL(Mdl);
    ULONG Pages = MmGetMdlByteCount(Mdl) / PAGE_SIZE;
    EXPECT_GE(Pages, 1);
    EXPECT_LE(Pages, 4);
    for (ULONG i = 0; i < Pages; i++) {
        PFN_NUMBER Pfn = MmGetMdlPfnArray(Mdl)[i];
        EXPECT_GE(Pfn, Low >> PAGE_SHIFT);
        EXPECT_EQ((Pfn - (Low >> PAGE_SHIFT)) % (Skip >> PAGE_SHIFT), 0);
    }
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);

    PHYSICAL_ADDRESS AboveRam = ((PHYSICAL_ADDRESS)MmHighestPhysicalPage + 1) << PAGE_SHIFT;
    EXPECT_NULL(MmAllocatePagesForMdl(AboveRam, AboveRam + 0x100000 - 1, 0, PAGE_SIZE));
    EXPECT_NULL(MmAllocatePagesForMdl(0, ~0ull, 0, 0));
    EXPECT_NULL(MmAllocatePagesForMdl(0, ~0ull, 123, PAGE_SIZE));
}

/* IoAllocateMdl takes NT's largest buffer and refuses one byte more (or one page more when unaligned), a zero length and an IRP; else an MDL's Size field would overflow. */
KTEST(mdl, io_allocate_limits)
{
    static char Buffer[16];
    EXPECT_NULL(IoAllocateMdl(Buffer, 0, FALSE, FALSE, NULL));
    EXPECT_NULL(IoAllocateMdl(Buffer, MM_MAXIMUM_MDL_BUFFER_SIZE + 1, FALSE, FALSE, NULL));
    EXPECT_NULL(IoAllocateMdl(Buffer, sizeof(Buffer), FALSE, FALSE, (struct _IRP *)Buffer));

    PMDL Largest = IoAllocateMdl((PVOID)0x80000000, MM_MAXIMUM_MDL_BUFFER_SIZE, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Largest);
    EXPECT_EQ(MmGetMdlByteCount(Largest), MM_MAXIMUM_MDL_BUFFER_SIZE);
    EXPECT_LE(MmSizeOfMdl((PVOID)0x80000000, MM_MAXIMUM_MDL_BUFFER_SIZE), 0xFFFF);
    EXPECT_EQ(Largest->Size, MmSizeOfMdl((PVOID)0x80000000, MM_MAXIMUM_MDL_BUFFER_SIZE));
    IoFreeMdl(Largest);
    EXPECT_NULL(IoAllocateMdl((PVOID)0x80000001, MM_MAXIMUM_MDL_BUFFER_SIZE, FALSE, FALSE, NULL));
}

/* Mapping an MDL that names a free page is MEMORY_MANAGEMENT 0x1233; else the kernel could write into a page someone else gets. */
KTEST_DEATH_P1(mdl, map_free_page, MEMORY_MANAGEMENT, MM_BUGCHECK_MAP_UNLOCKED_PAGE)
{
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    MmFreePagesFromMdl(Mdl);
    MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
}

/* MmFreePagesFromMdl of an MDL that describes nonpaged pool would free live pool pages: MEMORY_MANAGEMENT 0x4154. */
KTEST_DEATH_P1(mdl, free_pages_of_pool_mdl, MEMORY_MANAGEMENT, MM_BUGCHECK_MDL_NOT_ALLOCATED)
{
    PVOID Buffer = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, MAKE_TAG('T', 'm', 'd', 'l'));
    PMDL Mdl = IoAllocateMdl(Buffer, PAGE_SIZE, FALSE, FALSE, NULL);
    TEST_REQUIRE(Buffer && Mdl);
    MmBuildMdlForNonPagedPool(Mdl);
    MmFreePagesFromMdl(Mdl);
}

/* Mapping an MDL that is already mapped would lose the first mapping's PTEs: SYSTEM_PTE_MISUSE 0x401. */
KTEST_DEATH_P1(mdl, map_mapped_mdl, SYSTEM_PTE_MISUSE, PTE_MDL_ALREADY_MAPPED)
{
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    TEST_REQUIRE(Mdl != NULL);
    TEST_REQUIRE(MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority) != NULL);
    MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
}

/*
 * After MmUnmapLockedPages the old address faults at once, although QEMU
 * keeps TLB entries like a real CPU: the unmap dropped the translation, so
 * MmFreePagesFromMdl can give the frame to someone else safely.
 */
KTEST(mdl, unmapped_address_faults_before_pages_are_freed)
{
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    ASSERT_NOT_NULL(Mdl);
    volatile ULONG *Va = MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
    ASSERT_NOT_NULL(Va);
    *Va = 0xF00D;
    EXPECT_EQ(*Va, 0xF00D);                 /* the translation is in the TLB now */
    MmUnmapLockedPages((PVOID)Va, Mdl);
    volatile ULONG Word = 0;
    EXPECT_FAULT(TRAP_PAGE_FAULT, Word = *Va);
    (void)Word;
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
}

/* Takes one page for the test, fills it with Value and gives it back: it is now the free list's head. */
static PFN_NUMBER DirtyFreePage(ULONG Value)
{
    PFN_NUMBER Pfn = MiRemoveAnyPage();
    if (Pfn != MI_NO_PAGE) {
        TestFillPage(Pfn, Value);
        MiInsertPageInFreeList(Pfn);
    }
    return Pfn;
}

static PHYSICAL_ADDRESS PageAddress(PFN_NUMBER Pfn)
{
    return (PHYSICAL_ADDRESS)Pfn << PAGE_SHIFT;
}

/*
 * MmAllocatePagesForMdlEx zeroes its pages unless MM_DONT_ZERO_ALLOCATION
 * says not to; MM_ALLOCATE_FULLY_REQUIRED turns a partial allocation into
 * NULL (and gives back what it had). The range is a single known page, so
 * the page each call gets is known. Else a driver gets stale data it did
 * not ask for, or half a buffer it said it could not use.
 */
KTEST(mdl, allocate_pages_ex_zeroing_and_full_allocation)
{
    PFN_NUMBER Pfn = DirtyFreePage(0xD1D1D1D1);
    ASSERT_NE(Pfn, MI_NO_PAGE);
    PHYSICAL_ADDRESS Low = PageAddress(Pfn), High = Low + PAGE_SIZE - 1;

    PMDL Mdl = MmAllocatePagesForMdlEx(Low, High, 0, PAGE_SIZE, MmCached, MM_DONT_ZERO_ALLOCATION);
    ASSERT_NOT_NULL(Mdl);
    EXPECT_EQ(MmGetMdlPfnArray(Mdl)[0], Pfn);
    EXPECT_TRUE(TestPageIsFilledWith(Pfn, 0xD1D1D1D1));
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);

    Mdl = MmAllocatePagesForMdlEx(Low, High, 0, PAGE_SIZE, MmCached, 0);
    ASSERT_NOT_NULL(Mdl);
    EXPECT_EQ(MmGetMdlPfnArray(Mdl)[0], Pfn);
    EXPECT_TRUE(TestPageIsFilledWith(Pfn, 0));
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);

    /* Two pages asked of a one-page range: part without the flag, nothing with it. */
    Mdl = MmAllocatePagesForMdlEx(Low, High, 0, 2 * PAGE_SIZE, MmCached, 0);
    ASSERT_NOT_NULL(Mdl);
    EXPECT_EQ(MmGetMdlByteCount(Mdl), PAGE_SIZE);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
    ULONG Locks = MmSystemLockPagesCount;
    EXPECT_NULL(MmAllocatePagesForMdlEx(Low, High, 0, 2 * PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED));
    EXPECT_EQ(MI_PFN_ELEMENT(Pfn)->u3.e2.e1.PageLocation, FreePageList);
    EXPECT_EQ(MmSystemLockPagesCount, Locks);
}

/*
 * MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS: with SkipBytes 0 one physically
 * contiguous block; with SkipBytes a power of two, blocks of exactly that
 * size each aligned on it; a chunk size that is no power of two, or does
 * not divide the request, is refused. Else a device with scatter limits
 * gets a buffer it cannot use.
 */
KTEST(mdl, allocate_pages_ex_contiguous_chunks)
{
    const ULONG Pages = 16, ChunkPages = 4;
    PMDL Mdl = MmAllocatePagesForMdlEx(0, ~0ull, 0, Pages * PAGE_SIZE, MmCached,
                                       MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
    ASSERT_NOT_NULL(Mdl);
    ASSERT_EQ(MmGetMdlByteCount(Mdl), Pages * PAGE_SIZE);
    const PFN_NUMBER *Pfns = MmGetMdlPfnArray(Mdl);
    ULONG Gaps = 0;
    for (ULONG i = 1; i < Pages; i++)
        Gaps += Pfns[i] != Pfns[0] + i;
    EXPECT_EQ(Gaps, 0);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);

    Mdl = MmAllocatePagesForMdlEx(0, ~0ull, ChunkPages * PAGE_SIZE, Pages * PAGE_SIZE, MmCached,
                                  MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
    ASSERT_NOT_NULL(Mdl);
    ASSERT_EQ(MmGetMdlByteCount(Mdl) % (ChunkPages * PAGE_SIZE), 0);
    Pfns = MmGetMdlPfnArray(Mdl);
    ULONG Misaligned = 0;
    Gaps = 0;
    for (ULONG i = 0; i < MmGetMdlByteCount(Mdl) / PAGE_SIZE; i++) {
        if (i % ChunkPages == 0)
            Misaligned += Pfns[i] % ChunkPages != 0;
        else
            Gaps += Pfns[i] != Pfns[i - 1] + 1;
    }
    EXPECT_EQ(Misaligned, 0);
    EXPECT_EQ(Gaps, 0);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);

    EXPECT_NULL(MmAllocatePagesForMdlEx(0, ~0ull, 3 * PAGE_SIZE, 12 * PAGE_SIZE, MmCached,
                                        MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS));
    EXPECT_NULL(MmAllocatePagesForMdlEx(0, ~0ull, 4 * PAGE_SIZE, 6 * PAGE_SIZE, MmCached,
                                        MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS));
}

/* Bad input and flags mm386 cannot honour get NULL, as NT gives. */
KTEST(mdl, allocate_pages_ex_refusals)
{
    PHYSICAL_ADDRESS AboveRam = ((PHYSICAL_ADDRESS)MmHighestPhysicalPage + 1) << PAGE_SHIFT;
    EXPECT_NULL(MmAllocatePagesForMdlEx(0, ~0ull, 0, 0, MmCached, 0));
    EXPECT_NULL(MmAllocatePagesForMdlEx(0, ~0ull, 0x800, PAGE_SIZE, MmCached, 0));
    EXPECT_NULL(MmAllocatePagesForMdlEx(AboveRam, AboveRam + 0x100000 - 1, 0, PAGE_SIZE, MmCached, 0));
    EXPECT_NULL(MmAllocatePagesForMdlEx(0, ~0ull, 0, PAGE_SIZE, MmCached, MM_ALLOCATE_FAST_LARGE_PAGES));
    EXPECT_NULL(MmAllocatePagesForMdlEx(0, ~0ull, 0, PAGE_SIZE, MmCached, MM_ALLOCATE_TRIM_IF_NECESSARY));
    EXPECT_NULL(MmAllocatePagesForMdlEx(0, ~0ull, 0, PAGE_SIZE, MmCached, 0x80000000));
    /* The flags that only describe mm386 anyway are accepted. */
    PMDL Mdl = MmAllocatePagesForMdlEx(0, ~0ull, 0, PAGE_SIZE, MmCached,
                                       MM_ALLOCATE_FROM_LOCAL_NODE_ONLY | MM_ALLOCATE_NO_WAIT |
                                       MM_ALLOCATE_PREFER_CONTIGUOUS);
    ASSERT_NOT_NULL(Mdl);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
}

static ULONG CacheBitsAt(PVOID Va)
{
    return MiReadPte(MiAddressToPte(Va)).u.Long & (PTE_CACHE_DISABLE | PTE_WRITE_THROUGH);
}

/*
 * The pages remember the cache type they were allocated for, and every
 * mapping uses it, whatever the mapper asks: a noncached allocation mapped
 * through MmGetSystemAddressForMdlSafe (which asks for cached) is mapped
 * uncached. A cache type that is none leaves the choice to the mapper.
 * Else one page could be mapped cached and uncached at once.
 */
KTEST(mdl, allocate_pages_ex_cache_type_is_kept)
{
    PMDL Mdl = MmAllocatePagesForMdlEx(0, ~0ull, 0, PAGE_SIZE, MmNonCached, 0);
    ASSERT_NOT_NULL(Mdl);
    EXPECT_EQ(MI_PFN_ELEMENT(MmGetMdlPfnArray(Mdl)[0])->u3.e2.e1.CacheAttribute, MiNonCached);
    PVOID Va = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
    ASSERT_NOT_NULL(Va);
    EXPECT_EQ(CacheBitsAt(Va), PTE_CACHE_DISABLE | PTE_WRITE_THROUGH);
    MmUnmapLockedPages(Va, Mdl);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);

    Mdl = MmAllocatePagesForMdlEx(0, ~0ull, 0, PAGE_SIZE, MmMaximumCacheType + 5, 0);
    ASSERT_NOT_NULL(Mdl);
    EXPECT_EQ(MI_PFN_ELEMENT(MmGetMdlPfnArray(Mdl)[0])->u3.e2.e1.CacheAttribute, MiNotMapped);
    Va = MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmWriteCombined, NULL, FALSE, NormalPagePriority);
    ASSERT_NOT_NULL(Va);
    EXPECT_EQ(CacheBitsAt(Va), PTE_CACHE_DISABLE);
    MmUnmapLockedPages(Va, Mdl);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
}

/*
 * In kernel mode NT ignores RequestedAddress: the MDL is mapped in system
 * PTEs as if NULL had been passed. Else a driver passing a stale pointer
 * there would get NULL from a call that cannot fail on NT.
 */
KTEST(mdl, kernel_mode_ignores_requested_address)
{
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    ASSERT_NOT_NULL(Mdl);
    PVOID Requested = (PVOID)0x12340000;
    char *Va = MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, Requested, FALSE, NormalPagePriority);
    ASSERT_NOT_NULL(Va);
    EXPECT_NE((PVOID)Va, Requested);
    EXPECT_UGE((ULONG)Va, (ULONG)MmSystemRangeStart);
    EXPECT_EQ(MmGetPhysicalAddress(Va), (PHYSICAL_ADDRESS)MmGetMdlPfnArray(Mdl)[0] << PAGE_SHIFT);
    MmUnmapLockedPages(Va, Mdl);
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
}

/*
 * A page in use as cached memory (nonpaged pool) may not be mapped
 * uncached: NULL, and no system PTE is used. Else the CPU would hold two
 * translations of one page with different cache types.
 */
KTEST(mdl, cached_page_is_not_mapped_uncached)
{
    PVOID Buffer = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, MAKE_TAG('T', 'm', 'd', 'l'));
    ASSERT_NOT_NULL(Buffer);
    PMDL Mdl = IoAllocateMdl(Buffer, PAGE_SIZE, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    MmBuildMdlForNonPagedPool(Mdl);
    ULONG Free = MmTotalFreeSystemPtes;
    EXPECT_NULL(MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmNonCached, NULL, FALSE, NormalPagePriority));
    EXPECT_NULL(MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmWriteCombined, NULL, FALSE, NormalPagePriority));
    EXPECT_EQ(MmTotalFreeSystemPtes, Free);
    EXPECT_FALSE(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    IoFreeMdl(Mdl);
    ExFreePoolWithTag(Buffer, MAKE_TAG('T', 'm', 'd', 'l'));
}

/* The same refusal with BugCheckOnFailure: MEMORY_MANAGEMENT 0x1000 (NT's), naming the MDL. */
KTEST_DEATH_P1(mdl, cached_page_uncached_bugcheck, MEMORY_MANAGEMENT, MM_BUGCHECK_CACHE_CONFLICT)
{
    PVOID Buffer = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, MAKE_TAG('T', 'm', 'd', 'l'));
    PMDL Mdl = IoAllocateMdl(Buffer, PAGE_SIZE, FALSE, FALSE, NULL);
    TEST_REQUIRE(Buffer && Mdl);
    MmBuildMdlForNonPagedPool(Mdl);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)Mdl);
    MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmNonCached, NULL, TRUE, NormalPagePriority);
}
