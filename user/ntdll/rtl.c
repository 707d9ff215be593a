/*
 * user/ntdll/rtl.c — the runtime routines a program needs beyond the
 * kernel's RTL (kernel/rtl/rtl.c and format.c, compiled into every program
 * too, as NT compiles its RTL into both ntoskrnl and ntdll): counted
 * strings, and RtlCreateUserThread.
 *
 * RtlCreateUserThread does in user mode what NT's does: reserve the new
 * thread's stack in the process (StackReserve, 1 MB by default), commit its
 * top (StackCommit, a page by default) with a guard page below, describe it
 * in an INITIAL_TEB, and ask the kernel for a thread (NtCreateThread) whose
 * context starts in RtlpUserThreadStart (context.asm) with the routine in
 * EAX and its parameter in EBX. The kernel frees the stack when the thread
 * ends (it is the TEB's DeallocationStack).
 */
#include <ntdll.h>

void RtlpUserThreadStart(void);

void RtlInitUnicodeString(PUNICODE_STRING Destination, PCWSTR Source)
{
    ULONG Length = 0;
    if (Source) {
        while (Source[Length])
            Length++;
    }
    Destination->Buffer = (PWSTR)Source;
    Destination->Length = (USHORT)(Length * sizeof(WCHAR));
    Destination->MaximumLength = (USHORT)(Source ? Destination->Length + sizeof(WCHAR) : 0);
}

void RtlInitUnicodeStringFromAscii(PUNICODE_STRING Destination, PWSTR Buffer, ULONG Capacity, const char *Source)
{
    ULONG Length = 0;
    while (Source[Length] && Length + 1 < Capacity) {
        Buffer[Length] = (UCHAR)Source[Length];
        Length++;
    }
    Buffer[Length] = 0;
    Destination->Buffer = Buffer;
    Destination->Length = (USHORT)(Length * sizeof(WCHAR));
    Destination->MaximumLength = (USHORT)((Length + 1) * sizeof(WCHAR));
}

NTSTATUS RtlCreateUserThread(HANDLE Process, PVOID SecurityDescriptor, BOOLEAN CreateSuspended, ULONG StackZeroBits,
                             SIZE_T StackReserve, SIZE_T StackCommit, PUSER_THREAD_START_ROUTINE StartAddress,
                             PVOID Parameter, PHANDLE Thread, PCLIENT_ID ClientId)
{
    SIZE_T Reserve = ROUND_UP(StackReserve ? StackReserve : 0x100000, MM_ALLOCATION_GRANULARITY);
    SIZE_T Commit = ROUND_UP(StackCommit ? StackCommit : PAGE_SIZE, PAGE_SIZE);
    PVOID Base = NULL;
    INITIAL_TEB Stack;
    CONTEXT Context;
    ULONG Old;

    if (Commit + PAGE_SIZE > Reserve)
        Commit = Reserve - PAGE_SIZE;
    NTSTATUS Status = NtAllocateVirtualMemory(Process, &Base, StackZeroBits, &Reserve, MEM_RESERVE, PAGE_READWRITE);
    if (!NT_SUCCESS(Status))
        return Status;
    ULONG Top = (ULONG)Base + Reserve, Guard = Top - Commit - PAGE_SIZE;
    PVOID CommitBase = (PVOID)Guard, GuardBase = (PVOID)Guard;
    SIZE_T CommitSize = Commit + PAGE_SIZE, GuardSize = PAGE_SIZE;
    Status = NtAllocateVirtualMemory(Process, &CommitBase, 0, &CommitSize, MEM_COMMIT, PAGE_READWRITE);
    if (NT_SUCCESS(Status))
        Status = NtProtectVirtualMemory(Process, &GuardBase, &GuardSize, PAGE_READWRITE | PAGE_GUARD, &Old);
    if (NT_SUCCESS(Status)) {
        memset(&Stack, 0, sizeof(Stack));
        Stack.StackBase = (PVOID)Top;
        Stack.StackLimit = (PVOID)(Top - Commit);
        Stack.AllocatedStackBase = Base;
        memset(&Context, 0, sizeof(Context));
        Context.ContextFlags = CONTEXT_FULL;
        Context.Eip = (ULONG)RtlpUserThreadStart;
        Context.Esp = Top - sizeof(ULONG);
        Context.Eax = (ULONG)StartAddress;
        Context.Ebx = (ULONG)Parameter;
        Context.EFlags = EFLAGS_IF | EFLAGS_RESERVED1;
        Context.SegCs = KGDT_R3_CODE | 3;
        Context.SegSs = Context.SegDs = Context.SegEs = KGDT_R3_DATA | 3;
        Context.SegFs = KGDT_R3_TEB | 3;
        Status = NtCreateThread(Thread, THREAD_ALL_ACCESS, NULL, Process, ClientId, &Context, &Stack,
                                CreateSuspended);
    }
    if (!NT_SUCCESS(Status)) {
        SIZE_T Zero = 0;
        NtFreeVirtualMemory(Process, &Base, &Zero, MEM_RELEASE);
    }
    return Status;
}
