#!/usr/bin/env python3
"""CONTRACT §5 over HTTP: every record changes, retires and keeps its history.

Runs against the real binary (COCREATE_BIN), on SQLite or, with
COCREATE_TEST_STORE=postgresql, on a fresh PostgreSQL database; the server and
the helpers are those of api_test.py.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api_test  # noqa: E402
from api_test import (  # noqa: E402,F401  (setUpModule starts the shared server)
    ApiTestCase, Server, active_rel, all_events, build_pair, create, lifecycle, must, new_org,
    new_token, req, request_rel, setUpModule, uid)


def events_of(types, token=api_test._ADMIN, after=0):
    return [e for e in all_events(token) if e["type"] in types and e["seq"] > after]


def small_world(server):
    """On its own server: provider p owns vm `res` and runs `svc` built on it, offered publicly
    (`off`, access to `res`, one action); consumer c holds active `rel` on it and runs `app`
    built on `res`. Returns (prov, cons, res, svc, off, rel, app)."""
    r = server.req
    prov = must(r("POST", "/organizations", {"name": "p"}), 201, "org")["id"]
    cons = must(r("POST", "/organizations", {"name": "c"}), 201, "org")["id"]
    res = must(r("POST", "/resources", {"owner": prov, "kind": "vm", "name": "vm"}), 201,
               "res")["id"]
    svc = must(r("POST", "/services", {"provider": prov, "name": "s", "built_on": [res]}),
               201, "svc")["id"]
    off = must(r("POST", "/offerings", {"provider": prov, "service": svc, "name": "o",
                                        "audience": "public", "access": [{"resource": res}],
                                        "actions": [{"name": "a", "effect": "none"}]}),
               201, "off")["id"]
    rel = must(r("POST", "/relationships", {"offering": off, "consumer": cons,
                                            "type": "basic"}), 201, "rel")["id"]
    must(r("POST", f"/relationships/{rel}/activate", {}), 200, "activate")
    app = must(r("POST", "/services", {"provider": cons, "name": "app", "built_on": [res]}),
               201, "app")["id"]
    return prov, cons, res, svc, off, rel, app


class TestChangeAndRetire(ApiTestCase):

    def setUp(self):
        self.w = build_pair("live")

    def test_patch_organization(self):
        """A member changes its own organization (merge patch on attributes); others get 403."""
        w = self.w
        body = self.assertStatus(req("PATCH", f"/organizations/{w.cons}",
                                     {"name": "Café Nord", "attributes": {"seats": 40}},
                                     token=w.tc), 200)
        self.assertEqual(body["name"], "Café Nord")
        self.assertEqual(body["attributes"], {"seats": 40})
        self.assertEqual(body["status"], "active")
        body = self.assertStatus(req("PATCH", f"/organizations/{w.cons}",
                                     {"attributes": {"seats": None, "wifi": True}}, token=w.tc), 200)
        self.assertEqual(body["attributes"], {"wifi": True})
        updated = [e for e in events_of({"organization.updated"}) if e["subject"] == w.cons]
        self.assertEqual([e["data"]["changes"] for e in updated],
                         [{"name": "Café Nord", "attributes": {"seats": 40}},
                          {"attributes": {"seats": None, "wifi": True}}])
        self.assertEqual(updated[0]["actor"], w.cons)
        self.assertError(req("PATCH", f"/organizations/{w.cons}", {"name": "x"}, token=w.tp),
                         403, "forbidden")
        self.assertError(req("PATCH", f"/organizations/{w.cons}", {"owner": "x"}, token=w.tc),
                         400, "invalid_field", "owner")
        self.assertError(req("PATCH", "/organizations/nobody-at-all", {"name": "x"}), 404)
        self.assertError(req("PATCH", f"/organizations/{w.cons}", [1], token=w.tc), 400)
        # A merge patch may say so (RFC 7396); a lifecycle POST takes {} and nothing else.
        self.assertStatus(req("PATCH", f"/organizations/{w.cons}", None, token=w.tc,
                              raw=b'{"description": "by the harbour"}',
                              headers={"Content-Type": "application/merge-patch+json"}), 200)
        self.assertError(req("POST", f"/organizations/{w.cons}/close", {"why": "x"}), 400)

    def test_revision_is_a_new_version_without_provision(self):
        w = self.w
        body = self.assertStatus(req("POST", f"/resources/{w.res}/revisions",
                                     {"name": "shared vm (v2)", "attributes": {"cpu": 4}},
                                     token=w.tp), 201)
        self.assertEqual(body["version"], 2)
        self.assertIsNone(body["provision"])
        self.assertEqual(body["attributes"], {"cpu": 4})
        versions = self.assertStatus(req("GET", f"/resources/{w.res}/versions", token=w.tp), 200)
        self.assertEqual([v["version"] for v in versions["items"]], [1, 2])
        self.assertEqual(versions["items"][0]["attributes"], {"cpu": 2})
        revised = [e for e in events_of({"resource.revised"}) if e["subject"] == w.res]
        self.assertEqual(revised[-1]["data"]["version"], 2)
        self.assertEqual(revised[-1]["data"]["changes"],
                         {"name": "shared vm (v2)", "attributes": {"cpu": 4}})
        # The consumer sees the resource (the offering gives access to it) but does not own it.
        self.assertError(req("POST", f"/resources/{w.res}/revisions", {"attributes": {}},
                             token=w.tc), 403, "forbidden")
        self.assertError(req("POST", f"/resources/{w.res}/revisions", {}, token=w.tp), 400)

    def test_retire_resource_in_use_then_retired(self):
        w = self.w
        err = self.assertError(req("POST", f"/resources/{w.res}/retire", {}, token=w.tp),
                               409, "in_use")
        self.assertIn(w.svc, err["message"])
        spare = create("resources", {"owner": w.prov, "kind": "vm", "name": "spare"}, w.tp)["id"]
        body = self.assertStatus(req("POST", f"/resources/{spare}/retire", token=w.tp), 200)
        self.assertEqual(body["status"], "retired")
        # Retiring again is a safe retry: 200, no second event.
        self.assertStatus(req("POST", f"/resources/{spare}/retire", {}, token=w.tp), 200)
        retired = [e for e in events_of({"resource.retired"}) if e["subject"] == spare]
        self.assertEqual(len(retired), 1)
        self.assertError(req("GET", "/resources?status=retird", token=w.tp), 400,
                         "invalid_field", "status")
        listed = self.assertStatus(req("GET", f"/resources?owner={w.prov}&status=retired",
                                       token=w.tp), 200)
        self.assertEqual([r["id"] for r in listed["items"]], [spare])
        self.assertError(req("POST", "/services", {"provider": w.prov, "name": "s",
                                                   "built_on": [spare]}, token=w.tp),
                         422, "retired_reference", "built_on[0]")
        self.assertError(req("POST", f"/resources/{spare}/revisions", {"attributes": {"a": 1}},
                             token=w.tp), 409, "retired")

    def test_patch_service_checks_the_rules_again(self):
        w = self.w
        private = create("resources", {"owner": w.prov, "kind": "db", "name": "private db"},
                         w.tp)["id"]
        body = self.assertStatus(req("PATCH", f"/services/{w.svc}",
                                     {"built_on": [w.res, private], "description": "with a db"},
                                     token=w.tp), 200)
        self.assertEqual(body["built_on"], [w.res, private])
        self.assertError(req("PATCH", f"/services/{w.svc}", {"built_on": ["no-such-thing"]},
                             token=w.tp), 422, "unknown_reference", "built_on[0]")
        theirs = create("resources", {"owner": w.cons, "kind": "db", "name": "theirs"}, w.tc)["id"]
        self.assertError(req("PATCH", f"/services/{w.svc}", {"built_on": [theirs]}),
                         422, "resource_not_usable", "built_on[0]")
        self.assertError(req("PATCH", f"/services/{w.svc}", {"name": "x"}, token=w.tc),
                         403, "forbidden")
        # The consumer sees the service (it is offered publicly) and its change, without the
        # private resource it may not see.
        updated = [e for e in events_of({"service.updated"}, token=w.tc) if e["subject"] == w.svc]
        self.assertEqual(len(updated), 1)
        self.assertEqual(updated[0]["data"]["after"]["built_on"], [w.res])
        self.assertEqual(updated[0]["data"]["after"]["redacted"], {"built_on": 1})
        self.assertNotIn(private, str(updated[0]))
        seen = self.assertStatus(req("GET", f"/services/{w.svc}", token=w.tc), 200)
        self.assertNotIn(private, str(seen))

    def test_offering_changes_reach_live_relationships(self):
        w = self.w
        rel = active_rel(w)
        extra = create("resources", {"owner": w.prov, "kind": "vm", "name": "extra"}, w.tp)["id"]
        mark = self.last_seq()
        body = self.assertStatus(req("PATCH", f"/offerings/{w.offering}", {
            "access": [{"resource": extra}],
            "actions": [{"name": "advise", "effect": "none"}]}, token=w.tp), 200)
        self.assertEqual(body["version"], 2)
        versions = self.assertStatus(req("GET", f"/offerings/{w.offering}/versions", token=w.tc),
                                     200)
        self.assertEqual([v["version"] for v in versions["items"]], [1, 2])
        self.assertEqual(versions["total"], 2)
        moves = [(e["type"], e["data"]["resources"]) for e in
                 events_of({"access.granted", "access.revoked"}, after=mark)]
        self.assertEqual(moves, [("access.granted", [extra]), ("access.revoked", [w.res])])
        # The consumer sees what it now has access to.
        self.assertStatus(req("GET", f"/resources/{extra}", token=w.tc), 200)
        # A removed action cannot be performed any more.
        self.assertError(req("POST", "/provisions", {"relationship": rel, "action": "tune",
                                                     "modifies": []}, token=w.tp),
                         422, "action_not_offered")
        self.assertStatus(req("POST", "/provisions", {"relationship": rel, "action": "advise"},
                              token=w.tp), 201)

    def test_retired_offering_takes_no_request_but_relationships_carry_on(self):
        w = self.w
        rel = active_rel(w)
        versions = f"/offerings/{w.offering}/versions"
        made = self.assertStatus(req("GET", versions, token=w.tp), 200)
        body = self.assertStatus(req("POST", f"/offerings/{w.offering}/retire", token=w.tp), 200)
        self.assertEqual(body["status"], "retired")
        # Retiring makes no version: each reads as it was made.
        self.assertEqual(self.assertStatus(req("GET", versions, token=w.tp), 200), made)
        other = w.other
        self.assertError(req("POST", "/relationships", {"offering": w.offering, "consumer": other,
                                                        "type": "basic"}, token=w.to),
                         422, "offering_retired", "offering")
        self.assertStatus(req("POST", "/provisions", {"relationship": rel, "action": "advise"},
                              token=w.tp), 201)
        self.assertError(req("PATCH", f"/offerings/{w.offering}", {"name": "x"}, token=w.tp),
                         409, "retired")
        # A relationship on a retired offering no longer keeps the service in use (§9.12).
        self.assertStatus(req("POST", f"/services/{w.svc}/retire", token=w.tp), 200)
        self.assertStatus(req("POST", f"/resources/{w.res}/retire", token=w.tp), 200)
        # Retiring the resource ended the consumer's access to it.
        self.assertEqual(all_events(w.tp)[-1]["type"], "access.revoked")
        must(lifecycle(rel, "terminate", w.tc), 200, "terminate")

    def test_one_live_relationship_per_consumer_and_offering(self):
        w = self.w
        rel = request_rel(w)["id"]
        err = self.assertError(req("POST", "/relationships", {"offering": w.offering,
                                                              "consumer": w.cons,
                                                              "type": "partnership"},
                                   token=w.tc), 409, "duplicate_relationship")
        self.assertIn(rel, err["message"])
        must(lifecycle(rel, "terminate", w.tc), 200, "withdraw")
        request_rel(w, "partnership")

    def test_close_organization(self):
        w = self.w
        rel = active_rel(w)
        self.assertError(req("POST", f"/organizations/{w.prov}/close", token=w.tp), 403,
                         "forbidden")
        self.assertError(req("POST", f"/organizations/{w.prov}/close"), 409,
                         "has_active_relationships")
        must(lifecycle(rel, "terminate", w.tc), 200, "terminate")
        body = self.assertStatus(req("POST", f"/organizations/{w.prov}/close"), 200)
        self.assertEqual(body["status"], "closed")
        # Its tokens stop, its offerings are retired, it is party to nothing new.
        self.assertError(req("GET", "/me", token=w.tp), 401)
        offering = self.assertStatus(req("GET", f"/offerings/{w.offering}"), 200)
        self.assertEqual(offering["status"], "retired")
        self.assertError(req("POST", "/relationships", {"offering": w.offering,
                                                        "consumer": w.cons, "type": "basic"},
                             token=w.tc), 422, "organization_closed")
        self.assertError(req("POST", "/tokens", {"organization": w.prov}), 422,
                         "organization_closed")
        closed = self.assertStatus(req("GET", "/organizations?status=closed&limit=1000"), 200)
        self.assertIn(w.prov, [o["id"] for o in closed["items"]])

    def test_organization_keeps_its_own_consumer_group(self):
        w = self.w
        group = self.assertStatus(req("POST", "/consumer-groups",
                                      {"name": "regulars", "members": [w.cons]}, token=w.tp), 201)
        self.assertEqual(group["owner"], w.prov)
        g = group["id"]
        # Members are shown to the owner and, to a member, itself only.
        self.assertEqual(self.assertStatus(req("GET", f"/consumer-groups/{g}", token=w.tc),
                                           200)["members"], [w.cons])
        seen = self.assertStatus(req("GET", f"/consumer-groups/{g}", token=w.to), 200)
        self.assertEqual(seen["members"], [])
        self.assertEqual(seen["redacted"], {"members": 1})
        self.assertError(req("PATCH", f"/consumer-groups/{g}", {"add": [w.other]}, token=w.tc),
                         403, "forbidden")
        # A new café joins the group, and may then request an offering that targets it.
        cafe = new_org("cafe")
        tcafe = new_token(cafe)
        body = self.assertStatus(req("PATCH", f"/consumer-groups/{g}", {"add": [cafe]},
                                     token=w.tp), 200)
        self.assertEqual(body["members"], [w.cons, cafe])
        self.assertStatus(req("PATCH", f"/offerings/{w.offering}",
                              {"audience": {"consumer_groups": [g]}}, token=w.tp), 200)
        create("relationships", {"offering": w.offering, "consumer": cafe, "type": "basic"}, tcafe)
        self.assertError(req("POST", "/relationships", {"offering": w.offering,
                                                        "consumer": w.other, "type": "basic"},
                             token=w.to), 422)
        # Another organization's group cannot be an audience.
        theirs = create("consumer-groups", {"name": "mine", "members": []}, w.tc)["id"]
        self.assertError(req("PATCH", f"/offerings/{w.offering}",
                             {"audience": {"consumer_groups": [theirs]}}, token=w.tp),
                         422, "unknown_reference", "audience.consumer_groups[0]")


class TestDegradedServices(ApiTestCase):

    def test_suspension_degrades_and_resumption_restores(self):
        w = build_pair("degr")
        rel = active_rel(w)
        app = create("services", {"provider": w.cons, "name": "shop", "built_on": [w.res]},
                     w.tc)["id"]
        must(lifecycle(rel, "suspend", w.tp), 200, "suspend")
        svc = self.assertStatus(req("GET", f"/services/{app}", token=w.tc), 200)
        self.assertEqual(svc["status"], "degraded")
        self.assertEqual(svc["degraded_by"], [{"resource": w.res, "relationship": rel}])
        degraded = self.assertStatus(req("GET", f"/services?provider={w.cons}&status=degraded",
                                         token=w.tc), 200)
        self.assertEqual([s["id"] for s in degraded["items"]], [app])
        events = [e for e in all_events(w.tc) if e["subject"] == app]
        self.assertEqual([e["type"] for e in events], ["service.created", "service.degraded"])
        must(lifecycle(rel, "resume", w.tp), 200, "resume")
        svc = self.assertStatus(req("GET", f"/services/{app}", token=w.tc), 200)
        self.assertEqual((svc["status"], svc["degraded_by"]), ("active", []))
        self.assertEqual(all_events(w.tc)[-1]["type"], "service.restored")

    def test_retiring_a_resource_degrades_the_consumers_services(self):
        w = build_pair("degr2")
        rel = active_rel(w)
        app = create("services", {"provider": w.cons, "name": "shop", "built_on": [w.res]},
                     w.tc)["id"]
        self.assertStatus(req("PATCH", f"/services/{w.svc}", {"built_on": []}, token=w.tp), 200)
        self.assertStatus(req("POST", f"/offerings/{w.offering}/retire", token=w.tp), 200)
        self.assertStatus(req("POST", f"/resources/{w.res}/retire", token=w.tp), 200)
        svc = self.assertStatus(req("GET", f"/services/{app}", token=w.tc), 200)
        self.assertEqual(svc["degraded_by"], [{"resource": w.res, "relationship": rel}])


class TestProposals(ApiTestCase):

    def test_relationship_retyped_through_an_accepted_proposal(self):
        w = build_pair("prop")
        rel = active_rel(w)
        agreement = self.assertStatus(req("GET", f"/relationships/{rel}/agreement", token=w.tc),
                                      200)
        self.assertEqual((agreement["version"], agreement["type"], agreement["renewal"]),
                         (1, "basic", "none"))
        self.assertEqual(agreement["service_levels"][0]["target"], "at_least")
        proposal = self.assertStatus(req("POST", f"/relationships/{rel}/proposals",
                                         {"type": "partnership", "note": "let's go deeper"},
                                         token=w.tc), 201)
        self.assertEqual((proposal["status"], proposal["by"]), ("open", w.cons))
        self.assertEqual(proposal["changes"], {"type": "partnership"})
        pid = proposal["id"]
        self.assertError(req("POST", f"/proposals/{pid}/accept", token=w.tc), 403, "forbidden")
        self.assertError(req("GET", f"/proposals/{pid}", token=w.to), 404)
        accepted = self.assertStatus(req("POST", f"/proposals/{pid}/accept", {}, token=w.tp), 200)
        self.assertEqual(accepted["status"], "accepted")
        self.assertEqual(self.assertStatus(req("GET", f"/relationships/{rel}", token=w.tc),
                                           200)["type"], "partnership")
        versions = self.assertStatus(req("GET", f"/relationships/{rel}/agreements", token=w.tp),
                                     200)
        self.assertEqual([(a["version"], a["type"]) for a in versions["items"]],
                         [(1, "basic"), (2, "partnership")])
        self.assertError(req("POST", f"/proposals/{pid}/decline", token=w.tp), 409,
                         "proposal_not_open")
        types = [e["type"] for e in all_events(w.tc) if e["subject"] == rel]
        self.assertEqual(types[-2:], ["agreement.proposed", "agreement.changed"])
        self.assertEqual([e for e in all_events(w.to) if e["type"].startswith("agreement.")], [])


class TestImportChecksTheLog(ApiTestCase):

    def test_a_hand_edited_log_is_refused(self):
        """An export imports; the same export with one grant or degradation edited does not."""
        import json
        import subprocess
        import tempfile
        server = Server()
        self.addCleanup(server.close)
        server.start()
        r = server.req
        prov, _, res, _, _, rel, _ = small_world(server)
        other = must(r("POST", "/resources", {"owner": prov, "kind": "vm", "name": "vm2"}), 201,
                     "res")["id"]
        must(r("POST", f"/relationships/{rel}/suspend", {}), 200, "suspend")
        server.stop()
        source = ["--data-dir", server.data_dir] + (["--store", server.store] if server.store
                                                     else [])
        exported = subprocess.run([api_test.cocreate_bin(), "export", *source],
                                  capture_output=True, check=True).stdout
        lines = [json.loads(x) for x in exported.decode().splitlines()]

        def attempt(events):
            with tempfile.TemporaryDirectory() as d:
                text = "".join(json.dumps(e) + "\n" for e in events).encode()
                return subprocess.run([api_test.cocreate_bin(), "import", "--data-dir", d],
                                      input=text, capture_output=True)

        self.assertEqual(attempt(lines).returncode, 0)
        granted = [e for e in lines if e["type"] == "access.granted"][0]
        granted["data"]["resources"] = [res, other]  # a grant the offering never gave
        refused = attempt(lines)
        self.assertEqual(refused.returncode, 1)
        self.assertIn(b"contradicts itself", refused.stderr)
        granted["data"]["resources"] = [res]
        degraded = [e for e in lines if e["type"] == "service.degraded"][0]
        degraded["data"]["degraded_by"][0]["resource"] = other
        self.assertIn(b"degradation", attempt(lines).stderr)
        empty = subprocess.run([api_test.cocreate_bin(), "import", "--data-dir",
                                tempfile.mkdtemp()], input=b"", capture_output=True)
        self.assertEqual(empty.returncode, 1)
        self.assertIn(b"no events", empty.stderr)


class TestChangesSurviveRestart(ApiTestCase):

    def test_every_change_reads_back_after_kill_9(self):
        """Each §5 change, acknowledged, then kill -9: every answer is the same after restart."""
        server = Server()
        self.addCleanup(server.close)
        server.start()
        r = server.req
        prov, cons, res, svc, off, rel, app = small_world(server)
        group = must(r("POST", "/consumer-groups", {"name": "g", "owner": prov, "members": []}),
                     201, "group")["id"]
        must(r("PATCH", f"/organizations/{cons}", {"description": "a café",
                                                    "attributes": {"x": 1}}), 200, "patch org")
        must(r("PATCH", f"/consumer-groups/{group}", {"add": [cons], "name": "g2"}), 200, "group")
        must(r("POST", f"/resources/{res}/revisions", {"attributes": {"cpu": 8}}), 201, "revise")
        must(r("PATCH", f"/offerings/{off}", {"access": [], "name": "o2"}), 200, "offering")
        must(r("PATCH", f"/services/{svc}", {"description": "d"}), 200, "service")
        must(r("POST", f"/offerings/{off}/retire", {}), 200, "retire offering")
        paths = [f"/organizations/{cons}", f"/consumer-groups/{group}", f"/resources/{res}",
                 f"/resources/{res}/versions", f"/services/{svc}", f"/services/{app}",
                 f"/offerings/{off}", f"/offerings/{off}/versions", f"/relationships/{rel}",
                 "/events?limit=1000"]
        # The deepest merge patch the server takes, on an organization and a revision.
        def nested(depth):
            value = 1
            for _ in range(depth):
                value = {"k": value}
            return value
        for path, wrap, ok in ((f"/organizations/{cons}", lambda v: {"attributes": v}, 200),
                               (f"/resources/{res}/revisions", lambda v: {"attributes": v}, 201)):
            depth = 70
            while r("PATCH" if ok == 200 else "POST", path, wrap(nested(depth)))[0] != ok:
                depth -= 1
                self.assertGreater(depth, 50, f"{path} takes no deep patch")
            self.assertEqual(r("PATCH" if ok == 200 else "POST", path,
                               wrap(nested(depth + 1)))[0], 400)
        before = {p: r("GET", p)[1] for p in paths}
        self.assertEqual(before[f"/services/{app}"]["status"], "degraded")
        server.kill9()
        server.start()
        after = {p: server.req("GET", p)[1] for p in paths}
        self.assertEqual(before, after)


if __name__ == "__main__":
    unittest.main()
