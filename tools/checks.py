"""What the runner's host-side checks share (tools/kdsession.py, tools/gdbsession.py).

A check is a function run(args) returning Outcomes: a list of (test name,
ok, details). run_alone() runs one from the command line and prints its
outcomes, for working on a check without the whole matrix.
"""
import argparse


class Outcomes(list):
    def check(self, name, ok, details=''):
        self.append((name, bool(ok), details))
        return ok


def run_alone(run, doc):
    """Runs one check as a script; the exit status is 1 if any outcome failed."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', default='build/mm386.elf')
    a = ap.parse_args()
    failed = 0
    for name, ok, details in run(a):
        print(f'{"ok" if ok else "not ok"} {name}' + ('' if ok else f'\n    {details}'))
        failed += not ok
    return 1 if failed else 0
