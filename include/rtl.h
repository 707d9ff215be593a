/*
 * include/rtl.h — the kernel's own runtime library: memory and string
 * routines, formatted printing into buffers, and glob matching.
 *
 * The kernel links no C library. gcc may emit calls to memcpy, memset,
 * memmove and memcmp on its own (structure copies, large initialisers), so
 * these four keep their C names and C semantics.
 */
#ifndef MM386_RTL_H
#define MM386_RTL_H

#include <ntdef.h>

void *memcpy(void *Destination, const void *Source, size_t Length);
void *memset(void *Destination, int Value, size_t Length);
void *memmove(void *Destination, const void *Source, size_t Length);
int memcmp(const void *A, const void *B, size_t Length);
/*
 * Stores Length/4 copies of Value; Destination must be 4-byte aligned. One
 * rep stosl, inline: it zeroes runs of PTEs on the system PTE release path.
 */
static inline void RtlFillMemoryUlong(void *Destination, size_t Length, uint32_t Value)
{
    size_t Dwords = Length >> 2;
    __asm__ volatile("rep stosl" : "+D"(Destination), "+c"(Dwords) : "a"(Value) : "memory");
}

size_t strlen(const char *String);
size_t strnlen(const char *String, size_t Max);
int strcmp(const char *A, const char *B);
int strncmp(const char *A, const char *B, size_t Length);
int RtlCompareStringInsensitive(const char *A, const char *B, size_t Length);
char *strchr(const char *String, int Character);
/* Copies at most Size-1 characters and always terminates; returns strlen(Source). */
size_t strlcpy(char *Destination, const char *Source, size_t Size);
static inline char RtlUpperChar(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c; }

/*
 * Parses an unsigned number: decimal, or hex with a 0x prefix. Stops at the
 * first character that is not a digit and stores its address in *End.
 * Returns false if there are no digits or the value overflows 32 bits.
 */
bool RtlParseUlong(const char *String, const char **End, ULONG *Value);

/* printf-style formatting: %d %i %u %x %X %p %s %c %% with l/ll and h, widths, '-' and '0'. */
typedef void (*PRTL_FORMAT_SINK)(void *Context, const char *Text, size_t Length);
void RtlFormat(PRTL_FORMAT_SINK Sink, void *Context, const char *Format, va_list Args);
int vsnprintf(char *Buffer, size_t Size, const char *Format, va_list Args);
int snprintf(char *Buffer, size_t Size, const char *Format, ...) PRINTF_LIKE(3, 4);

/* Shell-style glob: '*' matches any run, '?' one character; a comma separates alternatives. */
bool RtlMatchGlob(const char *Pattern, const char *Text);

/* A pool or mapping tag printed as four characters (non-printables as '.'). */
void RtlTagToString(ULONG Tag, char Out[5]);

/*
 * NT's bitmaps (kernel/rtl/bitmap.c): SizeOfBitMap bits in Buffer, bit n in
 * word n / 32. The Find routines search from HintIndex to the end, then
 * from the start, and return RTL_BITMAP_NOT_FOUND when no run fits. No
 * locking: the bitmap's owner serialises.
 */
typedef struct _RTL_BITMAP {
    ULONG SizeOfBitMap;
    PULONG Buffer;
} RTL_BITMAP, *PRTL_BITMAP;

#define RTL_BITMAP_NOT_FOUND 0xFFFFFFFF

void RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap);
void RtlClearAllBits(PRTL_BITMAP BitMapHeader);
void RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet);
void RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear);
ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex);
ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex);
ULONG RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex);
ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader);

static inline bool RtlCheckBit(const RTL_BITMAP *BitMapHeader, ULONG BitPosition)
{
    return (BitMapHeader->Buffer[BitPosition / 32] >> (BitPosition % 32)) & 1;
}

#endif
