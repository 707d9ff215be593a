"""mm-vad, and the user range in mm-address and mm-vm: kd>'s !vad, !address's user regions, !vm's process commit.

The current process is the one mm-process-context chose (kd>'s .process), else the running thread's, or
the one it is attached to (KTHREAD.ApcState.Process), as PsGetCurrentProcess says. Its VADs are read from its VadRoot, walked in
order; each node as the kernel's own MMVAD, laid out by the ELF's debug
information. The user regions are worked out as NtQueryVirtualMemory works
them out (mm/queryvm.c): the free space between VADs, and in each VAD the
runs of pages with the same state and protection, decided from the PTE
(read through the self-map, a page table at a time) and the VAD, with a
valid page's protection in its PFN's OriginalPte. The #defines needed come
from MiKdVadDataBlock and the names from the kernel's tables (mm/kdvad.c).
The output is the same, line for line, as mm/kdvad.c's.
"""
from . import section, target
from .command import MmCommand


MM_SHARED_USER_DATA_VA = 0x7FFE0000     # NT's fixed user address of KUSER_SHARED_DATA (include/kusd.h)


def data(name):
    return target.integer(f'MiKdVadDataBlock.{name}')


def current_process():
    """The current process's address: mm-process-context's, else PsGetCurrentProcess (the KPROCESS is the
    EPROCESS's first member)."""
    if target.context is not None:
        return target.context[0]
    return target.integer('(unsigned long)KiPcr.PrcbData.CurrentThread->ApcState.Process')


def process(address):
    return target.value(f'*(struct _EPROCESS *){address:#x}')


def processes():
    """The processes on MmProcessList, the system process first (KdNextProcess)."""
    result = []
    head = target.integer('(unsigned long)&MmProcessList')
    offset = target.integer('(unsigned long)&((struct _EPROCESS *)0)->MmProcessLinks')
    entry = target.integer('(unsigned long)MmProcessList.Flink')
    while entry != head:
        result.append(entry - offset)
        entry = target.integer(f'(unsigned long)((struct _LIST_ENTRY *){entry:#x})->Flink')
    return result


def vad(address):
    return target.value(f'*(struct _MMVAD *){address:#x}')


def in_order(root, level=0):
    """[(address, level, MMVAD)] of the subtree at root, in address order."""
    if not root:
        return []
    node = vad(root)
    return (in_order(int(node['LeftChild']) & 0xFFFFFFFF, level + 1) + [(root, level, node)] +
            in_order(int(node['RightChild']) & 0xFFFFFFFF, level + 1))


def view_control_area(node):
    """A section view's control area (MiIsViewVad), or 0."""
    flags = node['u']['VadFlags']
    if int(flags['PrivateMemory']) or not int(flags['LongVad']):
        return 0
    return int(node['ControlArea']) & 0xFFFFFFFF


def view_page_protection(node, index):
    """MiViewPageProtection: the page's own protection if set, else the view's (an image view's: its prototype PTE's)."""
    table = int(node['PageProtection']) & 0xFFFFFFFF
    if table:
        entry = target.read_bytes(table + index, 1)[0]
        if entry & 0x80:        # MI_VIEW_PROTECTION_SET
            return entry & 0x1F
    if int(node['u']['VadFlags']['VadType']) == target.integer('VadImageMap'):
        proto = target.read_word((int(node['FirstPrototypePte']) & 0xFFFFFFFF) + 4 * index)
        if proto & 1:
            return target.integer(f'MmPfnDatabase[{proto >> 12}].OriginalPte.u.Soft.Protection')
        return (proto >> 5) & 0x1F
    return int(node['u']['VadFlags']['Protection'])


def tree_root(process_address):
    return int(process(process_address)['VadRoot']['BalancedRoot']['RightChild']) & 0xFFFFFFFF


def vad_protection(protection):
    """KdFormatVadProtection: "READWRITE", "READONLY WRITECOMBINE"."""
    modifier = (protection >> 3) & 3 if protection & 7 else 0
    return target.string(f'MiVadAccessNames[{protection & 7}]') + target.string(f'MiVadModifierNames[{modifier}]')


def tree_view(root):
    lines = ['VAD     level      start      end    commit']
    count = level_sum = depth = 0
    for address, level, node in in_order(root):
        flags = node['u']['VadFlags']
        kind = 'Private' if int(flags['PrivateMemory']) else 'Mapped'
        phys = ('Phys' if int(flags['VadType']) == data('VadDevicePhysicalMemory') else
                'Exe' if int(flags['VadType']) == target.integer('VadImageMap') else '')
        line = (f'{address:08x} ({level:2d}){int(node["StartingVpn"]):11x}{int(node["EndingVpn"]):9x}'
                f'{int(node["CommitCharge"]):10d} {kind:<7} {phys:<4} {vad_protection(int(flags["Protection"]))}')
        ca = view_control_area(node)
        if ca:
            line += f' {section.name(section.control_area(ca))}'.replace(' Pagefile-backed section', ' Pagefile section')
            line += f', ca {ca:08x}'
        lines.append(line)
        count, level_sum, depth = count + 1, level_sum + level + 1, max(depth, level)
    lines += ['', f'Total VADs: {count:5d}  average level: {level_sum // count if count else 0:4d}  '
                  f'maximum depth: {depth}']
    return lines


def detail_view(address, node):
    flags = node['u']['VadFlags']
    long = int(flags['LongVad'])
    control = int(node['ControlArea']) & 0xFFFFFFFF if long else 0
    first = int(node['FirstPrototypePte']) & 0xFFFFFFFF if long else 0
    last = int(node['LastContiguousPte']) & 0xFFFFFFFF if long else 0
    commit = int(node['CommitCharge'])
    words = (('PrivateMemory ' if int(flags['PrivateMemory']) else '') + ('MemCommit ' if int(flags['MemCommit']) else '')
             + ('NoChange ' if int(flags['NoChange']) else '')
             + ('PhysicalMapping ' if int(flags['VadType']) == data('VadDevicePhysicalMemory') else ''))
    return [f'VAD @ {address:08x}',
            f'  Start VPN: {int(node["StartingVpn"]):13x}  End VPN: {int(node["EndingVpn"]):8x}  Control Area:  {control:08x}',
            f'  First ProtoPte: {first:08x}  Last PTE {last:08x}  Commit Charge {commit:9d} ({commit}.)',
            f'  {words}{vad_protection(int(flags["Protection"]))}']


def vad_view(argument):
    """!vad [ROOT|VAD [1]] | !vad ADDR 1 (mm/kdvad.c)."""
    words = argument.split()
    current = current_process()
    if len(words) > 2:
        return ['usage: !vad [ROOT|VAD [1]] | !vad ADDR 1']
    if not current:
        return ['the current address space belongs to no process']
    if not words:
        return tree_view(tree_root(current))
    address = target.parse_address(words[0], 'mm-vad')
    flags = target.parse_address(words[1], 'mm-vad') if len(words) == 2 else 0
    for p in processes():
        if address == target.integer(f'(unsigned long)&((struct _EPROCESS *){p:#x})->VadRoot') and not flags & 1:
            return tree_view(tree_root(p))
    found = None
    for p in processes():
        for a, _, node in in_order(tree_root(p)):
            if a == address:
                found = (a, node)
                break
        if found:
            break
    if not found and flags & 1 and address < target.integer('MmSystemRangeStart'):
        vpn = address >> target.constant('PageShift')
        for a, _, node in in_order(tree_root(current)):
            if int(node['StartingVpn']) <= vpn <= int(node['EndingVpn']):
                found = (a, node)
                break
        if not found:
            return [f'no VAD of the current process holds {address:08x}']
    if not found:
        return [f'{address:08x} is neither a process\'s VadRoot nor one of its VADs']
    return detail_view(*found) if flags & 1 else tree_view(found[0])


class MmVad(MmCommand):
    """mm-vad [ROOT|VAD [1]] | mm-vad ADDR 1: the current process's VAD tree (kd>'s !vad).

With no argument, the current process's tree in address order: each VAD's
address, depth, first and last page number, commit, type and protection.
ROOT (a process's VadRoot) shows that tree, VAD the subtree at a VAD; with
1, one VAD in detail (ADDR 1: the one holding user address ADDR)."""
    name = 'mm-vad'

    def run(self, argument):
        return vad_view(argument)


# ------------------------------------------------------------------ user regions

def win32_protection(mask):
    """MiProtectionToWin32."""
    if mask & 7 == 0:
        return data('PageNoAccess')
    return (target.integer(f'MiProtectToWin32Access[{mask & 7}]') |
            target.integer(f'MiProtectToWin32Modifier[{(mask >> 3) & 3}]'))


def win32_names(protect):
    """KdFormatWin32Protection."""
    names = []
    for i in range(11):
        if protect & target.integer(f'MiKdWin32ProtectionNames[{i}].Value'):
            names.append(target.string(f'MiKdWin32ProtectionNames[{i}].Name'))
    return ' | '.join(names)


class PageTables:
    """The current address space's user page tables, each read once; None for one that does not exist."""

    def __init__(self):
        self.hard = target.Bitfields('MMPTE_HARDWARE')
        self.tables = {}

    def pte(self, va):
        index = va >> target.constant('PdeShift')
        if index not in self.tables:
            pde = target.read_word(target.pde_address(va))
            self.tables[index] = (target.read_words(target.constant('PteBase') + (index << target.constant('PageShift')),
                                                    target.constant('PtesPerPage')) if self.hard(pde, 'Valid') else None)
        table = self.tables[index]
        return 0 if table is None else table[(va >> target.constant('PageShift')) % target.constant('PtesPerPage')]


def page_class(node, pte, hard, soft):
    """MiPteClass: (state, 5-bit protection) of a page of node whose PTE holds pte."""
    flags = node['u']['VadFlags']
    if pte == 0:
        return (data('MemCommit'), int(flags['Protection'])) if int(flags['MemCommit']) else (data('MemReserve'), 0)
    if hard(pte, 'Valid'):
        if int(flags['VadType']) == data('VadDevicePhysicalMemory'):
            return data('MemCommit'), int(flags['Protection'])
        original = target.read_word(target.integer('(unsigned long)MmPfnDatabase') + 24 * hard(pte, 'PageFrameNumber') + 16)
        return data('MemCommit'), soft(original, 'Protection')
    if pte == target.constant('ProtectDecommit') << 5:
        return data('MemReserve'), 0
    return data('MemCommit'), soft(pte, 'Protection')


def view_page_class(node, index, pte, hard, soft):
    """MiQueryViewPage: (state, 5-bit protection) of page index of a view whose PTE holds pte."""
    if hard(pte, 'Valid'):
        pfn = f'MmPfnDatabase[{hard(pte, "PageFrameNumber")}]'
        if target.integer(f'{pfn}.u3.e2.e1.PrototypePte'):
            return data('MemCommit'), view_page_protection(node, index)
        return data('MemCommit'), target.integer(f'{pfn}.OriginalPte.u.Soft.Protection')
    if soft(pte, 'Transition') and not soft(pte, 'Prototype'):
        return data('MemCommit'), soft(pte, 'Protection')      # a private copy made inaccessible
    if target.read_word((int(node['FirstPrototypePte']) & 0xFFFFFFFF) + 4 * index) == 0:
        return data('MemReserve'), 0                            # a SEC_RESERVE page not committed
    return data('MemCommit'), view_page_protection(node, index)


def highest_addresses(process_address):
    """(highest user address, highest VAD address) of a process: MiHighestUserAddress, MiHighestVadAddress."""
    highest = target.integer('MmHighestUserAddress')
    if not int(process(process_address)['LargeAddressAware']):
        highest = min(highest, data('HighestUserAddress2Gb'))
    return highest, highest - data('AllocationGranularity')


def user_regions(process_address):
    """The regions NtQueryVirtualMemory reports from 0 up, as MEMORY_BASIC_INFORMATION-like dicts."""
    highest, highest_vad = highest_addresses(process_address)
    shift = target.constant('PageShift')
    tables, hard, soft = PageTables(), target.Bitfields('MMPTE_HARDWARE'), target.Bitfields('MMPTE_SOFTWARE')
    free = dict(state=data('MemFree'), protect=data('PageNoAccess'), alloc=0, alloc_protect=0, type=0)
    regions, va = [], 0
    for _, _, node in in_order(tree_root(process_address)):
        start, end = int(node['StartingVpn']) << shift, (int(node['EndingVpn']) + 1) << shift
        if va < start:
            regions.append(dict(free, base=va, size=start - va))
        run_base, run_class = start, None
        view = view_control_area(node) != 0
        for page in range(start, end, 1 << shift):
            c = (view_page_class(node, (page - start) >> shift, tables.pte(page), hard, soft) if view
                 else page_class(node, tables.pte(page), hard, soft))
            if c != run_class and run_class is not None:
                regions.append(region(node, run_base, page - run_base, run_class, start))
                run_base = page
            run_class = c
        regions.append(region(node, run_base, end - run_base, run_class, start))
        va = end
    if va <= highest_vad:
        regions.append(dict(free, base=va, size=highest_vad + 1 - va))
    top = highest_vad + 1
    if top == MM_SHARED_USER_DATA_VA and int(process(process_address)['SharedUserDataMapped']):
        # KUSER_SHARED_DATA: one committed read-only page, as NtQueryVirtualMemory reports it.
        regions.append(dict(base=top, size=1 << shift, state=data('MemCommit'), protect=data('PageReadOnly'),
                            alloc=top, alloc_protect=data('PageReadOnly'), type=data('MemPrivate')))
        top += 1 << shift
    regions.append(dict(base=top, size=highest + 1 - top, state=data('MemReserve'),
                        protect=data('PageNoAccess'), alloc=highest_vad + 1, alloc_protect=data('PageReadOnly'),
                        type=data('MemPrivate')))
    return regions


def region(node, base, size, page_class_value, alloc):
    state, mask = page_class_value
    kind = data('MemPrivate')
    if view_control_area(node):
        kind = data('MemImage') if int(node['u']['VadFlags']['VadType']) == target.integer('VadImageMap') \
            else data('MemMapped')
    return dict(base=base, size=size, state=state,
                protect=win32_protection(mask) if state == data('MemCommit') else 0, alloc=alloc,
                alloc_protect=win32_protection(int(node['u']['VadFlags']['Protection'])), type=kind)


def state_name(state):
    return 'MEM_COMMIT' if state == data('MemCommit') else 'MEM_RESERVE' if state == data('MemReserve') else 'MEM_FREE'


def type_name(kind):
    return {data('MemPrivate'): 'MEM_PRIVATE', data('MemMapped'): 'MEM_MAPPED',
            data('MemImage'): 'MEM_IMAGE'}.get(kind, '')


def regions_view():
    """MiKdPrintUserRegions."""
    current = current_process()
    if not current:
        return []
    p = process(current)
    lines = [f'User range of the current process, {int(p["UniqueProcessId"]):x} {p["ImageFileName"].string()} '
             f'(* starts a reservation):',
             '  BaseAddr EndAddr+1  RgnSize Type        State       Protect                     Usage']
    top = highest_addresses(current)[1] + 1
    for r in user_regions(current):
        free = r['state'] == data('MemFree')
        usage = 'Free' if free else ('the top 64 KB (KUSER_SHARED_DATA\'s)' if r['alloc'] == top else 'VAD')
        star = '*' if not free and r['base'] == r['alloc'] else ' '
        lines.append(f'{star} {r["base"]:8x} {r["base"] + r["size"]:8x} {r["size"]:8x} {type_name(r["type"]):<11} '
                     f'{state_name(r["state"]):<11} {win32_names(r["protect"]):<27} {usage}')
    return lines


def summary_view():
    """MiKdPrintAddressSummary."""
    current = current_process()
    rows = {'type': {}, 'state': {}, 'protect': {}}
    order = {'type': ['<free>', 'MEM_PRIVATE', 'MEM_MAPPED', 'MEM_IMAGE'],
             'state': ['MEM_COMMIT', 'MEM_RESERVE', 'MEM_FREE'], 'protect': []}
    total = 0
    for r in user_regions(current) if current else []:
        kind = type_name(r['type']) or '<free>'
        for table, name in (('type', kind), ('state', state_name(r['state']))):
            n, b = rows[table].get(name, (0, 0))
            rows[table][name] = (n + 1, b + r['size'])
        total += r['size']
        if r['state'] == data('MemCommit'):
            name = win32_names(r['protect'])
            if name not in order['protect']:
                order['protect'].append(name)
            n, b = rows['protect'].get(name, (0, 0))
            rows['protect'][name] = (n + 1, b + r['size'])
    lines = []
    for table, title in (('type', '--- Type Summary ----------------- RgnCount ----------- TotSize -------- %ofTotal'),
                         ('state', '--- State Summary ---------------- RgnCount ----------- TotSize -------- %ofTotal'),
                         ('protect', '--- Protect Summary (for commit) - RgnCount ----------- TotSize -------- %ofTotal')):
        lines.append(title)
        for name in order[table]:
            if name in rows[table]:
                n, b = rows[table][name]
                hundredths = b * 10000 // total if total else 0
                lines.append(f'  {name:<28} {n:6d} {b:10x} ({b // 1024:9d} KB) {hundredths // 100:3d}.{hundredths % 100:02d}%')
    return lines


def process_commit_view():
    """MiKdPrintProcessCommit: !vm's last lines."""
    kb = target.constant('PageSize') // 1024
    lines = []
    for address in processes():
        p = process(address)
        commit = int(p['CommitCharge'])
        lines.append(f'{int(p["UniqueProcessId"]):04x}'.rjust(13) + f' {p["ImageFileName"].string():<22}'
                     f'{commit:8d}   ({commit * kb:9d} Kb)')
    return lines


def describe_zero_user_pte(va):
    """MiKdDescribeZeroUserPte: what the VAD says of a user address whose PTE is zero."""
    current = current_process()
    if not current:
        return []
    vpn = va >> target.constant('PageShift')
    address = tree_root(current)
    while address:
        node = vad(address)
        if vpn < int(node['StartingVpn']):
            address = int(node['LeftChild']) & 0xFFFFFFFF
        elif vpn > int(node['EndingVpn']):
            address = int(node['RightChild']) & 0xFFFFFFFF
        else:
            flags = node['u']['VadFlags']
            ca = view_control_area(node)
            if ca:
                index = vpn - int(node['StartingVpn'])
                proto = (int(node['FirstPrototypePte']) & 0xFFFFFFFF) + 4 * index
                return [f'VAD {address:08x}: a view of control area {ca:08x}; prototype PTE at {proto:08X} holds '
                        f'{target.read_word(proto):08X}; {vad_protection(view_page_protection(node, index))}']
            if int(flags['MemCommit']):
                return [f'VAD {address:08x} committed it whole (MemCommit): demand zero, '
                        f'{vad_protection(int(flags["Protection"]))}']
            return [f'VAD {address:08x} reserved it: not committed']
    return ['no VAD holds this address: it is free']
