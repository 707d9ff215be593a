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
 * difference of the TLB flushes it saw, with these instructions.
 *
 *   int2e      a system service through `int 2Eh` (NtGetCurrentProcessorNumber:
 *              no arguments, no work) — NT's gate on every x86
 *   sysenter   the same through KUSER_SHARED_DATA's stub: sysenter/sysexit
 *   fault      a demand-zero fault: each of COUNT committed, untouched pages
 *              written once
 */
#include <ntdll.h>

static inline ULONGLONG Tsc(void)
{
    ULONG Low, High;
    __asm__ volatile("rdtsc" : "=a"(Low), "=d"(High));
    return ((ULONGLONG)High << 32) | Low;
}

static ULONG ParseDecimal(const char *Text)
{
    ULONG Value = 0;
    for (; *Text >= '0' && *Text <= '9'; Text++)
        Value = Value * 10 + (ULONG)(*Text - '0');
    return Value;
}

/* NtGetCurrentProcessorNumber through int 2Eh, as NT 5.0's stubs called every service. */
static inline ULONG Int2eNullService(ULONG Number)
{
    ULONG Result;
    __asm__ volatile("int $0x2e" : "=a"(Result) : "a"(Number), "d"(0) : "ecx", "memory");
    return Result;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return -1;
    ULONG Count = ParseDecimal(argv[2]);
    ULONGLONG Start = 0, End = 0;

    if (strcmp(argv[1], "int2e") == 0) {
        Start = Tsc();
        for (ULONG i = 0; i < Count; i++)
            Int2eNullService(NT_SERVICE_NUMBER_NtGetCurrentProcessorNumber);
        End = Tsc();
    } else if (strcmp(argv[1], "sysenter") == 0) {
        Start = Tsc();
        for (ULONG i = 0; i < Count; i++)
            NtGetCurrentProcessorNumber();
        End = Tsc();
    } else if (strcmp(argv[1], "fault") == 0) {
        PVOID Base = NULL;
        SIZE_T Size = (SIZE_T)Count * PAGE_SIZE;
        if (Count && !NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE)))
            return -2;
        Start = Tsc();
        for (ULONG i = 0; i < Count; i++)
            ((volatile ULONG *)Base)[i * (PAGE_SIZE / sizeof(ULONG))] = i;
        End = Tsc();
    } else {
        return -1;
    }
    return (int)(End - Start);
}
