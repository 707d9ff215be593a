/*
 * kernel/ke/clock.c — the clock: interrupt time, system time, tick count.
 *
 * The HAL's clock interrupt (hal/pit.c, CLOCK2_LEVEL, every 10 ms) calls
 * KeUpdateSystemTime, NT's entry for it: interrupt time advances by one
 * increment (KeQueryTimeIncrement: 100,000 units of 100 ns), the tick count
 * by one, the timer table is checked for a due timer (timerobj.c) and the
 * running thread is charged the tick and a piece of its quantum
 * (thrdschd.c). System time is interrupt time plus the time of day read
 * from the CMOS clock at boot, kept in NT's form: 100 ns units since
 * January 1, 1601.
 *
 * The 64-bit counters change in an interrupt; a 32-bit processor reads them
 * in two halves, so readers read the high half before and after and retry
 * until the two agree (NT's KSYSTEM_TIME does the same with High1/High2).
 * Once the memory manager has made KUSER_SHARED_DATA (KiUserSharedData),
 * each tick also writes the interrupt time, the system time and the tick
 * count there as KSYSTEM_TIMEs — High2Time, then LowPart, then High1Time —
 * for ring 3 to read without a system call (include/kusd.h).
 */
#include <hal.h>
#include <kusd.h>
#include "kernel/ke/ki.h"

volatile ULONGLONG KeTickCount64;
volatile ULONGLONG KiInterruptTime;
static LONGLONG KiBootTime;                 /* system time at interrupt time 0 */

static ULONGLONG ReadCounter(volatile ULONGLONG *Counter)
{
    volatile ULONG *Half = (volatile ULONG *)Counter;
    ULONG High, Low;
    do {
        High = Half[1];
        Low = Half[0];
    } while (High != Half[1]);
    return ((ULONGLONG)High << 32) | Low;
}

volatile KUSER_SHARED_DATA *KiUserSharedData;

static void KiWriteSystemTime(volatile KSYSTEM_TIME *Time, ULONGLONG Value)
{
    Time->High2Time = (LONG)(Value >> 32);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    Time->LowPart = (ULONG)Value;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    Time->High1Time = (LONG)(Value >> 32);
}

void KeUpdateSystemTime(KTRAP_FRAME *TrapFrame)
{
    ULONGLONG Now = KiInterruptTime + KI_TIME_INCREMENT;
    KiInterruptTime = Now;
    KeTickCount64 = KeTickCount64 + 1;
    volatile KUSER_SHARED_DATA *Shared = KiUserSharedData;
    if (Shared) {
        KiWriteSystemTime(&Shared->InterruptTime, Now);
        KiWriteSystemTime(&Shared->SystemTime, Now + (ULONGLONG)KiBootTime);
        KiWriteSystemTime(&Shared->TickCount, KeTickCount64);
        Shared->TickCountLowDeprecated = (ULONG)KeTickCount64;
    }
    KiCheckTimerTable(Now);
    KiUpdateRunTime(TrapFrame);
}

/* Days from January 1, 1601 to the first day of Year (the Gregorian calendar throughout). */
static LONGLONG DaysBeforeYear(ULONG Year)
{
    ULONG y = Year - 1601;
    return (LONGLONG)y * 365 + y / 4 - y / 100 + y / 400;
}

static bool IsLeapYear(ULONG Year)
{
    return (Year % 4 == 0 && Year % 100 != 0) || Year % 400 == 0;
}

LONGLONG KiTimeFieldsToTime(const HAL_TIME_FIELDS *Time)
{
    static const USHORT DaysBeforeMonth[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    LONGLONG Days = DaysBeforeYear(Time->Year) + DaysBeforeMonth[(Time->Month - 1) % 12] + (Time->Day - 1);
    if (Time->Month > 2 && IsLeapYear(Time->Year))
        Days++;
    LONGLONG Seconds = ((Days * 24 + Time->Hour) * 60 + Time->Minute) * 60 + Time->Second;
    return Seconds * 10000000;
}

void KiInitializeSystemClock(void)
{
    HAL_TIME_FIELDS Time;
    HalQueryRealTimeClock(&Time);
    KiBootTime = KiTimeFieldsToTime(&Time) - (LONGLONG)ReadCounter(&KiInterruptTime);
}

ULONG KeGetTickCount(void)
{
    return (ULONG)KeTickCount64;
}

void KeQueryTickCount(PLARGE_INTEGER TickCount)
{
    TickCount->QuadPart = (LONGLONG)ReadCounter(&KeTickCount64);
}

ULONGLONG KeQueryInterruptTime(void)
{
    return ReadCounter(&KiInterruptTime);
}

void KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = KiBootTime + (LONGLONG)ReadCounter(&KiInterruptTime);
}

ULONG KeQueryTimeIncrement(void)
{
    return KI_TIME_INCREMENT;
}
