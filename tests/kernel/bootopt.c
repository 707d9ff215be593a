/*
 * tests/kernel/bootopt.c — the boot switches table.
 */
#include <ktest.h>
#include <loader.h>
#include <rtl.h>

/* Every known switch lands in its field; case does not matter. */
KTEST(bootopt, known_switches)
{
    KE_BOOT_OPTIONS o;
    ULONG Rejected = KiParseBootOptions("/3gb /USERVA=2560 /maxmem=64 /BENCH /SPECIALPOOL=Tst ktest=pool.*",
                                        &o, false);
    EXPECT_EQ(Rejected, 0);
    EXPECT_TRUE(o.ThreeGb);
    EXPECT_EQ(o.UserVaMb, 2560);
    EXPECT_EQ(o.MaxMemMb, 64);
    EXPECT_TRUE(o.Bench);
    EXPECT_TRUE(o.SpecialPool);
    EXPECT_EQ(o.SpecialPoolTag, MAKE_TAG('T', 's', 't', ' '));
    EXPECT_TRUE(o.KTest);
    EXPECT_STREQ(o.KTestGlob, "pool.*");
    EXPECT_EQ(o.UnknownCount, 0);
}

/* An unknown switch and a malformed value are recorded, never silently dropped. */
KTEST(bootopt, unknown_and_malformed_switches)
{
    KE_BOOT_OPTIONS o;
    ULONG Rejected = KiParseBootOptions("/3GB /NOSUCH /USERVA=abc /MAXMEM=", &o, false);
    EXPECT_EQ(Rejected, 3);
    EXPECT_EQ(o.UnknownCount, 3);
    EXPECT_EQ(o.MalformedCount, 2);
    EXPECT_STREQ(o.Unknown[0], "/NOSUCH");
    EXPECT_STREQ(o.Unknown[1], "/USERVA=abc");
    EXPECT_TRUE(o.ThreeGb);
    EXPECT_EQ(o.UserVaMb, 0);
}

/* A switch is matched as a whole word: /3GBX is not /3GB. */
KTEST(bootopt, whole_word_match)
{
    KE_BOOT_OPTIONS o;
    EXPECT_EQ(KiParseBootOptions("/3GBX ktestx", &o, false), 2);
    EXPECT_FALSE(o.ThreeGb);
    EXPECT_FALSE(o.KTest);
    EXPECT_EQ(KiParseBootOptions("", &o, false), 0);
}

/* True if Line has a blank-separated word starting with Prefix (case-insensitive). */
static bool HasWordStarting(const char *Line, const char *Prefix)
{
    size_t n = strlen(Prefix);
    for (const char *p = Line; *p; p++) {
        if ((p == Line || p[-1] == ' ') && RtlCompareStringInsensitive(p, Prefix, n) == 0)
            return true;
    }
    return false;
}

/* The running kernel parsed its own command line into KeBootOptions: parsing it again gives the same table. */
KTEST(bootopt, running_kernel_parsed_its_command_line)
{
    KE_BOOT_OPTIONS Again;
    KiParseBootOptions(KeLoaderBlock.CommandLine, &Again, false);
    EXPECT_EQ(memcmp(&Again, &KeBootOptions, sizeof(Again)), 0);
    EXPECT_EQ(KeBootOptions.ThreeGb, HasWordStarting(KeLoaderBlock.CommandLine, "/3GB"));
    EXPECT_EQ(KeBootOptions.KTest, HasWordStarting(KeLoaderBlock.CommandLine, "ktest"));
}
