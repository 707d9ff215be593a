/*
 * kernel/ke/kiinit.c — the processor control region, the initial thread and
 * the idle loop.
 *
 * NT keeps what belongs to one processor in its KPCR, reached through FS in
 * kernel mode (include/ketypes.h): the IRQL, the exception list, the KPRCB
 * with the current, next and idle threads, the ready queues and the DPC
 * queue. KiInitializePcr sets the one KPCR up and loads the GDT whose
 * KGDT_R0_PCR selector points at it, before any other code runs, so that
 * every IRQL routine works from the first line of KiSystemStartup.
 *
 * The boot flow is a thread from the start: KiInitializeKernel wraps the
 * code already running on the boot stack in KiInitialThread, a thread of
 * the system process, as NT's P0BootThread. Once startup has created the
 * thread that carries on with phase 1, the initial thread enters KiIdleLoop
 * and is the idle thread from then on: it runs at DISPATCH_LEVEL whenever no
 * other thread is ready, retiring DPCs, switching to a NextThread someone
 * readied, or halting until the next interrupt. It is never in a ready
 * queue: KiSwapThread falls back on it when the queues are empty.
 */
#include <hal.h>
#include <ps.h>
#include <layout.h>
#include <x86.h>
#include "kernel/ke/ki.h"

KPCR KiPcr ALIGNED(64);
/* An ETHREAD, so that whatever looks at the running thread as one finds one (its ids are 0, as NT's idle thread's). */
static ETHREAD KiInitialThread;

extern uint32_t KiBootPageDirectory[];
extern char __boot_stack_base[], __boot_stack_limit[];

void KiInitializePcr(void)
{
    KiPcr.SelfPcr = &KiPcr;
    KiPcr.Prcb = &KiPcr.PrcbData;
    KiPcr.Irql = HIGH_LEVEL;
    KiPcr.MajorVersion = KiPcr.MinorVersion = 1;
    KiPcr.SetMember = 1;
    KiPcr.PrcbData.MajorVersion = KiPcr.PrcbData.MinorVersion = 1;
    for (ULONG i = 0; i < ARRAY_SIZE(KiPcr.PrcbData.DispatcherReadyListHead); i++)
        InitializeListHead(&KiPcr.PrcbData.DispatcherReadyListHead[i]);
    InitializeListHead(&KiPcr.PrcbData.DpcListHead);
    HalInitializeGdt((uint32_t)KiBootPageDirectory - KERNEL_VA_OFFSET, &KiPcr, sizeof(KiPcr));
    KiPcr.TSS = HalGetMainTss();
    KiPcr.StackBase = __boot_stack_base;
    KiPcr.StackLimit = __boot_stack_limit;
}

void KiInitializeKernel(PKPROCESS Process)
{
    PKTHREAD Thread = &KiInitialThread.Tcb;

    KeInitializeThread(Thread, __boot_stack_base, __boot_stack_limit, NULL, NULL, NULL, NULL, NULL, Process);
    Thread->State = Running;
    Thread->Priority = Thread->BasePriority = LOW_PRIORITY;
    Thread->WaitIrql = DISPATCH_LEVEL;
    InsertTailList(&Process->ThreadListHead, &Thread->ThreadListEntry);
    KiPcr.PrcbData.CurrentThread = Thread;
    KiPcr.PrcbData.IdleThread = Thread;
    KiInitializeTimerTable();
}

/*
 * The idle thread. It runs at DISPATCH_LEVEL, so the dispatch software
 * interrupt never reaches it: it polls instead. With interrupts disabled it
 * looks for DPCs and for a thread to run; finding neither, it enables
 * interrupts and halts in one step (sti's shadow covers hlt), so an
 * interrupt that readies a thread cannot slip in between the look and the
 * halt. The thread it switches to releases the dispatcher lock, and when
 * idle runs again it is handed the lock by whoever switched back.
 */
NORETURN void KiIdleLoop(void)
{
    PKPRCB Prcb = &KiPcr.PrcbData;
    PKTHREAD Idle = Prcb->IdleThread;
    KIRQL Irql;

    KeRaiseIrql(DISPATCH_LEVEL, &Irql);
    for (;;) {
        HalDisableInterrupts();
        if (!IsListEmpty(&Prcb->DpcListHead)) {
            KiPcr.IRR &= ~(1u << DISPATCH_LEVEL);
            HalEnableInterrupts();
            KiRetireDpcList(Prcb);
            continue;
        }
        if (Prcb->NextThread == NULL && Prcb->ReadySummary == 0) {
            HalProcessorIdle();
            continue;
        }
        HalEnableInterrupts();
        KeAcquireSpinLockAtDpcLevel(&KiDispatcherLock);
        Idle->WaitIrql = DISPATCH_LEVEL;
        Idle->State = Ready;
        KiSwapThread(Idle);
        KeRaiseIrql(DISPATCH_LEVEL, &Irql);
    }
}
