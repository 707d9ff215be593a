/*
 * include/pool.h — the executive pools: NT's public pool and lookaside API.
 *
 * Kernel code allocates memory the way NT code does: ExAllocatePoolWithTag
 * with a pool type and a four-character tag, ExFreePoolWithTag with the
 * same tag. Nonpaged pool is resident and may be used up to DISPATCH_LEVEL;
 * paged pool may fault, so it is allocated, freed and touched only at
 * IRQL <= APC_LEVEL. Lookaside lists cache fixed-size entries in front of
 * the pool. The mechanism is described in docs/POOL.md; the code is in
 * mm/pool.c (blocks), mm/poolpage.c (pages), mm/pooltag.c (tags and big
 * pages), mm/lookasid.c (lookaside lists) and mm/specpool.c (special pool).
 */
#ifndef MM386_POOL_H
#define MM386_POOL_H

#include <ke.h>

typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,        /* refused: BAD_POOL_CALLER (0xC2, 0x9A) */
    DontUseThisType = 3,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
    NonPagedPoolCacheAlignedMustS = 6,  /* refused like NonPagedPoolMustSucceed */
    MaxPoolType = 7,
} POOL_TYPE;

#define BASE_POOL_TYPE_MASK             1   /* NonPagedPool or PagedPool */
#define MUST_SUCCEED_POOL_TYPE_MASK     2
#define CACHE_ALIGNED_POOL_TYPE_MASK    4

/* The processor cache line NonPagedPoolCacheAligned blocks start on. */
#define POOL_CACHE_ALIGNMENT            64

/*
 * Allocates NumberOfBytes from the pool PoolType and charges it to Tag.
 * Up to 4080 bytes the block carries an 8-byte header and is 8-byte
 * aligned; larger requests (and cache-aligned ones that do not fit a page
 * with their alignment) get whole pages and a page-aligned address.
 * Returns NULL for 0 bytes, an impossible size, an unknown pool type or
 * exhaustion. NonPagedPool at IRQL <= DISPATCH_LEVEL, PagedPool at
 * <= APC_LEVEL (higher: BAD_POOL_CALLER 0x08). Tag 0 is BAD_POOL_CALLER
 * 0x9B, a must-succeed type 0x9A. The caller frees with ExFreePoolWithTag.
 */
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* ExAllocatePoolWithTag with NT's default tag, 'None'. */
PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
#define POOL_DEFAULT_TAG    MAKE_TAG('N', 'o', 'n', 'e')

/*
 * Frees a block. A nonzero Tag must be the tag it was allocated with
 * (BAD_POOL_CALLER 0x0A otherwise; mm386 always checks). A corrupt header
 * is BAD_POOL_HEADER (0x19), a second free BAD_POOL_CALLER 0x07, an address
 * that is not in any pool BAD_POOL_CALLER 0x40/0x42/0x44/0x50. Same IRQL
 * rules as allocation (BAD_POOL_CALLER 0x09).
 */
void ExFreePoolWithTag(PVOID P, ULONG Tag);
void ExFreePool(PVOID P);

/*
 * The usable size of an allocated block: the block minus its header, the
 * whole pages of a big allocation, the requested size of a special pool
 * allocation. *QuotaCharged is FALSE: mm386 has no pool quota.
 */
SIZE_T ExQueryPoolBlockSize(PVOID PoolBlock, PBOOLEAN QuotaCharged);

/*
 * Tag tracking: what poolmon shows, per tag and pool type. Bytes count
 * whole blocks (header included) and whole pages for big allocations.
 */
typedef struct _SYSTEM_POOLTAG {
    ULONG TagUlong;
    ULONG PagedAllocs;
    ULONG PagedFrees;
    SIZE_T PagedUsed;
    ULONG NonPagedAllocs;
    ULONG NonPagedFrees;
    SIZE_T NonPagedUsed;
} SYSTEM_POOLTAG, *PSYSTEM_POOLTAG;

/* Fills *Info for Tag; STATUS_NOT_FOUND if nothing was ever allocated with it. Any IRQL <= DISPATCH_LEVEL. */
NTSTATUS ExQueryPoolTagInformation(ULONG Tag, PSYSTEM_POOLTAG Info);
/* Prints the tag table, largest users first (the kd> shell's !poolused). PASSIVE_LEVEL. */
void ExpPrintPoolTagTable(void);

/*
 * One block of a pool page, as ExpWalkPoolPage reports it (for kd>'s
 * `!pool VA`, mm/kdpool.c): where its header is, its size in bytes with
 * the header, its tag and state.
 */
typedef struct _POOL_BLOCK_INFORMATION {
    PVOID Header;
    ULONG Size;
    ULONG Tag;
    POOL_TYPE PoolType;         /* NonPagedPool or PagedPool */
    BOOLEAN Free;               /* on a free list (or a fragment too small for one) */
    BOOLEAN Cached;             /* freed into a lookaside list, still reserved */
    BOOLEAN BigAllocation;      /* whole pages: Header is the allocation's first byte */
} POOL_BLOCK_INFORMATION, *PPOOL_BLOCK_INFORMATION;

typedef void (*PPOOL_BLOCK_ROUTINE)(const POOL_BLOCK_INFORMATION *Block, PVOID Context);

/*
 * Calls Routine for every block of the pool page holding Va, in address
 * order, with the pool locked (the routine must not allocate or free
 * pool). STATUS_INVALID_PARAMETER if Va is not in an allocated pool page,
 * STATUS_DATA_ERROR (after reporting the good blocks) if the page's headers
 * do not add up. IRQL <= APC_LEVEL.
 */
NTSTATUS ExpWalkPoolPage(PVOID Va, PPOOL_BLOCK_ROUTINE Routine, PVOID Context);

/*
 * Lookaside lists. An SLIST is NT's lock-free singly linked list: the head
 * is 8 bytes (first entry, depth, sequence) replaced with one cmpxchg8b,
 * and the sequence changes on every push so a stale head never compares
 * equal (the ABA problem).
 */
typedef union ALIGNED(8) _SLIST_HEADER {
    ULONGLONG Alignment;
    struct {
        SINGLE_LIST_ENTRY Next;
        USHORT Depth;
        USHORT Sequence;
    };
} SLIST_HEADER, *PSLIST_HEADER;

_Static_assert(sizeof(SLIST_HEADER) == 8, "an SLIST head is one cmpxchg8b operand");

static inline void InitializeSListHead(PSLIST_HEADER ListHead)
{
    ListHead->Alignment = 0;
}

/*
 * Reads the head as two 32-bit halves: a torn read is harmless, because
 * the compare-exchange that follows then fails and the loop reads again.
 */
static inline SLIST_HEADER RtlpReadSListHead(const SLIST_HEADER *ListHead)
{
    SLIST_HEADER Head;
    const volatile ULONG *Half = (const volatile ULONG *)ListHead;
    ((ULONG *)&Head)[0] = Half[0];
    ((ULONG *)&Head)[1] = Half[1];
    return Head;
}

/*
 * One lock cmpxchg8b. The operand type promises gcc the 8-byte alignment
 * SLIST_HEADER has; the __sync form is the one gcc expands inline without
 * x87 or SSE registers (-mgeneral-regs-only), and it is a full barrier.
 */
typedef ULONGLONG ALIGNED(8) RTLP_SLIST_WORD;

static inline bool RtlpSwapSListHead(PSLIST_HEADER ListHead, SLIST_HEADER Old, SLIST_HEADER New)
{
    return __sync_bool_compare_and_swap((volatile RTLP_SLIST_WORD *)&ListHead->Alignment, Old.Alignment,
                                        New.Alignment);
}

/*
 * Push and pop are on the pool's fast path, so they are written as NT
 * writes them, in a few instructions of assembly around cmpxchg8b: EDX:EAX
 * holds the head as last seen (first entry; depth in the low and sequence
 * in the high half of EDX), ECX:EBX the head to install. A failed exchange
 * reloads EDX:EAX with the current head and the loop tries again.
 */

/*
 * Pushes ListEntry, starting from Head, the head as the caller last read it
 * (a stale Head only costs a retry), and returns the entry that was first
 * before (NULL if the list was empty). For a caller that looks at the head
 * before it pushes, such as a lookaside free checking the depth.
 */
static inline PSINGLE_LIST_ENTRY RtlpPushEntrySList(PSLIST_HEADER ListHead, PSINGLE_LIST_ENTRY ListEntry,
                                                    SLIST_HEADER Head)
{
    ULONG First = (ULONG)Head.Next.Next, DepthSequence = ((PULONG)&Head)[1], Scratch;
    __asm__ volatile("1:\n\t"
                     "movl %%eax, (%%ebx)\n\t"            /* ListEntry->Next = first */
                     "leal 0x10001(%%edx), %%ecx\n\t"     /* depth + 1, sequence + 1 */
                     "lock cmpxchg8b %0\n\t"
                     "jnz 1b"
                     : "+m"(*ListHead), "+a"(First), "+d"(DepthSequence), "=&c"(Scratch)
                     : "b"(ListEntry)
                     : "memory", "cc");
    return (PSINGLE_LIST_ENTRY)First;
}

/* Pushes ListEntry and returns the entry that was first before (NULL if the list was empty). */
static inline PSINGLE_LIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead,
                                                           PSINGLE_LIST_ENTRY ListEntry)
{
    return RtlpPushEntrySList(ListHead, ListEntry, RtlpReadSListHead(ListHead));
}

/*
 * Pops the first entry, or returns NULL. Reading the first entry's link is
 * the one unprotected step: on a multiprocessor the entry could be popped
 * and its memory freed in between, which NT's pop survives by catching the
 * fault. mm386 runs on one processor and nothing that runs in an interrupt
 * may use pool, so nothing can pop between the read and the exchange.
 */
static inline PSINGLE_LIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead)
{
    SLIST_HEADER Head = RtlpReadSListHead(ListHead);
    ULONG First = (ULONG)Head.Next.Next, DepthSequence = ((PULONG)&Head)[1], Next, Scratch;
    __asm__ volatile("1:\n\t"
                     "testl %%eax, %%eax\n\t"
                     "jz 2f\n\t"
                     "movl (%%eax), %%ebx\n\t"            /* the new first: first->Next */
                     "leal -1(%%edx), %%ecx\n\t"          /* depth - 1 (not 0 here), same sequence */
                     "lock cmpxchg8b %0\n\t"
                     "jnz 1b\n"
                     "2:"
                     : "+m"(*ListHead), "+a"(First), "+d"(DepthSequence), "=&b"(Next), "=&c"(Scratch)
                     :
                     : "memory", "cc");
    return (PSINGLE_LIST_ENTRY)First;
}

/* Empties the list in one exchange and returns the former first entry (a NULL-terminated chain). */
static inline PSINGLE_LIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead)
{
    SLIST_HEADER Old, New;
    do {
        Old = RtlpReadSListHead(ListHead);
        if (Old.Next.Next == NULL)
            return NULL;
        New.Next.Next = NULL;
        New.Depth = 0;
        New.Sequence = Old.Sequence;
    } while (!RtlpSwapSListHead(ListHead, Old, New));
    return Old.Next.Next;
}

static inline USHORT ExQueryDepthSList(const SLIST_HEADER *ListHead)
{
    return ListHead->Depth;
}

typedef PVOID (*PALLOCATE_FUNCTION)(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef void (*PFREE_FUNCTION)(PVOID Buffer);

/*
 * NT's GENERAL_LOOKASIDE: a list of free entries of one size, at most Depth
 * of them; an allocation takes one (a hit) or calls Allocate (a miss), a
 * free pushes one back unless Depth are already there, in which case it
 * calls Free. NT retunes Depth once a second between 4 and 256; mm386 has
 * no balance-set manager yet, so a list keeps the depth it was given.
 */
typedef struct _GENERAL_LOOKASIDE {
    SLIST_HEADER ListHead;
    USHORT Depth;
    USHORT MaximumDepth;
    ULONG TotalAllocates;
    ULONG AllocateMisses;
    ULONG TotalFrees;
    ULONG FreeMisses;
    POOL_TYPE Type;
    ULONG Tag;
    ULONG Size;
    PALLOCATE_FUNCTION Allocate;
    PFREE_FUNCTION Free;
    LIST_ENTRY ListEntry;       /* on the list of all lookaside lists of its pool */
    ULONG Reserved[2];          /* to 64 bytes: arrays of lists are indexed with one shift */
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

_Static_assert(sizeof(GENERAL_LOOKASIDE) == 64, "a lookaside list is 64 bytes");

typedef struct _NPAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

typedef struct _PAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

#define LOOKASIDE_MINIMUM_DEPTH     4
#define LOOKASIDE_MAXIMUM_DEPTH     256

/*
 * Prepares a lookaside list of Size-byte entries tagged Tag. Allocate and
 * Free may be NULL (then ExAllocatePoolWithTag and ExFreePool are used).
 * Flags are OR-ed into the pool type (0 in practice). Depth is reserved in
 * NT and must be 0; mm386 then uses LOOKASIDE_MINIMUM_DEPTH, NT's starting
 * depth, and honours a nonzero Depth as the list's fixed depth (clamped to
 * 4..256). The list must be deleted before its memory goes away.
 * Nonpaged: IRQL <= DISPATCH_LEVEL; paged: IRQL <= APC_LEVEL.
 */
void ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                     USHORT Depth);
void ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                    USHORT Depth);
/* An entry from the list, or from its Allocate routine on a miss; NULL if that fails. */
PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
/* Returns Entry to the list, or to its Free routine when the list holds Depth entries. */
void ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
void ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
/* Frees every cached entry through the Free routine and unlinks the list. */
void ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
void ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);

#endif
