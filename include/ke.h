/*
 * include/ke.h — the kernel proper: IRQL, spin locks, traps, bugchecks,
 * printing and the boot options table.
 *
 * IRQL follows NT's x86 model: PASSIVE (0), APC (1), DISPATCH (2), device
 * levels 3..26 (the PIC's IRQ n runs at PROFILE_LEVEL - n), PROFILE (27),
 * CLOCK (28, the PIT on IRQ 0), IPI (29), POWER (30), HIGH (31). Raising the
 * IRQL masks every interrupt source at or below the new level on the PICs
 * (HIGH_LEVEL masks them all); EFLAGS.IF is left alone. The HAL implements
 * the routines (hal/irql.c), as NT's HAL does.
 */
#ifndef MM386_KE_H
#define MM386_KE_H

#include <ntdef.h>
#include <ntstatus.h>
#include <bugcodes.h>

typedef uint8_t KIRQL, *PKIRQL;

#define PASSIVE_LEVEL   0
#define LOW_LEVEL       0
#define APC_LEVEL       1
#define DISPATCH_LEVEL  2
#define PROFILE_LEVEL   27
#define CLOCK1_LEVEL    28
#define CLOCK2_LEVEL    28
#define IPI_LEVEL       29
#define POWER_LEVEL     30
#define HIGH_LEVEL      31
/* The IRQL a PIC interrupt runs at: NT's PIC HAL mapping. */
#define DEVICE_IRQL(Irq) ((Irq) == 0 ? CLOCK2_LEVEL : (Irq) == 8 ? PROFILE_LEVEL : PROFILE_LEVEL - (Irq))

/*
 * The current IRQL, one byte of processor state (NT keeps it in the KPCR).
 * Raising or lowering among PASSIVE, APC and DISPATCH changes no PIC mask,
 * so that path is inline; levels above DISPATCH go through the HAL.
 */
extern volatile KIRQL KiCurrentIrql;
void HalRaiseDeviceIrql(KIRQL NewIrql, PKIRQL OldIrql);
void HalLowerDeviceIrql(KIRQL NewIrql);

static inline KIRQL KeGetCurrentIrql(void)
{
    return KiCurrentIrql;
}

/* Raises the IRQL to NewIrql (which must not be lower) and returns the old one in *OldIrql. */
static inline void KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql)
{
    KIRQL Current = KiCurrentIrql;
    if (NewIrql > DISPATCH_LEVEL || NewIrql < Current) {
        HalRaiseDeviceIrql(NewIrql, OldIrql);
        return;
    }
    *OldIrql = Current;
    __asm__ volatile("" ::: "memory");
    KiCurrentIrql = NewIrql;
    __asm__ volatile("" ::: "memory");
}

/* Lowers the IRQL back to NewIrql (which must not be higher than the current IRQL). */
static inline void KeLowerIrql(KIRQL NewIrql)
{
    KIRQL Current = KiCurrentIrql;
    if (Current > DISPATCH_LEVEL || NewIrql > Current) {
        HalLowerDeviceIrql(NewIrql);
        return;
    }
    __asm__ volatile("" ::: "memory");
    KiCurrentIrql = NewIrql;
    __asm__ volatile("" ::: "memory");
}

static inline KIRQL KeRaiseIrqlToDpcLevel(void)
{
    KIRQL Old;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    return Old;
}

/*
 * Spin locks. mm386 runs on one processor, but the lock is real: acquiring
 * raises to DISPATCH_LEVEL and takes the lock word with an atomic exchange,
 * as an SMP kernel's lock does (the lock itself would need no change there),
 * and re-acquiring a held lock on the one processor is caught (it would spin
 * forever) with a bugcheck.
 */
typedef volatile ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;
NORETURN void KiSpinLockMisuse(PKSPIN_LOCK SpinLock, ULONG Reason);

static inline void KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    *SpinLock = 0;
}

static inline void KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (__atomic_exchange_n(SpinLock, 1, __ATOMIC_ACQUIRE) != 0)
        KiSpinLockMisuse(SpinLock, 1);      /* one processor: the holder is us */
}

static inline void KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    if (__atomic_exchange_n(SpinLock, 0, __ATOMIC_RELEASE) != 1)
        KiSpinLockMisuse(SpinLock, 2);      /* released a lock nobody held */
}

static inline void KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql)
{
    KeRaiseIrql(DISPATCH_LEVEL, OldIrql);
    KeAcquireSpinLockAtDpcLevel(SpinLock);
}

static inline void KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    KeReleaseSpinLockFromDpcLevel(SpinLock);
    KeLowerIrql(NewIrql);
}

/*
 * Fast mutexes (NT's FAST_MUTEX): the lock for code that may take page
 * faults while holding it, such as paged pool. The holder runs at
 * APC_LEVEL, where a page fault can still be resolved. There are no threads
 * yet, so nobody can wait for a fast mutex: finding it held means the one
 * running path is acquiring it again, which would deadlock; it is caught
 * like a recursive spin lock. Callable at IRQL <= APC_LEVEL.
 */
typedef struct _FAST_MUTEX {
    volatile ULONG_PTR Owned;
    KIRQL OldIrql;
} FAST_MUTEX, *PFAST_MUTEX;

static inline void ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    FastMutex->Owned = 0;
}

static inline void ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    KIRQL OldIrql;
    KeRaiseIrql(APC_LEVEL, &OldIrql);
    if (__atomic_exchange_n(&FastMutex->Owned, 1, __ATOMIC_ACQUIRE) != 0)
        KiSpinLockMisuse(&FastMutex->Owned, 1);
    FastMutex->OldIrql = OldIrql;
}

static inline void ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    KIRQL OldIrql = FastMutex->OldIrql;
    if (__atomic_exchange_n(&FastMutex->Owned, 0, __ATOMIC_RELEASE) != 1)
        KiSpinLockMisuse(&FastMutex->Owned, 2);
    KeLowerIrql(OldIrql);
}

/*
 * The trap frame every interrupt entry builds (hal/trap.asm), lowest address
 * first. HardwareEsp/HardwareSegSs exist only for a trap from ring 3. For a
 * ring-0 trap the CPU pushes no stack pointer; TempEsp, the ESP that pushad
 * saved, points at Vector, and the interrupted ESP is five words above it.
 * Frames built by hand (KeBugCheckEx, the double fault) set TempEsp the same
 * way.
 */
typedef struct _KTRAP_FRAME {
    ULONG SegGs, SegFs, SegEs, SegDs;
    ULONG Edi, Esi, Ebp, TempEsp, Ebx, Edx, Ecx, Eax;    /* pushad */
    ULONG Vector;
    ULONG ErrCode;
    ULONG Eip, SegCs, EFlags;                           /* pushed by the CPU */
    ULONG HardwareEsp, HardwareSegSs;                   /* ring 3 only */
} KTRAP_FRAME, *PKTRAP_FRAME;

#define KTRAP_FRAME_ESP_BIAS 20     /* Vector, ErrCode, Eip, SegCs, EFlags */

static inline bool KiTrapFromUserMode(const KTRAP_FRAME *TrapFrame)
{
    return (TrapFrame->SegCs & 3) != 0;
}
/* The stack pointer at the moment of the trap. */
static inline ULONG KiTrapFrameEsp(const KTRAP_FRAME *TrapFrame)
{
    return KiTrapFromUserMode(TrapFrame) ? TrapFrame->HardwareEsp
                                         : TrapFrame->TempEsp + KTRAP_FRAME_ESP_BIAS;
}

/*
 * Fault catchers: a block of kernel code that may fault (a test expecting a
 * #GP, a probe of an address that may not be mapped) runs under a catcher.
 * If it faults, the trap dispatcher records the fault in the catcher, restores
 * the IRQL and the registers saved by KeTryFault and resumes there, so
 * KeTryFault "returns" false. This is mm386's small stand-in for NT's
 * __try/__except around kernel code. Catchers nest; the innermost wins. A
 * catcher only takes faults of the code that armed it: a fault inside an
 * interrupt handler that arrives meanwhile is that handler's bug and gets
 * the usual verdict, since resuming the catcher would abandon the handler
 * without its end-of-interrupt.
 *
 *     KFAULT_CATCHER Catcher;
 *     if (KeTryFault(&Catcher)) {
 *         ... code that may fault ...
 *         KePopFaultCatcher(&Catcher);
 *     } else {
 *         ... Catcher.Vector, Catcher.FaultAddress say what happened ...
 *     }
 */
typedef struct _KFAULT_CATCHER {
    ULONG Context[7];               /* ebx esi edi ebp esp eip eflags: hal/catch.asm */
    KIRQL Irql;
    ULONG Nesting;                  /* interrupts in progress when it was armed */
    struct _KFAULT_CATCHER *Previous;
    ULONG Vector;                   /* what happened, once KeTryFault returns false */
    ULONG ErrorCode;
    ULONG FaultAddress;             /* CR2 for a page fault */
    ULONG FaultEip;
} KFAULT_CATCHER, *PKFAULT_CATCHER;

__attribute__((returns_twice)) int KiSaveFaultContext(PKFAULT_CATCHER Catcher);
NORETURN void KiResumeFaultContext(PKFAULT_CATCHER Catcher);
void KePushFaultCatcher(PKFAULT_CATCHER Catcher);
void KePopFaultCatcher(PKFAULT_CATCHER Catcher);
bool KeFaultCatcherActive(void);
#define KeTryFault(Catcher) (KePushFaultCatcher(Catcher), KiSaveFaultContext(Catcher) == 0)

/* Bugchecks: print NT's screen on serial and VGA, then stop the machine. */
NORETURN void KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                           ULONG_PTR P3, ULONG_PTR P4);
/* As KeBugCheckEx, with the registers of a trap rather than of the caller. */
NORETURN void KiBugCheckWithTrapFrame(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                      ULONG_PTR P3, ULONG_PTR P4, const KTRAP_FRAME *TrapFrame);
const char *KiBugCheckName(ULONG BugCheckCode);
/* Called once, with the code and parameters, when the machine stops; the ktest harness uses it. */
typedef void (*PKBUGCHECK_HOOK)(ULONG BugCheckCode, const ULONG_PTR Parameters[4]);
void KeSetBugCheckHook(PKBUGCHECK_HOOK Hook);

#define STATUS_ASSERTION_FAILURE ((NTSTATUS)0xC0000420)
NORETURN void RtlAssert(const char *Expression, const char *File, int Line);
#define ASSERT(e) ((e) ? (void)0 : RtlAssert(#e, __FILE__, __LINE__))

/* Printing: every line goes to COM1 and to the VGA console. */
ULONG DbgPrint(PCSTR Format, ...) PRINTF_LIKE(1, 2);
ULONG vDbgPrint(PCSTR Format, va_list Args);
/* Output sinks: serial and VGA register themselves; the kd prompt may add one. */
typedef void (*PKD_OUTPUT_ROUTINE)(const char *Text, size_t Length);
void KeRegisterOutput(PKD_OUTPUT_ROUTINE Routine);
void KeUnregisterOutput(PKD_OUTPUT_ROUTINE Routine);

/* Backtraces, symbolised from the table the build embeds. */
const char *KiSymbolize(ULONG Address, ULONG *Offset);
ULONG KiLookupSymbol(const char *Name);
/* Frame 0 is Eip, an instruction's own address (a trap's); then the EBP chain's return addresses. */
void KeDumpBacktrace(ULONG Eip, ULONG Ebp, int MaxFrames);
/* Frame 0 is a return address (a call's, as KeBugCheckEx records its caller), looked up one byte earlier. */
void KeDumpCallerBacktrace(ULONG ReturnAddress, ULONG Ebp, int MaxFrames);
ULONG KeCaptureBacktrace(ULONG Ebp, ULONG *Frames, ULONG MaxFrames);

/* A kernel stack, named for diagnostics. Limit is the lowest usable byte. */
typedef struct _KE_STACK_INFO {
    const char *Name;
    ULONG Limit;            /* lowest address of the stack (above its guard page) */
    ULONG Base;             /* one past the highest address */
} KE_STACK_INFO;
/*
 * Finds the kernel stack that Address lies on, counting the guard page below
 * a stack as part of it (an overflow lands there). False if it knows none.
 */
bool KeIdentifyStack(ULONG Address, KE_STACK_INFO *Info);

/* The tick count since boot (HAL_CLOCK_HZ per second). */
ULONG KeGetTickCount(void);

#endif
