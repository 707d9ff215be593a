"""The mm386 gdb extension: the memory manager's structures as gdb commands.

`make debug` sources this file (tools/debug.py); by hand:

    (gdb) source tools/gdb/mm386.py

It adds mm-address, mm-pte, mm-pfn, mm-vm, mm-sysptes, mm-poolused,
mm-pool, mm-vad, mm-ca, mm-thread, mm-ready, mm-process and mm-process-context:
the same views, line for line, as the kd> prompt's !address, !pte, !pfn, !vm,
!sysptes, !poolused, !pool, !vad, !ca, !thread, !ready, !process and .process
(docs/KD.md). They
read the kernel through gdb (symbols, DWARF types, memory through QEMU's
gdb server with the current CR3) and never call into it, so they work when the
kernel is stopped at a breakpoint or hung. The build's constants come from
the kernel's KdDebuggerDataBlock; `set trust-readonly-sections on` lets gdb
read that block (and the name tables) from the ELF file itself, so they
are there even before paging is on.
"""
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mm386gdb import command, layout, pfn, pool, pte, section, syspte, thread, vad  # noqa: E402

gdb.execute('set trust-readonly-sections on')
layout.MmAddress()
pte.MmPte()
pfn.MmPfn()
pfn.MmVm()
syspte.MmSysptes()
pool.MmPoolused()
pool.MmPool()
vad.MmVad()
section.MmCa()
thread.MmThread()
thread.MmReady()
thread.MmProcess()
thread.MmProcessContext()
gdb.write('mm386: gdb commands ' + ', '.join(command.NAMES) + ' (help NAME for each)\n')
