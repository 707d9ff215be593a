/*
 * boot/multiboot.c — copying what the loader handed over into KeLoaderBlock.
 *
 * The multiboot information lies somewhere in low physical memory, reachable
 * only while boot/boot.asm's temporary identity map exists. BootCaptureLoaderBlock
 * runs in that window: it copies the memory map, the command line (split into
 * the image name and the switches, up to 4 KB of them; a longer line is cut
 * between words and the cut reported), the loader's name and the module list
 * into KeLoaderBlock, a kernel variable every later phase can read. Module
 * contents stay where the loader put them; their physical ranges are
 * recorded and the memory manager maps them.
 */
#include <loader.h>
#include <layout.h>
#include <rtl.h>
#include "multiboot.h"

LOADER_PARAMETER_BLOCK KeLoaderBlock;

extern char __image_physical_start[], __kernel_end[];

/* A physical address below IDENTITY_MAP_LIMIT, seen through the identity map. */
static const void *Phys(uint32_t Address)
{
    return (const void *)(uintptr_t)Address;
}

static void CopyString(char *Destination, size_t Size, uint32_t Physical)
{
    if (Physical == 0 || Physical >= IDENTITY_MAP_LIMIT) {
        Destination[0] = '\0';
        return;
    }
    strlcpy(Destination, Phys(Physical), Size);
}

static void AddDescriptor(uint64_t Base, uint64_t Length, uint32_t Type)
{
    if (KeLoaderBlock.MemoryDescriptorCount == LOADER_MAX_MEMORY_DESCRIPTORS)
        return;
    LOADER_MEMORY_DESCRIPTOR *d = &KeLoaderBlock.MemoryDescriptors[KeLoaderBlock.MemoryDescriptorCount++];
    d->Base = Base;
    d->Length = Length;
    d->Type = Type;
}

/*
 * QEMU's loader puts the kernel's file name before the switches, GRUB 2's
 * does not. A first word is taken for the image's path when it has a '/'
 * after its first character or ends in ".elf"; NT-style switches (/3GB,
 * /USERVA=2560) and the harness's words (ktest=...) have neither.
 */
static bool IsImagePath(const char *Word, size_t Length)
{
    for (size_t i = 1; i < Length; i++) {
        if (Word[i] == '/')
            return true;
    }
    return Length >= 4 && memcmp(Word + Length - 4, ".elf", 4) == 0;
}

static bool IsBlank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * The switches are kept whole up to LOADER_COMMAND_LINE_LENGTH - 1 bytes. A
 * longer line is cut after its last whole word that fits, so no switch is
 * parsed half (a /3GB cut to /3G); what was cut is counted and its start
 * kept, and KiSystemStartup reports both.
 */
void BootSplitCommandLine(LOADER_PARAMETER_BLOCK *Block, const char *Line)
{
    const size_t Capacity = sizeof(Block->CommandLine) - 1;
    const char *p = Line;

    Block->CommandLineLength = (uint32_t)strlen(Line);
    Block->ImageName[0] = '\0';
    while (IsBlank(*p))
        p++;
    size_t n = 0;
    while (p[n] && !IsBlank(p[n]))
        n++;
    if (IsImagePath(p, n)) {
        strlcpy(Block->ImageName, p, MIN(n + 1, sizeof(Block->ImageName)));
        p += n;
        while (IsBlank(*p))
            p++;
    }

    size_t Length = strlen(p), Kept = Length;
    if (Length > Capacity) {
        Kept = Capacity;
        if (!IsBlank(p[Kept])) {
            /* Back up to the blank before the word that does not fit. */
            while (Kept > 0 && !IsBlank(p[Kept - 1]))
                Kept--;
        }
    }
    memcpy(Block->CommandLine, p, Kept);
    Block->CommandLine[Kept] = '\0';
    const char *Dropped = p + Kept;
    while (IsBlank(*Dropped))
        Dropped++;
    Block->CommandLineDropped = (uint32_t)strlen(Dropped);
    strlcpy(Block->DroppedText, Dropped, sizeof(Block->DroppedText));
}

/*
 * Returns false if Magic is not the multiboot loader's or the information is
 * out of reach; KiSystemStartup then reports it and stops.
 */
bool BootCaptureLoaderBlock(uint32_t Magic, uint32_t InformationPhysical)
{
    KeLoaderBlock.InformationPhysical = InformationPhysical;
    KeLoaderBlock.KernelPhysicalStart = (uint32_t)__image_physical_start;
    KeLoaderBlock.KernelPhysicalEnd = (uint32_t)__kernel_end - KERNEL_VA_OFFSET;
    if (Magic != MULTIBOOT_BOOTLOADER_MAGIC || InformationPhysical >= IDENTITY_MAP_LIMIT)
        return false;

    const multiboot_info_t *Info = Phys(InformationPhysical);

    if (Info->flags & MULTIBOOT_INFO_LOADER_NAME)
        CopyString(KeLoaderBlock.LoaderName, sizeof(KeLoaderBlock.LoaderName), Info->boot_loader_name);

    /* The line is read in place, where the loader left it: it may be long. */
    if ((Info->flags & MULTIBOOT_INFO_CMDLINE) && Info->cmdline != 0 && Info->cmdline < IDENTITY_MAP_LIMIT &&
        strnlen(Phys(Info->cmdline), IDENTITY_MAP_LIMIT - Info->cmdline) < IDENTITY_MAP_LIMIT - Info->cmdline)
        BootSplitCommandLine(&KeLoaderBlock, Phys(Info->cmdline));

    if (Info->flags & MULTIBOOT_INFO_MEMORY) {
        KeLoaderBlock.MemoryLowerKb = Info->mem_lower;
        KeLoaderBlock.MemoryUpperKb = Info->mem_upper;
    }

    if ((Info->flags & MULTIBOOT_INFO_MEM_MAP) && Info->mmap_addr < IDENTITY_MAP_LIMIT) {
        uint32_t Offset = 0;
        while (Offset + sizeof(multiboot_mmap_entry_t) <= Info->mmap_length) {
            const multiboot_mmap_entry_t *e = Phys(Info->mmap_addr + Offset);
            AddDescriptor(e->addr, e->len, e->type);
            Offset += e->size + sizeof(e->size);
        }
    } else if (Info->flags & MULTIBOOT_INFO_MEMORY) {
        /* No map: the two figures the loader always gives describe usable RAM. */
        AddDescriptor(0, (uint64_t)Info->mem_lower * 1024, LOADER_MEMORY_AVAILABLE);
        AddDescriptor(0x100000, (uint64_t)Info->mem_upper * 1024, LOADER_MEMORY_AVAILABLE);
    }

    if ((Info->flags & MULTIBOOT_INFO_MODS) && Info->mods_addr < IDENTITY_MAP_LIMIT) {
        const multiboot_module_t *m = Phys(Info->mods_addr);
        for (uint32_t i = 0; i < Info->mods_count && i < LOADER_MAX_MODULES; i++) {
            LOADER_MODULE *Module = &KeLoaderBlock.Modules[KeLoaderBlock.ModuleCount++];
            Module->PhysicalStart = m[i].mod_start;
            Module->PhysicalEnd = m[i].mod_end;
            CopyString(Module->Name, sizeof(Module->Name), m[i].string);
        }
    }
    return true;
}
