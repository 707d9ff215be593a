/*
 * tests/mm/mdl.c — MDLs (mm/mdlsup.c) and mapping them (mm/iosup.c):
 * IoAllocateMdl, MmBuildMdlForNonPagedPool, MmMapLockedPagesSpecifyCache,
 * MmAllocatePagesForMdl.
 */
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
