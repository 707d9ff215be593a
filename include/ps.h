/*
 * include/ps.h — the process structure: processes and threads (NT's Ps*).
 *
 * An EPROCESS owns what a running program owns: the dispatcher's part of a
 * process (KPROCESS: its page directory for the dispatcher, its threads,
 * its base priority), its address space (a page directory and, with the
 * VAD tree, the user range's reservations), its handle table, its
 * identity. An ETHREAD is the executive's thread around the dispatcher's
 * KTHREAD: its identity (client id), its start address, its exit status.
 * Both begin with the kernel's structure, as in NT, so a PKTHREAD is a
 * PETHREAD and a PKPROCESS a PEPROCESS.
 *
 * The system process (PsInitialSystemProcess) owns the kernel's threads
 * and handles; its address space is the boot page directory.
 */
#ifndef MM386_PS_H
#define MM386_PS_H

#include <ke.h>
#include <mm.h>
#include <ob.h>

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

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

typedef struct _EPROCESS {
    KPROCESS Pcb;                           /* the dispatcher's part, first as in NT */
    MMADDRESS_SPACE AddressSpace;           /* page directory, hyperspace, (later) VADs */
    ULONG_PTR UniqueProcessId;
    LIST_ENTRY ActiveProcessLinks;          /* in PsActiveProcessHead */
    LIST_ENTRY ThreadListHead;              /* its ETHREADs (ETHREAD.ThreadListEntry) */
    ULONG ActiveThreads;
    NTSTATUS ExitStatus;
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
    PVOID Peb;                              /* the process environment block (user), NULL until ring 3 has one */
    ULONG_PTR InheritedFromUniqueProcessId; /* the creating process's id (0 for the System process) */
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

/* The current thread's TEB (a user address), or NULL for a thread that has no user mode: NT's PsGetCurrentThreadTeb. */
static inline PTEB PsGetCurrentThreadTeb(void)
{
    return (PTEB)KeGetCurrentThread()->Teb;
}

/* Sets the current thread's TEB (KTHREAD.Teb) and returns the old one: thread creation, and tests. */
static inline PTEB PspSetCurrentThreadTeb(PTEB Teb)
{
    PKTHREAD Thread = KeGetCurrentThread();
    PTEB Old = (PTEB)Thread->Teb;
    Thread->Teb = Teb;
    return Old;
}

typedef struct _ETHREAD {
    KTHREAD Tcb;                            /* the dispatcher's part, first as in NT */
    LARGE_INTEGER CreateTime;
    LARGE_INTEGER ExitTime;
    NTSTATUS ExitStatus;
    CLIENT_ID Cid;
    PVOID StartAddress;                     /* the start routine it was created with */
    PVOID StartContext;
    LIST_ENTRY ThreadListEntry;             /* in its EPROCESS's ThreadListHead */
    BOOLEAN LargeStack;                     /* its kernel stack came from MmCreateKernelStack(TRUE) */
    BOOLEAN Terminated;                     /* it has called PspExitThread */
    LIST_ENTRY ActiveTimerListHead;         /* timers whose completion routine runs here (kernel/ex/timer.c) */
    KSPIN_LOCK ActiveTimerListLock;
} ETHREAD, *PETHREAD;

/* Process and thread access rights (NT 5.2's values). */
#define PROCESS_TERMINATE           0x0001u
#define PROCESS_CREATE_THREAD       0x0002u
#define PROCESS_VM_OPERATION        0x0008u
#define PROCESS_VM_READ             0x0010u
#define PROCESS_VM_WRITE            0x0020u
#define PROCESS_DUP_HANDLE          0x0040u
#define PROCESS_CREATE_PROCESS      0x0080u
#define PROCESS_SET_INFORMATION     0x0200u
#define PROCESS_QUERY_INFORMATION   0x0400u
#define PROCESS_ALL_ACCESS          (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFu)
#define THREAD_TERMINATE            0x0001u
#define THREAD_SUSPEND_RESUME       0x0002u
#define THREAD_GET_CONTEXT          0x0008u
#define THREAD_SET_CONTEXT          0x0010u
#define THREAD_SET_INFORMATION      0x0020u
#define THREAD_QUERY_INFORMATION    0x0040u
#define THREAD_ALL_ACCESS           (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3FFu)

/*
 * The object types of processes and threads: NULL until their owners create
 * them (ObCreateObjectType). The object manager resolves NtCurrentProcess()
 * through PsProcessType and PsGetCurrentProcess() once the type exists.
 */
extern POBJECT_TYPE PsProcessType;
extern POBJECT_TYPE PsThreadType;

/* The system process: the kernel's threads and kernel handles belong to it. */
extern PEPROCESS PsInitialSystemProcess;
/* Every process that exists (EPROCESS.ActiveProcessLinks), guarded by PspActiveProcessLock. */
extern LIST_ENTRY PsActiveProcessHead;
extern KSPIN_LOCK PspActiveProcessLock;

/*
 * The current process: the one whose address space the running thread is
 * in — its own, or the one it is attached to (NT's PsGetCurrentProcess,
 * which handle lookups and the memory manager's services use). Any IRQL.
 */
static inline PEPROCESS PsGetCurrentProcess(void)
{
    return CONTAINING_RECORD(KeGetCurrentThread()->ApcState.Process, EPROCESS, Pcb);
}

/* The process the current thread belongs to, attached elsewhere or not: NT's PsGetCurrentThreadProcess. */
static inline PEPROCESS PsGetCurrentThreadProcess(void)
{
    return CONTAINING_RECORD(KeGetCurrentThread()->Process, EPROCESS, Pcb);
}

static inline PETHREAD PsGetCurrentThread(void)
{
    return CONTAINING_RECORD(KeGetCurrentThread(), ETHREAD, Tcb);
}

static inline HANDLE PsGetCurrentThreadId(void)
{
    return PsGetCurrentThread()->Cid.UniqueThread;
}

static inline HANDLE PsGetCurrentProcessId(void)
{
    return (HANDLE)PsGetCurrentProcess()->UniqueProcessId;
}

/*
 * Startup (kernel/init.c): phase 0 before the memory manager (the system
 * process around the boot page directory), 1 after it (the system address
 * space), 2 in the phase-1 thread (the system threads ps runs).
 */
void PsInitSystem(ULONG Phase);
/* Startup's phase-1 thread (kernel/init.c): a system thread on a large stack that never ends. */
NTSTATUS PspCreateBootThread(PKSTART_ROUTINE StartRoutine, PVOID StartContext);

/*
 * Creates a system thread running StartRoutine(StartContext) at PASSIVE_LEVEL
 * in the system process (ProcessHandle NULL) or in the process the handle
 * names (PROCESS_CREATE_THREAD), and returns a handle to it with
 * DesiredAccess (OBJ_KERNEL_HANDLE in ObjectAttributes for a kernel handle),
 * and its ids in *ClientId if asked. The thread ends when StartRoutine
 * returns or calls PsTerminateSystemThread; its object is signalled then,
 * and its stack and ETHREAD go when the last reference to it does.
 * STATUS_INSUFFICIENT_RESOURCES without pool or a kernel stack, the object
 * manager's statuses for bad attributes or handles. PASSIVE_LEVEL.
 */
NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                              HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                              PVOID StartContext);
/*
 * A process with an address space of its own (the system range shared, an
 * empty user range), an empty handle table and no thread: NT's
 * PsCreateSystemProcess. Threads attach to it (KeStackAttachProcess) or are
 * created in it. It goes with its last reference. PASSIVE_LEVEL.
 */
NTSTATUS PsCreateSystemProcess(PHANDLE ProcessHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes);
/* Ends the current system thread with ExitStatus. PASSIVE_LEVEL (NT: else KERNEL_APC_PENDING_DURING_EXIT). */
NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus);

/* ------------------------------------------------------------------------
 * Querying processes and threads (kernel/ps/psquery.c), NT's x86 layouts.
 */
typedef enum _PROCESSINFOCLASS { ProcessBasicInformation = 0 } PROCESSINFOCLASS;
typedef enum _THREADINFOCLASS { ThreadBasicInformation = 0 } THREADINFOCLASS;

typedef struct _PROCESS_BASIC_INFORMATION {
    NTSTATUS ExitStatus;                    /* STATUS_PENDING while it runs */
    PVOID PebBaseAddress;
    ULONG_PTR AffinityMask;
    KPRIORITY BasePriority;
    ULONG_PTR UniqueProcessId;
    ULONG_PTR InheritedFromUniqueProcessId;
} PROCESS_BASIC_INFORMATION, *PPROCESS_BASIC_INFORMATION;

typedef struct _THREAD_BASIC_INFORMATION {
    NTSTATUS ExitStatus;                    /* STATUS_PENDING until it has terminated */
    PVOID TebBaseAddress;
    CLIENT_ID ClientId;
    KAFFINITY AffinityMask;
    KPRIORITY Priority;
    KPRIORITY BasePriority;                 /* relative to its process's, as NT's KeQueryBasePriorityThread */
} THREAD_BASIC_INFORMATION, *PTHREAD_BASIC_INFORMATION;

_Static_assert(sizeof(PROCESS_BASIC_INFORMATION) == 24, "NT's x86 PROCESS_BASIC_INFORMATION");
_Static_assert(sizeof(THREAD_BASIC_INFORMATION) == 28, "NT's x86 THREAD_BASIC_INFORMATION");

/*
 * ProcessBasicInformation about the process ProcessHandle names
 * (PROCESS_QUERY_INFORMATION): a buffer of exactly its size, else
 * STATUS_INFO_LENGTH_MISMATCH; another class STATUS_INVALID_INFO_CLASS. A
 * UserMode caller's buffer is probed first; a fault writing the answer is
 * returned as the status (unlike the executive's object services, which
 * ignore it). PASSIVE_LEVEL.
 */
NTSTATUS NtQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass,
                                   PVOID ProcessInformation, ULONG ProcessInformationLength, PULONG ReturnLength);
/* ThreadBasicInformation, the same way (THREAD_QUERY_INFORMATION). */
NTSTATUS NtQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass,
                                  PVOID ThreadInformation, ULONG ThreadInformationLength, PULONG ReturnLength);
NTSTATUS ZwQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass,
                                   PVOID ProcessInformation, ULONG ProcessInformationLength, PULONG ReturnLength);
NTSTATUS ZwQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass,
                                  PVOID ThreadInformation, ULONG ThreadInformationLength, PULONG ReturnLength);

#endif
