#!/usr/bin/env python3
"""A gdb batch session against QEMU's gdb server: the mm-* commands checked.

QEMU starts halted with its gdb server on a free local port; gdb (batch mode)
loads build/mm386.elf and tools/gdb/mm386.py, puts a hardware breakpoint on
KdRunPrompt, continues to it and runs mm-pte, mm-pfn, mm-vm and mm-address
on the stopped kernel, then detaches. The kernel runs on to its kd>
prompt, where the same views are asked for again (!pte, !pfn, !vm,
!address) over COM1. The checks: gdb stopped where it should; mm-pte of a
kernel function shows a valid read-only PTE whose frame is the function's
load address; mm-vm's page count is the boot log's; mm-pte's decoder gives
the lines the kernel's table of PTE formats (tests/mm/kdexts.c) expects;
and every gdb view is identical, line for line, to the kernel's own. Then
the prompt allocates pool blocks (one freed into a lookaside list, one of
whole pages, one in special pool: the boot has /SPECIALPOOL=Spcl) and gdb
attaches a second time, halting the kernel at its
prompt: mm-poolused, mm-pool, mm-sysptes, mm-vm and mm-pte of a stack's
guard page and of free system PTEs must show what the prompt just showed.
mm-process, mm-ready and mm-thread of each waiting thread must also be kd>'s
(but for the Ticks since a wait began, as gdb reads later, and the prompt's
thread, which runs while kd> answers and waits for input while gdb looks).
mm-vm and mm-address are compared there only, once the page lists have
settled: the zero page thread moves pages between the free and zeroed
lists, through hyperspace, whenever the prompt waits for input.
Then the prompt reserves, commits, guards and touches user memory (`vm`)
and gdb attaches a third time: mm-vad, mm-address (and -summary), mm-vm
and mm-pte of those pages must be the prompt's views. Last it makes a
section and maps it (`section`) and gdb attaches a fourth time: mm-ca,
mm-vad, mm-pte and mm-pfn of its pages must be the prompt's. Last, the
prompt starts waiter.exe and makes it its implicit process (`.process`),
and gdb attaches a fifth time and chooses it too (mm-process-context):
mm-process, mm-vad, mm-address and mm-pte of its pages, read through its
page directory in physical memory, must be the prompt's.

Registered in tools/runtests.py as the `gdb-session` check; run alone with
`python3 tools/gdbsession.py`.
"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import elf  # noqa: E402
import kdsession  # noqa: E402
import checks  # noqa: E402
import qemu  # noqa: E402

GDB = os.environ.get('GDB', 'gdb')
LOG_DIR = os.path.join('build', 'test')
MARK = '@@mm386 '

# Sourced in gdb: mm-pte's decoder over the kernel's own table of PTE formats (tests/mm/kdexts.c).
EXAMPLES_SCRIPT = os.path.join(LOG_DIR, 'gdb-pte-examples.py')
EXAMPLES = '''
import gdb
from mm386gdb import pte
table = gdb.parse_and_eval('MiPteFormatExamples')
for i in range(table.type.range()[1] + 1):
    e = table[i]
    lines = e['Lines']
    expected = [lines[j].string() for j in range(lines.type.range()[1] + 1) if int(lines[j])]
    got = pte.describe(int(e['PointerPte']), int(e['Pte']))
    gdb.write('example %08x: %s\\n' % (int(e['Pte']), 'same' if got == expected else '%r != %r' % (got, expected)))
'''


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def gdb_views(kernel, port, commands, to_prompt=True):
    """Runs gdb in batch mode (to KdRunPrompt, or wherever attaching stops the kernel), then each
    command; returns (all output, {command: output})."""
    script = ['set pagination off', 'set confirm off', 'set architecture i386', 'set tcp connect-timeout 20',
              f'target remote 127.0.0.1:{port}', 'source tools/gdb/mm386.py']
    if to_prompt:
        script += ['hbreak KdRunPrompt', 'continue']
    for c in commands:
        script += [f'echo {MARK}{c}\\n', c]
    script += [f'echo {MARK}end\\n', 'delete', 'detach']
    argv = [GDB, '-nx', '-batch', '-q', kernel]
    for line in script:
        argv += ['-ex', line]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    output = r.stdout
    views = {}
    parts = output.split(MARK)
    for part in parts[1:]:
        name, _, body = part.partition('\n')
        views[name] = body
    return output, views


def settle(kd):
    """Waits until the zero page thread has no free page left to zero: until !vm says the same twice (the
    thread runs whenever the prompt waits for input, moving pages from the free list to the zeroed list)."""
    last = None
    for _ in range(200):
        time.sleep(0.05)                # the prompt waits for input meanwhile: the zero page thread runs
        now = kd.command('!vm')
        if now == last:
            return
        last = now


def pools_and_sysptes(args, port, kd, out):
    """The prompt allocates (a small block, one freed into a lookaside list, a big one), and gdb attaches
    again: its pool and system PTE views, of those blocks, a stack's guard page and a free system PTE, must
    be the prompt's. The page lists are let settle first (the zero page thread)."""
    small = kdsession.allocate(kd, 'Gdbs', 0x40)
    cached = kdsession.allocate(kd, 'Gdbs', 0x40)
    big = kdsession.allocate(kd, 'Gdbs', 0x5000, paged=True)
    special = kdsession.allocate(kd, 'Spcl', 0x10)       # the boot's /SPECIALPOOL tag
    if not out.check('pool alloc gives blocks to look at', small and cached and big and special,
                     'see the session log'):
        return
    kd.command(f'pool free {cached:x}')
    guard = kdsession.stack_guard(kd.command('k'))
    free_pte = kdsession.first_free_run(kd.command('!sysptes 1'))
    if not out.check('k names the stack and !sysptes 1 a free run', guard and free_pte, 'see the session log'):
        return
    settle(kd)
    system = re.search(r'^PROCESS (\w{8})', kd.command('!process 0'), re.M)
    threads = re.findall(r'THREAD (\w+)  Cid \w+\.\w+  Teb: \w+ WAIT', kd.command(f'!process {system.group(1)}')) if system else []
    if not out.check('!process lists the System process and threads waiting in it', len(threads) >= 2,
                     'see the session log'):
        return
    pairs = [('mm-process 0', '!process 0'), (f'mm-process 0x{system.group(1)}', f'!process {system.group(1)}'),
             ('mm-ready', '!ready')] + [(f'mm-thread 0x{t}', f'!thread {t}') for t in threads] + [
             ('mm-poolused', '!poolused'), ('mm-poolused 2', '!poolused 2'), ('mm-poolused 5 Ob*', '!poolused 5 Ob*'),
             (f'mm-pool {small:#x}', f'!pool {small:x}'),
             (f'mm-pool {cached:#x}', f'!pool {cached:x}'), (f'mm-pool {big + 0x1000:#x}', f'!pool {big + 0x1000:x}'),
             ('mm-pool 0xe0100000', '!pool e0100000'), (f'mm-pool {special:#x}', f'!pool {special:x}'),
             (f'mm-pool {special + 0x1000:#x}', f'!pool {special + 0x1000:x}'),
             ('mm-sysptes 1', '!sysptes 1'), ('mm-vm', '!vm'), ('mm-address', '!address'),
             (f'mm-pte {guard[0]:#x}', f'!pte {guard[0]:x}'), (f'mm-pte {free_pte[0]:#x}', f'!pte {free_pte[0]:x}'),
             (f'mm-pte {free_pte[0] + 4:#x}', f'!pte {free_pte[0] + 4:x}'),
             (f'mm-pte {free_pte[0] + 8:#x}', f'!pte {free_pte[0] + 8:x}')]
    theirs = {g: kd.command(k).strip('\n') for g, k in pairs}
    try:
        output, views = gdb_views(args.kernel, port, [g for g, _ in pairs], to_prompt=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        out.check('gdb attaches a second time', False, f'{GDB}: {e}')
        return
    with open(os.path.join(LOG_DIR, 'gdb-session-gdb2.log'), 'w') as f:
        f.write(output)
    for g, k in pairs:
        mine = views.get(g, '').strip('\n')
        if g.startswith('mm-thread'):
            mine, theirs[g] = same_moment(mine, theirs[g], out, g)
        if g.startswith('mm-process 0x'):
            mine, theirs[g] = without_prompt_thread(mine, theirs[g])
        out.check(f'{g.split()[0]} ({k}) shows what kd> shows', mine == theirs[g] and mine,
                  f'gdb:\n{mine}\nkd>:\n{theirs[g]}')


VAD_LINE = re.compile(r'^([0-9a-f]{8}) \(\s*\d+\)\s+([0-9a-f]+)\s+([0-9a-f]+)', re.M)


def user_range(args, port, kd, out):
    """The prompt reserves, commits, guards, protects and touches memory in the system process's user range
    (`vm`), and gdb attaches again: mm-vad, mm-address and mm-pte of those pages must show what the prompt
    just showed."""
    for step in ['vm alloc 0 5000 reserve+commit readwrite', 'vm alloc 50000000 20000 reserve noaccess',
                 'vm alloc 50002000 3000 commit readonly+guard', 'vm alloc 0 3000 reserve+commit+topdown execute_read',
                 'vm touch 10000 write', 'vm touch 11000', 'vm protect 10000 1000 noaccess', 'vm touch 50002000']:
        kd.command(step)
    tree = kd.command('!vad')
    vads = VAD_LINE.findall(tree)
    if not out.check('vm alloc makes VADs !vad lists', len(vads) == 3, tree.strip()):
        return
    first = int(vads[0][0], 16)
    pairs = [('mm-vad', '!vad'), (f'mm-vad {first:#x} 1', f'!vad {first:x} 1'), ('mm-vad 0x50003000 1', '!vad 50003000 1'),
             ('mm-address', '!address'), ('mm-address -summary', '!address -summary'), ('mm-vm', '!vm'),
             ('mm-pte 0x10000', '!pte 10000'), ('mm-pte 0x11000', '!pte 11000'), ('mm-pte 0x12000', '!pte 12000'),
             ('mm-pte 0x50002000', '!pte 50002000'), ('mm-pte 0x50003000', '!pte 50003000'),
             ('mm-pte 0x13000', '!pte 13000'), ('mm-pte 0x50010000', '!pte 50010000'), ('mm-pte 0x60000000', '!pte 60000000')]
    theirs = {g: kd.command(k).strip('\n') for g, k in pairs}
    try:
        output, views = gdb_views(args.kernel, port, [g for g, _ in pairs], to_prompt=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        out.check('gdb attaches a third time', False, f'{GDB}: {e}')
        return
    with open(os.path.join(LOG_DIR, 'gdb-session-gdb3.log'), 'w') as f:
        f.write(output)
    for g, k in pairs:
        mine = views.get(g, '').strip('\n')
        out.check(f'{g} ({k}) shows what kd> shows', mine == theirs[g] and mine,
                  f'gdb:\n{mine}\nkd>:\n{theirs[g]}')


SECTION_MADE = re.compile(r'handle (\w+), section \w+, control area (\w+)')
SYSTEM_VIEW = re.compile(r'view (\w+) size')


def sections(args, port, kd, out):
    """The prompt makes a section, maps it twice into the system process (once write-copy) and into system
    space, and touches it (a shared page, a private copy, a page never touched), and gdb attaches again:
    mm-ca, mm-vad, mm-pte and mm-pfn of those pages must show what the prompt just showed."""
    made = SECTION_MADE.search(kd.command('section create 20000 commit readwrite'))
    if not out.check('section create makes a section', made, 'see the session log'):
        return
    handle, ca = made.group(1), int(made.group(2), 16)
    kd.command(f'section map {handle} readwrite - 20000000')
    kd.command(f'section map {handle} writecopy - 20100000')
    system = SYSTEM_VIEW.search(kd.command(f'section sysmap {handle}'))
    if not out.check('section sysmap maps it in system space', system, 'see the session log'):
        return
    sysva = int(system.group(1), 16)
    for step in ['section touch 20000000 write 1234', 'section touch 20100000', 'section touch 20101000 write 5678',
                 f'section touch {sysva + 0x2000:x}']:
        kd.command(step)
    pfn = kdsession.PTE_LINE.search(kd.command('!pte 20000000'))
    if not out.check('the shared page is mapped', pfn, 'see the session log'):
        return
    pairs = [(f'mm-ca {ca:#x}', f'!ca {ca:x}'), ('mm-vad', '!vad'), ('mm-pte 0x20000000', '!pte 20000000'),
             ('mm-pte 0x20100000', '!pte 20100000'), ('mm-pte 0x20101000', '!pte 20101000'),
             ('mm-pte 0x20003000', '!pte 20003000'), (f'mm-pte {sysva + 0x2000:#x}', f'!pte {sysva + 0x2000:x}'),
             (f'mm-pte {sysva + 0x3000:#x}', f'!pte {sysva + 0x3000:x}'),
             (f'mm-pfn 0x{pfn.group(3)}', f'!pfn {pfn.group(3)}')]
    theirs = {g: kd.command(k).strip('\n') for g, k in pairs}
    try:
        output, views = gdb_views(args.kernel, port, [g for g, _ in pairs], to_prompt=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        out.check('gdb attaches a fourth time', False, f'{GDB}: {e}')
        return
    with open(os.path.join(LOG_DIR, 'gdb-session-gdb4.log'), 'w') as f:
        f.write(output)
    for g, k in pairs:
        mine = views.get(g, '').strip('\n')
        out.check(f'{g} ({k}) shows what kd> shows', mine == theirs[g] and mine,
                  f'gdb:\n{mine}\nkd>:\n{theirs[g]}')


def without_prompt_thread(gdb_view, kd_view):
    """!process of the System process lists the prompt's own thread, RUNNING while kd> answers and waiting
    for input while gdb looks: its line, and the lines of the objects it waits on, are left out of both; the
    rest must be identical."""
    running = re.search(r'^\s+THREAD (\w+) .*RUNNING.*$', kd_view, re.M)
    if not running:
        return gdb_view, kd_view
    lines = re.compile(rf'^( +)THREAD {running.group(1)} .*\n?(\1    \w{{8}}  .*\n?)*', re.M)
    return lines.sub('', gdb_view), lines.sub('', kd_view)


def process_context(args, port, kd, boot, out):
    """The prompt starts waiter.exe and makes it its implicit process (.process); gdb attaches again and
    chooses the same process (mm-process-context): mm-process, mm-vad, mm-address and mm-pte of its pages,
    read through its page directory in physical memory, must show what the prompt showed."""
    waiter = kdsession.start_waiter(boot, kd)
    if not out.check('start waiter.exe for mm-process-context', waiter, 'see the session log'):
        return
    address, _, pages = waiter
    image_base, entry = kdsession.pe_header(os.path.join(os.path.dirname(args.kernel) or '.', 'user', 'waiter.exe'))
    kd.command(f'.process {address:x}')
    pairs = [(f'mm-process-context {address:#x}', '.process'), ('mm-process 0 0', '!process 0 0'),
             (f'mm-process {address:#x}', f'!process {address:x}'), ('mm-process', '!process'),
             ('mm-vad', '!vad'), ('mm-address -summary', '!address -summary'),
             (f'mm-pte {pages:#x}', f'!pte {pages:x}'), (f'mm-pte {pages + 0x8000:#x}', f'!pte {pages + 0x8000:x}'),
             (f'mm-pte {image_base + entry:#x}', f'!pte {image_base + entry:x}'), ('mm-pte 0x60000000', '!pte 60000000'),
             ("mm-process-context 0", ".process 0"), ("mm-process-context", ".process")]
    theirs = {}
    for g, k in pairs:
        theirs[g] = kd.command(k).strip('\n')
    try:
        output, views = gdb_views(args.kernel, port, [g for g, _ in pairs], to_prompt=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        out.check('gdb attaches a fifth time', False, f'{GDB}: {e}')
        return
    with open(os.path.join(LOG_DIR, 'gdb-session-gdb5.log'), 'w') as f:
        f.write(output)
    seen = set()
    for g, k in pairs:
        mine = views.get(g, '').strip('\n')
        if g.startswith('mm-process 0') or g.startswith('mm-process-context') and not g.endswith(f'{address:#x}'):
            mine, theirs[g] = without_prompt_thread(mine, theirs[g])
            mine = mine.replace("the default, the running thread's", "the default, the prompt's own")
        label = g if g not in seen else g + ' (again)'
        seen.add(g)
        out.check(f'{label} ({k}) shows what kd> shows', mine == theirs[g] and mine,
                  f'gdb:\n{mine}\nkd>:\n{theirs[g]}')


def same_moment(gdb_view, kd_view, out, command):
    """A thread view's one line that time moves: Ticks (since the wait began), read by gdb after kd>. gdb's
    must be no fewer than kd>'s; both are then compared without it."""
    pattern = re.compile(r'Ticks: (\d+)')
    a, b = pattern.search(gdb_view), pattern.search(kd_view)
    out.check(f'{command}: Ticks has moved on from kd>\'s, never back', a and b and int(a.group(1)) >= int(b.group(1)),
              f'gdb:\n{gdb_view}\nkd>:\n{kd_view}')
    return pattern.sub('Ticks: -', gdb_view), pattern.sub('Ticks: -', kd_view)


def run(args):
    syms = elf.symbols(args.kernel)
    va = syms['KiSystemStartup']
    pfn = (va - syms['KERNEL_VA_OFFSET']) >> 12
    commands = [f'mm-pte {va:#x}', f'mm-pfn {pfn:#x}', 'mm-vm', 'mm-address', f'source {EXAMPLES_SCRIPT}',
                'mm-pfn 0']
    out = checks.Outcomes()
    os.makedirs(LOG_DIR, exist_ok=True)
    with open(EXAMPLES_SCRIPT, 'w') as f:
        f.write(EXAMPLES)
    port = free_port()
    log = os.path.join(LOG_DIR, 'gdb-session.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel, append='/SPECIALPOOL=Spcl',
                   extra=['-gdb', f'tcp:127.0.0.1:{port}', '-S']) as boot:
        try:
            output, views = gdb_views(args.kernel, port, commands)
        except (OSError, subprocess.TimeoutExpired) as e:
            out.check('gdb runs against QEMU\'s gdb server', False, f'{GDB}: {e}')
            return out
        with open(os.path.join(LOG_DIR, 'gdb-session-gdb.log'), 'w') as f:
            f.write(output)
        if not out.check('gdb stops at a hardware breakpoint on KdRunPrompt',
                         re.search(r'Breakpoint 1, KdRunPrompt', output), output[-400:]):
            return out

        pte = views.get(commands[0], '')
        m = kdsession.PTE_LINE.search(pte)
        out.check('mm-pte of kernel text: a valid, read-only PTE',
                  m and m.group(4)[10] == 'V' and m.group(4)[8] == 'R', pte.strip())
        out.check('mm-pte of kernel text: the frame is the load address',
                  m and int(m.group(3), 16) == pfn, f'expected pfn {pfn:x}: {pte.strip()}')
        out.check('mm-pfn of that page says Active',
                  re.search(r'containing page\s+\w+\s+Active', views.get(commands[1], '')),
                  views.get(commands[1], '').strip())
        examples = re.findall(r'^example (\w+): (.*)$', views.get(commands[4], ''), re.M)
        out.check("mm-pte decodes the kernel's table of PTE formats as !pte does",
                  len(examples) >= 10 and all(r == 'same' for _, r in examples),
                  views.get(commands[4], '').strip() or 'no example decoded')

        # The kernel runs on to its prompt; its own views must be gdb's, line for line.
        kd = kdsession.Session(boot)
        if not out.check('the kernel reaches kd> after gdb detaches', kd.ready, f'see {log}'):
            return out
        vm = dict((k.strip(), int(v)) for k, v in kdsession.VM_LINE.findall(views.get('mm-vm', '')))
        ram = re.search(r'^mm: (\d+) pages of RAM', boot.text(), re.M)
        out.check('mm-vm: physical memory is what the boot found',
                  ram and vm.get('Physical Memory') == int(ram.group(1)), views.get('mm-vm', '').strip())
        pairs = [(commands[0], f'!pte {va:x}', 'mm-pte (kernel text)'),
                 (commands[1], f'!pfn {pfn:x}', 'mm-pfn (an active page)'),
                 ('mm-pfn 0', '!pfn 0', 'mm-pfn (not RAM)')]
        for gdb_command, kd_command, label in pairs:
            mine, theirs = views.get(gdb_command, '').strip('\n'), kd.command(kd_command).strip('\n')
            out.check(f'{label} shows what kd> shows', mine == theirs,
                      f'gdb:\n{mine}\nkd>:\n{theirs}')
        pools_and_sysptes(args, port, kd, out)
        user_range(args, port, kd, out)
        sections(args, port, kd, out)
        process_context(args, port, kd, boot, out)
        boot.send('quit\r')
        boot.wait_exit(10)
    return out




if __name__ == '__main__':
    sys.exit(checks.run_alone(run, __doc__))
