/*
 * hal/idt.c — the interrupt descriptor table.
 *
 * All 256 vectors have an entry routine (hal/trap.asm) that builds a
 * KTRAP_FRAME and calls KiDispatchTrap. Every gate is an interrupt gate
 * (EFLAGS.IF cleared on entry), so a handler runs with interrupts off unless
 * it enables them itself. Exceptions and device interrupts are reachable
 * from ring 0 only; int3 (3), into (4), KiGetTickCount (0x2A) and the
 * system-service gate (0x2E) are DPL 3 as in NT (a DPL-0 gate turns a
 * program's `into` into a #GP, an access violation instead of NT's
 * STATUS_INTEGER_OVERFLOW). The double fault (8) is a task gate to the
 * double-fault TSS (hal/gdt.c).
 */
#include <hal.h>

typedef struct _KIDTENTRY {
    uint16_t OffsetLow;
    uint16_t Selector;
    uint8_t Reserved;
    uint8_t Access;
    uint16_t OffsetHigh;
} __attribute__((packed)) KIDTENTRY;

#define IDT_PRESENT         0x80
#define IDT_DPL3            0x60
#define IDT_INTERRUPT_GATE  0x0E
#define IDT_TASK_GATE       0x05

extern const uint32_t KiTrapEntries[256];
static KIDTENTRY KiIdt[256] ALIGNED(8);

static void SetGate(uint32_t Vector, uint32_t Handler, uint16_t Selector, uint8_t Access)
{
    KiIdt[Vector].OffsetLow = (uint16_t)(Handler & 0xFFFF);
    KiIdt[Vector].OffsetHigh = (uint16_t)(Handler >> 16);
    KiIdt[Vector].Selector = Selector;
    KiIdt[Vector].Reserved = 0;
    KiIdt[Vector].Access = Access;
}

void HalSetUserGate(ULONG Vector, void (*Handler)(void))
{
    SetGate(Vector, (uint32_t)Handler, KGDT_R0_CODE, IDT_PRESENT | IDT_DPL3 | IDT_INTERRUPT_GATE);
}

void HalInitializeIdt(void)
{
    for (uint32_t v = 0; v < 256; v++)
        SetGate(v, KiTrapEntries[v], KGDT_R0_CODE, IDT_PRESENT | IDT_INTERRUPT_GATE);

    SetGate(TRAP_BREAKPOINT, KiTrapEntries[TRAP_BREAKPOINT], KGDT_R0_CODE,
            IDT_PRESENT | IDT_DPL3 | IDT_INTERRUPT_GATE);
    SetGate(TRAP_OVERFLOW, KiTrapEntries[TRAP_OVERFLOW], KGDT_R0_CODE, IDT_PRESENT | IDT_DPL3 | IDT_INTERRUPT_GATE);
    SetGate(VECTOR_GET_TICK_COUNT, KiTrapEntries[VECTOR_GET_TICK_COUNT], KGDT_R0_CODE,
            IDT_PRESENT | IDT_DPL3 | IDT_INTERRUPT_GATE);
    SetGate(VECTOR_SYSTEM_SERVICE, KiTrapEntries[VECTOR_SYSTEM_SERVICE], KGDT_R0_CODE,
            IDT_PRESENT | IDT_DPL3 | IDT_INTERRUPT_GATE);
    SetGate(TRAP_DOUBLE_FAULT, 0, KGDT_DF_TSS, IDT_PRESENT | IDT_TASK_GATE);

    struct {
        uint16_t Limit;
        uint32_t Base;
    } __attribute__((packed)) Idtr = { sizeof(KiIdt) - 1, (uint32_t)KiIdt };
    __asm__ volatile("lidt %0" : : "m"(Idtr));
}
