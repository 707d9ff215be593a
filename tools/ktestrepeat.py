#!/usr/bin/env python3
"""The whole suite run three times in a row from the kd> prompt.

Tests must pass on any run, in any order: a test that leaves the machine
changed in a way the leak guards do not see (a pool that grew for good, a
page table made and never given back) passes once and fails, or uses
something up, on a later run. This check boots to the kd> prompt (QEMU,
128 MB, the 2 GB split), types `ktest` three times and requires every run
to end `# ktest: N passed, 0 failed` with the same N, and `0 test(s)
failed`. Runs two and three must also leave what `!vm` shows of physical
memory, system page tables and system PTEs as run one left it: the first
run may grow structures NT keeps once grown (the system PTE pool's
extension, paged pool's page tables), a later run may not. Last, a glob
that matches no test must say so and count as a failure (`ktest nosuch.*`).

Registered in tools/runtests.py as the `ktest-repeated` check; run alone
with `python3 tools/ktestrepeat.py`.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import kdsession  # noqa: E402
import qemu  # noqa: E402

LOG_DIR = os.path.join('build', 'test')
RUNS = 3
RUN_TIMEOUT = 120
SUMMARY = re.compile(r'^# ktest: (\d+) passed, (\d+) failed, (\d+) skipped$', re.M)
STABLE = ('Available Pages', 'System page tables', 'Free System PTEs', 'Total System PTEs')


def vm_figures(vm):
    """The !vm lines that must not move between later runs, as {name: pages}."""
    return {k.strip(): int(v) for k, v in kdsession.VM_LINE.findall(vm) if k.strip() in STABLE}


def run(args):
    out = checks.Outcomes()
    log = os.path.join(LOG_DIR, 'ktest-repeated.log')
    with qemu.Boot(log, memory='128M', kernel=args.kernel) as boot:
        kd = kdsession.Session(boot)
        if not out.check('kd> prompt after boot', kd.ready, f'no prompt; see {log}'):
            return out
        counts, after = [], []
        for n in range(1, RUNS + 1):
            tests = kd.command('ktest', timeout=RUN_TIMEOUT)
            m = SUMMARY.search(tests)
            failed_lines = re.findall(r'^\s*not ok .*$', tests, re.M)
            ok = m and int(m.group(2)) == 0 and re.search(r'^0 test\(s\) failed$', tests, re.M)
            out.check(f'ktest run {n} of {RUNS} from the prompt passes', ok,
                      (m.group(0) if m else 'no "# ktest:" summary (the run did not finish)') +
                      ''.join(f'\n      {line.strip()}' for line in failed_lines[:10]) + f'; see {log}')
            counts.append(m and (int(m.group(1)), int(m.group(3))))
            after.append(vm_figures(kd.command('!vm')))
        out.check('every run runs the same tests', len(set(counts)) == 1,
                  f'(passed, skipped) per run: {counts}')
        for n in range(2, RUNS + 1):
            out.check(f'run {n} leaves memory, page tables and system PTEs as run 1 did',
                      after[n - 1] == after[0] and len(after[0]) == len(STABLE),
                      f'after run 1: {after[0]}; after run {n}: {after[n - 1]}')
        nothing = kd.command('ktest nosuch.*')
        out.check('ktest with a glob that matches nothing says so and fails',
                  "no test matches 'nosuch.*'" in nothing and re.search(r'^1 test\(s\) failed$', nothing, re.M),
                  nothing.strip())
        boot.send('quit\r')
        boot.wait_exit(10)
    return out


if __name__ == '__main__':
    sys.exit(checks.run_alone(run, __doc__))
