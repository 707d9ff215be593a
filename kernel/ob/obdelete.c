/*
 * kernel/ob/obdelete.c — how an object dies (NT's obdelete.c).
 *
 * When ObDereferenceObject takes the pointer count to zero, nobody can reach
 * the object any more: no handle names it (the handle count is zero, or the
 * dereference bugchecks) and no pointer is counted. ObpRemoveObjectRoutine
 * then calls the type's delete procedure, once, so the owner can release
 * what the body holds (a thread its stack, a section its segment), counts the
 * object out of its type and frees the block with the type's tag.
 *
 * A delete procedure may block, touch paged pool and free pool, so it runs
 * at PASSIVE_LEVEL. A last reference dropped at APC_LEVEL or DISPATCH_LEVEL
 * (the dispatcher letting go of a terminated thread, code holding a fast
 * mutex) instead puts the header on a queue, linked through NextToFree,
 * which overlays the handle count that is zero by now; the push is lock-free,
 * so it works at any IRQL. NT gives the queue to a worker thread. mm386 has
 * none yet: the next ObDereferenceObject at PASSIVE_LEVEL empties it, as
 * does the leak guard between tests; ObpProcessRemoveObjectQueue is there
 * for a worker thread to call.
 */
#include "obp.h"

POBJECT_HEADER volatile ObpRemoveObjectList;

void ObpRemoveObjectRoutine(POBJECT_HEADER Header)
{
    POBJECT_TYPE Type = Header->Type;
    if (Type->TypeInfo.DeleteProcedure)
        Type->TypeInfo.DeleteProcedure(OBJECT_HEADER_TO_OBJECT(Header));
    __atomic_sub_fetch(&Type->TotalNumberOfObjects, 1, __ATOMIC_RELAXED);
    ExFreePoolWithTag(Header, Type->Key);
}

void ObpDeferObjectDeletion(POBJECT_HEADER Header)
{
    POBJECT_HEADER First = ObpRemoveObjectList;
    do {
        Header->NextToFree = First;
    } while (!__atomic_compare_exchange_n(&ObpRemoveObjectList, &First, Header, false, __ATOMIC_RELEASE,
                                          __ATOMIC_RELAXED));
}

void ObpProcessRemoveObjectQueue(void)
{
    ASSERT(KeGetCurrentIrql() == PASSIVE_LEVEL);
    /* Taking the whole chain in one exchange leaves nothing for a second drainer to see twice. */
    POBJECT_HEADER Header = __atomic_exchange_n(&ObpRemoveObjectList, NULL, __ATOMIC_ACQUIRE);
    while (Header) {
        POBJECT_HEADER Next = Header->NextToFree;
        Header->NextToFree = NULL;              /* the handle count again, and zero */
        ObpRemoveObjectRoutine(Header);
        Header = Next;
    }
}
