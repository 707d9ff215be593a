/*
 * tests/mm/vad.c — the VAD tree (mm/vad.c): AVL invariants under random
 * inserts and removals checked against a model, lookups with the hint, the
 * first-fit search for free space bottom-up and top-down against a model,
 * and the pool VADs come from.
 */
#include <ktest.h>
#include <pool.h>
#include "../../mm/mi.h"
#include "../../mm/vad.h"
#include "../testlib.h"

static ULONG RandomState;

static ULONG Random(void)
{
    RandomState = RandomState * 1103515245u + 12345u;
    return RandomState >> 8;
}

/*
 * The model: slot i of SLOTS may hold a node covering pages
 * [i * SLOT_PAGES, i * SLOT_PAGES + Length[i] - 1]; Present[i] says whether
 * it is in the tree. Slots never overlap, as VADs never do.
 */
#define SLOTS       600
#define SLOT_PAGES  8
static MMADDRESS_NODE Nodes[SLOTS];
static bool Present[SLOTS];
static ULONG Length[SLOTS];
static MM_AVL_TABLE Table;

static void ResetModel(ULONG Seed)
{
    RandomState = Seed;
    memset(Nodes, 0, sizeof(Nodes));
    memset(Present, 0, sizeof(Present));
    memset(&Table, 0, sizeof(Table));
    for (ULONG i = 0; i < SLOTS; i++) {
        Length[i] = 1 + Random() % SLOT_PAGES;
        Nodes[i].StartingVpn = i * SLOT_PAGES;
        Nodes[i].EndingVpn = i * SLOT_PAGES + Length[i] - 1;
    }
}

/*
 * Checks the subtree at Node against the AVL rules, independently of how
 * vad.c keeps them: every parent link points back, keys lie strictly
 * between Low and High, each balance is the height difference of the two
 * subtrees and at most one. Returns the height, or -1 after reporting.
 */
static int CheckSubtree(KTEST_CONTEXT *t, PMMADDRESS_NODE Node, PMMADDRESS_NODE Parent, LONG Low, LONG High,
                        ULONG *Count)
{
    if (!Node)
        return 0;
    (*Count)++;
    if (MiParentNode(Node) != Parent) {
        KtestFail(t, __FILE__, __LINE__, "node %x: parent link wrong", Node->StartingVpn);
        return -1;
    }
    if ((LONG)Node->StartingVpn <= Low || (LONG)Node->EndingVpn >= High || Node->EndingVpn < Node->StartingVpn) {
        KtestFail(t, __FILE__, __LINE__, "node %x-%x out of order (%d, %d)", Node->StartingVpn, Node->EndingVpn,
                  Low, High);
        return -1;
    }
    int Left = CheckSubtree(t, Node->LeftChild, Node, Low, (LONG)Node->StartingVpn, Count);
    int Right = CheckSubtree(t, Node->RightChild, Node, (LONG)Node->EndingVpn, High, Count);
    if (Left < 0 || Right < 0)
        return -1;
    if (MiNodeBalance(Node) != Right - Left || Right - Left > 1 || Left - Right > 1) {
        KtestFail(t, __FILE__, __LINE__, "node %x: balance %d, heights left %d right %d", Node->StartingVpn,
                  MiNodeBalance(Node), Left, Right);
        return -1;
    }
    return 1 + MAX(Left, Right);
}

/* The whole tree against the rules and the model, both in-order walks included. */
static bool CheckTree(KTEST_CONTEXT *t)
{
    ULONG Count = 0, Expected = 0;
    if (CheckSubtree(t, MiTreeRoot(&Table), &Table.BalancedRoot, -1, 0x7FFFFFFF, &Count) < 0)
        return false;
    for (ULONG i = 0; i < SLOTS; i++)
        Expected += Present[i];
    EXPECT_EQ(Count, Expected);
    EXPECT_EQ(Table.NumberGenericTableElements, Expected);

    PMMADDRESS_NODE Node = MiGetFirstNode(&Table);
    for (ULONG i = 0; i < SLOTS; i++) {
        if (!Present[i])
            continue;
        if (Node != &Nodes[i]) {
            KtestFail(t, __FILE__, __LINE__, "in-order walk: expected slot %u, got %p", i, Node);
            return false;
        }
        Node = MiGetNextNode(Node);
    }
    EXPECT_NULL(Node);
    Node = MiGetLastNode(&Table);
    for (LONG i = SLOTS - 1; i >= 0; i--) {
        if (!Present[i])
            continue;
        if (Node != &Nodes[i]) {
            KtestFail(t, __FILE__, __LINE__, "reverse walk: expected slot %d, got %p", i, Node);
            return false;
        }
        Node = MiGetPreviousNode(Node);
    }
    EXPECT_NULL(Node);
    return !t->Failed;
}

/* The model's answer to "which node holds Vpn". */
static PMMADDRESS_NODE ModelLookup(ULONG Vpn)
{
    ULONG i = Vpn / SLOT_PAGES;
    if (i < SLOTS && Present[i] && Vpn <= Nodes[i].EndingVpn)
        return &Nodes[i];
    return NULL;
}

/* The model's lowest node overlapping [Start, End]: only the slots the range reaches can hold one. */
static PMMADDRESS_NODE ModelConflict(ULONG Start, ULONG End)
{
    for (ULONG i = Start / SLOT_PAGES; i < SLOTS && i <= End / SLOT_PAGES; i++) {
        if (Present[i] && Nodes[i].StartingVpn <= End && Nodes[i].EndingVpn >= Start)
            return &Nodes[i];
    }
    return NULL;
}

/*
 * 6,000 random inserts and removals (inserts favoured until the tree is
 * large, then removals), the AVL rules and the model checked after each,
 * with random lookups and conflict checks between. Fails if a rotation
 * breaks a balance or a link, if a removal loses or keeps the wrong node.
 */
KTEST(vad, avl_random_insert_remove_keeps_invariants)
{
    const ULONG Seed = 0x5EED0011;
    DbgPrint("    # seed %08x\n", Seed);
    ResetModel(Seed);
    for (ULONG Op = 0; Op < 6000 && !t->Failed; Op++) {
        ULONG i = Random() % SLOTS;
        bool Grow = (Op / 1500) % 2 == 0;
        if (!Present[i] && (Grow || Random() % 3 == 0)) {
            MiInsertNode(&Nodes[i], &Table);
            Present[i] = true;
        } else if (Present[i] && (!Grow || Random() % 3 == 0)) {
            MiRemoveNode(&Nodes[i], &Table);
            Present[i] = false;
        }
        ASSERT_TRUE(CheckTree(t));
        for (ULONG k = 0; k < 4; k++) {
            ULONG Vpn = Random() % (SLOTS * SLOT_PAGES + 16);
            EXPECT_EQ(MiLocateAddressInTree(Vpn, &Table), ModelLookup(Vpn));
            ULONG End = Vpn + Random() % 40;
            EXPECT_EQ(MiCheckForConflictingNode(Vpn, End, &Table), ModelConflict(Vpn, End));
        }
    }
}

/*
 * Ascending and descending inserts are the worst case for an unbalanced
 * tree: an AVL tree of 511 nodes built either way is 9 levels deep.
 */
KTEST(vad, avl_sorted_inserts_stay_logarithmic)
{
    for (int Pass = 0; Pass < 2; Pass++) {
        ResetModel(1);
        for (ULONG n = 0; n < 511; n++) {
            ULONG i = Pass == 0 ? n : 510 - n;
            MiInsertNode(&Nodes[i], &Table);
            Present[i] = true;
        }
        ULONG Count = 0;
        int Height = CheckSubtree(t, MiTreeRoot(&Table), &Table.BalancedRoot, -1, 0x7FFFFFFF, &Count);
        EXPECT_EQ(Count, 511);
        EXPECT_EQ(Height, 9);
        for (ULONG i = 0; i < 511; i += 2) {
            MiRemoveNode(&Nodes[i], &Table);
            Present[i] = false;
        }
        EXPECT_TRUE(CheckTree(t));
    }
}

/* A lookup leaves the hint at what it found; the next lookup in that node is answered from the hint. */
KTEST(vad, lookup_uses_and_sets_the_hint)
{
    ResetModel(2);
    for (ULONG i = 0; i < 64; i++) {
        MiInsertNode(&Nodes[i], &Table);
        Present[i] = true;
    }
    EXPECT_NULL(Table.NodeHint);
    EXPECT_EQ(MiLocateAddressInTree(Nodes[37].StartingVpn, &Table), &Nodes[37]);
    EXPECT_EQ(Table.NodeHint, &Nodes[37]);
    /* Take node 37 out of the tree behind vad.c's back: only the hint can still find it. */
    PMMADDRESS_NODE Saved = Table.BalancedRoot.RightChild;
    Table.BalancedRoot.RightChild = NULL;
    EXPECT_EQ(MiLocateAddressInTree(Nodes[37].EndingVpn, &Table), &Nodes[37]);
    EXPECT_NULL(MiLocateAddressInTree(Nodes[12].StartingVpn, &Table));
    Table.BalancedRoot.RightChild = Saved;
    /* A miss leaves the hint alone; removing the hinted node clears it. */
    EXPECT_NULL(MiLocateAddressInTree(Nodes[63].EndingVpn + 1000, &Table));
    EXPECT_EQ(Table.NodeHint, &Nodes[37]);
    MiRemoveNode(&Nodes[37], &Table);
    Present[37] = false;
    EXPECT_NULL(Table.NodeHint);
    EXPECT_NULL(MiLocateAddressInTree(Nodes[37].StartingVpn, &Table));
    EXPECT_TRUE(CheckTree(t));
}

/*
 * The model's first fit: every aligned start from Lowest upwards (or from
 * Highest downwards), the first whose Size pages are all free and inside
 * the bounds.
 */
static bool ModelRangeFree(ULONG Start, ULONG Size)
{
    return ModelConflict(Start, Start + Size - 1) == NULL;
}

static bool ModelFindUp(ULONG Size, ULONG Align, ULONG Lowest, ULONG Highest, ULONG *Vpn)
{
    for (ULONG Start = ROUND_UP(Lowest, Align); Start + Size - 1 <= Highest; Start += Align) {
        if (ModelRangeFree(Start, Size)) {
            *Vpn = Start;
            return true;
        }
    }
    return false;
}

static bool ModelFindDown(ULONG Size, ULONG Align, ULONG Lowest, ULONG Highest, ULONG *Vpn)
{
    if (Highest + 1 < Size)
        return false;
    for (LONG Start = (LONG)ROUND_DOWN(Highest + 1 - Size, Align); Start >= (LONG)Lowest; Start -= Align) {
        if (ModelRangeFree(Start, Size)) {
            *Vpn = Start;
            return true;
        }
    }
    return false;
}

/*
 * Random trees, random sizes, alignments and bounds: both searches give the
 * model's answer, success or failure. Fails on an off-by-one at a gap's
 * edge, a bound or an alignment.
 */
KTEST(vad, free_space_search_matches_model)
{
    const ULONG Seed = 0xF1257F17;
    static const ULONG Alignments[] = { 1, 2, 4, 16 };
    DbgPrint("    # seed %08x\n", Seed);
    ResetModel(Seed);
    for (ULONG Round = 0; Round < 40 && !t->Failed; Round++) {
        /* A fresh tree, denser or sparser each round. */
        for (ULONG i = 0; i < SLOTS; i++) {
            bool Want = Random() % 10 < 2 + Round % 7;
            if (Want && !Present[i])
                MiInsertNode(&Nodes[i], &Table);
            else if (!Want && Present[i])
                MiRemoveNode(&Nodes[i], &Table);
            Present[i] = Want;
        }
        for (ULONG k = 0; k < 100; k++) {
            ULONG Size = 1 + (Random() % 4 == 0 ? Random() % 200 : Random() % 12);
            ULONG Align = Alignments[Random() % ARRAY_SIZE(Alignments)];
            ULONG Lowest = Random() % 300;
            ULONG Highest = Lowest + Random() % (SLOTS * SLOT_PAGES + 100);
            ULONG Expected = 0, Got = 0;
            bool Found = ModelFindUp(Size, Align, Lowest, Highest, &Expected);
            NTSTATUS Status = MiFindEmptyAddressRangeInTree(Size, Align, Lowest, Highest, &Table, &Got);
            EXPECT_EQ(Status, Found ? STATUS_SUCCESS : STATUS_NO_MEMORY);
            if (Found && NT_SUCCESS(Status))
                EXPECT_EQ(Got, Expected);
            Found = ModelFindDown(Size, Align, Lowest, Highest, &Expected);
            Status = MiFindEmptyAddressRangeDownTree(Size, Align, Lowest, Highest, &Table, &Got);
            EXPECT_EQ(Status, Found ? STATUS_SUCCESS : STATUS_NO_MEMORY);
            if (Found && NT_SUCCESS(Status))
                EXPECT_EQ(Got, Expected);
        }
    }
}

/*
 * NT's placement in an empty user range: bottom-up starts at 64 KB (the
 * first 64 KB are never handed out), top-down ends 64 KB below
 * MmUserProbeAddress, both on the 64 KB granularity; a range that does not
 * fit below the highest address is STATUS_NO_MEMORY.
 */
KTEST(vad, placement_follows_nt_rules)
{
    static EPROCESS Process;
    PVOID Base;

    memset(&Process, 0, sizeof(Process));
    ULONG Highest = MiHighestVadAddress(&Process);
    EXPECT_EQ(Highest, 0x7FFDFFFF);
    ASSERT_EQ(MiFindEmptyAddressRange(&Process, PAGE_SIZE, Highest, false, &Base), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Base, 0x10000);
    ASSERT_EQ(MiFindEmptyAddressRange(&Process, 3 * PAGE_SIZE, Highest, true, &Base), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Base, 0x7FFD0000);
    /* Large address aware: up to 64 KB below MmUserProbeAddress, whatever the split. */
    Process.LargeAddressAware = TRUE;
    Highest = MiHighestVadAddress(&Process);
    EXPECT_EQ(Highest, (ULONG)MmUserProbeAddress - MM_ALLOCATION_GRANULARITY - 1);
    ASSERT_EQ(MiFindEmptyAddressRange(&Process, 0x20000, Highest, true, &Base), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Base, (ULONG)MmUserProbeAddress - 3 * MM_ALLOCATION_GRANULARITY);
    /* Only 2 pages between 64 KB and a highest address of 0x11FFF. */
    EXPECT_EQ(MiFindEmptyAddressRange(&Process, 3 * PAGE_SIZE, 0x11FFF, false, &Base), STATUS_NO_MEMORY);
    EXPECT_EQ(MiFindEmptyAddressRange(&Process, 3 * PAGE_SIZE, 0x11FFF, true, &Base), STATUS_NO_MEMORY);
    EXPECT_EQ(MiFindEmptyAddressRange(&Process, 2 * PAGE_SIZE, 0x11FFF, true, &Base), STATUS_SUCCESS);
    EXPECT_EQ((ULONG)Base, 0x10000);
}

/*
 * MiHighestUserAddress: a process that is not large address aware ends at
 * 0x7FFEFFFF whatever the split; one that is gets MmHighestUserAddress.
 */
KTEST(vad, highest_user_address_depends_on_large_address_awareness)
{
    static EPROCESS Process;
    memset(&Process, 0, sizeof(Process));
    EXPECT_EQ(MiHighestUserAddress(&Process), 0x7FFEFFFF);
    EXPECT_EQ(MiHighestVadAddress(&Process), 0x7FFDFFFF);
    Process.LargeAddressAware = TRUE;
    EXPECT_EQ(MiHighestUserAddress(&Process), (ULONG)MmHighestUserAddress);
    EXPECT_EQ(MiHighestUserAddress(&Process), (ULONG)MmSystemRangeStart - 0x10001);
}

/* Live allocations of Tag in nonpaged pool (0 if the tag was never used). */
static LONG LiveAllocations(ULONG Tag)
{
    SYSTEM_POOLTAG Info;
    if (!NT_SUCCESS(ExQueryPoolTagInformation(Tag, &Info)))
        return 0;
    return (LONG)(Info.NonPagedAllocs - Info.NonPagedFrees);
}

/* Short VADs are 'VadS' and long ones 'Vad ' in nonpaged pool, and both go back. */
KTEST(vad, vads_come_from_nonpaged_pool_with_nt_tags)
{
    LONG Short = LiveAllocations(MM_VAD_SHORT_TAG), Long = LiveAllocations(MM_VAD_TAG);
    PMMVAD A = MiAllocateVad(false), B = MiAllocateVad(true);
    ASSERT_NOT_NULL(A);
    ASSERT_NOT_NULL(B);
    EXPECT_EQ(LiveAllocations(MM_VAD_SHORT_TAG), Short + 1);
    EXPECT_EQ(LiveAllocations(MM_VAD_TAG), Long + 1);
    EXPECT_GE(TestTagBytes(MM_VAD_SHORT_TAG, NonPagedPool), sizeof(MMVAD_SHORT));
    EXPECT_GE(TestTagBytes(MM_VAD_TAG, NonPagedPool), sizeof(MMVAD));
    EXPECT_EQ(A->u.VadFlags.LongVad, 0);
    EXPECT_EQ(B->u.VadFlags.LongVad, 1);
    EXPECT_NULL(B->ControlArea);
    MiFreeVad(A);
    MiFreeVad(B);
    EXPECT_EQ(LiveAllocations(MM_VAD_SHORT_TAG), Short);
    EXPECT_EQ(LiveAllocations(MM_VAD_TAG), Long);
}
