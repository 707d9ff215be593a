/*
 * user/crt/start.c — a program's first code: NtProcessStartup(PPEB).
 *
 * The kernel starts a process's first thread at the image's entry point as
 * if NtProcessStartup(Peb) had been called (kernel/ps/process.c), which is
 * how NT starts its native programs. This splits the command line from the
 * process parameters into argc/argv (at spaces, ASCII; a quoted argument
 * keeps its spaces), calls main, and ends the process with main's return
 * value as its exit status.
 */
#include <ntdll.h>

#define CRT_MAXIMUM_ARGUMENTS   32
#define CRT_COMMAND_LINE        512

static char CrtCommandLine[CRT_COMMAND_LINE];
static char *CrtArgv[CRT_MAXIMUM_ARGUMENTS + 1];

static int CrtSplitCommandLine(const UNICODE_STRING *Line)
{
    ULONG Characters = MIN(Line->Length / sizeof(WCHAR), (ULONG)CRT_COMMAND_LINE - 1);
    int Argc = 0;
    for (ULONG i = 0; i < Characters; i++)
        CrtCommandLine[i] = Line->Buffer[i] < 0x80 ? (char)Line->Buffer[i] : '?';
    CrtCommandLine[Characters] = 0;
    char *p = CrtCommandLine;
    while (*p && Argc < CRT_MAXIMUM_ARGUMENTS) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        bool Quoted = *p == '"';
        if (Quoted)
            p++;
        CrtArgv[Argc++] = p;
        while (*p && (Quoted ? *p != '"' : *p != ' '))
            p++;
        if (*p)
            *p++ = 0;
    }
    CrtArgv[Argc] = NULL;
    return Argc;
}

NORETURN void NtProcessStartup(PPEB Peb)
{
    int Argc = CrtSplitCommandLine(&Peb->ProcessParameters->CommandLine);
    int Status = main(Argc, CrtArgv);
    NtTerminateProcess(NtCurrentProcess(), Status);
    for (;;)
        ;
}
