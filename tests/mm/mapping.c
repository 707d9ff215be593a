/*
 * tests/mm/mapping.c — reserved mappings (mm/iosup.c): MmAllocateMappingAddress,
 * MmMapLockedPagesWithReservedMapping, MmUnmapReservedMapping, MmFreeMappingAddress.
 */
#include <ktest.h>
#include "mm/mi.h"
#include "../testlib.h"

#define TAG_TEST    MAKE_TAG('R', 's', 'v', 'M')
#define TAG_OTHER   MAKE_TAG('O', 't', 'h', 'r')

static bool PtesZero(PVOID Va, ULONG Pages)
{
    for (ULONG i = 0; i < Pages; i++) {
        if (MiReadPte(MiAddressToPte((char *)Va + i * PAGE_SIZE)).u.Long != 0)
            return false;
    }
    return true;
}

/* A zero tag is refused; else a reservation could not be told from its owner. */
KTEST(mapping, zero_tag_refused)
{
    EXPECT_NULL(MmAllocateMappingAddress(PAGE_SIZE, 0));
}

/* A reservation is address space only: its PTEs stay zero and nothing is mapped; else reserving would consume or expose memory. */
KTEST(mapping, ptes_stay_zero_until_mapped)
{
    ULONG AvailableBefore = MmAvailablePages;
    PVOID Va = MmAllocateMappingAddress(4 * PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Va);
    EXPECT_EQ(BYTE_OFFSET(Va), 0);
    EXPECT_TRUE(PtesZero(Va, 4));
    EXPECT_FALSE(MmIsAddressValid(Va));
    EXPECT_EQ(MmAvailablePages, AvailableBefore);
    MmFreeMappingAddress(Va, TAG_TEST);
}

/*
 * Mapping an unaligned three-page MDL into a reservation returns the
 * reservation plus the MDL's byte offset and shows the buffer; unmapping
 * zeroes the PTEs and flushes them (the address faults again), and the
 * reservation can be mapped again. An MDL larger than the reservation gets
 * NULL. Else drivers relying on forward progress would map garbage.
 */
KTEST(mapping, map_unmap_keeps_offset)
{
    const ULONG Offset = 0x10, Length = 2 * PAGE_SIZE + 0x20;
    PMDL Pages = MmAllocatePagesForMdl(0, ~0ull, 0, 3 * PAGE_SIZE);
    ASSERT_NOT_NULL(Pages);
    ASSERT_EQ(MmGetMdlByteCount(Pages), 3 * PAGE_SIZE);
    char *Buffer = MmGetSystemAddressForMdlSafe(Pages, NormalPagePriority);
    ASSERT_NOT_NULL(Buffer);
    PMDL Mdl = IoAllocateMdl(Buffer + Offset, Length, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    MmBuildMdlForNonPagedPool(Mdl);
    Mdl->MdlFlags &= ~MDL_SOURCE_IS_NONPAGED_POOL;      /* as if locked by a driver, without a system VA */

    char *Va = MmAllocateMappingAddress(3 * PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Va);
    for (int Round = 0; Round < 2; Round++) {
        char *Mapped = MmMapLockedPagesWithReservedMapping(Va, TAG_TEST, Mdl, MmCached);
        ASSERT_EQ(Mapped, Va + Offset);
        EXPECT_EQ(Mdl->MappedSystemVa, Va);             /* NT: without the byte offset */
        EXPECT_TRUE(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
        Buffer[Offset + 5] = (char)(0x40 + Round);
        EXPECT_EQ(Mapped[5], (char)(0x40 + Round));
        Mapped[Length - 1] = (char)(0x60 + Round);
        EXPECT_EQ(Buffer[Offset + Length - 1], (char)(0x60 + Round));

        MmUnmapReservedMapping(Va, TAG_TEST, Mdl);
        EXPECT_FALSE(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
        EXPECT_TRUE(PtesZero(Va, 3));
        volatile char Value = 0;
        EXPECT_FAULT(TRAP_PAGE_FAULT, Value = *(volatile char *)Mapped);
        (void)Value;
    }

    char *Small = MmAllocateMappingAddress(2 * PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Small);
    EXPECT_NULL(MmMapLockedPagesWithReservedMapping(Small, TAG_TEST, Mdl, MmCached));
    EXPECT_TRUE(PtesZero(Small, 2));
    MmFreeMappingAddress(Small, TAG_TEST);

    MmFreeMappingAddress(Va, TAG_TEST);
    IoFreeMdl(Mdl);
    MmUnmapLockedPages(Buffer, Pages);
    MmFreePagesFromMdl(Pages);
    IoFreeMdl(Pages);
}

/* Freeing a reservation with another tag is SYSTEM_PTE_MISUSE 0x101; else one driver could free another's addresses. */
KTEST_DEATH_P1(mapping, free_with_wrong_tag, SYSTEM_PTE_MISUSE, PTE_MAPPING_NOT_OWNED)
{
    PVOID Va = MmAllocateMappingAddress(PAGE_SIZE, TAG_TEST);
    MmFreeMappingAddress(Va, TAG_OTHER);
}

/* Freeing an address that is no reservation (an I/O mapping) is SYSTEM_PTE_MISUSE 0x102; else any mapping could be freed as one. */
KTEST_DEATH_P1(mapping, free_not_a_reservation, SYSTEM_PTE_MISUSE, PTE_MAPPING_EMPTY)
{
    PVOID Va = MmMapIoSpace(VGA_TEXT_PHYS, 3 * PAGE_SIZE, MmNonCached);
    MmFreeMappingAddress((char *)Va + 2 * PAGE_SIZE, TAG_TEST);
}

/*
 * A nonpaged pool buffer's MDL mapped into a reservation and unmapped has
 * its own address back as its system address, as after MmUnmapLockedPages;
 * else a driver would be handed an address that no longer maps anything.
 */
KTEST(mapping, pool_mdl_gets_its_address_back)
{
    PVOID Buffer = ExAllocatePoolWithTag(NonPagedPool, PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Buffer);
    PMDL Mdl = IoAllocateMdl(Buffer, PAGE_SIZE, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    MmBuildMdlForNonPagedPool(Mdl);
    PVOID Va = MmAllocateMappingAddress(PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Va);
    EXPECT_EQ(MmMapLockedPagesWithReservedMapping(Va, TAG_TEST, Mdl, MmCached), Va);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority), Va);
    MmUnmapReservedMapping(Va, TAG_TEST, Mdl);
    EXPECT_EQ(MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority), Buffer);
    MmFreeMappingAddress(Va, TAG_TEST);
    IoFreeMdl(Mdl);
    ExFreePoolWithTag(Buffer, TAG_TEST);
}

/* Mapping an MDL that is already mapped into a reservation would lose the first mapping: SYSTEM_PTE_MISUSE 0x401. */
KTEST_DEATH_P1(mapping, map_mapped_mdl_into_reservation, SYSTEM_PTE_MISUSE, PTE_MDL_ALREADY_MAPPED)
{
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    PVOID Va = MmAllocateMappingAddress(PAGE_SIZE, TAG_TEST);
    TEST_REQUIRE(Mdl && Va && MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority));
    MmMapLockedPagesWithReservedMapping(Va, TAG_TEST, Mdl, MmCached);
}

/*
 * The two PTEs before a reservation hold NT's header, compared with NT's
 * encoding written out: the size as a list PTE counting the pages and both
 * header PTEs, (pages + 2) << PAGE_SHIFT, and the tag with its valid bit
 * clear. ReactOS's MmReservedMapping conformance test pins the same layout.
 * Else a debugger or driver reading the header as NT writes it is misled.
 */
KTEST(mapping, header_ptes_hold_nt_values)
{
    const ULONG Tag = MAKE_TAG('K', 'm', 'R', 'M');     /* 'MRmK' = 0x4D526D4B: bit 0 set, so its clearing shows */
    PVOID Ten = MmAllocateMappingAddress(10 * PAGE_SIZE, Tag);
    PVOID One = MmAllocateMappingAddress(1, Tag);
    ASSERT_NOT_NULL(Ten);
    ASSERT_NOT_NULL(One);
    EXPECT_EQ(MiReadPte(MiAddressToPte(Ten) - 2).u.Long, 0x0000C000);  /* 12 << 12 */
    EXPECT_EQ(MiReadPte(MiAddressToPte(Ten) - 1).u.Long, 0x4D526D4A);
    EXPECT_EQ(MiReadPte(MiAddressToPte(One) - 2).u.Long, 0x00003000);  /* 3 << 12 */
    EXPECT_EQ(MiReadPte(MiAddressToPte(One) - 1).u.Long, 0x4D526D4A);
    EXPECT_TRUE(PtesZero(Ten, 10));
    MmFreeMappingAddress(Ten, Tag);
    MmFreeMappingAddress(One, Tag);
}

/*
 * NT takes any address in the reservation's first page: mapping returns
 * that address plus the MDL's byte offset (MappedSystemVa the address as
 * given), unmapping and freeing accept such an address too. Else drivers
 * that keep an offset pointer into their reservation would bugcheck.
 */
KTEST(mapping, address_inside_first_page_is_accepted)
{
    PMDL Mdl = MmAllocatePagesForMdl(0, ~0ull, 0, PAGE_SIZE);
    ASSERT_NOT_NULL(Mdl);
    char *Va = MmAllocateMappingAddress(2 * PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Va);
    PMMPTE Header = MiAddressToPte(Va) - 2, Start;

    char *Inside = Va + sizeof(ULONG);
    char *Mapped = MmMapLockedPagesWithReservedMapping(Inside, TAG_TEST, Mdl, MmCached);
    ASSERT_EQ(Mapped, Inside);
    EXPECT_EQ(Mdl->MappedSystemVa, Inside);
    EXPECT_EQ(MiReadPte(MiAddressToPte(Va)).u.Hard.PageFrameNumber, MmGetMdlPfnArray(Mdl)[0]);
    EXPECT_TRUE(PtesZero(Va + PAGE_SIZE, 1));
    *(volatile ULONG *)Mapped = 0x0FF5E7;
    EXPECT_EQ(*(volatile ULONG *)(Va + sizeof(ULONG)), 0x0FF5E7);

    MmUnmapReservedMapping(Mapped + 0x100, TAG_TEST, Mdl);
    EXPECT_TRUE(PtesZero(Va, 2));
    EXPECT_FALSE(Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    MmFreeMappingAddress(Va + 0x123, TAG_TEST);
    EXPECT_EQ(MiQuerySystemPteAllocation(Header, &Start), 0);      /* the whole reservation went back */
    MmFreePagesFromMdl(Mdl);
    IoFreeMdl(Mdl);
}

/*
 * The same with an MDL whose buffer starts mid-page: NT adds the MDL's byte
 * offset to the address the caller gave (MappedSystemVa stays that address),
 * so an address inside the first page comes back with both offsets; the
 * buffer itself is at the reservation's first page plus the byte offset,
 * where its bytes read back. Else the offset a driver's buffer starts at
 * would be lost in a reserved mapping.
 */
KTEST(mapping, address_inside_first_page_adds_byte_offset)
{
    const ULONG Offset = 0x3A0, Length = PAGE_SIZE;         /* spans two pages */
    PMDL Pages = MmAllocatePagesForMdl(0, ~0ull, 0, 2 * PAGE_SIZE);
    ASSERT_NOT_NULL(Pages);
    char *Buffer = MmGetSystemAddressForMdlSafe(Pages, NormalPagePriority);
    ASSERT_NOT_NULL(Buffer);
    for (ULONG i = 0; i < 2 * PAGE_SIZE; i++)
        Buffer[i] = (char)(i * 7 + 3);
    PMDL Mdl = IoAllocateMdl(Buffer + Offset, Length, FALSE, FALSE, NULL);
    ASSERT_NOT_NULL(Mdl);
    MmBuildMdlForNonPagedPool(Mdl);
    Mdl->MdlFlags &= ~MDL_SOURCE_IS_NONPAGED_POOL;      /* as if locked by a driver, without a system VA */
    ASSERT_EQ(MmGetMdlByteOffset(Mdl), Offset);

    char *Va = MmAllocateMappingAddress(2 * PAGE_SIZE, TAG_TEST);
    ASSERT_NOT_NULL(Va);
    char *Inside = Va + 0x10;
    char *Mapped = MmMapLockedPagesWithReservedMapping(Inside, TAG_TEST, Mdl, MmCached);
    ASSERT_EQ(Mapped, Inside + Offset);
    EXPECT_EQ(BYTE_OFFSET(Mapped), 0x10 + Offset);
    EXPECT_EQ(Mdl->MappedSystemVa, Inside);
    EXPECT_EQ(MiReadPte(MiAddressToPte(Va)).u.Hard.PageFrameNumber, MmGetMdlPfnArray(Pages)[0]);
    EXPECT_EQ(MiReadPte(MiAddressToPte(Va + PAGE_SIZE)).u.Hard.PageFrameNumber, MmGetMdlPfnArray(Pages)[1]);
    ULONG Mismatches = 0;
    for (ULONG i = 0; i < Length; i++)
        Mismatches += Va[Offset + i] != Buffer[Offset + i];
    EXPECT_EQ(Mismatches, 0);
    EXPECT_EQ(*Mapped, Buffer[Offset + 0x10]);

    MmUnmapReservedMapping(Inside, TAG_TEST, Mdl);
    EXPECT_TRUE(PtesZero(Va, 2));
    MmFreeMappingAddress(Va, TAG_TEST);
    IoFreeMdl(Mdl);
    MmUnmapLockedPages(Buffer, Pages);
    MmFreePagesFromMdl(Pages);
    IoFreeMdl(Pages);
}

/* An address in the reservation's second page names no reservation: SYSTEM_PTE_MISUSE 0x102. */
KTEST_DEATH_P1(mapping, free_from_second_page, SYSTEM_PTE_MISUSE, PTE_MAPPING_EMPTY)
{
    char *Va = MmAllocateMappingAddress(2 * PAGE_SIZE, TAG_TEST);
    TEST_REQUIRE(Va != NULL);
    KtestExpectBugCheckParameter(t, 2, (ULONG_PTR)(Va + PAGE_SIZE));
    MmFreeMappingAddress(Va + PAGE_SIZE, TAG_TEST);
}
