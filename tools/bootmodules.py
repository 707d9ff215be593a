"""The boot modules every mm386 boot carries: what the kernel opens as \\Boot\\NAME.

tests/data/bootmod.txt (tests/kernel/boot.c checks it arrived), ntdll.dll
(the system DLL every process maps) and every program the build links
(build/user/*.exe: user/programs and tests/user).
QEMU's direct boots pass them as `-initrd a,b,c`; the GRUB ISOs list them as
`module` lines (tools/mkiso.py fills the @MODULES@ of iso/grub.cfg).
"""
import glob
import os

BOOT_MODULE = os.path.join('tests', 'data', 'bootmod.txt')


def files(build='build'):
    """The module files, bootmod.txt first, then the DLLs and the programs by name."""
    user = os.path.join(build, 'user')
    return [BOOT_MODULE] + sorted(glob.glob(os.path.join(user, '*.dll'))) + sorted(glob.glob(os.path.join(user, '*.exe')))


def initrd(build='build'):
    """QEMU's -initrd argument for all of them."""
    return ','.join(files(build))
