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
#include <ntpeb.h>
#include <ntinfo.h>

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
    ULONG NumberOfPrivatePages;             /* frames of its own: demand-zero pages and copy-on-write copies */
    MMSUPPORT Vm;
    MMWSL WorkingSetList;
    BOOLEAN LargeAddressAware;              /* the image may use user addresses above 2 GB */
    LIST_ENTRY MmProcessLinks;              /* on MmProcessList while it has an address space */

    /* A process made from an image (kernel/ps/process.c): what ring 3 sees of it. */
    PPEB Peb;                               /* its PEB, a user address (NULL for a system process) */
    PVOID SectionBaseAddress;               /* where its image is mapped */
    PVOID SectionObject;                    /* its image section, referenced until the process object goes */
    ULONG_PTR InheritedFromUniqueProcessId; /* its creator's id */
    LARGE_INTEGER CreateTime;
    LARGE_INTEGER ExitTime;
    BOOLEAN ProcessExiting;                 /* its exit has begun: no new threads, no second exit status */
    BOOLEAN SharedUserDataMapped;           /* KUSER_SHARED_DATA is mapped at MM_SHARED_USER_DATA_VA */
} EPROCESS, *PEPROCESS;


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
    BOOLEAN TerminationQueued;              /* TerminationApc is queued: it ends at its next chance */
    KAPC TerminationApc;                    /* ends the thread in its own context (NtTerminateThread/Process) */
    KAPC TerminationUserApc;                /* a user thread's end, on its way back to ring 3 (kernel/ps/kill.c) */
    KAPC LoaderApc;                         /* a user thread's first act in ring 3: ntdll's LdrInitializeThunk */
    LIST_ENTRY ActiveTimerListHead;         /* timers whose completion routine runs here (kernel/ex/timer.c) */
    KSPIN_LOCK ActiveTimerListLock;
} ETHREAD, *PETHREAD;


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
 * space), 2 in the phase-1 thread (the system threads ps runs), 3 after
 * the memory manager's phase 2 (ntdll.dll's image section).
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

/*
 * Processes from images and their threads in ring 3 (kernel/ps/process.c,
 * kernel/ps/create.c, kernel/ps/kill.c, docs/PROCESSES.md). The services
 * take their caller's mode from ExGetPreviousMode and probe a UserMode
 * caller's pointers; PASSIVE_LEVEL.
 *
 * NtCreateUserProcess is NT 6's service, simplified: the image is
 * ProcessParameters->ImagePathName, a boot module named \Boot\NAME; its
 * command line ProcessParameters->CommandLine; ProcessFlags and ThreadFlags
 * must be 0, CreateInfo and AttributeList NULL (STATUS_INVALID_PARAMETER
 * otherwise). The process gets the image mapped at its preferred base (or
 * relocated), a PEB, KUSER_SHARED_DATA, and one thread in ring 3 at the
 * image's entry point with the PEB as its argument, on a stack of the
 * image's SizeOfStackReserve/Commit with a guard page. Handles to both, and
 * nothing left behind on failure: STATUS_OBJECT_NAME_NOT_FOUND (no such
 * module), STATUS_INVALID_IMAGE_NOT_MZ, STATUS_INVALID_IMAGE_FORMAT,
 * STATUS_IMAGE_MACHINE_TYPE_MISMATCH, STATUS_SECTION_TOO_BIG,
 * STATUS_CONFLICTING_ADDRESSES (an image without relocations whose base is
 * taken), or the object manager's and memory manager's statuses.
 */
typedef struct _PS_CREATE_INFO PS_CREATE_INFO, *PPS_CREATE_INFO;
typedef struct _PS_ATTRIBUTE_LIST PS_ATTRIBUTE_LIST, *PPS_ATTRIBUTE_LIST;
NTSTATUS NtCreateUserProcess(PHANDLE ProcessHandle, PHANDLE ThreadHandle, ACCESS_MASK ProcessDesiredAccess,
                             ACCESS_MASK ThreadDesiredAccess, POBJECT_ATTRIBUTES ProcessObjectAttributes,
                             POBJECT_ATTRIBUTES ThreadObjectAttributes, ULONG ProcessFlags, ULONG ThreadFlags,
                             PRTL_USER_PROCESS_PARAMETERS ProcessParameters, PPS_CREATE_INFO CreateInfo,
                             PPS_ATTRIBUTE_LIST AttributeList);
/*
 * The same from inside the kernel, with the image path and command line as
 * kernel strings: the process and its first thread, started, and handles
 * to both (in the kernel handle table when the attributes ask for it).
 * NtCreateUserProcess captures its caller's strings and calls this.
 */
NTSTATUS PsCreateUserProcess(PCUNICODE_STRING ImagePath, PCUNICODE_STRING CommandLine,
                             POBJECT_ATTRIBUTES ProcessObjectAttributes, POBJECT_ATTRIBUTES ThreadObjectAttributes,
                             ACCESS_MASK ProcessDesiredAccess, ACCESS_MASK ThreadDesiredAccess,
                             PHANDLE ProcessHandle, PHANDLE ThreadHandle);
/*
 * A program among the boot modules started from the kernel: CommandLine is
 * "NAME [ARGUMENTS]", the image \Boot\NAME, the whole line the process's
 * command line (at most PS_BOOT_COMMAND_LINE - 1 characters, else
 * STATUS_NAME_TOO_LONG; no name: STATUS_OBJECT_NAME_INVALID). Kernel
 * handles to the process and its thread, with every right; PASSIVE_LEVEL.
 * The kd> prompt's `start`, the /START= boot switch (NT's first process,
 * smss.exe, is started the same way by Phase1Initialization) and the tests
 * use it.
 */
#define PS_BOOT_COMMAND_LINE 256
/* Where ntdll.dll is in every process (kernel/ps/sysdll.c), or NULL if this boot has none. */
PVOID PsGetSystemDllBase(void);
NTSTATUS PsStartBootProgram(const char *CommandLine, PHANDLE ProcessHandle, PHANDLE ThreadHandle);
/* The same, said on the console: "start: LINE is process ID (PROCESS ADDR)", ID in hex, or the status it failed with. */
void PsStartAndReportBootProgram(const char *CommandLine);
/*
 * A thread in ring 3 of the process ProcessHandle names (PROCESS_CREATE_THREAD),
 * starting with ThreadContext's registers on the stack InitialTeb describes
 * (its creator made it); it gets a TEB. CreateSuspended is not supported
 * (STATUS_NOT_SUPPORTED): mm386 has no suspension yet.
 */
NTSTATUS NtCreateThread(PHANDLE ThreadHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                        HANDLE ProcessHandle, PCLIENT_ID ClientId, PCONTEXT ThreadContext, PINITIAL_TEB InitialTeb,
                        BOOLEAN CreateSuspended);
/*
 * Ends a process (PROCESS_TERMINATE): each of its threads ends at its next
 * chance (a kernel APC), the caller last when it is one of them (and then
 * this does not return). NULL: every thread of the caller's process but the
 * caller. STATUS_PROCESS_IS_TERMINATING when it is already ending;
 * STATUS_ACCESS_DENIED for the System process.
 */
NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);
/*
 * Ends a thread (THREAD_TERMINATE); NULL or NtCurrentThread(): the caller,
 * which does not return (STATUS_CANT_TERMINATE_SELF for NULL when it is its
 * process's last thread, as NT). A system thread cannot be ended this way:
 * STATUS_ACCESS_DENIED.
 */
NTSTATUS NtTerminateThread(HANDLE ThreadHandle, NTSTATUS ExitStatus);
/* Ends the current process with ExitStatus from inside the kernel (an unhandled exception's second chance). */
NORETURN void PsTerminateCurrentProcess(NTSTATUS ExitStatus);
/* ------------------------------------------------------------------------
 * Querying processes and threads (kernel/ps/psquery.c), NT's x86 layouts.
 */

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
