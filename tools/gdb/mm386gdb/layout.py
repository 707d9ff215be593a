"""mm-address: the running split's layout and what is mapped in each region (kd>'s !address).

The regions are the kernel's own table, MiLayout[0..MiLayoutCount), which
mm/mminit.c fills at boot; "mapped" counts the valid PTEs (or large PDEs)
in each region, read through the self-map one page table at a time. The
current process's user regions follow (vad.py). The output is the same,
line for line, as !address in mm/kdexts.c and mm/kdvad.c.
"""
from . import target, vad
from .command import MmCommand

MB = 1 << 20


def format_size(size):
    """MiFormatSize: "64 KB", "4 MB", "2047.9 MB"."""
    if size % MB == 0:
        return f'{size // MB} MB'
    if size >= MB:
        return f'{size // MB}.{(size % MB) * 10 // MB} MB'
    return f'{size // 1024} KB'


class PageTables:
    """The current address space's PDEs and page tables, each read once."""

    def __init__(self):
        self.shift, self.pde_shift = target.constant('PageShift'), target.constant('PdeShift')
        self.per_page = target.constant('PtesPerPage')
        self.hard = target.Bitfields('MMPTE_HARDWARE')
        self.pdes = target.read_words(target.constant('PdeBase'), self.per_page)
        self.tables = {}

    def table(self, index):
        if index not in self.tables:
            base = target.constant('PteBase') + (index << target.constant('PageShift'))
            self.tables[index] = target.read_words(base, self.per_page)
        return self.tables[index]

    def mapped_pages(self, start, size):
        last, count = start + size - 1, 0
        for index in range(start >> self.pde_shift, (last >> self.pde_shift) + 1):
            pde = self.pdes[index]
            if not self.hard(pde, 'Valid'):
                continue
            first_page = max(start, index << self.pde_shift) >> self.shift
            last_page = min(last, ((index + 1) << self.pde_shift) - 1) >> self.shift
            if self.hard(pde, 'LargePage'):
                count += last_page - first_page + 1
                continue
            table = self.table(index)
            count += sum(self.hard(table[p % self.per_page], 'Valid') for p in range(first_page, last_page + 1))
        return count


def address_view(argument=''):
    if argument.strip() == '-summary':
        return vad.summary_view()
    user_mb = target.integer('MmSystemRangeStart') >> 20
    tables = PageTables()
    lines = [
        f'Virtual address space: {user_mb} MB user / {4096 - user_mb} MB system',
        f'MmSystemRangeStart {target.integer("MmSystemRangeStart"):08x}  '
        f'MmHighestUserAddress {target.integer("MmHighestUserAddress"):08x}  '
        f'MmUserProbeAddress {target.integer("MmUserProbeAddress"):08x}',
        f'  {"start":<8}  {"end":<8}  {"size":>9}  {"mapped":>9}  {"variable":<29} what lives there',
    ]
    for i in range(target.integer('MiLayoutCount')):
        region = target.value(f'MiLayout[{i}]')
        start, size = int(region['Start']), int(region['Size'])
        pages = tables.mapped_pages(start, size)
        mapped = format_size(pages << tables.shift) if pages else '-'
        lines.append(f'  {start:08x}  {start + size - 1:08x}  {format_size(size):>9}  {mapped:>9}  '
                     f'{region["Variable"].string():<29} {region["Description"].string()}')
    return lines + vad.regions_view()


class MmAddress(MmCommand):
    """mm-address [-summary]: every region of the running split, its bounds and size, how much is mapped now,
then the current process's user regions (kd>'s !address); -summary totals the user regions."""
    name = 'mm-address'

    def run(self, argument):
        return address_view(argument)
