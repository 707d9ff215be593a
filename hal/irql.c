/*
 * hal/irql.c — NT's interrupt request levels on the 8259 PICs, and the two
 * software interrupt levels.
 *
 * The current IRQL is one byte of processor state, KPCR.Irql (fs:[24h]);
 * the PASSIVE..DISPATCH path of KeRaiseIrql/KeLowerIrql is inline in
 * include/ke.h and reaches this file only to deliver a software interrupt.
 * Each device IRQL has a PIC mask that closes every IRQ whose device IRQL
 * (DEVICE_IRQL in include/ke.h) is at or below it; raising or lowering
 * reprograms the PICs only when the mask actually changes, so moving
 * between PASSIVE, APC and DISPATCH — the common case, for spin locks and
 * hyperspace — costs a few instructions. IRQs with no connected handler
 * stay masked at every level. The IRQL routines never touch EFLAGS.IF: at
 * HIGH_LEVEL every PIC line is masked, which is what HIGH_LEVEL means.
 *
 * Software interrupts, as NT's PIC HAL emulates them: APC_LEVEL and
 * DISPATCH_LEVEL have no hardware line. A request sets the level's bit in
 * KPCR.IRR; whoever brings the IRQL below a requested level — KeLowerIrql,
 * or the end of a device interrupt — calls HalpCheckForSoftwareInterrupt,
 * which delivers the highest pending one at its own IRQL with interrupts
 * enabled: KiDispatchInterrupt (DPCs, then a thread switch) for
 * DISPATCH_LEVEL, KiDeliverApc (kernel APCs) for APC_LEVEL. A thread switch
 * therefore only ever happens as the IRQL falls below DISPATCH_LEVEL: never
 * inside a device interrupt, never while a spin lock is held.
 *
 * The system boots at HIGH_LEVEL; KiSystemStartup lowers to PASSIVE_LEVEL once
 * the interrupt machinery is ready.
 */
#include <hal.h>
#include <ke.h>

void KiDispatchInterrupt(void);
void KiApcInterrupt(void);

static uint16_t HalpIrqlMask[HIGH_LEVEL + 1];
static uint16_t HalpConnectedIrqs;
static uint16_t HalpProgrammedMask = 0xFFFF;

static void HalpProgramMask(KIRQL Irql)
{
    uint16_t Mask = (uint16_t)(HalpIrqlMask[Irql] | ~HalpConnectedIrqs);
    if (Mask != HalpProgrammedMask) {
        bool Enabled = HalSaveAndDisableInterrupts();
        HalPicSetMask(Mask);
        HalpProgrammedMask = Mask;
        HalRestoreInterrupts(Enabled);
    }
}

void HalInitializeIrql(void)
{
    for (uint32_t Irq = 0; Irq < PIC_IRQ_COUNT; Irq++) {
        for (uint32_t Level = DEVICE_IRQL(Irq); Level <= HIGH_LEVEL; Level++)
            HalpIrqlMask[Level] |= (uint16_t)(1u << Irq);
    }
    HalpIrqlMask[HIGH_LEVEL] = 0xFFFF;
    HalpProgramMask(KeGetCurrentIrql());
}

/* Opens or closes an IRQ line at every level; hal/interrupt.c calls it. */
void HalpSetIrqConnected(uint32_t Irq, bool Connected)
{
    if (Connected)
        HalpConnectedIrqs |= (uint16_t)(1u << Irq);
    else
        HalpConnectedIrqs &= (uint16_t)~(1u << Irq);
    HalpProgramMask(KeGetCurrentIrql());
}

/* The out-of-line half of KeRaiseIrql: levels above DISPATCH, and misuse. */
KIRQL HalRaiseDeviceIrql(KIRQL NewIrql)
{
    KIRQL Current = KeGetCurrentIrql();
    if (NewIrql < Current || NewIrql > HIGH_LEVEL)
        KeBugCheckEx(IRQL_NOT_GREATER_OR_EQUAL, Current, NewIrql, 0, 0);
    if (HalpIrqlMask[NewIrql] != HalpIrqlMask[Current])
        HalpProgramMask(NewIrql);
    KeGetPcr()->Irql = NewIrql;
    return Current;
}

/* The out-of-line half of KeLowerIrql: lowering from above DISPATCH, and misuse. */
void HalLowerDeviceIrql(KIRQL NewIrql)
{
    KIRQL Current = KeGetCurrentIrql();
    if (NewIrql > Current)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, 0, Current, NewIrql, 0);
    KeGetPcr()->Irql = NewIrql;
    if (HalpIrqlMask[NewIrql] != HalpIrqlMask[Current])
        HalpProgramMask(NewIrql);
    if (KeGetPcr()->IRR >> (NewIrql + 1))
        HalpCheckForSoftwareInterrupt(NewIrql);
}

/*
 * Delivers every software interrupt requested above NewIrql, the current
 * IRQL, highest first, each at its own level with interrupts enabled, and
 * comes back at NewIrql with the interrupt flag as the caller had it. A
 * delivery may switch threads (KiDispatchInterrupt): this call then returns
 * when the thread runs again.
 */
void HalpCheckForSoftwareInterrupt(KIRQL NewIrql)
{
    volatile __seg_fs KPCR *Pcr = KeGetPcr();
    bool Enabled = HalSaveAndDisableInterrupts();

    for (;;) {
        ULONG Pending = Pcr->IRR >> (NewIrql + 1);
        if (Pending == 0)
            break;
        KIRQL Level = (KIRQL)(NewIrql + 1 + (31 - __builtin_clz(Pending)));
        Pcr->IRR &= ~(1u << Level);
        Pcr->Irql = Level;
        HalEnableInterrupts();
        if (Level == DISPATCH_LEVEL)
            KiDispatchInterrupt();
        else
            KiApcInterrupt();
        HalDisableInterrupts();
        Pcr->Irql = NewIrql;
    }
    HalRestoreInterrupts(Enabled);
}

void HalRequestSoftwareInterrupt(KIRQL Irql)
{
    bool Enabled = HalSaveAndDisableInterrupts();
    KeGetPcr()->IRR |= 1u << Irql;
    KIRQL Current = KeGetCurrentIrql();
    if (Current < Irql)
        HalpCheckForSoftwareInterrupt(Current);
    HalRestoreInterrupts(Enabled);
}
