/*
 * tests/user/bigaddress.c — a large-address-aware image under /3GB and /USERVA.
 *
 * This program is linked with IMAGE_FILE_LARGE_ADDRESS_AWARE (the Makefile's
 * --large-address-aware for it). Under /3GB (and /USERVA) its user range
 * reaches MmHighestUserAddress, above 2 GB: it can allocate, touch and free
 * memory there, top-down or at a base it names. On the default split the
 * flag changes nothing: nothing is ever placed above 0x7FFEFFFF. The
 * highest address is the one NtQuerySystemInformation reports.
 */
#include <utest.h>

static ULONG HighestUserAddress(void)
{
    SYSTEM_BASIC_INFORMATION Basic;
    NtQuerySystemInformation(SystemBasicInformation, &Basic, sizeof(Basic), NULL);
    return Basic.MaximumUserModeAddress;
}

UTEST(top_down_allocation_reaches_the_top_of_the_user_range)
{
    PVOID Base = NULL;
    SIZE_T Size = 0x100000;
    ULONG Highest = HighestUserAddress();
    UTEST_ASSERT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                            MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, PAGE_READWRITE), STATUS_SUCCESS);
    ULONG End = (ULONG)Base + Size - 1;
    UTEST_EXPECT(End <= Highest, "the region ends at %08x, below the highest user address %08x", End, Highest);
    if (Highest > 0x80000000)
        UTEST_EXPECT((ULONG)Base >= 0x80000000, "under /3GB the top-down region is above 2 GB: %p", Base);
    else
        UTEST_EXPECT(End <= 0x7FFEFFFF, "on the 2 GB split it stays below 2 GB: %08x", End);
    for (ULONG Page = 0; Page < Size; Page += PAGE_SIZE)
        ((volatile ULONG *)Base)[Page / 4] = Page;
    for (ULONG Page = 0; Page < Size; Page += PAGE_SIZE)
        UTEST_EXPECT_EQ(((volatile ULONG *)Base)[Page / 4], Page);
    Size = 0;
    UTEST_EXPECT_EQ(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE), STATUS_SUCCESS);
}

UTEST(a_base_above_2gb_is_granted_when_the_range_reaches_it)
{
    ULONG Highest = HighestUserAddress();
    PVOID Base = (PVOID)0x90000000;
    SIZE_T Size = 0x10000;
    NTSTATUS Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                              PAGE_READWRITE);
    if (Highest > 0x90010000) {
        UTEST_ASSERT_EQ(Status, STATUS_SUCCESS);
        UTEST_EXPECT_EQ(Base, 0x90000000);
        *(volatile ULONG *)Base = 0x3333;
        Size = 0;
        UTEST_EXPECT_EQ(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE), STATUS_SUCCESS);
    } else {
        UTEST_EXPECT_EQ(Status, STATUS_INVALID_PARAMETER_2);        /* above the range: NT's refusal */
    }
}

UTEST(system_space_stays_out_of_reach_above_the_user_range)
{
    ULONG Highest = HighestUserAddress();
    PVOID Base = (PVOID)((Highest + 1) & ~0xFFFFu);
    SIZE_T Size = 0x10000;
    UTEST_EXPECT_EQ(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE, PAGE_READWRITE),
                    STATUS_INVALID_PARAMETER_2);
}

UTEST(shared_user_data_is_one_read_only_page_nobody_can_take)
{
    MEMORY_BASIC_INFORMATION Info;
    UTEST_ASSERT_EQ(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)MM_SHARED_USER_DATA_VA, MemoryBasicInformation,
                                         &Info, sizeof(Info), NULL), STATUS_SUCCESS);
    UTEST_EXPECT_EQ(Info.State, MEM_COMMIT);
    UTEST_EXPECT_EQ(Info.Protect, PAGE_READONLY);
    UTEST_EXPECT_EQ(Info.RegionSize, PAGE_SIZE);
    UTEST_EXPECT_EQ(Info.Type, MEM_PRIVATE);
    /* Neither a reservation over it nor freeing it works, whatever the split. */
    PVOID Base = (PVOID)0x7FF00000;
    SIZE_T Size = 0x100000;
    UTEST_EXPECT(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE, PAGE_READWRITE) !=
                     STATUS_SUCCESS, "a reservation over KUSER_SHARED_DATA was granted at %p", Base);
    Base = (PVOID)MM_SHARED_USER_DATA_VA;
    Size = 0;
    UTEST_EXPECT(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE) != STATUS_SUCCESS,
                 "KUSER_SHARED_DATA was freed");
    UTEST_EXPECT_EQ(USER_SHARED_DATA->NtMajorVersion, 5);      /* still there */
}
