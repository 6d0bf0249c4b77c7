"""Compares a MISP event with its export by Atalaya, both loaded by PyMISP (pin 2.5.34.4).

usage: pymisp_compare.py ORIGINAL EXPORTED   -> exit 0 when they match, 1 listing every mismatch

EXPORTED must load with pymisp.MISPEvent. ORIGINAL is loaded the same way; PyMISP's own test
files may lack `info` (its loader refuses them), so a missing info is set to "" for loading.
Compared: attributes (type, category, value, to_ids, comment, deleted, tags), objects (name and
their attributes, with object_relation), object references (relationship_type and comment),
event tags. Attributes and objects are compared as multisets (order and uuids are not compared:
PyMISP's test files carry no uuids and Atalaya derives them).
"""
import json
import sys
from collections import Counter

from pymisp import MISPEvent


def load(path, lenient):
    with open(path, "rb") as f:
        doc = json.load(f)
    if isinstance(doc, dict) and isinstance(doc.get("response"), list):
        doc = doc["response"][0]
    body = doc.get("Event", doc) if isinstance(doc, dict) else doc
    if lenient and isinstance(body, dict) and "info" not in body:
        body = dict(body, info="")
    e = MISPEvent()
    e.load({"Event": body})
    return e


def tags(x):
    return tuple(sorted(t.name for t in getattr(x, "tags", []) or []))


def attr_key(a, with_relation=False):
    k = (a.type, a.category, str(a.value), bool(a.to_ids), a.get("comment", "") or "", bool(a.get("deleted", False)), tags(a))
    return ((a.get("object_relation"),) + k) if with_relation else k


def obj_key(o):
    attrs = tuple(sorted(attr_key(a, True) for a in o.attributes))
    refs = tuple(sorted((r.relationship_type, r.get("comment", "") or "") for r in o.references))
    return (o.name, attrs, refs, tags(o))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    try:
        exported = load(sys.argv[2], lenient=False)
    except Exception as ex:  # the point of the check: PyMISP must load our export
        print(f"FAIL {sys.argv[2]}: PyMISP cannot load it: {type(ex).__name__}: {ex}")
        return 1
    original = load(sys.argv[1], lenient=True)
    problems = []
    a1 = Counter(attr_key(a) for a in original.attributes)
    a2 = Counter(attr_key(a) for a in exported.attributes)
    for k in (a1 - a2):
        problems.append(f"attribute missing from the export: {k}")
    for k in (a2 - a1):
        problems.append(f"attribute not in the original: {k}")
    o1 = Counter(obj_key(o) for o in original.objects)
    o2 = Counter(obj_key(o) for o in exported.objects)
    for k in (o1 - o2):
        problems.append(f"object missing from the export: {k}")
    for k in (o2 - o1):
        problems.append(f"object not in the original: {k}")
    if tags(original) != tags(exported):
        problems.append(f"event tags differ: {tags(original)} != {tags(exported)}")
    if original.info and original.info != exported.info:
        problems.append(f"info differs: {original.info!r} != {exported.info!r}")
    for p in problems:
        print("FAIL", p)
    print(f"{len(original.attributes)} attributes, {len(original.objects)} objects, {len(original.tags)} tags compared: "
          f"{'match' if not problems else str(len(problems)) + ' mismatches'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
