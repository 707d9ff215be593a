"""Start Bochs for mm386 and read its COM1: the second emulator of the test matrix.

Bochs models the TLB and descriptor caches more strictly than QEMU's TCG
(a stale translation or a segment loaded from a changed descriptor shows
there first), so the test matrix runs under it too. A Boot here has the
interface of qemu.Boot, with three differences that follow from Bochs:

- Bochs cannot load a multiboot kernel itself. Each boot gets a GRUB ISO of
  its own (tools/mkiso.py) whose only menu entry, booted at once, carries
  the boot's command line and module. The kernel on it is stripped of its
  debugging information (the symbol table the kernel prints backtraces
  with is a loaded section and stays): GRUB reads the whole file into
  memory, and the 8 MB boot would have no room for it. A GRUB that fails
  to boot its entry ends the boot at once, with no verdict.
- COM1 goes to a file (Bochs's `mode=file`), read as it grows; nothing can
  be typed to the guest, so host checks that drive the kd> prompt stay
  QEMU's.
- Bochs's exit status carries no verdict: the kernel leaves through port
  0x8900 ("Shutdown"), and Bochs exits 1 however the run went. The kernel
  prints `# ktest: verdict pass|fail` just before (kernel/ktest/ktest.c);
  wait_exit turns that line into the status QEMU's isa-debug-exit would
  have given (qemu.EXIT_SUCCESS or qemu.EXIT_FAILURE), and a Bochs that
  ends without it (a triple fault: reset_on_triple_fault=0 makes that a
  panic) into status 0, "stopped without a verdict", as QEMU's -no-reboot.

Debian's Bochs 2.7 has two displays, wx (needs X) and rfb (a VNC server):
the boot uses rfb without waiting for a viewer, inside a network namespace
of its own when `unshare` allows it, so its VNC port is reachable by no one.
Its sound plugin crashes without an ALSA device, so sound is the dummy
driver. The Debian Bochs is built with its debugger, which waits for a
command at reset: a command file says `continue`.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
import bootmodules  # noqa: E402

BOCHS = os.environ.get('BOCHS', 'bochs')
OBJCOPY = os.environ.get('OBJCOPY', 'i686-linux-gnu-objcopy')
BIOS = '/usr/share/bochs/BIOS-bochs-latest'
VGA_BIOS = '/usr/share/vgabios/vgabios.bin'
TOOLS = os.path.dirname(os.path.abspath(__file__))
VERDICT = re.compile(r'^# ktest: verdict (pass|fail)$', re.M)
GRUB_FAILED = re.compile(r'Failed to boot both default and fallback entries')

GRUB_CFG = """serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
set default=0
menuentry "mm386 @ARGS@" {
    multiboot /boot/mm386.elf @ARGS@
@MODULE@    boot
}
"""

_unshare = None


def isolation():
    """The command prefix that gives Bochs a network namespace of its own, or [] if none can be had."""
    global _unshare
    if _unshare is None:
        _unshare = []
        if shutil.which('unshare'):
            for prefix in (['unshare', '--net'], ['unshare', '--net', '--map-root-user']):
                if subprocess.run(prefix + ['true'], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode == 0:
                    _unshare = prefix
                    break
    return _unshare


def megabytes(size):
    """QEMU's size notation (128M, 3G) in MB."""
    n = int(size[:-1])
    return n * 1024 if size.upper().endswith('G') else n


def make_iso(kernel, append, module, output):
    """A GRUB ISO whose single entry boots kernel, stripped of debugging information, with append (and module)."""
    stripped = os.path.join(os.path.dirname(output), 'mm386.elf')
    r = subprocess.run([OBJCOPY, '--strip-debug', kernel, stripped], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'objcopy --strip-debug failed: {r.stdout.strip()}')
    kernel = stripped
    modules = module.split(',') if module else []
    cfg = GRUB_CFG.replace('@MODULE@', ''.join(f'    module /boot/{os.path.basename(m)} {os.path.basename(m)}\n'
                                               for m in modules))
    with tempfile.NamedTemporaryFile('w', suffix='.cfg', dir=os.path.dirname(output), delete=False) as f:
        f.write(cfg)
    try:
        cmd = [sys.executable, os.path.join(TOOLS, 'mkiso.py'), '--kernel', kernel, '--cfg', f.name,
               '--args', append, '-o', output]
        for m in modules:
            cmd += ['--module', m]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError(f'mkiso failed: {r.stdout.strip()}')
    finally:
        os.unlink(f.name)


def bochsrc(memory, iso, serial_log, bochs_log, cpu=None):
    mb = megabytes(memory)
    # Above 2 GB Bochs wants the guest size apart from the host memory backing it (at most 2048).
    ram = f'megs: {mb}' if mb <= 2048 else f'memory: guest={mb}, host=2048'
    lines = [
        ram,
        f'romimage: file={BIOS}',
        f'vgaromimage: file={VGA_BIOS}',
        f'ata0-master: type=cdrom, path={iso}, status=inserted',
        'boot: cdrom',
        f'com1: enabled=1, mode=file, dev={serial_log}',
        'display_library: rfb, options="timeout=0"',
        'sound: driver=dummy',
        'speaker: enabled=0',
        'clock: sync=none, time0=local',
        'cpu: reset_on_triple_fault=0',
        f'log: {bochs_log}',
        'panic: action=fatal',
        'error: action=report',
        'info: action=ignore',
        'debug: action=ignore',
    ]
    if cpu:
        lines.append(cpu)
    return '\n'.join(lines) + '\n'


class Boot:
    """One Bochs process booting the kernel through GRUB. Use as a context manager."""

    def __init__(self, log_path, memory='128M', kernel=None, iso=None, append='', initrd=None,
                 cpu=None, **unused):
        # iso: ignored; every Bochs boot makes its own (the command line lives in its grub.cfg).
        self.log_path = log_path
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        base = os.path.splitext(log_path)[0]
        self.work = tempfile.mkdtemp(prefix='bochs-', dir=os.path.dirname(log_path))
        self.iso = os.path.join(self.work, 'boot.iso')
        self.serial = log_path
        self.bochs_log = base + '.bochs.log'
        self.output = b''
        self.proc = None
        self.started = time.monotonic()
        open(self.serial, 'wb').close()
        make_iso(kernel, append, bootmodules.initrd() if initrd is None else initrd, self.iso)
        rc = os.path.join(self.work, 'bochsrc')
        with open(rc, 'w') as f:
            f.write(bochsrc(memory, self.iso, self.serial, self.bochs_log, cpu))
        commands = os.path.join(self.work, 'debugger.rc')
        with open(commands, 'w') as f:
            f.write('continue\nquit\n')
        self.cmd = isolation() + [BOCHS, '-q', '-f', rc, '-rc', commands]
        self.stdout = open(base + '.bochs.out', 'wb')
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.stdout,
                                     stderr=subprocess.STDOUT)
        self.serial_file = open(self.serial, 'rb')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        self.serial_file.close()
        self.stdout.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def text(self):
        return self.output.decode('utf-8', 'replace').replace('\r', '')

    def _pump(self, timeout):
        """Reads what COM1 has written within timeout seconds; False once Bochs has exited and all is read."""
        deadline = time.monotonic() + timeout
        while True:
            chunk = self.serial_file.read()
            if chunk:
                self.output += chunk
                return True
            if self.proc.poll() is not None:
                chunk = self.serial_file.read()
                self.output += chunk
                return bool(chunk)
            if time.monotonic() >= deadline:
                return True
            time.sleep(0.05)

    def wait_for(self, pattern, timeout, since=0):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.text(), since)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0 or not self._pump(min(left, 0.5)):
                return regex.search(self.text(), since)

    def send(self, text):
        raise NotImplementedError('Bochs boots take no input on COM1 (mode=file)')

    def wait_exit(self, timeout):
        """Collects COM1 until Bochs exits; returns the status QEMU would have given, or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                return None
            if not self._pump(min(left, 0.5)):
                break
            if GRUB_FAILED.search(self.text()):
                self.kill()         # GRUB waits for a key that will never come
                break
        verdicts = VERDICT.findall(self.text())
        if not verdicts:
            return 0
        return qemu.EXIT_SUCCESS if verdicts[-1] == 'pass' else qemu.EXIT_FAILURE

    def elapsed(self):
        return time.monotonic() - self.started

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
