#!/usr/bin/env python3
"""The test runner's own accounting, checked without booting anything.

tools/runtests.py turns each boot's serial log into passes and failures:
the plan lines (`# plan: suite.name`) name what the boot was to run, a test
that never reported is charged as a failure named on its own line, the
boot's verdict counts only when no test failure explains it, and the
selection switches decide what boots at all. A slip there would show up as
a green `make test` over tests that never ran, so this check feeds the
runner's own routines synthetic logs and compares what they count with
counts written here by hand.

The logs come from model_kernel(), which prints what kernel/ktest/ktest.c
prints — death list, plan, KTAP suites, the summary, the verdict, and on a
bugcheck the STOP screen then the hook's lines — for a small table of tests
(TESTS, DEATHS), and can die in a chosen test: by bugcheck (verdict fail),
triple fault (QEMU exits 0, no verdict) or timeout (no exit at all).

Three layers:
  judge()          a BootRun of each log judged against a plan;
  boot_death_test  with the emulator replaced by one that returns a log;
  main()           the whole runner in a subprocess (`--emulate`): every
                   boot it asks for is answered from the model kernel and
                   recorded, so `--only`, `--suite`, a filter that matches
                   nothing, and a boot that died before printing its plan
                   are checked down to the exit status and the last line.

Registered in tools/runtests.py as the `runner-accounting` check; run alone
with `python3 tools/runnercheck.py`. Python standard library only.
"""
import fnmatch
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import qemu  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# The model kernel's tests, in run order: two suites, five tests; and one death test.
TESTS = ['alpha.one', 'alpha.two', 'beta.three', 'beta.four', 'beta.five']
DEATHS = [('alpha.dies', 0x1E, '')]


def stop_screen(code):
    """What KeBugCheckEx prints before the bugcheck hook runs (kernel/ke/bugcheck.c)."""
    return (f'\n*** STOP: 0x{code:08X} (0x00000000,0x00000002,0x00000000,0xE0101234)\nSOME_BUGCHECK\n\n'
            'eax=00000000 ebx=00000000 ecx=00000000 edx=00000000 esi=00000000 edi=00000000\n\n'
            'Backtrace:\n  #0  e0101234 ktest_model_routine+0x14\n  #1  e0112b80 KtestRunFromBoot+0x50\n')


def model_kernel(glob='', outcomes=None, dies_in=None, death='bugcheck', twice=None, deaths=None):
    """The serial text and QEMU exit status of a ktest boot selecting glob ('' = all).

    outcomes maps suite.name to 'not ok' or 'skip' (else 'ok'); dies_in names
    the test during which the boot dies, by `death`: 'bugcheck' (the hook
    reports the test not ok and the run's end), 'triple' (the stream stops,
    QEMU exits 0), 'timeout' (the stream stops, QEMU never exits), or
    'boot' (a bugcheck before the first test, before the plan). twice names a
    test whose result line the stream repeats.
    """
    outcomes = outcomes or {}
    deaths = DEATHS if deaths is None else deaths
    parts = [p for p in glob.split(',') if p] or ['*']
    chosen = [t for t in TESTS if any(fnmatch.fnmatchcase(t, p) for p in parts)]
    out = ['mm386 (model kernel)', 'KTAP version 1',
           '# ktest: 1000 instructions from kernel entry to the first test (2000 from reset)']
    if death == 'boot':
        out += [stop_screen(0x7D).rstrip('\n'), '# ktest: bugcheck 0x0000007D (INSTALL_MORE_MEMORY) during boot, '
                'before any test', '# ktest: verdict fail']
        return '\n'.join(out) + '\n', qemu.EXIT_FAILURE
    listed = [d for d in deaths if any(fnmatch.fnmatchcase(d[0], p) for p in parts)]
    out += [f'# death: {n} 0x{c:08X}' + (f' {s}' if s else '') for n, c, s in listed]
    out += [f'# plan: {t}' for t in chosen]
    suites = list(dict.fromkeys(t.split('.')[0] for t in chosen))
    out.append(f'1..{len(suites)}')
    if not chosen:
        if listed:
            out.append(f"# ktest: '{glob}' selects only death tests; each runs in a boot of its own "
                       "(ktest.death=SUITE.NAME)")
            out.append('# ktest: verdict pass')
            return '\n'.join(out) + '\n', qemu.EXIT_SUCCESS
        out.append(f"# ktest: no test matches '{glob}' (counted as one failure)")
        out.append('# ktest: verdict fail')
        return '\n'.join(out) + '\n', qemu.EXIT_FAILURE
    passed = failed = skipped = 0
    for number, suite in enumerate(suites, 1):
        names = [t for t in chosen if t.startswith(suite + '.')]
        out += ['    KTAP version 1', f'    # Subtest: {suite}', f'    1..{len(names)}']
        suite_ok = True
        for index, test in enumerate(names, 1):
            short = test.split('.', 1)[1]
            if test == dies_in:
                if death == 'bugcheck':
                    out += [stop_screen(0x0A).rstrip('\n'),
                            f'    # bugcheck 0x0000000A (IRQL_NOT_LESS_OR_EQUAL) during {test}',
                            f'    not ok {index} {short}',
                            '# ktest: the run ended with bugcheck 0x0000000A', '# ktest: verdict fail']
                    return '\n'.join(out) + '\n', qemu.EXIT_FAILURE
                return '\n'.join(out) + '\n', (0 if death == 'triple' else None)
            outcome = outcomes.get(test, 'ok')
            repeat = 2 if test == twice else 1
            for _ in range(repeat):
                if outcome == 'skip':
                    out.append(f'    ok {index} {short} # SKIP the model says so')
                    skipped += 1
                elif outcome == 'ok':
                    out.append(f'    ok {index} {short}')
                    passed += 1
                else:
                    out += [f'    # tests/model.c:{10 + index}: expected a == b, but a == 1 (0x1), b == 2 (0x2)',
                            f'    not ok {index} {short}']
                    failed += 1
                    suite_ok = False
        out.append(f'{"ok" if suite_ok else "not ok"} {number} {suite}')
    out.append(f'# ktest: {passed} passed, {failed} failed, {skipped} skipped')
    out.append(f'# ktest: verdict {"fail" if failed else "pass"}')
    return '\n'.join(out) + '\n', (qemu.EXIT_FAILURE if failed else qemu.EXIT_SUCCESS)


def death_log(name, code, got=None, returned=False):
    """A death test's boot (ktest.death=NAME): the bugcheck `got` (default: the expected one)."""
    out = ['mm386 (model kernel)', 'KTAP version 1', '1..1',
           f'# death test {name} expects bugcheck 0x{code:08X} (SOME_BUGCHECK)']
    if returned:
        out += [f'# ktest: {name} did not bugcheck', f'not ok 1 {name}', '# ktest: verdict fail']
        return '\n'.join(out) + '\n', qemu.EXIT_FAILURE
    got = code if got is None else got
    out += [stop_screen(got).rstrip('\n'), f'# ktest: bugcheck 0x{got:08X}, expected 0x{code:08X}',
            f'{"ok" if got == code else "not ok"} 1 {name}', f'# ktest: verdict {"pass" if got == code else "fail"}']
    return '\n'.join(out) + '\n', (qemu.EXIT_SUCCESS if got == code else qemu.EXIT_FAILURE)


class ModelBoot:
    """Stands in for qemu.Boot: the serial text and exit status are given, nothing runs."""

    def __init__(self, text, status):
        self._text, self.status = text, status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def text(self):
        return self._text

    def wait_for(self, pattern, timeout, since=0):
        return re.compile(pattern).search(self._text, since)

    def send(self, text):
        pass

    def wait_exit(self, timeout):
        return self.status

    def elapsed(self):
        return 0.0


def judged(runtests, text_status, plan=None):
    """A Result for one boot's log, judged against its own plan or the one given."""
    text, status = text_status
    run = runtests.BootRun(text, status)
    result = runtests.Result('model')
    runtests.judge(result, run, run.plan if plan is None else plan)
    return result


def failures_named(result, names):
    """Whether result's problems name each of names in a `not ok NAME` line of its own, once."""
    lines = [p.split('\n')[0] for p in result.problems]
    return all(sum(1 for line in lines if re.match(rf'not ok {re.escape(n)}\b', line)) == 1 for n in names)


def counts(result):
    return (result.passed, result.failed, result.skipped)


def check_judge(runtests, out):
    r = judged(runtests, model_kernel())
    out.check('judge: a plan whose tests all report passes them all', counts(r) == (5, 0, 0) and r.ok,
              f'{counts(r)} {r.problems}')

    r = judged(runtests, model_kernel(outcomes={'beta.four': 'skip'}))
    out.check('judge: a skipped test is counted skipped, not passed or failed', counts(r) == (4, 0, 1) and r.ok,
              f'{counts(r)} {r.problems}')

    r = judged(runtests, model_kernel(outcomes={'beta.four': 'not ok'}))
    out.check('judge: one failed test and the failure verdict it caused are one failure',
              counts(r) == (4, 1, 0) and failures_named(r, ['beta.four']), f'{counts(r)} {r.problems}')
    out.check("judge: a failed test's diagnostics are shown under it",
              any(p.startswith('not ok beta.four\n      # tests/model.c:') for p in r.problems), r.problems)

    r = judged(runtests, model_kernel(dies_in='beta.three'))
    out.check('judge: a bugcheck in a test charges it and each test after it, one failure apiece',
              counts(r) == (2, 3, 0), f'{counts(r)} {r.problems}')
    out.check('judge: each test a bugcheck took down is named on its own line',
              failures_named(r, ['beta.three', 'beta.four', 'beta.five']), r.problems)
    out.check("judge: a test that never reported says why (the kernel's bugcheck line)",
              'not ok beta.five: never reported (the run ended with bugcheck 0x0000000A)' in r.problems, r.problems)

    for death, ending in (('triple', 'QEMU stopped without a verdict'), ('timeout', 'timeout')):
        r = judged(runtests, model_kernel(dies_in='beta.four', death=death))
        out.check(f'judge: a {death} mid-plan charges the two tests that never reported, and not the ending too',
                  counts(r) == (3, 2, 0) and failures_named(r, ['beta.four', 'beta.five']),
                  f'{counts(r)} {r.problems}')
        out.check(f'judge: the {death} is named as the reason',
                  any(p.startswith('not ok beta.four: never reported (the boot ended: ' + ending) for p in r.problems),
                  r.problems)

    r = judged(runtests, model_kernel(dies_in='alpha.one', death='triple'))
    out.check('judge: a boot dying in its first test charges all five, named',
              counts(r) == (0, 5, 0) and failures_named(r, TESTS), f'{counts(r)} {r.problems}')

    text, _ = model_kernel()
    r = judged(runtests, (text, qemu.EXIT_FAILURE))
    out.check('judge: a failure verdict no test accounts for is one failure',
              counts(r) == (5, 1, 0) and 'the kernel reported failure' in r.problems, f'{counts(r)} {r.problems}')

    text, _ = model_kernel(outcomes={'alpha.two': 'not ok'})
    r = judged(runtests, (text, qemu.EXIT_SUCCESS))
    out.check('judge: a success verdict over a failed test still fails it',
              r.failed == 1 and failures_named(r, ['alpha.two']), f'{counts(r)} {r.problems}')

    text, status = model_kernel()
    r = judged(runtests, (text.replace('# ktest: 5 passed,', '# ktest: 6 passed,'), status))
    out.check("judge: the kernel's count differing from the results is a failure",
              r.failed == 1 and any('kernel counted (6, 0, 0), runner counted (5, 0, 0)' in p for p in r.problems),
              f'{counts(r)} {r.problems}')

    text, status = model_kernel(outcomes={'alpha.two': 'not ok'})
    r = judged(runtests, (text.replace('# ktest: 4 passed, 1 failed', '# ktest: 4 passed, 2 failed'), status))
    out.check("judge: after a failure verdict too, the kernel's count differing from the results is a failure",
              r.failed == 2 and any('kernel counted (4, 2, 0), runner counted (4, 1, 0)' in p for p in r.problems),
              f'{counts(r)} {r.problems}')

    text, status = model_kernel()
    r = judged(runtests, (re.sub(r'^# ktest: \d+ passed.*\n', '', text, flags=re.M), status))
    out.check('judge: a success verdict without the summary line is a failure', r.failed == 1,
              f'{counts(r)} {r.problems}')

    # model_kernel counts the repeated line in its summary: "6 passed", as a kernel that ran the test twice would.
    for how, edit in (('the kernel counted it once', lambda t: t.replace('# ktest: 6 passed', '# ktest: 5 passed')),
                      ('the kernel counted it twice as well', lambda t: t)):
        text, status = model_kernel(twice='alpha.two')
        r = judged(runtests, (edit(text), status))
        out.check(f'judge: a test reported twice is a failure, named ({how})',
                  r.failed >= 1 and any(re.match(r'not ok alpha\.two: reported 2 times', p) for p in r.problems),
                  f'{counts(r)} {r.problems}')
    text, status = model_kernel(twice='alpha.two')
    text = text.replace('    ok 2 two\n    ok 2 two\n', '    ok 2 two\n    not ok 2 two\n')
    r = judged(runtests, (text, status))
    out.check('judge: a test reported ok then not ok is a failure, named',
              r.failed >= 1 and any(re.match(r'not ok alpha\.two\b', p) for p in r.problems),
              f'{counts(r)} {r.problems}')

    plan = runtests.BootRun(*model_kernel()).plan
    r = judged(runtests, model_kernel(death='boot'), plan=plan)
    out.check("judge: a boot that died before its plan is charged another boot's plan, each test named",
              counts(r) == (0, 5, 0) and failures_named(r, TESTS), f'{counts(r)} {r.problems}')
    r = judged(runtests, model_kernel(death='boot'), plan=[])
    out.check('judge: with no plan to charge, the dead boot is still one failure',
              counts(r) == (0, 1, 0), f'{counts(r)} {r.problems}')

    r = judged(runtests, model_kernel('nosuch.*'))
    out.check('judge: a glob matching no test is a failure, with the kernel\'s reason',
              r.failed == 1 and any("no test matches 'nosuch.*'" in p for p in r.problems),
              f'{counts(r)} {r.problems}')
    text = model_kernel('nosuch.*')[0].replace('verdict fail', 'verdict pass')
    r = judged(runtests, (text, qemu.EXIT_SUCCESS))
    out.check('judge: a glob matching no test fails even when the kernel calls it success', r.failed >= 1,
              f'{counts(r)} {r.problems}')
    r = judged(runtests, model_kernel('alpha.dies'))
    out.check('judge: a glob selecting only death tests is neither a pass nor a failure in its boot',
              counts(r) == (0, 0, 0) and r.ok, f'{counts(r)} {r.problems}')
    run = runtests.BootRun(*model_kernel('alpha.*'))
    out.check("judge: the boot's death tests are read from its list",
              run.death_tests == [('alpha.dies', '0000001E', '')] and run.plan == ['alpha.one', 'alpha.two'],
              f'{run.death_tests} {run.plan}')


class Emulator:
    """A replacement for runtests.emulator_boot: answers each boot from a table, and records it."""

    def __init__(self, answer):
        self.answer = answer
        self.boots = []

    def __call__(self, args, log, memory, append, iso=None, initrd=None, cpu=None):
        self.boots.append(append)
        text, status = self.answer(append)
        if iso:
            text = "GRUB menu: the highlighted entry will be executed automatically in 5s.\n" + text
        return ModelBoot(text, status)


def check_death_tests(runtests, out):
    class Args:
        emulator, kernel, timeout = 'qemu', 'build/mm386.elf', 1
    real = runtests.emulator_boot
    try:
        for got, returned, want, what in ((None, False, (1, 0), 'the expected bugcheck passes'),
                                          (0x50, False, (0, 1), 'another bugcheck fails'),
                                          (None, True, (0, 1), 'returning without a bugcheck fails')):
            emulator = Emulator(lambda append: death_log('alpha.dies', 0x1E, got, returned))
            runtests.emulator_boot = emulator
            r = runtests.boot_death_test(Args, 'alpha.dies', '0000001E', '/TESTSWITCH')
            out.check(f'death test: {what}', (r.passed, r.failed) == want and
                      (r.ok or failures_named(r, ['alpha.dies'])), f'{counts(r)} {r.problems}')
            out.check(f'death test ({what}): booted alone, with its own switches',
                      [b.split() for b in emulator.boots] ==
                      [['ktest.death=alpha.dies', *runtests.DEATH_CONFIG.switches.split(), '/TESTSWITCH']],
                      emulator.boots)
    finally:
        runtests.emulator_boot = real


# ------------------------------------------------------------ the whole runner, emulated

def emulated_kernel(scenario, append):
    """The answer to one boot of the emulated runner: (text, status)."""
    words = append.split()
    if words[0].startswith('ktest.death='):
        name = words[0].split('=', 1)[1]
        code = next((c for n, c, _ in DEATHS if n == name), 0)
        return death_log(name, code)
    glob = words[0].split('=', 1)[1] if '=' in words[0] else ''
    if scenario == 'no-match-claims-success':
        text, _ = model_kernel(glob)
        return text.replace('verdict fail', 'verdict pass'), qemu.EXIT_SUCCESS
    if scenario == 'no-match-claims-only-deaths':
        text, _ = model_kernel(glob)
        text = text.replace("no test matches '%s' (counted as one failure)" % glob,
                            "'%s' selects only death tests" % glob).replace('verdict fail', 'verdict pass')
        return text, qemu.EXIT_SUCCESS
    if scenario == 'dies-before-plan' and '/MAXMEM=48' in words:
        return model_kernel(glob, death='boot')
    if scenario == 'dies-before-plan' and '/3GB' in words:
        return model_kernel(glob, dies_in='beta.four', death='timeout')
    return model_kernel(glob)


def emulate(scenario, argv):
    """Runs runtests.main() with argv, every boot answered by emulated_kernel; prints the boots as JSON."""
    import runtests
    emulator = Emulator(lambda append: emulated_kernel(scenario, append))
    runtests.emulator_boot = emulator
    made = []

    def mkiso(cmd, **kwargs):
        made.append(cmd)
        return subprocess.CompletedProcess(cmd, 0)
    runtests.subprocess.run = mkiso         # the --suite GRUB ISO: this process's own module, nothing is built
    sys.argv = ['runtests.py'] + argv
    try:
        status = runtests.main()
    except SystemExit as e:
        print(e.code if isinstance(e.code, str) else '', file=sys.stdout)
        status = 2
    print('EMULATED ' + json.dumps({'boots': emulator.boots, 'mkiso': made}))
    return status


def runner(scenario, *argv):
    """The runner run with argv under scenario: (exit status, printed lines, boots' command lines, mkiso calls)."""
    p = subprocess.run([sys.executable, os.path.join(HERE, 'runnercheck.py'), '--emulate', scenario, *argv],
                       capture_output=True, text=True, timeout=60)
    lines = p.stdout.splitlines()
    record = next((json.loads(line[9:]) for line in lines if line.startswith('EMULATED ')),
                  {'boots': None, 'mkiso': None})
    lines = [line for line in lines if not line.startswith('EMULATED ')]
    if p.stderr.strip():
        lines.append('stderr: ' + p.stderr.strip())
    return p.returncode, lines, record['boots'], record['mkiso']


def check_runner(runtests, out):
    configs = runtests.CONFIGS
    plain = next(c for c in configs if not c.switches and not c.iso and not c.cpu and c.memory != '128M')

    status, lines, boots, _ = runner('normal', '--only', plain.name)
    out.check('runner: --only NAME boots exactly that configuration, and no death test',
              boots == ['ktest'], f'boots: {boots}')
    out.check('runner: --only NAME ends "5 passed, 0 failed" and exits 0',
              status == 0 and lines[-1:] == ['5 passed, 0 failed'], f'status {status}, {lines[-3:]}')

    status, lines, boots, mkiso = runner('normal', '--suite', 'alpha.*')
    wanted = [['ktest=alpha.*', *c.switches.split()] for c in configs] + \
        [['ktest.death=alpha.dies', *runtests.DEATH_CONFIG.switches.split()]]
    out.check('runner: --suite GLOB boots every configuration with ktest=GLOB, and the death tests it matches',
              boots is not None and sorted(b.split() for b in boots) == sorted(wanted), f'boots: {boots}')
    out.check("runner: --suite GLOB's GRUB-menu configuration boots an ISO made with ktest=GLOB",
              not any(c.iso for c in configs) or
              (mkiso and len(mkiso) == 1 and mkiso[0][-4:-2] == ['--args', 'ktest=alpha.*']), f'mkiso: {mkiso}')
    out.check('runner: --suite GLOB runs no host check and no boot failure',
              not any(line.strip().startswith(('PASS', 'FAIL')) and
                      any(n in line for n in list(runtests.CHECKS) + [f.name for f in runtests.BOOT_FAILURES])
                      for line in lines), lines)
    total = 2 * len(configs) + 1
    out.check('runner: --suite GLOB counts two tests per configuration and the death test, and exits 0',
              status == 0 and lines[-1:] == [f'{total} passed, 0 failed'], f'status {status}, {lines[-3:]}')

    for scenario, what in (('normal', 'the kernel says so'), ('no-match-claims-success', 'the kernel claims success'),
                           ('no-match-claims-only-deaths', 'the kernel claims it selected only death tests')):
        status, lines, boots, _ = runner(scenario, '--suite', 'nosuch.*', '--only', plain.name)
        out.check(f'runner: --suite matching no test exits non-zero ({what})',
                  status != 0 and 'ktest: no test matches "nosuch.*"' in lines and
                  re.fullmatch(r'0 passed, [1-9]\d* failed', lines[-1] if lines else ''),
                  f'status {status}, {lines[-4:]}')
        out.check(f'runner: --suite matching no test boots only the one configuration ({what})',
                  boots == ['ktest=nosuch.*'], f'boots: {boots}')

    status, lines, boots, _ = runner('normal', '--only', 'nosuch-config')
    out.check('runner: --only naming nothing exits non-zero before booting anything',
              status != 0 and boots == [] and any('no configuration named nosuch-config' in line for line in lines),
              f'status {status}, boots {boots}, {lines[-2:]}')

    dead = next(c for c in configs if c.switches == '/MAXMEM=48')
    slow = next(c for c in configs if c.switches == '/3GB' and c.memory == '128M')
    status, lines, boots, _ = runner('dies-before-plan', '--only', plain.name, '--only', dead.name, '--only', slow.name)
    out.check("runner: a boot that died before its plan is charged the plan another boot printed, each test named",
              all(sum(line.strip() == f'not ok {t}: never reported (bugcheck 0x0000007D (INSTALL_MORE_MEMORY) '
                      'during boot, before any test)' for line in lines) == 1 for t in TESTS) and
              any(line.strip().startswith('FAIL') and dead.name in line and ' 0 passed, 5 failed' in line
                  for line in lines), lines)
    out.check('runner: a boot that timed out mid-plan charges the tests it never reported',
              any(line.strip().startswith('FAIL') and slow.name in line and ' 3 passed, 2 failed' in line
                  for line in lines), lines)
    out.check('runner: the final line counts each test once: 8 passed, 7 failed, and the exit is non-zero',
              status != 0 and lines[-1:] == ['8 passed, 7 failed'], f'status {status}, {lines[-3:]}')


def run(args):
    """The runner's entry point: returns [(test name, ok, details)]."""
    import runtests         # here, not at the top: runtests imports this file to register it
    out = checks.Outcomes()
    check_judge(runtests, out)
    check_death_tests(runtests, out)
    check_runner(runtests, out)
    return out


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--emulate':
        sys.exit(emulate(sys.argv[2], sys.argv[3:]))
    sys.exit(checks.run_alone(run, __doc__))
