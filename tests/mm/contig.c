/*
 * tests/mm/contig.c — contiguous and noncached memory (mm/contig.c), and
 * NT's two queries MmIsNonPagedSystemAddressValid and MmGetVirtualForPhysical
 * (mm/mmsup.c).
 */
#include <ktest.h>
#include <pool.h>
#include "mm/mi.h"
#include "../testlib.h"

#define MB (1024ull * 1024)

static ULONG CacheBitsAt(PVOID Va)
{
    return MiReadPte(MiAddressToPte(Va)).u.Long & (PTE_CACHE_DISABLE | PTE_WRITE_THROUGH);
}

/*
 * Five pages in a 4 MB window 8 MB below the top of RAM (free in every
 * configuration: boot structures sit low), not crossing a 64 KB line: page
 * aligned, physically consecutive, inside the window, on one side of every
 * 64 KB multiple, cached, each page a system page (share 1, reference 1);
 * freed by the base alone. Else a DMA engine with those limits would read
 * the wrong memory.
 */
KTEST(contig, range_and_boundary_are_honoured)
{
    const ULONG Pages = 5;
    PHYSICAL_ADDRESS Low = ROUND_DOWN(((PHYSICAL_ADDRESS)MmHighestPhysicalPage + 1) << PAGE_SHIFT, MB) - 8 * MB;
    PHYSICAL_ADDRESS High = Low + 4 * MB - 1;
    char *Va = MmAllocateContiguousMemorySpecifyCache(Pages * PAGE_SIZE - 100, Low, High, 0x10000, MmCached);
    ASSERT_NOT_NULL(Va);
    EXPECT_EQ(BYTE_OFFSET(Va), 0);
    PHYSICAL_ADDRESS First = MmGetPhysicalAddress(Va);
    ULONG NotConsecutive = 0, WrongCounts = 0;
    for (ULONG i = 0; i < Pages; i++) {
        NotConsecutive += MmGetPhysicalAddress(Va + i * PAGE_SIZE) != First + i * PAGE_SIZE;
        PMMPFN Pfn1 = MI_PFN_ELEMENT((First >> PAGE_SHIFT) + i);
        WrongCounts += Pfn1->u2.ShareCount != 1 || Pfn1->u3.e2.ReferenceCount != 1 ||
                       Pfn1->PteAddress != MiAddressToPte(Va + i * PAGE_SIZE);
    }
    EXPECT_EQ(NotConsecutive, 0);
    EXPECT_EQ(WrongCounts, 0);
    EXPECT_UGE(First, Low);
    EXPECT_ULE(First + Pages * PAGE_SIZE - 1, High);
    EXPECT_EQ(First >> 16, (First + Pages * PAGE_SIZE - 1) >> 16);
    EXPECT_EQ(CacheBitsAt(Va), 0);
    EXPECT_EQ(MI_PFN_ELEMENT(First >> PAGE_SHIFT)->u3.e2.e1.CacheAttribute, MiCached);
    for (ULONG i = 0; i < Pages * PAGE_SIZE - 100; i += 997)
        Va[i] = (char)i;
    ULONG Wrong = 0;
    for (ULONG i = 0; i < Pages * PAGE_SIZE - 100; i += 997)
        Wrong += Va[i] != (char)i;
    EXPECT_EQ(Wrong, 0);

    MmFreeContiguousMemory(Va);
    for (ULONG i = 0; i < Pages; i++)
        EXPECT_EQ(MI_PFN_ELEMENT((First >> PAGE_SHIFT) + i)->u3.e2.e1.PageLocation, FreePageList);
    EXPECT_FALSE(MmIsAddressValid(Va));
}

/* MmAllocateContiguousMemory: cached, below the highest address given (16 MB here). */
KTEST(contig, plain_allocation_is_cached_below_the_limit)
{
    char *Va = MmAllocateContiguousMemory(3 * PAGE_SIZE, 16 * MB - 1);
    ASSERT_NOT_NULL(Va);
    EXPECT_ULE(MmGetPhysicalAddress(Va + 3 * PAGE_SIZE - 1), 16 * MB - 1);
    EXPECT_EQ(MmGetPhysicalAddress(Va + 2 * PAGE_SIZE), MmGetPhysicalAddress(Va) + 2 * PAGE_SIZE);
    EXPECT_EQ(CacheBitsAt(Va), 0);
    MmFreeContiguousMemorySpecifyCache(Va, 3 * PAGE_SIZE, MmCached);
}

/* The cache type becomes the PTE's bits and the pages' attribute: UC for noncached, PCD alone for write-combined. */
KTEST(contig, cache_type_is_honoured)
{
    static const struct {
        MEMORY_CACHING_TYPE Type;
        ULONG Bits;
        MI_PFN_CACHE_ATTRIBUTE Attribute;
    } Cases[] = {
        { MmNonCached, PTE_CACHE_DISABLE | PTE_WRITE_THROUGH, MiNonCached },
        { MmWriteCombined, PTE_CACHE_DISABLE, MiWriteCombined },
        { MmCached, 0, MiCached },
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Cases); i++) {
        char *Va = MmAllocateContiguousMemorySpecifyCache(2 * PAGE_SIZE, 0, ~0ull, 0, Cases[i].Type);
        ASSERT_NOT_NULL(Va);
        EXPECT_EQ(CacheBitsAt(Va), Cases[i].Bits);
        EXPECT_EQ(CacheBitsAt(Va + PAGE_SIZE), Cases[i].Bits);
        EXPECT_EQ(MI_PFN_ELEMENT(MmGetPhysicalAddress(Va) >> PAGE_SHIFT)->u3.e2.e1.CacheAttribute,
                  Cases[i].Attribute);
        MmFreeContiguousMemory(Va);
    }
}

/* Requests NT refuses get NULL, and take nothing. */
KTEST(contig, bad_requests_get_null)
{
    PHYSICAL_ADDRESS AboveRam = ((PHYSICAL_ADDRESS)MmHighestPhysicalPage + 1) << PAGE_SHIFT;
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(0, 0, ~0ull, 0, MmCached));
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, 0, ~0ull, 0, MmMaximumCacheType));
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, 0, ~0ull, 0x3000, MmCached));   /* no power of 2 */
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, 0, ~0ull, 0x800, MmCached));    /* below a page */
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(2 * PAGE_SIZE, 0, ~0ull, PAGE_SIZE, MmCached));
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, 16 * MB, 8 * MB, 0, MmCached));
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, AboveRam, ~0ull, 0, MmCached));
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(
        ((SIZE_T)MmPhysicalMemoryBlock.NumberOfPages + 1) * PAGE_SIZE, 0, ~0ull, 0, MmCached));
    EXPECT_NULL(MmAllocateContiguousMemory(0, ~0ull));
    /* More than the range holds: none of it is taken. */
    EXPECT_NULL(MmAllocateContiguousMemorySpecifyCache(3 * PAGE_SIZE, 8 * MB, 8 * MB + 2 * PAGE_SIZE - 1, 0,
                                                       MmCached));
}

/*
 * Noncached memory: whole pages, mapped UC, zeroed, each page's attribute
 * MiNonCached; freed with the same size. Else a device sharing the buffer
 * reads what the CPU has not written back yet.
 */
KTEST(contig, noncached_memory)
{
    const ULONG Bytes = 3 * PAGE_SIZE + 100;
    ULONG *Va = MmAllocateNonCachedMemory(Bytes);
    ASSERT_NOT_NULL(Va);
    EXPECT_EQ(BYTE_OFFSET(Va), 0);
    ULONG NonZero = 0, WrongBits = 0;
    for (ULONG i = 0; i < 4 * PAGE_SIZE / sizeof(ULONG); i++)
        NonZero += Va[i] != 0;
    for (ULONG i = 0; i < 4; i++) {
        char *Page = (char *)Va + i * PAGE_SIZE;
        WrongBits += CacheBitsAt(Page) != (PTE_CACHE_DISABLE | PTE_WRITE_THROUGH);
        WrongBits += MI_PFN_ELEMENT(MmGetPhysicalAddress(Page) >> PAGE_SHIFT)->u3.e2.e1.CacheAttribute != MiNonCached;
    }
    EXPECT_EQ(NonZero, 0);
    EXPECT_EQ(WrongBits, 0);
    Va[Bytes / sizeof(ULONG) - 1] = 0xCAFE;
    EXPECT_EQ(Va[Bytes / sizeof(ULONG) - 1], 0xCAFE);
    MmFreeNonCachedMemory(Va, Bytes);
    EXPECT_FALSE(MmIsAddressValid(Va));
    EXPECT_NULL(MmAllocateNonCachedMemory(0));
}

/* Freeing from inside a contiguous allocation is BAD_POOL_CALLER 0x60 (NT's), naming the address. */
KTEST_DEATH_P1(contig, free_inside_allocation, BAD_POOL_CALLER, 0x60)
{
    char *Va = MmAllocateContiguousMemory(2 * PAGE_SIZE, ~0ull);
    TEST_REQUIRE(Va != NULL);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)(Va + PAGE_SIZE));
    MmFreeContiguousMemory(Va + PAGE_SIZE);
}

/* Freeing noncached memory with another size than it was allocated with is SYSTEM_PTE_MISUSE 0x305. */
KTEST_DEATH_P1(contig, free_noncached_with_wrong_size, SYSTEM_PTE_MISUSE, PTE_RELEASE_WRONG_COUNT)
{
    PVOID Va = MmAllocateNonCachedMemory(4 * PAGE_SIZE);
    TEST_REQUIRE(Va != NULL);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)Va);
    MmFreeNonCachedMemory(Va, 3 * PAGE_SIZE);
}

/*
 * MmIsNonPagedSystemAddressValid answers by region, NT's way: nonpaged
 * pool, the kernel image, system PTE mappings (even unmapped ones) yes;
 * paged pool, the system cache and user addresses no.
 */
KTEST(contig, nonpaged_system_address_valid)
{
    const ULONG Tag = MAKE_TAG('T', 'c', 'n', 'g');
    PVOID NonPaged = ExAllocatePoolWithTag(NonPagedPool, 64, Tag);
    PVOID Paged = ExAllocatePoolWithTag(PagedPool, 64, Tag);
    ASSERT_NOT_NULL(NonPaged);
    ASSERT_NOT_NULL(Paged);
    PVOID Contiguous = MmAllocateContiguousMemory(PAGE_SIZE, ~0ull);
    ASSERT_NOT_NULL(Contiguous);

    EXPECT_TRUE(MmIsNonPagedSystemAddressValid(NonPaged));
    EXPECT_TRUE(MmIsNonPagedSystemAddressValid((PVOID)MmIsNonPagedSystemAddressValid));
    EXPECT_TRUE(MmIsNonPagedSystemAddressValid(Contiguous));
    EXPECT_TRUE(MmIsNonPagedSystemAddressValid(MmNonPagedSystemStart));
    EXPECT_FALSE(MmIsNonPagedSystemAddressValid(Paged));
    EXPECT_FALSE(MmIsNonPagedSystemAddressValid(MmPagedPoolStart));
    EXPECT_FALSE(MmIsNonPagedSystemAddressValid(MmSystemCacheStart));
    EXPECT_FALSE(MmIsNonPagedSystemAddressValid(NULL));
    EXPECT_FALSE(MmIsNonPagedSystemAddressValid((PVOID)((ULONG)MmSystemRangeStart - 1)));

    MmFreeContiguousMemory(Contiguous);
    ExFreePoolWithTag(Paged, Tag);
    ExFreePoolWithTag(NonPaged, Tag);
}

/*
 * MmGetVirtualForPhysical finds the address that maps a page from the PTE
 * its PFN entry records: pool and kernel image addresses come back with
 * their byte offset; a page no recorded PTE maps (free, an MDL's, not RAM)
 * gives NULL.
 */
KTEST(contig, virtual_for_physical)
{
    const ULONG Tag = MAKE_TAG('T', 'c', 'n', 'g');
    char *Buffer = ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, Tag);
    ASSERT_NOT_NULL(Buffer);
    char *Inside = Buffer + PAGE_SIZE + 0x123;
    EXPECT_EQ(MmGetVirtualForPhysical(MmGetPhysicalAddress(Inside)), Inside);
    char *Code = (char *)MmGetVirtualForPhysical;
    EXPECT_EQ(MmGetVirtualForPhysical(MmGetPhysicalAddress(Code)), Code);
    char *Contiguous = MmAllocateContiguousMemory(PAGE_SIZE, ~0ull);
    ASSERT_NOT_NULL(Contiguous);
    EXPECT_EQ(MmGetVirtualForPhysical(MmGetPhysicalAddress(Contiguous + 8)), Contiguous + 8);
    PHYSICAL_ADDRESS Freed = MmGetPhysicalAddress(Contiguous);
    MmFreeContiguousMemory(Contiguous);
    EXPECT_NULL(MmGetVirtualForPhysical(Freed));

    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    ASSERT_NOT_NULL(Mdl);
    EXPECT_NULL(MmGetVirtualForPhysical((PHYSICAL_ADDRESS)MmGetMdlPfnArray(Mdl)[0] << PAGE_SHIFT));
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
    EXPECT_NULL(MmGetVirtualForPhysical(0));
    EXPECT_NULL(MmGetVirtualForPhysical(((PHYSICAL_ADDRESS)MmHighestPhysicalPage + 1) << PAGE_SHIFT));
    ExFreePoolWithTag(Buffer, Tag);
}
