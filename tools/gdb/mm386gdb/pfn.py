"""mm-pfn and mm-vm: the PFN database and the page lists, as kd>'s !pfn and !vm.

mm-vm's system PTE and pool lines come from syspte.py and pool.py, its
per-process commit from vad.py.

An entry is read as the kernel's own MMPFN (MmPfnDatabase[pfn], laid out by
the ELF's debug information); the lists through MmPageLocationList and its
heads; the state and list names from MiPageLocationNames. The output is the
same, line for line, as !pfn and !vm in mm/kdexts.c.
"""
from . import pool, section, syspte, target, vad
from .command import MmCommand

FLAG_NAMES = ['Modified', 'PrototypePte', 'ReadInProgress', 'WriteInProgress', 'InPageError',
              'RemovalRequested']


def pfn_view(pfn):
    if pfn > target.integer('MmHighestPhysicalPage') or not target.is_physical_page(pfn):
        runs = ''.join(f' {base:x}-{base + count - 1:x}' for base, count in target.physical_runs())
        return [f'{pfn:x} is not a page of RAM; RAM is pages{runs}']
    entry = target.value(f'MmPfnDatabase[{pfn}]')
    e1 = entry['u3']['e2']['e1']
    flags = [name for name in FLAG_NAMES if int(e1[name])]
    letters = ''.join(name[0] for name in flags)
    state = target.string(f'MiPageLocationNames[{int(e1["PageLocation"])}]')
    pte = int(entry['PteAddress']) & 0xFFFFFFFF
    lines = [
        f'    PFN {pfn:08X} at address {int(entry.address) & 0xFFFFFFFF:08X}',
        f'    flink       {int(entry["u1"]["Flink"]):08X}  blink / share count '
        f'{int(entry["u2"]["Blink"]):08X}  pteaddress {pte:08X}',
        f'    reference count {int(entry["u3"]["e2"]["ReferenceCount"]):04X}',
        f'    restore pte {int(entry["OriginalPte"]["u"]["Long"]) & 0xFFFFFFFF:08X}  containing page        '
        f'{int(entry["u4"]["PteFrame"]):06X}  ' + (f'{state:<11}{letters}' if letters else state),
    ]
    if flags:
        lines.append('    ' + ''.join(name + ' ' for name in flags))
    if target.constant('PteBase') <= pte <= target.constant('PteTop'):
        lines.append(f'    pteaddress is the PTE of VA {target.pte_to_address(pte):08X}')
    found = section.control_area_of_prototype_pte(pte) if int(e1['PrototypePte']) else None
    if found:
        shares = int(entry['u2']['ShareCount']) if int(e1['PageLocation']) == target.integer('ActiveAndValid') else 0
        lines.append(f'    pteaddress is the prototype PTE of page {found[1]:x} of control area {found[0]:08x}; '
                     f'{shares} PTEs share the page')
    return lines


def vm_line(name, pages):
    return f'      {name:<22}{pages:8d}   ({pages * (target.constant("PageSize") // 1024):9d} Kb)'


def vm_physical_memory():
    total = target.integer('MmPhysicalMemoryBlock.NumberOfPages')
    lines = [vm_line('Physical Memory:', total), vm_line('Available Pages:', target.integer('MmAvailablePages'))]
    listed = 0
    for index in range(target.integer('sizeof(MmPageLocationList) / sizeof(MmPageLocationList[0])')):
        count = target.integer(f'MmPageLocationList[{index}]->Total')
        lines.append(vm_line(f'  {target.string(f"MiPageLocationNames[{index}]")}:', count))
        listed += count
    lines += [
        vm_line('  Active:', total - listed),
        vm_line('System page tables:', target.integer('MmSystemPageTablePages')),
        f'      {"HyperSpace flushes:":<22}{target.integer("MiHyperSpaceFlushes"):8d}',
    ]
    return lines


def vm_commit():
    return [vm_line('Committed pages:', target.integer('MmTotalCommittedPages')),
            vm_line('Commit limit:', target.integer('MmTotalCommitLimit'))]


# The sections of !vm, in the order mm/kdexts.c's KdVmSections prints them.
VM_SECTIONS = [vm_physical_memory, lambda: syspte.vm_system_ptes(vm_line), lambda: pool.vm_pools(vm_line), vm_commit,
               vad.process_commit_view]


class MmPfn(MmCommand):
    """mm-pfn PFN: a physical page's PFN database entry (kd>'s !pfn).

PFN is a gdb expression (0x103, not 103: gdb reads decimal). Shows the
list links or the share count, the PTE that maps the page, the reference
count, the page table holding that PTE, and the state: Zeroed, Free,
Standby, Modified, ModifiedNoWrite, Bad or Active."""
    name = 'mm-pfn'

    def run(self, argument):
        return pfn_view(target.parse_address(argument, self.name))


class MmVm(MmCommand):
    """mm-vm: physical memory by list, system PTEs, pool usage and limits, commit (kd>'s !vm)."""
    name = 'mm-vm'

    def run(self, argument):
        lines = ['*** Virtual Memory Usage ***']
        for section in VM_SECTIONS:
            lines += section()
        return lines
