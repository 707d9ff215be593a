/*
 * kernel/kd/kdtypes.c — dt: a structure's layout, and its values at an
 * address.
 *
 * WinDbg's `dt nt!_MMPFN` prints a structure member by member from the
 * kernel's symbols; `dt _MMPFN ADDRESS` adds each member's value there.
 * mm386 has no symbol files on a host, so the build carries the layouts in
 * the image: tools/gentypes.py reads the DWARF the compiler wrote for the
 * first link pass and writes KdTypes/KdTypeRows (in .ksyms, beside the
 * backtrace symbols), every NT-style UPPERCASE structure and union, each
 * flattened into rows — a member, then the members of a nested structure
 * one level deeper. The layouts therefore cannot drift from the code: they
 * are the compiler's.
 *
 * Values are read through KdpReadMemory (MmDbgCopyMemory), so an address
 * that is not mapped shows ?? instead of faulting. Integers print in hex
 * (signed ones in decimal, 0n, as WinDbg), bit fields in binary (0y),
 * pointers as addresses; nested structures and arrays print their type,
 * and -r expands nested members (three levels at most).
 */
#include <kd.h>
#include <rtl.h>
#include "kdp.h"

struct kdtype {
    uint32_t name, size, first, rows;
};
struct kdrow {
    uint32_t name, type, offset;
    uint8_t depth, kind, size, bitpos, bitsize;
};

/* tools/gentypes.py's KIND_* values. */
typedef enum _KD_VALUE_KIND {
    KdValueNone, KdValueUnsigned, KdValueSigned, KdValuePointer, KdValueBitField, KdValueAggregate, KdValueArray,
    KdValueEnum,
} KD_VALUE_KIND;

extern const uint32_t KdTypeCount;
extern const struct kdtype KdTypes[];
extern const struct kdrow KdTypeRows[];
extern const char KdTypeNames[];

/* A type name as typed: MMPFN, _MMPFN, mm386!_MMPFN, in any case. */
static const char *KdpBareTypeName(const char *Text)
{
    const char *Bang = strchr(Text, '!');
    if (Bang)
        Text = Bang + 1;
    return Text[0] == '_' ? Text + 1 : Text;
}

static bool KdpTypeMatches(const char *Pattern, const char *Name)
{
    if (!*Pattern)
        return !*Name;
    if (*Pattern == '*')
        return KdpTypeMatches(Pattern + 1, Name) || (*Name && KdpTypeMatches(Pattern, Name + 1));
    if (!*Name || RtlUpperChar(*Pattern) != RtlUpperChar(*Name))
        return false;
    return KdpTypeMatches(Pattern + 1, Name + 1);
}

static const struct kdtype *KdpFindType(const char *Name)
{
    for (uint32_t i = 0; i < KdTypeCount; i++) {
        const char *Candidate = KdTypeNames + KdTypes[i].name;
        size_t Length = strlen(Candidate);
        if (strlen(Name) == Length && RtlCompareStringInsensitive(Candidate, Name, Length) == 0)
            return &KdTypes[i];
    }
    return NULL;
}

/* A member's value at Address, as dt prints it. */
static void KdpFormatValue(char *Out, size_t Size, const struct kdrow *Row, ULONG Address)
{
    const char *Type = KdTypeNames + Row->type;
    ULONG Value = 0;
    uint64_t Wide = 0;

    if (Row->kind == KdValueAggregate || Row->kind == KdValueArray || Row->kind == KdValueNone) {
        snprintf(Out, Size, "%s", Type);
        return;
    }
    ULONG Bytes = Row->size;
    if (Bytes == 0 || Bytes > 8 || !KdpReadMemory(Address + Row->offset, &Wide, Bytes)) {
        snprintf(Out, Size, "?? (not mapped)");
        return;
    }
    Value = (ULONG)Wide;
    switch (Row->kind) {
    case KdValuePointer:
        snprintf(Out, Size, "0x%08x %s", Value, Type + 6);     /* "Ptr32 _MMPTE": the pointed-to type */
        break;
    case KdValueBitField: {
        ULONG Field = (Value >> Row->bitpos) & (Row->bitsize >= 32 ? 0xFFFFFFFFu : (1u << Row->bitsize) - 1);
        char Bits[36];
        for (ULONG i = 0; i < Row->bitsize && i < 32; i++)
            Bits[i] = (Field >> (Row->bitsize - 1 - i)) & 1 ? '1' : '0';
        Bits[MIN(Row->bitsize, 32)] = '\0';
        snprintf(Out, Size, "0y%s (0x%x)", Bits, Field);
        break;
    }
    case KdValueSigned:
        if (Row->size == 1)
            snprintf(Out, Size, "0n%d", (int)(signed char)Value);
        else if (Row->size == 2)
            snprintf(Out, Size, "0n%d", (int)(short)Value);
        else if (Row->size == 8)
            snprintf(Out, Size, "0n%lld", (long long)Wide);
        else
            snprintf(Out, Size, "0n%d", (int)Value);
        break;
    case KdValueEnum:
        snprintf(Out, Size, "0n%d (%s)", (int)Value, Type);
        break;
    default:
        if (Row->size == 8)
            snprintf(Out, Size, "0x%llx", (unsigned long long)Wide);
        else
            snprintf(Out, Size, "0x%x", Row->size == 1 ? Value & 0xFF : Row->size == 2 ? Value & 0xFFFF : Value);
        break;
    }
}

static void KdpListTypes(const char *Pattern)
{
    ULONG Found = 0;
    for (uint32_t i = 0; i < KdTypeCount; i++) {
        const char *Name = KdTypeNames + KdTypes[i].name;
        if (KdpTypeMatches(Pattern, Name)) {
            DbgPrint("          mm386!_%s (%u bytes)\n", Name, KdTypes[i].size);
            Found++;
        }
    }
    if (!Found)
        DbgPrint("dt: no type matches '%s'\n", Pattern);
}

KD_COMMAND(dt, "dt", "[-r] TYPE [ADDRESS]",
           "display a structure's layout (MMPFN, POOL_HEADER, KTHREAD ...: from the kernel's own DWARF), "
           "with its values at ADDRESS; -r expands nested members; TYPE with * lists types")
{
    bool Recurse = Argc >= 2 && strcmp(Argv[1], "-r") == 0;
    int First = Recurse ? 2 : 1;
    ULONG Address = 0;

    if (Argc >= 2 && Argv[1][0] == '-' && !Recurse) {
        DbgPrint("dt: unexpected option '%s' (the only option is -r)\n", Argv[1]);
        return;
    }
    if (!KdCheckArgumentCount(Argc - (First - 1), Argv + (First - 1), 1, 2))
        return;
    const char *Name = KdpBareTypeName(Argv[First]);
    if (strchr(Name, '*')) {
        if (Argc > First + 1)
            DbgPrint("dt: a pattern lists types; ADDRESS '%s' is not used with one\n", Argv[First + 1]);
        else
            KdpListTypes(Name);
        return;
    }
    const struct kdtype *Type = KdpFindType(Name);
    if (!Type) {
        DbgPrint("dt: no type named '%s' (`dt %s*` lists the types starting so; `dt *` all %u)\n", Argv[First],
                 Name, KdTypeCount);
        return;
    }
    bool HasAddress = Argc > First + 1;
    if (HasAddress && !KdParseAddress(Argv[First + 1], "ADDRESS", &Address))
        return;
    DbgPrint("mm386!_%s (%u bytes)%s", KdTypeNames + Type->name, Type->size, HasAddress ? "" : "\n");
    if (HasAddress)
        DbgPrint(" at %08x\n", Address);
    for (uint32_t i = 0; i < Type->rows; i++) {
        const struct kdrow *Row = &KdTypeRows[Type->first + i];
        char Value[80];
        if (Row->depth && !Recurse)
            continue;
        if (HasAddress)
            KdpFormatValue(Value, sizeof(Value), Row, Address);
        else
            snprintf(Value, sizeof(Value), "%s", KdTypeNames + Row->type);
        DbgPrint("%*s+0x%03x %-16s : %s\n", 3 + 3 * Row->depth, "", Row->offset, KdTypeNames + Row->name, Value);
    }
}
