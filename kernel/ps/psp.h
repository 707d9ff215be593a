/*
 * kernel/ps/psp.h — the process structure's internal interface.
 */
#ifndef MM386_PSP_H
#define MM386_PSP_H

#include <ps.h>
#include "kernel/ke/ki.h"

/* create.c */
void PspSystemThreadStartup(PKSTART_ROUTINE StartRoutine, PVOID StartContext);
bool PspInitializeThread(PETHREAD Thread, PEPROCESS Process, BOOLEAN LargeStack, PKSTART_ROUTINE StartRoutine,
                         PVOID StartContext);

/* kill.c: the current thread's end; its stack goes to the reaper. */
NORETURN void PspExitThread(NTSTATUS ExitStatus);
void PspInitializeReaper(void);
NTSTATUS PspStartReaper(void);

#endif
