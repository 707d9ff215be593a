/*
 * include/ketypes.h — the kernel's structures: the processor control region,
 * dispatcher objects, DPCs, APCs, threads and processes.
 *
 * NT's x86 shapes, where a reader of *Windows Internals* or WinDbg's `dt`
 * would look for them: the KPCR is reached through FS in kernel mode, with
 * the IRQL at fs:[24h] and the current thread at fs:[124h] (KPCR + 0x120 is
 * the KPRCB, whose CurrentThread is its second word); every waitable object
 * begins with a DISPATCHER_HEADER whose Type says what it is; a thread waits
 * through KWAIT_BLOCKs linking it to each object it waits on. Fields NT has
 * and mm386 does not use are left out rather than kept as padding, except
 * where an offset is part of what a learner is taught (the two above).
 */
#ifndef MM386_KETYPES_H
#define MM386_KETYPES_H

#include <ntbasic.h>

typedef uint8_t KIRQL, *PKIRQL;
typedef int8_t KPRIORITY8;
typedef volatile ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;


/* ------------------------------------------------------------------ objects */

/* DISPATCHER_HEADER.Type: NT's KOBJECTS values. */
typedef enum _KOBJECTS {
    EventNotificationObject = 0,
    EventSynchronizationObject = 1,
    MutantObject = 2,
    ProcessObject = 3,
    QueueObject = 4,
    SemaphoreObject = 5,
    ThreadObject = 6,
    GateObject = 7,
    TimerNotificationObject = 8,
    TimerSynchronizationObject = 9,
    MaximumKernelObject = 10,
    /* Control objects: not waitable. */
    ApcObject = 0x12,
    DpcObject = 0x13,
} KOBJECTS;

typedef struct _DISPATCHER_HEADER {
    UCHAR Type;                 /* KOBJECTS */
    UCHAR Absolute;             /* timers: DueTime was absolute */
    UCHAR Size;                 /* in ULONGs, as NT */
    UCHAR Inserted;             /* timers: in the timer table */
    volatile LONG SignalState;
    LIST_ENTRY WaitListHead;    /* KWAIT_BLOCKs of the threads waiting on it */
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;


typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT;

typedef struct _KSEMAPHORE {
    DISPATCHER_HEADER Header;
    LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE;

struct _KTHREAD;
typedef struct _KMUTANT {
    DISPATCHER_HEADER Header;           /* SignalState: 1 free, <= 0 owned (1 - recursion) */
    LIST_ENTRY MutantListEntry;         /* in the owner's MutantListHead */
    struct _KTHREAD *OwnerThread;
    BOOLEAN Abandoned;
    UCHAR ApcDisable;                   /* 1 for a KMUTEX (kernel APCs off while held) */
} KMUTANT, *PKMUTANT, KMUTEX, *PKMUTEX;

struct _KDPC;
typedef void (*PKDEFERRED_ROUTINE)(struct _KDPC *Dpc, PVOID DeferredContext,
                                   PVOID SystemArgument1, PVOID SystemArgument2);

typedef enum _KDPC_IMPORTANCE { LowImportance, MediumImportance, HighImportance } KDPC_IMPORTANCE;

typedef struct _KDPC {
    UCHAR Type;                         /* DpcObject */
    UCHAR Importance;
    UCHAR Number;
    UCHAR Expedite;
    LIST_ENTRY DpcListEntry;
    PKDEFERRED_ROUTINE DeferredRoutine;
    PVOID DeferredContext;
    PVOID SystemArgument1;
    PVOID SystemArgument2;
    volatile PVOID DpcData;             /* the queue it is in (the PRCB's), NULL when not queued */
} KDPC, *PKDPC;

typedef struct _KTIMER {
    DISPATCHER_HEADER Header;
    ULARGE_INTEGER DueTime;             /* interrupt time (100 ns since boot) it expires at */
    LIST_ENTRY TimerListEntry;          /* in its KiTimerTableListHead bucket */
    PKDPC Dpc;                          /* queued when it expires, or NULL */
    LONG Period;                        /* milliseconds; 0 for one-shot */
} KTIMER, *PKTIMER;

/* ------------------------------------------------------------------ APCs */

typedef enum _KAPC_ENVIRONMENT {
    OriginalApcEnvironment,
    AttachedApcEnvironment,
    CurrentApcEnvironment,
    InsertApcEnvironment
} KAPC_ENVIRONMENT;

struct _KAPC;
typedef void (*PKNORMAL_ROUTINE)(PVOID NormalContext, PVOID SystemArgument1, PVOID SystemArgument2);
typedef void (*PKKERNEL_ROUTINE)(struct _KAPC *Apc, PKNORMAL_ROUTINE *NormalRoutine, PVOID *NormalContext,
                                 PVOID *SystemArgument1, PVOID *SystemArgument2);
typedef void (*PKRUNDOWN_ROUTINE)(struct _KAPC *Apc);

struct _KPROCESS;
typedef struct _KAPC_STATE {
    LIST_ENTRY ApcListHead[MaximumMode];    /* [KernelMode], [UserMode] */
    struct _KPROCESS *Process;              /* whose address space the thread runs in */
    BOOLEAN KernelApcInProgress;
    BOOLEAN KernelApcPending;
    BOOLEAN UserApcPending;
} KAPC_STATE, *PKAPC_STATE, *PRKAPC_STATE;

typedef struct _KAPC {
    UCHAR Type;                         /* ApcObject */
    UCHAR ApcMode;                      /* KernelMode or UserMode */
    UCHAR ApcStateIndex;                /* KAPC_ENVIRONMENT it was queued for */
    BOOLEAN Inserted;
    struct _KTHREAD *Thread;
    LIST_ENTRY ApcListEntry;
    PKKERNEL_ROUTINE KernelRoutine;
    PKRUNDOWN_ROUTINE RundownRoutine;
    PKNORMAL_ROUTINE NormalRoutine;     /* NULL: a special kernel APC */
    PVOID NormalContext;
    PVOID SystemArgument1;
    PVOID SystemArgument2;
} KAPC, *PKAPC, *PRKAPC;

/* ------------------------------------------------------------------ threads */

/* A system thread's start routine (PsCreateSystemThread). */
typedef void (*PKSTART_ROUTINE)(PVOID StartContext);

typedef struct _KWAIT_BLOCK {
    LIST_ENTRY WaitListEntry;           /* in the object's WaitListHead */
    struct _KTHREAD *Thread;
    PVOID Object;                       /* the DISPATCHER_HEADER waited on */
    struct _KWAIT_BLOCK *NextWaitBlock; /* circular list of the thread's blocks */
    USHORT WaitKey;                     /* index: STATUS_WAIT_0 + WaitKey when it satisfies a WaitAny */
    USHORT WaitType;                    /* WAIT_TYPE */
} KWAIT_BLOCK, *PKWAIT_BLOCK;

/* KTHREAD.State: NT's KTHREAD_STATE values. */
typedef enum _KTHREAD_STATE {
    Initialized = 0,
    Ready = 1,
    Running = 2,
    Standby = 3,
    Terminated = 4,
    Waiting = 5,
    Transition = 6,
    DeferredReady = 7,
} KTHREAD_STATE;

/* Why a thread waits (NT's KWAIT_REASON, the values !thread prints). */
typedef enum _KWAIT_REASON {
    Executive = 0,
    FreePage = 1,
    PageIn = 2,
    PoolAllocation = 3,
    DelayExecution = 4,
    Suspended = 5,
    UserRequest = 6,
    WrExecutive = 7,
    WrFreePage = 8,
    WrPageIn = 9,
    WrPoolAllocation = 10,
    WrDelayExecution = 11,
    WrSuspended = 12,
    WrUserRequest = 13,
    WrEventPair = 14,
    WrQueue = 15,
    WrLpcReceive = 16,
    WrLpcReply = 17,
    WrVirtualMemory = 18,
    WrPageOut = 19,
    WrRendezvous = 20,
    WrKeyedEvent = 21,
    WrTerminated = 22,
    WrProcessInSwap = 23,
    WrCpuRateControl = 24,
    WrCalloutStack = 25,
    WrKernel = 26,
    WrResource = 27,
    WrPushLock = 28,
    WrMutex = 29,
    WrQuantumEnd = 30,
    WrDispatchInt = 31,
    WrPreempted = 32,
    WrYieldExecution = 33,
    MaximumWaitReason
} KWAIT_REASON;

#define THREAD_WAIT_OBJECTS     3       /* wait blocks built into a thread */
#define MAXIMUM_WAIT_OBJECTS    64      /* with a caller's array of wait blocks */
#define TIMER_WAIT_BLOCK        3       /* WaitBlock[3] waits on the thread's own timer */

struct _KTRAP_FRAME;
typedef struct _KTHREAD {
    DISPATCHER_HEADER Header;           /* ThreadObject: signalled when it terminates */
    LIST_ENTRY MutantListHead;          /* mutants it owns */
    PVOID InitialStack;                 /* the base of its kernel stack */
    PVOID StackLimit;                   /* the lowest usable address of it */
    PVOID KernelStack;                  /* its saved ESP while it is not running */
    UCHAR State;                        /* KTHREAD_STATE */
    BOOLEAN Alertable;
    UCHAR WaitMode;                     /* KPROCESSOR_MODE of its wait */
    UCHAR WaitReason;                   /* KWAIT_REASON */
    KIRQL WaitIrql;                     /* the IRQL to return to from its wait */
    BOOLEAN WaitNext;                   /* KeSetEvent(..., Wait = TRUE): the dispatcher lock is held */
    UCHAR ApcStateIndex;
    BOOLEAN SystemThread;
    UCHAR PreviousMode;                 /* KPROCESSOR_MODE of the caller of the running service (ExGetPreviousMode) */
    SCHAR Priority;                     /* current: 0..31 */
    SCHAR BasePriority;
    SCHAR PriorityDecrement;            /* the boost still to decay, one per quantum end */
    SCHAR Quantum;                      /* in clock-tick thirds (NT's units), counts down */
    SCHAR QuantumReset;
    USHORT KernelApcDisable;
    USHORT SpecialApcDisable;
    volatile LONG_PTR WaitStatus;       /* what the wait returns */
    PKWAIT_BLOCK WaitBlockList;
    KWAIT_BLOCK WaitBlock[THREAD_WAIT_OBJECTS + 1];
    LIST_ENTRY WaitListEntry;           /* in a ready queue while Ready */
    ULONG WaitTime;                     /* tick count when it started waiting or became ready */
    KTIMER Timer;                       /* its wait timeout */
    KAPC_STATE ApcState;
    KAPC_STATE SavedApcState;           /* while attached to another process */
    PKAPC_STATE ApcStatePointer[2];     /* [OriginalApcEnvironment], [AttachedApcEnvironment] */
    struct _KTRAP_FRAME *TrapFrame;     /* ring-3 threads: the frame at the top of the kernel stack */
    PVOID Teb;
    struct _KPROCESS *Process;          /* the process it belongs to (never the attached one) */
    LIST_ENTRY ThreadListEntry;         /* in its process's ThreadListHead */
    ULONG KernelTime;                   /* clock ticks it was running in kernel mode */
    ULONG UserTime;
    ULONG ContextSwitches;
    ULONG SpinLocksHeld;                /* mm386: spin locks acquired and not yet released */
    PKAPC_STATE AttachState;            /* mm386: the caller's KAPC_STATE of KeStackAttachProcess */
} KTHREAD, *PKTHREAD, *PRKTHREAD;

typedef struct _KPROCESS {
    DISPATCHER_HEADER Header;           /* ProcessObject: signalled when it exits */
    ULONG DirectoryTableBase;           /* CR3 of its address space */
    LIST_ENTRY ThreadListHead;          /* its threads (KTHREAD.ThreadListEntry) */
    ULONG StackCount;                   /* threads with a resident stack */
    SCHAR BasePriority;
    SCHAR QuantumReset;
    ULONG KernelTime;
    ULONG UserTime;
} KPROCESS, *PKPROCESS, *PRKPROCESS;

/* ------------------------------------------------------------- processor */

/*
 * The processor control block (NT's KPRCB): the part of per-processor
 * state the dispatcher uses. NT 5.2 keeps the ready queues here, per
 * processor; with one processor there is one of each.
 */
typedef struct _KPRCB {
    USHORT MinorVersion;
    USHORT MajorVersion;
    struct _KTHREAD *CurrentThread;         /* fs:[124h] */
    struct _KTHREAD *NextThread;            /* selected to run next (Standby) */
    struct _KTHREAD *IdleThread;
    UCHAR Number;
    BOOLEAN QuantumEnd;                     /* the clock found the running thread's quantum used up */
    BOOLEAN DpcRoutineActive;
    UCHAR Reserved;
    ULONG ReadySummary;                     /* bit n: DispatcherReadyListHead[n] is not empty */
    LIST_ENTRY DispatcherReadyListHead[32];
    LIST_ENTRY DpcListHead;
    ULONG DpcQueueDepth;
    ULONG DpcCount;                         /* DPCs run since boot */
    ULONG InterruptCount;
    ULONG ContextSwitches;
    volatile ULONG QuantumEnds;             /* quantums the clock ended */
    ULONG KernelTime, DpcTime, InterruptTime, IdleTime;    /* clock ticks by what was running */
    ULONG UserTime;
    ULONG KeSystemCalls;                    /* system services called since boot */
    struct _KTHREAD *DeferredReadyListHead; /* mm386 keeps none: readying is immediate */
} KPRCB, *PKPRCB;

/* A kernel-mode exception registration, as NT_TIB.ExceptionList: mm386's fault catchers (include/ke.h). */
struct _KFAULT_CATCHER;

/*
 * The processor control region. FS selects it in kernel mode (KGDT_R0_PCR).
 * NT's x86 offsets for the fields a learner meets: ExceptionList at 0,
 * SelfPcr at 1Ch, Prcb at 20h, Irql at 24h, the KPRCB at 120h.
 */
typedef struct _KPCR {
    struct _KFAULT_CATCHER *ExceptionList;  /* NT_TIB's first word: the innermost catcher */
    PVOID StackBase;                        /* NT_TIB: the running thread's stack bounds */
    PVOID StackLimit;
    ULONG NtTibRest[4];
    struct _KPCR *SelfPcr;                  /* 1Ch */
    PKPRCB Prcb;                            /* 20h */
    KIRQL Irql;                             /* 24h: interrupts restore it before they return */
    UCHAR Reserved0[3];
    volatile ULONG IRR;                     /* 28h: software interrupts requested, bit n for IRQL n */
    ULONG IrrActive;
    ULONG IDR;
    PVOID KdVersionBlock;
    PVOID IDT;                              /* 38h */
    PVOID GDT;
    PVOID TSS;                              /* 40h */
    USHORT MajorVersion;
    USHORT MinorVersion;
    KAFFINITY SetMember;
    ULONG StallScaleFactor;
    UCHAR DebugActive;
    UCHAR Number;
    UCHAR Reserved1[2];
    volatile ULONG InterruptNesting;        /* mm386: device interrupts being handled on this processor */
    ULONG Reserved2[(0x120 - 0x58) / 4];
    KPRCB PrcbData;                         /* 120h */
} KPCR, *PKPCR;

_Static_assert(offsetof(KPCR, SelfPcr) == 0x1C, "NT's KPCR.SelfPcr is at 1Ch");
_Static_assert(offsetof(KPCR, Irql) == 0x24, "NT's KPCR.Irql is at 24h");
_Static_assert(offsetof(KPCR, PrcbData) == 0x120, "NT's KPCR.PrcbData is at 120h");
_Static_assert(offsetof(KPCR, ExceptionList) == 0 && offsetof(KPCR, TSS) == 0x40,
               "kernel/ke/ctxswap.asm reads fs:[0] and fs:[40h]");
_Static_assert(offsetof(KPCR, PrcbData.CurrentThread) == 0x124, "fs:[124h] is the current thread");

#endif
