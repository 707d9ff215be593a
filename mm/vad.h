/*
 * mm/vad.h — virtual address descriptors: what mm/vad.c offers the rest of mm/.
 *
 * A VAD describes one reservation of the user range: its first and last
 * virtual page number, how it was made (private memory from
 * NtAllocateVirtualMemory, or a mapping of locked pages, later a section
 * view), the protection it was reserved with and how many of its pages are
 * charged as committed. NT has two sizes: MMVAD_SHORT for private memory
 * (pool tag 'VadS') and MMVAD with the section fields (tag 'Vad '). Both
 * begin with the fields of an MMADDRESS_NODE (include/mm.h), so the AVL
 * routines below work on either, and on the bare nodes the tests use.
 */
#ifndef MM386_MM_VAD_H
#define MM386_MM_VAD_H

#include <ps.h>
#include "pte.h"

#define MM_ALLOCATION_GRANULARITY   0x10000     /* reservations start on 64 KB */
#define MM_LOWEST_USER_ADDRESS      0x10000     /* the first 64 KB are never handed out */
#define MM_MAXIMUM_ZERO_BITS        21          /* NT's x86 limit for ZeroBits */

#define MM_VAD_TAG          MAKE_TAG('V', 'a', 'd', ' ')    /* MMVAD */
#define MM_VAD_SHORT_TAG    MAKE_TAG('V', 'a', 'd', 'S')    /* MMVAD_SHORT */

/* NT's VadType values (MMVAD_FLAGS.VadType). mm386 makes VadNone, VadDevicePhysicalMemory, VadImageMap. */
typedef enum _MI_VAD_TYPE {
    VadNone,                    /* private memory or a view of a data section */
    VadDevicePhysicalMemory,    /* locked pages mapped by MmMapLockedPagesSpecifyCache(UserMode) */
    VadImageMap,                /* a view of an image section */
    VadAwe,
    VadWriteWatch,
    VadLargePages,
    VadRotatePhysical,
    VadLargePageSection,
} MI_VAD_TYPE;

/*
 * NT's MMVAD_FLAGS less its 19-bit CommitCharge, which mm386 keeps as a
 * whole word beside it (a 3 GB user range can commit more than 2^19 pages
 * in one VAD).
 */
typedef struct _MMVAD_FLAGS {
    ULONG NoChange : 1;
    ULONG VadType : 3;          /* MI_VAD_TYPE */
    ULONG MemCommit : 1;        /* committed whole when reserved: no PTE until touched */
    ULONG Protection : 5;       /* MM_* protection it was reserved with */
    ULONG PrivateMemory : 1;    /* private (NtAllocateVirtualMemory), not a section view */
    ULONG LongVad : 1;          /* mm386's: an MMVAD ('Vad '), not an MMVAD_SHORT ('VadS') */
    ULONG Spare : 20;
} MMVAD_FLAGS;

/* The fields an MMADDRESS_NODE has, in its order, then the VAD's own. */
#define MI_VAD_NODE_FIELDS                                                      \
    union {                                                                     \
        LONG Balance : 2;                                                       \
        struct _MMVAD *Parent;                                                  \
    } u1;                                                                       \
    struct _MMVAD *LeftChild;                                                   \
    struct _MMVAD *RightChild;                                                  \
    ULONG_PTR StartingVpn;                                                      \
    ULONG_PTR EndingVpn;                                                        \
    union {                                                                     \
        ULONG_PTR LongFlags;                                                    \
        MMVAD_FLAGS VadFlags;                                                   \
    } u;                                                                        \
    ULONG_PTR CommitCharge;     /* pages of this VAD charged as committed */

typedef struct _MMVAD_SHORT {
    MI_VAD_NODE_FIELDS
} MMVAD_SHORT, *PMMVAD_SHORT;

/* NT's MMVAD_FLAGS2, the part a view uses. */
typedef struct _MMVAD_FLAGS2 {
    ULONG SecNoChange : 1;      /* a SEC_NO_CHANGE section's view: its protection cannot change */
    ULONG Inherit : 1;          /* ViewShare: a child process would get the view too (no fork yet) */
    ULONG CopyOnWrite : 1;      /* mapped write-copy: every page's copy was charged at map time */
    ULONG Spare : 29;
} MMVAD_FLAGS2;

struct _CONTROL_AREA;
typedef struct _MMVAD {
    MI_VAD_NODE_FIELDS
    struct _CONTROL_AREA *ControlArea;      /* a section view's control area (mm/section.h) */
    PMMPTE FirstPrototypePte;               /* the view's first page's prototype PTE */
    PMMPTE LastContiguousPte;               /* its last page's */
    union {
        ULONG LongFlags2;
        MMVAD_FLAGS2 VadFlags2;
    } u2;
    /*
     * mm386's: a view page's own protection, where NtProtectVirtualMemory
     * or a commit changed it from the view's (one byte per page; NULL while
     * none did). NT keeps it in the page's working-set list entry, which
     * mm386 does not have (mm/viewprot.c).
     */
    UCHAR *PageProtection;
} MMVAD, *PMMVAD;

_Static_assert(offsetof(MMVAD_SHORT, StartingVpn) == offsetof(MMADDRESS_NODE, StartingVpn) &&
               offsetof(MMVAD_SHORT, EndingVpn) == offsetof(MMADDRESS_NODE, EndingVpn) &&
               offsetof(MMVAD_SHORT, RightChild) == offsetof(MMADDRESS_NODE, RightChild),
               "a VAD begins with an MMADDRESS_NODE");

#define MI_VA_TO_VPN(va)        ((ULONG_PTR)(va) >> PAGE_SHIFT)
#define MI_VPN_TO_VA(vpn)       ((PVOID)((vpn) << PAGE_SHIFT))
#define MI_VPN_TO_VA_ENDING(vpn) ((PVOID)(((vpn) << PAGE_SHIFT) | (PAGE_SIZE - 1)))

/*
 * The highest address a VAD may cover in Process: 64 KB below its highest
 * user address (MmHighestUserAddress if the process is large address
 * aware, else 0x7FFEFFFF: NT's rule under /3GB).
 */
#define MM_HIGHEST_USER_ADDRESS_2GB (MM_SYSTEM_RANGE_START_2GB - MM_USER_PROBE_GAP - 1)   /* 0x7FFEFFFF */

static inline ULONG MiHighestUserAddress(const EPROCESS *Process)
{
    ULONG Highest = (ULONG)MmHighestUserAddress;
    return Process->LargeAddressAware ? Highest : MIN(Highest, (ULONG)MM_HIGHEST_USER_ADDRESS_2GB);
}

static inline ULONG MiHighestVadAddress(const EPROCESS *Process)
{
    return MiHighestUserAddress(Process) - MM_ALLOCATION_GRANULARITY;
}

/* ----------------------------------------------------------- the AVL tree */

/* Inserts Node (its range must not overlap any node's) and rebalances. */
void MiInsertNode(PMMADDRESS_NODE Node, PMM_AVL_TABLE Table);
/* Removes Node and rebalances; clears the hint if it named Node. */
void MiRemoveNode(PMMADDRESS_NODE Node, PMM_AVL_TABLE Table);
/* The node whose range holds Vpn, or NULL; starts from the hint and leaves it at what it found. */
PMMADDRESS_NODE MiLocateAddressInTree(ULONG_PTR Vpn, PMM_AVL_TABLE Table);
/* The node holding Vpn, else the lowest node above it, else NULL; *Contains says which. */
PMMADDRESS_NODE MiLocateAddressOrNextInTree(ULONG_PTR Vpn, PMM_AVL_TABLE Table, bool *Contains);
/* The lowest node overlapping [StartVpn, EndVpn], or NULL. */
PMMADDRESS_NODE MiCheckForConflictingNode(ULONG_PTR StartVpn, ULONG_PTR EndVpn, PMM_AVL_TABLE Table);
/* In-order walk: the first and last nodes, and each node's neighbours (NULL past the ends). */
PMMADDRESS_NODE MiGetFirstNode(PMM_AVL_TABLE Table);
PMMADDRESS_NODE MiGetLastNode(PMM_AVL_TABLE Table);
PMMADDRESS_NODE MiGetNextNode(PMMADDRESS_NODE Node);
PMMADDRESS_NODE MiGetPreviousNode(PMMADDRESS_NODE Node);
/* The node's parent (the sentinel for the root) and balance (-1, 0, +1). */
static inline PMMADDRESS_NODE MiParentNode(const MMADDRESS_NODE *Node)
{
    return (PMMADDRESS_NODE)((ULONG_PTR)Node->u1.Parent & ~(ULONG_PTR)3);
}
static inline LONG MiNodeBalance(const MMADDRESS_NODE *Node)
{
    return Node->u1.Balance;
}
static inline PMMADDRESS_NODE MiTreeRoot(const MM_AVL_TABLE *Table)
{
    return Table->BalancedRoot.RightChild;
}

/*
 * First fit for SizeInPages pages starting on a multiple of AlignmentPages,
 * between LowestVpn and HighestVpn inclusive: bottom-up takes the lowest
 * such range, top-down the highest. Returns the first VPN in *Vpn and
 * STATUS_SUCCESS, or STATUS_NO_MEMORY if none fits.
 */
NTSTATUS MiFindEmptyAddressRangeInTree(ULONG SizeInPages, ULONG AlignmentPages, ULONG_PTR LowestVpn,
                                       ULONG_PTR HighestVpn, PMM_AVL_TABLE Table, ULONG_PTR *Vpn);
NTSTATUS MiFindEmptyAddressRangeDownTree(ULONG SizeInPages, ULONG AlignmentPages, ULONG_PTR LowestVpn,
                                         ULONG_PTR HighestVpn, PMM_AVL_TABLE Table, ULONG_PTR *Vpn);

/* ------------------------------------------------------- VADs of a process */

/*
 * Process-level forms. Changes to the tree, and to a VAD's range, are
 * made holding both the process's address creation lock and its working
 * set mutex, so either one is enough to walk it (the fault handler and
 * NtQueryVirtualMemory hold the mutex alone).
 */
static inline void MiInsertVad(PMMVAD Vad, PEPROCESS Process)
{
    MiInsertNode((PMMADDRESS_NODE)Vad, &Process->VadRoot);
}
static inline void MiRemoveVad(PMMVAD Vad, PEPROCESS Process)
{
    MiRemoveNode((PMMADDRESS_NODE)Vad, &Process->VadRoot);
}
static inline PMMVAD MiLocateAddress(PVOID Va, PEPROCESS Process)
{
    return (PMMVAD)MiLocateAddressInTree(MI_VA_TO_VPN(Va), &Process->VadRoot);
}
static inline PMMVAD MiCheckForConflictingVad(PVOID StartVa, PVOID EndVa, PEPROCESS Process)
{
    return (PMMVAD)MiCheckForConflictingNode(MI_VA_TO_VPN(StartVa), MI_VA_TO_VPN(EndVa), &Process->VadRoot);
}
static inline PMMVAD MiGetNextVad(PMMVAD Vad)
{
    return (PMMVAD)MiGetNextNode((PMMADDRESS_NODE)Vad);
}
static inline PMMVAD MiGetPreviousVad(PMMVAD Vad)
{
    return (PMMVAD)MiGetPreviousNode((PMMADDRESS_NODE)Vad);
}
static inline PMMVAD MiGetFirstVad(PEPROCESS Process)
{
    return (PMMVAD)MiGetFirstNode(&Process->VadRoot);
}

/*
 * A VAD from nonpaged pool: an MMVAD_SHORT ('VadS') when Long is false, an
 * MMVAD ('Vad ') when true; zeroed. NULL when the pool is exhausted.
 * MiFreeVad returns it with the tag it was allocated with.
 */
PMMVAD MiAllocateVad(bool Long);
void MiFreeVad(PMMVAD Vad);

/*
 * Finds room for a reservation of Size bytes (a multiple of the page) in
 * Process: 64 KB aligned, at or above MM_LOWEST_USER_ADDRESS, ending at or
 * below HighestAddress, bottom-up or (TopDown) top-down. STATUS_NO_MEMORY
 * if none fits. Address creation lock held.
 */
NTSTATUS MiFindEmptyAddressRange(PEPROCESS Process, SIZE_T Size, ULONG HighestAddress, bool TopDown,
                                 PVOID *Base);

#endif
