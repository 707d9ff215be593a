#!/usr/bin/env python3
"""Draw a live VAD tree as SVG, from the kernel's own !vad output.

The kernel boots to its kd> prompt; a script of `vm` commands (the teaching
aid of mm/kdvad.c, which calls NtAllocateVirtualMemory and friends) gives
the prompt's process a user range shaped like a small program's: a stack
reservation with its top committed and a guard page below, a heap, an
image-sized reservation, a few pages taken top-down where the PEB and TEBs
would be. Then `!vad` prints the tree in address order with each node's
depth, and this tool rebuilds the tree from that listing (in-order
positions and depths determine a binary tree) and draws it: one box per
VAD with its first and last page number, its commit charge and its
protection, joined to its children. Pool addresses are left out, so the
picture depends only on the script and on the rules the kernel follows.

    tools/vadsvg.py --kernel build/mm386.elf --write docs     # make diagrams
    tools/vadsvg.py --kernel build/mm386.elf --check docs     # what the test run does

Python standard library only.
"""
import argparse
import os
import re
import sys
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

PICTURE = 'vad-tree.svg'
MEMORY = '128M'
# The user range the picture shows: what a small program would have.
SCRIPT = [
    'vm alloc 0 100000 reserve readwrite',              # a 1 MB stack reservation at 64 KB
    'vm alloc f0000 10000 commit readwrite',            # its top 64 KB committed
    'vm alloc ef000 1000 commit readwrite+guard',       # and the guard page below
    'vm alloc 0 40000 reserve+commit readwrite',        # a heap
    'vm alloc 400000 30000 reserve readonly',           # where an image would be mapped
    'vm alloc 401000 1f000 commit execute_read',        # its code
    'vm alloc 0 10000 reserve+commit+topdown readwrite',    # top-down, as the PEB and TEBs are placed
    'vm alloc 0 10000 reserve+commit+topdown readwrite',
    'vm alloc 0 2000 reserve+commit readonly',
    'vm alloc 0 8000 reserve+commit readwrite+nocache',
    'vm alloc 20000000 1000000 reserve noaccess',       # a big reservation, nothing committed
    'vm alloc 20000000 10000 commit readwrite',
    'vm touch fffff write',                             # the stack's top page comes in
    'vm touch 110000 write',
]

ROW = re.compile(r'^([0-9a-f]{8}) \(\s*(\d+)\)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+) (Private|Mapped) (.{4}) (\S.*)$', re.M)
TOTAL = re.compile(r'^Total VADs:\s+(\d+)\s+average level:\s+(\d+)\s+maximum depth: (\d+)$', re.M)

BOX_WIDTH, BOX_HEIGHT, COLUMN, LEVEL_HEIGHT = 124, 54, 132, 92
TOP, LEFT = 96, 20


def parse(listing):
    """!vad's rows: [dict(level, start, end, commit, kind, phys, protection)] in address order, and the totals."""
    rows = [dict(level=int(level), start=int(start, 16), end=int(end, 16), commit=int(commit), kind=kind,
                 phys=phys.strip(), protection=protection.strip())
            for _, level, start, end, commit, kind, phys, protection in ROW.findall(listing)]
    total = TOTAL.search(listing)
    if not rows or not total or int(total.group(1)) != len(rows):
        raise ValueError('no !vad listing with its totals in the output')
    return rows, total.group(0)


def tree(rows, first, last, level):
    """The index of the subtree root among rows[first:last] (in order, at depth level), its children linked."""
    if first >= last:
        return None
    roots = [i for i in range(first, last) if rows[i]['level'] == level]
    if len(roots) != 1:
        raise ValueError(f'the listing is not a binary tree in order (level {level}, rows {first}..{last})')
    root = roots[0]
    rows[root]['left'] = tree(rows, first, root, level + 1)
    rows[root]['right'] = tree(rows, root + 1, last, level + 1)
    return root


def colour(row):
    if row['commit'] == 0:
        return '#eeeeee'         # reserved only
    if 'GUARD' in row['protection']:
        return '#f9cb9c'
    return '#cfe2f3' if 'READWRITE' in row['protection'] else '#d9ead3'


def render(rows, totals):
    depth = max(r['level'] for r in rows)
    width = LEFT * 2 + COLUMN * len(rows)
    height = TOP + (depth + 1) * LEVEL_HEIGHT + 30 + 16 * len(SCRIPT) + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="20" y="28" font-size="17" font-weight="bold">A live VAD tree: the AVL tree of one process\'s '
        'reservations</text>',
        '<text x="20" y="48" fill="#555">drawn by tools/vadsvg.py from the kernel\'s !vad after the `vm` calls '
        'listed below; each box: first-last page number (VPN), commit charge, protection it was reserved with</text>',
        f'<text x="20" y="66" fill="#555">{escape(totals)}; left to right is address order, top to bottom '
        'the depth in the tree</text>',
    ]

    def centre(i):
        return LEFT + i * COLUMN + COLUMN / 2, TOP + rows[i]['level'] * LEVEL_HEIGHT

    for i, row in enumerate(rows):
        x, y = centre(i)
        for child in (row.get('left'), row.get('right')):
            if child is not None:
                cx, cy = centre(child)
                out.append(f'<line x1="{x:.1f}" y1="{y + BOX_HEIGHT:.1f}" x2="{cx:.1f}" y2="{cy:.1f}" '
                           'stroke="#666" stroke-width="1"/>')
    for i, row in enumerate(rows):
        x, y = centre(i)
        out.append(f'<rect x="{x - BOX_WIDTH / 2:.1f}" y="{y:.1f}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="4" '
                   f'fill="{colour(row)}" stroke="#555" stroke-width="0.8"/>')
        lines = [f'{row["start"]:x}-{row["end"]:x}',
                 f'commit {row["commit"]}' + (' (Phys)' if row['phys'] else ''),
                 row['protection'].replace(' ', '+')]
        for j, text in enumerate(lines):
            family = ' font-family="DejaVu Sans Mono, monospace" font-weight="bold"' if j == 0 else ''
            out.append(f'<text x="{x:.1f}" y="{y + 16 + 15 * j:.1f}" text-anchor="middle"{family}>'
                       f'{escape(text)}</text>')
    y = TOP + (depth + 1) * LEVEL_HEIGHT + 10
    out.append(f'<text x="20" y="{y}" font-weight="bold">typed at kd&gt; (in the system process) before !vad:</text>')
    for j, command in enumerate(SCRIPT):
        out.append(f'<text x="30" y="{y + 18 + 16 * j}" font-family="DejaVu Sans Mono, monospace">'
                   f'{escape(command)}</text>')
    out.append(f'<text x="20" y="{y + 18 + 16 * len(SCRIPT) + 20}" fill="#555">regenerate with `make diagrams`; '
               'the test run fails when this picture no longer matches the kernel</text>')
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def vad_listing(kernel, log):
    """Boots to the prompt, runs SCRIPT, returns !vad's output."""
    with qemu.Boot(log, memory=MEMORY, kernel=kernel) as boot:
        if not boot.wait_for(r'\nkd> ', 30):
            raise RuntimeError(f'the kernel did not reach its prompt; see {log}')
        for command in SCRIPT + ['!vad']:
            start = len(boot.text())
            boot.send(command + '\r')
            if not boot.wait_for(r'\nkd> ', 10, since=start):
                raise RuntimeError(f'no prompt after {command!r}; see {log}')
        text = boot.text()
        boot.send('quit\r')
        boot.wait_exit(10)
    return text[text.rfind('!vad'):]


def picture(kernel):
    log = os.path.join('build', 'diagrams', 'vad-tree.log')
    os.makedirs(os.path.dirname(log), exist_ok=True)
    rows, totals = parse(vad_listing(kernel, log))
    tree(rows, 0, len(rows), 0)
    return render(rows, totals)


def check(args):
    """The test runner's check: the committed picture equals what the kernel's !vad draws now."""
    path = os.path.join('docs', PICTURE)
    try:
        svg = picture(args.kernel)
        with open(path) as f:
            ok = f.read() == svg
        detail = '' if ok else f'{path} differs from the tree the kernel lists now; run `make diagrams`'
    except (OSError, ValueError, RuntimeError) as e:
        ok, detail = False, str(e)
    return [(f'{path} matches the kernel\'s !vad', ok, detail)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', required=True, help='boot this kernel to draw its VAD tree')
    ap.add_argument('--write', metavar='DIR', help='write the picture into DIR')
    ap.add_argument('--check', metavar='DIR', help='compare the picture with the one in DIR')
    a = ap.parse_args()
    if not (a.write or a.check):
        ap.error('give --write or --check')
    svg = picture(a.kernel)
    path = os.path.join(a.write or a.check, PICTURE)
    if a.write:
        with open(path, 'w') as f:
            f.write(svg)
        print(f'vadsvg: wrote {path}')
        return 0
    same = os.path.exists(path) and open(path).read() == svg
    print(f'vadsvg: {path} {"matches" if same else "DIFFERS from"} the kernel\'s !vad')
    return 0 if same else 1


if __name__ == '__main__':
    sys.exit(main())
