/*
 * kernel/rtl/rtl.c — memory and string routines for a kernel that links no C
 * library, and the names of the NTSTATUS values mm386 uses.
 *
 * The bulk copies use the string instructions (rep movsl / rep stosl): on
 * the CPUs mm386 targets they are the fastest simple loop, and under QEMU's
 * -icount each iteration counts as one instruction, which is what
 * `make bench` measures.
 */
#include <rtl.h>
#include <ntstatus.h>

void *memcpy(void *Destination, const void *Source, size_t Length)
{
    void *Result = Destination;
    size_t Dwords = Length >> 2;
    size_t Bytes = Length & 3;

    __asm__ volatile("rep movsl\n\t"
                     "movl %3, %%ecx\n\t"
                     "rep movsb"
                     : "+D"(Destination), "+S"(Source), "+c"(Dwords)
                     : "r"(Bytes)
                     : "memory");
    return Result;
}

void *memset(void *Destination, int Value, size_t Length)
{
    void *Result = Destination;
    uint32_t Fill = (uint8_t)Value * 0x01010101u;
    size_t Dwords = Length >> 2;
    size_t Bytes = Length & 3;

    __asm__ volatile("rep stosl\n\t"
                     "movl %3, %%ecx\n\t"
                     "rep stosb"
                     : "+D"(Destination), "+c"(Dwords)
                     : "a"(Fill), "r"(Bytes)
                     : "memory");
    return Result;
}

void *memmove(void *Destination, const void *Source, size_t Length)
{
    if ((uintptr_t)Destination <= (uintptr_t)Source ||
        (uintptr_t)Destination >= (uintptr_t)Source + Length)
        return memcpy(Destination, Source, Length);

    /* Overlapping with the destination above the source: copy backwards. */
    void *Result = Destination;
    const uint8_t *S = (const uint8_t *)Source + Length - 1;
    uint8_t *D = (uint8_t *)Destination + Length - 1;
    __asm__ volatile("std\n\t"
                     "rep movsb\n\t"
                     "cld"
                     : "+D"(D), "+S"(S), "+c"(Length)
                     :
                     : "memory");
    return Result;
}

int memcmp(const void *A, const void *B, size_t Length)
{
    const uint8_t *X = A, *Y = B;
    for (size_t i = 0; i < Length; i++) {
        if (X[i] != Y[i])
            return X[i] < Y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *String)
{
    size_t n = 0;
    while (String[n])
        n++;
    return n;
}

size_t strnlen(const char *String, size_t Max)
{
    size_t n = 0;
    while (n < Max && String[n])
        n++;
    return n;
}

int strcmp(const char *A, const char *B)
{
    while (*A && *A == *B) {
        A++;
        B++;
    }
    return (uint8_t)*A - (uint8_t)*B;
}

int strncmp(const char *A, const char *B, size_t Length)
{
    for (size_t i = 0; i < Length; i++) {
        if (A[i] != B[i] || !A[i])
            return (uint8_t)A[i] - (uint8_t)B[i];
    }
    return 0;
}

int RtlCompareStringInsensitive(const char *A, const char *B, size_t Length)
{
    for (size_t i = 0; i < Length; i++) {
        char a = RtlUpperChar(A[i]), b = RtlUpperChar(B[i]);
        if (a != b || !a)
            return (uint8_t)a - (uint8_t)b;
    }
    return 0;
}

char *strchr(const char *String, int Character)
{
    for (;; String++) {
        if (*String == (char)Character)
            return (char *)String;
        if (!*String)
            return NULL;
    }
}

size_t strlcpy(char *Destination, const char *Source, size_t Size)
{
    size_t Length = strlen(Source);
    if (Size) {
        size_t n = Length < Size - 1 ? Length : Size - 1;
        memcpy(Destination, Source, n);
        Destination[n] = '\0';
    }
    return Length;
}

bool RtlParseUlong(const char *String, const char **End, ULONG *Value)
{
    ULONG Base = 10, Result = 0;
    const char *p = String;
    bool Digits = false;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        Base = 16;
        p += 2;
    }
    for (;; p++) {
        ULONG d;
        char c = *p;
        if (c >= '0' && c <= '9')
            d = (ULONG)(c - '0');
        else if (Base == 16 && c >= 'a' && c <= 'f')
            d = (ULONG)(c - 'a' + 10);
        else if (Base == 16 && c >= 'A' && c <= 'F')
            d = (ULONG)(c - 'A' + 10);
        else
            break;
        if (Result > (0xFFFFFFFFu - d) / Base)
            return false;
        Result = Result * Base + d;
        Digits = true;
    }
    if (End)
        *End = p;
    if (Digits)
        *Value = Result;
    return Digits;
}

static bool MatchOne(const char *Pattern, const char *PatternEnd, const char *Text)
{
    const char *StarPattern = NULL, *StarText = NULL;

    while (*Text) {
        if (Pattern < PatternEnd && (*Pattern == '?' || *Pattern == *Text)) {
            Pattern++;
            Text++;
        } else if (Pattern < PatternEnd && *Pattern == '*') {
            StarPattern = ++Pattern;
            StarText = Text;
        } else if (StarPattern) {
            Pattern = StarPattern;
            Text = ++StarText;
        } else {
            return false;
        }
    }
    while (Pattern < PatternEnd && *Pattern == '*')
        Pattern++;
    return Pattern == PatternEnd;
}

bool RtlMatchGlob(const char *Pattern, const char *Text)
{
    for (;;) {
        const char *Comma = strchr(Pattern, ',');
        const char *End = Comma ? Comma : Pattern + strlen(Pattern);
        if (MatchOne(Pattern, End, Text))
            return true;
        if (!Comma)
            return false;
        Pattern = Comma + 1;
    }
}

void RtlTagToString(ULONG Tag, char Out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((Tag >> (8 * i)) & 0xFF);
        Out[i] = (c >= 0x20 && c < 0x7F) ? c : '.';
    }
    Out[4] = '\0';
}

static const struct {
    NTSTATUS Status;
    const char *Name;
} StatusNames[] = {
#define S(x) { x, #x }
    S(STATUS_SUCCESS), S(STATUS_TIMEOUT), S(STATUS_PENDING),
    S(STATUS_GUARD_PAGE_VIOLATION), S(STATUS_DATATYPE_MISALIGNMENT),
    S(STATUS_BREAKPOINT), S(STATUS_SINGLE_STEP), S(STATUS_UNSUCCESSFUL),
    S(STATUS_NOT_IMPLEMENTED), S(STATUS_ACCESS_VIOLATION), S(STATUS_IN_PAGE_ERROR),
    S(STATUS_INVALID_PARAMETER), S(STATUS_NO_MEMORY), S(STATUS_CONFLICTING_ADDRESSES),
    S(STATUS_NOT_MAPPED_VIEW), S(STATUS_UNABLE_TO_FREE_VM), S(STATUS_ILLEGAL_INSTRUCTION),
    S(STATUS_INVALID_VIEW_SIZE), S(STATUS_ALREADY_COMMITTED), S(STATUS_DATA_ERROR), S(STATUS_SECTION_TOO_BIG),
    S(STATUS_INVALID_PAGE_PROTECTION), S(STATUS_INTEGER_DIVIDE_BY_ZERO),
    S(STATUS_INTEGER_OVERFLOW), S(STATUS_PRIVILEGED_INSTRUCTION),
    S(STATUS_INSUFFICIENT_RESOURCES), S(STATUS_MEMORY_NOT_ALLOCATED),
    S(STATUS_INVALID_PARAMETER_1), S(STATUS_INVALID_PARAMETER_2),
    S(STATUS_INVALID_PARAMETER_3), S(STATUS_INVALID_PARAMETER_4),
    S(STATUS_INVALID_PARAMETER_5), S(STATUS_INVALID_PARAMETER_6),
    S(STATUS_STACK_OVERFLOW), S(STATUS_COMMITMENT_LIMIT), S(STATUS_INVALID_ADDRESS),
    S(STATUS_NOT_FOUND), S(STATUS_ABANDONED_WAIT_0), S(STATUS_USER_APC), S(STATUS_KERNEL_APC),
    S(STATUS_ALERTED), S(STATUS_NO_YIELD_PERFORMED), S(STATUS_MUTANT_NOT_OWNED),
    S(STATUS_SEMAPHORE_LIMIT_EXCEEDED), S(STATUS_MUTANT_LIMIT_EXCEEDED),
    S(STATUS_INVALID_HANDLE), S(STATUS_ACCESS_DENIED), S(STATUS_OBJECT_TYPE_MISMATCH),
    S(STATUS_OBJECT_NAME_INVALID), S(STATUS_OBJECT_NAME_COLLISION), S(STATUS_PROCESS_IS_TERMINATING),
    S(STATUS_PAGE_FAULT_GUARD_PAGE), S(STATUS_INVALID_INFO_CLASS), S(STATUS_INFO_LENGTH_MISMATCH),
    S(STATUS_UNABLE_TO_DELETE_SECTION), S(STATUS_INVALID_SYSTEM_SERVICE), S(STATUS_NOT_COMMITTED),
    S(STATUS_ARRAY_BOUNDS_EXCEEDED), S(STATUS_FREE_VM_NOT_AT_BASE), S(STATUS_NOT_SUPPORTED),
    S(STATUS_OBJECT_NAME_NOT_FOUND), S(STATUS_OBJECT_PATH_NOT_FOUND), S(STATUS_OBJECT_PATH_SYNTAX_BAD),
    S(STATUS_INVALID_IMAGE_NOT_MZ), S(STATUS_INVALID_IMAGE_FORMAT), S(STATUS_IMAGE_MACHINE_TYPE_MISMATCH),
    S(STATUS_INVALID_IMAGE_PROTECT), S(STATUS_INVALID_IMAGE_NE_FORMAT), S(STATUS_INVALID_IMAGE_LE_FORMAT),
    S(STATUS_INVALID_IMAGE_WIN_64), S(STATUS_IMAGE_NOT_AT_BASE), S(STATUS_SECTION_NOT_IMAGE),
    S(STATUS_CANT_TERMINATE_SELF), S(STATUS_NONCONTINUABLE_EXCEPTION),
    S(STATUS_ASSERTION_FAILURE),
    S(STATUS_INVALID_PARAMETER_MIX), S(STATUS_TIMER_RESUME_IGNORED),
    S(STATUS_NAME_TOO_LONG),
    S(STATUS_DLL_NOT_FOUND), S(STATUS_ORDINAL_NOT_FOUND), S(STATUS_ENTRYPOINT_NOT_FOUND),
    S(STATUS_INVALID_FILE_FOR_SECTION), S(STATUS_SECTION_PROTECTION), S(STATUS_INVALID_PARAMETER_7),
    S(STATUS_INVALID_PARAMETER_8), S(STATUS_INVALID_PARAMETER_9), S(STATUS_INVALID_PARAMETER_10),
    S(STATUS_MAPPED_FILE_SIZE_ZERO), S(STATUS_MAPPED_ALIGNMENT),
#undef S
};

const char *RtlNtStatusName(NTSTATUS Status)
{
    for (size_t i = 0; i < ARRAY_SIZE(StatusNames); i++) {
        if (StatusNames[i].Status == Status)
            return StatusNames[i].Name;
    }
    return "STATUS_?";
}
