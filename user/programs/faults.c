/*
 * user/programs/faults.c — page faults, on purpose, in a loop.
 *
 *     start faults.exe [PAGES]     (64 by default)
 *
 * It commits PAGES pages and touches each (a demand-zero fault: the memory
 * manager maps a zeroed page), touches a reserved page (an access
 * violation, caught) and a guard page (a guard-page violation, then the page
 * is ordinary), printing what each fault did and the process's fault count
 * as NtQueryVirtualMemory and the kernel see it (`!process` at kd>).
 */
#include <ntdll.h>

static NTSTATUS Touch(volatile ULONG *Address)
{
    volatile NTSTATUS Code = STATUS_SUCCESS;
    RTL_TRY {
        *Address = 1;
    } RTL_EXCEPT(Code) {
    } RTL_END;
    return Code;
}

int main(int argc, char **argv)
{
    ULONG Pages = 64;
    if (argc > 1) {
        Pages = 0;
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
            Pages = Pages * 10 + (ULONG)(*p - '0');
    }
    PVOID Base = NULL;
    SIZE_T Size = (Pages + 2) * PAGE_SIZE;
    ULONG Old;
    NTSTATUS Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE, PAGE_READWRITE);
    if (!NT_SUCCESS(Status))
        return (int)Status;
    PVOID Commit = Base;
    Size = (Pages + 1) * PAGE_SIZE;
    Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Commit, 0, &Size, MEM_COMMIT, PAGE_READWRITE);
    if (!NT_SUCCESS(Status))
        return (int)Status;
    PVOID Guard = (PVOID)((ULONG)Base + Pages * PAGE_SIZE);
    Size = PAGE_SIZE;
    NtProtectVirtualMemory(NtCurrentProcess(), &Guard, &Size, PAGE_READWRITE | PAGE_GUARD, &Old);

    ULONG Start = NtGetTickCount();
    for (ULONG i = 0; i < Pages; i++)
        Touch((volatile ULONG *)((ULONG)Base + i * PAGE_SIZE));
    printf("faults: %u demand-zero pages touched in %u ms\n", Pages, NtGetTickCount() - Start);
    NTSTATUS First = Touch((volatile ULONG *)Guard), Second = Touch((volatile ULONG *)Guard);
    printf("faults: guard page: %s, then %s\n", RtlNtStatusName(First), Second ? RtlNtStatusName(Second) : "ok");
    NTSTATUS Reserved = Touch((volatile ULONG *)((ULONG)Base + (Pages + 1) * PAGE_SIZE));
    printf("faults: reserved page: %s\n", RtlNtStatusName(Reserved));
    Size = 0;
    NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE);
    return First == STATUS_GUARD_PAGE_VIOLATION && Second == STATUS_SUCCESS && Reserved == STATUS_ACCESS_VIOLATION
               ? 0 : 1;
}
