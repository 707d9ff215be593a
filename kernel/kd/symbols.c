/*
 * kernel/kd/symbols.c — symbolised backtraces from the table in the image.
 *
 * The build embeds KiSymbolTable (tools/gensyms.py): every function's start
 * address, sorted, with its name. KiSymbolize finds the function containing an
 * address by binary search. Backtraces follow the EBP chain (the kernel is
 * built with -fno-omit-frame-pointer): [ebp] is the caller's EBP, [ebp+4] the
 * return address. Each frame is checked with MmIsAddressValid before it is
 * read, so a corrupt chain ends the trace instead of faulting again.
 */
#include <ke.h>
#include <mm.h>
#include <rtl.h>
#include "kdp.h"

struct ksym {
    uint32_t address;
    uint32_t name;
};

extern const struct ksym KiSymbolTable[];
extern const uint32_t KiSymbolCount;
extern const char KiSymbolNames[];
extern const char __kernel_start[], __text_end[];

const char *KiSymbolize(ULONG Address, ULONG *Offset)
{
    if (Address < (ULONG)__kernel_start || Address >= (ULONG)__text_end || KiSymbolCount == 0)
        return NULL;

    uint32_t Low = 0, High = KiSymbolCount;
    while (High - Low > 1) {
        uint32_t Mid = (Low + High) / 2;
        if (KiSymbolTable[Mid].address <= Address)
            Low = Mid;
        else
            High = Mid;
    }
    if (KiSymbolTable[Low].address > Address)
        return NULL;
    if (Offset)
        *Offset = Address - KiSymbolTable[Low].address;
    return KiSymbolNames + KiSymbolTable[Low].name;
}

ULONG KiLookupSymbol(const char *Name)
{
    for (uint32_t i = 0; i < KiSymbolCount; i++) {
        if (strcmp(KiSymbolNames + KiSymbolTable[i].name, Name) == 0)
            return KiSymbolTable[i].address;
    }
    return 0;
}

static bool FrameReadable(ULONG Ebp)
{
    return Ebp != 0 && (Ebp & 3) == 0 &&
           MmIsAddressValid((PVOID)Ebp) && MmIsAddressValid((PVOID)(Ebp + 7));
}

/* True if the chain steps from the stack holding Ebp onto a different known stack (KiCallOnStack). */
static bool OntoAnotherStack(ULONG Ebp, ULONG Next)
{
    KE_STACK_INFO From, To;
    return KeIdentifyStack(Ebp, &From) && KeIdentifyStack(Next, &To) && From.Base != To.Base;
}

/*
 * Follows the EBP chain from Ebp and stores up to MaxFrames return addresses.
 * Returns how many it stored. Stops at a zero or unreadable frame pointer, or
 * one that does not move up the stack — unless it moves to another kernel
 * stack, as it does where startup switched stacks.
 */
ULONG KeCaptureBacktrace(ULONG Ebp, ULONG *Frames, ULONG MaxFrames)
{
    ULONG Count = 0;
    while (Count < MaxFrames && FrameReadable(Ebp)) {
        ULONG Next = ((ULONG *)Ebp)[0];
        ULONG Return = ((ULONG *)Ebp)[1];
        if (Return == 0)
            break;
        Frames[Count++] = Return;
        if (Next <= Ebp && !OntoAnotherStack(Ebp, Next))
            break;
        Ebp = Next;
    }
    return Count;
}

/*
 * A return address may sit just past the end of its function: when a call
 * to a routine that does not return (KeBugCheckEx) is a function's last
 * instruction, the address after it is the next function's first byte. So
 * a return address is looked up one byte earlier, inside the call, as
 * WinDbg does; an exact instruction address (a trap's EIP) is looked up as
 * it is. The offset printed is the address's own.
 */
static void PrintFrame(int Index, ULONG Address, bool IsReturnAddress)
{
    ULONG Offset;
    ULONG Bias = IsReturnAddress ? 1 : 0;
    const char *Name = KiSymbolize(Address - Bias, &Offset);
    if (Name)
        DbgPrint("  #%-2d %08x %s+0x%x\n", Index, Address, Name, Offset + Bias);
    else
        DbgPrint("  #%-2d %08x ?\n", Index, Address);
}

static void DumpBacktrace(ULONG Address, bool IsReturnAddress, ULONG Ebp, int MaxFrames)
{
    ULONG Frames[32];
    ULONG Count = KeCaptureBacktrace(Ebp, Frames, MIN((ULONG)MaxFrames, ARRAY_SIZE(Frames)));
    PrintFrame(0, Address, IsReturnAddress);
    for (ULONG i = 0; i < Count; i++)
        PrintFrame((int)i + 1, Frames[i], true);
}

/* Prints Eip (an instruction's own address: a trap's), then the return addresses found by walking the chain from Ebp. */
void KeDumpBacktrace(ULONG Eip, ULONG Ebp, int MaxFrames)
{
    DumpBacktrace(Eip, false, Ebp, MaxFrames);
}

/* The same from a call: frame 0 is the return address of the call that got here (KeBugCheckEx's caller). */
void KeDumpCallerBacktrace(ULONG ReturnAddress, ULONG Ebp, int MaxFrames)
{
    DumpBacktrace(ReturnAddress, true, Ebp, MaxFrames);
}

/*
 * The stopped context's backtrace. At a function's first instruction its
 * frame does not exist yet (EBP is still the caller's), and after its
 * `push ebp` EBP is not set yet: the return address is then at [esp] or
 * [esp+4], and the EBP chain goes on from the caller's frame. Without that
 * the caller would be missing from a breakpoint's backtrace.
 */
void KdpDumpStoppedBacktrace(void)
{
    const KTRAP_FRAME *Tf = KdpStop.TrapFrame;
    ULONG Offset, Return, Frames[24], First = 1;
    const char *Name = KdpStop.EipIsReturnAddress ? NULL : KiSymbolize(Tf->Eip, &Offset);

    PrintFrame(0, Tf->Eip, KdpStop.EipIsReturnAddress);
    if (Name && Offset <= 1 && KdpReadMemory(KiTrapFrameEsp(Tf) + Offset * 4, &Return, sizeof(Return)))
        PrintFrame((int)First++, Return, true);
    ULONG Count = KeCaptureBacktrace(Tf->Ebp, Frames, ARRAY_SIZE(Frames));
    for (ULONG i = 0; i < Count; i++)
        PrintFrame((int)(First + i), Frames[i], true);
}

/* WinDbg's symbol patterns: * any run, ? one character, case-insensitive. */
static bool KdpMatchSymbol(const char *Pattern, const char *Name)
{
    if (!*Pattern)
        return !*Name;
    if (*Pattern == '*')
        return KdpMatchSymbol(Pattern + 1, Name) || (*Name && KdpMatchSymbol(Pattern, Name + 1));
    if (!*Name)
        return false;
    if (*Pattern != '?' && RtlUpperChar(*Pattern) != RtlUpperChar(*Name))
        return false;
    return KdpMatchSymbol(Pattern + 1, Name + 1);
}

KD_COMMAND(x, "x", "[mm386!]PATTERN",
           "the kernel's functions whose names match PATTERN (* and ?, any case), with their addresses")
{
    ULONG Found = 0;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 1))
        return;
    const char *Pattern = Argv[1];
    const char *Bang = strchr(Pattern, '!');
    if (Bang) {
        char Module[KD_LINE_LENGTH];
        snprintf(Module, sizeof(Module), "%.*s", (int)(Bang - Pattern), Pattern);
        if (!KdpMatchSymbol(Module, "mm386")) {
            DbgPrint("x: module '%s': the only module with symbols is mm386\n", Module);
            return;
        }
        Pattern = Bang + 1;
    }
    for (uint32_t i = 0; i < KiSymbolCount; i++) {
        const char *Name = KiSymbolNames + KiSymbolTable[i].name;
        if (!KdpMatchSymbol(Pattern, Name))
            continue;
        DbgPrint("%08x          mm386!%s\n", KiSymbolTable[i].address, Name);
        Found++;
    }
    if (!Found)
        DbgPrint("x: no function matches '%s' (the symbol table holds functions only)\n", Argv[1]);
}

KD_COMMAND(ln, "ln", "ADDRESS", "list nearest symbols: the function holding ADDRESS, and the next one")
{
    ULONG Address;

    if (!KdCheckArgumentCount(Argc, Argv, 1, 1) || !KdParseAddress(Argv[1], "ADDRESS", &Address))
        return;
    if (KiSymbolCount == 0 || Address < KiSymbolTable[0].address || Address >= (ULONG)__text_end) {
        DbgPrint("ln: %08x is not in the kernel's code (%08x..%08x): no function holds it\n", Address,
                 KiSymbolCount ? KiSymbolTable[0].address : 0, (ULONG)__text_end - 1);
        return;
    }
    uint32_t Low = 0, High = KiSymbolCount;
    while (High - Low > 1) {
        uint32_t Mid = (Low + High) / 2;
        if (KiSymbolTable[Mid].address <= Address)
            Low = Mid;
        else
            High = Mid;
    }
    const struct ksym *This = &KiSymbolTable[Low];
    DbgPrint("(%08x)   mm386!%s+0x%x", This->address, KiSymbolNames + This->name, Address - This->address);
    if (Low + 1 < KiSymbolCount)
        DbgPrint("   |  (%08x)   mm386!%s", This[1].address, KiSymbolNames + This[1].name);
    DbgPrint("\n");
    if (Address == This->address)
        DbgPrint("Exact matches:\n    mm386!%s\n", KiSymbolNames + This->name);
}
