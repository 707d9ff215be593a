/*
 * user/broken/images.c — programs that must not start: each imports what
 * ntdll.dll cannot give, so NT's loader (user/ntdll/ldr.c) ends it before
 * its first instruction with the status NT gives.
 *
 *   missingimport.exe    imports NtNoSuchService from ntdll.dll:
 *                        STATUS_ENTRYPOINT_NOT_FOUND
 *   missingordinal.exe   imports ordinal 999 of ntdll.dll:
 *                        STATUS_ORDINAL_NOT_FOUND
 *   missingdll.exe       imports NoSuchRoutine from nosuch.dll, a DLL no
 *                        process has: STATUS_DLL_NOT_FOUND
 *
 * Each is this file compiled with one of the three BROKEN_* macros and
 * linked against a stand-in DLL (user/broken/ntdll.def or nosuch.def, built by the Makefile
 * and never carried as a boot module) that exports the missing routine, as
 * a program built against a newer ntdll would import it. Were the loader
 * to let one start, the call through its unresolved import would fault:
 * an access violation, not the status the tests expect.
 */
#include <ntdll.h>

#if defined(BROKEN_IMPORT)
NTSTATUS NTAPI NtNoSuchService(void);
#define BROKEN_CALL NtNoSuchService
#elif defined(BROKEN_ORDINAL)
NTSTATUS NTAPI NtNoSuchOrdinal(void);
#define BROKEN_CALL NtNoSuchOrdinal
#elif defined(BROKEN_DLL)
NTSTATUS NTAPI NoSuchRoutine(void);
#define BROKEN_CALL NoSuchRoutine
#else
#error "one of BROKEN_IMPORT, BROKEN_ORDINAL, BROKEN_DLL"
#endif

NORETURN void NtProcessStartup(PPEB Peb)
{
    BROKEN_CALL();
    for (;;)
        ;
}
