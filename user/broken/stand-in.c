/*
 * user/broken/stand-in.c — the routines the stand-in DLLs export (see
 * images.c): never run, since no process maps these DLLs; they exist so the
 * linker can write the broken programs' import tables.
 */
#include <ntdll.h>

NTSTATUS NTAPI NtNoSuchService(void)
{
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NTAPI NtNoSuchOrdinal(void)
{
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NTAPI NoSuchRoutine(void)
{
    return STATUS_NOT_IMPLEMENTED;
}
