/*
 * hal/pic.c — the two 8259A programmable interrupt controllers.
 *
 * The BIOS leaves the PICs delivering IRQ 0-7 on vectors 8-15, on top of the
 * CPU's exceptions. mm386 remaps them, as NT's PIC HAL does, to
 * PRIMARY_VECTOR_BASE (0x30): IRQ n arrives on vector 0x30 + n. The mask
 * registers are how IRQL masks device interrupts (hal/irql.c).
 */
#include <hal.h>

#define PIC1_COMMAND    0x20
#define PIC1_DATA       0x21
#define PIC2_COMMAND    0xA0
#define PIC2_DATA       0xA1
#define ICW1_INIT       0x11    /* edge triggered, cascade, ICW4 follows */
#define ICW4_8086       0x01
#define OCW2_EOI        0x20
#define OCW3_READ_ISR   0x0B
#define CASCADE_IRQ     2

void HalInitializePic(void)
{
    HalWritePortUchar(PIC1_COMMAND, ICW1_INIT);
    HalWritePortUchar(PIC2_COMMAND, ICW1_INIT);
    HalWritePortUchar(PIC1_DATA, PRIMARY_VECTOR_BASE);
    HalWritePortUchar(PIC2_DATA, PRIMARY_VECTOR_BASE + 8);
    HalWritePortUchar(PIC1_DATA, 1 << CASCADE_IRQ);     /* slave on IRQ 2 */
    HalWritePortUchar(PIC2_DATA, CASCADE_IRQ);          /* slave identity */
    HalWritePortUchar(PIC1_DATA, ICW4_8086);
    HalWritePortUchar(PIC2_DATA, ICW4_8086);
    HalPicSetMask(0xFFFF);
}

/*
 * Sets the interrupt mask of both PICs; bit n masks IRQ n. The cascade line
 * stays open whenever any slave IRQ is open.
 */
void HalPicSetMask(uint16_t Mask)
{
    if ((Mask & 0xFF00) != 0xFF00)
        Mask &= (uint16_t)~(1u << CASCADE_IRQ);
    else
        Mask |= 1u << CASCADE_IRQ;
    HalWritePortUchar(PIC1_DATA, (uint8_t)(Mask & 0xFF));
    HalWritePortUchar(PIC2_DATA, (uint8_t)(Mask >> 8));
}

void HalPicEndOfInterrupt(uint32_t Irq)
{
    if (Irq >= 8)
        HalWritePortUchar(PIC2_COMMAND, OCW2_EOI);
    HalWritePortUchar(PIC1_COMMAND, OCW2_EOI);
}

/*
 * IRQ 7 and IRQ 15 also arrive when a request vanished before the CPU
 * acknowledged it. Such a spurious interrupt has no in-service bit and must
 * not get an EOI from its own PIC (the master still needs one for a spurious
 * slave interrupt, because the cascade line was really in service).
 */
bool HalPicIsSpurious(uint32_t Irq)
{
    if (Irq != 7 && Irq != 15)
        return false;
    uint16_t Command = Irq == 7 ? PIC1_COMMAND : PIC2_COMMAND;
    HalWritePortUchar(Command, OCW3_READ_ISR);
    if (HalReadPortUchar(Command) & 0x80)
        return false;
    if (Irq == 15)
        HalWritePortUchar(PIC1_COMMAND, OCW2_EOI);
    return true;
}
