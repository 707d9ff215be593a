/*
 * kernel/ob/exhandle.c — the executive handle table (NT's ex\handle.c).
 *
 * A handle table maps handle values to entries of two words: the object (its
 * header's address, with handle attributes in the three low bits) and the
 * access the handle was granted. A handle value is the entry's index times 4;
 * the two low bits of a value are "tag bits" that NT leaves to applications
 * and ignores on lookup, and mm386 does the same. Entries live in low-level
 * tables of one page each, 512 entries, allocated from paged pool with NT's
 * tag 'Obtb'. Entry 0 of every low-level table is reserved, so no handle is 0
 * or a multiple of 2048 (NT keeps audit information there). The HANDLE_TABLE
 * itself, which holds the lock, comes from nonpaged pool (ExCreateHandleTable
 * says why).
 *
 * Growth is NT's three-level scheme. A new table is one low-level page
 * (level 0, handles 4..0x7FC). When its free list runs dry a second page is
 * needed, and a mid-level page of 1024 pointers goes on top (level 1); more
 * low-level pages are hung from it until it is full (524,288 entries), then a
 * top-level array of 32 pointers to mid-level pages goes on top of that
 * (level 2), up to NT's 2^24 entries. TableCode is the top table's address
 * with the level in its two low bits, and NextHandleNeedingPool the first
 * handle value no page backs yet. A lookup is one to three array indexings;
 * pages never move, so an entry's address is stable while its handle lives.
 *
 * Free entries form a chain through NextFreeTableEntry (a handle value, 0 at
 * the end) from FirstFree; a new page's entries are chained in ascending
 * order, and a freed entry goes to the front, so the last handle closed is
 * the next one handed out (NT 5.2 delays reuse a little with a second list,
 * for its lock-free path; mm386 has one list under the table's lock).
 *
 * The lock is one FAST_MUTEX per table, held for every lookup that hands out
 * an entry, and for every change. The holder runs at APC_LEVEL, where the
 * paged-pool pages may fault; no caller calls out of kernel/ob while holding
 * it. NT locks each entry with its bit 0 instead and takes push locks only to
 * grow; one table lock is the simple stand-in, and when fast mutexes learn to
 * block (the dispatcher) waiters sleep instead of tripping the recursion
 * check.
 *
 * Tables only grow. ExpCompactHandleTable, mm386's own, gives back trailing
 * pages with no handle in them; the leak guard calls it between tests.
 */
#include "obp.h"
#include <rtl.h>

#define MIDLEVEL_THRESHOLD      (LOWLEVEL_COUNT * MIDLEVEL_COUNT)   /* entries a level-1 table holds */
#define HIGHLEVEL_SIZE          (HIGHLEVEL_COUNT * sizeof(PHANDLE_TABLE_ENTRY *))

static PVOID ExpAllocateTablePagedPool(SIZE_T NumberOfBytes)
{
    PVOID Memory = ExAllocatePoolWithTag(PagedPool, NumberOfBytes, OBP_HANDLE_TABLE_TAG);
    if (Memory)
        memset(Memory, 0, NumberOfBytes);
    return Memory;
}

static void ExpFreeTablePagedPool(PVOID Memory)
{
    ExFreePoolWithTag(Memory, OBP_HANDLE_TABLE_TAG);
}

static inline PHANDLE_TABLE_ENTRY *ExpMidLevel(ULONG_PTR TableCode)
{
    return (PHANDLE_TABLE_ENTRY *)(TableCode & ~(ULONG_PTR)LEVEL_CODE_MASK);
}

static inline PHANDLE_TABLE_ENTRY **ExpTopLevel(ULONG_PTR TableCode)
{
    return (PHANDLE_TABLE_ENTRY **)(TableCode & ~(ULONG_PTR)LEVEL_CODE_MASK);
}

/* The low-level page holding entry Index, or NULL if none backs it. Table locked (or not yet shared). */
static PHANDLE_TABLE_ENTRY ExpLowLevelTable(const HANDLE_TABLE *Table, ULONG Index)
{
    ULONG_PTR Code = Table->TableCode;
    if (Index * HANDLE_VALUE_INC >= Table->NextHandleNeedingPool)
        return NULL;
    switch (Code & LEVEL_CODE_MASK) {
    case 0:
        return (PHANDLE_TABLE_ENTRY)Code;
    case 1:
        return ExpMidLevel(Code)[Index / LOWLEVEL_COUNT];
    default:
        return ExpTopLevel(Code)[Index / MIDLEVEL_THRESHOLD][(Index % MIDLEVEL_THRESHOLD) / LOWLEVEL_COUNT];
    }
}

PHANDLE_TABLE_ENTRY ExpLookupHandleTableEntrySlow(const HANDLE_TABLE *Table, ULONG Value)
{
    ULONG Index = Value / HANDLE_VALUE_INC;
    PHANDLE_TABLE_ENTRY Page = ExpLowLevelTable(Table, Index);
    return Page ? &Page[Index % LOWLEVEL_COUNT] : NULL;
}

/* Chains the free entries 1..511 of a new low-level page, based at handle value Base, in front of FirstFree. */
static void ExpChainNewPage(PHANDLE_TABLE Table, PHANDLE_TABLE_ENTRY Page, ULONG Base)
{
    Page[0].Object = NULL;
    Page[0].NextFreeTableEntry = EX_ADDITIONAL_INFO_SIGNATURE;
    for (ULONG i = 1; i < LOWLEVEL_COUNT; i++) {
        Page[i].Object = NULL;
        Page[i].NextFreeTableEntry = i + 1 < LOWLEVEL_COUNT ? Base + (i + 1) * HANDLE_VALUE_INC
                                                            : Table->FirstFree;
    }
    Table->FirstFree = Base + HANDLE_VALUE_INC;
}

BOOLEAN ExpAllocateHandleTableEntrySlow(PHANDLE_TABLE Table)
{
    ULONG Index = Table->NextHandleNeedingPool / HANDLE_VALUE_INC;   /* the new page's first index */
    ULONG_PTR Code = Table->TableCode;
    ULONG Level = Code & LEVEL_CODE_MASK;
    PHANDLE_TABLE_ENTRY *NewMid = NULL;
    PHANDLE_TABLE_ENTRY **NewTop = NULL;

    if (Index >= MAX_HANDLES)
        return false;
    PHANDLE_TABLE_ENTRY Page = ExpAllocateTablePagedPool(PAGE_SIZE);
    if (!Page)
        return false;

    if (Level == 0) {
        /* The second page: a mid-level table over the first and the new one. */
        NewMid = ExpAllocateTablePagedPool(PAGE_SIZE);
        if (!NewMid)
            goto Fail;
        NewMid[0] = (PHANDLE_TABLE_ENTRY)Code;
        NewMid[1] = Page;
        Table->TableCode = (ULONG_PTR)NewMid | 1;
    } else if (Level == 1 && Index < MIDLEVEL_THRESHOLD) {
        ExpMidLevel(Code)[Index / LOWLEVEL_COUNT] = Page;
    } else if (Level == 1) {
        /* The mid-level table is full: a top level over it and a new mid-level table. */
        NewTop = ExpAllocateTablePagedPool(HIGHLEVEL_SIZE);
        NewMid = ExpAllocateTablePagedPool(PAGE_SIZE);
        if (!NewTop || !NewMid)
            goto Fail;
        NewMid[0] = Page;
        NewTop[0] = ExpMidLevel(Code);
        NewTop[1] = NewMid;
        Table->TableCode = (ULONG_PTR)NewTop | 2;
    } else {
        PHANDLE_TABLE_ENTRY **Top = ExpTopLevel(Code);
        ULONG i = Index / MIDLEVEL_THRESHOLD;
        if (!Top[i]) {
            NewMid = ExpAllocateTablePagedPool(PAGE_SIZE);
            if (!NewMid)
                goto Fail;
            Top[i] = NewMid;
        }
        Top[i][(Index % MIDLEVEL_THRESHOLD) / LOWLEVEL_COUNT] = Page;
    }
    Table->NextHandleNeedingPool += LOWLEVEL_COUNT * HANDLE_VALUE_INC;
    ExpChainNewPage(Table, Page, Index * HANDLE_VALUE_INC);
    return true;

Fail:
    if (NewTop)
        ExpFreeTablePagedPool(NewTop);
    if (NewMid)
        ExpFreeTablePagedPool(NewMid);
    ExpFreeTablePagedPool(Page);
    return false;
}

/*
 * NT allocates the HANDLE_TABLE itself from paged pool: its locks are push
 * locks. mm386's lock is a FAST_MUTEX, which must be resident (it gets a
 * dispatcher object inside when fast mutexes learn to block), so the
 * HANDLE_TABLE comes from nonpaged pool, with the same tag.
 */
PHANDLE_TABLE ExCreateHandleTable(PEPROCESS Process)
{
    PHANDLE_TABLE Table = ExAllocatePoolWithTag(NonPagedPool, sizeof(HANDLE_TABLE), OBP_HANDLE_TABLE_TAG);
    if (!Table)
        return NULL;
    PHANDLE_TABLE_ENTRY Page = ExpAllocateTablePagedPool(PAGE_SIZE);
    if (!Page) {
        ExFreePoolWithTag(Table, OBP_HANDLE_TABLE_TAG);
        return NULL;
    }
    Table->TableCode = (ULONG_PTR)Page;
    Table->QuotaProcess = Process;
    Table->UniqueProcessId = Process ? Process->UniqueProcessId : 0;
    ExInitializeFastMutex(&Table->HandleTableLock);
    Table->FirstFree = 0;
    Table->NextHandleNeedingPool = LOWLEVEL_COUNT * HANDLE_VALUE_INC;
    Table->HandleCount = 0;
    ExpChainNewPage(Table, Page, 0);
    return Table;
}

void ExDestroyHandleTable(PHANDLE_TABLE Table)
{
    ASSERT(Table->HandleCount == 0);
    ULONG_PTR Code = Table->TableCode;
    switch (Code & LEVEL_CODE_MASK) {
    case 0:
        ExpFreeTablePagedPool((PVOID)Code);
        break;
    case 1:
        for (ULONG i = 0; i < MIDLEVEL_COUNT && ExpMidLevel(Code)[i]; i++)
            ExpFreeTablePagedPool(ExpMidLevel(Code)[i]);
        ExpFreeTablePagedPool(ExpMidLevel(Code));
        break;
    default:
        for (ULONG i = 0; i < HIGHLEVEL_COUNT && ExpTopLevel(Code)[i]; i++) {
            PHANDLE_TABLE_ENTRY *Mid = ExpTopLevel(Code)[i];
            for (ULONG j = 0; j < MIDLEVEL_COUNT && Mid[j]; j++)
                ExpFreeTablePagedPool(Mid[j]);
            ExpFreeTablePagedPool(Mid);
        }
        ExpFreeTablePagedPool(ExpTopLevel(Code));
        break;
    }
    ExFreePoolWithTag(Table, OBP_HANDLE_TABLE_TAG);
}

PHANDLE_TABLE_ENTRY ExpMapNextHandleToPointer(PHANDLE_TABLE Table, PULONG Value)
{
    ULONG Next = ROUND_UP(*Value, HANDLE_VALUE_INC);
    ExAcquireFastMutex(&Table->HandleTableLock);
    for (; Next < Table->NextHandleNeedingPool; Next += HANDLE_VALUE_INC) {
        PHANDLE_TABLE_ENTRY Entry = ExpLookupHandleTableEntry(Table, Next);
        if ((Next / HANDLE_VALUE_INC) % LOWLEVEL_COUNT != 0 && Entry->Object) {
            *Value = Next;
            return Entry;
        }
    }
    ExReleaseFastMutex(&Table->HandleTableLock);
    return NULL;
}

ULONG ExpHandleTablePages(PHANDLE_TABLE Table)
{
    return Table->NextHandleNeedingPool / (LOWLEVEL_COUNT * HANDLE_VALUE_INC);
}

/* True if no entry of the low-level page based at handle value Base is in use. Table locked. */
static bool ExpPageIsEmpty(const HANDLE_TABLE *Table, ULONG Base)
{
    PHANDLE_TABLE_ENTRY Page = ExpLookupHandleTableEntry(Table, Base);
    for (ULONG i = 1; i < LOWLEVEL_COUNT; i++) {
        if (Page[i].Object)
            return false;
    }
    return true;
}

/* Drops every free-list link to a handle value at or above Limit. Table locked. */
static void ExpUnchainFreeEntriesFrom(PHANDLE_TABLE Table, ULONG Limit)
{
    PULONG Link = &Table->FirstFree;
    while (*Link) {
        PHANDLE_TABLE_ENTRY Entry = ExpLookupHandleTableEntry(Table, *Link);
        if (*Link >= Limit)
            *Link = Entry->NextFreeTableEntry;
        else
            Link = (PULONG)&Entry->NextFreeTableEntry;
    }
}

ULONG ExpCompactHandleTable(PHANDLE_TABLE Table)
{
    ULONG Freed = 0;
    PVOID Garbage[3];

    ExAcquireFastMutex(&Table->HandleTableLock);
    while (Table->NextHandleNeedingPool > LOWLEVEL_COUNT * HANDLE_VALUE_INC) {
        ULONG Base = Table->NextHandleNeedingPool - LOWLEVEL_COUNT * HANDLE_VALUE_INC;
        ULONG Index = Base / HANDLE_VALUE_INC;
        ULONG Count = 0;
        if (!ExpPageIsEmpty(Table, Base))
            break;
        ExpUnchainFreeEntriesFrom(Table, Base);
        ULONG_PTR Code = Table->TableCode;
        Garbage[Count++] = ExpLowLevelTable(Table, Index);
        if ((Code & LEVEL_CODE_MASK) == 1) {
            ExpMidLevel(Code)[Index / LOWLEVEL_COUNT] = NULL;
            if (Index == LOWLEVEL_COUNT) {              /* one page left: back to level 0 */
                Table->TableCode = (ULONG_PTR)ExpMidLevel(Code)[0];
                Garbage[Count++] = ExpMidLevel(Code);
            }
        } else {
            PHANDLE_TABLE_ENTRY **Top = ExpTopLevel(Code);
            PHANDLE_TABLE_ENTRY *Mid = Top[Index / MIDLEVEL_THRESHOLD];
            Mid[(Index % MIDLEVEL_THRESHOLD) / LOWLEVEL_COUNT] = NULL;
            if (Index % MIDLEVEL_THRESHOLD == 0) {      /* the mid-level table is empty now */
                Top[Index / MIDLEVEL_THRESHOLD] = NULL;
                Garbage[Count++] = Mid;
                if (Index == MIDLEVEL_THRESHOLD) {      /* one mid-level table left: back to level 1 */
                    Table->TableCode = (ULONG_PTR)Top[0] | 1;
                    Garbage[Count++] = Top;
                }
            }
        }
        Table->NextHandleNeedingPool = Base;
        /* Pool frees happen with the table unlocked; the pages are already out of the table. */
        ExReleaseFastMutex(&Table->HandleTableLock);
        for (ULONG i = 0; i < Count; i++)
            ExpFreeTablePagedPool(Garbage[i]);
        Freed++;
        ExAcquireFastMutex(&Table->HandleTableLock);
    }
    ExReleaseFastMutex(&Table->HandleTableLock);
    return Freed;
}
