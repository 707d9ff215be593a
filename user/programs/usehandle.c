/*
 * user/programs/usehandle.c — use a handle value that belongs to someone else.
 *
 *     start usehandle.exe VALUE       (hex)
 *
 * It sets the event VALUE names in its own handle table and exits with the
 * status NtSetEvent returned. A handle is an index into one process's
 * table: a value that is valid in the process that passed it here names
 * nothing in this one (STATUS_INVALID_HANDLE), and a kernel handle's value
 * (0x8000xxxx) names nothing from ring 3.
 */
#include <ntdll.h>

int main(int argc, char **argv)
{
    ULONG Value = 0;
    if (argc != 2)
        return (int)STATUS_INVALID_PARAMETER;
    for (const char *p = argv[1]; *p; p++)
        Value = Value * 16 + (ULONG)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
    return (int)NtSetEvent((HANDLE)Value, NULL);
}
