#!/usr/bin/env python3
"""A scripted kd> session over COM1: the prompt's commands checked against
what the build and the boot log say they must show.

The kernel boots without `ktest`, so it ends at the kd> prompt; the script
types commands the way a person would (one character stream, Enter as CR,
one edit with backspace) and reads each command's output up to the next
prompt. Every expectation comes from somewhere other than the command
under test: addresses from the ELF's symbol table, the layout and the page
count from the boot log, the physical address from a second command
(!vtop, which calls MmGetPhysicalAddress), the boot module's bytes from the
file the script wrote, a pool block's tag and size from the `pool alloc`
that made it, the system PTE totals of !sysptes from !vm's, the VADs of
!vad and the regions of !address from the `vm` calls that made them and
NT's placement rules. Four boots:
the 2 GB split (with a boot module) for the bulk; one with the programs as
boot modules, where `start waiter.exe` runs a process that prints its own
ids, PEB, TEB and pages, and !process, `.process`, !vad, !pte, db, !vtop,
!peb and !teb must agree with it and with its PE header, at the running
prompt and at a stopped one; /3GB /SPECIALPOOL=Spcl
for !address, !pool of a special pool block and `bugcheck`, and one for
`reboot`.

Then every input a user can get wrong: a command sent before the kernel
has started (its first byte must survive COM1's initialisation); argument
mistakes, each with its own message; a script of 1.6 KB piped at once,
six times the receive ring, in which every command must run in order, a
Ctrl-C'd `bugcheck` must not, and an overlong line must be refused whole;
a 3 KB multiboot command line (a switch at its end must count) and one
past the 4 KB the kernel keeps (the banner must say what was dropped); and
5 GB of RAM, of which QEMU puts 2 GB above 4 GB, where the kernel must say
it leaves them out.

Registered in tools/runtests.py as the `kd-session` check; run alone with
`python3 tools/kdsession.py` to see the outcomes and the session log.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import elf  # noqa: E402
import checks  # noqa: E402
import qemu  # noqa: E402

LOG_DIR = os.path.join('build', 'test')
PROMPT = re.compile(r'\nkd> ')
COMMAND_TIMEOUT = 10
MODULE_TEXT = 'mm386 kd-session boot module\n'

PTE_LINE = re.compile(r'^pfn (\w+)\s+([-A-Z]{11})\s+pfn (\w+)\s+([-A-Z]{11})$', re.M)
LAYOUT_ROW = re.compile(r'^  ([0-9a-f]{8})  ([0-9a-f]{8})  .*?  (\w+)\s+\S.*$', re.M)
VM_LINE = re.compile(r'^\s+(\S[^:]*):\s+(\d+)', re.M)


class Session:
    """A kernel at its kd> prompt; command() types a line and returns its output."""

    def __init__(self, boot):
        self.boot = boot
        self.ready = boot.wait_for(PROMPT.pattern, 30) is not None

    def command(self, line, timeout=COMMAND_TIMEOUT):
        start = len(self.boot.text())
        self.boot.send(line + '\r')
        m = self.boot.wait_for(PROMPT.pattern, timeout, since=start)
        text = self.boot.text()
        output = text[start:m.start() if m else len(text)]
        # The first line is the echo of what was typed.
        return output.split('\n', 1)[1] if '\n' in output else ''


ALLOCATED = re.compile(r"^ExAllocatePoolWithTag\(\w+, 0x[0-9a-f]+, '.{4}'\) = ([0-9a-f]{8})$", re.M)
STACK = re.compile(r'^Stack: (.+), ([0-9a-f]{8})\.\.([0-9a-f]{8}) \(guard page ([0-9a-f]{8})\)$', re.M)
FREE_RUN = re.compile(r'^      free ptes: ([0-9A-F]{8})   number free: (\d+)\.$', re.M)


def allocate(kd, tag, size, paged=False):
    """`pool alloc` at the prompt: the block's address, or None."""
    m = ALLOCATED.search(kd.command(f'pool alloc {tag} {size:x}' + (' paged' if paged else '')))
    return int(m.group(1), 16) if m else None


def stack_guard(k):
    """(guard page VA, stack name) from `k`'s first line, or None."""
    m = STACK.search(k)
    return (int(m.group(4), 16), m.group(1)) if m else None


def first_free_run(sysptes):
    """(first PTE's address, length) of the first free run `!sysptes 1` lists, or None."""
    m = FREE_RUN.search(sysptes)
    return (int(m.group(1), 16), int(m.group(2))) if m else None


def boot_table(text):
    """The rows (start, end, variable) of the layout table the kernel printed at boot."""
    head = text.find('Virtual address space:')
    end = text.find('  MmSystemRangeStart=', head)
    return [m.groups() for m in LAYOUT_ROW.finditer(text[head:end])]


def session_2gb(args, syms, out):
    log = os.path.join(LOG_DIR, 'kd-session-2gb.log')
    text_va = syms['KiSystemStartup']
    guard_va = syms['__boot_stack_guard']
    version_va = syms['KiVersion']
    module = os.path.join(LOG_DIR, 'kd-session-module.txt')
    with open(module, 'w') as f:
        f.write(MODULE_TEXT)
    with qemu.Boot(log, memory='128M', kernel=args.kernel, initrd=module) as boot:
        kd = Session(boot)
        if not out.check('kd> prompt after boot', kd.ready, f'no prompt; see {log}'):
            return
        boot_text = boot.text()

        # Typed with a mistake and a backspace (DEL, what terminals send), as a person would.
        pte = kd.command(f'!ptx\x7fe {text_va:x}')
        m = PTE_LINE.search(pte)
        out.check('line editing: backspace over serial', m or 'VA ' in pte, pte.strip())
        if out.check('!pte of kernel text decodes PDE and PTE', m, pte.strip()):
            pfn, flags = int(m.group(3), 16), m.group(4)
            out.check('!pte of kernel text: valid', flags[10] == 'V', flags)
            out.check('!pte of kernel text: read-only', flags[8] == 'R', flags)
            vtop = kd.command(f'!vtop {text_va:x}')
            p = re.search(r'translates to physical address ([0-9a-f]+)', vtop)
            out.check('!pte pfn matches MmGetPhysicalAddress (!vtop)',
                      p and int(p.group(1), 16) >> 12 == pfn and int(p.group(1), 16) & 0xFFF == text_va & 0xFFF,
                      f'!pte pfn {pfn:x}; {vtop.strip()}')
            out.check('!pte pfn matches the image load address',
                      pfn == (text_va - syms['KERNEL_VA_OFFSET']) >> 12,
                      f'pfn {pfn:x}, VA {text_va:x}')
            pfn_text = kd.command(f'!pfn {pfn:x}')
            out.check('!pfn of that page says Active', re.search(r'containing page\s+\w+\s+Active', pfn_text),
                      pfn_text.strip())
            out.check('!pfn names the PTE that maps it',
                      f'is the PTE of VA {text_va & ~0xFFF:08X}' in pfn_text, pfn_text.strip())

        unmapped = kd.command(f'db {guard_va:x}')
        out.check('db of an unmapped system address reports it',
                  re.search(rf'^{guard_va:08x}\s+not mapped', unmapped, re.M), unmapped.strip())
        version = re.search(r'^mm386 (\S+) ', boot_text, re.M).group(1)
        dump = kd.command(f'db {version_va:x} {len(version):x}')
        out.check('the prompt still answers, and db reads the right bytes',
                  re.search(rf'^{version_va:08x} .*  {re.escape(version)}$', dump, re.M), dump.strip())

        address = kd.command('!address')
        rows = [(s, e, v) for s, e, v in LAYOUT_ROW.findall(address)]
        out.check('!address: MmSystemRangeStart 80000000 under the 2 GB split',
                  'MmSystemRangeStart 80000000' in address, address.strip()[:200])
        out.check('!address lists the regions of the boot table', rows and rows == boot_table(boot_text),
                  f'{len(rows)} rows vs {len(boot_table(boot_text))} in the boot table')

        vm = dict((k.strip(), int(v)) for k, v in VM_LINE.findall(kd.command('!vm')))
        ram = re.search(r'^mm: (\d+) pages of RAM', boot_text, re.M)
        lists = ['Zeroed', 'Free', 'Standby', 'Modified', 'ModifiedNoWrite', 'Bad', 'Active']
        out.check('!vm: physical memory is what the boot found',
                  ram and vm.get('Physical Memory') == int(ram.group(1)), f'{vm}')
        out.check('!vm: the lists and Active add up to physical memory',
                  all(k in vm for k in lists) and sum(vm[k] for k in lists) == vm.get('Physical Memory'), f'{vm}')
        out.check('!vm: available = zeroed + free + standby',
                  all(k in vm for k in lists) and vm['Zeroed'] + vm['Free'] + vm['Standby'] == vm.get('Available Pages'),
                  f'{vm}')

        lm = kd.command('lm')
        out.check('lm shows the kernel image at its link address',
                  re.search(rf'^{syms["__kernel_start"]:08x} {syms["__kernel_end"]:08x}\s+mm386\b', lm, re.M),
                  lm.strip())
        m = re.search(rf'^([0-9a-f]{{8}}) ([0-9a-f]{{8}})\s+module0\s+{re.escape(module)} ', lm, re.M)
        if out.check('lm shows the boot module with its range', m and int(m.group(2), 16) - int(m.group(1), 16)
                     == len(MODULE_TEXT), lm.strip()):
            dump = kd.command(f'db {m.group(1)} 10')
            out.check('db reads the boot module where lm says it is',
                      MODULE_TEXT[:16] in dump, dump.strip())
        k = kd.command('k')
        out.check('k walks back to the start of the prompt\'s thread',
                  re.search(r'KdRunPrompt\+0x', k) and re.search(r'KiThreadStartup\+0x', k), k.strip())
        unknown = kd.command('frob 1')
        out.check('an unknown command says so and points to help',
                  'frob: unknown command' in unknown and '`help`' in unknown, unknown.strip())
        tests = kd.command('ktest format.*', timeout=30)
        out.check('ktest GLOB runs the matching tests from the prompt',
                  re.search(r'^    ok 1 ', tests, re.M) and re.search(r'^0 test\(s\) failed$', tests, re.M),
                  tests.strip()[-300:])

        session_pool(kd, out)
        session_user_range(kd, out)

        boot.send('quit\r')
        status = boot.wait_exit(10)
        out.check('quit leaves QEMU with the success status', status == qemu.EXIT_SUCCESS,
                  qemu.describe_exit(status))


POOL_BLOCK = re.compile(r'^([ *])([0-9a-f]{8}) size: +([0-9a-f]+) previous size: +([0-9a-f]+)  '
                        r'(\(\w+\)) +([ *])(.{4})$', re.M)
TAG_ROW = re.compile(r'^ (.{4})  +(\d+) +(\d+) +(\d+) +(\d+)$', re.M)
SYSPTES_TOTALS = re.compile(r'Total System Ptes (\d+).*free blocks: (\d+)   total free: (\d+)   '
                            r'largest free block: (\d+)'
                            r'.*caches: (\d+) PTEs   waiting list: (\d+) runs, (\d+) PTEs.*free: (\d+)   in use: (\d+)',
                            re.S)


VAD_ROW = re.compile(r'^([0-9a-f]{8}) \(\s*(\d+)\)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+) (Private|Mapped)\s+(\S.*)$', re.M)


def session_user_range(kd, out):
    """`vm` calls the virtual-memory services on the prompt's process (the system process); what they did is
    checked with !vad, !address, !pte and !vm against NT's rules for the same calls: a reservation without a
    base starts at 64 KB (top-down: 64 KB below the highest VAD address, 0x7ffe0000), each page table a
    reservation spans is charged with it, a page made no-access faults."""
    a = kd.command('vm alloc 0 5000 reserve+commit readwrite')
    out.check('vm alloc: the first reservation lands at 64 KB', 'STATUS_SUCCESS, base 00010000 size 5000' in a,
              a.strip())
    b = kd.command('vm alloc 0 3000 reserve+topdown readwrite')
    out.check('vm alloc topdown: ends below 0x7ffe0000 on 64 KB', 'STATUS_SUCCESS, base 7ffd0000 size 3000' in b,
              b.strip())
    c = kd.command('vm alloc 10000 1000 reserve readwrite')
    out.check('vm alloc over a reservation: STATUS_CONFLICTING_ADDRESSES', 'STATUS_CONFLICTING_ADDRESSES' in c,
              c.strip())
    tree = kd.command('!vad')
    rows = [(int(s, 16), int(e, 16), int(n), kind, rest.strip()) for _, _, s, e, n, kind, rest in VAD_ROW.findall(tree)]
    out.check('!vad lists both VADs in address order with their pages, commit and protection',
              rows == [(0x10, 0x14, 5, 'Private', 'READWRITE'), (0x7ffd0, 0x7ffd2, 0, 'Private', 'READWRITE')],
              tree.strip())
    out.check('!vad counts them', re.search(r'Total VADs:\s+2\s', tree), tree.strip())
    touched = kd.command('vm touch 10000 write')
    pte = kd.command('!pte 10000')
    m = PTE_LINE.search(pte)
    out.check('vm touch: the first touch maps a page', 'wrote 00010000: 00000000' in touched, touched.strip())
    out.check('!pte of the touched page: valid, user, writable, not global',
              m and m.group(4)[10] == 'V' and m.group(4)[7] == 'U' and m.group(4)[8] == 'W' and m.group(4)[1] == '-',
              pte.strip())
    p = kd.command('vm protect 11000 1000 noaccess')
    out.check('vm protect returns the old protection', 'STATUS_SUCCESS, base 00011000 size 1000, was PAGE_READWRITE'
              in p, p.strip())
    t = kd.command('vm touch 11000')
    out.check('a no-access page faults: STATUS_ACCESS_VIOLATION', 'STATUS_ACCESS_VIOLATION' in t, t.strip())
    address = kd.command('!address')
    out.check('!address shows the no-access page as a region of its own',
              re.search(r'^\s+11000\s+12000\s+1000 MEM_PRIVATE MEM_COMMIT\s+PAGE_NOACCESS\s', address, re.M) and
              re.search(r'^\*\s+10000\s+11000\s+1000 MEM_PRIVATE MEM_COMMIT\s+PAGE_READWRITE\s', address, re.M),
              address.strip()[-900:])
    vm = kd.command('!vm')
    system = re.search(r'^\s+0004 System\s+(\d+)\s', vm, re.M)
    out.check('!vm: the system process is charged 5 pages and 2 page tables',
              system and int(system.group(1)) == 7, vm.strip()[-300:])
    f1 = kd.command('vm free 10000 0 release')
    f2 = kd.command('vm free 7ffd0000 0 release')
    out.check('vm free: a size of 0 releases each whole reservation',
              'STATUS_SUCCESS, base 00010000 size 5000' in f1 and 'STATUS_SUCCESS, base 7ffd0000 size 3000' in f2,
              f1.strip() + ' / ' + f2.strip())
    empty = kd.command('!vad')
    out.check('!vad of an empty user range', re.search(r'Total VADs:\s+0\s', empty), empty.strip())


def vm_lines(vm):
    """!vm's (name, pages) pairs in order (the pool sections repeat Initial and Expansion)."""
    return [(k.strip(), int(v)) for k, v in VM_LINE.findall(vm)]


def vm_after(pairs, section, name):
    """The value of `name` after the line `section` in !vm's pairs."""
    names = [n for n, _ in pairs]
    start = names.index(section) if section in names else len(names)
    return next((v for n, v in pairs[start:] if n == name), None)


def tag_row(poolused, tag):
    """(nonpaged allocs, used, paged allocs, used) of tag's !poolused row, or None."""
    return next((tuple(map(int, m.groups()[1:])) for m in TAG_ROW.finditer(poolused) if m.group(1) == tag), None)


def pool_page_consistent(blocks):
    """The blocks of a !pool page cover it exactly and each 'previous size' is the block before's size."""
    at, previous = None, 0
    for _, address, size, prev, _, _, _ in blocks:
        address, size, prev = int(address, 16), int(size, 16), int(prev, 16)
        if at is None:
            at = address
        if address != at or prev != previous:
            return False
        at, previous = address + size, size
    return at is not None and at % 0x1000 == 0 and len(blocks) > 0


def session_pool(kd, out):
    """The pool and system PTE commands against each other and against `pool alloc`/`pool free`."""
    size = 0x40
    block = allocate(kd, 'Kdse', size)
    if not out.check('pool alloc returns a block', block, 'no address printed'):
        return
    used = (size + 8 + 7) & ~7     # the 8-byte POOL_HEADER, rounded to 8-byte units
    poolused = kd.command('!poolused')
    out.check('!poolused shows a tag that a prompt command just allocated',
              tag_row(poolused, 'Kdse') == (1, used, 0, 0), poolused.strip())
    page = kd.command(f'!pool {block + 8:x}')
    blocks = POOL_BLOCK.findall(page)
    marked = [b for b in blocks if b[0] == '*']
    out.check('!pool: the page holding the block, in nonpaged pool',
              page.startswith(f'Pool page {block + 8:08x} region is Nonpaged pool'), page.strip())
    out.check('!pool marks the block: busy, its tag and size',
              len(marked) == 1 and int(marked[0][1], 16) + 8 == block and int(marked[0][2], 16) == used
              and marked[0][4] == '(Allocated)' and marked[0][5] == '*' and marked[0][6] == 'Kdse', page.strip())
    out.check('!pool: the blocks add up to the page, header by header', pool_page_consistent(blocks), page.strip())

    sysptes = kd.command('!sysptes 1')
    vm = vm_lines(kd.command('!vm'))
    m = SYSPTES_TOTALS.search(sysptes)
    if out.check('!sysptes prints its totals', m, sysptes.strip()):
        total, runs, list_free, largest, cached, _, waiting, free, in_use = map(int, m.groups())
        out.check('!sysptes totals agree with !vm',
                  (free, in_use, total) == (vm_after(vm, 'Free System PTEs', 'Free System PTEs'),
                                            vm_after(vm, 'Used System PTEs', 'Used System PTEs'),
                                            vm_after(vm, 'Total System PTEs', 'Total System PTEs')),
                  f'{sysptes.strip()}\n{vm}')
        out.check('!sysptes: free list + caches + waiting list = free, and free + in use = total',
                  list_free + cached + waiting == free and free + in_use == total, sysptes.strip())
        histogram = re.findall(r'^  +[\d+-]+ +(\d+) +(\d+)$', sysptes, re.M)
        out.check('!sysptes: the histogram of free runs adds up to the free list',
                  sum(int(r) for r, _ in histogram) == runs and sum(int(p) for _, p in histogram) == list_free,
                  sysptes.strip())
    run = first_free_run(sysptes)
    if out.check('!sysptes 1 lists the free runs', run, sysptes.strip()):
        pte = kd.command(f'!pte {run[0]:x}')
        out.check('!pte of a free system PTE decodes MMPTE_LIST and finds its run',
                  'free system PTE (MMPTE_LIST)' in pte and f'run of {run[1]} PTEs on the free list' in pte,
                  pte.strip())
    guard = stack_guard(kd.command('k'))
    if out.check('k names the stack it runs on', guard, 'no Stack: line'):
        pte = kd.command(f'!pte {guard[0]:x}')
        out.check("!pte of a kernel stack's guard page: no-access, and whose guard it is",
                  'Protect: 18 - NoAccess' in pte and f'guard page of {guard[1]}' in pte, pte.strip())
    usage = vm_after(vm, 'NonPagedPool Usage', 'NonPagedPool Usage')
    out.check('!vm: nonpaged pool in use = initial part + expansion',
              usage is not None and usage == vm_after(vm, 'NonPagedPool Usage', 'Initial')
              + vm_after(vm, 'NonPagedPool Usage', 'Expansion'), f'{vm}')

    kd.command(f'pool free {block:x}')
    poolused = kd.command('!poolused')
    out.check('after pool free, !poolused no longer counts the tag', tag_row(poolused, 'Kdse') is None,
              poolused.strip())
    page = kd.command(f'!pool {block:x}')
    out.check('after pool free, !pool shows the block parked in a lookaside list',
              any(b[0] == '*' and b[4] == '(Lookaside)' for b in POOL_BLOCK.findall(page)), page.strip())

    paged_before = vm_after(vm, 'PagedPool Usage', 'PagedPool Usage')
    big = allocate(kd, 'Kdse', 0x5000, paged=True)
    page = kd.command(f'!pool {big + 0x2345:x}' if big else '!pool 0')
    out.check('!pool of a big allocation: its start, tag and size',
              big and f'*{big:08x} : large page allocation, tag is Kdse, size is 0x5000 bytes' in page, page.strip())
    paged = vm_after(vm_lines(kd.command('!vm')), 'PagedPool Usage', 'PagedPool Usage')
    out.check('!vm: a 5-page paged allocation adds 5 pages of paged pool', paged == paged_before + 5,
              f'{paged_before} -> {paged}')
    if big:
        kd.command(f'pool free {big:x}')
    paged = vm_after(vm_lines(kd.command('!vm')), 'PagedPool Usage', 'PagedPool Usage')
    out.check('!vm: freeing it gives them back', paged == paged_before, f'{paged_before} -> {paged}')
    outside = kd.command('!pool 0')
    out.check('!pool of an address in no pool says so', '00000000 is not in any pool' in outside, outside.strip())


STARTED = re.compile(r'^start: waiter\.exe is process (\w+) \(PROCESS (\w+)\)$', re.M)
WAITER_IDS = re.compile(r'waiter: process (\w+), threads (\w+) and (\w+); PEB (\w+), TEB (\w+)$', re.M)
WAITER_PAGES = re.compile(r'^waiter: 16 pages committed at (\w+), the first 8 written$', re.M)


def pe_header(path):
    """(ImageBase, AddressOfEntryPoint) from a PE file's optional header."""
    with open(path, 'rb') as f:
        data = f.read(4096)
    pe = int.from_bytes(data[0x3C:0x40], 'little')
    return int.from_bytes(data[pe + 0x34:pe + 0x38], 'little'), int.from_bytes(data[pe + 0x28:pe + 0x2C], 'little')


def start_waiter(boot, kd):
    """`start waiter.exe` and what the program says of itself: (process address, the ids and addresses it
    printed, the base of its 16 committed pages), or None."""
    since = len(boot.text())
    said = kd.command('start waiter.exe')
    started = STARTED.search(said)
    if not boot.wait_for(r'waiter: 16 pages committed at \w+, the first 8 written', 10, since=since) or not started:
        return None
    text = boot.text()[since:]
    ids = WAITER_IDS.search(text)
    pages = WAITER_PAGES.search(text)
    if not ids or int(ids.group(1), 16) != int(started.group(1), 16):
        return None
    address = int(started.group(2), 16)
    for _ in range(50):     # until both threads wait (the second one's first steps in ring 3 touch its stack)
        if len(re.findall(r'^        THREAD .* WAIT: \(UserRequest\) UserMode ', kd.command(f'!process {address:x}'),
                          re.M)) == 2:
            return address, [int(g, 16) for g in ids.groups()], int(pages.group(1), 16)
        time.sleep(0.1)
    return None


PROCESS_LINE = re.compile(r'^PROCESS (\w{8})  Cid: (\w+)  Peb: (\w{8})  ParentCid: (\w+)  DirBase: (\w{8})  '
                          r'ObjectTable: (\w{8})  HandleCount: (\d+)\.  Image: (\S+)$', re.M)


def session_processes(args, out):
    """A program started from the prompt, looked at from it: !process 0 0 lists it, !process its threads as
    the program itself numbers them, `.process` makes it the context in which !vad, !pte, db, !vtop, !peb and
    !teb read its user range — at the running prompt and at a stopped one — each checked against what the
    program printed of itself (ids, PEB, TEB, where its pages are) and its PE header (image base)."""
    log = os.path.join(LOG_DIR, 'kd-session-processes.log')
    image_base, entry = pe_header(os.path.join(os.path.dirname(args.kernel) or '.', 'user', 'waiter.exe'))
    with qemu.Boot(log, memory='128M', kernel=args.kernel) as boot:
        kd = Session(boot)
        if not out.check('kd> prompt (processes boot)', kd.ready, f'see {log}'):
            return
        waiter = start_waiter(boot, kd)
        if not out.check('start waiter.exe: the program runs and says where it is', waiter, f'see {log}'):
            return
        address, (pid, main_tid, second_tid, peb, teb), pages = waiter
        listing = kd.command('!process 0 0')
        rows = {int(m.group(1), 16): m.groups() for m in PROCESS_LINE.finditer(listing)}
        row = rows.get(address)
        out.check('!process 0 0: one line per process, the System process and the waiter',
                  row and int(row[1], 16) == pid and int(row[2], 16) == peb and row[7] == 'waiter.exe'
                  and int(row[3], 16) == 4 and any(r[7] == 'System' for r in rows.values())
                  and listing.startswith('**** NT ACTIVE PROCESS DUMP ****'), listing.strip())
        detail = kd.command(f'!process {address:x}')
        threads = re.findall(r'^        THREAD (\w{8})  Cid (\w+)\.(\w+)  Teb: (\w{8}) (.*)$', detail, re.M)
        tids = sorted(int(t[2], 16) for t in threads)
        main = [t for t in threads if int(t[2], 16) == main_tid]
        out.check('!process ADDR: its two threads, with the ids the program printed',
                  tids == sorted([main_tid, second_tid]) and all(int(t[1], 16) == pid for t in threads), detail.strip())
        out.check("!process ADDR: the main thread's TEB, and its wait (an event, from user mode)",
                  main and int(main[0][3], 16) == teb and main[0][4] == 'WAIT: (UserRequest) UserMode Non-Alertable'
                  and re.search(r'^            \w{8}  NotificationEvent$', detail, re.M), detail.strip())
        vads = re.search(r'VadRoot \w{8} Vads (\d+) ', detail)
        commit = re.search(r'^    CommitCharge +(\d+)$', detail, re.M)
        out.check('!process ADDR: image, Peb and at least the 16 committed pages in its commit',
                  f'Peb: {peb:08x}' in detail and '    Image: waiter.exe' in detail and commit
                  and int(commit.group(1)) >= 16 and 'ExitStatus                        00000103 (STATUS_PENDING)'
                  in detail, detail.strip())
        said = kd.command(f'.process {address:x}')
        out.check('.process ADDR makes it the implicit process',
                  said.strip() == f'Implicit process is now {address:08x} (Cid {pid:04x}, waiter.exe)', said.strip())
        running = {c: kd.command(c) for c in ['!vad', f'!pte {pages:x}', f'!pte {pages + 0x8000:x}', '!peb', '!teb',
                                               f'db {image_base:x} 2', f'!vtop {pages:x}', f'!pte {image_base + entry:x}']}
        tree = running['!vad']
        rows = [(int(s, 16), int(e, 16), int(n)) for _, _, s, e, n, _, _ in VAD_ROW.findall(tree)]
        out.check("!vad in its context: a VAD over the image base, one over its 16 committed pages, and the count "
                  "!process gave", (pages >> 12, (pages >> 12) + 15, 16) in rows
                  and any(s <= image_base >> 12 <= e for s, e, _ in rows) and vads and len(rows) == int(vads.group(1)),
                  tree.strip())
        m = PTE_LINE.search(running[f'!pte {pages:x}'])
        p = re.search(r'translates to physical address ([0-9a-f]+)', running[f'!vtop {pages:x}'])
        out.check('!pte of a page it wrote: valid, user, writable; !vtop agrees on the frame',
                  m and m.group(4)[10] == 'V' and m.group(4)[7] == 'U' and m.group(4)[8] == 'W'
                  and p and int(p.group(1), 16) >> 12 == int(m.group(3), 16), running[f'!pte {pages:x}'].strip())
        out.check('!pte of a page it committed and never touched: the VAD says demand zero',
                  'committed it whole (MemCommit): demand zero' in running[f'!pte {pages + 0x8000:x}'],
                  running[f'!pte {pages + 0x8000:x}'].strip())
        m = PTE_LINE.search(running[f'!pte {image_base + entry:x}'])
        out.check('!pte of its entry point: a valid, user, read-only page (its code ran)',
                  m and m.group(4)[10] == 'V' and m.group(4)[7] == 'U' and m.group(4)[8] == 'R',
                  running[f'!pte {image_base + entry:x}'].strip())
        out.check('db of the image base reads its MZ header', re.search(rf'^{image_base:08x}  4d 5a ', running[
            f'db {image_base:x} 2'], re.M), running[f'db {image_base:x} 2'].strip())
        pebtext = running['!peb']
        out.check('!peb: where the program found it, its image base (the PE header\'s) and command line',
                  pebtext.startswith(f'PEB at {peb:08x} (process {address:08x}, waiter.exe)')
                  and f'ImageBaseAddress:         {image_base:08x}' in pebtext
                  and "ImageFile:    '\\Boot\\waiter.exe'" in pebtext and "CommandLine:  'waiter.exe'" in pebtext,
                  pebtext.strip())
        tebtext = running['!teb']
        out.check('!teb: the main thread\'s TEB, its ids and PEB as the program printed them',
                  tebtext.startswith(f'TEB at {teb:08x}') and f'Self:                 {teb:08x}' in tebtext
                  and f'ClientId:             {pid:08x} . {main_tid:08x}' in tebtext
                  and f'PEB Address:          {peb:08x}' in tebtext, tebtext.strip())

        # The same views at a stopped prompt: the kernel stopped in the prompt's own thread (System).
        kd.command('bp ExAllocatePoolWithTag')
        stop = kd.command('pool alloc Kdps 10')
        if out.check('a breakpoint stops the kernel in the prompt\'s thread', 'Breakpoint 0 hit' in stop, stop.strip()):
            for c in ['!vad', f'!pte {pages:x}', '!peb', '!teb', f'db {image_base:x} 2']:
                said = kd.command(c)
                out.check(f'stopped, `{c}` in its context shows what the running prompt showed', said == running[c],
                          f'stopped:\n{said}\nrunning:\n{running[c]}')
            said = kd.command('.process 0')
            out.check('.process 0 at the stopped prompt: back to the stopped thread\'s process',
                      'the default, the stopped thread\'s' in said and '(Cid 0004, System)' in said, said.strip())
            said = kd.command('!peb')
            out.check('!peb of the System process says it has none', 'has no PEB' in said, said.strip())
            kd.command(f'.process {address:x}')
            kd.command('bc *')
            kd.command('g')
        said = kd.command('.process')
        out.check('the context set at the stopped prompt holds at the running one',
                  said.strip() == f'Implicit process is now {address:08x} (Cid {pid:04x}, waiter.exe)', said.strip())
        said = kd.command('.process 7777')
        out.check('.process of something that is no process says so and keeps the context',
                  'is neither a process nor a process id' in said and
                  kd.command('.process').strip().startswith(f'Implicit process is now {address:08x}'), said.strip())
        said = kd.command(f'kill {address:x}')
        out.check('kill waits for the process to end', f'kill: process {pid:x} has ended with status 0x00000001' in said,
                  said.strip())
        first, tree = kd.command('!process 0 0'), kd.command('!vad')
        out.check('the context process ended: the first command after says so, and reads the default from then on',
                  f'[.process: process {address:08x} has ended; the context is back to the default]' in first
                  and re.search(r'Total VADs:\s+0\s', tree) and '.process:' not in tree,
                  said.strip() + '\n' + first + tree.strip())
        boot.send('quit\r')
        boot.wait_exit(10)


def session_3gb(args, out):
    log = os.path.join(LOG_DIR, 'kd-session-3gb.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel, append='/3GB /SPECIALPOOL=Spcl') as boot:
        kd = Session(boot)
        if not out.check('kd> prompt after a /3GB boot', kd.ready, f'no prompt; see {log}'):
            return
        address = kd.command('!address')
        out.check('!address: MmSystemRangeStart c0000000 under /3GB',
                  'MmSystemRangeStart c0000000' in address and '3072 MB user / 1024 MB system' in address,
                  address.strip()[:200])
        block = allocate(kd, 'Spcl', 0x10)
        page = kd.command(f'!pool {block:x}' if block else '!pool 0')
        out.check('!pool of a special pool block: its page, tag and guard page',
                  block and f'*{block & ~0xFFF:08x} : special pool page, tag is Spcl, Nonpaged pool' in page
                  and f'guard page at {(block & ~0xFFF) + 0x1000:08x}' in page, page.strip())
        boot.send('bugcheck e2 1 2 3 4\r')
        stop = boot.wait_for(r'\*\*\* STOP: 0x000000E2 \(0x00000001,0x00000002,0x00000003,0x00000004\)\n'
                             r'MANUALLY_INITIATED_CRASH', 10)
        out.check('bugcheck CODE shows the STOP screen', stop, f'see {log}')


def session_reboot(args, out):
    log = os.path.join(LOG_DIR, 'kd-session-reboot.log')
    # Without -no-reboot: the machine must come back, boot again and answer.
    with qemu.Boot(log, memory='128M', kernel=args.kernel, reset_exits=False) as boot:
        kd = Session(boot)
        if not out.check('kd> prompt before reboot', kd.ready, f'no prompt; see {log}'):
            return
        boot.send('reboot\r')
        again = boot.wait_for(r'Rebooting[\s\S]*mm386 \d+\.\d+\.\d+[\s\S]*kd> ', 30)
        out.check('reboot restarts the machine, which boots to the prompt again', again,
                  f'no second boot after "reboot"; see {log}')
        if again:
            boot.send('quit\r')
            status = boot.wait_exit(10)
            out.check('quit after the reboot leaves QEMU with the success status',
                      status == qemu.EXIT_SUCCESS, qemu.describe_exit(status))


def session_input(args, syms, out):
    """COM1 input as a script would send it: before the prompt, all at once, with Ctrl-C and mistakes."""
    log = os.path.join(LOG_DIR, 'kd-session-input.log')
    text_va = syms['KiSystemStartup']
    addresses = [text_va + 0x10 * i for i in range(96)]
    with qemu.Boot(log, memory='128M', kernel=args.kernel) as boot:
        # Sent as QEMU starts, long before the kernel sets COM1 up: the first byte
        # waits in the UART's receive register and must survive initialisation.
        boot.send('lm\r')
        first = boot.wait_for(r'kd> lm\n(start +end +module +name\n)[\s\S]*?\nkd> ', 30)
        out.check('a command sent before the prompt runs whole, first byte included', first, f'see {log}')
        kd = Session(boot)
        if not out.check('kd> prompt after input sent early', kd.ready, f'see {log}'):
            return

        said = kd.command('bugcheck')
        out.check('bugcheck without CODE prints its usage instead of crashing',
                  'bugcheck: CODE is missing' in said and 'usage: bugcheck CODE [P1 P2 P3 P4]' in said, said.strip())
        said = kd.command('bugcheck `')
        out.check('a lone backtick is not read as 0', 'a backtick goes between two digits' in said, said.strip())
        said = kd.command('!pte 123456789')
        out.check('a number over 32 bits is reported as such, not as a missing function',
                  'more than 32 bits' in said and 'no function' not in said, said.strip())
        said = kd.command('ktest serial.uart_overrun_is_counted')
        out.check('an overrun in the UART (the test makes one through loopback) is reported at the prompt',
                  re.search(r'^    ok 1 uart_overrun_is_counted$', said, re.M) and
                  re.search(r'^\[COM1: \d+ receive overrun\(s\): input was lost', said, re.M), said.strip()[-300:])
        said = kd.command('!vm extra')
        out.check('an extra argument is reported and the command does not run',
                  "!vm: unexpected argument 'extra'" in said and 'Virtual Memory Usage' not in said, said.strip())

        # One write of a few KB: every line must run, in order, none merged or lost,
        # and a line cancelled with Ctrl-C must not run (here: a bugcheck).
        script = [f'!vtop {va:x}' for va in addresses[:48]] + ['bugcheck\x03', 'db ' + 'f' * 140] + \
                 [f'!vtop {va:x}' for va in addresses[48:]] + ['quit']
        blob = ''.join(line + '\r' for line in script)
        start = len(boot.text())
        boot.send(blob)
        status = boot.wait_exit(60)
        said = boot.text()[start:]
        seen = [int(a, 16) for a in re.findall(r'^Virtual address ([0-9a-f]{8}) translates', said, re.M)]
        out.check(f'a {len(blob)}-byte script piped at once: every command ran, in order',
                  seen == addresses, f'{len(seen)} of {len(addresses)} !vtop outputs; see {log}')
        out.check('Ctrl-C cancels the line: `bugcheck^C` does not crash',
                  'bugcheck^C' in said and '*** STOP' not in said, f'see {log}')
        out.check('a line longer than the prompt holds is refused whole, not run cut',
                  'line too long' in said and 'db: ' not in said, f'see {log}')
        out.check('the last line of the script (quit) arrived and ran', status == qemu.EXIT_SUCCESS,
                  qemu.describe_exit(status))
        out.check('no receive overrun was reported', 'receive overrun' not in said, f'see {log}')


def session_boot_line(args, out):
    """The multiboot command line beyond the old 511 bytes, and beyond what the kernel keeps."""
    log = os.path.join(LOG_DIR, 'kd-session-long-line.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel, append=' ' * 3000 + '/3GB') as boot:
        kd = Session(boot)
        if out.check('kd> prompt after a boot with a 3 KB command line', kd.ready, f'see {log}'):
            address = kd.command('!address')
            out.check('a switch 3000 bytes into the command line is honoured (/3GB)',
                      '3072 MB user / 1024 MB system' in address, address.strip()[:200])
    # 4092 bytes of switches (an unknown one, reported, makes the length), then /3GB
    # across the 4095 the kernel keeps: it must be dropped whole with what follows.
    log = os.path.join(LOG_DIR, 'kd-session-overlong-line.log')
    padded = '/SPECIALPOOL=Spcl /X' + 'x' * 4072
    with qemu.Boot(log, memory='128M', kernel=args.kernel, append=padded + ' /3GB /MAXMEM=64') as boot:
        kd = Session(boot)
        text = boot.text()
        out.check('a command line past 4 KB: the banner says what was dropped',
                  re.search(r'^command line: \d+ bytes; the last 15 did not fit in 4095 and were dropped, '
                            r'unparsed: "/3GB /MAXMEM=64"$', text, re.M), f'see {log}')
        if kd.ready:
            address = kd.command('!address')
            out.check('and what was dropped is not half-applied (2 GB split)',
                      '2048 MB user / 2048 MB system' in address, address.strip()[:200])


def session_big_ram(args, out):
    """5 GB of RAM: QEMU puts 3 GB below 4 GB and 2 GB above (its gigabyte-aligned split)."""
    log = os.path.join(LOG_DIR, 'kd-session-5g.log')
    with qemu.Boot(log, memory='5G', kernel=args.kernel) as boot:
        kd = Session(boot)
        text = boot.text()
        out.check('5 GB: the banner says how much RAM lies above 4 GB',
                  re.search(r'^RAM: \d+ MB .*, 2048 MB of it above 4 GB', text, re.M), f'see {log}')
        out.check('5 GB: the memory manager says the 2048 MB above 4 GB are not used, and why',
                  re.search(r'^mm: 2048 MB of RAM above 4 GB not used: mm386 has no PAE', text, re.M), f'see {log}')
        if kd.ready:
            vm = dict((k.strip(), int(v)) for k, v in VM_LINE.findall(kd.command('!vm')))
            pages = vm.get('Physical Memory', 0)
            out.check('5 GB: the pages in use all lie below 4 GB (at most 3 GB of them)',
                      0 < pages <= (3 << 30) >> 12, f'{pages} pages')


def run(args):
    """The runner's entry point: returns [(test name, ok, details)]."""
    syms = elf.symbols(args.kernel)     # KERNEL_VA_OFFSET is one: linker.ld defines it
    out = checks.Outcomes()
    session_2gb(args, syms, out)
    session_processes(args, out)
    session_3gb(args, out)
    session_reboot(args, out)
    session_input(args, syms, out)
    session_boot_line(args, out)
    session_big_ram(args, out)
    return out


if __name__ == '__main__':
    sys.exit(checks.run_alone(run, __doc__))
