#!/usr/bin/env python3
"""make run: boot mm386 in QEMU with COM1 on this terminal.

Plain `make run` hands the terminal to QEMU (-serial mon:stdio: Ctrl-A X
leaves, Ctrl-A C is QEMU's monitor) and boots the GRUB ISO, whose menu
waits three seconds. The options:

  GDB=1        QEMU's gdb server listens on a local port, printed first and
               written to build/gdb-port; `make gdb` in a second terminal
               attaches with the mm-* commands loaded, while COM1 stays
               interactive here. (xv6 calls this `make qemu-gdb`, which is
               an alias.)
  KD=FILE      a file of kd> commands is typed at the prompt after boot,
               one line at a time, each after the previous one's prompt
               came back; then the terminal is yours. Lines starting with #
               are comments and are not sent.
  NOMENU=1     GRUB boots its first entry at once (timeout 0), so nothing
               can be typed into its menu; KD= implies it.

With KD= the terminal is relayed through this script (raw mode: every key,
Ctrl-C and the arrows included, goes to the kernel as typed; Ctrl-A X
still leaves QEMU), because the script must see the prompt to type.
"""
import argparse
import os
import re
import select
import subprocess
import sys
import termios
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

PROMPT = re.compile(rb'(^|\n)kd> $')
BOOT_TIMEOUT = 120


def free_port(preferred):
    import socket
    for port in [preferred] + [0]:
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
                return s.getsockname()[1]
            except OSError:
                continue
    raise RuntimeError('no free port for the gdb server')


def read_script(path):
    with open(path) as f:
        return [line.rstrip('\n') for line in f if line.strip() and not line.lstrip().startswith('#')]


def relay(cmd, script):
    """Runs QEMU with COM1 on pipes: types the script at the prompt, then relays the terminal."""
    vm = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    tty_in = sys.stdin.isatty()
    saved = termios.tcgetattr(sys.stdin) if tty_in else None
    pending = list(script)
    seen = b''
    try:
        if tty_in:
            tty.setraw(sys.stdin.fileno())
        inputs = [vm.stdout] + ([sys.stdin] if tty_in else [])
        while True:
            ready, _, _ = select.select(inputs, [], [], 0.5)
            if vm.stdout in ready:
                chunk = os.read(vm.stdout.fileno(), 65536)
                if not chunk:
                    break
                os.write(sys.stdout.fileno(), chunk)      # the kernel writes \r\n already
                seen = (seen + chunk)[-64:]
                if pending and PROMPT.search(seen.replace(b'\r', b'')):
                    vm.stdin.write(pending.pop(0).encode() + b'\r')
                    vm.stdin.flush()
                    seen = b''
            if tty_in and sys.stdin in ready:
                data = os.read(sys.stdin.fileno(), 1024)
                if not data:
                    break
                vm.stdin.write(data)
                vm.stdin.flush()
            if vm.poll() is not None and vm.stdout not in ready:
                break
    finally:
        if saved is not None:
            termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)
        if vm.poll() is None:
            if not tty_in and not pending:
                vm.wait()
            else:
                vm.kill()
    return vm.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', default='build/mm386.elf')
    ap.add_argument('--iso', default='build/mm386-run.iso')
    ap.add_argument('--module', action='append', default=[], help='a boot module (repeated: every one)')
    ap.add_argument('--args', default='')
    ap.add_argument('--mem', default='128M')
    ap.add_argument('--gdb', action='store_true', help='open the gdb server (GDB=1)')
    ap.add_argument('--gdb-port', type=int, default=int(os.environ.get('GDBPORT', '1234')),
                    help='the port to try first (another is taken if it is busy; 0: any)')
    ap.add_argument('--port-file', help='where to write the port (default: gdb-port beside the kernel)')
    ap.add_argument('--kd', help='a file of kd> commands to type after boot (KD=)')
    ap.add_argument('--nomenu', action='store_true', help='GRUB boots its first entry at once (NOMENU=1)')
    a = ap.parse_args()

    timeout = 0 if (a.nomenu or a.kd) else 3
    build = os.path.dirname(a.kernel) or '.'
    r = subprocess.run([sys.executable, os.path.join('tools', 'mkiso.py'), '--kernel', a.kernel, '--cfg',
                        os.path.join('iso', 'grub.cfg'), *[f'--module={m}' for m in a.module], '--args', a.args,
                        '--timeout', str(timeout), '-o', a.iso])
    if r.returncode:
        return r.returncode
    cmd = [qemu.QEMU, '-cdrom', a.iso, '-m', a.mem, '-display', 'none', '-serial', 'mon:stdio',
           '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']
    if a.gdb:
        port = free_port(a.gdb_port)
        cmd += ['-gdb', f'tcp:127.0.0.1:{port}']
        port_file = a.port_file or os.path.join(build, 'gdb-port')
        with open(port_file, 'w') as f:
            f.write(f'{port}\n')
        print(f'run: QEMU\'s gdb server is on localhost:{port}; in another terminal, `make gdb` attaches '
              f'(it reads the port from {port_file}). COM1 stays here.', flush=True)
    if a.kd:
        script = read_script(a.kd)
        print(f'run: typing {len(script)} line(s) of {a.kd} at the kd> prompt, then the terminal is yours '
              f'(Ctrl-A X leaves QEMU)', flush=True)
        status = relay(cmd, script)
    else:
        status = subprocess.call(cmd)
    # isa-debug-exit's statuses (quit, a test run's verdict) are not errors of `make run`.
    return 0 if status in (0, qemu.EXIT_SUCCESS, qemu.EXIT_FAILURE) else status


if __name__ == '__main__':
    sys.exit(main())
