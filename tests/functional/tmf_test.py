#!/usr/bin/env python3
"""CONTRACT §8 and §9.24 over HTTP: the TM Forum Open API v4 views of the engine.

Runs against the real binary (COCREATE_BIN), on SQLite or, with COCREATE_TEST_STORE=postgresql,
on PostgreSQL, with the server and helpers of api_test.py. Each mapping of §8 is checked both
ways: what a TMF write does to the native objects and events, and how native objects read in
the TMF view, with visibility, 404s for what is hidden, retired or closed, and the TMF630 rules.
"""
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api_test  # noqa: E402
from api_test import (  # noqa: E402,F401  (setUpModule starts the shared server)
    ApiTestCase, active_rel, all_events, build_pair, create, lifecycle, must, new_org,
    new_token, req, request_rel, setUpModule, uid)

PARTY = "/tmf-api/party/v4/"
ROLES = "/tmf-api/partyRoleManagement/v4/"
INVENTORY = "/tmf-api/resourceInventoryManagement/v4/"
CATALOG = "/tmf-api/serviceCatalogManagement/v4/"
SERVICES = "/tmf-api/serviceInventory/v4/"
ORDERING = "/tmf-api/serviceOrdering/v4/"


def tmf(method, path, body=None, token=api_test._ADMIN, headers=None, raw=None):
    return req(method, path, body, token=token, headers=headers, raw=raw, root=True)


def events_after(seq, types):
    return [e for e in all_events() if e["seq"] > seq and e["type"] in types]


class TmfTestCase(ApiTestCase):

    def assertTmfError(self, resp, status, code=None):
        got, body, _ = resp
        self.assertEqual(got, status, f"expected HTTP {status}, got {got}: {body!r}")
        self.assertEqual(body.get("@type"), "Error", body)
        self.assertEqual(body.get("status"), str(status), body)
        self.assertTrue(body.get("reason"), body)
        if code is not None:
            self.assertEqual(body.get("code"), code, body)
        return body


class TestTmf630(TmfTestCase):

    def test_paging_headers_fields_and_unknown_parameters(self):
        """offset/limit with X-Total-Count and X-Result-Count; fields keeps id, href and
        @type; a filter narrows; a parameter a view does not know is ignored (§9.24)."""
        tag = uid("page")
        for i in range(5):
            must(tmf("POST", PARTY + "organization", {"tradingName": f"{tag} {i}"}), 201, "org")
        got, body, headers = tmf("GET", PARTY + "organization?limit=2&offset=1")
        self.assertEqual(got, 200)
        self.assertEqual(len(body), 2)
        self.assertEqual(headers["X-Result-Count"], "2")
        self.assertGreaterEqual(int(headers["X-Total-Count"]), 5)
        got, body, headers = tmf("GET", PARTY + f"organization?tradingName={tag}%202"
                                 "&fields=tradingName&whatever=1")
        self.assertEqual(got, 200)
        self.assertEqual(headers["X-Total-Count"], "1")
        self.assertEqual(set(body[0]), {"id", "href", "@type", "tradingName"})
        self.assertEqual(body[0]["tradingName"], f"{tag} 2")
        # A comma-separated value is any of them.
        got, body, _ = tmf("GET", PARTY + f"organization?tradingName={tag}%201,{tag}%203")
        self.assertEqual(sorted(o["tradingName"] for o in body), [f"{tag} 1", f"{tag} 3"])
        for bad in ("limit=0", "limit=1001", "offset=-1", "limit=x"):
            self.assertTmfError(tmf("GET", PARTY + "organization?" + bad), 400, "invalid_field")

    def test_auth_methods_media_and_unknown_paths(self):
        """401 without a token, 405 with Allow, 415 for another media type, 404 for an unknown
        API or resource, all in TMF630's Error shape."""
        self.assertTmfError(tmf("GET", PARTY + "organization", token=None), 401)
        got, body, headers = tmf("PUT", PARTY + "organization", {"tradingName": "x"})
        self.assertEqual(got, 405, body)
        self.assertIn("POST", headers["Allow"])
        self.assertTmfError(tmf("POST", PARTY + "organization", raw=b"tradingName=x",
                                headers={"Content-Type": "text/plain"}), 415)
        self.assertTmfError(tmf("POST", PARTY + "organization", raw=b"{",
                                headers={"Content-Type": "application/json"}), 400)
        self.assertTmfError(tmf("GET", "/tmf-api/nothing/v4/organization"), 404)
        self.assertTmfError(tmf("GET", PARTY + "nothing"), 404)
        self.assertTmfError(tmf("GET", "/tmf-api/party/v3/organization"), 404)


class TestTmf632Party(TmfTestCase):

    def test_organization_round_trip(self):
        """POST organization → a native organization (organization.created); PATCH → its
        change; DELETE → closed, then 404 in the TMF view; id/href and unknown fields → 400."""
        after = self.last_seq()
        org = self.assertStatus(tmf("POST", PARTY + "organization", {
            "tradingName": "Coffee Do Brazil", "description": "beans",
            "partyCharacteristic": [{"name": "country", "value": "BR"}]}), 201)
        self.assertEqual(org["href"], PARTY + "organization/" + org["id"])
        self.assertEqual((org["@type"], org["tradingName"]), ("Organization", "Coffee Do Brazil"))
        native = self.assertStatus(req("GET", f"/organizations/{org['id']}"), 200)
        self.assertEqual((native["name"], native["description"], native["attributes"]),
                         ("Coffee Do Brazil", "beans", {"country": "BR"}))
        self.assertEqual([e["type"] for e in events_after(after, {"organization.created"})],
                         ["organization.created"])
        patched = self.assertStatus(tmf("PATCH", PARTY + "organization/" + org["id"], {
            "tradingName": "Coffee Do Brasil", "partyCharacteristic": []},
            headers={"Content-Type": "application/merge-patch+json"}), 200)
        self.assertEqual(patched["tradingName"], "Coffee Do Brasil")
        self.assertNotIn("partyCharacteristic", patched)
        native = self.assertStatus(req("GET", f"/organizations/{org['id']}"), 200)
        self.assertEqual((native["name"], native["attributes"]), ("Coffee Do Brasil", {}))
        # A PATCH that changes nothing records nothing.
        seq = self.last_seq()
        self.assertStatus(tmf("PATCH", PARTY + "organization/" + org["id"],
                              {"tradingName": "Coffee Do Brasil"}), 200)
        self.assertEqual(self.last_seq(), seq)
        self.assertTmfError(tmf("POST", PARTY + "organization",
                                {"id": "mine", "tradingName": "x"}), 400, "invalid_field")
        self.assertTmfError(tmf("POST", PARTY + "organization",
                                {"tradingName": "x", "organizationType": "company"}), 400)
        self.assertTmfError(tmf("POST", PARTY + "organization", {"description": "x"}), 400)
        got, _, _ = tmf("DELETE", PARTY + "organization/" + org["id"])
        self.assertEqual(got, 204)
        self.assertTmfError(tmf("GET", PARTY + "organization/" + org["id"]), 404)
        self.assertEqual(req("GET", f"/organizations/{org['id']}")[1]["status"], "closed")

    def test_members_may_not_create_organizations(self):
        org = new_org("tmfmember")
        token = new_token(org)
        self.assertTmfError(tmf("POST", PARTY + "organization", {"tradingName": "x"},
                                token=token), 403)

    def test_individuals(self):
        """A member's individual belongs to its organization (native person, email); the
        admin's to none and is hidden from members; given and family names are kept as
        given; a native person's name is split at its last space (§9.24)."""
        org = new_org("tmfpeople")
        member = new_token(org)
        other = new_token(new_org("tmfpeople-other"))
        jane = self.assertStatus(tmf("POST", PARTY + "individual", {
            "givenName": "Jane", "familyName": "van der Berg",
            "contactMedium": [{"mediumType": "email",
                               "characteristic": {"emailAddress": "jane@example.org"}}]},
            token=member), 201)
        self.assertEqual((jane["givenName"], jane["familyName"], jane["fullName"]),
                         ("Jane", "van der Berg", "Jane van der Berg"))
        self.assertEqual(jane["relatedParty"][0]["id"], org)
        native = self.assertStatus(req("GET", f"/people/{jane['id']}", token=member), 200)
        self.assertEqual((native["name"], native["organization"], native["email"]),
                         ("Jane van der Berg", org, "jane@example.org"))
        self.assertTmfError(tmf("GET", PARTY + "individual/" + jane["id"], token=other), 404)
        loner = self.assertStatus(tmf("POST", PARTY + "individual",
                                      {"givenName": "Lone", "familyName": "Ranger"}), 201)
        self.assertNotIn("relatedParty", loner)
        self.assertTmfError(tmf("GET", PARTY + "individual/" + loner["id"], token=member), 404)
        # A person made natively reads with its name split.
        ada = must(req("POST", f"/organizations/{org}/people",
                       {"name": "Ada King Lovelace"}, token=member), 201, "person")
        view = self.assertStatus(tmf("GET", PARTY + "individual/" + ada["id"], token=member), 200)
        self.assertEqual((view["givenName"], view["familyName"]), ("Ada King", "Lovelace"))
        listed = self.assertStatus(tmf("GET", PARTY + "individual?familyName=van%20der%20Berg",
                                       token=member), 200)
        self.assertEqual([p["id"] for p in listed], [jane["id"]])
        self.assertTmfError(tmf("POST", PARTY + "individual", {"givenName": ""}), 400)
        self.assertTmfError(tmf("POST", PARTY + "individual", {
            "givenName": "A", "contactMedium": [{"mediumType": "email",
                                                 "characteristic": {"emailAddress": "nope"}}]}),
            400)
        got, _, headers = tmf("DELETE", PARTY + "individual/" + jane["id"])
        self.assertEqual(got, 405)
        # Kept as given across a restart.
        api_test.SERVER.restart()
        again = self.assertStatus(tmf("GET", PARTY + "individual/" + jane["id"], token=member),
                                  200)
        self.assertEqual((again["givenName"], again["familyName"]), ("Jane", "van der Berg"))


class TestTmf669PartyRole(TmfTestCase):

    def test_derived_roles_follow_the_relationships(self):
        """Each organization's provider and consumer roles, read-only, dated as /roles says."""
        w = build_pair("tmfroles")
        active_rel(w)
        roles = self.assertStatus(req("GET", f"/organizations/{w.prov}/roles"), 200)
        role = self.assertStatus(tmf("GET", ROLES + f"partyRole/{w.prov}:provider",
                                     token=w.to), 200)
        self.assertEqual((role["name"], role["roleType"]["name"], role["engagedParty"]["id"]),
                         ("provider", "provider", w.prov))
        self.assertEqual(role["validFor"]["startDateTime"], roles["provider_since"])
        self.assertStatus(tmf("GET", ROLES + f"partyRole/{w.cons}:consumer"), 200)
        self.assertTmfError(tmf("GET", ROLES + f"partyRole/{w.other}:provider"), 404)
        self.assertTmfError(tmf("PATCH", ROLES + f"partyRole/{w.prov}:provider",
                                {"name": "x"}, token=w.tp), 403)
        self.assertTmfError(tmf("DELETE", ROLES + f"partyRole/{w.prov}:provider"), 403)
        listed = self.assertStatus(tmf("GET", ROLES + f"partyRole?engagedParty.id={w.prov}"), 200)
        self.assertEqual([r["id"] for r in listed], [f"{w.prov}:provider"])

    def test_declared_roles(self):
        """A declared role of the member's own organization: 201, visible to it and the admin,
        404 to others; merge-patched; deleted 204 then 404; recorded as events."""
        org = new_org("tmfdecl")
        member = new_token(org)
        outsider = new_token(new_org("tmfdecl-out"))
        after = self.last_seq()
        role = self.assertStatus(tmf("POST", ROLES + "partyRole", {
            "name": "reseller", "roleType": {"name": "reseller"},
            "engagedParty": {"id": org, "@referredType": "Organization"},
            "validFor": {"startDateTime": "2026-01-01T00:00:00Z"}}, token=member), 201)
        self.assertEqual(role["engagedParty"]["id"], org)
        self.assertEqual(role["validFor"], {"startDateTime": "2026-01-01T00:00:00Z"})
        self.assertTmfError(tmf("GET", ROLES + "partyRole/" + role["id"], token=outsider), 404)
        self.assertTmfError(tmf("POST", ROLES + "partyRole", {
            "name": "x", "engagedParty": {"id": org}}, token=outsider), 403)
        self.assertTmfError(tmf("POST", ROLES + "partyRole", {
            "name": "x", "engagedParty": {"id": "no-such-party"}}), 422, "unknown_reference")
        self.assertTmfError(tmf("POST", ROLES + "partyRole", {"name": "x", "roleType": "y"}),
                            400)
        patched = self.assertStatus(tmf("PATCH", ROLES + "partyRole/" + role["id"], {
            "name": "distributor", "validFor": None, "status": "approved"}, token=member), 200)
        self.assertEqual((patched["name"], patched["status"]), ("distributor", "approved"))
        self.assertNotIn("validFor", patched)
        self.assertTmfError(tmf("PATCH", ROLES + "partyRole/" + role["id"], {
            "engagedParty": {"id": "someone-else"}}, token=member), 400)
        # No party: the admin's, visible to the admin only.
        lone = self.assertStatus(tmf("POST", ROLES + "partyRole",
                                     {"name": "auditor", "roleType": {}}), 201)
        self.assertNotIn("engagedParty", lone)
        self.assertTmfError(tmf("GET", ROLES + "partyRole/" + lone["id"], token=member), 404)
        api_test.SERVER.restart()
        self.assertEqual(self.assertStatus(tmf("GET", ROLES + "partyRole/" + role["id"],
                                               token=member), 200)["name"], "distributor")
        got, _, _ = tmf("DELETE", ROLES + "partyRole/" + role["id"], token=member)
        self.assertEqual(got, 204)
        self.assertTmfError(tmf("GET", ROLES + "partyRole/" + role["id"], token=member), 404)
        self.assertTmfError(tmf("DELETE", ROLES + "partyRole/" + role["id"], token=member), 404)
        types = [e["type"] for e in events_after(after, {"party_role.declared",
                                                         "party_role.updated",
                                                         "party_role.removed"})]
        self.assertEqual(types, ["party_role.declared", "party_role.updated",
                                 "party_role.declared", "party_role.removed"])


class TestTmf639Resource(TmfTestCase):

    def test_resource_round_trip(self):
        """POST → a native resource of the token's organization; characteristics ↔ attributes;
        PATCH → a revision; DELETE → retire (409 while in use), then 404."""
        w = build_pair("tmfres")
        router = self.assertStatus(tmf("POST", INVENTORY + "resource", {
            "name": "edge router", "@type": "Router",
            "resourceCharacteristic": [{"name": "ports", "value": 48},
                                       {"name": "site", "value": {"city": "Lyon"}}]},
            token=w.tp), 201)
        self.assertEqual((router["@type"], router["relatedParty"][0]["id"],
                          router["relatedParty"][0]["role"]), ("Router", w.prov, "owner"))
        native = self.assertStatus(req("GET", f"/resources/{router['id']}", token=w.tp), 200)
        self.assertEqual((native["kind"], native["owner"], native["attributes"]),
                         ("Router", w.prov, {"ports": 48, "site": {"city": "Lyon"}}))
        patched = self.assertStatus(tmf("PATCH", INVENTORY + "resource/" + router["id"], {
            "resourceCharacteristic": [{"name": "ports", "value": 96},
                                       {"name": "site", "value": {"town": "Lyon"}}]},
            token=w.tp), 200)
        self.assertEqual(patched["resourceVersion"], "2")
        versions = self.assertStatus(req("GET", f"/resources/{router['id']}/versions",
                                         token=w.tp), 200)
        self.assertEqual(versions["items"][-1]["attributes"],
                         {"ports": 96, "site": {"town": "Lyon"}})
        self.assertTmfError(tmf("PATCH", INVENTORY + "resource/" + router["id"],
                                {"@type": "Switch"}, token=w.tp), 400)
        self.assertTmfError(tmf("PATCH", INVENTORY + "resource/" + router["id"],
                                {"relatedParty": [{"id": w.cons, "role": "owner"}]},
                                token=w.tp), 400)
        self.assertTmfError(tmf("GET", INVENTORY + "resource/" + router["id"], token=w.to), 404)
        self.assertTmfError(tmf("POST", INVENTORY + "resource", {"name": "x"}), 400)
        self.assertTmfError(tmf("POST", INVENTORY + "resource", {
            "name": "x", "resourceCharacteristic": [{"name": "a", "value": 1},
                                                    {"name": "a", "value": 2}]},
            token=w.tp), 400)
        # The pair's resource is what its offering gives access to: in use.
        self.assertTmfError(tmf("DELETE", INVENTORY + "resource/" + w.res, token=w.tp), 409)
        got, _, _ = tmf("DELETE", INVENTORY + "resource/" + router["id"], token=w.tp)
        self.assertEqual(got, 204)
        self.assertTmfError(tmf("GET", INVENTORY + "resource/" + router["id"], token=w.tp), 404)
        self.assertEqual(req("GET", f"/resources/{router['id']}", token=w.tp)[1]["status"],
                         "retired")
        listed = self.assertStatus(tmf("GET", INVENTORY + f"resource?relatedParty.id={w.prov}",
                                       token=w.tp), 200)
        self.assertEqual([r["id"] for r in listed], [w.res])


class TestLargestBodies(TmfTestCase):

    def test_fifty_thousand_characteristics(self):
        """The largest bodies a TMF view takes are handled in linear time: 50,000
        characteristics on a POST, then a PATCH that replaces half of them (a quadratic
        duplicate check or diff would not finish within the test's time)."""
        w = build_pair("tmfbig")
        n = 50000
        chars = [{"name": f"k{i}", "value": i} for i in range(n)]
        res = self.assertStatus(tmf("POST", INVENTORY + "resource", {
            "name": "big", "resourceCharacteristic": chars}, token=w.tp), 201)
        self.assertEqual(len(res["resourceCharacteristic"]), n)
        changed = chars[: n // 2] + [{"name": f"j{i}", "value": i} for i in range(n // 2)]
        patched = self.assertStatus(tmf("PATCH", INVENTORY + "resource/" + res["id"], {
            "resourceCharacteristic": changed}, token=w.tp), 200)
        self.assertEqual(patched["resourceVersion"], "2")
        names = [c["name"] for c in patched["resourceCharacteristic"]]
        self.assertEqual(len(names), n)
        self.assertEqual(set(names), {c["name"] for c in changed})
        dup = chars[:3] + [{"name": "k1", "value": 0}]
        self.assertTmfError(tmf("POST", INVENTORY + "resource", {
            "name": "dup", "resourceCharacteristic": dup}, token=w.tp), 400)


class TestTmf633And638(TmfTestCase):

    def test_catalog_and_inventory(self):
        """serviceSpecification ↔ service, serviceCandidate ↔ offering, serviceCatalog ↔ a
        provider's offerings; TMF638 service ↔ relationship with the state mapping and the
        resources it gives access to."""
        w = build_pair("tmfcat")
        spec = self.assertStatus(tmf("GET", CATALOG + "serviceSpecification/" + w.svc,
                                     token=w.to), 200)
        self.assertEqual((spec["name"], spec["relatedParty"][0]["id"]), ("hosting", w.prov))
        cand = self.assertStatus(tmf("GET", CATALOG + "serviceCandidate/" + w.offering,
                                     token=w.to), 200)
        self.assertEqual(cand["serviceSpecification"]["id"], w.svc)
        catalog = self.assertStatus(tmf("GET", CATALOG + "serviceCatalog/" + w.prov,
                                        token=w.to), 200)
        self.assertEqual([c["id"] for c in catalog["serviceCandidate"]], [w.offering])
        rel = request_rel(w)["id"]
        states = []
        for verb in (None, "activate", "suspend", "resume", "terminate"):
            if verb:
                must(lifecycle(rel, verb, w.tp), 200, verb)
            svc = self.assertStatus(tmf("GET", SERVICES + "service/" + rel, token=w.tc), 200)
            states.append(svc["state"])
        self.assertEqual(states, ["reserved", "active", "inactive", "active", "terminated"])
        self.assertEqual([r["id"] for r in svc["supportingResource"]], [w.res])
        self.assertEqual({p["role"]: p["id"] for p in svc["relatedParty"]},
                         {"provider": w.prov, "customer": w.cons})
        self.assertTmfError(tmf("GET", SERVICES + "service/" + rel, token=w.to), 404)
        listed = self.assertStatus(tmf("GET", SERVICES + "service?state=terminated",
                                       token=w.tc), 200)
        self.assertIn(rel, [s["id"] for s in listed])
        self.assertTmfError(tmf("POST", CATALOG + "serviceSpecification", {"name": "x"}), 405)
        must(req("POST", f"/offerings/{w.offering}/retire", {}, token=w.tp), 200, "retire")
        self.assertTmfError(tmf("GET", CATALOG + "serviceCandidate/" + w.offering), 404)



class TestTmf641ServiceOrder(TmfTestCase):

    def test_orders_follow_what_they_caused(self):
        """add ↔ a relationship request (completed when activated), modify ↔ a provision of the
        named action, delete ↔ terminate; all items or none; the order has its own id and is
        404 to others."""
        w = build_pair("tmforder")
        rels_before = len(req("GET", "/relationships?limit=1000", token=w.tc)[1]["items"])
        # An item the rules refuse refuses the whole order.
        bad = self.assertTmfError(tmf("POST", ORDERING + "serviceOrder", {"serviceOrderItem": [
            {"id": "1", "action": "add", "service": {"serviceSpecification": {"id": w.offering}}},
            {"id": "2", "action": "add",
             "service": {"serviceSpecification": {"id": "no-such-offering"}}}]}, token=w.tc),
            422, "unknown_reference")
        self.assertTrue(bad["field"].startswith("serviceOrderItem[1]"), bad)
        self.assertEqual(len(req("GET", "/relationships?limit=1000", token=w.tc)[1]["items"]),
                         rels_before)
        order = self.assertStatus(tmf("POST", ORDERING + "serviceOrder", {
            "externalId": "PO-1", "serviceOrderItem": [
                {"id": "1", "action": "add",
                 "service": {"serviceSpecification": {"id": w.offering},
                             "serviceCharacteristic": [{"name": "type", "value": "cooperative"}]}}]},
            token=w.tc), 201)
        self.assertEqual((order["state"], order["externalId"]), ("inProgress", "PO-1"))
        item = order["serviceOrderItem"][0]
        self.assertEqual((item["action"], item["state"]), ("add", "inProgress"))
        rel = item["service"]["id"]
        native = self.assertStatus(req("GET", f"/relationships/{rel}", token=w.tc), 200)
        self.assertEqual((native["status"], native["type"], native["consumer"]),
                         ("requested", "cooperative", w.cons))
        self.assertTmfError(tmf("GET", ORDERING + "serviceOrder/" + order["id"], token=w.to), 404)
        must(lifecycle(rel, "activate", w.tp), 200, "activate")
        again = self.assertStatus(tmf("GET", ORDERING + "serviceOrder/" + order["id"],
                                      token=w.tc), 200)
        self.assertEqual(again["state"], "completed")
        # The provider records a provision through an order: modify names the action.
        modify = self.assertStatus(tmf("POST", ORDERING + "serviceOrder", {"serviceOrderItem": [
            {"id": "m", "action": "modify",
             "service": {"id": rel, "serviceCharacteristic": [{"name": "action",
                                                               "value": "advise"}]}}]},
            token=w.tp), 201)
        self.assertEqual(modify["state"], "completed")
        provisions = req("GET", f"/provisions?relationship={rel}", token=w.tp)[1]["items"]
        self.assertEqual([p["action"] for p in provisions], ["advise"])
        self.assertTmfError(tmf("POST", ORDERING + "serviceOrder", {"serviceOrderItem": [
            {"id": "m", "action": "modify", "service": {"id": rel}}]}, token=w.tp), 400)
        # What an item's action does not read is refused, not dropped.
        for service in ({"id": rel, "serviceCharacteristic": [{"name": "action", "value": "advise"},
                                                              {"name": "colour", "value": "red"}]},
                        {"id": rel, "foo": 1},
                        {"id": rel, "serviceCharacteristic": [{"name": "action", "value": "a"},
                                                              {"name": "action", "value": "b"}]}):
            self.assertTmfError(tmf("POST", ORDERING + "serviceOrder", {"serviceOrderItem": [
                {"id": "m", "action": "modify", "service": service}]}, token=w.tp), 400)
        unknown = self.assertTmfError(tmf("POST", ORDERING + "serviceOrder", {"serviceOrderItem": [
            {"id": "a", "action": "add", "service": {"serviceSpecification": {"id": "nope"}}}]},
            token=w.tc), 422)
        self.assertEqual(unknown["field"], "serviceOrderItem[0].service.serviceSpecification.id")
        self.assertTmfError(tmf("POST", ORDERING + "serviceOrder", {"serviceOrderItem": [
            {"id": "x", "action": "delete", "service": {"id": rel}},
            {"id": "y", "action": "delete", "service": {"id": rel}}]}, token=w.tc), 400)
        self.assertStatus(tmf("POST", ORDERING + "serviceOrder", {"serviceOrderItem": [
            {"id": "d", "action": "delete", "service": {"id": rel}}]}, token=w.tc), 201)
        self.assertEqual(req("GET", f"/relationships/{rel}", token=w.tc)[1]["status"],
                         "terminated")
        listed = self.assertStatus(tmf("GET", ORDERING + "serviceOrder?externalId=PO-1",
                                       token=w.tc), 200)
        self.assertEqual([o["id"] for o in listed], [order["id"]])
        api_test.SERVER.restart()
        self.assertEqual(self.assertStatus(tmf("GET", ORDERING + "serviceOrder/" + order["id"],
                                               token=w.tc), 200)["state"], "completed")



class TestHub(TmfTestCase):

    def test_hub_registers_a_webhook_for_every_event(self):
        """POST {api}/hub {callback, query} → 201 and a webhook on `callback` for every event
        type (§9.22), which then receives what the organization may see; DELETE → 204."""
        received = []

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = "sha256=" + hmac.new(b"listener-secret", body,
                                                 hashlib.sha256).hexdigest()
                self.server.signed.append(signature == self.headers.get("Cocreate-Signature"))
                received.append((self.headers.get("Cocreate-Event-Seq"), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        listener.signed = []
        threading.Thread(target=listener.serve_forever, daemon=True).start()
        self.addCleanup(listener.shutdown)
        server = api_test.Server(extra_args=["--webhooks-allow-private"])
        self.addCleanup(server.close)
        server.start()
        callback = f"http://127.0.0.1:{listener.server_address[1]}/listener"
        got, hub, _ = server.req("POST", PARTY + "hub", {"callback": callback,
                                                         "query": "eventType=any",
                                                         "secret": "listener-secret"}, root=True)
        self.assertEqual(got, 201, hub)
        self.assertEqual((hub["callback"], hub["query"]), (callback, "eventType=any"))
        webhooks = server.req("GET", "/webhooks")[1]["items"]
        self.assertEqual([(h["id"], h["url"], h["events"]) for h in webhooks],
                         [(hub["id"], callback, ["*"])])
        got, org, _ = server.req("POST", PARTY + "organization", {"tradingName": "Hub Co"},
                                 root=True)
        self.assertEqual(got, 201)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
                e["type"] == "organization.created" for _, e in received):
            time.sleep(0.1)
        created = [(seq, e) for seq, e in received if e["type"] == "organization.created"]
        self.assertEqual(len(created), 1, received)
        self.assertEqual(created[0][1]["subject"], org["id"])
        self.assertEqual(created[0][0], str(created[0][1]["seq"]))
        # The listener's own secret signs every delivery (a cocreate extension).
        self.assertTrue(listener.signed and all(listener.signed), listener.signed)
        got, body, _ = server.req("POST", PARTY + "hub", {"query": "x"}, root=True)
        self.assertEqual(got, 400, body)
        got, _, _ = server.req("DELETE", PARTY + "hub/" + hub["id"], root=True)
        self.assertEqual(got, 204)
        self.assertEqual(server.req("GET", "/webhooks")[1]["items"], [])

    def test_hub_refuses_private_targets_by_default(self):
        got, body, _ = tmf("POST", ROLES + "hub", {"callback": "http://127.0.0.1:9/x"})
        self.assertEqual((got, body["code"], body.get("field")), (422, "unsafe_target", "callback"))


if __name__ == "__main__":
    unittest.main()
