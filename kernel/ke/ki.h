/*
 * kernel/ke/ki.h — kernel-internal declarations shared between kernel/ files.
 */
#ifndef MM386_KI_H
#define MM386_KI_H

#include <ke.h>

/* kernel/init.c */
extern uint64_t KiTscAtKernelEntry;
extern const char KiVersion[];

/* kernel/ke/trap.c: the innermost fault catcher, saved and restored by the harness. */
PKFAULT_CATCHER KiGetFaultCatcher(void);
void KiSetFaultCatcher(PKFAULT_CATCHER Catcher);
extern ULONG KiBreakpointCount;
/*
 * Where the debug trap (#DB: single step, debug registers) goes: a routine
 * that returns true once it has dealt with the trap (the frame may be
 * edited, EFlags.TF cleared), for tests that step through code. NULL, or a
 * false return, leaves #DB an unexpected kernel-mode trap.
 */
typedef bool (*PKDEBUG_TRAP_ROUTINE)(PKTRAP_FRAME TrapFrame);
extern PKDEBUG_TRAP_ROUTINE KiDebugTrapRoutine;

/* kernel/ke/stack.asm: runs Routine(Context) on the stack whose base is StackBase and returns its value. */
ULONG KiCallOnStack(PVOID StackBase, ULONG (*Routine)(PVOID Context), PVOID Context);

#endif
