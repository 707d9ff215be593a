/*
 * mm/kdexts.c — the memory manager seen from the kd> prompt: !address,
 * !pte, !vtop, !pfn, !vm and !sysptes (the pools' commands are in kdpool.c).
 *
 * NT's debugger looks at the memory manager from outside, through the
 * extension commands of kdexts.dll that Windows Internals uses on every
 * page. mm386's commands have the same names and print the same shapes, but
 * they run inside the kernel, at the prompt, and read the structures
 * directly: a PDE and a PTE through the self-map, the PFN database, the list
 * heads, the layout table computed at boot. They only read, and a PTE is
 * read only after the PDE above it was found valid, so no command here can
 * fault. Most take no lock, as a debugger does; what the system PTE pool
 * keeps in its free PTEs is read through syspte.c's queries, under its
 * lock (the prompt runs at PASSIVE_LEVEL, so it may wait for it).
 *
 * The gdb extension (tools/gdb/) shows the same views from outside, for a
 * kernel stopped at a breakpoint or hung. It cannot call into the kernel,
 * so the constants it needs beyond symbols and structure layouts are kept in
 * memory: KdDebuggerDataBlock, as NT's debugger finds what it needs through
 * the kernel's KDDEBUGGER_DATA block, and the name tables below. The two
 * views must agree; docs/KD.md shows both.
 */
#include <kd.h>
#include "section.h"

/*
 * What the gdb extension reads to learn the build's constants (it has the
 * symbols and the types from the ELF, but not the #defines). Never written.
 */
typedef struct _KDDEBUGGER_DATA {
    ULONG PteBase, PteTop, PdeBase, SelfMapPde;
    ULONG HyperSpace, HyperSpaceEnd, HyperSpacePtes;
    ULONG PageSize, PageShift, PdeShift, PtesPerPage;
    ULONG EmptyList, EmptyPteList;
    ULONG KernelVaOffset;
    ULONG ProtectNoCache, ProtectGuardPage, ProtectDecommit, ProtectNoAccess;
    ULONG KernelStackPages, KernelLargeStackPages;
    ULONG PoolBlockShift, PoolFreeBlock, PoolInLookaside;
    ULONG PteDescriptionLines, SystemPteRunClasses, SystemPteListedRuns;
} KDDEBUGGER_DATA;

__attribute__((used)) const KDDEBUGGER_DATA KdDebuggerDataBlock = {
    .PteBase = PTE_BASE, .PteTop = PTE_TOP, .PdeBase = PDE_BASE, .SelfMapPde = SELF_MAP_PDE,
    .HyperSpace = HYPER_SPACE, .HyperSpaceEnd = HYPER_SPACE_END, .HyperSpacePtes = MI_HYPERSPACE_PTES,
    .PageSize = PAGE_SIZE, .PageShift = PAGE_SHIFT, .PdeShift = PDE_SHIFT, .PtesPerPage = PTE_PER_PAGE,
    .EmptyList = MM_EMPTY_LIST, .EmptyPteList = MM_EMPTY_PTE_LIST,
    .KernelVaOffset = KERNEL_VA_OFFSET,
    .ProtectNoCache = MM_NOCACHE, .ProtectGuardPage = MM_GUARD_PAGE,
    .ProtectDecommit = MM_DECOMMIT, .ProtectNoAccess = MM_NOACCESS,
    .KernelStackPages = KERNEL_STACK_SIZE >> PAGE_SHIFT,
    .KernelLargeStackPages = KERNEL_LARGE_STACK_SIZE >> PAGE_SHIFT,
    .PoolBlockShift = POOL_BLOCK_SHIFT, .PoolFreeBlock = POOL_FREE_BLOCK, .PoolInLookaside = POOL_IN_LOOKASIDE,
    .PteDescriptionLines = MI_PTE_DESCRIPTION_LINES, .SystemPteRunClasses = MI_SYSTEM_PTE_RUN_CLASSES,
    .SystemPteListedRuns = MI_SYSTEM_PTE_LISTED_RUNS,
};

/* Where a free system PTE waits, indexed by MI_FREE_SYSTEM_PTE_LIST. */
const char *const MiFreeSystemPteListNames[MiPteInCacheWaiting + 1] = {
    "on the free list", "on the waiting list", "in a cache", "in a cache, waiting",
};

/* A page's state as !pfn prints it, indexed by MMLISTS. */
const char *const MiPageLocationNames[TransitionPage + 1] = {
    "Zeroed", "Free", "Standby", "Modified", "ModifiedNoWrite", "Bad", "Active", "Transition",
};

/* The access part (low three bits) of a software PTE's protection. */
const char *const MiProtectionNames[8] = {
    "ZeroAccess", "ReadOnly", "Execute", "ExecuteRead",
    "ReadWrite", "WriteCopy", "ExecuteReadWrite", "ExecuteWriteCopy",
};

#define KD_COLUMN 27        /* !pte prints the PDE, then the PTE from this column */

/* What the modifier bits (3-4) of a protection with an access say: nocache, guard, write-combine. */
const char *const MiProtectionModifierNames[4] = { "", "NoCache ", "Guard ", "WriteCombine " };

/* "4 - ReadWrite", "c - NoCache ReadWrite", "19 - WriteCombine ReadOnly", "18 - NoAccess": NT's 5-bit protection. */
static void KdFormatProtection(char *Out, size_t Size, ULONG Protection)
{
    if (Protection == MM_NOACCESS)
        snprintf(Out, Size, "Protect: %x - NoAccess", Protection);
    else if (Protection == MM_DECOMMIT)
        snprintf(Out, Size, "Protect: %x - Decommitted", Protection);
    else
        snprintf(Out, Size, "Protect: %x - %s%s", Protection, MiProtectionModifierNames[(Protection >> 3) & 3],
                 MiProtectionNames[Protection & 7]);
}

/* WinDbg's flags of a valid PTE or PDE: C G L D A N T, K or U, W or R, E, V; '-' where clear. */
static void KdFormatHardwareFlags(char Flags[12], MMPTE Pte)
{
    Flags[0] = Pte.u.Hard.CopyOnWrite ? 'C' : '-';
    Flags[1] = Pte.u.Hard.Global ? 'G' : '-';
    Flags[2] = Pte.u.Hard.LargePage ? 'L' : '-';
    Flags[3] = Pte.u.Hard.Dirty ? 'D' : '-';
    Flags[4] = Pte.u.Hard.Accessed ? 'A' : '-';
    Flags[5] = Pte.u.Hard.CacheDisable ? 'N' : '-';
    Flags[6] = Pte.u.Hard.WriteThrough ? 'T' : '-';
    Flags[7] = Pte.u.Hard.Owner ? 'U' : 'K';
    Flags[8] = Pte.u.Hard.Write ? 'W' : 'R';
    Flags[9] = 'E';             /* without PAE's NX bit every mapped page is executable */
    Flags[10] = 'V';
    Flags[11] = '\0';
}

ULONG MiDescribePte(char Lines[MI_PTE_DESCRIPTION_LINES][MI_PTE_DESCRIPTION_LENGTH], PMMPTE PointerPte,
                    MMPTE Pte)
{
    char Flags[12];
    ULONG n = 0;

    if (Pte.u.Hard.Valid) {
        KdFormatHardwareFlags(Flags, Pte);
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "pfn %-9x %s", Pte.u.Hard.PageFrameNumber, Flags);
        return n;
    }
    snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "not valid");
    if (PointerPte == MiAddressToPte(HYPER_SPACE)) {
        /* hypermap.c: PTE 0 of hyperspace counts the mapping slots still unused. */
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "HyperSpace counter: %u", Pte.u.Hard.PageFrameNumber);
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "free mapping PTEs");
        return n;
    }
    if (Pte.u.Long == 0)
        return n;
    if (Pte.u.Soft.Prototype) {
        /* NT's x86 rule: prototype PTEs live in paged pool; the fields give the offset. */
        ULONG Proto = (ULONG)MmPagedPoolStart + (Pte.u.Proto.ProtoAddressHigh << 9) +
                      (Pte.u.Proto.ProtoAddressLow << 2);
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "Proto: %08X%s", Proto,
                 Pte.u.Proto.ReadOnly ? " ReadOnly" : "");
        return n;
    }
    if (Pte.u.Soft.Transition)
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "Transition: %x", Pte.u.Trans.PageFrameNumber);
    else if (Pte.u.Soft.PageFileHigh != 0 || Pte.u.Soft.PageFileLow != 0) {
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "PageFile: %2x", Pte.u.Soft.PageFileLow);
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "Offset: %x", Pte.u.Soft.PageFileHigh);
    } else if (Pte.u.Soft.Protection != MM_DECOMMIT && Pte.u.Soft.Protection != MM_NOACCESS &&
               (Pte.u.Soft.Protection & 7) != 0) {
        /* A committed page never touched: any protection with an access, guard pages included. */
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "DemandZero");
    }
    KdFormatProtection(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, Pte.u.Soft.Protection);
    return n;
}

/*
 * What !pte says of a PTE that is not valid where the system PTE pool gives
 * it a meaning of its own: a free system PTE (the MMPTE_LIST format: a run's
 * first PTE links to the next run, its second holds the run's size unless
 * OneEntry says the run is one PTE, the rest are zero; a cached run's first
 * PTE is instead its SLIST entry, the address of the next run's first PTE),
 * or the guard page below a kernel stack. Returns 0 for any other PTE.
 */
static ULONG KdDescribeSystemPte(char Lines[MI_PTE_DESCRIPTION_LINES][MI_PTE_DESCRIPTION_LENGTH], PMMPTE PointerPte,
                                 MMPTE Pte, ULONG Va)
{
    MI_FREE_SYSTEM_PTE Free;
    KE_STACK_INFO Stack;
    ULONG n = 0;

    if (Pte.u.Hard.Valid)
        return 0;
    if (MiQueryFreeSystemPte(PointerPte, &Free)) {
        bool HasSizePte = Free.Size > 1 && (Free.List == MiPteOnFreeList || Free.List == MiPteOnWaitingList);
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "not valid");
        bool InCache = Free.List == MiPteInCache || Free.List == MiPteInCacheWaiting;
        if (PointerPte == Free.Run && InCache) {
            snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "free system PTE (SLIST entry)");
            if (Pte.u.Long == 0)
                snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "Next NULL: last run");
            else
                snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "Next %08X: run at %08x", Pte.u.Long,
                         (ULONG)MiPteToAddress(Pte.u.Long));
        } else if (PointerPte == Free.Run) {
            snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "free system PTE (MMPTE_LIST)");
            if (Pte.u.List.NextEntry == MM_EMPTY_PTE_LIST)
                snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "NextEntry %05X: last run%s", MM_EMPTY_PTE_LIST,
                         Pte.u.List.OneEntry ? ", OneEntry" : "");
            else
                snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "NextEntry %05X: run at %08x%s",
                         Pte.u.List.NextEntry, Pte.u.List.NextEntry << PAGE_SHIFT,
                         Pte.u.List.OneEntry ? ", OneEntry" : "");
        } else if (PointerPte == Free.Run + 1 && HasSizePte) {
            snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "free system PTE (MMPTE_LIST)");
            snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "NextEntry %05X: the run's size",
                     Pte.u.List.NextEntry);
        } else {
            snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "free system PTE");
            snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "in the run at %08x", (ULONG)MiPteToAddress(Free.Run));
        }
        snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "run of %u PTEs %s", Free.Size,
                 MiFreeSystemPteListNames[Free.List]);
        return n;
    }
    if (KeIdentifyStack(Va, &Stack) && PAGE_ALIGN(Va) == (PVOID)(Stack.Limit - PAGE_SIZE)) {
        n = MiDescribePte(Lines, PointerPte, Pte);
        if (n < MI_PTE_DESCRIPTION_LINES)
            snprintf(Lines[n++], MI_PTE_DESCRIPTION_LENGTH, "guard page of %s", Stack.Name);
    }
    return n;
}

/*
 * !pte's last line for a page of a section: a valid PTE whose page's PFN
 * entry is a prototype PTE's (a shared page: the PTE is one of its shares),
 * or a PTE in prototype format (a system view's page not yet touched):
 * the prototype PTE, what it holds, and its control area.
 */
static void KdDescribeSectionPage(MMPTE Pte)
{
    ULONG Index;
    if (Pte.u.Hard.Valid && MiIsPhysicalPage(Pte.u.Hard.PageFrameNumber)) {
        PMMPFN Pfn1 = MI_PFN_ELEMENT(Pte.u.Hard.PageFrameNumber);
        PCONTROL_AREA ControlArea = Pfn1->u3.e2.e1.PrototypePte
                                        ? MiKdControlAreaOfPrototypePte(Pfn1->PteAddress, &Index) : NULL;
        if (ControlArea)
            DbgPrint("a section's page: prototype PTE %08X (page %x of control area %08x), share count %u%s\n",
                     (ULONG)Pfn1->PteAddress, Index, (ULONG)ControlArea, Pfn1->u2.ShareCount,
                     Pte.u.Hard.CopyOnWrite ? ", copy-on-write" : "");
    } else if (!Pte.u.Hard.Valid && Pte.u.Proto.Prototype && Pte.u.Soft.PageFileHigh != 0xFFFFF) {
        PMMPTE Proto = MiPteToProto(Pte);
        PCONTROL_AREA ControlArea = MiKdControlAreaOfPrototypePte(Proto, &Index);
        if (ControlArea)
            DbgPrint("prototype PTE %08X (page %x of control area %08x) holds %08X\n", (ULONG)Proto, Index,
                     (ULONG)ControlArea, MiReadPte(Proto).u.Long);
    }
}

KD_COMMAND(pte, "!pte", "VA", "the PDE and PTE that map VA, decoded (a VA in the page tables is taken as a PTE)")
{
    ULONG Va;
    char Left[MI_PTE_DESCRIPTION_LINES][MI_PTE_DESCRIPTION_LENGTH];
    char Right[MI_PTE_DESCRIPTION_LINES][MI_PTE_DESCRIPTION_LENGTH];
    ULONG nLeft, nRight = 0;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 1) || !KdParseAddress(Argv[1], "VA", &Va))
        return;
    if (Va >= PTE_BASE && Va <= PTE_TOP) {
        /* WinDbg's rule: an address in the page tables names a PTE; show what it maps. */
        Va = (ULONG)MiPteToAddress(Va & ~(sizeof(MMPTE) - 1));
    }
    PMMPTE PointerPde = MiAddressToPde(Va), PointerPte = MiAddressToPte(Va);
    MMPTE Pde = MiReadPte(PointerPde);

    nLeft = MiDescribePte(Left, PointerPde, Pde);
    DbgPrint("%*sVA %08x\n", KD_COLUMN - 7, "", Va);
    DbgPrint("PDE at %08X%*sPTE at %08X\n", (ULONG)PointerPde, KD_COLUMN - 15, "", (ULONG)PointerPte);
    if (!Pde.u.Hard.Valid) {
        /* No page table: the PTE itself must not be read (the self-map would fault). */
        DbgPrint("contains %08X\n", Pde.u.Long);
    } else if (Pde.u.Hard.LargePage) {
        DbgPrint("contains %08X\n", Pde.u.Long);
        snprintf(Right[nRight++], MI_PTE_DESCRIPTION_LENGTH, "LARGE PAGE pfn %x",
                 Pde.u.Hard.PageFrameNumber + MiGetPteOffset(Va));
    } else {
        MMPTE Pte = MiReadPte(PointerPte);
        DbgPrint("contains %08X%*scontains %08X\n", Pde.u.Long, KD_COLUMN - 17, "", Pte.u.Long);
        nRight = KdDescribeSystemPte(Right, PointerPte, Pte, Va);
        if (nRight == 0)
            nRight = MiDescribePte(Right, PointerPte, Pte);
    }
    for (ULONG i = 0; i < MAX(nLeft, nRight); i++) {
        if (i < nRight)
            DbgPrint("%-*s%s\n", KD_COLUMN, i < nLeft ? Left[i] : "", Right[i]);
        else
            DbgPrint("%s\n", Left[i]);
    }
    if (Va < (ULONG)MmSystemRangeStart && (!Pde.u.Hard.Valid || MiReadPte(PointerPte).u.Long == 0))
        MiKdDescribeZeroUserPte(Va);
    KdDescribeSectionPage(Pde.u.Hard.Valid && !Pde.u.Hard.LargePage ? MiReadPte(PointerPte) : (MMPTE){ .u.Long = 0 });
}

KD_COMMAND(pte2va, "!pte2va", "PTE", "the virtual address the PTE at address PTE maps (the page tables' self-map "
           "read backwards); a PDE's: the 4 MB it maps")
{
    ULONG Pte;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 1) || !KdParseAddress(Argv[1], "PTE", &Pte))
        return;
    if (Pte < PTE_BASE || Pte > PTE_TOP) {
        DbgPrint("!pte2va: %08x is not in the page tables (%08x..%08x): no PTE is there\n", Pte, PTE_BASE, PTE_TOP);
        return;
    }
    if (Pte & (sizeof(MMPTE) - 1)) {
        DbgPrint("!pte2va: %08x is not a PTE's address (PTEs are %u bytes, so their addresses are multiples of %u)\n",
                 Pte, (ULONG)sizeof(MMPTE), (ULONG)sizeof(MMPTE));
        return;
    }
    ULONG Va = (ULONG)MiPteToAddress(Pte);
    DbgPrint("%08x\n", Va);
    if (Pte >= PDE_BASE && Pte < PDE_BASE + PAGE_SIZE) {
        ULONG Mapped = (ULONG)MiPteToAddress(Va);
        ULONG Last = Mapped + (PAGE_SIZE / sizeof(MMPTE)) * PAGE_SIZE - 1;
        DbgPrint("%08x is a PDE (the page directory maps itself at %08x): it maps the page table at %08x, "
                 "which maps %08x..%08x\n", Pte, PDE_BASE, Va, Mapped, Last);
    }
}

KD_COMMAND(vtop, "!vtop", "[0] VA", "the physical address VA translates to now (MmGetPhysicalAddress)")
{
    ULONG Va, DirectoryBase = 0;

    /* WinDbg's form is "!vtop DirBase VA"; only the current directory (0) is supported. */
    if (!KdCheckArgumentCount(Argc, Argv, 1, 2))
        return;
    if (Argc == 3) {
        if (!KdParseNumber(Argv[1], "DirBase", &DirectoryBase))
            return;
        if (DirectoryBase != 0) {
            DbgPrint("!vtop: DirBase %x: only 0, the current address space, is supported\n", DirectoryBase);
            return;
        }
    }
    if (!KdParseAddress(Argv[Argc - 1], "VA", &Va))
        return;
    PHYSICAL_ADDRESS Physical = MmGetPhysicalAddress((PVOID)Va);
    if (Physical == 0)
        DbgPrint("Virtual address %08x is not mapped\n", Va);
    else
        DbgPrint("Virtual address %08x translates to physical address %llx\n", Va, Physical);
}

KD_COMMAND(pfn, "!pfn", "PFN", "a physical page's PFN entry: state or list, counts, the PTE that maps it")
{
    static const struct {
        ULONG Bit;
        const char *Name;
    } FlagNames[] = {
        { 1, "Modified" }, { 2, "PrototypePte" }, { 4, "ReadInProgress" },
        { 8, "WriteInProgress" }, { 16, "InPageError" }, { 32, "RemovalRequested" },
    };
    ULONG Pfn;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 1) || !KdParseNumber(Argv[1], "PFN", &Pfn))
        return;
    if (Pfn > MmHighestPhysicalPage || !MiIsPhysicalPage(Pfn)) {
        DbgPrint("%x is not a page of RAM; RAM is pages", Pfn);
        for (ULONG i = 0; i < MmPhysicalMemoryBlock.NumberOfRuns; i++) {
            const PHYSICAL_MEMORY_RUN *Run = &MmPhysicalMemoryBlock.Run[i];
            DbgPrint(" %x-%x", Run->BasePage, Run->BasePage + Run->PageCount - 1);
        }
        DbgPrint("\n");
        return;
    }
    PMMPFN Pfn1 = MI_PFN_ELEMENT(Pfn);
    MMPFN Entry = *Pfn1;
    MMPFNENTRY e1 = Entry.u3.e2.e1;
    ULONG Set = (e1.Modified ? 1 : 0) | (e1.PrototypePte ? 2 : 0) | (e1.ReadInProgress ? 4 : 0) |
                (e1.WriteInProgress ? 8 : 0) | (e1.InPageError ? 16 : 0) | (e1.RemovalRequested ? 32 : 0);
    char Letters[8] = "", Words[96] = "";
    size_t nWords = 0;

    for (ULONG i = 0, nLetters = 0; i < ARRAY_SIZE(FlagNames); i++) {
        if (Set & FlagNames[i].Bit) {
            Letters[nLetters++] = FlagNames[i].Name[0];
            Letters[nLetters] = '\0';
            nWords += (size_t)snprintf(Words + nWords, sizeof(Words) - nWords, "%s ", FlagNames[i].Name);
        }
    }
    DbgPrint("    PFN %08X at address %08X\n", Pfn, (ULONG)Pfn1);
    DbgPrint("    flink       %08X  blink / share count %08X  pteaddress %08X\n",
             Entry.u1.Flink, Entry.u2.Blink, (ULONG)Entry.PteAddress);
    DbgPrint("    reference count %04X\n", Entry.u3.e2.ReferenceCount);
    DbgPrint("    restore pte %08X  containing page        %06X  %-*s%s\n", Entry.OriginalPte.u.Long,
             Entry.u4.PteFrame, Letters[0] ? 11 : 0, MiPageLocationNames[e1.PageLocation], Letters);
    if (nWords)
        DbgPrint("    %s\n", Words);
    if ((ULONG)Entry.PteAddress >= PTE_BASE && (ULONG)Entry.PteAddress <= PTE_TOP)
        DbgPrint("    pteaddress is the PTE of VA %08X\n", (ULONG)MiPteToAddress(Entry.PteAddress));
    ULONG Index;
    PCONTROL_AREA ControlArea = e1.PrototypePte ? MiKdControlAreaOfPrototypePte(Entry.PteAddress, &Index) : NULL;
    if (ControlArea)
        DbgPrint("    pteaddress is the prototype PTE of page %x of control area %08x; %u PTEs share the page\n",
                 Index, (ULONG)ControlArea, e1.PageLocation == ActiveAndValid ? Entry.u2.ShareCount : 0);
}

/* Pages of [Start, Start + Size) that a valid PTE or a large PDE maps now, in this address space. */
static ULONG KdCountMappedPages(ULONG Start, ULONG Size)
{
    ULONG Last = Start + (Size - 1), Count = 0;

    for (ULONG PdeIndex = Start >> PDE_SHIFT; PdeIndex <= Last >> PDE_SHIFT; PdeIndex++) {
        MMPTE Pde = MiReadPte((PMMPTE)PDE_BASE + PdeIndex);
        ULONG From = MAX(Start, PdeIndex << PDE_SHIFT);
        ULONG To = MIN(Last, (PdeIndex << PDE_SHIFT) | ((1u << PDE_SHIFT) - 1));
        if (!Pde.u.Hard.Valid)
            continue;
        if (Pde.u.Hard.LargePage) {
            Count += ((To - From) >> PAGE_SHIFT) + 1;
            continue;
        }
        for (PMMPTE Pte = MiAddressToPte(From); Pte <= MiAddressToPte(To); Pte++)
            Count += MiReadPte(Pte).u.Hard.Valid;
    }
    return Count;
}

static void KdPrintRegionRow(const MI_REGION *r)
{
    char Size[16], Mapped[16];
    MiFormatSize(Size, sizeof(Size), r->Size);
    ULONG MappedPages = KdCountMappedPages(r->Start, r->Size);
    if (MappedPages)
        MiFormatSize(Mapped, sizeof(Mapped), MappedPages << PAGE_SHIFT);
    else
        strlcpy(Mapped, "-", sizeof(Mapped));
    DbgPrint("  %08x  %08x  %9s  %9s  %-29s %s\n", r->Start, r->Start + (r->Size - 1), Size, Mapped, r->Variable,
             r->Description);
}

static void KdPrintRegionHeader(void)
{
    DbgPrint("  %-8s  %-8s  %9s  %9s  %-29s %s\n", "start", "end", "size", "mapped", "variable",
             "what lives there");
}

/*
 * !address VA: the region of the layout VA lies in (the smallest that holds
 * it), and the state of its page: what the PDE and PTE say, in one line.
 */
static void KdDescribeAddress(ULONG Va)
{
    const MI_REGION *Found = NULL;
    for (ULONG i = 0; i < MiLayoutCount; i++) {
        const MI_REGION *r = &MiLayout[i];
        if (Va - r->Start < r->Size && (!Found || r->Size < Found->Size))
            Found = r;
    }
    if (!Found) {
        DbgPrint("%08x lies in no region of the layout (a gap between regions)\n", Va);
    } else {
        DbgPrint("%08x lies in %s: %s\n", Va, Found->Variable, Found->Description);
        KdPrintRegionHeader();
        KdPrintRegionRow(Found);
    }
    MMPTE Pde = MiReadPte(MiAddressToPde(Va));
    if (!Pde.u.Hard.Valid) {
        DbgPrint("Its page: not mapped: its PDE is not valid (no page table; `!pte %x` shows the PDE)\n", Va);
        return;
    }
    MMPTE Pte = Pde.u.Hard.LargePage ? Pde : MiReadPte(MiAddressToPte(Va));
    if (!Pte.u.Hard.Valid) {
        DbgPrint("Its page: not mapped: its PTE %08X is not valid (`!pte %x` decodes it)\n", Pte.u.Long, Va);
        return;
    }
    DbgPrint("Its page: mapped, %s, %s%s, pfn %x (`!pte %x` decodes the PDE and PTE)\n",
             Pte.u.Hard.Write ? "writable" : "read-only", Pte.u.Hard.Owner ? "user" : "kernel",
             Pde.u.Hard.LargePage ? ", in a large page" : "",
             Pde.u.Hard.LargePage ? Pde.u.Hard.PageFrameNumber + MiGetPteOffset(Va) : Pte.u.Hard.PageFrameNumber, Va);
}

KD_COMMAND(address, "!address", "[-summary|VA]",
           "the running split's layout, then the current process's user regions (mm/kdvad.c); -summary totals them; "
           "VA: its region and its page's state")
{
    ULONG UserMb = (ULONG)MmSystemRangeStart >> 20;
    ULONG Va;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1))
        return;
    if (Argc == 2 && Argv[1][0] == '-') {
        if (strcmp(Argv[1], "-summary") != 0) {
            DbgPrint("!address: unexpected option '%s' (the only option is -summary)\n", Argv[1]);
            return;
        }
        MiKdPrintAddressSummary();
        return;
    }
    if (Argc == 2) {
        if (KdParseAddress(Argv[1], "VA", &Va))
            KdDescribeAddress(Va);
        return;
    }
    DbgPrint("Virtual address space: %u MB user / %u MB system\n", UserMb, 4096 - UserMb);
    DbgPrint("MmSystemRangeStart %08x  MmHighestUserAddress %08x  MmUserProbeAddress %08x\n",
             (ULONG)MmSystemRangeStart, (ULONG)MmHighestUserAddress, (ULONG)MmUserProbeAddress);
    KdPrintRegionHeader();
    for (ULONG i = 0; i < MiLayoutCount; i++)
        KdPrintRegionRow(&MiLayout[i]);
    if (KdIsStopped())
        DbgPrint("(the kernel is stopped: the user regions need the process's working set lock, which cannot be "
                 "waited for now; the running prompt shows them)\n");
    else
        MiKdPrintUserRegions();
}

/* One line of !vm: a page count and the same in KB, WinDbg's way. */
static void KdVmLine(const char *Name, ULONG Pages)
{
    DbgPrint("      %-22s%8u   (%9u Kb)\n", Name, Pages, Pages * (PAGE_SIZE / 1024));
}

static void KdVmPhysicalMemory(void)
{
    ULONG Listed = 0;

    KdVmLine("Physical Memory:", MmPhysicalMemoryBlock.NumberOfPages);
    KdVmLine("Available Pages:", MmAvailablePages);
    for (ULONG List = ZeroedPageList; List <= BadPageList; List++) {
        char Name[24];
        snprintf(Name, sizeof(Name), "  %s:", MiPageLocationNames[List]);
        KdVmLine(Name, MmPageLocationList[List]->Total);
        Listed += MmPageLocationList[List]->Total;
    }
    KdVmLine("  Active:", MmPhysicalMemoryBlock.NumberOfPages - Listed);
    KdVmLine("System page tables:", MmSystemPageTablePages);
    DbgPrint("      %-22s%8u\n", "HyperSpace flushes:", MiHyperSpaceFlushes);
}

static void KdVmSystemPtes(void)
{
    MI_SYSTEM_PTE_INFO Info;

    MiQuerySystemPtes(&Info);
    KdVmLine("Free System PTEs:", Info.Free);
    KdVmLine("Used System PTEs:", Info.InUse);
    KdVmLine("Total System PTEs:", Info.Total);
}

/*
 * Nonpaged pool: pages allocated (initial region and expansion) against the
 * maximum, which is the initial region plus the most expansion allowed.
 * Paged pool: pages allocated — each charged commit when it was — and
 * those of them touched, so resident now, against the region's size.
 */
static void KdVmPools(void)
{
    ULONG Initial = MmSizeOfNonPagedPoolInBytes >> PAGE_SHIFT;

    KdVmLine("NonPagedPool Usage:", MmAllocatedNonPagedPool);
    KdVmLine("  Initial:", Initial - MmNumberOfFreeNonPagedPool);
    KdVmLine("  Expansion:", MiNonPagedExpansionPagesInUse);
    KdVmLine("NonPagedPool Max:", Initial + MiMaximumNonPagedExpansionPages);
    KdVmLine("  Initial:", Initial);
    KdVmLine("  Expansion:", MiMaximumNonPagedExpansionPages);
    KdVmLine("PagedPool Usage:", MmPagedPoolInfo.AllocatedPagedPool);
    KdVmLine("  Resident:", KdCountMappedPages((ULONG)MmPagedPoolStart, MmSizeOfPagedPoolInBytes));
    KdVmLine("PagedPool Maximum:", MmSizeOfPagedPoolInBytes >> PAGE_SHIFT);
}

static void KdVmCommit(void)
{
    KdVmLine("Committed pages:", MmTotalCommittedPages);
    KdVmLine("Commit limit:", MmTotalCommitLimit);
}

/*
 * !vm prints these in order, NT's order: physical memory and its lists,
 * system PTEs, pool usage against the pool limits, commit, then each
 * process's commit charge.
 */
static void (*const KdVmSections[])(void) = {
    KdVmPhysicalMemory,
    KdVmSystemPtes,
    KdVmPools,
    KdVmCommit,
    MiKdPrintProcessCommit,
};

KD_COMMAND(vm, "!vm", "", "physical memory by list, system PTEs, pool usage and limits, commit, each process's commit")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    DbgPrint("*** Virtual Memory Usage ***\n");
    for (ULONG i = 0; i < ARRAY_SIZE(KdVmSections); i++)
        KdVmSections[i]();
}

/* "1", "2-3", "4-7" ...: the sizes of one class of !sysptes's histogram. */
static void KdFormatRunClass(char *Out, size_t Size, ULONG Class)
{
    if (Class == 0)
        snprintf(Out, Size, "1");
    else if (Class == MI_SYSTEM_PTE_RUN_CLASSES - 1)
        snprintf(Out, Size, "%u+", 1u << Class);
    else
        snprintf(Out, Size, "%u-%u", 1u << Class, (2u << Class) - 1);
}

KD_COMMAND(sysptes, "!sysptes", "[1]", "system PTEs: the per-size caches, free runs by size, in use; 1 lists free runs")
{
    MI_SYSTEM_PTE_INFO Info;
    MI_SYSTEM_PTE_RUNS Runs;
    ULONG ListPtes = 0, CachePtes = 0, Flags = 0;

    if (!KdCheckArgumentCount(Argc, Argv, 0, 1) || (Argc == 2 && !KdParseNumber(Argv[1], "FLAGS", &Flags)))
        return;
    if (Flags & ~1u) {
        DbgPrint("!sysptes: FLAGS %x: only 1 (list the free runs) is known\n", Flags);
        return;
    }
    MiQuerySystemPtes(&Info);
    MiQuerySystemPteRuns(&Runs);
    DbgPrint("System PTE Information\n");
    DbgPrint("  Total System Ptes %u\n", Info.Total);
    for (ULONG i = 0; i < MI_SYSTEM_PTE_CACHES; i++) {
        DbgPrint("     SysPtes list of size %u has %u free, %u waiting for a TLB flush\n", Runs.CacheSize[i],
                 Runs.CacheUsable[i], Runs.CacheWaiting[i]);
        CachePtes += (Runs.CacheUsable[i] + Runs.CacheWaiting[i]) * Runs.CacheSize[i];
    }
    DbgPrint("    starting PTE: %08X   (VA %08x)\n", (ULONG)Runs.BaseFirst, (ULONG)MiPteToAddress(Runs.BaseFirst));
    DbgPrint("    ending PTE:   %08X\n", (ULONG)(Runs.BaseEnd - 1));
    DbgPrint("    extension:    %08X, %u of %u PTEs added\n", (ULONG)Runs.ExtraFirst,
             (ULONG)(Runs.ExtraEnd - Runs.ExtraFirst), (ULONG)(Runs.ExtraLimit - Runs.ExtraFirst));
    if (Flags & 1) {
        /* WinDbg's !sysptes 1: the free runs, each as its first PTE and its length. */
        for (ULONG i = 0; i < MIN(Runs.FreeRuns, MI_SYSTEM_PTE_LISTED_RUNS); i++)
            DbgPrint("      free ptes: %08X   number free: %u.\n", (ULONG)Runs.Listed[i].Run, Runs.Listed[i].Size);
        if (Runs.FreeRuns > MI_SYSTEM_PTE_LISTED_RUNS)
            DbgPrint("      ... and %u more\n", Runs.FreeRuns - MI_SYSTEM_PTE_LISTED_RUNS);
    }
    DbgPrint("  free runs by size:\n  %12s %8s %8s\n", "size", "runs", "PTEs");
    for (ULONG Class = 0; Class < MI_SYSTEM_PTE_RUN_CLASSES; Class++) {
        char Sizes[24];
        if (Runs.Runs[Class] == 0)
            continue;
        KdFormatRunClass(Sizes, sizeof(Sizes), Class);
        DbgPrint("  %12s %8u %8u\n", Sizes, Runs.Runs[Class], Runs.Ptes[Class]);
        ListPtes += Runs.Ptes[Class];
    }
    DbgPrint("  free blocks: %u   total free: %u   largest free block: %u\n", Info.FreeRuns, ListPtes,
             Info.LargestFreeRun);
    DbgPrint("  caches: %u PTEs   waiting list: %u runs, %u PTEs (reusable after the next TLB flush)\n", CachePtes,
             Runs.WaitingRuns, Runs.WaitingPtes);
    DbgPrint("  free: %u   in use: %u   TLB flushes: %u   failed reservations: %u\n", Info.Free, Info.InUse,
             Info.Flushes, Info.Failures);
}
