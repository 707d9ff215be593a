/*
 * mm/mdllock.c — MmProbeAndLockPages and MmUnlockPages: pinning a buffer's pages.
 *
 * Before a driver hands a buffer to a device, or maps it elsewhere, it
 * locks it: NT makes every page of the buffer resident and takes a
 * reference on each in its PFN entry, so the page cannot be freed or
 * reused while the lock is held, even if the buffer's owner frees the
 * memory meanwhile (the page is then let go at the unlock). The MDL
 * records each page's frame and, for a user buffer, the process (whose
 * NumberOfLockedPages counts them; a process torn down with pages still
 * locked is NT's PROCESS_HAS_LOCKED_PAGES, 0x76).
 *
 * mm386 does it in two steps, NT's: first every page is touched under a
 * handler — read, or written back with its own value for an operation that
 * writes — which brings demand-zero pages in and turns a bad buffer into
 * the fault's status; then, under the working set mutex and the PFN lock,
 * each page's valid PTE gives its frame and the frame gets a lock reference
 * (MiReferenceUsedPageAndBumpLockCount, mm/pfn.c: a page whose PTE is deleted
 * while it is locked stays allocated until the last unlock). A page that is not RAM (device memory) is recorded
 * but not referenced, and the MDL says MDL_IO_SPACE. If anything fails,
 * the pages already referenced are released and the status is raised.
 */
#include "virtual.h"

/* Touches the first byte of Pages pages from Va (writing it back if Write): the fault's status, or success. */
static NTSTATUS MiProbePages(ULONG Va, ULONG Pages, bool Write)
{
    NTSTATUS Status;
    EX_TRY {
        for (ULONG i = 0; i < Pages; i++) {
            volatile UCHAR *Byte = (volatile UCHAR *)(Va + i * PAGE_SIZE);
            if (Write)
                *Byte = *Byte;
            else
                (void)*Byte;
        }
        Status = STATUS_SUCCESS;
    } EX_EXCEPT(Status) {
    } EX_END;
    return Status;
}

/* The frame mapping Va now (writable, if Write), or MI_NO_PAGE. */
static PFN_NUMBER MiLockableFrame(ULONG Va, bool Write)
{
    MMPTE Pde = MiReadPte(MiAddressToPde(Va));
    if (!Pde.u.Hard.Valid)
        return MI_NO_PAGE;
    if (Pde.u.Hard.LargePage)
        return Pde.u.Hard.PageFrameNumber + MiGetPteOffset(Va);
    MMPTE Pte = MiReadPte(MiAddressToPte(Va));
    if (!Pte.u.Hard.Valid || (Write && !Pte.u.Hard.Write))
        return MI_NO_PAGE;
    return Pte.u.Hard.PageFrameNumber;
}

/* Drops the lock references of the first Count frames. PFN lock held. */
static void MiReleaseLockedFrames(const PFN_NUMBER *Frames, ULONG Count)
{
    for (ULONG i = 0; i < Count; i++) {
        if (MiIsPhysicalPage(Frames[i]))
            MiDereferencePfnAndDropLockCount(Frames[i]);
    }
}

VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)
{
    PMDL Mdl = MemoryDescriptorList;
    ULONG Start = (ULONG)MmGetMdlVirtualAddress(Mdl), End = Start + Mdl->ByteCount;
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(Start, Mdl->ByteCount);
    PPFN_NUMBER Frames = MmGetMdlPfnArray(Mdl);
    bool Write = Operation != IoReadAccess, IoSpace = false;
    KIRQL OldIrql;

    ASSERT(!(Mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL |
                              MDL_PARTIAL | MDL_IO_SPACE)));
    /* A user-mode caller's buffer must lie below MmUserProbeAddress, and not be empty or wrap (NT's test). */
    if (AccessMode != KernelMode && (End > (ULONG)MmUserProbeAddress || Start >= End))
        ExRaiseStatus(STATUS_ACCESS_VIOLATION);
    NTSTATUS Status = MiProbePages((ULONG)Mdl->StartVa, Pages, Write);
    if (!NT_SUCCESS(Status))
        ExRaiseStatus(Status);

    PEPROCESS Process = Start < (ULONG)MmSystemRangeStart ? MiGetCurrentProcess() : NULL;
    if (Process)
        MiLockWorkingSet(Process);
    LOCK_PFN(OldIrql);
    ULONG Locked;
    for (Locked = 0; Locked < Pages; Locked++) {
        PFN_NUMBER Pfn = MiLockableFrame((ULONG)Mdl->StartVa + Locked * PAGE_SIZE, Write);
        if (Pfn == MI_NO_PAGE)
            break;
        Frames[Locked] = Pfn;
        if (MiIsPhysicalPage(Pfn))
            MiReferenceUsedPageAndBumpLockCount(Pfn);
        else
            IoSpace = true;
    }
    if (Locked < Pages)
        MiReleaseLockedFrames(Frames, Locked);
    UNLOCK_PFN(OldIrql);
    if (Process)
        MiUnlockWorkingSet(Process);
    if (Locked < Pages)
        ExRaiseStatus(STATUS_ACCESS_VIOLATION);     /* a page went away between the probe and the lock */

    Mdl->Process = Process;
    if (Process)
        Process->NumberOfLockedPages += Pages;
    Mdl->MdlFlags |= MDL_PAGES_LOCKED | (Write ? MDL_WRITE_OPERATION : 0) | (IoSpace ? MDL_IO_SPACE : 0);
}

VOID MmUnlockPages(PMDL MemoryDescriptorList)
{
    PMDL Mdl = MemoryDescriptorList;
    ULONG Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
    KIRQL OldIrql;

    if (!(Mdl->MdlFlags & MDL_PAGES_LOCKED))
        KeBugCheckEx(MEMORY_MANAGEMENT, MM_BUGCHECK_UNLOCK_NOT_LOCKED, (ULONG_PTR)Mdl, Mdl->MdlFlags, 0);
    if (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        MmUnmapLockedPages(Mdl->MappedSystemVa, Mdl);
    LOCK_PFN(OldIrql);
    MiReleaseLockedFrames(MmGetMdlPfnArray(Mdl), Pages);
    UNLOCK_PFN(OldIrql);
    if (Mdl->Process)
        Mdl->Process->NumberOfLockedPages -= Pages;
    Mdl->Process = NULL;
    Mdl->MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_WRITE_OPERATION | MDL_IO_SPACE);
}
