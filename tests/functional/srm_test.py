#!/usr/bin/env python3
"""CONTRACT §6 over HTTP: agreements, service levels, requests, value both ways, people.

Runs against the real binary (COCREATE_BIN), on SQLite or, with
COCREATE_TEST_STORE=postgresql, on a fresh PostgreSQL database; the server and
the helpers are those of api_test.py. Every route and rule of §6 is asserted
with its exact status and error code.
"""
import datetime
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api_test  # noqa: E402
from api_test import (  # noqa: E402,F401  (setUpModule starts the shared server)
    ApiTestCase, Server, active_rel, all_events, build_chain, build_pair, create, lifecycle,
    must, new_org, new_token, req, request_rel, setUpModule, uid)


def events_of(types, token=api_test._ADMIN, after=0):
    return [e for e in all_events(token) if e["type"] in types and e["seq"] > after]


def period(month):
    """The calendar month `month` (1-12) of 2026 as {start, end}."""
    start = f"2026-{month:02d}-01T00:00:00Z"
    end = f"2027-01-01T00:00:00Z" if month == 12 else f"2026-{month + 1:02d}-01T00:00:00Z"
    return {"start": start, "end": end}


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class TestMeasurements(ApiTestCase):

    def setUp(self):
        self.w = build_pair("slm")
        self.rel = active_rel(self.w)

    def measure(self, value, month=1, token=None, metric="availability", **extra):
        body = {"metric": metric, "value": value, "period": period(month), **extra}
        return req("POST", f"/relationships/{self.rel}/measurements", body,
                   token=token or self.w.tp)

    def test_met_missed_and_equal(self):
        """`met` compares the value with the objective in force (99.9 %, at_least); equal is met;
        a miss records service_level.breached after measurement.recorded."""
        w = self.w
        after = self.last_seq()
        m = self.assertStatus(self.measure(99.95, 1), 201)
        self.assertEqual((m["met"], m["objective"], m["unit"], m["target"], m["by"]),
                         (True, 99.9, "%", "at_least", w.prov))
        self.assertEqual(m["agreement_version"], 1)
        self.assertEqual(m["period"], period(1))
        self.assertTrue(self.assertStatus(self.measure(99.9, 2, token=w.tc), 201)["met"])
        missed = self.assertStatus(self.measure(98.7, 3, token=w.tc), 201)
        self.assertFalse(missed["met"])
        self.assertEqual(missed["by"], w.cons)
        types = [e["type"] for e in events_of({"measurement.recorded", "service_level.breached"},
                                              after=after)]
        self.assertEqual(types, ["measurement.recorded"] * 3 + ["service_level.breached"])
        breach = events_of({"service_level.breached"}, after=after)[0]
        self.assertEqual(breach["subject"], self.rel)
        self.assertEqual((breach["data"]["metric"], breach["data"]["value"],
                          breach["data"]["objective"], breach["data"]["period"]),
                         ("availability", 98.7, 99.9, period(3)))
        self.assertEqual(breach["data"]["consumers_reached"], 1)  # the consumer only
        # Exact comparison, whatever the notation: 9.99e1 is 99.9.
        self.assertTrue(self.assertStatus(self.measure("x", 4), 400) is not None)
        self.assertTrue(self.assertStatus(self.measure(9.99e1, 4), 201)["met"])

    def test_service_levels_attainment(self):
        """attainment = met / measurements; null with none; from/to select periods by end."""
        levels = self.assertStatus(req("GET", f"/relationships/{self.rel}/service-levels",
                                       token=self.w.tc), 200)
        self.assertEqual(levels["items"][0]["measurements"], 0)
        self.assertIsNone(levels["items"][0]["attainment"])
        self.assertIsNone(levels["items"][0]["last"])
        for month, value in [(1, 99.95), (2, 98.0), (3, 99.99), (4, 97.5)]:
            self.assertStatus(self.measure(value, month), 201)
        item = self.assertStatus(req("GET", f"/relationships/{self.rel}/service-levels",
                                     token=self.w.tc), 200)["items"][0]
        self.assertEqual((item["metric"], item["measurements"], item["met"], item["attainment"]),
                         ("availability", 4, 2, 0.5))
        self.assertEqual([b["value"] for b in item["breaches"]], [98.0, 97.5])
        self.assertEqual(item["last"]["value"], 97.5)
        window = "from=2026-02-15T00:00:00Z&to=2026-04-01T00:00:00Z"  # ends of Feb and Mar
        item = self.assertStatus(req("GET", f"/relationships/{self.rel}/service-levels?{window}",
                                     token=self.w.tp), 200)["items"][0]
        self.assertEqual((item["measurements"], item["met"]), (2, 1))
        listed = self.assertStatus(req("GET", f"/relationships/{self.rel}/measurements?{window}",
                                       token=self.w.tp), 200)
        self.assertEqual([m["value"] for m in listed["items"]], [98.0, 99.99])
        self.assertError(req("GET", f"/relationships/{self.rel}/service-levels?from=yesterday"),
                         400, "invalid_field", "from")
        self.assertError(req("GET", f"/relationships/{self.rel}/service-levels?colour=red"), 400)

    def test_objective_in_force_at_period_end(self):
        """A proposal accepted changes the objective for periods ending after it; a period
        ending before version 1 started is measured against version 1; at_most targets."""
        w = self.w
        prop = self.assertStatus(req("POST", f"/relationships/{self.rel}/proposals", {
            "service_levels": [{"metric": "latency", "objective": 200, "unit": "ms",
                                "target": "at_most"}]}, token=w.tc), 201)
        self.assertStatus(req("POST", f"/proposals/{prop['id']}/accept", {}, token=w.tp), 200)
        # The period of 2026 ends before this agreement began: version 1 (availability) judges
        # it; latency, which only version 2 agreed, is held to version 2's objective.
        early = self.assertStatus(self.measure(150, 5, metric="latency"), 201)
        self.assertEqual((early["met"], early["agreement_version"]), (True, 2))
        m = self.assertStatus(self.measure(99.0, 5), 201)
        self.assertEqual((m["met"], m["agreement_version"]), (False, 1))
        self.assertError(self.measure(1, 5, metric="errors"), 422, "unknown_metric", "metric")
        late = {"start": "2099-01-01T00:00:00Z", "end": "2099-02-01T00:00:00Z"}
        m = self.assertStatus(req("POST", f"/relationships/{self.rel}/measurements",
                                  {"metric": "latency", "value": 200, "period": late},
                                  token=w.tp), 201)
        self.assertEqual((m["met"], m["agreement_version"], m["target"]), (True, 2, "at_most"))
        m = self.assertStatus(req("POST", f"/relationships/{self.rel}/measurements",
                                  {"metric": "latency", "value": 200.5, "period": late},
                                  token=w.tp), 201)
        self.assertFalse(m["met"])
        self.assertError(req("POST", f"/relationships/{self.rel}/measurements",
                             {"metric": "availability", "value": 99, "period": late},
                             token=w.tp), 422, "unknown_metric")

    def test_codes(self):
        """404 outsider, 403 viewer, 400 bad bodies, 409 not active, id retries."""
        w = self.w
        self.assertError(self.measure(99, token=w.to), 404, "not_found")
        viewer = new_token(w.cons, "viewer")
        self.assertError(self.measure(99, token=viewer), 403, "forbidden")
        base = f"/relationships/{self.rel}/measurements"
        self.assertError(req("POST", base, {"metric": "availability", "value": 1}, token=w.tp),
                         400, "invalid_field", "period")
        self.assertError(req("POST", base, {"metric": "availability", "value": 1,
                                            "period": {"start": "2026-02-01T00:00:00Z",
                                                       "end": "2026-01-01T00:00:00Z"}},
                             token=w.tp), 400, "invalid_field", "period.end")
        self.assertError(req("POST", base, {"metric": "availability", "value": 1,
                                            "period": {"start": "x", "end": "y"}}, token=w.tp),
                         400, "invalid_field", "period.start")
        self.assertError(req("POST", base, {"metric": "availability", "value": True,
                                            "period": period(1)}, token=w.tp),
                         400, "invalid_field", "value")
        self.assertError(req("POST", base, {"metric": "availability", "value": 1,
                                            "period": period(1), "colour": 1}, token=w.tp),
                         400, "invalid_field", "colour")
        self.assertError(self.measure(1, metric="throughput"), 422, "unknown_metric", "metric")
        mid = uid("meas")
        first = self.assertStatus(self.measure(99.95, id=mid), 201)
        again = self.assertStatus(self.measure(99.95, id=mid), 200)
        self.assertEqual(first, again)
        self.assertError(self.measure(99.96, id=mid), 409, "duplicate_id")
        # The admin measures for either party (`by`), default the provider.
        m = self.assertStatus(req("POST", base, {"metric": "availability", "value": 99.91,
                                                 "period": period(6), "by": w.cons}), 201)
        self.assertEqual(m["by"], w.cons)
        must(lifecycle(self.rel, "suspend", w.tp), 200, "suspend")
        self.assertStatus(self.measure(99.99, 7), 201)  # suspended: still measured
        must(lifecycle(self.rel, "terminate", w.tc), 200, "terminate")
        self.assertError(self.measure(99.99, 8), 409, "relationship_not_active")
        self.assertError(req("GET", f"/relationships/{self.rel}/service-levels", token=w.to),
                         404)


class TestBreachReach(ApiTestCase):

    def test_breach_counts_consumers_two_hops_down(self):
        """A miss on Org1 -> Org2 reaches Org2 and, through Org2's service built on what the
        relationship created, Org3: consumers_reached 2; Org3 sees it in its breaches, without
        the relationship it cannot see."""
        c = build_chain("reach")
        after = self.last_seq()
        body = {"metric": "availability", "value": 90, "period": period(2)}
        self.assertStatus(req("POST", f"/relationships/{c.rel1}/measurements", body,
                              token=c.t2), 201)
        breach = events_of({"service_level.breached"}, after=after)[0]
        self.assertEqual(breach["data"]["consumers_reached"], 2)
        self.assertNotIn(c.o3, str(breach["data"]))
        for org, token, visible in [(c.o2, c.t2, True), (c.o3, c.t3, False)]:
            got = self.assertStatus(req("GET", f"/organizations/{org}/breaches", token=token),
                                    200)
            self.assertEqual(got["total"], 1, got)
            item = got["items"][0]
            self.assertEqual(item["consumers_reached"], 2)
            self.assertEqual(item["metric"], "availability")
            if visible:
                self.assertEqual(item["relationship"], c.rel1)
                self.assertEqual(item["value"], 90)
            else:
                self.assertIsNone(item["relationship"])
                self.assertNotIn("value", item)
        self.assertEqual(self.assertStatus(req("GET", f"/organizations/{c.o1}/breaches",
                                               token=c.t1), 200)["total"], 0)
        self.assertError(req("GET", f"/organizations/{c.o3}/breaches", token=c.t2), 403)
        # Org3's own event stream never names the breach (it is not party to rel1).
        self.assertFalse(events_of({"service_level.breached"}, token=c.t3, after=after))


class TestRequests(ApiTestCase):

    def setUp(self):
        self.w = build_pair("rq")
        self.rel = active_rel(self.w)

    def open(self, action="tune", token=None, **extra):
        return req("POST", f"/relationships/{self.rel}/requests", {"action": action, **extra},
                   token=token or self.w.tc)

    def test_open_fulfil_with_provision(self):
        """The consumer opens; the provider fulfils it with a provision naming it; the request
        records the provision and its lead time; request.fulfilled follows provision.performed."""
        w = self.w
        r = self.assertStatus(self.open("advise", note="please", details={"topic": "cost"}), 201)
        self.assertEqual((r["status"], r["action"], r["consumer"], r["provider"], r["note"]),
                         ("open", "advise", w.cons, w.prov, "please"))
        self.assertEqual(r["details"], {"topic": "cost"})
        self.assertIsNone(r["provision"])
        after = self.last_seq()
        prov = self.assertStatus(req("POST", "/provisions", {
            "relationship": self.rel, "action": "advise", "request": r["id"]}, token=w.tp), 201)
        self.assertEqual(prov["request"], r["id"])
        types = [e["type"] for e in events_of({"provision.performed", "request.fulfilled"},
                                              after=after)]
        self.assertEqual(types, ["provision.performed", "request.fulfilled"])
        got = self.assertStatus(req("GET", f"/requests/{r['id']}", token=w.tc), 200)
        self.assertEqual((got["status"], got["provision"]), ("fulfilled", prov["id"]))
        self.assertGreaterEqual(got["lead_time_seconds"], 0)
        listed = self.assertStatus(req("GET", f"/relationships/{self.rel}/requests",
                                       token=w.tp), 200)
        self.assertEqual(listed["lead_time"]["fulfilled"], 1)
        # Across relationships: what waits for the provider, and the consumer's own.
        waiting = self.assertStatus(self.open("tune"), 201)
        queue = self.assertStatus(req("GET", "/requests?as=provider&status=open", token=w.tp),
                                  200)
        self.assertEqual([q["id"] for q in queue["items"]], [waiting["id"]])
        self.assertEqual(self.assertStatus(req("GET", "/requests?as=consumer", token=w.tp),
                                           200)["total"], 0)
        self.assertEqual(self.assertStatus(req("GET", "/requests", token=w.tc), 200)["total"], 2)
        self.assertEqual(self.assertStatus(req("GET", "/requests", token=w.to), 200)["total"], 0)
        self.assertError(req("GET", "/requests?as=boss", token=w.tc), 400, "invalid_field", "as")
        # Fulfilled once: a second provision naming it is 409.
        self.assertError(req("POST", "/provisions", {
            "relationship": self.rel, "action": "advise", "request": r["id"]}, token=w.tp),
            409, "request_not_open")

    def test_codes(self):
        w = self.w
        self.assertError(self.open(token=w.tp), 403, "forbidden")
        self.assertError(self.open(token=w.to), 404, "not_found")
        self.assertError(self.open("dance"), 422, "action_not_offered", "action")
        self.assertError(self.open(details=[1]), 400, "invalid_field", "details")
        self.assertError(req("POST", f"/relationships/{self.rel}/requests", {}, token=w.tc),
                         400, "invalid_field", "action")
        r = self.assertStatus(self.open("tune"), 201)
        # Another action, or a request of another relationship: request_mismatch.
        self.assertError(req("POST", "/provisions", {
            "relationship": self.rel, "action": "advise", "request": r["id"]}, token=w.tp),
            422, "request_mismatch", "request")
        self.assertError(req("POST", "/provisions", {
            "relationship": self.rel, "action": "advise", "request": "no-such-request"},
            token=w.tp), 422, "unknown_reference", "request")
        other = build_pair("rq2")
        other_rel = active_rel(other)
        self.assertError(req("POST", "/provisions", {
            "relationship": other_rel, "action": "tune", "request": r["id"]}, token=other.tp),
            422, "unknown_reference", "request")  # it cannot see w's request
        self.assertError(req("POST", "/provisions", {
            "relationship": other_rel, "action": "tune", "request": r["id"]}),
            422, "request_mismatch", "request")  # the admin can
        # Decline is the provider's, cancel the consumer's.
        self.assertError(req("POST", f"/requests/{r['id']}/decline", {}, token=w.tc), 403)
        self.assertError(req("POST", f"/requests/{r['id']}/cancel", {}, token=w.tp), 403)
        self.assertError(req("POST", f"/requests/{r['id']}/cancel", {}, token=w.to), 404)
        self.assertError(req("POST", f"/requests/{r['id']}/cancel", {"why": 1}, token=w.tc), 400)
        got = self.assertStatus(req("POST", f"/requests/{r['id']}/decline",
                                    {"reason": "not this month"}, token=w.tp), 200)
        self.assertEqual((got["status"], got["reason"]), ("declined", "not this month"))
        self.assertIsNone(got["lead_time_seconds"])
        self.assertError(req("POST", f"/requests/{r['id']}/cancel", {}, token=w.tc), 409,
                         "request_not_open")
        r2 = self.assertStatus(self.open("advise"), 201)
        got = self.assertStatus(req("POST", f"/requests/{r2['id']}/cancel", None, token=w.tc),
                                200)
        self.assertEqual(got["status"], "cancelled")
        listed = self.assertStatus(req("GET", f"/relationships/{self.rel}/requests?status=open",
                                       token=w.tc), 200)
        self.assertEqual(listed["total"], 0)
        self.assertError(req("GET", f"/relationships/{self.rel}/requests?status=lost",
                             token=w.tc), 400, "invalid_field", "status")
        self.assertError(req("GET", f"/requests/{r['id']}", token=w.to), 404)
        must(lifecycle(self.rel, "suspend", w.tp), 200, "suspend")
        self.assertError(self.open("advise"), 409, "relationship_not_active")

    def test_termination_cancels_and_removed_action_declines(self):
        """§9.14 and §9.15: open requests for an action removed from the offering are declined
        (action_removed); termination cancels the rest (relationship_terminated)."""
        w = self.w
        tune = self.assertStatus(self.open("tune"), 201)
        advise = self.assertStatus(self.open("advise"), 201)
        actions = [a for a in api_test.ACTIONS if a["name"] != "tune"]
        self.assertStatus(req("PATCH", f"/offerings/{w.offering}", {"actions": actions},
                              token=w.tp), 200)
        got = self.assertStatus(req("GET", f"/requests/{tune['id']}", token=w.tc), 200)
        self.assertEqual((got["status"], got["reason"]), ("declined", "action_removed"))
        must(lifecycle(self.rel, "terminate", w.tc), 200, "terminate")
        got = self.assertStatus(req("GET", f"/requests/{advise['id']}", token=w.tc), 200)
        self.assertEqual((got["status"], got["reason"]), ("cancelled", "relationship_terminated"))


class TestValue(ApiTestCase):

    def setUp(self):
        self.w = build_pair("val")
        self.rel = active_rel(self.w)

    def state(self, body, token):
        return req("POST", f"/relationships/{self.rel}/value", body, token=token)

    def test_both_sides_exact_and_attributed(self):
        w = self.w
        must(req("POST", "/provisions", {
            "relationship": self.rel, "action": "advise",
            "value": {"outcomes": ["faster checkout"],
                      "costs": [{"amount": 0.1, "currency": "EUR", "kind": "introduced"}],
                      "risks": [{"description": "lock-in", "kind": "introduced"}]}},
            token=w.tp), 201, "provision with value")
        mine = self.assertStatus(self.state({
            "outcomes": ["fewer stock-outs"],
            "costs": [{"amount": 0.2, "currency": "EUR", "kind": "introduced"},
                      {"amount": 8026.39, "currency": "EUR", "kind": "removed"}],
            "risks": [{"description": "vendor risk", "kind": "removed"}],
            "period": period(3), "note": "Q1 review"}, w.tc), 201)
        self.assertEqual((mine["party"], mine["relationship"], mine["note"]),
                         (w.cons, self.rel, "Q1 review"))
        self.assertStatus(self.state({"costs": [{"amount": 0.2, "currency": "EUR",
                                                 "kind": "introduced"}]}, w.tp), 201)
        got = self.assertStatus(req("GET", f"/relationships/{self.rel}/value", token=w.tc), 200)
        prov, cons = got["provider_stated"], got["consumer_stated"]
        self.assertEqual((prov["provisions"], prov["statements"]), (1, 1))
        self.assertEqual((cons["provisions"], cons["statements"]), (0, 1))
        # 0.1 + 0.2 is 0.3 exactly, written in plain decimal.
        self.assertEqual(prov["costs"]["introduced"], {"EUR": 0.3})
        status, raw, _ = api_test.SERVER.request_raw("GET", f"/api/v1/relationships/{self.rel}/value",
                                                     token=w.tc)
        self.assertIn(b'"EUR":0.3}', raw)
        self.assertIn(b'"EUR":8026.39}', raw)
        self.assertEqual(prov["outcomes"], [{"text": "faster checkout",
                                             "source": {"type": "provision",
                                                        "id": prov["outcomes"][0]["source"]["id"]},
                                             "party": w.prov}])
        self.assertEqual(cons["outcomes"], [{"text": "fewer stock-outs",
                                             "source": {"type": "value", "id": mine["id"]},
                                             "party": w.cons}])
        self.assertEqual(cons["risks"]["removed"], [{"description": "vendor risk",
                                                     "kind": "removed",
                                                     "source": {"type": "value",
                                                                "id": mine["id"]},
                                                     "party": w.cons}])
        # The organizations' roll-ups carry both sides, attributed; the period selects.
        rolled = self.assertStatus(req("GET", f"/organizations/{w.cons}/value", token=w.tc), 200)
        self.assertEqual(rolled["received"]["costs"]["introduced"], {"EUR": 0.5})
        self.assertEqual({o["party"] for o in rolled["received"]["outcomes"]}, {w.prov, w.cons})
        march = "from=2026-03-01T00:00:00Z&to=2026-04-30T00:00:00Z"
        rolled = self.assertStatus(req("GET", f"/organizations/{w.cons}/value?{march}",
                                       token=w.tc), 200)
        self.assertEqual(rolled["received"]["statements"], 1)
        self.assertEqual(rolled["received"]["provisions"], 0)
        self.assertEqual(rolled["received"]["costs"]["removed"], {"EUR": 8026.39})
        self.assertError(req("GET", f"/organizations/{w.cons}/value?from=soon", token=w.tc),
                         400, "invalid_field", "from")

    def test_codes(self):
        w = self.w
        body = {"outcomes": ["x"]}
        self.assertError(self.state(body, api_test._ADMIN), 403, "forbidden")
        self.assertError(self.state(body, w.to), 404)
        self.assertError(self.state(body, new_token(w.cons, "viewer")), 403)
        self.assertError(self.state({}, w.tc), 400, "invalid_field")
        self.assertError(self.state({"outcomes": [1]}, w.tc), 400, "invalid_field", "outcomes[0]")
        for amount, ok in [("123456789012345.12345", False), ("1e-05", False),
                           ("1234567890123456", False), ("999999999999999.9999", True),
                           ("1e-4", True)]:
            raw = ('{"costs": [{"amount": %s, "currency": "EUR", "kind": "introduced"}]}'
                   % amount).encode()
            status, answer, _ = req("POST", f"/relationships/{self.rel}/value", None, token=w.tc,
                                    raw=raw, headers={"Content-Type": "application/json"})
            if ok:
                self.assertEqual(status, 201, (amount, answer))
            else:
                self.assertEqual((status, answer["error"]["field"]), (400, "costs[0].amount"),
                                 (amount, answer))
        self.assertError(self.state({"costs": [{"amount": 1, "currency": "EUR",
                                                "kind": "spent"}]}, w.tc),
                         400, "invalid_field", "costs[0].kind")
        fresh = request_rel(build_pair("val2"))
        self.assertError(req("POST", f"/relationships/{fresh['id']}/value", body), 403)

    def test_chains_carry_value(self):
        """/chains?value=true adds each hop's value as GET /relationships/{id}/value states it."""
        c = build_chain("vchain")
        self.assertStatus(req("POST", f"/relationships/{c.rel2}/value",
                              {"outcomes": ["coffee on time"]}, token=c.t3), 201)
        got = self.assertStatus(req("GET", f"/chains?from={c.o1}&to={c.o3}&value=true"), 200)
        item = got["items"][0]
        self.assertEqual([v["relationship"] for v in item["value"]], item["relationships"])
        self.assertEqual(item["value"][1]["consumer_stated"]["outcomes"][0]["text"],
                         "coffee on time")
        plain = self.assertStatus(req("GET", f"/chains?from={c.o1}&to={c.o3}"), 200)
        self.assertNotIn("value", plain["items"][0])
        self.assertError(req("GET", f"/chains?from={c.o1}&to={c.o3}&value=maybe"), 400)


class TestPeople(ApiTestCase):

    def setUp(self):
        self.w = build_pair("ppl")
        self.rel = active_rel(self.w)

    def test_people_roles_and_person_tokens(self):
        w = self.w
        ana = self.assertStatus(req("POST", f"/organizations/{w.cons}/people",
                                    {"name": "Ana", "email": "ana@example.org"}, token=w.tc), 201)
        self.assertEqual((ana["organization"], ana["name"], ana["email"]),
                         (w.cons, "Ana", "ana@example.org"))
        bo = self.assertStatus(req("POST", f"/organizations/{w.prov}/people",
                                   {"id": uid("bo"), "name": "Bo"}), 201)  # the admin may
        self.assertError(req("POST", f"/organizations/{w.prov}/people", {"name": "X"},
                             token=w.tc), 403)
        self.assertError(req("POST", f"/organizations/{w.cons}/people",
                             {"name": "X", "email": "not an email"}, token=w.tc),
                         400, "invalid_field", "email")
        self.assertError(req("POST", "/organizations/nobody-here/people", {"name": "X"}), 404)
        # Before any role, the provider does not see Ana.
        self.assertError(req("GET", f"/people/{ana['id']}", token=w.tp), 404)
        roles = f"/relationships/{self.rel}/roles"
        assigned = self.assertStatus(req("POST", roles, {"person": ana["id"], "role": "customer"},
                                         token=w.tc), 201)
        self.assertEqual(assigned["role"], "customer")
        self.assertStatus(req("POST", roles, {"person": ana["id"], "role": "customer"},
                              token=w.tc), 200)  # already so: a safe retry
        self.assertError(req("POST", roles, {"person": ana["id"], "role": "relationship_manager"},
                             token=w.tc), 422, "role_not_for_party", "role")
        self.assertError(req("POST", roles, {"person": ana["id"], "role": "boss"}, token=w.tc),
                         400, "invalid_field", "role")
        self.assertError(req("POST", roles, {"person": bo["id"], "role": "sponsor"}, token=w.tc),
                         422, "unknown_reference", "person")
        self.assertError(req("POST", roles, {"person": ana["id"], "role": "user"}, token=w.tp),
                         403)  # not the provider's person to place
        self.assertStatus(req("POST", roles, {"person": bo["id"],
                                              "role": "relationship_manager"}, token=w.tp), 201)
        listed = self.assertStatus(req("GET", roles, token=w.tp), 200)
        self.assertEqual({(i["person"], i["role"], i["organization"]) for i in listed["items"]},
                         {(ana["id"], "customer", w.cons), (bo["id"], "relationship_manager",
                                                            w.prov)})
        # The other party sees an assigned person by id and name, not email.
        seen = self.assertStatus(req("GET", f"/people/{ana['id']}", token=w.tp), 200)
        self.assertEqual(seen["name"], "Ana")
        self.assertNotIn("email", seen)
        self.assertEqual([(r["relationship"], r["role"]) for r in seen["roles"]],
                         [(self.rel, "customer")])
        self.assertError(req("GET", f"/people/{ana['id']}", token=w.to), 404)
        people = self.assertStatus(req("GET", f"/organizations/{w.cons}/people", token=w.tp), 200)
        self.assertEqual([p["id"] for p in people["items"]], [ana["id"]])
        # A person token: events name the person as actor and its organization.
        token = must(req("POST", "/tokens", {"organization": w.cons, "person": ana["id"]}), 201,
                     "person token")
        self.assertEqual(token["person"], ana["id"])
        after = self.last_seq()
        self.assertStatus(req("POST", f"/relationships/{self.rel}/requests", {"action": "advise"},
                              token=token["token"]), 201)
        opened = events_of({"request.opened"}, token=w.tp, after=after)[0]
        self.assertEqual((opened["actor"], opened["data"]["organization"]), (ana["id"], w.cons))
        self.assertError(req("POST", "/tokens", {"organization": w.prov, "person": ana["id"]}),
                         422, "unknown_reference", "person")
        # Unassign: 204, then 404; only the person's own party.
        self.assertError(req("DELETE", f"{roles}/{ana['id']}/customer", token=w.tp), 403)
        self.assertStatus(req("DELETE", f"{roles}/{ana['id']}/customer", token=w.tc), 204)
        self.assertError(req("DELETE", f"{roles}/{ana['id']}/customer", token=w.tc), 404)
        types = [e["type"] for e in events_of({"role.assigned", "role.unassigned"}, token=w.tp)
                 if e["subject"] == self.rel]
        self.assertEqual(types, ["role.assigned", "role.assigned", "role.unassigned"])
        # person.created carries the email: only its organization sees it.
        self.assertFalse([e for e in events_of({"person.created"}, token=w.tp)
                          if e["subject"] == ana["id"]])


class TestExpiry(ApiTestCase):

    def test_end_passes(self):
        """§9.17: renewal none terminates (actor system); auto moves the term on by its length
        (agreement.changed by system)."""
        w = self.w = build_pair("exp")
        ending, renewing = active_rel(w), None
        other = build_pair("exp2")
        renewing = active_rel(other)
        soon = iso(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2))
        for rel, tp, tc, renewal in [(ending, w.tp, w.tc, "none"),
                                     (renewing, other.tp, other.tc, "auto")]:
            prop = must(req("POST", f"/relationships/{rel}/proposals",
                            {"end": soon, "renewal": renewal}, token=tc), 201, "propose")
            must(req("POST", f"/proposals/{prop['id']}/accept", {}, token=tp), 200, "accept")
        # Writes keep coming several times a second: time does its part all the same.
        deadline = time.time() + 15
        while time.time() < deadline:
            got = must(req("GET", f"/relationships/{ending}"), 200, "rel")
            if got["status"] == "terminated":
                break
            new_org("busy")
            time.sleep(0.2)
        self.assertEqual(got["status"], "terminated")
        ended = [e for e in all_events() if e["subject"] == ending
                 and e["type"] == "relationship.terminated"]
        self.assertEqual(ended[0]["actor"], "system")
        agreement = must(req("GET", f"/relationships/{renewing}/agreement", token=other.tc), 200,
                         "agreement")
        self.assertEqual(agreement["version"], 3)
        self.assertEqual(agreement["renewal"], "auto")
        self.assertGreater(agreement["end"], soon)
        changed = [e for e in all_events() if e["subject"] == renewing
                   and e["type"] == "agreement.changed"]
        self.assertEqual(changed[-1]["actor"], "system")
        self.assertEqual(must(req("GET", f"/relationships/{renewing}"), 200, "rel")["status"],
                         "active")


class TestReadsBackAfterKill(ApiTestCase):

    def test_everything_survives_kill_9(self):
        """Every §6 record written reads back the same after kill -9 and a restart."""
        server = Server()
        server.start()
        try:
            r = server.req
            prov = must(r("POST", "/organizations", {"name": "p"}), 201, "org")["id"]
            cons = must(r("POST", "/organizations", {"name": "c"}), 201, "org")["id"]
            svc = must(r("POST", "/services", {"provider": prov, "name": "s"}), 201, "svc")["id"]
            off = must(r("POST", "/offerings", {
                "provider": prov, "service": svc, "name": "o", "audience": "public",
                "actions": [{"name": "a", "effect": "none"}],
                "service_levels": [{"metric": "uptime", "objective": 0.999, "unit": "ratio"}],
                "price": {"amount": 12345.6789, "currency": "EUR", "period": "year"}}),
                201, "off")["id"]
            rel = must(r("POST", "/relationships", {"offering": off, "consumer": cons,
                                                    "type": "basic"}), 201, "rel")["id"]
            must(r("POST", f"/relationships/{rel}/activate", {}), 200, "activate")
            ana = must(r("POST", f"/organizations/{cons}/people",
                         {"name": "Ana", "email": "a@b.c"}), 201, "person")["id"]
            must(r("POST", f"/relationships/{rel}/roles", {"person": ana, "role": "sponsor"}),
                 201, "role")
            must(r("POST", f"/relationships/{rel}/measurements",
                   {"metric": "uptime", "value": 0.998, "period": period(1)}),
                 201, "measurement")
            rq = must(r("POST", f"/relationships/{rel}/requests", {"action": "a",
                                                                    "details": {"n": 1e300}}),
                      201, "request")["id"]
            must(r("POST", "/provisions", {"relationship": rel, "action": "a", "request": rq}),
                 201, "fulfil")
            ctoken = must(r("POST", "/tokens", {"organization": cons, "person": ana}), 201,
                          "token")["token"]
            must(r("POST", f"/relationships/{rel}/value",
                   {"costs": [{"amount": 0.0001, "currency": "EUR", "kind": "introduced"}]},
                   token=ctoken), 201, "value")
            reads = [f"/relationships/{rel}/service-levels", f"/relationships/{rel}/measurements",
                     f"/relationships/{rel}/requests", f"/requests/{rq}",
                     f"/relationships/{rel}/value", f"/relationships/{rel}/roles",
                     f"/organizations/{cons}/people", f"/organizations/{cons}/value",
                     f"/organizations/{cons}/breaches", f"/relationships/{rel}/agreement",
                     "/events?limit=1000"]
            before = {path: must(r("GET", path), 200, path) for path in reads}
            server.kill9()
            server.start()
            after = {path: must(server.req("GET", path), 200, path) for path in reads}
            self.assertEqual(before, after)
            self.assertEqual(before[f"/relationships/{rel}/service-levels"]["items"][0]["met"], 0)
            status, _, _ = server.req("GET", "/me", token=ctoken)
            self.assertEqual(status, 200)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
