/*
 * kernel/kd/kdanalyze.c — !analyze: what a bugcheck means, read from its
 * code and parameters.
 *
 * WinDbg's !analyze -v starts from the four parameters of the STOP code and
 * says, code by code, what each one is — NT documents them per code, and
 * for some codes (BAD_POOL_HEADER, BAD_POOL_CALLER, MEMORY_MANAGEMENT,
 * SYSTEM_PTE_MISUSE, PFN_LIST_CORRUPT) per value of the first parameter.
 * mm386's !analyze does the same from the tables below, then looks at what
 * the parameters point to with the prompt's own commands, printing each
 * command before its output so the reader learns what to type next time:
 * the pool block (!pool) for a pool code, the PTE and its region (!pte,
 * !address) for a fault on an address, the system PTE range and its PTEs
 * for SYSTEM_PTE_MISUSE, the page (!pfn) for a PFN code. Last come the
 * faulting context (r) and the backtrace (k).
 *
 * It runs at the stopped prompt, so every command it runs is under the
 * stopped prompt's rules: nothing waits, and a command that cannot read
 * something (a lock the stopped code holds) says so instead of guessing.
 */
#include <kd.h>
#include <layout.h>
#include <mm.h>
#include <rtl.h>
#include "kdp.h"

typedef struct _KD_BUGCHECK_TEXT {
    ULONG Code;
    const char *Meaning;
    const char *Arguments[4];
} KD_BUGCHECK_TEXT;

/* Every code mm386 raises: what it means, and its parameters where they do not depend on the first. */
static const KD_BUGCHECK_TEXT KdpBugCheckTexts[] = {
    { APC_INDEX_MISMATCH, "A thread's kernel APC disable count or APC state index was not what it must be "
                          "where it was checked: an enter without its leave.",
      { "address of the system call or routine", "the thread's ApcStateIndex", "the KernelApcDisable count", "" } },
    { INVALID_PROCESS_ATTACH_ATTEMPT, "A thread attached to a process while attached already, or from a DPC routine.",
      { "the process", "the current process", "", "" } },
    { INVALID_PROCESS_DETACH_ATTEMPT, "A thread detached from a process it was not attached to.",
      { "the process", "the current process", "", "" } },
    { IRQL_NOT_GREATER_OR_EQUAL, "KeRaiseIrql was asked for an IRQL below the current one.",
      { "the current IRQL", "the IRQL asked for", "", "" } },
    { IRQL_NOT_LESS_OR_EQUAL, "Memory that may not be resident (pageable, or not mapped at all) was touched, or a "
                              "wait was attempted, at an IRQL too high for it (DISPATCH_LEVEL or above).",
      { "the address referenced (or the object waited on)", "the IRQL at the time", "0 read, 1 write",
        "the instruction (or caller) that did it" } },
    { MAXIMUM_WAIT_OBJECTS_EXCEEDED, "A wait named more objects than a wait block array can hold.",
      { "the count of objects", "the wait block array", "", "" } },
    { SPIN_LOCK_ALREADY_OWNED, "A spin lock was acquired by the processor that holds it already: on one processor "
                               "the second acquisition would spin forever.",
      { "the spin lock", "the IRQL", "", "" } },
    { SPIN_LOCK_NOT_OWNED, "A spin lock was released that nobody holds.", { "the spin lock", "the IRQL", "", "" } },
    { THREAD_NOT_MUTEX_OWNER, "A thread released a mutex (KMUTEX) it does not own.", { "the thread", "the mutex", "", "" } },
    { TRAP_CAUSE_UNKNOWN, "An interrupt vector that nothing owns was raised.", { "the vector", "the EIP", "", "" } },
    { REFERENCE_BY_POINTER, "An object's last pointer reference went while a handle was still open, or a "
                            "dereference took the count below zero.",
      { "the object type", "the object", "its handle count", "its new pointer count" } },
    { BAD_POOL_HEADER, "A pool header is corrupt: a block does not fit its page or its neighbours, or a free "
                       "block was changed after it was freed. Something wrote past the end of an allocation or "
                       "into freed pool.", { "", "", "", "" } },
    { MEMORY_MANAGEMENT, "The memory manager found one of its own invariants broken.", { "", "", "", "" } },
    { KMODE_EXCEPTION_NOT_HANDLED, "Kernel code raised an exception (a fault, or a failed assertion) that no "
                                   "handler took.",
      { "the exception code", "the address where it happened", "parameter 0 of the exception (1 write for an "
        "access violation; the file for an assertion)", "parameter 1 (the address accessed; the line)" } },
    { KERNEL_APC_PENDING_DURING_EXIT, "A thread ended at a raised IRQL or with kernel APCs disabled.",
      { "the APC", "the thread's APC disable count", "the IRQL", "" } },
    { PHASE0_INITIALIZATION_FAILED, "Startup failed in phase 0 (before interrupts).", { "", "", "", "" } },
    { PHASE1_INITIALIZATION_FAILED, "Startup failed in phase 1.", { "", "", "", "" } },
    { NO_MORE_SYSTEM_PTES, "A mapping that had to succeed found no system PTEs left.",
      { "0", "the pages asked for", "the free PTEs", "the total PTEs" } },
    { THREAD_TERMINATE_HELD_MUTEX, "A thread ended while it owned a mutex (KMUTEX).",
      { "the thread", "the mutex", "", "" } },
    { NO_PAGES_AVAILABLE, "A page had to be found and none was free, though commit had promised one.",
      { "modified pages", "0", "free nonpaged pages", "0" } },
    { PFN_LIST_CORRUPT, "The PFN database is inconsistent: a page was given back twice, or while still in use, "
                        "or a count went below zero, or a list's count and links disagree.", { "", "", "", "" } },
    { PAGE_FAULT_IN_NONPAGED_AREA, "A system address that nothing maps, and that nothing may fault on, was touched.",
      { "the address referenced", "0 read, 1 write", "the instruction that did it", "" } },
    { UNSUPPORTED_PROCESSOR, "The processor lacks what mm386 relies on (PSE, TSC, CX8, CMOV).",
      { "family", "model", "stepping", "" } },
    { PROCESS_HAS_LOCKED_PAGES, "A process ended with pages still locked by an MDL.", { "", "", "", "" } },
    { INSTALL_MORE_MEMORY, "There is less RAM than mm386 needs.",
      { "pages found", "the lowest page", "the highest page", "pages needed" } },
    { UNEXPECTED_KERNEL_MODE_TRAP, "The processor raised an exception the kernel never expects (divide error, "
                                   "invalid opcode, #GP, double fault ...).",
      { "the trap number", "the error code (for a double fault: the ESP)", "the EIP", "for a double fault: the "
        "base of the stack that overflowed" } },
    { NMI_HARDWARE_FAILURE, "A non-maskable interrupt: the hardware reported a failure.", { "", "", "", "" } },
    { ATTEMPTED_SWITCH_FROM_DPC, "A DPC routine tried to wait (to give up the processor).",
      { "the thread", "0", "the DPC's frame", "" } },
    { ATTEMPTED_WRITE_TO_READONLY_MEMORY, "Kernel code wrote to a read-only system page (its own code, say).",
      { "the address written", "its PTE", "", "" } },
    { SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, "Special pool found the bytes around an allocation changed when it "
                                               "was freed: an overrun or underrun that did not reach the guard page.",
      { "the allocation", "the corrupt byte", "0", "the kind of check (0x23, 0x24)" } },
    { BAD_POOL_CALLER, "A caller misused the pool: freed a block twice, with the wrong tag, at the wrong IRQL, or "
                       "freed something that is not a pool allocation.", { "", "", "", "" } },
    { PAGE_FAULT_IN_FREED_SPECIAL_POOL, "Special pool: an allocation was touched after it was freed.",
      { "the address referenced", "0 read, 1 write", "the instruction that did it", "" } },
    { PAGE_FAULT_BEYOND_END_OF_ALLOCATION, "Special pool: an access ran past the end of an allocation into the "
                                           "guard page after it.",
      { "the address referenced", "0 read, 1 write", "the instruction that did it", "" } },
    { SYSTEM_PTE_MISUSE, "System PTEs were given back or mapped wrongly: twice, with the wrong count, from the middle "
                         "of a reservation, over a mapping, with another tag.", { "", "", "", "" } },
    { MANUALLY_INITIATED_CRASH, "Someone asked for this crash (the bugcheck command).", { "", "", "", "" } },
};

/* Codes whose parameters depend on the first: code, first parameter, what each means, and which one is the subject. */
typedef enum _KD_SUBJECT {
    KdSubjectNone,
    KdSubjectPoolBlock,         /* a pool allocation's address (the body, after its header) */
    KdSubjectPoolHeader,        /* a pool block's header (the body is 8 bytes on) */
    KdSubjectVa,                /* an address: its PTE and region */
    KdSubjectPte,               /* a PTE's address */
    KdSubjectPfn,               /* a physical page */
    KdSubjectSystemPtes,        /* a system PTE range: VA in one parameter, pages in another */
} KD_SUBJECT;

typedef struct _KD_SUBTYPE_TEXT {
    ULONG Code, P1;
    const char *Arguments[4];
    UCHAR Subject, Where, Count;     /* the subject's parameter (1-4); for a range, the count's (0: one page) */
} KD_SUBTYPE_TEXT;

static const KD_SUBTYPE_TEXT KdpSubtypes[] = {
    { BAD_POOL_HEADER, 3, { "the free list links were overwritten after the block was freed", "the block's "
      "LIST_ENTRY", "what its Flink's Blink holds", "what its Blink's Flink holds" }, KdSubjectPoolBlock, 2, 0 },
    { BAD_POOL_HEADER, 5, { "a block and the next disagree on their sizes", "the block's header", "0",
      "the other block's header" }, KdSubjectPoolHeader, 2, 0 },
    { BAD_POOL_HEADER, 6, { "a block's previous size disagrees with the block before it", "the block's header", "0",
      "the other block's header" }, KdSubjectPoolHeader, 2, 0 },
    { BAD_POOL_HEADER, 8, { "a block's size runs past its page", "the block's header", "0", "" },
      KdSubjectPoolHeader, 2, 0 },
    { BAD_POOL_HEADER, 9, { "a block's size is zero or not what its page says", "the block's header", "0", "" },
      KdSubjectPoolHeader, 2, 0 },
    { BAD_POOL_HEADER, 0x0D, { "the free block after the one freed was changed after its own free", "that block's "
      "header", "0", "the header of the block being freed" }, KdSubjectPoolHeader, 2, 0 },
    { BAD_POOL_HEADER, 0x0E, { "the free block before the one freed was changed after its own free", "that block's "
      "header", "0", "the header of the block being freed" }, KdSubjectPoolHeader, 2, 0 },
    { BAD_POOL_HEADER, 0x0F, { "a free block taken from a list was changed after it was freed", "the block's header",
      "0", "the list head" }, KdSubjectPoolHeader, 2, 0 },
    { BAD_POOL_CALLER, 0x01, { "the header of the block being freed is corrupt", "the header", "its first word", "" },
      KdSubjectPoolHeader, 2, 0 },
    { BAD_POOL_CALLER, 0x07, { "the block was freed already (it is free, or parked in a lookaside list)", "0",
      "its header's first word", "the block being freed" }, KdSubjectPoolBlock, 4, 0 },
    { BAD_POOL_CALLER, 0x08, { "pool allocated above its IRQL", "the IRQL", "the pool type", "the size" },
      KdSubjectNone, 0, 0 },
    { BAD_POOL_CALLER, 0x09, { "pool freed above its IRQL", "the IRQL", "the pool type", "the address" },
      KdSubjectPoolBlock, 4, 0 },
    { BAD_POOL_CALLER, 0x0A, { "pool freed with another tag than it was allocated with", "the block",
      "the allocator's tag", "the tag given to the free" }, KdSubjectPoolBlock, 2, 0 },
    { BAD_POOL_CALLER, 0x40, { "pool freed at a user address", "the address", "MmSystemRangeStart", "" },
      KdSubjectVa, 2, 0 },
    { BAD_POOL_CALLER, 0x41, { "freeing what is not the start of a nonpaged allocation", "the address", "", "" },
      KdSubjectPoolBlock, 2, 0 },
    { BAD_POOL_CALLER, 0x42, { "freeing an address in no pool", "the address", "", "" }, KdSubjectVa, 2, 0 },
    { BAD_POOL_CALLER, 0x44, { "freeing a nonpaged pool page that is not allocated", "the address", "", "" },
      KdSubjectVa, 2, 0 },
    { BAD_POOL_CALLER, 0x50, { "freeing a paged pool page that is not allocated", "the address", "its page index",
      "the paged pool's size" }, KdSubjectVa, 2, 0 },
    { BAD_POOL_CALLER, 0x60, { "MmFreeContiguousMemory of an address that starts no contiguous allocation",
      "the address", "", "" }, KdSubjectVa, 2, 0 },
    { BAD_POOL_CALLER, 0x99, { "freeing an address in no pool allocation", "the address", "", "" }, KdSubjectVa, 2, 0 },
    { BAD_POOL_CALLER, 0x9A, { "NonPagedPoolMustSucceed was asked for", "the pool type", "the size", "the tag" },
      KdSubjectNone, 0, 0 },
    { BAD_POOL_CALLER, 0x9B, { "pool asked for with tag 0", "the pool type", "the size", "the caller" },
      KdSubjectNone, 0, 0 },
    { BAD_POOL_CALLER, 0x41286, { "freeing what is not the start of a paged allocation", "the address", "0",
      "its page index" }, KdSubjectVa, 2, 0 },
    { SYSTEM_PTE_MISUSE, 0x300, { "MiReleaseSystemPtes of 0 PTEs", "the VA", "", "" }, KdSubjectSystemPtes, 2, 0 },
    { SYSTEM_PTE_MISUSE, 0x301, { "releasing what are not system PTEs", "the VA", "the count", "" },
      KdSubjectSystemPtes, 2, 3 },
    { SYSTEM_PTE_MISUSE, 0x304, { "releasing from the middle of a reservation", "the VA", "the count", "" },
      KdSubjectSystemPtes, 2, 3 },
    { SYSTEM_PTE_MISUSE, 0x305, { "releasing with another count than was reserved", "the VA", "the count released",
      "the count reserved" }, KdSubjectSystemPtes, 2, 3 },
    { SYSTEM_PTE_MISUSE, 0x306, { "releasing PTEs that are not reserved (freed twice)", "the VA", "the free VA",
      "the count" }, KdSubjectSystemPtes, 2, 4 },
    { SYSTEM_PTE_MISUSE, 0x400, { "MmUnmapIoSpace of an address that is not mapped", "the VA", "the pages", "" },
      KdSubjectSystemPtes, 2, 3 },
    { SYSTEM_PTE_MISUSE, 0x401, { "mapping an MDL that is mapped already", "the MDL", "its VA", "its pages" },
      KdSubjectSystemPtes, 3, 4 },
    { SYSTEM_PTE_MISUSE, 0x03, { "MmUnmapLockedPages at another address than the MDL's", "the MDL", "the address",
      "the MDL's address" }, KdSubjectSystemPtes, 3, 0 },
    { SYSTEM_PTE_MISUSE, 0x06, { "MmUnmapLockedPages of an MDL that is not mapped", "the MDL", "the address",
      "the pages" }, KdSubjectSystemPtes, 3, 4 },
    { PFN_LIST_CORRUPT, 0x01, { "a list head's count and links disagree", "the list head", "its count",
      "its first PFN" }, KdSubjectPfn, 4, 0 },
    { PFN_LIST_CORRUPT, 0x07, { "a share or reference count went below zero", "the PFN", "its share count", "" },
      KdSubjectPfn, 2, 0 },
    { PFN_LIST_CORRUPT, 0x99, { "a page given back that is on a list already (freed twice)", "the PFN",
      "its state", "" }, KdSubjectPfn, 2, 0 },
    { PFN_LIST_CORRUPT, 0x9A, { "a page given back while still referenced", "the PFN", "its state",
      "its reference count" }, KdSubjectPfn, 2, 0 },
    { MEMORY_MANAGEMENT, 0x411, { "deleting a PTE that is not valid", "the PTE", "its contents", "" },
      KdSubjectPte, 2, 0 },
    { MEMORY_MANAGEMENT, 0x61940, { "a PTE whose page table is missing", "the PTE", "the PDE", "the VA" },
      KdSubjectVa, 4, 0 },
    { MEMORY_MANAGEMENT, 0x4150, { "a frame that is not RAM given to the page lists", "the PFN", "the highest page",
      "" }, KdSubjectNone, 0, 0 },
    { MEMORY_MANAGEMENT, 0x4152, { "hyperspace misused (above DISPATCH_LEVEL, nested too deep, unmapped wrongly, or "
      "an address-space switch with a mapping held)", "the PFN or VA", "mappings outstanding", "the IRQL" },
      KdSubjectNone, 0, 0 },
    { MEMORY_MANAGEMENT, 0x4155, { "commit returned that was never charged", "pages returned", "pages charged", "" },
      KdSubjectNone, 0, 0 },
    { MEMORY_MANAGEMENT, 0x4160, { "a free nonpaged pool run's signature is wrong", "the run", "its signature",
      "the signature expected" }, KdSubjectVa, 2, 0 },
    { MEMORY_MANAGEMENT, 0x4161, { "a paged pool allocation has no end bit", "the VA", "its first page index",
      "the end bit found" }, KdSubjectVa, 2, 0 },
    { MEMORY_MANAGEMENT, 0x4162, { "a big pool allocation's pages disagree with its table entry", "the VA",
      "pages recorded", "pages freed" }, KdSubjectVa, 2, 0 },
    { MEMORY_MANAGEMENT, 0x1233, { "mapping an MDL that names a free page", "the PFN", "the MDL", "" },
      KdSubjectPfn, 2, 0 },
    { MEMORY_MANAGEMENT, 0x1240, { "building an MDL over memory that is not resident", "the MDL", "the VA", "" },
      KdSubjectVa, 3, 0 },
    { MEMORY_MANAGEMENT, 0x4153, { "freeing the pages of an MDL that is still mapped", "the MDL", "its VA", "" },
      KdSubjectVa, 3, 0 },
    { MEMORY_MANAGEMENT, 0x4154, { "MmFreePagesFromMdl of an MDL MmAllocatePagesForMdl did not fill", "the MDL",
      "its flags", "" }, KdSubjectNone, 0, 0 },
    { MEMORY_MANAGEMENT, 0x1000, { "mapping a page in use as cached memory uncached", "the MDL", "the PFN",
      "the cache type" }, KdSubjectPfn, 3, 0 },
};

/* Runs a prompt command as part of !analyze, printed first (after "> ") as it would be typed. */
static void KdpRun(const char *Format, ...)
{
    char Line[KD_LINE_LENGTH];
    va_list Args;
    const KD_COMMAND *Running = KdpCurrentCommand;

    va_start(Args, Format);
    vsnprintf(Line, sizeof(Line), Format, Args);
    va_end(Args);
    DbgPrint("> %s\n", Line);
    KdExecute(Line);
    KdpCurrentCommand = Running;
}

static const KD_BUGCHECK_TEXT *KdpFindText(ULONG Code)
{
    for (ULONG i = 0; i < ARRAY_SIZE(KdpBugCheckTexts); i++) {
        if (KdpBugCheckTexts[i].Code == Code)
            return &KdpBugCheckTexts[i];
    }
    return NULL;
}

static const KD_SUBTYPE_TEXT *KdpFindSubtype(ULONG Code, ULONG P1)
{
    for (ULONG i = 0; i < ARRAY_SIZE(KdpSubtypes); i++) {
        if (KdpSubtypes[i].Code == Code && KdpSubtypes[i].P1 == P1)
            return &KdpSubtypes[i];
    }
    return NULL;
}

/* Looks at what the parameters point to. */
static void KdpExamineSubject(const KD_SUBTYPE_TEXT *Sub, const ULONG_PTR *P)
{
    ULONG Value = Sub->Where ? P[Sub->Where - 1] : 0;

    switch (Sub->Subject) {
    case KdSubjectPoolHeader:
        Value += 8;             /* the body follows the 8-byte POOL_HEADER */
        /* fall through */
    case KdSubjectPoolBlock:
        DbgPrint("\nPOOL BLOCK: %08x (its POOL_HEADER at %08x); the page it lies in:\n", Value, Value - 8);
        KdpRun("!pool %x", Value);
        KdpRun("dt POOL_HEADER %x", Value - 8);
        break;
    case KdSubjectVa:
        DbgPrint("\nADDRESS: %08x; its region, and the PDE and PTE that map it:\n", Value);
        KdpRun("!address %x", Value);
        KdpRun("!pte %x", Value);
        break;
    case KdSubjectPte:
        DbgPrint("\nPTE: %08x; what it maps:\n", Value);
        KdpRun("!pte %x", Value);
        break;
    case KdSubjectPfn:
        DbgPrint("\nPAGE: %x; its PFN entry:\n", Value);
        KdpRun("!pfn %x", Value);
        break;
    case KdSubjectSystemPtes: {
        ULONG Pages = Sub->Count ? P[Sub->Count - 1] : 1;
        ULONG Va = Value & ~(PAGE_SIZE - 1);
        if (Pages == 0)
            Pages = 1;
        DbgPrint("\nSYSTEM PTE RANGE: %08x..%08x (%u page%s, PTEs %08x..%08x); its first and last PTE:\n", Va,
                 Va + Pages * PAGE_SIZE - 1, Pages, Pages == 1 ? "" : "s", PTE_BASE + (Va >> PAGE_SHIFT) * 4,
                 PTE_BASE + ((Va >> PAGE_SHIFT) + Pages - 1) * 4);
        KdpRun("!address %x", Va);
        KdpRun("!pte %x", Va);
        if (Pages > 1)
            KdpRun("!pte %x", Va + (Pages - 1) * PAGE_SIZE);
        break;
    }
    default:
        break;
    }
}

void KdpAnalyzeBugCheck(bool Verbose)
{
    ULONG Code = KdpStop.BugCheckCode;
    const ULONG_PTR *P = KdpStop.Parameters;
    const KD_BUGCHECK_TEXT *Text = KdpFindText(Code);
    const KD_SUBTYPE_TEXT *Sub = KdpFindSubtype(Code, P[0]);

    DbgPrint("*******************************************************************************\n"
             "*                            Bugcheck Analysis                                *\n"
             "*******************************************************************************\n\n");
    DbgPrint("%s (%x)\n", KiBugCheckName(Code), Code);
    DbgPrint("%s\n", Text ? Text->Meaning : "mm386 has no description of this code.");
    if (Sub)
        DbgPrint("Here: %s.\n", Sub->Arguments[0]);
    DbgPrint("Arguments:\n");
    for (ULONG i = 0; i < 4; i++) {
        const char *What = Sub ? (i == 0 ? "the kind of misuse (above)" : Sub->Arguments[i])
                               : Text ? Text->Arguments[i] : "";
        DbgPrint("Arg%u: %08x%s%s\n", i + 1, P[i], What && What[0] ? ", " : "", What ? What : "");
    }
    if (!Verbose) {
        DbgPrint("\n(!analyze -v also looks at what the arguments point to, and shows the context and the stack.)\n");
        return;
    }
    if (Sub) {
        KdpExamineSubject(Sub, P);
    } else if (Code == PAGE_FAULT_IN_NONPAGED_AREA || Code == ATTEMPTED_WRITE_TO_READONLY_MEMORY ||
               Code == IRQL_NOT_LESS_OR_EQUAL || Code == PAGE_FAULT_IN_FREED_SPECIAL_POOL ||
               Code == PAGE_FAULT_BEYOND_END_OF_ALLOCATION) {
        const KD_SUBTYPE_TEXT Va = { .Subject = KdSubjectVa, .Where = 1 };
        KdpExamineSubject(&Va, P);
    } else if (Code == SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION) {
        const KD_SUBTYPE_TEXT Block = { .Subject = KdSubjectPoolBlock, .Where = 1 };
        KdpExamineSubject(&Block, P);
    } else if (Code == KMODE_EXCEPTION_NOT_HANDLED && P[0] == (ULONG_PTR)STATUS_ACCESS_VIOLATION) {
        const KD_SUBTYPE_TEXT Va = { .Subject = KdSubjectVa, .Where = 4 };
        KdpExamineSubject(&Va, P);
    }
    if (Code == KMODE_EXCEPTION_NOT_HANDLED || Code == UNEXPECTED_KERNEL_MODE_TRAP) {
        ULONG Eip = Code == KMODE_EXCEPTION_NOT_HANDLED ? P[1] : P[2];
        DbgPrint("\nFAULTING INSTRUCTION:\n");
        KdpRun("ln %x", Eip);
    }
    DbgPrint("\nCONTEXT (%s):\n", KdpStop.EipIsReturnAddress ? "the caller of KeBugCheckEx" : "the trap");
    KdpRun("r");
    DbgPrint("\nSTACK:\n");
    KdpRun("k");
}

KD_COMMAND(analyze, "!analyze", "[-v]",
           "what the bugcheck the kernel stopped at means: its code, its arguments; -v looks at what they point to")
{
    if (!KdCheckArgumentCount(Argc, Argv, 0, 1))
        return;
    if (Argc == 2 && strcmp(Argv[1], "-v") != 0) {
        DbgPrint("!analyze: unexpected argument '%s' (the only option is -v)\n", Argv[1]);
        return;
    }
    if (!KdIsStopped()) {
        DbgPrint("!analyze: the kernel is running: there is no bugcheck to analyze\n");
        return;
    }
    if (KdpStop.Reason != KdStopBugCheck) {
        DbgPrint("!analyze: the kernel stopped at a %s, not a bugcheck; r and k show where\n",
                 KdpStop.Reason == KdStopStep ? "step" : "breakpoint");
        return;
    }
    KdpAnalyzeBugCheck(Argc == 2);
}
