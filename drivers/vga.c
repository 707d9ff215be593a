/*
 * drivers/vga.c — the VGA text console, 80 columns by 25 rows.
 *
 * The frame buffer lives at physical 0xB8000. Early in boot the HAL's page
 * table maps it at HAL_EARLY_VGA_VA (boot/boot.asm); once the memory manager
 * runs, kernel/init.c remaps it with MmMapIoSpace and calls VgaSetBuffer, so
 * the console is an ordinary driver using I/O space. Output scrolls; the
 * hardware cursor follows the text.
 */
#include <drivers.h>
#include <hal.h>
#include <rtl.h>

#define CRTC_INDEX      0x3D4
#define CRTC_DATA       0x3D5
#define CRTC_CURSOR_HI  0x0E
#define CRTC_CURSOR_LO  0x0F

static volatile uint16_t *VgaBuffer;
static uint32_t VgaRow, VgaColumn;
static uint8_t VgaColor = VGA_COLOR_NORMAL;

static void VgaUpdateCursor(void)
{
    uint16_t Position = (uint16_t)(VgaRow * VGA_COLUMNS + VgaColumn);
    HalWritePortUchar(CRTC_INDEX, CRTC_CURSOR_HI);
    HalWritePortUchar(CRTC_DATA, (uint8_t)(Position >> 8));
    HalWritePortUchar(CRTC_INDEX, CRTC_CURSOR_LO);
    HalWritePortUchar(CRTC_DATA, (uint8_t)(Position & 0xFF));
}

void VgaClear(uint8_t Color)
{
    VgaColor = Color;
    if (!VgaBuffer)
        return;
    uint32_t Blank = ((uint32_t)Color << 8 | ' ') * 0x00010001u;
    RtlFillMemoryUlong((void *)VgaBuffer, VGA_BUFFER_SIZE, Blank);
    VgaRow = VgaColumn = 0;
    VgaUpdateCursor();
}

void VgaInitialize(void *Buffer)
{
    VgaBuffer = Buffer;
    VgaClear(VGA_COLOR_NORMAL);
}

void VgaSetBuffer(void *Buffer)
{
    VgaBuffer = Buffer;
}

void *VgaGetBuffer(void)
{
    return (void *)VgaBuffer;
}

static void VgaScroll(void)
{
    memmove((void *)VgaBuffer, (const void *)(VgaBuffer + VGA_COLUMNS),
            (VGA_ROWS - 1) * VGA_COLUMNS * 2);
    uint32_t Blank = ((uint32_t)VgaColor << 8 | ' ') * 0x00010001u;
    RtlFillMemoryUlong((void *)(VgaBuffer + (VGA_ROWS - 1) * VGA_COLUMNS), VGA_COLUMNS * 2, Blank);
    VgaRow = VGA_ROWS - 1;
}

void VgaWrite(const char *Text, size_t Length)
{
    if (!VgaBuffer)
        return;
    for (size_t i = 0; i < Length; i++) {
        char c = Text[i];
        if (c == '\n') {
            VgaColumn = 0;
            VgaRow++;
        } else if (c == '\r') {
            VgaColumn = 0;
        } else if (c == '\b') {
            if (VgaColumn)
                VgaColumn--;
        } else {
            VgaBuffer[VgaRow * VGA_COLUMNS + VgaColumn] = (uint16_t)((uint16_t)VgaColor << 8 | (uint8_t)c);
            if (++VgaColumn == VGA_COLUMNS) {
                VgaColumn = 0;
                VgaRow++;
            }
        }
        if (VgaRow == VGA_ROWS)
            VgaScroll();
    }
    VgaUpdateCursor();
}
