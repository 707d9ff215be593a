/*
 * kernel/ex/display.c — NtDisplayString: a program's text on the console.
 *
 * NT's NtDisplayString writes a UNICODE_STRING to the boot screen (it is
 * what autochk and the native programs smss starts print with); it needs
 * SeTcbPrivilege, which mm386, with no security model, does not check. The
 * string is captured from the caller — the UNICODE_STRING and then its
 * buffer, both probed when the caller is in user mode, the buffer for
 * Length bytes at 2-byte alignment — and printed on the console and COM1
 * as ASCII, a character outside it as '?'. The user runtime's printf
 * (user/crt) is built on it.
 */
#include <ex.h>
#include <rtl.h>

#define EXP_DISPLAY_CHUNK   128     /* characters converted and printed at a time */

/* Copies the caller's UNICODE_STRING header: its statuses if it cannot be read. */
static NTSTATUS ExpCaptureUnicodeString(PUNICODE_STRING String, KPROCESSOR_MODE Mode, PUNICODE_STRING Captured)
{
    NTSTATUS Status;
    EX_TRY {
        if (Mode == UserMode)
            ProbeForRead(String, sizeof(UNICODE_STRING), sizeof(ULONG));
        *Captured = *String;
        if (Mode == UserMode)
            ProbeForRead(Captured->Buffer, Captured->Length, sizeof(WCHAR));
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

/* Converts Count characters from Source (a probed user or kernel buffer) into Text: the fault's status. */
static NTSTATUS ExpCopyChunk(char *Text, const WCHAR *Source, ULONG Count)
{
    NTSTATUS Status;
    EX_TRY {
        for (ULONG i = 0; i < Count; i++) {
            WCHAR c = Source[i];
            Text[i] = (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\r' || c == '\t' ? (char)c : '?';
        }
    } EX_EXCEPT(Status) {
        return Status;
    } EX_END;
    return STATUS_SUCCESS;
}

NTSTATUS NtDisplayString(PUNICODE_STRING String)
{
    UNICODE_STRING Captured;
    char Text[EXP_DISPLAY_CHUNK + 1];

    NTSTATUS Status = ExpCaptureUnicodeString(String, ExGetPreviousMode(), &Captured);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Captured.Length % sizeof(WCHAR))
        return STATUS_INVALID_PARAMETER;
    ULONG Characters = Captured.Length / sizeof(WCHAR);
    for (ULONG Done = 0; Done < Characters;) {
        ULONG Count = MIN(Characters - Done, (ULONG)EXP_DISPLAY_CHUNK);
        Status = ExpCopyChunk(Text, Captured.Buffer + Done, Count);
        if (!NT_SUCCESS(Status))
            return Status;
        Text[Count] = 0;
        DbgPrint("%s", Text);
        Done += Count;
    }
    return STATUS_SUCCESS;
}
