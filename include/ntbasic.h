/*
 * include/ntbasic.h — the types NT's native API shares between the kernel
 * and the programs that call it.
 *
 * A system service's arguments are laid out the same on both sides of the
 * gate: a program fills an OBJECT_ATTRIBUTES, a CLIENT_ID or a
 * MEMORY_BASIC_INFORMATION, and the kernel reads or writes the same bytes.
 * So these definitions live once, here, and both the kernel and the user
 * runtime (user/) include them. Everything is NT's x86 layout and values
 * (winnt.h, ntdef.h); nothing here is kernel-only.
 */
#ifndef MM386_NTBASIC_H
#define MM386_NTBASIC_H

#include <ntdef.h>

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

#define MAXLONGLONG     0x7FFFFFFFFFFFFFFFLL    /* winnt.h's */

/* A counted UTF-16 string; Length and MaximumLength are in bytes, Buffer need not end in a NUL. */
typedef uint16_t WCHAR, *PWCHAR, *PWSTR;
typedef const WCHAR *PCWSTR;
typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;
typedef enum _TIMER_TYPE { NotificationTimer, SynchronizationTimer } TIMER_TYPE;
typedef enum _WAIT_TYPE { WaitAll, WaitAny } WAIT_TYPE;

typedef LONG KPRIORITY;                 /* a thread's priority, 0..31 */
typedef ULONG KAFFINITY;                /* a set of processors, one bit each */

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

typedef ULONG ACCESS_MASK, *PACCESS_MASK;

/* ------------------------------------------------------------------------
 * Access rights (winnt.h's values). The low 16 bits are the type's own
 * (EVENT_MODIFY_STATE, PROCESS_DUP_HANDLE ...); the standard rights apply
 * to every type; the four generic rights are mapped onto the others by the
 * type's GENERIC_MAPPING before a handle is made.
 */
#define DELETE                      0x00010000u
#define READ_CONTROL                0x00020000u
#define WRITE_DAC                   0x00040000u
#define WRITE_OWNER                 0x00080000u
#define SYNCHRONIZE                 0x00100000u
#define STANDARD_RIGHTS_REQUIRED    0x000F0000u
#define STANDARD_RIGHTS_READ        READ_CONTROL
#define STANDARD_RIGHTS_WRITE       READ_CONTROL
#define STANDARD_RIGHTS_EXECUTE     READ_CONTROL
#define STANDARD_RIGHTS_ALL         0x001F0000u
#define SPECIFIC_RIGHTS_ALL         0x0000FFFFu
#define ACCESS_SYSTEM_SECURITY      0x01000000u
#define MAXIMUM_ALLOWED             0x02000000u
#define GENERIC_READ                0x80000000u
#define GENERIC_WRITE               0x40000000u
#define GENERIC_EXECUTE             0x20000000u
#define GENERIC_ALL                 0x10000000u
#define GENERIC_ACCESS              (GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL)

/* NtDuplicateObject's Options. */
#define DUPLICATE_CLOSE_SOURCE      0x00000001u
#define DUPLICATE_SAME_ACCESS       0x00000002u
#define DUPLICATE_SAME_ATTRIBUTES   0x00000004u

/* Process and thread access rights (NT 5.2's values). */
#define PROCESS_TERMINATE           0x0001u
#define PROCESS_CREATE_THREAD       0x0002u
#define PROCESS_VM_OPERATION        0x0008u
#define PROCESS_VM_READ             0x0010u
#define PROCESS_VM_WRITE            0x0020u
#define PROCESS_DUP_HANDLE          0x0040u
#define PROCESS_CREATE_PROCESS      0x0080u
#define PROCESS_SET_INFORMATION     0x0200u
#define PROCESS_QUERY_INFORMATION   0x0400u
#define PROCESS_ALL_ACCESS          (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFu)
#define THREAD_TERMINATE            0x0001u
#define THREAD_SUSPEND_RESUME       0x0002u
#define THREAD_GET_CONTEXT          0x0008u
#define THREAD_SET_CONTEXT          0x0010u
#define THREAD_SET_INFORMATION      0x0020u
#define THREAD_QUERY_INFORMATION    0x0040u
#define THREAD_ALL_ACCESS           (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3FFu)

typedef struct _GENERIC_MAPPING {
    ACCESS_MASK GenericRead;
    ACCESS_MASK GenericWrite;
    ACCESS_MASK GenericExecute;
    ACCESS_MASK GenericAll;
} GENERIC_MAPPING, *PGENERIC_MAPPING;

/* ------------------------------------------------------------------------
 * Object attributes: what a creator says about the object and its handle.
 */
#define OBJ_INHERIT             0x00000002u    /* the handle is inherited by child processes */
#define OBJ_PERMANENT           0x00000010u
#define OBJ_EXCLUSIVE           0x00000020u
#define OBJ_CASE_INSENSITIVE    0x00000040u
#define OBJ_OPENIF              0x00000080u
#define OBJ_OPENLINK            0x00000100u
#define OBJ_KERNEL_HANDLE       0x00000200u    /* the handle goes in the kernel handle table */
#define OBJ_FORCE_ACCESS_CHECK  0x00000400u
#define OBJ_VALID_ATTRIBUTES    0x000007F2u

typedef struct _OBJECT_ATTRIBUTES {
    ULONG Length;                           /* sizeof(OBJECT_ATTRIBUTES) */
    HANDLE RootDirectory;                   /* names are out of scope: must be NULL */
    struct _UNICODE_STRING *ObjectName;     /* names are out of scope: must be NULL */
    ULONG Attributes;                       /* OBJ_* */
    PVOID SecurityDescriptor;               /* no security descriptors: must be NULL */
    PVOID SecurityQualityOfService;         /* must be NULL */
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) do {  \
        (p)->Length = sizeof(OBJECT_ATTRIBUTES);        \
        (p)->RootDirectory = (r);                       \
        (p)->Attributes = (a);                          \
        (p)->ObjectName = (n);                          \
        (p)->SecurityDescriptor = (s);                  \
        (p)->SecurityQualityOfService = NULL;           \
    } while (0)


/* ------------------------------------------------------------------------
 * Virtual memory: protections, allocation types, what a query returns.
 */
#define PAGE_NOACCESS           0x01
#define PAGE_READONLY           0x02
#define PAGE_READWRITE          0x04
#define PAGE_WRITECOPY          0x08
#define PAGE_EXECUTE            0x10
#define PAGE_EXECUTE_READ       0x20
#define PAGE_EXECUTE_READWRITE  0x40
#define PAGE_EXECUTE_WRITECOPY  0x80
#define PAGE_GUARD              0x100
#define PAGE_NOCACHE            0x200
#define PAGE_WRITECOMBINE       0x400

#define MEM_COMMIT              0x1000
#define MEM_RESERVE             0x2000
#define MEM_DECOMMIT            0x4000
#define MEM_RELEASE             0x8000
#define MEM_FREE                0x10000
#define MEM_PRIVATE             0x20000
#define MEM_MAPPED              0x40000
#define MEM_RESET               0x80000
#define MEM_TOP_DOWN            0x100000
#define MEM_WRITE_WATCH         0x200000
#define MEM_PHYSICAL            0x400000
#define MEM_IMAGE               0x1000000
#define MEM_LARGE_PAGES         0x20000000

typedef struct _MEMORY_BASIC_INFORMATION {
    PVOID BaseAddress;          /* the queried address rounded down to its page */
    PVOID AllocationBase;       /* the reservation it lies in (NULL when free) */
    ULONG AllocationProtect;    /* the protection the reservation was made with */
    SIZE_T RegionSize;          /* bytes from BaseAddress with the same state and protection */
    ULONG State;                /* MEM_COMMIT, MEM_RESERVE or MEM_FREE */
    ULONG Protect;              /* committed pages' protection; 0 when reserved */
    ULONG Type;                 /* MEM_PRIVATE (MEM_MAPPED, MEM_IMAGE with sections); 0 when free */
} MEMORY_BASIC_INFORMATION, *PMEMORY_BASIC_INFORMATION;

typedef enum _MEMORY_INFORMATION_CLASS {
    MemoryBasicInformation,
    MemoryWorkingSetInformation,
    MemoryMappedFilenameInformation,
    MemoryRegionInformation,
} MEMORY_INFORMATION_CLASS;

/* ------------------------------------------------------------------------
 * Sections and their views (NT's winnt.h and ntmmapi.h values).
 */
#define SEC_BASED               0x00200000
#define SEC_NO_CHANGE           0x00400000
#define SEC_FILE                0x00800000
#define SEC_IMAGE               0x01000000
#define SEC_RESERVE             0x04000000
#define SEC_COMMIT              0x08000000
#define SEC_NOCACHE             0x10000000
#define SEC_LARGE_PAGES         0x80000000
#define MEM_DOS_LIM             0x40000000      /* a view's base and offset on 4 KB, not 64 KB (x86 only) */

#define SECTION_QUERY               0x0001u
#define SECTION_MAP_WRITE           0x0002u
#define SECTION_MAP_READ            0x0004u
#define SECTION_MAP_EXECUTE         0x0008u
#define SECTION_EXTEND_SIZE         0x0010u
#define SECTION_ALL_ACCESS          (STANDARD_RIGHTS_REQUIRED | 0x1Fu)

/* What happens to a view when its process makes a child (NtMapViewOfSection's InheritDisposition). */
typedef enum _SECTION_INHERIT { ViewShare = 1, ViewUnmap = 2 } SECTION_INHERIT;

typedef enum _SECTION_INFORMATION_CLASS {
    SectionBasicInformation,
    SectionImageInformation,
} SECTION_INFORMATION_CLASS;

typedef struct _SECTION_BASIC_INFORMATION {
    PVOID BaseAddress;          /* a based section's address; NULL */
    ULONG Attributes;           /* SEC_* it was created with (SEC_FILE for a file's) */
    LARGE_INTEGER Size;         /* its maximum size in bytes */
} SECTION_BASIC_INFORMATION, *PSECTION_BASIC_INFORMATION;

/* NtQuerySection(SectionImageInformation): what an image section's headers say (NT's x86 layout). */
typedef struct _SECTION_IMAGE_INFORMATION {
    PVOID TransferAddress;      /* the entry point at the image's preferred base */
    ULONG ZeroBits;
    SIZE_T MaximumStackSize;    /* SizeOfStackReserve */
    SIZE_T CommittedStackSize;  /* SizeOfStackCommit */
    ULONG SubSystemType;
    USHORT SubSystemMinorVersion;
    USHORT SubSystemMajorVersion;
    ULONG GpValue;
    USHORT ImageCharacteristics;    /* IMAGE_FILE_* */
    USHORT DllCharacteristics;
    USHORT Machine;
    BOOLEAN ImageContainsCode;
    BOOLEAN Spare1;
    ULONG LoaderFlags;
    ULONG ImageFileSize;
    ULONG Reserved[1];
} SECTION_IMAGE_INFORMATION, *PSECTION_IMAGE_INFORMATION;

/* ------------------------------------------------------------------------
 * Files (NT's values): access rights, sharing, NtOpenFile's result.
 */
#define FILE_READ_DATA              0x0001u
#define FILE_WRITE_DATA             0x0002u
#define FILE_APPEND_DATA            0x0004u
#define FILE_READ_EA                0x0008u
#define FILE_WRITE_EA               0x0010u
#define FILE_EXECUTE                0x0020u
#define FILE_READ_ATTRIBUTES        0x0080u
#define FILE_WRITE_ATTRIBUTES       0x0100u
#define FILE_ALL_ACCESS             (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x1FFu)
#define FILE_GENERIC_READ           (STANDARD_RIGHTS_READ | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | \
                                     SYNCHRONIZE)
#define FILE_GENERIC_WRITE          (STANDARD_RIGHTS_WRITE | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | \
                                     FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE)
#define FILE_GENERIC_EXECUTE        (STANDARD_RIGHTS_EXECUTE | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE)

#define FILE_SHARE_READ             0x00000001u
#define FILE_SHARE_WRITE            0x00000002u
#define FILE_SHARE_DELETE           0x00000004u
#define FILE_SYNCHRONOUS_IO_NONALERT 0x00000020u
#define FILE_NON_DIRECTORY_FILE     0x00000040u

#define FILE_OPENED                 0x00000001u    /* IO_STATUS_BLOCK.Information of an open */

typedef struct _IO_STATUS_BLOCK {
    union {
        NTSTATUS Status;
        PVOID Pointer;
    };
    ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

#endif
