/*
 * include/ntexcept.h — exceptions as NT describes them to a handler: the
 * exception record, the processor context, the registration chain.
 *
 * When ring 3 takes an exception (an access violation, a breakpoint, a
 * divide by zero) NT's kernel copies an EXCEPTION_RECORD and a CONTEXT onto
 * the thread's user stack and resumes it in KiUserExceptionDispatcher. That
 * routine walks the thread's registration chain — EXCEPTION_REGISTRATION_RECORDs
 * linked from TEB.NtTib.ExceptionList, fs:[0] in user mode, innermost
 * first — calling each handler until one says ExceptionContinueExecution,
 * then resumes the (possibly edited) context with NtContinue; if none
 * does, it asks the kernel for the second chance with NtRaiseException,
 * which ends the process. The kernel (kernel/ke/except.c) and the user
 * runtime (user/ntdll) both use these layouts, NT's x86 ones, offsets
 * pinned below.
 */
#ifndef MM386_NTEXCEPT_H
#define MM386_NTEXCEPT_H

#include <ntbasic.h>
#include <ntstatus.h>

#define EXCEPTION_MAXIMUM_PARAMETERS    15

/* ExceptionFlags */
#define EXCEPTION_NONCONTINUABLE        0x01    /* continuing it raises STATUS_NONCONTINUABLE_EXCEPTION */
#define EXCEPTION_UNWINDING             0x02
#define EXCEPTION_EXIT_UNWIND           0x04
#define EXCEPTION_STACK_INVALID         0x08
#define EXCEPTION_NESTED_CALL           0x10
#define EXCEPTION_TARGET_UNWIND         0x20
#define EXCEPTION_COLLIDED_UNWIND       0x40
#define EXCEPTION_UNWIND                (EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND | EXCEPTION_TARGET_UNWIND | \
                                         EXCEPTION_COLLIDED_UNWIND)

/*
 * What happened. For an access violation (and a guard page, an in-page
 * error) ExceptionInformation[0] is 0 for a read, 1 for a write and
 * [1] the address; a general-protection fault that is not a privileged
 * instruction gives 0 and 0xFFFFFFFF, as NT's KiTrap0D does.
 */
typedef struct _EXCEPTION_RECORD {
    NTSTATUS ExceptionCode;
    ULONG ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;      /* a nested exception's outer record, or NULL */
    PVOID ExceptionAddress;                         /* the instruction that faulted, or the raiser's caller */
    ULONG NumberParameters;
    ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;

_Static_assert(sizeof(EXCEPTION_RECORD) == 0x50, "NT's x86 EXCEPTION_RECORD is 0x50 bytes");

/* CONTEXT.ContextFlags: which parts of the context are valid (or to be set). */
#define CONTEXT_i386                    0x00010000u
#define CONTEXT_CONTROL                 (CONTEXT_i386 | 0x01)  /* Ebp, Eip, SegCs, EFlags, Esp, SegSs */
#define CONTEXT_INTEGER                 (CONTEXT_i386 | 0x02)  /* Edi, Esi, Ebx, Edx, Ecx, Eax */
#define CONTEXT_SEGMENTS                (CONTEXT_i386 | 0x04)  /* SegDs, SegEs, SegFs, SegGs */
#define CONTEXT_FLOATING_POINT          (CONTEXT_i386 | 0x08)
#define CONTEXT_DEBUG_REGISTERS         (CONTEXT_i386 | 0x10)
#define CONTEXT_EXTENDED_REGISTERS      (CONTEXT_i386 | 0x20)
#define CONTEXT_FULL                    (CONTEXT_CONTROL | CONTEXT_INTEGER | CONTEXT_SEGMENTS)

#define SIZE_OF_80387_REGISTERS         80
#define MAXIMUM_SUPPORTED_EXTENSION     512

typedef struct _FLOATING_SAVE_AREA {
    ULONG ControlWord, StatusWord, TagWord;
    ULONG ErrorOffset, ErrorSelector, DataOffset, DataSelector;
    UCHAR RegisterArea[SIZE_OF_80387_REGISTERS];
    ULONG Cr0NpxState;
} FLOATING_SAVE_AREA;

/*
 * A thread's processor state. mm386 keeps no floating-point state for user
 * threads yet (programs are built without it): FloatSave and
 * ExtendedRegisters are carried, never used.
 */
typedef struct _CONTEXT {
    ULONG ContextFlags;
    ULONG Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
    FLOATING_SAVE_AREA FloatSave;
    ULONG SegGs, SegFs, SegEs, SegDs;
    ULONG Edi, Esi, Ebx, Edx, Ecx, Eax;
    ULONG Ebp, Eip, SegCs, EFlags, Esp, SegSs;
    UCHAR ExtendedRegisters[MAXIMUM_SUPPORTED_EXTENSION];
} CONTEXT, *PCONTEXT;

_Static_assert(offsetof(CONTEXT, FloatSave) == 0x1C && offsetof(CONTEXT, SegGs) == 0x8C &&
               offsetof(CONTEXT, Edi) == 0x9C && offsetof(CONTEXT, Eip) == 0xB8 &&
               offsetof(CONTEXT, Esp) == 0xC4 && sizeof(CONTEXT) == 0x2CC, "NT's x86 CONTEXT");

typedef enum _EXCEPTION_DISPOSITION {
    ExceptionContinueExecution,
    ExceptionContinueSearch,
    ExceptionNestedException,
    ExceptionCollidedUnwind,
} EXCEPTION_DISPOSITION;

struct _EXCEPTION_REGISTRATION_RECORD;
typedef EXCEPTION_DISPOSITION (*PEXCEPTION_ROUTINE)(PEXCEPTION_RECORD ExceptionRecord,
                                                    struct _EXCEPTION_REGISTRATION_RECORD *EstablisherFrame,
                                                    PCONTEXT ContextRecord, PVOID DispatcherContext);

/* One handler on the chain at fs:[0]; the chain ends with Next == EXCEPTION_CHAIN_END. */
typedef struct _EXCEPTION_REGISTRATION_RECORD {
    struct _EXCEPTION_REGISTRATION_RECORD *Next;
    PEXCEPTION_ROUTINE Handler;
} EXCEPTION_REGISTRATION_RECORD, *PEXCEPTION_REGISTRATION_RECORD;

#define EXCEPTION_CHAIN_END     ((PEXCEPTION_REGISTRATION_RECORD)-1)

#endif
