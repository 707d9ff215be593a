/*
 * kernel/kd/kdmem.c — memory at the kd> prompt: db, dd (virtual), !db, !dd
 * (physical), eb, ed (edits).
 *
 * Nothing here faults. db and dd ask MmIsAddressValid about each page
 * before reading it and stop with a message at the first one no valid PTE
 * maps, where WinDbg would print question marks. eb and ed check every page
 * they would touch first and write nothing unless all are mapped; they
 * write through MmDbgCopyMemory (mm/mmdbg.c), which reaches a read-only
 * page — kernel code — through its frame, as NT's debugger edits code. An
 * edit over a breakpoint's int3 is refused: clearing the breakpoint later
 * would put the old byte back over the edit.
 *
 * !db and !dd read physical memory the way NT's debugger does, through the
 * memory manager's debugger PTE (MmDebugPte), one page at a time: not
 * through hyperspace, whose slots and nesting belong to whatever code the
 * debugger may have stopped in the middle of a mapping. RAM is read
 * cached; anything else (device memory, the VGA text buffer at b8000) only
 * when asked for uncached (`!db uc b8000`), as WinDbg's flags say.
 */
#include <hal.h>
#include <kd.h>
#include <mm.h>
#include <rtl.h>
#include "kdp.h"

#define KD_DUMP_MAX_BYTES 0x10000   /* one dump prints at most 64 KB */
#define KD_EDIT_MAX_VALUES (KD_MAX_ARGS - 2)

/* One row of 16 bytes: Prefix (WinDbg's '#' for physical), the address, the elements, and for bytes their text. */
static void KdpPrintRow(const char *Prefix, ULONG Address, const UCHAR *Bytes, ULONG Elements, ULONG Width)
{
    char Text[100];
    size_t n = (size_t)snprintf(Text, sizeof(Text), "%s%08x ", Prefix, Address);

    for (ULONG i = 0; i < 16 / Width; i++) {
        if (i >= Elements && Width != 1)
            break;                  /* dd: a short row just ends */
        if (i >= Elements)
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, "   ");
        else if (Width == 1)
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, "%c%02x", i == 8 ? '-' : ' ', Bytes[i]);
        else
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, " %08x", ((const ULONG *)Bytes)[i]);
    }
    if (Width == 1) {
        n += (size_t)snprintf(Text + n, sizeof(Text) - n, "  ");
        for (ULONG i = 0; i < Elements; i++)
            Text[n++] = (Bytes[i] >= 0x20 && Bytes[i] < 0x7F) ? (char)Bytes[i] : '.';
        Text[n] = '\0';
    }
    DbgPrint("%s\n", Text);
}

/* The COUNT argument of a dump (WinDbg's L prefix accepted): 1..64 KB worth of elements. */
static bool KdpParseCount(const char *Text, ULONG Width, ULONG *Count)
{
    bool Prefixed = Text[0] == 'L' || Text[0] == 'l';
    if (!KdParseNumber(Prefixed ? Text + 1 : Text, Prefixed ? "COUNT after L" : "COUNT", Count))
        return false;
    if (*Count == 0 || *Count > KD_DUMP_MAX_BYTES / Width) {
        DbgPrint("%s: COUNT must be 1..%x (hex)\n", KdpCurrentCommand->Name, KD_DUMP_MAX_BYTES / Width);
        return false;
    }
    return true;
}

/* True if every byte of [Address, Address + Length) is mapped; *CheckedPage caches the last page found valid. */
static bool KdpRangeMapped(ULONG Address, ULONG Length, ULONG *CheckedPage)
{
    for (ULONG Page = ROUND_DOWN(Address, PAGE_SIZE); ; Page += PAGE_SIZE) {
        if (Page != *CheckedPage) {
            if (!MmIsAddressValid((PVOID)Page))
                return false;
            *CheckedPage = Page;
        }
        if (Page >= ROUND_DOWN(Address + Length - 1, PAGE_SIZE))
            return true;
    }
}

/*
 * db/dd: Count elements of Width bytes from Address, 16 bytes a row. Each
 * element's page is checked before it is read; the dump stops, saying so,
 * at the first one that no valid PTE maps.
 */
static void KdpDumpVirtual(int Argc, char **Argv, ULONG Width, ULONG DefaultCount)
{
    ULONG Address, Count = DefaultCount;
    ULONG CheckedPage = 1;          /* no page checked yet: 1 is never a page address */

    if (!KdCheckArgumentCount(Argc, Argv, 1, 2) || !KdParseAddress(Argv[1], "ADDRESS", &Address) ||
        (Argc > 2 && !KdpParseCount(Argv[2], Width, &Count)))
        return;
    if (Address + (Count * Width - 1) < Address) {
        DbgPrint("%s: %x elements from %08x run past 4 GB\n", KdpCurrentCommand->Name, Count, Address);
        return;
    }
    for (ULONG Done = 0; Done < Count; ) {
        ULONG Row = Address + Done * Width;
        ULONG Wanted = MIN(16 / Width, Count - Done), Readable = 0;
        UCHAR Bytes[16];
        while (Readable < Wanted && KdpRangeMapped(Row + Readable * Width, Width, &CheckedPage))
            Readable++;
        for (ULONG i = 0; i < Readable * Width; i++)
            Bytes[i] = ((const volatile UCHAR *)Row)[i];
        if (Readable)
            KdpPrintRow("", Row, Bytes, Readable, Width);
        if (Readable < Wanted) {
            ULONG Where = Row + Readable * Width;
            DbgPrint("%08x  not mapped: no valid PTE maps this page (`!pte %x` shows why); dump stopped\n",
                     Where, Where);
            return;
        }
        Done += Readable;
    }
}

KD_COMMAND(db, "db", "ADDRESS [COUNT]", "dump bytes (COUNT hex, default 80); unmapped pages are reported, never read")
{
    KdpDumpVirtual(Argc, Argv, 1, 0x80);
}

KD_COMMAND(dd, "dd", "ADDRESS [COUNT]", "dump 32-bit words (COUNT hex, default 20)")
{
    KdpDumpVirtual(Argc, Argv, 4, 0x20);
}

/*
 * !db/!dd [c|uc|wc] ADDRESS [COUNT]: physical memory, through MmDbgCopyMemory
 * with MMDBG_COPY_PHYSICAL. Stops at the first page that cannot be mapped.
 */
static void KdpDumpPhysical(int Argc, char **Argv, ULONG Width, ULONG DefaultCount)
{
    ULONG Address, Count = DefaultCount, Flags = MMDBG_COPY_PHYSICAL | MMDBG_COPY_UNSAFE;
    int First = 1;

    if (Argc >= 2 && (strcmp(Argv[1], "c") == 0 || strcmp(Argv[1], "uc") == 0 || strcmp(Argv[1], "wc") == 0)) {
        Flags |= Argv[1][0] == 'c' ? MMDBG_COPY_CACHED : Argv[1][0] == 'u' ? MMDBG_COPY_UNCACHED
                                                                         : MMDBG_COPY_WRITE_COMBINED;
        First = 2;
    }
    if (!KdCheckArgumentCount(Argc - (First - 1), Argv + (First - 1), 1, 2) ||
        !KdParseNumber(Argv[First], "PHYSICAL", &Address) ||
        (Argc > First + 1 && !KdpParseCount(Argv[First + 1], Width, &Count)))
        return;
    if (Address & (Width - 1)) {
        DbgPrint("%s: %x is not aligned to %u bytes\n", KdpCurrentCommand->Name, Address, Width);
        return;
    }
    if (Address + (Count * Width - 1) < Address) {
        DbgPrint("%s: %x elements from %08x run past 4 GB\n", KdpCurrentCommand->Name, Count, Address);
        return;
    }
    for (ULONG Done = 0; Done < Count; ) {
        ULONG Row = Address + Done * Width, Wanted = MIN(16 / Width, Count - Done), Read = 0;
        UCHAR Bytes[16];
        bool Enabled = HalSaveAndDisableInterrupts();
        while (Read < Wanted && NT_SUCCESS(MmDbgCopyMemory(Row + Read * Width, Bytes + Read * Width, Width, Flags)))
            Read++;
        HalRestoreInterrupts(Enabled);
        if (Read)
            KdpPrintRow("#", Row, Bytes, Read, Width);
        if (Read < Wanted) {
            DbgPrint("#%08x  cannot be read: %s; dump stopped\n", Row + Read * Width,
                     (Flags & (MMDBG_COPY_UNCACHED | MMDBG_COPY_WRITE_COMBINED))
                         ? "no page can be mapped there"
                         : "not a page of RAM (device memory is read with `uc`: !db uc ADDRESS)");
            return;
        }
        Done += Read;
    }
}

KD_COMMAND(physdb, "!db", "[c|uc|wc] PHYSICAL [COUNT]",
           "dump physical memory as bytes (through the debugger's PTE; uc for device memory)")
{
    KdpDumpPhysical(Argc, Argv, 1, 0x80);
}

KD_COMMAND(physdd, "!dd", "[c|uc|wc] PHYSICAL [COUNT]", "dump physical memory as 32-bit words")
{
    KdpDumpPhysical(Argc, Argv, 4, 0x20);
}

/*
 * eb/ed ADDRESS VALUE...: each value (hex, at most 0xff for eb) written in
 * turn from ADDRESS. Every page the edit touches must be mapped, and no
 * breakpoint's int3 may lie under it; else nothing is written.
 */
static void KdpEdit(int Argc, char **Argv, ULONG Width)
{
    ULONG Address, Values[KD_EDIT_MAX_VALUES];
    ULONG Count = (ULONG)Argc - 2, Length = Count * Width;
    UCHAR Bytes[KD_EDIT_MAX_VALUES * 4];

    if (!KdCheckArgumentCount(Argc, Argv, 2, KD_MAX_ARGS - 1) || !KdParseAddress(Argv[1], "ADDRESS", &Address))
        return;
    for (ULONG i = 0; i < Count; i++) {
        if (!KdParseNumber(Argv[i + 2], "VALUE", &Values[i]))
            return;
        if (Width == 1 && Values[i] > 0xFF) {
            DbgPrint("eb: VALUE '%s' does not fit in a byte\n", Argv[i + 2]);
            return;
        }
        memcpy(Bytes + i * Width, &Values[i], Width);
    }
    if (Address + (Length - 1) < Address) {
        DbgPrint("%s: %u bytes from %08x run past 4 GB\n", KdpCurrentCommand->Name, Length, Address);
        return;
    }
    for (ULONG Page = ROUND_DOWN(Address, PAGE_SIZE); ; Page += PAGE_SIZE) {
        if (!MmIsAddressValid((PVOID)Page)) {
            ULONG Where = MAX(Page, Address);
            DbgPrint("%08x  not mapped: no valid PTE maps this page (`!pte %x` shows why); nothing was written\n",
                     Where, Where);
            return;
        }
        if (Page >= ROUND_DOWN(Address + Length - 1, PAGE_SIZE))
            break;
    }
    LONG Breakpoint = KdpBreakpointInRange(Address, Length);
    if (Breakpoint >= 0) {
        DbgPrint("%s: breakpoint %d's int3 is in %08x..%08x; clear it first (bc %d); nothing was written\n",
                 KdpCurrentCommand->Name, (int)Breakpoint, Address, Address + Length - 1, (int)Breakpoint);
        return;
    }
    if (!KdpWriteMemory(Address, Bytes, Length))
        DbgPrint("%s: the write failed part way (a page went away meanwhile)\n", KdpCurrentCommand->Name);
}

KD_COMMAND(eb, "eb", "ADDRESS VALUE...",
           "edit bytes: write each VALUE (hex) from ADDRESS; every page is checked first, code pages are written "
           "through their frame")
{
    KdpEdit(Argc, Argv, 1);
}

KD_COMMAND(ed, "ed", "ADDRESS VALUE...", "edit 32-bit words: write each VALUE (hex) from ADDRESS, checked like eb")
{
    KdpEdit(Argc, Argv, 4);
}
