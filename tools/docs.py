#!/usr/bin/env python3
"""The kd> and gdb transcripts in the docs: made by booting, checked by booting.

A transcript in a page is a fenced block with a marker comment before it:

    <!-- transcript kd -->
    ```
    kd> !pte KiSystemStartup
    ...whatever the kernel printed...
    ```

The lines that start with `kd> ` (or `(gdb) ` in a gdb transcript) are
the commands; everything else in the block is output, and is never written
by hand: `make docs` (this script with --write) boots the kernel, types the
commands, and puts what came back under each. The test run's
`docs-transcripts` check does the same and fails when a page no longer says
what a fresh boot prints, naming the page, the block and the first line that
differs; the fix is `make docs` and a look at whether the prose around the
block still holds.

Options in the marker:
  boot="SWITCHES"   the boot's command line (default none: the 2 GB split)
  mem=SIZE          QEMU's -m (default 128M)
  session=NAME      a boot of its own even with the same switches (after a
                    block that crashed the machine, say)
  settle            wait until the zero page thread has zeroed every free
                    page (!vm twice the same) before the block's commands,
                    so the page-list counts are the same at every boot
  onlyN="REGEX"     of command N's output (1 = the block's first) keep the
                    lines matching REGEX; a run of lines left out is `...`
  at=prompt|entry   gdb: attach once the kernel is at kd> (default), or
                    start it halted at the kernel's entry
  $NAME="REGEX"     after each command of the block, the first group of
                    REGEX in its output (if it matches) becomes {NAME}
  waitN="REGEX"     after command N, wait for REGEX and the prompt after it
                    (a stop another thread causes), and show them with N
                    (nothing to wait for if the stop came first)
  afterN="REGEX"    after command N and its prompt, wait for output that comes
                    later (a program `start` began, printing as it runs) up to
                    the line matching REGEX, and show it with N (nothing to
                    wait for if that line came before the prompt did)
  runN="TEXT"       command N is typed as TEXT with each {NAME} replaced
                    ({NAME+4}: the value plus 4, both hex; {NAME+OTHER}:
                    the sum of two captured values),
                    and shown as typed: an address a command printed (a
                    pool block, a thread, a page) is used by a later one,
                    and the page never holds a number the build chose

A block that only says what to type — every line a command after `kd> `,
`(gdb) `, `make ` or `$ `, nothing that came back — is marked
`<!-- commands -->` instead, and is left as it is.

Every block of a page with the same boot (and kind) is typed into one boot,
in page order, so a block can use what an earlier one made (a pool block's
address, a breakpoint). Pages are independent of each other.

What may differ between two boots of one build, and is therefore compared
with the value masked (the committed transcript keeps the real one):
VARYING below, each with why. Everything else must match exactly; so a
change to the code that moves a function or a structure makes the check
fail until `make docs` is run, which is the point: the docs show what this
build prints.

Run alone: `python3 tools/docs.py` checks, `--write` regenerates, `--only
POOL` limits both to pages whose name contains POOL.
"""
import argparse
import concurrent.futures
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import gdbsession  # noqa: E402
import kdsession  # noqa: E402
import qemu  # noqa: E402

LOG_DIR = os.path.join('build', 'test')
PAGES = ['README.md'] + sorted(os.path.join('docs', f) for f in os.listdir('docs') if f.endswith('.md')) \
    if os.path.isdir('docs') else []
MARKER = re.compile(r'^<!-- transcript (kd|gdb)(.*?)-->\s*$')
PROMPTS = {'kd': 'kd> ', 'gdb': '(gdb) '}

# Values that differ between two boots of the same build: the clock and the scheduler's timing.
VARYING = [
    (re.compile(r'(?<=Ticks: )\d+'), 'clock ticks since a wait began'),
    (re.compile(r'(?<=Wait Start TickCount)\s+\d+'), 'the tick count when a wait began'),
    (re.compile(r'(?<=Context Switch Count)\s+\d+'), 'how often a thread has run so far'),
    (re.compile(r'(?<=UserTime)\s+\S+'), 'time charged to a thread'),
    (re.compile(r'(?<=KernelTime)\s+\S+'), 'time charged to a thread'),
    (re.compile(r'(?<=KeTickCount64 = )\d+'), 'the tick count'),
    (re.compile(r'(?<=ticks=)\d+'), 'the tick count'),
    (re.compile(r'(?<=^Priority )\d+'), 'a thread\'s current priority: its base plus a boost that decays'),
    (re.compile(r'(?<=PriorityDecrement )\d+'), 'the boost still to decay'),
    (re.compile(r'(?<= Quantum )-?\d+'), 'what is left of a thread\'s quantum'),
    (re.compile(r'(?<=RUNNING     priority )\d+'), 'the running thread\'s boosted priority'),
    (re.compile(r'(?<=# ktest: )\d+(?= instructions)'), 'instructions to the first test'),
    (re.compile(r'(?<=instructions from kernel entry to the first test \()\d+'), 'instructions from reset'),
    (re.compile(r'(?<=demand-zero pages touched in )\d+(?= ms)'), 'the time faults.exe took (NtGetTickCount)'),
]


def mask(line):
    for pattern, _ in VARYING:
        line = pattern.sub('#', line)
    return line


class Block:
    def __init__(self, page, kind, options, start, end, lines):
        self.page, self.kind, self.options = page, kind, options
        self.start, self.end = start, end          # line numbers of the fences (0-based)
        prompt = PROMPTS[kind]
        self.commands = []                          # [(command, [committed output lines])]
        for line in lines:
            if line.startswith(prompt):
                self.commands.append((line[len(prompt):], []))
            elif self.commands:
                self.commands[-1][1].append(line)
        self.fresh = None

    def key(self):
        return (self.kind, self.options.get('boot', ''), self.options.get('mem', '128M'),
                self.options.get('at', 'prompt'), self.options.get('session', ''))

    def render(self, outputs):
        prompt = PROMPTS[self.kind]
        lines = []
        for i, (command, _) in enumerate(self.commands):
            lines.append(prompt + command)
            lines += outputs[i]
        return lines


def parse_options(text):
    options = {}
    for word in shlex.split(text):
        name, _, value = word.partition('=')
        options[name] = value if _ else True
    return options


# A block of commands to type, with no output (what to try, not what came back), is marked so.
COMMANDS_MARKER = '<!-- commands -->'
TYPED = ('kd> ', '(gdb) ', 'make ', '$ ')


def parse(page):
    with open(page) as f:
        lines = f.read().split('\n')
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].startswith('```') and (i == 0 or not MARKER.match(lines[i - 1])):
            end = i + 1
            while end < len(lines) and not lines[end].startswith('```'):
                end += 1
            if i > 0 and lines[i - 1].strip() == COMMANDS_MARKER:
                typed_only = all(not line.strip() or line.startswith(TYPED) for line in lines[i + 1:end])
                if not typed_only:
                    raise ValueError(f'{page}:{i + 1}: a block marked {COMMANDS_MARKER} holds only lines to type '
                                     f'(starting with {", ".join(TYPED)}); what comes back is a transcript\'s')
            elif any(line.startswith(p) for line in lines[i + 1:end] for p in PROMPTS.values()):
                raise ValueError(f'{page}:{i + 1}: a block with kd> or (gdb) lines and no transcript marker: '
                                 f'transcripts are made by booting (see tools/docs.py), never by hand')
            i = end + 1
            continue
        m = MARKER.match(lines[i])
        if m:
            if i + 1 >= len(lines) or not lines[i + 1].startswith('```'):
                raise ValueError(f'{page}:{i + 1}: a transcript marker must be followed by a ``` block')
            end = i + 2
            while end < len(lines) and not lines[end].startswith('```'):
                end += 1
            block = Block(page, m.group(1), parse_options(m.group(2)), i + 1, end, lines[i + 2:end])
            if not block.commands:
                raise ValueError(f'{page}:{i + 1}: a transcript block with no {PROMPTS[block.kind]!r} line')
            blocks.append(block)
            i = end
        i += 1
    return lines, blocks


def only(output, regex):
    """The lines of output matching regex, `...` for each run of lines left out."""
    kept, skipping = [], False
    for line in output:
        if re.search(regex, line):
            kept.append(line)
            skipping = False
        elif not skipping:
            kept.append('...')
            skipping = True
    return kept


def clean(text):
    """A command's output as lines: no trailing blanks, no trailing empty lines."""
    lines = [line.rstrip() for line in text.split('\n')]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def substitute(block, n, command, captured):
    """The text to type for command n: its runN template with the captured values, or the command as written."""
    text = block.options.get(f'run{n}', command)

    def value(m):
        if m.group(1) not in captured:
            raise RuntimeError(f'{block.page}:{block.start}: command {n} ({text}) needs {{{m.group(1)}}}: '
                               f'nothing captured it')
        if not m.group(2):
            return captured[m.group(1)]
        # {NAME+hex}: an address further on; {NAME+OTHER}: the sum of two captures (a base and an offset).
        term = int(captured[m.group(3)], 16) if m.group(3) in captured else int(m.group(3), 16)
        return '%x' % (int(captured[m.group(1)], 16) + (term if m.group(2) == '+' else -term))
    return re.sub(r'\{([A-Z_0-9]+)(?:([+-])([0-9a-fA-F]+|[A-Z_][A-Z_0-9]*))?\}', value, text)


def capture(block, output, captured):
    for name, regex in block.options.items():
        if name.startswith('$'):
            m = re.search(regex, '\n'.join(output), re.M)
            if m:
                captured[name[1:]] = m.group(1)


def typed(boot, line, timeout=120):
    """Types a line at the prompt; returns its output (the echo left out) and where the next prompt ends.
    A line ending in ^C is typed with Ctrl-C instead of Enter, as the page shows it."""
    start = len(boot.text())
    boot.send(line[:-2] + '\x03' if line.endswith('^C') else line + '\r')
    m = boot.wait_for(kdsession.PROMPT.pattern, timeout, since=start)
    if not m:
        raise RuntimeError(f'no prompt after {line!r}; see {boot.log_path}')
    output = boot.text()[start:m.start()]
    return (output.split('\n', 1)[1] if '\n' in output else ''), m.end()


def run_kd(blocks, kernel, log):
    options = blocks[0].options
    append = options.get('boot', '')
    captured = {}
    with qemu.Boot(log, memory=options.get('mem', '128M'), kernel=kernel, append=append) as boot:
        kd = kdsession.Session(boot)
        if not kd.ready:
            raise RuntimeError(f'no kd> prompt; see {log}')
        for block in blocks:
            if block.options.get('settle'):
                gdbsession.settle(kd)
            for n, (command, _) in enumerate(block.commands, 1):
                text = substitute(block, n, command, captured)
                output, start = typed(boot, text)
                if f'wait{n}' in block.options and not re.search(block.options[f'wait{n}'], output):
                    # (Unless the stop came before the running prompt could: its prompt ended the command.)
                    m = boot.wait_for(block.options[f'wait{n}'] + r'[\s\S]*?\nkd> ', 60, since=start)
                    if not m:
                        raise RuntimeError(f'{block.page}:{block.start}: after command {n}, no '
                                           f'/{block.options[f"wait{n}"]}/; see {log}')
                    later = boot.text()[start:m.end() - len('\nkd> ')].lstrip('\r\n')
                    output = output + '\n' + later if output.strip() else later
                if f'after{n}' in block.options and not re.search(block.options[f'after{n}'], output):
                    # (Unless it all came before the prompt did: a short program can finish first.)
                    m = boot.wait_for(block.options[f'after{n}'] + r'[^\n]*\n', 60, since=start)
                    if not m:
                        raise RuntimeError(f'{block.page}:{block.start}: after command {n}, no '
                                           f'/{block.options[f"after{n}"]}/; see {log}')
                    later = boot.text()[start:m.end()].rstrip('\n').lstrip('\r\n')
                    output = output + '\n' + later if output.strip() else later
                output = clean(output)
                capture(block, output, captured)
                if f'only{n}' in block.options:
                    output = only(output, block.options[f'only{n}'])
                block.commands[n - 1] = (text, block.commands[n - 1][1])
                block.outputs = getattr(block, 'outputs', []) + [output]
            block.fresh = block.render(block.outputs)
        boot.send('quit\r')
        boot.wait_exit(10)


def run_gdb(blocks, kernel, log):
    options = blocks[0].options
    port = gdbsession.free_port()
    at_entry = options.get('at') == 'entry'
    extra = ['-gdb', f'tcp:127.0.0.1:{port}'] + (['-S'] if at_entry else [])
    with qemu.Boot(log, memory=options.get('mem', '128M'), kernel=kernel, append=options.get('boot', ''),
                   extra=extra) as boot:
        if not at_entry:
            kd = kdsession.Session(boot)
            if not kd.ready:
                raise RuntimeError(f'no kd> prompt; see {log}')
            gdbsession.settle(kd)
        commands = [c for b in blocks for c, _ in b.commands]
        script = ['set pagination off', 'set confirm off', 'set architecture i386', 'set tcp connect-timeout 20',
                  f'target remote 127.0.0.1:{port}', 'source tools/gdb/mm386.py']
        for c in commands:
            script += [f'echo {gdbsession.MARK}\\n', c]
        script += [f'echo {gdbsession.MARK}\\n', 'detach']
        argv = [gdbsession.GDB, '-nx', '-batch', '-q', kernel]
        for line in script:
            argv += ['-ex', line]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        parts = r.stdout.split(gdbsession.MARK + '\n')[1:]
        i = 0
        for block in blocks:
            outputs = []
            for n, _ in enumerate(block.commands, 1):
                output = clean(parts[i] if i < len(parts) else '(gdb printed nothing)')
                if f'only{n}' in block.options:
                    output = only(output, block.options[f'only{n}'])
                outputs.append(output)
                i += 1
            block.fresh = block.render(outputs)


def regenerate(page, blocks, kernel):
    """Boots once per session of the page and fills every block's fresh transcript."""
    sessions = {}
    for b in blocks:
        sessions.setdefault(b.key(), []).append(b)
    name = os.path.splitext(os.path.basename(page))[0].lower()
    for n, (key, members) in enumerate(sessions.items()):
        log = os.path.join(LOG_DIR, f'docs-{name}-{n}.log')
        (run_kd if key[0] == 'kd' else run_gdb)(members, kernel, log)


def committed(block, lines):
    return lines[block.start + 1:block.end]


def first_difference(old, new):
    for i in range(max(len(old), len(new))):
        a = old[i] if i < len(old) else '(nothing)'
        b = new[i] if i < len(new) else '(nothing)'
        if mask(a) != mask(b):
            return i, a, b
    return None


def pages_with_transcripts(only_name=None, problems=None):
    """(page, lines, blocks) of each page with transcripts; a page that cannot be parsed goes to problems."""
    result = []
    for page in PAGES:
        if only_name and only_name not in page:
            continue
        try:
            lines, blocks = parse(page)
        except ValueError as e:
            if problems is None:
                raise
            problems.append(str(e))
            continue
        if blocks:
            result.append((page, lines, blocks))
    return result


def check(args):
    """The runner's entry point: one outcome per transcript block."""
    out = checks.Outcomes()
    os.makedirs(LOG_DIR, exist_ok=True)
    problems = []
    pages = pages_with_transcripts(getattr(args, 'only_page', None), problems)
    for problem in problems:
        out.check('every transcript in the docs is marked and made by booting', False, problem)

    def one(page_entry):
        page, lines, blocks = page_entry
        try:
            regenerate(page, blocks, args.kernel)
        except Exception as e:     # a page whose boot failed fails every block, with the reason
            for b in blocks:
                b.fresh = None
                b.error = f'{type(e).__name__}: {e}'
        return page_entry

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for page, lines, blocks in pool.map(one, pages):
            for b in blocks:
                where = f'{page}:{b.start + 1} ({PROMPTS[b.kind]}{b.commands[0][0]})'
                if b.fresh is None:
                    out.check(f'transcript {where} matches a fresh boot', False, getattr(b, 'error', 'not run'))
                    continue
                diff = first_difference(committed(b, lines), b.fresh)
                out.check(f'transcript {where} matches a fresh boot', diff is None,
                          '' if diff is None else f'line {b.start + 2 + diff[0]}: the page says\n      {diff[1]}\n'
                          f'    a fresh boot prints\n      {diff[2]}\n    (`make docs` regenerates the transcripts)')
    return out


def write(args):
    for page, lines, blocks in pages_with_transcripts(args.only_page):
        regenerate(page, blocks, args.kernel)
        for b in reversed(blocks):
            lines[b.start + 1:b.end] = b.fresh
        with open(page, 'w') as f:
            f.write('\n'.join(lines))
        print(f'docs: {page}: {len(blocks)} transcript(s) from a fresh boot')
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--kernel', default='build/mm386.elf')
    ap.add_argument('--write', action='store_true', help='regenerate the transcripts in the pages (make docs)')
    ap.add_argument('--only', dest='only_page', help='only pages whose path contains this')
    a = ap.parse_args()
    if a.write:
        return write(a)
    failed = 0
    for name, ok, details in check(a):
        print(f'{"ok" if ok else "not ok"} {name}' + ('' if ok else f'\n    {details}'))
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
