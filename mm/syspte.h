/*
 * mm/syspte.h — what the system PTE pool's two files share: the allocator
 * (syspte.c) and its queries for !sysptes, !vm, the gdb extension, the
 * tests and the leak guard (sysptinfo.c). The mechanism is described at the
 * top of syspte.c.
 */
#ifndef MM386_MM_SYSPTE_H
#define MM386_MM_SYSPTE_H

#include "mi.h"

#define MI_PTE_BINS             5       /* cached sizes 1, 2, 4, 8, 16 */
#define MI_PTE_BIN_LIMIT        16      /* the largest cached size (NT's MM_PTE_TABLE_LIMIT) */
#define MI_PTE_BIN_REFILL       32      /* runs cut from the free list at once */
#define MI_PTE_BIN_MAXIMUM      64      /* runs a cache keeps (usable + waiting) */
#define MI_WAITING_PTE_LIMIT    1024    /* waiting-list PTEs that force a flush */

/* Map capacity: NT's largest base pool, and 1 GB of extension (more than any split leaves). */
#define MI_MAXIMUM_BASE_SYSTEM_PTES     16384
#define MI_MAXIMUM_EXTRA_SYSTEM_PTES    ((PTE_BASE - MM_SYSTEM_RANGE_START_2GB) >> PAGE_SHIFT)
#define MI_NO_BIT                       0xFFFFFFFF

extern const ULONG MiBinSize[MI_PTE_BINS];

/*
 * The reservation map: bit 2i of word w marks PTE 16w + i as the first of
 * a reservation, bit 2i + 1 as the last (a one-PTE reservation has both).
 */
#define MI_MAP_PTES_PER_WORD    16
#define MI_MAP_START_BITS       0x55555555u
#define MI_MAP_END_BITS         0xAAAAAAAAu

/* A stretch of system PTEs in the pool, with its reservation map. */
typedef struct _MI_PTE_REGION {
    PMMPTE First;
    PMMPTE End;                 /* one past the last PTE in the pool (the extension grows it) */
    PMMPTE Limit;               /* one past the last PTE the region may ever hold */
    ULONG *Map;
} MI_PTE_REGION;

/*
 * One cache: the runs of its size ready to hand out (Usable) and those
 * released since the last TLB flush (Waiting), each an SLIST whose entries
 * are the runs' first PTEs (syspte.c); and the constants its fast paths
 * need. The two depths together are the runs the cache holds, a bound
 * checked without the lock.
 */
typedef struct _MI_PTE_BIN {
    SLIST_HEADER Usable;
    SLIST_HEADER Waiting;
    ULONG Size;                 /* PTEs in each run: MiBinSize[] of this bin */
    ULONG Mark;                 /* a run's map bits, start and end, for a run at slot 0 of a map word */
    ULONG Span;                 /* every map bit a run covers, at slot 0 */
} MI_PTE_BIN;

extern MMPTE MmFirstFreeSystemPte;      /* NextEntry: the first free run */
extern MMPTE MiWaitingPtes;             /* NextEntry: the first waiting run of an uncached size */
extern ULONG MiWaitingListPtes;         /* PTEs on that list */
extern ULONG MiSystemPteFlushes, MiSystemPteFailures;
extern MI_PTE_BIN MiPteBins[MI_PTE_BINS];
extern KSPIN_LOCK MiSystemPteLock;
extern MI_PTE_REGION MiBaseRegion, MiExtraRegion;

/* A list link is a PTE's index: its VA >> 12 (NT's offset from MmSystemPteBase). */
static inline PMMPTE MiIndexToPte(ULONG Index)
{
    return (PMMPTE)PTE_BASE + Index;
}

static inline ULONG MiPteToIndex(const MMPTE *Pte)
{
    return (ULONG)(Pte - (PMMPTE)PTE_BASE);
}

static inline ULONG MiRunSize(const MMPTE *Run)
{
    return Run->u.List.OneEntry ? 1 : Run[1].u.List.NextEntry;
}

/* The region Pte is in the pool of, or NULL. Pure arithmetic: touches no PTE. */
static inline MI_PTE_REGION *MiRegionOf(const MMPTE *Pte)
{
    if (Pte >= MiBaseRegion.First && Pte < MiBaseRegion.End)
        return &MiBaseRegion;
    if (Pte >= MiExtraRegion.First && Pte < MiExtraRegion.End)
        return &MiExtraRegion;
    return NULL;
}

/* The first PTE at or after From, below Limit, whose start (Kind = MI_MAP_START_BITS) or end bit is set; Limit if none. */
ULONG MiMapFindNext(const ULONG *Map, ULONG Kind, ULONG From, ULONG Limit);
/* PTEs the caches hold, usable or waiting. */
ULONG MiCachedPtes(void);

#endif
