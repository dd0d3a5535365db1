#!/usr/bin/env python3
"""Functional tests of lineage as of a version and PROV-JSON per version (CONTRACT §5 "Time",
§9.21, §9.27) against the real binary.

    COCREATE_BIN=build/debug/cocreate python3 tests/functional/lineage_test.py -v

The PROV answers are read with the `prov` Python package (Debian's python3-prov, installed by
script/bootstrap --test). When the interpreter running the tests lacks it, the check runs in
the system's /usr/bin/python3 instead; when neither has it, the test fails and says so.
"""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_test  # noqa: E402  (the shared server harness)
from api_test import ApiTestCase, req, uid  # noqa: E402,F401
from api_test import setUpModule  # noqa: E402,F401  (starts the shared server)

# The top-level keys of a PROV-JSON document.
PROV_KEYS = {"prefix", "entity", "activity", "agent", "wasGeneratedBy", "used",
             "wasInformedBy", "wasStartedBy", "wasEndedBy", "wasInvalidatedBy", "wasDerivedFrom",
             "wasAttributedTo", "wasAssociatedWith", "actedOnBehalfOf", "wasInfluencedBy",
             "specializationOf", "alternateOf", "hadMember", "bundle"}

# Run by the `prov` package: reads a PROV-JSON document from stdin and prints, as JSON, what
# a reader of the provenance needs: each entity's generations, each revision, each activity's
# start time and associations, the agents.
PROV_READER = r"""
import json, sys
import prov.model as pm
from prov.model import ProvDocument
doc = ProvDocument.deserialize(content=sys.stdin.read(), format="json")
out = {"entities": [], "agents": [], "activities": {}, "generated": {}, "revisions": [],
       "associated": {}, "used": {}}
for rec in doc.get_records():
    ident = str(rec.identifier) if rec.identifier is not None else None
    if isinstance(rec, pm.ProvEntity):
        out["entities"].append(ident)
    elif isinstance(rec, pm.ProvAgent):
        out["agents"].append(ident)
    elif isinstance(rec, pm.ProvActivity):
        start = rec.get_startTime()
        out["activities"][ident] = start.isoformat() if start else None
    elif isinstance(rec, pm.ProvGeneration):
        args = dict(rec.formal_attributes)
        e, a = str(args[pm.PROV_ATTR_ENTITY]), args[pm.PROV_ATTR_ACTIVITY]
        out["generated"].setdefault(e, []).append(str(a) if a is not None else None)
    elif isinstance(rec, pm.ProvDerivation):
        args = dict(rec.formal_attributes)
        types = [str(t) for t in rec.get_asserted_types()]
        if "prov:Revision" in types:
            out["revisions"].append([str(args[pm.PROV_ATTR_GENERATED_ENTITY]),
                                     str(args[pm.PROV_ATTR_USED_ENTITY])])
    elif isinstance(rec, pm.ProvAssociation):
        args = dict(rec.formal_attributes)
        out["associated"].setdefault(str(args[pm.PROV_ATTR_ACTIVITY]), []).append(
            str(args[pm.PROV_ATTR_AGENT]))
    elif isinstance(rec, pm.ProvUsage):
        args = dict(rec.formal_attributes)
        out["used"].setdefault(str(args[pm.PROV_ATTR_ACTIVITY]), []).append(
            str(args[pm.PROV_ATTR_ENTITY]))
print(json.dumps(out))
"""


def read_with_prov(document):
    """What the `prov` package reads in `document` (see PROV_READER)."""
    candidates = [sys.executable, "/usr/bin/python3"]
    for python in candidates:
        if not os.path.exists(python):
            continue
        has = subprocess.run([python, "-c", "import prov.model"], capture_output=True)
        if has.returncode != 0:
            continue
        run = subprocess.run([python, "-c", PROV_READER], input=json.dumps(document),
                             capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            raise AssertionError(f"the prov package refused the document: {run.stderr}")
        return json.loads(run.stdout)
    raise AssertionError("the Python `prov` package is missing (run script/bootstrap --test, "
                         "which installs Debian's python3-prov)")



def must(resp, status, what):
    got, body, _ = resp
    if got != status:
        raise AssertionError(f"{what}: expected HTTP {status}, got {got}: {body!r}")
    return body


class TestLineageAsOfAVersion(ApiTestCase):
    """Org P offers `svc` (built on `base`, then on `other`) to Org C. p1 creates `made` (v1)
    using `base`; the service moves to `other`, P revises `base`; p2 modifies `made` (v2)
    using `base` (now at version 2); C revises `made` (v3); then p3, after everything, modifies
    another resource only: no version of `made` lists it."""

    @classmethod
    def setUpClass(cls):
        w = cls.w = type("World", (), {})()
        w.prov = must(req("POST", "/organizations", {"id": uid("lt-prov"), "name": "P"}), 201,
                      "provider")["id"]
        w.cons = must(req("POST", "/organizations", {"id": uid("lt-cons"), "name": "C"}), 201,
                      "consumer")["id"]
        res = lambda tag: must(req("POST", "/resources", {  # noqa: E731
            "id": uid(tag), "owner": w.prov, "kind": "vm", "name": tag}), 201, tag)["id"]
        w.base, w.other = res("lt-base"), res("lt-other")
        w.svc = must(req("POST", "/services", {"id": uid("lt-svc"), "provider": w.prov,
                                               "name": "hosting", "built_on": [w.base]}),
                     201, "service")["id"]
        w.off = must(req("POST", "/offerings", api_test.offering_body("lt", w.prov, w.svc)),
                     201, "offering")["id"]
        w.rel = must(req("POST", "/relationships", {"id": uid("lt-rel"), "offering": w.off,
                                                    "consumer": w.cons, "type": "basic"}),
                     201, "relationship")["id"]
        must(req("POST", f"/relationships/{w.rel}/activate", {}), 200, "activate")
        w.made = uid("lt-made")
        w.p1 = must(req("POST", "/provisions", {
            "id": uid("lt-p1"), "relationship": w.rel, "action": "create-vm", "used": [w.base],
            "creates": [{"id": w.made, "kind": "vm", "name": "made"}]}), 201, "p1")["id"]
        must(req("PATCH", f"/services/{w.svc}", {"built_on": [w.other]}), 200, "move service")
        must(req("POST", f"/resources/{w.base}/revisions", {"attributes": {"patched": True}}),
             201, "revise base")
        w.p2 = must(req("POST", "/provisions", {
            "id": uid("lt-p2"), "relationship": w.rel, "action": "tune", "used": [w.base],
            "modifies": [{"resource": w.made, "attributes": {"tuned": True}}]}), 201, "p2")["id"]
        must(req("POST", f"/resources/{w.made}/revisions", {"attributes": {"mine": True}}),
             201, "consumer revises")
        w.later = uid("lt-later")
        w.p3 = must(req("POST", "/provisions", {
            "id": uid("lt-p3"), "relationship": w.rel, "action": "create-vm", "used": [w.base],
            "creates": [{"id": w.later, "kind": "vm", "name": "later"}]}), 201, "p3")["id"]

    def lineage(self, version=None, fmt=None):
        query = []
        if version is not None:
            query.append(f"version={version}")
        if fmt:
            query.append(f"format={fmt}")
        path = f"/resources/{self.w.made}/lineage" + ("?" + "&".join(query) if query else "")
        status, body, headers = req("GET", path)
        self.assertEqual(status, 200, body)
        return body, headers

    @staticmethod
    def versioned(items):
        return sorted(f"{x['id']}@{x['version']}" for x in items)

    def test_each_version_lists_what_stood_then(self):
        w = self.w
        v1, _ = self.lineage(1)
        self.assertEqual(v1["version"], 1)
        self.assertEqual([p["id"] for p in v1["provisions"]], [w.p1])
        self.assertEqual(self.versioned(v1["resources"]), [f"{w.base}@1"])
        self.assertEqual([s["id"] for s in v1["services"]], [w.svc])
        self.assertEqual(self.versioned(v1["offerings"]), [f"{w.off}@1"])
        self.assertEqual([r["id"] for r in v1["relationships"]], [w.rel])

        v2, _ = self.lineage(2)
        self.assertEqual([p["id"] for p in v2["provisions"]], [w.p1, w.p2])
        # p1 at base@1 (used and built on); p2 used base@2 while the service stood on other.
        self.assertEqual(self.versioned(v2["resources"]),
                         sorted([f"{w.base}@1", f"{w.base}@2", f"{w.other}@1"]))

        # Version 3 is the consumer's own revision: no provision more. The latest (no
        # ?version) is version 3, and never lists p3, which came after.
        for latest in (self.lineage(3)[0], self.lineage()[0]):
            self.assertEqual(latest["version"], 3)
            self.assertEqual([p["id"] for p in latest["provisions"]], [w.p1, w.p2])
            self.assertNotIn(w.p3, json.dumps(latest))
            self.assertEqual(latest["redacted"], 0)

    def test_a_version_beyond_the_latest_is_404(self):
        status, body, _ = req("GET", f"/resources/{self.w.made}/lineage?version=4")
        self.assertEqual(status, 404, body)
        status, body, _ = req("GET", f"/resources/{self.w.made}/lineage?version=4&format=prov")
        self.assertEqual(status, 404, body)

    def test_prov_json_per_version_parses_with_the_prov_package(self):
        w = self.w
        doc, headers = self.lineage(fmt="prov")
        self.assertLessEqual(set(doc), PROV_KEYS, "the top level holds only PROV-JSON keys")
        self.assertEqual(headers.get("Cocreate-Redacted"), "0")
        read = read_with_prov(doc)
        made = [f"cc:{w.made}@{k}" for k in (1, 2, 3)]
        for entity in made + [f"cc:{w.base}@1", f"cc:{w.base}@2", f"cc:{w.other}@1"]:
            self.assertIn(entity, read["entities"])
        self.assertNotIn(f"cc:{w.later}@1", read["entities"])
        # Each version generated exactly once, by what made it (§9.21).
        self.assertEqual(read["generated"][made[0]], [f"cc:{w.p1}"])
        self.assertEqual(read["generated"][made[1]], [f"cc:{w.p2}"])
        self.assertEqual(read["generated"][made[2]], [f"cc:revision:{w.made}@3"])
        self.assertEqual(read["generated"][f"cc:{w.base}@1"], [f"cc:create:{w.base}"])
        self.assertEqual(read["generated"][f"cc:{w.base}@2"], [f"cc:revision:{w.base}@2"])
        for entity in read["entities"]:
            if "@" in entity:
                self.assertEqual(len(read["generated"].get(entity, [])), 1, entity)
        # Each version a revision of the one before.
        self.assertIn([made[1], made[0]], read["revisions"])
        self.assertIn([made[2], made[1]], read["revisions"])
        self.assertIn([f"cc:{w.base}@2", f"cc:{w.base}@1"], read["revisions"])
        # Provisions are activities with a start time; revisions are associated with the
        # owner; organizations are agents.
        for p in (w.p1, w.p2):
            self.assertIsNotNone(read["activities"][f"cc:{p}"])
        self.assertEqual(read["associated"][f"cc:revision:{w.made}@3"], [f"cc:{w.cons}"])
        self.assertEqual(read["associated"][f"cc:{w.p1}"], [f"cc:{w.prov}"])
        self.assertLessEqual({f"cc:{w.prov}", f"cc:{w.cons}"}, set(read["agents"]))
        # p2 used base at its version 2.
        self.assertEqual(read["used"][f"cc:{w.p2}"], [f"cc:{w.base}@2"])

        # As of version 1: one version of `made`, nothing of p2.
        doc1, headers1 = self.lineage(1, fmt="prov")
        self.assertEqual(headers1.get("Cocreate-Redacted"), "0")
        read1 = read_with_prov(doc1)
        self.assertIn(made[0], read1["entities"])
        self.assertNotIn(made[1], read1["entities"])
        self.assertNotIn(f"cc:{w.p2}", read1["activities"])

    def test_redacted_count_travels_in_the_header(self):
        """The consumer may not see how the provider built its service: hidden items are
        counted in Cocreate-Redacted, never named in the document."""
        w = self.w
        token = must(req("POST", "/tokens", {"organization": w.cons, "role": "member"}), 201,
                     "token")["token"]
        status, doc, headers = api_test.SERVER.req(
            "GET", f"/resources/{w.made}/lineage?format=prov", token=token)
        self.assertEqual(status, 200, doc)
        redacted = int(headers.get("Cocreate-Redacted"))
        self.assertGreater(redacted, 0, "base and other are the provider's own")
        self.assertLessEqual(set(doc), PROV_KEYS)
        for hidden in (w.base, w.other):
            self.assertNotIn(hidden, json.dumps(doc))
        status, body, _ = api_test.SERVER.req("GET", f"/resources/{w.made}/lineage", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["redacted"], redacted)
        read_with_prov(doc)


if __name__ == "__main__":
    unittest.main()
