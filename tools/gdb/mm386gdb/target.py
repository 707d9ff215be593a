"""Reading the mm386 kernel from gdb: memory, symbols, types and the build's constants.

Everything goes through gdb: variables by their symbols, structures by the
types the ELF's DWARF describes, raw memory through the target (QEMU's gdb server
reads virtual memory with the current CR3, so the system range, the PFN
database and the self-mapped page tables are all reachable). Nothing is
called in the kernel, so the commands work at a breakpoint or on a hung
kernel. Constants that are #defines in C (PTE_BASE ...) come from the
kernel's KdDebuggerDataBlock (mm/kdexts.c), and names from its name tables.

A process context (mm-process-context, kd>'s .process): the user range and
the part of the self-map that maps it (its PTEs and PDEs) are then read
through that process's page directory instead of the current CR3 — each
address translated by reading the directory and the page table in physical
memory (QEMU's gdb server reads physical memory after `maint packet
Qqemu.PhyMemMode:1`), the way the processor would with that CR3. The
system range is the same in every directory and is read as before.
"""
import gdb


class KernelError(Exception):
    """The kernel's memory or symbols could not be read; the message says what and why."""


def value(expression):
    """The gdb.Value of a C expression over the kernel's symbols, fetched now."""
    try:
        v = gdb.parse_and_eval(expression)
        v.fetch_lazy()
        return v
    except gdb.MemoryError as e:
        raise KernelError(f'cannot read {expression}: {e} (has the kernel turned paging on yet?)')
    except gdb.error as e:
        raise KernelError(f'{expression}: {e} (is build/mm386.elf loaded?)')


def integer(expression):
    return int(value(expression)) & 0xFFFFFFFF


def string(expression):
    try:
        return value(expression).string()
    except gdb.MemoryError as e:
        raise KernelError(f'cannot read the string {expression}: {e}')


def constant(name):
    """A field of KdDebuggerDataBlock: the build's value of a #define."""
    return integer(f'KdDebuggerDataBlock.{name}')


# The chosen process context: (EPROCESS address, its page directory's physical address), or None.
context = None
PAGE = 0x1000
PTE_PRESENT, PDE_LARGE = 0x1, 0x80


def _read_physical(address, count):
    """count bytes of physical memory (QEMU's physical-memory mode, switched back off at once)."""
    gdb.execute('maint packet Qqemu.PhyMemMode:1', to_string=True)
    try:
        return gdb.selected_inferior().read_memory(address, count).tobytes()
    except gdb.MemoryError as e:
        raise KernelError(f'cannot read physical memory at {address:08x}: {e}')
    finally:
        gdb.execute('maint packet Qqemu.PhyMemMode:0', to_string=True)


def _per_process(address, depth=0):
    """True for an address whose contents each process has its own of: the user range, hyperspace, and the
    PTEs (and PDEs) of those, found through the self-map (a PDE is the PTE of a page table's PTE)."""
    if address < integer('(unsigned long)MmSystemRangeStart'):
        return True
    if constant('HyperSpace') <= address < constant('HyperSpaceEnd'):
        return True
    return (depth < 3 and constant('PteBase') <= address <= constant('PteTop')
            and _per_process(pte_to_address(address), depth + 1))


def _in_context(address):
    """True for what a process context changes (the rest of the system range is the same in every process)."""
    return context is not None and _per_process(address)


def _translate(address):
    """The physical address of a virtual one through the context's page directory, or a KernelError."""
    pde = int.from_bytes(_read_physical(context[1] + (address >> 22) * 4, 4), 'little')
    if pde & PTE_PRESENT and pde & PDE_LARGE:
        return (pde & 0xFFC00000) | (address & 0x3FFFFF)
    if pde & PTE_PRESENT:
        pte = int.from_bytes(_read_physical((pde & ~0xFFF) + ((address >> 12) & 0x3FF) * 4, 4), 'little')
        if pte & PTE_PRESENT:
            return (pte & ~0xFFF) | (address & 0xFFF)
    raise KernelError(f'cannot read memory at {address:08x}: no valid PTE maps it in process {context[0]:08x}')


def _read(address, count):
    """count bytes of virtual memory, through the process context where it applies."""
    if not _in_context(address):
        try:
            return gdb.selected_inferior().read_memory(address, count).tobytes()
        except gdb.MemoryError as e:
            raise KernelError(f'cannot read memory at {address:08x}: {e}')
    data = b''
    while count:
        chunk = min(count, PAGE - address % PAGE)
        data += _read_physical(_translate(address), chunk)
        address, count = address + chunk, count - chunk
    return data


def read_words(address, count):
    """count 32-bit little-endian words of virtual memory at address."""
    data = _read(address, count * 4)
    return [int.from_bytes(data[i:i + 4], 'little') for i in range(0, len(data), 4)]


def read_word(address):
    return read_words(address, 1)[0]


def _flatten(gdb_type, base, layout):
    """Every named member of a struct, anonymous structs and unions opened up: name -> (bit position, bits)."""
    for f in gdb_type.strip_typedefs().fields():
        if not f.name:
            _flatten(f.type, base + f.bitpos, layout)
        else:
            layout[f.name] = (base + f.bitpos, f.bitsize or f.type.sizeof * 8)


class Bitfields:
    """Decodes a word (any width, little-endian) with the layout of a C struct, taken from DWARF."""

    def __init__(self, type_name):
        self.layout = {}
        _flatten(gdb.lookup_type(type_name), 0, self.layout)

    def __call__(self, word, name):
        position, size = self.layout[name]
        return (word >> position) & ((1 << size) - 1)


def parse_address(argument, command):
    """A command's argument as a gdb expression (0xe0103430, KiSystemStartup, $eip)."""
    if not argument.strip():
        raise KernelError(f'usage: {command} EXPRESSION')
    try:
        v = gdb.parse_and_eval(argument)
        if v.type.strip_typedefs().code == gdb.TYPE_CODE_FUNC:
            v = v.address
        return int(v) & 0xFFFFFFFF
    except gdb.error as e:
        raise KernelError(f'{command}: {e}')


def physical_runs():
    """[(first page, page count)] of RAM, from MmPhysicalMemoryBlock."""
    block = value('MmPhysicalMemoryBlock')
    return [(int(block['Run'][i]['BasePage']), int(block['Run'][i]['PageCount']))
            for i in range(int(block['NumberOfRuns']))]


def is_physical_page(pfn):
    """MiIsPhysicalPage."""
    return any(0 <= pfn - base < count for base, count in physical_runs())


def pte_address(va):
    """MiAddressToPte through the self-map."""
    return constant('PteBase') + (va >> constant('PageShift')) * 4


def pde_address(va):
    """MiAddressToPde through the self-map."""
    return constant('PdeBase') + (va >> constant('PdeShift')) * 4


def pte_to_address(pte):
    """MiPteToAddress: the virtual address a PTE in the self-map maps."""
    return ((pte - constant('PteBase')) << (constant('PageShift') - 2)) & 0xFFFFFFFF


def read_bytes(address, count):
    """count bytes of virtual memory at address."""
    return _read(address, count)


def symbol_address(name):
    """The address of a linker symbol that has no C type (__boot_stack_base ...)."""
    return integer(f'(unsigned long)&{name}')


def tag_string(tag):
    """RtlTagToString: four characters, '.' for what is not printable."""
    return ''.join(chr(c) if 0x20 <= c < 0x7F else '.' for c in tag.to_bytes(4, 'little'))
