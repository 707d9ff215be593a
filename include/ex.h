/*
 * include/ex.h — the executive's support routines (NT's Ex*).
 *
 * ExRaiseStatus raises an NTSTATUS as a kernel exception: the innermost
 * fault catcher armed by the code that raises (include/ke.h, KeTryFault)
 * receives it — its Vector is KI_RAISED_STATUS, its ErrorCode the status —
 * and with no catcher armed the machine stops with
 * KMODE_EXCEPTION_NOT_HANDLED (0x1E) and the status as parameter 1, NT's
 * verdict on an unhandled kernel exception.
 */
#ifndef MM386_EX_H
#define MM386_EX_H

#include <ke.h>

/* KFAULT_CATCHER.Vector of a raised status (not a CPU exception vector). */
#define KI_RAISED_STATUS    0x100

NORETURN void ExRaiseStatus(NTSTATUS Status);

#endif
