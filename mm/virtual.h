/*
 * mm/virtual.h — the user range's internal interface: protections, user
 * PTEs, user page tables, page references and commit, shared by
 * mm/virtual.c (NtAllocateVirtualMemory), mm/freevm.c, mm/protect.c,
 * mm/queryvm.c, mm/userpt.c, mm/mdllock.c, the user-fault
 * part of mm/pagfault.c and the teardown in mm/procsup.c.
 *
 * What a user PTE says (NT's formats, mm/pte.h), together with its VAD:
 *
 *   zero              nothing: reserved, or — in a VAD committed whole when it
 *                     was reserved (MemCommit) — committed with the VAD's
 *                     protection and never touched. A missing page table
 *                     means zero PTEs.
 *   demand zero       Soft, Protection P (not MM_DECOMMIT): committed with P,
 *                     never touched (P may carry MM_GUARD_PAGE or be MM_NOACCESS).
 *   decommitted       Soft, Protection MM_DECOMMIT: reserved, in a MemCommit VAD.
 *   transition        Trans, Protection P and a frame: committed and resident
 *                     but P allows no access (no-access or guard): the page
 *                     stays allocated to the process (NT would move it to the
 *                     standby list; mm386 has no trimming yet).
 *   valid             Hard, owner (user) bit, never global: resident; its
 *                     protection is kept in the PFN's OriginalPte, as in NT.
 *
 * Locks: the process's address creation lock, then its working set mutex
 * (include/ps.h). Everything here expects the process's address space to be
 * the current one: user PTEs are reached through the self-map.
 */
#ifndef MM386_MM_VIRTUAL_H
#define MM386_MM_VIRTUAL_H

#include <ex.h>
#include "mi.h"
#include "vad.h"

/* Bugcheck parameters of the user range (PFN_LIST_CORRUPT's is NT's; MEMORY_MANAGEMENT's are mm386's). */
#define PFN_CORRUPT_EXTRA_UNLOCK            0x07    /* a page unlocked more than locked: p2 PFN, p3 share count */
#define MM_BUGCHECK_PROCESS_LEFTOVERS       0x4170  /* p2 process, p3 commit, p4 page tables left after teardown */
#define MM_BUGCHECK_USER_PAGE_TABLE_LEFT    0x4171  /* p2 directory PFN, p3 PDE index of a user page table */
#define MM_BUGCHECK_USED_PTE_COUNT          0x4172  /* p2 VA, p3 used count, p4 change: a page table's count broken */
#define MM_BUGCHECK_UNLOCK_NOT_LOCKED       0x4173  /* MmUnlockPages of an MDL not locked: p2 MDL, p3 its flags */
#define MM_BUGCHECK_NOT_A_USER_MAPPING      0x4174  /* MmUnmapLockedPages of no user mapping of the MDL: p2 VA, p3 MDL */

/* ------------------------------------------------------------ protections */

#define MM_INVALID_PROTECTION       0xFFFFFFFF
#define MM_WRITECOMBINE             0x18        /* with an access in the low three bits */
#define MM_PROTECTION_ACCESS_MASK   7
#define MM_PROTECTION_MODIFIER_MASK 0x18

/* Win32 PAGE_* to NT's 5-bit protection, or MM_INVALID_PROTECTION (NT's MiMakeProtectionMask). */
ULONG MiMakeProtectionMask(ULONG Protect);
/*
 * NT's 5-bit protection back to PAGE_* (MmProtectToValue): the access's
 * value with the modifier's flag; PAGE_NOACCESS, with no modifier, for
 * every protection that allows no access (no-access, decommitted).
 */
extern const ULONG MiProtectToWin32Access[8], MiProtectToWin32Modifier[4];
static inline ULONG MiProtectionToWin32(ULONG ProtectionMask)
{
    if ((ProtectionMask & 7) == 0)
        return PAGE_NOACCESS;
    return MiProtectToWin32Access[ProtectionMask & 7] | MiProtectToWin32Modifier[(ProtectionMask >> 3) & 3];
}

/* Whether a page with this protection may be read (it may then be valid). */
static inline bool MiIsAccessibleProtection(ULONG Protection)
{
    return (Protection & MM_PROTECTION_ACCESS_MASK) != 0 &&
           (Protection & MM_PROTECTION_MODIFIER_MASK) != MM_GUARD_PAGE;
}
static inline bool MiIsGuardProtection(ULONG Protection)
{
    return (Protection & MM_PROTECTION_ACCESS_MASK) != 0 &&
           (Protection & MM_PROTECTION_MODIFIER_MASK) == MM_GUARD_PAGE;
}
static inline bool MiIsWritableProtection(ULONG Protection)
{
    ULONG Access = Protection & MM_PROTECTION_ACCESS_MASK;
    return Access == MM_READWRITE || Access == MM_EXECUTE_READWRITE ||
           Access == MM_WRITECOPY || Access == MM_EXECUTE_WRITECOPY;
}

/* --------------------------------------------------------------- user PTEs */

static inline MMPTE MiMakeUserSoftPte(ULONG Protection)
{
    MMPTE Pte;
    Pte.u.Long = 0;
    Pte.u.Soft.Protection = Protection;
    return Pte;
}

static inline MMPTE MiMakeUserTransitionPte(PFN_NUMBER Pfn, ULONG Protection)
{
    MMPTE Pte;
    Pte.u.Long = 0;
    Pte.u.Trans.Transition = 1;
    Pte.u.Trans.Protection = Protection;
    Pte.u.Trans.PageFrameNumber = Pfn;
    return Pte;
}

static inline bool MiIsDecommittedPte(MMPTE Pte)
{
    return Pte.u.Long == MiMakeUserSoftPte(MM_DECOMMIT).u.Long;
}

static inline bool MiIsUserTransitionPte(MMPTE Pte)
{
    return !Pte.u.Hard.Valid && !Pte.u.Soft.Prototype && Pte.u.Soft.Transition;
}

/*
 * A valid user PTE for Pfn with Protection (accessible); Dirty for a page
 * written now. Never global. Inline: every user fault makes one (and an
 * MMPTE returned from a call goes through memory on i386).
 */
static inline MMPTE MiMakeUserValidPte(PFN_NUMBER Pfn, ULONG Protection, bool Dirty)
{
    ULONG Bits = PTE_VALID | PTE_OWNER | PTE_ACCESSED;

    if (MiIsWritableProtection(Protection))
        Bits |= PTE_WRITE;
    if (Dirty)
        Bits |= PTE_DIRTY;
    if ((Protection & MM_PROTECTION_MODIFIER_MASK) == MM_NOCACHE)
        Bits |= PTE_CACHE_DISABLE | PTE_WRITE_THROUGH;
    else if ((Protection & MM_PROTECTION_MODIFIER_MASK) == MM_WRITECOMBINE)
        Bits |= PTE_CACHE_DISABLE;
    return MiMakeValidPte(Pfn, Bits);
}

/* The PTE of user address Va, or NULL when its page table does not exist (all its PTEs are zero). */
static inline PMMPTE MiUserPteIfPresent(ULONG Va)
{
    return MiReadPte(MiAddressToPde(Va)).u.Hard.Valid ? MiAddressToPte(Va) : NULL;
}

/*
 * What a page of Vad is: MEM_COMMIT with *Protection, or MEM_RESERVE
 * (*Protection 0). Working set mutex held (or nothing can change the
 * process: the debugger).
 */
ULONG MiQueryPageState(PEPROCESS Process, PMMVAD Vad, ULONG Va, ULONG *Protection);

/* ------------------------------------------------------ user page tables */

/* The page-table index (PDE index) of a user address. */
#define MI_PDE_INDEX(Va)    ((ULONG)(Va) >> PDE_SHIFT)

/*
 * Makes the page table for user address Va exist: a zeroed page entered in
 * the current directory as a user, non-global PDE (commit for it was
 * charged when a VAD spanning it was inserted). False if no page could be
 * had. Working set mutex held.
 */
bool MiMakeUserPageTable(PEPROCESS Process, ULONG Va);
/*
 * Makes every missing page table in [StartVa, EndVa] exist; if one cannot
 * be made, frees the ones made here (still empty) and returns false, so
 * the caller fails with nothing changed.
 */
bool MiMakeUserPageTables(PEPROCESS Process, ULONG StartVa, ULONG EndVa);
/*
 * Adds Delta to the count of PTEs in use in Va's page table; when it falls
 * to zero the page table is freed (the caller has already flushed every
 * translation made through it); a count that would go below zero or above
 * PTE_PER_PAGE is MEMORY_MANAGEMENT. Working set mutex held. The count
 * staying within 1..PTE_PER_PAGE is inline (every demand-zero fault adds
 * one); a page table emptied and a bad count go out of line.
 */
void MiAdjustUsedPtesSlow(PEPROCESS Process, ULONG Va, LONG Delta);

static inline void MiAdjustUsedPtes(PEPROCESS Process, ULONG Va, LONG Delta)
{
    USHORT *Used = &Process->WorkingSetList.UsedPageTableEntries[MI_PDE_INDEX(Va)];
    ULONG Count = (ULONG)((LONG)*Used + Delta);

    if (Delta == 0)
        return;
    if (UNLIKELY(Count - 1 >= PTE_PER_PAGE)) {
        MiAdjustUsedPtesSlow(Process, Va, Delta);
        return;
    }
    *Used = (USHORT)Count;
}

/*
 * KUSER_SHARED_DATA (mm/shareddata.c): made once in phase 1; a process's
 * read-only mapping of it goes with its user range (attached, working set
 * mutex held).
 */
extern PFN_NUMBER MmSharedUserDataPfn;
void MiInitializeSharedUserData(void);
void MiUnmapSharedUserData(PEPROCESS Process);

/*
 * Page-table commitment, NT's rule: a page table is charged once, when the
 * first VAD spanning it is inserted, and returned when no VAD spans it any
 * more. MiChargeVadCommitment charges that for [StartVa, EndVa] plus
 * AdditionalPages (the VAD's own commit) in one charge to the process and
 * the system; false, with nothing charged, at the commit limit.
 * MiReturnPageTableCommitment runs after the VAD tree changed.
 * Address creation lock held.
 */
bool MiChargeVadCommitment(PEPROCESS Process, ULONG StartVa, ULONG EndVa, ULONG AdditionalPages);
void MiReturnPageTableCommitment(PEPROCESS Process, ULONG StartVa, ULONG EndVa);

/*
 * Deleting user pages: PTEs are cleared first, their translations flushed
 * from the TLB, and only then are the pages let go (a page another
 * processor's TLB could still reach must not be reused). The batch holds
 * pages between the two steps.
 */
#define MI_DELETE_BATCH_PAGES 32
typedef enum _MI_DELETE_KIND {
    MiDeletePrivate,            /* the process's own page: freed with its mapping */
    MiDeleteShared,             /* a section's page: this PTE's share goes, its data stays (a range: a view's) */
    MiDeleteSharedDirty,        /* the same, written through this PTE */
    MiDeleteNotOwned,           /* an MDL's page: the PTE goes, the page is the MDL's */
} MI_DELETE_KIND;
typedef struct _MI_DELETE_BATCH {
    ULONG Count;
    ULONG Va[MI_DELETE_BATCH_PAGES];
    PFN_NUMBER Pfn[MI_DELETE_BATCH_PAGES];
    PFN_NUMBER PageTable[MI_DELETE_BATCH_PAGES];    /* a shared page's: the page table whose share goes */
    UCHAR Kind[MI_DELETE_BATCH_PAGES];              /* MI_DELETE_KIND */
} MI_DELETE_BATCH;

/*
 * Clears the PTE at Va (whatever it holds) and queues its page, if it has
 * one, on Batch (flushing the batch when it is full). Returns the change in
 * the page table's used count (-1 if the PTE was not zero). Range says
 * whose pages the range maps: the process's own (MiDeletePrivate), an
 * MDL's, not the process's to free (MiDeleteNotOwned), or a view's
 * (MiDeleteShared): there a valid PTE of a section's page (its PFN entry
 * PrototypePte) loses its share instead, the page staying with its
 * prototype PTE (mm/section.h), and a private copy is freed.
 */
LONG MiDeleteUserPte(PEPROCESS Process, PMMPTE Pte, ULONG Va, MI_DELETE_BATCH *Batch, MI_DELETE_KIND Range);
/* Flushes the batch's translations and lets its pages go. */
void MiFlushDeleteBatch(PEPROCESS Process, MI_DELETE_BATCH *Batch);
/*
 * Clears every PTE of [StartVa, EndVa] (one VAD's pages, whose kind Range
 * says, as for MiDeleteUserPte), lets their pages go and frees page tables
 * left empty. Working set mutex held.
 */
void MiDeleteUserRange(PEPROCESS Process, ULONG StartVa, ULONG EndVa, MI_DELETE_KIND Range);

/* ------------------------------------------------------------------ commit */

/*
 * Charges Pages of commit to Process and to the system (MmTotalCommittedPages);
 * false, with nothing charged, if the system limit would be passed. The
 * return gives both back. Address creation lock held (the process's counts).
 */
bool MiChargeProcessCommitment(PEPROCESS Process, ULONG Pages);
void MiReturnProcessCommitment(PEPROCESS Process, ULONG Pages);

/* ---------------------------------------------------------- fault counters */

/* NT's MMINFO_COUNTERS: system-wide counts of the faults the memory manager resolved. */
typedef struct _MMINFO_COUNTERS {
    ULONG PageFaultCount;
    ULONG CopyOnWriteCount;
    ULONG TransitionCount;
    ULONG CacheTransitionCount;
    ULONG DemandZeroCount;
    ULONG PageReadCount;
    ULONG PageReadIoCount;
} MMINFO_COUNTERS;
extern MMINFO_COUNTERS MmInfoCounters;

/* --------------------------------------------------------------- processes */

/*
 * The process whose user range services and faults act on now: the current
 * thread's process, or the one it is attached to (KeStackAttachProcess) —
 * NT's PsGetCurrentProcess.
 */
static inline PEPROCESS MiGetCurrentProcess(void)
{
    return PsGetCurrentProcess();
}

/*
 * The process a service's ProcessHandle names, as NT's services take it:
 * ObReferenceObjectByHandle for Access (PROCESS_VM_OPERATION to change the
 * range, PROCESS_QUERY_INFORMATION to query it) with the caller's mode —
 * STATUS_INVALID_HANDLE, STATUS_OBJECT_TYPE_MISMATCH, STATUS_ACCESS_DENIED
 * — and the thread attached to it (KeStackAttachProcess) when it is not
 * the current process, so the services' work on PTEs through the self-map
 * is on its page tables. NtCurrentProcess() is the fast case: no reference,
 * no attach. MiDetachAndDereferenceProcess undoes it, before the service
 * writes its results to the caller's buffers (which are in the caller's
 * address space). PASSIVE_LEVEL.
 */
typedef struct _MI_PROCESS_REFERENCE {
    PEPROCESS Process;
    BOOLEAN Referenced;
    BOOLEAN Attached;
    KAPC_STATE ApcState;
} MI_PROCESS_REFERENCE;

/* The out-of-line halves: a real handle referenced, another process attached, both undone. */
NTSTATUS MiReferenceProcessByRealHandle(HANDLE ProcessHandle, ACCESS_MASK Access, MI_PROCESS_REFERENCE *Reference);
void MiAttachOtherProcess(MI_PROCESS_REFERENCE *Reference);
void MiDetachAndDereferenceOtherProcess(MI_PROCESS_REFERENCE *Reference);

/* Inline: NtCurrentProcess() is what nearly every call names, and it needs no handle lookup (NT's own test). */
static inline NTSTATUS MiReferenceProcessByHandle(HANDLE ProcessHandle, ACCESS_MASK Access,
                                                  MI_PROCESS_REFERENCE *Reference)
{
    if (ProcessHandle != NtCurrentProcess())
        return MiReferenceProcessByRealHandle(ProcessHandle, Access, Reference);
    Reference->Process = MiGetCurrentProcess();
    Reference->Referenced = Reference->Attached = FALSE;
    return STATUS_SUCCESS;
}
static inline void MiAttachReferencedProcess(MI_PROCESS_REFERENCE *Reference)
{
    if (Reference->Process != MiGetCurrentProcess())
        MiAttachOtherProcess(Reference);
}
static inline void MiDetachAndDereferenceProcess(MI_PROCESS_REFERENCE *Reference)
{
    if (Reference->Attached || Reference->Referenced)
        MiDetachAndDereferenceOtherProcess(Reference);
}

static inline void MiLockAddressSpace(PEPROCESS Process)
{
    ExAcquireFastMutex(&Process->AddressCreationLock);
}
static inline void MiUnlockAddressSpace(PEPROCESS Process)
{
    ExReleaseFastMutex(&Process->AddressCreationLock);
}
static inline void MiLockWorkingSet(PEPROCESS Process)
{
    ExAcquireFastMutex(&Process->WorkingSetMutex);
}
static inline void MiUnlockWorkingSet(PEPROCESS Process)
{
    ExReleaseFastMutex(&Process->WorkingSetMutex);
}

/*
 * Reads a service's *BaseAddress and *RegionSize into *Base and *Size: from
 * a UserMode caller under a handler, after probing them (and OldProtect,
 * if given) for writing; the status of a bad pointer, else STATUS_SUCCESS.
 */
NTSTATUS MiCaptureRangeArguments(KPROCESSOR_MODE PreviousMode, PVOID *BaseAddress, PSIZE_T RegionSize,
                                 PULONG OldProtect, ULONG *Base, SIZE_T *Size);

/*
 * Writes a service's results back: *BaseAddress and *RegionSize, under a
 * handler. NT's rule: the operation is done; a result the caller made
 * unwritable meanwhile is not an error, and is ignored.
 */
void MiWriteBackRange(PVOID *BaseAddress, PSIZE_T RegionSize, ULONG Base, SIZE_T Size);

/*
 * Sets Protection on every page of [StartVa, EndVa] in Vad, committing the
 * pages that are not (Commit true: NtAllocateVirtualMemory's MEM_COMMIT) or
 * expecting all to be committed (NtProtectVirtualMemory). The page tables
 * the range needs must exist (MiMakeUserPageTables). Returns the pages newly
 * committed. Working set mutex held.
 */
ULONG MiSetProtectionOnRange(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa, ULONG Protection,
                             bool Commit);
/* Pages of [StartVa, EndVa] in Vad that are committed now (NT's MiCalculatePageCommitment). */
ULONG MiCalculatePageCommitment(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa);
/* Whether every page of [StartVa, EndVa] in Vad is committed (NT's MiIsEntireRangeCommitted). */
bool MiIsEntireRangeCommitted(PEPROCESS Process, PMMVAD Vad, ULONG StartVa, ULONG EndVa);
/*
 * Whether writing Protection into [StartVa, EndVa] needs page tables that
 * do not exist: any missing one does, unless Vad was committed whole with
 * that same protection (its zero PTEs already say so).
 */
static inline bool MiRangeNeedsPageTables(PMMVAD Vad, ULONG Protection)
{
    return !Vad->u.VadFlags.MemCommit || Vad->u.VadFlags.Protection != Protection;
}

#endif
