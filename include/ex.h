/*
 * include/ex.h — the executive's support for code that touches user
 * buffers: raising exceptions, a kernel try/except, probing (kernel/ex/);
 * the Zw forms of services, and the executive's startup. Its services are
 * declared in include/ntexapi.h.
 *
 * NT's kernel code reads and writes user memory inside __try/__except: a
 * bad pointer, a page that is reserved but not committed, a read-only page
 * written, all end as an exception the handler turns into a status. mm386's
 * compiler has no SEH, so EX_TRY / EX_EXCEPT / EX_END build the same shape
 * on the fault catcher (include/ke.h, KeTryFault): the handler runs when
 * the body takes a CPU exception (a page fault's status is MmAccessFault's:
 * STATUS_ACCESS_VIOLATION, STATUS_GUARD_PAGE_VIOLATION, STATUS_STACK_OVERFLOW)
 * or raises a status (ExRaiseStatus). They nest, the innermost wins, and
 * leaving the body by return, break or goto disarms the handler (a cleanup
 * attribute), so only the body is covered.
 *
 *     NTSTATUS Status = STATUS_SUCCESS;
 *     EX_TRY {
 *         ProbeForWrite(Buffer, Length, sizeof(ULONG));
 *         *Buffer = Value;
 *     } EX_EXCEPT(Status) {
 *         return Status;          (the exception code)
 *     } EX_END;
 *
 * As with setjmp, a local variable the body changes and the handler reads
 * must be volatile. Without a handler, a raised status or a fault in kernel
 * mode is NT's bugcheck, KMODE_EXCEPTION_NOT_HANDLED (0x1E).
 */
#ifndef MM386_EX_H
#define MM386_EX_H

#include <ke.h>
#include <x86.h>
#include <ntexcept.h>

/*
 * Raises Status as an exception: the innermost handler of the running code
 * gets it. With none, KMODE_EXCEPTION_NOT_HANDLED (0x1E; Status, the
 * caller's address). Any IRQL; the handler runs at the IRQL it was armed at.
 */
NORETURN void ExRaiseStatus(NTSTATUS Status);
NORETURN void ExRaiseAccessViolation(void);
NORETURN void ExRaiseDatatypeMisalignment(void);


typedef struct _EX_TRY_FRAME {
    KFAULT_CATCHER Catcher;
    bool Armed;
} EX_TRY_FRAME;

/* The macros' runtime: disarm on leaving the body, the code and record of what was caught. */
static inline void ExpLeaveTryFrame(EX_TRY_FRAME *Frame)
{
    if (Frame->Armed) {
        Frame->Armed = false;
        KePopFaultCatcher(&Frame->Catcher);
    }
}
NTSTATUS ExpExceptionCode(const KFAULT_CATCHER *Catcher);
void ExpExceptionRecord(const KFAULT_CATCHER *Catcher, PEXCEPTION_RECORD Record);

#define EX_TRY                                                                  \
    {                                                                           \
        EX_TRY_FRAME _ExTry __attribute__((cleanup(ExpLeaveTryFrame)));         \
        _ExTry.Armed = true;                                                    \
        if (KeTryFault(&_ExTry.Catcher)) {

#define EX_EXCEPT(ExceptionCodeVariable)                                        \
            ExpLeaveTryFrame(&_ExTry);                                          \
        } else {                                                                \
            _ExTry.Armed = false;       /* the dispatcher unlinked it */        \
            (ExceptionCodeVariable) = ExpExceptionCode(&_ExTry.Catcher);

#define EX_END                                                                  \
        }                                                                       \
    }

/* Inside an EX_EXCEPT block: fills Record with what was caught. */
#define EX_GET_EXCEPTION_RECORD(Record) ExpExceptionRecord(&_ExTry.Catcher, (Record))

/*
 * The mode the running service was called from: KernelMode for a call
 * from kernel code, UserMode for a system service from ring 3. Callers
 * probe user buffers only when it is UserMode. As in NT it is the current
 * thread's KTHREAD.PreviousMode, which the system-service entry sets (and
 * restores on return); a kernel thread's is KernelMode.
 */
static inline KPROCESSOR_MODE ExGetPreviousMode(void)
{
    return KeGetCurrentThread()->PreviousMode;
}

/* Sets the current thread's previous mode and returns the old one (the system-service entry, and tests). */
static inline KPROCESSOR_MODE ExpSetPreviousMode(KPROCESSOR_MODE Mode)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KPROCESSOR_MODE Old = Thread->PreviousMode;
    Thread->PreviousMode = Mode;
    return Old;
}

/*
 * Probes a user buffer (NT's rules). Length 0: nothing is checked.
 * Otherwise Address must be a multiple of Alignment (1, 2, 4, 8 or 16), else
 * STATUS_DATATYPE_MISALIGNMENT is raised; the buffer must end at or below
 * MmUserProbeAddress without wrapping, else STATUS_ACCESS_VIOLATION is
 * raised. ProbeForRead touches nothing; ProbeForWrite also writes each page
 * of the buffer (its first byte back to itself), so a read-only, reserved
 * or guard page raises the fault's status there. IRQL <= APC_LEVEL for
 * ProbeForWrite (it may fault).
 */
void ProbeForRead(const volatile void *Address, SIZE_T Length, ULONG Alignment);
void ProbeForWrite(volatile void *Address, SIZE_T Length, ULONG Alignment);

/* Prints String on the console and COM1 (kernel/ex/display.c). PASSIVE_LEVEL. */
NTSTATUS NtDisplayString(PUNICODE_STRING String);
/*
 * NT's x86 probes of one scalar or a small structure, as its system services
 * use them (NT's ex.h macros). A scalar (a handle, a ULONG, a BOOLEAN, a
 * LARGE_INTEGER read) is checked against MmUserProbeAddress and touched, but
 * never for alignment: x86 NT accepts a misaligned PHANDLE or PULONG. A small
 * structure is checked for Alignment as ProbeForRead/ProbeForWrite check any
 * buffer. All raise STATUS_ACCESS_VIOLATION or STATUS_DATATYPE_MISALIGNMENT;
 * callers run them inside EX_TRY, and only for a UserMode caller.
 */
#define ProbeForWriteHandle(Address)    ProbeForWrite((Address), sizeof(*(Address)), 1)
#define ProbeForWriteUlong(Address)     ProbeForWrite((Address), sizeof(*(Address)), 1)
#define ProbeForWriteLong(Address)      ProbeForWrite((Address), sizeof(*(Address)), 1)
#define ProbeForWriteBoolean(Address)   ProbeForWrite((Address), sizeof(*(Address)), 1)
#define ProbeForReadSmallStructure(Address, Size, Alignment)    ProbeForRead((Address), (Size), (Alignment))
#define ProbeForWriteSmallStructure(Address, Size, Alignment)   ProbeForWrite((Address), (Size), (Alignment))

/* Probes and reads a user LARGE_INTEGER (a timeout, a due time): NT's ProbeAndReadLargeInteger. */
static inline LARGE_INTEGER ProbeAndReadLargeInteger(const LARGE_INTEGER *Source)
{
    LARGE_INTEGER Value;
    ProbeForRead(Source, sizeof(*Source), 1);
    Value.LowPart = ((const volatile LARGE_INTEGER *)Source)->LowPart;
    Value.HighPart = ((const volatile LARGE_INTEGER *)Source)->HighPart;
    return Value;
}

/*
 * NT's Zw form of a system service: the same service, called as the system
 * service gate calls it for kernel code, with the previous mode KernelMode
 * for its duration (so nothing is probed) and restored after. A service that
 * raises to a kernel-mode caller (NtReleaseSemaphore past the limit) leaves
 * the previous mode KernelMode, as a kernel thread's always is.
 */
#define EX_CALL_AS_KERNEL_MODE(Call)                                            \
    ({                                                                          \
        KPROCESSOR_MODE _ExOldMode = ExpSetPreviousMode(KernelMode);            \
        NTSTATUS _ExStatus = (Call);                                            \
        ExpSetPreviousMode(_ExOldMode);                                         \
        _ExStatus;                                                              \
    })

/*
 * Phase 1, after the object manager (kernel/ex/exinit.c): the executive's
 * object types, Event, Semaphore, Mutant and Timer (include/ntexapi.h).
 */
void ExInitSystem(void);

#endif
