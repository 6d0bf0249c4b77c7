"""Validates STIX 2.1 files with the OASIS stix2-validator (pin 3.2.0).

usage: stix_validate.py [--strict] FILE...   -> prints 'N passed, M failed' and one line per failure
"""
import sys
from stix2validator import ValidationOptions, validate_file

args = sys.argv[1:]
strict = False
if args and args[0] == "--strict":
    strict, args = True, args[1:]
opts = ValidationOptions(strict=strict, version="2.1")
passed = failed = 0
for path in args:
    r = validate_file(path, opts)
    if r.is_valid:
        passed += 1
        for o in r.object_results:
            for w in o.warnings:
                print(f"WARN {path} {o.object_id}: {w}")
    else:
        failed += 1
        for o in r.object_results:
            for e in o.errors:
                print(f"FAIL {path} {o.object_id}: {e}")
        if getattr(r, "fatal", None):
            print(f"FAIL {path}: {r.fatal}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
