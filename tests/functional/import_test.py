#!/usr/bin/env python3
"""CONTRACT §8 "Import." and §9.23 over the real binary: `cocreate import
--format backstage|csv` and POST /imports, reconciled by external_id.

Runs against COCREATE_BIN, on SQLite or, with COCREATE_TEST_STORE=postgresql,
on fresh PostgreSQL databases; the server and helpers are those of
api_test.py. Covers the shipped examples (examples/backstage, examples/csv),
a generated catalog of 225 entities imported twice (the second run changes
nothing), updates when a field changes, refusals and exit status 2, and that
what was imported reads back over the API after a restart.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api_test  # noqa: E402
import backstage_catalog  # noqa: E402
from api_test import (  # noqa: E402,F401  (setUpModule starts the shared server)
    ApiTestCase, Server, cocreate_bin, list_all, new_org, new_token, req, setUpModule, uid)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def cli_import(server, *args):
    """`cocreate import ARGS` on `server`'s store (the server must be stopped):
    (exit status, report or None, stderr)."""
    source = ["--data-dir", server.data_dir] + (["--store", server.store] if server.store else [])
    env = dict(os.environ, COCREATE_ADMIN_TOKEN=server.admin_token)
    run = subprocess.run([cocreate_bin(), "import", *source, *args], capture_output=True,
                         text=True, env=env, timeout=300)
    report = json.loads(run.stdout) if run.stdout.strip() else None
    return run.returncode, report, run.stderr


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def by_external_id(server, collection, external_id):
    status, body, _ = server.req("GET", f"/{collection}?external_id={external_id}")
    assert status == 200, body
    return body["items"]


class TestImportCommand(ApiTestCase):
    """The CLI on a server's store, the server stopped while it runs."""

    def setUp(self):
        self.server = Server()
        self.addCleanup(self.server.close)

    def test_backstage_example_twice_and_after_restart(self):
        """The example imports with nothing refused; a second run changes nothing; everything
        reads back over the API with its external_id after a restart."""
        path = os.path.join(EXAMPLES, "backstage")
        code, first, err = cli_import(self.server, "--format", "backstage", path)
        self.assertEqual(code, 0, (first, err))
        self.assertEqual(first["refused"], [])
        # 3 groups, 2 systems, 5 components, 5 resources, 3 APIs; relationships:
        # payments→identity-api, storefront→payments-api and identity-api (storefront's use
        # of its own product-catalog-api is no relationship).
        self.assertEqual((first["created"], first["updated"], first["unchanged"]), (21, 0, 0))
        code, second, err = cli_import(self.server, "--format", "backstage", path)
        self.assertEqual(code, 0, err)
        self.assertEqual(second, {"created": 0, "updated": 0, "unchanged": 21, "refused": []})

        s = self.server.start()
        orgs = by_external_id(s, "organizations", "group:default/payments")
        self.assertEqual(len(orgs), 1)
        self.assertEqual(orgs[0]["name"], "Payments")
        self.assertEqual(orgs[0]["attributes"]["source"]["format"], "backstage")
        shop = by_external_id(s, "services", "component:default/web-shop")[0]
        gateway = by_external_id(s, "services", "component:default/payment-gateway")[0]
        self.assertEqual(shop["provider"], by_external_id(s, "organizations",
                                                          "group:default/storefront")[0]["id"])
        self.assertIn(gateway["id"], shop["depends_on"])
        db = by_external_id(s, "resources", "resource:default/payments-db")[0]
        self.assertEqual(db["kind"], "database")
        self.assertEqual(db["attributes"]["source"]["annotations"]
                         ["larkspur.example/provisioned-at"], "2023-02-14T09:30:00Z")
        self.assertIn(db["id"], gateway["built_on"])
        api = by_external_id(s, "offerings", "api:default/payments-api")[0]
        self.assertEqual((api["audience"], api["service"], api["actions"]),
                         ("public", gateway["id"], [{"name": "use", "effect": "none"}]))
        status, rels, _ = s.req("GET", f"/relationships?offering={api['id']}")
        self.assertEqual([(r["consumer"], r["status"], r["type"]) for r in rels["items"]],
                         [(shop["provider"], "active", "basic")])
        s.stop()
        s.start()
        again = by_external_id(s, "services", "component:default/web-shop")[0]
        self.assertEqual(again, shop)
        # POST /imports of the same content is unchanged too.
        content = ""
        for d in ("org", "payments", "identity", "storefront"):
            with open(os.path.join(path, d, "catalog-info.yaml")) as f:
                content += f.read() + "\n---\n"
        report = self.assertStatus(s.req("POST", "/imports", {"format": "backstage",
                                                              "content": content}), 200)
        self.assertEqual(report, {"created": 0, "updated": 0, "unchanged": 21, "refused": []})

    def test_generated_catalog_of_225_entities_twice(self):
        """≥ 200 entities: the second import reports everything unchanged and adds no event."""
        with tempfile.TemporaryDirectory(prefix="cocreate-catalog-") as folder:
            entities = backstage_catalog.write(folder, 25)
            self.assertGreaterEqual(entities, 200)
            code, first, err = cli_import(self.server, "--format", "backstage", folder)
            self.assertEqual(code, 0, (first, err))
            self.assertEqual(first["created"], entities + 50)  # and 50 relationships
            s = self.server.start()
            status, orgs, _ = s.req("GET", "/organizations?limit=1000")
            self.assertEqual(orgs["total"], 25)
            status, rels, _ = s.req("GET", "/relationships?status=active&limit=1000")
            self.assertEqual(rels["total"], 50)
            s.stop()
            last = self._last_seq()
            code, second, err = cli_import(self.server, "--format", "backstage", folder)
            self.assertEqual(code, 0, err)
            self.assertEqual(second, {"created": 0, "updated": 0, "unchanged": entities + 50,
                                      "refused": []})
            self.assertEqual(self._last_seq(), last)

    def _last_seq(self):
        source = ["--data-dir", self.server.data_dir] + (
            ["--store", self.server.store] if self.server.store else [])
        out = subprocess.run([cocreate_bin(), "export", *source], capture_output=True,
                             check=True, text=True).stdout
        return len(out.splitlines())

    def test_update_in_place_refusals_and_exit_status(self):
        """A changed field is a PATCH (same id, updated 1); a catalog with a refusal exits 2
        and still applies the valid entities."""
        with tempfile.TemporaryDirectory(prefix="cocreate-catalog-") as folder:
            path = os.path.join(folder, "catalog-info.yaml")
            text = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: crew, description: First words}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: app, description: An app}
spec: {type: service, owner: crew}
"""
            write(path, text)
            code, report, err = cli_import(self.server, "--format", "backstage", path)
            self.assertEqual((code, report["created"]), (0, 2), err)
            text = text.replace("An app", "The app")
            write(path, text)
            code, report, err = cli_import(self.server, "--format", "backstage", path)
            self.assertEqual(report, {"created": 0, "updated": 1, "unchanged": 1, "refused": []})
            write(path, text + """---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: stray}
spec: {type: service, owner: nobody}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: newcomers}
""")
            code, report, err = cli_import(self.server, "--format", "backstage", path)
            self.assertEqual(code, 2, err)
            self.assertEqual((report["created"], report["unchanged"]), (1, 2))
            self.assertEqual(len(report["refused"]), 1)
            refusal = report["refused"][0]
            self.assertEqual((refusal["entity"], refusal["code"], refusal["line"]),
                             ("component:default/stray", "unknown_reference", 10))
            self.assertIn("group:default/nobody", refusal["message"])
            # Not YAML at all: exit 2, nothing applied.
            write(path, "kind: [unclosed\n")
            code, report, err = cli_import(self.server, "--format", "backstage", path)
            self.assertEqual(code, 2)
            self.assertEqual(report["refused"][0]["code"], "invalid_yaml")
            s = self.server.start()
            app = by_external_id(s, "services", "component:default/app")[0]
            self.assertEqual(app["description"], "The app")
            s.stop()
        # Bad arguments.
        code, report, err = cli_import(self.server, "--format", "csv", EXAMPLES)
        self.assertNotEqual(code, 0)
        self.assertIn("kind", err)

    def test_csv_examples(self):
        """The CSV examples import in order organizations, resources, services; twice."""
        for _ in range(2):
            for kind in ("organizations", "resources", "services"):
                code, report, err = cli_import(self.server, "--format", "csv", "--kind", kind,
                                               os.path.join(EXAMPLES, "csv", f"{kind}.csv"))
                self.assertEqual(code, 0, (report, err))
                self.assertEqual(report["refused"], [])
                self.assertEqual(report["created"] + report["unchanged"], 3)
        s = self.server.start()
        org = by_external_id(s, "organizations", "crm:1003")[0]
        self.assertEqual(org["description"], "Demand forecasting\nfor retailers")
        self.assertEqual(org["attributes"], {"country": "GB",
                                             "source": {"format": "csv", "created_at": "2022-06-30"}})
        cold = by_external_id(s, "resources", "cmdb:r-18")[0]
        self.assertEqual(cold["attributes"]["capacity"], "4,000 pallets")
        svc = by_external_id(s, "services", "svc:cold")[0]
        self.assertEqual(svc["built_on"], [cold["id"]])


class TestImportsRoute(ApiTestCase):
    """POST /imports on the shared server."""

    def test_admin_only_and_body_checks(self):
        org = new_org("imp")
        member = new_token(org)
        body = {"format": "csv", "kind": "organizations", "content": "external_id,name\n"}
        self.assertError(req("POST", "/imports", body, token=member), 403, "forbidden")
        self.assertError(req("POST", "/imports", {"format": "xml", "content": ""}), 400,
                         "invalid_field", "format")
        self.assertError(req("POST", "/imports", {"format": "csv", "content": ""}), 400,
                         "invalid_field", "kind")
        self.assertError(req("POST", "/imports", {"format": "backstage"}), 400,
                         "invalid_field", "content")

    def test_csv_report_lines_and_duplicates(self):
        tag = uid("csv")
        content = (f"external_id,name,description\n"
                   f"{tag}-a,\"A, with comma\",\"two\nlines\"\n"
                   f"{tag}-b,B,\n"
                   f"{tag}-a,Again,\n"
                   f"{tag}-c,,\n")
        report = self.assertStatus(req("POST", "/imports", {"format": "csv", "kind": "organizations",
                                                            "content": content}), 200)
        self.assertEqual((report["created"], report["updated"], report["unchanged"]), (2, 0, 0))
        self.assertEqual([(r["line"], r["code"]) for r in report["refused"]],
                         [(5, "duplicate_external_id"), (6, "missing_field")])
        again = self.assertStatus(req("POST", "/imports", {"format": "csv", "kind": "organizations",
                                                           "content": content}), 200)
        self.assertEqual((again["created"], again["unchanged"]), (0, 2))
        status, listed, _ = req("GET", f"/organizations?external_id={tag}-a")
        self.assertEqual(listed["items"][0]["name"], "A, with comma")
        wrong = self.assertStatus(req("POST", "/imports", {"format": "csv", "kind": "services",
                                                           "content": "id,name\n"}), 200)
        self.assertEqual(wrong["refused"][0]["code"], "invalid_header")

    def test_external_id_through_the_api(self):
        """external_id on create and PATCH, unique per noun (409 duplicate_external_id)."""
        ext = uid("ext")
        org = self.assertStatus(req("POST", "/organizations", {"name": "E", "external_id": ext}), 201)
        self.assertEqual(org["external_id"], ext)
        self.assertError(req("POST", "/organizations", {"name": "F", "external_id": ext}), 409,
                         "duplicate_external_id", "external_id")
        other = self.assertStatus(req("POST", "/organizations", {"name": "G"}), 201)
        self.assertIsNone(other["external_id"])
        self.assertError(req("PATCH", f"/organizations/{other['id']}", {"external_id": ext}), 409,
                         "duplicate_external_id")
        moved = self.assertStatus(req("PATCH", f"/organizations/{org['id']}",
                                      {"external_id": ext + "-2"}), 200)
        self.assertEqual(moved["external_id"], ext + "-2")
        self.assertStatus(req("PATCH", f"/organizations/{other['id']}", {"external_id": ext}), 200)
        res = self.assertStatus(req("POST", "/resources", {"owner": org["id"], "kind": "k",
                                                           "name": "r", "external_id": ext}), 201)
        rev = self.assertStatus(req("POST", f"/resources/{res['id']}/revisions",
                                    {"external_id": ext + "-r"}), 201)
        self.assertEqual(rev["version"], 2)
        self.assertEqual(req("GET", f"/resources/{res['id']}")[1]["external_id"], ext + "-r")
        self.assertError(req("POST", "/organizations", {"name": "H", "external_id": ""}), 400,
                         "invalid_field", "external_id")

    def test_malformed_backstage_content_does_not_crash(self):
        for content in ["", "- a\n- b\n", "[" * 50000, "kind: Group\n", "\x00\xff", "a: &a [*a]"]:
            status, body, _ = req("POST", "/imports", {"format": "backstage", "content": content})
            self.assertEqual(status, 200, body)
        self.assertAlive()


if __name__ == "__main__":
    unittest.main()
