#!/usr/bin/env python3
"""The mm386 test runner: boots every configuration and reports.

Each configuration is one boot of the kernel with `ktest` on its command
line; the kernel prints KTAP version 1 on COM1 — first the name of every
test it is about to run (`# plan: suite.name`), then the results — and
ends with its verdict (`# ktest: verdict pass|fail`, and through QEMU's
isa-debug-exit). A test that was planned and never reported, because the
boot died before or during it, counts as failed, named on a line of its
own; a boot that died before printing its plan is charged the plan any
other boot of the same run printed; a test that reports more than once
has failed. A boot's own ending is counted only when no test failure
already accounts for it, so one crash is one failure per test it took
down, not one more.

Death tests (a bugcheck is the expected result) are listed by the first
configuration boot (`# death: NAME CODE SWITCHES...`) and then booted one
by one with DEATH_CONFIG's RAM and switches plus the test's own
(KTEST_DEATH_SWITCHES). BOOT_FAILURES are boots whose switches must stop
the kernel during initialisation with a given bugcheck. Host-side checks
(the kd> session, gdb, the layout diagrams, the suite run three times from
the prompt, this runner's own accounting) register in CHECKS. Every serial
log is kept under build/test/.

Selecting: `--only NAME` runs exactly the configuration, check or boot
failure of that name (`--list` prints them), no death tests; `--suite GLOB`
boots every selected configuration with `ktest=GLOB` and runs the death
tests GLOB matches, and no host check. A GLOB that matches no test at all
is a failure (the kernel says so and the runner counts it). `--sweep N
--seed S` adds N configurations drawn at random — RAM from 9 MB to 3.5 GB,
the 2 GB split, /3GB or /3GB /USERVA=N, /USERVA values out of range or
without /3GB, /MAXMEM below and beyond RAM (decimal or hex), and now and
then a malformed or unknown switch — each running the whole suite; the
seed is printed, and the same seed draws the same configurations.

`--emulator bochs` runs the same matrix under Bochs (tools/bochs.py):
every boot goes through GRUB, nothing is typed to COM1, so the host checks
(which drive the kd> prompt or gdb through QEMU) and the GRUB-menu
configuration are QEMU's alone; a configuration whose CPU model Bochs
cannot emulate is skipped with its reason. Skipped entries are listed.

The last line printed is always `N passed, N failed` (with `, N skipped`
when some were), and the exit status is non-zero on any failure, missing
result, timeout or triple fault. Adding a configuration is one line in
CONFIGS. Python standard library only.
"""
import argparse
import collections
import concurrent.futures
import math
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bochs  # noqa: E402
import qemu  # noqa: E402
import gdbsession  # noqa: E402
import docs  # noqa: E402
import gdbconsole  # noqa: E402
import kddebug  # noqa: E402
import labs  # noqa: E402
import kdsession  # noqa: E402
import ktestrepeat  # noqa: E402
import layoutsvg  # noqa: E402
import vadsvg  # noqa: E402
import bootmodules  # noqa: E402
import runnercheck  # noqa: E402

LOG_DIR = os.path.join('build', 'test')

# The boot modules (tools/bootmodules.py): every boot loads them, with -initrd or
# the GRUB ISO's `module` lines: bootmod.txt, which tests/kernel/boot.c checks,
# and the programs, which the user-mode tests start.
BOOT_MODULES = bootmodules.initrd()

# iso: boot through the project's GRUB ISO (its menu) instead of -kernel.
# cpu: a QEMU -cpu model, or None for QEMU's default (which has every
# feature the kernel uses, PGE included).
Config = collections.namedtuple('Config', 'name memory switches iso cpu', defaults=(False, None))

CONFIGS = [
    Config('2gb-128m', '128M', ''),
    Config('3gb-128m', '128M', '/3GB'),
    Config('2gb-16m', '16M', ''),
    Config('3gb-3g', '3G', '/3GB'),
    Config('userva2560-64m', '64M', '/3GB /USERVA=2560'),
    Config('2gb-17m', '17M', ''),
    Config('2gb-maxmem48', '128M', '/MAXMEM=48'),
    Config('2gb-128m-specialpool', '128M', '/SPECIALPOOL=Spcl'),
    Config('grub-iso-2gb-128m', '128M', '', iso=True),
    Config('2gb-128m-nopge', '128M', '', cpu='qemu32,-pge,-sep'),   # optional features off: must still pass
]

# Boots whose expected outcome is a bugcheck during initialisation: RAM,
# switches, bugcheck code, text the console must show, and a QEMU -cpu model.
BootFailure = collections.namedtuple('BootFailure', 'name memory switches code message cpu', defaults=(None,))
BOOT_FAILURES = [
    BootFailure('maxmem-too-small', '128M', '/MAXMEM=4', 0x7D, r'mm386 needs at least \d+ pages[\s\S]*/MAXMEM=9 or more'),
    BootFailure('ram-8m', '8M', '', 0x7D, r'mm386 needs at least \d+ pages[\s\S]*give it at least 9 MB \(qemu -m 9\)'),
    BootFailure('cpu-486', '128M', '', 0x5D, r'lacks what mm386 relies on: TSC CX8 CMOV\n', cpu='486'),
    BootFailure('cpu-pentium', '128M', '', 0x5D, r'lacks what mm386 relies on: CMOV\n', cpu='pentium'),
]
DEATH_CONFIG = CONFIGS[0]
TIMEOUTS = {'qemu': 90, 'bochs': 300}    # seconds per boot (Bochs's slowest takes under a minute)

# Host-side checks: name -> function(args) returning a list of (test name, ok, details).
CHECKS = {}
CHECKS['kd-session'] = kdsession.run            # the kd> prompt driven over COM1
CHECKS['layout-diagrams'] = layoutsvg.check     # docs/layout-*.svg still match the boot table
CHECKS['gdb-session'] = gdbsession.run          # the gdb extension against QEMU's gdb server
CHECKS['kd-debugger'] = kddebug.run             # kd> stopping, stepping and editing the kernel; bugchecks at kd>
CHECKS['gdb-console'] = gdbconsole.run          # make run GDB=1 + make gdb beside the console; Ctrl-C in make debug
CHECKS['docs-transcripts'] = docs.check          # every kd>/gdb transcript in the docs is what a fresh boot prints
CHECKS['labs'] = labs.check                      # each lab: the reference scores full marks, the skeleton builds and scores 0
CHECKS['vad-diagram'] = vadsvg.check            # docs/vad-tree.svg still matches the kernel's !vad
CHECKS['ktest-repeated'] = ktestrepeat.run      # the suite three times in a row from the prompt
CHECKS['runner-accounting'] = runnercheck.run   # this runner's own counting, fed synthetic logs (no boot)

# Bochs's CPU line for a QEMU -cpu model; a configuration or boot failure
# whose model is missing here is skipped under Bochs. Bochs 2.7 cannot turn
# PGE off alone: its only CPUs without PGE (cpuid level 5, `pentium`) lack
# CMOV too, which the kernel is compiled to use; it has no 486.
BOCHS_CPU = {None: None, 'pentium': 'cpu: model=pentium'}

EMULATORS = {'qemu': qemu, 'bochs': bochs}


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
PLANNED = re.compile(r'^# plan: (\S+)$')
SUBTEST = re.compile(r'^    # Subtest: (\S+)$')
DIAG = re.compile(r'^    # (.*)$')
SUMMARY = re.compile(r'^# ktest: (\d+) passed, (\d+) failed, (\d+) skipped$')
NOTE = re.compile(r'^# ktest: (no test matches .*|.* selects only death tests.*|bugcheck .* during boot.*'
                  r'|the run ended with bugcheck .*)$', re.M)
DEATH = re.compile(r'^# death: (\S+) 0x([0-9A-Fa-f]+)(?: (.+))?$', re.M)


class BootRun:
    """What one configuration boot printed, parsed: the plan, the results, the ending."""

    def __init__(self, text, status):
        self.text = text
        self.status = status
        self.plan = []          # suite.name of every test the kernel said it would run
        self.suites = None      # the top-level KTAP plan (1..N): printed once the plan is complete
        self.seen = set()       # suite.name of every test that reported a result
        self.summary = None
        self.results = []       # (suite.name, 'ok' | 'not ok' | 'skip', diagnostics)
        suite, diagnostics = None, []
        for line in text.splitlines():
            m = PLANNED.match(line)
            if m:
                self.plan.append(m.group(1))
                continue
            m = PLAN.match(line)
            if m and not m.group(1) and self.suites is None:
                self.suites = int(m.group(2))
                continue
            m = SUBTEST.match(line)
            if m:
                suite, diagnostics = m.group(1), []
                continue
            m = DIAG.match(line)
            if m:
                diagnostics.append(m.group(1))
                continue
            m = RESULT.match(line)
            if m and m.group(1) and suite:
                name = f'{suite}.{m.group(4)}'
                self.seen.add(name)
                self.results.append((name, 'skip' if m.group(5) else m.group(2), diagnostics))
                diagnostics = []
                continue
            m = SUMMARY.match(line)
            if m:
                self.summary = tuple(int(g) for g in m.groups())
        self.notes = NOTE.findall(text)
        self.death_tests = DEATH.findall(text)
        self.only_deaths = any('selects only death tests' in n for n in self.notes)


def judge(result, run, plan):
    """Counts run's results into result, charging every planned test that never reported as failed."""
    for name, outcome, diagnostics in run.results:
        if outcome == 'skip':
            result.skipped += 1
        elif outcome == 'ok':
            result.passed += 1
        else:
            result.fail(f'not ok {name}' + ''.join(f'\n      # {d}' for d in diagnostics))
    never = [name for name in plan if name not in run.seen]
    ending = qemu.describe_exit(run.status)
    crash = next((n for n in run.notes if 'bugcheck' in n), None)
    for name in never:
        result.fail(f'not ok {name}: never reported ({crash or "the boot ended: " + ending})')
    counted = (result.passed, result.failed - len(never), result.skipped)
    # The plan runs each test once: one reported more often is a failure, named, whatever the kernel counted.
    for name, times in collections.Counter(name for name, _, _ in run.results).items():
        if times > 1:
            result.fail(f'not ok {name}: reported {times} times')
    if run.status == qemu.EXIT_SUCCESS:
        if run.only_deaths:
            pass
        elif run.summary is None:
            result.fail('no "# ktest: N passed, N failed, N skipped" line')
        elif run.summary != counted:
            result.fail(f'kernel counted {run.summary}, runner counted {counted}')
        elif result.failed:
            result.problems.append('the kernel reported success despite the failures above')
        elif result.passed == 0:
            result.fail('no test ran')
    elif run.status == qemu.EXIT_FAILURE and result.failed:
        # The failures above are the verdict's reason: the verdict is not one more.
        if run.summary is not None and run.summary != counted:
            result.fail(f'kernel counted {run.summary}, runner counted {counted}')
    else:
        # A failure verdict no test accounts for, or a boot that died (triple fault, timeout):
        # counted once, unless the tests it took down are counted already.
        why = 'the kernel reported failure' if run.status == qemu.EXIT_FAILURE else f'boot ended: {ending}'
        if result.failed:
            result.problems.append(why)
        else:
            result.fail(why)
    if result.failed:
        result.problems += [f'kernel: {n}' for n in run.notes]
        stop = re.search(r'\*\*\* STOP: .*\n\S+', run.text)
        if stop:
            result.problems.append(stop.group(0).replace('\n', ' '))


def emulator_boot(args, log, memory, append, iso=None, initrd=None, cpu=None):
    if args.emulator == 'bochs':
        return bochs.Boot(log, memory=memory, kernel=args.kernel, append=append, initrd=initrd,
                          cpu=BOCHS_CPU.get(cpu))
    return qemu.Boot(log, memory=memory, kernel=args.kernel, iso=iso, append=append, initrd=initrd, cpu=cpu)


def ktest_words(args):
    return f'ktest={args.suite}' if args.suite else 'ktest'


def boot_config(args, config):
    """Boots one configuration; returns (Result, BootRun), the result not yet judged."""
    result = Result(config.name)
    result.log = os.path.join(LOG_DIR, config.name + '.log')
    with emulator_boot(args, result.log, config.memory, f'{ktest_words(args)} {config.switches}'.strip(),
                       iso=args.menu_iso if config.iso else None,
                       initrd=BOOT_MODULES, cpu=config.cpu) as boot:
        if config.iso:
            # GRUB shows its menu on COM1; pick the self-test entry by its hotkey.
            if not boot.wait_for(r'executed automatically', 30):
                result.fail('the GRUB menu did not appear on COM1')
                return result, None
            boot.send('t')
        status = boot.wait_exit(args.timeout)
        result.seconds = boot.elapsed()
        text = boot.text()
    return result, BootRun(text, status)


def boot_death_test(args, name, code, test_switches):
    result = Result('death ' + name)
    result.log = os.path.join(LOG_DIR, 'death-' + name + '.log')
    with emulator_boot(args, result.log, DEATH_CONFIG.memory,
                       f'ktest.death={name} {DEATH_CONFIG.switches} {test_switches}'.strip(),
                       initrd=BOOT_MODULES) as boot:
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


def boot_expecting_failure(args, name, memory, switches, code, message, cpu=None):
    result = Result('boot ' + name)
    result.log = os.path.join(LOG_DIR, 'boot-' + name + '.log')
    with emulator_boot(args, result.log, memory, ('ktest ' + switches).strip(), cpu=cpu) as boot:
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


# Words a user might mistype, each reported and ignored by the kernel.
MALFORMED = ['/MAXMEM=12abc', '/USERVA=', '/NOSUCH', '/3GBX', '/MAXMEM=0xZZ', '/SPECIALPOOL=TOOLONG',
             'ktestx', '/USERVA=3o72']


def sweep_configs(n, seed):
    """n random configurations the kernel must boot and pass the whole suite in, drawn from seed."""
    rng = random.Random(seed)
    configs = []
    for i in range(1, n + 1):
        mb = int(round(math.exp(rng.uniform(math.log(9), math.log(3584)))))
        number = (lambda v: f'0x{v:x}' if rng.random() < 0.4 else str(v))
        words = []
        split = rng.choice(['2gb', '3gb', 'userva', 'userva', 'userva-ignored'])
        if split == '3gb':
            words.append('/3GB')
        elif split == 'userva':
            words += ['/3GB', f'/USERVA={number(rng.randint(2048, 3072))}']
        elif split == 'userva-ignored':
            if rng.random() < 0.5:
                words.append(f'/USERVA={number(rng.randint(2048, 3072))}')                  # without /3GB
            else:
                words += ['/3GB', f'/USERVA={number(rng.choice([rng.randint(1, 2047), rng.randint(3073, 8191)]))}']
        if rng.random() < 0.4:
            # At least 10 MB, which always leaves the 2,048 pages mm386 needs; up to twice the RAM.
            words.append(f'/MAXMEM={number(rng.randint(10, 2 * mb + 16))}')
        if rng.random() < 0.4:
            words.append(rng.choice(MALFORMED))
        rng.shuffle(words)
        configs.append(Config(f'sweep{i}-{mb}m', f'{mb}M', ' '.join(words)))
    return configs


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


def select(a):
    """The configurations, checks and boot failures this run boots, and the entries it skips with why."""
    configs, checks, failures, skipped = list(CONFIGS), dict(CHECKS), list(BOOT_FAILURES), []
    if a.only:
        known = {c.name for c in CONFIGS} | set(CHECKS) | {f.name for f in BOOT_FAILURES}
        unknown = [n for n in a.only if n not in known]
        if unknown:
            raise SystemExit(f'runtests: no configuration named {", ".join(unknown)}; '
                             f'these exist: {", ".join(sorted(known))}')
        configs = [c for c in configs if c.name in a.only]
        checks = {n: f for n, f in checks.items() if n in a.only}
        failures = [f for f in failures if f.name in a.only]
    if a.suite:
        skipped += [(n, 'a host check, not a suite') for n in checks] + \
                   [(f.name, 'a boot failure, not a suite') for f in failures]
        checks, failures = {}, []
    if a.emulator == 'bochs':
        for c in list(configs):
            if c.iso:
                skipped.append((c.name, "under Bochs every boot goes through GRUB; the menu's hotkey needs COM1 input"))
            elif c.cpu not in BOCHS_CPU:
                skipped.append((c.name, f'Bochs has no CPU model like QEMU\'s "{c.cpu}"'))
            else:
                continue
            configs.remove(c)
        for f in list(failures):
            if f.cpu not in BOCHS_CPU:
                skipped.append((f.name, f'Bochs has no CPU model like QEMU\'s "{f.cpu}"'))
                failures.remove(f)
        skipped += [(n, 'a host check: it boots QEMU itself (to type at the kd> prompt, attach gdb '
                        'or read the boot table)') for n in checks]
        checks = {}
    if 'docs-transcripts' in checks and os.path.realpath(os.path.dirname(a.kernel) or '.') != os.path.realpath('build'):
        # make DEBUG=1 (build-debug/) or a lab's tree: other code at other addresses than the pages show.
        skipped.append(('docs-transcripts', f'the transcripts show the optimised build (build/mm386.elf), '
                                            f'not {a.kernel}'))
        del checks['docs-transcripts']
    return configs, checks, failures, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', default='build/mm386.elf')
    ap.add_argument('--iso', default='build/mm386.iso', help="the project's GRUB ISO (its menu is tested)")
    ap.add_argument('--emulator', choices=sorted(EMULATORS), default='qemu')
    ap.add_argument('--timeout', type=float, help='seconds per boot (default: 90 under QEMU, 300 under Bochs)')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    ap.add_argument('--only', action='append', metavar='NAME',
                    help='run exactly this configuration, check or boot failure (repeatable)')
    ap.add_argument('--suite', metavar='GLOB', help='run the tests matching GLOB (suite.name, commas for several) '
                    'in every configuration, and the death tests it matches')
    ap.add_argument('--sweep', type=int, default=0, metavar='N', help='add N random configurations')
    ap.add_argument('--seed', type=int, help='the sweep\'s seed (default: a new one, printed)')
    ap.add_argument('--list', action='store_true', help='print the names --only accepts and exit')
    a = ap.parse_args()
    a.timeout = a.timeout or TIMEOUTS[a.emulator]
    global BOOT_MODULES
    BOOT_MODULES = bootmodules.initrd(os.path.dirname(a.kernel) or '.')   # the kernel's own build's programs (DEBUG=1)

    if a.list:
        for c in CONFIGS:
            print(f'{c.name:<24} -m {c.memory} {c.switches}' + (' (GRUB ISO)' if c.iso else '') +
                  (f' -cpu {c.cpu}' if c.cpu else ''))
        for n in CHECKS:
            print(f'{n:<24} host check')
        for f in BOOT_FAILURES:
            print(f'{f.name:<24} -m {f.memory} {f.switches}' + (f' -cpu {f.cpu}' if f.cpu else '') +
                  f', must stop with bugcheck 0x{f.code:X}')
        return 0

    start = time.monotonic()
    configs, checks, failures, skipped = select(a)
    if a.sweep:
        seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 32)
        sweep = sweep_configs(a.sweep, seed)
        print(f'ktest: sweep of {a.sweep} random configurations, seed {seed} '
              f'(`tools/runtests.py --sweep {a.sweep} --seed {seed}` draws them again):')
        for c in sweep:
            print(f'  {c.name:<20} -m {c.memory:<6} {c.switches}')
        configs += sweep
    a.menu_iso = a.iso
    if a.suite and any(c.iso for c in configs):
        a.menu_iso = os.path.join(LOG_DIR, 'mm386-suite.iso')
        os.makedirs(LOG_DIR, exist_ok=True)
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), 'mkiso.py'),
                        '--kernel', a.kernel, '--cfg', 'iso/grub.cfg',
                        *[f'--module={m}' for m in bootmodules.files(os.path.dirname(a.kernel) or '.')],
                        '--args', f'ktest={a.suite}', '-o', a.menu_iso], check=True)
    print(f'ktest: {len(configs)} configurations under {a.emulator} on {a.jobs} workers; logs in {LOG_DIR}/')
    for name, why in skipped:
        print(f'  skip  {name}: {why}')
    sys.stdout.flush()

    results, waiting, plan = [], [], None
    deaths_started = False
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        boots = [pool.submit(boot_config, a, c) for c in configs]
        others = [pool.submit(run_check, a, n, f) for n, f in checks.items()]
        others += [pool.submit(boot_expecting_failure, a, *b) for b in failures]
        for future in concurrent.futures.as_completed(boots):
            result, run = future.result()
            if run and run.plan and plan is None:
                plan = run.plan
            if run and run.suites is None and run.status != qemu.EXIT_SUCCESS:
                waiting.append((result, run))       # died before its plan: judged with another boot's
                continue
            if run:
                judge(result, run, run.plan)
            results.append(result)
            report(result)
            if run and not deaths_started and (not a.only or a.suite) and (run.death_tests or run.plan):
                deaths_started = True
                others += [pool.submit(boot_death_test, a, n, c, sw) for n, c, sw in run.death_tests]
        for result, run in waiting:
            if plan is None:
                result.problems.append('no boot of this run printed its plan, so the tests that never ran '
                                       'cannot be named')
            judge(result, run, plan or [])
            results.append(result)
            report(result)
        for future in concurrent.futures.as_completed(others):
            r = future.result()
            results.append(r)
            report(r)

    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped_tests = sum(r.skipped for r in results)
    if a.suite and not plan and not any(r.name.startswith('death ') for r in results):
        print(f'ktest: no test matches "{a.suite}"')
        failed = max(failed, 1)
    print(f'ktest: {len(results)} boots and checks in {time.monotonic() - start:.1f} s')
    summary = f'{passed} passed, {failed} failed'
    if skipped_tests:
        summary += f', {skipped_tests} skipped'
    print(summary)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
