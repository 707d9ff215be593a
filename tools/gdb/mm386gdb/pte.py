"""mm-pte: the PDE and PTE that map an address, decoded as kd>'s !pte does.

The PDE and the PTE are read through the self-map (PDE_BASE, PTE_BASE from
KdDebuggerDataBlock) and decoded with the bitfield layouts of MMPTE_HARDWARE,
MMPTE_SOFTWARE, MMPTE_TRANSITION and MMPTE_PROTOTYPE from the ELF's debug
information. The output is the same, line for line, as !pte in
mm/kdexts.c; tools/gdbsession.py checks that it is. A free system PTE and
the guard page below a kernel stack are described by syspte.py.
"""
from . import section, syspte, target, vad
from .command import MmCommand

COLUMN = 27

def protection(value):
    """NT's 5-bit protection: the access in the low three bits, then the modifiers (mm/pte.h)."""
    if value == target.constant('ProtectNoAccess'):
        return f'Protect: {value:x} - NoAccess'
    if value == target.constant('ProtectDecommit'):
        return f'Protect: {value:x} - Decommitted'
    access = target.string(f'MiProtectionNames[{value & 7}]')
    modifier = target.string(f'MiProtectionModifierNames[{(value >> 3) & 3}]')
    return f'Protect: {value:x} - {modifier}{access}'


def hardware_flags(word, hard):
    return ''.join([
        'C' if hard(word, 'CopyOnWrite') else '-',
        'G' if hard(word, 'Global') else '-',
        'L' if hard(word, 'LargePage') else '-',
        'D' if hard(word, 'Dirty') else '-',
        'A' if hard(word, 'Accessed') else '-',
        'N' if hard(word, 'CacheDisable') else '-',
        'T' if hard(word, 'WriteThrough') else '-',
        'U' if hard(word, 'Owner') else 'K',
        'W' if hard(word, 'Write') else 'R',
        'E',                # without PAE's NX bit every mapped page is executable
        'V',
    ])


def describe(pointer, word):
    """The lines under "contains" for one entry: KdDescribePte in mm/kdexts.c."""
    hard = target.Bitfields('MMPTE_HARDWARE')
    soft = target.Bitfields('MMPTE_SOFTWARE')
    trans = target.Bitfields('MMPTE_TRANSITION')
    proto = target.Bitfields('MMPTE_PROTOTYPE')
    if hard(word, 'Valid'):
        return [f'pfn {hard(word, "PageFrameNumber"):<9x} {hardware_flags(word, hard)}']
    lines = ['not valid']
    if pointer == target.pte_address(target.constant('HyperSpace')):
        return lines + [f'HyperSpace counter: {hard(word, "PageFrameNumber")}', 'free mapping PTEs']
    if word == 0:
        return lines
    if soft(word, 'Prototype'):
        address = (target.integer('MmPagedPoolStart') + (proto(word, 'ProtoAddressHigh') << 9)
                   + (proto(word, 'ProtoAddressLow') << 2)) & 0xFFFFFFFF
        return lines + [f'Proto: {address:08X}' + (' ReadOnly' if proto(word, 'ReadOnly') else '')]
    if soft(word, 'Transition'):
        lines.append(f'Transition: {trans(word, "PageFrameNumber"):x}')
    elif soft(word, 'PageFileHigh') or soft(word, 'PageFileLow'):
        lines += [f'PageFile: {soft(word, "PageFileLow"):2x}', f'Offset: {soft(word, "PageFileHigh"):x}']
    elif (soft(word, 'Protection') not in (target.constant('ProtectDecommit'), target.constant('ProtectNoAccess'))
          and soft(word, 'Protection') & 7):
        lines.append('DemandZero')      # any protection with an access, guard pages included
    lines.append(protection(soft(word, 'Protection')))
    return lines


def pte_view(va):
    """!pte's output for va, as lines."""
    hard = target.Bitfields('MMPTE_HARDWARE')
    if target.constant('PteBase') <= va <= target.constant('PteTop'):
        va = target.pte_to_address(va & ~3)     # WinDbg's rule: an address in the page tables names a PTE
    pde_at, pte_at = target.pde_address(va), target.pte_address(va)
    pde = target.read_word(pde_at)
    left, right = describe(pde_at, pde), []
    lines = [f'{"":{COLUMN - 7}}VA {va:08x}', f'PDE at {pde_at:08X}{"":{COLUMN - 15}}PTE at {pte_at:08X}']
    if not hard(pde, 'Valid'):
        lines.append(f'contains {pde:08X}')
    elif hard(pde, 'LargePage'):
        lines.append(f'contains {pde:08X}')
        offset = (va >> target.constant('PageShift')) & (target.constant('PtesPerPage') - 1)
        right = [f'LARGE PAGE pfn {hard(pde, "PageFrameNumber") + offset:x}']
    else:
        pte = target.read_word(pte_at)
        lines.append(f'contains {pde:08X}{"":{COLUMN - 17}}contains {pte:08X}')
        right = syspte.describe_system_pte(pte_at, pte, va, describe) or describe(pte_at, pte)
    for i in range(max(len(left), len(right))):
        l = left[i] if i < len(left) else ''
        lines.append(f'{l:<{COLUMN}}{right[i]}' if i < len(right) else l)
    if va < target.integer('MmSystemRangeStart') and (not hard(pde, 'Valid') or target.read_word(pte_at) == 0):
        lines += vad.describe_zero_user_pte(va)
    if hard(pde, 'Valid') and not hard(pde, 'LargePage'):
        lines += describe_section_page(target.read_word(pte_at))
    return lines


def describe_section_page(word):
    """KdDescribeSectionPage: a shared page's prototype PTE, or what a prototype-format PTE points at."""
    hard = target.Bitfields('MMPTE_HARDWARE')
    if hard(word, 'Valid') and target.is_physical_page(word >> 12):
        entry = target.value(f'MmPfnDatabase[{word >> 12}]')
        proto = int(entry['PteAddress']) & 0xFFFFFFFF
        found = section.control_area_of_prototype_pte(proto) if int(entry['u3']['e2']['e1']['PrototypePte']) else None
        if found:
            return [f"a section's page: prototype PTE {proto:08X} (page {found[1]:x} of control area {found[0]:08x}), "
                    f"share count {int(entry['u2']['ShareCount'])}" + (', copy-on-write' if hard(word, 'CopyOnWrite') else '')]
    elif not hard(word, 'Valid') and word & 0x400 and (word >> 12) != 0xFFFFF:
        proto = (target.integer('(unsigned long)MmPagedPoolStart') + ((word >> 11) << 9) + (((word >> 1) & 0x7F) << 2)) & 0xFFFFFFFF
        found = section.control_area_of_prototype_pte(proto)
        if found:
            return [f'prototype PTE {proto:08X} (page {found[1]:x} of control area {found[0]:08x}) holds '
                    f'{target.read_word(proto):08X}']
    return []


class MmPte(MmCommand):
    """mm-pte ADDRESS: the PDE and PTE that map ADDRESS, decoded (kd>'s !pte).

ADDRESS is a gdb expression: 0xe0103430, KiSystemStartup, $eip. A valid
entry shows its frame and WinDbg's flags (C G L D A N T, K/U, W/R, E, V);
one that is not valid shows its software format: demand-zero, transition,
prototype or paging file, with the protection."""
    name = 'mm-pte'

    def run(self, argument):
        return pte_view(target.parse_address(argument, self.name))
