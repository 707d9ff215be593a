/*
 * tests/testlib.c — the little state tests/testlib.h's helpers share.
 */
#include <drivers.h>
#include "testlib.h"

/* Never set: it only keeps the compiler from proving the recursion endless. */
volatile int TestStopRecursion;

static char *TestCaptureBuffer;
static size_t TestCaptureSize, TestCaptureUsed;

static void TestCaptureOutput(const char *Text, size_t Length)
{
    size_t n = MIN(Length, TestCaptureSize - 1 - TestCaptureUsed);
    memcpy(TestCaptureBuffer + TestCaptureUsed, Text, n);
    TestCaptureUsed += n;
    TestCaptureBuffer[TestCaptureUsed] = '\0';
}

void TestBeginCapture(char *Buffer, size_t Size)
{
    TestCaptureBuffer = Buffer;
    TestCaptureSize = Size;
    TestCaptureUsed = 0;
    Buffer[0] = '\0';
    KeUnregisterOutput(SerialWrite);
    KeUnregisterOutput(VgaWrite);
    KeRegisterOutput(TestCaptureOutput);
}

void TestEndCapture(void)
{
    KeUnregisterOutput(TestCaptureOutput);
    KeRegisterOutput(SerialWrite);
    KeRegisterOutput(VgaWrite);
}

/*
 * Gives back the page table a test made for Va. NT never frees a system
 * page table (an address space may have copied its PDE), and mm386 has no
 * routine that does; but a test that made one in a region nothing else
 * uses, mapped nothing through it any more, and deleted the address spaces
 * that could have copied it, can undo its own work — so the suite can run
 * again and again (`ktest` at the prompt) without using up the region's
 * PDEs. The PDE is cleared and flushed, then the page table's one mapping
 * ends as any other does (MiDeletePageMapping: the system page directory
 * loses the share, the page table goes free). Runs with the system address
 * space current, whose directory is the master.
 */
void TestGiveBackSystemPageTable(PVOID Va)
{
    PMMPTE Master = &MmSystemPagePtes[MiGetPdeIndex(Va)];
    MMPTE Pde = MiReadPte(Master);
    KIRQL OldIrql;

    ASSERT(Pde.u.Hard.Valid && HalReadCr3() >> PAGE_SHIFT == MmSystemPageDirectoryPfn);
    MiWritePte(Master, (MMPTE){ .u.Long = 0 });
    KeFlushCurrentTb();
    LOCK_PFN(OldIrql);
    MiDeletePageMapping(Pde.u.Hard.PageFrameNumber);
    UNLOCK_PFN(OldIrql);
    MmSystemPageTablePages--;
}
