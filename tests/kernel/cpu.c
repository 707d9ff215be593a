/*
 * tests/kernel/cpu.c — the processor features the kernel uses, against CPUID.
 *
 * boot/cpucheck.asm stops a boot on a processor without PSE, TSC, CX8 or
 * CMOV (the runner's cpu-486 and cpu-pentium boots see the message); PGE is
 * optional. These tests run in every configuration, among them one whose
 * CPU model has no PGE (tools/runtests.py's 2gb-128m-nopge), and check that
 * the kernel used what CPUID offers and nothing it does not.
 */
#include <hal.h>
#include <ktest.h>
#include "../../mm/mi.h"

/* Global pages are on exactly when CPUID has PGE: CR4.PGE, HalGlobalPagesEnabled and the kernel's PTE bit agree. */
KTEST(cpu, global_pages_follow_cpuid)
{
    uint32_t Regs[4];

    HalCpuid(1, Regs);
    bool HasPge = (Regs[3] & CPUID1_EDX_PGE) != 0;
    EXPECT_EQ(HalGlobalPagesEnabled, HasPge);
    EXPECT_EQ((HalReadCr4() & CR4_PGE) != 0, HasPge);
    EXPECT_EQ(MmPteGlobal, HasPge ? PTE_GLOBAL : 0u);
}

/* What boot/cpucheck.asm let through: every feature it requires is there. */
KTEST(cpu, required_features_present)
{
    uint32_t Regs[4];
    const uint32_t Required = CPUID1_EDX_PSE | CPUID1_EDX_TSC | CPUID1_EDX_CX8 | CPUID1_EDX_CMOV;

    HalCpuid(1, Regs);
    EXPECT_EQ(Regs[3] & Required, Required);
    EXPECT_TRUE(HalReadCr4() & CR4_PSE);
}
