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

/* kernel/ke/stack.asm: runs Routine(Context) on the stack whose base is StackBase and returns its value. */
ULONG KiCallOnStack(PVOID StackBase, ULONG (*Routine)(PVOID Context), PVOID Context);

#endif
