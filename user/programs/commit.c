/*
 * user/programs/commit.c — allocate until the system's commit limit says no.
 *
 *     start commit.exe [MB]        (the step, 1 MB by default)
 *
 * It reserves and commits MB at a time (NtAllocateVirtualMemory, MEM_COMMIT,
 * never touching the pages: commit is a promise, not memory), until the
 * memory manager refuses with STATUS_COMMITMENT_LIMIT, prints how far it
 * got — compare with `!vm`'s Commit limit — and frees everything again.
 */
#include <ntdll.h>

#define COMMIT_MAXIMUM_REGIONS  4096

static PVOID Regions[COMMIT_MAXIMUM_REGIONS];

int main(int argc, char **argv)
{
    ULONG Step = (argc > 1 ? (ULONG)(argv[1][0] - '0') : 1) << 20, Count = 0;
    NTSTATUS Status = STATUS_SUCCESS;

    if (Step == 0 || Step > (9u << 20))
        Step = 1 << 20;
    while (Count < COMMIT_MAXIMUM_REGIONS) {
        PVOID Base = NULL;
        SIZE_T Size = Step;
        Status = NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                         PAGE_READWRITE);
        if (!NT_SUCCESS(Status))
            break;
        Regions[Count++] = Base;
    }
    printf("commit: %u MB committed in %u MB steps, then %s (0x%08x)\n", Count * (Step >> 20), Step >> 20,
           RtlNtStatusName(Status), (ULONG)Status);
    for (ULONG i = 0; i < Count; i++) {
        SIZE_T Size = 0;
        NtFreeVirtualMemory(NtCurrentProcess(), &Regions[i], &Size, MEM_RELEASE);
    }
    return Status == STATUS_COMMITMENT_LIMIT ? 0 : (int)Status;
}
