/*
 * kernel/init.c — KiSystemStartup: from the boot code to a running system.
 *
 * boot/boot.asm enters here on the boot stack, paging on, identity map gone,
 * KeLoaderBlock filled. Startup runs in NT's phases:
 *
 *   phase 0   at HIGH_LEVEL, interrupts off: consoles, the banner, GDT/TSS,
 *             IDT, PICs, IRQL, the boot options, then MmInitSystem(0) (the
 *             address-space layout, the PFN database, system PTEs, pools).
 *   phase 1   the clock; the IRQL drops to PASSIVE_LEVEL and interrupts are
 *             enabled; MmInitSystem(1) and the drivers that need the memory
 *             manager (the VGA console moves onto MmMapIoSpace); the
 *             system-service gates and KUSER_SHARED_DATA's system-call code; the system
 *             process, the object manager and the executive's object types
 *             (PsInitSystem, ObInitSystem, ExInitSystem, IoInitSystem).
 *
 * Then startup leaves the boot stack (linker.ld's .bootstack) for a large
 * kernel stack from MmCreateKernelStack, with a guard page below it, the
 * stack the initial thread keeps, and the boot options decide: `ktest` runs
 * the self-tests, `/BENCH` the benchmarks (both end the boot through QEMU's
 * debug-exit device), otherwise `/START=NAME` starts the boot module NAME
 * as the first user process (NT starts smss.exe at this point) and the kd>
 * prompt takes COM1.
 */
#include <drivers.h>
#include <ex.h>
#include <hal.h>
#include <io.h>
#include <ke.h>
#include <kd.h>
#include <ktest.h>
#include <layout.h>
#include <loader.h>
#include <mm.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

const char KiVersion[] = "0.1.0";
uint64_t KiTscAtKernelEntry;

extern uint32_t KiBootPageDirectory[];
extern char __boot_stack_base[];
void KiInitializeTestGuards(void);

/* Bytes of RAM in the loader's map, and how many of them lie above 4 GB. */
static uint64_t KiUsableMemoryBytes(uint64_t *Above4Gb)
{
    const uint64_t Limit = 1ull << 32;
    uint64_t Total = 0;

    *Above4Gb = 0;
    for (uint32_t i = 0; i < KeLoaderBlock.MemoryDescriptorCount; i++) {
        const LOADER_MEMORY_DESCRIPTOR *d = &KeLoaderBlock.MemoryDescriptors[i];
        if (d->Type != LOADER_MEMORY_AVAILABLE)
            continue;
        Total += d->Length;
        if (d->Base + d->Length > Limit)
            *Above4Gb += d->Base + d->Length - MAX(d->Base, Limit);
    }
    return Total;
}

/*
 * The banner: version, the RAM the loader's map offers (and how much of it
 * lies above 4 GB, out of reach without PAE), the image and the switches
 * as they were kept. A command line longer than KeLoaderBlock holds is cut
 * between words; the banner says how much and how it began.
 */
static void KiPrintBanner(void)
{
    uint64_t Above4Gb;
    uint64_t Usable = KiUsableMemoryBytes(&Above4Gb);

    DbgPrint("mm386 %s - an NT-style memory manager for 32-bit x86\n", KiVersion);
    DbgPrint("RAM: %llu MB (%llu KB) in %u memory-map ranges", Usable >> 20, Usable >> 10,
             KeLoaderBlock.MemoryDescriptorCount);
    if (Above4Gb)
        DbgPrint(", %llu MB of it above 4 GB (not used: see below)", Above4Gb >> 20);
    DbgPrint("; loader: %s\n", KeLoaderBlock.LoaderName[0] ? KeLoaderBlock.LoaderName : "unnamed");
    DbgPrint("image: %s  command line: \"%s\"\n",
             KeLoaderBlock.ImageName[0] ? KeLoaderBlock.ImageName : "(not named by the loader)",
             KeLoaderBlock.CommandLine);
    if (KeLoaderBlock.CommandLineDropped)
        DbgPrint("command line: %u bytes; the last %u did not fit in %u and were dropped, unparsed: \"%s%s\"\n",
                 KeLoaderBlock.CommandLineLength, KeLoaderBlock.CommandLineDropped,
                 LOADER_COMMAND_LINE_LENGTH - 1, KeLoaderBlock.DroppedText,
                 KeLoaderBlock.CommandLineDropped >= sizeof(KeLoaderBlock.DroppedText) ? "..." : "");
    for (uint32_t i = 0; i < KeLoaderBlock.ModuleCount; i++) {
        const LOADER_MODULE *m = &KeLoaderBlock.Modules[i];
        DbgPrint("module %u: %08x..%08x %s\n", i, m->PhysicalStart, m->PhysicalEnd, m->Name);
    }
}

static void KiInitializePhase0(void)
{
    HalSetKernelStack((uint32_t)__boot_stack_base);
    HalInitializeIdt();
    HalInitializePic();
    HalInitializeIrql();
    KiParseBootOptions(KeLoaderBlock.CommandLine, &KeBootOptions, true);
    KdInitSystem();
    if (KeBootOptions.KTest || KeBootOptions.Bench)
        KtestInstallBootHook();
    PsInitSystem(0);
    KiInitializeKernel(&PsInitialSystemProcess->Pcb);
    MmInitSystem(0);
    PsInitSystem(1);
}

/* The console's frame buffer as I/O space, then the HAL's early mapping of it is dropped. */
static void KiMoveConsoleToIoSpace(void)
{
    PVOID Buffer = MmMapIoSpace(VGA_TEXT_PHYS, VGA_BUFFER_SIZE, MmNonCached);
    if (!Buffer)
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, VGA_TEXT_PHYS, VGA_BUFFER_SIZE, 0, 0);
    VgaSetBuffer(Buffer);
    HalReleaseEarlyVgaMapping();
}

/*
 * Phase 1, NT's Phase1Initialization: the first system thread, on a large
 * kernel stack, at PASSIVE_LEVEL with interrupts on. It brings up what
 * needs interrupts and threads, then becomes the system's work: the tests,
 * the benchmarks or the kd> prompt.
 */
static void KiPhase1Initialization(PVOID Context)
{
    HalInitializeClock();
    KiInitializeSystemClock();
    MmInitSystem(1);
    KiInitializeSystemServices();
    ObInitSystem();
    ExInitSystem();
    IoInitSystem();
    PsInitSystem(2);
    MmInitSystem(2);
    PsInitSystem(3);
    KiMoveConsoleToIoSpace();
    KiInitializeTestGuards();
    if (KeBootOptions.KTest)
        KtestRunFromBoot();
    if (KeBootOptions.Bench)
        KbenchRunFromBoot();
    if (KeBootOptions.StartProgram[0])
        PsStartAndReportBootProgram(KeBootOptions.StartProgram);
    KdRunPrompt();
}

/*
 * The boot flow: the KPCR and FS first (every IRQL routine reads
 * fs:[24h]), the consoles, phase 0 at HIGH_LEVEL with interrupts off (the
 * boot flow becomes the system process's initial thread there), then
 * phase 1 is handed to a system thread and the initial thread becomes the
 * idle thread, at DISPATCH_LEVEL, for good — NT's order.
 */
NORETURN void KiSystemStartup(bool LoaderBlockCaptured)
{
    KiTscAtKernelEntry = HalReadTsc();
    KiInitializePcr();
    SerialInitialize();
    KeRegisterOutput(SerialWrite);
    VgaInitialize((void *)HAL_EARLY_VGA_VA);
    KeRegisterOutput(VgaWrite);

    if (!LoaderBlockCaptured) {
        DbgPrint("mm386: not started by a multiboot loader, or its information is out of reach\n");
        KeBugCheckEx(PHASE0_INITIALIZATION_FAILED, KeLoaderBlock.InformationPhysical, 0, 0, 0);
    }
    KiPrintBanner();
    KiInitializePhase0();
    KeLowerIrql(DISPATCH_LEVEL);
    if (!NT_SUCCESS(PspCreateBootThread(KiPhase1Initialization, NULL)))
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, 0, 0, 0, 0);
    KiIdleLoop();
}
