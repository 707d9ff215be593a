/*
 * mm/sectionkd.c — sections seen from the kd> prompt: !ca, !memusage, and
 * `section` and `with`, the teaching aids that make sections, map them
 * into processes and system space, and look at another process.
 *
 * WinDbg's !ca shows a control area: its counts, its flags, the file, the
 * segment and each subsection with its prototype PTEs; !memusage walks the
 * memory that sections hold, control area by control area, counting the
 * pages their prototype PTEs name: valid (mapped somewhere), standby and
 * modified (in transition: no PTE maps them, the data kept), and how many
 * of the valid ones more than one PTE maps. mm386's print the same shapes
 * from MiControlAreaList (NT finds control areas through the PFN database;
 * mm386 keeps them on a list). A control area typed at the prompt is only
 * followed if it is on the list.
 *
 * `section` calls the services on the prompt's own process (the system
 * process) or on another process made for the purpose: create a section
 * (over the paging file or a boot file), map it into a process or system
 * space, touch a word of a view, unmap. `with PROCESS COMMAND` runs one
 * command attached to another process, so !pte, !vad and `vm` show that
 * process's user range. docs/SECTIONS.md walks through them.
 */
#include <ex.h>
#include <kd.h>
#include <ps.h>
#include "section.h"

/* The control area at Address, if it is one: found on MiControlAreaList, never followed blindly. */
static PCONTROL_AREA KdFindControlArea(ULONG Address)
{
    for (PLIST_ENTRY Entry = MiControlAreaList.Flink; Entry != &MiControlAreaList; Entry = Entry->Flink) {
        PCONTROL_AREA ControlArea = CONTAINING_RECORD(Entry, CONTROL_AREA, ControlAreaLinks);
        if ((ULONG)ControlArea == Address)
            return ControlArea;
    }
    return NULL;
}

/* The process at Address, if it is one with a user range (on MmProcessList). */
static PEPROCESS KdFindProcess(ULONG Address)
{
    for (PLIST_ENTRY Entry = MmProcessList.Flink; Entry != &MmProcessList; Entry = Entry->Flink) {
        PEPROCESS Process = CONTAINING_RECORD(Entry, EPROCESS, MmProcessLinks);
        if ((ULONG)Process == Address)
            return Process;
    }
    return NULL;
}

PCONTROL_AREA MiKdControlAreaOfPrototypePte(PMMPTE ProtoPte, ULONG *Index)
{
    for (PLIST_ENTRY Entry = MiControlAreaList.Flink; Entry != &MiControlAreaList; Entry = Entry->Flink) {
        PCONTROL_AREA ControlArea = CONTAINING_RECORD(Entry, CONTROL_AREA, ControlAreaLinks);
        PSEGMENT Segment = ControlArea->Segment;
        if (ProtoPte >= Segment->PrototypePte && ProtoPte < Segment->PrototypePte + Segment->TotalNumberOfPtes) {
            *Index = (ULONG)(ProtoPte - Segment->PrototypePte);
            return ControlArea;
        }
    }
    return NULL;
}

typedef struct _KD_PAGE_COUNTS {
    ULONG Valid, Standby, Modified, Shared, Committed;
} KD_PAGE_COUNTS;

/* What a segment's prototype PTEs say of its pages, read without the PFN lock (a debugger's view). */
static void KdCountSegmentPages(PSEGMENT Segment, KD_PAGE_COUNTS *Counts)
{
    memset(Counts, 0, sizeof(*Counts));
    for (ULONG i = 0; i < Segment->TotalNumberOfPtes; i++) {
        MMPTE Proto = MiReadPte(&Segment->PrototypePte[i]);
        Counts->Committed += Proto.u.Long != 0;
        if (Proto.u.Hard.Valid) {
            Counts->Valid++;
            Counts->Shared += MI_PFN_ELEMENT(Proto.u.Hard.PageFrameNumber)->u2.ShareCount > 1;
        } else if (!Proto.u.Soft.Prototype && Proto.u.Soft.Transition) {
            if (MI_PFN_ELEMENT(Proto.u.Trans.PageFrameNumber)->u3.e2.e1.PageLocation == ModifiedPageList)
                Counts->Modified++;
            else
                Counts->Standby++;
        }
    }
}

/* "\Boot\NAME" for a file's control area ("... image" for an image's), "Pagefile-backed section" for the others. */
static void KdControlAreaName(PCONTROL_AREA ControlArea, char *Name, size_t Size)
{
    if (ControlArea->FilePointer)
        snprintf(Name, Size, "\\Boot\\%s%s", ControlArea->FilePointer->FileName,
                 ControlArea->u.Flags.Image ? " image" : "");
    else
        snprintf(Name, Size, "Pagefile-backed section");
}

/* One prototype PTE as !ca lists it: its address, its contents and what they mean. */
static void KdPrintPrototypePte(PMMPTE Proto)
{
    MMPTE Value = MiReadPte(Proto);
    DbgPrint("      %08x  %08x  ", (ULONG)Proto, Value.u.Long);
    if (Value.u.Hard.Valid) {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Value.u.Hard.PageFrameNumber);
        DbgPrint("valid: pfn %x, share count %u\n", Value.u.Hard.PageFrameNumber, Pfn1->u2.ShareCount);
    } else if (Value.u.Long == 0) {
        DbgPrint("not committed\n");
    } else if (Value.u.Soft.Prototype) {
        DbgPrint("in the file (subsection), protection %x\n", Value.u.Soft.Protection);
    } else if (Value.u.Soft.Transition) {
        DbgPrint("transition: pfn %x on the %s list\n", Value.u.Trans.PageFrameNumber,
                 MI_PFN_ELEMENT(Value.u.Trans.PageFrameNumber)->u3.e2.e1.PageLocation == ModifiedPageList
                     ? "modified" : "standby");
    } else {
        DbgPrint("demand zero, protection %x\n", Value.u.Soft.Protection);
    }
}

#define KD_CA_LISTED_PTES   16      /* !ca lists a segment's first prototype PTEs */

KD_COMMAND(ca, "!ca", "ADDR",
           "a control area: its counts, flags, file, segment and subsections (ADDR from !memusage or !vad)")
{
    ULONG Address;
    KD_PAGE_COUNTS Counts;
    char Name[48];

    if (!KdCheckArgumentCount(Argc, Argv, 1, 1) || !KdParseAddress(Argv[1], "ADDR", &Address))
        return;
    PCONTROL_AREA ControlArea = KdFindControlArea(Address);
    if (!ControlArea) {
        DbgPrint("!ca: %08x is not a control area (`!memusage` lists them)\n", Address);
        return;
    }
    PSEGMENT Segment = ControlArea->Segment;
    KdControlAreaName(ControlArea, Name, sizeof(Name));
    KdCountSegmentPages(Segment, &Counts);
    DbgPrint("ControlArea  @ %08x\n", (ULONG)ControlArea);
    DbgPrint("  Segment      %08x  Flink      %08x  Blink        %08x\n", (ULONG)Segment,
             (ULONG)ControlArea->ControlAreaLinks.Flink, (ULONG)ControlArea->ControlAreaLinks.Blink);
    DbgPrint("  Section Ref  %8u  Pfn Ref    %8u  Mapped Views %8u\n", ControlArea->NumberOfSectionReferences,
             Counts.Valid + Counts.Standby + Counts.Modified, ControlArea->NumberOfMappedViews);
    DbgPrint("  User Ref     %8u  Standby    %8u  Modified     %8u\n", ControlArea->NumberOfUserReferences,
             Counts.Standby, Counts.Modified);
    DbgPrint("  File Object  %08x  Flags      %08x %s%s%s%s%s\n", (ULONG)ControlArea->FilePointer,
             ControlArea->u.LongFlags, ControlArea->u.Flags.File ? "File " : "",
             ControlArea->u.Flags.Image ? "Image " : "", ControlArea->u.Flags.Commit ? "Commit " : "",
             ControlArea->u.Flags.Reserve ? "Reserve " : "", ControlArea->u.Flags.BeingDeleted ? "BeingDeleted " : "");
    DbgPrint("      %s\n\n", Name);
    DbgPrint("Segment @ %08x\n", (ULONG)Segment);
    DbgPrint("  ControlArea  %08x  Total Ptes %8x  Committed    %8x\n", (ULONG)Segment->ControlArea,
             Segment->TotalNumberOfPtes, Segment->NumberOfCommittedPages);
    DbgPrint("  Segment Size %8llx  PTE template %08x  ProtoPtes %08x\n", Segment->SizeOfSegment,
             Segment->SegmentPteTemplate.u.Long, (ULONG)Segment->PrototypePte);
    for (PSUBSECTION Subsection = MiFirstSubsection(ControlArea); Subsection; Subsection = Subsection->NextSubsection) {
        DbgPrint("\nSubsection @ %08x\n", (ULONG)Subsection);
        DbgPrint("  ControlArea  %08x  Starting Sector %8x  Number Of Sectors %x\n", (ULONG)Subsection->ControlArea,
                 Subsection->StartingSector, Subsection->NumberOfFullSectors);
        DbgPrint("  Base Pte     %08x  Ptes In Subsect %8x  Unused Ptes       %x\n", (ULONG)Subsection->SubsectionBase,
                 Subsection->PtesInSubsection, Subsection->UnusedPtes);
        DbgPrint("  Flags        %08x  Sector Offset   %8x  Protection        %x\n", Subsection->u.LongFlags,
                 Subsection->u.SubsectionFlags.SectorEndOffset, Subsection->u.SubsectionFlags.Protection);
    }
    DbgPrint("\n  Prototype PTEs (the first %u):\n", KD_CA_LISTED_PTES);
    for (ULONG i = 0; i < MIN(Segment->TotalNumberOfPtes, (ULONG)KD_CA_LISTED_PTES); i++)
        KdPrintPrototypePte(&Segment->PrototypePte[i]);
}

KD_COMMAND(memusage, "!memusage", "",
           "the sections' memory: per control area, its pages valid, standby, modified, shared")
{
    KD_PAGE_COUNTS Counts, Totals;
    char Name[48];
    ULONG Areas = 0;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    memset(&Totals, 0, sizeof(Totals));
    DbgPrint(" Control   Valid Standby   Dirty  Shared   Pages   Views  Name\n");
    ExAcquireFastMutex(&MiSectionMutex);
    for (PLIST_ENTRY Entry = MiControlAreaList.Flink; Entry != &MiControlAreaList; Entry = Entry->Flink) {
        PCONTROL_AREA ControlArea = CONTAINING_RECORD(Entry, CONTROL_AREA, ControlAreaLinks);
        KdCountSegmentPages(ControlArea->Segment, &Counts);
        KdControlAreaName(ControlArea, Name, sizeof(Name));
        DbgPrint("%08x %7u %7u %7u %7u %7u %7u  %s\n", (ULONG)ControlArea, Counts.Valid, Counts.Standby,
                 Counts.Modified, Counts.Shared, ControlArea->Segment->TotalNumberOfPtes,
                 ControlArea->NumberOfMappedViews, Name);
        Totals.Valid += Counts.Valid;
        Totals.Standby += Counts.Standby;
        Totals.Modified += Counts.Modified;
        Totals.Shared += Counts.Shared;
        Areas++;
    }
    ExReleaseFastMutex(&MiSectionMutex);
    DbgPrint("-------- %7u %7u %7u %7u  in %u control areas; %u views in system space\n", Totals.Valid,
             Totals.Standby, Totals.Modified, Totals.Shared, Areas, MiSystemViewCount());
    DbgPrint("standby list %u pages, modified list %u pages\n", MmStandbyPageListHead.Total,
             MmModifiedPageListHead.Total);
}

/* -------------------------------------------- section, with (teaching aids) */

/* PAGE_* by name, as `vm` spells them ("readwrite", "writecopy", "execute_read" ...). */
static bool KdParseSectionProtection(const char *Text, ULONG *Protect)
{
    static const struct {
        const char *Name;
        ULONG Value;
    } Names[] = {
        { "noaccess", PAGE_NOACCESS }, { "readonly", PAGE_READONLY }, { "readwrite", PAGE_READWRITE },
        { "writecopy", PAGE_WRITECOPY }, { "execute", PAGE_EXECUTE }, { "execute_read", PAGE_EXECUTE_READ },
        { "execute_readwrite", PAGE_EXECUTE_READWRITE }, { "execute_writecopy", PAGE_EXECUTE_WRITECOPY },
    };
    for (ULONG i = 0; i < ARRAY_SIZE(Names); i++) {
        if (strcmp(Names[i].Name, Text) == 0) {
            *Protect = Names[i].Value;
            return true;
        }
    }
    return KdParseHex(Text, Protect);
}

/* The section a handle of the prompt's process names, referenced; NULL (said) if none. */
static PSECTION KdReferenceSection(const char *Text)
{
    ULONG Handle;
    PSECTION Section;
    if (!KdParseNumber(Text, "HANDLE", &Handle))
        return NULL;
    NTSTATUS Status = ObReferenceObjectByHandle((HANDLE)Handle, 0, MmSectionObjectType, KernelMode,
                                                (PVOID *)&Section, NULL);
    if (!NT_SUCCESS(Status)) {
        DbgPrint("section: handle %x: %s\n", Handle, RtlNtStatusName(Status));
        return NULL;
    }
    return Section;
}

/* The process named by Text ("-" or absent: the prompt's own), or NULL (said). */
static PEPROCESS KdProcessArgument(const char *Text)
{
    ULONG Address;
    if (!Text || strcmp(Text, "-") == 0)
        return PsGetCurrentProcess();
    if (!KdParseAddress(Text, "PROCESS", &Address))
        return NULL;
    PEPROCESS Process = KdFindProcess(Address);
    if (!Process)
        DbgPrint("section: %08x is not a process with a user range (`!process 0` lists them)\n", Address);
    return Process;
}

static void KdSectionCreate(int Argc, char **Argv)
{
    ULONG Size, Protect;
    HANDLE Handle, File = NULL;
    PSECTION Section;
    NTSTATUS Status;

    if (strcmp(Argv[1], "file") == 0) {
        WCHAR Buffer[64];
        char Path[64];
        UNICODE_STRING Name;
        OBJECT_ATTRIBUTES Attributes;
        IO_STATUS_BLOCK Io;
        if (Argc != 4 || !KdParseSectionProtection(Argv[3], &Protect)) {
            KdPrintUsage("file NAME PROTECT");
            return;
        }
        snprintf(Path, sizeof(Path), "\\Boot\\%s", Argv[2]);
        ULONG n = 0;
        for (; Path[n] && n + 1 < ARRAY_SIZE(Buffer); n++)
            Buffer[n] = (UCHAR)Path[n];
        Name.Buffer = Buffer;
        Name.Length = Name.MaximumLength = (USHORT)(n * sizeof(WCHAR));
        InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
        Status = ZwOpenFile(&File, FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, &Attributes, &Io, FILE_SHARE_READ, 0);
        if (!NT_SUCCESS(Status)) {
            DbgPrint("NtOpenFile(%s): %s\n", Path, RtlNtStatusName(Status));
            return;
        }
        Size = 0;
    } else if (Argc != 5 || !KdParseHex(Argv[2], &Size) || !KdParseSectionProtection(Argv[4], &Protect) ||
               (strcmp(Argv[3], "commit") != 0 && strcmp(Argv[3], "reserve") != 0)) {
        KdPrintUsage("create SIZE commit|reserve PROTECT");
        return;
    }
    LARGE_INTEGER Maximum = { .QuadPart = Size };
    Status = ZwCreateSection(&Handle, SECTION_ALL_ACCESS, NULL, &Maximum, Protect,
                             File || strcmp(Argv[3], "commit") == 0 ? SEC_COMMIT : SEC_RESERVE, File);
    if (File)
        NtClose(File);
    DbgPrint("NtCreateSection: %s", RtlNtStatusName(Status));
    if (NT_SUCCESS(Status) &&
        NT_SUCCESS(ObReferenceObjectByHandle(Handle, 0, MmSectionObjectType, KernelMode, (PVOID *)&Section, NULL))) {
        DbgPrint(", handle %x, section %08x, control area %08x, segment %08x", (ULONG)Handle, (ULONG)Section,
                 (ULONG)Section->Segment->ControlArea, (ULONG)Section->Segment);
        ObDereferenceObject(Section);
    }
    DbgPrint("\n");
}

static void KdSectionMap(int Argc, char **Argv)
{
    ULONG Protect, Offset = 0, Base = 0;
    SIZE_T Size = 0;

    /* section map HANDLE PROTECT [PROCESS [BASE [OFFSET SIZE]]] */
    if (Argc < 4 || Argc > 8 || !KdParseSectionProtection(Argv[3], &Protect) ||
        (Argc >= 6 && !KdParseHex(Argv[5], &Base)) ||
        (Argc == 8 && (!KdParseHex(Argv[6], &Offset) || !KdParseHex(Argv[7], &Size))) || Argc == 7) {
        KdPrintUsage("map HANDLE PROTECT [PROCESS|- [BASE [OFFSET SIZE]]]");
        return;
    }
    PEPROCESS Process = KdProcessArgument(Argc >= 5 ? Argv[4] : NULL);
    PSECTION Section = Process ? KdReferenceSection(Argv[2]) : NULL;
    if (!Section)
        return;
    PVOID View = (PVOID)Base;
    LARGE_INTEGER SectionOffset = { .QuadPart = Offset };
    NTSTATUS Status = MmMapViewOfSection(Section, Process, &View, 0, 0, &SectionOffset, &Size, ViewShare, 0, Protect);
    ObDereferenceObject(Section);
    DbgPrint("MmMapViewOfSection: %s", RtlNtStatusName(Status));
    if (NT_SUCCESS(Status))
        DbgPrint(", view %08x size %x in process %08x %s", (ULONG)View, Size, (ULONG)Process, Process->ImageFileName);
    DbgPrint("\n");
}

/* Reads or writes the word at Va, in Process's address space, under a handler. */
static void KdSectionTouch(ULONG Va, bool Write, ULONG Value, PEPROCESS Process)
{
    KAPC_STATE ApcState;
    NTSTATUS Status;
    ULONG Read = 0;
    bool Attach = Process != PsGetCurrentProcess();

    if (Attach)
        KeStackAttachProcess(&Process->Pcb, &ApcState);
    EX_TRY {
        if (Write)
            *(volatile ULONG *)Va = Value;
        Read = *(volatile ULONG *)Va;
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    if (Attach)
        KeUnstackDetachProcess(&ApcState);
    if (NT_SUCCESS(Status))
        DbgPrint("%s %08x: %08x\n", Write ? "wrote" : "read", Va, Read);
    else
        DbgPrint("%s %08x: %s\n", Write ? "write to" : "read of", Va, RtlNtStatusName(Status));
}

KD_COMMAND(section, "section", "create|file|map|sysmap|unmap|sysunmap|touch|close|process ...",
           "sections at work: make one, map it into a process or system space, touch it (`section` lists the forms)")
{
    ULONG Va = 0, Value = 0;

    if (Argc >= 2 && (strcmp(Argv[1], "create") == 0 || strcmp(Argv[1], "file") == 0)) {
        KdSectionCreate(Argc, Argv);
    } else if (Argc >= 2 && strcmp(Argv[1], "map") == 0) {
        KdSectionMap(Argc, Argv);
    } else if (Argc == 3 && strcmp(Argv[1], "sysmap") == 0) {
        PSECTION Section = KdReferenceSection(Argv[2]);
        PVOID Base = NULL;
        SIZE_T Size = 0;
        if (!Section)
            return;
        NTSTATUS Status = MmMapViewInSystemSpace(Section, &Base, &Size);
        ObDereferenceObject(Section);
        DbgPrint("MmMapViewInSystemSpace: %s", RtlNtStatusName(Status));
        if (NT_SUCCESS(Status))
            DbgPrint(", view %08x size %x", (ULONG)Base, Size);
        DbgPrint("\n");
    } else if ((Argc == 3 || Argc == 4) && strcmp(Argv[1], "unmap") == 0 && KdParseHex(Argv[2], &Va)) {
        PEPROCESS Process = KdProcessArgument(Argc == 4 ? Argv[3] : NULL);
        if (Process)
            DbgPrint("MmUnmapViewOfSection: %s\n", RtlNtStatusName(MmUnmapViewOfSection(Process, (PVOID)Va)));
    } else if (Argc == 3 && strcmp(Argv[1], "sysunmap") == 0 && KdParseHex(Argv[2], &Va)) {
        ULONG Base, Size;
        if (!MiSystemViewControlArea(Va, &Base, &Size) || Base != Va)
            DbgPrint("section: %08x starts no view in system space\n", Va);     /* NT would bugcheck (0x81) */
        else
            DbgPrint("MmUnmapViewInSystemSpace: %s\n", RtlNtStatusName(MmUnmapViewInSystemSpace((PVOID)Va)));
    } else if (Argc >= 3 && Argc <= 5 && strcmp(Argv[1], "touch") == 0 && KdParseHex(Argv[2], &Va)) {
        bool Write = Argc >= 4 && strcmp(Argv[3], "write") == 0;
        if (Write && (Argc != 5 || !KdParseHex(Argv[4], &Value))) {
            KdPrintUsage("touch VA [write VALUE]");
            return;
        }
        PEPROCESS Process = (Argc == 4 && !Write) ? KdProcessArgument(Argv[3]) : PsGetCurrentProcess();
        if (Process)
            KdSectionTouch(Va, Write, Value, Process);
    } else if (Argc == 3 && strcmp(Argv[1], "close") == 0 && KdParseHex(Argv[2], &Value)) {
        PSECTION Section = KdReferenceSection(Argv[2]);
        if (Section) {
            ObDereferenceObject(Section);
            DbgPrint("NtClose: %s\n", RtlNtStatusName(NtClose((HANDLE)Value)));
        }
    } else if (Argc == 2 && strcmp(Argv[1], "process") == 0) {
        HANDLE Handle;
        PEPROCESS Process;
        NTSTATUS Status = PsCreateSystemProcess(&Handle, PROCESS_ALL_ACCESS, NULL);
        DbgPrint("PsCreateSystemProcess: %s", RtlNtStatusName(Status));
        if (NT_SUCCESS(Status) &&
            NT_SUCCESS(ObReferenceObjectByHandle(Handle, 0, PsProcessType, KernelMode, (PVOID *)&Process, NULL))) {
            DbgPrint(", handle %x, process %08x", (ULONG)Handle, (ULONG)Process);
            ObDereferenceObject(Process);
        }
        DbgPrint("\n");
    } else {
        DbgPrint("usage: section create SIZE commit|reserve PROTECT | section file NAME PROTECT |\n"
                 "       section map HANDLE PROTECT [PROCESS|- [BASE [OFFSET SIZE]]] | section sysmap HANDLE |\n"
                 "       section unmap VA [PROCESS] | section sysunmap VA |\n"
                 "       section touch VA [PROCESS | write VALUE] | section close HANDLE | section process\n"
                 "  (hex numbers; PROTECT readonly, readwrite, writecopy, execute_read ...;\n"
                 "   `with PROCESS section touch VA write VALUE` writes in another process)\n");
    }
}

KD_COMMAND(with, "with", "PROCESS COMMAND [ARGS]",
           "runs one command attached to PROCESS: !pte, !vad, vm, section touch see its user range")
{
    char Line[128];
    size_t n = 0;

    if (Argc < 3) {
        KdPrintUsage("PROCESS COMMAND [ARGS]");
        return;
    }
    PEPROCESS Process = KdProcessArgument(Argv[1]);
    if (!Process) {
        KdPrintUsage("PROCESS COMMAND [ARGS]");
        return;
    }
    for (int i = 2; i < Argc && n < sizeof(Line); i++)
        n += (size_t)snprintf(Line + n, sizeof(Line) - n, "%s%s", i > 2 ? " " : "", Argv[i]);
    if (strcmp(Argv[2], "with") == 0) {
        DbgPrint("with: one process at a time\n");
        return;
    }
    KAPC_STATE ApcState;
    KeStackAttachProcess(&Process->Pcb, &ApcState);
    KdExecute(Line);
    KeUnstackDetachProcess(&ApcState);
}
