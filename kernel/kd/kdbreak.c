/*
 * kernel/kd/kdbreak.c — breakpoints: bp, ba, bl, bc, bd, be.
 *
 * A code breakpoint is NT's: the debugger saves the instruction's first
 * byte and writes int3 (0xCC) over it, through MmDbgCopyMemory, which
 * writes a read-only page of kernel code through its frame (mm/mmdbg.c).
 * When the kernel executes it, #BP brings it to kdtrap.c, which stops the
 * kernel. While the kernel is stopped every int3 is taken out again (the
 * debugger's own code must not trap into itself, and db must show the real
 * bytes); on the way out they go back in, but the one under the
 * instruction about to run, which is stepped over first.
 *
 * A data breakpoint (`ba`) uses the processor's debug registers: DR0-DR3
 * hold up to four addresses, DR7 says for each whether a write, a read or
 * write, or an execution of 1, 2 or 4 bytes there traps (#DB after the
 * access). On one processor they are global: every thread, every address
 * space. A write breakpoint stops only when the watched bytes changed since
 * it was armed: QEMU's TCG (7.2) raises spurious data breakpoint traps
 * after writes elsewhere on the watched page, which tools/kddebug.py caught
 * (the bytes unchanged, the instruction writing another structure); the
 * price is that a write of the value already there is not reported. `p` plants one more code breakpoint of its own, after the call it
 * steps over, which only the thread that asked may stop at.
 *
 * The commands work at both prompts. At the running prompt a change takes
 * effect at once (the byte is written with interrupts off, so a stop
 * cannot come between); at a stopped prompt it takes effect when the kernel
 * goes on. Breakpoints are refused where they cannot work: outside the
 * kernel's code, and in the few routines the debugger itself runs before
 * it can notice a breakpoint (the trap path, the memory copy), where an
 * int3 would trap forever.
 */
#include <hal.h>
#include <kd.h>
#include <rtl.h>
#include "kdp.h"

typedef enum _KD_BREAKPOINT_KIND {
    KdBreakpointFree,
    KdBreakpointCode,
    KdBreakpointData,
} KD_BREAKPOINT_KIND;

typedef struct _KD_BREAKPOINT {
    UCHAR Kind;                 /* KD_BREAKPOINT_KIND */
    bool Enabled;
    bool Inserted;              /* a code breakpoint's int3 is in memory */
    UCHAR Saved;                /* the byte under the int3 */
    UCHAR Access;               /* data: DR7_RW_EXECUTE, DR7_RW_WRITE, DR7_RW_READ_WRITE */
    UCHAR Length;               /* data: 1, 2 or 4 bytes */
    UCHAR Register;             /* data: DR0..DR3 */
    ULONG Address;
    ULONG Hits;
    ULONG Snapshot;             /* data, write: the watched bytes when the register was armed */
    PVOID Thread;               /* p's: the thread that may stop there (NULL: any) */
    ULONG Esp;                  /* p's: and only with ESP at or above this (the call returned) */
} KD_BREAKPOINT;

#define KD_BREAKPOINTS 32
#define KD_INT3 0xCC

static KD_BREAKPOINT KdpBreakpoints[KD_BREAKPOINTS];
static KD_BREAKPOINT KdpStepOver;

extern const char __kernel_start[], __text_end[];

/* Routines the debugger runs before it can tell its own int3 from another: a breakpoint there would trap forever. */
static const char *const KdpUnbreakable[] = {
    "KiDispatchTrap", "KdpTrap", "KdpEnter", "KdpFindBreakpoint", "KdpIsStepOverBreakpoint", "KdpInsertBreakpoints",
    "KdpInsertBreakpointsAt", "KdpRemoveBreakpoints", "KdpInsertOne", "KdpRemoveOne", "KdpReadMemory",
    "KdpWriteMemory", "MmDbgCopyMemory", "MmIsAddressValid", "MmGetPhysicalAddress", "KdpProgramDebugRegisters",
};

void KdpBreakpointHit(KD_BREAKPOINT *Breakpoint)
{
    Breakpoint->Hits++;
}

ULONG KdpBreakpointNumber(const KD_BREAKPOINT *Breakpoint)
{
    return (ULONG)(Breakpoint - KdpBreakpoints);
}

KD_BREAKPOINT *KdpBreakpointByNumber(ULONG Number)
{
    return Number < KD_BREAKPOINTS && KdpBreakpoints[Number].Kind != KdBreakpointFree ? &KdpBreakpoints[Number] : NULL;
}

static void KdpInsertOne(KD_BREAKPOINT *b)
{
    UCHAR Int3 = KD_INT3;
    if (b->Kind != KdBreakpointCode || !b->Enabled || b->Inserted)
        return;
    if (KdpReadMemory(b->Address, &b->Saved, 1) && KdpWriteMemory(b->Address, &Int3, 1))
        b->Inserted = true;
}

static void KdpRemoveOne(KD_BREAKPOINT *b)
{
    if (b->Kind != KdBreakpointCode || !b->Inserted)
        return;
    KdpWriteMemory(b->Address, &b->Saved, 1);
    b->Inserted = false;
}

/* DR0-DR3 and DR7 from the enabled data breakpoints (On), or all off. */
static void KdpProgramDebugRegisters(bool On)
{
    ULONG Dr7 = 0;
    for (ULONG i = 0; On && i < KD_BREAKPOINTS; i++) {
        KD_BREAKPOINT *b = &KdpBreakpoints[i];
        if (b->Kind != KdBreakpointData || !b->Enabled)
            continue;
        b->Snapshot = 0;
        if (b->Access == DR7_RW_WRITE)
            KdpReadMemory(b->Address, &b->Snapshot, b->Length);
        switch (b->Register) {
        case 0: HalWriteDr0(b->Address); break;
        case 1: HalWriteDr1(b->Address); break;
        case 2: HalWriteDr2(b->Address); break;
        default: HalWriteDr3(b->Address); break;
        }
        ULONG Length = b->Access == DR7_RW_EXECUTE ? 0 : b->Length == 4 ? 3 : b->Length - 1;
        Dr7 |= DR7_GLOBAL_ENABLE(b->Register) | (ULONG)b->Access << DR7_RW_SHIFT(b->Register) |
               Length << DR7_LEN_SHIFT(b->Register);
    }
    HalWriteDr7(Dr7 ? Dr7 | DR7_GE : 0);
}

void KdpRemoveBreakpoints(void)
{
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++)
        KdpRemoveOne(&KdpBreakpoints[i]);
    KdpRemoveOne(&KdpStepOver);
    KdpProgramDebugRegisters(false);
}

ULONG KdpInsertBreakpoints(ULONG SkipAddress)
{
    ULONG Skipped = 0;
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        KD_BREAKPOINT *b = &KdpBreakpoints[i];
        if (b->Kind == KdBreakpointCode && b->Enabled && b->Address == SkipAddress)
            Skipped = SkipAddress;
        else
            KdpInsertOne(b);
    }
    if (KdpStepOver.Kind == KdBreakpointCode && KdpStepOver.Address == SkipAddress)
        Skipped = SkipAddress;
    else
        KdpInsertOne(&KdpStepOver);
    KdpProgramDebugRegisters(true);
    return Skipped;
}

void KdpInsertBreakpointsAt(ULONG Address)
{
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (KdpBreakpoints[i].Address == Address)
            KdpInsertOne(&KdpBreakpoints[i]);
    }
    if (KdpStepOver.Address == Address)
        KdpInsertOne(&KdpStepOver);
}

void KdpDropBreakpointsAt(ULONG Address)
{
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (KdpBreakpoints[i].Address == Address)
            KdpRemoveOne(&KdpBreakpoints[i]);
    }
    if (KdpStepOver.Address == Address)
        KdpRemoveOne(&KdpStepOver);
}

LONG KdpBreakpointInRange(ULONG Address, ULONG Length)
{
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        const KD_BREAKPOINT *b = &KdpBreakpoints[i];
        if (b->Kind == KdBreakpointCode && b->Inserted && b->Address - Address < Length)
            return (LONG)i;
    }
    return -1;
}

KD_BREAKPOINT *KdpFindBreakpoint(ULONG Address)
{
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (KdpBreakpoints[i].Kind == KdBreakpointCode && KdpBreakpoints[i].Inserted &&
            KdpBreakpoints[i].Address == Address)
            return &KdpBreakpoints[i];
    }
    if (KdpStepOver.Kind == KdBreakpointCode && KdpStepOver.Inserted && KdpStepOver.Address == Address)
        return &KdpStepOver;
    return NULL;
}

KD_BREAKPOINT *KdpFindDataBreakpoint(ULONG Register)
{
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (KdpBreakpoints[i].Kind == KdBreakpointData && KdpBreakpoints[i].Enabled &&
            KdpBreakpoints[i].Register == Register)
            return &KdpBreakpoints[i];
    }
    return NULL;
}

void KdpSetStepOverBreakpoint(ULONG Address, PVOID Thread, ULONG Esp)
{
    KdpStepOver = (KD_BREAKPOINT){ .Kind = KdBreakpointCode, .Enabled = true, .Address = Address, .Thread = Thread,
                                   .Esp = Esp };
}

void KdpClearStepOverBreakpoint(void)
{
    KdpRemoveOne(&KdpStepOver);
    KdpStepOver.Kind = KdBreakpointFree;
}

bool KdpIsStepOverBreakpoint(const KD_BREAKPOINT *Breakpoint, PVOID Thread, ULONG Esp, bool *Ours)
{
    if (Breakpoint != &KdpStepOver)
        return false;
    *Ours = (!KdpStepOver.Thread || KdpStepOver.Thread == Thread) && Esp >= KdpStepOver.Esp;
    /* A user breakpoint at the same address stops any thread: then it is not only p's. */
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (KdpBreakpoints[i].Kind == KdBreakpointCode && KdpBreakpoints[i].Enabled &&
            KdpBreakpoints[i].Address == Breakpoint->Address)
            *Ours = true;
    }
    return true;
}

static const char *KdpAccessName(UCHAR Access)
{
    return Access == DR7_RW_EXECUTE ? "e" : Access == DR7_RW_WRITE ? "w" : "r";
}

bool KdpDataBreakpointChanged(const KD_BREAKPOINT *b)
{
    ULONG Now = 0;
    if (b->Access != DR7_RW_WRITE)
        return true;
    return !KdpReadMemory(b->Address, &Now, b->Length) || Now != b->Snapshot;
}

void KdpDescribeDataBreakpoint(const KD_BREAKPOINT *b)
{
    if (!b) {
        DbgPrint("a debug register fired\n");
        return;
    }
    DbgPrint("%s of %u byte(s) at %08x (DR%u)\n",
             b->Access == DR7_RW_EXECUTE ? "execution" : b->Access == DR7_RW_WRITE ? "write" : "read or write",
             b->Length, b->Address, b->Register);
}

/* A change to breakpoints at the running prompt takes effect now; at a stopped one, when the kernel goes on. */
static void KdpApply(KD_BREAKPOINT *b)
{
    if (KdIsStopped())
        return;
    if (b->Kind == KdBreakpointCode) {
        if (b->Enabled)
            KdpInsertOne(b);
        else
            KdpRemoveOne(b);
    } else {
        KdpProgramDebugRegisters(true);
    }
}

static KD_BREAKPOINT *KdpNewBreakpoint(void)
{
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (KdpBreakpoints[i].Kind == KdBreakpointFree)
            return &KdpBreakpoints[i];
    }
    DbgPrint("%s: all %u breakpoints are in use (bc clears one)\n", KdpCurrentCommand->Name, KD_BREAKPOINTS);
    return NULL;
}

KD_COMMAND(bp, "bp", "ADDRESS", "set a code breakpoint (an int3) at ADDRESS: a function name[+offset] or hex")
{
    ULONG Address, Offset;
    UCHAR Byte;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 1) || !KdParseAddress(Argv[1], "ADDRESS", &Address))
        return;
    if (Address < (ULONG)__kernel_start || Address >= (ULONG)__text_end) {
        DbgPrint("bp: %08x is not in the kernel's code (%08x..%08x): an int3 there would never run\n", Address,
                 (ULONG)__kernel_start, (ULONG)__text_end - 1);
        return;
    }
    const char *Name = KiSymbolize(Address, &Offset);
    for (ULONG i = 0; Name && i < ARRAY_SIZE(KdpUnbreakable); i++) {
        if (strcmp(Name, KdpUnbreakable[i]) == 0) {
            DbgPrint("bp: %s is on the debugger's own path to a breakpoint: an int3 there would trap forever\n",
                     Name);
            return;
        }
    }
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (KdpBreakpoints[i].Kind == KdBreakpointCode && KdpBreakpoints[i].Address == Address) {
            DbgPrint("bp: breakpoint %u is already at %08x\n", i, Address);
            return;
        }
    }
    if (!KdpReadMemory(Address, &Byte, 1)) {
        DbgPrint("bp: %08x is not mapped\n", Address);
        return;
    }
    KD_BREAKPOINT *b = KdpNewBreakpoint();
    if (!b)
        return;
    *b = (KD_BREAKPOINT){ .Kind = KdBreakpointCode, .Enabled = true, .Address = Address };
    KdpApply(b);
    DbgPrint("Breakpoint %u at %08x %s+0x%x\n", KdpBreakpointNumber(b), Address, Name ? Name : "?", Offset);
}

KD_COMMAND(ba, "ba", "e|r|w SIZE ADDRESS",
           "set a data breakpoint in a debug register: on execution (e, SIZE 1), read or write (r), write (w) "
           "of SIZE 1, 2 or 4 bytes at ADDRESS (aligned to SIZE)")
{
    ULONG Size, Address;
    UCHAR Access;
    ULONG Used = 0;

    if (!KdCheckArgumentCount(Argc, Argv, 3, 3))
        return;
    if (RtlCompareStringInsensitive(Argv[1], "e", 2) == 0)
        Access = DR7_RW_EXECUTE;
    else if (RtlCompareStringInsensitive(Argv[1], "r", 2) == 0)
        Access = DR7_RW_READ_WRITE;
    else if (RtlCompareStringInsensitive(Argv[1], "w", 2) == 0)
        Access = DR7_RW_WRITE;
    else {
        DbgPrint("ba: ACCESS '%s' is not e (execute), r (read or write) or w (write); "
                 "the processor has no read-only breakpoint\n", Argv[1]);
        return;
    }
    if (!KdParseNumber(Argv[2], "SIZE", &Size) || !KdParseAddress(Argv[3], "ADDRESS", &Address))
        return;
    if (Size != 1 && Size != 2 && Size != 4) {
        DbgPrint("ba: SIZE %x: a debug register watches 1, 2 or 4 bytes\n", Size);
        return;
    }
    if (Access == DR7_RW_EXECUTE && Size != 1) {
        DbgPrint("ba: an execution breakpoint has SIZE 1\n");
        return;
    }
    if (Address & (Size - 1)) {
        DbgPrint("ba: %08x is not aligned to %u bytes, as a debug register requires\n", Address, Size);
        return;
    }
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (KdpBreakpoints[i].Kind == KdBreakpointData)
            Used |= 1u << KdpBreakpoints[i].Register;
    }
    if (Used == (1u << DR_BREAKPOINTS) - 1) {
        DbgPrint("ba: all four debug registers are in use (bc clears one)\n");
        return;
    }
    KD_BREAKPOINT *b = KdpNewBreakpoint();
    if (!b)
        return;
    *b = (KD_BREAKPOINT){ .Kind = KdBreakpointData, .Enabled = true, .Access = Access, .Length = (UCHAR)Size,
                          .Register = (UCHAR)__builtin_ctz(~Used), .Address = Address };
    KdpApply(b);
    DbgPrint("Breakpoint %u: ", KdpBreakpointNumber(b));
    KdpDescribeDataBreakpoint(b);
}

KD_COMMAND(bl, "bl", "", "list the breakpoints: number, enabled (e) or disabled (d), address, kind, hits")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 0))
        return;
    bool Any = false;
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        const KD_BREAKPOINT *b = &KdpBreakpoints[i];
        ULONG Offset;
        if (b->Kind == KdBreakpointFree)
            continue;
        Any = true;
        const char *Name = KiSymbolize(b->Address, &Offset);
        char Kind[16];
        if (b->Kind == KdBreakpointData)
            snprintf(Kind, sizeof(Kind), "%s %u DR%u", KdpAccessName(b->Access), b->Length, b->Register);
        else
            snprintf(Kind, sizeof(Kind), "int3");
        DbgPrint(" %2u %c %08x %-9s hits %-5u", i, b->Enabled ? 'e' : 'd', b->Address, Kind, b->Hits);
        if (Name)
            DbgPrint(" mm386!%s+0x%x\n", Name, Offset);
        else
            DbgPrint("\n");
    }
    if (!Any)
        DbgPrint("no breakpoints (bp sets one at code, ba on data)\n");
}

/* The breakpoints a list argument names: a number or * (all); false after saying what is wrong. */
static bool KdpParseBreakpointList(int Argc, char **Argv, ULONG *Mask)
{
    *Mask = 0;
    if (!KdCheckArgumentCount(Argc, Argv, 1, KD_MAX_ARGS - 1))
        return false;
    for (int i = 1; i < Argc; i++) {
        ULONG Number;
        if (strcmp(Argv[i], "*") == 0) {
            for (ULONG n = 0; n < KD_BREAKPOINTS; n++)
                *Mask |= KdpBreakpoints[n].Kind != KdBreakpointFree ? 1u << n : 0;
            continue;
        }
        if (!KdParseNumber(Argv[i], "BREAKPOINT", &Number))
            return false;
        if (!KdpBreakpointByNumber(Number)) {
            DbgPrint("%s: there is no breakpoint %x (bl lists them)\n", KdpCurrentCommand->Name, Number);
            return false;
        }
        *Mask |= 1u << Number;
    }
    return true;
}

KD_COMMAND(bc, "bc", "N...|*", "clear breakpoints: numbers as bl lists them, or * for all")
{
    ULONG Mask;
    if (!KdpParseBreakpointList(Argc, Argv, &Mask))
        return;
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (!(Mask & (1u << i)))
            continue;
        KdpBreakpoints[i].Enabled = false;
        KdpApply(&KdpBreakpoints[i]);
        KdpBreakpoints[i].Kind = KdBreakpointFree;
    }
}

KD_COMMAND(bd, "bd", "N...|*", "disable breakpoints (they stay listed; be enables them again)")
{
    ULONG Mask;
    if (!KdpParseBreakpointList(Argc, Argv, &Mask))
        return;
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (Mask & (1u << i)) {
            KdpBreakpoints[i].Enabled = false;
            KdpApply(&KdpBreakpoints[i]);
        }
    }
}

KD_COMMAND(be, "be", "N...|*", "enable breakpoints bd disabled")
{
    ULONG Mask;
    if (!KdpParseBreakpointList(Argc, Argv, &Mask))
        return;
    for (ULONG i = 0; i < KD_BREAKPOINTS; i++) {
        if (Mask & (1u << i)) {
            KdpBreakpoints[i].Enabled = true;
            KdpApply(&KdpBreakpoints[i]);
        }
    }
}
