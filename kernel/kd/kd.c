/*
 * kernel/kd/kd.c — the kd> prompt: a small kernel debugger on COM1.
 *
 * The prompt reads characters that the serial driver's receive interrupt
 * queued, edits the line (backspace erases, Ctrl-U clears), and on Enter
 * splits it into words and runs the command of that name from the .kdcmd
 * section. While it waits for input the processor halts until the next
 * interrupt. Commands are modelled on WinDbg's; this file holds the general
 * ones (help, k, lm, db, dd, ktest, bugcheck, reboot, quit); memory-manager
 * extensions (!pte, !pfn ...) register themselves in mm/kdexts.c.
 *
 * db and dd never fault: before reading a page they ask MmIsAddressValid
 * whether a valid PTE maps it, and stop with a message at the first page
 * that is not mapped, where WinDbg would print question marks.
 */
#include <drivers.h>
#include <hal.h>
#include <kd.h>
#include <ktest.h>
#include <layout.h>
#include <loader.h>
#include <mm.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

#define KD_LINE_LENGTH 128
#define KD_DUMP_MAX_BYTES 0x10000   /* one db/dd prints at most 64 KB */

extern const KD_COMMAND __kd_command_start[], __kd_command_end[];
extern const char __kernel_start[], __kernel_end[];

bool KdParseHex(const char *Text, ULONG *Value)
{
    const char *p = Text;
    ULONG Result = 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    if (!*p)
        return false;
    for (; *p; p++) {
        char c = *p;
        ULONG d;
        if (c == '`')
            continue;           /* WinDbg's 64-bit separator: 0xffff`ffff */
        if (c >= '0' && c <= '9') d = (ULONG)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (ULONG)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (ULONG)(c - 'A' + 10);
        else return false;
        if (Result >> 28)
            return false;
        Result = Result << 4 | d;
    }
    *Value = Result;
    return true;
}

bool KdParseAddress(const char *Text, ULONG *Value)
{
    char Name[64];
    const char *Plus = strchr(Text, '+');
    size_t Length = Plus ? (size_t)(Plus - Text) : strlen(Text);
    ULONG Offset = 0;

    if (KdParseHex(Text, Value))
        return true;
    if (Length == 0 || Length >= sizeof(Name) || (Plus && !KdParseHex(Plus + 1, &Offset))) {
        DbgPrint("'%s' is neither a hex address nor function+offset\n", Text);
        return false;
    }
    memcpy(Name, Text, Length);
    Name[Length] = '\0';
    ULONG Base = KiLookupSymbol(Name);
    if (Base == 0) {
        DbgPrint("%s: no function of that name (the symbol table holds functions only)\n", Name);
        return false;
    }
    *Value = Base + Offset;
    return true;
}

void KdExecute(char *Line)
{
    char *Argv[KD_MAX_ARGS];
    int Argc = 0;
    char *p = Line;

    while (*p && Argc < KD_MAX_ARGS) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        Argv[Argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (Argc == 0)
        return;
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        if (strcmp(c->Name, Argv[0]) == 0) {
            c->Routine(Argc, Argv);
            return;
        }
    }
    DbgPrint("%s: unknown command; `help` lists the commands\n", Argv[0]);
}

static int KdWaitForChar(void)
{
    for (;;) {
        HalDisableInterrupts();
        int c = SerialReadChar();
        if (c >= 0) {
            HalEnableInterrupts();
            return c;
        }
        __asm__ volatile("sti; hlt" ::: "memory");
    }
}

static void KdReadLine(char *Line, size_t Size)
{
    size_t n = 0;
    for (;;) {
        int c = KdWaitForChar();
        if (c == '\r' || c == '\n') {
            DbgPrint("\n");
            Line[n] = '\0';
            return;
        }
        if (c == '\b' || c == 0x7F) {
            if (n) {
                n--;
                DbgPrint("\b \b");
            }
        } else if (c == 0x15) {             /* Ctrl-U */
            while (n) {
                n--;
                DbgPrint("\b \b");
            }
        } else if (c >= 0x20 && c < 0x7F && n + 1 < Size) {
            Line[n++] = (char)c;
            DbgPrint("%c", c);
        }
    }
}

NORETURN void KdRunPrompt(void)
{
    char Line[KD_LINE_LENGTH];

    SerialEnableReceiveInterrupt();
    DbgPrint("\nType `help` for the commands.\n");
    for (;;) {
        DbgPrint("kd> ");
        KdReadLine(Line, sizeof(Line));
        KdExecute(Line);
    }
}

KD_COMMAND(help, "help", "", "list the commands")
{
    DbgPrint("Commands:\n");
    for (const KD_COMMAND *c = __kd_command_start; c < __kd_command_end; c++) {
        char Head[40];
        snprintf(Head, sizeof(Head), "%s %s", c->Name, c->Usage);
        DbgPrint("  %-28s %s\n", Head, c->Help);
    }
}

KD_COMMAND(k, "k", "", "backtrace of the current thread, and the stack it runs on")
{
    KE_STACK_INFO Stack;
    ULONG Esp = (ULONG)__builtin_frame_address(0);

    if (KeIdentifyStack(Esp, &Stack))
        DbgPrint("Stack: %s, %08x..%08x (guard page %08x)\n", Stack.Name, Stack.Limit, Stack.Base - 1,
                 Stack.Limit - PAGE_SIZE);
    /* Frame #0 is this command; the EBP chain from its own frame gives its callers. */
    KeDumpBacktrace((ULONG)&&Here, (ULONG)__builtin_frame_address(0), 24);
Here:
    return;
}

KD_COMMAND(lm, "lm", "", "the kernel image and the boot modules, with their ranges")
{
    DbgPrint("start    end        module     name\n");
    DbgPrint("%08x %08x   %-10s %s (kernel image, physical %08x)\n",
             (ULONG)__kernel_start, (ULONG)__kernel_end, "mm386",
             KeLoaderBlock.ImageName[0] ? KeLoaderBlock.ImageName : "-",
             (ULONG)__kernel_start - KERNEL_VA_OFFSET);
    for (ULONG i = 0; i < KeLoaderBlock.ModuleCount; i++) {
        const LOADER_MODULE *m = &KeLoaderBlock.Modules[i];
        char Module[16];
        snprintf(Module, sizeof(Module), "module%u", i);
        if (m->VirtualBase)
            DbgPrint("%08x %08x   %-10s %s (boot module, physical %08x..%08x)\n",
                     (ULONG)m->VirtualBase, (ULONG)m->VirtualBase + (m->PhysicalEnd - m->PhysicalStart),
                     Module, m->Name, m->PhysicalStart, m->PhysicalEnd);
        else
            DbgPrint("-------- --------   %-10s %s (boot module, physical %08x..%08x, not mapped)\n",
                     Module, m->Name, m->PhysicalStart, m->PhysicalEnd);
    }
}

/* True if every byte of [Address, Address + Length) is mapped; *CheckedPage caches the last page found valid. */
static bool KdRangeMapped(ULONG Address, ULONG Length, ULONG *CheckedPage)
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

static void KdPrintRow(ULONG Address, ULONG Elements, ULONG Width)
{
    char Text[96];
    size_t n = (size_t)snprintf(Text, sizeof(Text), "%08x ", Address);
    const volatile UCHAR *Bytes = (const volatile UCHAR *)Address;

    for (ULONG i = 0; i < 16 / Width; i++) {
        if (i >= Elements && Width != 1)
            break;                  /* dd: a short row just ends */
        if (i >= Elements)
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, "   ");
        else if (Width == 1)
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, "%c%02x", i == 8 ? '-' : ' ', Bytes[i]);
        else
            n += (size_t)snprintf(Text + n, sizeof(Text) - n, " %08x", ((const volatile ULONG *)Bytes)[i]);
    }
    if (Width == 1) {
        n += (size_t)snprintf(Text + n, sizeof(Text) - n, "  ");
        for (ULONG i = 0; i < Elements; i++)
            Text[n++] = (Bytes[i] >= 0x20 && Bytes[i] < 0x7F) ? (char)Bytes[i] : '.';
        Text[n] = '\0';
    }
    DbgPrint("%s\n", Text);
}

/*
 * db/dd: Count elements of Width bytes from Address, 16 bytes a row. Each
 * element's page is checked before it is read; the dump stops, saying so,
 * at the first one that no valid PTE maps.
 */
static void KdDumpMemory(int Argc, char **Argv, ULONG Width, ULONG DefaultCount)
{
    ULONG Address, Count = DefaultCount;
    ULONG CheckedPage = 1;          /* no page checked yet: 1 is never a page address */

    if (Argc < 2 || Argc > 3) {
        DbgPrint("usage: %s ADDRESS [COUNT]\n", Argv[0]);
        return;
    }
    if (!KdParseAddress(Argv[1], &Address))
        return;
    if (Argc > 2) {
        const char *Text = (Argv[2][0] == 'L' || Argv[2][0] == 'l') ? Argv[2] + 1 : Argv[2];
        if (!KdParseHex(Text, &Count) || Count == 0 || Count > KD_DUMP_MAX_BYTES / Width) {
            DbgPrint("%s: count must be 1..%x (hex)\n", Argv[0], KD_DUMP_MAX_BYTES / Width);
            return;
        }
    }
    for (ULONG Done = 0; Done < Count; ) {
        ULONG Row = Address + Done * Width;
        ULONG Wanted = MIN(16 / Width, Count - Done), Readable = 0;
        while (Readable < Wanted && KdRangeMapped(Row + Readable * Width, Width, &CheckedPage))
            Readable++;
        if (Readable)
            KdPrintRow(Row, Readable, Width);
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
    KdDumpMemory(Argc, Argv, 1, 0x80);
}

KD_COMMAND(dd, "dd", "ADDRESS [COUNT]", "dump 32-bit words (COUNT hex, default 20)")
{
    KdDumpMemory(Argc, Argv, 4, 0x20);
}

KD_COMMAND(ktest, "ktest", "[GLOB]", "run the self-tests (all, or those matching GLOB)")
{
    ULONG Failed = KtestRun(Argc > 1 ? Argv[1] : "");
    DbgPrint("%u test(s) failed\n", Failed);
}

KD_COMMAND(bugcheck, "bugcheck", "CODE [P1 P2 P3 P4]", "crash the machine with a bugcheck code (hex)")
{
    ULONG Values[5] = { MANUALLY_INITIATED_CRASH, 0, 0, 0, 0 };
    for (int i = 1; i < Argc && i <= 5; i++) {
        if (!KdParseHex(Argv[i], &Values[i - 1])) {
            DbgPrint("bugcheck: '%s' is not a hex number\n", Argv[i]);
            return;
        }
    }
    KeBugCheckEx(Values[0], Values[1], Values[2], Values[3], Values[4]);
}

KD_COMMAND(reboot, "reboot", "", "restart the machine")
{
    DbgPrint("Rebooting...\n");
    HalReboot();
}

KD_COMMAND(quit, "quit", "", "leave QEMU (isa-debug-exit)")
{
    DbgPrint("Bye.\n");
    HalQemuExit(KTEST_EXIT_SUCCESS);
}
