#!/usr/bin/env python3
"""gdb beside the console, and Ctrl-C in `make debug`: the paths students type.

First `make run GDB=1`'s launcher (tools/run.py --gdb --nomenu) runs with
COM1 on this check's pipes, as a terminal would have it. It must print the
port of QEMU's gdb server; the kernel must reach kd>; after the page lists
have settled, `make gdb`'s launcher (tools/debug.py --attach, which reads
the port file run.py wrote) attaches, runs mm-vm and detaches. Its mm-vm
must equal the !vm the prompt printed just before, line for line, and the
console must still answer afterwards. Then the kernel is stopped at a
breakpoint from the console (bp ExAllocatePoolWithTag, pool alloc): it
spins in the stopped prompt with interrupts off, and gdb, attaching again,
must find it there ($eip at the breakpoint, IF clear) with mm-vm equal to
the stopped prompt's !vm; after gdb detaches, `g` must let the allocation
finish.

Then `make debug`'s launcher (tools/debug.py) runs on a pseudo-terminal, as
in a terminal window: gdb stops at the kernel entry, `continue` lets the
kernel run, and a Ctrl-C typed at the terminal (the tty's interrupt
character, so the terminal's SIGINT goes to its foreground process group)
must stop the guest and give gdb's prompt back, with no traceback and QEMU
alive: KeTickCount64 read, `continue`, another Ctrl-C, read again, must
have grown.

Registered in tools/runtests.py as the `gdb-console` check; run alone with
`python3 tools/gdbconsole.py`.
"""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import gdbsession  # noqa: E402
import kdsession  # noqa: E402
import qemu  # noqa: E402

LOG_DIR = os.path.join('build', 'test')
MARK = '@@gdbconsole '


class Launcher(qemu.Boot):
    """A launcher script (run.py) whose stdout and stdin are COM1: qemu.Boot's reading and typing, its own command."""

    def __init__(self, log_path, cmd):
        self.cmd = cmd
        self.log_path = log_path
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self.log = open(log_path, 'wb')
        self.output = b''
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.started = time.monotonic()

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)    # run.py and the QEMU it started
            self.proc.wait()


def attach(kernel, port_file, commands):
    """`make gdb`'s launcher with commands on its stdin; returns (output, {command: output})."""
    script = ''.join(f'echo {MARK}{c}\\n\n{c}\n' for c in commands) + f'echo {MARK}end\\n\ndetach\nquit\n'
    with open(port_file) as f:
        port = f.read().strip()
    env = dict(os.environ, GDBPORT=port)
    r = subprocess.run([sys.executable, os.path.join('tools', 'debug.py'), '--attach', '--kernel', kernel,
                        '--gdb', gdbsession.GDB], input=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60, env=env)
    views = {}
    for part in r.stdout.split(MARK)[1:]:
        name, _, body = part.partition('\n')
        views[name] = re.sub(r'\(gdb\) ', '', body)
    return r.stdout, views


def console_and_gdb(args, out):
    log = os.path.join(LOG_DIR, 'gdb-console.log')
    port_file = os.path.join(LOG_DIR, 'gdb-console-port')
    iso = os.path.join(LOG_DIR, 'gdb-console.iso')
    cmd = [sys.executable, os.path.join('tools', 'run.py'), '--kernel', args.kernel, '--iso', iso, '--gdb',
           '--gdb-port', '0', '--port-file', port_file, '--nomenu']
    with Launcher(log, cmd) as run:
        m = run.wait_for(r"gdb server is on localhost:(\d+)", 60)
        if not out.check('make run GDB=1 prints the gdb server\'s port', m, f'see {log}'):
            return
        kd = kdsession.Session(run)
        if not out.check('make run GDB=1: the console reaches kd> (COM1 interactive)', kd.ready, f'see {log}'):
            return
        gdbsession.settle(kd)
        vm = kd.command('!vm').strip('\n')
        output, views = attach(args.kernel, port_file, ['mm-vm'])
        with open(os.path.join(LOG_DIR, 'gdb-console-gdb.log'), 'w') as f:
            f.write(output)
        mine = views.get('mm-vm', '').strip('\n')
        out.check('make gdb attaches beside the console, and mm-vm shows what !vm showed', mine and mine == vm,
                  f'gdb:\n{mine}\nkd>:\n{vm}\n{output[-600:]}')
        again = kd.command('!vm')
        out.check('after gdb detaches, the console still answers', 'Virtual Memory Usage' in again, again.strip())

        # A kernel stopped at a breakpoint spins in the stopped prompt with interrupts off: gdb reads it there.
        bp = kd.command('bp ExAllocatePoolWithTag')
        run.send('pool alloc Gdbc 40\r')
        stopped = run.wait_for(r'Breakpoint 0 hit[\s\S]*\nkd> ', 20, since=len(run.text()) - 1)
        if not out.check('bp ExAllocatePoolWithTag, then pool alloc, stops the kernel at kd>', stopped,
                         f'{bp.strip()}; see {log}'):
            return
        vm = kd.command('!vm').strip('\n')
        output, views = attach(args.kernel, port_file, ['mm-vm', 'info symbol $eip', 'p/x $eflags & 0x200'])
        with open(os.path.join(LOG_DIR, 'gdb-console-gdb2.log'), 'w') as f:
            f.write(output)
        out.check('gdb attached to the stopped kernel finds it in the stopped prompt, interrupts off',
                  re.search(r'Kd|SerialReadPolled', views.get('info symbol $eip', '')) and    # the polling loop
                  '= 0x0' in views.get('p/x $eflags & 0x200', ''),
                  output[-800:])
        mine = views.get('mm-vm', '').strip('\n')
        out.check('on the stopped kernel mm-vm shows what the stopped prompt\'s !vm showed', mine and mine == vm,
                  f'gdb:\n{mine}\nkd>:\n{vm}')
        done = kd.command('g')
        out.check('g after gdb detached: the allocation finishes',
                  re.search(r"ExAllocatePoolWithTag\(Nonpaged, 0x40, 'Gdbc'\) = [0-9a-f]{8}", done), done.strip())
        kd.command('bc *')
        run.send('quit\r')
        run.wait_exit(10)


def ctrl_c_in_make_debug(args, out):
    log = os.path.join(LOG_DIR, 'gdb-console-debug.log')
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.executable, [sys.executable, os.path.join('tools', 'debug.py'), '--kernel', args.kernel,
                                   '--gdb', gdbsession.GDB])
    text = b''

    def until(pattern, timeout=30):
        nonlocal text
        deadline = time.monotonic() + timeout
        start = len(text)
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                text += chunk
            m = re.search(pattern, text[start:])
            if m:
                return m
        return None

    def ticks():
        os.write(fd, b'printf "ticks=%u\\n", (unsigned)KeTickCount64\n')
        m = until(rb'ticks=(\d+)')
        until(rb'\(gdb\) ', 5)
        return int(m.group(1)) if m else None

    try:
        out.check('make debug: gdb stops at the kernel entry', until(rb'\(gdb\) ', 60), text[-400:])
        os.write(fd, b'continue\n')
        time.sleep(2)
        os.write(fd, b'\x03')
        stopped = until(rb'SIGINT[\s\S]*\(gdb\) ', 20)
        out.check('make debug: Ctrl-C at the terminal stops the guest and gives gdb\'s prompt back', stopped,
                  text[-400:].decode(errors='replace'))
        first = ticks()
        os.write(fd, b'continue\n')
        time.sleep(1)
        os.write(fd, b'\x03')
        until(rb'SIGINT[\s\S]*\(gdb\) ', 20)
        second = ticks()
        out.check('make debug: continue resumes the guest (KeTickCount64 grows between two Ctrl-Cs)',
                  first is not None and second is not None and second > first, f'{first} then {second}')
        os.write(fd, b'quit\n')
        until(rb'\(y or n\) ', 5)
        os.write(fd, b'y\n')
        until(rb'$^', 3)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        with open(log, 'wb') as f:
            f.write(text)
    out.check('make debug: no Python traceback on Ctrl-C', b'Traceback' not in text, f'see {log}')


def run(args):
    out = checks.Outcomes()
    os.makedirs(LOG_DIR, exist_ok=True)
    console_and_gdb(args, out)
    ctrl_c_in_make_debug(args, out)
    return out


if __name__ == '__main__':
    sys.exit(checks.run_alone(run, __doc__))
