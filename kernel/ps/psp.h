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
 * StartRoutine(StartContext); false, with nothing made, if no stack could be.
 * PspStartThread then links it into its process and readies it.
 */
bool PspInitializeThread(PETHREAD Thread, PEPROCESS Process, BOOLEAN LargeStack, PKSTART_ROUTINE StartRoutine,
                         PVOID StartContext);
void PspStartThread(PETHREAD Thread);
/* A fresh client id (a thread's or a process's): multiples of 4, as NT's. */
ULONG PspAllocateClientId(void);
/* Phase 2: the threads made before the Thread type existed become objects. */
void PspInitializeStaticThreads(void);

/* The reaper runs above the threads whose stacks it frees (NT's worker threads run at 12). */
#define PSP_REAPER_PRIORITY 12

/* kill.c: the current thread's end; its stack goes to the reaper. */
NORETURN void PspExitThread(NTSTATUS ExitStatus);
void PspInitializeReaper(void);
NTSTATUS PspStartReaper(void);
/* The Thread and Process types' delete procedures. */
void PspDeleteThread(PVOID Object);
void PspDeleteProcess(PVOID Object);

#endif
