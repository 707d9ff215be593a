/*
 * tests/ex/probe.c — every service's pointer arguments from user mode:
 * NULL, a kernel address, a buffer across MmUserProbeAddress, a read-only
 * page (for outputs), a reserved page with nothing committed, and a
 * misaligned one. Each bad pointer returns its status and changes nothing
 * (no object made, no state changed, the kernel memory named untouched).
 *
 * NT's x86 answers, written out: a bad pointer is STATUS_ACCESS_VIOLATION;
 * a misaligned scalar (a PHANDLE, PLONG, PBOOLEAN, PULONG, a timeout's
 * PLARGE_INTEGER) is accepted — x86 NT's ProbeForWriteHandle & co. check no
 * alignment — while a misaligned structure or array (query buffers,
 * OBJECT_ATTRIBUTES, a due time or delay, the handle array) is
 * STATUS_DATATYPE_MISALIGNMENT. A read-only page is fine to read from.
 */
#include "extest.h"

#define KERNEL_CANARY 0x6B65726E

/*
 * Runs Body with Pointer set to each bad output pointer of Size bytes (NULL
 * left out for an optional argument, for which NULL means "not wanted"); a
 * failure names the pointer; a kernel buffer the pointers name stays as it was.
 */
#define FOR_EACH_BAD_OUTPUT(User, Size, Optional, Pointer, Body)                                \
    do {                                                                                        \
        volatile ULONG _Kernel[4] = { KERNEL_CANARY, KERNEL_CANARY, KERNEL_CANARY, KERNEL_CANARY }; \
        EXT_BAD_POINTER _Bad[EXT_BAD_POINTERS];                                                 \
        ExtBadPointers((User), (PVOID)_Kernel, (Size), _Bad);                                   \
        bool _FailedBefore = t->Failed;                                                         \
        for (ULONG _i = (Optional) ? 1 : 0; _i < EXT_BAD_POINTERS; _i++) {                      \
            ULONG Pointer = _Bad[_i].Address;                                                   \
            Body;                                                                               \
            if (t->Failed && !_FailedBefore) {                                                  \
                KtestFail(t, __FILE__, __LINE__, "with a pointer that is %s", _Bad[_i].What);  \
                break;                                                                          \
            }                                                                                   \
        }                                                                                       \
        EXPECT_EQ(_Kernel[0] & _Kernel[1] & _Kernel[2] & _Kernel[3], KERNEL_CANARY);            \
    } while (0)

/* NtCreate*: a bad handle pointer is STATUS_ACCESS_VIOLATION and no object is made; a misaligned one works. */
KTEST(exprobe, create_services_handle_pointer)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    LONG Objects[4] = { ExEventObjectType->TotalNumberOfObjects, ExSemaphoreObjectType->TotalNumberOfObjects,
                        ExMutantObjectType->TotalNumberOfObjects, ExTimerObjectType->TotalNumberOfObjects };
    ULONG Handles = ObGetProcessHandleCount(User.Process);
    FOR_EACH_BAD_OUTPUT(&User, sizeof(HANDLE), false, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtCreateEvent((PHANDLE)Bad, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtCreateSemaphore((PHANDLE)Bad, SEMAPHORE_ALL_ACCESS, NULL, 0, 1)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtCreateMutant((PHANDLE)Bad, MUTANT_ALL_ACCESS, NULL, FALSE)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtCreateTimer((PHANDLE)Bad, TIMER_ALL_ACCESS, NULL, NotificationTimer)),
                  STATUS_ACCESS_VIOLATION);
    });
    EXPECT_EQ(ExEventObjectType->TotalNumberOfObjects, Objects[0]);
    EXPECT_EQ(ExSemaphoreObjectType->TotalNumberOfObjects, Objects[1]);
    EXPECT_EQ(ExMutantObjectType->TotalNumberOfObjects, Objects[2]);
    EXPECT_EQ(ExTimerObjectType->TotalNumberOfObjects, Objects[3]);
    EXPECT_EQ(ObGetProcessHandleCount(User.Process), Handles);

    PHANDLE Misaligned = (PHANDLE)(User.Buffer + 1);
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(Misaligned, EVENT_ALL_ACCESS, NULL, NotificationEvent, TRUE)),
              STATUS_SUCCESS);
    EXPECT_EQ(ExtGrantedAccess(*Misaligned), EVENT_ALL_ACCESS);
    EXPECT_EQ(EXT_USER_CALL(NtClose(*Misaligned)), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}

/* ObjectAttributes is read: kernel, across the probe address or reserved is an access violation; misaligned too. */
KTEST(exprobe, object_attributes_pointer)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handle = (PHANDLE)User.Buffer;
    OBJECT_ATTRIBUTES Kernel;
    LONG Objects = ExEventObjectType->TotalNumberOfObjects;
    InitializeObjectAttributes(&Kernel, NULL, 0, NULL, NULL);
    ULONG Bad[] = { (ULONG)&Kernel, (ULONG)MmUserProbeAddress - 8, User.Reserved };
    for (ULONG i = 0; i < ARRAY_SIZE(Bad); i++)
        EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(Handle, EVENT_ALL_ACCESS, (POBJECT_ATTRIBUTES)Bad[i], NotificationEvent,
                                              FALSE)), STATUS_ACCESS_VIOLATION);
    POBJECT_ATTRIBUTES Misaligned = (POBJECT_ATTRIBUTES)(User.Buffer + 0x102);
    InitializeObjectAttributes(Misaligned, NULL, 0, NULL, NULL);
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(Handle, EVENT_ALL_ACCESS, Misaligned, NotificationEvent, FALSE)),
              STATUS_DATATYPE_MISALIGNMENT);
    /* A read-only page can be read: its zeros are an OBJECT_ATTRIBUTES of the wrong length. */
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(Handle, EVENT_ALL_ACCESS, (POBJECT_ATTRIBUTES)User.ReadOnly,
                                          NotificationEvent, FALSE)), STATUS_INVALID_PARAMETER);
    EXPECT_EQ(ExEventObjectType->TotalNumberOfObjects, Objects);
    ExtLeaveUserProcess(&User);
}

/* Set, reset, pulse with a bad PreviousState: refused before the event changes. */
KTEST(exprobe, event_previous_state_pointer)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handle = (PHANDLE)User.Buffer;
    EXPECT_EQ(EXT_USER_CALL(NtCreateEvent(Handle, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)), STATUS_SUCCESS);
    PKEVENT Event = ExtObject(*Handle);
    FOR_EACH_BAD_OUTPUT(&User, sizeof(LONG), true, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtSetEvent(*Handle, (PLONG)Bad)), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(KeReadStateEvent(Event), 0);
        EXPECT_EQ(EXT_USER_CALL(NtPulseEvent(*Handle, (PLONG)Bad)), STATUS_ACCESS_VIOLATION);
    });
    KeSetEvent(Event, 0, FALSE);
    FOR_EACH_BAD_OUTPUT(&User, sizeof(LONG), true, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtResetEvent(*Handle, (PLONG)Bad)), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(KeReadStateEvent(Event), 1);
    });
    PLONG Misaligned = (PLONG)(User.Buffer + 0x103);
    EXPECT_EQ(EXT_USER_CALL(NtResetEvent(*Handle, Misaligned)), STATUS_SUCCESS);
    EXPECT_EQ(*Misaligned, 1);
    ExtLeaveUserProcess(&User);
}

/* Semaphore and mutant releases with a bad PreviousCount: refused before the count changes. */
KTEST(exprobe, release_previous_count_pointer)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    EXPECT_EQ(EXT_USER_CALL(NtCreateSemaphore(&Handles[0], SEMAPHORE_ALL_ACCESS, NULL, 0, 5)), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtCreateMutant(&Handles[1], MUTANT_ALL_ACCESS, NULL, TRUE)), STATUS_SUCCESS);
    PKSEMAPHORE Semaphore = ExtObject(Handles[0]);
    PKMUTANT Mutant = ExtObject(Handles[1]);
    FOR_EACH_BAD_OUTPUT(&User, sizeof(LONG), true, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtReleaseSemaphore(Handles[0], 1, (PLONG)Bad)), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(KeReadStateSemaphore(Semaphore), 0);
        EXPECT_EQ(EXT_USER_CALL(NtReleaseMutant(Handles[1], (PLONG)Bad)), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(KeReadStateMutant(Mutant), 0);
    });
    PLONG Misaligned = (PLONG)(User.Buffer + 0x101);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseSemaphore(Handles[0], 2, Misaligned)), STATUS_SUCCESS);
    EXPECT_EQ(*Misaligned, 0);
    EXPECT_EQ(EXT_USER_CALL(NtReleaseMutant(Handles[1], Misaligned)), STATUS_SUCCESS);
    EXPECT_EQ(*Misaligned, 0);
    ExtLeaveUserProcess(&User);
}

/* The four query services: a bad buffer or return length is refused, a misaligned buffer too (not a length). */
KTEST(exprobe, query_buffers)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PULONG Length = (PULONG)(User.Buffer + 0x40);
    EXT_USER_CALL(NtCreateEvent(&Handles[0], EVENT_ALL_ACCESS, NULL, NotificationEvent, TRUE));
    EXT_USER_CALL(NtCreateSemaphore(&Handles[1], SEMAPHORE_ALL_ACCESS, NULL, 1, 2));
    EXT_USER_CALL(NtCreateMutant(&Handles[2], MUTANT_ALL_ACCESS, NULL, FALSE));
    EXT_USER_CALL(NtCreateTimer(&Handles[3], TIMER_ALL_ACCESS, NULL, NotificationTimer));
    FOR_EACH_BAD_OUTPUT(&User, 8, false, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtQueryEvent(Handles[0], EventBasicInformation, (PVOID)Bad, 8, NULL)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtQuerySemaphore(Handles[1], SemaphoreBasicInformation, (PVOID)Bad, 8, NULL)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtQueryMutant(Handles[2], MutantBasicInformation, (PVOID)Bad, 8, NULL)),
                  STATUS_ACCESS_VIOLATION);
    });
    FOR_EACH_BAD_OUTPUT(&User, 16, false, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtQueryTimer(Handles[3], TimerBasicInformation, (PVOID)Bad, 16, NULL)),
                  STATUS_ACCESS_VIOLATION);
    });
    PVOID Answer = (PVOID)(User.Buffer + 0x80);
    FOR_EACH_BAD_OUTPUT(&User, sizeof(ULONG), true, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtQueryEvent(Handles[0], EventBasicInformation, Answer, 8, (PULONG)Bad)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtQueryTimer(Handles[3], TimerBasicInformation, Answer, 16, (PULONG)Bad)),
                  STATUS_ACCESS_VIOLATION);
    });
    PVOID Misaligned = (PVOID)(User.Buffer + 0x82);
    EXPECT_EQ(EXT_USER_CALL(NtQueryEvent(Handles[0], EventBasicInformation, Misaligned, 8, NULL)),
              STATUS_DATATYPE_MISALIGNMENT);
    EXPECT_EQ(EXT_USER_CALL(NtQuerySemaphore(Handles[1], SemaphoreBasicInformation, Misaligned, 8, NULL)),
              STATUS_DATATYPE_MISALIGNMENT);
    EXPECT_EQ(EXT_USER_CALL(NtQueryMutant(Handles[2], MutantBasicInformation, Misaligned, 8, NULL)),
              STATUS_DATATYPE_MISALIGNMENT);
    EXPECT_EQ(EXT_USER_CALL(NtQueryTimer(Handles[3], TimerBasicInformation, Misaligned, 16, NULL)),
              STATUS_DATATYPE_MISALIGNMENT);
    PULONG MisalignedLength = (PULONG)(User.Buffer + 0x43);
    EXPECT_EQ(EXT_USER_CALL(NtQuerySemaphore(Handles[1], SemaphoreBasicInformation, Answer, 8, MisalignedLength)),
              STATUS_SUCCESS);
    EXPECT_EQ(*MisalignedLength, 8u);
    EXPECT_EQ(EXT_USER_CALL(NtQueryEvent(Handles[0], EventBasicInformation, Answer, 8, Length)), STATUS_SUCCESS);
    EXPECT_EQ(*Length, 8u);
    ExtLeaveUserProcess(&User);
}

/* NtSetTimer: a bad due time (read) or PreviousState (written) sets nothing; a misaligned due time is refused. */
KTEST(exprobe, timer_pointers)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handle = (PHANDLE)User.Buffer;
    PLARGE_INTEGER Due = (PLARGE_INTEGER)(User.Buffer + 8);
    PLARGE_INTEGER MisalignedDue = (PLARGE_INTEGER)(User.Buffer + 0x22);
    *Due = ExtTicks(100);
    *MisalignedDue = ExtTicks(100);
    EXPECT_EQ(EXT_USER_CALL(NtCreateTimer(Handle, TIMER_ALL_ACCESS, NULL, NotificationTimer)), STATUS_SUCCESS);
    PKTIMER Timer = ExtObject(*Handle);
    ULONG BadDue[] = { 0, (ULONG)Timer, (ULONG)MmUserProbeAddress - 4, User.Reserved };
    for (ULONG i = 0; i < ARRAY_SIZE(BadDue); i++)
        EXPECT_EQ(EXT_USER_CALL(NtSetTimer(*Handle, (PLARGE_INTEGER)BadDue[i], NULL, NULL, FALSE, 0, NULL)),
                  STATUS_ACCESS_VIOLATION);
    EXPECT_EQ(EXT_USER_CALL(NtSetTimer(*Handle, MisalignedDue, NULL, NULL, FALSE, 0, NULL)),
              STATUS_DATATYPE_MISALIGNMENT);
    FOR_EACH_BAD_OUTPUT(&User, sizeof(BOOLEAN), true, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtSetTimer(*Handle, Due, NULL, NULL, FALSE, 0, (PBOOLEAN)Bad)),
                  STATUS_ACCESS_VIOLATION);
    });
    EXPECT_FALSE(Timer->Header.Inserted);                  /* none of them set it */
    EXPECT_EQ(EXT_USER_CALL(NtSetTimer(*Handle, Due, NULL, NULL, FALSE, 0, NULL)), STATUS_SUCCESS);
    FOR_EACH_BAD_OUTPUT(&User, sizeof(BOOLEAN), true, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtCancelTimer(*Handle, (PBOOLEAN)Bad)), STATUS_ACCESS_VIOLATION);
        EXPECT_TRUE(Timer->Header.Inserted);               /* still set */
    });
    EXPECT_EQ(EXT_USER_CALL(NtCancelTimer(*Handle, (PBOOLEAN)(User.Buffer + 0x31))), STATUS_SUCCESS);
    EXPECT_FALSE(Timer->Header.Inserted);
    ExtLeaveUserProcess(&User);
}

/*
 * The waits: a bad timeout is refused before anything is referenced or
 * signalled (a misaligned one is read); a bad or misaligned handle array
 * too. A NULL timeout is no timeout, not a bad pointer.
 */
KTEST(exprobe, wait_pointers)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PLARGE_INTEGER Misaligned = (PLARGE_INTEGER)(User.Buffer + 0x41);
    Misaligned->QuadPart = 0;
    EXT_USER_CALL(NtCreateEvent(&Handles[0], EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE));
    EXT_USER_CALL(NtCreateEvent(&Handles[1], EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE));
    PKEVENT Signal = ExtObject(Handles[1]);
    LARGE_INTEGER KernelTimeout = { .QuadPart = 0 };
    ULONG BadTimeout[] = { (ULONG)&KernelTimeout, (ULONG)MmUserProbeAddress - 4, User.Reserved };
    for (ULONG i = 0; i < ARRAY_SIZE(BadTimeout); i++) {
        PLARGE_INTEGER Timeout = (PLARGE_INTEGER)BadTimeout[i];
        EXPECT_EQ(EXT_USER_CALL(NtWaitForSingleObject(Handles[0], FALSE, Timeout)), STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtWaitForMultipleObjects(1, Handles, WaitAny, FALSE, Timeout)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtSignalAndWaitForSingleObject(Handles[1], Handles[0], FALSE, Timeout)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(KeReadStateEvent(Signal), 0);
        EXPECT_EQ(EXT_USER_CALL(NtDelayExecution(FALSE, Timeout)), STATUS_ACCESS_VIOLATION);
    }
    EXPECT_EQ(EXT_USER_CALL(NtDelayExecution(FALSE, NULL)), STATUS_ACCESS_VIOLATION);
    /* A misaligned timeout is read (STATUS_TIMEOUT: it said zero); a misaligned interval is not. */
    EXPECT_EQ(EXT_USER_CALL(NtWaitForSingleObject(Handles[0], FALSE, Misaligned)), STATUS_TIMEOUT);
    EXPECT_EQ(EXT_USER_CALL(NtWaitForMultipleObjects(2, Handles, WaitAll, FALSE, Misaligned)), STATUS_TIMEOUT);
    EXPECT_EQ(EXT_USER_CALL(NtDelayExecution(FALSE, Misaligned)), STATUS_DATATYPE_MISALIGNMENT);
    /* The handle array. */
    HANDLE KernelArray[1] = { Handles[0] };
    PLARGE_INTEGER Zero = (PLARGE_INTEGER)(User.Buffer + 0x48);
    Zero->QuadPart = 0;
    ULONG BadArray[] = { 0, (ULONG)KernelArray, (ULONG)MmUserProbeAddress - 4, User.Reserved };
    for (ULONG i = 0; i < ARRAY_SIZE(BadArray); i++)
        EXPECT_EQ(EXT_USER_CALL(NtWaitForMultipleObjects(2, (PHANDLE)BadArray[i], WaitAny, FALSE, Zero)),
                  STATUS_ACCESS_VIOLATION);
    PHANDLE MisalignedArray = (PHANDLE)(User.Buffer + 0x52);
    MisalignedArray[0] = Handles[0];
    EXPECT_EQ(EXT_USER_CALL(NtWaitForMultipleObjects(1, MisalignedArray, WaitAny, FALSE, Zero)),
              STATUS_DATATYPE_MISALIGNMENT);
    ExtLeaveUserProcess(&User);
}

/* NtQuerySystemInformation and the process and thread queries: bad and misaligned buffers and lengths. */
KTEST(exprobe, information_query_buffers)
{
    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PVOID Answer = (PVOID)User.Buffer;
    PVOID Misaligned = (PVOID)(User.Buffer + 2);
    FOR_EACH_BAD_OUTPUT(&User, 0x2C, false, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtQuerySystemInformation(SystemBasicInformation, (PVOID)Bad, 0x2C, NULL)),
                  STATUS_ACCESS_VIOLATION);
    });
    FOR_EACH_BAD_OUTPUT(&User, sizeof(ULONG), true, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtQuerySystemInformation(SystemBasicInformation, Answer, 0x2C, (PULONG)Bad)),
                  STATUS_ACCESS_VIOLATION);
    });
    EXPECT_EQ(EXT_USER_CALL(NtQuerySystemInformation(SystemBasicInformation, Misaligned, 0x2C, NULL)),
              STATUS_DATATYPE_MISALIGNMENT);
    /* Length 0 probes nothing (NT's ProbeForWrite): NULL is then only the wrong length. */
    EXPECT_EQ(EXT_USER_CALL(NtQuerySystemInformation(SystemBasicInformation, NULL, 0, NULL)),
              STATUS_INFO_LENGTH_MISMATCH);

    /*
     * The process and thread queries probe for reading only and write the
     * answer under a handler: a read-only page passes the probe and the
     * write's fault is the status.
     */
    FOR_EACH_BAD_OUTPUT(&User, 28, false, Bad, {
        EXPECT_EQ(EXT_USER_CALL(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation, (PVOID)Bad,
                                                          sizeof(PROCESS_BASIC_INFORMATION), NULL)),
                  STATUS_ACCESS_VIOLATION);
        EXPECT_EQ(EXT_USER_CALL(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, (PVOID)Bad,
                                                         sizeof(THREAD_BASIC_INFORMATION), NULL)),
                  STATUS_ACCESS_VIOLATION);
    });
    EXPECT_EQ(EXT_USER_CALL(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation, Misaligned,
                                                      sizeof(PROCESS_BASIC_INFORMATION), NULL)),
              STATUS_DATATYPE_MISALIGNMENT);
    EXPECT_EQ(EXT_USER_CALL(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, Misaligned,
                                                     sizeof(THREAD_BASIC_INFORMATION), NULL)),
              STATUS_DATATYPE_MISALIGNMENT);
    ExtLeaveUserProcess(&User);
}
