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
#include <ob.h>

struct _HANDLE_TABLE;

typedef struct _EPROCESS {
    MMADDRESS_SPACE AddressSpace;           /* page directory, hyperspace, (later) VADs */
    ULONG_PTR UniqueProcessId;
    struct _HANDLE_TABLE *ObjectTable;      /* handles this process holds (kernel/ob) */
    char ImageFileName[16];                 /* NT's 15 characters and a terminator */
} EPROCESS, *PEPROCESS;

/* Process access rights (NT 5.2's values). */
#define PROCESS_DUP_HANDLE      0x0040u
#define PROCESS_ALL_ACCESS      (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFu)

/*
 * The object types of processes and threads: NULL until their owners create
 * them (ObCreateObjectType). The object manager resolves NtCurrentProcess()
 * through PsProcessType and PsGetCurrentProcess() once the type exists.
 */
extern POBJECT_TYPE PsProcessType;
extern POBJECT_TYPE PsThreadType;

/* The system process: the kernel's threads and kernel handles belong to it. */
extern PEPROCESS PsInitialSystemProcess;

/* The process whose address space and handle table the current thread uses. Any IRQL. */
PEPROCESS PsGetCurrentProcess(void);

/* Phase 1: the system process (kernel/ps/psinit.c). */
void PsInitSystem(void);

#endif
