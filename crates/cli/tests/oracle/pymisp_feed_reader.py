"""Reads a MISP feed over HTTP the way a MISP instance does, loading each event with PyMISP.

usage: pymisp_feed_reader.py URL [TOKEN]
  URL: the feed base (URL/manifest.json, URL/hashes.csv, URL/<uuid>.json); TOKEN: optional
  bearer token. Checks: every manifest entry has its event, which PyMISP's MISPEvent loads, with
  the manifest's uuid and timestamp; hashes.csv lines are `md5,uuid` of the events' attribute
  values (PyMISP's attributes_hashes('md5')). Prints one JSON line: {"events": N, "attributes": N,
  "objects": N, "uuids": [...]}; exits 1 on any mismatch.
"""
import json
import sys
import urllib.request

from pymisp import MISPEvent


def get(url, token):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=60) as r:
        return r.read()


def main():
    base = sys.argv[1].rstrip("/")
    token = sys.argv[2] if len(sys.argv) > 2 else None
    manifest = json.loads(get(f"{base}/manifest.json", token))
    problems = []
    attributes = objects = 0
    expected_hashes = set()
    for uuid, entry in manifest.items():
        e = MISPEvent()
        e.load(get(f"{base}/{uuid}.json", token))
        if e.uuid != uuid:
            problems.append(f"{uuid}.json holds event {e.uuid}")
        ts = int(e.timestamp.timestamp()) if hasattr(e, "timestamp") else None
        if ts != int(entry["timestamp"]):
            problems.append(f"{uuid}: manifest timestamp {entry['timestamp']} != event timestamp {ts}")
        for k in ("info", "Orgc", "date", "analysis", "threat_level_id"):
            if k not in entry:
                problems.append(f"{uuid}: manifest entry without {k}")
        attributes += len(e.attributes) + sum(len(o.attributes) for o in e.objects)
        objects += len(e.objects)
        expected_hashes |= {f"{h},{uuid}" for h in e.attributes_hashes("md5")}
    got_hashes = {l.strip() for l in get(f"{base}/hashes.csv", token).decode().splitlines() if l.strip()}
    if got_hashes != expected_hashes:
        problems.append(f"hashes.csv: {len(got_hashes - expected_hashes)} unexpected, {len(expected_hashes - got_hashes)} missing")
    for p in problems:
        print("FAIL", p, file=sys.stderr)
    print(json.dumps({"events": len(manifest), "attributes": attributes, "objects": objects, "uuids": sorted(manifest)}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
