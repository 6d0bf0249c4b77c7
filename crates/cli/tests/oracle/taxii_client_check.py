#!/usr/bin/env python3
"""Drives every TAXII 2.1 endpoint of a running Atalaya node with the OASIS taxii2-client.

    taxii_client_check.py URL USER PASSWORD

URL is the node's base URL (http://127.0.0.1:PORT). USER/PASSWORD are HTTP Basic credentials
(a user name and password, or any name and an API token). The user must be allowed to add
objects (analyst or administrator). Exits non-zero on the first failure, naming it.
"""
import sys
import time
import uuid

import requests
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


def indicator(oid, modified, value, marking=CLEAR):
    return {
        "type": "indicator", "spec_version": "2.1", "id": oid,
        "created": "2026-01-01T00:00:00.000Z", "modified": modified,
        "name": "taxii2-client check", "pattern": f"[ipv4-addr:value = '{value}']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [marking],
    }


def ids_of(envelope):
    return [o["id"] for o in envelope.get("objects", [])]


def main():
    url, user, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]

    # Discovery and API root.
    server = Server(url + "/taxii2/", user=user, password=password)
    check(bool(server.title), "discovery has a title")
    check(len(server.api_roots) == 1, "discovery lists one API root")
    check(server.default is not None and server.default.url == server.api_roots[0].url, "the default API root is listed")
    root = server.api_roots[0]
    check(bool(root.title), "API root has a title")
    check("application/taxii+json;version=2.1" in root.versions, "API root speaks TAXII 2.1")
    check(root.max_content_length > 0, "API root states max_content_length")

    # Collections.
    cols = root.collections
    check(len(cols) >= 1, "at least one collection")
    default = [c for c in cols if c.alias == "all"]
    check(len(default) == 1, "the default collection (alias 'all') is listed")
    col = default[0]
    check(col.can_read and col.can_write, "the default collection is readable and writable")
    check("application/stix+json;version=2.1" in col.media_types, "the collection serves STIX 2.1")
    same = Collection(col.url, user=user, password=password)
    check(same.id == col.id and same.title == col.title, "Get a Collection answers the listed collection")

    # Add objects: 12 new indicators, a second version of one, an SCO, one invalid object.
    run = uuid.uuid4()
    ids = [f"indicator--{uuid.uuid5(run, str(i))}" for i in range(12)]
    objs = [indicator(oid, "2026-01-01T00:00:00.000Z", f"198.51.100.{i}") for i, oid in enumerate(ids)]
    v2 = indicator(ids[0], "2026-02-01T00:00:00.000Z", "198.51.100.200", GREEN)
    sco = {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uuid.uuid5(run, 'sco')}", "value": "203.0.113.99",
           "object_marking_refs": [CLEAR]}
    bad = indicator(f"indicator--{uuid.uuid5(run, 'bad')}", "2026-01-01T00:00:00.000Z", "x")
    bad["pattern"] = "[ipv4-addr:value = "
    envelope = {"objects": objs + [sco, bad]}
    status = col.add_objects(envelope)
    check(status.status == "complete", "add_objects completes")
    check(status.total_count == 14, f"total_count counts every object ({status.total_count})")
    check(status.success_count == 13 and status.failure_count == 1 and status.pending_count == 0,
          f"13 successes, 1 failure ({status.success_count}/{status.failure_count}/{status.pending_count})")
    check(status.success_count + status.failure_count + status.pending_count == status.total_count, "status counts add up")
    check(status.failures[0]["id"] == bad["id"] and "pattern" in status.failures[0]["message"], "the failure names the object and field")
    check(all("id" in s and "version" in s for s in status.successes if s["id"] != sco["id"]), "successes carry id and version")
    again = root.get_status(status.id)
    check(again.id == status.id and again.total_count == 14 and again.success_count == 13, "Get Status answers the stored status")
    time.sleep(0.01)
    status2 = col.add_objects({"objects": [v2] + objs[:3]})
    check(status2.success_count == 4 and status2.failure_count == 0, "a new version and duplicates count as successes")

    # Get Objects: default match[version]=last.
    mine = ",".join(ids + [sco["id"]])
    env = col.get_objects(id=mine)
    got = ids_of(env)
    check(sorted(got) == sorted(ids + [sco["id"]]), "Get Objects returns each object once (latest version)")
    latest0 = [o for o in env["objects"] if o["id"] == ids[0]][0]
    check(latest0["modified"] == "2026-02-01T00:00:00.000Z", "the latest version is the default")
    check(env.get("more") is False, "one page: more is false")
    env = col.get_objects(id=ids[0], version="all")
    check(sorted(o["modified"] for o in env["objects"]) == ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"], "match[version]=all returns both versions")
    env = col.get_objects(id=ids[0], version="first")
    check([o["modified"] for o in env["objects"]] == ["2026-01-01T00:00:00.000Z"], "match[version]=first")
    env = col.get_objects(id=ids[0], version="2026-02-01T00:00:00Z")
    check([o["modified"] for o in env["objects"]] == ["2026-02-01T00:00:00.000Z"], "match[version]=<timestamp>, written differently")
    env = col.get_objects(id=ids[0], version="first,last")
    check(len(env["objects"]) == 2, "match[version]=first,last")
    env = col.get_objects(id=mine, type="ipv4-addr")
    check(ids_of(env) == [sco["id"]], "match[type]")
    env = col.get_objects(id=mine, type=["indicator", "ipv4-addr"])
    check(len(env["objects"]) == 13, "match[type] with two types")
    env = col.get_objects(id=mine, spec_version="2.1")
    check(len(env["objects"]) == 13, "match[spec_version]=2.1")
    env = col.get_objects(id=mine, spec_version="2.0")
    check(ids_of(env) == [], "match[spec_version]=2.0 matches nothing")

    # Manifest, added_after.
    man = col.get_manifest(id=mine, version="all")
    recs = man["objects"]
    check(len(recs) == 14, "manifest lists every version")
    check(all(r["media_type"] == "application/stix+json;version=2.1" and r["date_added"] and r["version"] for r in recs), "manifest records are complete")
    sco_rec = [r for r in recs if r["id"] == sco["id"]][0]
    check(sco_rec["version"] == sco_rec["date_added"], "an SCO's version is its date_added")
    dates = sorted(r["date_added"] for r in recs)
    cut = dates[5]
    env = col.get_objects(id=mine, version="all", added_after=cut)
    check(len(env["objects"]) == len([d for d in dates if d > cut]), "added_after keeps versions added later only")
    man2 = col.get_manifest(id=mine, added_after=dates[-1])
    check(man2.get("objects", []) == [], "added_after the last date: nothing")

    # Pagination with as_pages (limit + next).
    seen = []
    pages = 0
    for page in as_pages(col.get_objects, per_request=5, id=mine, version="all"):
        pages += 1
        seen.extend((o["id"], o.get("modified")) for o in page.get("objects", []))
    check(pages == 3 and len(seen) == 14 and len(set(seen)) == 14, f"as_pages: 3 pages of 5, 5, 4 ({pages} pages, {len(seen)} objects)")
    seen = []
    for page in as_pages(col.get_manifest, per_request=4, id=mine):
        seen.extend(r["id"] for r in page.get("objects", []))
    check(sorted(seen) == sorted(ids + [sco["id"]]), "as_pages over the manifest")
    whole = col.get_objects(limit=3)
    check(whole.get("more") is True and whole.get("next"), "a limited page says more and gives next")
    follow = col.get_objects(limit=3, next=whole["next"])
    check(not set(ids_of(whole)) & set(ids_of(follow)), "next continues after the first page")

    # Get an Object, versions.
    one = col.get_object(ids[0])
    check([o["modified"] for o in one["objects"]] == ["2026-02-01T00:00:00.000Z"], "Get an Object: the latest version")
    both = col.get_object(ids[0], version="all")
    check(len(both["objects"]) == 2, "Get an Object with match[version]=all")
    vers = col.object_versions(ids[0])
    check(vers["versions"] == ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"], "Get Object Versions lists both")
    vpage = col.object_versions(ids[0], limit=1)
    check(vpage["versions"] == ["2026-01-01T00:00:00.000Z"] and vpage.get("more") is True, "versions paginate")

    # Delete an Object: one version, then all.
    col.delete_object(ids[0], version="first")
    vers = col.object_versions(ids[0])
    check(vers["versions"] == ["2026-02-01T00:00:00.000Z"], "delete with match[version]=first removes that version only")
    col.delete_object(ids[1])
    try:
        col.get_object(ids[1])
        check(False, "a deleted object is gone")
    except requests.exceptions.HTTPError as e:
        check(e.response.status_code == 404, "a deleted object is gone (404)")
    try:
        col.get_object(f"indicator--{uuid.uuid4()}")
        check(False, "an unknown object is 404")
    except requests.exceptions.HTTPError as e:
        check(e.response.status_code == 404, "an unknown object is 404")

    # An ApiRoot built directly, with the same credentials.
    direct = ApiRoot(url + "/taxii2/api/", user=user, password=password)
    check(any(c.id == col.id for c in direct.collections), "ApiRoot lists the same collections")
    print("taxii2-client: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure fails the check
        import traceback
        traceback.print_exc()
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
