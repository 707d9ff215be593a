/*
 * hal/interrupt.c — routing device interrupts to their handlers.
 *
 * A driver connects a routine to an IRQ; KiDispatchTrap hands every vector
 * in PRIMARY_VECTOR_BASE .. +15 to HalDispatchInterrupt, which filters
 * spurious IRQs, raises to the IRQ's device IRQL, runs the routine,
 * acknowledges the PIC and lowers the IRQL again, as NT's
 * HalBeginSystemInterrupt/HalEndSystemInterrupt pair does. The processor
 * counts the interrupt as in progress (KPCR.InterruptNesting) until the
 * routine has finished and the PIC is acknowledged; the lowering comes after
 * that, because it is where a requested DPC or thread switch is delivered
 * (hal/irql.c), and a switch must not carry the count to another thread.
 * One routine per IRQ: mm386 has no shared lines.
 */
#include <hal.h>
#include <ke.h>

void HalpSetIrqConnected(uint32_t Irq, bool Connected);

static struct {
    PHAL_INTERRUPT_ROUTINE Routine;
    PVOID Context;
} HalpInterrupts[PIC_IRQ_COUNT];

void HalConnectInterrupt(uint32_t Irq, PHAL_INTERRUPT_ROUTINE Routine, PVOID Context)
{
    ASSERT(Irq < PIC_IRQ_COUNT && Routine != NULL);
    HalpInterrupts[Irq].Context = Context;
    HalpInterrupts[Irq].Routine = Routine;
    HalpSetIrqConnected(Irq, true);
}

void HalDisconnectInterrupt(uint32_t Irq)
{
    ASSERT(Irq < PIC_IRQ_COUNT);
    HalpSetIrqConnected(Irq, false);
    HalpInterrupts[Irq].Routine = NULL;
}

void HalDispatchInterrupt(uint32_t Irq, KTRAP_FRAME *TrapFrame)
{
    KIRQL OldIrql;

    if (HalPicIsSpurious(Irq))
        return;
    KeRaiseIrql(DEVICE_IRQL(Irq), &OldIrql);
    KeGetPcr()->InterruptNesting++;
    KeGetCurrentPrcb()->InterruptCount++;
    if (HalpInterrupts[Irq].Routine)
        HalpInterrupts[Irq].Routine(TrapFrame, HalpInterrupts[Irq].Context);
    HalPicEndOfInterrupt(Irq);
    KeGetPcr()->InterruptNesting--;
    KeLowerIrql(OldIrql);
}
