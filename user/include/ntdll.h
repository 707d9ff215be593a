/*
 * user/include/ntdll.h — what a program for mm386 calls: NT's native API.
 *
 * mm386's programs are PE32 images of the native subsystem, linked from the
 * same cross-compiler's objects (`ld -m i386pe`), the way NT's own native
 * programs (smss, autochk) are written: against ntdll, not Win32. This
 * header gives them
 *
 *   the system services    Nt* and Zw*, stdcall stubs generated from the
 *                          kernel's own service list (build/gen/ntstubs.h:
 *                          tools/gensvc.py), so a program and the kernel
 *                          cannot disagree on a number or an argument count
 *   the shared structures  include/ntbasic.h, ntexcept.h, ntpeb.h, kusd.h:
 *                          the kernel's own headers, NT's layouts
 *   the runtime            ntdll.dll (user/ntdll): the stubs, exception
 *                          dispatch and RTL_TRY, the loader, the string and
 *                          memory routines (the kernel's RTL, compiled
 *                          again), RtlCreateUserThread; user/crt, linked
 *                          into each program: the entry point, printf over
 *                          NtDisplayString
 *
 * A program imports from ntdll.dll, which the kernel maps into every
 * process at its fixed base; ntdll's loader snaps the imports before the
 * program's first instruction (user/ntdll/ldr.c). What ntdll exports is
 * user/ntdll/ntdll.def and every system service.
 */
#ifndef MM386_USER_NTDLL_H
#define MM386_USER_NTDLL_H

#include <ntbasic.h>
#include <ntstatus.h>
#include <ntexcept.h>
#include <ntpeb.h>
#include <kusd.h>
#include <ntinfo.h>
#include <rtl.h>
#include <x86.h>            /* KGDT_* selectors, EFLAGS_*, PAGE_SIZE */

#define MM_ALLOCATION_GRANULARITY   0x10000     /* a reservation's base: 64 KB, as NT's */

/* The service prototypes refer to these; a program passes NULL for both. */
typedef struct _PS_CREATE_INFO PS_CREATE_INFO, *PPS_CREATE_INFO;
typedef struct _PS_ATTRIBUTE_LIST PS_ATTRIBUTE_LIST, *PPS_ATTRIBUTE_LIST;

#include "ntstubs.h"

/* The current thread's TEB and its process's PEB (NtCurrentTeb is fs:[0x18], as in NT). */
static inline PTEB NtCurrentTeb(void)
{
    PTEB Teb;
    __asm__("movl %%fs:0x18, %0" : "=r"(Teb));
    return Teb;
}

static inline PPEB NtCurrentPeb(void)
{
    return NtCurrentTeb()->ProcessEnvironmentBlock;
}

/* GetTickCount's way: KUSER_SHARED_DATA, no system call. */
/* The processor's time-stamp counter (winnt.h's ReadTimeStampCounter); under QEMU's -icount, instructions. */
static inline ULONGLONG ReadTimeStampCounter(void)
{
    ULONG Low, High;
    __asm__ volatile("rdtsc" : "=a"(Low), "=d"(High));
    return ((ULONGLONG)High << 32) | Low;
}

static inline ULONG NtGetTickCount(void)
{
    return (ULONG)(((ULONGLONG)USER_SHARED_DATA->TickCount.LowPart * USER_SHARED_DATA->TickCountMultiplier) >> 24);
}

/* ------------------------------------------------------------ strings */

void RtlInitUnicodeString(PUNICODE_STRING Destination, PCWSTR Source);
/* An ASCII string widened into a caller's buffer of Capacity WCHARs (truncated to fit). */
void RtlInitUnicodeStringFromAscii(PUNICODE_STRING Destination, PWSTR Buffer, ULONG Capacity, const char *Source);

/* ------------------------------------------------------------ exceptions */

/*
 * Raises an exception in user mode: its record and the caller's context go
 * to the kernel (NtRaiseException), which dispatches it to the handlers on
 * fs:[0] as it would a fault. Returns only if a handler continues
 * execution.
 */
void NTAPI RtlRaiseException(PEXCEPTION_RECORD ExceptionRecord);
/* Walks the registration chain for Record; TRUE if a handler continued execution (KiUserExceptionDispatcher's). */
BOOLEAN RtlDispatchException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT ContextRecord);

/*
 * A try/except over NT's registration chain: RTL_TRY pushes a registration
 * record on fs:[0] whose handler takes every exception raised in the body
 * (the equivalent of __except(EXCEPTION_EXECUTE_HANDLER)): the stack is cut
 * back to the RTL_TRY, the record unlinked and the RTL_EXCEPT block runs
 * with the exception's code (and RTL_EXCEPTION_RECORD its record). Leaving
 * the body any way unlinks it. They nest. As with setjmp, a local the body
 * changes and the handler reads must be volatile.
 *
 *     NTSTATUS Code;
 *     RTL_TRY {
 *         *(volatile int *)0 = 1;
 *     } RTL_EXCEPT(Code) {
 *         printf("caught %08x\n", Code);      (STATUS_ACCESS_VIOLATION)
 *     } RTL_END;
 */
typedef struct _RTL_TRY_FRAME {
    EXCEPTION_REGISTRATION_RECORD Registration;     /* first: it is what fs:[0] points at */
    ULONG Context[6];                               /* ebx esi edi ebp esp eip (user/ntdll/context.asm) */
    EXCEPTION_RECORD Record;
    BOOLEAN Armed;
} RTL_TRY_FRAME;

__attribute__((returns_twice)) int RtlpSaveTryContext(RTL_TRY_FRAME *Frame);
void RtlpPushTryFrame(RTL_TRY_FRAME *Frame);
void RtlpLeaveTryFrame(RTL_TRY_FRAME *Frame);

#define RTL_TRY                                                                             \
    {                                                                                       \
        RTL_TRY_FRAME _RtlTry __attribute__((cleanup(RtlpLeaveTryFrame)));                  \
        RtlpPushTryFrame(&_RtlTry);                                                         \
        if (RtlpSaveTryContext(&_RtlTry) == 0) {

#define RTL_EXCEPT(CodeVariable)                                                            \
            RtlpLeaveTryFrame(&_RtlTry);                                                    \
        } else {                                                                            \
            (CodeVariable) = _RtlTry.Record.ExceptionCode;

#define RTL_END                                                                             \
        }                                                                                   \
    }

#define RTL_EXCEPTION_RECORD    (&_RtlTry.Record)

/* ------------------------------------------------------------ threads */

/*
 * NT's RtlCreateUserThread: a thread of Process (NtCurrentProcess()) that
 * runs StartAddress(Parameter) on a stack of its own (StackReserve and
 * StackCommit bytes, 0 for 1 MB and one page; a guard page below), and
 * ends the thread with the routine's return value. The stack goes with it.
 */
typedef NTSTATUS (NTAPI *PUSER_THREAD_START_ROUTINE)(PVOID Parameter);
NTSTATUS RtlCreateUserThread(HANDLE Process, PVOID SecurityDescriptor, BOOLEAN CreateSuspended, ULONG StackZeroBits,
                             SIZE_T StackReserve, SIZE_T StackCommit, PUSER_THREAD_START_ROUTINE StartAddress,
                             PVOID Parameter, PHANDLE Thread, PCLIENT_ID ClientId);

/* ------------------------------------------------------------ processes (user/ntdll/process.c) */

/*
 * Starts the program CommandLine's first word names (\Boot\NAME) with that
 * command line: handles to its process and first thread. NtCreateUserProcess's statuses.
 */
NTSTATUS RtlStartProgram(const char *CommandLine, PHANDLE Process, PHANDLE Thread);
/* Waits for a process to end: its exit status. */
NTSTATUS RtlWaitForProgram(HANDLE Process, NTSTATUS *ExitStatus);

/* ------------------------------------------------------------ C runtime (user/crt) */

int printf(const char *Format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *Format, va_list Args);
int puts(const char *Text);

/* A program's main, called by user/crt's NtProcessStartup with the command line split at spaces. */
int main(int argc, char **argv);

#endif
