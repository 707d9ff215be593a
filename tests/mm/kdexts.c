/*
 * tests/mm/kdexts.c — !pte's decoding of every PTE format, as a table.
 *
 * Each row is a PTE (and where it lives, when that matters) with the lines
 * !pte prints for it. The running system has few formats to show (no
 * paging file, no sections yet), so the table is where transition,
 * prototype and paging-file PTEs are pinned down. tools/gdbsession.py runs
 * the gdb extension's decoder over this same table, read from the kernel
 * image, so the two decoders cannot drift apart.
 */
#include <ktest.h>
#include "mm/mi.h"

typedef struct _MI_PTE_FORMAT_EXAMPLE {
    ULONG PointerPte;           /* where the entry lives; 0 for an ordinary PTE */
    ULONG Pte;
    const char *Lines[MI_PTE_DESCRIPTION_LINES];
} MI_PTE_FORMAT_EXAMPLE;

const MI_PTE_FORMAT_EXAMPLE MiPteFormatExamples[] = {
    /* Valid: the frame and WinDbg's flags. */
    { 0, 0x00103021, { "pfn 103       ----A--KREV" } },              /* kernel text */
    { 0, 0x004001E3, { "pfn 400       -GLDA--KWEV" } },              /* a 4 MB global page */
    { 0, 0x00200017, { "pfn 200       -----N-UWEV" } },              /* user, uncached */
    /* Not valid: NT's software formats. */
    { 0, 0x00000000, { "not valid" } },
    { 0, 0x00000080, { "not valid", "DemandZero", "Protect: 4 - ReadWrite" } },
    { 0, 0x00123880, { "not valid", "Transition: 123", "Protect: 4 - ReadWrite" } },
    { 0, 0x02345022, { "not valid", "PageFile:  1", "Offset: 2345", "Protect: 1 - ReadOnly" } },
    { 0, 0x00002C06, { "not valid", "Proto: E1000A0C" } },           /* MmPagedPoolStart + 0xA0C */
    { 0, 0x00000200, { "not valid", "Protect: 10 - Decommitted" } },
    { 0, 0x00000280, { "not valid", "DemandZero", "Protect: 14 - Guard ReadWrite" } },
    { 0, 0x00000300, { "not valid", "Protect: 18 - NoAccess" } },
    { 0, 0x00000320, { "not valid", "DemandZero", "Protect: 19 - WriteCombine ReadOnly" } },
    { 0, 0x00000120, { "not valid", "DemandZero", "Protect: 9 - NoCache ReadOnly" } },
    { 0, 0x00456B00, { "not valid", "Transition: 456", "Protect: 18 - NoAccess" } },   /* a user page made no-access */
    /* PTE 0 of hyperspace is the mapping-slot counter, never a mapping. */
    { PTE_BASE + (HYPER_SPACE >> PAGE_SHIFT) * 4, 0x000FF000,
      { "not valid", "HyperSpace counter: 255", "free mapping PTEs" } },
};

/* Each format prints what WinDbg's !pte prints for it; a wrong bit position would show here. */
KTEST(kdexts, pte_formats_decode_as_windbg_shows_them)
{
    for (ULONG i = 0; i < ARRAY_SIZE(MiPteFormatExamples); i++) {
        const MI_PTE_FORMAT_EXAMPLE *e = &MiPteFormatExamples[i];
        char Lines[MI_PTE_DESCRIPTION_LINES][MI_PTE_DESCRIPTION_LENGTH];
        MMPTE Pte = { .u.Long = e->Pte };
        ULONG Expected = 0;
        while (Expected < MI_PTE_DESCRIPTION_LINES && e->Lines[Expected])
            Expected++;
        ULONG n = MiDescribePte(Lines, (PMMPTE)e->PointerPte, Pte);
        EXPECT_EQ(n, Expected);
        for (ULONG j = 0; j < MIN(n, Expected); j++)
            EXPECT_STREQ(Lines[j], e->Lines[j]);
    }
}
