/*
 * kernel/ps/psp.h — the process structure's internal interface.
 */
#ifndef MM386_PSP_H
#define MM386_PSP_H

#include <ps.h>
#include "kernel/ke/ki.h"

/* create.c */
void PspSystemThreadStartup(PKSTART_ROUTINE StartRoutine, PVOID StartContext);
/*
 * Fills in a zeroed ETHREAD of Process around a new kernel stack, to run
 * StartRoutine(StartContext) — or, with a UserContext, to enter ring 3 with
 * those registers and Teb as its TEB; false, with nothing made, if no stack
 * could be. PspStartThread then links it into its process and readies it.
 */
bool PspInitializeThread(PETHREAD Thread, PEPROCESS Process, BOOLEAN LargeStack, PKSTART_ROUTINE StartRoutine,
                         PVOID StartContext, PCONTEXT UserContext, PTEB Teb);
void PspStartThread(PETHREAD Thread);
/* A fresh client id (a thread's or a process's): multiples of 4, as NT's. */
ULONG PspAllocateClientId(void);
/*
 * A process object with an address space, a handle table, an id and a
 * name, no thread, not yet on PsActiveProcessHead (PspInsertProcess puts it
 * there): the creator holds the one reference. PASSIVE_LEVEL.
 */
NTSTATUS PspCreateProcessObject(POBJECT_ATTRIBUTES ObjectAttributes, PCSTR ImageFileName, BOOLEAN LargeAddressAware,
                                PEPROCESS *NewProcess);
void PspInsertProcess(PEPROCESS Process);
/*
 * A user thread in Process (referenced by the caller) entering ring 3 with
 * Context on the stack InitialTeb describes, its TEB made here; a handle to
 * it with DesiredAccess. Not started: PspStartThread does that. *Thread is
 * referenced for the caller. STATUS_PROCESS_IS_TERMINATING, or the object
 * and memory managers' statuses with nothing left behind. PASSIVE_LEVEL.
 */
NTSTATUS PspCreateUserThread(PEPROCESS Process, POBJECT_ATTRIBUTES ObjectAttributes, ACCESS_MASK DesiredAccess,
                             const CONTEXT *Context, const INITIAL_TEB *InitialTeb, PHANDLE ThreadHandle,
                             PETHREAD *Thread);
/* Writes Length bytes to a caller's Target: probed and under a handler when PreviousMode is UserMode. */
NTSTATUS PspCopyToUser(PVOID Target, const void *Value, ULONG Length, KPROCESSOR_MODE PreviousMode);
/* Phase 2: the threads made before the Thread type existed become objects. */
void PspInitializeStaticThreads(void);

/*
 * sysdll.c: ntdll.dll. Found and checked once in phase 2; mapped into the
 * current (new) process at its fixed base (STATUS_DLL_NOT_FOUND without
 * one, STATUS_CONFLICTING_ADDRESSES if its place is taken); its loader
 * queued as the first user APC of a new user thread, in that thread.
 */
void PspInitializeSystemDll(void);
NTSTATUS PspMapSystemDll(void);
void PspQueueLoaderApc(PETHREAD Thread);

/* The reaper runs above the threads whose stacks it frees (NT's worker threads run at 12). */
#define PSP_REAPER_PRIORITY 12

/* kill.c: the current thread's end; its stack goes to the reaper. */
NORETURN void PspExitThread(NTSTATUS ExitStatus);
void PspInitializeReaper(void);
NTSTATUS PspStartReaper(void);
/* The Thread and Process types' delete procedures. */
void PspDeleteThread(PVOID Object);
void PspDeleteProcess(PVOID Object);

/*
 * kd>'s view of a process's threads (kernel/ps/pskd.c): up to Max of them
 * into Threads, in list order; the count. At the running prompt the list
 * is read under the dispatcher lock (threads leave it there) and each
 * thread is referenced safely (one already on its way to deletion is
 * skipped): the caller gives each back with PspKdReleaseThreads. At a
 * stopped prompt nothing runs: the list is read as it is, nothing taken.
 */
#define PSP_KD_MAX_THREADS 64
ULONG PspKdSnapshotThreads(PEPROCESS Process, PETHREAD *Threads, ULONG Max);
void PspKdReleaseThreads(PETHREAD *Threads, ULONG Count);

#endif
