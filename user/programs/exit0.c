/*
 * user/programs/exit0.c — the smallest program: it ends at once.
 *
 * Linked without the user runtime (the system-service stubs linked in, no
 * imports), it is three pages — headers, code, an empty import table — and
 * its first and only act is NtTerminateProcess(NtCurrentProcess(), 0)
 * (after ntdll's loader, which every thread runs first, finds nothing to
 * import). The kernel's process_spawn_exit_wait benchmark and the teardown test start it over and
 * over: what they measure is process creation, exit and teardown.
 */
#include <ntdll.h>

NORETURN void NtProcessStartup(PPEB Peb)
{
    NtTerminateProcess(NtCurrentProcess(), STATUS_SUCCESS);
    for (;;)
        ;
}
