/*
 * user/programs/mapshare.c — the other process of tests/user/sections.c:
 * it maps a section its parent shares with it and changes its pages.
 *
 *     mapshare.exe PAGES
 *
 * Its parent duplicates a handle to a section into it after it has started
 * (NtDuplicateObject into the child's handle table), so it does not know the
 * handle's value: it looks for it, asking NtQuerySection about each value
 * its table could hold (a new process's table is empty, so the one section
 * it finds is the parent's), and waits a little between rounds, for five
 * seconds at most. It maps the section, checks that each of its first PAGES
 * pages holds the parent's stamp (0x9A7E0000 + page), writes its own
 * (0xC41D0000 + page), unmaps it and exits with 0 — or with the status of
 * what failed, or 0xC0DE0000 + page for a page that held the wrong stamp.
 */
#include <ntdll.h>
#include "inherited.h"

#define PARENT_STAMP(page)  (0x9A7E0000u + (page))
#define CHILD_STAMP(page)   (0xC41D0000u + (page))

int main(int argc, char **argv)
{
    ULONG Pages = 0;
    if (argc != 2)
        return (int)STATUS_INVALID_PARAMETER;
    for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
        Pages = Pages * 10 + (ULONG)(*p - '0');

    HANDLE Section = FindInheritedSection();
    if (!Section)
        return (int)STATUS_INVALID_HANDLE;
    PVOID Base = NULL;
    SIZE_T Size = 0;
    NTSTATUS Status = NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &Size, ViewShare, 0,
                                         PAGE_READWRITE);
    if (!NT_SUCCESS(Status))
        return (int)Status;
    volatile ULONG *Words = Base;
    for (ULONG Page = 0; Page < Pages; Page++) {
        if (Words[Page * (PAGE_SIZE / sizeof(ULONG))] != PARENT_STAMP(Page))
            return (int)(0xC0DE0000u + Page);
        Words[Page * (PAGE_SIZE / sizeof(ULONG))] = CHILD_STAMP(Page);
    }
    Status = NtUnmapViewOfSection(NtCurrentProcess(), Base);
    NtClose(Section);
    return (int)Status;
}
