/*
 * mm/shareddata.c — KUSER_SHARED_DATA: the page every process can read.
 *
 * NT's memory manager makes one physical page at boot and maps it twice
 * (include/kusd.h): at KI_USER_SHARED_DATA (0xFFDF0000), in the HAL's
 * region, read/write and global for the kernel — the clock writes the time
 * there every tick (kernel/ke/clock.c) — and in every process at
 * MM_SHARED_USER_DATA_VA (0x7FFE0000), read-only, user-accessible, never
 * global (it is part of each process's own page tables). The user mapping
 * belongs to no VAD: on the default split it lies in the 64 KB no VAD may
 * use below MmUserProbeAddress, and a query of it reports what NT reports,
 * a committed read-only page (mm/queryvm.c).
 *
 * The process's PTE counts in its page table's used-PTE count (so the page
 * table stays while the page is mapped) but takes no PFN share: like an
 * MDL's pages mapped into a process, the page is the kernel's, not the
 * process's, and no working set counts it.
 */
#include <kusd.h>
#include <ps.h>
#include "mi.h"
#include "vad.h"
#include "virtual.h"

PFN_NUMBER MmSharedUserDataPfn;

void MiInitializeSharedUserData(void)
{
    uint32_t Cpuid[4];

    MmSharedUserDataPfn = MiMapNewSystemPage((PVOID)KI_USER_SHARED_DATA);
    if (MmSharedUserDataPfn == MI_NO_PAGE)
        KeBugCheckEx(PHASE1_INITIALIZATION_FAILED, STATUS_NO_MEMORY, KI_USER_SHARED_DATA, 0, 0);
    memset(SharedUserData, 0, PAGE_SIZE);
    SharedUserData->TickCountMultiplier = (1000 / HAL_CLOCK_HZ) << 24;
    SharedUserData->ImageNumberLow = SharedUserData->ImageNumberHigh = 0x014C;      /* IMAGE_FILE_MACHINE_I386 */
    SharedUserData->NtProductType = 1;                                              /* NtProductWinNt */
    SharedUserData->ProductTypeIsValid = TRUE;
    SharedUserData->NtMajorVersion = 5;
    SharedUserData->NtMinorVersion = 2;
    SharedUserData->NumberOfPhysicalPages = MmPhysicalMemoryBlock.NumberOfPages;
    SharedUserData->MaxStackTraceDepth = 0;
    HalCpuid(1, Cpuid);
    SharedUserData->ProcessorFeatures[2] = (Cpuid[3] & CPUID1_EDX_CX8) != 0;       /* PF_COMPARE_EXCHANGE_DOUBLE */
    SharedUserData->ProcessorFeatures[8] = (Cpuid[3] & CPUID1_EDX_TSC) != 0;       /* PF_RDTSC_INSTRUCTION_AVAILABLE */
}

/* A large-address-aware process's VAD over the shared page's 64 KB, so nothing else is placed there. */
static NTSTATUS MiReserveSharedUserData(PEPROCESS Process)
{
    const ULONG Start = MM_SHARED_USER_DATA_VA, End = MM_SHARED_USER_DATA_VA + MM_ALLOCATION_GRANULARITY - 1;
    PMMVAD Vad = MiAllocateVad(false);
    NTSTATUS Status = STATUS_SUCCESS;

    if (!Vad)
        return STATUS_INSUFFICIENT_RESOURCES;
    MiLockAddressSpace(Process);
    if (MiCheckForConflictingVad((PVOID)Start, (PVOID)End, Process))
        Status = STATUS_CONFLICTING_ADDRESSES;
    else if (!MiChargeVadCommitment(Process, Start, End, 0))
        Status = STATUS_COMMITMENT_LIMIT;
    if (NT_SUCCESS(Status)) {
        Vad->StartingVpn = MI_VA_TO_VPN(Start);
        Vad->EndingVpn = MI_VA_TO_VPN(End);
        Vad->u.VadFlags.Protection = MM_READONLY;
        Vad->u.VadFlags.PrivateMemory = 1;
        Vad->u.VadFlags.NoChange = 1;
        Vad->u.VadFlags.VadType = VadDevicePhysicalMemory;
        MiLockWorkingSet(Process);
        MiInsertVad(Vad, Process);
        MiUnlockWorkingSet(Process);
        Process->VirtualSize += MM_ALLOCATION_GRANULARITY;
    }
    MiUnlockAddressSpace(Process);
    if (!NT_SUCCESS(Status))
        MiFreeVad(Vad);
    return Status;
}

NTSTATUS MmMapSharedUserData(PEPROCESS Process)
{
    KAPC_STATE ApcState;
    NTSTATUS Status = STATUS_SUCCESS;

    KeStackAttachProcess(&Process->Pcb, &ApcState);
    if (MiHighestVadAddress(Process) >= MM_SHARED_USER_DATA_VA && !Process->SharedUserDataMapped) {
        Status = MiReserveSharedUserData(Process);
        if (!NT_SUCCESS(Status)) {
            KeUnstackDetachProcess(&ApcState);
            return Status;
        }
    }
    MiLockWorkingSet(Process);
    if (!Process->SharedUserDataMapped) {
        if (MiMakeUserPageTable(Process, MM_SHARED_USER_DATA_VA)) {
            MiWritePte(MiAddressToPte(MM_SHARED_USER_DATA_VA),
                       MiMakeValidPte(MmSharedUserDataPfn, PTE_VALID | PTE_OWNER | PTE_ACCESSED));
            MiAdjustUsedPtes(Process, MM_SHARED_USER_DATA_VA, 1);
            Process->SharedUserDataMapped = TRUE;
        } else {
            Status = STATUS_NO_MEMORY;
        }
    }
    MiUnlockWorkingSet(Process);
    KeUnstackDetachProcess(&ApcState);
    return Status;
}

void MiUnmapSharedUserData(PEPROCESS Process)
{
    /* Under its own VAD (a large-address-aware process) the page went with the VADs already. */
    if (!Process->SharedUserDataMapped || !MiReadPte(MiAddressToPde(MM_SHARED_USER_DATA_VA)).u.Hard.Valid ||
        !MiReadPte(MiAddressToPte(MM_SHARED_USER_DATA_VA)).u.Hard.Valid) {
        Process->SharedUserDataMapped = FALSE;
        return;
    }
    MiWritePte(MiAddressToPte(MM_SHARED_USER_DATA_VA), (MMPTE){ .u.Long = 0 });
    HalInvalidatePage((PVOID)MM_SHARED_USER_DATA_VA);
    Process->SharedUserDataMapped = FALSE;
    MiAdjustUsedPtes(Process, MM_SHARED_USER_DATA_VA, -1);
}
