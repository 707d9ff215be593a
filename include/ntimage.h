/*
 * include/ntimage.h — the PE32 image format, as far as mm386 reads it.
 *
 * A PE image begins with the MS-DOS header ("MZ"), whose e_lfanew gives the
 * offset of the NT headers: the signature "PE\0\0", the file header
 * (machine, number of sections, characteristics) and the optional header
 * (preferred base, alignments, size of the image and its headers, entry
 * point, stack and heap sizes, subsystem, and the data directories: the
 * exports, the base relocations ...). The section table follows. Layouts
 * and values are winnt.h's; docs/PROCESSES.md walks through one of mm386's
 * own images.
 */
#ifndef MM386_NTIMAGE_H
#define MM386_NTIMAGE_H

#include <ntdef.h>

#define IMAGE_DOS_SIGNATURE             0x5A4D          /* MZ */
#define IMAGE_NT_SIGNATURE              0x00004550      /* PE\0\0 */
#define IMAGE_NT_OPTIONAL_HDR32_MAGIC   0x10B
#define IMAGE_FILE_MACHINE_I386         0x014C
#define IMAGE_NUMBEROF_DIRECTORY_ENTRIES 16
#define IMAGE_SIZEOF_SHORT_NAME         8

/* IMAGE_FILE_HEADER.Characteristics */
#define IMAGE_FILE_RELOCS_STRIPPED      0x0001
#define IMAGE_FILE_EXECUTABLE_IMAGE     0x0002
#define IMAGE_FILE_LARGE_ADDRESS_AWARE  0x0020
#define IMAGE_FILE_32BIT_MACHINE        0x0100
#define IMAGE_FILE_DLL                  0x2000

/* IMAGE_OPTIONAL_HEADER.Subsystem */
#define IMAGE_SUBSYSTEM_NATIVE          1
#define IMAGE_SUBSYSTEM_WINDOWS_GUI     2
#define IMAGE_SUBSYSTEM_WINDOWS_CUI     3

/* Data directory indexes */
#define IMAGE_DIRECTORY_ENTRY_EXPORT    0
#define IMAGE_DIRECTORY_ENTRY_IMPORT    1
#define IMAGE_DIRECTORY_ENTRY_BASERELOC 5

/* IMAGE_SECTION_HEADER.Characteristics */
#define IMAGE_SCN_CNT_CODE              0x00000020
#define IMAGE_SCN_CNT_INITIALIZED_DATA  0x00000040
#define IMAGE_SCN_CNT_UNINITIALIZED_DATA 0x00000080
#define IMAGE_SCN_MEM_DISCARDABLE       0x02000000
#define IMAGE_SCN_MEM_SHARED            0x10000000
#define IMAGE_SCN_MEM_EXECUTE           0x20000000
#define IMAGE_SCN_MEM_READ              0x40000000
#define IMAGE_SCN_MEM_WRITE             0x80000000

/* Base relocation types (the top 4 bits of each entry) */
#define IMAGE_REL_BASED_ABSOLUTE        0
#define IMAGE_REL_BASED_HIGH            1
#define IMAGE_REL_BASED_LOW             2
#define IMAGE_REL_BASED_HIGHLOW         3

typedef struct _IMAGE_DOS_HEADER {
    USHORT e_magic;
    USHORT e_cblp, e_cp, e_crlc, e_cparhdr, e_minalloc, e_maxalloc, e_ss, e_sp, e_csum, e_ip, e_cs;
    USHORT e_lfarlc, e_ovno, e_res[4], e_oemid, e_oeminfo, e_res2[10];
    LONG e_lfanew;                      /* offset of IMAGE_NT_HEADERS32 */
} IMAGE_DOS_HEADER;

typedef struct _IMAGE_FILE_HEADER {
    USHORT Machine;
    USHORT NumberOfSections;
    ULONG TimeDateStamp;
    ULONG PointerToSymbolTable;
    ULONG NumberOfSymbols;
    USHORT SizeOfOptionalHeader;
    USHORT Characteristics;
} IMAGE_FILE_HEADER;

typedef struct _IMAGE_DATA_DIRECTORY {
    ULONG VirtualAddress;
    ULONG Size;
} IMAGE_DATA_DIRECTORY;

typedef struct _IMAGE_OPTIONAL_HEADER32 {
    USHORT Magic;
    UCHAR MajorLinkerVersion, MinorLinkerVersion;
    ULONG SizeOfCode, SizeOfInitializedData, SizeOfUninitializedData;
    ULONG AddressOfEntryPoint;
    ULONG BaseOfCode, BaseOfData;
    ULONG ImageBase;
    ULONG SectionAlignment, FileAlignment;
    USHORT MajorOperatingSystemVersion, MinorOperatingSystemVersion;
    USHORT MajorImageVersion, MinorImageVersion;
    USHORT MajorSubsystemVersion, MinorSubsystemVersion;
    ULONG Win32VersionValue;
    ULONG SizeOfImage, SizeOfHeaders, CheckSum;
    USHORT Subsystem, DllCharacteristics;
    ULONG SizeOfStackReserve, SizeOfStackCommit, SizeOfHeapReserve, SizeOfHeapCommit;
    ULONG LoaderFlags;
    ULONG NumberOfRvaAndSizes;
    IMAGE_DATA_DIRECTORY DataDirectory[IMAGE_NUMBEROF_DIRECTORY_ENTRIES];
} IMAGE_OPTIONAL_HEADER32;

typedef struct _IMAGE_NT_HEADERS32 {
    ULONG Signature;
    IMAGE_FILE_HEADER FileHeader;
    IMAGE_OPTIONAL_HEADER32 OptionalHeader;
} IMAGE_NT_HEADERS32;

typedef struct _IMAGE_SECTION_HEADER {
    UCHAR Name[IMAGE_SIZEOF_SHORT_NAME];
    ULONG VirtualSize;
    ULONG VirtualAddress;
    ULONG SizeOfRawData;
    ULONG PointerToRawData;
    ULONG PointerToRelocations, PointerToLinenumbers;
    USHORT NumberOfRelocations, NumberOfLinenumbers;
    ULONG Characteristics;
} IMAGE_SECTION_HEADER;

typedef struct _IMAGE_BASE_RELOCATION {
    ULONG VirtualAddress;               /* the page the block's entries fix up */
    ULONG SizeOfBlock;                  /* this header and its USHORT entries */
} IMAGE_BASE_RELOCATION;

typedef struct _IMAGE_EXPORT_DIRECTORY {
    ULONG Characteristics, TimeDateStamp;
    USHORT MajorVersion, MinorVersion;
    ULONG Name, Base;
    ULONG NumberOfFunctions, NumberOfNames;
    ULONG AddressOfFunctions, AddressOfNames, AddressOfNameOrdinals;   /* RVAs */
} IMAGE_EXPORT_DIRECTORY;

/* One DLL an image imports from: its name and two parallel arrays of thunks (RVAs). */
typedef struct _IMAGE_IMPORT_DESCRIPTOR {
    ULONG OriginalFirstThunk;           /* the import lookup table: what to import (0: use FirstThunk's) */
    ULONG TimeDateStamp;
    ULONG ForwarderChain;
    ULONG Name;                         /* the DLL's name, ASCII */
    ULONG FirstThunk;                   /* the import address table: the loader writes the addresses here */
} IMAGE_IMPORT_DESCRIPTOR;

/* A lookup table entry: an ordinal (high bit set), else the RVA of an IMAGE_IMPORT_BY_NAME (a hint, a name). */
#define IMAGE_ORDINAL_FLAG32            0x80000000u

typedef struct _IMAGE_IMPORT_BY_NAME {
    USHORT Hint;                        /* where in the DLL's name table to look first */
    char Name[1];
} IMAGE_IMPORT_BY_NAME;

_Static_assert(sizeof(IMAGE_DOS_HEADER) == 64 && sizeof(IMAGE_FILE_HEADER) == 20 &&
               sizeof(IMAGE_OPTIONAL_HEADER32) == 224 && sizeof(IMAGE_SECTION_HEADER) == 40 &&
               sizeof(IMAGE_EXPORT_DIRECTORY) == 40 && sizeof(IMAGE_IMPORT_DESCRIPTOR) == 20,
               "winnt.h's PE32 layouts");

#endif
