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

"""rtvnic-layout-check.py TOP: the RTvNIC tree TOP matches what its READMEs
say of it, so that a newcomer can trust a path to tell what a file is for.

  - README.md's "## Layout" section draws the tree in its first ``` block:
    each line starts with the top-level entries it describes ("lib/",
    "rtvnic.mk"), separated by single spaces, then two or more spaces and
    the description.  The entries drawn must be exactly TOP's top-level
    folders and files, except README.md and Makefile (and hidden ones).
  - Each folder of FOLDERS has a README.md with a table whose first column
    names its files in backquotes (several in one cell with ", "), paths
    relative to the folder.  The names must be exactly the folder's files,
    except README.md and what SKIP leaves out (bench/results/).  Only the
    table whose header row starts "| file |" counts.

TOP's files are what "git ls-files" lists when TOP is a git checkout,
otherwise what is on disk (hidden entries and build/ left out).  Prints one
line per mismatch and exits 1, or prints nothing and exits 0; exits 2 on
bad usage or a README that cannot be read."""

import os
import re
import subprocess
import sys

FOLDERS = ["build-aux", "bench", "testbed", "utilities"]
SKIP = {"bench": ["results/"]}
UNDRAWN = {"README.md", "Makefile"}


def die(msg):
    sys.stderr.write("rtvnic-layout-check: %s\n" % msg)
    sys.exit(2)


def list_files(top):
    """Every file of TOP, as a path relative to TOP."""
    try:
        out = subprocess.run(["git", "-C", top, "ls-files", "-z"],
                             stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=True,
                             universal_newlines=True).stdout
        # "git -C" also succeeds in a subfolder of some other checkout: only
        # trust it when TOP is the checkout's root.
        root = subprocess.run(["git", "-C", top, "rev-parse",
                               "--show-toplevel"],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=True,
                              universal_newlines=True).stdout.strip()
        if os.path.realpath(root) == os.path.realpath(top):
            return [f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")
                       and not (rel == "." and d == "build")]
        for name in filenames:
            if not name.startswith("."):
                files.append(os.path.normpath(os.path.join(rel, name)))
    return files


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        die("%s: %s" % (path, e.strerror))


def check_tree(top, files, errors):
    text = read(os.path.join(top, "README.md"))
    m = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not m:
        errors.append('README.md: no "## Layout" section')
        return
    block = re.search(r"^```[^\n]*\n(.*?)^```", m.group(1), re.M | re.S)
    if not block:
        errors.append('README.md: "Layout" draws no tree (no ``` block)')
        return
    drawn = []
    for line in block.group(1).splitlines():
        head = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        drawn += head.split()
    actual = set()
    for f in files:
        first, sep, _ = f.partition("/")
        actual.add(first + sep)
    seen = set()
    for name in drawn:
        if name in seen:
            errors.append('README.md: "Layout" draws %s twice' % name)
        seen.add(name)
        if name not in actual:
            errors.append('README.md: "Layout" draws %s, which does not '
                          'exist' % name)
    for name in sorted(actual - set(drawn) - UNDRAWN):
        if name.startswith("."):
            continue
        errors.append('README.md: "Layout" does not draw %s' % name)


def check_folder(top, folder, files, errors):
    readme = "%s/README.md" % folder
    if readme not in files:
        errors.append("%s: missing" % readme)
        return
    listed = []
    in_table = False
    for line in read(os.path.join(top, readme)).splitlines():
        if re.match(r"\|\s*file\s*\|", line):
            in_table = True
            continue
        cell = re.match(r"\|([^|]*)\|", line)
        if not cell:
            in_table = False
        elif in_table:
            listed += re.findall(r"`([^`]+)`", cell.group(1))
    if not listed:
        errors.append('%s: no "| file | purpose |" table' % readme)
        return
    actual = set()
    for f in files:
        if not f.startswith(folder + "/"):
            continue
        rel = f[len(folder) + 1:]
        if rel == "README.md" or any(rel.startswith(s)
                                     for s in SKIP.get(folder, [])):
            continue
        actual.add(rel)
    for name in listed:
        if name not in actual:
            errors.append("%s: lists %s, which is not in %s/"
                          % (readme, name, folder))
    for name in sorted(actual - set(listed)):
        errors.append("%s: does not list %s" % (readme, name))


def main():
    if len(sys.argv) != 2:
        die("usage: rtvnic-layout-check.py TOP")
    top = sys.argv[1]
    if not os.path.isdir(top):
        die("%s: not a folder" % top)
    files = list_files(top)
    errors = []
    check_tree(top, files, errors)
    for folder in FOLDERS:
        check_folder(top, folder, files, errors)
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
