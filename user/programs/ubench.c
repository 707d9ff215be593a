/*
 * user/programs/ubench.c — the ring-3 side of the benchmarks that must run in ring 3.
 *
 *     ubench.exe MODE COUNT
 *
 * It runs COUNT operations of MODE and exits with the guest instructions
 * they took: the TSC, read in ring 3 before and after the loop (under QEMU
 * -icount the TSC counts instructions, and CR4.TSD is clear, so ring 3 may
 * read it), so only the loop is counted. The kernel's benchmark
 * (tests/ps/bench.c) runs it with COUNT 0 and COUNT N and reports the
 * difference of the TLB flushes it saw, with these instructions. Before
 * the virtual-memory modes it makes its address space busy, as the kernel's
 * figures of the same operations (tests/mm/virtual_bench.c) do: 48
 * reservations of 1 to 16 pages scattered from 4 MB to 256 MB, every other
 * one committed and touched, beside the image, stack, PEB and TEB it has.
 *
 *   int2e      a system service through `int 2Eh` (NtGetCurrentProcessorNumber:
 *              no arguments, no work) — NT's gate on every x86
 *   sysenter   the same through KUSER_SHARED_DATA's code: sysenter/sysexit
 *   fault      a demand-zero fault: each of COUNT committed, untouched pages
 *              written once
 *   reserve    NtAllocateVirtualMemory reserving and committing 4 MB, no
 *              base given (each released again, outside the count)
 *   alloc      a page's whole life: allocated, written, released
 *   protect    NtProtectVirtualMemory over 64 committed pages, half resident
 *   query      NtQueryVirtualMemory at pseudo-random addresses of the first
 *              256 MB, half of them in the program's own reservations
 *   event      COUNT round trips between two threads of this process over
 *              two auto-reset events (NtSetEvent, then NtWaitForSingleObject
 *              on the other): each round trip is two thread switches
 */
#include <ntdll.h>

#define BUSY_RESERVATIONS 48

static ULONG RandomState;

static ULONG Random(void)
{
    RandomState = RandomState * 1103515245u + 12345u;
    return RandomState >> 8;
}

static ULONG Reservations[BUSY_RESERVATIONS];
static ULONG ReservationCount;

/* The background of the virtual-memory modes (see the top of the file). */
static void MakeBusy(void)
{
    RandomState = 5;
    for (ULONG i = 0; i < BUSY_RESERVATIONS; i++) {
        PVOID Base = (PVOID)(0x400000 + (Random() % 4032) * 0x10000);
        SIZE_T Size = (1 + Random() % 16) * PAGE_SIZE;
        if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                                MEM_RESERVE | (i % 2 ? MEM_COMMIT : 0), PAGE_READWRITE)))
            continue;
        Reservations[ReservationCount++] = (ULONG)Base;
        if (i % 2)
            *(volatile ULONG *)Base = i;
    }
}

/* NtGetCurrentProcessorNumber through int 2Eh, as NT 5.0's stubs called every service. */
static inline ULONG Int2eNullService(ULONG Number)
{
    ULONG Result;
    __asm__ volatile("int $0x2e" : "=a"(Result) : "a"(Number), "d"(0) : "ecx", "memory");
    return Result;
}

static bool Int2e(ULONG Count, ULONGLONG *Start, ULONGLONG *End)
{
    *Start = ReadTimeStampCounter();
    for (ULONG i = 0; i < Count; i++)
        Int2eNullService(NT_SERVICE_NUMBER_NtGetCurrentProcessorNumber);
    *End = ReadTimeStampCounter();
    return true;
}

static bool Sysenter(ULONG Count, ULONGLONG *Start, ULONGLONG *End)
{
    *Start = ReadTimeStampCounter();
    for (ULONG i = 0; i < Count; i++)
        NtGetCurrentProcessorNumber();
    *End = ReadTimeStampCounter();
    return true;
}

static bool Fault(ULONG Count, ULONGLONG *Start, ULONGLONG *End)
{
    PVOID Base = NULL;
    SIZE_T Size = (SIZE_T)Count * PAGE_SIZE;
    if (Count && !NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                                     PAGE_READWRITE)))
        return false;
    *Start = ReadTimeStampCounter();
    for (ULONG i = 0; i < Count; i++)
        ((volatile ULONG *)Base)[i * (PAGE_SIZE / sizeof(ULONG))] = i;
    *End = ReadTimeStampCounter();
    return true;
}

static bool Reserve(ULONG Count, ULONGLONG *Start, ULONGLONG *End)
{
    ULONGLONG Total = 0;
    MakeBusy();
    for (ULONG i = 0; i < Count; i++) {
        PVOID Base = NULL;
        SIZE_T Size = 4 << 20;
        ULONGLONG Before = ReadTimeStampCounter();
        NTSTATUS Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                                  PAGE_READWRITE);
        Total += ReadTimeStampCounter() - Before;
        Size = 0;
        if (!NT_SUCCESS(Status) || !NT_SUCCESS(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE)))
            return false;
    }
    *Start = 0;
    *End = Total;
    return true;
}

static bool Alloc(ULONG Count, ULONGLONG *Start, ULONGLONG *End)
{
    MakeBusy();
    *Start = ReadTimeStampCounter();
    for (ULONG i = 0; i < Count; i++) {
        PVOID Base = NULL;
        SIZE_T Size = PAGE_SIZE;
        if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                                PAGE_READWRITE)))
            return false;
        *(volatile ULONG *)Base = i;
        Size = 0;
        if (!NT_SUCCESS(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE)))
            return false;
    }
    *End = ReadTimeStampCounter();
    return true;
}

static bool Protect(ULONG Count, ULONGLONG *Start, ULONGLONG *End)
{
    PVOID Base = NULL;
    SIZE_T Size = 64 * PAGE_SIZE;
    MakeBusy();
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                            PAGE_READWRITE)))
        return false;
    for (ULONG i = 0; i < 64; i += 2)
        ((volatile ULONG *)Base)[i * (PAGE_SIZE / sizeof(ULONG))] = i;
    *Start = ReadTimeStampCounter();
    for (ULONG i = 0; i < Count; i++) {
        PVOID B = Base;
        SIZE_T S = 64 * PAGE_SIZE;
        ULONG Old;
        if (!NT_SUCCESS(NtProtectVirtualMemory(NtCurrentProcess(), &B, &S, i % 2 ? PAGE_READWRITE : PAGE_READONLY,
                                               &Old)))
            return false;
    }
    *End = ReadTimeStampCounter();
    return true;
}

static bool Query(ULONG Count, ULONGLONG *Start, ULONGLONG *End)
{
    static ULONG Addresses[1024];
    MEMORY_BASIC_INFORMATION Info;
    MakeBusy();
    for (ULONG i = 0; i < ARRAY_SIZE(Addresses); i++)
        Addresses[i] = i % 2 && ReservationCount ? Reservations[Random() % ReservationCount] + Random() % 0x4000
                                                 : 0x10000 + Random() % 0x10000000;
    *Start = ReadTimeStampCounter();
    for (ULONG i = 0; i < Count; i++) {
        if (!NT_SUCCESS(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)Addresses[i % ARRAY_SIZE(Addresses)],
                                             MemoryBasicInformation, &Info, sizeof(Info), NULL)))
            return false;
    }
    *End = ReadTimeStampCounter();
    return true;
}

static HANDLE PingEvent, PongEvent;
static ULONG RoundTrips;

/* The second thread: answers each ping with a pong. */
static NTSTATUS NTAPI Ponger(PVOID Parameter)
{
    (void)Parameter;
    for (ULONG i = 0; i < RoundTrips; i++) {
        if (!NT_SUCCESS(NtWaitForSingleObject(PingEvent, FALSE, NULL)) || !NT_SUCCESS(NtSetEvent(PongEvent, NULL)))
            return STATUS_UNSUCCESSFUL;
    }
    return STATUS_SUCCESS;
}

/* COUNT ping-pongs; both threads exist, and have waited once, before the count starts. */
static bool PingPong(ULONG Count, ULONGLONG *Start, ULONGLONG *End)
{
    HANDLE Thread;
    RoundTrips = Count + 1;
    if (!NT_SUCCESS(NtCreateEvent(&PingEvent, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE)) ||
        !NT_SUCCESS(NtCreateEvent(&PongEvent, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE)) ||
        !NT_SUCCESS(RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 0, 0, Ponger, NULL, &Thread, NULL)))
        return false;
    bool Ok = NT_SUCCESS(NtSetEvent(PingEvent, NULL)) && NT_SUCCESS(NtWaitForSingleObject(PongEvent, FALSE, NULL));
    *Start = ReadTimeStampCounter();
    for (ULONG i = 0; Ok && i < Count; i++)
        Ok = NT_SUCCESS(NtSetEvent(PingEvent, NULL)) && NT_SUCCESS(NtWaitForSingleObject(PongEvent, FALSE, NULL));
    *End = ReadTimeStampCounter();
    Ok = Ok && NT_SUCCESS(NtWaitForSingleObject(Thread, FALSE, NULL));
    NtClose(Thread);
    NtClose(PingEvent);
    NtClose(PongEvent);
    return Ok;
}

static const struct {
    const char *Name;
    bool (*Run)(ULONG Count, ULONGLONG *Start, ULONGLONG *End);
} Modes[] = {
    { "int2e", Int2e }, { "sysenter", Sysenter }, { "fault", Fault }, { "reserve", Reserve },
    { "alloc", Alloc }, { "protect", Protect }, { "query", Query }, { "event", PingPong },
};

/* Exits with the loop's instructions; -1 for a bad command line, -2 if an operation failed. */
int main(int argc, char **argv)
{
    ULONG Count;
    const char *Rest;
    if (argc != 3 || !RtlParseUlong(argv[2], &Rest, &Count) || *Rest)
        return -1;
    for (ULONG i = 0; i < ARRAY_SIZE(Modes); i++) {
        ULONGLONG Start = 0, End = 0;
        if (strcmp(argv[1], Modes[i].Name) == 0)
            return Modes[i].Run(Count, &Start, &End) ? (int)(End - Start) : -2;
    }
    return -1;
}
