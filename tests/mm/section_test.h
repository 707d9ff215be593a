/*
 * tests/mm/section_test.h — what the section tests share: sections by
 * kernel handle, views in the current (attached) test process, boot files.
 *
 * Sections are made with OBJ_KERNEL_HANDLE: a test process (virtual_test.h)
 * has no handle table, and a kernel handle works from any process, so a
 * test creates a section, attaches to one process after another and maps
 * it into each with NtCurrentProcess(), as the services would be called
 * from inside them.
 */
#ifndef MM386_TESTS_SECTION_TEST_H
#define MM386_TESTS_SECTION_TEST_H

#include <io.h>
#include <ntexapi.h>
#include "virtual_test.h"
#include "../../mm/section.h"

/* ZwCreateSection with a kernel handle: the status, the handle in *Handle. */
static inline NTSTATUS TestCreateSection(HANDLE *Handle, ULONGLONG Size, ULONG Attributes, ULONG Protect,
                                         HANDLE File)
{
    OBJECT_ATTRIBUTES Object;
    LARGE_INTEGER Maximum = { .QuadPart = (LONGLONG)Size };
    InitializeObjectAttributes(&Object, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    *Handle = NULL;
    return ZwCreateSection(Handle, SECTION_ALL_ACCESS, &Object, &Maximum, Protect, Attributes, File);
}

/* ZwMapViewOfSection into the current process with the base, offset and size by value; results back. */
static inline NTSTATUS TestMapView(HANDLE Section, ULONG *Base, ULONG Offset, SIZE_T *Size, ULONG Protect)
{
    PVOID B = (PVOID)*Base;
    SIZE_T S = *Size;
    LARGE_INTEGER O = { .QuadPart = Offset };
    NTSTATUS Status = ZwMapViewOfSection(Section, NtCurrentProcess(), &B, 0, 0, &O, &S, ViewShare, 0, Protect);
    *Base = (ULONG)B;
    *Size = S;
    return Status;
}

static inline NTSTATUS TestUnmapView(ULONG Base)
{
    return ZwUnmapViewOfSection(NtCurrentProcess(), (PVOID)Base);
}

/* The frame Va maps in the current address space (0 if none). */
static inline PFN_NUMBER TestFrameOf(ULONG Va)
{
    return (PFN_NUMBER)(MmGetPhysicalAddress((PVOID)Va) >> PAGE_SHIFT);
}

/* The section object a kernel handle names (the test's own reference dropped at once: the handle keeps it). */
static inline PSECTION TestSectionObject(HANDLE Handle)
{
    PSECTION Section = NULL;
    if (NT_SUCCESS(ObReferenceObjectByHandle(Handle, 0, MmSectionObjectType, KernelMode, (PVOID *)&Section, NULL)))
        ObDereferenceObject(Section);
    return Section;
}

/* Opens \Boot\Name for reading and executing, as a kernel handle; the status. */
static inline NTSTATUS TestOpenBootFile(const char *Name, ACCESS_MASK Access, HANDLE *Handle)
{
    WCHAR Buffer[64];
    char Path[64];
    UNICODE_STRING String;
    OBJECT_ATTRIBUTES Object;
    IO_STATUS_BLOCK Io;
    ULONG n = 0;

    snprintf(Path, sizeof(Path), "\\Boot\\%s", Name);
    for (; Path[n] && n < ARRAY_SIZE(Buffer); n++)
        Buffer[n] = (UCHAR)Path[n];
    String.Buffer = Buffer;
    String.Length = String.MaximumLength = (USHORT)(n * sizeof(WCHAR));
    InitializeObjectAttributes(&Object, &String, OBJ_KERNEL_HANDLE, NULL, NULL);
    *Handle = NULL;
    return ZwOpenFile(Handle, Access, &Object, &Io, FILE_SHARE_READ, 0);
}

/* Whether a control area is still on MiControlAreaList (it is deleted when its last reference goes). */
static inline bool TestControlAreaExists(PCONTROL_AREA ControlArea)
{
    bool Found = false;
    ExAcquireFastMutex(&MiSectionMutex);
    for (PLIST_ENTRY Entry = MiControlAreaList.Flink; Entry != &MiControlAreaList; Entry = Entry->Flink)
        Found |= CONTAINING_RECORD(Entry, CONTROL_AREA, ControlAreaLinks) == ControlArea;
    ExReleaseFastMutex(&MiSectionMutex);
    return Found;
}

#endif
