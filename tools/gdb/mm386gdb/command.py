"""The frame every mm-* gdb command uses.

A command is a subclass of MmCommand with a name, a docstring (gdb's `help
mm-NAME` shows it) and a run(argument) method that returns its output
lines. MmCommand registers it with gdb and turns a KernelError (memory not
readable, paging not on yet, no symbols) into one line saying so instead
of a Python traceback. Adding a view is one subclass in one module,
imported by tools/gdb/mm386.py.
"""
import gdb

from .target import KernelError

NAMES = []


class MmCommand(gdb.Command):
    name = None

    def __init__(self):
        super().__init__(self.name, gdb.COMMAND_DATA)
        NAMES.append(self.name)

    def invoke(self, argument, from_tty):
        try:
            lines = self.run(argument)
        except KernelError as e:
            gdb.write(f'{self.name}: {e}\n')
            return
        gdb.write(''.join(line + '\n' for line in lines))
