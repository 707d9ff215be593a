/*
 * include/hal.h — the hardware abstraction layer: the CPU and the board.
 *
 * Everything that touches a processor register, an I/O port or a descriptor
 * table goes through here. The HAL knows nothing of the memory manager: mm/
 * calls HalInvalidatePage or HalWriteCr3 and decides itself when to.
 * Inline helpers are single instructions; the rest lives in the hal/ files.
 */
#ifndef MM386_HAL_H
#define MM386_HAL_H

#include <ntdef.h>
#include <x86.h>

/* Port I/O. */
static inline void HalWritePortUchar(uint16_t Port, uint8_t Value)
{
    __asm__ volatile("outb %0, %1" : : "a"(Value), "Nd"(Port));
}
static inline uint8_t HalReadPortUchar(uint16_t Port)
{
    uint8_t Value;
    __asm__ volatile("inb %1, %0" : "=a"(Value) : "Nd"(Port));
    return Value;
}
static inline void HalWritePortUlong(uint16_t Port, uint32_t Value)
{
    __asm__ volatile("outl %0, %1" : : "a"(Value), "Nd"(Port));
}

/* Control registers. */
#define HAL_CR_ACCESSORS(n)                                                   \
    static inline uint32_t HalReadCr##n(void)                                 \
    {                                                                         \
        uint32_t Value;                                                       \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(Value));                 \
        return Value;                                                         \
    }                                                                         \
    static inline void HalWriteCr##n(uint32_t Value)                          \
    {                                                                         \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(Value) : "memory");        \
    }
HAL_CR_ACCESSORS(0)
HAL_CR_ACCESSORS(2)
HAL_CR_ACCESSORS(3)
HAL_CR_ACCESSORS(4)
#undef HAL_CR_ACCESSORS

/* Debug registers: DR0-DR3 addresses, DR6 status, DR7 control (include/x86.h names their bits). */
#define HAL_DR_ACCESSORS(n)                                                   \
    static inline uint32_t HalReadDr##n(void)                                 \
    {                                                                         \
        uint32_t Value;                                                       \
        __asm__ volatile("mov %%db" #n ", %0" : "=r"(Value));                 \
        return Value;                                                         \
    }                                                                         \
    static inline void HalWriteDr##n(uint32_t Value)                          \
    {                                                                         \
        __asm__ volatile("mov %0, %%db" #n : : "r"(Value) : "memory");        \
    }
HAL_DR_ACCESSORS(0)
HAL_DR_ACCESSORS(1)
HAL_DR_ACCESSORS(2)
HAL_DR_ACCESSORS(3)
HAL_DR_ACCESSORS(6)
HAL_DR_ACCESSORS(7)
#undef HAL_DR_ACCESSORS

/*
 * The TLB. Kernel pages are global when the CPU has PGE (HalGlobalPagesEnabled):
 * their translations survive a CR3 reload. So there are three flushes, each
 * counted (make bench prints flushes per 1,000 operations beside each figure):
 *
 *   HalInvalidatePage(Va)   one translation, global or not (invlpg)
 *   KeFlushProcessTb()      every non-global translation: a CR3 reload. Enough
 *                           for per-address-space mappings (hyperspace, the
 *                           self-map, the user range), never for kernel pages.
 *   KeFlushCurrentTb()      every translation, global ones too: CR4.PGE is
 *                           toggled, as NT's KeFlushCurrentTb does (a CR3
 *                           reload when PGE is off).
 */
typedef struct _HAL_TB_FLUSH_COUNTS {
    volatile ULONG EntireFlushes;       /* KeFlushCurrentTb */
    volatile ULONG ProcessFlushes;      /* KeFlushProcessTb */
    volatile ULONG SingleFlushes;       /* HalInvalidatePage */
} HAL_TB_FLUSH_COUNTS;

extern HAL_TB_FLUSH_COUNTS HalTbFlushCounts;
extern bool HalGlobalPagesEnabled;

/* One interlocked add: a single instruction, where ++ on a volatile counter is three (and can lose a count). */
#define HAL_COUNT_FLUSH(Counter) __atomic_fetch_add(&HalTbFlushCounts.Counter, 1, __ATOMIC_RELAXED)

static inline void HalInvalidatePage(const volatile void *Va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(Va) : "memory");
    HAL_COUNT_FLUSH(SingleFlushes);
}

static inline void KeFlushProcessTb(void)
{
    HalWriteCr3(HalReadCr3());
    HAL_COUNT_FLUSH(ProcessFlushes);
}

void KeFlushCurrentTb(void);
/* hal/tb.c: turns CR4.PGE on when the CPU has it; HalGlobalPagesEnabled says whether. Phase 0. */
void HalInitializeGlobalPages(void);

static inline uint64_t HalReadTsc(void)
{
    uint32_t Lo, Hi;
    __asm__ volatile("rdtsc" : "=a"(Lo), "=d"(Hi));
    return ((uint64_t)Hi << 32) | Lo;
}

static inline void HalCpuid(uint32_t Leaf, uint32_t Regs[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(Regs[0]), "=b"(Regs[1]), "=c"(Regs[2]), "=d"(Regs[3])
                     : "a"(Leaf), "c"(0));
}

static inline uint64_t HalReadMsr(uint32_t Msr)
{
    uint32_t Lo, Hi;
    __asm__ volatile("rdmsr" : "=a"(Lo), "=d"(Hi) : "c"(Msr));
    return ((uint64_t)Hi << 32) | Lo;
}

static inline void HalWriteMsr(uint32_t Msr, uint64_t Value)
{
    __asm__ volatile("wrmsr" : : "c"(Msr), "a"((uint32_t)Value), "d"((uint32_t)(Value >> 32)));
}

static inline uint32_t HalReadEflags(void)
{
    uint32_t Flags;
    __asm__ volatile("pushfl; popl %0" : "=r"(Flags));
    return Flags;
}

static inline void HalDisableInterrupts(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void HalEnableInterrupts(void)  { __asm__ volatile("sti" ::: "memory"); }
static inline void HalHalt(void)              { __asm__ volatile("hlt" ::: "memory"); }
static inline void HalPause(void)             { __asm__ volatile("pause" ::: "memory"); }
/* Enables interrupts and halts in one step: an interrupt cannot arrive between the two (sti's shadow). */
static inline void HalProcessorIdle(void)     { __asm__ volatile("sti; hlt" ::: "memory"); }

/* Returns the previous interrupt flag and disables interrupts. */
static inline bool HalSaveAndDisableInterrupts(void)
{
    bool Enabled = (HalReadEflags() & EFLAGS_IF) != 0;
    HalDisableInterrupts();
    return Enabled;
}
static inline void HalRestoreInterrupts(bool Enabled)
{
    if (Enabled)
        HalEnableInterrupts();
}

/* The 32-bit task-state segment (Intel SDM vol. 3, 8.2.1). */
typedef struct _KTSS {
    uint16_t Backlink, Reserved0;
    uint32_t Esp0;
    uint16_t Ss0, Reserved1;
    uint32_t Esp1;
    uint16_t Ss1, Reserved2;
    uint32_t Esp2;
    uint16_t Ss2, Reserved3;
    uint32_t Cr3, Eip, EFlags;
    uint32_t Eax, Ecx, Edx, Ebx, Esp, Ebp, Esi, Edi;
    uint16_t Es, Reserved4, Cs, Reserved5, Ss, Reserved6;
    uint16_t Ds, Reserved7, Fs, Reserved8, Gs, Reserved9;
    uint16_t LdtSelector, Reserved10;
    uint16_t Flags, IoMapBase;
} __attribute__((packed)) KTSS;

/*
 * hal/gdt.c: GDT, the main TSS and the double-fault TSS behind a task gate.
 * Pcr is the processor control region KGDT_R0_PCR selects (include/ketypes.h);
 * on return FS holds that selector.
 */
void HalInitializeGdt(uint32_t KernelCr3, void *Pcr, uint32_t PcrSize);
/* Points the user TEB selector (KGDT_R3_TEB) at Teb: the context switch calls it for ring-3 threads. */
void HalSetTebBase(void *Teb);
void HalSetKernelStack(uint32_t Esp0);
KTSS *HalGetMainTss(void);

/* hal/idt.c: the IDT; every vector enters KiDispatchTrap. */
void HalInitializeIdt(void);
/* Points Vector's gate at Handler, an entry of ke's own (the system-service gate), reachable from ring 3. */
void HalSetUserGate(ULONG Vector, void (*Handler)(void));

/* hal/pic.c: the two 8259s, remapped to PRIMARY_VECTOR_BASE. */
void HalInitializePic(void);
void HalPicSetMask(uint16_t Mask);
void HalPicEndOfInterrupt(uint32_t Irq);
bool HalPicIsSpurious(uint32_t Irq);

/* hal/irql.c: IRQL bookkeeping on the PIC masks (KeRaiseIrql and friends are in ke.h). */
void HalInitializeIrql(void);

/* hal/pit.c: the 8254 timer on IRQ 0; each tick goes to KeUpdateSystemTime. */
#define HAL_CLOCK_HZ 100
void HalInitializeClock(void);

/* hal/interrupt.c: device interrupt routing by IRQ. */
struct _KTRAP_FRAME;
typedef void (*PHAL_INTERRUPT_ROUTINE)(struct _KTRAP_FRAME *TrapFrame, PVOID Context);
void HalConnectInterrupt(uint32_t Irq, PHAL_INTERRUPT_ROUTINE Routine, PVOID Context);
void HalDisconnectInterrupt(uint32_t Irq);
void HalDispatchInterrupt(uint32_t Irq, struct _KTRAP_FRAME *TrapFrame);

/* hal/halmap.c: drops the boot-time VGA mapping at HAL_EARLY_VGA_VA once the console has moved. */
void HalReleaseEarlyVgaMapping(void);

/* hal/cmos.c: the date and time in the CMOS real-time clock (as it keeps it: normally UTC under QEMU). */
typedef struct _HAL_TIME_FIELDS {
    uint16_t Year;          /* 1980.. */
    uint8_t Month, Day;     /* 1..12, 1..31 */
    uint8_t Hour, Minute, Second;
} HAL_TIME_FIELDS;
void HalQueryRealTimeClock(HAL_TIME_FIELDS *Time);

/* hal/reboot.c */
NORETURN void HalReboot(void);
/*
 * Leaves the emulator: QEMU through isa-debug-exit (iobase 0xf4; QEMU's
 * status is (Code << 1) | 1), Bochs through its shutdown port 0x8900 (whose
 * status says nothing: print the verdict on COM1 first). Halts elsewhere.
 */
NORETURN void HalQemuExit(uint32_t Code);
NORETURN void HalHaltSystem(void);

#endif
