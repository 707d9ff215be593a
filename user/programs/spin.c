/*
 * user/programs/spin.c — a program that never ends by itself.
 *
 * It spins in ring 3 (no system call), so only the clock interrupt takes
 * the processor from it: what NtTerminateProcess from another process, or
 * the quantum, must deal with. The process tests end it and check its exit
 * status.
 */
#include <ntdll.h>

int main(int argc, char **argv)
{
    volatile ULONG Count = 0;
    for (;;)
        Count++;
}
