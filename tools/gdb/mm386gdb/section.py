"""mm-ca: a section's control area, as kd>'s !ca; and what the other views say of a section's pages.

Control areas are found on MiControlAreaList (mm/section.h), each read as
the kernel's own CONTROL_AREA, its SEGMENT and its SUBSECTIONs (the first
right after the control area). A prototype PTE is decoded by its bits:
zero (not committed), valid, transition, subsection format (the Prototype
bit) or demand zero. control_area_of_prototype_pte() is what !pfn and !pte
use to name a shared page's control area. The output is the same, line for
line, as mm/sectionkd.c's and mm/kdexts.c's.
"""
from . import target
from .command import MmCommand

CA_LISTED_PTES = 16         # KD_CA_LISTED_PTES: !ca lists a segment's first prototype PTEs


def control_areas():
    """The control areas on MiControlAreaList, in its order."""
    result = []
    head = target.integer('(unsigned long)&MiControlAreaList')
    offset = target.integer('(unsigned long)&((struct _CONTROL_AREA *)0)->ControlAreaLinks')
    entry = target.integer('(unsigned long)MiControlAreaList.Flink')
    while entry != head:
        result.append(entry - offset)
        entry = target.integer(f'(unsigned long)((struct _LIST_ENTRY *){entry:#x})->Flink')
    return result


def control_area(address):
    return target.value(f'*(struct _CONTROL_AREA *){address:#x}')


def segment(address):
    return target.value(f'*(struct _SEGMENT *){address:#x}')


def control_area_of_prototype_pte(proto):
    """MiKdControlAreaOfPrototypePte: (control area, page index) whose segment holds proto, or None."""
    for ca in control_areas():
        seg = segment(int(control_area(ca)['Segment']) & 0xFFFFFFFF)
        first = int(seg['PrototypePte']) & 0xFFFFFFFF
        if first <= proto < first + int(seg['TotalNumberOfPtes']) * 4:
            return ca, (proto - first) // 4
    return None


def page_counts(seg):
    """KdCountSegmentPages: valid, standby, modified, shared (valid with more than one PTE)."""
    valid = standby = modified = shared = 0
    first = int(seg['PrototypePte']) & 0xFFFFFFFF
    total = int(seg['TotalNumberOfPtes'])
    modified_list = target.integer('ModifiedPageList')
    for word in target.read_words(first, total) if total else []:
        if word & 1:
            valid += 1
            shared += target.integer(f'MmPfnDatabase[{word >> 12}].u2.ShareCount') > 1
        elif not word & 0x400 and word & 0x800:
            if target.integer(f'MmPfnDatabase[{word >> 12}].u3.e2.e1.PageLocation') == modified_list:
                modified += 1
            else:
                standby += 1
    return valid, standby, modified, shared


def name(ca):
    """KdControlAreaName."""
    file = int(ca['FilePointer']) & 0xFFFFFFFF
    if file:
        return '\\Boot\\' + target.string(f'((struct _FILE_OBJECT *){file:#x})->FileName')
    return 'Pagefile-backed section'


def describe_prototype_pte(proto, word):
    """KdPrintPrototypePte: one prototype PTE, its contents and what they mean."""
    protection = (word >> 5) & 0x1F
    if word & 1:
        share = target.integer(f'MmPfnDatabase[{word >> 12}].u2.ShareCount')
        what = f'valid: pfn {word >> 12:x}, share count {share}'
    elif word == 0:
        what = 'not committed'
    elif word & 0x400:
        what = f'in the file (subsection), protection {protection:x}'
    elif word & 0x800:
        location = target.integer(f'MmPfnDatabase[{word >> 12}].u3.e2.e1.PageLocation')
        what = (f'transition: pfn {word >> 12:x} on the '
                f'{"modified" if location == target.integer("ModifiedPageList") else "standby"} list')
    else:
        what = f'demand zero, protection {protection:x}'
    return f'      {proto:08x}  {word:08x}  {what}'


def ca_view(address):
    if address not in control_areas():
        return [f'!ca: {address:08x} is not a control area (`!memusage` lists them)']
    ca = control_area(address)
    seg_address = int(ca['Segment']) & 0xFFFFFFFF
    seg = segment(seg_address)
    valid, standby, modified, _ = page_counts(seg)
    flags = ca['u']['Flags']
    words = ''.join(word for word, field in (('File ', 'File'), ('Image ', 'Image'), ('Commit ', 'Commit'),
                                             ('Reserve ', 'Reserve'), ('BeingDeleted ', 'BeingDeleted'))
                    if int(flags[field]))
    links = ca['ControlAreaLinks']
    lines = [
        f'ControlArea  @ {address:08x}',
        f'  Segment      {seg_address:08x}  Flink      {int(links["Flink"]) & 0xFFFFFFFF:08x}  '
        f'Blink        {int(links["Blink"]) & 0xFFFFFFFF:08x}',
        f'  Section Ref  {int(ca["NumberOfSectionReferences"]):8d}  Pfn Ref    {valid + standby + modified:8d}  '
        f'Mapped Views {int(ca["NumberOfMappedViews"]):8d}',
        f'  User Ref     {int(ca["NumberOfUserReferences"]):8d}  Standby    {standby:8d}  Modified     {modified:8d}',
        f'  File Object  {int(ca["FilePointer"]) & 0xFFFFFFFF:08x}  Flags      {int(ca["u"]["LongFlags"]) & 0xFFFFFFFF:08x} '
        f'{words}',
        f'      {name(ca)}',
        '',
        f'Segment @ {seg_address:08x}',
        f'  ControlArea  {int(seg["ControlArea"]) & 0xFFFFFFFF:08x}  Total Ptes {int(seg["TotalNumberOfPtes"]):8x}  '
        f'Committed    {int(seg["NumberOfCommittedPages"]):8x}',
        f'  Segment Size {int(seg["SizeOfSegment"]):8x}  PTE template {int(seg["SegmentPteTemplate"]["u"]["Long"]) & 0xFFFFFFFF:08x}  '
        f'ProtoPtes {int(seg["PrototypePte"]) & 0xFFFFFFFF:08x}',
    ]
    subsection = address + target.integer('sizeof(struct _CONTROL_AREA)')
    while subsection:
        sub = target.value(f'*(struct _SUBSECTION *){subsection:#x}')
        sub_flags = sub['u']['SubsectionFlags']
        lines += [
            '',
            f'Subsection @ {subsection:08x}',
            f'  ControlArea  {int(sub["ControlArea"]) & 0xFFFFFFFF:08x}  Starting Sector {int(sub["StartingSector"]):8x}  '
            f'Number Of Sectors {int(sub["NumberOfFullSectors"]):x}',
            f'  Base Pte     {int(sub["SubsectionBase"]) & 0xFFFFFFFF:08x}  Ptes In Subsect {int(sub["PtesInSubsection"]):8x}  '
            f'Unused Ptes       {int(sub["UnusedPtes"]):x}',
            f'  Flags        {int(sub["u"]["LongFlags"]) & 0xFFFFFFFF:08x}  Sector Offset   '
            f'{int(sub_flags["SectorEndOffset"]):8x}  Protection        {int(sub_flags["Protection"]):x}',
        ]
        subsection = int(sub['NextSubsection']) & 0xFFFFFFFF
    lines += ['', f'  Prototype PTEs (the first {CA_LISTED_PTES}):']
    first = int(seg['PrototypePte']) & 0xFFFFFFFF
    count = min(int(seg['TotalNumberOfPtes']), CA_LISTED_PTES)
    for i, word in enumerate(target.read_words(first, count) if count else []):
        lines.append(describe_prototype_pte(first + 4 * i, word))
    return lines


class MmCa(MmCommand):
    """mm-ca ADDRESS: a section's control area (kd>'s !ca).

ADDRESS is a gdb expression naming a CONTROL_AREA on MiControlAreaList
(kd>'s !memusage and !vad show them). Shows its counts and flags, the file,
the segment, each subsection and the first prototype PTEs, decoded."""
    name = 'mm-ca'

    def run(self, argument):
        return ca_view(target.parse_address(argument, self.name))
