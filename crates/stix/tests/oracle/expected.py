#!/usr/bin/env python3
"""Runs the OASIS reference validator (pip package ``stix2-patterns``) over the pattern corpus.

Usage::

    python3 expected.py [CORPUS [OUT]] [--explain]

CORPUS defaults to ``../fixtures/patterns/corpus.txt`` and OUT to
``../fixtures/patterns/expected.txt`` (both relative to this script). The corpus holds one pattern
per line (split on "\\n" only: a pattern may contain other Unicode line or space separators, and
the empty line is the empty pattern). OUT gets one line per pattern: ``valid`` or ``invalid``.

A pattern is ``valid`` when ``run_validator(pattern, stix_version='2.1')`` returns no error. When
the validator raises an exception instead (it does for the empty pattern, and for an object path
that ends in a list index after ``hashes`` or that uses a negative index), the validator has not
accepted the pattern: it is recorded as ``invalid`` and reported on stderr.

``--explain`` prints each pattern with the validator's verdict and messages on stdout.

The Rust test ``tests/pattern_oracle.rs`` compares the parser with OUT, and re-runs this script
live when STIX2_PATTERNS_PYTHON names an interpreter that has stix2patterns.

Setup: python3 -m venv /tmp/venv-patterns && /tmp/venv-patterns/bin/pip install stix2-patterns
"""

import os
import sys

from stix2patterns.validator import run_validator

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.join(HERE, "..", "fixtures", "patterns", "corpus.txt")
DEFAULT_OUT = os.path.join(HERE, "..", "fixtures", "patterns", "expected.txt")


def read_corpus(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def verdict(pattern):
    """Returns (is_valid, messages)."""
    try:
        errors = run_validator(pattern, stix_version="2.1")
    except Exception as e:  # the validator crashed: it did not accept the pattern
        return False, ["validator raised %s: %s" % (type(e).__name__, e)], True
    return not errors, list(errors), False


def main(argv):
    explain = "--explain" in argv
    args = [a for a in argv if a != "--explain"]
    corpus = args[0] if len(args) > 0 else DEFAULT_CORPUS
    out = args[1] if len(args) > 1 else DEFAULT_OUT

    patterns = read_corpus(corpus)
    results = []
    crashed = 0
    for number, pattern in enumerate(patterns, start=1):
        ok, messages, crash = verdict(pattern)
        results.append("valid" if ok else "invalid")
        if crash:
            crashed += 1
            print("line %d: %r: %s (recorded as invalid)" % (number, pattern, messages[0]), file=sys.stderr)
        if explain:
            print("%d\t%s\t%r\t%s" % (number, results[-1], pattern, " | ".join(messages)))

    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for r in results:
            f.write(r + "\n")

    valid = results.count("valid")
    print(
        "%d patterns: %d valid, %d invalid (%d by a validator exception)"
        % (len(results), valid, len(results) - valid, crashed),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
