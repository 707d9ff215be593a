/*
 * include/ntinfo.h — what a program may ask the kernel about its objects,
 * its process and the system: the executive objects' access rights, and
 * the information classes with the structures they return (NT 5.2's x86
 * layouts, pinned). Like include/ntbasic.h it is shared by the kernel
 * (kernel/ex, kernel/ps) and the user runtime (user/include/ntdll.h).
 */
#ifndef MM386_NTINFO_H
#define MM386_NTINFO_H

#include <ntbasic.h>

/* Access rights of the executive's objects (winnt.h's values). */
#define EVENT_QUERY_STATE       0x0001u
#define EVENT_MODIFY_STATE      0x0002u
#define EVENT_ALL_ACCESS        (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3u)         /* 0x1F0003 */
#define SEMAPHORE_QUERY_STATE   0x0001u
#define SEMAPHORE_MODIFY_STATE  0x0002u
#define SEMAPHORE_ALL_ACCESS    (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3u)         /* 0x1F0003 */
#define MUTANT_QUERY_STATE      0x0001u
#define MUTANT_ALL_ACCESS       (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | MUTANT_QUERY_STATE) /* 0x1F0001 */
#define TIMER_QUERY_STATE       0x0001u
#define TIMER_MODIFY_STATE      0x0002u
#define TIMER_ALL_ACCESS        (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | TIMER_QUERY_STATE | TIMER_MODIFY_STATE)

/* ------------------------------------------------------------------------
 * Information classes and what they return (NT's x86 layouts).
 */
typedef enum _EVENT_INFORMATION_CLASS { EventBasicInformation } EVENT_INFORMATION_CLASS;
typedef enum _SEMAPHORE_INFORMATION_CLASS { SemaphoreBasicInformation } SEMAPHORE_INFORMATION_CLASS;
typedef enum _MUTANT_INFORMATION_CLASS { MutantBasicInformation } MUTANT_INFORMATION_CLASS;
typedef enum _TIMER_INFORMATION_CLASS { TimerBasicInformation } TIMER_INFORMATION_CLASS;

typedef struct _EVENT_BASIC_INFORMATION {
    EVENT_TYPE EventType;                   /* NotificationEvent or SynchronizationEvent */
    LONG EventState;                        /* 1 set, 0 reset */
} EVENT_BASIC_INFORMATION, *PEVENT_BASIC_INFORMATION;

typedef struct _SEMAPHORE_BASIC_INFORMATION {
    LONG CurrentCount;
    LONG MaximumCount;
} SEMAPHORE_BASIC_INFORMATION, *PSEMAPHORE_BASIC_INFORMATION;

typedef struct _MUTANT_BASIC_INFORMATION {
    LONG CurrentCount;                      /* 1 free, 1 - n held n times */
    BOOLEAN OwnedByCaller;
    BOOLEAN AbandonedState;
} MUTANT_BASIC_INFORMATION, *PMUTANT_BASIC_INFORMATION;

/* Aligned as MSVC aligns a LARGE_INTEGER member, so the size is NT's 16, not gcc's 12. */
typedef struct __attribute__((aligned(8))) _TIMER_BASIC_INFORMATION {
    LARGE_INTEGER RemainingTime;            /* due time - interrupt time now, in 100 ns; negative once due */
    BOOLEAN TimerState;                     /* signalled */
} TIMER_BASIC_INFORMATION, *PTIMER_BASIC_INFORMATION;

_Static_assert(sizeof(EVENT_BASIC_INFORMATION) == 8, "NT's x86 EVENT_BASIC_INFORMATION");
_Static_assert(sizeof(SEMAPHORE_BASIC_INFORMATION) == 8, "NT's x86 SEMAPHORE_BASIC_INFORMATION");
_Static_assert(sizeof(MUTANT_BASIC_INFORMATION) == 8, "NT's x86 MUTANT_BASIC_INFORMATION");
_Static_assert(sizeof(TIMER_BASIC_INFORMATION) == 16, "NT's x86 TIMER_BASIC_INFORMATION");

/*
 * A timer's completion routine: called in the thread that set the timer,
 * with the context it gave and the system time (100 ns since 1601, UTC) at
 * which the timer expired. A kernel-mode caller's runs as a normal kernel
 * APC at PASSIVE_LEVEL; a user-mode caller's is a user APC, which ring 3
 * delivers.
 */
typedef void (*PTIMER_APC_ROUTINE)(PVOID TimerContext, ULONG TimerLowValue, LONG TimerHighValue);

/* ------------------------------------------------------------------------
 * System information (kernel/ex/sysinfo.c).
 */
typedef enum _SYSTEM_INFORMATION_CLASS {
    SystemBasicInformation = 0,
    SystemPerformanceInformation = 2,
} SYSTEM_INFORMATION_CLASS;

typedef struct _SYSTEM_BASIC_INFORMATION {
    ULONG Reserved;
    ULONG TimerResolution;                  /* the clock increment, in 100 ns */
    ULONG PageSize;
    ULONG NumberOfPhysicalPages;
    ULONG LowestPhysicalPageNumber;
    ULONG HighestPhysicalPageNumber;
    ULONG AllocationGranularity;
    ULONG_PTR MinimumUserModeAddress;
    ULONG_PTR MaximumUserModeAddress;
    ULONG_PTR ActiveProcessorsAffinityMask;
    CCHAR NumberOfProcessors;
} SYSTEM_BASIC_INFORMATION, *PSYSTEM_BASIC_INFORMATION;

_Static_assert(sizeof(SYSTEM_BASIC_INFORMATION) == 0x2C, "NT's x86 SYSTEM_BASIC_INFORMATION is 0x2C bytes");

typedef struct _SYSTEM_PERFORMANCE_INFORMATION {
    LARGE_INTEGER IdleProcessTime;
    LARGE_INTEGER IoReadTransferCount;
    LARGE_INTEGER IoWriteTransferCount;
    LARGE_INTEGER IoOtherTransferCount;
    ULONG IoReadOperationCount;
    ULONG IoWriteOperationCount;
    ULONG IoOtherOperationCount;
    ULONG AvailablePages;
    ULONG CommittedPages;
    ULONG CommitLimit;
    ULONG PeakCommitment;
    ULONG PageFaultCount;
    ULONG CopyOnWriteCount;
    ULONG TransitionCount;
    ULONG CacheTransitionCount;
    ULONG DemandZeroCount;
    ULONG PageReadCount;
    ULONG PageReadIoCount;
    ULONG CacheReadCount;
    ULONG CacheIoCount;
    ULONG DirtyPagesWriteCount;
    ULONG DirtyWriteIoCount;
    ULONG MappedPagesWriteCount;
    ULONG MappedWriteIoCount;
    ULONG PagedPoolPages;
    ULONG NonPagedPoolPages;
    ULONG PagedPoolAllocs;
    ULONG PagedPoolFrees;
    ULONG NonPagedPoolAllocs;
    ULONG NonPagedPoolFrees;
    ULONG FreeSystemPtes;
    ULONG ResidentSystemCodePage;
    ULONG TotalSystemDriverPages;
    ULONG TotalSystemCodePages;
    ULONG NonPagedPoolLookasideHits;
    ULONG PagedPoolLookasideHits;
    ULONG AvailablePagedPoolPages;
    ULONG ResidentSystemCachePage;
    ULONG ResidentPagedPoolPage;
    ULONG ResidentSystemDriverPage;
    ULONG CcFastReadNoWait;
    ULONG CcFastReadWait;
    ULONG CcFastReadResourceMiss;
    ULONG CcFastReadNotPossible;
    ULONG CcFastMdlReadNoWait;
    ULONG CcFastMdlReadWait;
    ULONG CcFastMdlReadResourceMiss;
    ULONG CcFastMdlReadNotPossible;
    ULONG CcMapDataNoWait;
    ULONG CcMapDataWait;
    ULONG CcMapDataNoWaitMiss;
    ULONG CcMapDataWaitMiss;
    ULONG CcPinMappedDataCount;
    ULONG CcPinReadNoWait;
    ULONG CcPinReadWait;
    ULONG CcPinReadNoWaitMiss;
    ULONG CcPinReadWaitMiss;
    ULONG CcCopyReadNoWait;
    ULONG CcCopyReadWait;
    ULONG CcCopyReadNoWaitMiss;
    ULONG CcCopyReadWaitMiss;
    ULONG CcMdlReadNoWait;
    ULONG CcMdlReadWait;
    ULONG CcMdlReadNoWaitMiss;
    ULONG CcMdlReadWaitMiss;
    ULONG CcReadAheadIos;
    ULONG CcLazyWriteIos;
    ULONG CcLazyWritePages;
    ULONG CcDataFlushes;
    ULONG CcDataPages;
    ULONG ContextSwitches;
    ULONG FirstLevelTbFills;
    ULONG SecondLevelTbFills;
    ULONG SystemCalls;
} SYSTEM_PERFORMANCE_INFORMATION, *PSYSTEM_PERFORMANCE_INFORMATION;

_Static_assert(sizeof(SYSTEM_PERFORMANCE_INFORMATION) == 0x138, "NT 5.2's x86 SYSTEM_PERFORMANCE_INFORMATION");
_Static_assert(offsetof(SYSTEM_PERFORMANCE_INFORMATION, AvailablePages) == 0x2C &&
               offsetof(SYSTEM_PERFORMANCE_INFORMATION, FreeSystemPtes) == 0x88 &&
               offsetof(SYSTEM_PERFORMANCE_INFORMATION, ContextSwitches) == 0x128,
               "NT 5.2's x86 SYSTEM_PERFORMANCE_INFORMATION offsets");

/* ------------------------------------------------------------------------
 * Processes and threads (kernel/ps/psquery.c).
 */
typedef enum _PROCESSINFOCLASS { ProcessBasicInformation = 0, ProcessVmCounters = 3 } PROCESSINFOCLASS;
typedef enum _THREADINFOCLASS { ThreadBasicInformation = 0 } THREADINFOCLASS;

typedef struct _PROCESS_BASIC_INFORMATION {
    NTSTATUS ExitStatus;                    /* STATUS_PENDING while it runs */
    PVOID PebBaseAddress;
    ULONG_PTR AffinityMask;
    KPRIORITY BasePriority;
    ULONG_PTR UniqueProcessId;
    ULONG_PTR InheritedFromUniqueProcessId;
} PROCESS_BASIC_INFORMATION, *PPROCESS_BASIC_INFORMATION;

/* ProcessVmCounters: bytes, but PageFaultCount (NT's VM_COUNTERS; the _EX form adds PrivateUsage). */
typedef struct _VM_COUNTERS {
    SIZE_T PeakVirtualSize;
    SIZE_T VirtualSize;
    ULONG PageFaultCount;
    SIZE_T PeakWorkingSetSize;
    SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage;
    SIZE_T QuotaPagedPoolUsage;
    SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage;
    SIZE_T PagefileUsage;                   /* the process's commit charge */
    SIZE_T PeakPagefileUsage;
} VM_COUNTERS, *PVM_COUNTERS;

typedef struct _VM_COUNTERS_EX {
    VM_COUNTERS Counters;
    SIZE_T PrivateUsage;                    /* the commit charge again, as NT reports it */
} VM_COUNTERS_EX, *PVM_COUNTERS_EX;

typedef struct _THREAD_BASIC_INFORMATION {
    NTSTATUS ExitStatus;                    /* STATUS_PENDING until it has terminated */
    PVOID TebBaseAddress;
    CLIENT_ID ClientId;
    KAFFINITY AffinityMask;
    KPRIORITY Priority;
    KPRIORITY BasePriority;                 /* relative to its process's, as NT's KeQueryBasePriorityThread */
} THREAD_BASIC_INFORMATION, *PTHREAD_BASIC_INFORMATION;

_Static_assert(sizeof(PROCESS_BASIC_INFORMATION) == 24, "NT's x86 PROCESS_BASIC_INFORMATION");
_Static_assert(sizeof(THREAD_BASIC_INFORMATION) == 28, "NT's x86 THREAD_BASIC_INFORMATION");

#endif
