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

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

typedef struct _EPROCESS {
    KPROCESS Pcb;                           /* the dispatcher's part, first as in NT */
    MMADDRESS_SPACE AddressSpace;           /* page directory, hyperspace, (later) VADs */
    ULONG_PTR UniqueProcessId;
    LIST_ENTRY ThreadListHead;              /* its ETHREADs (ETHREAD.ThreadListEntry) */
    ULONG ActiveThreads;
    NTSTATUS ExitStatus;
    struct _HANDLE_TABLE *ObjectTable;      /* handles this process holds (kernel/ob) */
    char ImageFileName[16];                 /* NT's 15 characters and a terminator */
} EPROCESS, *PEPROCESS;

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

/* The process whose thread is running (its own process, never the one it is attached to). Any IRQL. */
static inline PEPROCESS PsGetCurrentProcess(void)
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

#endif
