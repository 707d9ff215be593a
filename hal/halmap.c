/*
 * hal/halmap.c — the HAL's page table (PDE 0x3FF, 0xFFC00000 and up).
 *
 * boot/boot.asm maps the VGA text buffer there at HAL_EARLY_VGA_VA before
 * the memory manager exists, so the console works from the first line of
 * startup. Once the console has a mapping of its own (MmMapIoSpace, in
 * kernel/init.c), the early one is dropped, as NT's HAL gives up what it
 * mapped only to boot: nothing may keep writing through it.
 */
#include <hal.h>
#include <layout.h>

extern uint32_t KiHalPageTable[];

void HalReleaseEarlyVgaMapping(void)
{
    KiHalPageTable[(HAL_EARLY_VGA_VA >> PAGE_SHIFT) & (PTE_PER_PAGE - 1)] = 0;
    HalInvalidatePage((const void *)HAL_EARLY_VGA_VA);
}
