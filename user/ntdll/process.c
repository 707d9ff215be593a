/*
 * user/ntdll/process.c — starting another program from a program.
 *
 * RtlStartProgram is the user runtime's shortcut to NtCreateUserProcess
 * (mm386's simplified NT 6 service, include/ps.h): it builds the process
 * parameters — ImagePathName \Boot\NAME from the command line's first word,
 * and the command line itself — normalized (pointers, not offsets), and
 * asks for the process and its first thread with every access right. The
 * caller waits on the process handle and reads the exit status with
 * NtQueryInformationProcess.
 */
#include <ntdll.h>

#define RTL_START_LINE  256

NTSTATUS RtlStartProgram(const char *CommandLine, PHANDLE Process, PHANDLE Thread)
{
    WCHAR Path[RTL_START_LINE + 8], Line[RTL_START_LINE];
    RTL_USER_PROCESS_PARAMETERS Parameters;
    char Image[RTL_START_LINE + 8];
    ULONG Length = 0;

    while (CommandLine[Length] && CommandLine[Length] != ' ' && Length < RTL_START_LINE)
        Length++;
    snprintf(Image, sizeof(Image), "\\Boot\\%.*s", (int)Length, CommandLine);
    memset(&Parameters, 0, sizeof(Parameters));
    Parameters.MaximumLength = Parameters.Length = sizeof(Parameters);
    Parameters.Flags = RTL_USER_PROC_PARAMS_NORMALIZED;
    RtlInitUnicodeStringFromAscii(&Parameters.ImagePathName, Path, ARRAY_SIZE(Path), Image);
    RtlInitUnicodeStringFromAscii(&Parameters.CommandLine, Line, ARRAY_SIZE(Line), CommandLine);
    return NtCreateUserProcess(Process, Thread, PROCESS_ALL_ACCESS, THREAD_ALL_ACCESS, NULL, NULL, 0, 0, &Parameters,
                               NULL, NULL);
}

NTSTATUS RtlWaitForProgram(HANDLE Process, NTSTATUS *ExitStatus)
{
    PROCESS_BASIC_INFORMATION Basic;
    NTSTATUS Status = NtWaitForSingleObject(Process, FALSE, NULL);
    if (NT_SUCCESS(Status))
        Status = NtQueryInformationProcess(Process, ProcessBasicInformation, &Basic, sizeof(Basic), NULL);
    if (NT_SUCCESS(Status))
        *ExitStatus = Basic.ExitStatus;
    return Status;
}
