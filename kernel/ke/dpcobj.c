/*
 * kernel/ke/dpcobj.c — deferred procedure calls.
 *
 * A DPC is work an interrupt (or anything above DISPATCH_LEVEL) leaves for
 * later: the routine runs at DISPATCH_LEVEL, once the IRQL has fallen below
 * it, before any thread switch. KeInsertQueueDpc puts the KDPC on the
 * processor's DPC queue (the KPRCB's DpcListHead; at the head for
 * HighImportance) unless it is queued already, and requests the dispatch
 * software interrupt; KiDispatchInterrupt (or the idle loop) then calls
 * KiRetireDpcList, which runs the queue dry. The queue is touched with
 * interrupts disabled, since interrupts queue DPCs; on several processors
 * each KPRCB's DpcLock would join that, with DpcData naming the queue.
 */
#include <hal.h>
#include "kernel/ke/ki.h"

void KeInitializeDpc(PKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    Dpc->Type = DpcObject;
    Dpc->Importance = MediumImportance;
    Dpc->Number = 0;
    Dpc->Expedite = 0;
    Dpc->DeferredRoutine = DeferredRoutine;
    Dpc->DeferredContext = DeferredContext;
    Dpc->DpcData = NULL;
}

void KeSetImportanceDpc(PKDPC Dpc, KDPC_IMPORTANCE Importance)
{
    Dpc->Importance = (UCHAR)Importance;
}

BOOLEAN KeInsertQueueDpc(PKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)
{
    PKPRCB Prcb = KeGetCurrentPrcb();
    bool Enabled = HalSaveAndDisableInterrupts();

    if (Dpc->DpcData != NULL) {
        HalRestoreInterrupts(Enabled);
        return FALSE;
    }
    Dpc->SystemArgument1 = SystemArgument1;
    Dpc->SystemArgument2 = SystemArgument2;
    Dpc->DpcData = Prcb;
    if (Dpc->Importance == HighImportance)
        InsertHeadList(&Prcb->DpcListHead, &Dpc->DpcListEntry);
    else
        InsertTailList(&Prcb->DpcListHead, &Dpc->DpcListEntry);
    Prcb->DpcQueueDepth++;
    HalRestoreInterrupts(Enabled);
    HalRequestSoftwareInterrupt(DISPATCH_LEVEL);
    return TRUE;
}

BOOLEAN KeRemoveQueueDpc(PKDPC Dpc)
{
    PKPRCB Prcb = KeGetCurrentPrcb();
    bool Enabled = HalSaveAndDisableInterrupts();
    BOOLEAN Queued = Dpc->DpcData != NULL;
    if (Queued) {
        RemoveEntryList(&Dpc->DpcListEntry);
        Prcb->DpcQueueDepth--;
        Dpc->DpcData = NULL;
    }
    HalRestoreInterrupts(Enabled);
    return Queued;
}

void KiRetireDpcList(PKPRCB Prcb)
{
    for (;;) {
        HalDisableInterrupts();
        if (IsListEmpty(&Prcb->DpcListHead)) {
            HalEnableInterrupts();
            return;
        }
        PKDPC Dpc = CONTAINING_RECORD(RemoveHeadList(&Prcb->DpcListHead), KDPC, DpcListEntry);
        PKDEFERRED_ROUTINE Routine = Dpc->DeferredRoutine;
        PVOID Context = Dpc->DeferredContext, Argument1 = Dpc->SystemArgument1, Argument2 = Dpc->SystemArgument2;
        Prcb->DpcQueueDepth--;
        Dpc->DpcData = NULL;
        HalEnableInterrupts();

        Prcb->DpcRoutineActive = TRUE;
        Prcb->DpcCount++;
        Routine(Dpc, Context, Argument1, Argument2);
        Prcb->DpcRoutineActive = FALSE;
        if (KeGetCurrentIrql() != DISPATCH_LEVEL)
            KeBugCheckEx(IRQL_NOT_GREATER_OR_EQUAL, KeGetCurrentIrql(), DISPATCH_LEVEL, (ULONG_PTR)Routine, 0);
    }
}
