/*
 * user/crt/printf.c — printf for programs: the kernel's formatter
 * (kernel/rtl/format.c, compiled into the program) into a buffer, widened
 * and shown with NtDisplayString on the console and COM1.
 */
#include <ntdll.h>

#define CRT_PRINTF_BUFFER   512

static void CrtDisplay(const char *Text, ULONG Length)
{
    WCHAR Wide[CRT_PRINTF_BUFFER];
    UNICODE_STRING String;
    for (ULONG i = 0; i < Length; i++)
        Wide[i] = (UCHAR)Text[i];
    String.Buffer = Wide;
    String.Length = String.MaximumLength = (USHORT)(Length * sizeof(WCHAR));
    NtDisplayString(&String);
}

int vprintf(const char *Format, va_list Args)
{
    char Text[CRT_PRINTF_BUFFER];
    int Length = vsnprintf(Text, sizeof(Text), Format, Args);
    if (Length < 0)
        return Length;
    CrtDisplay(Text, MIN((ULONG)Length, (ULONG)sizeof(Text) - 1));
    return Length;
}

int printf(const char *Format, ...)
{
    va_list Args;
    va_start(Args, Format);
    int Length = vprintf(Format, Args);
    va_end(Args);
    return Length;
}

int puts(const char *Text)
{
    return printf("%s\n", Text);
}
