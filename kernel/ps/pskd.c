/*
 * kernel/ps/pskd.c — kd>'s !process: the processes and their threads.
 *
 * WinDbg's shape: `!process 0 0` lists every process in two lines (PROCESS
 * address, Cid, DirBase, ObjectTable and handle count, image name);
 * `!process ADDR` shows one process and then each of its threads in one
 * line (THREAD address, Cid, state, priority). The list is PsActiveProcessHead,
 * read under its lock.
 */
#include <kd.h>
#include <ps.h>
#include <rtl.h>

static const char *const KdpThreadStateNames[] = {
    "INITIALIZED", "READY", "RUNNING", "STANDBY", "TERMINATED", "WAIT", "TRANSITION", "DEFERREDREADY",
};

static void KdpPrintProcess(PEPROCESS Process)
{
    DbgPrint("PROCESS %08x  Cid: %04x  DirBase: %08x  ObjectTable: %08x  HandleCount: %u.\n", (ULONG)Process,
             Process->UniqueProcessId, Process->Pcb.DirectoryTableBase, (ULONG)Process->ObjectTable,
             ObGetProcessHandleCount(Process));
    DbgPrint("    Image: %s  Threads: %u  BasePriority %d\n", Process->ImageFileName[0] ? Process->ImageFileName : "-",
             Process->ActiveThreads, Process->Pcb.BasePriority);
}

static void KdpPrintThreads(PEPROCESS Process)
{
    for (PLIST_ENTRY Entry = Process->ThreadListHead.Flink; Entry != &Process->ThreadListHead; Entry = Entry->Flink) {
        PETHREAD Thread = CONTAINING_RECORD(Entry, ETHREAD, ThreadListEntry);
        ULONG State = Thread->Tcb.State;
        DbgPrint("        THREAD %08x  Cid %04x.%04x  %-11s priority %d\n", (ULONG)Thread,
                 (ULONG)Thread->Cid.UniqueProcess, (ULONG)Thread->Cid.UniqueThread,
                 State < ARRAY_SIZE(KdpThreadStateNames) ? KdpThreadStateNames[State] : "?", Thread->Tcb.Priority);
    }
}

KD_COMMAND(process, "!process", "[0|PROCESS]",
           "every process (0, or no argument), or one process and its threads")
{
    ULONG Address = 0;
    KIRQL OldIrql;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseAddress(Argv[1], "PROCESS", &Address)))
        return;
    bool Found = Address == 0;
    KeAcquireSpinLock(&PspActiveProcessLock, &OldIrql);
    for (PLIST_ENTRY Entry = PsActiveProcessHead.Flink; Entry != &PsActiveProcessHead; Entry = Entry->Flink) {
        PEPROCESS Process = CONTAINING_RECORD(Entry, EPROCESS, ActiveProcessLinks);
        if (Address != 0 && (ULONG)Process != Address)
            continue;
        Found = true;
        KdpPrintProcess(Process);
        if (Address != 0)
            KdpPrintThreads(Process);
    }
    KeReleaseSpinLock(&PspActiveProcessLock, OldIrql);
    if (!Found)
        DbgPrint("!process: %08x is not a process (`!process 0` lists them)\n", Address);
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

/* The process at Address, referenced, if it is one on PsActiveProcessHead; NULL (said) if not. */
static PEPROCESS KdpReferenceProcess(ULONG Address)
{
    PEPROCESS Found = NULL;
    KIRQL OldIrql;
    KeAcquireSpinLock(&PspActiveProcessLock, &OldIrql);
    for (PLIST_ENTRY Entry = PsActiveProcessHead.Flink; Entry != &PsActiveProcessHead; Entry = Entry->Flink) {
        PEPROCESS Process = CONTAINING_RECORD(Entry, EPROCESS, ActiveProcessLinks);
        if ((ULONG)Process == Address || Process->UniqueProcessId == Address) {
            ObReferenceObject(Process);
            Found = Process;
            break;
        }
    }
    KeReleaseSpinLock(&PspActiveProcessLock, OldIrql);
    if (!Found)
        DbgPrint("%08x is neither a process nor a process id (`!process 0 0` lists them)\n", Address);
    return Found;
}

KD_COMMAND(kill, "kill", "PROCESS [STATUS]",
           "ends a process (its address or id) with STATUS (default 1), as NtTerminateProcess does")
{
    ULONG Address, ExitStatus = 1;
    HANDLE Handle;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 2) || !KdParseAddress(Argv[1], "PROCESS", &Address) ||
        (Argc == 3 && !KdParseNumber(Argv[2], "STATUS", &ExitStatus)))
        return;
    PEPROCESS Process = KdpReferenceProcess(Address);
    if (!Process)
        return;
    NTSTATUS Status = ObOpenObjectByPointer(Process, OBJ_KERNEL_HANDLE, NULL, PROCESS_TERMINATE, PsProcessType,
                                            KernelMode, &Handle);
    if (NT_SUCCESS(Status)) {
        Status = NtTerminateProcess(Handle, (NTSTATUS)ExitStatus);
        NtClose(Handle);
    }
    const char *Name = RtlNtStatusName(Status);
    DbgPrint("kill: process %x (%s): %s (0x%08x)\n", (ULONG)Process->UniqueProcessId, Process->ImageFileName,
             Name ? Name : "?", (ULONG)Status);
    ObDereferenceObject(Process);
}
