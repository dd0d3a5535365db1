#!/usr/bin/env python3
"""The OpenAPI document against what the server really answers.

Starts `cocreate serve --demo` and checks every answer of every GET route, for every object of
the demo (as the admin and as an organization's member token, whose answers are redacted), with
the schema the document gives it: members required or optional, null only where the document
allows it, and no member the document does not describe (strict: additionalProperties false
wherever an object lists its properties). Needs python3-jsonschema (script/bootstrap --test).

    COCREATE_BIN=build/debug/cocreate python3 tests/functional/openapi_test.py -v
"""

import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import Server  # noqa: E402  (the server harness)

try:
    from jsonschema import Draft202012Validator
except ImportError:  # pragma: no cover
    Draft202012Validator = None


def strict_json_schema(schema):
    """An OpenAPI 3.0 schema as JSON Schema 2020-12: `nullable` becomes a union with null, and
    an object that lists its properties allows no other member."""
    if isinstance(schema, list):
        return [strict_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict_json_schema(v) for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.pop("nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def fetch(server, path, token=...):
    """GET /api/v1`path` (with the admin token unless `token` is given); the answer as JSON."""
    kwargs = {} if token is ... else {"token": token}
    status, body, _ = server.request_raw("GET", "/api/v1" + path, **kwargs)
    if status != 200:
        raise AssertionError(f"GET {path}: {status} {body[:300]!r}")
    return json.loads(body)


class AnswersMatchTheDocument(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if Draft202012Validator is None:
            raise unittest.SkipTest("python3-jsonschema is missing: run script/bootstrap --test")
        cls.server = Server(extra_args=["--demo"], store="")
        cls.server.start(timeout=30)
        cls.doc = fetch(cls.server, "/openapi.json", token=None)
        cls.schemas = strict_json_schema(cls.doc["components"]["schemas"])
        cls.checked = 0

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def get(self, path, token=...):
        return fetch(self.server, path, token)

    def check(self, pattern, path, token=...):
        """GETs `path` and checks the answer against the schema of GET `pattern`."""
        body = self.get(path, token)
        ok = self.doc["paths"][pattern]["get"]["responses"]["200"]
        ref = ok["content"]["application/json"]["schema"]["$ref"]
        validator = Draft202012Validator({"$ref": ref, "components": {"schemas": self.schemas}})
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        self.assertEqual(
            [], [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]],
            f"GET {path} does not match {ref}")
        type(self).checked += 1
        return body

    def walk(self, token=...):
        """Every GET route, for every object the token sees."""
        found = {}
        for coll in ["organizations", "consumer-groups", "resources", "services", "offerings",
                     "relationships", "provisions"]:
            items = self.check(f"/{coll}", f"/{coll}?limit=1000", token)["items"]
            found[coll] = [i["id"] for i in items]
            for i in found[coll]:
                self.check(f"/{coll}/{{id}}", f"/{coll}/{urllib.parse.quote(i)}", token)
        for r in found["resources"]:
            self.check("/resources/{id}/versions", f"/resources/{r}/versions", token)
            self.check("/resources/{id}/lineage", f"/resources/{r}/lineage", token)
            self.check("/resources/{id}/lineage", f"/resources/{r}/lineage?format=prov", token)
        for o in found["offerings"]:
            self.check("/offerings/{id}/versions", f"/offerings/{o}/versions", token)
        for rel in found["relationships"]:
            for sub in ["proposals", "agreements", "measurements", "service-levels", "requests",
                        "value", "roles"]:
                body = self.check(f"/relationships/{{id}}/{sub}", f"/relationships/{rel}/{sub}",
                                  token)
                if sub == "proposals":
                    for p in body["items"]:
                        self.check("/proposals/{id}", f"/proposals/{p['id']}", token)
                if sub == "requests":
                    for p in body["items"]:
                        self.check("/requests/{id}", f"/requests/{p['id']}", token)
                if sub == "agreements" and body["total"]:
                    self.check("/relationships/{id}/agreement",
                               f"/relationships/{rel}/agreement", token)
        for sub in ["roles", "people"]:
            for o in found["organizations"]:
                body = self.check(f"/organizations/{{id}}/{sub}", f"/organizations/{o}/{sub}",
                                  token)
                for p in body.get("items", []):
                    self.check("/people/{id}", f"/people/{p['id']}", token)
        for x in found["resources"][:5] + found["organizations"][:3]:
            self.check("/impact", f"/impact?from={x}&explain=true", token)
        for a in found["organizations"]:
            for b in found["organizations"]:
                self.check("/chains", f"/chains?from={a}&to={b}&value=true", token)
        for path in ["/requests", "/me", "/cycles", "/analysis/concentration",
                     "/graph/organizations", "/events?limit=1000"]:
            self.check(path.split("?")[0], path, token)
        return found

    def test_admin_answers(self):
        found = self.walk()
        for o in found["organizations"]:
            self.check("/organizations/{id}/value", f"/organizations/{o}/value")
            self.check("/organizations/{id}/breaches", f"/organizations/{o}/breaches")
        self.check("/tokens", "/tokens")
        self.check("/openapi.json", "/openapi.json", None)

    def test_member_answers(self):
        """An organization's token sees less, and redacted objects: they match too."""
        orgs = self.get("/organizations?limit=1000")["items"]
        org = orgs[-1]["id"]
        status, body, _ = self.server.request_raw("POST", "/api/v1/tokens",
                                                  body={"organization": org})
        self.assertEqual(status, 201, body)
        token = json.loads(body)["token"]
        self.walk(token)
        self.check("/organizations/{id}/value", f"/organizations/{org}/value", token)
        self.check("/organizations/{id}/breaches", f"/organizations/{org}/breaches", token)

    def test_zz_checked_enough(self):
        """Guards against a vacuous pass: the walks above checked hundreds of answers."""
        self.assertGreater(type(self).checked, 300)


if __name__ == "__main__":
    unittest.main()
