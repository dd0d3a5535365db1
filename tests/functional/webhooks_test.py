#!/usr/bin/env python3
"""CONTRACT §8 webhooks and §9.22 over HTTP, against the real binary.

Receivers are Python http.server instances on 127.0.0.1 in threads (the servers run with
--webhooks-allow-private). They verify every signature, and can fail (500), stall (timeout), go
down (connection refused) and come back. Servers with a short --webhooks-retry-for show the
dead state; graceful restarts deliver exactly once per seq; kill -9 loses nothing. On SQLite or,
with COCREATE_TEST_STORE=postgresql, on a fresh PostgreSQL database per server.
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
from api_test import (  # noqa: E402
    ApiTestCase, Server, active_rel, build_pair, free_port, must, uid)

SERVER = None
FLAGS = ["--webhooks-allow-private", "--webhooks-timeout", "1"]


def setUpModule():
    global SERVER
    api_test.cocreate_bin()
    SERVER = Server(extra_args=FLAGS)
    unittest.addModuleCleanup(SERVER.close)
    SERVER.start()
    api_test.SERVER = SERVER  # the api_test helpers (build_pair, ...) talk to it


def req(method, path, body=None, token=api_test._ADMIN, server=None):
    return (server or SERVER).req(method, path, body, token)


class Receiver:
    """Records deliveries; `mode` says how it answers: "ok" (204), "fail" (500), "stall"."""

    def __init__(self, secret, port=None):
        self.secret = secret.encode()
        self.port = port or free_port()
        self.received = []  # parsed bodies, in arrival order
        self.bad_signatures = 0
        self.mode = "ok"
        self.fail_next = 0  # answer 500 to this many requests, then `mode`
        self.cond = threading.Condition()
        self.httpd = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook?x=1"

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.cond:
                    mode = receiver.mode
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        mode = "fail"
                if mode == "stall":
                    time.sleep(2.5)
                    return
                if mode == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                want = "sha256=" + hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                event = json.loads(body)
                with receiver.cond:
                    if (self.headers["Cocreate-Signature"] != want
                            or self.headers["Content-Type"] != "application/json"
                            or self.headers["Cocreate-Event-Seq"] != str(event["seq"])
                            or not self.headers["Cocreate-Webhook"]):
                        receiver.bad_signatures += 1
                    receiver.received.append(event)
                    receiver.cond.notify_all()
                self.send_response(204)
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def down(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def seqs(self):
        with self.cond:
            return [e["seq"] for e in self.received]

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} deliveries, expected {count}")
                self.cond.wait(left)


def register(token, url, events=("*",), secret="s3cret", server=None, **extra):
    body = {"url": url, "events": list(events), "secret": secret, **extra}
    return must(req("POST", "/webhooks", body, token, server), 201, "register webhook")


def deliveries(hook, token=api_test._ADMIN, server=None, query=""):
    return must(req("GET", f"/webhooks/{hook}/deliveries{query}", token=token, server=server),
                200, "list deliveries")


def wait_until(check, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def org_with_token(tag, server):
    org = must(server.req("POST", "/organizations", {"id": uid(tag), "name": tag}), 201, "org")["id"]
    token = must(server.req("POST", "/tokens", {"organization": org}), 201, "token")["token"]
    return org, token


def make_resources(server, org, token, n):
    for i in range(n):
        must(server.req("POST", "/resources", {"owner": org, "kind": "vm", "name": f"r{i}"},
                        token), 201, "resource")


class TestRegistration(ApiTestCase):

    def test_bad_bodies_are_400_with_the_field(self):
        w = build_pair("whv")
        cases = [
            ({"events": ["*"], "secret": "s"}, "url"),
            ({"url": "ftp://example.com/", "events": ["*"], "secret": "s"}, "url"),
            ({"url": "http:///path", "events": ["*"], "secret": "s"}, "url"),
            ({"url": "http://example.com:0/", "events": ["*"], "secret": "s"}, "url"),
            ({"url": "http://example.com:70000/", "events": ["*"], "secret": "s"}, "url"),
            ({"url": "http://example.com/", "events": [], "secret": "s"}, "events"),
            ({"url": "http://example.com/", "events": ["nope.happened"], "secret": "s"},
             "events[0]"),
            ({"url": "http://example.com/", "events": ["*"]}, "secret"),
            ({"url": "http://example.com/", "events": ["*"], "secret": ""}, "secret"),
            ({"url": "http://example.com/", "events": ["*"], "secret": "x" * 257}, "secret"),
            ({"url": "http://example.com/", "events": ["*"], "secret": "s",
              "exclude_actors": "admin"}, "exclude_actors"),
            ({"url": "http://example.com/", "events": ["*"], "secret": "s", "evnets": ["*"]},
             "evnets"),
        ]
        for body, field in cases:
            self.assertError(req("POST", "/webhooks", body, w.tp), 400, "invalid_field", field)

    def test_who_may_register_and_see(self):
        w = build_pair("whw")
        viewer = must(req("POST", "/tokens", {"organization": w.prov, "role": "viewer"}), 201,
                      "viewer")["token"]
        body = {"url": "http://127.0.0.1:9/x", "events": ["*"], "secret": "topsecret-value"}
        self.assertError(req("POST", "/webhooks", body, viewer), 403, "forbidden")
        self.assertError(req("POST", "/webhooks", {**body, "organization": w.cons}, w.tp), 403)
        hook = self.assertStatus(req("POST", "/webhooks", {**body, "id": uid("wh")}, w.tp), 201)
        self.assertEqual((hook["organization"], hook["url"], hook["events"]),
                         (w.prov, body["url"], ["*"]))
        self.assertNotIn("secret", hook)
        # A retry with the same body is safe; another body under the same id is 409.
        again = req("POST", "/webhooks", {**body, "id": hook["id"]}, w.tp)
        self.assertStatus(again, 200)
        self.assertError(req("POST", "/webhooks", {**body, "id": hook["id"], "secret": "other"},
                             w.tp), 409, "duplicate_id")
        listed = self.assertStatus(req("GET", "/webhooks", token=w.tp), 200)
        self.assertEqual([h["id"] for h in listed["items"]], [hook["id"]])
        self.assertEqual(listed["total"], 1)
        self.assertEqual(self.assertStatus(req("GET", "/webhooks", token=w.tc), 200)["total"], 0)
        admin_list = self.assertStatus(req("GET", "/webhooks?limit=1000"), 200)
        self.assertIn(hook["id"], [h["id"] for h in admin_list["items"]])
        # Another organization's webhook is absent to it.
        for method, path in [("GET", f"/webhooks/{hook['id']}"),
                             ("GET", f"/webhooks/{hook['id']}/deliveries"),
                             ("DELETE", f"/webhooks/{hook['id']}")]:
            self.assertError(req(method, path, token=w.tc), 404, "not_found")
        self.assertError(req("DELETE", f"/webhooks/{hook['id']}", token=viewer), 403)
        self.assertError(req("GET", f"/webhooks/{hook['id']}/deliveries?status=lost", token=w.tp),
                         400, "invalid_field", "status")
        # The secret is in no answer and no event anyone can read.
        for token in (api_test._ADMIN, w.tp):
            _, raw, _ = SERVER.request_raw("GET", "/api/v1/events?limit=1000&after=0", token=token)
            self.assertNotIn(b"topsecret-value", raw)
        self.assertEqual(SERVER.request_raw("DELETE", f"/api/v1/webhooks/{hook['id']}",
                                            token=w.tp)[0], 204)
        self.assertError(req("GET", f"/webhooks/{hook['id']}", token=w.tp), 404)
        self.assertError(req("DELETE", f"/webhooks/{hook['id']}", token=w.tp), 404)

    def test_unsafe_targets_without_the_flag(self):
        server = Server()  # no --webhooks-allow-private
        try:
            server.start()
            org, token = org_with_token("whu", server)
            viewer = must(server.req("POST", "/tokens", {"organization": org, "role": "viewer"}),
                          201, "viewer")["token"]
            for url in ["http://127.0.0.1:8080/", "http://localhost/", "http://10.1.2.3/",
                        "http://192.168.0.1/", "http://169.254.169.254/latest",
                        "http://[::1]:80/", "https://0.0.0.0/"]:
                body = {"url": url, "events": ["*"], "secret": "s"}
                self.assertError(server.req("POST", "/webhooks", body, token), 422,
                                 "unsafe_target", "url")
                self.assertError(server.req("POST", "/webhooks", body, viewer), 403)
            # A public address is accepted (nothing is delivered in this test).
            public = {"url": "http://93.184.216.34/", "events": ["resource.created"],
                      "secret": "s"}
            self.assertStatus(server.req("POST", "/webhooks", public, token), 201)
        finally:
            server.close()


class TestDelivery(ApiTestCase):

    def test_signed_in_order_as_events_shows_them(self):
        w = build_pair("whd")
        rx = Receiver("k1")
        hook = register(w.tc, rx.url, secret="k1")
        rel = active_rel(w)
        must(req("POST", "/provisions", {"relationship": rel, "action": "create-vm",
                                         "creates": [{"kind": "vm", "name": "mine"}]}, w.tp),
             201, "provision")
        shown = must(req("GET", "/events?after=0&limit=1000", token=w.tc), 200, "events")["events"]
        expected = [e for e in shown if e["seq"] > self.seq_of(hook["id"], w.tc)]
        rx.wait_for(len(expected))
        time.sleep(0.3)
        self.assertEqual(rx.received, expected)  # the same JSON, in seq order, once each
        self.assertEqual(rx.bad_signatures, 0)
        listed = wait_until(lambda: (lambda l: l if all(d["status"] == "delivered"
                                                         for d in l["items"]) else None)(
            deliveries(hook["id"], w.tc)), what="all recorded as delivered")
        self.assertEqual([d["seq"] for d in listed["items"]], [e["seq"] for e in expected])
        for d in listed["items"]:
            self.assertEqual((d["status"], d["attempts"], d["last_error"], d["next_attempt_at"]),
                             ("delivered", 1, None, None))
            self.assertIsNotNone(d["last_attempt_at"])
        self.assertEqual(deliveries(hook["id"], w.tc, query="?status=pending")["total"], 0)

    def seq_of(self, hook_id, token):
        events = must(req("GET", "/events?after=0&limit=1000", token=token), 200, "events")
        return next(e["seq"] for e in events["events"]
                    if e["type"] == "webhook.registered" and e["subject"] == hook_id)

    def test_only_what_the_organization_may_see_and_filters(self):
        w = build_pair("whs")
        rx_other, rx_types = Receiver("o"), Receiver("t")
        other = register(w.to, rx_other.url, secret="o")
        typed = register(w.tp, rx_types.url, events=["relationship.activated"], secret="t",
                         exclude_actors=[w.cons])
        rel = active_rel(w)  # requested by the consumer, activated by the provider
        must(req("POST", f"/relationships/{rel}/suspend", {}, w.tp), 200, "suspend")
        must(req("POST", f"/relationships/{rel}/resume", {}, w.tp), 200, "resume")
        mine = must(req("POST", "/resources", {"owner": w.other, "kind": "vm", "name": "x"}, w.to),
                    201, "resource")
        rx_other.wait_for(1)
        rx_types.wait_for(1)
        time.sleep(1.0)
        # The outsider sees its own resource, none of the pair's relationship.
        self.assertEqual([(e["type"], e["subject"]) for e in rx_other.received],
                         [("resource.created", mine["id"])])
        self.assertEqual([e["type"] for e in rx_types.received], ["relationship.activated"])
        self.assertEqual(deliveries(other["id"], w.to)["total"], 1)
        self.assertEqual(deliveries(typed["id"], w.tp)["total"], 1)

    def test_failure_then_recovery_is_retried_in_order(self):
        org, token = org_with_token("whf", SERVER)
        rx = Receiver("f")
        rx.fail_next = 2
        hook = register(token, rx.url, secret="f")
        make_resources(SERVER, org, token, 3)
        first = wait_until(lambda: next((d for d in deliveries(hook["id"], token)["items"]
                                          if d["attempts"] >= 1 and d["status"] == "pending"),
                                         None), what="a failed attempt")
        self.assertEqual(first["last_error"], "500")
        self.assertIsNotNone(first["next_attempt_at"])
        rx.wait_for(3, timeout=20)
        self.assertEqual(rx.seqs(), sorted(rx.seqs()))
        items = wait_until(lambda: (lambda i: i if all(d["status"] == "delivered" for d in i)
                                    else None)(deliveries(hook["id"], token)["items"]),
                           what="three delivered")
        self.assertEqual([d["status"] for d in items], ["delivered"] * 3)
        self.assertEqual(items[0]["attempts"], 3)  # two 500s, then 2xx; the others once
        self.assertEqual([d["attempts"] for d in items[1:]], [1, 1])

    def test_timeout_is_a_failure(self):
        org, token = org_with_token("wht", SERVER)
        rx = Receiver("t")
        rx.mode = "stall"
        hook = register(token, rx.url, secret="t")
        make_resources(SERVER, org, token, 1)
        failed = wait_until(lambda: next((d for d in deliveries(hook["id"], token)["items"]
                                          if d["attempts"] >= 1), None), what="an attempt")
        self.assertEqual(failed["last_error"], "timeout")
        rx.mode = "ok"
        rx.wait_for(1, timeout=20)
        wait_until(lambda: deliveries(hook["id"], token)["items"][0]["status"] == "delivered")

    def test_receiver_down_then_back(self):
        org, token = org_with_token("whr", SERVER)
        rx = Receiver("r")
        rx.down()
        hook = register(token, rx.url, secret="r")
        make_resources(SERVER, org, token, 3)
        failed = wait_until(lambda: next((d for d in deliveries(hook["id"], token)["items"]
                                          if d["attempts"] >= 1), None), what="an attempt")
        self.assertEqual(failed["last_error"], "connection refused")
        self.assertEqual(deliveries(hook["id"], token, query="?status=pending")["total"], 3)
        rx.start()
        rx.wait_for(3, timeout=30)
        self.assertEqual(rx.seqs(), sorted(rx.seqs()))
        self.assertEqual(len(set(rx.seqs())), 3)

    def test_closing_the_organization_removes_its_webhooks(self):
        org, token = org_with_token("whc", SERVER)
        rx = Receiver("c")
        hook = register(token, rx.url, secret="c")
        self.assertStatus(req("POST", f"/organizations/{org}/close", {}), 200)
        self.assertError(req("GET", f"/webhooks/{hook['id']}"), 404)
        events = must(req("GET", "/events?after=0&limit=1000"), 200, "events")["events"]
        self.assertIn(("webhook.deleted", hook["id"]),
                      [(e["type"], e["subject"]) for e in events])


class TestDurability(ApiTestCase):

    def test_graceful_restart_delivers_exactly_once(self):
        server = Server(extra_args=FLAGS)
        rx = Receiver("g")
        try:
            server.start()
            org, token = org_with_token("whg", server)
            hook = register(token, rx.url, secret="g", server=server)
            done = threading.Event()

            def writer():
                try:
                    make_resources(server, org, token, 40)
                except Exception:  # the server stops under it: later writes fail
                    pass
                done.set()

            threading.Thread(target=writer, daemon=True).start()
            wait_until(lambda: len(rx.seqs()) >= 5, what="first deliveries")
            self.assertEqual(server.stop(), 0)
            done.wait(10)
            server.start()
            written = [e["seq"] for e in must(server.req("GET", "/events?limit=1000", token=token),
                                              200, "events")["events"]
                       if e["type"] == "resource.created"]
            rx.wait_for(len(written), timeout=60)
            time.sleep(1.5)
            # On a failure, the sender's own account of each attempt, from both starts.
            attempts = "\n".join(line for i in range(len(server.logs))
                                  for line in server.log_text(i).splitlines()
                                  if "webhook deliver" in line or "record_error" in line)
            self.assertEqual(rx.seqs(), written,  # every one, exactly once, in order
                             "the sender's log:\n" + attempts[-6000:])
            self.assertEqual(deliveries(hook["id"], token, server, "?status=delivered")["total"],
                             len(written))
        finally:
            server.close()
            rx.down()

    def test_kill9_between_commit_and_delivery_loses_nothing(self):
        server = Server(extra_args=FLAGS)
        rx = Receiver("k")
        try:
            server.start()
            org, token = org_with_token("whk", server)
            hook = register(token, rx.url, secret="k", server=server)
            rx.mode = "fail"
            make_resources(server, org, token, 5)
            wait_until(lambda: deliveries(hook["id"], token, server)["items"][0]["attempts"] >= 1,
                       what="a failed attempt")
            server.kill9()
            rx.mode = "ok"
            server.start()
            rx.wait_for(5, timeout=60)
            seqs = rx.seqs()
            unique = list(dict.fromkeys(seqs))
            self.assertEqual(unique, sorted(unique))  # in order, no gap
            self.assertEqual(len(unique), 5)
            self.assertEqual(unique, list(range(unique[0], unique[0] + 5)))
        finally:
            server.close()
            rx.down()

    def test_dead_after_the_retry_window(self):
        server = Server(extra_args=[*FLAGS, "--webhooks-retry-for", "3"])
        rx = Receiver("d")
        rx.mode = "fail"
        try:
            server.start()
            org, token = org_with_token("whx", server)
            hook = register(token, rx.url, secret="d", server=server)
            make_resources(server, org, token, 2)
            dead = wait_until(lambda: deliveries(hook["id"], token, server, "?status=dead")["total"]
                              == 2, timeout=30, what="dead deliveries")
            self.assertTrue(dead)
            items = deliveries(hook["id"], token, server)["items"]
            self.assertEqual([d["status"] for d in items], ["dead", "dead"])
            self.assertGreaterEqual(items[0]["attempts"], 2)
            self.assertEqual(items[0]["last_error"], "500")
            self.assertIsNone(items[0]["next_attempt_at"])
            # Dead survives a restart, and is not tried again.
            server.restart()
            attempts = deliveries(hook["id"], token, server)["items"][0]["attempts"]
            time.sleep(1.5)
            self.assertEqual(deliveries(hook["id"], token, server)["items"][0]["attempts"],
                             attempts)
        finally:
            server.close()
            rx.down()


if __name__ == "__main__":
    unittest.main()
