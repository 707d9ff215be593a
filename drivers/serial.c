/*
 * drivers/serial.c — the 16550 UART on COM1.
 *
 * Output is polled: each byte waits for the transmit holding register to be
 * empty, so a bugcheck can print with interrupts off and nothing is lost.
 * '\n' goes out as "\r\n". Input is interrupt driven: the UART raises IRQ 4
 * when a byte arrives, and the handler moves every waiting byte into a ring
 * buffer that SerialReadChar drains; a full buffer drops bytes and counts
 * them rather than blocking in an interrupt.
 */
#include <drivers.h>
#include <hal.h>
#include <ke.h>

#define COM1            0x3F8
#define UART_DATA       0
#define UART_IER        1       /* interrupt enable */
#define UART_DLL        0       /* divisor latch, with DLAB */
#define UART_DLM        1
#define UART_FCR        2       /* FIFO control */
#define UART_LCR        3       /* line control */
#define UART_MCR        4       /* modem control */
#define UART_LSR        5       /* line status */
#define LCR_8N1         0x03
#define LCR_DLAB        0x80
#define FCR_ENABLE      0xC7    /* enable, clear both FIFOs, 14-byte threshold */
#define MCR_DTR_RTS_OUT2 0x0B   /* OUT2 gates the IRQ line on PC hardware */
#define LSR_DATA_READY  0x01
#define LSR_THR_EMPTY   0x20
#define IER_RX_AVAILABLE 0x01
#define UART_CLOCK      115200
#define COM1_IRQ        4
#define RX_BUFFER_SIZE  256

static volatile uint8_t RxBuffer[RX_BUFFER_SIZE];
static volatile uint32_t RxHead, RxTail, RxOverruns;

void SerialInitialize(void)
{
    const uint32_t Divisor = UART_CLOCK / 115200;
    HalWritePortUchar(COM1 + UART_IER, 0);
    HalWritePortUchar(COM1 + UART_LCR, LCR_DLAB);
    HalWritePortUchar(COM1 + UART_DLL, (uint8_t)(Divisor & 0xFF));
    HalWritePortUchar(COM1 + UART_DLM, (uint8_t)(Divisor >> 8));
    HalWritePortUchar(COM1 + UART_LCR, LCR_8N1);
    HalWritePortUchar(COM1 + UART_FCR, FCR_ENABLE);
    HalWritePortUchar(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

static void SerialPutByte(char c)
{
    while (!(HalReadPortUchar(COM1 + UART_LSR) & LSR_THR_EMPTY))
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

static void SerialInterrupt(KTRAP_FRAME *TrapFrame, PVOID Context)
{
    while (HalReadPortUchar(COM1 + UART_LSR) & LSR_DATA_READY) {
        uint8_t c = HalReadPortUchar(COM1 + UART_DATA);
        uint32_t Next = (RxHead + 1) % RX_BUFFER_SIZE;
        if (Next == RxTail) {
            RxOverruns++;
            continue;
        }
        RxBuffer[RxHead] = c;
        RxHead = Next;
    }
}

void SerialEnableReceiveInterrupt(void)
{
    HalConnectInterrupt(COM1_IRQ, SerialInterrupt, NULL);
    HalWritePortUchar(COM1 + UART_IER, IER_RX_AVAILABLE);
}

int SerialReadChar(void)
{
    if (RxTail == RxHead)
        return -1;
    int c = RxBuffer[RxTail];
    RxTail = (RxTail + 1) % RX_BUFFER_SIZE;
    return c;
}

uint32_t SerialOverruns(void)
{
    return RxOverruns;
}
