/*
 * kernel/ps/pebkd.c — kd>'s !peb and !teb: what a process and its threads
 * find about themselves in their own user range.
 *
 * The PEB and each TEB are user-mode pages (mm/pebteb.c writes them,
 * include/ntpeb.h lays them out as NT 5.2 does), so they exist only in
 * their process's address space: the commands read the current process's
 * — the one `.process` chose, else the prompt's own — and print WinDbg's
 * shapes with the fields mm386 fills. Every byte is read through the
 * debugger's own copy routine (KdpReadMemory: MmDbgCopyMemory, which
 * checks the PTE first), so a page that is not present — never touched,
 * or gone — is said, never faulted on: the prompt does not bring pages in.
 * The strings of the process parameters (image path, command line) are
 * UNICODE_STRINGs whose buffers are user addresses too, read the same way.
 */
#include <kd.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/kd/kdp.h"
#include "kernel/ps/psp.h"

#define KD_USER_STRING_CHARACTERS 120       /* !peb shows at most this much of a string */

/* Reads Length bytes of the current address space at Address; says so and returns false if a page is not present. */
static bool KdpReadUser(ULONG Address, PVOID Buffer, ULONG Length, const char *What)
{
    if (KdpReadMemory(Address, Buffer, Length))
        return true;
    DbgPrint("    %s at %08x cannot be read: the page is not present in process %08x (`!pte %x` shows why)\n", What,
             Address, (ULONG)PsGetCurrentProcess(), Address);
    return false;
}

/* 'text' of a UNICODE_STRING in user memory, as WinDbg quotes it (characters past Latin-1 as '?'). */
static void KdpPrintUserString(const char *Name, const UNICODE_STRING *String)
{
    char Text[KD_USER_STRING_CHARACTERS + 1];
    WCHAR Characters[KD_USER_STRING_CHARACTERS];
    ULONG Count = MIN(String->Length / sizeof(WCHAR), (ULONG)KD_USER_STRING_CHARACTERS);

    if (Count && !KdpReadMemory((ULONG)String->Buffer, Characters, Count * sizeof(WCHAR))) {
        DbgPrint("    %-14s(its buffer at %08x is not present)\n", Name, (ULONG)String->Buffer);
        return;
    }
    for (ULONG i = 0; i < Count; i++)
        Text[i] = Characters[i] >= 0x20 && Characters[i] < 0x100 ? (char)Characters[i] : '?';
    Text[Count] = '\0';
    DbgPrint("    %-14s'%s'%s\n", Name, Text, String->Length / sizeof(WCHAR) > Count ? "..." : "");
}

static const char *KdpYesNo(BOOLEAN Value)
{
    return Value ? "Yes" : "No";
}

KD_COMMAND(peb, "!peb", "[ADDR]",
           "the current process's PEB (or the PEB at ADDR): image base, process parameters, command line, NT version")
{
    PEPROCESS Process = PsGetCurrentProcess();
    ULONG Address = (ULONG)Process->Peb;
    PEB Peb;
    RTL_USER_PROCESS_PARAMETERS Parameters;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseAddress(Argv[1], "ADDR", &Address)))
        return;
    if (Address == 0) {
        DbgPrint("process %08x (Cid %04x, %s) has no PEB: it never runs in user mode (`.process` chooses another)\n",
                 (ULONG)Process, Process->UniqueProcessId, Process->ImageFileName);
        return;
    }
    if (Address >= (ULONG)MmSystemRangeStart) {
        DbgPrint("!peb: %08x is in system space; a PEB is a user address\n", Address);
        return;
    }
    DbgPrint("PEB at %08x (process %08x, %s)\n", Address, (ULONG)Process, Process->ImageFileName);
    if (!KdpReadUser(Address, &Peb, sizeof(Peb), "the PEB"))
        return;
    DbgPrint("    InheritedAddressSpace:    %s\n", KdpYesNo(Peb.InheritedAddressSpace));
    DbgPrint("    ReadImageFileExecOptions: %s\n", KdpYesNo(Peb.ReadImageFileExecOptions));
    DbgPrint("    BeingDebugged:            %s\n", KdpYesNo(Peb.BeingDebugged));
    DbgPrint("    ImageBaseAddress:         %08x\n", (ULONG)Peb.ImageBaseAddress);
    DbgPrint("    Ldr                       %08x\n", (ULONG)Peb.Ldr);
    DbgPrint("    SubSystemData:     %08x\n", (ULONG)Peb.SubSystemData);
    DbgPrint("    ProcessHeap:       %08x\n", (ULONG)Peb.ProcessHeap);
    DbgPrint("    ProcessParameters: %08x\n", (ULONG)Peb.ProcessParameters);
    DbgPrint("    NumberOfProcessors: %u  OS %u.%u build %u, platform %u  Subsystem %u (%u.%u)\n",
             Peb.NumberOfProcessors, Peb.OSMajorVersion, Peb.OSMinorVersion, Peb.OSBuildNumber, Peb.OSPlatformId,
             Peb.ImageSubsystem, Peb.ImageSubsystemMajorVersion, Peb.ImageSubsystemMinorVersion);
    if (!Peb.ProcessParameters ||
        !KdpReadUser((ULONG)Peb.ProcessParameters, &Parameters, sizeof(Parameters), "the process parameters"))
        return;
    if (!(Parameters.Flags & RTL_USER_PROC_PARAMS_NORMALIZED)) {
        DbgPrint("    (the process parameters are not normalized: their strings are offsets)\n");
        return;
    }
    KdpPrintUserString("ImageFile:", &Parameters.ImagePathName);
    KdpPrintUserString("CommandLine:", &Parameters.CommandLine);
    DbgPrint("    Environment:  %08x\n", (ULONG)Parameters.Environment);
}

/*
 * The TEB !teb shows by default, and its thread's ids: the current thread's
 * if it has one and is the current process's, else that process's first
 * thread with one. False if there is none.
 */
static bool KdpDefaultTeb(PEPROCESS Process, ULONG *Teb, ULONG *Thread, CLIENT_ID *Cid)
{
    PETHREAD Current = PsGetCurrentThread();
    if (Current->Tcb.Teb && PsGetCurrentThreadProcess() == Process) {
        *Teb = (ULONG)Current->Tcb.Teb;
        *Thread = (ULONG)Current;
        *Cid = Current->Cid;
        return true;
    }
    PETHREAD Threads[PSP_KD_MAX_THREADS];
    ULONG Count = PspKdSnapshotThreads(Process, Threads, PSP_KD_MAX_THREADS);
    bool Found = false;
    for (ULONG i = 0; i < Count && !Found; i++) {
        if (Threads[i]->Tcb.Teb) {
            *Teb = (ULONG)Threads[i]->Tcb.Teb;
            *Thread = (ULONG)Threads[i];
            *Cid = Threads[i]->Cid;
            Found = true;
        }
    }
    PspKdReleaseThreads(Threads, Count);
    return Found;
}

KD_COMMAND(teb, "!teb", "[ADDR]",
           "a TEB of the current process (the current thread's, else its first thread's; or the TEB at ADDR): "
           "stack, ids, PEB")
{
    PEPROCESS Process = PsGetCurrentProcess();
    ULONG Address = 0;
    TEB Teb;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseAddress(Argv[1], "ADDR", &Address)))
        return;
    if (Argc == 1) {
        ULONG Thread;
        CLIENT_ID Cid;
        if (!KdpDefaultTeb(Process, &Address, &Thread, &Cid)) {
            DbgPrint("process %08x (Cid %04x, %s) has no thread with a TEB: none runs in user mode "
                     "(`.process` chooses another)\n", (ULONG)Process, Process->UniqueProcessId,
                     Process->ImageFileName);
            return;
        }
        DbgPrint("TEB at %08x (thread %08x, Cid %04x.%04x)\n", Address, Thread, (ULONG)Cid.UniqueProcess,
                 (ULONG)Cid.UniqueThread);
    } else if (Address == 0 || Address >= (ULONG)MmSystemRangeStart) {
        DbgPrint("!teb: %08x is not a user address; a TEB is one\n", Address);
        return;
    } else {
        DbgPrint("TEB at %08x\n", Address);
    }
    if (!KdpReadUser(Address, &Teb, offsetof(TEB, Reserved1), "the TEB") ||
        !KdpReadUser(Address + offsetof(TEB, ExceptionCode), &Teb.ExceptionCode, sizeof(Teb.ExceptionCode),
                     "the TEB's ExceptionCode") ||
        !KdpReadUser(Address + offsetof(TEB, DeallocationStack), &Teb.DeallocationStack,
                     sizeof(Teb.DeallocationStack), "the TEB's DeallocationStack"))
        return;
    DbgPrint("    ExceptionList:        %08x\n", (ULONG)Teb.NtTib.ExceptionList);
    DbgPrint("    StackBase:            %08x\n", (ULONG)Teb.NtTib.StackBase);
    DbgPrint("    StackLimit:           %08x\n", (ULONG)Teb.NtTib.StackLimit);
    DbgPrint("    DeallocationStack:    %08x\n", (ULONG)Teb.DeallocationStack);
    DbgPrint("    SubSystemTib:         %08x\n", (ULONG)Teb.NtTib.SubSystemTib);
    DbgPrint("    FiberData:            %08x\n", (ULONG)Teb.NtTib.FiberData);
    DbgPrint("    ArbitraryUserPointer: %08x\n", (ULONG)Teb.NtTib.ArbitraryUserPointer);
    DbgPrint("    Self:                 %08x\n", (ULONG)Teb.NtTib.Self);
    DbgPrint("    EnvironmentPointer:   %08x\n", (ULONG)Teb.EnvironmentPointer);
    DbgPrint("    ClientId:             %08x . %08x\n", (ULONG)Teb.ClientId.UniqueProcess,
             (ULONG)Teb.ClientId.UniqueThread);
    DbgPrint("    RpcHandle:            %08x\n", (ULONG)Teb.ActiveRpcHandle);
    DbgPrint("    Tls Storage:          %08x\n", (ULONG)Teb.ThreadLocalStoragePointer);
    DbgPrint("    PEB Address:          %08x\n", (ULONG)Teb.ProcessEnvironmentBlock);
    DbgPrint("    LastErrorValue:       %u\n", Teb.LastErrorValue);
    DbgPrint("    ExceptionCode:        %08x\n", (ULONG)Teb.ExceptionCode);
}
