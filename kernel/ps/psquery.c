/*
 * kernel/ps/psquery.c — what a program may ask about a process or a thread
 * (NT's ps\psquery.c): NtQueryInformationProcess and
 * NtQueryInformationThread, the basic class of each.
 *
 * NT answers dozens of classes here; mm386 answers the one every program
 * starts with and the memory counters (ProcessVmCounters: below).
 * ProcessBasicInformation is the process's exit status
 * (STATUS_PENDING while it lives: Win32's STILL_ACTIVE), its PEB, affinity,
 * base priority, id and its creator's id. ThreadBasicInformation is the
 * thread's exit status (STATUS_PENDING until it has terminated), TEB, client
 * id, affinity, priority and base priority — the latter relative to its
 * process's, as NT's KeQueryBasePriorityThread returns it.
 *
 * NT's order: a UserMode caller's buffer is probed for reading only (the
 * answer is written once, under a handler), the class and the exact length
 * are checked, the handle is referenced with PROCESS_QUERY_INFORMATION or
 * THREAD_QUERY_INFORMATION, and a fault writing the answer is the status —
 * these services, unlike the executive's object services, report it. mm386
 * runs on one processor: every affinity mask is that processor's bit
 * (KPCR.SetMember).
 */
#include <ex.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/ps/psp.h"

/* Probes a UserMode caller's answer buffer and return length, as NT's query services do. */
static NTSTATUS PspProbeQueryBuffers(PVOID Information, ULONG Length, PULONG ReturnLength)
{
    NTSTATUS Status;
    EX_TRY {
        ProbeForRead(Information, Length, sizeof(ULONG));
        if (ReturnLength)
            ProbeForWriteUlong(ReturnLength);
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

/* Writes the answer and its length under a handler, for either mode: the fault's status, or STATUS_SUCCESS. */
static NTSTATUS PspStoreQueryAnswer(PVOID Information, const void *Answer, ULONG Length, PULONG ReturnLength)
{
    NTSTATUS Status;
    EX_TRY {
        memcpy(Information, Answer, Length);
        if (ReturnLength)
            *ReturnLength = Length;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

/*
 * ProcessVmCounters: VM_COUNTERS or, by its length, VM_COUNTERS_EX — the
 * process's sizes in bytes from the counters the memory manager keeps in
 * EPROCESS (virtual size, working set, commit charge as the page-file
 * usage, as NT reports commit there) and its page faults. mm386 charges no
 * pool quota to processes, so the four quota fields are 0.
 */
static NTSTATUS PspQueryVmCounters(HANDLE ProcessHandle, KPROCESSOR_MODE PreviousMode, PVOID Information,
                                   ULONG Length, PULONG ReturnLength)
{
    PEPROCESS Process;

    if (Length != sizeof(VM_COUNTERS) && Length != sizeof(VM_COUNTERS_EX))
        return STATUS_INFO_LENGTH_MISMATCH;
    NTSTATUS Status = ObReferenceObjectByHandle(ProcessHandle, PROCESS_QUERY_INFORMATION, PsProcessType,
                                                PreviousMode, (PVOID *)&Process, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    VM_COUNTERS_EX Counters = {
        .Counters = {
            .PeakVirtualSize = Process->PeakVirtualSize,
            .VirtualSize = Process->VirtualSize,
            .PageFaultCount = Process->Vm.PageFaultCount,
            .PeakWorkingSetSize = (SIZE_T)Process->Vm.PeakWorkingSetSize << PAGE_SHIFT,
            .WorkingSetSize = (SIZE_T)Process->Vm.WorkingSetSize << PAGE_SHIFT,
            .PagefileUsage = Process->CommitCharge << PAGE_SHIFT,
            .PeakPagefileUsage = Process->PeakCommitCharge << PAGE_SHIFT,
        },
        .PrivateUsage = Process->CommitCharge << PAGE_SHIFT,
    };
    ObDereferenceObject(Process);
    return PspStoreQueryAnswer(Information, &Counters, Length, ReturnLength);
}

NTSTATUS NtQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass,
                                   PVOID ProcessInformation, ULONG ProcessInformationLength, PULONG ReturnLength)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    PEPROCESS Process;
    NTSTATUS Status;

    if (PreviousMode != KernelMode) {
        Status = PspProbeQueryBuffers(ProcessInformation, ProcessInformationLength, ReturnLength);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    if (ProcessInformationClass == ProcessVmCounters)
        return PspQueryVmCounters(ProcessHandle, PreviousMode, ProcessInformation, ProcessInformationLength,
                                  ReturnLength);
    if (ProcessInformationClass != ProcessBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (ProcessInformationLength != sizeof(PROCESS_BASIC_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    Status = ObReferenceObjectByHandle(ProcessHandle, PROCESS_QUERY_INFORMATION, PsProcessType, PreviousMode,
                                       (PVOID *)&Process, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    PROCESS_BASIC_INFORMATION Basic = {
        .ExitStatus = Process->ExitStatus,
        .PebBaseAddress = Process->Peb,
        .AffinityMask = KeGetPcr()->SetMember,
        .BasePriority = Process->Pcb.BasePriority,
        .UniqueProcessId = Process->UniqueProcessId,
        .InheritedFromUniqueProcessId = Process->InheritedFromUniqueProcessId,
    };
    ObDereferenceObject(Process);
    return PspStoreQueryAnswer(ProcessInformation, &Basic, sizeof(Basic), ReturnLength);
}

NTSTATUS NtQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass,
                                  PVOID ThreadInformation, ULONG ThreadInformationLength, PULONG ReturnLength)
{
    KPROCESSOR_MODE PreviousMode = ExGetPreviousMode();
    PETHREAD Thread;
    NTSTATUS Status;

    if (PreviousMode != KernelMode) {
        Status = PspProbeQueryBuffers(ThreadInformation, ThreadInformationLength, ReturnLength);
        if (!NT_SUCCESS(Status))
            return Status;
    }
    if (ThreadInformationClass != ThreadBasicInformation)
        return STATUS_INVALID_INFO_CLASS;
    if (ThreadInformationLength != sizeof(THREAD_BASIC_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    Status = ObReferenceObjectByHandle(ThreadHandle, THREAD_QUERY_INFORMATION, PsThreadType, PreviousMode,
                                       (PVOID *)&Thread, NULL);
    if (!NT_SUCCESS(Status))
        return Status;
    THREAD_BASIC_INFORMATION Basic = {
        .ExitStatus = Thread->Tcb.Header.SignalState ? Thread->ExitStatus : STATUS_PENDING,
        .TebBaseAddress = Thread->Tcb.Teb,
        .ClientId = Thread->Cid,
        .AffinityMask = KeGetPcr()->SetMember,
        .Priority = Thread->Tcb.Priority,
        .BasePriority = Thread->Tcb.BasePriority - Thread->Tcb.Process->BasePriority,
    };
    ObDereferenceObject(Thread);
    return PspStoreQueryAnswer(ThreadInformation, &Basic, sizeof(Basic), ReturnLength);
}

NTSTATUS ZwQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass,
                                   PVOID ProcessInformation, ULONG ProcessInformationLength, PULONG ReturnLength)
{
    return EX_CALL_AS_KERNEL_MODE(NtQueryInformationProcess(ProcessHandle, ProcessInformationClass,
                                                            ProcessInformation, ProcessInformationLength,
                                                            ReturnLength));
}

NTSTATUS ZwQueryInformationThread(HANDLE ThreadHandle, THREADINFOCLASS ThreadInformationClass,
                                  PVOID ThreadInformation, ULONG ThreadInformationLength, PULONG ReturnLength)
{
    return EX_CALL_AS_KERNEL_MODE(NtQueryInformationThread(ThreadHandle, ThreadInformationClass, ThreadInformation,
                                                           ThreadInformationLength, ReturnLength));
}
