/*
 * mm/kdpool.c — the executive pools seen from the kd> prompt: !poolused,
 * !pool, and `pool`, which allocates and frees a block for the learner.
 *
 * !poolused prints the tag table (pooltag.c's ExpPrintPoolTagTable, the
 * same table the test harness's leak guard reads). !pool VA shows the pool
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

KD_COMMAND(poolused, "!poolused", "", "the pool tag table: live allocations and bytes per tag, largest first")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    ExpPrintPoolTagTable();
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
