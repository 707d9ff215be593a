#!/usr/bin/env python3
"""Instructions per function on one path, from a QEMU single-step exec trace.

`make bench` gives one number per figure; this says where its instructions
go. Boot one benchmark single-stepped with an exec trace (each
"Trace 0: ... [cs_base/PC/...]" line is one executed instruction):

    qemu-system-i386 -kernel build/mm386.elf -m 128M -append "/BENCH=NAME" \\
        -initrd "$(python3 -c 'import sys; sys.path.insert(0, "tools"); \\
                   import bootmodules; print(bootmodules.initrd())')" \\
        -display none -serial stdio -no-reboot \\
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \\
        -icount shift=0,sleep=off -singlestep -d exec,nochain -D /tmp/trace.log

(-icount as `make bench` boots: the clock interrupts then fall where they
fall in the figure, so an interval's count is the figure's, to the
instruction.)

then count what ran between two entries of a routine (ENTRY, a symbol or a
hex address), averaged over COUNT consecutive intervals from the INDEX-th
entry (negative counts from the end), per function, and per source line of
the functions named with --lines:

    python3 tools/insprof.py build/mm386.elf /tmp/trace.log ExAllocatePoolWithTag \\
        --index 5000 --count 100 --lines ExFreePoolWithTag

--sequence prints the first interval instruction by instruction,
disassembled: where a register is spilled, a value computed twice.

The logs run to a gigabyte: delete them when done. The figures themselves
come only from `make bench`.
"""
import argparse
import bisect
import collections
import subprocess


def symbols(elf):
    out = subprocess.run(['i686-linux-gnu-nm', '-n', elf], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in 'tTwW':
            syms.append((int(p[0], 16), p[2]))
    return syms


def disassembly(elf):
    """Address -> its disassembled instruction, for the whole image."""
    out = subprocess.run(['i686-linux-gnu-objdump', '-d', '--no-show-raw-insn', elf],
                         capture_output=True, text=True, check=True).stdout
    dis = {}
    for line in out.splitlines():
        head, sep, rest = line.partition(':\t')
        if sep and head.strip() and all(c in '0123456789abcdef' for c in head.strip()):
            dis[int(head, 16)] = f'{head.strip()}  {rest}'
    return dis


def source_order(location):
    """addr2line's 'FILE:LINE (discriminator N)' as (FILE, LINE) for sorting; '??' lines last."""
    path, _, rest = location.rpartition(':')
    number = rest.split()[0] if rest.split() else ''
    return (path, int(number) if number.isdigit() else 1 << 30)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('elf')
    ap.add_argument('log')
    ap.add_argument('entry', help='symbol or hex address whose executions bound the intervals')
    ap.add_argument('--index', type=int, default=None, help='first interval (default: the middle one)')
    ap.add_argument('--count', type=int, default=1, help='intervals to average over')
    ap.add_argument('--lines', nargs='*', default=[], help='functions to break down per source line')
    ap.add_argument('--sequence', action='store_true',
                    help='print the first interval instruction by instruction, disassembled')
    a = ap.parse_args()

    syms = symbols(a.elf)
    addrs = [s[0] for s in syms]
    byname = {n: v for v, n in syms}
    entry = byname[a.entry] if a.entry in byname else int(a.entry, 16)

    pcs = []
    with open(a.log) as f:
        for line in f:
            if line.startswith('Trace'):
                pcs.append(int(line.split('[', 1)[1].split('/', 2)[1], 16))
    idx = [i for i, p in enumerate(pcs) if p == entry]
    print(f'{len(idx)} entries of {a.entry}')
    first = len(idx) // 2 if a.index is None else (a.index if a.index >= 0 else len(idx) + a.index - a.count)
    lo, hi = idx[first], idx[first + a.count]
    print(f'intervals {first}..{first + a.count}: {(hi - lo) / a.count:.1f} instructions each')

    def name(pc):
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i][1] if i >= 0 else '?'

    names = [name(p) for p in pcs[lo:hi]]
    for n, k in collections.Counter(names).most_common():
        print(f'{k / a.count:9.1f} {n}')
    if a.sequence:
        dis = disassembly(a.elf)
        for p in pcs[lo:idx[first + 1]]:
            print(f'{name(p):32.32s} {dis.get(p, hex(p))}')
    for fn in a.lines:
        seq = [p for p, n in zip(pcs[lo:hi], names) if n == fn]
        uniq = sorted(set(seq))
        out = subprocess.run(['i686-linux-gnu-addr2line', '-e', a.elf] + [hex(p) for p in uniq],
                             capture_output=True, text=True).stdout.splitlines()
        where = dict(zip(uniq, out))
        per = collections.Counter(where[p] for p in seq)
        print(f'\n{fn}, per source line:')
        for loc, k in sorted(per.items(), key=lambda kv: source_order(kv[0])):
            print(f'{k / a.count:9.1f} {loc}')


if __name__ == '__main__':
    main()
