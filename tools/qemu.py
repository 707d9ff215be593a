"""Start QEMU for mm386 and talk to its COM1.

Shared by the test runner, the benchmark runner, the kd> session test and
`make debug`. A Boot runs one QEMU with COM1 on a pipe: everything the
kernel prints is appended to a log file as it arrives, and the caller can
wait for text and send keystrokes. QEMU's exit status tells the verdict:
the kernel writes KTEST_EXIT_SUCCESS (0x10) or KTEST_EXIT_FAILURE (0x11) to
isa-debug-exit, which exits with status (value << 1) | 1; a triple fault
with -no-reboot exits with status 0.
"""
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootmodules  # noqa: E402

QEMU = os.environ.get('QEMU', 'qemu-system-i386')
EXIT_SUCCESS = (0x10 << 1) | 1
EXIT_FAILURE = (0x11 << 1) | 1


def describe_exit(status):
    if status == EXIT_SUCCESS:
        return 'success'
    if status == EXIT_FAILURE:
        return 'failure reported by the kernel'
    if status == 0:
        return 'QEMU stopped without a verdict (triple fault or reset)'
    if status is None:
        return 'timeout'
    return f'QEMU exited with status {status}'


class Boot:
    """One QEMU process. Use as a context manager; the log is always closed."""

    def __init__(self, log_path, memory='128M', kernel=None, iso=None, append='',
                 extra=(), icount=False, gdb_server=False, initrd=None, reset_exits=True, cpu=None):
        # reset_exits: -no-reboot, so a reset (or triple fault) ends QEMU with status 0.
        # cpu: a -cpu model (e.g. 'qemu32,-pge,-sep'), or None for QEMU's default.
        cmd = [QEMU, '-m', memory, '-display', 'none'] + (['-no-reboot'] if reset_exits else []) + \
              ['-monitor', 'none',
               '-serial', 'stdio', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04']
        if cpu:
            cmd += ['-cpu', cpu]
        if icount:
            cmd += ['-icount', 'shift=0,sleep=off']
        if gdb_server:
            cmd += ['-s', '-S']
        if iso:
            cmd += ['-cdrom', iso, '-boot', 'd']
        else:
            cmd += ['-kernel', kernel]
            if append:
                cmd += ['-append', append]
            # Every direct boot carries the boot modules (tools/bootmodules.py) unless told which, or '' for none.
            initrd = bootmodules.initrd(os.path.dirname(kernel) or '.') if initrd is None else initrd
            if initrd:
                cmd += ['-initrd', initrd]
        cmd += list(extra)
        self.cmd = cmd
        self.log_path = log_path
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        self.log = open(log_path, 'wb')
        self.output = b''
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.started = time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        self.log.close()

    def text(self):
        return self.output.decode('utf-8', 'replace').replace('\r', '')

    def _pump(self, timeout):
        """Reads what is available within timeout seconds; False once QEMU has closed stdout."""
        ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, timeout))
        if not ready:
            return True
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            return False
        self.output += chunk
        self.log.write(chunk)
        self.log.flush()
        return True

    def wait_for(self, pattern, timeout, since=0):
        """Waits until the output (from offset `since` of text()) matches pattern; returns the match or None."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.text(), since)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0 or not self._pump(min(left, 0.5)):
                m = regex.search(self.text(), since)
                return m

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait_exit(self, timeout):
        """Collects output until QEMU exits; returns its status, or None on timeout (QEMU is killed)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                return None
            if not self._pump(min(left, 0.5)):
                break
        try:
            return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def elapsed(self):
        return time.monotonic() - self.started

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
