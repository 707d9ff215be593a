/*
 * tests/kernel/serial.c — COM1's receive path: a full ring holds input back
 * in the UART instead of dropping it, and the UART's own overruns are counted.
 *
 * The tests feed the receiver through the 16550's loopback mode (MCR bit 4:
 * what is transmitted is received), with interrupts off so nothing else
 * prints meanwhile: in loopback, DbgPrint's output would be received too,
 * so every check is made after loopback is off again. They run only when
 * no input is pending (a script piped to the prompt would mix with theirs).
 */
#include <drivers.h>
#include <hal.h>
#include <ktest.h>

/*
 * The 16550's registers (drivers/serial.c keeps them private). The line
 * status register is never read here: a read clears its overrun bit, which
 * the driver must see.
 */
#define COM1            0x3F8
#define UART_IER        1
#define UART_MCR        4
#define MCR_LOOPBACK    0x10
#define IER_RX_AVAILABLE 0x01

/* Sends one byte through the driver and waits until it is out, which in loopback means received. */
static void LoopbackSend(char Byte)
{
    SerialWrite(&Byte, 1);
    SerialFlush();
}

static bool InputPending(void)
{
    bool Enabled = HalSaveAndDisableInterrupts();
    SerialPollInput();
    int c = SerialReadChar();
    HalRestoreInterrupts(Enabled);
    return c >= 0;
}

/* Letters only: SerialWrite would turn a '\n' into two bytes. */
static char PatternByte(ULONG i)
{
    return (char)('A' + (i * 7) % 26);
}

/*
 * With the ring full the driver takes no more from the UART: it masks the
 * receive interrupt and the next byte waits in the UART (which, under QEMU,
 * holds the sender back). Reading makes room and the held byte follows, so
 * all of them come out, in order, and no overrun is counted.
 */
KTEST(serial, full_ring_holds_input_back_in_the_uart)
{
    const ULONG Count = SERIAL_RX_BUFFER_SIZE + 1;
    ULONG Wrong = 0, Received = 0, FirstWrong = 0;
    uint8_t IerWhenFull;
    int After;

    if (InputPending())
        KTEST_SKIP("input is pending on COM1");
    ULONG Overruns = SerialOverruns();
    bool Enabled = HalSaveAndDisableInterrupts();
    uint8_t Ier = HalReadPortUchar(COM1 + UART_IER), Mcr = HalReadPortUchar(COM1 + UART_MCR);
    /* As at the prompt: the receive interrupt on (interrupts are off here, so none is taken). */
    HalWritePortUchar(COM1 + UART_IER, IER_RX_AVAILABLE);
    HalWritePortUchar(COM1 + UART_MCR, Mcr | MCR_LOOPBACK);
    for (ULONG Sent = 0; Sent < Count; Sent++) {
        LoopbackSend(PatternByte(Sent));
        SerialPollInput();
    }
    IerWhenFull = HalReadPortUchar(COM1 + UART_IER);
    for (int c; (c = SerialReadChar()) >= 0; Received++) {
        if (c != PatternByte(Received) && Wrong++ == 0)
            FirstWrong = Received;
    }
    After = SerialReadChar();
    HalWritePortUchar(COM1 + UART_MCR, Mcr);
    HalWritePortUchar(COM1 + UART_IER, Ier);
    HalRestoreInterrupts(Enabled);

    EXPECT_EQ(IerWhenFull & IER_RX_AVAILABLE, 0);
    EXPECT_EQ(Received, Count);
    if (Wrong)
        KtestFail(t, __FILE__, __LINE__, "%u bytes out of order, the first at %u", Wrong, FirstWrong);
    EXPECT_EQ(After, -1);
    EXPECT_EQ(SerialOverruns(), Overruns);
}

/*
 * A byte the UART had to throw away (LSR.OE: it came while the receive
 * register, or the 16-byte FIFO, was full) is counted for the kd> prompt
 * to report. Seventeen bytes unread overrun the UART with or without FIFO.
 * Run from the prompt, the overrun it makes is reported there, as any
 * would be (tools/kdsession.py checks that).
 */
KTEST(serial, uart_overrun_is_counted)
{
    if (InputPending())
        KTEST_SKIP("input is pending on COM1");
    ULONG Overruns = SerialOverruns();
    bool Enabled = HalSaveAndDisableInterrupts();
    uint8_t Ier = HalReadPortUchar(COM1 + UART_IER), Mcr = HalReadPortUchar(COM1 + UART_MCR);
    HalWritePortUchar(COM1 + UART_IER, 0);
    HalWritePortUchar(COM1 + UART_MCR, Mcr | MCR_LOOPBACK);
    for (ULONG Sent = 0; Sent < 17; Sent++)
        LoopbackSend(PatternByte(Sent));
    SerialPollInput();
    while (SerialReadChar() >= 0)
        ;
    HalWritePortUchar(COM1 + UART_MCR, Mcr);
    HalWritePortUchar(COM1 + UART_IER, Ier);
    HalRestoreInterrupts(Enabled);

    EXPECT_GT(SerialOverruns(), Overruns);
}
