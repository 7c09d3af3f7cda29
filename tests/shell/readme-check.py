#!/usr/bin/python3
"""readme-check.py README FILE...: every example in the README was copied
from a test or an example file that runs it.

An example is a block of lines indented four spaces.  Each of its lines,
its "  # comment" dropped, must be in a line of one FILE, between blanks,
quotes or parentheses (the test may wrap it, "run dkim-verify ...", or add
arguments after it, such as -r for its own DNS server), and a block's
lines must appear in that order in one file.  Lines starting with "make " are exempt: CI runs those itself.
Prints one line per block that is nowhere, exits 1 if there is one.
"""
import re
import sys


def blocks(text):
    cur = []
    for line in text.split("\n") + ["end"]:
        if line.startswith("    ") and line.strip():
            cur.append(line[4:])
        elif line.strip() == "" and cur:
            cur.append("")
        else:
            body = [x for x in cur if x.strip()]
            if body:
                yield body
            cur = []


def clean(line):
    line = re.sub(r"\s{2,}#.*$", "", line)
    return line.rstrip()


def found(block, files):
    for lines in files.values():
        i = 0
        for fl in lines:
            if i < len(block) and re.search(
                    r"(^|[\s'(])" + re.escape(block[i]) + r"($|[\s')])", fl):
                i += 1
        if i == len(block):
            return True
    return False


def main():
    readme = open(sys.argv[1], encoding="utf-8").read()
    files = {}
    for f in sys.argv[2:]:
        with open(f, encoding="utf-8", errors="replace") as fh:
            files[f] = fh.read().split("\n")
    bad = 0
    n = 0
    for b in blocks(readme):
        b = [clean(x) for x in b if not clean(x).startswith("make ")]
        b = [x for x in b if x]
        if not b:
            continue
        n += 1
        if not found(b, files):
            bad += 1
            print("README example not in any test: " + " / ".join(b))
    print("%d examples checked" % n)
    return 1 if bad else 0


sys.exit(main())
