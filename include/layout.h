/*
 * include/layout.h — the fixed points of mm386's 32-bit address space.
 *
 * NT fixes a handful of addresses whatever the split; mm386 keeps them where
 * NT keeps them (see docs/LAYOUT.md). Everything else — pools, system PTEs,
 * the system cache, session space, the PFN database — is computed at boot by
 * mm/mminit.c into NT's variables (MmPagedPoolStart ...), because it depends
 * on the split and on the amount of RAM.
 *
 * This header holds only #defines of integer expressions: tools/h2inc.py
 * turns it into NASM for boot/boot.asm.
 */
#ifndef MM386_LAYOUT_H
#define MM386_LAYOUT_H

/* System range start for the default 2 GB split and for /3GB. */
#define MM_SYSTEM_RANGE_START_2GB   0x80000000
#define MM_SYSTEM_RANGE_START_3GB   0xC0000000
/* NT leaves 64 KB of no-access address space between user and system space. */
#define MM_USER_PROBE_GAP           0x10000

/* Self-mapped page tables (non-PAE): PDE 0x300 points at the directory. */
#define PTE_BASE                    0xC0000000
#define PTE_TOP                     0xC03FFFFF
#define PDE_BASE                    0xC0300000
#define SELF_MAP_PDE                0x300

/* Hyperspace: one per-address-space page table. */
#define HYPER_SPACE                 0xC0400000
#define HYPER_SPACE_END             0xC07FFFFF
#define HYPER_SPACE_PDE             0x301

/* NT's system working set list (MmSystemCacheWorkingSetList, MM_SYSTEM_CACHE_WORKING_SET). */
#define MM_SYSTEM_CACHE_WORKING_SET 0xC0C00000
/* NT's system cache begins right after it (MM_SYSTEM_CACHE_START). */
#define MM_SYSTEM_CACHE_START       0xC1000000

/* The boot-image block: the kernel image, then boot modules. */
#define BOOT_IMAGE_BASE             0xE0000000
#define BOOT_IMAGE_END              0xE1000000
#define BOOT_IMAGE_PDE              0x380
#define BOOT_IMAGE_PAGE_TABLES      4
#define KERNEL_VA_OFFSET            0xE0000000  /* VA - PA for the kernel image */
#define KERNEL_PA_BASE              0x00100000

/* NT's fixed top of the address space. */
#define MM_NONPAGED_POOL_END        0xFFBE0000  /* MmNonPagedPoolEnd */
#define MM_CRASH_DUMP_BASE          0xFFBE0000
#define MM_CRASH_DUMP_END           0xFFBFFFFF
#define MM_HAL_VA_START             0xFFC00000
#define MM_HAL_VA_END               0xFFFFFFFF
#define HAL_PDE                     0x3FF

/*
 * KUSER_SHARED_DATA (include/kusd.h): one page, the kernel's read/write view
 * in the HAL's region and every process's read-only view just below the
 * user range's top; SystemCall and SystemCallReturn are its code (0x300,
 * 0x304), the system-call code and where sysexit returns to.
 */
#define KI_USER_SHARED_DATA         0xFFDF0000
#define MM_SHARED_USER_DATA_VA      0x7FFE0000
#define KI_SYSTEM_CALL_VA           0x7FFE0300
#define KI_SYSTEM_CALL_RETURN_VA    0x7FFE0304

/* Lowest MmNonPagedSystemStart NT allows with 2 GB of system space. */
#define MM_LOWEST_NONPAGED_SYSTEM_START 0xEB000000

/* The temporary identity map boot/boot.asm builds (4 MB pages, first 1 GB). */
#define IDENTITY_PDES               256
#define IDENTITY_MAP_LIMIT          0x40000000

/* Early I/O the HAL maps before the memory manager runs. */
#define VGA_TEXT_PHYS               0x000B8000
#define HAL_EARLY_VGA_VA            0xFFC00000

#endif
