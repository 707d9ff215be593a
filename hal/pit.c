/*
 * hal/pit.c — the 8254 programmable interval timer: the system clock.
 *
 * Channel 0 runs in rate-generator mode at HAL_CLOCK_HZ (100 Hz, a 10 ms
 * tick: NT's classic x86 clock interval) and interrupts on IRQ 0, which runs
 * at CLOCK2_LEVEL. Each tick is handed to the kernel's KeUpdateSystemTime,
 * as NT's HAL hands it: time, timers and thread quantums are the kernel's.
 */
#include <hal.h>
#include <ke.h>

#define PIT_INPUT_HZ    1193182
#define PIT_CHANNEL0    0x40
#define PIT_COMMAND     0x43
#define PIT_CH0_RATE    0x34    /* channel 0, lobyte/hibyte, mode 2 */
#define PIT_IRQ         0

void KeUpdateSystemTime(KTRAP_FRAME *TrapFrame);

static void HalpClockInterrupt(KTRAP_FRAME *TrapFrame, PVOID Context)
{
    KeUpdateSystemTime(TrapFrame);
}

void HalInitializeClock(void)
{
    uint32_t Divisor = (PIT_INPUT_HZ + HAL_CLOCK_HZ / 2) / HAL_CLOCK_HZ;
    HalWritePortUchar(PIT_COMMAND, PIT_CH0_RATE);
    HalWritePortUchar(PIT_CHANNEL0, (uint8_t)(Divisor & 0xFF));
    HalWritePortUchar(PIT_CHANNEL0, (uint8_t)(Divisor >> 8));
    HalConnectInterrupt(PIT_IRQ, HalpClockInterrupt, NULL);
}
