/*
 * include/drivers.h — the console devices: COM1 and the VGA text screen.
 *
 * Both are output sinks for DbgPrint (kernel/kd/dbgprint.c). COM1 also
 * receives: characters arrive by interrupt (IRQ 4) into a ring buffer that
 * the kd> prompt reads.
 */
#ifndef MM386_DRIVERS_H
#define MM386_DRIVERS_H

#include <ntdef.h>

/* drivers/serial.c — 16550 UART on COM1, 115200 8N1. */
void SerialInitialize(void);
void SerialEnableReceiveInterrupt(void);
void SerialWrite(const char *Text, size_t Length);
/* Returns the next received character, or -1 when none is waiting. */
int SerialReadChar(void);
/* Counts received characters dropped because the ring buffer was full. */
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
