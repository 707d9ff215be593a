"""mm-poolused and mm-pool: the executive pools, as kd>'s !poolused and !pool.

The tag table is PoolTrackTable (mm/pooltag.c), read in one piece and laid
out by the ELF's debug information; big allocations are the big-page table
PoolBigPageTable; a page of small blocks is read whole and its POOL_HEADERs
decoded with the header's bitfield layout. Which pages are pool pages comes
from where mm/poolpage.c keeps it: the paged pool's two bitmaps
(MmPagedPoolInfo), the nonpaged pool's StartOfAllocation and
EndOfAllocation bits in the PFN entries. The output is the same, line for
line, as !poolused and !pool in mm/kdpool.c, and the pool lines of !vm.
"""
import gdb

from . import layout, target
from .command import MmCommand

NONPAGED, PAGED = 0, 1


def field_offsets(type_name):
    """{member: byte offset} of a C struct, from DWARF."""
    return {f.name: f.bitpos // 8 for f in gdb.lookup_type(type_name).strip_typedefs().fields()}


def words(data, offset, count):
    return [int.from_bytes(data[offset + 4 * i:offset + 4 * i + 4], 'little') for i in range(count)]


def tag_rows():
    """[(key, [(allocs, frees, bytes) nonpaged, ... paged])] for every row of PoolTrackTable, in table order."""
    table = target.value('PoolTrackTable')
    rows = table.type.range()[1] + 1
    size = table.type.target().sizeof
    row, counts = field_offsets('POOL_TRACKER_TABLE'), field_offsets('POOL_TRACKER_COUNTS')
    per_pool = gdb.lookup_type('POOL_TRACKER_COUNTS').sizeof
    data = target.read_bytes(int(table.address), rows * size)
    result = []
    for i in range(rows):
        base = i * size
        key = words(data, base + row['Key'], 1)[0]
        pools = []
        for pool in (NONPAGED, PAGED):
            at = base + row['Pool'] + pool * per_pool
            pools.append(tuple(words(data, at + counts[name], 1)[0] for name in ('Allocs', 'Frees', 'Bytes')))
        result.append((key, pools))
    return result


def glob_match(pattern, text):
    """RtlMatchGlob on one pattern: * any characters, ? one, the rest as they are."""
    if not pattern:
        return not text
    if pattern[0] == '*':
        return any(glob_match(pattern[1:], text[i:]) for i in range(len(text) + 1))
    return bool(text) and pattern[0] in ('?', text[0]) and glob_match(pattern[1:], text[1:])


def parse_poolused(argument):
    """mm-poolused's [FLAGS [TAG]], checked as kd>'s !poolused checks them: (flags, pattern or None)."""
    words = argument.split()
    if len(words) > 2:
        raise target.KernelError(f'unexpected argument {words[2]!r} (usage: mm-poolused [FLAGS [TAG]])')
    try:
        flags = int(words[0], 16) if words else 0
    except ValueError:
        raise target.KernelError(f'FLAGS {words[0]!r} is not a hex number') from None
    if flags & ~7 or (flags & 6) == 6:
        raise target.KernelError(f'FLAGS {flags:x}: 1 (verbose), 2 (sort by nonpaged) or 4 (sort by paged)')
    pattern = None
    if len(words) == 2:
        pattern = words[1]
        if '*' not in pattern:
            if len(pattern) > 4:
                raise target.KernelError(f'TAG {pattern!r} is {len(pattern)} characters; a pool tag has 1 to 4')
            pattern = pattern.ljust(4)
    return flags, pattern


def poolused_view(flags=0, pattern=None):
    """ExpPrintPoolTagTable: the tags Flags and Pattern select, in the order Flags asks for, then the totals."""
    live = lambda counts: (counts[0] - counts[1]) & 0xFFFFFFFF
    verbose = flags & 1
    rows = [(key, pools) for key, pools in tag_rows()
            if key and (pools[NONPAGED][0] or pools[PAGED][0] if verbose else
                        live(pools[NONPAGED]) or live(pools[PAGED]) or pools[NONPAGED][2] + pools[PAGED][2])
            and (pattern is None or glob_match(pattern, target.tag_string(key)))]
    if flags & 2:
        rows.sort(key=lambda row: -row[1][NONPAGED][2])
        order = 'NonPaged Pool Consumed'
    elif flags & 4:
        rows.sort(key=lambda row: -row[1][PAGED][2])
        order = 'Paged Pool Consumed'
    else:
        rows.sort(key=lambda row: target.tag_string(row[0]))
        order = 'Tag'
    lines = [f' Sorting by {order}', '']
    if verbose:
        lines += [f' {"":<5} {"NonPaged":>38} {"Paged":>38}',
                  f' {"Tag":<5} {"Allocs":>8} {"Frees":>8} {"Diff":>8} {"Used":>11} {"Allocs":>8} {"Frees":>8} '
                  f'{"Diff":>8} {"Used":>11}']
    else:
        lines += [f' {"":<5} {"NonPaged":>23} {"Paged":>23}',
                  f' {"Tag":<5} {"Allocs":>10} {"Used":>12} {"Allocs":>10} {"Used":>12}']
    total = [0] * 8
    for key, (nonpaged, paged) in rows:
        values = [nonpaged[0], nonpaged[1], live(nonpaged), nonpaged[2], paged[0], paged[1], live(paged), paged[2]]
        total = [(t + v) & 0xFFFFFFFF for t, v in zip(total, values)]
        lines.append(row_line(target.tag_string(key), values, verbose))
    if not rows and pattern is not None:
        lines.append(f" (no tag matches '{pattern}')")
    lines.append(row_line('TOTAL', total, verbose))
    return lines


def row_line(tag, values, verbose):
    """One line of the table: (allocs, frees, live, used) for each pool, as much of it as the table shows."""
    if verbose:
        return (f' {tag:<5} {values[0]:8d} {values[1]:8d} {values[2]:8d} {values[3]:11d} {values[4]:8d} '
                f'{values[5]:8d} {values[6]:8d} {values[7]:11d}')
    return f' {tag:<5} {values[2]:10d} {values[3]:12d} {values[6]:10d} {values[7]:12d}'


def check_bit(bitmap, number):
    """RtlCheckBit on an RTL_BITMAP value."""
    return (target.read_word(int(bitmap['Buffer']) + number // 32 * 4) >> (number % 32)) & 1


def pte_if_mapped(va):
    """The valid PTE word mapping va in the current address space, or None."""
    hard = target.Bitfields('MMPTE_HARDWARE')
    if not hard(target.read_word(target.pde_address(va)), 'Valid'):
        return None
    pte = target.read_word(target.pte_address(va))
    return pte if hard(pte, 'Valid') else None


def single_page_allocation(page):
    """MiIsSinglePagePoolAllocation: the page is one whole allocation of its pool (a page of small blocks)."""
    if target.integer('MmPagedPoolStart') <= page <= target.integer('MmPagedPoolEnd'):
        info = target.value('MmPagedPoolInfo')
        index = (page - target.integer('MmPagedPoolStart')) >> target.constant('PageShift')
        allocated, ends = info['PagedPoolAllocationMap'], info['EndOfPagedPoolBitmap']
        starts = check_bit(allocated, index) and (index == 0 or not check_bit(allocated, index - 1)
                                                   or check_bit(ends, index - 1))
        return bool(starts and check_bit(ends, index))
    pte = pte_if_mapped(page)
    if pte is None:
        return False
    e1 = target.value(f'MmPfnDatabase[{target.Bitfields("MMPTE_HARDWARE")(pte, "PageFrameNumber")}]')['u3']['e2']['e1']
    return bool(int(e1['StartOfAllocation']) and int(e1['EndOfAllocation']))


def find_big_pages(va):
    """ExpFindBigPages: (start, tag, pages) of the big allocation holding va, or None."""
    size = target.integer('PoolBigPageTableSize')
    entry = gdb.lookup_type('struct _POOL_TRACKER_BIG_PAGES')
    offsets = field_offsets('struct _POOL_TRACKER_BIG_PAGES')
    data = target.read_bytes(target.integer('PoolBigPageTable'), size * entry.sizeof)
    for i in range(size):
        base = i * entry.sizeof
        start, key, pages = (words(data, base + offsets[n], 1)[0] for n in ('Va', 'Key', 'NumberOfPages'))
        if start and 0 <= va - start < pages << target.constant('PageShift'):
            return start, key, pages
    return None


def special_block(va):
    """MiQuerySpecialPoolBlock: (page, tag, pool type) of the live allocation on va's data page, or None.

    The kernel also checks the header's signature; a data page that is mapped
    always carries one (freeing unmaps the page), so the mapping is the test here.
    The header is at the page's start, or at its end for an underrun placement
    (MiSpecialPoolUnderrun[slot])."""
    start, page_size = target.integer('MmSpecialPoolStart'), target.constant('PageSize')
    page = va & ~(page_size - 1)
    if (va - start) & page_size or pte_if_mapped(page) is None:
        return None
    slot = (page - start) // (2 * page_size)
    at = page
    if target.integer(f'MiSpecialPoolUnderrun[{slot}]'):      # an underrun placement: the header ends the page
        at = page + page_size - target.integer('sizeof(struct _MI_SPECIAL_POOL_HEADER)')
    header = target.value(f'*(struct _MI_SPECIAL_POOL_HEADER *){at:#x}')
    return page, int(header['Tag']) & 0xFFFFFFFF, int(header['PoolType'])


def pool_view(va):
    page_size = target.constant('PageSize')
    special = target.integer('MmSpecialPoolStart') <= va < target.integer('MmSpecialPoolEnd')
    nonpaged = target.integer('MmNonPagedPoolStart') <= va < target.integer('MmNonPagedPoolEnd')
    paged = target.integer('MmPagedPoolStart') <= va <= target.integer('MmPagedPoolEnd')
    region = 'Special' if special else 'Nonpaged' if nonpaged else 'Paged' if paged else None
    if region is None:
        return [f'{va:08x} is not in any pool: nonpaged {target.integer("MmNonPagedPoolStart"):08x}..'
                f'{target.integer("MmNonPagedPoolEnd") - 1:08x}, paged {target.integer("MmPagedPoolStart"):08x}..'
                f'{target.integer("MmPagedPoolEnd"):08x}']
    head = f'Pool page {va:08x} region is {region} pool'
    if special:
        block = special_block(va)
        if block is None:
            return [f'{va:08x} is in Special pool, but on no live allocation\'s page (a guard page, or a free slot)']
        page, tag, pool_type = block
        return [head, f'*{page:08x} : special pool page, tag is {target.tag_string(tag)}, '
                      f'{"Paged" if pool_type == PAGED else "Nonpaged"} pool, size is {page_size:#x} bytes; '
                      f'guard page at {page + page_size:08x}']
    big = find_big_pages(va)
    if big:
        start, tag, pages = big
        return [head, f'*{start:08x} : large page allocation, tag is {target.tag_string(tag)}, '
                      f'size is {pages * page_size:#x} bytes']
    page = va & ~(page_size - 1)
    if not single_page_allocation(page):
        return [f'{va:08x} is in {region} pool, but on no page of small blocks and in no big allocation']
    header = target.Bitfields('POOL_HEADER')
    shift = target.constant('PoolBlockShift')
    units_per_page = page_size >> shift
    data = target.read_bytes(page, page_size)
    lines, offset, previous = [head], 0, 0
    while offset < units_per_page:
        word = int.from_bytes(data[offset << shift:(offset << shift) + 8], 'little')
        size = header(word, 'BlockSize')
        if size == 0 or offset + size > units_per_page or header(word, 'PreviousSize') != previous:
            lines.append('the next header does not fit the page: the page is corrupt after the blocks above')
            break
        address, pool_type = page + (offset << shift), header(word, 'PoolType')
        here = address <= va < address + (size << shift)
        state = ('(Free)' if pool_type == target.constant('PoolFreeBlock')
                 else '(Lookaside)' if pool_type & target.constant('PoolInLookaside') else '(Allocated)')
        mark = '*' if here else ' '
        lines.append(f'{mark}{address:08x} size: {size << shift:4x} previous size: {previous << shift:4x}  '
                     f'{state:<12}{mark}{target.tag_string(header(word, "PoolTag"))}')
        previous = size
        offset += size
    return lines


def vm_pools(vm_line):
    """KdVmPools: nonpaged pool used and maximum (initial, expansion), paged pool used, resident, maximum."""
    shift = target.constant('PageShift')
    initial = target.integer('MmSizeOfNonPagedPoolInBytes') >> shift
    expansion = target.integer('MiMaximumNonPagedExpansionPages')
    paged_start, paged_size = target.integer('MmPagedPoolStart'), target.integer('MmSizeOfPagedPoolInBytes')
    return [
        vm_line('NonPagedPool Usage:', target.integer('MmAllocatedNonPagedPool')),
        vm_line('  Initial:', initial - target.integer('MmNumberOfFreeNonPagedPool')),
        vm_line('  Expansion:', target.integer('MiNonPagedExpansionPagesInUse')),
        vm_line('NonPagedPool Max:', initial + expansion),
        vm_line('  Initial:', initial),
        vm_line('  Expansion:', expansion),
        vm_line('PagedPool Usage:', target.integer('MmPagedPoolInfo.AllocatedPagedPool')),
        vm_line('  Resident:', layout.PageTables().mapped_pages(paged_start, paged_size)),
        vm_line('PagedPool Maximum:', paged_size >> shift),
    ]


class MmPoolused(MmCommand):
    """mm-poolused [FLAGS [TAG]]: the pool tag table, live allocations and bytes per tag and pool (kd>'s !poolused).

By tag; FLAGS 2 sorts by nonpaged bytes, 4 by paged bytes (largest first),
1 adds the allocations and frees so far; TAG keeps the tags it matches
(* any characters, ? one; a shorter tag is padded with blanks)."""
    name = 'mm-poolused'

    def run(self, argument):
        return poolused_view(*parse_poolused(argument))


class MmPool(MmCommand):
    """mm-pool ADDRESS: the pool page holding ADDRESS, block by block (kd>'s !pool).

Every block of the page with its size and the previous block's size (bytes,
hex), (Allocated), (Free) or (Lookaside), and its tag; the block holding
ADDRESS is marked with a star. A big allocation or a special pool page is
one line. ADDRESS is a gdb expression."""
    name = 'mm-pool'

    def run(self, argument):
        return pool_view(target.parse_address(argument, self.name))
