/*
 * include/io.h — the I/O manager's part of mm386: the boot modules as files.
 *
 * mm386 has no disks and no drivers' stack; its files are the boot modules
 * (kernel/io/bootfile.c), named \Boot\NAME, read-only. NtOpenFile gives a
 * handle to one as a File object (kernel/io/iofile.c), which is what
 * NtCreateSection takes to make a file-backed section.
 */
#ifndef MM386_IO_H
#define MM386_IO_H

#include <ntbasic.h>
#include <ntstatus.h>
#include <ob.h>

/*
 * The boot module Path names (\Boot\NAME, case-insensitive): its bytes,
 * read-only, and their count. STATUS_OBJECT_PATH_SYNTAX_BAD (not an
 * absolute path), STATUS_OBJECT_PATH_NOT_FOUND (not under \Boot),
 * STATUS_OBJECT_NAME_INVALID (a further backslash), STATUS_OBJECT_NAME_NOT_FOUND.
 * Path is a kernel copy. Any IRQL at or below DISPATCH_LEVEL.
 */
NTSTATUS IoFindBootFile(PCUNICODE_STRING Path, const void **Data, SIZE_T *Size);
/*
 * The boot files one by one: start with Index 0, pass back what it returns
 * until it returns 0. Each gives the file's name (NAME of \Boot\NAME) and size.
 */
ULONG IoEnumerateBootFiles(ULONG Index, char *Name, ULONG NameSize, SIZE_T *Size);

/*
 * What the memory manager keeps per file (NT's SECTION_OBJECT_POINTERS,
 * which the file system keeps in its per-file control block): the control
 * area that every data section over the file shares, so two sections over
 * one file see the same pages, and the image section's. Every open of a
 * boot file points at the same one. Changed by mm/section.c under its lock.
 */
typedef struct _SECTION_OBJECT_POINTERS {
    PVOID DataSectionObject;            /* the data sections' CONTROL_AREA, or NULL */
    PVOID SharedCacheMap;               /* no cache manager: always NULL */
    PVOID ImageSectionObject;           /* the image section's CONTROL_AREA, or NULL */
} SECTION_OBJECT_POINTERS, *PSECTION_OBJECT_POINTERS;

#define IO_TYPE_FILE            5       /* FILE_OBJECT.Type, NT's */
#define IO_FILE_NAME_LENGTH     32      /* NAME of \Boot\NAME, with its terminator */

/*
 * An open file (NT's FILE_OBJECT, the fields mm386 uses): the body of a
 * File object. Its bytes are the boot module's, mapped read-only in the
 * boot-image block; NT would read them through the file system. A File
 * object needs no delete procedure: it owns nothing.
 */
typedef struct _FILE_OBJECT {
    CSHORT Type;                        /* IO_TYPE_FILE */
    CSHORT Size;                        /* sizeof(FILE_OBJECT) */
    PSECTION_OBJECT_POINTERS SectionObjectPointer;
    BOOLEAN ReadAccess;                 /* opened for FILE_READ_DATA or FILE_EXECUTE */
    BOOLEAN WriteAccess;                /* never: the boot files are read-only */
    BOOLEAN DeleteAccess;
    BOOLEAN SharedRead, SharedWrite, SharedDelete;
    char FileName[IO_FILE_NAME_LENGTH]; /* NAME (NT: a UNICODE_STRING with the path) */
    const UCHAR *BootData;              /* mm386's: the file's bytes */
    SIZE_T FileSize;                    /* mm386's: how many (NT: FileStandardInformation.EndOfFile) */
} FILE_OBJECT, *PFILE_OBJECT;

extern POBJECT_TYPE IoFileObjectType;

/*
 * Opens the boot file ObjectAttributes->ObjectName names (\Boot\NAME) for
 * DesiredAccess and returns a handle to a File object (NT's signature).
 * The files are read-only: an access that would write (FILE_WRITE_DATA,
 * FILE_APPEND_DATA, FILE_WRITE_EA, FILE_WRITE_ATTRIBUTES, DELETE, WRITE_DAC,
 * WRITE_OWNER, or GENERIC_WRITE/GENERIC_ALL mapping to them) is
 * STATUS_ACCESS_DENIED; MAXIMUM_ALLOWED grants read and execute. No name,
 * a RootDirectory: STATUS_OBJECT_NAME_INVALID; then IoFindBootFile's
 * statuses. ShareAccess and OpenOptions are accepted and ignored (nobody
 * can write, so every share is honoured). *IoStatusBlock gets the status
 * and FILE_OPENED. A UserMode caller's pointers are probed (their faults'
 * statuses). PASSIVE_LEVEL.
 */
NTSTATUS NtOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                    PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions);
NTSTATUS ZwOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                    PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess, ULONG OpenOptions);

/*
 * The boot file Path names, as IoFindBootFile finds it, with its name and
 * the SECTION_OBJECT_POINTERS all its opens share. The same statuses.
 */
NTSTATUS IoLookupBootFile(PCUNICODE_STRING Path, const void **Data, SIZE_T *Size,
                          PSECTION_OBJECT_POINTERS *SectionObjectPointer, char *Name, ULONG NameSize);

/* Phase 1, after the object manager (kernel/init.c): the File object type. */
void IoInitSystem(void);

#endif
