/*
 * include/ntdef.h — the basic types every mm386 file uses.
 *
 * Inside, mm386 is plain C99 (uint32_t, bool, size_t). NT's UPPERCASE names
 * appear where an NT signature is the point (PVOID, ULONG, NTSTATUS, KIRQL),
 * so that a routine such as ExAllocatePoolWithTag reads exactly as the WDK
 * declares it. Doubly linked lists follow NT's LIST_ENTRY.
 */
#ifndef MM386_NTDEF_H
#define MM386_NTDEF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void VOID, *PVOID;
typedef uint8_t UCHAR, BOOLEAN, *PUCHAR, *PBOOLEAN;
typedef int8_t SCHAR, CCHAR;
typedef uint16_t USHORT, CSHORT;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef uint64_t ULONGLONG;
typedef int64_t LONGLONG;
typedef uint32_t ULONG_PTR;
typedef int32_t LONG_PTR;
typedef uint32_t SIZE_T, *PSIZE_T;
typedef int32_t NTSTATUS;
typedef uint32_t PFN_NUMBER, *PPFN_NUMBER;
typedef uint64_t PHYSICAL_ADDRESS;
typedef char CHAR, *PCHAR;
typedef void *HANDLE, **PHANDLE;
typedef const char *PCSTR;

#define TRUE  1
#define FALSE 0

#define NT_SUCCESS(Status)  ((NTSTATUS)(Status) >= 0)

typedef enum _MODE { KernelMode, UserMode, MaximumMode } KPROCESSOR_MODE, MODE;

/* A handle to an object (kernel/ob); NtCurrentProcess() names the caller's own process. */
typedef void *HANDLE, **PHANDLE;
#define NtCurrentProcess()  ((HANDLE)(ULONG_PTR)-1)
#define NtCurrentThread()   ((HANDLE)(ULONG_PTR)-2)

#define FIELD_OFFSET(type, field)   ((LONG)offsetof(type, field))
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((char *)(address) - offsetof(type, field)))
#define ARRAY_SIZE(a)               (sizeof(a) / sizeof((a)[0]))
#define ROUND_UP(x, a)              (((x) + (a) - 1) & ~((a) - 1))
#define ROUND_DOWN(x, a)            ((x) & ~((a) - 1))
#define MIN(a, b)                   ((a) < (b) ? (a) : (b))
#define MAX(a, b)                   ((a) > (b) ? (a) : (b))

#define NORETURN        __attribute__((noreturn))
#define ALIGNED(n)      __attribute__((aligned(n)))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define UNUSED          __attribute__((unused))
#define LIKELY(x)       __builtin_expect(!!(x), 1)
#define UNLIKELY(x)     __builtin_expect(!!(x), 0)

/* A four-character pool or mapping tag, written the way poolmon prints it. */
#define MAKE_TAG(a, b, c, d) \
    ((ULONG)(a) | ((ULONG)(b) << 8) | ((ULONG)(c) << 16) | ((ULONG)(d) << 24))

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

static inline void InitializeListHead(PLIST_ENTRY Head)
{
    Head->Flink = Head->Blink = Head;
}

static inline bool IsListEmpty(const LIST_ENTRY *Head)
{
    return Head->Flink == Head;
}

static inline void InsertTailList(PLIST_ENTRY Head, PLIST_ENTRY Entry)
{
    PLIST_ENTRY Last = Head->Blink;
    Entry->Flink = Head;
    Entry->Blink = Last;
    Last->Flink = Entry;
    Head->Blink = Entry;
}

static inline void InsertHeadList(PLIST_ENTRY Head, PLIST_ENTRY Entry)
{
    PLIST_ENTRY First = Head->Flink;
    Entry->Flink = First;
    Entry->Blink = Head;
    First->Blink = Entry;
    Head->Flink = Entry;
}

static inline void RemoveEntryList(PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = Entry->Flink, Blink = Entry->Blink;
    Blink->Flink = Flink;
    Flink->Blink = Blink;
}

static inline PLIST_ENTRY RemoveHeadList(PLIST_ENTRY Head)
{
    PLIST_ENTRY Entry = Head->Flink;
    RemoveEntryList(Entry);
    return Entry;
}

/* NT's singly linked list, used by lookaside lists. */
typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

#endif
