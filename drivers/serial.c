/*
 * drivers/serial.c — the 16550 UART on COM1.
 *
 * Output is polled: each byte waits for the transmit holding register to be
 * empty, so a bugcheck can print with interrupts off and nothing is lost.
 * '\n' goes out as "\r\n".
 *
 * Input is interrupt driven and never drops a byte on the kernel's side. The
 * UART raises IRQ 4 when a byte arrives, and SerialPollInput moves every
 * waiting byte into a 256-byte ring that SerialReadChar drains. When the
 * ring is full it stops taking bytes: it masks the UART's receive interrupt
 * and leaves the rest in the UART, whose full receive register (or FIFO)
 * makes the other end wait — QEMU holds further input back until there is
 * room, as a terminal does under flow control. Once the reader has emptied
 * half the ring, SerialReadChar takes what the UART held and unmasks the
 * interrupt. An overrun the UART itself reports (LSR.OE: a byte came while
 * it had nowhere to put it, which only real hardware or a sender that does
 * not wait can cause) is counted; the kd> prompt reports it.
 *
 * A thread that wants input and finds none waits on SerialInputEvent
 * (SerialWaitForInput): the interrupt queues a DPC, as NT's drivers do,
 * and the DPC sets the event, so the waiting thread gives the processor to
 * others meanwhile instead of halting it.
 *
 * Initialisation leaves the receive FIFOs as the loader left them (on after
 * GRUB, off after QEMU's -kernel loader): turning them on or off empties
 * them (16550 data sheet; QEMU does the same), and a byte typed before the
 * kernel started is waiting there. So the first byte of a script piped to
 * COM1 before the prompt is read like any other.
 */
#include <drivers.h>
#include <hal.h>
#include <ke.h>

#define COM1            0x3F8
#define UART_DATA       0
#define UART_IER        1       /* interrupt enable */
#define UART_DLL        0       /* divisor latch, with DLAB */
#define UART_DLM        1
#define UART_LCR        3       /* line control */
#define UART_MCR        4       /* modem control */
#define UART_LSR        5       /* line status */
#define LCR_8N1         0x03
#define LCR_DLAB        0x80
#define MCR_DTR_RTS_OUT2 0x0B   /* OUT2 gates the IRQ line on PC hardware */
#define LSR_DATA_READY  0x01
#define LSR_OVERRUN     0x02
#define LSR_THR_EMPTY   0x20
#define LSR_TX_EMPTY    0x40    /* holding and shift register both empty */
#define IER_RX_AVAILABLE 0x01
#define UART_CLOCK      115200
#define COM1_IRQ        4
#define RX_BUFFER_SIZE  SERIAL_RX_BUFFER_SIZE  /* a power of two: the indices run freely and wrap */

static volatile uint8_t RxBuffer[RX_BUFFER_SIZE];
static volatile uint32_t RxHead, RxTail;        /* bytes in the ring: RxHead - RxTail */
static volatile uint32_t RxOverruns;
static volatile bool RxInterruptEnabled;        /* SerialEnableReceiveInterrupt has run */
static volatile bool RxHeld;                    /* the ring filled: the receive interrupt is masked */
static KDPC SerialDpc;
static KEVENT SerialInputEvent;                 /* set by the DPC when bytes have come */

void SerialInitialize(void)
{
    const uint32_t Divisor = UART_CLOCK / 115200;
    HalWritePortUchar(COM1 + UART_IER, 0);
    HalWritePortUchar(COM1 + UART_LCR, LCR_DLAB);
    HalWritePortUchar(COM1 + UART_DLL, (uint8_t)(Divisor & 0xFF));
    HalWritePortUchar(COM1 + UART_DLM, (uint8_t)(Divisor >> 8));
    HalWritePortUchar(COM1 + UART_LCR, LCR_8N1);
    HalWritePortUchar(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

/*
 * Reading the line status clears its error bits, so every read goes through
 * here and an overrun is counted whichever path saw it (output polls LSR too).
 */
static uint8_t SerialLineStatus(void)
{
    uint8_t Status = HalReadPortUchar(COM1 + UART_LSR);
    if (Status & LSR_OVERRUN)
        RxOverruns++;
    return Status;
}

static void SerialPutByte(char c)
{
    while (!(SerialLineStatus() & LSR_THR_EMPTY))
        HalPause();
    HalWritePortUchar(COM1 + UART_DATA, (uint8_t)c);
}

void SerialWrite(const char *Text, size_t Length)
{
    for (size_t i = 0; i < Length; i++) {
        if (Text[i] == '\n')
            SerialPutByte('\r');
        SerialPutByte(Text[i]);
    }
}

void SerialFlush(void)
{
    while (!(SerialLineStatus() & LSR_TX_EMPTY))
        HalPause();
}

void SerialPollInput(void)
{
    bool Enabled = HalSaveAndDisableInterrupts();
    for (;;) {
        uint8_t Status = SerialLineStatus();
        if (!(Status & LSR_DATA_READY))
            break;
        if (RxHead - RxTail == RX_BUFFER_SIZE) {
            /* Full: the byte stays in the UART, and the UART stops the sender. */
            HalWritePortUchar(COM1 + UART_IER, 0);
            RxHeld = true;
            break;
        }
        RxBuffer[RxHead % RX_BUFFER_SIZE] = HalReadPortUchar(COM1 + UART_DATA);
        RxHead++;
    }
    HalRestoreInterrupts(Enabled);
}

int SerialReadPolled(void)
{
    if (!(SerialLineStatus() & LSR_DATA_READY))
        return -1;
    return HalReadPortUchar(COM1 + UART_DATA);
}

/* NT's serial increment: a thread that waited for input runs a little sooner. */
#define IO_SERIAL_INCREMENT 2

static void SerialInputDpc(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
    KeSetEvent(&SerialInputEvent, IO_SERIAL_INCREMENT, FALSE);
}

static void SerialInterrupt(KTRAP_FRAME *TrapFrame, PVOID Context)
{
    SerialPollInput();
    if (RxHead != RxTail)
        KeInsertQueueDpc(&SerialDpc, NULL, NULL);
}

void SerialWaitForInput(void)
{
    while (RxHead == RxTail)
        KeWaitForSingleObject(&SerialInputEvent, Executive, KernelMode, FALSE, NULL);
}

void SerialEnableReceiveInterrupt(void)
{
    KeInitializeDpc(&SerialDpc, SerialInputDpc, NULL);
    KeInitializeEvent(&SerialInputEvent, SynchronizationEvent, FALSE);
    HalConnectInterrupt(COM1_IRQ, SerialInterrupt, NULL);
    bool Enabled = HalSaveAndDisableInterrupts();
    RxInterruptEnabled = true;
    SerialPollInput();
    if (!RxHeld)
        HalWritePortUchar(COM1 + UART_IER, IER_RX_AVAILABLE);
    HalRestoreInterrupts(Enabled);
}

int SerialReadChar(void)
{
    int c = -1;
    bool Enabled = HalSaveAndDisableInterrupts();

    if (RxTail != RxHead) {
        c = RxBuffer[RxTail % RX_BUFFER_SIZE];
        RxTail++;
    }
    if (RxHeld && RxHead - RxTail <= RX_BUFFER_SIZE / 2) {
        /* Room again: take what the UART kept, then let it interrupt. */
        RxHeld = false;
        SerialPollInput();
        if (!RxHeld && RxInterruptEnabled)
            HalWritePortUchar(COM1 + UART_IER, IER_RX_AVAILABLE);
    }
    HalRestoreInterrupts(Enabled);
    return c;
}

uint32_t SerialOverruns(void)
{
    return RxOverruns;
}
