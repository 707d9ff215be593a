#!/usr/bin/env python3
"""The labs (docs/labs/): start one, grade it, put the reference back.

A lab is one mechanism of the kernel that the student writes again from its
contracts. `start` replaces the mechanism's files with the lab's versions
from labs/LAB/ (the contracts, the data the rest of the kernel reads, empty
bodies) and records the lab in .lab-active, so the Makefile leaves out the
tests of the reference's own internals, which the student's design need not
have; the rest of the kernel is untouched. `make run` then boots the
student's kernel (it will not get far until the mechanism works). `grade`
boots the lab's graded tests (tests/labs/LAB.c, suite lab_LAB: the
mechanism's interface only, so any correct design passes), each death test
in a boot of its own, and prints a score per part and a total. `reset` saves
the student's files under build/labs/saved/ and restores the reference
from git.

`check` is the runner's (make test): the reference (the kernel as built)
must score full marks in every lab, and each lab's skeleton must build and
score zero. The skeleton is built in a copy of the tree kept under
build/labs/tree-LAB/, refreshed file by file, so after the first time only
what changed is compiled again.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import qemu  # noqa: E402

ACTIVE = '.lab-active'
LOG_DIR = os.path.join('build', 'labs')

# name: title, files replaced (path -> the lab's version), parts (number, name, points).
# A graded test's name starts with its part: p1_..., p2_...
LABS = {
    'syspte': dict(
        title='the system PTE allocator',
        files={'mm/syspte.c': 'labs/syspte/syspte.c', 'mm/sysptinfo.c': 'labs/syspte/sysptinfo.c',
               'mm/syspte.h': 'labs/syspte/syspte.h'},
        parts=[(1, 'reserving and releasing', 25), (2, 'reuse, the random mix, coalescing', 25),
               (3, 'no stale translation', 20), (4, 'misuse stops the machine (0xDA)', 30)]),
    'hyperspace': dict(
        title='hyperspace mapping',
        files={'mm/hypermap.c': 'labs/hyperspace/hypermap.c', 'mm/hypermap.h': 'labs/hyperspace/hypermap.h'},
        parts=[(1, 'mapping and unmapping', 30), (2, 'two mappings at once', 20),
               (3, 'no stale translation, private to an address space', 25),
               (4, 'misuse stops the machine (0x1A, 0x4152)', 25)]),
    'pool': dict(
        title="the pool's small-block allocator",
        files={'mm/poolblk.c': 'labs/pool/poolblk.c'},
        parts=[(1, 'blocks: sizes, headers, no overlap', 30), (2, 'splitting, merging, pages given back', 30),
               (3, 'corruption found (0x19)', 40)]),
}

DEATH_LINE = re.compile(r'^# death: (lab_\w+)\.(\w+) 0x([0-9A-F]+)', re.M)
RESULT_LINE = re.compile(r'^    (ok|not ok) \d+ (\w+)', re.M)


def lab_of(name):
    if name not in LABS:
        sys.exit(f'labs: no lab named {name!r} (there are {", ".join(LABS)})')
    return LABS[name]


def git(*args, check=True):
    return subprocess.run(['git'] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=check)


def save(name, reason):
    """Copies the lab's files as they are now to build/labs/saved/NAME-TIME-REASON/; returns that folder."""
    where = os.path.join(LOG_DIR, 'saved', f'{name}-{time.strftime("%Y%m%d-%H%M%S")}-{reason}')
    for path in lab_of(name)['files']:
        if os.path.exists(path):
            os.makedirs(os.path.join(where, os.path.dirname(path)), exist_ok=True)
            shutil.copy2(path, os.path.join(where, path))
    return where


def start(name, force):
    lab = lab_of(name)
    if os.path.exists(ACTIVE):
        with open(ACTIVE) as f:
            active = f.read().strip()
        sys.exit(f'labs: the {active} lab is in progress; `make lab-reset LAB={active}` first')
    changed = git('status', '--porcelain', '--', *lab['files']).stdout.strip()
    if changed and not force:
        sys.exit(f'labs: these files have changes git does not have:\n{changed}\n'
                 f'commit them, or `make lab-start LAB={name} FORCE=1` (they are saved under {LOG_DIR}/saved/)')
    saved = save(name, 'before-start')
    for path, skeleton in lab['files'].items():
        shutil.copyfile(skeleton, path)
    with open(ACTIVE, 'w') as f:
        f.write(name + '\n')
    print(f'labs: {lab["title"]}: {", ".join(lab["files"])} are the lab\'s now (what was there: {saved}).\n'
          f'Read docs/labs/{name}.md; `make run` boots your kernel, `make grade LAB={name}` scores it,\n'
          f'`make lab-reset LAB={name}` brings the reference back (your files are saved first).')
    return 0


def reset(name):
    lab = lab_of(name)
    saved = save(name, 'reset')
    git('checkout', 'HEAD', '--', *lab['files'])
    if os.path.exists(ACTIVE):
        os.remove(ACTIVE)
    print(f'labs: the reference {", ".join(lab["files"])} are back; yours are in {saved}')
    return 0


def boot_log(kernel, append, log, timeout):
    with qemu.Boot(log, memory='128M', kernel=kernel, append=append) as boot:
        status = boot.wait_exit(timeout)
        return status, boot.text()


def grade(name, kernel, quiet=False, timeout=120):
    """Boots the lab's tests; returns {part: (points got, points)} and the details, printing a table unless quiet."""
    lab = lab_of(name)
    suite = f'lab_{name}'
    os.makedirs(LOG_DIR, exist_ok=True)
    log = os.path.join(LOG_DIR, f'grade-{name}.log')
    status, text = boot_log(kernel, f'ktest={suite}.*', log, timeout)
    outcome = {}                                    # test name -> passed
    for verdict, test in RESULT_LINE.findall(text):
        outcome[test] = verdict == 'ok'
    planned = re.findall(rf'^# plan: {suite}\.(\w+)$', text, re.M)
    for test in planned:
        outcome.setdefault(test, False)             # the boot died before it ran
    notes = []
    if not planned:
        stop = re.search(r'\*\*\* STOP: .*\n\S+', text)
        notes.append(f'the kernel did not reach the tests ({stop.group(0).replace(chr(10), " ") if stop else qemu.describe_exit(status)}); see {log}')
    deaths = DEATH_LINE.findall(text)
    for suite_name, test, code in deaths:
        death_log = os.path.join(LOG_DIR, f'grade-{name}-{test}.log')
        _, death_text = boot_log(kernel, f'ktest.death={suite_name}.{test}', death_log, timeout)
        outcome[test] = bool(re.search(rf'^ok 1 {suite_name}\.{test}$', death_text, re.M))
    if not deaths:
        # A kernel that died before listing its death tests fails them too: they are known from the lab's source.
        with open(os.path.join('tests', 'labs', f'{name}.c')) as f:
            for test in re.findall(rf'KTEST_DEATH\w*\({suite}, (\w+)', f.read()):
                outcome.setdefault(test, False)
    if not outcome:
        with open(os.path.join('tests', 'labs', f'{name}.c')) as f:
            for test in re.findall(rf'KTEST\w*\({suite}, (\w+)', f.read()):
                outcome[test] = False
    scores = {}
    for number, part, points in lab['parts']:
        tests = {t: ok for t, ok in outcome.items() if t.startswith(f'p{number}_')}
        got = round(points * sum(tests.values()) / len(tests)) if tests else 0
        scores[number] = (got, points, part, tests)
    if not quiet:
        print(f'lab {name}: {lab["title"]} ({kernel})')
        for number, (got, points, part, tests) in scores.items():
            print(f'  part {number}  {part:<52} {got:3d} / {points}')
            for test, ok in sorted(tests.items()):
                print(f'      {"ok    " if ok else "NOT OK"} {test}')
        total = sum(g for g, _, _, _ in scores.values())
        print(f'  total{"":58} {total:3d} / {sum(p for _, p, _, _ in scores.values())}')
        for note in notes:
            print(f'  note: {note}')
        print(f'  logs: {LOG_DIR}/grade-{name}*.log')
    return scores, notes


def skeleton_kernel(name):
    """Builds the kernel of the current tree with the lab's skeleton in place, in build/labs/tree-NAME/."""
    lab = lab_of(name)
    tree = os.path.join(LOG_DIR, f'tree-{name}')
    fresh = not os.path.exists(tree)
    files = git('ls-files').stdout.split('\n')
    for path in files:
        if not path or path.startswith('build') or not os.path.isfile(path):
            continue
        source = lab['files'].get(path, path)
        dest = os.path.join(tree, path)
        with open(source, 'rb') as f:
            data = f.read()
        if os.path.exists(dest):
            with open(dest, 'rb') as f:
                if f.read() == data:
                    continue
        os.makedirs(os.path.dirname(dest) or '.', exist_ok=True)
        if fresh and source == path:
            shutil.copy2(source, dest)              # the seeded objects below stay newer than it
        else:
            with open(dest, 'wb') as f:
                f.write(data)
    # A file the repository no longer has (deleted or renamed since the tree was made) goes from the tree too.
    tracked = {os.path.normpath(p) for p in files if p}
    for root, dirs, names in os.walk(tree):
        rel_root = os.path.relpath(root, tree)
        if rel_root == 'build' or rel_root.startswith('build' + os.sep):
            dirs[:] = []
            continue
        for n in names:
            rel = os.path.normpath(os.path.join(rel_root, n))
            if rel not in tracked and rel != os.path.normpath(ACTIVE):
                os.remove(os.path.join(root, n))
    with open(os.path.join(tree, ACTIVE), 'w') as f:
        f.write(name + '\n')
    if fresh and os.path.isdir(os.path.join('build', 'obj')):
        shutil.copytree(os.path.join('build', 'obj'), os.path.join(tree, 'build', 'obj'), copy_function=shutil.copy2)
    r = subprocess.run(['make', '-C', tree, '-j2', 'build/mm386.elf'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(LOG_DIR, f'skeleton-{name}-build.log'), 'w') as f:
        f.write(r.stdout)
    return os.path.join(tree, 'build', 'mm386.elf') if r.returncode == 0 else None


def check(args):
    """The runner's entry point: the reference scores full marks, each skeleton builds and scores zero."""
    out = checks.Outcomes()
    for name in LABS:
        scores, notes = grade(name, args.kernel, quiet=True)
        missing = [f'part {n}: {g}/{p} ({", ".join(t for t, ok in tests.items() if not ok)})'
                   for n, (g, p, _, tests) in scores.items() if g != p]
        out.check(f'lab {name}: the reference scores full marks', not missing and not notes,
                  '; '.join(missing + notes))
        kernel = skeleton_kernel(name)
        if not out.check(f'lab {name}: the skeleton builds', kernel,
                         f'see {LOG_DIR}/skeleton-{name}-build.log'):
            continue
        scores, notes = grade(name, kernel, quiet=True)
        earned = {n: g for n, (g, _, _, _) in scores.items() if g}
        out.check(f'lab {name}: the skeleton scores zero', not earned, f'parts scored: {earned}')
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('action', choices=['start', 'reset', 'grade', 'skeleton', 'check'])
    ap.add_argument('lab', nargs='?')
    ap.add_argument('--kernel', default='build/mm386.elf')
    ap.add_argument('--force', action='store_true')
    a = ap.parse_args()
    if a.action == 'check':
        return _check_alone(a)
    if not a.lab:
        sys.exit(f'labs: which lab? LAB={"|".join(LABS)}')
    if a.action == 'start':
        return start(a.lab, a.force)
    if a.action == 'reset':
        return reset(a.lab)
    if a.action == 'skeleton':
        kernel = skeleton_kernel(a.lab)
        print(kernel or f'the skeleton did not build; see {LOG_DIR}/skeleton-{a.lab}-build.log')
        return 0 if kernel else 1
    scores, _ = grade(a.lab, a.kernel)
    return 0


def _check_alone(a):
    failed = 0
    for test, ok, details in check(a):
        print(f'{"ok" if ok else "not ok"} {test}' + ('' if ok else f'\n    {details}'))
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
