/*
 * kernel/ps/pskd.c — kd>'s processes: !process, `start` and `kill`.
 *
 * WinDbg's !process: `!process 0 0` lists every process, here one line
 * each (PROCESS address, Cid, Peb, ParentCid, DirBase, ObjectTable and its
 * handle count, image name); `!process ADDR` shows one process in WinDbg's
 * long shape — the same identity, then its VAD tree (root and count), its
 * counters (working set, virtual size, page faults, commit), its exit
 * status — and then each thread with its state and, for a waiting one, the
 * objects it waits on (kernel/kd/kdthread.c prints those lines for
 * !thread too). `!process` alone is the current process: the one
 * `.process` chose, else the prompt's own (kernel/kd/kdprocess.c). A
 * process typed by address or by id is looked for on PsActiveProcessHead
 * (KdReferenceProcess), never followed blindly.
 *
 * `start` runs a program from the boot modules as PsCreateUserProcess
 * does for any caller, `kill` ends one as NtTerminateProcess does.
 */
#include <kd.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/kd/kdp.h"
#include "kernel/ps/psp.h"

#define KD_KILL_WAIT_SECONDS 5         /* kill waits this long for the process to end */

/* !process 0 0's line: a process's identity, its address space and handles, its image. */
static void KdpPrintProcessLine(PEPROCESS Process)
{
    DbgPrint("PROCESS %08x  Cid: %04x  Peb: %08x  ParentCid: %04x  DirBase: %08x  ObjectTable: %08x  "
             "HandleCount: %u.  Image: %s%s\n", (ULONG)Process, Process->UniqueProcessId, (ULONG)Process->Peb,
             Process->InheritedFromUniqueProcessId, Process->Pcb.DirectoryTableBase, (ULONG)Process->ObjectTable,
             ObGetProcessHandleCount(Process), Process->ImageFileName[0] ? Process->ImageFileName : "-",
             Process->ExitTime.QuadPart ? "  (exited)" : "");
}

/* !process ADDR: WinDbg's long shape, with the fields EPROCESS has, then the threads. */
static void KdpPrintProcessDetail(PEPROCESS Process)
{
    const char *Status = RtlNtStatusName(Process->ExitStatus);

    DbgPrint("PROCESS %08x  Cid: %04x  Peb: %08x  ParentCid: %04x\n", (ULONG)Process, Process->UniqueProcessId,
             (ULONG)Process->Peb, Process->InheritedFromUniqueProcessId);
    DbgPrint("    DirBase: %08x  ObjectTable: %08x  HandleCount: %u.\n", Process->Pcb.DirectoryTableBase,
             (ULONG)Process->ObjectTable, ObGetProcessHandleCount(Process));
    DbgPrint("    Image: %s\n", Process->ImageFileName[0] ? Process->ImageFileName : "-");
    DbgPrint("    VadRoot %08x Vads %u Private %u. Locked %u.\n", (ULONG)&Process->VadRoot,
             Process->VadRoot.NumberGenericTableElements, Process->NumberOfPrivatePages, Process->NumberOfLockedPages);
    DbgPrint("    %-34s%08x (%s)%s\n", "ExitStatus", (ULONG)Process->ExitStatus, Status ? Status : "?",
             Process->ExitTime.QuadPart ? ": it has exited" : Process->ProcessExiting ? ": it is exiting" : "");
    DbgPrint("    %-34s%u (%u KB)\n", "Working Set Size (now)", Process->Vm.WorkingSetSize,
             Process->Vm.WorkingSetSize * (PAGE_SIZE / 1024));
    DbgPrint("    %-34s%u\n", "PeakWorkingSetSize", Process->Vm.PeakWorkingSetSize);
    DbgPrint("    %-34s%u KB\n", "VirtualSize", Process->VirtualSize / 1024);
    DbgPrint("    %-34s%u KB\n", "PeakVirtualSize", Process->PeakVirtualSize / 1024);
    DbgPrint("    %-34s%u\n", "PageFaultCount", Process->Vm.PageFaultCount);
    DbgPrint("    %-34s%d\n", "BasePriority", Process->Pcb.BasePriority);
    DbgPrint("    %-34s%u\n", "CommitCharge", Process->CommitCharge);
    DbgPrint("    %-34s%u\n", "PeakCommitCharge", Process->PeakCommitCharge);
    DbgPrint("    %-34s%s\n", "LargeAddressAware", Process->LargeAddressAware ? "Yes" : "No");
    DbgPrint("    %-34s%u\n", "Threads", Process->ActiveThreads);
    PETHREAD Threads[PSP_KD_MAX_THREADS];
    ULONG Count = PspKdSnapshotThreads(Process, Threads, PSP_KD_MAX_THREADS);
    for (ULONG i = 0; i < Count; i++) {
        DbgPrint("\n");
        KdpPrintThreadState(Threads[i], "        ");
    }
    if (Count == PSP_KD_MAX_THREADS && Process->ActiveThreads > Count)
        DbgPrint("\n        ... (the first %u threads)\n", Count);
    PspKdReleaseThreads(Threads, Count);
}

ULONG PspKdSnapshotThreads(PEPROCESS Process, PETHREAD *Threads, ULONG Max)
{
    bool Running = !KdIsStopped();
    KIRQL OldIrql = PASSIVE_LEVEL;
    ULONG Count = 0;

    if (Running)
        OldIrql = KiAcquireDispatcherLock();
    for (PLIST_ENTRY Entry = Process->ThreadListHead.Flink; Entry != &Process->ThreadListHead && Count < Max;
         Entry = Entry->Flink) {
        PETHREAD Thread = CONTAINING_RECORD(Entry, ETHREAD, ThreadListEntry);
        if (!Running || ObReferenceObjectSafe(Thread))
            Threads[Count++] = Thread;
    }
    if (Running)
        KiReleaseDispatcherLock(OldIrql);
    return Count;
}

void PspKdReleaseThreads(PETHREAD *Threads, ULONG Count)
{
    if (KdIsStopped())
        return;
    for (ULONG i = 0; i < Count; i++)
        ObDereferenceObject(Threads[i]);
}

KD_COMMAND(process, "!process", "[PROCESS|0 [FLAGS]]",
           "0 0: every process, one line each; PROCESS (address or id): it and its threads (FLAGS 0: its line); "
           "alone: the current process")
{
    ULONG Address = 0, Flags = 1;
    KIRQL OldIrql = PASSIVE_LEVEL;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 2) || (Argc >= 2 && !KdParseAddress(Argv[1], "PROCESS", &Address)) ||
        (Argc == 3 && !KdParseNumber(Argv[2], "FLAGS", &Flags)))
        return;
    if (Argc == 1) {
        KdpPrintProcessDetail(PsGetCurrentProcess());
        return;
    }
    if (Address != 0) {
        PEPROCESS Process = KdReferenceProcess(Address);
        if (!Process) {
            DbgPrint("!process: %08x is neither a process nor a process id (`!process 0 0` lists them)\n", Address);
            return;
        }
        if (Flags == 0)
            KdpPrintProcessLine(Process);
        else
            KdpPrintProcessDetail(Process);
        KdDereferenceProcess(Process);
        return;
    }
    if (Argc == 2)
        Flags = 0;
    /* Stopped, the list is read as it is: the stopped code may hold its lock. */
    if (!KdIsStopped())
        KeAcquireSpinLock(&PspActiveProcessLock, &OldIrql);
    DbgPrint("**** NT ACTIVE PROCESS DUMP ****\n");
    for (PLIST_ENTRY Entry = PsActiveProcessHead.Flink; Entry != &PsActiveProcessHead; Entry = Entry->Flink) {
        PEPROCESS Process = CONTAINING_RECORD(Entry, EPROCESS, ActiveProcessLinks);
        if (Flags == 0) {
            KdpPrintProcessLine(Process);
        } else {
            KdpPrintProcessDetail(Process);
            DbgPrint("\n");
        }
    }
    if (!KdIsStopped())
        KeReleaseSpinLock(&PspActiveProcessLock, OldIrql);
}

void PsStartAndReportBootProgram(const char *CommandLine)
{
    HANDLE Process, Thread;
    PEPROCESS Object;

    NTSTATUS Status = PsStartBootProgram(CommandLine, &Process, &Thread);
    if (!NT_SUCCESS(Status)) {
        const char *Name = RtlNtStatusName(Status);
        DbgPrint("start: %s: %s (0x%08x)\n", CommandLine, Name ? Name : "error", (ULONG)Status);
        return;
    }
    if (NT_SUCCESS(ObReferenceObjectByHandle(Process, 0, PsProcessType, KernelMode, (PVOID *)&Object, NULL))) {
        DbgPrint("start: %s is process %x (PROCESS %08x)\n", CommandLine, (ULONG)Object->UniqueProcessId,
                 (ULONG)Object);
        ObDereferenceObject(Object);
    }
    NtClose(Thread);
    NtClose(Process);
}

KD_COMMAND_FLAGS(start, "start", "NAME [ARG1 .. ARG6]",
                 "starts the program \\Boot\\NAME (a boot module) with up to 6 arguments; its output comes as it runs",
                 KD_RUNNING_ONLY)
{
    char Line[PS_BOOT_COMMAND_LINE];

    if (!KdCheckArgumentCount(Argc, Argv, 1, 7))
        return;
    size_t Used = 0;
    Line[0] = 0;
    for (int i = 1; i < Argc; i++)
        Used += snprintf(Line + Used, sizeof(Line) - MIN(Used, sizeof(Line)), "%s%s", i > 1 ? " " : "", Argv[i]);
    PsStartAndReportBootProgram(Line);
}

KD_COMMAND(kill, "kill", "PROCESS [STATUS]",
           "ends a process (its address or id) with STATUS (default 1), as NtTerminateProcess does, and waits for its end")
{
    ULONG Address, ExitStatus = 1;
    HANDLE Handle;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 2) || !KdParseAddress(Argv[1], "PROCESS", &Address) ||
        (Argc == 3 && !KdParseNumber(Argv[2], "STATUS", &ExitStatus)))
        return;
    PEPROCESS Process = KdReferenceProcess(Address);
    if (!Process) {
        DbgPrint("kill: %08x is neither a process nor a process id (`!process 0 0` lists them)\n", Address);
        return;
    }
    NTSTATUS Status = ObOpenObjectByPointer(Process, OBJ_KERNEL_HANDLE, NULL, PROCESS_TERMINATE, PsProcessType,
                                            KernelMode, &Handle);
    if (NT_SUCCESS(Status)) {
        Status = NtTerminateProcess(Handle, (NTSTATUS)ExitStatus);
        NtClose(Handle);
    }
    const char *Name = RtlNtStatusName(Status);
    DbgPrint("kill: process %x (%s): %s (0x%08x)\n", (ULONG)Process->UniqueProcessId, Process->ImageFileName,
             Name ? Name : "?", (ULONG)Status);
    if (NT_SUCCESS(Status)) {
        /* Its threads end as each takes its termination APC: wait for the process object, so the prompt's next command sees it ended. */
        LARGE_INTEGER Timeout = { .QuadPart = -(LONGLONG)KD_KILL_WAIT_SECONDS * 10000000 };
        if (KeWaitForSingleObject(Process, Executive, KernelMode, FALSE, &Timeout) == STATUS_TIMEOUT)
            DbgPrint("kill: process %x has not ended after %u s; its threads end as they take their termination APCs\n",
                     (ULONG)Process->UniqueProcessId, KD_KILL_WAIT_SECONDS);
        else
            DbgPrint("kill: process %x has ended with status 0x%08x\n", (ULONG)Process->UniqueProcessId,
                     (ULONG)Process->ExitStatus);
    }
    KdDereferenceProcess(Process);
}
