/*
 * mm/kdpool.c — the executive pools seen from the kd> prompt: !poolused,
 * !pool, !poolfind, !lookaside, and `pool`, which allocates and frees a
 * block for the learner.
 *
 * !poolused prints the tag table (pooltag.c's ExpPrintPoolTagTable, the
 * same table the test harness's leak guard reads) with WinDbg's flags (by
 * tag; 2, 4: by one pool's bytes; 1: verbose) and tag pattern. !poolfind
 * walks every page of one pool as !pool walks one, printing the blocks whose
 * tag matches. !lookaside shows the lookaside lists (lookasid.c's
 * snapshot of them), and resets one's counters or sets its depth. !pool VA shows the pool
 * page holding VA the way WinDbg's !pool does: every block of the page in
 * address order with its size and the size of the block before it (both
 * in bytes, hex), whether it is allocated, free or parked in a lookaside
 * list, and its tag; the block holding VA is marked with a star. A big
 * allocation (whole pages, no header) and a special pool page are one line
 * each. The walk is pool.c's ExpWalkPoolPage, which holds the pool's lock
 * while it reads the headers; the blocks are copied out and printed after
 * it lets go, so no output is written under a spin lock.
 *
 * `pool alloc TAG SIZE [paged]` and `pool free VA [TAG]` are not WinDbg's:
 * they call ExAllocatePoolWithTag and ExFreePoolWithTag, nothing less, so
 * a learner can watch a block appear in !poolused and !pool and go again,
 * and a wrong free stops the machine exactly as it would anywhere else.
 * The gdb extension's mm-poolused and mm-pool (tools/gdb/) print the same.
 */
#include <kd.h>
#include "mi.h"

/* A tag pattern as !poolused and !poolfind keep it: up to 15 characters. */
#define KD_TAG_PATTERN_LENGTH 16

/* !poolused's flag for session pool (WinDbg's 8), which mm386 does not have. */
#define POOLUSED_SESSION 0x8

/* What ExpWalkPoolPage reported, copied out of its callback. */
typedef struct _KD_POOL_PAGE {
    ULONG Count;
    POOL_BLOCK_INFORMATION Blocks[POOL_LIST_HEADS];
} KD_POOL_PAGE;

static void KdCopyPoolBlock(const POOL_BLOCK_INFORMATION *Block, PVOID Context)
{
    KD_POOL_PAGE *Page = Context;
    if (Page->Count < ARRAY_SIZE(Page->Blocks))
        Page->Blocks[Page->Count++] = *Block;
}

static const char *KdPoolTypeName(POOL_TYPE PoolType)
{
    return PoolType == PagedPool ? "Paged" : "Nonpaged";
}

/* The line for a block that is not a small block: a big allocation or a special pool page. */
static void KdPrintWholePages(ULONG Va, const POOL_BLOCK_INFORMATION *Block)
{
    char Tag[5];
    RtlTagToString(Block->Tag, Tag);
    if (MiIsSpecialPoolAddress((PVOID)Va))
        DbgPrint("*%08x : special pool page, tag is %s, %s pool, size is 0x%x bytes; guard page at %08x\n",
                 (ULONG)Block->Header, Tag, KdPoolTypeName(Block->PoolType), Block->Size,
                 (ULONG)Block->Header + Block->Size);
    else
        DbgPrint("*%08x : large page allocation, tag is %s, size is 0x%x bytes\n", (ULONG)Block->Header, Tag,
                 Block->Size);
}

KD_COMMAND(pool, "!pool", "VA", "the pool page holding VA: every block, its size, tag, free or busy; VA's marked *")
{
    static KD_POOL_PAGE Page;       /* 512 blocks at most: too large for the prompt's stack */
    ULONG Va;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 1) || !KdParseAddress(Argv[1], "VA", &Va))
        return;
    const char *Region = MiIsSpecialPoolAddress((PVOID)Va) ? "Special"
                         : MiIsNonPagedPoolAddress((PVOID)Va) ? "Nonpaged"
                         : MiIsPagedPoolAddress((PVOID)Va) ? "Paged" : NULL;
    if (!Region) {
        DbgPrint("%08x is not in any pool: nonpaged %08x..%08x, paged %08x..%08x\n", Va,
                 (ULONG)MmNonPagedPoolStart, (ULONG)MmNonPagedPoolEnd - 1, (ULONG)MmPagedPoolStart,
                 (ULONG)MmPagedPoolEnd);
        return;
    }
    Page.Count = 0;
    NTSTATUS Status = ExpWalkPoolPage((PVOID)Va, KdCopyPoolBlock, &Page);
    if (Status == STATUS_INVALID_PARAMETER && MiIsSpecialPoolAddress((PVOID)Va)) {
        DbgPrint("%08x is in Special pool, but on no live allocation's page (a guard page, or a free slot)\n", Va);
        return;
    }
    if (Status == STATUS_INVALID_PARAMETER) {
        DbgPrint("%08x is in %s pool, but on no page of small blocks and in no big allocation\n", Va, Region);
        return;
    }
    if (Status == STATUS_DEVICE_BUSY) {
        DbgPrint("%08x is in %s pool, whose lock the stopped code holds: its pages may be half changed, "
                 "so they are not walked\n", Va, Region);
        return;
    }
    DbgPrint("Pool page %08x region is %s pool\n", Va, Region);
    if (Page.Count == 1 && Page.Blocks[0].BigAllocation) {
        KdPrintWholePages(Va, &Page.Blocks[0]);
        return;
    }
    ULONG Previous = 0;
    for (ULONG i = 0; i < Page.Count; i++) {
        const POOL_BLOCK_INFORMATION *Block = &Page.Blocks[i];
        ULONG Header = (ULONG)Block->Header;
        char Tag[5];
        bool Here = Va >= Header && Va - Header < Block->Size;
        RtlTagToString(Block->Tag, Tag);
        DbgPrint("%c%08x size: %4x previous size: %4x  %-12s%c%s\n", Here ? '*' : ' ', Header, Block->Size,
                 Previous, Block->Free ? "(Free)" : Block->Cached ? "(Lookaside)" : "(Allocated)",
                 Here ? '*' : ' ', Tag);
        Previous = Block->Size;
    }
    if (Status == STATUS_DATA_ERROR)
        DbgPrint("the next header does not fit the page: the page is corrupt after the blocks above\n");
}

/*
 * A tag pattern typed at the prompt (WinDbg's TagString): case-sensitive,
 * `*` for any characters, `?` for one; without `*` at most four characters,
 * padded with blanks as a short tag is ('Mdl' is 'Mdl '). Says what is
 * wrong and returns false otherwise.
 */
static bool KdParseTagPattern(const char *Command, const char *Text, char Pattern[KD_TAG_PATTERN_LENGTH])
{
    size_t Length = strlen(Text);

    if (strchr(Text, ',')) {
        DbgPrint("%s: TAG '%s': a pool tag pattern has no commas (one pattern: * any characters, ? one)\n", Command,
                 Text);
        return false;
    }
    if (!strchr(Text, '*') && Length > 4) {
        DbgPrint("%s: TAG '%s' is %u characters; a pool tag has 1 to 4 (or use * and ?)\n", Command, Text,
                 (ULONG)Length);
        return false;
    }
    if (Length >= KD_TAG_PATTERN_LENGTH) {
        DbgPrint("%s: TAG '%s' is too long for a tag pattern\n", Command, Text);
        return false;
    }
    memcpy(Pattern, Text, Length + 1);
    while (!strchr(Text, '*') && Length < 4) {
        Pattern[Length++] = ' ';
        Pattern[Length] = 0;
    }
    return true;
}

KD_COMMAND(poolused, "!poolused", "[FLAGS [TAG]]",
           "the pool tag table, live allocations and bytes per tag: by tag; FLAGS 2 largest nonpaged users first, "
           "4 largest paged, +1 allocations and frees so far; TAG a tag or pattern (* ?)")
{
    ULONG Flags = 0;
    char Pattern[KD_TAG_PATTERN_LENGTH];

    if (!KdCheckArgumentCount(Argc, Argv, 0, 2) || (Argc >= 2 && !KdParseNumber(Argv[1], "FLAGS", &Flags)) ||
        (Argc == 3 && !KdParseTagPattern("!poolused", Argv[2], Pattern)))
        return;
    if (Flags & POOLUSED_SESSION) {
        DbgPrint("!poolused: FLAGS %x asks for session pool (8), and mm386 has no sessions\n", Flags);
        return;
    }
    if (Flags & ~(POOLUSED_VERBOSE | POOLUSED_SORT_NONPAGED | POOLUSED_SORT_PAGED)) {
        DbgPrint("!poolused: FLAGS %x: the known bits are 1 (verbose), 2 (sort by nonpaged), 4 (sort by paged)\n",
                 Flags);
        return;
    }
    if ((Flags & POOLUSED_SORT_NONPAGED) && (Flags & POOLUSED_SORT_PAGED)) {
        DbgPrint("!poolused: FLAGS %x: 2 and 4 are two different orders; give one\n", Flags);
        return;
    }
    ExpPrintPoolTagTable(Flags, Argc == 3 ? Pattern : NULL);
}

/* ------------------------------------------------------------------ !poolfind */

typedef struct _KD_POOLFIND {
    const char *Pattern;
    ULONG Found, Allocated, Pages;
} KD_POOLFIND;

/* The blocks of one page (ExpWalkPoolPage's, copied out) that carry a matching tag, printed as !pool prints them. */
static void KdPrintFoundBlocks(const KD_POOL_PAGE *Page, KD_POOLFIND *Find)
{
    ULONG Previous = 0;
    for (ULONG i = 0; i < Page->Count; i++) {
        const POOL_BLOCK_INFORMATION *Block = &Page->Blocks[i];
        char Tag[5];
        RtlTagToString(Block->Tag, Tag);
        if (RtlMatchGlob(Find->Pattern, Tag)) {
            if (Find->Found == 0)
                DbgPrint("\n");
            if (Block->BigAllocation || MiIsSpecialPoolAddress(Block->Header))
                DbgPrint("%08x : %s, tag is %s, size is 0x%x bytes\n", (ULONG)Block->Header,
                         Block->BigAllocation ? "large page allocation" : "special pool page", Tag, Block->Size);
            else
                DbgPrint("%08x size: %4x previous size: %4x  %-12s %s\n", (ULONG)Block->Header, Block->Size,
                         Previous, Block->Free ? "(Free)" : Block->Cached ? "(Lookaside)" : "(Allocated)", Tag);
            Find->Found++;
            Find->Allocated += !Block->Free && !Block->Cached;
        }
        Previous = Block->Size;
    }
}

KD_COMMAND(poolfind, "!poolfind", "TAG [0|1|2]",
           "every pool block with tag TAG (a pattern: * ?), in nonpaged pool (0), paged (1) or special pool (2)")
{
    static KD_POOL_PAGE Page;
    char Pattern[KD_TAG_PATTERN_LENGTH];
    ULONG PoolType = 0, Start, End;
    KD_POOLFIND Find = { Pattern, 0, 0, 0 };

    if (!KdCheckArgumentCount(Argc, Argv, 1, 2) || !KdParseTagPattern("!poolfind", Argv[1], Pattern) ||
        (Argc == 3 && !KdParseNumber(Argv[2], "POOLTYPE", &PoolType)))
        return;
    if (PoolType == 0) {
        Start = (ULONG)MmNonPagedPoolStart;
        End = (ULONG)MmNonPagedPoolEnd;
    } else if (PoolType == 1) {
        Start = (ULONG)MmPagedPoolStart;
        End = (ULONG)MmPagedPoolEnd + 1;
    } else if (PoolType == 2) {
        if (MmSpecialPoolTag == 0) {
            DbgPrint("!poolfind: special pool is off (boot with /SPECIALPOOL=TAG)\n");
            return;
        }
        Start = (ULONG)MmSpecialPoolStart;
        End = (ULONG)MmSpecialPoolEnd;
    } else {
        DbgPrint("!poolfind: POOLTYPE %x: 0 is nonpaged pool, 1 paged, 2 special%s\n", PoolType,
                 PoolType == 4 ? " (4, session pool: mm386 has no sessions)" : "");
        return;
    }
    DbgPrint("Searching %s pool (%08x : %08x) for Tag: %s\n", PoolType == 0 ? "NonPaged" : PoolType == 1 ? "Paged"
                                                                                               : "Special",
             Start, End, Argv[1]);
    for (ULONG Va = Start; Va < End && Va >= Start;) {
        Page.Count = 0;
        NTSTATUS Status = ExpWalkPoolPage((PVOID)Va, KdCopyPoolBlock, &Page);
        if (Status == STATUS_DEVICE_BUSY) {
            DbgPrint("the stopped code holds the pool's lock: its pages may be half changed, so they are not "
                     "walked\n");
            return;
        }
        ULONG Next = Va + PAGE_SIZE;
        if (NT_SUCCESS(Status) || Status == STATUS_DATA_ERROR) {
            Find.Pages++;
            KdPrintFoundBlocks(&Page, &Find);
            if (Page.Count == 1 && Page.Blocks[0].BigAllocation)
                Next = (ULONG)Page.Blocks[0].Header + Page.Blocks[0].Size;
        }
        if (Status == STATUS_DATA_ERROR)
            DbgPrint("%08x: the next header does not fit the page: the page is corrupt after the blocks above\n",
                     Va);
        Va = Next;
    }
    DbgPrint("\n%u block(s) tagged %s, %u allocated, on %u pool page(s) walked\n", Find.Found, Argv[1],
             Find.Allocated, Find.Pages);
}

/* ------------------------------------------------------------------ !lookaside */

#define KD_LOOKASIDE_LISTED 160     /* the pool's 64 and room for the clients' */

static EXP_LOOKASIDE_SNAPSHOT KdLookaside[KD_LOOKASIDE_LISTED];

static ULONG KdHitRate(ULONG Total, ULONG Misses)
{
    return Total ? (ULONG)(((ULONGLONG)(Total - Misses) * 100) / Total) : 0;
}

/* "ExpSmallPoolLookasideLists[0][3]" for one of the pool's own lists, else "" (a client's). */
static void KdLookasideName(const EXP_LOOKASIDE_SNAPSHOT *Snapshot, char *Out, size_t Size)
{
    Out[0] = 0;
    if (Snapshot->PoolOwn) {
        ULONG Index = (ULONG)(Snapshot->Address - &ExpSmallPoolLookasideLists[0][0]);
        snprintf(Out, Size, "ExpSmallPoolLookasideLists[%u][%u]", Index / POOL_SMALL_LISTS, Index % POOL_SMALL_LISTS);
    }
}

static void KdPrintLookaside(const EXP_LOOKASIDE_SNAPSHOT *Snapshot)
{
    const GENERAL_LOOKASIDE *L = &Snapshot->List;
    char Name[48], Tag[5];

    KdLookasideName(Snapshot, Name, sizeof(Name));
    RtlTagToString(L->Tag, Tag);
    DbgPrint("Lookaside \"%s\" @ %08x  Tag(hex): 0x%08x \"%s\"\n", Name, (ULONG)Snapshot->Address, L->Tag, Tag);
    DbgPrint("    Type           = %10x  %s\n", L->Type, (L->Type & BASE_POOL_TYPE_MASK) == PagedPool ? "PagedPool"
                                                                                                 : "NonPagedPool");
    DbgPrint("    Current Depth  = %10u  Max Depth  = %10u  (entries waiting now, and the most kept)\n",
             Snapshot->CurrentDepth, L->Depth);
    DbgPrint("    Size           = %10u  Max Alloc  = %10u\n", L->Size, L->Size * L->Depth);
    DbgPrint("    AllocateMisses = %10u  FreeMisses = %10u\n", L->AllocateMisses, L->FreeMisses);
    DbgPrint("    TotalAllocates = %10u  TotalFrees = %10u\n", L->TotalAllocates, L->TotalFrees);
    DbgPrint("    Hit Rate       = %9u%%  Hit Rate   = %9u%%\n", KdHitRate(L->TotalAllocates, L->AllocateMisses),
             KdHitRate(L->TotalFrees, L->FreeMisses));
}

KD_COMMAND(lookaside, "!lookaside", "[ADDRESS [0|1|2 DEPTH]] | [0] -all",
           "lookaside lists: the pool's own that were used (-all: every list); ADDRESS: one list, 1 resets its "
           "counters, 2 DEPTH sets its depth")
{
    ULONG Address = 0, Option = 0, Depth = 0, Total;
    bool All = Argc >= 2 && strcmp(Argv[Argc - 1], "-all") == 0;
    int Words = All ? Argc - 1 : Argc;          /* the words before -all */

    if (!KdCheckArgumentCount(Argc, Argv, 0, 3))
        return;
    for (int i = 1; i < Words; i++)
        if (Argv[i][0] == '-') {
            DbgPrint("!lookaside: unexpected option '%s' (the only option is -all, last)\n", Argv[i]);
            return;
        }
    if ((Words >= 2 && !KdParseAddress(Argv[1], "ADDRESS", &Address)) ||
        (Words >= 3 && !KdParseNumber(Argv[2], "OPTIONS", &Option)))
        return;
    if (All && Address) {
        DbgPrint("!lookaside: -all lists every list; give it no ADDRESS (or 0)\n");
        return;
    }
    if (Option == 2) {
        /* The depth follows the option: !lookaside ADDRESS 2 DEPTH. */
        if (Argc != 4) {
            DbgPrint("!lookaside: option 2 needs the new DEPTH: !lookaside ADDRESS 2 DEPTH\n");
            return;
        }
        if (!KdParseNumber(Argv[3], "DEPTH", &Depth))
            return;
        if (Depth < LOOKASIDE_MINIMUM_DEPTH || Depth > LOOKASIDE_MAXIMUM_DEPTH) {
            DbgPrint("!lookaside: DEPTH %x is outside %x..%x\n", Depth, LOOKASIDE_MINIMUM_DEPTH,
                     LOOKASIDE_MAXIMUM_DEPTH);
            return;
        }
    } else if (Argc == 4) {
        DbgPrint("!lookaside: unexpected argument '%s' (a DEPTH follows option 2 only)\n", Argv[3]);
        return;
    }
    if (Option > 2) {
        DbgPrint("!lookaside: OPTIONS %x: 0 shows, 1 resets the counters, 2 sets the depth\n", Option);
        return;
    }
    if (!Address && Option) {
        DbgPrint("!lookaside: options 1 and 2 change one list: give its ADDRESS\n");
        return;
    }
    if (ExpSnapshotLookasideLists(KdLookaside, ARRAY_SIZE(KdLookaside), &Total) == STATUS_DEVICE_BUSY) {
        DbgPrint("!lookaside: the stopped code holds the lookaside lists' lock; they are not read\n");
        return;
    }
    ULONG Listed = MIN(Total, ARRAY_SIZE(KdLookaside));
    if (Address) {
        for (ULONG i = 0; i < Listed; i++) {
            if ((ULONG)KdLookaside[i].Address != Address)
                continue;
            if (Option == 1) {
                PGENERAL_LOOKASIDE L = KdLookaside[i].Address;
                L->TotalAllocates = L->AllocateMisses = L->TotalFrees = L->FreeMisses = 0;
                DbgPrint("counters of the lookaside list at %08x reset\n", Address);
            } else if (Option == 2) {
                KdLookaside[i].Address->Depth = (USHORT)Depth;
                DbgPrint("depth of the lookaside list at %08x set to %u\n", Address, Depth);
            } else {
                KdPrintLookaside(&KdLookaside[i]);
            }
            return;
        }
        DbgPrint("!lookaside: %08x is no lookaside list the kernel knows (!lookaside -all lists them)\n", Address);
        return;
    }
    DbgPrint("%-10s %-9s %-4s %5s %4s %4s %10s %8s %10s %8s %4s\n", "Lookaside", "Pool", "Tag", "Size", "Now",
             "Max", "Allocates", "Misses", "Frees", "Misses", "Hit");
    ULONG Shown = 0;
    for (ULONG i = 0; i < Listed; i++) {
        const GENERAL_LOOKASIDE *L = &KdLookaside[i].List;
        char Tag[5];
        if (!All && (!KdLookaside[i].PoolOwn || L->TotalAllocates + L->TotalFrees == 0))
            continue;
        RtlTagToString(L->Tag, Tag);
        DbgPrint("%08x   %-9s %-4s %5u %4u %4u %10u %8u %10u %8u %3u%%\n", (ULONG)KdLookaside[i].Address,
                 (L->Type & BASE_POOL_TYPE_MASK) == PagedPool ? "Paged" : "NonPaged", L->Tag ? Tag : "-",
                 L->Size, KdLookaside[i].CurrentDepth, L->Depth, L->TotalAllocates, L->AllocateMisses,
                 L->TotalFrees, L->FreeMisses, KdHitRate(L->TotalAllocates, L->AllocateMisses));
        Shown++;
    }
    if (Total > Listed)
        DbgPrint("... and %u more lists\n", Total - Listed);
    DbgPrint("%u of %u lookaside lists shown%s\n", Shown, Total,
             All ? "" : " (the pool's own that have been used; -all shows every list)");
}

#define KD_POOL_ALLOC_USAGE "alloc TAG SIZE [paged]"
#define KD_POOL_FREE_USAGE  "free VA [TAG]"

/*
 * A pool tag typed at the prompt: one to four characters (the prompt's
 * words hold printable characters only), padded with blanks as NT's 'Mdl '
 * is. Says what is wrong and returns false otherwise.
 */
static bool KdParseTag(const char *Text, ULONG *Tag)
{
    size_t Length = strlen(Text);
    UCHAR c[4] = { ' ', ' ', ' ', ' ' };

    if (Length > 4) {
        DbgPrint("pool: TAG '%s' is %u characters; a pool tag has 1 to 4\n", Text, (ULONG)Length);
        return false;
    }
    memcpy(c, Text, Length);
    *Tag = MAKE_TAG(c[0], c[1], c[2], c[3]);
    return true;
}

static void KdPoolAllocate(int Argc, char **Argv)
{
    ULONG Tag, Size;
    POOL_TYPE PoolType = NonPagedPool;

    if (!KdCheckArguments(Argc, Argv, 3, 4, KD_POOL_ALLOC_USAGE) || !KdParseTag(Argv[2], &Tag) ||
        !KdParseNumber(Argv[3], "SIZE", &Size))
        return;
    if (Argc == 5) {
        if (strcmp(Argv[4], "paged") != 0) {
            DbgPrint("pool alloc: '%s' is not 'paged' (the pool is nonpaged unless it says paged)\n", Argv[4]);
            return;
        }
        PoolType = PagedPool;
    }
    PVOID P = ExAllocatePoolWithTag(PoolType, Size, Tag);
    char Name[5];
    RtlTagToString(Tag, Name);
    if (!P)
        DbgPrint("ExAllocatePoolWithTag(%s, 0x%x, '%s') returned NULL\n", KdPoolTypeName(PoolType), Size, Name);
    else
        DbgPrint("ExAllocatePoolWithTag(%s, 0x%x, '%s') = %08x\n", KdPoolTypeName(PoolType), Size, Name,
                 (ULONG)P);
}

static void KdPoolFree(int Argc, char **Argv)
{
    ULONG Va, Tag = 0;

    if (!KdCheckArguments(Argc, Argv, 2, 3, KD_POOL_FREE_USAGE) || !KdParseAddress(Argv[2], "VA", &Va) ||
        (Argc == 4 && !KdParseTag(Argv[3], &Tag)))
        return;
    /* No checks of our own: a bad free is the pool's to judge, and it stops the machine. */
    ExFreePoolWithTag((PVOID)Va, Tag);
    DbgPrint("ExFreePoolWithTag(%08x) done\n", Va);
}

KD_COMMAND_FLAGS(poolcmd, "pool", KD_POOL_ALLOC_USAGE " | " KD_POOL_FREE_USAGE,
                 "ExAllocatePoolWithTag, ExFreePoolWithTag from the prompt (SIZE in hex bytes)", KD_RUNNING_ONLY)
{
    if (Argc >= 2 && strcmp(Argv[1], "alloc") == 0)
        KdPoolAllocate(Argc, Argv);
    else if (Argc >= 2 && strcmp(Argv[1], "free") == 0)
        KdPoolFree(Argc, Argv);
    else {
        if (Argc < 2)
            DbgPrint("pool: alloc or free is missing\n");
        else
            DbgPrint("pool: '%s' is neither alloc nor free\n", Argv[1]);
        KdPrintUsage(KD_POOL_ALLOC_USAGE " | " KD_POOL_FREE_USAGE);
    }
}
