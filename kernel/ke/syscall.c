/*
 * kernel/ke/syscall.c — the system-service dispatcher: from a service
 * number and the caller's stack to the Nt routine.
 *
 * Both gates (kernel/ke/syscall.asm: int 2Eh, sysenter) arrive here with a
 * KTRAP_FRAME and a pointer to the caller's arguments. As NT's
 * KiSystemService: the number indexes one table (KiServiceTable, generated
 * with KiArgumentTable from kernel/ke/services.list by tools/gensvc.py, as
 * are the user runtime's stubs); a number past its end is
 * STATUS_INVALID_SYSTEM_SERVICE. The arguments are copied onto the kernel
 * stack — for a caller in ring 3 only after checking that they lie below
 * MmUserProbeAddress, and under a handler, so a bad stack pointer is
 * STATUS_ACCESS_VIOLATION, never a fault in the kernel. The thread's
 * PreviousMode becomes the caller's mode for the call (each service probes
 * what a UserMode caller passes; include/ex.h) and its TrapFrame the
 * frame, and both are put back after. The status goes back in the frame's
 * EAX.
 *
 * A service must return at PASSIVE_LEVEL with kernel APCs enabled; one
 * that does not is NT's IRQL_GT_ZERO_AT_SYSTEM_SERVICE (0x4A) or
 * APC_INDEX_MISMATCH (0x01), naming the service.
 *
 * KiInitializeSystemServices points the int 2Eh gate at KiSystemService,
 * and, when the processor has SEP, the SYSENTER MSRs at KiFastCallEntry
 * (the Pentium Pro's false SEP excepted, as Intel documents);
 * it writes into KUSER_SHARED_DATA the stub every user-mode service stub
 * calls (include/kusd.h): `mov edx, esp; sysenter` with the `ret` sysexit
 * returns to, or without SEP `lea edx, [esp+8]; int 2Eh; ret`.
 */
#include <ex.h>
#include <hal.h>
#include <kusd.h>
#include <mm.h>
#include <ob.h>
#include <ps.h>
#include <rtl.h>
#include "kernel/ke/ki.h"

#include "kiservices.h"         /* generated: the table */

#define KI_MAXIMUM_SERVICE_ARGUMENTS 16     /* tools/gensvc.py refuses more */

_Static_assert(offsetof(KTRAP_FRAME, ErrCode) == 0x34 && offsetof(KTRAP_FRAME, Eip) == 0x38 &&
               offsetof(KTRAP_FRAME, EFlags) == 0x40 && sizeof(KTRAP_FRAME) == 0x4C,
               "kernel/ke/syscall.asm's offsets into KTRAP_FRAME");

void KiSystemService(void);
void KiFastCallEntry(void);

BOOLEAN KiFastSystemCallEnabled;        /* the processor has SEP and the MSRs point at KiFastCallEntry */
static ULONG KiSysenterStack[512];      /* ESP until KiFastCallEntry loads the thread's: room for a #DB taken there */

typedef ULONG (*PKI_SERVICE0)(void);
typedef ULONG (*PKI_SERVICE_N)(ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG,
                               ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG, ULONG);

/*
 * Calls Service with Count arguments. The kernel's services are cdecl, so
 * the caller pops the arguments: passing all sixteen words is correct for
 * any count, and the words past Count are never read.
 */
static inline ULONG KiCallService(PVOID Service, const ULONG *A, ULONG Count)
{
    if (Count == 0)
        return ((PKI_SERVICE0)Service)();
    return ((PKI_SERVICE_N)Service)(A[0], A[1], A[2], A[3], A[4], A[5], A[6], A[7], A[8], A[9], A[10], A[11],
                                    A[12], A[13], A[14], A[15]);
}

/* Copies Count words of a user-mode caller's arguments: STATUS_ACCESS_VIOLATION if any lies outside the user range. */
static NTSTATUS KiCopyUserArguments(ULONG *To, const ULONG *From, ULONG Count)
{
    KFAULT_CATCHER Catcher;
    ULONG Bytes = Count * sizeof(ULONG);

    if ((ULONG)From > (ULONG)MmUserProbeAddress - Bytes)
        return STATUS_ACCESS_VIOLATION;
    if (!KeTryFault(&Catcher))
        return STATUS_ACCESS_VIOLATION;
    for (ULONG i = 0; i < Count; i++)
        To[i] = ((const volatile ULONG *)From)[i];
    KePopFaultCatcher(&Catcher);
    return STATUS_SUCCESS;
}

void KiSystemServiceDispatch(PKTRAP_FRAME TrapFrame, const ULONG *Arguments)
{
    ULONG Number = TrapFrame->Eax;
    PKTHREAD Thread = KeGetCurrentThread();
    KPROCESSOR_MODE Mode = KiTrapFromUserMode(TrapFrame) ? UserMode : KernelMode;
    ULONG Copied[KI_MAXIMUM_SERVICE_ARGUMENTS];

    KeGetCurrentPrcb()->KeSystemCalls++;
    if (Number >= KI_SERVICE_COUNT) {
        TrapFrame->Eax = (ULONG)STATUS_INVALID_SYSTEM_SERVICE;
        return;
    }
    ULONG Count = KiArgumentTable[Number];
    if (Count != 0) {
        if (Mode == UserMode) {
            NTSTATUS Status = KiCopyUserArguments(Copied, Arguments, Count);
            if (!NT_SUCCESS(Status)) {
                TrapFrame->Eax = (ULONG)Status;
                return;
            }
        } else {
            for (ULONG i = 0; i < Count; i++)
                Copied[i] = Arguments[i];
        }
    }

    KPROCESSOR_MODE PreviousMode = Thread->PreviousMode;
    PKTRAP_FRAME PreviousFrame = Thread->TrapFrame;
    Thread->PreviousMode = Mode;
    Thread->TrapFrame = TrapFrame;
    ULONG Result = KiCallService(KiServiceTable[Number], Copied, Count);
    Thread->PreviousMode = PreviousMode;
    Thread->TrapFrame = PreviousFrame;

    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        KeBugCheckEx(IRQL_GT_ZERO_AT_SYSTEM_SERVICE, (ULONG_PTR)KiServiceTable[Number], KeGetCurrentIrql(), 0, 0);
    if (Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0)
        KeBugCheckEx(APC_INDEX_MISMATCH, (ULONG_PTR)KiServiceTable[Number], Thread->ApcStateIndex,
                     Thread->KernelApcDisable, Thread->SpecialApcDisable);
    TrapFrame->Eax = Result;
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
