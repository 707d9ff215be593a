/*
 * hal/irql.c — NT's interrupt request levels on the 8259 PICs.
 *
 * The current IRQL is one byte of processor state (KiCurrentIrql; the
 * PASSIVE..DISPATCH path of KeRaiseIrql/KeLowerIrql is inline in ke.h and
 * never reaches this file). Each IRQL has a PIC mask
 * that closes every IRQ whose device IRQL (DEVICE_IRQL in include/ke.h) is
 * at or below it; raising or lowering reprograms the PICs only when the mask
 * actually changes, so moving between PASSIVE, APC and DISPATCH — the common
 * case, for spin locks and hyperspace — costs a few instructions. IRQs with
 * no connected handler stay masked at every level. The IRQL routines never
 * touch EFLAGS.IF: at HIGH_LEVEL every PIC line is masked, which is what
 * HIGH_LEVEL means; trap handlers run with IF clear by their gates.
 *
 * The system boots at HIGH_LEVEL; KiSystemStartup lowers to PASSIVE_LEVEL once
 * the interrupt machinery is ready.
 */
#include <hal.h>
#include <ke.h>

volatile KIRQL KiCurrentIrql = HIGH_LEVEL;
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
    HalpProgramMask(KiCurrentIrql);
}

/* Opens or closes an IRQ line at every level; hal/interrupt.c calls it. */
void HalpSetIrqConnected(uint32_t Irq, bool Connected)
{
    if (Connected)
        HalpConnectedIrqs |= (uint16_t)(1u << Irq);
    else
        HalpConnectedIrqs &= (uint16_t)~(1u << Irq);
    HalpProgramMask(KiCurrentIrql);
}

/* The out-of-line half of KeRaiseIrql: levels above DISPATCH, and misuse. */
void HalRaiseDeviceIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    KIRQL Current = KiCurrentIrql;
    if (NewIrql < Current || NewIrql > HIGH_LEVEL)
        KeBugCheckEx(IRQL_NOT_GREATER_OR_EQUAL, Current, NewIrql, 0, 0);
    *OldIrql = Current;
    if (HalpIrqlMask[NewIrql] != HalpIrqlMask[Current])
        HalpProgramMask(NewIrql);
    KiCurrentIrql = NewIrql;
}

/* The out-of-line half of KeLowerIrql: lowering from above DISPATCH, and misuse. */
void HalLowerDeviceIrql(KIRQL NewIrql)
{
    KIRQL Current = KiCurrentIrql;
    if (NewIrql > Current)
        KeBugCheckEx(IRQL_NOT_LESS_OR_EQUAL, 0, Current, NewIrql, 0);
    KiCurrentIrql = NewIrql;
    if (HalpIrqlMask[NewIrql] != HalpIrqlMask[Current])
        HalpProgramMask(NewIrql);
}
