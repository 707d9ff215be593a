/*
 * include/kusd.h — KUSER_SHARED_DATA: one page the kernel writes and every
 * process reads.
 *
 * NT keeps the things a program wants often and cheaply — the tick count,
 * the interrupt time, the system time, the version — in one physical page
 * mapped twice: read/write for the kernel at KI_USER_SHARED_DATA
 * (0xFFDF0000, in the HAL's region) and read-only in every process at
 * MM_SHARED_USER_DATA_VA (0x7FFE0000). The clock updates it every tick;
 * GetTickCount is a read of it, no system call. NT 5.1 also put the
 * system-call code itself there, at 0x7FFE0300 (`mov edx, esp; sysenter`
 * when the processor has SEP, else `lea edx, [esp+8]; int 2Eh; ret`), and
 * the return point sysexit goes back to at 0x7FFE0304; mm386 does the same
 * (kernel/ke/syscall.c), so the user runtime's stubs are
 * `mov eax, N; mov edx, 0x7FFE0300; call edx; ret 4*args`.
 *
 * A KSYSTEM_TIME is written High2Time, LowPart, High1Time and read until
 * High1Time equals High2Time, so a reader never sees a torn 64-bit value
 * without any lock. The layout is NT 5.2's x86 one (offsets pinned below).
 */
#ifndef MM386_KUSD_H
#define MM386_KUSD_H

#include <ntbasic.h>
#include <layout.h>         /* KI_USER_SHARED_DATA, MM_SHARED_USER_DATA_VA, KI_SYSTEM_CALL_VA */

typedef struct _KSYSTEM_TIME {
    ULONG LowPart;
    LONG High1Time;
    LONG High2Time;
} KSYSTEM_TIME;

typedef struct _KUSER_SHARED_DATA {
    ULONG TickCountLowDeprecated;           /* the tick count's low word (NT 5.0's field) */
    ULONG TickCountMultiplier;              /* ms per tick times 2^24: GetTickCount() = TickCount * this >> 24 */
    volatile KSYSTEM_TIME InterruptTime;    /* 100 ns since boot */
    volatile KSYSTEM_TIME SystemTime;       /* 100 ns since 1601-01-01 UTC */
    volatile KSYSTEM_TIME TimeZoneBias;
    USHORT ImageNumberLow;                  /* IMAGE_FILE_MACHINE_I386 */
    USHORT ImageNumberHigh;
    WCHAR NtSystemRoot[260];
    ULONG MaxStackTraceDepth;
    ULONG CryptoExponent;
    ULONG TimeZoneId;
    ULONG LargePageMinimum;
    ULONG Reserved2[7];
    ULONG NtProductType;                    /* 1: NtProductWinNt */
    BOOLEAN ProductTypeIsValid;
    UCHAR Reserved3[3];
    ULONG NtMajorVersion;
    ULONG NtMinorVersion;
    BOOLEAN ProcessorFeatures[64];
    ULONG Reserved1;
    ULONG Reserved4;
    ULONG TimeSlip;
    ULONG AlternativeArchitecture;
    ULONG Reserved5;
    LARGE_INTEGER SystemExpirationDate;     /* 8-aligned in NT's layout */
    ULONG SuiteMask;
    BOOLEAN KdDebuggerEnabled;
    UCHAR NXSupportPolicy;
    UCHAR Reserved6[2];
    ULONG ActiveConsoleId;
    ULONG DismountCount;
    ULONG ComPlusPackage;
    ULONG LastSystemRITEventTickCount;
    ULONG NumberOfPhysicalPages;
    BOOLEAN SafeBootMode;
    UCHAR Reserved7[3];
    ULONG TraceLogging;
    ULONG Reserved8;
    ULONGLONG TestRetInstruction;
    UCHAR SystemCall[4];                    /* 0x300: code, see above */
    UCHAR SystemCallReturn[4];              /* 0x304: `ret`, where sysexit returns */
    UCHAR SystemCallPad[24];
    volatile KSYSTEM_TIME TickCount;        /* ticks since boot */
    ULONG Reserved9;
    ULONG Cookie;
} KUSER_SHARED_DATA, *PKUSER_SHARED_DATA;

_Static_assert(offsetof(KUSER_SHARED_DATA, InterruptTime) == 0x008 &&
               offsetof(KUSER_SHARED_DATA, SystemTime) == 0x014 &&
               offsetof(KUSER_SHARED_DATA, NtSystemRoot) == 0x030 &&
               offsetof(KUSER_SHARED_DATA, NtProductType) == 0x264 &&
               offsetof(KUSER_SHARED_DATA, NtMajorVersion) == 0x26C &&
               offsetof(KUSER_SHARED_DATA, ProcessorFeatures) == 0x274 &&
               offsetof(KUSER_SHARED_DATA, SystemExpirationDate) == 0x2C8 &&
               offsetof(KUSER_SHARED_DATA, NumberOfPhysicalPages) == 0x2E8 &&
               offsetof(KUSER_SHARED_DATA, SystemCall) == 0x300 &&
               offsetof(KUSER_SHARED_DATA, SystemCallReturn) == 0x304 &&
               offsetof(KUSER_SHARED_DATA, TickCount) == 0x320 &&
               offsetof(KUSER_SHARED_DATA, Cookie) == 0x330, "NT 5.2's x86 KUSER_SHARED_DATA");
_Static_assert(KI_SYSTEM_CALL_VA == MM_SHARED_USER_DATA_VA + offsetof(KUSER_SHARED_DATA, SystemCall) &&
               KI_SYSTEM_CALL_RETURN_VA == MM_SHARED_USER_DATA_VA + offsetof(KUSER_SHARED_DATA, SystemCallReturn),
               "the system-call code's addresses");

#define SharedUserData      ((KUSER_SHARED_DATA *)KI_USER_SHARED_DATA)      /* the kernel's name */
#define USER_SHARED_DATA    ((const KUSER_SHARED_DATA *)MM_SHARED_USER_DATA_VA)  /* a program's */

#endif
