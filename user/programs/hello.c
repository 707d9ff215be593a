/*
 * user/programs/hello.c — the smallest mm386 program: it says where it runs.
 *
 * Start it from the prompt with `start hello.exe a b c`: it prints its
 * command line, its process and thread ids from its TEB, where its image
 * and PEB are, and the tick count it read from KUSER_SHARED_DATA, then
 * exits with status 0.
 */
#include <ntdll.h>

int main(int argc, char **argv)
{
    PTEB Teb = NtCurrentTeb();
    PPEB Peb = NtCurrentPeb();

    printf("hello from ring 3: process %u, thread %u\n", (ULONG)Teb->ClientId.UniqueProcess,
           (ULONG)Teb->ClientId.UniqueThread);
    for (int i = 0; i < argc; i++)
        printf("  argv[%d] = \"%s\"\n", i, argv[i]);
    printf("  image at %p, PEB at %p, TEB at %p, stack %p..%p\n", Peb->ImageBaseAddress, (PVOID)Peb, (PVOID)Teb,
           Teb->NtTib.StackLimit, Teb->NtTib.StackBase);
    printf("  NT %u.%u, tick count %u\n", USER_SHARED_DATA->NtMajorVersion, USER_SHARED_DATA->NtMinorVersion,
           NtGetTickCount());
    return 0;
}
