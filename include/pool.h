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
#include <slist.h>

/*
 * NT's pool types. The low three bits are the base type; NT adds modifier
 * bits, accepted as NT accepts them:
 *
 *   SESSION_POOL_MASK (32)     session pool: mm386 has no session space
 *                              yet, so a session type is its global pool
 *   POOL_RAISE_IF_ALLOCATION_FAILURE (16)
 *                              NT raises STATUS_INSUFFICIENT_RESOURCES
 *                              instead of returning NULL; mm386 has no
 *                              exceptions yet, so it returns NULL
 *   POOL_COLD_ALLOCATION (256) a hint that the block is rarely touched;
 *                              ignored
 *   POOL_NX_ALLOCATION (512)   no-execute pool (NonPagedPoolNx); without
 *                              PAE an x86 PTE has no NX bit, so nonpaged
 *                              pool serves it as it is
 *
 * Any other bit, and DontUseThisType, get NULL.
 */
typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = 0,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,        /* refused: BAD_POOL_CALLER (0xC2, 0x9A) */
    DontUseThisType = 3,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
    NonPagedPoolCacheAlignedMustS = 6,  /* refused like NonPagedPoolMustSucceed */
    MaxPoolType = 7,
    NonPagedPoolBase = 0,
    NonPagedPoolBaseMustSucceed = 2,
    NonPagedPoolBaseCacheAligned = 4,
    NonPagedPoolBaseCacheAlignedMustS = 6,
    NonPagedPoolSession = 32,
    PagedPoolSession = 33,
    NonPagedPoolMustSucceedSession = 34,
    DontUseThisTypeSession = 35,
    NonPagedPoolCacheAlignedSession = 36,
    PagedPoolCacheAlignedSession = 37,
    NonPagedPoolCacheAlignedMustSSession = 38,
    NonPagedPoolNx = 512,
    NonPagedPoolNxCacheAligned = 516,
    NonPagedPoolSessionNx = 544,
} POOL_TYPE;

#define BASE_POOL_TYPE_MASK                 1   /* NonPagedPool or PagedPool */
#define MUST_SUCCEED_POOL_TYPE_MASK         2
#define CACHE_ALIGNED_POOL_TYPE_MASK        4
#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE    8   /* ExAllocatePoolWithQuotaTag's; not accepted here */
#define POOL_RAISE_IF_ALLOCATION_FAILURE    16
#define SESSION_POOL_MASK                   32
#define POOL_COLD_ALLOCATION                256
#define POOL_NX_ALLOCATION                  512
/* The modifier bits ExAllocatePoolWithTag accepts on top of a base type. */
#define POOL_TYPE_MODIFIERS \
    (POOL_RAISE_IF_ALLOCATION_FAILURE | SESSION_POOL_MASK | POOL_COLD_ALLOCATION | POOL_NX_ALLOCATION)

/* The processor cache line NonPagedPoolCacheAligned blocks start on. */
#define POOL_CACHE_ALIGNMENT            64

/*
 * Allocates NumberOfBytes from the pool PoolType and charges it to Tag.
 * Up to 4080 bytes the block carries an 8-byte header and is 8-byte
 * aligned; larger requests (and cache-aligned ones that do not fit a page
 * with their alignment) get whole pages and a page-aligned address. A
 * 0-byte request gets the smallest block (as NT's free build does).
 * Returns NULL for an impossible size, an unknown pool type or modifier,
 * or exhaustion — or, with POOL_RAISE_IF_ALLOCATION_FAILURE, raises
 * STATUS_INSUFFICIENT_RESOURCES instead (ExRaiseStatus: the caller's
 * EX_TRY handles it), as NT does. NonPagedPool at IRQL <= DISPATCH_LEVEL, PagedPool at
 * <= APC_LEVEL (higher: BAD_POOL_CALLER 0x08). Tag 0 is BAD_POOL_CALLER
 * 0x9B, a must-succeed type 0x9A. The caller frees with ExFreePoolWithTag.
 */
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* ExAllocatePoolWithTag with NT's default tag, 'None'. */
PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
#define POOL_DEFAULT_TAG    MAKE_TAG('N', 'o', 'n', 'e')

/*
 * NT's allocation priorities. Low and Normal requests may fail when the
 * system is low (Low) or very low (Normal) on resources, so that High
 * requests — which fail only when nothing is left — still find some. The
 * SpecialPool variants say where a special pool allocation is placed: at
 * the end of its page, an overrun touching the guard page after it
 * (Overrun, the default), or at the start, an underrun touching the guard
 * page before it (Underrun).
 */
typedef enum _EX_POOL_PRIORITY {
    LowPoolPriority = 0,
    LowPoolPrioritySpecialPoolOverrun = 8,
    LowPoolPrioritySpecialPoolUnderrun = 9,
    NormalPoolPriority = 16,
    NormalPoolPrioritySpecialPoolOverrun = 24,
    NormalPoolPrioritySpecialPoolUnderrun = 25,
    HighPoolPriority = 32,
    HighPoolPrioritySpecialPoolOverrun = 40,
    HighPoolPrioritySpecialPoolUnderrun = 41,
} EX_POOL_PRIORITY;

#define POOL_SPECIAL_POOL_BIT           8
#define POOL_SPECIAL_POOL_UNDERRUN_BIT  1

/*
 * ExAllocatePoolWithTag with a priority. "Low on resources" is, as in NT,
 * little of the pool's own address space left: a Normal request that
 * needs new pool pages fails if it would leave fewer than 512 pages of the
 * pool unallocated, a Low one fewer than 1,024 — and, for nonpaged pool
 * growing into its expansion, fewer than that many pages of RAM available;
 * for paged pool, that much commit. A small request that a lookaside list
 * or a free block can serve without a new page is never refused. High
 * requests are ExAllocatePoolWithTag's. With special pool on for Tag, the
 * SpecialPool bits choose the placement. Same IRQL rules, checks and
 * bugchecks as ExAllocatePoolWithTag; NULL when refused or exhausted.
 */
PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, EX_POOL_PRIORITY Priority);

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
 * NT's (undocumented, obsolete) ExQueryPoolBlockSize, as NT answers: for a
 * small block its size minus the header — which may be up to 7 bytes more
 * than was asked for; for a page-aligned address (a big allocation)
 * PAGE_SIZE, whatever the allocation's size, as NT's own comment says;
 * for special pool the size asked for. 0 for an address in no pool.
 * *QuotaCharged is FALSE: mm386 charges no pool quota.
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
/*
 * Prints the tag table (the kd> prompt's !poolused): by tag, or by one
 * pool's bytes with POOLUSED_SORT_*; POOLUSED_VERBOSE adds allocations and
 * frees made so far (and tags with none live); Pattern (NULL: every tag)
 * picks tags by RtlMatchGlob on their four characters. PASSIVE_LEVEL.
 */
#define POOLUSED_VERBOSE        0x1
#define POOLUSED_SORT_NONPAGED  0x2
#define POOLUSED_SORT_PAGED     0x4
void ExpPrintPoolTagTable(ULONG Flags, const char *Pattern);

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
 * do not add up. IRQL <= APC_LEVEL; or on a kernel stopped in the debugger,
 * without the lock, STATUS_DEVICE_BUSY when the stopped code holds it.
 */
NTSTATUS ExpWalkPoolPage(PVOID Va, PPOOL_BLOCK_ROUTINE Routine, PVOID Context);

/*
 * Lookaside lists: free entries of one size kept on an SLIST
 * (include/slist.h), pushed and popped without a lock.
 */
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
