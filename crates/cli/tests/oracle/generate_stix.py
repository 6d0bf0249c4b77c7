"""Random STIX 2.1 content from the OASIS stix2-generator (pin 0.2.0), for ingest tests.

usage: generate_stix.py N OUT_DIR SEED
  -> writes OUT_DIR/objects.jsonl (exactly N objects, one per line) and prints
     'generated N objects: TYPE=COUNT ...' on stdout.

The objects come from the generator's STIX graph generator with its default configuration
(`stix2generator.create_stix_generator()`: a random SDO seed, 3-6 SROs per graph, 20 %
sightings, reference properties completed): SDOs, SROs and the SCOs they pull in. Graphs are
generated until N objects exist; the last graph is cut at N (its cut references dangle,
which STIX allows). Each object passes through `stix2.parse(..., allow_custom=True)` inside
the generator. (The package's `generate_stix` command differs: minimize_ref_properties=False
fills every optional reference property -- markings, created_by_ref, ... -- which this test
does not use.)

Deterministic for a given SEED: the generator draws from Python's `random` and Faker's shared
random (both seeded here); its ids (`uuid.uuid4`) and its clock (`datetime.now`/`utcnow`:
timestamps are drawn within a year of it) are pinned to the seed and to 2025-06-01T00:00:00Z.
"""
import collections
import datetime as _datetime
import json
import os
import random
import sys
import uuid

if len(sys.argv) != 4:
    sys.exit(__doc__)
n_wanted, out_dir, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

# Set ordering must not depend on the per-process string hash salt.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import faker  # noqa: E402
import stix2generator  # noqa: E402
import stix2generator.generation.pattern_generator as pattern_generator  # noqa: E402
import stix2generator.generation.semantics as semantics  # noqa: E402

random.seed(seed)
faker.Faker.seed(seed)
uuid.uuid4 = lambda: uuid.UUID(int=random.getrandbits(128), version=4)

_EPOCH = _datetime.datetime(2025, 6, 1, tzinfo=_datetime.timezone.utc)


class _FixedClock(_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return _EPOCH.replace(tzinfo=None) if tz is None else _EPOCH.astimezone(tz)

    @classmethod
    def utcnow(cls):
        return _EPOCH.replace(tzinfo=None)


class _DatetimeModule:
    """`datetime` as seen by stix2generator's semantics, with a fixed `now`."""

    def __getattr__(self, name):
        return getattr(_datetime, name)

    datetime = _FixedClock


semantics.datetime = pattern_generator.datetime = _DatetimeModule()

generator = stix2generator.create_stix_generator()  # the package defaults
objects = []
seen = set()
while len(objects) < n_wanted:
    for obj in generator.generate().values():
        if len(objects) >= n_wanted:
            break
        o = json.loads(obj.serialize()) if hasattr(obj, "serialize") else obj
        key = (o["id"], o.get("modified"))
        if key in seen:
            continue
        seen.add(key)
        objects.append(o)

os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "objects.jsonl"), "w", encoding="utf-8") as f:
    for o in objects:
        f.write(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n")
types = collections.Counter(o["type"] for o in objects)
print(f"generated {len(objects)} objects: " + " ".join(f"{t}={c}" for t, c in sorted(types.items())))
