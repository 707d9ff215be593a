; boot/boot.asm — from the multiboot loader to KiSystemStartup in the high half.
;
; The loader (GRUB, or QEMU's -kernel) enters _start in 32-bit protected mode
; with paging off, EAX = multiboot magic and EBX = the physical address of the
; multiboot information. This code builds the first page directory and jumps
; to the kernel's link address:
;
;   PDE 0x000..0x0FF  temporary identity map of the first 1 GB in 4 MB pages,
;                     so the jump works and KiSystemStartup can copy the
;                     multiboot information; KiSystemStartup removes it.
;   PDE 0x300         the page directory itself: the self-map that makes every
;                     PTE visible at PTE_BASE (0xC0000000) and every PDE at
;                     PDE_BASE (0xC0300000).
;   PDE 0x380..0x383  the boot-image block 0xE0000000..0xE1000000: the kernel
;                     image page by page, .text/.rodata/.ksyms read-only, the
;                     boot stack's guard page left out.
;   PDE 0x3FF         the HAL's page table; PTE 0 maps the VGA text buffer at
;                     0xFFC00000 until the memory manager remaps it.
;
; After the jump, BootCaptureLoaderBlock (boot/multiboot.c) copies the
; multiboot information into KeLoaderBlock, the identity map is removed, and
; KiSystemStartup starts the kernel. Paging is enabled with CR0.WP, so the
; kernel faults when it writes to its own code, as NT's does.
;
; The code before the jump lives in .text.boot, which linker.ld links at its
; load address (1 MB): it runs with paging off, and reaches the high half's
; symbols as PHYS(symbol) = symbol - KERNEL_VA_OFFSET.

%include "kernel.inc"              ; generated from include/x86.h and include/layout.h

MULTIBOOT_MAGIC         equ 0x1BADB002
MULTIBOOT_PAGE_ALIGN    equ 1 << 0          ; modules on page boundaries
MULTIBOOT_MEMORY_INFO   equ 1 << 1          ; mem_lower/upper and the memory map
MULTIBOOT_FLAGS         equ MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO

section .multiboot progbits alloc exec nowrite align=4
multiboot_header:
    dd MULTIBOOT_MAGIC
    dd MULTIBOOT_FLAGS
    dd -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

section .bss.pagealigned nobits alloc write align=4096
global KiBootPageDirectory, KiBootImagePageTables, KiHalPageTable
KiBootPageDirectory:    resb 4096
KiBootImagePageTables:  resb 4096 * BOOT_IMAGE_PAGE_TABLES
KiHalPageTable:         resb 4096

extern __kernel_start, __readonly_end, __boot_stack_guard, __kernel_end
extern __boot_stack_base
extern KiSystemStartup, BootCaptureLoaderBlock, KiCheckProcessorFeatures

%define PHYS(sym) ((sym) - KERNEL_VA_OFFSET)   ; for symbols of the high half

section .text.boot progbits alloc exec nowrite align=16
global _start
_start:
    cli
    cld
    mov esp, PHYS(__boot_stack_base)
    mov esi, eax                        ; multiboot magic
    mov ebp, ebx                        ; multiboot information (physical)

    ; Stop with a message, before CR4.PSE or any C, on a processor that lacks
    ; a feature the kernel relies on (boot/cpucheck.asm).
    call KiCheckProcessorFeatures

    ; Start from empty tables: the loader zeroes .bss, but do not rely on it.
    mov edi, PHYS(KiBootPageDirectory)
    mov ecx, (4096 * (BOOT_IMAGE_PAGE_TABLES + 2)) / 4
    xor eax, eax
    rep stosd

    ; Temporary identity map: PDE i -> 4 MB page at i * 4 MB.
    mov edi, PHYS(KiBootPageDirectory)
    mov eax, PTE_VALID | PTE_WRITE | PDE_LARGE
    mov ecx, IDENTITY_PDES
.identity:
    mov [edi], eax
    add eax, 0x400000
    add edi, 4
    loop .identity

    ; Self-map.
    mov eax, PHYS(KiBootPageDirectory)
    or eax, PTE_VALID | PTE_WRITE
    mov [PHYS(KiBootPageDirectory) + SELF_MAP_PDE * 4], eax

    ; Boot-image block page tables.
    mov edi, PHYS(KiBootPageDirectory) + BOOT_IMAGE_PDE * 4
    mov eax, PHYS(KiBootImagePageTables)
    or eax, PTE_VALID | PTE_WRITE
    mov ecx, BOOT_IMAGE_PAGE_TABLES
.image_pdes:
    mov [edi], eax
    add eax, 4096
    add edi, 4
    loop .image_pdes

    ; Map each page of the kernel image at its link address.
    mov ebx, __kernel_start                         ; VA being mapped
.image_pages:
    cmp ebx, __kernel_end
    jae .image_done
    cmp ebx, __boot_stack_guard
    je .next_page                                   ; the guard page stays no-access
    mov eax, ebx
    sub eax, KERNEL_VA_OFFSET                       ; physical address
    or eax, PTE_VALID
    cmp ebx, __readonly_end
    jb .readonly
    or eax, PTE_WRITE
.readonly:
    mov edx, ebx
    sub edx, BOOT_IMAGE_BASE
    shr edx, 12                                     ; PTE index in the block
    mov [PHYS(KiBootImagePageTables) + edx * 4], eax
.next_page:
    add ebx, 4096
    jmp .image_pages
.image_done:

    ; HAL page table: the VGA text buffer, uncached.
    mov eax, PHYS(KiHalPageTable)
    or eax, PTE_VALID | PTE_WRITE
    mov [PHYS(KiBootPageDirectory) + HAL_PDE * 4], eax
    mov dword [PHYS(KiHalPageTable)], VGA_TEXT_PHYS | PTE_VALID | PTE_WRITE | PTE_CACHE_DISABLE

    ; Paging on: PSE for the identity map's large pages, then CR3, then PG|WP.
    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
    mov eax, PHYS(KiBootPageDirectory)
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax

    mov eax, .high
    jmp eax

section .text
.high:
    mov esp, __boot_stack_base
    push ebp                            ; BootCaptureLoaderBlock(magic, mbi_phys)
    push esi
    xor ebp, ebp                        ; a zero frame pointer ends every backtrace
    call BootCaptureLoaderBlock
    add esp, 8
    mov ebx, eax                        ; whether the capture succeeded

    ; The multiboot information is copied: remove the identity map.
    mov edi, KiBootPageDirectory
    mov ecx, IDENTITY_PDES
    xor eax, eax
    rep stosd
    mov eax, cr3
    mov cr3, eax

    movzx ebx, bl
    push ebx                            ; KiSystemStartup(captured)
    call KiSystemStartup
.hang:
    cli
    hlt
    jmp .hang

section .note.GNU-stack noalloc noexec nowrite progbits
