/*
 * tests/testlib.c — the little state tests/testlib.h's helpers share.
 */
#include <drivers.h>
#include "testlib.h"

/* Never set: it only keeps the compiler from proving the recursion endless. */
volatile int TestStopRecursion;

static char *TestCaptureBuffer;
static size_t TestCaptureSize, TestCaptureUsed;

static void TestCaptureOutput(const char *Text, size_t Length)
{
    size_t n = MIN(Length, TestCaptureSize - 1 - TestCaptureUsed);
    memcpy(TestCaptureBuffer + TestCaptureUsed, Text, n);
    TestCaptureUsed += n;
    TestCaptureBuffer[TestCaptureUsed] = '\0';
}

void TestBeginCapture(char *Buffer, size_t Size)
{
    TestCaptureBuffer = Buffer;
    TestCaptureSize = Size;
    TestCaptureUsed = 0;
    Buffer[0] = '\0';
    KeUnregisterOutput(SerialWrite);
    KeUnregisterOutput(VgaWrite);
    KeRegisterOutput(TestCaptureOutput);
}

void TestEndCapture(void)
{
    KeUnregisterOutput(TestCaptureOutput);
    KeRegisterOutput(SerialWrite);
    KeRegisterOutput(VgaWrite);
}
