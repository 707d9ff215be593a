#!/usr/bin/env python3
"""make debug: QEMU stopped at the kernel entry, gdb attached with symbols.

QEMU starts with its gdb server (-s: port 1234) and halted (-S); COM1 goes to
build/debug-serial.log (watch it with `tail -f` in another terminal). gdb
loads build/mm386.elf, connects, loads the mm386 extension (tools/gdb/) when
present, sets a hardware breakpoint at the multiboot entry point and
continues to it. Hardware breakpoints (hbreak) are the ones to use before
paging is on: a software breakpoint writes an int3 at a virtual address that
is not mapped yet.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402


def elf_entry(path):
    with open(path, 'rb') as f:
        header = f.read(0x1C)
    return int.from_bytes(header[0x18:0x1C], 'little')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', default='build/mm386.elf')
    ap.add_argument('--mem', default='128M')
    ap.add_argument('--args', default='')
    ap.add_argument('--gdb', default='gdb')
    a = ap.parse_args()

    log = os.path.join('build', 'debug-serial.log')
    cmd = [qemu.QEMU, '-m', a.mem, '-display', 'none', '-no-reboot', '-monitor', 'none',
           '-serial', 'file:' + log, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
           '-kernel', a.kernel, '-s', '-S']
    if a.args:
        cmd += ['-append', a.args]
    print(f'debug: QEMU waiting for gdb on :1234; COM1 -> {log}')
    vm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    gdb = [a.gdb, '-q', a.kernel,
           '-ex', 'set architecture i386',
           '-ex', 'target remote localhost:1234']
    extension = os.path.join('tools', 'gdb', 'mm386.py')
    if os.path.exists(extension):
        gdb += ['-ex', f'source {extension}']
    gdb += ['-ex', f'hbreak *{elf_entry(a.kernel):#x}',
            '-ex', 'continue']
    try:
        return subprocess.call(gdb)
    finally:
        vm.kill()
        vm.wait()


if __name__ == '__main__':
    sys.exit(main())
