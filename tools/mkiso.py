#!/usr/bin/env python3
"""Build a bootable GRUB ISO holding the mm386 kernel.

The ISO's grub.cfg is iso/grub.cfg with @ARGS@ replaced by extra boot
switches (make run ARGS="/MAXMEM=64"), each @MODULES@ line by a `module`
line per --module file (the boot modules: tools/bootmodules.py), and with
--timeout the menu's timeout (0 for make run NOMENU=1 or KD=: GRUB boots
its first entry at once, so nothing typed can land in its menu);
grub-mkrescue (grub-pc-bin, xorriso,
mtools) turns the staging folder into a BIOS-bootable image.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--cfg', required=True)
    ap.add_argument('--args', default='')
    ap.add_argument('--module', action='append', default=[],
                    help='a file to put in /boot/ for grub.cfg to load as a multiboot module')
    ap.add_argument('--timeout', type=int, help="GRUB's menu timeout in seconds (0: boot the first entry at once)")
    ap.add_argument('-o', '--output', required=True)
    a = ap.parse_args()

    with open(a.cfg) as f:
        cfg = f.read().replace('@ARGS@', a.args.strip())
    cfg = cfg.replace('@MODULES@\n', ''.join(f'    module /boot/{os.path.basename(m)} {os.path.basename(m)}\n'
                                             for m in a.module))
    if a.timeout is not None:
        cfg, n = re.subn(r'(?m)^set timeout=\d+$', f'set timeout={a.timeout}', cfg)
        if n != 1:
            sys.stderr.write(f'mkiso: {a.cfg} has no "set timeout=N" line to replace\n')
            return 1
    stage = tempfile.mkdtemp(prefix='mm386-iso-', dir=os.path.dirname(os.path.abspath(a.output)))
    try:
        os.makedirs(os.path.join(stage, 'boot', 'grub'))
        shutil.copy(a.kernel, os.path.join(stage, 'boot', 'mm386.elf'))
        for module in a.module:
            shutil.copy(module, os.path.join(stage, 'boot', os.path.basename(module)))
        with open(os.path.join(stage, 'boot', 'grub', 'grub.cfg'), 'w') as f:
            f.write(cfg)
        r = subprocess.run(['grub-mkrescue', '-o', a.output, stage],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stdout)
            sys.stderr.write('mkiso: grub-mkrescue failed\n')
            return r.returncode
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
