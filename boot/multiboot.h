/*
 * boot/multiboot.h — the Multiboot 1 information structure, as the loader
 * leaves it in physical memory (Multiboot Specification 0.6.96, section 3.3).
 */
#ifndef MM386_MULTIBOOT_H
#define MM386_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC  0x2BADB002

#define MULTIBOOT_INFO_MEMORY       0x00000001
#define MULTIBOOT_INFO_CMDLINE      0x00000004
#define MULTIBOOT_INFO_MODS         0x00000008
#define MULTIBOOT_INFO_MEM_MAP      0x00000040
#define MULTIBOOT_INFO_LOADER_NAME  0x00000200

typedef struct {
    uint32_t flags;
    uint32_t mem_lower;         /* KB below 1 MB */
    uint32_t mem_upper;         /* KB above 1 MB, up to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
} __attribute__((packed)) multiboot_info_t;

/* A memory-map entry; `size` counts the bytes after itself. */
typedef struct {
    uint32_t size;
    uint64_t addr;
    uint64_t len;
    uint32_t type;
} __attribute__((packed)) multiboot_mmap_entry_t;

typedef struct {
    uint32_t mod_start;
    uint32_t mod_end;
    uint32_t string;
    uint32_t reserved;
} __attribute__((packed)) multiboot_module_t;

#endif
