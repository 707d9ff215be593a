#!/usr/bin/env python3
"""make debug: QEMU stopped at the kernel entry, gdb attached with symbols;
make gdb: gdb attached to a `make run GDB=1` running in another terminal.

make debug: QEMU starts with its gdb server on a free local port and halted
(-S); COM1 goes to build/debug-serial.log (watch it with `tail -f` in
another terminal). gdb loads build/mm386.elf, connects, loads the mm386
extension (tools/gdb/), sets a hardware breakpoint at the multiboot entry
point and continues to it. Hardware breakpoints (hbreak) are the ones to use
before paging is on: a software breakpoint writes an int3 at a virtual
address that is not mapped yet.

Ctrl-C belongs to gdb: it interrupts the guest and gives gdb's prompt back
(`continue` resumes). QEMU runs in a session of its own, so the terminal's
SIGINT never reaches it, and this script ignores SIGINT while gdb runs; QEMU
ends when gdb does.

make gdb (--attach): connects to the port `make run GDB=1` printed and wrote
to build/gdb-port (or GDBPORT), without stopping anything first: gdb stops
the guest where it is, the console keeps working when gdb lets it go
(`continue`, or `detach`).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootmodules  # noqa: E402
import qemu  # noqa: E402


def elf_entry(path):
    with open(path, 'rb') as f:
        header = f.read(0x1C)
    return int.from_bytes(header[0x18:0x1C], 'little')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def gdb_command(gdb, kernel, port):
    argv = [gdb, '-q', kernel, '-ex', 'set architecture i386', '-ex', 'set pagination off',
            '-ex', f'target remote 127.0.0.1:{port}']
    extension = os.path.join('tools', 'gdb', 'mm386.py')
    if os.path.exists(extension):
        argv += ['-ex', f'source {extension}']
    return argv


def run_gdb(argv):
    """Runs gdb in the foreground with Ctrl-C left to it: this process ignores SIGINT meanwhile."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        # gdb installs its own SIGINT handler; an ignored disposition would be inherited, so restore it there.
        return subprocess.call(argv, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    finally:
        signal.signal(signal.SIGINT, previous)


def attach(a):
    port = os.environ.get('GDBPORT')
    if not port:
        path = os.path.join(os.path.dirname(a.kernel) or '.', 'gdb-port')
        try:
            with open(path) as f:
                port = f.read().strip()
        except OSError:
            sys.stderr.write(f'gdb: no {path}: start `make run GDB=1` in another terminal first '
                             f'(or give the port: make gdb GDBPORT=N)\n')
            return 1
    print(f'gdb: attaching to localhost:{port}; Ctrl-C stops the guest, `continue` lets it run, '
          f'`detach` leaves it running')
    return run_gdb(gdb_command(a.gdb, a.kernel, port))


def debug(a):
    log = os.path.join(os.path.dirname(a.kernel) or '.', 'debug-serial.log')
    port = free_port()
    cmd = [qemu.QEMU, '-m', a.mem, '-display', 'none', '-no-reboot', '-monitor', 'none',
           '-serial', 'file:' + log, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
           '-kernel', a.kernel, '-gdb', f'tcp:127.0.0.1:{port}', '-S']
    if a.args:
        cmd += ['-append', a.args]
    cmd += ['-initrd', bootmodules.initrd(os.path.dirname(a.kernel) or '.')]  # every boot carries the modules
    print(f'debug: QEMU waiting for gdb on localhost:{port}; COM1 -> {log}; Ctrl-C in gdb stops the guest')
    # A session of its own: the terminal's Ctrl-C goes to gdb, never to QEMU.
    vm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
    argv = gdb_command(a.gdb, a.kernel, port) + ['-ex', f'hbreak *{elf_entry(a.kernel):#x}', '-ex', 'continue']
    try:
        return run_gdb(argv)
    finally:
        if vm.poll() is None:
            vm.kill()
        vm.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', default='build/mm386.elf')
    ap.add_argument('--mem', default='128M')
    ap.add_argument('--args', default='')
    ap.add_argument('--gdb', default='gdb')
    ap.add_argument('--attach', action='store_true', help='attach to a `make run GDB=1` (make gdb)')
    a = ap.parse_args()
    return attach(a) if a.attach else debug(a)


if __name__ == '__main__':
    sys.exit(main())
