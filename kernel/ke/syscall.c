/*
 * kernel/ke/syscall.c — the system-service table and the gates' set-up.
 *
 * The dispatch itself is kernel/ke/syscall.asm's (an argument count known
 * only at run time has to be copied onto the stack of the call, which C
 * cannot write); this file holds what it indexes — KiServiceTable,
 * KiArgumentTable and KiServiceLimit, generated from kernel/ke/services.list
 * by tools/gensvc.py as the user runtime's stubs are — the offsets the
 * assembly uses, pinned, and its verdict on a service that returns above
 * PASSIVE_LEVEL or with kernel APCs disabled (NT's
 * IRQL_GT_ZERO_AT_SYSTEM_SERVICE, 0x4A, or APC_INDEX_MISMATCH, 0x01, naming
 * the service).
 *
 * KiInitializeSystemServices points the int 2Eh gate at KiSystemService,
 * and, when the processor has SEP, the SYSENTER MSRs at KiFastCallEntry
 * (the Pentium Pro's false SEP excepted, as Intel documents);
 * it writes into KUSER_SHARED_DATA the code every ntdll service entry
 * calls (include/kusd.h): `mov edx, esp; sysenter` with the `ret` sysexit
 * returns to, or without SEP `lea edx, [esp+8]; int 2Eh; ret`.
 */
#include <ex.h>
#include <hal.h>
#include <io.h>
#include <kusd.h>
#include <mm.h>
#include <ntexapi.h>
#include <ob.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

#include "kiservices.h"         /* generated: the table */

_Static_assert(offsetof(KTRAP_FRAME, Eax) == 0x2C && offsetof(KTRAP_FRAME, ErrCode) == 0x34 &&
               offsetof(KTRAP_FRAME, Eip) == 0x38 && offsetof(KTRAP_FRAME, SegCs) == 0x3C &&
               offsetof(KTRAP_FRAME, EFlags) == 0x40 && sizeof(KTRAP_FRAME) == 0x4C,
               "kernel/ke/syscall.asm's offsets into KTRAP_FRAME");
_Static_assert(offsetof(KPCR, Irql) == 0x24 && offsetof(KPCR, PrcbData.CurrentThread) == 0x124 &&
               offsetof(KPCR, PrcbData.KeSystemCalls) == 0x268 && offsetof(KPCR, TSS) == 0x40,
               "kernel/ke/syscall.asm's offsets into KPCR");
_Static_assert(offsetof(KTHREAD, PreviousMode) == 0x2C && offsetof(KTHREAD, TrapFrame) == 0x10C &&
               offsetof(KTHREAD, ApcState.UserApcPending) == 0xEA &&
               offsetof(KTHREAD, KernelApcDisable) == 0x32 && offsetof(KTHREAD, SpecialApcDisable) == 0x34,
               "kernel/ke/syscall.asm's offsets into KTHREAD");

void KiSystemService(void);
void KiFastCallEntry(void);

BOOLEAN KiFastSystemCallEnabled;        /* the processor has SEP and the MSRs point at KiFastCallEntry */
static ULONG KiSysenterStack[512];      /* ESP until KiFastCallEntry loads the thread's: room for a #DB taken there */

/*
 * A service returned above PASSIVE_LEVEL or with kernel APCs still
 * disabled (kernel/ke/syscall.asm): NT's IRQL_GT_ZERO_AT_SYSTEM_SERVICE
 * (0x4A: the routine, the IRQL) or APC_INDEX_MISMATCH (0x01: the routine,
 * the APC environment, the two disable counts).
 */
NORETURN void KiServiceMisbehaved(PVOID Routine)
{
    PKTHREAD Thread = KeGetCurrentThread();
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        KeBugCheckEx(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, (ULONG_PTR)Routine, KeGetCurrentIrql(), 0, 0);
    KeBugCheckEx(APC_INDEX_MISMATCH, (ULONG_PTR)Routine, Thread->ApcStateIndex, Thread->KernelApcDisable,
                 Thread->SpecialApcDisable);
}

const char *KiServiceName(ULONG Number)
{
    return Number < KI_SERVICE_COUNT ? KiServiceNames[Number] : NULL;
}

/* NT 6's NtGetCurrentProcessorNumber: the number of the processor running the caller. mm386 has one. */
ULONG NtGetCurrentProcessorNumber(void)
{
    return KeGetCurrentPrcb()->Number;
}

void KiInitializeSystemServices(void)
{
    static const UCHAR SysenterStub[] = {
        0x8B, 0xD4,                     /* 0x300: mov edx, esp */
        0x0F, 0x34,                     /* 0x302: sysenter */
        0xC3,                           /* 0x304: ret (SystemCallReturn) */
    };
    static const UCHAR InterruptStub[] = {
        0x8D, 0x54, 0x24, 0x08,         /* 0x300: lea edx, [esp+8] */
        0xCD, 0x2E,                     /* 0x304: int 2Eh */
        0xC3,                           /* 0x306: ret */
    };
    uint32_t Cpuid[4];

    /* No floating point in ring 3 yet: an x87 instruction traps (#NM), an SSE one is invalid (#UD). */
    HalWriteCr0(HalReadCr0() | CR0_EM | CR0_MP);
    HalSetUserGate(VECTOR_SYSTEM_SERVICE, KiSystemService);
    HalCpuid(1, Cpuid);
    /* The Pentium Pro reports SEP without having it (family 6, model < 3), as Intel documents. */
    KiFastSystemCallEnabled = (Cpuid[3] & CPUID1_EDX_SEP) && !(((Cpuid[0] >> 8) & 0xF) == 6 &&
                                                               ((Cpuid[0] >> 4) & 0xF) < 3);
    if (KiFastSystemCallEnabled) {
        HalWriteMsr(MSR_SYSENTER_CS, KGDT_R0_CODE);
        HalWriteMsr(MSR_SYSENTER_ESP, (ULONG)&KiSysenterStack[ARRAY_SIZE(KiSysenterStack)]);
        HalWriteMsr(MSR_SYSENTER_EIP, (ULONG)KiFastCallEntry);
        memcpy(SharedUserData->SystemCall, SysenterStub, sizeof(SysenterStub));
    } else {
        memcpy(SharedUserData->SystemCall, InterruptStub, sizeof(InterruptStub));
    }
    KiUserSharedData = SharedUserData;
}
