/*
 * user/programs/probe.c — touch one address from ring 3 and say what happened.
 *
 *     start probe.exe read ADDRESS       (hex)
 *     start probe.exe write ADDRESS
 *
 * It reads (or writes) one 32-bit word at ADDRESS inside RTL_TRY and prints
 * the outcome: the value read, or the exception NT raised — for a system
 * address always STATUS_ACCESS_VIOLATION, whatever lives there. Its exit
 * status is the exception's code (0 when the access worked), which is how
 * the isolation tests (tests/kernel/isolation.c) read the verdict.
 */
#include <ntdll.h>

static ULONG ParseHex(const char *Text)
{
    ULONG Value = 0;
    if (Text[0] == '0' && (Text[1] == 'x' || Text[1] == 'X'))
        Text += 2;
    for (; *Text; Text++)
        Value = Value * 16 + (ULONG)(*Text <= '9' ? *Text - '0' : (*Text | 0x20) - 'a' + 10);
    return Value;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "write") != 0)) {
        printf("usage: probe.exe read|write ADDRESS\n");
        return (int)STATUS_INVALID_PARAMETER;
    }
    volatile ULONG *volatile Address = (volatile ULONG *)ParseHex(argv[2]);
    bool Write = argv[1][0] == 'w';
    volatile NTSTATUS Code = STATUS_SUCCESS;
    ULONG Value = 0;
    RTL_TRY {
        if (Write)
            *Address = 0x50524F42;      /* "PROB" */
        else
            Value = *Address;
    } RTL_EXCEPT(Code) {
    } RTL_END;
    if (Code == STATUS_SUCCESS)
        printf("probe: %s %p: %s%08x\n", argv[1], (PVOID)Address, Write ? "wrote " : "read ", Write ? 0x50524F42 : Value);
    else
        printf("probe: %s %p: %s (0x%08x)\n", argv[1], (PVOID)Address, RtlNtStatusName(Code), (ULONG)Code);
    return (int)Code;
}
