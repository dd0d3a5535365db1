#!/usr/bin/env python3
"""Several `cocreate serve` instances on one PostgreSQL database.

Needs COCREATE_BIN and the cluster script/with-postgres starts
(COCREATE_TEST_POSTGRES, COCREATE_TEST_PG_CTL). Proves:
- a write accepted by one instance becomes visible through the other (the
  delay is printed as a figure, not asserted as a timing), and an instance
  always reads its own writes;
- concurrent clients on two instances can never both win a conflict: the same
  id created twice, a provision racing a termination, two modifications of one
  resource;
- a database restart while serving fails requests cleanly (503 with
  Retry-After), leaves nothing half-applied, and the instances recover alone.
"""

import json
import os
import shlex
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import Server, fresh_postgres_database, uid  # noqa: E402  (the harness)


def need_postgres():
    if not os.environ.get("COCREATE_TEST_POSTGRES"):
        raise unittest.SkipTest("COCREATE_TEST_POSTGRES is not set (run through script/test)")


class TwoInstances(unittest.TestCase):
    """Two instances, A and B, sharing one fresh database."""

    def setUp(self):
        need_postgres()
        self.db = fresh_postgres_database()
        self.a, self.b = Server(store=self.db), Server(store=self.db)
        for s in (self.a, self.b):
            self.addCleanup(s.close)
            s.start()

    def ok(self, result, status=201):
        code, body, _ = result
        self.assertEqual(code, status, body)
        return body

    def events(self, server):
        out, after = [], 0
        while True:
            body = self.ok(server.req("GET", f"/events?after={after}&limit=1000"), 200)
            out += body["events"]
            if not body["events"]:
                return out
            after = body["next"]

    def wait_visible(self, server, path, timeout=10.0):
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if server.req("GET", path)[0] == 200:
                return time.monotonic() - start
            time.sleep(0.005)
        self.fail(f"{path} never became visible")

    def chain(self):
        """Provider P with a resource on offer to consumer C, active relationship R."""
        p = self.ok(self.a.req("POST", "/organizations", {"id": uid("p"), "name": "P"}))["id"]
        c = self.ok(self.a.req("POST", "/organizations", {"id": uid("c"), "name": "C"}))["id"]
        svc = self.ok(self.a.req("POST", "/services", {"id": uid("s"), "provider": p,
                                                       "name": "S"}))["id"]
        off = self.ok(self.a.req("POST", "/offerings", {
            "id": uid("o"), "provider": p, "service": svc, "name": "O", "audience": "public",
            "actions": [{"name": "make", "effect": "create"}, {"name": "change", "effect": "modify"},
                        {"name": "talk", "effect": "none"}]}))["id"]
        rel = self.ok(self.a.req("POST", "/relationships", {"id": uid("r"), "offering": off,
                                                            "consumer": c, "type": "basic"}))["id"]
        self.ok(self.a.req("POST", f"/relationships/{rel}/activate", {}), 200)
        return p, c, rel

    def test_writes_through_one_are_read_through_the_other(self):
        delays = []
        for i in range(20):
            oid = uid("vis")
            self.ok(self.a.req("POST", "/organizations", {"id": oid, "name": "v"}))
            self.ok(self.a.req("GET", f"/organizations/{oid}"), 200)  # reads its own write
            delays.append(self.wait_visible(self.b, f"/organizations/{oid}"))
        delays.sort()
        print(f"\n  cross-instance visibility over 20 writes: median {delays[10] * 1000:.1f} ms, "
              f"max {delays[-1] * 1000:.1f} ms", file=sys.stderr)
        self.assertEqual([e["seq"] for e in self.events(self.b)],
                         [e["seq"] for e in self.events(self.a)])

    def test_the_same_id_is_created_once(self):
        ids = [uid("race") for _ in range(30)]
        results = {}

        def create(server, tag):
            for oid in ids:
                code, _, _ = server.req("POST", "/organizations", {"id": oid, "name": tag})
                results[(oid, tag)] = code

        threads = [threading.Thread(target=create, args=(self.a, "from-a")),
                   threading.Thread(target=create, args=(self.b, "from-b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for oid in ids:
            codes = sorted([results[(oid, "from-a")], results[(oid, "from-b")]])
            self.assertEqual(codes, [201, 409], oid)
        created = [e["subject"] for e in self.events(self.a) if e["type"] == "organization.created"]
        for oid in ids:
            self.assertEqual(created.count(oid), 1)

    def test_no_provision_after_a_termination_on_the_other_instance(self):
        _, _, rel = self.chain()
        stop = threading.Event()
        codes = []

        def provide():
            while not stop.is_set():
                codes.append(self.a.req("POST", "/provisions",
                                        {"relationship": rel, "action": "talk"})[0])

        worker = threading.Thread(target=provide)
        worker.start()
        time.sleep(0.3)
        self.ok(self.b.req("POST", f"/relationships/{rel}/terminate", {}), 200)
        time.sleep(0.3)
        stop.set()
        worker.join()
        self.assertIn(201, codes)
        self.assertIn(409, codes, "provisions after the termination must be refused")
        events = self.events(self.a)
        terminated = [e["seq"] for e in events
                      if e["type"] == "relationship.terminated" and e["subject"] == rel]
        performed = [e["seq"] for e in events if e["type"] == "provision.performed"
                     and e["data"]["relationship"] == rel]
        self.assertEqual(len(terminated), 1)
        self.assertTrue(all(seq < terminated[0] for seq in performed))
        self.assertEqual(len(performed), codes.count(201))

    def test_concurrent_modifications_make_contiguous_versions(self):
        _, _, rel = self.chain()
        made = self.ok(self.a.req("POST", "/provisions", {
            "relationship": rel, "action": "make", "creates": [{"kind": "db", "name": "d"}]}))
        resource = made["created"][0]
        self.wait_visible(self.b, f"/resources/{resource}")
        versions = []

        def modify(server, tag):
            for i in range(15):
                body = self.ok(server.req("POST", "/provisions", {
                    "relationship": rel, "action": "change",
                    "modifies": [{"resource": resource, "attributes": {tag: i}}]}))
                versions.append(body["modified"][0]["version"])

        threads = [threading.Thread(target=modify, args=(s, t))
                   for s, t in ((self.a, "a"), (self.b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(versions), list(range(2, 32)), "each version given once")
        history = self.ok(self.a.req("GET", f"/resources/{resource}/versions"), 200)["items"]
        self.assertEqual([v["version"] for v in history], list(range(1, 32)))
        self.assertEqual(history[-1]["attributes"], {"a": 14, "b": 14})


class Migrate(unittest.TestCase):

    def test_sqlite_installation_moves_to_postgresql(self):
        """migrate copies every event, verifies count and checksum, and the PostgreSQL
        instance then answers exactly as the SQLite one did."""
        need_postgres()
        bin_ = os.environ["COCREATE_BIN"]
        lite = Server(extra_args=["--demo"], store="")
        self.addCleanup(lite.close)
        lite.start()
        before = lite.req("GET", "/organizations/org-harbor-it/roles")[1]
        lite.stop()
        db = fresh_postgres_database()
        done = subprocess.run([bin_, "migrate", "--from", f"sqlite:{lite.data_dir}", "--to", db],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("migrated and verified", done.stdout)
        sums = [line.split("sha256 ")[1] for line in done.stdout.splitlines() if "sha256" in line]
        self.assertEqual(len(sums), 2)
        self.assertEqual(sums[0], sums[1])
        exported = [subprocess.run([bin_, "export", *args], capture_output=True, text=True,
                                   check=True).stdout
                    for args in (["--data-dir", lite.data_dir], ["--store", db])]
        self.assertEqual(exported[0], exported[1])
        pg = Server(store=db)
        self.addCleanup(pg.close)
        pg.start()
        self.assertEqual(pg.req("GET", "/organizations/org-harbor-it/roles")[1], before)
        again = subprocess.run([bin_, "migrate", "--from", f"sqlite:{lite.data_dir}", "--to", db],
                               capture_output=True, text=True)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("already holds", again.stderr)


class DatabaseRestart(unittest.TestCase):

    def test_idle_instance_reconnects_without_an_error(self):
        """After a restart while idle, the very first write succeeds: the dead connection is
        reopened and the request, not yet begun, sent again."""
        need_postgres()
        pg_ctl = shlex.split(os.environ["COCREATE_TEST_PG_CTL"])
        server = Server(store=fresh_postgres_database())
        self.addCleanup(server.close)
        server.start()
        self.assertEqual(server.req("POST", "/organizations", {"name": "before"})[0], 201)
        subprocess.run(pg_ctl + ["-m", "fast", "restart"], check=True, stdout=subprocess.DEVNULL)
        code, body, _ = server.req("POST", "/organizations", {"name": "after"})
        self.assertEqual(code, 201, body)

    def test_restart_fails_cleanly_and_recovers(self):
        need_postgres()
        pg_ctl = shlex.split(os.environ["COCREATE_TEST_PG_CTL"])
        server = Server(store=fresh_postgres_database())
        self.addCleanup(server.close)
        server.start()
        stop = threading.Event()
        outcomes = []
        bodies = []  # (body, headers) of each 503

        def write():
            while not stop.is_set():
                oid = uid("fault")
                try:
                    code, body, headers = server.req("POST", "/organizations",
                                                     {"id": oid, "name": "f"})
                except OSError:
                    code, body, headers = None, None, {}
                outcomes.append((oid, code, headers))
                if code == 503:
                    bodies.append((body, headers))
                time.sleep(0.01)

        worker = threading.Thread(target=write)
        worker.start()
        time.sleep(0.5)
        subprocess.run(pg_ctl + ["-m", "fast", "restart"], check=True, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
                code == 201 for _, code, _ in outcomes[-5:]):
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        worker.join()
        codes = {code for _, code, _ in outcomes}
        self.assertTrue(codes <= {201, 503}, codes)
        self.assertEqual(outcomes[-1][1], 201, "the instance recovered by itself")
        for oid, code, headers in outcomes:
            if code == 503:
                self.assertIn("retry-after", {k.lower() for k in headers})
        # A 503 tells the client a stable message and its request id; the driver's text goes
        # to the server's log, on an error line with that request id.
        failed_ids = set()
        for body, headers in bodies:
            err = body["error"]
            self.assertEqual(err["message"], "the store is unavailable; retry", body)
            self.assertEqual(err["request_id"], headers["Request-Id"])
            self.assertNotIn("PostgreSQL", json.dumps(body))
            failed_ids.add(err["request_id"])
        print(f"\n  during the restart: {sum(c == 503 for _, c, _ in outcomes)} answers 503, "
              f"{sum(c == 201 for _, c, _ in outcomes)} 201", file=sys.stderr)
        # Nothing half-applied: every 201 is in the log, the log is gap-free.
        events, after = [], 0
        while True:
            body = server.req("GET", f"/events?after={after}&limit=1000")[1]
            events += body["events"]
            if not body["events"]:
                break
            after = body["next"]
        self.assertEqual([e["seq"] for e in events], list(range(1, len(events) + 1)))
        created = {e["subject"] for e in events}
        for oid, code, _ in outcomes:
            if code == 201:
                self.assertIn(oid, created)
        server.stop()
        logged = {}
        for line in server.log_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                logged[entry.get("request_id")] = entry
        for rid in failed_ids:
            self.assertEqual(logged[rid]["level"], "error", logged[rid])
            self.assertEqual(logged[rid]["status"], 503)
            self.assertTrue(logged[rid]["detail"], logged[rid])


if __name__ == "__main__":
    unittest.main()
