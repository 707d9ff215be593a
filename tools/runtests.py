#!/usr/bin/env python3
"""The mm386 test runner: boots every configuration and reports.

Each configuration is one QEMU boot of the kernel with `ktest` on its
command line; the kernel prints KTAP version 1 on COM1 and reports its
verdict through isa-debug-exit. Death tests (a bugcheck is the expected
result) are listed by the first configuration's run and then booted one by
one, with that configuration's switches plus any the test declares
(KTEST_DEATH_SWITCHES: `# death: NAME CODE SWITCHES...`). BOOT_FAILURES are
boots whose switches must stop the kernel during initialisation with a given
bugcheck (bad input such as /MAXMEM=4). Further host-side checks (the kd>
session, gdb, the layout diagrams) register in CHECKS. Every serial log is kept under build/test/.

The last line printed is always `N passed, N failed` (with `, N skipped`
when some were), and the exit status is non-zero on any failure, missing
result, timeout or triple fault. Adding a configuration is one line in
CONFIGS. Python standard library only.
"""
import argparse
import concurrent.futures
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
import gdbsession  # noqa: E402
import gdbconsole  # noqa: E402
import kddebug  # noqa: E402
import kdsession  # noqa: E402
import layoutsvg  # noqa: E402
import vadsvg  # noqa: E402

LOG_DIR = os.path.join('build', 'test')

# A boot module: the 2gb-128m configuration loads it with -initrd, the GRUB
# ISO's self-test entry with `module`; tests/kernel/boot.c checks it arrived.
BOOT_MODULE = os.path.join('tests', 'data', 'bootmod.txt')

# name, RAM, boot switches, boot through the GRUB ISO instead of -kernel
CONFIGS = [
    ('2gb-128m', '128M', '', False),
    ('3gb-128m', '128M', '/3GB', False),
    ('2gb-16m', '16M', '', False),
    ('3gb-3g', '3G', '/3GB', False),
    ('userva2560-64m', '64M', '/3GB /USERVA=2560', False),
    ('2gb-17m', '17M', '', False),
    ('2gb-maxmem48', '128M', '/MAXMEM=48', False),
    ('2gb-128m-specialpool', '128M', '/SPECIALPOOL=Spcl', False),
    ('grub-iso-2gb-128m', '128M', '', True),
    ('2gb-128m-nopge', '128M', '', False),
]

# Boots whose expected outcome is a bugcheck during initialisation:
# name, RAM, switches, bugcheck code, text the console must show.
BOOT_FAILURES = [
    ('maxmem-too-small', '128M', '/MAXMEM=4', 0x7D, r'mm386 needs at least \d+ pages[\s\S]*/MAXMEM=9 or more'),
    ('ram-8m', '8M', '', 0x7D, r'mm386 needs at least \d+ pages[\s\S]*give it at least 9 MB \(qemu -m 9\)'),
    ('cpu-486', '128M', '', 0x5D, r'lacks what mm386 relies on: TSC CX8 CMOV\n'),
    ('cpu-pentium', '128M', '', 0x5D, r'lacks what mm386 relies on: CMOV\n'),
]

# QEMU CPU models other than the default (qemu32), by CONFIGS or BOOT_FAILURES name.
CPU_MODELS = {
    '2gb-128m-nopge': 'qemu32,-pge,-sep',   # optional features off: the suite must still pass
    'cpu-486': '486',                       # no TSC, CX8, CMOV: UNSUPPORTED_PROCESSOR
    'cpu-pentium': 'pentium',               # no CMOV: UNSUPPORTED_PROCESSOR
}


def cpu_args(name):
    """QEMU's -cpu option for a configuration or boot failure, if it names a model."""
    return ['-cpu', CPU_MODELS[name]] if name in CPU_MODELS else []


DEATH_CONFIG = CONFIGS[0]
BOOT_TIMEOUT = 90

# Host-side checks: name -> function(args) returning a list of (test name, ok, details).
CHECKS = {}
CHECKS['kd-session'] = kdsession.run            # the kd> prompt driven over COM1
CHECKS['layout-diagrams'] = layoutsvg.check     # docs/layout-*.svg still match the boot table
CHECKS['gdb-session'] = gdbsession.run          # the gdb extension against QEMU's gdb server
CHECKS['kd-debugger'] = kddebug.run             # kd> stopping, stepping and editing the kernel; bugchecks at kd>
CHECKS['gdb-console'] = gdbconsole.run          # make run GDB=1 + make gdb beside the console; Ctrl-C in make debug
CHECKS['vad-diagram'] = vadsvg.check            # docs/vad-tree.svg still matches the kernel's !vad


class Result:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.problems = []      # lines explaining failures
        self.seconds = 0.0
        self.log = None

    def fail(self, message):
        self.failed += 1
        self.problems.append(message)

    @property
    def ok(self):
        return self.failed == 0


RESULT = re.compile(r'^(    )?(ok|not ok) (\d+) (\S+)(?:\s+#\s*(SKIP)\b.*)?$')
PLAN = re.compile(r'^(    )?1\.\.(\d+)$')
SUBTEST = re.compile(r'^    # Subtest: (\S+)$')
DIAG = re.compile(r'^    # (.*)$')
SUMMARY = re.compile(r'^# ktest: (\d+) passed, (\d+) failed, (\d+) skipped$')


def parse_ktap(text, result):
    """Counts subtest results and checks each plan was fulfilled."""
    suite = None
    planned = {}
    seen = {}
    diagnostics = []
    summary = None
    for line in text.splitlines():
        m = SUBTEST.match(line)
        if m:
            suite = m.group(1)
            seen[suite] = 0
            diagnostics = []
            continue
        m = PLAN.match(line)
        if m and m.group(1) and suite:
            planned[suite] = int(m.group(2))
            continue
        m = DIAG.match(line)
        if m:
            diagnostics.append(m.group(1))
            continue
        m = RESULT.match(line)
        if m and m.group(1) and suite:
            seen[suite] += 1
            name = f'{suite}.{m.group(4)}'
            if m.group(5):
                result.skipped += 1
            elif m.group(2) == 'ok':
                result.passed += 1
            else:
                result.fail(f'not ok {name}' + ''.join(f'\n      # {d}' for d in diagnostics))
            diagnostics = []
            continue
        m = SUMMARY.match(line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for s, n in planned.items():
        if seen.get(s, 0) < n:
            result.fail(f'suite {s}: planned {n} results, got {seen.get(s, 0)} (the run stopped in it)')
    return summary


def boot_config(args, config):
    name, memory, switches, use_iso = config
    result = Result(name)
    result.log = os.path.join(LOG_DIR, name + '.log')
    with qemu.Boot(result.log, memory=memory, kernel=args.kernel,
                   iso=args.iso if use_iso else None,
                   initrd=BOOT_MODULE if config == DEATH_CONFIG else None, extra=cpu_args(name),
                   append=('ktest ' + switches).strip()) as boot:
        if use_iso:
            # GRUB shows its menu on COM1; pick the self-test entry by its hotkey.
            if not boot.wait_for(r'executed automatically', 30):
                result.fail('the GRUB menu did not appear on COM1')
                return result
            boot.send('t')
        status = boot.wait_exit(args.timeout)
        result.seconds = boot.elapsed()
        text = boot.text()
    summary = parse_ktap(text, result)
    if status != qemu.EXIT_SUCCESS:
        result.fail(f'boot ended: {qemu.describe_exit(status)}')
        stop = re.search(r'\*\*\* STOP: .*\n\S+', text)
        if stop:
            result.problems.append('      ' + stop.group(0).replace('\n', ' '))
    elif summary is None:
        result.fail('no "# ktest: N passed, N failed, N skipped" line')
    elif summary != (result.passed, result.failed, result.skipped):
        result.fail(f'kernel counted {summary}, runner counted '
                    f'{(result.passed, result.failed, result.skipped)}')
    if result.passed + result.failed == 0:
        result.fail('no test ran')
    result.death_tests = re.findall(r'^# death: (\S+) 0x([0-9A-Fa-f]+)(?: (.+))?$', text, re.M)
    return result


def boot_death_test(args, name, code, test_switches):
    result = Result('death ' + name)
    result.log = os.path.join(LOG_DIR, 'death-' + name + '.log')
    _, memory, switches, _ = DEATH_CONFIG
    with qemu.Boot(result.log, memory=memory, kernel=args.kernel,
                   append=f'ktest.death={name} {switches} {test_switches}'.strip()) as boot:
        status = boot.wait_exit(args.timeout)
        result.seconds = boot.elapsed()
        text = boot.text()
    code = int(code, 16)
    problems = []
    if status != qemu.EXIT_SUCCESS:
        problems.append(qemu.describe_exit(status))
    if not re.search(rf'^\*\*\* STOP: 0x{code:08X} ', text, re.M):
        problems.append(f'no STOP 0x{code:08X} screen')
    if not re.search(r'^  #0\s+[0-9a-f]{8} \w[\w.]*\+0x[0-9a-f]+$', text, re.M):
        problems.append('the bugcheck backtrace is not symbolised')
    if not re.search(rf'^ok 1 {re.escape(name)}$', text, re.M):
        problems.append('the kernel did not report "ok"')
    if problems:
        result.fail(f'not ok {name}: ' + '; '.join(problems))
    else:
        result.passed = 1
    return result


def boot_expecting_failure(args, name, memory, switches, code, message):
    result = Result('boot ' + name)
    result.log = os.path.join(LOG_DIR, 'boot-' + name + '.log')
    with qemu.Boot(result.log, memory=memory, kernel=args.kernel, extra=cpu_args(name),
                   append=('ktest ' + switches).strip()) as boot:
        status = boot.wait_exit(args.timeout)
        result.seconds = boot.elapsed()
        text = boot.text()
    problems = []
    if status != qemu.EXIT_FAILURE:
        problems.append(qemu.describe_exit(status))
    if not re.search(rf'^\*\*\* STOP: 0x{code:08X} ', text, re.M):
        problems.append(f'no STOP 0x{code:08X} screen')
    if not re.search(message, text):
        problems.append(f'the console does not say /{message}/')
    if problems:
        result.fail(f'not ok {name} ({switches}): ' + '; '.join(problems))
    else:
        result.passed = 1
    return result


def run_check(args, name, function):
    result = Result(name)
    start = time.monotonic()
    try:
        outcomes = function(args)
    except Exception as e:  # a broken check is a failed check, with its reason
        outcomes = [(name, False, f'{type(e).__name__}: {e}')]
    result.seconds = time.monotonic() - start
    for test, ok, details in outcomes:
        if ok:
            result.passed += 1
        else:
            result.fail(f'not ok {test}: {details}')
    result.log = os.path.join(LOG_DIR, name + '.log')
    return result


def report(result):
    state = 'PASS' if result.ok else 'FAIL'
    line = f'  {state}  {result.name:<56} {result.passed:4d} passed, {result.failed} failed'
    if result.skipped:
        line += f', {result.skipped} skipped'
    line += f'  ({result.seconds:.1f} s)'
    if not result.ok and result.log:
        line += f'  log: {result.log}'
    print(line)
    if not result.ok:
        for p in result.problems:
            print('        ' + p)
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', default='build/mm386.elf')
    ap.add_argument('--iso', default='build/mm386.iso')
    ap.add_argument('--timeout', type=float, default=BOOT_TIMEOUT, help='seconds per boot')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--only', help='run only configurations whose name contains this')
    a = ap.parse_args()

    start = time.monotonic()
    configs = [c for c in CONFIGS if not a.only or a.only in c[0]]
    print(f'ktest: {len(configs)} configurations on {a.jobs} workers; logs in {LOG_DIR}/')
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        boots = {pool.submit(boot_config, a, c): c for c in configs}
        checks = [pool.submit(run_check, a, n, f) for n, f in CHECKS.items()] if not a.only else []
        if not a.only:
            checks += [pool.submit(boot_expecting_failure, a, *b) for b in BOOT_FAILURES]
        death = []
        for future in concurrent.futures.as_completed(boots):
            r = future.result()
            results.append(r)
            report(r)
            if boots[future] == DEATH_CONFIG or (a.only and not death):
                death = [pool.submit(boot_death_test, a, n, c, sw) for n, c, sw in r.death_tests]
        for future in concurrent.futures.as_completed(death + checks):
            r = future.result()
            results.append(r)
            report(r)

    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(f'ktest: {len(results)} boots and checks in {time.monotonic() - start:.1f} s')
    summary = f'{passed} passed, {failed} failed'
    if skipped:
        summary += f', {skipped} skipped'
    print(summary)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
