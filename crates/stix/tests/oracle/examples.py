#!/usr/bin/env python3
"""Lists every distinct ``pattern`` value of the STIX example files, one per line, in file order.

Usage::

    python3 examples.py [DIR...]

The DIRs default to the shared example sets beside the repository
(``../shared/data/stix21-examples`` and ``../shared/data/stix-examples``, relative to the
repository root). These lines make up the last part of ``../fixtures/patterns/corpus.txt``; the
Rust test ``pattern_oracle.rs`` checks that the corpus still holds each of them.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))
DEFAULT_DIRS = [
    os.path.join(REPO, "..", "shared", "data", "stix21-examples"),
    os.path.join(REPO, "..", "shared", "data", "stix-examples"),
]


def walk(value, out):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "pattern" and isinstance(item, str):
                out.append(item)
            else:
                walk(item, out)
    elif isinstance(value, list):
        for item in value:
            walk(item, out)


def main(dirs):
    found = []
    for root in dirs:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(".json"):
                    with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                        walk(json.load(f), found)
    seen = set()
    for pattern in found:
        if pattern not in seen and "\n" not in pattern:
            seen.add(pattern)
            print(pattern)


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT_DIRS)
