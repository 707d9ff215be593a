/*
 * tests/testlib.c — the little state tests/testlib.h's helpers share.
 */
#include "testlib.h"

/* Never set: it only keeps the compiler from proving the recursion endless. */
volatile int TestStopRecursion;
