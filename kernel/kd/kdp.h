/*
 * kernel/kd/kdp.h — what the kd> prompt's files share (NT's Kdp prefix:
 * the kernel debugger's private routines and state).
 */
#ifndef MM386_KDP_H
#define MM386_KDP_H

#include <kd.h>

/* The command KdExecute is running, for the argument helpers' messages (kernel/kd/args.c). */
extern const KD_COMMAND *KdpCurrentCommand;

/* The backtrace of a thread: from here for the running one, else from the frame KiSwapContext saved (kdthread.c). */
struct _ETHREAD;
void KdBacktraceThread(struct _ETHREAD *Thread);

#endif
