#!/usr/bin/env python3
"""rtvnic-valgrind-summary.py DIR...: reads every valgrind.PID log under each
DIR (a testsuite.dir run by "make check-valgrind", so DIR/NN/valgrind.PID) and
prints each error and each definitely-lost leak with its test, then one line:

  valgrind: N logs, E errors (O in RTvNIC code), D definitely lost blocks
  (B bytes; DO blocks in RTvNIC code), P possibly lost blocks

An error is any report valgrind counts in its ERROR SUMMARY other than a
leak (invalid read/write/free, uninitialised value, bad syscall param...).
A report is "in RTvNIC code" when a frame of its stack is in one of our
files or functions (rtvnic*, rtvctl*, test-rtv*).  Exits 1 when there is an
error or a definitely-lost block anywhere."""

import os
import re
import sys

OURS = re.compile(r'rtvnic|rtvctl|test-rtv')
LEAK = re.compile(r'^([\d,]+) (?:\([\d,]+ direct, [\d,]+ indirect\) )?bytes '
                  r'in ([\d,]+) blocks are (definitely|possibly|indirectly) '
                  r'lost')


def num(s):
    return int(s.replace(',', ''))


def blocks(path):
    """Yields the reports of one log: lists of lines without the ==PID==
    prefix, split at empty lines."""
    cur = []
    with open(path, errors='replace') as f:
        for line in f:
            m = re.match(r'^==\d+== ?(.*)$', line.rstrip('\n'))
            if not m:
                continue
            text = m.group(1)
            if text.strip() == '':
                if cur:
                    yield cur
                cur = []
            else:
                cur.append(text)
    if cur:
        yield cur


def main():
    logs = []
    for top in sys.argv[1:]:
        for root, _, files in os.walk(top):
            for name in files:
                if re.match(r'^valgrind\.\d+$', name):
                    logs.append((top, os.path.join(root, name)))
    logs.sort()

    errors = errors_ours = 0
    dl_blocks = dl_bytes = dl_ours = pl_blocks = 0
    vg_total = 0                # Sum of valgrind's own ERROR SUMMARY lines.
    unfinished = []             # Logs of processes that never exited.
    for top, path in logs:
        test = os.path.relpath(path, top).split(os.sep)[0]
        cmd = ''
        summary = False
        for b in blocks(path):
            head = b[0]
            found = False
            for l in b:
                m = re.match(r'^ERROR SUMMARY: ([\d,]+) errors', l)
                if m:
                    vg_total += num(m.group(1))
                    summary = found = True
            if found:
                continue
            if head.startswith('Command:'):
                cmd = head[len('Command:'):].strip().split(' ')[0]
                continue
            has_stack = any(re.match(r'^\s+(at|by) 0x', l) for l in b[1:])
            m = LEAK.match(head)
            ours = bool(OURS.search('\n'.join(b[1:])))
            if m:
                kind = m.group(3)
                if kind == 'definitely':
                    dl_blocks += num(m.group(2))
                    dl_bytes += num(m.group(1))
                    if ours:
                        dl_ours += num(m.group(2))
                elif kind == 'possibly':
                    pl_blocks += num(m.group(2))
                    continue
                else:
                    continue
            elif not has_stack:
                continue            # Summaries, "Process terminating"...
            elif (head.startswith('Process terminating')
                  or head.startswith('Warning:')):
                continue
            else:
                errors += 1
                if ours:
                    errors_ours += 1
            print('test %s: %s (%s)%s' % (test, head, os.path.basename(cmd),
                                         ' [RTvNIC]' if ours else ''))
            for l in b[1:]:
                if re.match(r'^\s+(at|by) 0x', l):
                    print('        ' + l.strip())
        if not summary:
            unfinished.append(os.path.relpath(path, top))

    # valgrind counts errors and definite/possible leak records alike.
    print('valgrind ERROR SUMMARY lines add up to %d; %d logs without one '
          '(processes killed with SIGKILL or still running)%s'
          % (vg_total, len(unfinished),
             ': ' + ' '.join(unfinished) if unfinished else ''))

    print('valgrind: %d logs, %d errors (%d in RTvNIC code), %d definitely '
          'lost blocks (%d bytes; %d blocks in RTvNIC code), %d possibly lost '
          'blocks' % (len(logs), errors, errors_ours, dl_blocks, dl_bytes,
                      dl_ours, pl_blocks))
    return 1 if errors or dl_blocks else 0


if __name__ == '__main__':
    sys.exit(main())
