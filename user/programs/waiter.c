/*
 * user/programs/waiter.c — a process that stays, to be looked at from kd>.
 *
 *     start waiter.exe [PAGES]     (16 by default)
 *
 * It commits PAGES pages and writes the first half of them (so some are
 * resident and some only committed), starts a second thread, and then both
 * threads wait forever on an event nobody sets: the main thread plainly, the
 * second alertably. It prints where everything is, so that `!process
 * 0 0`, `.process`, `!peb`, `!teb`, `!vad` and `!pte` have something to show
 * (docs/PROCESSES.md). End it with `kill PROCESS` at the prompt.
 */
#include <ntdll.h>

static HANDLE Event, Ready;

/*
 * The second thread: says it is running, then waits alertably on the event
 * nobody sets (so kd> sees a second kind of wait). The main thread prints
 * only once it has run, so what kd> shows is the same at every start.
 */
static NTSTATUS NTAPI Sleeper(PVOID Parameter)
{
    (void)Parameter;
    NtSetEvent(Ready, NULL);
    for (;;)
        NtWaitForSingleObject(Event, TRUE, NULL);
    return STATUS_SUCCESS;
}

int main(int argc, char **argv)
{
    ULONG Pages = 16;
    const char *End;
    if (argc > 1 && (!RtlParseUlong(argv[1], &End, &Pages) || *End)) {
        printf("waiter: '%s' is not a number of pages\n", argv[1]);
        return 1;
    }
    PVOID Base = NULL;
    SIZE_T Size = (SIZE_T)Pages * PAGE_SIZE;
    HANDLE Thread;
    CLIENT_ID Cid;

    if (Pages == 0 || !NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                                          MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE))) {
        printf("waiter: cannot commit %u pages\n", Pages);
        return 1;
    }
    for (ULONG i = 0; i < Pages / 2; i++)
        ((volatile ULONG *)Base)[i * (PAGE_SIZE / sizeof(ULONG))] = i;
    if (!NT_SUCCESS(NtCreateEvent(&Event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)) ||
        !NT_SUCCESS(NtCreateEvent(&Ready, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE)) ||
        !NT_SUCCESS(RtlCreateUserThread(NtCurrentProcess(), NULL, FALSE, 0, 0, 0, Sleeper, NULL, &Thread, &Cid)) ||
        NtWaitForSingleObject(Ready, FALSE, NULL) != STATUS_WAIT_0)
        return 2;
    PTEB Teb = NtCurrentTeb();
    printf("waiter: process %x, threads %x and %x; PEB %p, TEB %p\n", (ULONG)Teb->ClientId.UniqueProcess,
           (ULONG)Teb->ClientId.UniqueThread, (ULONG)Cid.UniqueThread, (PVOID)NtCurrentPeb(), (PVOID)Teb);
    printf("waiter: %u pages committed at %p, the first %u written\n", Pages, Base, Pages / 2);
    return (int)NtWaitForSingleObject(Event, FALSE, NULL);
}
