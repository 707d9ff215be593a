/*
 * tests/kernel/trap0e.c — the page fault is resolved with the faulting code's
 * interrupt flag (kernel/ke/trap.c, KiPageFault).
 *
 * The page-fault gate is an interrupt gate: the CPU clears EFLAGS.IF on the
 * way in, so CR2 can be read before another fault overwrites it. NT's
 * KiTrap0E then turns interrupts back on (when the faulting code had them
 * on) before MmAccessFault, which may zero or copy a page; mm386's
 * KiPageFault does the same. Nothing outside the handler can see the flag
 * while the fault is being resolved, so these tests look from inside: a
 * hardware data breakpoint (DR0, DR7: break on a 4-byte write) watches the
 * PTE that resolving a demand-zero fault must write, and the debug trap the
 * write raises records the EFLAGS of the code that wrote it — the resolver,
 * interrupted in the middle of MmAccessFault. IF must be set there. The
 * write is made under the PFN lock (or the working set mutex): raising the
 * IRQL never touches IF (hal/irql.c), so the flag seen is the handler's.
 *
 * The converse — a fault taken with interrupts off — is NT's stop, as
 * KiTrap0E makes it: IRQL_NOT_LESS_OR_EQUAL, parameter 2 = 0xFF (a death
 * test, last in the file).
 *
 * Every test puts DR0, DR6, DR7 and KiDebugTrapRoutine back as it found them.
 */
#include <hal.h>
#include <ktest.h>
#include <pool.h>
#include <rtl.h>
#include "kernel/ke/ki.h"
#include "../mm/virtual_test.h"
#include "../testlib.h"

#define TRAP0E_TAG          MAKE_TAG('T', '0', 'e', 't')

/* DR7: local enable of breakpoint 0, break on data writes, 4 bytes (Intel SDM vol. 3, 18.2.4). */
#define DR7_L0              0x00000001
#define DR7_RW0_WRITE       0x00010000
#define DR7_LEN0_4          0x000C0000
#define DR6_B0              0x00000001      /* breakpoint 0's condition was met */
#define DR6_INITIAL         0xFFFF0FF0      /* DR6 after reset: the reserved bits read as ones */

static inline ULONG ReadDr0(void) { ULONG v; __asm__ volatile("mov %%dr0, %0" : "=r"(v)); return v; }
static inline ULONG ReadDr6(void) { ULONG v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static inline ULONG ReadDr7(void) { ULONG v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static inline void WriteDr0(ULONG v) { __asm__ volatile("mov %0, %%dr0" : : "r"(v) : "memory"); }
static inline void WriteDr6(ULONG v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v) : "memory"); }
static inline void WriteDr7(ULONG v) { __asm__ volatile("mov %0, %%dr7" : : "r"(v) : "memory"); }

/* What the debug trap saw while the watch was armed. */
static struct {
    ULONG Hits;                 /* writes to the watched address */
    ULONG HitsWithIfClear;      /* ... made with interrupts off */
    ULONG FirstEip;             /* the instruction after the first write */
    ULONG FirstEFlags;
} Watch;

static struct {
    ULONG Dr0, Dr6, Dr7;
    PKDEBUG_TRAP_ROUTINE Routine;
} Saved;

/* The debug trap while armed: a breakpoint-0 hit is recorded and execution goes on; anything else is not ours. */
static bool OnWatchedWrite(PKTRAP_FRAME TrapFrame)
{
    ULONG Dr6 = ReadDr6();
    if (!(Dr6 & DR6_B0))
        return Saved.Routine ? Saved.Routine(TrapFrame) : false;
    WriteDr6(Dr6 & ~DR6_B0);        /* the CPU never clears DR6 itself */
    if (Watch.Hits++ == 0) {
        Watch.FirstEip = TrapFrame->Eip;
        Watch.FirstEFlags = TrapFrame->EFlags;
    }
    if (!(TrapFrame->EFlags & EFLAGS_IF))
        Watch.HitsWithIfClear++;
    return true;
}

/* Arms breakpoint 0 on writes to the 4 bytes at Address; the counts start from zero. */
static void WatchWrites(volatile void *Address)
{
    Saved.Dr0 = ReadDr0();
    Saved.Dr6 = ReadDr6();
    Saved.Dr7 = ReadDr7();
    Saved.Routine = KiDebugTrapRoutine;
    memset(&Watch, 0, sizeof(Watch));
    KiDebugTrapRoutine = OnWatchedWrite;
    WriteDr6(DR6_INITIAL);
    WriteDr0((ULONG)Address);
    WriteDr7((Saved.Dr7 & ~(DR7_L0 | 0x000F0000)) | DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_4);
}

/* Disarms the watch: the debug registers and the trap routine as they were. */
static void StopWatching(void)
{
    WriteDr7(Saved.Dr7);
    WriteDr0(Saved.Dr0);
    WriteDr6(Saved.Dr6);
    KiDebugTrapRoutine = Saved.Routine;
}

/*
 * Whether this CPU raises data breakpoints at all (an emulator built without
 * them stores DR7 and never traps): a watched write to a local variable.
 */
static bool DataBreakpointsWork(void)
{
    volatile ULONG Probe = 0;
    WatchWrites(&Probe);
    Probe = 1;
    StopWatching();
    return Watch.Hits == 1;
}

/*
 * A paged pool page never touched has a demand-zero PTE; the first write to
 * it faults, and MiResolveDemandZeroFault writes the PTE valid. That write,
 * seen by the data breakpoint, is made with IF set: KiPageFault turned
 * interrupts back on. Fails if the handler resolves the fault with the
 * interrupt gate's IF=0 (the HalEnableInterrupts before MmAccessFault gone).
 */
KTEST(trap0e, paged_pool_fault_resolved_with_interrupts_enabled)
{
    if (!DataBreakpointsWork())
        KTEST_SKIP("this CPU raises no data breakpoint (DR7)");
    ASSERT_TRUE(HalReadEflags() & EFLAGS_IF);       /* tests run with interrupts on: the fault must keep them */
    UCHAR *Block = ExAllocatePoolWithTag(PagedPool, 2 * PAGE_SIZE, TRAP0E_TAG);
    ASSERT_NOT_NULL(Block);
    volatile ULONG *Page = (volatile ULONG *)(Block + PAGE_SIZE);
    PMMPTE Pte = MiAddressToPte((PVOID)Page);
    if (!MiReadPte(MiAddressToPde((PVOID)Page)).u.Hard.Valid || !MiIsDemandZeroPte(MiReadPte(Pte))) {
        ExFreePoolWithTag(Block, TRAP0E_TAG);
        KtestFail(t, __FILE__, __LINE__, "the second page of a fresh paged pool block is not demand-zero "
                  "under a present page table");
        return;
    }

    WatchWrites(Pte);
    *Page = 0x0E0E0E0E;                             /* faults; the resolver writes *Pte */
    StopWatching();

    /* The write comes from the resolver (MmAccessFault, should the compiler fold the resolver into it). */
    ULONG Offset = 0;
    const char *Writer = KiSymbolize(Watch.FirstEip, &Offset);
    bool FromResolver = Writer && (strcmp(Writer, "MiResolveDemandZeroFault") == 0 ||
                                   strcmp(Writer, "MmAccessFault") == 0);
    EXPECT_EQ(Watch.Hits, 1);
    EXPECT_TRUE(FromResolver);
    if (!FromResolver)
        DbgPrint("    # the PTE was written at %08x %s+0x%x\n", Watch.FirstEip, Writer ? Writer : "?", Offset);
    EXPECT_TRUE(Watch.FirstEFlags & EFLAGS_IF);
    EXPECT_EQ(Watch.HitsWithIfClear, 0);
    EXPECT_TRUE(MiReadPte(Pte).u.Hard.Valid);
    EXPECT_EQ(*Page, 0x0E0E0E0E);
    ExFreePoolWithTag(Block, TRAP0E_TAG);
}

/*
 * The same for a user page of a test process, committed and never touched:
 * the first write faults, and MiResolveUserFault (making the page table if
 * there is none yet) writes the PTE under the working set mutex. Every write
 * to the watched PTE address is made with IF set. Fails as the test above.
 */
KTEST(trap0e, user_fault_resolved_with_interrupts_enabled)
{
    if (!DataBreakpointsWork())
        KTEST_SKIP("this CPU raises no data breakpoint (DR7)");
    ASSERT_TRUE(HalReadEflags() & EFLAGS_IF);
    PEPROCESS Process = TestCreateUserProcess(false);
    ASSERT_NOT_NULL(Process);
    PKAPC_STATE Previous = TestAttach(Process);
    ULONG Base = 0;
    SIZE_T Size = PAGE_SIZE;
    EXPECT_EQ(TestAllocate(&Base, &Size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), STATUS_SUCCESS);
    if (Base) {
        PMMPTE Pte = MiAddressToPte(Base);
        WatchWrites(Pte);
        EXPECT_EQ(TestWrite(Base, 0x0E0E0E0E, NULL), STATUS_SUCCESS);
        StopWatching();
        EXPECT_GE(Watch.Hits, 1);
        EXPECT_TRUE(Watch.FirstEFlags & EFLAGS_IF);
        EXPECT_EQ(Watch.HitsWithIfClear, 0);
        EXPECT_TRUE(MiReadPte(Pte).u.Hard.Valid);
    }
    TestDetach(Previous);
    TestDeleteUserProcess(Process);
}

/*
 * The converse, NT's verdict: kernel code that faults with interrupts off
 * stops the machine with IRQL_NOT_LESS_OR_EQUAL, the address first and
 * 0xFF as the IRQL, before the memory manager is asked — here on a user
 * address, which with interrupts on would be KMODE_EXCEPTION_NOT_HANDLED
 * (0x1E) instead.
 */
KTEST_DEATH_P1(trap0e, fault_with_interrupts_off, IRQL_NOT_LESS_OR_EQUAL, 0x1000)
{
    HalDisableInterrupts();
    (void)*(volatile ULONG *)0x1000;
    HalEnableInterrupts();
}
