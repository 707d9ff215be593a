/*
 * tests/ob/obtest.h — the object types the object manager's tests use, and
 * what their close and delete procedures saw.
 *
 * Types live for good (as in NT), so they are created once per boot, by
 * whichever test runs first (ObtInitialize); running the tests again from the
 * kd> prompt finds them made. Their rights copy the shape of NT's event:
 * two specific rights, the standard ones, SYNCHRONIZE.
 */
#ifndef MM386_TESTS_OBTEST_H
#define MM386_TESTS_OBTEST_H

#include <ktest.h>
#include <ob.h>
#include <ps.h>
#include "../../kernel/ob/obp.h"

#define OBT_QUERY       0x0001u
#define OBT_MODIFY      0x0002u
#define OBT_ALL_ACCESS  (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | OBT_QUERY | OBT_MODIFY)

#define OBT_TAG         MAKE_TAG('O', 'b', 'T', 'a')
#define OBT_OTHER_TAG   MAKE_TAG('O', 'b', 'T', 'b')
#define OBT_PAGED_TAG   MAKE_TAG('O', 'b', 'T', 'p')

typedef struct _OBT_BODY {
    ULONG Magic;
    ULONG Value;
    ULONG Spare[2];
} OBT_BODY;                     /* 0x10 bytes */

/*
 * ObtType ("ObTestA", nonpaged, 'ObTa'): counts its close and delete calls.
 * ObtOtherType ("ObTestB", nonpaged, 'ObTb'): no procedures, OBJ_INHERIT invalid.
 * ObtPagedType ("ObTestPaged", paged, 'ObTp'): counts its delete calls.
 */
extern POBJECT_TYPE ObtType, ObtOtherType, ObtPagedType;

/* What the procedures saw (reset by the tests that read them). */
extern volatile ULONG ObtDeleteCalls, ObtCloseCalls;
extern PVOID volatile ObtLastDeleted;
extern volatile ULONG ObtLastCloseHandleCount;
extern volatile ACCESS_MASK ObtLastCloseAccess;
extern PEPROCESS volatile ObtLastCloseProcess;
/* Called by ObtType's delete procedure when set: a death test's way to misbehave there. */
extern void (*volatile ObtDeleteHook)(PVOID Object);

void ObtInitialize(void);
/* The type named Name, created with Initializer if it does not exist yet. */
POBJECT_TYPE ObtEnsureType(PCSTR Name, const OBJECT_TYPE_INITIALIZER *Initializer);
/* An object of Type with an OBT_BODY and Attributes (no name): STATUS_SUCCESS or the failure. */
NTSTATUS ObtCreate(POBJECT_TYPE Type, ULONG Attributes, PVOID *Object);
/* ObtCreate + ObInsertObject with Access: the object (not referenced by the caller) and its handle. */
NTSTATUS ObtCreateHandle(POBJECT_TYPE Type, ULONG Attributes, ACCESS_MASK Access, PVOID *Object, PHANDLE Handle);
/* The granted access of Handle (from kernel mode), or 0xFFFFFFFF if it is not open. */
ACCESS_MASK ObtGrantedAccess(HANDLE Handle);
/* The handle attributes of Handle, or 0xFFFFFFFF if it is not open. */
ULONG ObtHandleAttributes(HANDLE Handle);
/* Bytes the pool tag table charges to Tag now (nonpaged + paged). */
SIZE_T ObtPoolBytes(ULONG Tag);
/* True if Text contains Needle. */
bool ObtContains(const char *Text, const char *Needle);

#endif
