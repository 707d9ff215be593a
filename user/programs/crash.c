/*
 * user/programs/crash.c — a program that takes an exception and does not handle it.
 *
 *     start crash.exe [read|write|int3|divide]      (read by default)
 *
 * No handler is registered, so KiUserExceptionDispatcher finds none and asks
 * the kernel for the second chance: the process ends with the exception
 * code as its exit status, and the console shows NT's message ("The
 * instruction at ... referenced memory at ... The memory could not be
 * read.").
 */
#include <ntdll.h>

int main(int argc, char **argv)
{
    volatile ULONG *volatile Null = NULL;
    const char *How = argc > 1 ? argv[1] : "read";

    printf("crash: %s, with no handler\n", How);
    if (strcmp(How, "write") == 0)
        *Null = 1;
    else if (strcmp(How, "int3") == 0)
        __asm__ volatile("int3");
    else if (strcmp(How, "divide") == 0)
        __asm__ volatile("xorl %%ecx, %%ecx\n\tmovl $1, %%eax\n\txorl %%edx, %%edx\n\tdivl %%ecx"
                         : : : "eax", "ecx", "edx");
    else
        return (int)*Null;
    return 0;
}
