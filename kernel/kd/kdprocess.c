/*
 * kernel/kd/kdprocess.c — `.process`: the process whose user range the
 * prompt's views read.
 *
 * WinDbg's `.process ADDR` makes a process the debugger's implicit process:
 * from then on a user address typed at the prompt (!pte, !vad, !address,
 * db, dd, !vtop, !peb) means that process's, until `.process` is given
 * another (or 0, the default back). A user address means nothing without
 * one: every process has its own page tables below MmSystemRangeStart.
 *
 * mm386 runs its views inside the kernel, and they read the user range the
 * way the kernel does — through the self-map of the current page
 * directory, from the current process's VAD tree (PsGetCurrentProcess).
 * So the context is applied by making the process current around each
 * command, in the way that is safe where the prompt runs:
 *
 *   at the running prompt (the kd thread, PASSIVE_LEVEL), by attaching the
 *   kd thread to it for the command (KeStackAttachProcess, as `with`
 *   does for one command), holding a reference so it cannot go meanwhile;
 *
 *   at the stopped prompt (interrupts off, the kernel frozen wherever it
 *   was), attaching is not safe: it takes the dispatcher lock the stopped
 *   code may hold and rewrites the stopped thread's APC state. So the
 *   prompt loads the process's page directory into CR3 itself and points
 *   the stopped thread's ApcState.Process at it (what PsGetCurrentProcess
 *   reads), and puts both back when the command ends — also when it faults
 *   or bugchecks (KdpAbandonProcessContext). Loading the directory is safe
 *   with interrupts off once its system PDEs are up to date: the prompt's
 *   stack, code and data are all in the system range, the same page tables
 *   in every directory, and MmDbgPrepareAddressSpace copies in, through
 *   the debugger's own PTE, any system PDE the directory has not received
 *   yet (a missing one under the stack would turn the first push into a
 *   double fault). Nothing runs meanwhile that could see the borrowed CR3
 *   or thread field. Reading the page tables through physical memory
 *   instead would have meant a second way of translating in every command.
 *
 * Commands that act on the kernel (KD_RUNNING_ONLY: start, vm, section,
 * pool, ktest ...) run in the prompt's own process as before; `with
 * PROCESS COMMAND` is the way to act in another. The context is checked
 * before each command: a process that has exited since (or whose object
 * went) is said and dropped, and the prompt is back on the default.
 */
#include <hal.h>
#include <kd.h>
#include <ps.h>
#include <rtl.h>
#include "kdp.h"

/*
 * The implicit process `.process` chose, or NULL: the default (the prompt's
 * own, or the stopped thread's). Its id too: no reference is kept between
 * commands, so a new process at the same address must not pass for it.
 */
static PEPROCESS KdpContextProcess;
static ULONG_PTR KdpContextProcessId;

/*
 * How the context was entered around the command running now, one for
 * each prompt (indexed by KdIsStopped()): a breakpoint can stop the kernel
 * in the middle of a running-prompt command that is attached.
 */
static struct _KD_ENTERED_CONTEXT {
    bool Attached;                  /* running prompt: attached, Process referenced */
    bool Switched;                  /* stopped prompt: CR3 and ApcState.Process borrowed */
    PEPROCESS Process;
    KAPC_STATE ApcState;
    PKPROCESS SavedProcess;
    ULONG SavedCr3;
} KdpEnteredContexts[2];

static struct _KD_ENTERED_CONTEXT *KdpEntered(void)
{
    return &KdpEnteredContexts[KdIsStopped()];
}

PEPROCESS KdReferenceProcess(ULONG AddressOrId)
{
    PEPROCESS Found = NULL;
    KIRQL OldIrql = PASSIVE_LEVEL;
    bool Running = !KdIsStopped();

    /* Stopped, the list is read as it is: the stopped code may hold its lock, and nothing changes it meanwhile. */
    if (Running)
        KeAcquireSpinLock(&PspActiveProcessLock, &OldIrql);
    for (PLIST_ENTRY Entry = PsActiveProcessHead.Flink; Entry != &PsActiveProcessHead; Entry = Entry->Flink) {
        PEPROCESS Process = CONTAINING_RECORD(Entry, EPROCESS, ActiveProcessLinks);
        if ((ULONG)Process == AddressOrId || Process->UniqueProcessId == AddressOrId) {
            /* One whose last reference went is being deleted (still listed until its delete procedure runs). */
            if (Running && !ObReferenceObjectSafe(Process))
                break;
            Found = Process;
            break;
        }
    }
    if (Running)
        KeReleaseSpinLock(&PspActiveProcessLock, OldIrql);
    return Found;
}

void KdDereferenceProcess(PEPROCESS Process)
{
    if (!KdIsStopped())
        ObDereferenceObject(Process);
}

/* Why Process's user range cannot be read, or NULL if it can. */
static const char *KdpUnreadable(PEPROCESS Process)
{
    if (Process->ExitTime.QuadPart != 0)
        return "has exited: its user range was released with its last thread";
    if (Process->AddressSpace.PageDirectoryPfn == 0 || Process->AddressSpace.Process != Process)
        return "has no address space of its own (no page directory and user range)";
    return NULL;
}

/* The process the prompt's views read without a context: the prompt's own, or the stopped thread's. */
static PEPROCESS KdpDefaultProcess(void)
{
    if (KdpEntered()->Switched)
        return CONTAINING_RECORD(KdpEntered()->SavedProcess, EPROCESS, Pcb);
    if (KdpEntered()->Attached)
        return PsGetCurrentThreadProcess();
    return PsGetCurrentProcess();
}

bool KdpEnterProcessContext(void)
{
    PEPROCESS Process = KdpContextProcess;
    if (!Process)
        return false;
    PEPROCESS Found = KdReferenceProcess((ULONG)Process);
    if (Found != Process || Process->UniqueProcessId != KdpContextProcessId || KdpUnreadable(Process)) {
        /* Ended (its object may linger a moment, until the reaper has its threads): one message either way. */
        DbgPrint("[.process: process %08x has ended; the context is back to the default]\n", (ULONG)Process);
        KdpContextProcess = NULL;
        if (Found)
            KdDereferenceProcess(Found);
        return false;
    }
    KdpEntered()->Process = Process;
    if (!KdIsStopped()) {
        KeStackAttachProcess(&Process->Pcb, &KdpEntered()->ApcState);
        KdpEntered()->Attached = true;
        return true;
    }
    PKTHREAD Thread = KeGetCurrentThread();
    ULONG Cr3 = MmDbgPrepareAddressSpace(&Process->AddressSpace);
    if (!Thread || !Cr3) {
        DbgPrint("[.process: process %08x's page directory cannot be loaded here; the command reads the "
                 "default context]\n", (ULONG)Process);
        KdpEntered()->Process = NULL;
        return false;
    }
    KdpEntered()->SavedProcess = Thread->ApcState.Process;
    KdpEntered()->SavedCr3 = HalReadCr3();
    KdpEntered()->Switched = true;
    Thread->ApcState.Process = &Process->Pcb;
    HalWriteCr3(Cr3);
    return true;
}

void KdpLeaveProcessContext(void)
{
    if (KdpEntered()->Switched) {
        HalWriteCr3(KdpEntered()->SavedCr3);
        KeGetCurrentThread()->ApcState.Process = KdpEntered()->SavedProcess;
        KdpEntered()->Switched = false;
    }
    if (KdpEntered()->Attached) {
        KeUnstackDetachProcess(&KdpEntered()->ApcState);
        KdpEntered()->Attached = false;
        KdDereferenceProcess(KdpEntered()->Process);
    }
    KdpEntered()->Process = NULL;
}

static void KdpSayContext(PEPROCESS Process, bool Chosen)
{
    DbgPrint("Implicit process is now %08x (Cid %04x, %s)%s\n", (ULONG)Process, Process->UniqueProcessId,
             Process->ImageFileName[0] ? Process->ImageFileName : "-",
             Chosen ? "" : KdIsStopped() ? ": the default, the stopped thread's" : ": the default, the prompt's own");
}

KD_COMMAND(dotprocess, ".process", "[PROCESS|0]",
           "the process whose user range !pte, !vad, !address, db, dd, !vtop, !peb, !teb read (its address or id); "
           "0: back to the default; alone: which it is")
{
    ULONG Address;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseAddress(Argv[1], "PROCESS", &Address)))
        return;
    if (Argc == 1) {
        KdpSayContext(KdpContextProcess ? KdpContextProcess : KdpDefaultProcess(), KdpContextProcess != NULL);
        return;
    }
    if (Address == 0) {
        KdpContextProcess = NULL;
        KdpSayContext(KdpDefaultProcess(), false);
        return;
    }
    PEPROCESS Process = KdReferenceProcess(Address);
    if (!Process) {
        DbgPrint(".process: %08x is neither a process nor a process id (`!process 0 0` lists them)\n", Address);
        return;
    }
    const char *Why = KdpUnreadable(Process);
    if (Why)
        DbgPrint(".process: process %08x (Cid %04x, %s) %s; the context is unchanged\n", (ULONG)Process,
                 Process->UniqueProcessId, Process->ImageFileName, Why);
    else {
        KdpContextProcess = Process == KdpDefaultProcess() ? NULL : Process;
        KdpContextProcessId = Process->UniqueProcessId;
    }
    if (!Why)
        KdpSayContext(Process, KdpContextProcess != NULL);
    KdDereferenceProcess(Process);
}
