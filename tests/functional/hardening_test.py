#!/usr/bin/env python3
"""Functional tests of CONTRACT §7 against the real binary: what the API accepts reads back
after a restart, an export and an import; numbers are kept exactly or refused; money sums are
exact; parsing is linear and never stalls the server; query strings are checked.

    COCREATE_BIN=build/debug/cocreate python3 tests/functional/hardening_test.py -v

COCREATE_TEST_STORE=postgresql runs the same against the cluster of script/with-postgres.
Timings are printed, never asserted: a request that is slow fails only by its time-out.
"""

import decimal
import fcntl
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_test  # noqa: E402  (the shared server harness)
from api_test import (MIB, ApiTestCase, Server, cocreate_bin, fresh_postgres_database,  # noqa: E402
                      uid)

SERVER = None


def setUpModule():
    global SERVER
    cocreate_bin()
    SERVER = Server()
    unittest.addModuleCleanup(SERVER.close)
    SERVER.start()


def exact(text):
    """Parses JSON keeping every number exact (Decimal), so 1e19 != 0 and pi keeps its digits."""
    return json.loads(text, parse_float=decimal.Decimal, parse_int=int)


def raw_get(server, path, token=api_test._ADMIN):
    status, data, _ = server.request_raw("GET", "/api/v1" + path, token=token)
    return status, data.decode("utf-8")


def post_raw(server, path, text, token=api_test._ADMIN):
    """POSTs `text` as it is (numbers the json module would rewrite stay as written)."""
    status, data, _ = server.request_raw(
        "POST", "/api/v1" + path, raw=text.encode("utf-8"), token=token,
        headers={"Content-Type": "application/json"})
    return status, data.decode("utf-8", "replace")


# Numbers in every form a body may hold; each must be answered with the same digits.
NUMBERS = ["3.14159265358979323846", "1e19", "1E+19", "9223372036854775807",
           "9223372036854775808", "18446744073709551615", "-9223372036854775808",
           "-9.3e18", "-0", "0.1", "1e-400", "1e400", "123.4500", "2.5E-3",
           "123456789012345678901234567890.123456789012345678901234567890"]
STRINGS = ["", "é", "日本語", "😀", "\u0000", "\t\n\"\\", "\u2028\u2029", "\ufeff"]


def edge_bodies(owner):
    """(label, resource body as JSON text) for the edge cases of a create body."""
    numbers = "{" + ",".join(f'"n{i}":{n}' for i, n in enumerate(NUMBERS)) + "}"
    strings = json.dumps({f"s{i}": s for i, s in enumerate(STRINGS)})
    many = json.dumps({f"k{i}": i for i in range(20000)})
    longest = json.dumps({"text": "x" * (7 * MIB)})

    def body(label, attributes):
        return (label, '{"id":"%s","owner":"%s","kind":"edge","name":"%s","attributes":%s}'
                % (uid("edge-" + label), owner, label, attributes))

    return [body("numbers", numbers), body("strings", strings), body("many", many),
            body("longest", longest), body("escaped", r'{"a":"\ud83d\ude00 \u00e9 \/"}')]


def deepest_body(server, owner):
    """The deepest resource body the server accepts, found by asking it; the next level is 400."""
    def attempt(levels):
        text = ('{"id":"%s","owner":"%s","kind":"deep","name":"deep","attributes":{"a":%s}}'
                % (uid("deep"), owner, "[" * levels + "1" + "]" * levels))
        return text, post_raw(server, "/resources", text)

    levels = 1
    while True:
        text, (status, answer) = attempt(levels + 1)
        if status != 201:
            break
        levels += 1
        if levels > 1000:
            raise AssertionError("no nesting limit")
    return levels, status, answer


class TestWhatIsAcceptedReadsBack(ApiTestCase):
    """CONTRACT §7: every write that answered 2xx survives a restart, an export and an import
    unchanged (issue: a body nested to the limit made the store refuse to start)."""

    def test_edge_bodies_survive_restart_export_and_import(self):
        server = Server()
        self.addCleanup(server.close)
        server.start()
        owner = uid("edge-org")
        self.assertStatus(server.req("POST", "/organizations", {"id": owner, "name": "edges"}), 201)

        levels, next_status, next_answer = deepest_body(server, owner)
        self.assertEqual(next_status, 400, next_answer)
        self.assertIn("nested deeper", next_answer)
        self.assertGreaterEqual(levels, 60)

        accepted = {}  # id -> (body text, attributes as the server first answered them)
        bodies = edge_bodies(owner)
        for label, text in bodies:
            status, answer = post_raw(server, "/resources", text)
            self.assertEqual(status, 201, f"{label}: {answer[:300]}")
            rid = exact(text)["id"]
            self.assertEqual(exact(answer)["attributes"], exact(text)["attributes"], label)
            accepted[rid] = (text, answer)
        numbers_text = bodies[0][1]
        numbers_id = exact(numbers_text)["id"]
        for n in NUMBERS:
            self.assertIn(n, raw_get(server, f"/resources/{numbers_id}")[1],
                          f"{n} is answered with the same digits")

        def check(srv, when):
            for rid, (text, _) in accepted.items():
                status, answer = raw_get(srv, f"/resources/{rid}")
                self.assertEqual(status, 200, f"{when}: {rid}")
                self.assertEqual(exact(answer)["attributes"], exact(text)["attributes"],
                                 f"{when}: {rid}")
                # A retry of the same body is a safe retry, before and after a restart.
                retry, again = post_raw(srv, "/resources", text)
                self.assertEqual(retry, 200, f"{when}: retry of {rid}: {again[:300]}")
            status, answer = raw_get(srv, f"/resources/{numbers_id}")
            for n in NUMBERS:
                self.assertIn(n, answer, f"{when}: {n} keeps its digits")

        check(server, "before restart")
        server.stop()
        server.start()
        check(server, "after restart")
        server.kill9()
        server.start()
        check(server, "after kill -9")
        server.stop()

        source = ["--data-dir", server.data_dir] + (["--store", server.store] if server.store else [])
        exported = subprocess.run([cocreate_bin(), "export", *source], capture_output=True,
                                  check=True).stdout
        self.assertGreater(len(exported), 7 * MIB)
        target_dir = tempfile.TemporaryDirectory(prefix="cocreate-import-")
        self.addCleanup(target_dir.cleanup)
        target = ["--data-dir", target_dir.name]
        target_store = fresh_postgres_database() if server.store else ""
        if target_store:
            target += ["--store", target_store]
        imported = subprocess.run([cocreate_bin(), "import", *target], input=exported,
                                  capture_output=True)
        self.assertEqual(imported.returncode, 0, imported.stderr[-2000:])
        again = subprocess.run([cocreate_bin(), "export", *target], capture_output=True,
                               check=True).stdout
        self.assertEqual(again, exported, "export of the import is the same log, byte for byte")

        copy = Server(store=target_store)
        self.addCleanup(copy.close)
        copy.data_dir = target_dir.name
        copy.start()
        check(copy, "after import")

    def test_bad_unicode_is_refused_or_kept(self):
        """A lone surrogate escape is either refused with 400 or read back as sent."""
        status, body, _ = SERVER.req("POST", "/organizations", {"id": uid("uni"), "name": "u"})
        self.assertEqual(status, 201)
        owner = body["id"]
        for escaped in [r"\ud800", r"\udc00x", r"\ud83d"]:
            text = '{"owner":"%s","kind":"k","name":"n","attributes":{"s":"%s"}}' % (owner, escaped)
            status, answer = post_raw(SERVER, "/resources", text)
            if status == 201:
                rid = json.loads(answer)["id"]
                status, again = raw_get(SERVER, f"/resources/{rid}")
                self.assertEqual(json.loads(again)["attributes"], json.loads(text)["attributes"])
            else:
                self.assertEqual(status, 400, answer)
                self.assertEqual(json.loads(answer)["error"]["code"], "invalid_json")


class TestNumbersAndMoney(ApiTestCase):
    """CONTRACT §7 (numbers kept exactly or refused) and §6 (money is exact)."""

    def test_cost_sums_are_exact_and_limits_name_the_field(self):
        srv = SERVER
        provider, consumer = uid("mp"), uid("mc")
        for org in (provider, consumer):
            self.assertStatus(srv.req("POST", "/organizations", {"id": org, "name": org}), 201)
        svc = self.assertStatus(srv.req("POST", "/services", {
            "provider": provider, "name": "s", "built_on": [], "depends_on": []}), 201)["id"]
        off = self.assertStatus(srv.req("POST", "/offerings", {
            "provider": provider, "service": svc, "name": "o", "audience": "public",
            "goods": [], "access": [], "actions": [{"name": "advise", "effect": "none"}],
            "service_levels": [], "price": {"amount": 0.1, "currency": "EUR", "period": "month"}}),
            201)["id"]
        rel = self.assertStatus(srv.req("POST", "/relationships", {
            "offering": off, "consumer": consumer, "type": "basic"}), 201)["id"]
        self.assertStatus(srv.req("POST", f"/relationships/{rel}/activate", {}), 200)

        def provision(amount_text):
            text = ('{"relationship":"%s","action":"advise","value":{"costs":'
                    '[{"amount":%s,"currency":"EUR","kind":"introduced"}]}}' % (rel, amount_text))
            return post_raw(srv, "/provisions", text)

        for amount in ["0.1", "0.2", "8000", "26.09", "999999999999999.9999", "-999999999999999.9999"]:
            status, answer = provision(amount)
            self.assertEqual(status, 201, answer)
        for bad in ["1e19", "1e-05", "0.00001", "1234567890123456", "3.14159265358979323846"]:
            status, answer = provision(bad)
            self.assertEqual(status, 400, f"{bad}: {answer}")
            err = json.loads(answer)["error"]
            self.assertEqual(err["field"], "value.costs[0].amount", answer)
        status, answer = raw_get(srv, f"/organizations/{provider}/value")
        self.assertEqual(status, 200, answer)
        self.assertIn('"EUR":8026.39', answer.replace(" ", ""), answer)
        self.assertNotIn("8026.38999", answer)
        srv.restart()
        status, again = raw_get(srv, f"/organizations/{provider}/value")
        self.assertEqual(again, answer, "the same sums after a restart")

    def test_price_amount_keeps_its_digits_within_the_limits(self):
        org = uid("price")
        self.assertStatus(SERVER.req("POST", "/organizations", {"id": org, "name": org}), 201)
        svc = self.assertStatus(SERVER.req("POST", "/services", {
            "provider": org, "name": "s", "built_on": [], "depends_on": []}), 201)["id"]

        def offering(amount_text):
            text = ('{"provider":"%s","service":"%s","name":"o","audience":"public","goods":[],'
                    '"access":[],"actions":[],"service_levels":[],'
                    '"price":{"amount":%s,"currency":"EUR","period":"month"}}'
                    % (org, svc, amount_text))
            return post_raw(SERVER, "/offerings", text)

        status, answer = offering("12.3400")
        self.assertEqual(status, 201, answer)
        self.assertIn('"amount":12.3400', answer)
        status, answer = offering("1e19")
        self.assertEqual(status, 400, answer)
        self.assertEqual(json.loads(answer)["error"]["field"], "price.amount")


class TestLinearParsing(ApiTestCase):
    """CONTRACT §7: parsing is linear; a body within the limits never stalls the server
    (issue: a 100,000-key object held an HTTP thread for 17 s before the viewer's 403)."""

    def test_huge_objects_from_a_viewer_do_not_stall_the_server(self):
        org = uid("stall")
        self.assertStatus(SERVER.req("POST", "/organizations", {"id": org, "name": org}), 201)
        viewer = self.assertStatus(SERVER.req("POST", "/tokens", {
            "organization": org, "role": "viewer"}), 201)["token"]
        bodies = {
            "100,000 keys": json.dumps({"owner": org, "kind": "k", "name": "n",
                                        "attributes": {f"k{i}": i for i in range(100000)}}),
            "8 MiB of short keys": None,
        }
        keys, parts, size = 0, [], 40
        while size < 8 * MIB - 64:
            part = f'"{keys:x}":0'
            parts.append(part)
            size += len(part) + 1
            keys += 1
        bodies["8 MiB of short keys"] = ('{"owner":"%s","kind":"k","name":"n","attributes":{%s}}'
                                         % (org, ",".join(parts)))
        expected = {"100,000 keys": 403, "8 MiB of short keys": 400}
        for label, text in bodies.items():
            health = []

            def probe():
                t0 = time.monotonic()
                status, _, _ = SERVER.request_raw("GET", "/healthz", token=None, timeout=30)
                health.append((status, time.monotonic() - t0))

            started = time.monotonic()
            prober = threading.Thread(target=probe)
            sender = threading.Thread(target=lambda: health.append(
                ("post",) + post_raw(SERVER, "/resources", text, token=viewer)))
            sender.start()
            time.sleep(0.05)
            prober.start()
            sender.join(60)
            prober.join(60)
            elapsed = time.monotonic() - started
            post = [h for h in health if h[0] == "post"]
            probes = [h for h in health if h[0] != "post"]
            self.assertEqual(len(post), 1, f"{label}: the POST was answered")
            # Over the body's value limit is 400 (checked before the viewer's 403).
            self.assertEqual(post[0][1], expected[label], f"{label}: {post[0][2][:200]}")
            self.assertEqual(probes[0][0], 200)
            print(f"\n  {label} ({len(text)} bytes) from a viewer: {post[0][1]} in {elapsed:.3f} s; "
                  f"/healthz meanwhile in {probes[0][1]:.3f} s", file=sys.stderr)
        # A member's 100,000-key resource is stored and read back.
        text = bodies["100,000 keys"]
        t0 = time.monotonic()
        status, answer = post_raw(SERVER, "/resources", text)
        self.assertEqual(status, 201, answer[:300])
        print(f"  100,000 keys from a member: 201 in {time.monotonic() - t0:.3f} s",
              file=sys.stderr)

    def test_the_largest_bodies_within_the_limits_do_not_hold_up_readers(self):
        """Bodies at the value limit, of every kind of value, are answered and never hold
        other requests for long (printed, not asserted: the machines are noisy)."""
        org = uid("limit")
        self.assertStatus(SERVER.req("POST", "/organizations", {"id": org, "name": org}), 201)
        limit = 250000 - 10
        for label, element in [("empty arrays", "[]"), ("zeros", "0"), ("empty objects", "{}"),
                               ("30-byte strings", '"' + "x" * 30 + '"')]:
            text = ('{"owner":"%s","kind":"k","name":"%s","attributes":{"a":[%s]}}'
                    % (org, label, ",".join([element] * limit)))
            worst, stop = [0.0], [False]

            def reader():
                while not stop[0]:
                    t0 = time.monotonic()
                    SERVER.request_raw("GET", "/api/v1/organizations?limit=1")
                    worst[0] = max(worst[0], time.monotonic() - t0)

            thread = threading.Thread(target=reader)
            thread.start()
            t0 = time.monotonic()
            status, answer = post_raw(SERVER, "/resources", text)
            elapsed = time.monotonic() - t0
            stop[0] = True
            thread.join()
            self.assertEqual(status, 201, answer[:200])
            print(f"\n  {limit} {label} ({len(text)} bytes): 201 in {elapsed:.3f} s; "
                  f"slowest read meanwhile {worst[0]:.3f} s", file=sys.stderr)
            over = text.replace("[" + element, "[" + element + "," + ",".join([element] * 20), 1)
            status, answer = post_raw(SERVER, "/resources", over)
            self.assertEqual(status, 400, answer[:200])
            self.assertIn("250000 values", answer)

    def test_duplicate_member_names_are_refused(self):
        status, answer = post_raw(SERVER, "/organizations", '{"name":"a","name":"b"}')
        self.assertEqual(status, 400, answer)
        err = json.loads(answer)["error"]
        self.assertEqual(err["code"], "invalid_json")
        self.assertIn('"name"', err["message"])


class TestHost(ApiTestCase):

    def test_http_1_1_without_exactly_one_host_is_400_and_closed(self):
        for head in ["GET /healthz HTTP/1.1\r\n\r\n",
                     "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"]:
            sock = socket.create_connection(("127.0.0.1", SERVER.port), timeout=5)
            try:
                sock.sendall((head + "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n").encode())
                data = b""
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            finally:
                sock.close()
            self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:200])
            self.assertIn(b"Host", data)
            self.assertEqual(len(re.findall(rb"(?m)^HTTP/1\.1 \d{3}", data)), 1,
                             "closed after the 400")
        # HTTP/1.0 needs no Host.
        sock = socket.create_connection(("127.0.0.1", SERVER.port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertTrue(sock.recv(65536).startswith(b"HTTP/1.0 200"))
        sock.close()


class TestLogOnAStderrThatTakesNoMore(ApiTestCase):
    """Request lines are written in batches; a stderr that stalls or goes away loses whole
    lines at most, never the server and never half a line."""

    def start(self, stderr):
        tmp = tempfile.TemporaryDirectory(prefix="cocreate-log-")
        self.addCleanup(tmp.cleanup)
        port = api_test.free_port()
        env = dict(os.environ, COCREATE_ADMIN_TOKEN=api_test.ADMIN_TOKEN)
        proc = subprocess.Popen([cocreate_bin(), "serve", "--data-dir", tmp.name, "--listen",
                                 f"127.0.0.1:{port}"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=stderr, env=env)

        def stop():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
        self.addCleanup(stop)
        return proc, port, stop

    def get_many(self, port, threads, seconds):
        """Keep-alive GETs from `threads` clients for `seconds`; returns how many answered 200."""
        done = []

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            count, end = 0, time.monotonic() + seconds
            while time.monotonic() < end:
                conn.request("GET", "/api/v1/organizations",
                             headers={"Authorization": f"Bearer {api_test.ADMIN_TOKEN}"})
                response = conn.getresponse()
                response.read()
                count += response.status == 200
            conn.close()
            done.append(count)
        workers = [threading.Thread(target=client) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(seconds + 30)
        return sum(done)

    def wait_up(self, proc, port):
        for _ in range(400):
            self.assertIsNone(proc.poll(), "the server exited")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.fail("the server did not start")

    def test_a_closed_stderr_pipe_does_not_stop_the_server(self):
        read, write = os.pipe()
        proc, port, _ = self.start(write)
        os.close(write)
        os.close(read)  # nobody will ever read the log
        self.wait_up(proc, port)
        self.assertGreater(self.get_many(port, 2, 0.5), 0)
        time.sleep(1.5)  # past the once-a-second flush of the batched lines
        self.assertIsNone(proc.poll(), "the server died writing its log")
        self.assertGreater(self.get_many(port, 2, 0.5), 0)

    def test_a_slow_non_blocking_stderr_gets_whole_lines_only(self):
        read, write = os.pipe()
        fcntl.fcntl(write, fcntl.F_SETFL, fcntl.fcntl(write, fcntl.F_GETFL) | os.O_NONBLOCK)
        proc, port, stop = self.start(write)
        os.close(write)
        data = bytearray()

        def reader():  # a log shipper that falls behind
            while True:
                time.sleep(0.3)
                chunk = os.read(read, 1 << 20)
                if not chunk:
                    return
                data.extend(chunk)
        drain = threading.Thread(target=reader)
        drain.start()
        self.wait_up(proc, port)
        answered = self.get_many(port, 8, 3)
        self.assertGreater(answered, 0)
        stop()
        drain.join(30)
        os.close(read)
        lines = [line for line in bytes(data).split(b"\n") if line]
        torn = []
        for line in lines:
            try:
                json.loads(line)
            except ValueError:
                torn.append(line[:200])
        self.assertEqual(torn, [], f"{len(torn)} of {len(lines)} lines are not whole JSON")
        self.assertGreater(len(lines), 0)


    def test_the_line_begun_when_the_server_stops_is_finished(self):
        """A full pipe holds the first part of a line; the shipper reads again only after the
        server was told to stop, later than a running server waits (100 ms)."""
        read, write = os.pipe()
        fcntl.fcntl(write, fcntl.F_SETFL, fcntl.fcntl(write, fcntl.F_GETFL) | os.O_NONBLOCK)
        proc, port, _ = self.start(write)
        os.close(write)
        self.wait_up(proc, port)
        self.assertGreater(self.get_many(port, 4, 1), 0)  # far more than the pipe holds
        proc.terminate()
        time.sleep(0.5)
        data = bytearray()
        while chunk := os.read(read, 1 << 20):
            data.extend(chunk)
        os.close(read)
        self.assertEqual(proc.wait(30), 0)
        lines = bytes(data).split(b"\n")
        self.assertEqual(lines[-1], b"", "the last line is cut short")
        for line in lines[:-1]:
            json.loads(line)


class TestLogOfUnauthenticatedRequests(ApiTestCase):

    def test_a_401_is_logged_by_route_pattern_not_by_path(self):
        server = Server()
        self.addCleanup(server.close)
        server.start()
        hidden = uid("never-logged")
        status, _, headers = server.request_raw("GET", f"/api/v1/organizations/{hidden}",
                                                token="not-a-token")
        self.assertEqual(status, 401)
        rid = headers["Request-Id"]
        server.stop()
        text = server.log_text()
        self.assertNotIn(hidden, text)
        self.assertNotIn("not-a-token", text)
        lines = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
        line = next(l for l in lines if l.get("request_id") == rid)
        self.assertEqual(line["route"], "/api/v1/organizations/{id}")
        self.assertEqual(line["status"], 401)


class TestStartRefusals(ApiTestCase):

    def test_an_empty_admin_token_is_refused(self):
        """COCREATE_ADMIN_TOKEN set but empty is an operator's mistake, not "generate one"."""
        with tempfile.TemporaryDirectory(prefix="cocreate-empty-token-") as d:
            env = dict(os.environ, COCREATE_ADMIN_TOKEN="")
            run = subprocess.run([cocreate_bin(), "serve", "--data-dir", d, "--listen",
                                  "127.0.0.1:0"], env=env, capture_output=True, text=True,
                                 timeout=30)
            self.assertEqual(run.returncode, 2, run.stderr)
            self.assertIn("COCREATE_ADMIN_TOKEN is set but empty", run.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "admin.token")))


class EventStream:
    """A raw Server-Sent Events reader: the seqs of the frames it has read so far."""

    def __init__(self, server, token, after=0):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=0.2)
        self.sock.sendall((f"GET /api/v1/events/stream?after={after} HTTP/1.1\r\n"
                           f"Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
        self.buf = b""
        self.closed = False

    def read(self, seconds):
        """Reads for up to `seconds` (less when the server closes the stream)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.closed:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
            self.buf += chunk

    def seqs(self):
        return [int(m) for m in re.findall(rb"(?m)^id: (\d+)$", self.buf)]

    def close(self):
        self.sock.close()


class TestEventStreams(ApiTestCase):

    def test_a_stream_skips_nothing_while_others_write(self):
        """The stream's cursor moves only over events it examined (issue: it jumped to the last
        seq after its scan, skipping an event committed in between)."""
        watched = uid("sse-org")
        self.assertStatus(SERVER.req("POST", "/organizations", {"id": watched, "name": "w"}), 201)
        token = self.assertStatus(SERVER.req("POST", "/tokens", {
            "organization": watched, "role": "member"}), 201)["token"]
        other = uid("sse-other")
        self.assertStatus(SERVER.req("POST", "/organizations", {"id": other, "name": "o"}), 201)
        start = api_test.all_events(server=SERVER)[-1]["seq"]
        stream = EventStream(SERVER, token, after=start)
        self.addCleanup(stream.close)

        def write(n, mine):
            for i in range(60):
                owner = watched if mine else None
                if owner:
                    SERVER.req("POST", "/resources", {"owner": watched, "kind": "k",
                                                      "name": f"{n}-{i}"}, token=token)
                else:
                    SERVER.req("POST", "/resources", {"owner": other, "kind": "k",
                                                      "name": f"{n}-{i}"})

        writers = [threading.Thread(target=write, args=(n, n % 2 == 0)) for n in range(6)]
        for t in writers:
            t.start()
        while any(t.is_alive() for t in writers):
            stream.read(0.2)
        for t in writers:
            t.join()
        expected = [e["seq"] for e in api_test.all_events(token=token, server=SERVER)
                    if e["seq"] > start]
        self.assertEqual(len(expected), 180, "the watched org sees its own resources only")
        deadline = time.monotonic() + 10
        while stream.seqs() != expected and time.monotonic() < deadline:
            stream.read(0.3)
        self.assertEqual(stream.seqs(), expected)

    def test_a_revoked_tokens_stream_ends(self):
        org = uid("sse-rev")
        self.assertStatus(SERVER.req("POST", "/organizations", {"id": org, "name": "r"}), 201)
        issued = self.assertStatus(SERVER.req("POST", "/tokens", {
            "organization": org, "role": "viewer"}), 201)
        stream = EventStream(SERVER, issued["token"])
        self.addCleanup(stream.close)
        stream.read(0.5)
        self.assertFalse(stream.closed)
        self.assertIn(b"200 OK", stream.buf[:20])
        self.assertEqual(SERVER.req("DELETE", f"/tokens/{issued['id']}")[0], 204)
        stream.read(10)
        self.assertTrue(stream.closed, "the stream of a revoked token is closed")


if __name__ == "__main__":
    unittest.main()
