"""mm-sysptes, and what mm-pte says of a system PTE: kd>'s !sysptes and the system PTE lines of !pte.

The pool is read where mm/syspte.c keeps it: the free list from
MmFirstFreeSystemPte through the free PTEs themselves (MMPTE_LIST: a run's
first PTE links to the next run by index, its second holds the size unless
OneEntry is set), the per-size caches MiPteBins (sizes MiBinSize: two SLISTs
each, whose entries are the runs' first PTEs, each holding the address of
the next run's first PTE), the
waiting list MiWaitingPtes, the regions MiBaseRegion and MiExtraRegion with
their reservation maps (two bits a PTE, MiSystemPteMapPtesPerWord PTEs a
word: start bit, end bit). The kernel's own queries take the pool's lock;
this reads without it, as a debugger does. The output is the same, line
for line, as !sysptes and !pte in mm/kdexts.c.
"""
from . import target
from .command import MmCommand

class Pool:
    """One reading of the system PTE pool."""

    def __init__(self):
        self.list = target.Bitfields('MMPTE_LIST')
        self.empty = target.constant('EmptyPteList')
        self.pte_base = target.constant('PteBase')
        self.bins = []
        count = target.integer('sizeof(MiPteBins) / sizeof(MiPteBins[0])')
        for i in range(count):
            self.bins.append((target.integer(f'MiBinSize[{i}]'),
                              target.integer(f'(unsigned long)MiPteBins[{i}].Usable.Next.Next'),
                              target.integer(f'(unsigned long)MiPteBins[{i}].Waiting.Next.Next')))
        self.regions = []
        for name in ('MiBaseRegion', 'MiExtraRegion'):
            self.regions.append(tuple(target.integer(f'{name}.{f}') for f in ('First', 'End', 'Limit', 'Map')))

    def pte(self, index):
        return target.read_word(self.pte_base + index * 4)

    def next(self, index):
        return self.list(self.pte(index), 'NextEntry')

    def run_size(self, index):
        """MiRunSize: 1 for OneEntry, else the size in the run's second PTE."""
        return 1 if self.list(self.pte(index), 'OneEntry') else self.next(index + 1)

    def chain(self, index):
        """The run indexes linked from index, through first PTEs."""
        seen = 0
        while index != self.empty:
            yield index
            index = self.next(index)
            seen += 1
            if seen > 1 << 20:
                raise target.KernelError(f'a list of system PTEs does not end (at index {index:x})')

    def cache_chain(self, first):
        """The run indexes of a cache's SLIST whose first entry (a run's first PTE) is at address first."""
        seen = 0
        while first:
            yield (first - self.pte_base) // 4
            first = target.read_word(first)
            seen += 1
            if seen > 1 << 16:
                raise target.KernelError(f'a system PTE cache does not end (at {first:08x})')

    def free_list(self):
        return self.chain(self.list(target.integer('MmFirstFreeSystemPte.u.Long'), 'NextEntry'))

    def waiting_list(self):
        return self.chain(self.list(target.integer('MiWaitingPtes.u.Long'), 'NextEntry'))

    def region_of(self, pte):
        """MiRegionOf: the (First, End, Limit, Map) whose pool part holds the PTE at address pte, or None."""
        for region in self.regions:
            if region[0] <= pte < region[1]:
                return region
        return None

    def find_free(self, pte):
        """MiQueryFreeSystemPte: (run's first PTE address, size, list number) for a free PTE, else None."""
        if not self.region_of(pte):
            return None
        lists = [(self.free_list(), 0, 0), (self.waiting_list(), 0, 1)]
        for size, usable, waiting in self.bins:
            lists += [(self.cache_chain(usable), size, 2), (self.cache_chain(waiting), size, 3)]
        for runs, size, number in lists:
            for index in runs:
                run = self.pte_base + index * 4
                run_size = size or self.run_size(index)
                if run <= pte < run + run_size * 4:
                    return run, run_size, number
        return None

    def allocation(self, pte):
        """MiQuerySystemPteAllocation: (first PTE address, length) of the reservation holding pte, or None."""
        region = self.region_of(pte)
        if not region:
            return None
        first, end, _, map_address = region
        per_word = target.integer('MiSystemPteMapPtesPerWord')
        words = {}

        def bit(number, kind):          # kind 0: the start bit, 1: the end bit
            word = number // per_word
            if word not in words:
                words[word] = target.read_word(map_address + word * 4)
            return (words[word] >> (2 * (number % per_word) + kind)) & 1

        at = (pte - first) // 4
        start = next((n for n in range(at, -1, -1) if bit(n, 0)), None)
        if start is None:
            return None
        limit = (end - first) // 4
        last = next((n for n in range(start, limit) if bit(n, 1)), limit)
        if last == limit or first + last * 4 < pte:
            return None
        return first + start * 4, last - start + 1


def identify_stack(va, pool):
    """KeIdentifyStack: (name, limit, base) of the kernel stack va lies on, its guard page included; else None."""
    guard, limit, base = (target.symbol_address(f'__boot_stack_{n}') for n in ('guard', 'limit', 'base'))
    if guard <= va < base:
        return 'the boot stack', limit, base
    found = pool.allocation(target.pte_address(va))
    if not found:
        return None
    start, count = found
    small, large = target.constant('KernelStackPages'), target.constant('KernelLargeStackPages')
    soft = target.Bitfields('MMPTE_SOFTWARE')
    guard_pte = target.constant('ProtectNoAccess') << soft.layout['Protection'][0]
    if count not in (small + 1, large + 1) or target.read_word(start) != guard_pte:
        return None
    name = 'a large kernel stack' if count == large + 1 else 'a kernel stack'
    return name, target.pte_to_address(start + 4), target.pte_to_address(start + count * 4)


def describe_system_pte(pointer, word, va, describe):
    """KdDescribeSystemPte: the lines for a free system PTE or a stack's guard page, or [] for any other."""
    hard = target.Bitfields('MMPTE_HARDWARE')
    if hard(word, 'Valid'):
        return []
    pool = Pool()
    free = pool.find_free(pointer)
    if free:
        run, size, number = free
        lst = pool.list
        has_size_pte = size > 1 and number in (0, 1)
        lines = ['not valid']
        if pointer == run and number in (2, 3):
            lines.append('free system PTE (SLIST entry)')
            if word == 0:
                lines.append('Next NULL: last run')
            else:
                lines.append(f'Next {word:08X}: run at {target.pte_to_address(word):08x}')
        elif pointer == run:
            one = ', OneEntry' if lst(word, 'OneEntry') else ''
            entry = lst(word, 'NextEntry')
            lines.append('free system PTE (MMPTE_LIST)')
            if entry == pool.empty:
                lines.append(f'NextEntry {pool.empty:05X}: last run{one}')
            else:
                lines.append(f'NextEntry {entry:05X}: run at {entry << target.constant("PageShift"):08x}{one}')
        elif pointer == run + 4 and has_size_pte:
            lines += ['free system PTE (MMPTE_LIST)', f'NextEntry {lst(word, "NextEntry"):05X}: the run\'s size']
        else:
            lines += ['free system PTE', f'in the run at {target.pte_to_address(run):08x}']
        lines.append(f'run of {size} PTEs {target.string(f"MiFreeSystemPteListNames[{number}]")}')
        return lines
    stack = identify_stack(va, pool)
    page = va & ~(target.constant('PageSize') - 1)
    if stack and page == stack[1] - target.constant('PageSize'):
        lines = describe(pointer, word)
        if len(lines) < target.constant('PteDescriptionLines'):
            lines.append(f'guard page of {stack[0]}')
        return lines
    return []


def run_class_name(number, classes):
    if number == 0:
        return '1'
    if number == classes - 1:
        return f'{1 << number}+'
    return f'{1 << number}-{(2 << number) - 1}'


def sysptes_view(flags):
    pool = Pool()
    total, free = target.integer('MmTotalSystemPtes'), target.integer('MmTotalFreeSystemPtes')
    classes = target.constant('SystemPteRunClasses')
    lines = ['System PTE Information', f'  Total System Ptes {total}']
    cache_ptes = 0
    for size, usable, waiting in pool.bins:
        u, w = len(list(pool.cache_chain(usable))), len(list(pool.cache_chain(waiting)))
        lines.append(f'     SysPtes list of size {size} has {u} free, {w} waiting for a TLB flush')
        cache_ptes += (u + w) * size
    base, extra = pool.regions
    lines += [f'    starting PTE: {base[0]:08X}   (VA {target.pte_to_address(base[0]):08x})',
              f'    ending PTE:   {base[1] - 4:08X}',
              f'    extension:    {extra[0]:08X}, {(extra[1] - extra[0]) // 4} of '
              f'{(extra[2] - extra[0]) // 4} PTEs added',
              ]
    free_runs = [(index, pool.run_size(index)) for index in pool.free_list()]
    listed = target.constant('SystemPteListedRuns')
    if flags & 1:
        lines += [f'      free ptes: {pool.pte_base + index * 4:08X}   number free: {size}.'
                  for index, size in free_runs[:listed]]
        if len(free_runs) > listed:
            lines.append(f'      ... and {len(free_runs) - listed} more')
    lines += ['  free runs by size:', f'  {"size":>12} {"runs":>8} {"PTEs":>8}']
    runs, ptes = [0] * classes, [0] * classes
    largest = 0
    for index, size in free_runs:
        number = min(size.bit_length() - 1, classes - 1)
        runs[number] += 1
        ptes[number] += size
        largest = max(largest, size)
    for number in range(classes):
        if runs[number]:
            lines.append(f'  {run_class_name(number, classes):>12} {runs[number]:8d} {ptes[number]:8d}')
    waiting = [pool.run_size(index) for index in pool.waiting_list()]
    lines += [f'  free blocks: {sum(runs)}   total free: {sum(ptes)}   largest free block: {largest}',
              f'  caches: {cache_ptes} PTEs   waiting list: {len(waiting)} runs, {sum(waiting)} PTEs '
              '(reusable after the next TLB flush)',
              f'  free: {free}   in use: {total - free}   TLB flushes: {target.integer("MiSystemPteFlushes")}   '
              f'failed reservations: {target.integer("MiSystemPteFailures")}']
    return lines


def vm_system_ptes(vm_line):
    total, free = target.integer('MmTotalSystemPtes'), target.integer('MmTotalFreeSystemPtes')
    return [vm_line('Free System PTEs:', free), vm_line('Used System PTEs:', total - free),
            vm_line('Total System PTEs:', total)]


class MmSysptes(MmCommand):
    """mm-sysptes [1]: the system PTE pool (kd>'s !sysptes).

The per-size caches with their usable runs and those waiting for a TLB
flush, the base region and the extension, the free list's runs by size,
and the totals: free, in use, flushes, failed reservations. With 1, the
first free runs one by one as well."""
    name = 'mm-sysptes'

    def run(self, argument):
        return sysptes_view(target.parse_address(argument, self.name) if argument.strip() else 0)
