/*
 * hal/cmos.c — the battery-backed real-time clock in the CMOS.
 *
 * The RTC (MC146818 and compatibles) keeps the date and time in registers
 * 0x00..0x09 behind ports 0x70/0x71, in BCD or binary and 12- or 24-hour
 * form as register B says. An update in progress (register A bit 7) can
 * tear a read, so the registers are read until two reads in a row agree.
 * NT's HalQueryRealTimeClock reads it the same way to seed system time.
 */
#include <hal.h>

#define CMOS_ADDRESS        0x70
#define CMOS_DATA           0x71
#define RTC_SECONDS         0x00
#define RTC_MINUTES         0x02
#define RTC_HOURS           0x04
#define RTC_DAY             0x07
#define RTC_MONTH           0x08
#define RTC_YEAR            0x09
#define RTC_STATUS_A        0x0A
#define RTC_STATUS_B        0x0B
#define RTC_CENTURY         0x32        /* the ACPI FADT's usual century register */
#define RTC_A_UPDATING      0x80
#define RTC_B_24_HOUR       0x02
#define RTC_B_BINARY        0x04
#define RTC_HOUR_PM         0x80

static uint8_t ReadCmos(uint8_t Register)
{
    HalWritePortUchar(CMOS_ADDRESS, Register);
    return HalReadPortUchar(CMOS_DATA);
}

static void ReadRegisters(uint8_t Values[7])
{
    while (ReadCmos(RTC_STATUS_A) & RTC_A_UPDATING)
        HalPause();
    Values[0] = ReadCmos(RTC_SECONDS);
    Values[1] = ReadCmos(RTC_MINUTES);
    Values[2] = ReadCmos(RTC_HOURS);
    Values[3] = ReadCmos(RTC_DAY);
    Values[4] = ReadCmos(RTC_MONTH);
    Values[5] = ReadCmos(RTC_YEAR);
    Values[6] = ReadCmos(RTC_CENTURY);
}

static uint8_t FromBcd(uint8_t Value)
{
    return (uint8_t)((Value >> 4) * 10 + (Value & 0x0F));
}

void HalQueryRealTimeClock(HAL_TIME_FIELDS *Time)
{
    uint8_t Now[7], Again[7];
    bool Enabled = HalSaveAndDisableInterrupts();
    ReadRegisters(Now);
    for (;;) {
        ReadRegisters(Again);
        if (Now[0] == Again[0] && Now[1] == Again[1] && Now[2] == Again[2] && Now[3] == Again[3] &&
            Now[4] == Again[4] && Now[5] == Again[5] && Now[6] == Again[6])
            break;
        for (int i = 0; i < 7; i++)
            Now[i] = Again[i];
    }
    uint8_t StatusB = ReadCmos(RTC_STATUS_B);
    HalRestoreInterrupts(Enabled);

    bool Pm = (Now[2] & RTC_HOUR_PM) != 0;
    Now[2] &= (uint8_t)~RTC_HOUR_PM;
    if (!(StatusB & RTC_B_BINARY)) {
        for (int i = 0; i < 7; i++)
            Now[i] = FromBcd(Now[i]);
    }
    if (!(StatusB & RTC_B_24_HOUR))
        Now[2] = (uint8_t)(Now[2] % 12 + (Pm ? 12 : 0));
    uint16_t Century = Now[6] >= 19 && Now[6] <= 30 ? Now[6] : (Now[5] < 70 ? 20 : 19);

    Time->Year = (uint16_t)(Century * 100 + Now[5]);
    Time->Month = Now[4];
    Time->Day = Now[3];
    Time->Hour = Now[2];
    Time->Minute = Now[1];
    Time->Second = Now[0];
}
