/*
 * kernel/rtl/bitmap.c — RTL_BITMAP: NT's run-time library bitmaps.
 *
 * A bitmap is an array of ULONGs and a size in bits; bit n is bit (n % 32)
 * of word n / 32. The memory manager keeps page-granular allocations in
 * them (paged pool's allocation and end-of-allocation maps, the nonpaged
 * pool expansion map): a set bit is a page in use. Finding room for an
 * allocation is finding a run of clear bits, which RtlFindClearBitsAndSet
 * does NT's way: first from a hint (where the last search ended, so that
 * consecutive allocations are packed without rescanning the full part of
 * the map), then from the start. The scan skips whole words that are full
 * (0xFFFFFFFF) or empty (0), so a long run costs one test per 32 pages.
 *
 * The routines do no locking: the owner of a bitmap serialises its users.
 */
#include <ke.h>
#include <rtl.h>

#define BITS_PER_ULONG 32

void RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap)
{
    BitMapHeader->SizeOfBitMap = SizeOfBitMap;
    BitMapHeader->Buffer = BitMapBuffer;
}

void RtlClearAllBits(PRTL_BITMAP BitMapHeader)
{
    memset(BitMapHeader->Buffer, 0, ROUND_UP(BitMapHeader->SizeOfBitMap, BITS_PER_ULONG) / 8);
}

/* Sets (Value true) or clears [StartingIndex, StartingIndex + Count): whole words at once in the middle. */
static void FillBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Count, bool Value)
{
    PULONG Word = &BitMapHeader->Buffer[StartingIndex / BITS_PER_ULONG];
    ULONG Bit = StartingIndex % BITS_PER_ULONG;

    ASSERT(StartingIndex + Count <= BitMapHeader->SizeOfBitMap && StartingIndex + Count >= StartingIndex);
    while (Count) {
        ULONG n = MIN(Count, BITS_PER_ULONG - Bit);
        ULONG Mask = (n == BITS_PER_ULONG ? 0xFFFFFFFFu : ((1u << n) - 1)) << Bit;
        *Word = Value ? (*Word | Mask) : (*Word & ~Mask);
        Count -= n;
        Bit = 0;
        Word++;
    }
}

void RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet)
{
    FillBits(BitMapHeader, StartingIndex, NumberToSet, true);
}

void RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear)
{
    FillBits(BitMapHeader, StartingIndex, NumberToClear, false);
}

/*
 * The first index in [From, To) that starts a run of Count bits equal to
 * Value, or RTL_BITMAP_NOT_FOUND. Whole words of the wrong value are
 * skipped, whole words of the right value counted, in one step each.
 */
static ULONG FindRun(PRTL_BITMAP BitMapHeader, ULONG Count, ULONG From, ULONG To, bool Value)
{
    const ULONG *Buffer = BitMapHeader->Buffer;
    const ULONG Full = Value ? 0xFFFFFFFFu : 0;
    ULONG i = From;

    while (i < To && To - i >= Count) {
        ULONG Word = Buffer[i / BITS_PER_ULONG];
        if (i % BITS_PER_ULONG == 0 && Word == ~Full) {
            i += BITS_PER_ULONG;
            continue;
        }
        if (((Word >> (i % BITS_PER_ULONG)) & 1) != Value) {
            i++;
            continue;
        }
        /* A run of the right value starts at i: measure it, up to Count. */
        ULONG j = i, Run = 0;
        while (j < To && Run < Count) {
            if (j % BITS_PER_ULONG == 0 && To - j >= BITS_PER_ULONG && Buffer[j / BITS_PER_ULONG] == Full) {
                Run += BITS_PER_ULONG;
                j += BITS_PER_ULONG;
            } else if (((Buffer[j / BITS_PER_ULONG] >> (j % BITS_PER_ULONG)) & 1) == Value) {
                Run++;
                j++;
            } else {
                break;
            }
        }
        if (Run >= Count)
            return i;
        i = j + 1;      /* bit j has the wrong value */
    }
    return RTL_BITMAP_NOT_FOUND;
}

static ULONG FindWithHint(PRTL_BITMAP BitMapHeader, ULONG Count, ULONG HintIndex, bool Value)
{
    ULONG Size = BitMapHeader->SizeOfBitMap;
    if (Count == 0 || Count > Size)
        return RTL_BITMAP_NOT_FOUND;
    if (HintIndex >= Size)
        HintIndex = 0;
    ULONG Index = FindRun(BitMapHeader, Count, HintIndex, Size, Value);
    if (Index == RTL_BITMAP_NOT_FOUND && HintIndex != 0)
        Index = FindRun(BitMapHeader, Count, 0, MIN(Size, HintIndex + Count - 1), Value);
    return Index;
}

ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)
{
    return FindWithHint(BitMapHeader, NumberToFind, HintIndex, false);
}

ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)
{
    return FindWithHint(BitMapHeader, NumberToFind, HintIndex, true);
}

ULONG RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)
{
    ULONG Index = RtlFindClearBits(BitMapHeader, NumberToFind, HintIndex);
    if (Index != RTL_BITMAP_NOT_FOUND)
        RtlSetBits(BitMapHeader, Index, NumberToFind);
    return Index;
}

ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader)
{
    ULONG Count = 0;
    for (ULONG i = 0; i < BitMapHeader->SizeOfBitMap; i++)
        Count += RtlCheckBit(BitMapHeader, i);
    return Count;
}
