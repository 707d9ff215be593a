/*
 * tests/ob/bench.c — the object manager's benchmarks (make bench): guest
 * instructions per operation.
 *
 * handle_create_reference_close is the handle's life: ObInsertObject (a new
 * handle), ObReferenceObjectByHandle and the matching ObDereferenceObject,
 * NtClose. ObCreateObject is outside the loop: ObInsertObject takes only a
 * new object, so the 10,000 objects are created before the clock starts,
 * each inserted with ObjectPointerBias 1 so that its NtClose is not its last
 * reference (the objects are deleted after the clock stops). 32 handles are
 * open at a time and each iteration closes the oldest, so the table sees a
 * rotating set of entries and objects, not one slot bounced.
 *
 * object_create_insert_reference_close is the whole object's life inside
 * the loop: the same plus ObCreateObject (a pool allocation) and the delete
 * (a pool free) that the last NtClose brings.
 *
 * handle_reference_by_handle is ObReferenceObjectByHandle + ObDereferenceObject
 * alone, round-robin over 32 handles.
 */
#include "obtest.h"
#include <hal.h>

#define OBT_BENCH_LIVE  32
#define OBT_BENCH_TAG   MAKE_TAG('B', 'n', 'c', 'h')

KBENCH(handle_create_reference_close)
{
    const ULONG Count = 10000;
    HANDLE Live[OBT_BENCH_LIVE];
    PVOID Found;

    ObtInitialize();
    PVOID *Objects = ExAllocatePoolWithTag(NonPagedPool, (Count + OBT_BENCH_LIVE) * sizeof(PVOID), OBT_BENCH_TAG);
    if (!Objects)
        return;
    for (ULONG i = 0; i < Count + OBT_BENCH_LIVE; i++)
        ObCreateObject(KernelMode, ObtOtherType, NULL, KernelMode, NULL, sizeof(OBT_BODY), 0, 0, &Objects[i]);
    for (ULONG i = 0; i < OBT_BENCH_LIVE; i++)
        ObInsertObject(Objects[Count + i], NULL, OBT_QUERY, 1, NULL, &Live[i]);

    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        HANDLE *Slot = &Live[i % OBT_BENCH_LIVE];
        NtClose(*Slot);
        ObInsertObject(Objects[i], NULL, OBT_QUERY, 1, NULL, Slot);
        ObReferenceObjectByHandle(*Slot, OBT_QUERY, ObtOtherType, KernelMode, &Found, NULL);
        ObDereferenceObject(Found);
    }
    KbenchStop(b);

    for (ULONG i = 0; i < OBT_BENCH_LIVE; i++)
        NtClose(Live[i]);
    for (ULONG i = 0; i < Count + OBT_BENCH_LIVE; i++)
        ObDereferenceObject(Objects[i]);
    ExFreePoolWithTag(Objects, OBT_BENCH_TAG);
    KbenchReport(b, "handle_create_reference_close", Count);
}

KBENCH(object_create_insert_reference_close)
{
    const ULONG Count = 10000;
    HANDLE Live[OBT_BENCH_LIVE];
    PVOID Object, Found;

    ObtInitialize();
    for (ULONG i = 0; i < OBT_BENCH_LIVE; i++)
        ObtCreateHandle(ObtOtherType, 0, OBT_ALL_ACCESS, &Object, &Live[i]);
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        HANDLE *Slot = &Live[i % OBT_BENCH_LIVE];
        NtClose(*Slot);
        ObCreateObject(KernelMode, ObtOtherType, NULL, KernelMode, NULL, sizeof(OBT_BODY), 0, 0, &Object);
        ObInsertObject(Object, NULL, OBT_QUERY, 0, NULL, Slot);
        ObReferenceObjectByHandle(*Slot, OBT_QUERY, ObtOtherType, KernelMode, &Found, NULL);
        ObDereferenceObject(Found);
    }
    KbenchStop(b);
    for (ULONG i = 0; i < OBT_BENCH_LIVE; i++)
        NtClose(Live[i]);
    KbenchReport(b, "object_create_insert_reference_close", Count);
}

KBENCH(handle_reference_by_handle)
{
    const ULONG Count = 20000;
    HANDLE Live[OBT_BENCH_LIVE];
    PVOID Object, Found;

    ObtInitialize();
    for (ULONG i = 0; i < OBT_BENCH_LIVE; i++)
        ObtCreateHandle(ObtOtherType, 0, OBT_ALL_ACCESS, &Object, &Live[i]);
    KbenchStart(b);
    for (ULONG i = 0; i < Count; i++) {
        ObReferenceObjectByHandle(Live[i % OBT_BENCH_LIVE], OBT_QUERY, ObtOtherType, KernelMode, &Found, NULL);
        ObDereferenceObject(Found);
    }
    KbenchStop(b);
    for (ULONG i = 0; i < OBT_BENCH_LIVE; i++)
        NtClose(Live[i]);
    KbenchReport(b, "handle_reference_by_handle", Count);
}
