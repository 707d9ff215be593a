#!/usr/bin/env python3
"""The kernel debugger at the kd> prompt: stopping, stepping, editing,
reading, and a bugcheck that stops at the prompt instead of the machine.

Each expectation comes from outside the command under test: addresses from
the ELF's symbol table, structure offsets from gdb's reading of the same
DWARF (ptype/o), a physical page's bytes from `db` of the virtual address
!vtop translates, an allocation's address from the `pool alloc` that made it.

The sessions (one boot each, no `ktest`: interactive boots, the debugger on):
  breakpoints   bp ExAllocatePoolWithTag, then `pool alloc` stops the kernel
                there (eip is the function's address, the stop names the
                breakpoint, k names the prompt's command); r, t (one
                instruction: eip moves, esp by a push), p until it steps
                over a call (eip + 5, esp unchanged), g lets the allocation
                finish (its line, and !pool stars the block); bl counts the
                hit. A data breakpoint (ba w 4 on a pool block's header)
                catches the write of the free that parks the block, in
                ExFreePoolWithTag's path, and on KeTickCount64 stops in the
                clock interrupt; a breakpoint in MiZeroPhysicalPage stops in
                the zero page thread, not the prompt's, when freed user
                pages wake it; p over the wait in
                SerialWaitForInput lets other threads run and stops again
                when a key wakes the prompt's thread. Commands refused in the
                wrong state (g while running, pool while stopped).
  memory        eb of an unmapped page is refused with nothing written; eb
                and ed of a pool block are read back by db/dd; !db of a
                physical address is db of the virtual one; eb over a
                breakpoint's int3 is refused.
  prompt        history (ESC [ A repeats the last line), Tab completion,
                commands in any case, help CMD, x and ln against the ELF,
                dt's member offsets against gdb's ptype/o, ktest -l against
                the ELF's test entries (death tests named as such), and no
                death test announced by ktest at the prompt.
  bugcheck      pool alloc, pool free twice: the STOP screen, then kd>;
                !analyze -v names BAD_POOL_CALLER, the block, !pool stars
                it in a lookaside list; r and k work; g is refused; quit
                leaves QEMU.
  analyze       one boot per death test, run at the prompt with `ktest -d`
                so its bugcheck stops at kd>: BAD_POOL_HEADER (0x19, an
                overrun into the next header), PAGE_FAULT_IN_NONPAGED_AREA
                (0x50, a read of an unmapped address) and SYSTEM_PTE_MISUSE
                (0xDA, PTEs released twice). !analyze -v's decode is held
                against what the test says it used (its `expects parameter`
                lines: the header, the address, the VA and count), the
                layout table the kernel printed at boot (the region each
                address lies in, PTE_BASE for the PTEs' addresses), the
                x86 page-table layout, the test's pool tag from its source,
                and the ELF (the faulting instruction's function).

Registered in tools/runtests.py as the `kd-debugger` check; run alone with
`python3 tools/kddebug.py`.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import elf  # noqa: E402
import gdbsession  # noqa: E402
import kdsession  # noqa: E402
import qemu  # noqa: E402

LOG_DIR = os.path.join('build', 'test')
EIP = re.compile(r'^eip=([0-9a-f]{8}) esp=([0-9a-f]{8})', re.M)
CODE = re.compile(r'^([0-9a-f]{8}) ((?:[0-9a-f]{2} ){7}[0-9a-f]{2})  \(code bytes', re.M)
STOP = re.compile(r'\(stopped: (\w[\w ]*) in thread ([0-9a-f]{8}) at IRQL (\d+);')


def registers(text):
    m = EIP.search(text)
    return (int(m.group(1), 16), int(m.group(2), 16)) if m else (None, None)


def code_at(text):
    m = CODE.search(text)
    return bytes.fromhex(m.group(2).replace(' ', '')) if m else b''


def current_thread(kd):
    m = re.search(r'THREAD ([0-9a-f]{8})', kd.command('!thread'))
    return m.group(1) if m else None


def session_breakpoints(args, syms, out):
    log = os.path.join(LOG_DIR, 'kd-debugger-breakpoints.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel) as boot:
        kd = kdsession.Session(boot)
        if not out.check('kd> prompt (interactive boot)', kd.ready, f'see {log}'):
            return
        prompt_thread = current_thread(kd)
        said = kd.command('g')
        out.check('g at the running prompt is refused (nothing is stopped)',
                  'g: the kernel is running' in said and 'usage: g' in said, said.strip())
        target = syms['ExAllocatePoolWithTag']
        said = kd.command('bp ExAllocatePoolWithTag')
        out.check('bp FUNCTION sets breakpoint 0 at its address', f'Breakpoint 0 at {target:08x}' in said, said.strip())
        stop = kd.command('pool alloc Kdbg 40')
        eip, esp = registers(stop)
        out.check('pool alloc runs into it: the kernel stops, says which breakpoint, eip is the function',
                  'Breakpoint 0 hit' in stop and eip == target, stop.strip())
        m = STOP.search(stop)
        out.check('the stop names the thread (the prompt\'s) and its IRQL (PASSIVE)',
                  m and m.group(2) == prompt_thread and m.group(3) == '0', stop.strip())
        said = kd.command('pool alloc Kdbg 40')
        out.check('a command that acts on the kernel is refused while it is stopped',
                  'pool: the kernel is stopped' in said, said.strip())
        k = kd.command('k')
        out.check('k on the stopped kernel: ExAllocatePoolWithTag, then the prompt command that called it',
                  re.search(r'#0\s+[0-9a-f]{8} ExAllocatePoolWithTag\+0x0\n\s+#1\s+[0-9a-f]{8} (kdcmd_poolcmd|KdPool)', k),
                  k.strip())
        r = kd.command('r')
        out.check('r shows the stopped context (the same eip)', registers(r)[0] == target, r.strip())
        t = kd.command('t')
        eip2, esp2 = registers(t)
        out.check('t runs one instruction: push ebp (eip + 1, esp - 4)',
                  'stopped: step' in t and eip2 == target + 1 and esp2 == esp - 4, t.strip())
        stepped_over = False
        last = t
        for _ in range(60):
            before, before_esp = registers(last)
            call = code_at(last)[:1] == b'\xe8'
            last = kd.command('p')
            after, after_esp = registers(last)
            if call:
                stepped_over = after == before + 5 and after_esp == before_esp
                break
        out.check('p steps over a call: eip + 5, esp as before', stepped_over, last.strip())
        done = kd.command('g')
        m = re.search(r"ExAllocatePoolWithTag\(Nonpaged, 0x40, 'Kdbg'\) = ([0-9a-f]{8})", done)
        out.check('g: the allocation finishes', m, done.strip())
        block = int(m.group(1), 16) if m else 0
        page = kd.command(f'!pool {block:x}')
        out.check('and the block it made is in the pool, allocated', re.search(r'^\*[0-9a-f]{8} .*\(Allocated\) \*Kdbg$',
                                                                              page, re.M), page.strip())
        bl = kd.command('bl')
        out.check('bl lists the breakpoint with its hit', re.search(
            rf'^\s+0 e {target:08x} int3\s+hits 1\s+mm386!ExAllocatePoolWithTag\+0x0$', bl, re.M), bl.strip())
        kd.command('bc 0')

        # A data breakpoint on the block's header: freeing it into a lookaside list writes the header.
        header = block - 8
        said = kd.command(f'ba w 4 {header:x}')
        out.check('ba w 4 ADDRESS takes a debug register', 'write of 4 byte(s) at' in said and 'DR0' in said,
                  said.strip())
        stop = kd.command(f'pool free {block:x}')
        out.check('the free writes the header: the data breakpoint stops the kernel in the pool\'s code',
                  f'Breakpoint 0 hit: write of 4 byte(s) at {header:08x} (DR0)' in stop, stop.strip())
        k = kd.command('k')
        out.check('k at the data breakpoint leads back to ExFreePoolWithTag', 'ExFreePoolWithTag' in k or
                  'kdcmd_poolcmd' in k, k.strip())
        done = kd.command('g')
        out.check('g: the free finishes', f'ExFreePoolWithTag({block:08x}) done' in done, done.strip())
        kd.command('bc *')
        start = len(boot.text())
        boot.send(f'ba w 4 {syms["KeTickCount64"]:x}\r')
        stop = boot.wait_for(r'Breakpoint 0 hit[\s\S]*?\nkd> ', 10, since=start)
        stop = stop.group(0) if stop else boot.text()[start:]
        m = STOP.search(stop)
        out.check('ba w on KeTickCount64 stops in the clock interrupt (IRQL 28)',
                  'Breakpoint 0 hit' in stop and m and m.group(3) == '28', stop.strip()[-600:])
        kd.command('bc *')
        kd.command('g')

        # A breakpoint another thread runs into: the zero page thread zeroes the pages a free gives back
        # (16 user pages, touched, then released: more than the 8 free pages that wake it).
        stop = ''
        m = re.search(r'base ([0-9a-f]{8})', kd.command('vm alloc 0 10000 reserve+commit readwrite'))
        if m:
            base = int(m.group(1), 16)
            for page in range(16):
                kd.command(f'vm touch {base + page * 0x1000:x} write')
            start = len(boot.text())
            kd.command('bp MiZeroPhysicalPage')
            # The zero page thread may still be at work on pages freed earlier: then it stops at once.
            stop = boot.wait_for(r'Breakpoint 0 hit[\s\S]*?\nkd> ', 1, since=start)
            if not stop:
                boot.send(f'vm free {base:x} 0 release\r')
                stop = boot.wait_for(r'Breakpoint 0 hit[\s\S]*?\nkd> ', 20, since=start)
            stop = stop.group(0) if stop else boot.text()[start:]
        thread = STOP.search(stop)
        k = kd.command('k') if stop else ''
        out.check('a breakpoint hit in another thread stops there: the zero page thread, not the prompt\'s',
                  thread and thread.group(2) != prompt_thread and 'MmZeroPageThread' in k, f'{stop}\n{k}'[-800:])
        kd.command('bc *')
        kd.command('g')

        # p over the wait of the prompt's thread: the kernel runs on; a key wakes it and the step ends.
        start = len(boot.text())
        kd.command('bp SerialWaitForInput')
        stop = boot.wait_for(r'Breakpoint 0 hit[\s\S]*?\nkd> ', 10, since=start)
        if stop:
            kd.command('bc *')
            waited = False
            for _ in range(40):
                start = len(boot.text())
                boot.send('p\r')
                m = boot.wait_for(r'\nkd> ', 3, since=start)
                if not m:
                    waited = True       # the step over the wait is still going on: other threads run
                    break
            running = boot.wait_for(r'\(stopped: step', 2, since=len(boot.text()))
            boot.send('\r')
            woke = boot.wait_for(rf'\(stopped: step in thread {prompt_thread}', 10, since=len(boot.text()))
            out.check('p over a wait: the kernel runs other threads until a key wakes the prompt\'s thread, '
                      'then the step ends there', waited and not running and woke, f'see {log}')
            kd.command('g')
        else:
            out.check('bp SerialWaitForInput stops the prompt\'s thread as it waits for input', False, f'see {log}')
        boot.send('quit\r')
        boot.wait_exit(10)


def session_memory_and_prompt(args, syms, out):
    log = os.path.join(LOG_DIR, 'kd-debugger-prompt.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel) as boot:
        kd = kdsession.Session(boot)
        if not out.check('kd> prompt (interactive boot, second)', kd.ready, f'see {log}'):
            return
        guard = syms['__boot_stack_guard']
        said = kd.command(f'eb {guard:x} 11 22')
        out.check('eb of an unmapped page is refused, nothing written',
                  re.search(rf'^{guard:08x}\s+not mapped: .*nothing was written$', said, re.M), said.strip())
        block = kdsession.allocate(kd, 'Kdbe', 0x20)
        kd.command(f'eb {block:x} de ad be ef')
        kd.command(f'ed {block + 4:x} 12345678')
        dump = kd.command(f'db {block:x} 8')
        out.check('eb and ed write what db reads back', f'{block:08x}  de ad be ef 78 56 34 12' in dump, dump.strip())
        kd.command(f'pool free {block:x}')
        text = syms['KiSystemStartup']
        vtop = re.search(r'physical address ([0-9a-f]+)', kd.command(f'!vtop {text:x}'))
        virt = re.search(r'^[0-9a-f]{8}  ((?:[0-9a-f]{2}[ -]){15}[0-9a-f]{2})', kd.command(f'db {text:x} 10'), re.M)
        phys = re.search(r'^#[0-9a-f]{8}  ((?:[0-9a-f]{2}[ -]){15}[0-9a-f]{2})',
                         kd.command(f'!db {vtop.group(1) if vtop else 0} 10'), re.M)
        out.check('!db of the physical address reads what db reads at the virtual one',
                  virt and phys and virt.group(1) == phys.group(1), f'{virt} {phys}')
        kd.command('bp KiSystemStartup')
        said = kd.command(f'eb {text:x} 90')
        out.check('eb over a breakpoint\'s int3 is refused', 'breakpoint 0\'s int3 is in' in said, said.strip())
        kd.command('bc *')

        # The prompt: history, completion, case, help.
        first = kd.command(f'!vtop {text:x}')
        again = kd.command('\x1b[A')
        out.check('the up arrow recalls the last line, and Enter runs it', first and again == first,
                  f'{first!r} vs {again!r}')
        said = kd.command(f'!vto\t{text:x}')
        out.check('Tab completes a command name', 'translates to physical address' in said, said.strip())
        said = kd.command(f'!VTOP {text:x}')
        out.check('commands are case-insensitive', 'translates to physical address' in said, said.strip())
        said = kd.command('help bp')
        out.check('help CMD shows its usage and what it does', said.startswith('usage: bp ADDRESS\n  set a code '
                                                                              'breakpoint'), said.strip())
        said = kd.command('help nosuch')
        out.check('help of no command says so', "help: 'nosuch' is not a command" in said, said.strip())
        said = kd.command('x KiSystemSt*')
        out.check('x PATTERN lists the functions with their ELF addresses',
                  f'{text:08x}          mm386!KiSystemStartup' in said, said.strip())
        said = kd.command('ln KiSystemStartup+3')
        out.check('ln ADDRESS names the function holding it, with the offset',
                  said.startswith(f'({text:08x})   mm386!KiSystemStartup+0x3   |  ('), said.strip())
        listed = kd.command('ktest -l kd.*')
        expected = sorted(n[len('ktest_entry_kd_'):] for n in syms if n.startswith('ktest_entry_kd_'))
        out.check('ktest -l GLOB lists the matching tests (the ELF\'s ktest_entry_kd_* symbols)',
                  expected and sorted(re.findall(r'^  kd\.(\w+)$', listed, re.M)) == expected, listed.strip())
        listed = kd.command('ktest -l pool_verify.double_free*')
        out.check('ktest -l names a death test as one, with its code',
                  re.search(r'^  pool_verify\.double_free_from_lookaside  \(death test: bugcheck 0xC2 BAD_POOL_CALLER',
                            listed, re.M), listed.strip())
        said = kd.command('ktest -l nosuch*')
        out.check('ktest -l of a pattern matching nothing says so', "no test matches 'nosuch*'" in said, said.strip())
        said = kd.command('ktest format.*')
        out.check('ktest at the prompt does not announce death tests', '# death:' not in said and
                  '0 test(s) failed' in said, said.strip()[-300:])
        pool_commands(kd, out)
        gdb_offsets = ptype_offsets(args.kernel, ['MMPFN', 'POOL_HEADER', 'KTHREAD', 'EPROCESS', 'MDL', 'MI_REGION',
                                                  'OBJECT_HEADER', 'KPCR'])
        for name, members in gdb_offsets.items():
            dt = kd.command(f'dt {name}')
            mine = [(int(o, 16), n) for o, n in re.findall(r'^   \+0x([0-9a-f]+) (\S+)', dt, re.M)]
            named = [m for m in mine if not m[1].startswith('<')]
            out.check(f'dt {name}: every member at the offset gdb reads from the DWARF', members and named == members,
                      f'dt: {named}\ngdb: {members}')
        boot.send('quit\r')
        boot.wait_exit(10)


def pool_commands(kd, out):
    """!poolused's orders and pattern, !poolfind, !lookaside, !pte2va against what the prompt just made."""
    made = [int(m, 16) for m in re.findall(r"= ([0-9a-f]{8})$", ''.join(
        kd.command(c) + '\n' for c in ('pool alloc Fnd1 20', 'pool alloc Fnd1 20', 'pool alloc Fnd2 300 paged')), re.M)]
    said = kd.command('!poolused 4 Fnd?')
    rows = re.findall(r'^ (Fnd\d) ', said, re.M)
    out.check('!poolused 4 Fnd?: only the pattern\'s tags, the paged user first', rows == ['Fnd2', 'Fnd1'],
              said.strip())
    said = kd.command('!poolused 0 Fnd*')
    out.check('!poolused by tag (the default order)', re.findall(r'^ (Fnd\d) ', said, re.M) == ['Fnd1', 'Fnd2'],
              said.strip())
    said = kd.command('!poolused 6')
    out.check('!poolused 6 (two orders) is refused', 'two different orders' in said, said.strip())
    said = kd.command('!poolfind Fnd1')
    found = [int(a, 16) + 8 for a in re.findall(r'^([0-9a-f]{8}) size: .*\(Allocated\)  Fnd1$', said, re.M)]
    out.check('!poolfind TAG finds both blocks of the tag, and only those', len(made) == 3 and
              sorted(found) == sorted(made[:2]), said.strip())
    said = kd.command('!poolfind Fnd2 1')
    out.check('!poolfind TAG 1 searches paged pool', re.search(rf'^{made[2] - 8:08x} size: ', said, re.M)
              if len(made) == 3 else False, said.strip())
    for v in made:
        kd.command(f'pool free {v:x}')
    kd.command('pool alloc Lkas 30')
    block = re.search(r"= ([0-9a-f]{8})$", kd.command('pool alloc Lkas 30'), re.M)
    kd.command(f'pool free {block.group(1)}' if block else 'pool free 0')
    before = re.search(r'^(\w{8}) +NonPaged +- +56 +(\d+) +\d+ +(\d+) +(\d+)', kd.command('!lookaside'), re.M)
    kd.command('pool alloc Lkas 30')
    after = re.search(r'^(\w{8}) +NonPaged +- +56 +(\d+) +\d+ +(\d+) +(\d+)', kd.command('!lookaside'), re.M)
    out.check('!lookaside: a freed small block waits on its list, and the next allocation is a hit',
              before and after and int(before.group(2)) >= 1 and int(after.group(2)) == int(before.group(2)) - 1 and
              int(after.group(3)) == int(before.group(3)) + 1 and after.group(4) == before.group(4),
              f'{before and before.group(0)} / {after and after.group(0)}')
    said = kd.command('!lookaside 1000')
    out.check('!lookaside of an address that is no list is refused', 'is no lookaside list' in said, said.strip())
    pte = re.search(r'PTE at ([0-9A-F]{8})', kd.command('!pte KiSystemStartup'))
    said = kd.command(f'!pte2va {pte.group(1)}' if pte else '!pte2va 0')
    out.check('!pte2va of the PTE !pte names gives back its page', pte and said.split()[0] ==
              f'{kd_symbol(kd, "KiSystemStartup") & ~0xFFF:08x}', said.strip())
    said = kd.command('!pte2va c0000002')
    out.check('!pte2va between two PTEs is refused', 'is not a PTE\'s address' in said, said.strip())


def kd_symbol(kd, name):
    """The address x prints for a function."""
    m = re.search(rf'^([0-9a-f]{{8}}) +mm386!{name}$', kd.command(f'x {name}'), re.M)
    return int(m.group(1), 16) if m else -1


def ptype_offsets(kernel, types):
    """{type: [(offset, member)]}: each type's named top-level members and their byte offsets, as gdb's
    ptype/o prints them from the DWARF (a nested structure's offset is on its opening line, its name on
    its closing one)."""
    argv = [gdbsession.GDB, '-nx', '-batch', '-q', kernel]
    for t in types:
        argv += ['-ex', f'echo @@{t}\\n', '-ex', f'ptype/o struct _{t}']
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    result = {}
    for part in r.stdout.split('@@')[1:]:
        name, _, body = part.partition('\n')
        members, opened, depth = [], [], 0
        for line in body.splitlines():
            m = re.match(r'^/\*\s*(\d+)(?::\s*\d+)?\s*\|\s*\d+\s*\*/\s*(.*)$', line)
            offset = int(m.group(1)) if m else None
            text = m.group(2) if m else re.sub(r'^/\*.*?\*/', '', line).strip()
            if depth == 1 and text.endswith('{'):
                opened.append(offset)
            elif depth == 1 and text.endswith(';') and offset is not None:
                member = re.search(r'(\w+)(\[\d+\])*(\s*:\s*\d+)?;$', text)
                if member:
                    members.append((offset, member.group(1)))
            elif depth == 2 and text.startswith('}'):
                closing = re.match(r'\}\s*(\w+)?', text)
                start = opened.pop() if opened else None
                if closing and closing.group(1) and start is not None:
                    members.append((start, closing.group(1)))
            depth += text.count('{') - text.count('}')
        result[name] = members
    return result


def session_bugcheck(args, out):
    log = os.path.join(LOG_DIR, 'kd-debugger-bugcheck.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel) as boot:
        kd = kdsession.Session(boot)
        if not out.check('kd> prompt (interactive boot, third)', kd.ready, f'see {log}'):
            return
        block = kdsession.allocate(kd, 'Kdbc', 0x40)
        kd.command(f'pool free {block:x}')
        stop = kd.command(f'pool free {block:x}')
        out.check('a second free stops with BAD_POOL_CALLER, and the debugger keeps the machine at kd>',
                  re.search(r'\*\*\* STOP: 0x000000C2 \(0x00000007,', stop) and 'The kernel debugger has the machine'
                  in stop, stop.strip()[-800:])
        analysis = kd.command('!analyze -v')
        out.check('!analyze -v names the code and what it means', 'BAD_POOL_CALLER (c2)' in analysis and
                  'freed already' in analysis, analysis[:800])
        out.check('!analyze -v names the pool block, and !pool stars it in a lookaside list',
                  f'POOL BLOCK: {block:08x}' in analysis and
                  re.search(rf'^\*{block - 8:08x} size: +48 previous size: +[0-9a-f]+  \(Lookaside\) \*Kdbc$',
                            analysis, re.M), analysis.strip()[-1500:])
        out.check('!analyze -v ends with the context and the stack (the prompt command that freed it)',
                  'CONTEXT (the caller of KeBugCheckEx)' in analysis and 'kdcmd_poolcmd' in analysis,
                  analysis.strip()[-800:])
        said = kd.command('g')
        out.check('g after a bugcheck is refused', 'cannot go on' in said, said.strip())
        boot.send('quit\r')
        status = boot.wait_exit(10)
        out.check('quit leaves QEMU from the bugcheck prompt', status is not None, qemu.describe_exit(status))


EXPECTS = re.compile(r'^# ktest: expects parameter (\d) 0x([0-9A-F]{8})$', re.M)
LAYOUT_LINE = re.compile(r'^  ([0-9a-f]{8})  ([0-9a-f]{8})\s+[\d.]+ [KMG]?B  (\w+)\s+(\S.*)$', re.M)
POOL_HEADER_SIZE = 8        # NT's x86 POOL_HEADER: two ULONGs


def layout_region(text, address):
    """(start, end, variable, what lives there) of the boot layout table's row holding address, or None."""
    head = text.find('Virtual address space:')
    end = text.find('  MmSystemRangeStart=', head)
    for m in LAYOUT_LINE.finditer(text[head:end]):
        if int(m.group(1), 16) <= address <= int(m.group(2), 16):
            return int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4).strip()
    return None


def pte_of(text, va):
    """The address of va's PTE and PDE under the x86 self-map at the layout table's PTE_BASE."""
    base = next((int(m.group(1), 16) for m in LAYOUT_LINE.finditer(text) if m.group(3) == 'PTE_BASE'), 0xC0000000)
    return base + (va >> 12) * 4, base + (base >> 10) + (va >> 22) * 4


def test_tag(source, name='TAG_TEST'):
    """A test file's pool tag as the ULONG MAKE_TAG makes of it (first character in the low byte)."""
    with open(source) as f:
        m = re.search(rf"#define {name}\s+MAKE_TAG\('(.)', '(.)', '(.)', '(.)'\)", f.read())
    return int.from_bytes(''.join(m.groups()).encode(), 'little') if m else None


def death_at_prompt(args, name, log_name, out):
    """Boots interactively, runs death test name with `ktest -d`: (boot, kd, expected parameters, stop text, analysis)."""
    log = os.path.join(LOG_DIR, log_name)
    boot = qemu.Boot(log, memory='128M', kernel=args.kernel)
    kd = kdsession.Session(boot)
    if not out.check(f'kd> prompt (interactive boot for {name})', kd.ready, f'see {log}'):
        return boot, None, {}, '', ''
    stop = kd.command(f'ktest -d {name}', timeout=30)
    expects = {int(m.group(1)): int(m.group(2), 16) for m in EXPECTS.finditer(stop)}
    analysis = kd.command('!analyze -v', timeout=30)
    return boot, kd, expects, stop, analysis


def stop_line(code, expects):
    """The STOP line's pattern with the parameters the test pinned (others: any value)."""
    params = ','.join(f'0x{expects[i]:08X}' if i in expects else '0x[0-9A-F]{8}' for i in range(1, 5))
    return re.escape(f'*** STOP: 0x{code:08X} (') + params + r'\)'


def quit_session(boot, kd, out, what):
    boot.send('quit\r')
    status = boot.wait_exit(10)
    out.check(f'quit leaves QEMU ({what})', status is not None, qemu.describe_exit(status))
    boot.__exit__(None, None, None)


def session_analyze_pool_header(args, out):
    name = 'pool_verify.overrun_is_bad_pool_header'
    boot, kd, expects, stop, analysis = death_at_prompt(args, name, 'kd-debugger-analyze-19.log', out)
    if kd is None:
        return boot.__exit__(None, None, None)
    header, other = expects.get(2), expects.get(4)
    out.check(f'ktest -d {name}: the test names the header it overran into and its own, and stops at kd> '
              'with them as BAD_POOL_HEADER 5', header is not None and other is not None and
              re.search(stop_line(0x19, expects), stop) and 'The kernel debugger has the machine' in stop,
              stop.strip()[-900:])
    if header is None or other is None:
        return quit_session(boot, kd, out, '0x19')
    block = header + POOL_HEADER_SIZE
    out.check('!analyze -v: BAD_POOL_HEADER, the sizes disagreeing, the two headers as Arg2 and Arg4',
              'BAD_POOL_HEADER (19)' in analysis and 'Here: a block and the next disagree on their sizes.' in analysis
              and f"Arg2: {header:08x}, the block's header" in analysis and
              f"Arg4: {other:08x}, the other block's header" in analysis, analysis[:1200])
    out.check('!analyze -v looks at the block the test freed: its body 8 bytes past its header',
              f'POOL BLOCK: {block:08x} (its POOL_HEADER at {header:08x})' in analysis, analysis[-2000:])
    region = layout_region(boot.text(), block)
    out.check('the block lies in nonpaged pool by the boot layout table, and !pool says nonpaged pool too',
              region is not None and 'nonpaged pool' in region[3] and
              f'{block:08x} is in Nonpaged pool' in analysis, f'{region}\n{analysis[-2000:]}')
    tag = test_tag(os.path.join('tests', 'mm', 'pool_verify.c'))
    out.check("dt POOL_HEADER reads the test's header: its tag is the test's TAG_TEST",
              tag is not None and f'dt POOL_HEADER {header:x}' in analysis and
              re.search(rf'PoolTag\s+: 0x{tag:08x}\b', analysis), analysis[-2000:])
    quit_session(boot, kd, out, '0x19')


def session_analyze_page_fault(args, syms, out):
    name = 'traps.read_unmapped_system_address'
    boot, kd, expects, stop, analysis = death_at_prompt(args, name, 'kd-debugger-analyze-50.log', out)
    if kd is None:
        return boot.__exit__(None, None, None)
    va = expects.get(1)
    out.check(f'ktest -d {name}: the test names the address it reads, and stops at kd> with it as '
              'PAGE_FAULT_IN_NONPAGED_AREA', va is not None and re.search(stop_line(0x50, expects), stop) and
              'The kernel debugger has the machine' in stop, stop.strip()[-900:])
    if va is None:
        return quit_session(boot, kd, out, '0x50')
    m = re.search(r'^Arg3: ([0-9a-f]{8}), the instruction that did it$', analysis, re.M)
    start = syms.get('ktest_traps_read_unmapped_system_address', 0)
    out.check('!analyze -v: the address as Arg1, a read, and Arg3 an instruction of the test\'s function (the ELF)',
              'PAGE_FAULT_IN_NONPAGED_AREA (50)' in analysis and f'Arg1: {va:08x}, the address referenced' in analysis
              and 'Arg2: 00000000, 0 read' in analysis and m and start <= int(m.group(1), 16) < start + 0x100,
              analysis[:1200])
    region = layout_region(boot.text(), va)
    out.check("!analyze -v's !address names the region the boot layout table puts the address in",
              region is not None and f'ADDRESS: {va:08x}' in analysis and
              f'{va:08x} lies in {region[2]}: {region[3]}' in analysis and
              re.search(rf'^  {region[0]:08x}  {region[1]:08x} .* {region[2]} ', analysis, re.M),
              f'{region}\n{analysis[-2500:]}')
    pte, pde = pte_of(boot.text(), va)
    out.check("its !pte shows the address's PDE and PTE where the x86 self-map puts them, the PTE not valid "
              '(the read faulted)', f'PDE at {pde:08X}' in analysis and f'PTE at {pte:08X}' in analysis and
              re.search(r'^pfn \w+\s+[-A-Z]{11}\s+not valid$', analysis, re.M), analysis[-2500:])
    quit_session(boot, kd, out, '0x50')


def session_analyze_system_ptes(args, out):
    name = 'syspte.double_release'
    boot, kd, expects, stop, analysis = death_at_prompt(args, name, 'kd-debugger-analyze-da.log', out)
    if kd is None:
        return boot.__exit__(None, None, None)
    va, count = expects.get(2), expects.get(4)
    out.check(f'ktest -d {name}: the test names the VA it released twice and its count, and stops at kd> with '
              'them as SYSTEM_PTE_MISUSE 0x306', va is not None and count == 4 and
              re.search(stop_line(0xDA, expects), stop) and 'The kernel debugger has the machine' in stop,
              stop.strip()[-900:])
    if va is None or count is None:
        return quit_session(boot, kd, out, '0xDA')
    last = va + (count - 1) * 0x1000
    first_pte, _ = pte_of(boot.text(), va)
    last_pte, _ = pte_of(boot.text(), last)
    out.check('!analyze -v: SYSTEM_PTE_MISUSE, released twice, the VA and the count as the test used them',
              'SYSTEM_PTE_MISUSE (da)' in analysis and 'Here: releasing PTEs that are not reserved (freed twice).'
              in analysis and f'Arg2: {va:08x}, the VA' in analysis and f'Arg4: {count:08x}, the count' in analysis,
              analysis[:1200])
    out.check("!analyze -v's range: the test's VA for its count of pages, and their PTEs under the self-map",
              f'SYSTEM PTE RANGE: {va:08x}..{va + count * 0x1000 - 1:08x} ({count} pages, '
              f'PTEs {first_pte:08x}..{last_pte:08x})' in analysis, analysis[-3000:])
    region = layout_region(boot.text(), va)
    out.check('the range lies in system PTEs by the boot layout table, and !address says so',
              region is not None and 'system PTEs' in region[3] and
              f'{va:08x} lies in {region[2]}: {region[3]}' in analysis, f'{region}\n{analysis[-3000:]}')
    out.check('!pte of its first and last page: the PTEs at those addresses, zero since the release',
              f'> !pte {va:x}' in analysis and f'> !pte {last:x}' in analysis and
              f'PTE at {first_pte:08X}' in analysis and f'PTE at {last_pte:08X}' in analysis and
              len(re.findall(r'^contains [0-9A-F]{8}\s+contains 00000000$', analysis, re.M)) >= 2, analysis[-3000:])
    quit_session(boot, kd, out, '0xDA')


def run(args):
    syms = elf.symbols(args.kernel)
    out = checks.Outcomes()
    os.makedirs(LOG_DIR, exist_ok=True)
    session_breakpoints(args, syms, out)
    session_memory_and_prompt(args, syms, out)
    session_bugcheck(args, out)
    session_analyze_pool_header(args, out)
    session_analyze_page_fault(args, syms, out)
    session_analyze_system_ptes(args, out)
    return out


if __name__ == '__main__':
    sys.exit(checks.run_alone(run, __doc__))
