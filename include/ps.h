/*
 * include/ps.h — the process structure: processes and threads (NT's Ps*).
 *
 * An EPROCESS owns what a running program owns: its address space (a page
 * directory and, with the VAD tree, the user range's reservations), its
 * handle table, its identity. The system process (PsInitialSystemProcess)
 * owns the kernel's own handles and threads. The dispatcher's part of a
 * process and of a thread (KPROCESS, KTHREAD) comes with kernel/ke's
 * threads; until then the system process is the only one, and the current
 * process is always it.
 */
#ifndef MM386_PS_H
#define MM386_PS_H

#include <ke.h>
#include <mm.h>

struct _HANDLE_TABLE;

/* NT's MMSUPPORT, the part mm386 keeps: the process's working-set counters. */
typedef struct _MMSUPPORT {
    ULONG PageFaultCount;                   /* faults resolved for the process's user range */
    ULONG WorkingSetSize;                   /* user pages resident (valid PTEs) now */
    ULONG PeakWorkingSetSize;
} MMSUPPORT;

/*
 * The user page tables' bookkeeping, which NT keeps in the process's
 * working set list (MMWSL, in hyperspace): for each page table of the user
 * range, how many of its PTEs are in use (not zero) — the page table is
 * freed when that reaches zero — and whether commit has been charged for it
 * (it is while any VAD spans it).
 */
typedef struct _MMWSL {
    USHORT UsedPageTableEntries[MM_USER_PAGE_TABLE_PAGES];
    ULONG CommittedPageTables[MM_USER_PAGE_TABLE_PAGES / 32];
    ULONG NumberOfCommittedPageTables;
    ULONG NumberOfPageTables;               /* user page tables present now */
} MMWSL;

typedef struct _EPROCESS {
    MMADDRESS_SPACE AddressSpace;           /* page directory and hyperspace */
    ULONG_PTR UniqueProcessId;
    struct _HANDLE_TABLE *ObjectTable;      /* handles this process holds (kernel/ob) */
    char ImageFileName[16];                 /* NT's 15 characters and a terminator */

    /*
     * The user range, in NT's fields (mm/vad.c, mm/virtual.c). The address
     * creation lock serialises changes to the VAD tree; the working set
     * mutex guards the user PTEs and is what the page-fault handler takes.
     * Order: address creation lock, then working set mutex.
     */
    MM_AVL_TABLE VadRoot;
    FAST_MUTEX AddressCreationLock;
    FAST_MUTEX WorkingSetMutex;
    SIZE_T VirtualSize;                     /* bytes reserved */
    SIZE_T PeakVirtualSize;
    SIZE_T CommitCharge;                    /* pages: private commit and user page tables */
    SIZE_T PeakCommitCharge;
    ULONG NumberOfLockedPages;              /* user pages held by MmProbeAndLockPages */
    MMSUPPORT Vm;
    MMWSL WorkingSetList;
    BOOLEAN LargeAddressAware;              /* the image may use user addresses above 2 GB */
    LIST_ENTRY MmProcessLinks;              /* on MmProcessList while it has an address space */
} EPROCESS, *PEPROCESS;

/*
 * NT's thread environment block, the part the kernel reads: the thread's
 * user stack (NtTib.StackBase down to StackLimit is committed; the
 * reservation starts at DeallocationStack). The offsets are NT's x86 ones,
 * so ring 3's TEB will be this one grown.
 */
typedef struct _NT_TIB {
    PVOID ExceptionList;
    PVOID StackBase;                        /* one past the stack's highest byte */
    PVOID StackLimit;                       /* the lowest committed byte: the guard page is just below */
    PVOID SubSystemTib;
    PVOID FiberData;
    PVOID ArbitraryUserPointer;
    struct _NT_TIB *Self;
} NT_TIB;

typedef struct _TEB {
    NT_TIB NtTib;
    UCHAR FieldsNotYetUsed[0xE0C - sizeof(NT_TIB)];
    PVOID DeallocationStack;                /* the stack reservation's base */
} TEB, *PTEB;

_Static_assert(offsetof(TEB, DeallocationStack) == 0xE0C, "NT's x86 TEB.DeallocationStack");

/*
 * The current thread's TEB (a user address), or NULL: NT's
 * PsGetCurrentThreadTeb. Until the dispatcher's threads carry one
 * (KTHREAD.Teb), mm386 keeps a single slot, set with
 * PspSetCurrentThreadTeb, which returns the old value.
 */
PTEB PsGetCurrentThreadTeb(void);
PTEB PspSetCurrentThreadTeb(PTEB Teb);

/* The system process: the kernel's threads and kernel handles belong to it. */
extern PEPROCESS PsInitialSystemProcess;

/* The process whose address space and handle table the current thread uses. Any IRQL. */
PEPROCESS PsGetCurrentProcess(void);

/* Phase 1: the system process (kernel/ps/psinit.c). */
void PsInitSystem(void);

#endif
