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
file the script wrote. Three boots: the 2 GB split (with a boot module) for
the bulk, /3GB for !address and `bugcheck`, and one for `reboot`.

Registered in tools/runtests.py as the `kd-session` check; run alone with
`python3 tools/kdsession.py` to see the outcomes and the session log.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import elf  # noqa: E402
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


class Outcomes(list):
    def check(self, name, ok, details=''):
        self.append((name, bool(ok), details))
        return ok


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
        out.check('k walks back to KiSystemStartup',
                  re.search(r'KdRunPrompt\+0x', k) and re.search(r'KiSystemStartup\+0x', k), k.strip())
        unknown = kd.command('frob 1')
        out.check('an unknown command says so and points to help',
                  'frob: unknown command' in unknown and '`help`' in unknown, unknown.strip())
        tests = kd.command('ktest format.*', timeout=30)
        out.check('ktest GLOB runs the matching tests from the prompt',
                  re.search(r'^    ok 1 ', tests, re.M) and re.search(r'^0 test\(s\) failed$', tests, re.M),
                  tests.strip()[-300:])

        boot.send('quit\r')
        status = boot.wait_exit(10)
        out.check('quit leaves QEMU with the success status', status == qemu.EXIT_SUCCESS,
                  qemu.describe_exit(status))


def session_3gb(args, out):
    log = os.path.join(LOG_DIR, 'kd-session-3gb.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel, append='/3GB') as boot:
        kd = Session(boot)
        if not out.check('kd> prompt after a /3GB boot', kd.ready, f'no prompt; see {log}'):
            return
        address = kd.command('!address')
        out.check('!address: MmSystemRangeStart c0000000 under /3GB',
                  'MmSystemRangeStart c0000000' in address and '3072 MB user / 1024 MB system' in address,
                  address.strip()[:200])
        boot.send('bugcheck e2 1 2 3 4\r')
        stop = boot.wait_for(r'\*\*\* STOP: 0x000000E2 \(0x00000001,0x00000002,0x00000003,0x00000004\)\n'
                             r'MANUALLY_INITIATED_CRASH', 10)
        out.check('bugcheck CODE shows the STOP screen', stop, f'see {log}')


def session_reboot(args, out):
    log = os.path.join(LOG_DIR, 'kd-session-reboot.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel) as boot:
        kd = Session(boot)
        if not out.check('kd> prompt before reboot', kd.ready, f'no prompt; see {log}'):
            return
        boot.send('reboot\r')
        # -no-reboot turns the reset into QEMU's exit with status 0.
        status = boot.wait_exit(10)
        out.check('reboot resets the machine', status == 0 and 'Rebooting' in boot.text(),
                  qemu.describe_exit(status))


def run(args):
    """The runner's entry point: returns [(test name, ok, details)]."""
    syms = elf.symbols(args.kernel)     # KERNEL_VA_OFFSET is one: linker.ld defines it
    out = Outcomes()
    session_2gb(args, syms, out)
    session_3gb(args, out)
    session_reboot(args, out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', default='build/mm386.elf')
    a = ap.parse_args()
    failed = 0
    for name, ok, details in run(a):
        print(f'{"ok" if ok else "not ok"} {name}' + ('' if ok else f'\n    {details}'))
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
