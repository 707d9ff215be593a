/*
 * tests/kernel/boot.c — what the boot loader handed over reaches the kernel.
 */
#include <ktest.h>
#include <loader.h>
#include <mm.h>
#include <rtl.h>

/* The multiboot memory map was copied and describes RAM above 1 MB. */
KTEST(boot, memory_map_captured)
{
    uint64_t Above1M = 0;
    ASSERT_GT(KeLoaderBlock.MemoryDescriptorCount, 0);
    for (ULONG i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const LOADER_MEMORY_DESCRIPTOR *d = &KeLoaderBlock.MemoryDescriptors[i];
        if (d->Type == LOADER_MEMORY_AVAILABLE && d->Base >= 0x100000)
            Above1M += d->Length;
    }
    EXPECT_GE(Above1M, 14 * 0x100000ull);     /* the smallest configuration has 16 MB */
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
