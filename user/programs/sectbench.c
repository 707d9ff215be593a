/*
 * user/programs/sectbench.c — the ring-3 side of the section benchmark
 * shared_region_write_then_read_per_page (tests/mm/section_bench.c).
 *
 *     sectbench.exe parent PAGES
 *
 * It creates a pagefile-backed section of PAGES pages (one page when PAGES
 * is 0), maps it, starts `sectbench.exe child PAGES` and duplicates the
 * section's handle into it. The child finds the handle in its own table (as
 * user/programs/mapshare.c does), maps its own view and writes the first
 * word of each page — each write a demand-zero fault through a prototype
 * PTE — and exits with the guest instructions its loop took (the TSC, read
 * in ring 3: under QEMU -icount it counts instructions). Then the parent
 * reads the first word of each page through its view — each read a fault
 * on a page already resident, found through its prototype PTE — and exits
 * with the sum of both loops' instructions (negative: what failed).
 */
#include <ntdll.h>
#include "inherited.h"

static PVOID MapAll(HANDLE Section)
{
    PVOID Base = NULL;
    SIZE_T Size = 0;
    return NT_SUCCESS(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &Size, ViewShare, 0,
                                         PAGE_READWRITE)) ? Base : NULL;
}

static int Child(ULONG Pages)
{
    HANDLE Section = FindInheritedSection();
    volatile ULONG *Words = Section ? MapAll(Section) : NULL;
    if (!Words)
        return -2;
    ULONGLONG Start = ReadTimeStampCounter();
    for (ULONG Page = 0; Page < Pages; Page++)
        Words[Page * (PAGE_SIZE / sizeof(ULONG))] = Page;
    ULONGLONG End = ReadTimeStampCounter();
    NtUnmapViewOfSection(NtCurrentProcess(), (PVOID)Words);
    NtClose(Section);
    return (int)(End - Start);
}

static int Parent(ULONG Pages)
{
    HANDLE Section, Process, Thread, InChild;
    LARGE_INTEGER Size = { .QuadPart = (LONGLONG)(Pages ? Pages : 1) * PAGE_SIZE };
    char Line[40];
    NTSTATUS ChildResult;
    ULONG Sum = 0;

    if (!NT_SUCCESS(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &Size, PAGE_READWRITE, SEC_COMMIT, NULL)))
        return -3;
    volatile ULONG *Words = MapAll(Section);
    snprintf(Line, sizeof(Line), "sectbench.exe child %u", Pages);
    if (!Words || !NT_SUCCESS(RtlStartProgram(Line, &Process, &Thread)))
        return -4;
    if (!NT_SUCCESS(NtDuplicateObject(NtCurrentProcess(), Section, Process, &InChild, 0, 0, DUPLICATE_SAME_ACCESS)) ||
        !NT_SUCCESS(RtlWaitForProgram(Process, &ChildResult)) || (LONG)ChildResult < 0)
        return -5;
    ULONGLONG Start = ReadTimeStampCounter();
    for (ULONG Page = 0; Page < Pages; Page++)
        Sum += Words[Page * (PAGE_SIZE / sizeof(ULONG))];
    ULONGLONG End = ReadTimeStampCounter();
    if (Sum != Pages * (Pages - 1) / 2 && Pages)
        return -6;                                      /* the child's writes must be what the parent reads */
    NtClose(Thread);
    NtClose(Process);
    NtUnmapViewOfSection(NtCurrentProcess(), (PVOID)Words);
    NtClose(Section);
    return (int)((ULONG)ChildResult + (ULONG)(End - Start));
}

int main(int argc, char **argv)
{
    ULONG Pages;
    const char *End;
    if (argc != 3 || !RtlParseUlong(argv[2], &End, &Pages) || *End)
        return -1;
    if (strcmp(argv[1], "child") == 0)
        return Child(Pages);
    if (strcmp(argv[1], "parent") == 0)
        return Parent(Pages);
    return -1;
}
