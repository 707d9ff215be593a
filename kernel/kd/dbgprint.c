/*
 * kernel/kd/dbgprint.c — DbgPrint: the one way kernel code prints.
 *
 * DbgPrint formats with RtlFormat into a small buffer and hands each full
 * buffer to every registered output routine: COM1 and the VGA console from
 * the first line of KiSystemStartup, and whatever the kd> prompt adds later.
 * Output is written with interrupts off, so a line from an interrupt handler
 * is never spliced into the middle of another.
 */
#include <hal.h>
#include <ke.h>
#include <rtl.h>

#define MAX_OUTPUTS     4
#define PRINT_CHUNK     128

static PKD_OUTPUT_ROUTINE KiOutputs[MAX_OUTPUTS];

void KeRegisterOutput(PKD_OUTPUT_ROUTINE Routine)
{
    for (int i = 0; i < MAX_OUTPUTS; i++) {
        if (!KiOutputs[i]) {
            KiOutputs[i] = Routine;
            return;
        }
    }
}

void KeUnregisterOutput(PKD_OUTPUT_ROUTINE Routine)
{
    for (int i = 0; i < MAX_OUTPUTS; i++) {
        if (KiOutputs[i] == Routine)
            KiOutputs[i] = NULL;
    }
}

typedef struct {
    char Buffer[PRINT_CHUNK];
    size_t Used;
    ULONG Total;
} PRINT_STATE;

static void Flush(PRINT_STATE *State)
{
    for (int i = 0; i < MAX_OUTPUTS; i++) {
        if (KiOutputs[i])
            KiOutputs[i](State->Buffer, State->Used);
    }
    State->Used = 0;
}

static void PrintSink(void *Context, const char *Text, size_t Length)
{
    PRINT_STATE *State = Context;
    State->Total += Length;
    while (Length) {
        size_t n = MIN(Length, PRINT_CHUNK - State->Used);
        memcpy(State->Buffer + State->Used, Text, n);
        State->Used += n;
        Text += n;
        Length -= n;
        if (State->Used == PRINT_CHUNK)
            Flush(State);
    }
}

ULONG vDbgPrint(PCSTR Format, va_list Args)
{
    PRINT_STATE State;
    State.Used = 0;
    State.Total = 0;
    bool Enabled = HalSaveAndDisableInterrupts();
    RtlFormat(PrintSink, &State, Format, Args);
    if (State.Used)
        Flush(&State);
    HalRestoreInterrupts(Enabled);
    return State.Total;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    va_list Args;
    va_start(Args, Format);
    ULONG n = vDbgPrint(Format, Args);
    va_end(Args);
    return n;
}
