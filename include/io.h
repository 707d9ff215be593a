/*
 * include/io.h — the I/O manager's part of mm386: the boot modules as files.
 *
 * mm386 has no disks and no drivers' stack; its files are the boot modules
 * (kernel/io/bootfile.c), named \Boot\NAME.
 */
#ifndef MM386_IO_H
#define MM386_IO_H

#include <ntbasic.h>
#include <ntstatus.h>

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

#endif
