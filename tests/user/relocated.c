/*
 * tests/user/relocated.c — an image that cannot have its preferred base.
 *
 * The Makefile links this program with --image-base 0x7FFE0000, where
 * KUSER_SHARED_DATA and the 64 KB NT keeps free below MmUserProbeAddress
 * are: there is no room for it there, so process creation maps its image
 * section elsewhere (STATUS_IMAGE_NOT_AT_BASE) and ntdll's loader applies
 * its base relocations (user/ntdll/ldr.c). It must run,
 * and every absolute address the linker wrote into it must point into the
 * image where it really is.
 */
#include <utest.h>

static ULONG Target = 0x5EED;
static ULONG *const Pointer = &Target;                  /* an absolute address in .rdata: relocated */
static const char *const Strings[] = { "first", "second" };
static int (*const Function)(const char *, const char *) = strcmp;

UTEST(the_image_is_not_at_its_preferred_base)
{
    ULONG Base = (ULONG)NtCurrentPeb()->ImageBaseAddress;
    UTEST_EXPECT(Base != 0x7FFE0000, "mapped at %08x", Base);
    UTEST_EXPECT((ULONG)&Target > Base && (ULONG)&Target < Base + 0x100000, "its data is in its image");
}

UTEST(relocated_pointers_point_into_the_image_where_it_is)
{
    UTEST_EXPECT_EQ(Pointer, &Target);
    UTEST_EXPECT_EQ(*Pointer, 0x5EED);
    UTEST_EXPECT_EQ(strcmp(Strings[1], "second"), 0);
    UTEST_EXPECT_EQ(Function("a", "a"), 0);
}
