/*
 * hal/tb.c — the translation lookaside buffer: global pages and full flushes.
 *
 * A translation marked global (PTE bit 8, honoured once CR4.PGE is set)
 * survives a CR3 reload. NT marks kernel pages global so that switching
 * address spaces does not throw away the kernel's translations; the
 * self-map, hyperspace and the user range, which differ between address
 * spaces, are never global. HalInitializeGlobalPages turns PGE on when the
 * CPU has it (CPUID leaf 1, EDX bit 13); the memory manager then marks its
 * kernel PTEs global (mm/mminit.c).
 *
 * The price is a second kind of flush. A CR3 reload (KeFlushProcessTb,
 * include/hal.h) drops only non-global translations; a flush that must drop
 * kernel translations too toggles CR4.PGE off and on (KeFlushCurrentTb),
 * which the architecture defines as invalidating every entry (Intel SDM
 * vol. 3, 4.10.4.1). Without PGE there are no global translations and both
 * are a CR3 reload. Every lazy-flush scheme names the flush it relies on.
 */
#include <hal.h>

#define CPUID_FEATURE_PGE   (1u << 13)      /* leaf 1, EDX */

HAL_TB_FLUSH_COUNTS HalTbFlushCounts;
bool HalGlobalPagesEnabled;

void HalInitializeGlobalPages(void)
{
    uint32_t Regs[4];

    HalCpuid(0, Regs);
    if (Regs[0] < 1)
        return;
    HalCpuid(1, Regs);
    if (!(Regs[3] & CPUID_FEATURE_PGE))
        return;
    HalWriteCr4(HalReadCr4() | CR4_PGE);
    HalGlobalPagesEnabled = true;
}

void KeFlushCurrentTb(void)
{
    if (!HalGlobalPagesEnabled) {
        HalWriteCr3(HalReadCr3());
    } else {
        bool Enabled = HalSaveAndDisableInterrupts();
        uint32_t Cr4 = HalReadCr4();
        HalWriteCr4(Cr4 & ~CR4_PGE);
        HalWriteCr4(Cr4);
        HalRestoreInterrupts(Enabled);
    }
    HAL_COUNT_FLUSH(EntireFlushes);
}
