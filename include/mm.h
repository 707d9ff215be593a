/*
 * include/mm.h — the memory manager's public interface.
 *
 * What the rest of the kernel and drivers call: NT's Mm* routines with NT's
 * signatures, the layout variables NT exports (MmSystemRangeStart ...), and
 * MmInitSystem. mm/mi.h holds the internal Mi* interface between mm/ files.
 */
#ifndef MM386_MM_H
#define MM386_MM_H

#include <ke.h>
#include <layout.h>
#include <x86.h>

/* The layout of the running split (mm/mminit.c computes it at boot). */
extern PVOID MmSystemRangeStart;
extern PVOID MmHighestUserAddress;
extern PVOID MmUserProbeAddress;

/*
 * Phase 0: layout, PFN database, page tables, pools. Phase 1: what needs
 * interrupts. Phase 2, once threads and objects exist: the zero page thread.
 */
void MmInitSystem(ULONG Phase);

/* True if a reference to VirtualAddress would not fault right now. */
BOOLEAN MmIsAddressValid(PVOID VirtualAddress);
/* The physical address VirtualAddress maps to, or 0 if it maps nothing. */
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);

/*
 * The kernel debugger's memory access (mm/mmdbg.c), NT's MmDbgCopyMemory:
 * 1, 2, 4 or 8 bytes at an address aligned to the size, virtual or (with
 * MMDBG_COPY_PHYSICAL) physical, read or (MMDBG_COPY_WRITE) written; a
 * write to a read-only page goes through its frame. Never faults: an
 * address no valid PTE maps is STATUS_UNSUCCESSFUL. Takes no lock.
 */
#define MMDBG_COPY_WRITE            0x00000001
#define MMDBG_COPY_PHYSICAL         0x00000002
#define MMDBG_COPY_UNSAFE           0x00000004
#define MMDBG_COPY_CACHED           0x00000008
#define MMDBG_COPY_UNCACHED         0x00000010
#define MMDBG_COPY_WRITE_COMBINED   0x00000020
#define MMDBG_COPY_MAX_SIZE         8
NTSTATUS MmDbgCopyMemory(uint64_t Address, PVOID Buffer, ULONG Size, ULONG Flags);
/*
 * For the debugger's stopped prompt, which reads another process's user
 * range by loading its page directory (kernel/kd/kdprocess.c): brings the
 * directory's system PDEs up to date from the master through MmDebugPte,
 * and returns the value to load into CR3; 0 for a bare address space with
 * no directory. Interrupts off, any IRQL; takes no lock (mm/mmdbg.c).
 */
struct _MMADDRESS_SPACE;
ULONG MmDbgPrepareAddressSpace(struct _MMADDRESS_SPACE *AddressSpace);
/*
 * NT's obsolete query: TRUE if VirtualAddress lies in a nonpaged part of
 * system space, whether or not anything is mapped there now. FALSE for user
 * addresses, paged pool, special pool's paged allocations, the system cache
 * and the session and system view spaces. Any IRQL.
 */
BOOLEAN MmIsNonPagedSystemAddressValid(PVOID VirtualAddress);
/*
 * The system virtual address that maps PhysicalAddress (its byte offset
 * kept), found through the page's PFN entry (the PTE it records): NT's
 * debugging aid. NULL when the page is not RAM or no PTE the database knows
 * of maps it now (free pages, MDL pages, device memory) — NT's answer is
 * undefined there. Any IRQL.
 */
PVOID MmGetVirtualForPhysical(PHYSICAL_ADDRESS PhysicalAddress);

/*
 * The page-fault handler: resolves the fault and returns STATUS_SUCCESS, or
 * returns the exception status for the trap handler to raise, or bugchecks
 * as NT does for faults on system addresses that nothing may take.
 */
NTSTATUS MmAccessFault(ULONG FaultStatus, PVOID VirtualAddress, KPROCESSOR_MODE PreviousMode,
                       PVOID TrapInformation);

/* ------------------------------------------------------------------------
 * Address spaces (mm/procsup.c): a page directory with its own user range,
 * self-map and hyperspace, the system range shared. Every EPROCESS owns one
 * (include/ps.h); the system process's is the boot page directory.
 */
struct _EPROCESS;
typedef struct _MMADDRESS_SPACE {
    PFN_NUMBER PageDirectoryPfn;
    PFN_NUMBER HyperSpacePfn;
    ULONG SystemPdeGeneration;      /* MmSystemPdeGeneration when its system PDEs were last brought up to date */
    /*
     * The process whose user range this is (MmCreateProcessAddressSpace), or
     * NULL for a bare address space: teardown reaches the process's VADs,
     * commit and working-set counters through it.
     */
    struct _EPROCESS *Process;
} MMADDRESS_SPACE, *PMMADDRESS_SPACE;

extern MMADDRESS_SPACE MmSystemAddressSpace;
/* Bumped whenever a system page table is made (mm/pagetab.c). */
extern volatile ULONG MmSystemPdeGeneration;
/* A new page directory: system PDEs from the master copy, its own self-map and hyperspace. */
NTSTATUS MmCreateAddressSpace(PMMADDRESS_SPACE AddressSpace);
/*
 * Frees an address space that is not current. If a process owns it, its
 * user range goes first: every VAD, page, page table and commit charge
 * (MmCleanProcessAddressSpace).
 */
void MmDeleteAddressSpace(PMMADDRESS_SPACE AddressSpace);
/*
 * For the dispatcher, about to load AddressSpace's directory: brings its
 * system PDEs up to date and returns the CR3 value. DISPATCH_LEVEL.
 */
ULONG MmPrepareAddressSpaceSwitch(PMMADDRESS_SPACE AddressSpace);
/* The address space of the process the current thread runs in (attached or its own). */
PMMADDRESS_SPACE MmGetCurrentAddressSpace(void);

/* ------------------------------------------------------------------------
 * The user range: VADs (mm/vad.c). A process records what it has reserved
 * in a balanced binary tree of virtual address descriptors, NT's AVL tree
 * of address nodes. Every node starts with an MMADDRESS_NODE: its parent
 * (whose low two bits hold the node's balance, -1, 0 or +1, as in NT), its
 * children and the first and last virtual page number it covers. The
 * table's BalancedRoot is a sentinel whose right child is the real root, so
 * the root needs no special case. mm/vad.h has the VADs themselves.
 */
typedef struct _MMADDRESS_NODE {
    union {
        LONG Balance : 2;
        struct _MMADDRESS_NODE *Parent;
    } u1;
    struct _MMADDRESS_NODE *LeftChild;
    struct _MMADDRESS_NODE *RightChild;
    ULONG_PTR StartingVpn;
    ULONG_PTR EndingVpn;            /* inclusive */
} MMADDRESS_NODE, *PMMADDRESS_NODE;

typedef struct _MM_AVL_TABLE {
    MMADDRESS_NODE BalancedRoot;    /* sentinel: BalancedRoot.RightChild is the root */
    ULONG NumberGenericTableElements;
    PVOID NodeHint;                 /* the node the last lookup found (NT's VadHint) */
} MM_AVL_TABLE, *PMM_AVL_TABLE;

/* Page tables a user range can need: 3 GB of user space, 4 MB per page table. */
#define MM_USER_PAGE_TABLE_PAGES    (MM_SYSTEM_RANGE_START_3GB >> PDE_SHIFT)

/* ------------------------------------------------------------------------
 * The virtual-memory services (mm/virtual.c, freevm.c, protect.c,
 * queryvm.c; docs/VAD.md tabulates their rules and status codes). They act
 * on the process ProcessHandle names — today only NtCurrentProcess(), the
 * process whose address space is current — and take the caller's mode from
 * ExGetPreviousMode: a UserMode caller's pointers are probed and read under
 * a handler. The Zw forms are the same services called as from kernel mode.
 * IRQL PASSIVE_LEVEL. On failure nothing is written back.
 */

NTSTATUS NtAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                 PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect);
NTSTATUS NtFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize, ULONG FreeType);
NTSTATUS NtProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                ULONG NewProtect, PULONG OldProtect);
NTSTATUS NtQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                              MEMORY_INFORMATION_CLASS MemoryInformationClass, PVOID MemoryInformation,
                              SIZE_T MemoryInformationLength, PSIZE_T ReturnLength);
NTSTATUS ZwAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                                 PSIZE_T RegionSize, ULONG AllocationType, ULONG Protect);
NTSTATUS ZwFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize, ULONG FreeType);
NTSTATUS ZwProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress, PSIZE_T RegionSize,
                                ULONG NewProtect, PULONG OldProtect);
NTSTATUS ZwQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                              MEMORY_INFORMATION_CLASS MemoryInformationClass, PVOID MemoryInformation,
                              SIZE_T MemoryInformationLength, PSIZE_T ReturnLength);

/* ------------------------------------------------------------------------
 * Sections and views (mm/section.c, mapview.c, viewprot.c, sysview.c,
 * protofault.c; docs/SECTIONS.md tabulates the rules and statuses). The
 * services take their caller's mode from ExGetPreviousMode and probe a
 * UserMode caller's pointers; PASSIVE_LEVEL. The Zw forms are the same
 * services called as from kernel mode.
 */
struct _FILE_OBJECT;
struct _OBJECT_TYPE;
extern struct _OBJECT_TYPE *MmSectionObjectType;

/*
 * NtCreateSection (NT's signature): a section backed by the paging file
 * (FileHandle NULL; MaximumSize, rounded up to pages, at most 4 GB on x86;
 * SEC_COMMIT charges all of it to the system's commit now, SEC_RESERVE
 * nothing until pages are committed in a view) or by a file from NtOpenFile
 * (a read-only boot module: MaximumSize 0 for the file's size; PAGE_READONLY,
 * PAGE_WRITECOPY, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY).
 * Statuses in NT's order: STATUS_INVALID_PARAMETER_6 (attributes),
 * STATUS_INVALID_PAGE_PROTECTION, the probes', STATUS_INVALID_PARAMETER_4
 * (no file, no size), STATUS_SECTION_TOO_BIG, STATUS_COMMITMENT_LIMIT,
 * STATUS_INSUFFICIENT_RESOURCES, the file handle's (STATUS_ACCESS_DENIED for
 * a writable protection over a read-only file), STATUS_MAPPED_FILE_SIZE_ZERO,
 * STATUS_INVALID_FILE_FOR_SECTION (SEC_IMAGE with no file); STATUS_NOT_SUPPORTED
 * for SEC_BASED, SEC_LARGE_PAGES (not provided). SEC_IMAGE over a file makes
 * an image section (mm/imagesec.c): the header statuses docs/SECTIONS.md
 * lists, or the warning STATUS_IMAGE_MACHINE_TYPE_MISMATCH with the section
 * made. NtMapViewOfSection of an image maps all of it and may answer the
 * success STATUS_IMAGE_NOT_AT_BASE.
 */
NTSTATUS NtCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                         PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes,
                         HANDLE FileHandle);
NTSTATUS ZwCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                         PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes,
                         HANDLE FileHandle);
/*
 * The section object itself, not inserted: *SectionObject holds the
 * caller's reference (ObInsertObject, or ObDereferenceObject). A File object
 * may be passed instead of a handle. MaximumSize is read, never written.
 */
NTSTATUS MmCreateSection(PVOID *SectionObject, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                         PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes,
                         HANDLE FileHandle, struct _FILE_OBJECT *FileObject);
/*
 * NtMapViewOfSection (NT's signature): a view of the section in the process
 * ProcessHandle names (PROCESS_VM_OPERATION; NtCurrentProcess() for the
 * current one), at *BaseAddress or (NULL) where there is room, of *ViewSize
 * bytes (0: from *SectionOffset to the section's end) from *SectionOffset.
 * On success the three are written back: the base, the size in pages, the
 * offset. Statuses in NT's order: STATUS_INVALID_PARAMETER_8, _9,
 * STATUS_INVALID_PAGE_PROTECTION, the probes', STATUS_INVALID_PARAMETER_3
 * (a range above the highest VAD address), _4 (ZeroBits), the handles',
 * STATUS_MAPPED_ALIGNMENT, STATUS_SECTION_PROTECTION, STATUS_INVALID_VIEW_SIZE,
 * STATUS_INVALID_PARAMETER_5 (CommitSize), _10 (PAGE_WRITECOMBINE),
 * STATUS_CONFLICTING_ADDRESSES, STATUS_NO_MEMORY, STATUS_COMMITMENT_LIMIT.
 */
NTSTATUS NtMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                            SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                            SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Win32Protect);
NTSTATUS ZwMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                            SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                            SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Win32Protect);
/* The same for a kernel caller holding the section object and the process (any offset; the base on a page). */
NTSTATUS MmMapViewOfSection(PVOID SectionObject, struct _EPROCESS *Process, PVOID *BaseAddress, ULONG_PTR ZeroBits,
                            SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize,
                            SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Protect);
/* Unmaps the view holding BaseAddress: STATUS_NOT_MAPPED_VIEW if there is none. */
NTSTATUS NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress);
NTSTATUS ZwUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress);
NTSTATUS MmUnmapViewOfSection(struct _EPROCESS *Process, PVOID BaseAddress);
/*
 * A view of the section's first *ViewSize bytes (0: all of it) in system
 * space (mm/sysview.c): *MappedBase and *ViewSize (in pages) are set.
 * STATUS_INVALID_VIEW_SIZE, STATUS_NO_MEMORY (no room in the system view
 * region), STATUS_INSUFFICIENT_RESOURCES. MmUnmapViewInSystemSpace takes the
 * base; any other address is DRIVER_UNMAPPING_INVALID_VIEW (0x81).
 * PASSIVE_LEVEL; the view's pages may be touched at IRQL <= APC_LEVEL.
 */
NTSTATUS MmMapViewInSystemSpace(PVOID Section, PVOID *MappedBase, PSIZE_T ViewSize);
NTSTATUS MmUnmapViewInSystemSpace(PVOID MappedBase);
/*
 * SectionBasicInformation (SECTION_QUERY): its attributes and size. Another
 * class is STATUS_INVALID_INFO_CLASS, a buffer too small
 * STATUS_INFO_LENGTH_MISMATCH.
 */
NTSTATUS NtQuerySection(HANDLE SectionHandle, SECTION_INFORMATION_CLASS SectionInformationClass,
                        PVOID SectionInformation, SIZE_T SectionInformationLength, PSIZE_T ResultLength);
NTSTATUS ZwQuerySection(HANDLE SectionHandle, SECTION_INFORMATION_CLASS SectionInformationClass,
                        PVOID SectionInformation, SIZE_T SectionInformationLength, PSIZE_T ResultLength);

/*
 * A process's address space (mm/procsup.c). MmCreateProcessAddressSpace
 * gives Process (its memory-manager fields zeroed by the caller, or not:
 * they are reset here) a page directory of its own and an empty user range,
 * and lists it on MmProcessList. MmDeleteAddressSpace(&Process->AddressSpace)
 * undoes it. MmCleanProcessAddressSpace releases the user range alone:
 * every VAD, page, page table and commit charge. IRQL PASSIVE_LEVEL.
 */
NTSTATUS MmCreateProcessAddressSpace(struct _EPROCESS *Process);
/* The system process's: the boot page directory (MmSystemAddressSpace) and an empty user range. Phase 1. */
void MmInitializeProcessAddressSpace(struct _EPROCESS *SystemProcess);
void MmCleanProcessAddressSpace(struct _EPROCESS *Process);
/*
 * Maps KUSER_SHARED_DATA read-only at MM_SHARED_USER_DATA_VA in Process
 * (mm/shareddata.c); it goes with the user range. STATUS_NO_MEMORY if no
 * page table could be made. PASSIVE_LEVEL.
 */
NTSTATUS MmMapSharedUserData(struct _EPROCESS *Process);
extern LIST_ENTRY MmProcessList;

/* ------------------------------------------------------------------------
 * System PTEs at work: I/O space, MDLs, reserved mappings, kernel stacks.
 * mm/iosup.c, mm/mdlsup.c and mm/stack.c; docs/SYSPTES.md explains them.
 */

/* How a mapping is cached. The PTE bits each type becomes are in mm/iosup.c. */
typedef enum _MEMORY_CACHING_TYPE {
    MmNonCached = 0,
    MmCached = 1,
    MmWriteCombined = 2,
    MmHardwareCoherentCached,
    MmNonCachedUnordered,
    MmUSWCCached,
    MmMaximumCacheType
} MEMORY_CACHING_TYPE;

/* How badly a caller needs a mapping when system PTEs run short. */
typedef enum _MM_PAGE_PRIORITY {
    LowPagePriority,
    NormalPagePriority = 16,
    HighPagePriority = 32
} MM_PAGE_PRIORITY;

/*
 * Maps NumberOfBytes of device memory at PhysicalAddress into system PTEs
 * and returns the address of PhysicalAddress itself (its byte offset kept).
 * NULL if NumberOfBytes is 0, CacheType is not one of the types above, the
 * range passes 4 GB, or no system PTEs are left. IRQL <= DISPATCH_LEVEL.
 * MmUnmapIoSpace with the same address and size gives it back; an address
 * that is not a mapping is SYSTEM_PTE_MISUSE (0xDA, 0x400).
 */
PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                   MEMORY_CACHING_TYPE CacheType);
VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes);

/*
 * The memory descriptor list, NT's x86 layout: a buffer described as the
 * virtual address it starts at (StartVa, page aligned, plus ByteOffset), its
 * length, and right after the structure one PFN_NUMBER per page it spans.
 * Process is the address space of a user buffer (MmProbeAndLockPages, which
 * comes with processes, fills it); MappedSystemVa is the buffer's system
 * address once it has one (MDL_MAPPED_TO_SYSTEM_VA or
 * MDL_SOURCE_IS_NONPAGED_POOL).
 */
struct _EPROCESS;
struct _IRP;
typedef struct _MDL {
    struct _MDL *Next;
    CSHORT Size;                /* bytes: the structure and its PFN array */
    CSHORT MdlFlags;
    struct _EPROCESS *Process;
    PVOID MappedSystemVa;
    PVOID StartVa;
    ULONG ByteCount;
    ULONG ByteOffset;
} MDL, *PMDL;

_Static_assert(sizeof(MDL) == 28, "NT's x86 MDL is 28 bytes");

#define MDL_MAPPED_TO_SYSTEM_VA         0x0001
#define MDL_PAGES_LOCKED                0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL     0x0004
#define MDL_ALLOCATED_FIXED_SIZE        0x0008
#define MDL_PARTIAL                     0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED     0x0020
#define MDL_IO_PAGE_READ                0x0040
#define MDL_WRITE_OPERATION             0x0080
#define MDL_PARENT_MAPPED_SYSTEM_VA     0x0100
#define MDL_FREE_EXTRA_PTES             0x0200
#define MDL_DESCRIBES_AWE               0x0400
#define MDL_IO_SPACE                    0x0800
#define MDL_NETWORK_HEADER              0x1000
#define MDL_MAPPING_CAN_FAIL            0x2000
#define MDL_ALLOCATED_MUST_SUCCEED      0x4000

/*
 * The largest buffer IoAllocateMdl describes: Windows Server 2003's limit,
 * as many pages as PFN entries fit in an MDL whose 16-bit Size field holds
 * at most 65535 bytes, (65535 - sizeof(MDL)) / sizeof(ULONG_PTR) = 16376
 * pages. (The WDK writes it PAGE_SIZE * (65535 - sizeof(MDL)) /
 * sizeof(ULONG_PTR), which, multiplied first, is 3 KB more than fits.)
 */
#define MM_MAXIMUM_MDL_BUFFER_SIZE  (PAGE_SIZE * ((65535 - sizeof(MDL)) / sizeof(ULONG_PTR)))

#define MmGetMdlPfnArray(Mdl)       ((PPFN_NUMBER)((PMDL)(Mdl) + 1))
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((char *)(Mdl)->StartVa + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl)      ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl)     ((Mdl)->ByteOffset)

/* Bytes an MDL for Length bytes at Base needs, PFN array included. */
SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length);

/* Fills in a caller-allocated MDL for Length bytes at BaseVa; its PFN array is left for the builder. */
static inline void MmInitializeMdl(PMDL Mdl, PVOID BaseVa, SIZE_T Length)
{
    Mdl->Next = NULL;
    Mdl->Size = (CSHORT)MmSizeOfMdl(BaseVa, Length);
    Mdl->MdlFlags = 0;
    Mdl->Process = NULL;
    Mdl->MappedSystemVa = NULL;
    Mdl->StartVa = (PVOID)((ULONG)BaseVa & ~(PAGE_SIZE - 1));
    Mdl->ByteOffset = (ULONG)BaseVa & (PAGE_SIZE - 1);
    Mdl->ByteCount = Length;
}

/*
 * Allocates an MDL for Length bytes at VirtualAddress (its PFN array not
 * filled in yet). NULL if Length is 0 or above MM_MAXIMUM_MDL_BUFFER_SIZE,
 * if memory ran out, or if Irp is not NULL (mm386 has no I/O manager yet).
 * ChargeQuota is reserved, as in NT. Free it with IoFreeMdl.
 * IRQL <= DISPATCH_LEVEL.
 */
PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                   BOOLEAN ChargeQuota, struct _IRP *Irp);
VOID IoFreeMdl(PMDL Mdl);

/*
 * Fills in the PFN array of an MDL that describes resident system memory
 * (NT: nonpaged pool) and marks it MDL_SOURCE_IS_NONPAGED_POOL, with
 * MappedSystemVa the buffer itself. A page that is not resident is
 * MEMORY_MANAGEMENT (0x1A, 0x1240).
 */
VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);

/*
 * Allocates zeroed physical pages between LowAddress and HighAddress (then,
 * if SkipBytes is not 0, in that range moved up by SkipBytes, and so on) and
 * returns an MDL describing them, locked: each page holds one reference for
 * the MDL, and no PTE maps it. The MDL may describe fewer bytes than
 * TotalBytes: callers check MmGetMdlByteCount. NULL if TotalBytes is 0,
 * SkipBytes not a multiple of a page, or no page could be had.
 * MmFreePagesFromMdl gives the pages back (unmap first); the MDL itself is
 * then freed with IoFreeMdl (NT says ExFreePool: the same thing once the
 * pool exists). IRQL <= APC_LEVEL in NT; mm386 allows DISPATCH_LEVEL.
 */
PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                           PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes);
VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList);

/* MmAllocatePagesForMdlEx's Flags, NT's values. */
#define MM_DONT_ZERO_ALLOCATION                 0x00000001  /* the pages keep their old contents */
#define MM_ALLOCATE_FROM_LOCAL_NODE_ONLY        0x00000002  /* one node: always true */
#define MM_ALLOCATE_FULLY_REQUIRED              0x00000004  /* all of TotalBytes, or NULL */
#define MM_ALLOCATE_NO_WAIT                     0x00000008  /* mm386 never waits */
#define MM_ALLOCATE_PREFER_CONTIGUOUS           0x00000010  /* a hint: accepted, no effect */
#define MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS   0x00000020  /* see MmAllocatePagesForMdlEx */
#define MM_ALLOCATE_FAST_LARGE_PAGES            0x00000040  /* no large pages: refused */
#define MM_ALLOCATE_TRIM_IF_NECESSARY           0x00000080  /* no working sets: refused */
#define MM_ALLOCATE_AND_HOT_REMOVE              0x00000100  /* refused */

/*
 * MmAllocatePagesForMdl with a cache type and flags. The pages remember
 * CacheType (a value that is not a caching type means none): every mapping
 * of the MDL uses it, whatever the mapper asks. Flags: MM_DONT_ZERO_ALLOCATION
 * skips zeroing; MM_ALLOCATE_FULLY_REQUIRED returns NULL rather than part;
 * MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS with SkipBytes 0 gives one
 * physically contiguous block of all TotalBytes in [LowAddress, HighAddress]
 * or NULL, and with SkipBytes a power of two that divides TotalBytes gives
 * blocks of exactly SkipBytes, each aligned on SkipBytes (perhaps fewer than
 * asked: each whole), else NULL. A flag not listed as accepted above: NULL.
 */
PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                             PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
                             MEMORY_CACHING_TYPE CacheType, ULONG Flags);

/*
 * Maps the locked pages an MDL describes at new system PTEs and returns the
 * buffer's address (the MDL's byte offset kept); sets MappedSystemVa and
 * MDL_MAPPED_TO_SYSTEM_VA. In KernelMode RequestedAddress is ignored, as in
 * NT. A page allocated for a cache type is mapped with that type whatever
 * CacheType says; asking to map a page in use as cached memory (pool, say)
 * uncached is refused. NULL for an invalid CacheType, for that refusal, or
 * when system PTEs run out — unless BugCheckOnFailure is set (and
 * MDL_MAPPING_CAN_FAIL is not): then MEMORY_MANAGEMENT (0x1A, 0x1000) or
 * NO_MORE_SYSTEM_PTES (0x3F). Priority is accepted but does not ration PTEs
 * yet. With UserMode the pages are mapped into the current process instead,
 * read/write, at RequestedAddress or where there is room, as a VAD of their
 * own (mm/usermdl.c); that raises an exception when it fails
 * (STATUS_INVALID_PARAMETER_4, STATUS_CONFLICTING_ADDRESSES, STATUS_NO_MEMORY,
 * STATUS_INSUFFICIENT_RESOURCES, STATUS_COMMITMENT_LIMIT), as NT's does. A
 * page in the MDL that is not in use (free, or on a page list) is
 * MEMORY_MANAGEMENT (0x1A, 0x1233). No PFN count changes (NT's rule: the
 * MDL's lock holds the pages). IRQL <= DISPATCH_LEVEL (APC_LEVEL for
 * UserMode). MmUnmapLockedPages(address, MDL) undoes either.
 */
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority);
VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);

/*
 * Locking a buffer's pages (mm/mdllock.c). MmProbeAndLockPages faults in
 * every page of the buffer an MDL describes (for writing too, unless
 * Operation is IoReadAccess), takes a reference on each so it stays while
 * locked, fills the MDL's PFN array and sets MDL_PAGES_LOCKED; a user
 * buffer (AccessMode UserMode must stay below MmUserProbeAddress) records
 * its process. A bad buffer raises the fault's status
 * (STATUS_ACCESS_VIOLATION, STATUS_GUARD_PAGE_VIOLATION ...), with nothing
 * left locked: callers wrap it in EX_TRY. MmUnlockPages undoes it (and an
 * MDL still mapped in system space is unmapped first). IRQL <= APC_LEVEL
 * for a buffer that may fault.
 */
typedef enum _LOCK_OPERATION {
    IoReadAccess,
    IoWriteAccess,
    IoModifyAccess
} LOCK_OPERATION;

VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation);
VOID MmUnlockPages(PMDL MemoryDescriptorList);

/* The MDL's system address, mapping it (cached) if it has none yet; NULL if that fails. */
static inline PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, Priority);
}

/*
 * Reserved mappings: a driver reserves system address space up front
 * (MmAllocateMappingAddress: NULL for a zero PoolTag or when system PTEs run
 * out) and later maps MDLs into it without any allocation that could fail
 * (MmMapLockedPagesWithReservedMapping: NULL only when the MDL does not fit
 * the reservation, or a page may not be mapped with CacheType). The
 * reservation's PTEs stay zero until mapped; the two PTEs before it hold
 * NT's header: the size ((pages + 2) << PAGE_SHIFT) and the tag (bit 0
 * clear). The other three routines take any address in the reservation's
 * first page, as NT does: mapping returns that address plus the MDL's byte
 * offset. Freeing or mapping with another tag, or at an address that is
 * not a reservation, is SYSTEM_PTE_MISUSE (0xDA) with NT's parameter 1
 * (0x101..0x10C). IRQL <= DISPATCH_LEVEL.
 */
PVOID MmAllocateMappingAddress(SIZE_T NumberOfBytes, ULONG PoolTag);
VOID MmFreeMappingAddress(PVOID BaseAddress, ULONG PoolTag);
PVOID MmMapLockedPagesWithReservedMapping(PVOID MappingAddress, ULONG PoolTag,
                                          PMDL MemoryDescriptorList, MEMORY_CACHING_TYPE CacheType);
VOID MmUnmapReservedMapping(PVOID BaseAddress, ULONG PoolTag, PMDL MemoryDescriptorList);

/* ------------------------------------------------------------------------
 * Contiguous and noncached memory (mm/contig.c): fresh physical pages in
 * system PTEs, for devices that need them so. Each page is accounted as a
 * system page (share 1, reference 1) with the cache type asked for, and its
 * pages are charged commit (they can never be paged), as nonpaged pool's
 * are. NT takes a cached contiguous request from nonpaged pool when the pool
 * happens to be contiguous there; mm386 always takes free pages, so every
 * allocation is page aligned and never competes with the pool.
 */

/*
 * NumberOfBytes of physically contiguous memory, uninitialised, between
 * LowestAcceptableAddress and HighestAcceptableAddress (the last byte a
 * page may hold; pages past RAM do not count), crossing no multiple of
 * BoundaryAddressMultiple (0: none; else a power of two of at least a
 * page), mapped with CacheType. Returns the page-aligned base, or NULL for
 * 0 bytes, a CacheType that is not one, a bad boundary, an empty range, or
 * when no such run of free pages, commit or system PTEs is left. The scan
 * grows with the range: allocate early, as NT advises. IRQL <= DISPATCH_LEVEL.
 */
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                             MEMORY_CACHING_TYPE CacheType);
/* The same, cached, anywhere below HighestAcceptableAddress. */
PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress);
/*
 * Frees contiguous memory by its base. An address that does not start an
 * allocation of contiguous memory is BAD_POOL_CALLER (0xC2, 0x60), NT's.
 * IRQL <= DISPATCH_LEVEL.
 */
VOID MmFreeContiguousMemory(PVOID BaseAddress);
/* The same; NumberOfBytes and CacheType are not needed (NT ignores them too). */
VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType);

/*
 * NumberOfBytes of zeroed, noncached (UC) memory in system space, not
 * necessarily physically contiguous; NULL for 0 bytes or when pages, commit
 * or system PTEs run out. MmFreeNonCachedMemory takes the same address and
 * size; a size that does not match the allocation, or an address that
 * starts none, is SYSTEM_PTE_MISUSE (0xDA, NT's 0x301..0x306).
 * IRQL <= APC_LEVEL in NT; mm386 allows DISPATCH_LEVEL.
 */
PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes);
VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes);

/*
 * Kernel stacks: NT's x86 sizes. mm386 commits a large stack whole (NT
 * commits 12 KB of it and grows it on demand).
 */
#define KERNEL_STACK_SIZE           0x3000      /* 12 KB */
#define KERNEL_LARGE_STACK_SIZE     0xF000      /* 60 KB */

/*
 * Makes a kernel stack in system PTEs, with a no-access guard page below it,
 * and returns its base (one past its highest byte; the stack grows down from
 * there). Charges commit for its pages. NULL if commit, pages or system PTEs
 * run out. Node is accepted for NT's signature (one node). IRQL <= APC_LEVEL.
 */
PVOID MmCreateKernelStack(BOOLEAN LargeStack, UCHAR Node);
/* Frees a stack from MmCreateKernelStack; a pointer that is not one is SYSTEM_PTE_MISUSE (0xDA, 0x301). */
VOID MmDeleteKernelStack(PVOID PointerKernelStack, BOOLEAN LargeStack);

/*
 * Names the kernel stack (from MmCreateKernelStack) that Address, or its
 * guard page, lies on. Takes no lock and never faults: the double-fault
 * handler calls it.
 */
bool MmIdentifyKernelStack(ULONG Address, KE_STACK_INFO *Info);

/*
 * PE images (mm/imagehdr.c, mm/imagesec.c; include/ntimage.h). What the
 * headers of an image say, once MmVerifyImageHeader has found them sound.
 */
struct _IMAGE_SECTION_HEADER;
typedef struct _MM_IMAGE_INFORMATION {
    ULONG ImageBase;                    /* preferred base */
    ULONG SizeOfImage, SizeOfHeaders;
    ULONG EntryPoint;                   /* RVA */
    ULONG SectionAlignment;
    ULONG StackReserve, StackCommit, HeapReserve, HeapCommit;
    USHORT Subsystem, SubsystemMajorVersion, SubsystemMinorVersion;
    USHORT Characteristics;             /* IMAGE_FILE_*: LARGE_ADDRESS_AWARE, RELOCS_STRIPPED ... */
    USHORT Machine, DllCharacteristics;
    ULONG SizeOfCode, LoaderFlags;
    ULONG FileSize;                     /* bytes of the file the headers came from */
    ULONG NumberOfSections;
    const struct _IMAGE_SECTION_HEADER *Sections;   /* in the file */
    ULONG ExportRva, ExportSize;
    ULONG RelocationRva, RelocationSize;
} MM_IMAGE_INFORMATION, *PMM_IMAGE_INFORMATION;

/*
 * Checks the FileSize bytes at File as a PE32 image for this processor and
 * fills Info, with NT's statuses: STATUS_INVALID_IMAGE_NOT_MZ (no MS-DOS
 * header), STATUS_INVALID_IMAGE_PROTECT (no PE header where e_lfanew says,
 * or an unknown signature there), STATUS_INVALID_IMAGE_NE_FORMAT and
 * STATUS_INVALID_IMAGE_LE_FORMAT (16-bit and VxD signatures),
 * STATUS_INVALID_IMAGE_WIN_64 (PE32+), STATUS_INVALID_IMAGE_FORMAT
 * (anything else unsound), STATUS_SECTION_TOO_BIG; a sound image for
 * another processor is the warning STATUS_IMAGE_MACHINE_TYPE_MISMATCH with
 * Info filled. Reads only inside the file. Any IRQL (the file must be
 * resident).
 */
NTSTATUS MmVerifyImageHeader(const void *File, SIZE_T FileSize, PMM_IMAGE_INFORMATION Info);
/* The RVA of the export Name of a verified image, or 0 if it exports no such name. */
ULONG MmFindImageExport(const void *File, const MM_IMAGE_INFORMATION *Info, const char *Name);
/*
 * What the headers of the image section SectionObject (SEC_IMAGE, from
 * MmCreateSection) said when it was made (mm/imagesec.c): valid while the
 * caller holds a reference on the section. NULL for a data section.
 */
const MM_IMAGE_INFORMATION *MmGetImageInformation(PVOID SectionObject);

/*
 * A new process's PEB and parameters, and a thread's TEB (mm/pebteb.c;
 * include/ntpeb.h): user pages of the current (attached) process, written
 * by the kernel. MmCreatePeb: the PEB (image base, parameters, version,
 * subsystem) and the normalized process parameters with ImagePath and
 * CommandLine (kernel copies). MmCreateTeb: a TEB with the thread's stack
 * from InitialTeb, its ids and the PEB. The memory services' statuses;
 * nothing left on failure. MmDeleteTeb releases one. PASSIVE_LEVEL.
 */
struct _PEB;
struct _TEB;
struct _INITIAL_TEB;
NTSTATUS MmCreatePeb(const MM_IMAGE_INFORMATION *Info, PVOID ImageBase, PCUNICODE_STRING ImagePath,
                     PCUNICODE_STRING CommandLine, struct _PEB **Peb);
NTSTATUS MmCreateTeb(struct _PEB *Peb, PCLIENT_ID ClientId, const struct _INITIAL_TEB *InitialTeb,
                     struct _TEB **Teb);
void MmDeleteTeb(struct _TEB *Teb);

/*
 * The memory manager's counts NtQuerySystemInformation reports
 * (kernel/ex/sysinfo.c). NT's sysinfo.c reads the memory manager's globals
 * (MmNumberOfPhysicalPages, MmAvailablePages, MmTotalCommittedPages ...);
 * mm386 keeps them private to mm/ and MmQuerySystemCounters copies them out
 * (mm/mmquery.c). A moment's view: no lock is taken, so counts that move
 * together may be read a change apart. Any IRQL <= DISPATCH_LEVEL.
 */
typedef struct _MM_SYSTEM_COUNTERS {
    PFN_NUMBER NumberOfPhysicalPages;       /* RAM the memory manager uses (after /MAXMEM) */
    PFN_NUMBER LowestPhysicalPage;
    PFN_NUMBER HighestPhysicalPage;
    ULONG AllocationGranularity;            /* reservations start on multiples of it */
    ULONG_PTR LowestUserAddress;            /* the lowest address a reservation may take */
    ULONG_PTR HighestUserAddress;           /* MmHighestUserAddress: true under /3GB and /USERVA */
    PFN_NUMBER AvailablePages;              /* zeroed + free + standby */
    ULONG CommittedPages;
    ULONG CommitLimit;
    ULONG PeakCommitment;                   /* the most CommittedPages has been since boot */
    ULONG PageFaultCount;                   /* page faults MmAccessFault handled */
    ULONG DemandZeroCount;                  /* user pages given a zeroed page on first touch */
    ULONG PagedPoolPages;                   /* pages the paged pool holds: split into blocks, or whole */
    ULONG NonPagedPoolPages;
    ULONG PagedPoolAllocs;                  /* small blocks taken from the pool's lists */
    ULONG PagedPoolFrees;
    ULONG NonPagedPoolAllocs;
    ULONG NonPagedPoolFrees;
    ULONG PagedPoolLookasideHits;           /* small blocks taken from the pool's lookaside lists */
    ULONG NonPagedPoolLookasideHits;
    ULONG AvailablePagedPoolPages;          /* paged pool pages not allocated */
    ULONG FreeSystemPtes;
} MM_SYSTEM_COUNTERS, *PMM_SYSTEM_COUNTERS;
void MmQuerySystemCounters(PMM_SYSTEM_COUNTERS Counters);

#endif
