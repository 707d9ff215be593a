/*
 * kernel/kd/kdthread.c — kd>'s views of threads and the scheduler: !thread,
 * !ready, and the thread a `k THREAD` walks.
 *
 * WinDbg's shapes: !thread prints a thread's identity (THREAD address, Cid
 * process.thread), its state — with, for a waiting thread, the wait reason
 * and mode and each object it waits on, by address and kind — its process,
 * times and switch count, its start address, its kernel stack bounds and
 * priorities, and its backtrace. !ready lists the ready queues from the
 * highest priority down, and the processor's standby (next) thread.
 *
 * A thread that is not running has its registers saved on its own kernel
 * stack by KiSwapContext (kernel/ke/ctxswap.asm): ExceptionList, EFLAGS,
 * EDI, ESI, EBX, EBP, then the return address into the dispatcher — where
 * its backtrace starts. Nothing here changes a thread or takes the
 * dispatcher lock: the views are of a moment, read as they are.
 */
#include <hal.h>
#include <kd.h>
#include <mm.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/kd/kdp.h"

static const char *const KdThreadStateNames[] = {
    "INITIALIZED", "READY", "RUNNING", "STANDBY", "TERMINATED", "WAIT", "TRANSITION", "DEFERREDREADY",
};

static const char *const KdWaitReasonNames[MaximumWaitReason] = {
    "Executive", "FreePage", "PageIn", "PoolAllocation", "DelayExecution", "Suspended", "UserRequest",
    "WrExecutive", "WrFreePage", "WrPageIn", "WrPoolAllocation", "WrDelayExecution", "WrSuspended",
    "WrUserRequest", "WrEventPair", "WrQueue", "WrLpcReceive", "WrLpcReply", "WrVirtualMemory", "WrPageOut",
    "WrRendezvous", "WrKeyedEvent", "WrTerminated", "WrProcessInSwap", "WrCpuRateControl", "WrCalloutStack",
    "WrKernel", "WrResource", "WrPushLock", "WrMutex", "WrQuantumEnd", "WrDispatchInt", "WrPreempted",
    "WrYieldExecution",
};

static const char *const KdObjectKindNames[MaximumKernelObject] = {
    "NotificationEvent", "SynchronizationEvent", "Mutant", "ProcessObject", "QueueObject", "Semaphore",
    "ThreadObject", "GateObject", "NotificationTimer", "SynchronizationTimer",
};

/* The saved frame of a thread that is not running (ctxswap.asm's order). */
typedef struct _KD_SWAP_FRAME {
    ULONG ExceptionList, EFlags, Edi, Esi, Ebx, Ebp, ReturnAddress;
} KD_SWAP_FRAME;

/* Whether Address holds a readable KTHREAD whose header says thread; says why not when it does not. */
static bool KdIsThread(ULONG Address)
{
    if (Address % 4 || !MmIsAddressValid((PVOID)Address) ||
        !MmIsAddressValid((PVOID)(Address + sizeof(ETHREAD) - 1))) {
        DbgPrint("%08x is not a thread: its memory is not mapped (or not aligned)\n", Address);
        return false;
    }
    if (((PKTHREAD)Address)->Header.Type != ThreadObject) {
        DbgPrint("%08x is not a thread: its dispatcher header says type %u, not ThreadObject (%u)\n", Address,
                 ((PKTHREAD)Address)->Header.Type, ThreadObject);
        return false;
    }
    return true;
}

/* Reads a THREAD argument: a thread's address, or the running thread with none. */
static bool KdThreadArgument(int Argc, char **Argv, PETHREAD *Thread)
{
    ULONG Address = (ULONG)PsGetCurrentThread();
    if (Argc > 1 && !KdParseAddress(Argv[1], "THREAD", &Address))
        return false;
    if (!KdIsThread(Address))
        return false;
    *Thread = (PETHREAD)Address;
    return true;
}

static void KdPrintTicks(const char *Name, ULONG Ticks)
{
    ULONG Milliseconds = Ticks * (1000 / HAL_CLOCK_HZ);
    DbgPrint("%-26s%02u:%02u:%02u.%03u\n", Name, Milliseconds / 3600000, Milliseconds / 60000 % 60,
             Milliseconds / 1000 % 60, Milliseconds % 1000);
}

static const char *KdObjectKind(const DISPATCHER_HEADER *Header)
{
    if (!MmIsAddressValid((PVOID)Header))
        return "(not mapped)";
    return Header->Type < MaximumKernelObject ? KdObjectKindNames[Header->Type] : "(not a dispatcher object)";
}

void KdpPrintThreadState(PETHREAD Thread, const char *Indent)
{
    PKTHREAD Tcb = &Thread->Tcb;
    const char *State = Tcb->State < ARRAY_SIZE(KdThreadStateNames) ? KdThreadStateNames[Tcb->State] : "?";

    DbgPrint("%sTHREAD %08x  Cid %04x.%04x  Teb: %08x ", Indent, (ULONG)Thread, (ULONG)Thread->Cid.UniqueProcess,
             (ULONG)Thread->Cid.UniqueThread, (ULONG)Tcb->Teb);
    if (Tcb->State != Waiting) {
        DbgPrint("%s%s\n", State, Tcb == KeGetCurrentThread() ? " on processor 0" : "");
        return;
    }
    DbgPrint("WAIT: (%s) %s %s\n", Tcb->WaitReason < MaximumWaitReason ? KdWaitReasonNames[Tcb->WaitReason] : "?",
             Tcb->WaitMode == KernelMode ? "KernelMode" : "UserMode", Tcb->Alertable ? "Alertable" : "Non-Alertable");
    PKWAIT_BLOCK WaitBlock = Tcb->WaitBlockList;
    for (ULONG i = 0; WaitBlock && i <= MAXIMUM_WAIT_OBJECTS; i++) {
        DbgPrint("%s    %08x  %s%s\n", Indent, (ULONG)WaitBlock->Object, KdObjectKind(WaitBlock->Object),
                 WaitBlock->WaitKey == (USHORT)STATUS_TIMEOUT ? " (the wait's timeout)" : "");
        WaitBlock = WaitBlock->NextWaitBlock;
        if (WaitBlock == Tcb->WaitBlockList)
            break;
    }
}

void KdBacktraceThread(PETHREAD Thread)
{
    PKTHREAD Tcb = &Thread->Tcb;
    if (Tcb == KeGetCurrentThread() && KdIsStopped()) {
        KdpDumpStoppedBacktrace();      /* the stopped code's backtrace, not the debugger's */
        return;
    }
    if (Tcb == KeGetCurrentThread()) {
        KeDumpBacktrace((ULONG)&&Here, (ULONG)__builtin_frame_address(0), 24);
Here:
        return;
    }
    if (Tcb->State == Terminated) {
        DbgPrint("    (terminated: its stack is no longer its own)\n");
        return;
    }
    const KD_SWAP_FRAME *Frame = Tcb->KernelStack;
    if (!MmIsAddressValid((PVOID)Frame)) {
        DbgPrint("    (its saved stack pointer %08x is not mapped)\n", (ULONG)Frame);
        return;
    }
    KeDumpCallerBacktrace(Frame->ReturnAddress, Frame->Ebp, 24);
}

static void KdPrintThread(PETHREAD Thread)
{
    PKTHREAD Tcb = &Thread->Tcb;
    PEPROCESS Process = CONTAINING_RECORD(Tcb->Process, EPROCESS, Pcb);
    ULONG Offset = 0;

    KdpPrintThreadState(Thread, "");
    DbgPrint("%-26s%08x       Image:         %s\n", "Owning Process", (ULONG)Process, Process->ImageFileName);
    if (Tcb->ApcStateIndex != OriginalApcEnvironment) {
        PEPROCESS Attached = CONTAINING_RECORD(Tcb->ApcState.Process, EPROCESS, Pcb);
        DbgPrint("%-26s%08x       Image:         %s\n", "Attached Process", (ULONG)Attached,
                 Attached->ImageFileName);
    } else {
        DbgPrint("%-26sN/A\n", "Attached Process");
    }
    ULONG Ticks = KeGetTickCount() - Tcb->WaitTime;
    DbgPrint("%-26s%-15u%s%u\n", "Wait Start TickCount", Tcb->WaitTime, "Ticks: ", Ticks);
    DbgPrint("%-26s%u\n", "Context Switch Count", Tcb->ContextSwitches);
    KdPrintTicks("UserTime", Tcb->UserTime);
    KdPrintTicks("KernelTime", Tcb->KernelTime);
    const char *Start = KiSymbolize((ULONG)Thread->StartAddress, &Offset);
    if (Thread->StartAddress)
        DbgPrint("%-26s%s+0x%x (%08x)\n", "Start Address", Start ? Start : "?", Offset, (ULONG)Thread->StartAddress);
    else
        DbgPrint("%-26s(the boot flow: the idle thread)\n", "Start Address");
    DbgPrint("Stack Init %08x Current %08x Base %08x Limit %08x\n", (ULONG)Tcb->InitialStack,
             Tcb == KeGetCurrentThread() ? (ULONG)__builtin_frame_address(0) : (ULONG)Tcb->KernelStack,
             (ULONG)Tcb->InitialStack, (ULONG)Tcb->StackLimit);
    DbgPrint("Priority %d BasePriority %d PriorityDecrement %d Quantum %d\n", Tcb->Priority, Tcb->BasePriority,
             Tcb->PriorityDecrement, Tcb->Quantum);
    KdBacktraceThread(Thread);
}

KD_COMMAND(thread, "!thread", "[THREAD]",
           "a thread (the current one without an address): state, wait, process, times, stack, backtrace")
{
    PETHREAD Thread;
    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || !KdThreadArgument(Argc, Argv, &Thread))
        return;
    KdPrintThread(Thread);
}

static void KdPrintReadyThread(PKTHREAD Tcb, const char *State)
{
    PETHREAD Thread = CONTAINING_RECORD(Tcb, ETHREAD, Tcb);
    DbgPrint("        THREAD %08x  Cid %04x.%04x  Teb: %08x  %s  priority %d (base %d)\n", (ULONG)Thread,
             (ULONG)Thread->Cid.UniqueProcess, (ULONG)Thread->Cid.UniqueThread, (ULONG)Tcb->Teb, State,
             Tcb->Priority, Tcb->BasePriority);
}

KD_COMMAND(ready, "!ready", "", "the ready queues from the highest priority down, and the standby thread")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    PKPRCB Prcb = KeGetCurrentPrcb();
    DbgPrint("Processor 0: ReadySummary %08x\n", Prcb->ReadySummary);
    if (Prcb->NextThread) {
        DbgPrint("    Standby (the next to run):\n");
        KdPrintReadyThread(Prcb->NextThread, "STANDBY");
    }
    bool Any = Prcb->NextThread != NULL;
    for (int Priority = 31; Priority >= 0; Priority--) {
        PLIST_ENTRY Head = &Prcb->DispatcherReadyListHead[Priority];
        if (IsListEmpty(Head))
            continue;
        DbgPrint("    Ready Threads at priority %d\n", Priority);
        for (PLIST_ENTRY Entry = Head->Flink; Entry != Head; Entry = Entry->Flink)
            KdPrintReadyThread(CONTAINING_RECORD(Entry, KTHREAD, WaitListEntry), "READY");
        Any = true;
    }
    if (!Any)
        DbgPrint("    No threads in READY state (the idle thread runs when this one waits)\n");
}
