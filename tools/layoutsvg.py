#!/usr/bin/env python3
"""Draw the virtual address space layout as SVG, from the kernel's own boot table.

At boot mm/mminit.c prints the layout of the running split ("Virtual address
space: ..." and one row per region: start, end, size, NT's variable, what
lives there). This tool boots the kernel in QEMU (or reads a serial log),
parses that table and draws it: on the left the 4 GB to scale, on the right
one row per region, joined by a line to its place on the scale. Nothing is
copied by hand, so the pictures cannot drift from the code without the test
run noticing.

Some regions' bounds depend on the amount of RAM (the PFN database, the
nonpaged pool), so the pictures are always drawn from a 128 MB boot, and the
SVG depends on nothing but the printed table.

    tools/layoutsvg.py --kernel build/mm386.elf --write docs     # make diagrams
    tools/layoutsvg.py --log build/test/3gb-128m.log -o out.svg  # from a log
    tools/layoutsvg.py --kernel build/mm386.elf --check docs     # what the test run does

Python standard library only.
"""
import argparse
import os
import re
import sys
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

MEMORY = '128M'
# The pictures: file name, boot switches.
PICTURES = [
    ('layout-2gb.svg', ''),
    ('layout-3gb.svg', '/3GB'),
]

TITLE = re.compile(r'^Virtual address space: (.*)$', re.M)
ROW = re.compile(r'^  ([0-9a-f]{8})  ([0-9a-f]{8})  +(\S+ [KM]B)  (\S+)\s+(\S.*)$')
SUMMARY = re.compile(r'^  (system PTEs: .*)$', re.M)

# Fill colours by what lives in a region, first match wins.
COLOURS = [
    ('user space', '#cfe2f3'),
    ('no-access', '#eeeeee'),
    ('page tables', '#d9d2e9'),
    ('hyperspace', '#d9d2e9'),
    ('working set', '#d9d2e9'),
    ('system cache', '#fff2cc'),
    ('views', '#fce5cd'),
    ('session', '#fce5cd'),
    ('boot images', '#f4cccc'),
    ('paged pool', '#d9ead3'),
    ('nonpaged pool', '#b6d7a8'),
    ('system PTEs', '#f9cb9c'),
    ('PFN database', '#a2c4c9'),
]
OTHER_COLOUR = '#d9d9d9'

ROW_HEIGHT = 26
TOP = 84
BAR_X, BAR_WIDTH = 70, 110
ROWS_X = 250
WIDTH = 1060
FOUR_GB = 1 << 32


def parse_table(text):
    """The first layout table in a boot log: {'title', 'rows': [(start, end, size, variable, what)], 'summary'}."""
    m = TITLE.search(text)
    if not m:
        raise ValueError('no "Virtual address space:" table in the log')
    rows = []
    for line in text[m.end():].splitlines()[2:]:
        r = ROW.match(line)
        if not r:
            break
        rows.append((int(r.group(1), 16), int(r.group(2), 16), r.group(3), r.group(4), r.group(5)))
    if not rows:
        raise ValueError('the layout table has no rows')
    summary = SUMMARY.search(text, m.end())
    return {'title': m.group(1), 'rows': rows, 'summary': summary.group(1) if summary else ''}


def colour(what):
    for key, value in COLOURS:
        if key in what:
            return value
    return OTHER_COLOUR


def scale_y(address, height):
    return TOP + address * height / FOUR_GB


def render(table):
    """The SVG text for one parsed table. Deterministic: the same table gives the same bytes."""
    rows = table['rows']
    height = len(rows) * ROW_HEIGHT
    total = TOP + height + 70
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total}" '
        f'viewBox="0 0 {WIDTH} {total}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{total}" fill="white"/>',
        f'<text x="20" y="28" font-size="17" font-weight="bold">mm386 virtual address space: '
        f'{escape(table["title"])}</text>',
        '<text x="20" y="48" fill="#555">drawn by tools/layoutsvg.py from the table the kernel prints at boot '
        f'({MEMORY[:-1]} MB of RAM); left: the 4 GB to scale, right: every region</text>',
    ]
    # The scale: 0 at the top, 4 GB at the bottom, as the boot table reads.
    for gb in range(5):
        y = scale_y(gb << 30, height)
        out.append(f'<line x1="{BAR_X - 6}" y1="{y:.1f}" x2="{BAR_X}" y2="{y:.1f}" stroke="#333"/>')
        out.append(f'<text x="{BAR_X - 10}" y="{y + 4:.1f}" text-anchor="end">{gb} GB</text>')
    for i, (start, end, size, variable, what) in enumerate(rows):
        y0 = scale_y(start, height)
        y1 = max(scale_y(end + 1, height), y0 + 1)
        row_y = TOP + i * ROW_HEIGHT
        fill = colour(what)
        out.append(f'<rect x="{BAR_X}" y="{y0:.1f}" width="{BAR_WIDTH}" height="{y1 - y0:.1f}" '
                   f'fill="{fill}" stroke="#666" stroke-width="0.5"/>')
        bar_mid = (y0 + y1) / 2
        row_mid = row_y + ROW_HEIGHT / 2
        x0, x1 = BAR_X + BAR_WIDTH, ROWS_X - 4
        out.append(f'<path d="M{x0},{bar_mid:.1f} C{x0 + 35},{bar_mid:.1f} {x1 - 35},{row_mid:.1f} '
                   f'{x1},{row_mid:.1f}" fill="none" stroke="#888" stroke-width="0.8"/>')
        out.append(f'<rect x="{ROWS_X}" y="{row_y + 2}" width="{WIDTH - ROWS_X - 20}" height="{ROW_HEIGHT - 4}" '
                   f'rx="3" fill="{fill}" stroke="#999" stroke-width="0.5"/>')
        text_y = row_y + ROW_HEIGHT / 2 + 4
        out.append(f'<text x="{ROWS_X + 8}" y="{text_y:.1f}" font-family="DejaVu Sans Mono, monospace">'
                   f'{start:08x}-{end:08x}</text>')
        out.append(f'<text x="{ROWS_X + 230}" y="{text_y:.1f}" text-anchor="end">{escape(size)}</text>')
        out.append(f'<text x="{ROWS_X + 245}" y="{text_y:.1f}" font-family="DejaVu Sans Mono, monospace" '
                   f'font-weight="bold">{escape(variable)}</text>')
        out.append(f'<text x="{ROWS_X + 475}" y="{text_y:.1f}">{escape(what)}</text>')
    # System space begins right after the no-access gap that MmUserProbeAddress starts.
    gap_end = next((e for _, e, _, v, _ in rows if v == 'MmUserProbeAddress'), None)
    if gap_end is not None:
        y = scale_y(gap_end + 1, height)
        out.append(f'<line x1="{BAR_X - 40}" y1="{y:.1f}" x2="{BAR_X + BAR_WIDTH + 10}" y2="{y:.1f}" '
                   f'stroke="#c00" stroke-width="1.5" stroke-dasharray="5,3"/>')
        out.append(f'<text x="{BAR_X + BAR_WIDTH / 2}" y="{y + 12:.1f}" text-anchor="middle" fill="#c00" '
                   f'font-size="10">MmSystemRangeStart</text>')
    if table['summary']:
        out.append(f'<text x="20" y="{TOP + height + 30}" fill="#333">{escape(table["summary"])}</text>')
    out.append(f'<text x="20" y="{TOP + height + 50}" fill="#555">regenerate with `make diagrams`; '
               'the test run fails when this picture no longer matches the kernel</text>')
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def boot_table(kernel, switches, log):
    """Boots the kernel to its kd> prompt with the given switches and returns the serial text."""
    with qemu.Boot(log, memory=MEMORY, kernel=kernel, append=switches) as boot:
        if not boot.wait_for(r'\nkd> ', 30):
            raise RuntimeError(f'the kernel did not reach its prompt; see {log}')
        boot.send('quit\r')
        boot.wait_exit(10)
        return boot.text()


def pictures(kernel):
    """[(file name, SVG text)] for every picture, each from a fresh boot."""
    result = []
    for name, switches in PICTURES:
        log = os.path.join('build', 'diagrams', name.replace('.svg', '.log'))
        result.append((name, render(parse_table(boot_table(kernel, switches, log)))))
    return result


def check(args):
    """The test runner's check: the committed pictures equal what the kernel draws now."""
    outcomes = []
    for name, svg in pictures(args.kernel):
        path = os.path.join('docs', name)
        try:
            with open(path) as f:
                committed = f.read()
        except OSError as e:
            committed = None
            detail = str(e)
        ok = committed == svg
        if committed is not None and not ok:
            detail = f'{path} differs from the layout the kernel prints now; run `make diagrams`'
        outcomes.append((f'{path} matches the boot layout table', ok, '' if ok else detail))
    return outcomes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', help='boot this kernel (128 MB, each split) for the tables')
    ap.add_argument('--write', metavar='DIR', help='write every picture into DIR')
    ap.add_argument('--check', metavar='DIR', help='compare every picture with the one in DIR')
    ap.add_argument('--log', help='draw the first table found in this serial log')
    ap.add_argument('-o', '--output', help='with --log: the SVG file to write')
    a = ap.parse_args()

    if a.log:
        with open(a.log, errors='replace') as f:
            svg = render(parse_table(f.read().replace('\r', '')))
        with open(a.output or '/dev/stdout', 'w') as f:
            f.write(svg)
        return 0
    if not a.kernel or not (a.write or a.check):
        ap.error('give --log, or --kernel with --write or --check')
    drawn = pictures(a.kernel)
    failed = 0
    for name, svg in drawn:
        if a.write:
            path = os.path.join(a.write, name)
            with open(path, 'w') as f:
                f.write(svg)
            print(f'layoutsvg: wrote {path}')
        if a.check:
            path = os.path.join(a.check, name)
            same = os.path.exists(path) and open(path).read() == svg
            print(f'layoutsvg: {path} {"matches" if same else "DIFFERS from"} the kernel\'s table')
            failed += not same
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
