#! /usr/bin/env python3
# Copyright (c) 2026 RTvNIC authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at:
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""Checks that the functions a section of an .rst document names exist.

  rtvnic-doc-functions.py DOC SECTION SRCDIR

The convention, in the section whose title is SECTION (up to the next
title of any level):

  - every ``name()`` names a C function, which must be defined in a .c file
    of SRCDIR's lib/, vswitchd/, controller/ or ofproto/ (OVS's tree, with
    our files overlaid and the patches applied);
  - a ``name()`` followed by (``path``) or by in ``path``, path ending in .c,
    must be defined in that very file (path relative to SRCDIR).

A definition is a line of a .c file that starts with "name(": OVS's coding
style puts a function's return type on a line of its own.  A prototype, a
call or a macro does not count.

Prints one line per function checked (name, then the files that define it)
and exits 0, or prints what is wrong to stderr and exits 1.  The section must
exist and name at least one function."""

import os
import re
import sys

DIRS = ("lib", "vswitchd", "controller", "ofproto")
TITLE_UNDERLINE = re.compile(r"^([-=~^\"'`#*+.:_])\1*$")
FUNCTION = re.compile(r"``([A-Za-z_]\w*)\(\)``")
WITH_FILE = re.compile(r"``([A-Za-z_]\w*)\(\)``\s*"
                       r"(?:\(``([\w./-]+\.c)``\)|in\s+``([\w./-]+\.c)``)")
DEFINITION = re.compile(r"^([A-Za-z_]\w*)\(", re.MULTILINE)


def section_text(doc, title):
    with open(doc, encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = None
    for i in range(len(lines) - 1):
        if (lines[i] == title and TITLE_UNDERLINE.match(lines[i + 1])
                and len(lines[i + 1]) == len(title)):
            start = i + 2
            break
    if start is None:
        return None
    end = len(lines)
    for i in range(start, len(lines) - 1):
        if (lines[i].strip() and TITLE_UNDERLINE.match(lines[i + 1])
                and len(lines[i + 1]) == len(lines[i])):
            end = i
            break
    # One line, so that a name and its file may sit on different lines.
    return " ".join(" ".join(lines[start:end]).split())


def definitions(srcdir):
    defs = {}
    for d in DIRS:
        top = os.path.join(srcdir, d)
        if not os.path.isdir(top):
            continue
        for name in sorted(os.listdir(top)):
            if not name.endswith(".c"):
                continue
            path = os.path.join(top, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                for func in DEFINITION.findall(f.read()):
                    defs.setdefault(func, []).append(f"{d}/{name}")
    return defs


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    doc, title, srcdir = argv[1:]
    text = section_text(doc, title)
    if text is None:
        sys.stderr.write(f"{doc}: no section \"{title}\"\n")
        return 1
    names = list(dict.fromkeys(FUNCTION.findall(text)))
    if not names:
        sys.stderr.write(f"{doc}: \"{title}\" names no function "
                         "(as ``name()``)\n")
        return 1

    defs = definitions(srcdir)
    errors = []
    for name in names:
        if name not in defs:
            errors.append(f"{name}() is not defined in any .c file of "
                          f"{', '.join(DIRS)}")
    for name, path1, path2 in WITH_FILE.findall(text):
        path = path1 or path2
        if name in defs and path not in defs[name]:
            errors.append(f"{name}() is not defined in {path} (it is in "
                          f"{', '.join(defs[name])})")
    if errors:
        for e in errors:
            sys.stderr.write(f"{doc}: \"{title}\": {e}\n")
        return 1
    for name in names:
        print(f"{name}() {' '.join(defs[name])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
