/*
 * include/drivers.h — the console devices: COM1 and the VGA text screen.
 *
 * Both are output sinks for DbgPrint (kernel/kd/dbgprint.c). COM1 also
 * receives: characters arrive by interrupt (IRQ 4) into a ring buffer that
 * the kd> prompt reads; when the ring is full the UART holds the sender
 * back, so no received byte is dropped by the kernel.
 */
#ifndef MM386_DRIVERS_H
#define MM386_DRIVERS_H

#include <ntdef.h>

/* drivers/serial.c — 16550 UART on COM1, 115200 8N1. */
#define SERIAL_RX_BUFFER_SIZE   256     /* received bytes the kernel holds; then the UART holds the sender */
void SerialInitialize(void);
/* Connects IRQ 4 and takes input by interrupt from now on (the kd> prompt). */
void SerialEnableReceiveInterrupt(void);
void SerialWrite(const char *Text, size_t Length);
/* Waits until every byte written has left the UART (its shift register too). */
void SerialFlush(void);
/*
 * Returns the next received character, or -1 when none is waiting. Once it
 * has made room in a full ring, takes what the UART held back. Any IRQL;
 * disables interrupts briefly.
 */
int SerialReadChar(void);
/* Waits (PASSIVE_LEVEL, after SerialEnableReceiveInterrupt) until a received character is waiting. */
void SerialWaitForInput(void);
/*
 * Moves the bytes waiting in the UART into the ring until it is full (then
 * masks the receive interrupt, leaving the rest in the UART). The receive
 * interrupt's work; also for code that reads COM1 with interrupts off.
 */
void SerialPollInput(void);
/*
 * The next byte straight from the UART, or -1: the ring is left alone. For
 * the kernel debugger's stopped prompt, which must not touch the ring the
 * stopped code may be half-way through reading. Interrupts off.
 */
int SerialReadPolled(void);
/* Receive overruns the UART reported (LSR.OE): each means at least one byte lost before the kernel saw it. */
uint32_t SerialOverruns(void);

/* drivers/vga.c — 80x25 colour text mode. */
#define VGA_COLUMNS     80
#define VGA_ROWS        25
#define VGA_BUFFER_SIZE (VGA_COLUMNS * VGA_ROWS * 2)
#define VGA_COLOR_NORMAL    0x07    /* light grey on black */
#define VGA_COLOR_BUGCHECK  0x1F    /* white on blue */
void VgaInitialize(void *Buffer);
/* Moves the console onto a new mapping of the same frame buffer. */
void VgaSetBuffer(void *Buffer);
void *VgaGetBuffer(void);
void VgaWrite(const char *Text, size_t Length);
void VgaClear(uint8_t Color);

#endif
