#!/usr/bin/env python3
"""Fail the build loudly if the kernel image cannot be booted by a multiboot loader.

Multiboot 1 requires the header (magic 0x1BADB002, flags, checksum) to be
32-bit aligned and entirely inside the first 8192 bytes of the file. GRUB and
QEMU both refuse the image otherwise, and they say little about why.
"""
import struct
import sys

MAGIC = 0x1BADB002
LIMIT = 8192


def main():
    path = sys.argv[1]
    with open(path, 'rb') as f:
        head = f.read(LIMIT)
    for off in range(0, len(head) - 11, 4):
        magic, flags, checksum = struct.unpack_from('<III', head, off)
        if magic == MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0:
            return 0
    sys.stderr.write(f'check_image: {path}: no valid multiboot header in the first {LIMIT} bytes; '
                     'the .multiboot section must come first in linker.ld\n')
    return 1


if __name__ == '__main__':
    sys.exit(main())
