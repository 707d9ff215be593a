/*
 * tests/ps/isolation.c — nothing of the kernel's can be touched from ring 3.
 *
 * Each region of the boot layout table above the user range (mm/mminit.c's
 * MiLayout: the self-map, hyperspace, the system cache, the boot images,
 * pools, system PTEs, the PFN database, the HAL ...) and the kernel's named
 * fixed points inside them (the kernel image, the PFN database, the
 * self-map's own page directory, hyperspace, KUSER_SHARED_DATA's kernel
 * view) is read and written from a program in ring 3 (user/programs/probe.c):
 * every access must end in STATUS_ACCESS_VIOLATION for the program and
 * nothing for the kernel — the probe exits with the code, the system runs
 * on, and the pages are as they were. A write to the user view of
 * KUSER_SHARED_DATA, which the program may read, is refused too.
 */
#include <kusd.h>
#include <ktest.h>
#include <rtl.h>
#include "../../mm/mi.h"
#include "../testlib.h"

extern char __kernel_start[];

/* The probe's verdict on one access. */
static NTSTATUS Probe(const char *Access, ULONG Address)
{
    char Line[64];
    NTSTATUS ExitStatus = STATUS_UNSUCCESSFUL;
    snprintf(Line, sizeof(Line), "probe.exe %s %08x", Access, Address);
    NTSTATUS Status = KtestRunProgram(Line, &ExitStatus);
    return NT_SUCCESS(Status) ? ExitStatus : Status;
}

static void ExpectRefused(KTEST_CONTEXT *t, const char *What, ULONG Address)
{
    NTSTATUS Read = Probe("read", Address), Write = Probe("write", Address);
    t->Checks += 2;
    if (Read != STATUS_ACCESS_VIOLATION)
        KtestFail(t, __FILE__, __LINE__, "%s (%08x): a read from ring 3 gave 0x%08x, not STATUS_ACCESS_VIOLATION",
                  What, Address, (ULONG)Read);
    if (Write != STATUS_ACCESS_VIOLATION)
        KtestFail(t, __FILE__, __LINE__, "%s (%08x): a write from ring 3 gave 0x%08x, not STATUS_ACCESS_VIOLATION",
                  What, Address, (ULONG)Write);
}

/* The probe is a boot module; a boot without it (a bare -kernel boot) cannot run these. */
#define REQUIRE_PROBE()                                                         \
    do {                                                                        \
        if (Probe("read", MM_SHARED_USER_DATA_VA) == STATUS_OBJECT_NAME_NOT_FOUND) \
            KTEST_SKIP("probe.exe is not among the boot modules");              \
    } while (0)

KTEST(isolation, every_system_region_of_the_layout_is_out_of_reach)
{
    ULONG Regions = 0;
    REQUIRE_PROBE();
    for (ULONG i = 0; i < MiLayoutCount; i++) {
        const MI_REGION *r = &MiLayout[i];
        if (r->Start < (ULONG)MmSystemRangeStart)
            continue;
        ExpectRefused(t, r->Description, r->Start);
        Regions++;
    }
    EXPECT_GE(Regions, 8);              /* NT's x86 layout has at least this many system regions */
}

KTEST(isolation, the_kernels_fixed_points_are_out_of_reach)
{
    ULONG KernelImage = (ULONG)__kernel_start;
    ULONG Canary = *(volatile ULONG *)KernelImage;
    REQUIRE_PROBE();

    ExpectRefused(t, "the kernel image", KernelImage);
    ExpectRefused(t, "the PFN database", (ULONG)MmPfnDatabase);
    ExpectRefused(t, "the self-mapped page directory", PDE_BASE);
    ExpectRefused(t, "the page tables", PTE_BASE);
    ExpectRefused(t, "hyperspace", HYPER_SPACE);
    ExpectRefused(t, "KUSER_SHARED_DATA's kernel view", KI_USER_SHARED_DATA);
    ExpectRefused(t, "the HAL's region", MM_HAL_VA_START);
    EXPECT_EQ(*(volatile ULONG *)KernelImage, Canary);
}

KTEST(isolation, shared_user_data_is_readable_not_writable)
{
    REQUIRE_PROBE();
    EXPECT_EQ(Probe("read", MM_SHARED_USER_DATA_VA), STATUS_SUCCESS);
    EXPECT_EQ(Probe("write", MM_SHARED_USER_DATA_VA), STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(SharedUserData->NtMajorVersion, 5);       /* and the write did not land */
}

KTEST(isolation, the_user_range_itself_is_reachable)
{
    REQUIRE_PROBE();
    /* The probe's own image, at its preferred base: readable; its headers are read-only. */
    EXPECT_EQ(Probe("read", 0x00400000), STATUS_SUCCESS);
    EXPECT_EQ(Probe("write", 0x00400000), STATUS_ACCESS_VIOLATION);
    /* Nothing at all below 64 KB. */
    EXPECT_EQ(Probe("read", 0x00001000), STATUS_ACCESS_VIOLATION);
}
