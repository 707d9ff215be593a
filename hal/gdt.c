/*
 * hal/gdt.c — the global descriptor table and the task-state segments.
 *
 * The GDT follows NT's layout (KGDT_* in include/x86.h): flat ring-0 and
 * ring-3 code and data, the main TSS at 0x28, the processor control region
 * at 0x30 (FS in kernel mode: fs:[0] is the KPCR), the current thread's TEB
 * at 0x38 (FS in user mode) and the double-fault TSS at 0x50. The main TSS
 * supplies the ring-0 stack for traps from user mode.
 * The double fault is delivered through a task gate (hal/idt.c), so the CPU
 * switches to the double-fault TSS — its own stack, its own EIP — before
 * pushing anything: a kernel stack overflow, whose #PF cannot be delivered on
 * the exhausted stack, still reaches KiDoubleFault and becomes a bugcheck
 * instead of a triple fault. The CPU saves the faulting context into the main
 * TSS on that switch, which is where KiDoubleFault reads it from.
 */
#include <hal.h>
#include <rtl.h>

typedef struct _KGDTENTRY {
    uint16_t LimitLow;
    uint16_t BaseLow;
    uint8_t BaseMid;
    uint8_t Access;
    uint8_t Granularity;        /* limit 19:16 and flags */
    uint8_t BaseHigh;
} __attribute__((packed)) KGDTENTRY;

#define GDT_ACCESS_PRESENT  0x80
#define GDT_ACCESS_DPL3     0x60
#define GDT_ACCESS_SEGMENT  0x10    /* code or data, not system */
#define GDT_ACCESS_CODE     0x0A    /* execute/read */
#define GDT_ACCESS_DATA     0x02    /* read/write */
#define GDT_ACCESS_TSS32    0x09    /* available 32-bit TSS */
#define GDT_FLAGS_4K_32BIT  0xC0
#define GDT_FLAGS_BYTE_32BIT 0x40

#define DOUBLE_FAULT_STACK_SIZE 16384

static KGDTENTRY KiGdt[KGDT_ENTRIES] ALIGNED(8);
static KTSS KiTss ALIGNED(16);
static KTSS KiDoubleFaultTss ALIGNED(16);
static uint8_t KiDoubleFaultStack[DOUBLE_FAULT_STACK_SIZE] ALIGNED(16);

extern void KiDoubleFaultEntry(void);

static void SetEntry(uint32_t Selector, uint32_t Base, uint32_t Limit, uint8_t Access, uint8_t Flags)
{
    KGDTENTRY *e = &KiGdt[Selector >> 3];
    e->LimitLow = (uint16_t)(Limit & 0xFFFF);
    e->BaseLow = (uint16_t)(Base & 0xFFFF);
    e->BaseMid = (uint8_t)((Base >> 16) & 0xFF);
    e->Access = Access;
    e->Granularity = (uint8_t)(((Limit >> 16) & 0x0F) | Flags);
    e->BaseHigh = (uint8_t)(Base >> 24);
}

/*
 * Loads the GDT and the task register. KernelCr3 is the page directory the
 * double-fault task runs on; it must map the kernel image, which every
 * address space does. Called once, at HIGH_LEVEL, during phase 0.
 */
void HalInitializeGdt(uint32_t KernelCr3, void *Pcr, uint32_t PcrSize)
{
    const uint8_t Code = GDT_ACCESS_PRESENT | GDT_ACCESS_SEGMENT | GDT_ACCESS_CODE;
    const uint8_t Data = GDT_ACCESS_PRESENT | GDT_ACCESS_SEGMENT | GDT_ACCESS_DATA;

    SetEntry(KGDT_R0_CODE, 0, 0xFFFFF, Code, GDT_FLAGS_4K_32BIT);
    SetEntry(KGDT_R0_DATA, 0, 0xFFFFF, Data, GDT_FLAGS_4K_32BIT);
    SetEntry(KGDT_R3_CODE, 0, 0xFFFFF, Code | GDT_ACCESS_DPL3, GDT_FLAGS_4K_32BIT);
    SetEntry(KGDT_R3_DATA, 0, 0xFFFFF, Data | GDT_ACCESS_DPL3, GDT_FLAGS_4K_32BIT);
    SetEntry(KGDT_TSS, (uint32_t)&KiTss, sizeof(KTSS) - 1,
             GDT_ACCESS_PRESENT | GDT_ACCESS_TSS32, 0);
    SetEntry(KGDT_R0_PCR, (uint32_t)Pcr, PcrSize - 1, Data, GDT_FLAGS_BYTE_32BIT);
    SetEntry(KGDT_R3_TEB, 0, PAGE_SIZE - 1, Data | GDT_ACCESS_DPL3, GDT_FLAGS_BYTE_32BIT);
    SetEntry(KGDT_DF_TSS, (uint32_t)&KiDoubleFaultTss, sizeof(KTSS) - 1,
             GDT_ACCESS_PRESENT | GDT_ACCESS_TSS32, 0);

    KiTss.Ss0 = KGDT_R0_DATA;
    KiTss.IoMapBase = sizeof(KTSS);     /* no I/O permission bitmap */

    KiDoubleFaultTss.Esp0 = KiDoubleFaultTss.Esp =
        (uint32_t)(KiDoubleFaultStack + DOUBLE_FAULT_STACK_SIZE);
    KiDoubleFaultTss.Ss0 = KiDoubleFaultTss.Ss = KGDT_R0_DATA;
    KiDoubleFaultTss.Ds = KiDoubleFaultTss.Es = KGDT_R0_DATA;
    KiDoubleFaultTss.Gs = KGDT_R0_DATA;
    KiDoubleFaultTss.Fs = KGDT_R0_PCR;
    KiDoubleFaultTss.Cs = KGDT_R0_CODE;
    KiDoubleFaultTss.Eip = (uint32_t)KiDoubleFaultEntry;
    KiDoubleFaultTss.EFlags = EFLAGS_RESERVED1;     /* interrupts off */
    KiDoubleFaultTss.Cr3 = KernelCr3;
    KiDoubleFaultTss.IoMapBase = sizeof(KTSS);

    struct {
        uint16_t Limit;
        uint32_t Base;
    } __attribute__((packed)) Gdtr = { sizeof(KiGdt) - 1, (uint32_t)KiGdt };

    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "movw %w2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%gs\n\t"
                     "movw %%ax, %%ss\n\t"
                     "movw %w4, %%ax\n\t"
                     "movw %%ax, %%fs\n\t"
                     "ltr %w3"
                     :
                     : "m"(Gdtr), "i"(KGDT_R0_CODE), "r"(KGDT_R0_DATA), "r"(KGDT_TSS), "r"(KGDT_R0_PCR)
                     : "eax", "memory");
}

void HalSetTebBase(void *Teb)
{
    KGDTENTRY *e = &KiGdt[KGDT_R3_TEB >> 3];
    uint32_t Base = (uint32_t)Teb;
    e->BaseLow = (uint16_t)(Base & 0xFFFF);
    e->BaseMid = (uint8_t)((Base >> 16) & 0xFF);
    e->BaseHigh = (uint8_t)(Base >> 24);
}

/* The stack the CPU switches to on a trap from ring 3. */
void HalSetKernelStack(uint32_t Esp0)
{
    KiTss.Esp0 = Esp0;
}

KTSS *HalGetMainTss(void)
{
    return &KiTss;
}
