/*
 * include/ntexapi.h — the executive's system services (NT's ntexapi.h):
 * its waitable objects (events, semaphores, mutants, timers), delaying and
 * yielding, and the system information query.
 *
 * Each object type wraps a dispatcher object of the kernel (include/ke.h) in
 * an object of the object manager (include/ob.h): an Event's body is a
 * KEVENT, a Semaphore's a KSEMAPHORE, a Mutant's a KMUTANT, a Timer's an
 * ETIMER (a KTIMER with the DPC and APC that run its completion routine).
 * The services find the object through a handle with the access they need,
 * call the kernel's routine, and copy results back to the caller.
 *
 * Every Nt* service here acts for the caller's previous mode
 * (ExGetPreviousMode): for a UserMode caller it probes each pointer argument
 * and touches user memory only under a handler, returning
 * STATUS_ACCESS_VIOLATION or STATUS_DATATYPE_MISALIGNMENT for a bad one
 * before anything changes; for a KernelMode caller nothing is probed, as in
 * NT. An output written after the operation succeeded (PreviousState, a new
 * handle) that faults is ignored, as NT ignores it: the operation is done
 * and the caller will fault when it reads the value. Each Zw* form is the
 * service called as from kernel mode. docs/OBJECTS.md §7 tabulates the
 * statuses in the order the services check them.
 */
#ifndef MM386_NTEXAPI_H
#define MM386_NTEXAPI_H

#include <ex.h>
#include <ob.h>
#include <ntinfo.h>

/* ------------------------------------------------------------------------
 * The object types (kernel/ex); their access rights are in include/ntinfo.h.
 */

/* The types ExInitSystem creates: "Event" ('Even'), "Semaphore" ('Sema'), "Mutant" ('Muta'), "Timer" ('Time'). */
extern POBJECT_TYPE ExEventObjectType;
extern POBJECT_TYPE ExSemaphoreObjectType;
extern POBJECT_TYPE ExMutantObjectType;
extern POBJECT_TYPE ExTimerObjectType;


/* ------------------------------------------------------------------------
 * Events (kernel/ex/event.c).
 */
/*
 * A new event of EventType (else STATUS_INVALID_PARAMETER) in InitialState,
 * and a handle to it with DesiredAccess in *EventHandle. ObjectAttributes as
 * ObCreateObject takes them (no names). PASSIVE_LEVEL, as every service here.
 */
NTSTATUS NtCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       EVENT_TYPE EventType, BOOLEAN InitialState);
/* Set, reset, pulse (EVENT_MODIFY_STATE): the state before in *PreviousState if given. */
NTSTATUS NtSetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NtResetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NtPulseEvent(HANDLE EventHandle, PLONG PreviousState);
/* Reset with nothing returned (EVENT_MODIFY_STATE). */
NTSTATUS NtClearEvent(HANDLE EventHandle);
/*
 * EventBasicInformation (EVENT_QUERY_STATE); another class is
 * STATUS_INVALID_INFO_CLASS, a length other than 8 STATUS_INFO_LENGTH_MISMATCH.
 */
NTSTATUS NtQueryEvent(HANDLE EventHandle, EVENT_INFORMATION_CLASS EventInformationClass, PVOID EventInformation,
                      ULONG EventInformationLength, PULONG ReturnLength);

/* ------------------------------------------------------------------------
 * Semaphores (kernel/ex/semphore.c).
 */
/* MaximumCount > 0 and 0 <= InitialCount <= MaximumCount, else STATUS_INVALID_PARAMETER. */
NTSTATUS NtCreateSemaphore(PHANDLE SemaphoreHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                           LONG InitialCount, LONG MaximumCount);
/*
 * Adds ReleaseCount (> 0, else STATUS_INVALID_PARAMETER) to the count
 * (SEMAPHORE_MODIFY_STATE); the count before in *PreviousCount. Past the
 * maximum nothing changes and the status is STATUS_SEMAPHORE_LIMIT_EXCEEDED
 * for a UserMode caller; to a KernelMode caller NT raises it.
 */
NTSTATUS NtReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount, PLONG PreviousCount);
NTSTATUS NtQuerySemaphore(HANDLE SemaphoreHandle, SEMAPHORE_INFORMATION_CLASS SemaphoreInformationClass,
                          PVOID SemaphoreInformation, ULONG SemaphoreInformationLength, PULONG ReturnLength);

/* ------------------------------------------------------------------------
 * Mutants (kernel/ex/mutant.c).
 */
/* A new mutant, owned by the calling thread if InitialOwner. */
NTSTATUS NtCreateMutant(PHANDLE MutantHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                        BOOLEAN InitialOwner);
/*
 * Releases the caller's ownership once (no access right is needed: only the
 * owner can); the count before in *PreviousCount. Not the owner:
 * STATUS_MUTANT_NOT_OWNED (STATUS_ABANDONED if its owner died with it) for a
 * UserMode caller; to a KernelMode caller NT raises it.
 */
NTSTATUS NtReleaseMutant(HANDLE MutantHandle, PLONG PreviousCount);
NTSTATUS NtQueryMutant(HANDLE MutantHandle, MUTANT_INFORMATION_CLASS MutantInformationClass,
                       PVOID MutantInformation, ULONG MutantInformationLength, PULONG ReturnLength);

/* ------------------------------------------------------------------------
 * Timers (kernel/ex/timer.c).
 */
/* TimerType NotificationTimer or SynchronizationTimer, else STATUS_INVALID_PARAMETER_4. */
NTSTATUS NtCreateTimer(PHANDLE TimerHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       TIMER_TYPE TimerType);
/*
 * Cancels whatever the timer was set to do and sets it (TIMER_MODIFY_STATE)
 * to expire at *DueTime (negative: relative; else absolute system time),
 * then every Period milliseconds if Period > 0 (< 0: STATUS_INVALID_PARAMETER_6).
 * With a TimerApcRoutine, each expiry queues it to the calling thread
 * (TimerContext its first argument) until the timer is cancelled, set
 * again, or the thread ends. WakeTimer asks to wake a sleeping machine:
 * mm386 has no power management, so the timer is set and the status is
 * STATUS_TIMER_RESUME_IGNORED, as NT's where wake timers are unsupported.
 * *PreviousState: whether it was signalled.
 */
NTSTATUS NtSetTimer(HANDLE TimerHandle, PLARGE_INTEGER DueTime, PTIMER_APC_ROUTINE TimerApcRoutine,
                    PVOID TimerContext, BOOLEAN WakeTimer, LONG Period, PBOOLEAN PreviousState);
/* Cancels the timer and its completion routine (TIMER_MODIFY_STATE); *CurrentState: whether it is signalled. */
NTSTATUS NtCancelTimer(HANDLE TimerHandle, PBOOLEAN CurrentState);
NTSTATUS NtQueryTimer(HANDLE TimerHandle, TIMER_INFORMATION_CLASS TimerInformationClass, PVOID TimerInformation,
                      ULONG TimerInformationLength, PULONG ReturnLength);
/* The current thread is ending: cancels every timer that would queue its completion routine to it. */
void ExTimerRundown(void);

/* ------------------------------------------------------------------------
 * Delaying (kernel/ex/delay.c) and yielding (kernel/ke/yield.c).
 */
/*
 * Waits *DelayInterval (negative: relative; else an absolute system time),
 * alertably or not: STATUS_SUCCESS, or STATUS_USER_APC / STATUS_ALERTED for
 * an alertable wait cut short. A zero interval from user mode, not
 * alertable, is NtYieldExecution's answer.
 */
NTSTATUS NtDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval);
/*
 * Gives the processor to another ready thread (mm386: of the caller's
 * priority or higher; NT: any above 0): STATUS_NO_YIELD_PERFORMED if there
 * was none.
 */
NTSTATUS NtYieldExecution(void);

/* ------------------------------------------------------------------------
 * System information (kernel/ex/sysinfo.c).
 */

/*
 * SystemBasicInformation (a buffer of exactly 0x2C bytes) or
 * SystemPerformanceInformation (at least 0x138): else
 * STATUS_INFO_LENGTH_MISMATCH, with *ReturnLength 0 as NT 5.2 leaves it.
 * Another class is STATUS_INVALID_INFO_CLASS. *ReturnLength gets the bytes
 * written.
 */
NTSTATUS NtQuerySystemInformation(SYSTEM_INFORMATION_CLASS SystemInformationClass, PVOID SystemInformation,
                                  ULONG SystemInformationLength, PULONG ReturnLength);

/* ------------------------------------------------------------------------
 * The Zw forms: the services above called as from kernel mode.
 */
NTSTATUS ZwCreateEvent(PHANDLE EventHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       EVENT_TYPE EventType, BOOLEAN InitialState);
NTSTATUS ZwSetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS ZwResetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS ZwPulseEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS ZwClearEvent(HANDLE EventHandle);
NTSTATUS ZwQueryEvent(HANDLE EventHandle, EVENT_INFORMATION_CLASS EventInformationClass, PVOID EventInformation,
                      ULONG EventInformationLength, PULONG ReturnLength);
NTSTATUS ZwCreateSemaphore(PHANDLE SemaphoreHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                           LONG InitialCount, LONG MaximumCount);
NTSTATUS ZwReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount, PLONG PreviousCount);
NTSTATUS ZwQuerySemaphore(HANDLE SemaphoreHandle, SEMAPHORE_INFORMATION_CLASS SemaphoreInformationClass,
                          PVOID SemaphoreInformation, ULONG SemaphoreInformationLength, PULONG ReturnLength);
NTSTATUS ZwCreateMutant(PHANDLE MutantHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                        BOOLEAN InitialOwner);
NTSTATUS ZwReleaseMutant(HANDLE MutantHandle, PLONG PreviousCount);
NTSTATUS ZwQueryMutant(HANDLE MutantHandle, MUTANT_INFORMATION_CLASS MutantInformationClass,
                       PVOID MutantInformation, ULONG MutantInformationLength, PULONG ReturnLength);
NTSTATUS ZwCreateTimer(PHANDLE TimerHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                       TIMER_TYPE TimerType);
NTSTATUS ZwSetTimer(HANDLE TimerHandle, PLARGE_INTEGER DueTime, PTIMER_APC_ROUTINE TimerApcRoutine,
                    PVOID TimerContext, BOOLEAN WakeTimer, LONG Period, PBOOLEAN PreviousState);
NTSTATUS ZwCancelTimer(HANDLE TimerHandle, PBOOLEAN CurrentState);
NTSTATUS ZwQueryTimer(HANDLE TimerHandle, TIMER_INFORMATION_CLASS TimerInformationClass, PVOID TimerInformation,
                      ULONG TimerInformationLength, PULONG ReturnLength);
NTSTATUS ZwDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval);
NTSTATUS ZwYieldExecution(void);
NTSTATUS ZwQuerySystemInformation(SYSTEM_INFORMATION_CLASS SystemInformationClass, PVOID SystemInformation,
                                  ULONG SystemInformationLength, PULONG ReturnLength);

#endif
