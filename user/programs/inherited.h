/*
 * user/programs/inherited.h — finding the section handle a parent put into
 * this process after it started (NtDuplicateObject into the child's handle
 * table: mapshare.exe, sectbench.exe). The child does not know the handle's
 * value, so it asks NtQuerySection about each value its table could hold —
 * a new process's table is otherwise empty, so the one section it finds is
 * the parent's — and waits 10 ms between rounds, five seconds at most.
 */
#ifndef MM386_USER_PROGRAMS_INHERITED_H
#define MM386_USER_PROGRAMS_INHERITED_H

#include <ntdll.h>

/* The section handle the parent duplicated in, or NULL if none came within five seconds. */
static inline HANDLE FindInheritedSection(void)
{
    SECTION_BASIC_INFORMATION Info;
    LARGE_INTEGER Wait = { .QuadPart = -100000 };       /* 10 ms */
    for (ULONG Round = 0; Round < 500; Round++) {
        for (ULONG Value = 4; Value <= 0x400; Value += 4) {
            if (NT_SUCCESS(NtQuerySection((HANDLE)Value, SectionBasicInformation, &Info, sizeof(Info), NULL)))
                return (HANDLE)Value;
        }
        NtDelayExecution(FALSE, &Wait);
    }
    return NULL;
}

#endif
