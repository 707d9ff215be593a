/*
 * kernel/rtl/format.c — printf-style formatting for DbgPrint and snprintf.
 *
 * One formatter, RtlFormat, writes to a sink callback: DbgPrint's sink is the
 * console, snprintf's is a bounded buffer. Supported: %d %i %u %x %X %o %p %s
 * %c %%, length modifiers hh h l ll z, width (digits or *), precision for
 * strings and integers, and the '-' '0' '+' ' ' '#' flags. %p prints eight
 * lowercase hex digits, as WinDbg shows an x86 pointer. A NULL %s prints
 * "(null)" rather than faulting.
 */
#include <rtl.h>

#define F_LEFT  0x01
#define F_ZERO  0x02
#define F_PLUS  0x04
#define F_SPACE 0x08
#define F_ALT   0x10

static void Pad(PRTL_FORMAT_SINK Sink, void *Context, char c, int Count)
{
    char Run[16];
    memset(Run, c, sizeof(Run));
    while (Count > 0) {
        int n = Count > (int)sizeof(Run) ? (int)sizeof(Run) : Count;
        Sink(Context, Run, (size_t)n);
        Count -= n;
    }
}

static void EmitField(PRTL_FORMAT_SINK Sink, void *Context, const char *Prefix,
                      const char *Body, int BodyLength, int Width, int Flags)
{
    int PrefixLength = (int)strlen(Prefix);
    int Fill = Width - PrefixLength - BodyLength;

    if (!(Flags & F_LEFT) && !(Flags & F_ZERO))
        Pad(Sink, Context, ' ', Fill);
    Sink(Context, Prefix, (size_t)PrefixLength);
    if (!(Flags & F_LEFT) && (Flags & F_ZERO))
        Pad(Sink, Context, '0', Fill);
    Sink(Context, Body, (size_t)BodyLength);
    if (Flags & F_LEFT)
        Pad(Sink, Context, ' ', Fill);
}

static void FormatInteger(PRTL_FORMAT_SINK Sink, void *Context, uint64_t Value, bool Negative,
                          unsigned Base, bool Upper, int Width, int Precision, int Flags)
{
    const char *Digits = Upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char Buffer[24];
    int Length = 0;
    char Prefix[4] = "";

    while (Value) {
        Buffer[sizeof(Buffer) - 1 - Length++] = Digits[Value % Base];
        Value /= Base;
    }
    if (Precision < 0 && Length == 0)
        Buffer[sizeof(Buffer) - 1 - Length++] = '0';
    while (Length < Precision && Length < (int)sizeof(Buffer))
        Buffer[sizeof(Buffer) - 1 - Length++] = '0';

    if (Negative)
        strlcpy(Prefix, "-", sizeof(Prefix));
    else if (Flags & F_PLUS)
        strlcpy(Prefix, "+", sizeof(Prefix));
    else if (Flags & F_SPACE)
        strlcpy(Prefix, " ", sizeof(Prefix));
    if ((Flags & F_ALT) && Base == 16)
        strlcpy(Prefix + strlen(Prefix), Upper ? "0X" : "0x", sizeof(Prefix) - strlen(Prefix));
    if (Precision >= 0)
        Flags &= ~F_ZERO;
    EmitField(Sink, Context, Prefix, Buffer + sizeof(Buffer) - Length, Length, Width, Flags);
}

void RtlFormat(PRTL_FORMAT_SINK Sink, void *Context, const char *Format, va_list Args)
{
    const char *p = Format;

    while (*p) {
        const char *Run = p;
        while (*p && *p != '%')
            p++;
        if (p != Run)
            Sink(Context, Run, (size_t)(p - Run));
        if (!*p)
            break;
        p++;

        int Flags = 0, Width = 0, Precision = -1, Long = 0;
        for (;; p++) {
            if (*p == '-') Flags |= F_LEFT;
            else if (*p == '0') Flags |= F_ZERO;
            else if (*p == '+') Flags |= F_PLUS;
            else if (*p == ' ') Flags |= F_SPACE;
            else if (*p == '#') Flags |= F_ALT;
            else break;
        }
        if (*p == '*') {
            Width = va_arg(Args, int);
            if (Width < 0) {
                Flags |= F_LEFT;
                Width = -Width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                Width = Width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            Precision = 0;
            if (*p == '*') {
                Precision = va_arg(Args, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    Precision = Precision * 10 + (*p++ - '0');
            }
        }
        for (;; p++) {
            if (*p == 'l') Long++;
            else if (*p == 'h' || *p == 'z') continue;
            else break;
        }

        char c = *p++;
        switch (c) {
        case 'd':
        case 'i': {
            int64_t v = Long >= 2 ? va_arg(Args, long long) : (int64_t)va_arg(Args, int);
            bool Negative = v < 0;
            uint64_t Magnitude = Negative ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            FormatInteger(Sink, Context, Magnitude, Negative, 10, false, Width, Precision, Flags);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = Long >= 2 ? va_arg(Args, unsigned long long) : (uint64_t)va_arg(Args, unsigned);
            unsigned Base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
            FormatInteger(Sink, Context, v, false, Base, c == 'X', Width, Precision,
                          Flags & ~(F_PLUS | F_SPACE));
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(Args, void *);
            FormatInteger(Sink, Context, v, false, 16, false, Width ? Width : 8, -1,
                          (Flags & F_LEFT) ? Flags : Flags | F_ZERO);
            break;
        }
        case 's': {
            const char *s = va_arg(Args, const char *);
            if (!s)
                s = "(null)";
            int Length = (int)(Precision >= 0 ? strnlen(s, (size_t)Precision) : strlen(s));
            EmitField(Sink, Context, "", s, Length, Width, Flags & ~F_ZERO);
            break;
        }
        case 'c': {
            char ch = (char)va_arg(Args, int);
            EmitField(Sink, Context, "", &ch, 1, Width, Flags & ~F_ZERO);
            break;
        }
        case '%':
            Sink(Context, "%", 1);
            break;
        case '\0':
            p--;
            break;
        default:
            /* Unknown conversion: print it as written, so the mistake shows. */
            Sink(Context, "%", 1);
            Sink(Context, &c, 1);
            break;
        }
    }
}

typedef struct {
    char *Buffer;
    size_t Size;
    size_t Length;      /* what the full output would need */
} BUFFER_SINK;

static void BufferSink(void *Context, const char *Text, size_t Length)
{
    BUFFER_SINK *b = Context;
    if (b->Length + 1 < b->Size) {
        size_t Room = b->Size - 1 - b->Length;
        memcpy(b->Buffer + b->Length, Text, Length < Room ? Length : Room);
    }
    b->Length += Length;
}

int vsnprintf(char *Buffer, size_t Size, const char *Format, va_list Args)
{
    BUFFER_SINK b = { Buffer, Size, 0 };
    RtlFormat(BufferSink, &b, Format, Args);
    if (Size)
        Buffer[b.Length < Size ? b.Length : Size - 1] = '\0';
    return (int)b.Length;
}

int snprintf(char *Buffer, size_t Size, const char *Format, ...)
{
    va_list Args;
    va_start(Args, Format);
    int n = vsnprintf(Buffer, Size, Format, Args);
    va_end(Args);
    return n;
}
