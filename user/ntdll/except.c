/*
 * user/ntdll/except.c — exceptions in a program: NT's dispatch over the
 * registration chain, RtlRaiseException, and the handler behind RTL_TRY.
 *
 * A thread's handlers are EXCEPTION_REGISTRATION_RECORDs on its own stack,
 * linked from TEB.NtTib.ExceptionList (fs:[0]), innermost first, ending at
 * EXCEPTION_CHAIN_END. RtlDispatchException, called by
 * KiUserExceptionDispatcher (context.asm) with what the kernel copied onto
 * the stack, walks them as NT's does: each record must lie inside the
 * thread's stack (TEB.NtTib.StackLimit..StackBase), aligned, above the
 * previous one, or the walk stops (EXCEPTION_STACK_INVALID); each handler
 * answers ExceptionContinueExecution (the context is resumed — unless the
 * exception is noncontinuable, which raises STATUS_NONCONTINUABLE_EXCEPTION)
 * or ExceptionContinueSearch (the next one is asked).
 *
 * RTL_TRY (user/include/ntdll.h) registers RtlpTryHandler: it takes every
 * exception, records it in its frame, unlinks every registration up to and
 * including its own (the unwind), and resumes the code after RTL_TRY with
 * the registers it saved there — so it never returns to the dispatcher.
 */
#include <ntdll.h>

void RtlpCaptureContext(PCONTEXT Context);
NORETURN void RtlpResumeTryContext(RTL_TRY_FRAME *Frame);

static inline PEXCEPTION_REGISTRATION_RECORD RtlpGetRegistrationHead(void)
{
    PEXCEPTION_REGISTRATION_RECORD Head;
    __asm__ volatile("movl %%fs:0, %0" : "=r"(Head));
    return Head;
}

static inline void RtlpSetRegistrationHead(PEXCEPTION_REGISTRATION_RECORD Head)
{
    __asm__ volatile("movl %0, %%fs:0" : : "r"(Head) : "memory");
}

BOOLEAN RtlDispatchException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT ContextRecord)
{
    PTEB Teb = NtCurrentTeb();
    ULONG Low = (ULONG)Teb->NtTib.StackLimit, High = (ULONG)Teb->NtTib.StackBase;
    PEXCEPTION_REGISTRATION_RECORD Registration = RtlpGetRegistrationHead();

    while (Registration != EXCEPTION_CHAIN_END) {
        ULONG At = (ULONG)Registration;
        if (At < Low || At + sizeof(*Registration) > High || (At & 3)) {
            ExceptionRecord->ExceptionFlags |= EXCEPTION_STACK_INVALID;
            return FALSE;
        }
        EXCEPTION_DISPOSITION Disposition = Registration->Handler(ExceptionRecord, Registration, ContextRecord,
                                                                  NULL);
        if (Disposition == ExceptionContinueExecution) {
            if (!(ExceptionRecord->ExceptionFlags & EXCEPTION_NONCONTINUABLE))
                return TRUE;
            EXCEPTION_RECORD Nested = { .ExceptionCode = STATUS_NONCONTINUABLE_EXCEPTION,
                                        .ExceptionFlags = EXCEPTION_NONCONTINUABLE,
                                        .ExceptionRecord = ExceptionRecord };
            RtlRaiseException(&Nested);
        }
        if ((ULONG)Registration->Next <= At && Registration->Next != EXCEPTION_CHAIN_END)
            return FALSE;           /* a chain that does not climb the stack is corrupt */
        Registration = Registration->Next;
    }
    return FALSE;
}

void NTAPI RtlRaiseException(PEXCEPTION_RECORD ExceptionRecord)
{
    CONTEXT Context;
    memset(&Context, 0, sizeof(Context));
    RtlpCaptureContext(&Context);
    ExceptionRecord->ExceptionAddress = (PVOID)Context.Eip;
    NTSTATUS Status = NtRaiseException(ExceptionRecord, &Context, TRUE);
    /* Only a record or context the kernel could not read comes back here. */
    EXCEPTION_RECORD Failure = { .ExceptionCode = Status, .ExceptionFlags = EXCEPTION_NONCONTINUABLE,
                                 .ExceptionRecord = ExceptionRecord };
    NtRaiseException(&Failure, &Context, FALSE);
}

/* RTL_TRY's handler: takes the exception, unwinds the chain to below its frame, resumes after RTL_TRY. */
static EXCEPTION_DISPOSITION RtlpTryHandler(PEXCEPTION_RECORD ExceptionRecord,
                                            PEXCEPTION_REGISTRATION_RECORD EstablisherFrame, PCONTEXT ContextRecord,
                                            PVOID DispatcherContext)
{
    RTL_TRY_FRAME *Frame = (RTL_TRY_FRAME *)EstablisherFrame;
    if (ExceptionRecord->ExceptionFlags & EXCEPTION_UNWIND)
        return ExceptionContinueSearch;
    Frame->Record = *ExceptionRecord;
    Frame->Record.ExceptionRecord = NULL;
    Frame->Armed = FALSE;
    RtlpSetRegistrationHead(Frame->Registration.Next);
    RtlpResumeTryContext(Frame);
}

void RtlpPushTryFrame(RTL_TRY_FRAME *Frame)
{
    Frame->Registration.Handler = RtlpTryHandler;
    Frame->Registration.Next = RtlpGetRegistrationHead();
    Frame->Armed = TRUE;
    RtlpSetRegistrationHead(&Frame->Registration);
}

void RtlpLeaveTryFrame(RTL_TRY_FRAME *Frame)
{
    if (Frame->Armed) {
        Frame->Armed = FALSE;
        RtlpSetRegistrationHead(Frame->Registration.Next);
    }
}
