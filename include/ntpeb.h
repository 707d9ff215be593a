/*
 * include/ntpeb.h — what a process and its threads find about themselves
 * in their own address space: the PEB, each thread's TEB, the process
 * parameters.
 *
 * NT's kernel writes these user-mode pages when it creates a process or a
 * thread (MmCreatePeb, MmCreateTeb: mm/pebteb.c in mm386) and the program
 * reads them without a system call: the TEB through fs:[0x18] (its Self
 * pointer; in user mode FS selects KGDT_R3_TEB, a segment based at the
 * current thread's TEB), the PEB through TEB.ProcessEnvironmentBlock, the
 * command line through PEB.ProcessParameters. The layouts are NT 5.2's x86
 * ones for every field mm386 fills (offsets pinned below); the rest is
 * reserved space of NT's size, zero.
 */
#ifndef MM386_NTPEB_H
#define MM386_NTPEB_H

#include <ntbasic.h>
#include <ntexcept.h>

/* The first words of a TEB: NT's thread information block. */
typedef struct _NT_TIB {
    PEXCEPTION_REGISTRATION_RECORD ExceptionList;   /* fs:[0]: the innermost handler */
    PVOID StackBase;                        /* one past the stack's highest byte */
    PVOID StackLimit;                       /* the lowest committed byte: the guard page is just below */
    PVOID SubSystemTib;
    PVOID FiberData;
    PVOID ArbitraryUserPointer;
    struct _NT_TIB *Self;                   /* fs:[0x18]: the TEB's own user address */
} NT_TIB, *PNT_TIB;

/* A string's place in RTL_USER_PROCESS_PARAMETERS and a current directory. */
typedef struct _CURDIR {
    UNICODE_STRING DosPath;
    HANDLE Handle;
} CURDIR;

#define RTL_USER_PROC_PARAMS_NORMALIZED     0x00000001u     /* the UNICODE_STRING buffers are pointers, not offsets */

/*
 * What the creator of a process tells it: its image path and command line
 * (and, in NT, its environment, window and console). mm386's kernel writes
 * it normalized, right after the PEB's page, with the strings after it.
 */
typedef struct _RTL_USER_PROCESS_PARAMETERS {
    ULONG MaximumLength;
    ULONG Length;
    ULONG Flags;                            /* RTL_USER_PROC_PARAMS_NORMALIZED */
    ULONG DebugFlags;
    HANDLE ConsoleHandle;
    ULONG ConsoleFlags;
    HANDLE StandardInput, StandardOutput, StandardError;
    CURDIR CurrentDirectory;
    UNICODE_STRING DllPath;
    UNICODE_STRING ImagePathName;           /* \Boot\name.exe */
    UNICODE_STRING CommandLine;
    PVOID Environment;
    ULONG StartingX, StartingY, CountX, CountY, CountCharsX, CountCharsY, FillAttribute;
    ULONG WindowFlags, ShowWindowFlags;
    UNICODE_STRING WindowTitle, DesktopInfo, ShellInfo, RuntimeData;
    UCHAR CurrentDirectories[32][16];
} RTL_USER_PROCESS_PARAMETERS, *PRTL_USER_PROCESS_PARAMETERS;

_Static_assert(offsetof(RTL_USER_PROCESS_PARAMETERS, ImagePathName) == 0x38 &&
               offsetof(RTL_USER_PROCESS_PARAMETERS, CommandLine) == 0x40 &&
               sizeof(RTL_USER_PROCESS_PARAMETERS) == 0x290, "NT's x86 RTL_USER_PROCESS_PARAMETERS");

/* The process environment block: one page, at the top of the user range (below KUSER_SHARED_DATA). */
typedef struct _PEB {
    BOOLEAN InheritedAddressSpace;
    BOOLEAN ReadImageFileExecOptions;
    BOOLEAN BeingDebugged;
    BOOLEAN SpareBool;
    HANDLE Mutant;
    PVOID ImageBaseAddress;                 /* where the image was mapped */
    PVOID Ldr;                              /* the loader's module lists: none yet (no DLLs) */
    PRTL_USER_PROCESS_PARAMETERS ProcessParameters;
    PVOID SubSystemData;
    PVOID ProcessHeap;
    PVOID Reserved1[18];                    /* 0x1C..0x64: locks, callbacks, TLS bitmap, code pages */
    ULONG NumberOfProcessors;
    ULONG NtGlobalFlag;
    ULONG Reserved2;
    LARGE_INTEGER CriticalSectionTimeout;   /* 8-aligned in NT's layout */
    ULONG HeapSegmentReserve, HeapSegmentCommit;
    ULONG HeapDeCommitTotalFreeThreshold, HeapDeCommitFreeBlockThreshold;
    ULONG NumberOfHeaps, MaximumNumberOfHeaps;
    PVOID ProcessHeaps;
    PVOID Reserved3[4];                     /* 0x94..0xA0: GDI, LoaderLock */
    ULONG OSMajorVersion;
    ULONG OSMinorVersion;
    USHORT OSBuildNumber;
    USHORT OSCSDVersion;
    ULONG OSPlatformId;                     /* 2: VER_PLATFORM_WIN32_NT */
    ULONG ImageSubsystem;                   /* the image header's Subsystem */
    ULONG ImageSubsystemMajorVersion;
    ULONG ImageSubsystemMinorVersion;
    ULONG ImageProcessAffinityMask;
    ULONG GdiHandleBuffer[34];
    PVOID PostProcessInitRoutine;
    PVOID TlsExpansionBitmap;
    ULONG TlsExpansionBitmapBits[32];
    ULONG SessionId;
} PEB, *PPEB;

_Static_assert(offsetof(PEB, ImageBaseAddress) == 0x08 && offsetof(PEB, ProcessParameters) == 0x10 &&
               offsetof(PEB, NumberOfProcessors) == 0x64 && offsetof(PEB, CriticalSectionTimeout) == 0x70 &&
               offsetof(PEB, OSMajorVersion) == 0xA4 && offsetof(PEB, ImageSubsystem) == 0xB4 &&
               offsetof(PEB, SessionId) == 0x1D4, "NT's x86 PEB");

/* The thread environment block: one page per thread, below the PEB. */
typedef struct _TEB {
    NT_TIB NtTib;
    PVOID EnvironmentPointer;
    CLIENT_ID ClientId;                     /* the thread's process and thread ids */
    PVOID ActiveRpcHandle;
    PVOID ThreadLocalStoragePointer;
    PPEB ProcessEnvironmentBlock;
    ULONG LastErrorValue;
    UCHAR Reserved1[0x1A4 - 0x38];
    NTSTATUS ExceptionCode;
    UCHAR Reserved2[0xE0C - 0x1A8];
    PVOID DeallocationStack;                /* the stack reservation's base */
    PVOID TlsSlots[64];
    LIST_ENTRY TlsLinks;
} TEB, *PTEB;

_Static_assert(offsetof(TEB, ClientId) == 0x20 && offsetof(TEB, ProcessEnvironmentBlock) == 0x30 &&
               offsetof(TEB, ExceptionCode) == 0x1A4 && offsetof(TEB, DeallocationStack) == 0xE0C &&
               offsetof(TEB, TlsSlots) == 0xE10 && sizeof(TEB) <= 0x1000, "NT's x86 TEB");

/*
 * A new thread's stack, as its creator made it (NtCreateThread's
 * InitialTeb): committed from StackBase down to StackLimit, the whole
 * reservation from AllocatedStackBase.
 */
typedef struct _INITIAL_TEB {
    PVOID OldStackBase;
    PVOID OldStackLimit;
    PVOID StackBase;
    PVOID StackLimit;
    PVOID AllocatedStackBase;
} INITIAL_TEB, *PINITIAL_TEB;

#endif
