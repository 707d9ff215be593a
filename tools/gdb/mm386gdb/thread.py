"""mm-thread, mm-ready, mm-process: the dispatcher's view, as kd>'s !thread, !ready and !process print it.

A thread that is not running keeps its registers on its own kernel stack,
where KiSwapContext (kernel/ke/ctxswap.asm) pushed them: ExceptionList,
EFLAGS, EDI, ESI, EBX, EBP, then the return address into the dispatcher.
KTHREAD.KernelStack points at that frame, so its backtrace is the return
address and then the EBP chain, each return address named from the
symbol table the build embeds in the kernel (KiSymbolTable), exactly as
kernel/kd/symbols.c names it. The running thread is the exception: its
registers are the processor's, so gdb walks from $eip and $ebp.

The ready queues are KPRCB.DispatcherReadyListHead[32], threads linked
through KTHREAD.WaitListEntry, with ReadySummary's bit n set when queue n
is not empty; the PRCB is KiPcr.PrcbData. Processes are linked on
PsActiveProcessHead through EPROCESS.ActiveProcessLinks, and each
process's threads on EPROCESS.ThreadListHead through
ETHREAD.ThreadListEntry.
"""
import gdb

from . import target, vad
from .command import MmCommand
from .target import KernelError, integer, parse_address, read_bytes, read_words, symbol_address, value

STATE_NAMES = ['INITIALIZED', 'READY', 'RUNNING', 'STANDBY', 'TERMINATED', 'WAIT', 'TRANSITION', 'DEFERREDREADY']
CLOCK_MS = 10                    # HAL_CLOCK_HZ is 100: a tick is 10 ms
MAXIMUM_WAIT_OBJECTS = 64
STATUS_TIMEOUT_KEY = 0x0102      # a wait block whose WaitKey is (USHORT)STATUS_TIMEOUT is the wait's timer


def _names(array):
    """The strings of a kernel array of const char * (a name table)."""
    v = value(array)
    return [v[i].string() for i in range(v.type.range()[1] + 1)]


def readable(address, length):
    """MmIsAddressValid of the first and last byte: the memory can be read."""
    try:
        read_bytes(address, 1)
        read_bytes(address + length - 1, 1)
        return True
    except KernelError:
        return False


_symbols = None


def symbolize(address):
    """KiSymbolize: (name, offset) of the function holding address, from the kernel's own table, or None."""
    global _symbols
    if _symbols is None:
        count = integer('KiSymbolCount')
        words = read_words(symbol_address('KiSymbolTable'), 2 * count)
        names = symbol_address('KiSymbolNames')
        _symbols = [(words[2 * i], names + words[2 * i + 1]) for i in range(count)]
    if not _symbols or not symbol_address('__kernel_start') <= address < symbol_address('__text_end'):
        return None
    low, high = 0, len(_symbols)
    while high - low > 1:
        mid = (low + high) // 2
        if _symbols[mid][0] <= address:
            low = mid
        else:
            high = mid
    start, name = _symbols[low]
    if start > address:
        return None
    return value(f'(const char *){name:#x}').string(), address - start


def frame_line(index, address, is_return_address):
    """PrintFrame: a return address is looked up one byte earlier (inside its call), an EIP as it is."""
    bias = 1 if is_return_address else 0
    found = symbolize(address - bias)
    if found is None:
        return f'  #{index:<2d} {address:08x} ?'
    return f'  #{index:<2d} {address:08x} {found[0]}+0x{found[1] + bias:x}'


def backtrace(address, is_return_address, ebp, max_frames=24):
    """DumpBacktrace: frame 0, then the EBP chain while it is readable and moves up the stack."""
    lines = [frame_line(0, address, is_return_address)]
    while len(lines) <= max_frames and ebp and ebp % 4 == 0 and readable(ebp, 8):
        following, ret = read_words(ebp, 2)
        if ret == 0:
            break
        lines.append(frame_line(len(lines), ret, True))
        if following <= ebp:
            break
        ebp = following
    return lines


def thread_at(address):
    """The ETHREAD at address, or a KernelError saying why it is not one (as kd>'s KdIsThread)."""
    ethread = gdb.lookup_type('ETHREAD')
    if address % 4 or not readable(address, ethread.sizeof):
        raise KernelError(f'{address:08x} is not a thread: its memory is not mapped (or not aligned)')
    thread = value(f'*(ETHREAD *){address:#x}')
    kind = int(thread['Tcb']['Header']['Type'])
    if kind != int(value('ThreadObject')):
        raise KernelError(f'{address:08x} is not a thread: its dispatcher header says type {kind}, '
                          f'not ThreadObject ({int(value("ThreadObject"))})')
    return thread


def current_thread():
    return integer('KiPcr.PrcbData.CurrentThread')


def ticks(name, count):
    ms = count * CLOCK_MS
    return f'{name:<26s}{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}'


def process_of(kprocess):
    """The EPROCESS holding a KPROCESS (Pcb is EPROCESS's first member)."""
    return value(f'*(EPROCESS *){kprocess:#x}')


def symbol_line(name, address):
    found = symbolize(address)
    label = f'{found[0]}+0x{found[1]:x}' if found else '?+0x0'
    return f'{name:<26s}{label} ({address:08x})'


def thread_state_lines(address, indent=''):
    """KdpPrintThreadState: the THREAD line and, for a waiting thread, its wait's objects, each after indent."""
    thread = thread_at(address)
    tcb = thread['Tcb']
    state = int(tcb['State'])
    running = address == current_thread()
    out = []
    head = (f'{indent}THREAD {address:08x}  Cid {int(thread["Cid"]["UniqueProcess"]):04x}.'
            f'{int(thread["Cid"]["UniqueThread"]):04x}  Teb: {int(tcb["Teb"]):08x} ')
    if state != int(value('Waiting')):
        out.append(head + (STATE_NAMES[state] if state < len(STATE_NAMES) else '?') +
                   (' on processor 0' if running else ''))
    else:
        reasons = _names('KdWaitReasonNames')
        reason = int(tcb['WaitReason'])
        out.append(head + f'WAIT: ({reasons[reason] if reason < len(reasons) else "?"}) '
                   f'{"KernelMode" if int(tcb["WaitMode"]) == 0 else "UserMode"} '
                   f'{"Alertable" if int(tcb["Alertable"]) else "Non-Alertable"}')
        kinds = _names('KdObjectKindNames')
        first = block = int(tcb['WaitBlockList'])
        for _ in range(MAXIMUM_WAIT_OBJECTS + 1):
            if not block:
                break
            wb = value(f'*(KWAIT_BLOCK *){block:#x}')
            obj = int(wb['Object'])
            if not readable(obj, 1):
                kind = '(not mapped)'
            else:
                t = int(value(f'((DISPATCHER_HEADER *){obj:#x})->Type'))
                kind = kinds[t] if t < len(kinds) else '(not a dispatcher object)'
            timeout = ' (the wait\'s timeout)' if int(wb['WaitKey']) == STATUS_TIMEOUT_KEY else ''
            out.append(f'{indent}    {obj:08x}  {kind}{timeout}')
            block = int(wb['NextWaitBlock'])
            if block == first:
                break
    return out


def thread_lines(address):
    """!thread ADDRESS, line for line."""
    thread = thread_at(address)
    tcb = thread['Tcb']
    running = address == current_thread()
    out = thread_state_lines(address)
    owner = int(tcb['Process'])
    out.append(f'{"Owning Process":<26s}{owner:08x}       Image:         '
               f'{process_of(owner)["ImageFileName"].string()}')
    if int(tcb['ApcStateIndex']) != 0:
        attached = int(tcb['ApcState']['Process'])
        out.append(f'{"Attached Process":<26s}{attached:08x}       Image:         '
                   f'{process_of(attached)["ImageFileName"].string()}')
    else:
        out.append(f'{"Attached Process":<26s}N/A')
    wait_time = int(tcb['WaitTime'])
    now = integer('(unsigned long)KeTickCount64')
    out.append(f'{"Wait Start TickCount":<26s}{wait_time:<15d}Ticks: {(now - wait_time) & 0xFFFFFFFF}')
    out.append(f'{"Context Switch Count":<26s}{int(tcb["ContextSwitches"])}')
    out.append(ticks('UserTime', int(tcb['UserTime'])))
    out.append(ticks('KernelTime', int(tcb['KernelTime'])))
    start = int(thread['StartAddress'])
    if start:
        out.append(symbol_line('Start Address', start))
    else:
        out.append(f'{"Start Address":<26s}(the boot flow: the idle thread)')
    current = integer('$esp') if running else int(tcb['KernelStack'])
    out.append(f'Stack Init {int(tcb["InitialStack"]):08x} Current {current:08x} '
               f'Base {int(tcb["InitialStack"]):08x} Limit {int(tcb["StackLimit"]):08x}')
    out.append(f'Priority {int(tcb["Priority"])} BasePriority {int(tcb["BasePriority"])} '
               f'PriorityDecrement {int(tcb["PriorityDecrement"])} Quantum {int(tcb["Quantum"])}')
    out += thread_backtrace(address, tcb, running)
    return out


def thread_backtrace(address, tcb, running):
    if running:
        return backtrace(integer('$eip'), False, integer('$ebp'))
    if int(tcb['State']) == int(value('Terminated')):
        return ['    (terminated: its stack is no longer its own)']
    saved = int(tcb['KernelStack'])
    if not readable(saved, 28):
        return [f'    (its saved stack pointer {saved:08x} is not mapped)']
    frame = read_words(saved, 7)            # ExceptionList, EFLAGS, EDI, ESI, EBX, EBP, return address
    return backtrace(frame[6], True, frame[5])


class MmThread(MmCommand):
    """mm-thread [EXPRESSION]: a thread (the running one without an argument) as kd>'s !thread shows it:
    state and wait, process, ticks, priorities, stack bounds and backtrace. The running thread's
    backtrace starts at the processor's $eip, where gdb stopped it."""
    name = 'mm-thread'

    def run(self, argument):
        if argument.strip():
            address = parse_address(argument, self.name)
        else:
            address = current_thread()
        return thread_lines(address)


def list_entries(head_address, link_offset):
    """The addresses of the structures on a LIST_ENTRY list, each linked at link_offset."""
    entries = []
    entry = read_words(head_address, 1)[0]
    while entry != head_address and len(entries) < 100000:
        entries.append(entry - link_offset)
        entry = read_words(entry, 1)[0]
    return entries


def offset_of(type_name, field):
    return int(value(f'(unsigned long)&(({type_name} *)0)->{field}'))


class MmReady(MmCommand):
    """mm-ready: the ready queues from priority 31 down, and the standby thread, as kd>'s !ready."""
    name = 'mm-ready'

    def run(self, argument):
        prcb = value('KiPcr.PrcbData')
        out = [f'Processor 0: ReadySummary {int(prcb["ReadySummary"]):08x}']
        any_thread = False
        standby = int(prcb['NextThread'])
        if standby:
            out.append('    Standby (the next to run):')
            out.append(ready_line(standby, 'STANDBY'))
            any_thread = True
        link = offset_of('KTHREAD', 'WaitListEntry')
        for priority in range(31, -1, -1):
            head = int(prcb['DispatcherReadyListHead'][priority].address)
            threads = list_entries(head, link)
            if not threads:
                continue
            out.append(f'    Ready Threads at priority {priority}')
            out += [ready_line(t, 'READY') for t in threads]
            any_thread = True
        if not any_thread:
            out.append('    No threads in READY state (the idle thread runs when this one waits)')
        return out


def ready_line(address, state):
    thread = value(f'*(ETHREAD *){address:#x}')
    tcb = thread['Tcb']
    return (f'        THREAD {address:08x}  Cid {int(thread["Cid"]["UniqueProcess"]):04x}.'
            f'{int(thread["Cid"]["UniqueThread"]):04x}  Teb: {int(tcb["Teb"]):08x}  {state}  '
            f'priority {int(tcb["Priority"])} (base {int(tcb["BasePriority"])})')


class MmProcess(MmCommand):
    """mm-process [EXPRESSION|0 [FLAGS]]: kd>'s !process. 0 (or 0 0): every process, one line each; a process
    (its address or id): it in the long shape and its threads (FLAGS 0: its line); alone: the current process
    (mm-process-context's, else the running thread's)."""
    name = 'mm-process'

    def run(self, argument):
        words = argument.split()
        if len(words) > 2:
            raise KernelError('usage: mm-process [EXPRESSION|0 [FLAGS]]')
        if not words:
            return process_detail(vad.current_process())
        address = parse_address(words[0], self.name)
        flags = parse_address(words[1], self.name) if len(words) == 2 else (0 if address == 0 else 1)
        if address:
            found = find_process(address)
            if found is None:
                return [f'!process: {address:08x} is neither a process nor a process id (`!process 0 0` lists them)']
            return process_line(found) if flags == 0 else process_detail(found)
        out = ['**** NT ACTIVE PROCESS DUMP ****']
        for process in active_processes():
            out += process_line(process) if flags == 0 else process_detail(process) + ['']
        return out


def active_processes():
    head = integer('(unsigned long)&PsActiveProcessHead')
    return list_entries(head, offset_of('EPROCESS', 'ActiveProcessLinks'))


def find_process(address_or_id):
    """KdReferenceProcess: the process on PsActiveProcessHead at that address or with that id, or None."""
    for process in active_processes():
        if process == address_or_id or int(value(f'((EPROCESS *){process:#x})->UniqueProcessId')) == address_or_id:
            return process
    return None


def status_name(status):
    """RtlNtStatusName, from the kernel's own table."""
    table = value('StatusNames')
    for i in range(table.type.range()[1] + 1):
        if int(table[i]['Status']) & 0xFFFFFFFF == status:
            return table[i]['Name'].string()
    return 'STATUS_?'


def handle_count(p):
    table = int(p['ObjectTable'])
    return int(value(f'((struct _HANDLE_TABLE *){table:#x})->HandleCount')) if table else 0


def process_line(address):
    """KdpPrintProcessLine."""
    p = value(f'*(EPROCESS *){address:#x}')
    return [f'PROCESS {address:08x}  Cid: {int(p["UniqueProcessId"]):04x}  Peb: {int(p["Peb"]):08x}  '
            f'ParentCid: {int(p["InheritedFromUniqueProcessId"]):04x}  DirBase: {int(p["Pcb"]["DirectoryTableBase"]):08x}  '
            f'ObjectTable: {int(p["ObjectTable"]):08x}  HandleCount: {handle_count(p)}.  '
            f'Image: {p["ImageFileName"].string() or "-"}{"  (exited)" if int(p["ExitTime"]["QuadPart"]) else ""}']


def process_detail(address):
    """KdpPrintProcessDetail."""
    p = value(f'*(EPROCESS *){address:#x}')
    status = int(p['ExitStatus']) & 0xFFFFFFFF
    ending = ': it has exited' if int(p['ExitTime']['QuadPart']) else ': it is exiting' if int(p['ProcessExiting']) else ''
    working_set = int(p['Vm']['WorkingSetSize'])
    field = '    {:<34s}{}'.format
    out = [f'PROCESS {address:08x}  Cid: {int(p["UniqueProcessId"]):04x}  Peb: {int(p["Peb"]):08x}  '
           f'ParentCid: {int(p["InheritedFromUniqueProcessId"]):04x}',
           f'    DirBase: {int(p["Pcb"]["DirectoryTableBase"]):08x}  ObjectTable: {int(p["ObjectTable"]):08x}  '
           f'HandleCount: {handle_count(p)}.',
           f'    Image: {p["ImageFileName"].string() or "-"}',
           f'    VadRoot {int(p["VadRoot"].address):08x} Vads {int(p["VadRoot"]["NumberGenericTableElements"])} '
           f'Private {int(p["NumberOfPrivatePages"])}. Locked {int(p["NumberOfLockedPages"])}.',
           field('ExitStatus', f'{status:08x} ({status_name(status)}){ending}'),
           field('Working Set Size (now)', f'{working_set} ({working_set * 4} KB)'),
           field('PeakWorkingSetSize', int(p['Vm']['PeakWorkingSetSize'])),
           field('VirtualSize', f'{int(p["VirtualSize"]) // 1024} KB'),
           field('PeakVirtualSize', f'{int(p["PeakVirtualSize"]) // 1024} KB'),
           field('PageFaultCount', int(p['Vm']['PageFaultCount'])),
           field('BasePriority', int(p['Pcb']['BasePriority'])),
           field('CommitCharge', int(p['CommitCharge'])),
           field('PeakCommitCharge', int(p['PeakCommitCharge'])),
           field('LargeAddressAware', 'Yes' if int(p['LargeAddressAware']) else 'No'),
           field('Threads', int(p['ActiveThreads']))]
    for t in list_entries(int(p['ThreadListHead'].address), offset_of('ETHREAD', 'ThreadListEntry')):
        out += [''] + thread_state_lines(t, '        ')
    return out


class MmProcessContext(MmCommand):
    """mm-process-context [EXPRESSION|0]: kd>'s .process. The process (its address or id) whose user range
    mm-pte, mm-vad, mm-address and mm-process read from now on, through its page directory in physical
    memory; 0: back to the default (the current CR3 and the running thread's process); alone: which it is."""
    name = 'mm-process-context'

    def run(self, argument):
        words = argument.split()
        if len(words) > 1:
            raise KernelError('usage: mm-process-context [EXPRESSION|0]')
        if words:
            address = parse_address(words[0], self.name)
            if address == 0:
                target.context = None
            else:
                found = find_process(address)
                if found is None:
                    return [f'.process: {address:08x} is neither a process nor a process id '
                            '(`!process 0 0` lists them)']
                p = value(f'*(EPROCESS *){found:#x}')
                if int(p['ExitTime']['QuadPart']):
                    return [f'.process: process {found:08x} (Cid {int(p["UniqueProcessId"]):04x}, '
                            f'{p["ImageFileName"].string()}) has exited: its user range was released with its last '
                            'thread; the context is unchanged']
                target.context = (found, int(p['Pcb']['DirectoryTableBase']) & ~0xFFF)
        chosen = target.context is not None
        process = vad.current_process()
        p = value(f'*(EPROCESS *){process:#x}')
        return [f'Implicit process is now {process:08x} (Cid {int(p["UniqueProcessId"]):04x}, '
                f'{p["ImageFileName"].string() or "-"})' + ('' if chosen else ": the default, the running thread's")]
