/*
 * tests/ex/psquery.c — NtQueryInformationProcess (ProcessBasicInformation)
 * and NtQueryInformationThread (ThreadBasicInformation).
 *
 * NT's answers, written out: a live process's and thread's exit status is
 * STATUS_PENDING (Win32's STILL_ACTIVE, 259); the System process is id 4
 * and was inherited from no one (0), a process PsCreateSystemProcess makes
 * from System (4); one processor: affinity 1; a thread's base priority is
 * reported relative to its process's. The lengths are exact (24 and 28
 * bytes), PROCESS_QUERY_INFORMATION / THREAD_QUERY_INFORMATION are needed
 * from user mode, and NT 5.2's order is: probe, class, length, handle.
 */
#include "extest.h"

/* The System process and a new process, as NtCurrentProcess() and a handle name them. */
KTEST(psquery, process_basic_information)
{
    PROCESS_BASIC_INFORMATION Info;
    ULONG Length = 0;
    memset(&Info, 0xCC, sizeof(Info));
    EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation, &Info, sizeof(Info), &Length),
              STATUS_SUCCESS);
    EXPECT_EQ(Length, 24u);
    EXPECT_EQ(Info.ExitStatus, 259);
    EXPECT_EQ(Info.UniqueProcessId, 4u);
    EXPECT_EQ(Info.InheritedFromUniqueProcessId, 0u);
    EXPECT_EQ(Info.AffinityMask, 1u);
    EXPECT_EQ(Info.BasePriority, 8);
    EXPECT_NULL(Info.PebBaseAddress);

    HANDLE Handle;
    PEPROCESS Process;
    OBJECT_ATTRIBUTES Attributes;
    ASSERT_EQ(PsCreateSystemProcess(&Handle, PROCESS_ALL_ACCESS, ExtKernelAttributes(&Attributes)), STATUS_SUCCESS);
    Process = ExtObject(Handle);
    memset(&Info, 0xCC, sizeof(Info));
    EXPECT_EQ(ZwQueryInformationProcess(Handle, ProcessBasicInformation, &Info, sizeof(Info), NULL), STATUS_SUCCESS);
    EXPECT_EQ(Info.ExitStatus, 259);
    EXPECT_EQ(Info.UniqueProcessId, Process->UniqueProcessId);
    EXPECT_NE(Info.UniqueProcessId, 4u);
    EXPECT_EQ(Info.UniqueProcessId % 4, 0u);
    EXPECT_EQ(Info.InheritedFromUniqueProcessId, 4u);
    NtClose(Handle);
}

/* Class first, then the exact length, then the handle; from user mode the handle needs PROCESS_QUERY_INFORMATION. */
KTEST(psquery, process_query_checks)
{
    PROCESS_BASIC_INFORMATION Info[2];
    HANDLE Event;
    EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), (PROCESSINFOCLASS)1, Info, 24, NULL),
              STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation, Info, 23, NULL),
              STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation, Info, 25, NULL),
              STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(NtQueryInformationProcess((HANDLE)0x7FF8, ProcessBasicInformation, Info, 24, NULL),
              STATUS_INVALID_HANDLE);
    ASSERT_EQ(NtCreateEvent(&Event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    EXPECT_EQ(NtQueryInformationProcess(Event, ProcessBasicInformation, Info, 24, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    NtClose(Event);

    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handles = (PHANDLE)User.Buffer;
    PPROCESS_BASIC_INFORMATION UserInfo = (PPROCESS_BASIC_INFORMATION)(User.Buffer + 0x10);
    ASSERT_EQ(ObOpenObjectByPointer(User.Process, 0, NULL, PROCESS_VM_READ, PsProcessType, UserMode, &Handles[0]),
              STATUS_SUCCESS);
    ASSERT_EQ(ObOpenObjectByPointer(User.Process, 0, NULL, PROCESS_QUERY_INFORMATION, PsProcessType, UserMode,
                                    &Handles[1]), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtQueryInformationProcess(Handles[0], ProcessBasicInformation, UserInfo, 24, NULL)),
              STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtQueryInformationProcess(Handles[1], ProcessBasicInformation, UserInfo, 24, NULL)),
              STATUS_SUCCESS);
    EXPECT_EQ(UserInfo->UniqueProcessId, User.Process->UniqueProcessId);
    /* A process's handles to itself would keep it alive: they go before it does. */
    EXPECT_EQ(EXT_USER_CALL(NtClose(Handles[0])), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtClose(Handles[1])), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}

typedef struct _QUERY_TARGET {
    PKEVENT Go;
    NTSTATUS ExitWith;
} QUERY_TARGET;

static void WaitThenExit(PVOID Context)
{
    QUERY_TARGET *Target = Context;
    KeWaitForSingleObject(Target->Go, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(Target->ExitWith);
}

/*
 * A thread while it waits (STATUS_PENDING, its ids and priorities) and
 * after it ends (the status it ended with). Its base priority is reported
 * relative to the process's: raised by two, it says 2.
 */
KTEST(psquery, thread_basic_information)
{
    KEVENT Go;
    HANDLE Handle;
    CLIENT_ID ClientId;
    OBJECT_ATTRIBUTES Attributes;
    THREAD_BASIC_INFORMATION Info;
    ULONG Length = 0;
    KeInitializeEvent(&Go, NotificationEvent, FALSE);
    QUERY_TARGET Target = { &Go, (NTSTATUS)0x12345678 };
    ASSERT_EQ(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, ExtKernelAttributes(&Attributes), NULL, &ClientId,
                                   WaitThenExit, &Target), STATUS_SUCCESS);
    PETHREAD Thread = ExtObject(Handle);
    KeSetBasePriorityThread(&Thread->Tcb, 2);

    memset(&Info, 0xCC, sizeof(Info));
    EXPECT_EQ(NtQueryInformationThread(Handle, ThreadBasicInformation, &Info, sizeof(Info), &Length), STATUS_SUCCESS);
    EXPECT_EQ(Length, 28u);
    EXPECT_EQ(Info.ExitStatus, 259);
    EXPECT_NULL(Info.TebBaseAddress);
    EXPECT_EQ(Info.ClientId.UniqueProcess, (HANDLE)4);
    EXPECT_EQ(Info.ClientId.UniqueThread, ClientId.UniqueThread);
    EXPECT_EQ(Info.AffinityMask, 1u);
    EXPECT_EQ(Info.BasePriority, 2);
    EXPECT_EQ(Info.Priority, Thread->Tcb.Priority);

    KeSetEvent(&Go, 0, FALSE);
    EXPECT_EQ(NtWaitForSingleObject(Handle, FALSE, NULL), STATUS_WAIT_0);
    EXPECT_EQ(ZwQueryInformationThread(Handle, ThreadBasicInformation, &Info, sizeof(Info), NULL), STATUS_SUCCESS);
    EXPECT_EQ(Info.ExitStatus, 0x12345678);
    NtClose(Handle);
}

/* The same checks for threads: class, length 28, the handle's type and THREAD_QUERY_INFORMATION from user mode. */
KTEST(psquery, thread_query_checks)
{
    THREAD_BASIC_INFORMATION Info[2];
    EXPECT_EQ(NtQueryInformationThread(NtCurrentThread(), (THREADINFOCLASS)1, Info, 28, NULL),
              STATUS_INVALID_INFO_CLASS);
    EXPECT_EQ(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, Info, 24, NULL),
              STATUS_INFO_LENGTH_MISMATCH);
    EXPECT_EQ(NtQueryInformationThread(NtCurrentProcess(), ThreadBasicInformation, Info, 28, NULL),
              STATUS_OBJECT_TYPE_MISMATCH);
    EXPECT_EQ(NtQueryInformationThread(NtCurrentThread(), ThreadBasicInformation, Info, 28, NULL), STATUS_SUCCESS);
    EXPECT_EQ(Info[0].ClientId.UniqueThread, PsGetCurrentThreadId());

    EXT_USER User;
    EXT_ENTER_USER_PROCESS(&User);
    PHANDLE Handle = (PHANDLE)User.Buffer;
    PTHREAD_BASIC_INFORMATION UserInfo = (PTHREAD_BASIC_INFORMATION)(User.Buffer + 0x10);
    ASSERT_EQ(ObOpenObjectByPointer(PsGetCurrentThread(), 0, NULL, THREAD_TERMINATE | SYNCHRONIZE, PsThreadType,
                                    UserMode, Handle), STATUS_SUCCESS);
    EXPECT_EQ(EXT_USER_CALL(NtQueryInformationThread(*Handle, ThreadBasicInformation, UserInfo, 28, NULL)),
              STATUS_ACCESS_DENIED);
    EXPECT_EQ(EXT_USER_CALL(NtClose(*Handle)), STATUS_SUCCESS);
    ExtLeaveUserProcess(&User);
}
