/*
 * tests/kernel/boot.c — what the boot loader handed over reaches the kernel.
 */
#include <ktest.h>
#include <loader.h>
#include <mm.h>
#include <rtl.h>

/*
 * The end of the available memory that starts at Base in the map, following
 * descriptors that touch or overlap (a loader may split one stretch in two).
 */
static uint64_t AvailableRunEnd(uint64_t Base)
{
    uint64_t End = Base;
    for (bool Grew = true; Grew;) {
        Grew = false;
        for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
            const LOADER_MEMORY_DESCRIPTOR *d = &KeLoaderBlock.MemoryDescriptors[i];
            if (d->Type == LOADER_MEMORY_AVAILABLE && d->Base <= End && d->Base + d->Length > End) {
                End = d->Base + d->Length;
                Grew = true;
            }
        }
    }
    return End;
}

/*
 * The multiboot memory map was copied and describes RAM above 1 MB: no less
 * than the 8 MB mm386 refuses to boot without, minus the megabyte below
 * (so in any configuration that reached this test), and, where the loader
 * also gave its "upper memory" figure (the RAM from 1 MB up to the first
 * hole), a stretch from 1 MB at least that long.
 */
KTEST(boot, memory_map_captured)
{
    uint64_t Above1M = 0;
    ASSERT_GT(KeLoaderBlock.MemoryDescriptorCount, 0);
    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const LOADER_MEMORY_DESCRIPTOR *d = &KeLoaderBlock.MemoryDescriptors[i];
        if (d->Type == LOADER_MEMORY_AVAILABLE && d->Base >= 0x100000)
            Above1M += d->Length;
    }
    EXPECT_GE(Above1M, 8 * 0x100000ull - 0x100000);
    if (KeLoaderBlock.MemoryUpperKb)
        EXPECT_GE(AvailableRunEnd(0x100000) - 0x100000, (uint64_t)KeLoaderBlock.MemoryUpperKb * 1024);
    EXPECT_EQ(KeLoaderBlock.KernelPhysicalStart, KERNEL_PA_BASE);
    EXPECT_GT(KeLoaderBlock.KernelPhysicalEnd, KeLoaderBlock.KernelPhysicalStart);
}

/*
 * A boot module (qemu -initrd, or GRUB's `module`) is recorded with its name
 * and mapped read-only after the kernel image, with its bytes intact.
 */
KTEST(boot, module_mapped_after_kernel)
{
    static const char Expected[] = "mm386 boot module: loaded by qemu -initrd or GRUB";
    if (KeLoaderBlock.ModuleCount == 0)
        KTEST_SKIP("no boot module in this configuration");
    const LOADER_MODULE *m = &KeLoaderBlock.Modules[0];
    ASSERT_NOT_NULL(m->VirtualBase);
    size_t Length = strlen(m->Name);
    ASSERT_GE(Length, 11);
    EXPECT_STREQ(m->Name + Length - 11, "bootmod.txt");
    EXPECT_UGE((ULONG)m->VirtualBase, BOOT_IMAGE_BASE);
    EXPECT_ULT((ULONG)m->VirtualBase, BOOT_IMAGE_END);
    EXPECT_EQ(memcmp(m->VirtualBase, Expected, sizeof(Expected) - 1), 0);
    EXPECT_EQ(MmGetPhysicalAddress(m->VirtualBase), m->PhysicalStart);
}
