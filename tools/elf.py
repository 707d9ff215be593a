"""Read the symbol table of the mm386 kernel (an ELF32 little-endian file).

The host-side checks need addresses the build chose (a kernel function, the
boot stack's guard page, a string in .rodata) to drive the kd> prompt with.
They read them from the ELF itself, so no number is copied by hand and no
cross binutils are needed. Python standard library only.
"""
import struct

SHT_SYMTAB = 2


def symbols(path):
    """Returns {name: address} for every named symbol in the file's .symtab."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'\x7fELF' or data[4] != 1 or data[5] != 1:
        raise ValueError(f'{path}: not a 32-bit little-endian ELF file')
    shoff, = struct.unpack_from('<I', data, 0x20)
    shentsize, shnum = struct.unpack_from('<HH', data, 0x2E)
    sections = [struct.unpack_from('<IIIIIIIIII', data, shoff + i * shentsize) for i in range(shnum)]
    result = {}
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != SHT_SYMTAB:
            continue
        strings = sections[link][4]
        for at in range(offset, offset + size, entsize):
            name, value = struct.unpack_from('<II', data, at)
            if name:
                end = data.index(b'\0', strings + name)
                result[data[strings + name:end].decode()] = value
    return result
