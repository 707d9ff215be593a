/*
 * mm/kdvad.c — the user range seen from the kd> prompt: !vad, the user
 * regions !address lists, the per-process commit !vm lists, and `vm`, a
 * teaching aid that calls the virtual-memory services.
 *
 * WinDbg's !vad walks a process's VAD tree in address order and prints each
 * node with its depth, its first and last page number, its commit charge,
 * whether it is private or mapped, and the protection it was reserved
 * with (a view: what backs it, and here its control area, for !ca); with
 * the flag 1 it describes one VAD in detail. mm386's prints the same shape. A node is only ever reached through a tree it was found in
 * (the current process's, a process on MmProcessList, the system
 * process's): an address typed at the prompt is never followed blindly.
 *
 * !address (mm/kdexts.c) calls MiKdPrintUserRegions after its layout
 * table: the current process's user range region by region, as
 * NtQueryVirtualMemory reports it, in WinDbg's columns; `!address -summary`
 * totals them by type, state and protection. !vm calls MiKdPrintProcessCommit.
 *
 * The prompt runs in the system process (until there are other threads to
 * stop in), so `vm alloc` reserves and commits in its user range, where
 * !vad, !address and !pte then show the result. The gdb extension
 * (tools/gdb/mm386gdb/vad.py) prints the same views from outside.
 */
#include <kd.h>
#include "section.h"

typedef struct _MI_KD_NAMED_VALUE {
    ULONG Value;
    const char *Name;
} MI_KD_NAMED_VALUE;

/* NT's names of the access part of a protection, as !vad prints them. Read by the gdb extension. */
const char *const MiVadAccessNames[8] = {
    "NO_ACCESS", "READONLY", "EXECUTE", "EXECUTE_READ",
    "READWRITE", "WRITECOPY", "EXECUTE_READWRITE", "EXECUTE_WRITECOPY",
};
/* The modifier part (0x08 nocache, 0x10 guard, 0x18 write-combine), printed after the access. */
const char *const MiVadModifierNames[4] = { "", " NOCACHE", " GUARD", " WRITECOMBINE" };

/* "READWRITE", "READONLY WRITECOMBINE", "NO_ACCESS": a VAD's protection. */
static void KdFormatVadProtection(char *Out, size_t Size, ULONG Protection)
{
    ULONG Modifier = (Protection >> 3) & 3;
    if ((Protection & 7) == 0)
        Modifier = 0;
    snprintf(Out, Size, "%s%s", MiVadAccessNames[Protection & 7], MiVadModifierNames[Modifier]);
}

/* The processes with a user range, in MmProcessList's order (the system process first: it is listed at boot). */
static PEPROCESS KdNextProcess(PEPROCESS Process)
{
    PLIST_ENTRY Next = Process ? Process->MmProcessLinks.Flink : MmProcessList.Flink;
    return Next == &MmProcessList ? NULL : CONTAINING_RECORD(Next, EPROCESS, MmProcessLinks);
}

/* The node at Address in some process's tree, and that process; NULL if there is none. */
static PMMVAD KdFindVad(ULONG Address, PEPROCESS *Owner)
{
    for (PEPROCESS Process = KdNextProcess(NULL); Process; Process = KdNextProcess(Process)) {
        for (PMMVAD Vad = MiGetFirstVad(Process); Vad; Vad = MiGetNextVad(Vad)) {
            if ((ULONG)Vad == Address) {
                *Owner = Process;
                return Vad;
            }
        }
    }
    return NULL;
}

typedef struct _KD_VAD_TOTALS {
    ULONG Count, LevelSum, MaxDepth;
} KD_VAD_TOTALS;

static void KdPrintVadSubtree(PMMVAD Vad, ULONG Level, KD_VAD_TOTALS *Totals)
{
    char Protection[40];

    if (!Vad)
        return;
    KdPrintVadSubtree(Vad->LeftChild, Level + 1, Totals);
    KdFormatVadProtection(Protection, sizeof(Protection), Vad->u.VadFlags.Protection);
    DbgPrint("%08x (%2u)%11x%9x%10u %-7s %-4s %s", (ULONG)Vad, Level, Vad->StartingVpn, Vad->EndingVpn,
             Vad->CommitCharge, Vad->u.VadFlags.PrivateMemory ? "Private" : "Mapped",
             Vad->u.VadFlags.VadType == VadDevicePhysicalMemory ? "Phys" :
             Vad->u.VadFlags.VadType == VadImageMap ? "Exe" : "", Protection);
    if (MiIsViewVad(Vad)) {
        /* WinDbg names a view's backing: the file, or the paging file; and the control area !ca shows. */
        PCONTROL_AREA ControlArea = Vad->ControlArea;
        if (ControlArea->FilePointer)
            DbgPrint(" \\Boot\\%s", ControlArea->FilePointer->FileName);
        else
            DbgPrint(" Pagefile section");
        DbgPrint(", ca %08x", (ULONG)ControlArea);
    }
    DbgPrint("\n");
    Totals->Count++;
    Totals->LevelSum += Level + 1;
    Totals->MaxDepth = MAX(Totals->MaxDepth, Level);
    KdPrintVadSubtree(Vad->RightChild, Level + 1, Totals);
}

static void KdPrintVadTree(PMMVAD Root)
{
    KD_VAD_TOTALS Totals = { 0 };
    DbgPrint("VAD     level      start      end    commit\n");
    KdPrintVadSubtree(Root, 0, &Totals);
    DbgPrint("\nTotal VADs: %5u  average level: %4u  maximum depth: %u\n", Totals.Count,
             Totals.Count ? Totals.LevelSum / Totals.Count : 0, Totals.MaxDepth);
}

static void KdPrintVadDetail(PMMVAD Vad)
{
    char Protection[40];
    KdFormatVadProtection(Protection, sizeof(Protection), Vad->u.VadFlags.Protection);
    DbgPrint("VAD @ %08x\n", (ULONG)Vad);
    DbgPrint("  Start VPN: %13x  End VPN: %8x  Control Area:  %08x\n", Vad->StartingVpn, Vad->EndingVpn,
             Vad->u.VadFlags.LongVad ? (ULONG)Vad->ControlArea : 0);
    DbgPrint("  First ProtoPte: %08x  Last PTE %08x  Commit Charge %9u (%u.)\n",
             Vad->u.VadFlags.LongVad ? (ULONG)Vad->FirstPrototypePte : 0,
             Vad->u.VadFlags.LongVad ? (ULONG)Vad->LastContiguousPte : 0, Vad->CommitCharge, Vad->CommitCharge);
    DbgPrint("  %s%s%s%s%s\n", Vad->u.VadFlags.PrivateMemory ? "PrivateMemory " : "",
             Vad->u.VadFlags.MemCommit ? "MemCommit " : "", Vad->u.VadFlags.NoChange ? "NoChange " : "",
             Vad->u.VadFlags.VadType == VadDevicePhysicalMemory ? "PhysicalMapping " : "", Protection);
}

KD_COMMAND(vad, "!vad", "[ROOT|VAD [1]]",
           "the current process's VAD tree, or the tree at ROOT, the subtree at VAD; 1: one VAD (or ADDR's) in detail")
{
    PEPROCESS Process = MiGetCurrentProcess(), Owner = NULL;
    ULONG Address = 0, Flags = 0;

    if (Argc > 3 || (Argc >= 2 && !KdParseHex(Argv[1], &Address)) || (Argc == 3 && !KdParseHex(Argv[2], &Flags))) {
        DbgPrint("usage: !vad [ROOT|VAD [1]] | !vad ADDR 1\n");
        return;
    }
    if (!Process) {
        DbgPrint("the current address space belongs to no process\n");
        return;
    }
    if (Argc == 1) {
        KdPrintVadTree((PMMVAD)MiTreeRoot(&Process->VadRoot));
        return;
    }
    for (PEPROCESS p = KdNextProcess(NULL); p; p = KdNextProcess(p)) {
        if (Address == (ULONG)&p->VadRoot && !(Flags & 1)) {
            KdPrintVadTree((PMMVAD)MiTreeRoot(&p->VadRoot));
            return;
        }
    }
    PMMVAD Vad = KdFindVad(Address, &Owner);
    if (!Vad && (Flags & 1) && Address < (ULONG)MmSystemRangeStart) {
        /* WinDbg's "!vad Address 1": the VAD that holds a user address of the current process. */
        for (Vad = MiGetFirstVad(Process); Vad; Vad = MiGetNextVad(Vad)) {
            if (MI_VA_TO_VPN(Address) >= Vad->StartingVpn && MI_VA_TO_VPN(Address) <= Vad->EndingVpn)
                break;
        }
        if (!Vad) {
            DbgPrint("no VAD of the current process holds %08x\n", Address);
            return;
        }
    }
    if (!Vad) {
        DbgPrint("%08x is neither a process's VadRoot nor one of its VADs\n", Address);
        return;
    }
    if (Flags & 1)
        KdPrintVadDetail(Vad);
    else
        KdPrintVadTree(Vad);
}

/*
 * !pte of a user address whose PTE is zero (or whose page table is
 * missing): the PTE says nothing, so the VAD decides, and !pte says what
 * it decides. The walk leaves the tree's hint alone: looking changes nothing.
 */
void MiKdDescribeZeroUserPte(ULONG Va)
{
    PEPROCESS Process = MiGetCurrentProcess();
    PMMVAD Vad;
    char Protection[40];

    if (!Process)
        return;
    for (Vad = (PMMVAD)MiTreeRoot(&Process->VadRoot); Vad;) {
        if (MI_VA_TO_VPN(Va) < Vad->StartingVpn)
            Vad = Vad->LeftChild;
        else if (MI_VA_TO_VPN(Va) > Vad->EndingVpn)
            Vad = Vad->RightChild;
        else
            break;
    }
    if (!Vad) {
        DbgPrint("no VAD holds this address: it is free\n");
    } else if (MiIsViewVad(Vad)) {
        /* A view's zero PTE: the fault will find the prototype PTE through this VAD (NT's way). */
        ULONG Index = MI_VA_TO_VPN(Va) - Vad->StartingVpn;
        KdFormatVadProtection(Protection, sizeof(Protection), MiViewPageProtection(Vad, Index));
        DbgPrint("VAD %08x: a view of control area %08x; prototype PTE at %08X holds %08X; %s\n", (ULONG)Vad,
                 (ULONG)Vad->ControlArea, (ULONG)(Vad->FirstPrototypePte + Index),
                 MiReadPte(Vad->FirstPrototypePte + Index).u.Long, Protection);
    } else if (Vad->u.VadFlags.MemCommit) {
        KdFormatVadProtection(Protection, sizeof(Protection), Vad->u.VadFlags.Protection);
        DbgPrint("VAD %08x committed it whole (MemCommit): demand zero, %s\n", (ULONG)Vad, Protection);
    } else {
        DbgPrint("VAD %08x reserved it: not committed\n", (ULONG)Vad);
    }
}

/* ------------------------------------------------------------ !address */

/* The PAGE_* flags by name, in the order !address prints them. Read by the gdb extension. */
const MI_KD_NAMED_VALUE MiKdWin32ProtectionNames[11] = {
    { PAGE_NOACCESS, "PAGE_NOACCESS" }, { PAGE_READONLY, "PAGE_READONLY" },
    { PAGE_READWRITE, "PAGE_READWRITE" }, { PAGE_WRITECOPY, "PAGE_WRITECOPY" },
    { PAGE_EXECUTE, "PAGE_EXECUTE" }, { PAGE_EXECUTE_READ, "PAGE_EXECUTE_READ" },
    { PAGE_EXECUTE_READWRITE, "PAGE_EXECUTE_READWRITE" }, { PAGE_EXECUTE_WRITECOPY, "PAGE_EXECUTE_WRITECOPY" },
    { PAGE_GUARD, "PAGE_GUARD" }, { PAGE_NOCACHE, "PAGE_NOCACHE" }, { PAGE_WRITECOMBINE, "PAGE_WRITECOMBINE" },
};

/*
 * The values of the API's #defines the gdb extension needs to redo these
 * views (it has the symbols and types, not the #defines). Never written.
 */
typedef struct _MI_KD_VAD_DATA {
    ULONG AllocationGranularity, HighestUserAddress2Gb, VadDevicePhysicalMemory;
    ULONG MemCommit, MemReserve, MemFree, MemPrivate, MemMapped, MemImage, PageNoAccess, PageReadOnly;
} MI_KD_VAD_DATA;

__attribute__((used)) const MI_KD_VAD_DATA MiKdVadDataBlock = {
    .AllocationGranularity = MM_ALLOCATION_GRANULARITY, .HighestUserAddress2Gb = MM_HIGHEST_USER_ADDRESS_2GB,
    .VadDevicePhysicalMemory = VadDevicePhysicalMemory, .MemCommit = MEM_COMMIT, .MemReserve = MEM_RESERVE,
    .MemFree = MEM_FREE, .MemPrivate = MEM_PRIVATE, .MemMapped = MEM_MAPPED, .MemImage = MEM_IMAGE,
    .PageNoAccess = PAGE_NOACCESS, .PageReadOnly = PAGE_READONLY,
};

/* "PAGE_READWRITE", "PAGE_READONLY | PAGE_GUARD": a PAGE_* value as WinDbg spells it. */
static void KdFormatWin32Protection(char *Out, size_t Size, ULONG Protect)
{
    size_t n = 0;
    Out[0] = '\0';
    for (ULONG i = 0; i < ARRAY_SIZE(MiKdWin32ProtectionNames); i++) {
        if (Protect & MiKdWin32ProtectionNames[i].Value)
            n += (size_t)snprintf(Out + n, Size - n, "%s%s", n ? " | " : "", MiKdWin32ProtectionNames[i].Name);
    }
}

static const char *KdStateName(ULONG State)
{
    return State == MEM_COMMIT ? "MEM_COMMIT" : State == MEM_RESERVE ? "MEM_RESERVE" : "MEM_FREE";
}

static const char *KdTypeName(ULONG Type)
{
    return Type == MEM_PRIVATE ? "MEM_PRIVATE" : Type == MEM_MAPPED ? "MEM_MAPPED" : Type == MEM_IMAGE ? "MEM_IMAGE" : "";
}

/*
 * Calls Visit for each region of the current process's user range, from 0
 * to MmHighestUserAddress (that process's highest, if it is not large
 * address aware), as NtQueryVirtualMemory reports them.
 */
static void KdForEachUserRegion(void (*Visit)(const MEMORY_BASIC_INFORMATION *Info, void *Context), void *Context)
{
    MEMORY_BASIC_INFORMATION Info;
    for (ULONG Va = 0;;) {
        if (!NT_SUCCESS(ZwQueryVirtualMemory(NtCurrentProcess(), (PVOID)Va, MemoryBasicInformation, &Info,
                                             sizeof(Info), NULL)) ||
            Info.RegionSize == 0)
            return;
        Visit(&Info, Context);
        if (Va + Info.RegionSize < Va)
            return;
        Va += Info.RegionSize;
    }
}

static void KdPrintRegion(const MEMORY_BASIC_INFORMATION *Info, void *Context)
{
    char Protect[64];
    ULONG Base = (ULONG)Info->BaseAddress;
    bool Free = Info->State == MEM_FREE;
    KdFormatWin32Protection(Protect, sizeof(Protect), Info->Protect);
    DbgPrint("%c %8x %8x %8x %-11s %-11s %-27s %s\n", !Free && Base == (ULONG)Info->AllocationBase ? '*' : ' ', Base,
             Base + Info->RegionSize, Info->RegionSize, KdTypeName(Info->Type), KdStateName(Info->State),
             Protect, Free ? "Free" : Info->AllocationBase == (PVOID)(MiHighestVadAddress(MiGetCurrentProcess()) + 1)
                                          ? "the top 64 KB (KUSER_SHARED_DATA's)" : "VAD");
}

void MiKdPrintUserRegions(void)
{
    PEPROCESS Process = MiGetCurrentProcess();
    if (!Process)
        return;
    DbgPrint("User range of the current process, %x %s (* starts a reservation):\n", Process->UniqueProcessId,
             Process->ImageFileName);
    DbgPrint("  BaseAddr EndAddr+1  RgnSize Type        State       Protect                     Usage\n");
    KdForEachUserRegion(KdPrintRegion, NULL);
}

/* !address -summary: bytes by type, state and (committed) protection. */
#define KD_SUMMARY_ROWS 12
typedef struct _KD_SUMMARY {
    struct {
        const char *Name;
        ULONGLONG Bytes;
        ULONG Regions;
    } Type[4], State[3], Protect[KD_SUMMARY_ROWS];
    char ProtectNames[KD_SUMMARY_ROWS][64];
    ULONG Protects;
    ULONGLONG Total;
} KD_SUMMARY;

static void KdCountRegion(const MEMORY_BASIC_INFORMATION *Info, void *Context)
{
    KD_SUMMARY *s = Context;
    ULONG Type = Info->Type == MEM_PRIVATE ? 1 : Info->Type == MEM_MAPPED ? 2 : Info->Type == MEM_IMAGE ? 3 : 0;
    ULONG State = Info->State == MEM_COMMIT ? 0 : Info->State == MEM_RESERVE ? 1 : 2;
    s->Type[Type].Bytes += Info->RegionSize;
    s->Type[Type].Regions++;
    s->State[State].Bytes += Info->RegionSize;
    s->State[State].Regions++;
    s->Total += Info->RegionSize;
    if (Info->State != MEM_COMMIT)
        return;
    char Name[64];
    KdFormatWin32Protection(Name, sizeof(Name), Info->Protect);
    ULONG i;
    for (i = 0; i < s->Protects && strcmp(s->ProtectNames[i], Name) != 0; i++)
        ;
    if (i == s->Protects) {
        if (s->Protects == KD_SUMMARY_ROWS)
            return;
        strlcpy(s->ProtectNames[i], Name, sizeof(s->ProtectNames[i]));
        s->Protect[i].Name = s->ProtectNames[i];
        s->Protects++;
    }
    s->Protect[i].Bytes += Info->RegionSize;
    s->Protect[i].Regions++;
}

static void KdSummaryRow(const char *Name, ULONGLONG Bytes, ULONG Regions, ULONGLONG Total)
{
    ULONG Hundredths = Total ? (ULONG)(Bytes * 10000 / Total) : 0;
    DbgPrint("  %-28s %6u %10llx (%9llu KB) %3u.%02u%%\n", Name, Regions, Bytes, Bytes / 1024, Hundredths / 100,
             Hundredths % 100);
}

void MiKdPrintAddressSummary(void)
{
    static KD_SUMMARY s;
    memset(&s, 0, sizeof(s));
    s.Type[0].Name = "<free>";
    s.Type[1].Name = "MEM_PRIVATE";
    s.Type[2].Name = "MEM_MAPPED";
    s.Type[3].Name = "MEM_IMAGE";
    s.State[0].Name = "MEM_COMMIT";
    s.State[1].Name = "MEM_RESERVE";
    s.State[2].Name = "MEM_FREE";
    KdForEachUserRegion(KdCountRegion, &s);
    DbgPrint("--- Type Summary ----------------- RgnCount ----------- TotSize -------- %%ofTotal\n");
    for (ULONG i = 0; i < ARRAY_SIZE(s.Type); i++) {
        if (s.Type[i].Regions)
            KdSummaryRow(s.Type[i].Name, s.Type[i].Bytes, s.Type[i].Regions, s.Total);
    }
    DbgPrint("--- State Summary ---------------- RgnCount ----------- TotSize -------- %%ofTotal\n");
    for (ULONG i = 0; i < ARRAY_SIZE(s.State); i++) {
        if (s.State[i].Regions)
            KdSummaryRow(s.State[i].Name, s.State[i].Bytes, s.State[i].Regions, s.Total);
    }
    DbgPrint("--- Protect Summary (for commit) - RgnCount ----------- TotSize -------- %%ofTotal\n");
    for (ULONG i = 0; i < s.Protects; i++)
        KdSummaryRow(s.Protect[i].Name, s.Protect[i].Bytes, s.Protect[i].Regions, s.Total);
}

/* ------------------------------------------------------------------- !vm */

void MiKdPrintProcessCommit(void)
{
    for (PEPROCESS Process = KdNextProcess(NULL); Process; Process = KdNextProcess(Process))
        DbgPrint("%13.04x %-22s%8u   (%9u Kb)\n", Process->UniqueProcessId, Process->ImageFileName,
                 Process->CommitCharge, Process->CommitCharge * (PAGE_SIZE / 1024));
}

/* ---------------------------------------------------------- vm (teaching aid) */

/* The length of the word at Text, up to a '+' or the end. */
static size_t KdWordLength(const char *Text)
{
    size_t n = 0;
    while (Text[n] && Text[n] != '+')
        n++;
    return n;
}

/* PAGE_* from "readwrite", "readonly+guard", "execute_read+nocache" or hex; false if neither. */
static bool KdParseProtection(const char *Text, ULONG *Protect)
{
    static const struct {
        const char *Name;
        ULONG Value;
    } Names[] = {
        { "noaccess", PAGE_NOACCESS }, { "readonly", PAGE_READONLY }, { "readwrite", PAGE_READWRITE },
        { "writecopy", PAGE_WRITECOPY }, { "execute", PAGE_EXECUTE }, { "execute_read", PAGE_EXECUTE_READ },
        { "execute_readwrite", PAGE_EXECUTE_READWRITE }, { "execute_writecopy", PAGE_EXECUTE_WRITECOPY },
        { "guard", PAGE_GUARD }, { "nocache", PAGE_NOCACHE }, { "writecombine", PAGE_WRITECOMBINE },
    };
    char Word[24];
    *Protect = 0;
    if (KdParseHex(Text, Protect))
        return true;
    for (const char *p = Text; *p;) {
        size_t Length = KdWordLength(p);
        ULONG i;
        if (Length == 0 || Length >= sizeof(Word))
            return false;
        memcpy(Word, p, Length);
        Word[Length] = '\0';
        for (i = 0; i < ARRAY_SIZE(Names) && strcmp(Names[i].Name, Word) != 0; i++)
            ;
        if (i == ARRAY_SIZE(Names))
            return false;
        *Protect |= Names[i].Value;
        p += Length + (p[Length] == '+');
    }
    return true;
}

/* MEM_* from "reserve", "commit", "reserve+commit+topdown", "reset" or hex. */
static bool KdParseAllocationType(const char *Text, ULONG *Type)
{
    *Type = 0;
    if (KdParseHex(Text, Type))
        return true;
    for (const char *p = Text; *p;) {
        size_t Length = KdWordLength(p);
        if (Length == 7 && strncmp(p, "reserve", 7) == 0)
            *Type |= MEM_RESERVE;
        else if (Length == 6 && strncmp(p, "commit", 6) == 0)
            *Type |= MEM_COMMIT;
        else if (Length == 7 && strncmp(p, "topdown", 7) == 0)
            *Type |= MEM_TOP_DOWN;
        else if (Length == 5 && strncmp(p, "reset", 5) == 0)
            *Type |= MEM_RESET;
        else
            return false;
        p += Length + (p[Length] == '+');
    }
    return true;
}

/* Reads (and, for a write, writes back) the word at Va under a handler: the status, the value in *Value. */
static NTSTATUS KdTouchWord(ULONG Va, bool Write, ULONG *Value)
{
    NTSTATUS Status;
    EX_TRY {
        if (Write)
            *(volatile ULONG *)Va = *(volatile ULONG *)Va;
        *Value = *(volatile ULONG *)Va;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

static void KdVmTouch(ULONG Va, bool Write)
{
    ULONG Value = 0;
    NTSTATUS Status = KdTouchWord(Va, Write, &Value);
    if (NT_SUCCESS(Status))
        DbgPrint("%s %08x: %08x\n", Write ? "wrote" : "read", Va, Value);
    else
        DbgPrint("%s %08x: %s\n", Write ? "write to" : "read of", Va, RtlNtStatusName(Status));
}

KD_COMMAND_FLAGS(vmcmd, "vm", "alloc|free|protect|touch ...",
           "the Nt*VirtualMemory services on the current process (`vm` alone lists the forms)", KD_RUNNING_ONLY)
{
    ULONG Base = 0, Type = 0, Protect = 0;
    SIZE_T Size = 0;
    NTSTATUS Status;

    if (Argc == 6 && strcmp(Argv[1], "alloc") == 0 && KdParseHex(Argv[2], &Base) && KdParseHex(Argv[3], &Size) &&
        KdParseAllocationType(Argv[4], &Type) && KdParseProtection(Argv[5], &Protect)) {
        PVOID B = (PVOID)Base;
        Status = ZwAllocateVirtualMemory(NtCurrentProcess(), &B, 0, &Size, Type, Protect);
        DbgPrint("NtAllocateVirtualMemory: %s", RtlNtStatusName(Status));
        if (NT_SUCCESS(Status))
            DbgPrint(", base %08x size %x", (ULONG)B, Size);
        DbgPrint("\n");
    } else if (Argc == 5 && strcmp(Argv[1], "free") == 0 && KdParseHex(Argv[2], &Base) &&
               KdParseHex(Argv[3], &Size) && (strcmp(Argv[4], "release") == 0 || strcmp(Argv[4], "decommit") == 0)) {
        PVOID B = (PVOID)Base;
        Status = ZwFreeVirtualMemory(NtCurrentProcess(), &B, &Size, Argv[4][0] == 'r' ? MEM_RELEASE : MEM_DECOMMIT);
        DbgPrint("NtFreeVirtualMemory: %s", RtlNtStatusName(Status));
        if (NT_SUCCESS(Status))
            DbgPrint(", base %08x size %x", (ULONG)B, Size);
        DbgPrint("\n");
    } else if (Argc == 5 && strcmp(Argv[1], "protect") == 0 && KdParseHex(Argv[2], &Base) &&
               KdParseHex(Argv[3], &Size) && KdParseProtection(Argv[4], &Protect)) {
        PVOID B = (PVOID)Base;
        ULONG Old = 0;
        char OldName[64];
        Status = ZwProtectVirtualMemory(NtCurrentProcess(), &B, &Size, Protect, &Old);
        DbgPrint("NtProtectVirtualMemory: %s", RtlNtStatusName(Status));
        if (NT_SUCCESS(Status)) {
            KdFormatWin32Protection(OldName, sizeof(OldName), Old);
            DbgPrint(", base %08x size %x, was %s", (ULONG)B, Size, OldName);
        }
        DbgPrint("\n");
    } else if ((Argc == 3 || (Argc == 4 && strcmp(Argv[3], "write") == 0)) && strcmp(Argv[1], "touch") == 0 &&
               KdParseHex(Argv[2], &Base) && Base < (ULONG)MmSystemRangeStart) {
        KdVmTouch(Base, Argc == 4);
    } else {
        DbgPrint("usage: vm alloc BASE SIZE TYPE PROTECT | vm free BASE SIZE release|decommit |\n"
                 "       vm protect BASE SIZE PROTECT | vm touch VA [write]\n"
                 "  (hex numbers; TYPE reserve, commit, reserve+commit, +topdown, reset;\n"
                 "   PROTECT readwrite, readonly, noaccess, execute_read ... with +guard, +nocache, +writecombine)\n");
    }
}
