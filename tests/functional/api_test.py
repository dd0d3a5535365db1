#!/usr/bin/env python3
"""Black-box functional tests for cocreate, written against ../shared/CONTRACT.md (sections 2-4).

They drive the real binary over HTTP and use nothing but the Python standard library:

    COCREATE_BIN=build/debug/cocreate python3 -m unittest tests/functional/api_test.py -v

One shared server (admin token ADMIN_TOKEN, fresh temporary data directory) serves most
tests; every test makes its own objects with unique ids, so tests do not depend on one another.
The durability, graceful-stop, admin-token and demo tests start servers of their own.

Where the contract leaves a detail open, the tests follow the implementer's documented choices
(error codes such as "invalid_field" or "not_transferable", the /tokens body, list shapes).
"""

import datetime
import http.client
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import types
import unittest
import urllib.parse

# The admin token must be at least 32 characters (CONTRACT §9.6).
ADMIN_TOKEN = "admin-secret-token-for-functional-tests"
API = "/api/v1"
MIB = 1024 * 1024

_ADMIN = object()  # default for `token=`: "send the server's admin token"

# Four service actions, one per effect, used by every test offering.
ACTIONS = [
    {"name": "create-vm", "effect": "create"},
    {"name": "tune", "effect": "modify"},
    {"name": "hand-over", "effect": "transfer"},
    {"name": "advise", "effect": "none"},
]

# Every route of the contract's API table, relative to the /api/v1 base, with its methods.
CORE_ROUTES = {
    "/organizations": {"get", "post"},
    "/organizations/{id}": {"get"},
    "/organizations/{id}/roles": {"get"},
    "/organizations/{id}/value": {"get"},
    "/consumer-groups": {"get", "post"},
    "/consumer-groups/{id}": {"get"},
    "/resources": {"get", "post"},
    "/resources/{id}": {"get"},
    "/resources/{id}/versions": {"get"},
    "/resources/{id}/lineage": {"get"},
    "/services": {"get", "post"},
    "/services/{id}": {"get"},
    "/offerings": {"get", "post"},
    "/offerings/{id}": {"get"},
    "/relationships": {"get", "post"},
    "/relationships/{id}": {"get"},
    "/relationships/{id}/activate": {"post"},
    "/relationships/{id}/reject": {"post"},
    "/relationships/{id}/suspend": {"post"},
    "/relationships/{id}/resume": {"post"},
    "/relationships/{id}/terminate": {"post"},
    "/provisions": {"get", "post"},
    "/provisions/{id}": {"get"},
    "/impact": {"get"},
    "/events": {"get"},
    "/events/stream": {"get"},
    "/tokens": {"get", "post"},
    "/tokens/{id}": {"delete"},
    "/openapi.json": {"get"},
}
# The graph-engine routes (contract section 3, "Graph questions").
GRAPH_ROUTES = {
    "/chains": {"get"},
    "/cycles": {"get"},
    "/analysis/concentration": {"get"},
}


# --------------------------------------------------------------------------------------------
# Ids, times, raw HTTP parsing
# --------------------------------------------------------------------------------------------

_RUN = os.urandom(3).hex()
_counter = itertools.count(1)
_counter_lock = threading.Lock()


def uid(tag):
    """A client id unique to this run: `tag-RUN-N` (matches ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$)."""
    with _counter_lock:
        n = next(_counter)
    return f"{tag}-{_RUN}-{n}"


def q(value):
    """Percent-encodes a query value."""
    return urllib.parse.quote(str(value), safe="")


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_utc(text):
    """Parses an RFC 3339 UTC time; raises AssertionError if it is not one."""
    m = _RFC3339.match(text) if isinstance(text, str) else None
    if not m:
        raise AssertionError(f"not an RFC 3339 time: {text!r}")
    if m.group(8) not in ("Z", "z", "+00:00", "-00:00"):
        raise AssertionError(f"not a UTC time: {text!r}")
    micro = int((m.group(7) or ".0")[1:7].ljust(6, "0"))
    return datetime.datetime(*(int(m.group(i)) for i in range(1, 7)), micro,
                             tzinfo=datetime.timezone.utc)


def decode_json(data):
    """The parsed JSON of a response body, or None if it is empty or not JSON."""
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def split_http_response(buf):
    """(status, {lower-case header: value}, body bytes) once the head of `buf` is complete, else None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buf[:end].decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/\d\.\d (\d{3})", lines[0])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return (int(m.group(1)) if m else None), headers, buf[end + 4:]


def dechunk(body):
    """Decodes a chunked transfer-encoded body (as much of it as is complete)."""
    out, pos = bytearray(), 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            return bytes(out)
        size = int(body[pos:eol].split(b";")[0] or b"0", 16)
        if size == 0:
            return bytes(out)
        out += body[eol + 2:eol + 2 + size]
        pos = eol + 2 + size + 2


def response_complete(buf):
    """True when `buf` holds a whole HTTP response (Content-Length or chunked framing)."""
    parsed = split_http_response(buf)
    if parsed is None:
        return False
    _, headers, body = parsed
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return body.endswith(b"0\r\n\r\n")
    if "content-length" in headers:
        return len(body) >= int(headers["content-length"])
    return False  # delimited by close


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cocreate_bin():
    """The binary under test, from $COCREATE_BIN."""
    path = os.environ.get("COCREATE_BIN")
    if not path:
        raise RuntimeError(
            "COCREATE_BIN is not set: point it at the built binary, e.g. "
            "COCREATE_BIN=build/debug/cocreate python3 -m unittest tests/functional/api_test.py")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"COCREATE_BIN={path!r} is not an executable file")
    return os.path.abspath(path)


# --------------------------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------------------------

_databases = itertools.count(1)


def fresh_postgres_database():
    """Creates a new database on the test cluster and returns its URL."""
    admin = os.environ["COCREATE_TEST_POSTGRES"]
    name = f"cc_ft_{os.getpid()}_{next(_databases)}"
    subprocess.run(["psql", admin, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                   stdout=subprocess.DEVNULL)
    return admin[:admin.rfind("/") + 1] + name


def default_store():
    """The --store of test servers: None for the embedded SQLite default."""
    if os.environ.get("COCREATE_TEST_STORE") != "postgresql":
        return None
    return fresh_postgres_database()


class Server:
    """One `cocreate serve` process on 127.0.0.1 with a data directory that survives restarts.

    Each start picks a fresh free port and writes the process output to its own log file.
    `admin_token=None` starts the server without COCREATE_ADMIN_TOKEN (it then generates one).
    """

    def __init__(self, admin_token=ADMIN_TOKEN, extra_args=(), store=None, extra_env=None):
        self._tmp = tempfile.TemporaryDirectory(prefix="cocreate-ft-")
        self.data_dir = os.path.join(self._tmp.name, "data")
        os.mkdir(self.data_dir)
        # COCREATE_TEST_STORE=postgresql runs every server on a fresh PostgreSQL database
        # of the cluster COCREATE_TEST_POSTGRES names; `store` shares one between servers.
        self.store = store if store is not None else default_store()  # "" forces SQLite
        if self.store:
            extra_args = ["--store", self.store, *extra_args]
        self.admin_token = admin_token
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.preexec_fn = None  # run in the child before exec (limits for fault tests)
        self.extra_env = dict(extra_env or {})  # added to the server's environment
        self.logs = []  # the log file of each start, in order
        self._log_file = None

    # -- process control ---------------------------------------------------------------------

    def start(self, timeout=20.0):
        """Starts the server and waits until GET /healthz answers 200."""
        if self.proc is not None:
            raise RuntimeError("server already running")
        binary = cocreate_bin()
        self.port = free_port()
        log_path = os.path.join(self._tmp.name, f"server-{len(self.logs) + 1}.log")
        self.logs.append(log_path)
        self._log_file = open(log_path, "wb")
        env = dict(os.environ)
        env.pop("COCREATE_ADMIN_TOKEN", None)
        if self.admin_token is not None:
            env["COCREATE_ADMIN_TOKEN"] = self.admin_token
        env.update(self.extra_env)
        cmd = [binary, "serve", "--data-dir", self.data_dir,
               "--listen", f"127.0.0.1:{self.port}", *self.extra_args]
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=subprocess.STDOUT,
                                     preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                self._reap()
                raise RuntimeError(f"cocreate exited with code {rc} while starting "
                                   f"({' '.join(cmd)}); output:\n{self.log_text()[-4000:]}")
            try:
                status, _, _ = self.request_raw("GET", "/healthz", token=None, timeout=2)
                if status == 200:
                    return self
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                self.kill9()
                raise RuntimeError(f"GET /healthz did not answer 200 within {timeout} s; "
                                   f"output:\n{self.log_text()[-4000:]}")
            time.sleep(0.1)

    def stop(self, timeout=10.0):
        """SIGTERM, then wait; SIGKILL if it has not exited in time. Returns the exit code
        (None when it had to be killed, or was not running)."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        self._reap()
        return rc

    def kill9(self):
        """SIGKILL: the process gets no chance to flush or clean up."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._reap()

    def restart(self, timeout=20.0):
        """Stops (gracefully) if running, then starts again on the same data directory."""
        self.stop()
        return self.start(timeout)

    def close(self):
        self.stop()
        self._tmp.cleanup()

    def _reap(self):
        self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self, index=-1):
        """The output of one start (default: the latest)."""
        if not self.logs:
            return ""
        with open(self.logs[index], "rb") as f:
            return f.read().decode("utf-8", "replace")

    # -- HTTP --------------------------------------------------------------------------------

    def request_raw(self, method, path, body=None, token=_ADMIN, headers=None, raw=None,
                    timeout=60):
        """Sends one request on a new connection; returns (status, body bytes, headers).

        `body` is sent as JSON with Content-Type application/json; `raw` bytes are sent as they
        are (with whatever Content-Type `headers` gives, if any). `token=None` sends no
        Authorization header. `path` is the full path (e.g. "/healthz", "/api/v1/events").
        """
        hdrs = {}
        if token is _ADMIN:
            token = self.admin_token
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if headers:
            hdrs.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.read(), resp.headers
        finally:
            conn.close()

    def req(self, method, path, body=None, token=_ADMIN, headers=None, raw=None, root=False):
        """Like request_raw, for a path relative to /api/v1 (unless root=True); the body is
        returned parsed as JSON (None when it is not JSON)."""
        full = path if root else API + path
        status, data, hdrs = self.request_raw(method, full, body, token, headers, raw)
        return status, decode_json(data), hdrs


SERVER = None


def setUpModule():
    global SERVER
    cocreate_bin()  # fail early, with a clear message, when COCREATE_BIN is missing
    SERVER = Server()
    unittest.addModuleCleanup(SERVER.close)
    SERVER.start()


def req(method, path, body=None, token=_ADMIN, headers=None, raw=None, root=False):
    """A request to the shared server: (status, parsed JSON or None, headers)."""
    return SERVER.req(method, path, body, token, headers, raw, root)


# --------------------------------------------------------------------------------------------
# Building blocks for worlds of organizations (they raise AssertionError on unexpected answers)
# --------------------------------------------------------------------------------------------

def must(resp, status, what):
    got, body, _ = resp
    if got != status:
        raise AssertionError(f"{what}: expected HTTP {status}, got {got}: {body!r}")
    return body


def new_org(tag, server=None):
    server = server or SERVER
    body = {"id": uid(tag), "name": f"{tag} organization"}
    return must(server.req("POST", "/organizations", body), 201, f"create organization {tag}")["id"]


def new_token(org, role="member"):
    body = must(req("POST", "/tokens", {"organization": org, "role": role}), 201,
                f"issue {role} token for {org}")
    return body["token"]


def create(collection, body, token=_ADMIN):
    return must(req("POST", f"/{collection}", body, token=token), 201, f"create {collection}")


def lifecycle(rel, verb, token=_ADMIN):
    """POST /relationships/{rel}/{verb} with body {}."""
    return req("POST", f"/relationships/{rel}/{verb}", {}, token=token)


def offering_body(tag, provider, service, audience="public", access=(), goods=None, actions=None):
    return {
        "id": uid(f"{tag}-offering"),
        "provider": provider,
        "service": service,
        "name": f"{tag} offering",
        "audience": audience,
        "goods": [{"kind": "vm", "name": "VM"}] if goods is None else goods,
        "access": [{"resource": r} for r in access],
        "actions": ACTIONS if actions is None else actions,
        "service_levels": [{"metric": "availability", "objective": 99.9, "unit": "%"}],
        "price": {"amount": 100, "currency": "EUR", "period": "month"},
    }


def build_pair(tag):
    """A provider, a consumer and an outsider organization (member tokens tp, tc, to).

    The provider owns `res` (kind "vm"), runs `svc` built on it, and publishes a public
    `offering` of `svc` with goods [vm], access to `res` and the four ACTIONS.
    """
    w = types.SimpleNamespace()
    w.prov, w.cons, w.other = (new_org(f"{tag}-{r}") for r in ("prov", "cons", "other"))
    w.tp, w.tc, w.to = (new_token(o) for o in (w.prov, w.cons, w.other))
    w.res = create("resources", {"id": uid(f"{tag}-res"), "owner": w.prov, "kind": "vm",
                                 "name": "shared vm", "attributes": {"cpu": 2}}, w.tp)["id"]
    w.svc = create("services", {"id": uid(f"{tag}-svc"), "provider": w.prov, "name": "hosting",
                                "built_on": [w.res], "depends_on": []}, w.tp)["id"]
    w.offering = create("offerings", offering_body(tag, w.prov, w.svc, access=[w.res]), w.tp)["id"]
    return w


def request_rel(w, rel_type="basic"):
    """The consumer of `w` requests the offering; returns the relationship object."""
    return create("relationships", {"id": uid("rel"), "offering": w.offering,
                                    "consumer": w.cons, "type": rel_type}, w.tc)


def active_rel(w, rel_type="basic"):
    rel = request_rel(w, rel_type)["id"]
    must(lifecycle(rel, "activate", w.tp), 200, "provider activates")
    return rel


def build_chain(tag):
    """The seed chain Org1 -> Org2 -> Org3 (contract section 1), with every answer kept.

    Org1 owns r1 (technology) and vm (kind "vm"), runs s1 built on r1 and offers of1 (public,
    access to r1, goods vm). Org2 requests rel1 (cooperative), Org1 activates; Org1 then
    performs p1 (create c1 for Org2), p2 (merge-patch c1) and p3 (transfer vm to Org2).
    Org2 runs s2 built on c1, offers of2 to consumer group `group` = {Org3}; Org3 requests
    rel2 (basic) and Org2 activates it, which makes Org2 a provider.
    """
    c = types.SimpleNamespace()
    c.o1, c.o2, c.o3 = (new_org(f"{tag}-org{i}") for i in (1, 2, 3))
    c.t1, c.t2, c.t3 = (new_token(o) for o in (c.o1, c.o2, c.o3))
    c.r1 = create("resources", {"id": uid(f"{tag}-r1"), "owner": c.o1, "kind": "technology",
                                "name": "Datacenter", "attributes": {"region": "eu-west"}},
                  c.t1)["id"]
    c.vm = create("resources", {"id": uid(f"{tag}-vm"), "owner": c.o1, "kind": "vm",
                                "name": "Spare VM", "attributes": {"cpu": 4}}, c.t1)["id"]
    c.s1 = create("services", {"id": uid(f"{tag}-s1"), "provider": c.o1, "name": "Hosting",
                               "built_on": [c.r1], "depends_on": []}, c.t1)["id"]
    c.of1 = create("offerings", offering_body(tag, c.o1, c.s1, "public", access=[c.r1]),
                   c.t1)["id"]

    c.r1_before_request = req("GET", f"/resources/{c.r1}", token=c.t2)[0]
    c.rel1_request = req("POST", "/relationships", {"id": uid(f"{tag}-rel1"), "offering": c.of1,
                                                    "consumer": c.o2, "type": "cooperative"},
                         token=c.t2)
    c.rel1 = must(c.rel1_request, 201, "Org2 requests Org1's offering")["id"]
    c.r1_while_requested = req("GET", f"/resources/{c.r1}", token=c.t2)[0]
    c.rel1_activate = lifecycle(c.rel1, "activate", c.t1)
    must(c.rel1_activate, 200, "Org1 activates rel1")
    c.r1_while_active = req("GET", f"/resources/{c.r1}", token=c.t2)[0]

    c.c1_attributes = {"a": 1, "b": {"x": 1}}
    c.p1_body = {"id": uid(f"{tag}-p1"), "relationship": c.rel1, "action": "create-vm",
                 "creates": [{"id": uid(f"{tag}-c1"), "kind": "vm", "name": "VM for Org2",
                              "attributes": c.c1_attributes}]}
    c.p1_resp = req("POST", "/provisions", c.p1_body, token=c.t1)
    p1 = must(c.p1_resp, 201, "Org1 performs a create provision")
    c.p1 = p1["id"]
    if not p1.get("created"):
        raise AssertionError(f"create provision answered no `created` ids: {p1!r}")
    c.c1 = p1["created"][0]
    c.c1_after_create = must(req("GET", f"/resources/{c.c1}", token=c.t2), 200,
                             "Org2 reads the resource created for it")

    c.patch = {"a": None, "b": {"c": 2}}
    c.p2_body = {"id": uid(f"{tag}-p2"), "relationship": c.rel1, "action": "tune",
                 "modifies": [{"resource": c.c1, "attributes": c.patch}]}
    c.p2_resp = req("POST", "/provisions", c.p2_body, token=c.t1)
    c.p2 = must(c.p2_resp, 201, "Org1 performs a modify provision")["id"]

    c.p3_body = {"id": uid(f"{tag}-p3"), "relationship": c.rel1, "action": "hand-over",
                 "transfers": [c.vm]}
    c.p3_resp = req("POST", "/provisions", c.p3_body, token=c.t1)
    c.p3 = must(c.p3_resp, 201, "Org1 performs a transfer provision")["id"]

    c.s2 = create("services", {"id": uid(f"{tag}-s2"), "provider": c.o2, "name": "Managed apps",
                               "built_on": [c.c1], "depends_on": []}, c.t2)["id"]
    c.group = create("consumer-groups", {"id": uid(f"{tag}-group"), "name": f"{tag} customers",
                                         "members": [c.o3]})["id"]
    c.of2 = create("offerings", offering_body(
        tag, c.o2, c.s2, {"consumer_groups": [c.group]}, goods=[],
        actions=[{"name": "operate", "effect": "none"}]), c.t2)["id"]
    c.rel2 = create("relationships", {"id": uid(f"{tag}-rel2"), "offering": c.of2,
                                      "consumer": c.o3, "type": "basic"}, c.t3)["id"]
    must(lifecycle(c.rel2, "activate", c.t2), 200, "Org2 activates rel2")
    return c


def all_events(token=_ADMIN, server=None, page=500):
    """Every event the token may see, paging GET /events?after=&limit= until it is empty."""
    server = server or SERVER
    events, after = [], 0
    while True:
        body = must(server.req("GET", f"/events?after={after}&limit={page}", token=token), 200,
                    "GET /events")
        batch = body["events"]
        if not batch:
            if body.get("next") != after:
                raise AssertionError(f"empty page must answer next == after ({after}): {body!r}")
            return events
        if body.get("next") != batch[-1]["seq"]:
            raise AssertionError(f"next must be the seq of the last event returned: {body!r}")
        events.extend(batch)
        after = body["next"]


def list_all(collection, token=_ADMIN, server=None):
    """(every item of GET /{collection} the token may see, the total the server reports)."""
    server = server or SERVER
    items, offset = [], 0
    while True:
        body = must(server.req("GET", f"/{collection}?limit=100&offset={offset}", token=token),
                    200, f"list {collection}")
        page = body["items"]
        items.extend(page)
        offset += len(page)
        if not page or offset >= body["total"]:
            return items, body["total"]


def ids(objects):
    return [o["id"] for o in objects]


def affected_map(impact):
    """{id: (type, depth)} of an impact answer, checking each node is listed once."""
    out = {}
    for entry in impact["affected"]:
        if entry["id"] in out:
            raise AssertionError(f"{entry['id']} listed twice in impact: {impact!r}")
        out[entry["id"]] = (entry["type"], entry["depth"])
    return out


def mentions(items, text, key):
    """True if a list holds `text` itself or an object whose `key` is `text`."""
    return any(i == text or (isinstance(i, dict) and i.get(key) == text) for i in items)


class ApiTestCase(unittest.TestCase):
    maxDiff = None

    def assertStatus(self, resp, status):
        """Asserts the HTTP status of a (status, body, headers) answer; returns the body."""
        got, body, _ = resp
        self.assertEqual(got, status, f"expected HTTP {status}, got {got}: {body!r}")
        return body

    def assertError(self, resp, status, code=None, field=None):
        """Asserts an error answer {"error": {"code", "message", "field"?}}; returns the error."""
        got, body, _ = resp
        self.assertEqual(got, status, f"expected HTTP {status}, got {got}: {body!r}")
        self.assertIsInstance(body, dict, f"error answer must be a JSON object: {body!r}")
        err = body.get("error")
        self.assertIsInstance(err, dict, f"error answer must have an 'error' object: {body!r}")
        self.assertIsInstance(err.get("message"), str, f"error must have a message: {body!r}")
        self.assertTrue(err["message"].strip(), f"error message must not be empty: {body!r}")
        if code is not None:
            self.assertEqual(err.get("code"), code, f"wrong error code: {body!r}")
        if field is not None:
            self.assertEqual(err.get("field"), field, f"wrong error field: {body!r}")
        return err

    def assertAlive(self, server=None):
        server = server or SERVER
        status, _, _ = server.request_raw("GET", "/healthz", token=None)
        self.assertEqual(status, 200, "server must still be healthy")

    def last_seq(self):
        events = all_events()
        return events[-1]["seq"] if events else 0


# --------------------------------------------------------------------------------------------
# 1. Health, metrics, OpenAPI, web UI
# --------------------------------------------------------------------------------------------

class TestHealthMetricsOpenApi(ApiTestCase):

    def test_healthz_needs_no_token(self):
        """GET /healthz at the server root answers 200 without a token."""
        status, _, _ = SERVER.request_raw("GET", "/healthz", token=None)
        self.assertEqual(status, 200)

    def test_metrics_are_prometheus_text(self):
        """GET /metrics answers the admin 200, Prometheus text, with at least one cocreate_
        sample."""
        status, data, headers = SERVER.request_raw("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers.get("Content-Type", "").startswith("text/plain"),
                        headers.get("Content-Type"))
        lines = data.decode("utf-8").splitlines()
        self.assertTrue(any(line.startswith("cocreate_") for line in lines),
                        f"no line starts with cocreate_:\n{data[:2000]!r}")

    def _openapi(self, token=None):
        body = self.assertStatus(req("GET", "/openapi.json", token=token), 200)
        self.assertIsInstance(body, dict)
        return body

    def test_openapi_without_token(self):
        """GET /api/v1/openapi.json needs no token and is an OpenAPI 3 document on /api/v1."""
        doc = self._openapi()
        self.assertTrue(str(doc.get("openapi", "")).startswith("3."), doc.get("openapi"))
        self.assertIn("/api/v1", [s.get("url") for s in doc.get("servers", [])])
        self.assertIsInstance(doc.get("paths"), dict)
        # With a token it answers the same way.
        self.assertStatus(req("GET", "/openapi.json"), 200)

    def test_openapi_lists_every_route(self):
        """Every route of the contract table is in `paths` (relative to /api/v1) with its methods."""
        paths = self._openapi()["paths"]
        for route, methods in CORE_ROUTES.items():
            with self.subTest(route=route):
                self.assertIn(route, paths)
                self.assertTrue(methods <= {m.lower() for m in paths[route]},
                                f"{route} must document {sorted(methods)}: {sorted(paths[route])}")

    def test_openapi_lists_graph_routes(self):
        """The graph-engine routes (/chains, /cycles, /analysis/concentration) are documented."""
        paths = self._openapi()["paths"]
        for route, methods in GRAPH_ROUTES.items():
            with self.subTest(route=route):
                self.assertIn(route, paths)
                self.assertTrue(methods <= {m.lower() for m in paths[route]})

    def test_web_ui_at_root(self):
        """The web UI is served at / (HTML)."""
        status, _, headers = SERVER.request_raw("GET", "/", token=None)
        self.assertEqual(status, 200)
        self.assertIn("html", headers.get("Content-Type", ""))

    def test_web_ui_assets_are_embedded(self):
        """When the build embedded the UI, / loads scripts from /assets/ that the server serves."""
        status, data, _ = SERVER.request_raw("GET", "/", token=None)
        self.assertEqual(status, 200)
        scripts = re.findall(r'src="(/assets/[^"]+\.js)"', data.decode("utf-8"))
        if not scripts:
            if os.environ.get("COCREATE_EXPECT_WEB") == "1":
                self.fail(f"the build should have embedded the web UI; / is:\n{data[:500]!r}")
            self.skipTest("this build has no web UI (npm missing or COCREATE_WEB=OFF)")
        status, js, headers = SERVER.request_raw("GET", scripts[0], token=None)
        self.assertEqual(status, 200)
        self.assertIn("javascript", headers.get("Content-Type", ""))
        self.assertGreater(len(js), 1000)
        self.assertEqual(SERVER.request_raw("GET", "/assets/nope.js", token=None)[0], 404)

    def test_me(self):
        """GET /me names the token's organization and role."""
        body = self.assertStatus(req("GET", "/me"), 200)
        self.assertEqual(body, {"organization": None, "role": "admin", "person": None})


# --------------------------------------------------------------------------------------------
# 2. The seed chain Org1 -> Org2 -> Org3
# --------------------------------------------------------------------------------------------

class TestSeedChain(ApiTestCase):
    """The happy path of contract section 1, built once (see build_chain) and then examined."""

    @classmethod
    def setUpClass(cls):
        cls.c = build_chain("chain")

    def test_request_then_activate(self):
        """The consumer's request answers 201 `requested`; the provider's activation 200 `active`."""
        c = self.c
        rel = self.assertStatus(c.rel1_request, 201)
        self.assertEqual(rel["status"], "requested")
        self.assertEqual((rel["offering"], rel["consumer"], rel["provider"], rel["type"]),
                         (c.of1, c.o2, c.o1, "cooperative"))
        active = self.assertStatus(c.rel1_activate, 200)
        self.assertEqual((active["id"], active["status"]), (c.rel1, "active"))

    def test_access_only_while_active(self):
        """The resource a visible offering gives access to is in its catalog entry, so the
        consumer sees it all along (§9.28); using it is another matter (test_access_follows_status)."""
        self.assertEqual(self.c.r1_before_request, 200)
        self.assertEqual(self.c.r1_while_requested, 200)
        self.assertEqual(self.c.r1_while_active, 200)

    def test_every_noun_is_readable(self):
        """GET /{collection}/{id} answers each object with its id (admin)."""
        c = self.c
        for collection, oid in [("organizations", c.o1), ("consumer-groups", c.group),
                                ("resources", c.r1), ("services", c.s1), ("offerings", c.of1),
                                ("relationships", c.rel1), ("provisions", c.p1)]:
            with self.subTest(collection=collection):
                body = self.assertStatus(req("GET", f"/{collection}/{oid}"), 200)
                self.assertEqual(body["id"], oid)
        prov = self.assertStatus(req("GET", f"/provisions/{c.p1}", token=c.t2), 200)
        self.assertEqual((prov["relationship"], prov["action"]), (c.rel1, "create-vm"))

    def test_create_provision(self):
        """A create provision makes a resource owned by the consumer, version 1, with its origin."""
        c = self.c
        p1 = self.assertStatus(c.p1_resp, 201)
        self.assertEqual((p1["relationship"], p1["action"]), (c.rel1, "create-vm"))
        self.assertEqual(p1["created"], [c.p1_body["creates"][0]["id"]])
        self.assertEqual(p1["modified"], [])
        self.assertEqual(p1["transferred"], [])
        res = c.c1_after_create
        self.assertEqual(res["id"], c.c1)
        self.assertEqual(res["owner"], c.o2)
        self.assertEqual(res["version"], 1)
        self.assertEqual(res["origin"], {"provision": c.p1})
        self.assertEqual((res["kind"], res["name"]), ("vm", "VM for Org2"))
        self.assertEqual(res["attributes"], c.c1_attributes)
        # The provider sees what its provision created.
        self.assertStatus(req("GET", f"/resources/{c.c1}", token=c.t1), 200)

    def test_modify_provision_merge_patch_and_versions(self):
        """A modify provision applies an RFC 7396 merge patch and makes version 2; /versions
        lists both versions, oldest first."""
        c = self.c
        p2 = self.assertStatus(c.p2_resp, 201)
        self.assertEqual(p2["modified"], [{"resource": c.c1, "version": 2}])
        self.assertEqual((p2["created"], p2["transferred"]), ([], []))
        merged = {"b": {"x": 1, "c": 2}}
        res = self.assertStatus(req("GET", f"/resources/{c.c1}", token=c.t2), 200)
        self.assertEqual(res["version"], 2)
        self.assertEqual(res["attributes"], merged)
        self.assertEqual(res["owner"], c.o2)
        self.assertEqual(res["origin"], {"provision": c.p1})
        versions = self.assertStatus(req("GET", f"/resources/{c.c1}/versions", token=c.t2), 200)
        self.assertEqual(versions["total"], 2)
        self.assertEqual([v["version"] for v in versions["items"]], [1, 2])
        self.assertEqual(versions["items"][0]["attributes"], c.c1_attributes)
        self.assertEqual(versions["items"][1]["attributes"], merged)

    def test_transfer_provision(self):
        """A transfer provision moves a provider resource of a goods kind to the consumer,
        as a new version; the old owner stays readable in /versions."""
        c = self.c
        p3 = self.assertStatus(c.p3_resp, 201)
        self.assertEqual(p3["transferred"], [c.vm])
        self.assertEqual((p3["created"], p3["modified"]), ([], []))
        res = self.assertStatus(req("GET", f"/resources/{c.vm}", token=c.t2), 200)
        self.assertEqual(res["owner"], c.o2)
        self.assertEqual(res["version"], 2)
        versions = self.assertStatus(req("GET", f"/resources/{c.vm}/versions"), 200)
        self.assertEqual([v["owner"] for v in versions["items"]], [c.o1, c.o2])

    def test_provision_retry_is_safe(self):
        """Re-sending a provision with the same id and body answers 200 and changes nothing."""
        c = self.c
        again = self.assertStatus(req("POST", "/provisions", c.p1_body, token=c.t1), 200)
        self.assertEqual(again["id"], c.p1)
        self.assertEqual(again["created"], [c.c1])
        res = self.assertStatus(req("GET", f"/resources/{c.c1}"), 200)
        self.assertEqual(res["version"], 2)
        created = [e for e in all_events() if e["type"] == "resource.created"
                   and e["subject"] == c.c1]
        self.assertEqual(len(created), 1)

    def test_roles_record_the_transition(self):
        """Org2 consumed first, then provided: consumer_since <= provider_since and one
        consumer -> provider transition whose evidence names service, resource, provision,
        relationship and provider."""
        c = self.c
        for token in (c.t2, _ADMIN):
            roles = self.assertStatus(req("GET", f"/organizations/{c.o2}/roles", token=token), 200)
            self.assertEqual(roles["organization"], c.o2)
            consumer_since = parse_utc(roles["consumer_since"])
            provider_since = parse_utc(roles["provider_since"])
            self.assertLessEqual(consumer_since, provider_since)
            self.assertEqual(len(roles["transitions"]), 1, roles)
            t = roles["transitions"][0]
            self.assertEqual((t["from"], t["to"]), ("consumer", "provider"))
            parse_utc(t["at"])
            self.assertTrue(any(
                e.get("service") == c.s2 and e.get("resource") == c.c1
                and e.get("provision") in (c.p1, c.p2) and e.get("relationship") == c.rel1
                and e.get("provider") == c.o1 for e in t["evidence"]),
                f"evidence lacks {{service {c.s2}, resource {c.c1}, provision {c.p1}, "
                f"relationship {c.rel1}, provider {c.o1}}}: {t['evidence']!r}")

    def test_roles_of_pure_provider_and_pure_consumer(self):
        """Org1 only provided and Org3 only consumed: no transition for either."""
        c = self.c
        o1 = self.assertStatus(req("GET", f"/organizations/{c.o1}/roles"), 200)
        parse_utc(o1["provider_since"])
        self.assertIsNone(o1["consumer_since"])
        self.assertEqual(o1["transitions"], [])
        o3 = self.assertStatus(req("GET", f"/organizations/{c.o3}/roles"), 200)
        parse_utc(o3["consumer_since"])
        self.assertIsNone(o3["provider_since"])
        self.assertEqual(o3["transitions"], [])

    def test_events_record_the_chain(self):
        """The admin's event log holds each step, with the right subjects and order."""
        c = self.c
        events = all_events()

        def find(etype, subject):
            return [e for e in events if e["type"] == etype and e["subject"] == subject]

        for etype, subject in [("organization.created", c.o1), ("token.issued", c.o1),
                               ("resource.created", c.r1), ("service.created", c.s1),
                               ("offering.created", c.of1), ("consumer_group.created", c.group),
                               ("relationship.requested", c.rel1),
                               ("relationship.activated", c.rel1), ("access.granted", c.rel1),
                               ("provision.performed", c.p1), ("resource.created", c.c1),
                               ("resource.modified", c.c1), ("resource.transferred", c.vm),
                               ("relationship.activated", c.rel2)]:
            with self.subTest(type=etype, subject=subject):
                self.assertTrue(find(etype, subject), f"no {etype} event about {subject}")
        self.assertEqual(len(find("role.transitioned", c.o2)), 1)
        self.assertEqual(find("role.transitioned", c.o1), [])
        grant = find("access.granted", c.rel1)[0]
        self.assertIn(c.r1, json.dumps(grant["data"]), "access.granted data lists the resources")
        self.assertLess(find("relationship.requested", c.rel1)[0]["seq"],
                        find("relationship.activated", c.rel1)[0]["seq"])
        self.assertLess(find("provision.performed", c.p1)[0]["seq"],
                        find("resource.created", c.c1)[0]["seq"],
                        "a provision's resource events follow provision.performed")
        for token in (c.t1, c.t2, c.t3):
            self.assertNotIn(token, json.dumps(events), "token secrets never appear in events")

    def test_impact_downstream(self):
        """Impact from Org1's resource walks the whole chain to Org3, each node once at its
        smallest depth, the start not listed, counts per type, nothing redacted for the admin."""
        c = self.c
        body = self.assertStatus(req("GET", f"/impact?from={q(c.r1)}"), 200)
        self.assertEqual(body["from"], c.r1)
        expected = {
            c.s1: ("service", 1), c.of1: ("offering", 1), c.rel1: ("relationship", 2),
            c.o2: ("organization", 3), c.c1: ("resource", 3), c.vm: ("resource", 3),
            c.s2: ("service", 4), c.of2: ("offering", 5), c.rel2: ("relationship", 6),
            c.o3: ("organization", 7),
        }
        self.assertEqual(affected_map(body), expected)
        counts = {k: v for k, v in body["counts"].items() if v}
        self.assertEqual(counts, {"service": 2, "offering": 2, "relationship": 2,
                                  "organization": 2, "resource": 2})
        self.assertEqual(body["redacted"], 0)

    def test_impact_depth_limit(self):
        """?depth=N lists only nodes at most N edges away."""
        c = self.c
        body = self.assertStatus(req("GET", f"/impact?from={q(c.r1)}&depth=2"), 200)
        self.assertEqual(affected_map(body), {c.s1: ("service", 1), c.of1: ("offering", 1),
                                              c.rel1: ("relationship", 2)})

    def test_impact_from_provision_and_organization(self):
        """From a provision the walk starts at the resources it touched; from an organization,
        at its resources and services. Provisions are never listed."""
        c = self.c
        body = self.assertStatus(req("GET", f"/impact?from={q(c.p1)}"), 200)
        found = affected_map(body)
        self.assertIn(c.c1, found)
        self.assertIn(c.o3, found)
        self.assertNotIn(c.p1, found)
        body = self.assertStatus(req("GET", f"/impact?from={q(c.o1)}"), 200)
        found = affected_map(body)
        self.assertNotIn(c.o1, found)
        for node in (c.rel1, c.o2, c.s2, c.rel2, c.o3):
            self.assertIn(node, found)
        self.assertFalse({c.p1, c.p2, c.p3} & set(found), "provisions are not listed")

    def test_impact_bad_starts(self):
        """A consumer group is no start (422 invalid_start); an unknown id is 404."""
        self.assertError(req("GET", f"/impact?from={q(self.c.group)}"), 422, "invalid_start")
        self.assertError(req("GET", f"/impact?from={q(uid('nothing'))}"), 404, "not_found")

    def test_lineage(self):
        """Lineage of the resource created for Org2 reaches back to Org1."""
        c = self.c
        body = self.assertStatus(req("GET", f"/resources/{c.c1}/lineage"), 200)
        self.assertEqual(body["resource"], c.c1)
        self.assertEqual(set(ids(body["provisions"])), {c.p1, c.p2})
        self.assertEqual(set(ids(body["relationships"])), {c.rel1})
        self.assertEqual(set(ids(body["offerings"])), {c.of1})
        self.assertEqual(set(ids(body["services"])), {c.s1})
        self.assertEqual(set(ids(body["resources"])), {c.r1})
        self.assertIn(c.o1, ids(body["organizations"]))
        self.assertNotIn(c.o3, ids(body["organizations"]))
        self.assertEqual(body["redacted"], 0)

    def test_lineage_as_prov_json(self):
        """?format=prov answers a W3C PROV-JSON document (entity and activity maps)."""
        c = self.c
        body = self.assertStatus(req("GET", f"/resources/{c.c1}/lineage?format=prov"), 200)
        self.assertIsInstance(body, dict)
        self.assertIsInstance(body.get("entity"), dict)
        self.assertIsInstance(body.get("activity"), dict)
        text = json.dumps(body)
        self.assertIn(c.c1, text)
        self.assertIn(c.p1, text)


# --------------------------------------------------------------------------------------------
# 3. Relationship lifecycle
# --------------------------------------------------------------------------------------------

class TestRelationshipLifecycle(ApiTestCase):

    def setUp(self):
        self.w = build_pair("life")

    def go(self, rel, verb, token, status):
        body = self.assertStatus(lifecycle(rel, verb, token), 200)
        self.assertEqual((body["id"], body["status"]), (rel, status), f"after {verb}")

    def status_of(self, rel):
        return self.assertStatus(req("GET", f"/relationships/{rel}"), 200)["status"]

    def test_activate_suspend_resume_terminate(self):
        """requested -> active -> suspended -> active -> terminated (terminate by the consumer)."""
        w = self.w
        rel = request_rel(w, "partnership")
        self.assertEqual((rel["status"], rel["type"], rel["provider"]),
                         ("requested", "partnership", w.prov))
        self.go(rel["id"], "activate", w.tp, "active")
        self.go(rel["id"], "suspend", w.tp, "suspended")
        self.go(rel["id"], "resume", w.tp, "active")
        self.go(rel["id"], "terminate", w.tc, "terminated")

    def test_terminate_active_by_provider(self):
        """Either party may terminate an active relationship."""
        rel = active_rel(self.w)
        self.go(rel, "terminate", self.w.tp, "terminated")

    def test_reject_from_requested(self):
        """The provider rejects a request; a rejected relationship moves no further (409)."""
        w = self.w
        rel = request_rel(w)["id"]
        self.go(rel, "reject", w.tp, "rejected")
        for verb in ("activate", "suspend", "resume", "terminate", "reject"):
            with self.subTest(verb=verb):
                self.assertError(lifecycle(rel, verb, w.tp), 409, "invalid_transition")
        self.assertEqual(self.status_of(rel), "rejected")

    def test_withdraw_from_requested(self):
        """Terminate from requested withdraws the request (by the consumer, or the provider)."""
        w = self.w
        rel = request_rel(w)["id"]
        self.go(rel, "terminate", w.tc, "terminated")
        self.assertError(lifecycle(rel, "activate", w.tp), 409, "invalid_transition")
        other = request_rel(w)["id"]
        self.go(other, "terminate", w.tp, "terminated")

    def test_terminate_from_suspended(self):
        """A suspended relationship can be terminated; a terminated one is final."""
        w = self.w
        rel = active_rel(w)
        self.go(rel, "suspend", w.tp, "suspended")
        self.go(rel, "terminate", w.tp, "terminated")
        for verb in ("activate", "suspend", "resume", "reject", "terminate"):
            with self.subTest(verb=verb):
                self.assertError(lifecycle(rel, verb, w.tp), 409, "invalid_transition")
        self.assertEqual(self.status_of(rel), "terminated")

    def test_forbidden_transitions(self):
        """Moves not in the diagram answer 409 invalid_transition and change nothing."""
        w = self.w
        rel = request_rel(w)["id"]
        for verb in ("suspend", "resume"):
            self.assertError(lifecycle(rel, verb, w.tp), 409, "invalid_transition")
        self.assertEqual(self.status_of(rel), "requested")
        self.go(rel, "activate", w.tp, "active")
        for verb in ("activate", "reject", "resume"):
            self.assertError(lifecycle(rel, verb, w.tp), 409, "invalid_transition")
        self.assertEqual(self.status_of(rel), "active")
        self.go(rel, "suspend", w.tp, "suspended")
        for verb in ("suspend", "activate", "reject"):
            self.assertError(lifecycle(rel, verb, w.tp), 409, "invalid_transition")
        self.assertEqual(self.status_of(rel), "suspended")

    def test_consumer_may_not_do_the_providers_moves(self):
        """The consumer activating, rejecting, suspending or resuming gets 403."""
        w = self.w
        rel = request_rel(w)["id"]
        self.assertError(lifecycle(rel, "activate", w.tc), 403, "forbidden")
        self.assertError(lifecycle(rel, "reject", w.tc), 403, "forbidden")
        self.assertEqual(self.status_of(rel), "requested")
        self.go(rel, "activate", w.tp, "active")
        self.assertError(lifecycle(rel, "suspend", w.tc), 403, "forbidden")
        self.go(rel, "suspend", w.tp, "suspended")
        self.assertError(lifecycle(rel, "resume", w.tc), 403, "forbidden")
        self.assertEqual(self.status_of(rel), "suspended")

    def test_outsider_gets_404(self):
        """An organization that is no party cannot see the relationship: 404."""
        w = self.w
        rel = request_rel(w)["id"]
        self.assertError(req("GET", f"/relationships/{rel}", token=w.to), 404, "not_found")
        self.assertError(lifecycle(rel, "activate", w.to), 404, "not_found")

    def test_lifecycle_accepts_an_empty_body(self):
        """Lifecycle POSTs take an empty body as well as {}."""
        w = self.w
        rel = request_rel(w)["id"]
        body = self.assertStatus(req("POST", f"/relationships/{rel}/activate", raw=b"",
                                     token=w.tp), 200)
        self.assertEqual(body["status"], "active")

    def test_access_follows_status(self):
        """The consumer can use the offering's resources exactly while active: granted on
        activate and resume, revoked on suspend and terminate (with events)."""
        w = self.w

        def consumer_may_use():
            # Visible all along as part of the offering (§9.28); usable only while active.
            self.assertStatus(req("GET", f"/resources/{w.res}", token=w.tc), 200)
            status, body, _ = req("POST", "/services", {"id": uid("life-use"), "provider": w.cons,
                                                        "name": "on access",
                                                        "built_on": [w.res]}, token=w.tc)
            if status != 201:
                self.assertError((status, body, None), 422, "resource_not_usable")
            return status == 201

        rel = request_rel(w)["id"]
        self.assertFalse(consumer_may_use())
        self.go(rel, "activate", w.tp, "active")
        self.assertTrue(consumer_may_use())
        self.go(rel, "suspend", w.tp, "suspended")
        self.assertFalse(consumer_may_use())
        self.go(rel, "resume", w.tp, "active")
        self.assertTrue(consumer_may_use())
        self.go(rel, "terminate", w.tc, "terminated")
        self.assertFalse(consumer_may_use())
        access = [e for e in all_events() if e["subject"] == rel
                  and e["type"] in ("access.granted", "access.revoked")]
        self.assertEqual([e["type"] for e in access],
                         ["access.granted", "access.revoked", "access.granted", "access.revoked"])
        for e in access:
            self.assertIn(w.res, json.dumps(e["data"]))
        moves = [e["type"] for e in all_events() if e["subject"] == rel
                 and e["type"].startswith("relationship.")]
        self.assertEqual(moves, ["relationship.requested", "relationship.activated",
                                 "relationship.suspended", "relationship.resumed",
                                 "relationship.terminated"])

    def test_consumer_must_be_in_the_audience(self):
        """An offering for a consumer group: members 201; an outsider, who cannot see it, gets
        422 unknown_reference (§3); the admin, who sees it, is told not_in_audience."""
        w = self.w
        group = create("consumer-groups", {"id": uid("life-group"), "name": "chosen",
                                           "members": [w.other]})["id"]
        offering = create("offerings", offering_body("life", w.prov, w.svc,
                                                     {"consumer_groups": [group]}), w.tp)["id"]
        self.assertError(req("POST", "/relationships", {"offering": offering, "consumer": w.cons,
                                                        "type": "basic"}, token=w.tc),
                         422, "unknown_reference", "offering")
        self.assertError(req("POST", "/relationships", {"offering": offering, "consumer": w.cons,
                                                        "type": "basic"}),
                         422, "not_in_audience", "consumer")
        rel = self.assertStatus(req("POST", "/relationships", {
            "offering": offering, "consumer": w.other, "type": "basic"}, token=w.to), 201)
        self.assertEqual(rel["status"], "requested")

    def test_request_in_anothers_name_is_403(self):
        """A member may only request relationships for its own organization."""
        w = self.w
        self.assertError(req("POST", "/relationships", {"offering": w.offering, "consumer": w.other,
                                                        "type": "basic"}, token=w.tc),
                         403, "forbidden")

    def test_request_validation(self):
        """A bad type is 400 invalid_field (field "type"); an unknown offering 422."""
        w = self.w
        self.assertError(req("POST", "/relationships", {"offering": w.offering, "consumer": w.cons,
                                                        "type": "friendship"}, token=w.tc),
                         400, "invalid_field", "type")
        self.assertError(req("POST", "/relationships", {"offering": uid("nothing"),
                                                        "consumer": w.cons, "type": "basic"},
                             token=w.tc), 422, "unknown_reference")


# --------------------------------------------------------------------------------------------
# 4. Provisions and value
# --------------------------------------------------------------------------------------------

class TestProvisions(ApiTestCase):

    def setUp(self):
        self.w = build_pair("prov")
        self.rel = active_rel(self.w)

    def provision(self, action, token=None, **lists):
        body = {"relationship": self.rel, "action": action, **lists}
        return req("POST", "/provisions", body, token=token or self.w.tp)

    def provider_resource(self, kind="vm"):
        return create("resources", {"id": uid("prov-r"), "owner": self.w.prov, "kind": kind,
                                    "name": f"a {kind}"}, self.w.tp)["id"]

    def test_provision_needs_an_active_relationship(self):
        """Requested or suspended relationships take no provision: 409 relationship_not_active."""
        w = self.w
        must(lifecycle(self.rel, "suspend", w.tp), 200, "suspend")
        self.assertError(self.provision("advise"), 409, "relationship_not_active")
        # One live relationship per consumer and offering: end this one first.
        must(lifecycle(self.rel, "terminate", w.tp), 200, "terminate")
        requested = request_rel(w)["id"]
        self.assertError(req("POST", "/provisions", {"relationship": requested, "action": "advise"},
                             token=w.tp), 409, "relationship_not_active")

    def test_only_the_provider_performs(self):
        """The consumer gets 403; an outsider, who cannot see the relationship, 422."""
        self.assertError(self.provision("advise", token=self.w.tc), 403, "forbidden")
        self.assertError(self.provision("advise", token=self.w.to), 422, "unknown_reference")

    def test_action_must_be_offered(self):
        self.assertError(self.provision("teleport"), 422, "action_not_offered")

    def test_effect_limits_what_a_provision_does(self):
        """Each effect allows only its own list: anything else is 422 effect_not_allowed."""
        w = self.w
        mine = create("resources", {"id": uid("prov-cr"), "owner": w.cons, "kind": "data",
                                    "name": "customer db"}, w.tc)["id"]
        spare = self.provider_resource()
        new = [{"kind": "vm", "name": "new vm"}]
        patch = [{"resource": mine, "attributes": {"k": 1}}]
        for action, lists in [("tune", {"creates": new}), ("create-vm", {"modifies": patch}),
                              ("advise", {"transfers": [spare]}), ("advise", {"creates": new}),
                              ("hand-over", {"modifies": patch})]:
            with self.subTest(action=action, lists=sorted(lists)):
                self.assertError(self.provision(action, **lists), 422, "effect_not_allowed")

    def test_modify_only_consumer_resources(self):
        """Modify touches resources of the relationship's consumer only (422 not_consumer_owned)."""
        self.assertError(self.provision("tune", modifies=[{"resource": self.provider_resource(),
                                                           "attributes": {"x": 1}}]),
                         422, "not_consumer_owned")

    def test_transfer_rules(self):
        """Only a free provider resource of a goods kind is transferable; one an offering gives
        access to, one a service is built on, or one of another kind is 422, and stays put."""
        w = self.w
        accessed = self.provider_resource()
        create("offerings", offering_body("prov", w.prov, w.svc, access=[accessed]), w.tp)
        built_on = self.provider_resource()
        create("services", {"id": uid("prov-svc"), "provider": w.prov, "name": "extra",
                            "built_on": [built_on], "depends_on": []}, w.tp)
        wrong_kind = self.provider_resource("database")
        self.assertError(self.provision("hand-over", transfers=[w.res]), 422, "not_transferable")
        self.assertError(self.provision("hand-over", transfers=[accessed]), 422, "not_transferable")
        self.assertError(self.provision("hand-over", transfers=[built_on]), 422, "not_transferable")
        self.assertError(self.provision("hand-over", transfers=[wrong_kind]), 422)
        for rid in (w.res, accessed, built_on, wrong_kind):
            res = self.assertStatus(req("GET", f"/resources/{rid}", token=w.tp), 200)
            self.assertEqual((res["owner"], res["version"]), (w.prov, 1))
        free = self.provider_resource()
        done = self.assertStatus(self.provision("hand-over", transfers=[free]), 201)
        self.assertEqual(done["transferred"], [free])
        res = self.assertStatus(req("GET", f"/resources/{free}", token=w.tc), 200)
        self.assertEqual((res["owner"], res["version"]), (w.cons, 2))

    def test_modified_resource_becomes_visible_but_not_usable(self):
        """Naming a consumer resource in `modifies` makes it visible to the provider, but the
        provider cannot `use` it or build on it (422 resource_not_usable)."""
        w = self.w
        mine = create("resources", {"id": uid("prov-cr"), "owner": w.cons, "kind": "data",
                                    "name": "customer db", "attributes": {"size": 1}}, w.tc)["id"]
        self.assertError(req("GET", f"/resources/{mine}", token=w.tp), 404, "not_found")
        done = self.assertStatus(self.provision("tune", modifies=[{"resource": mine,
                                                                   "attributes": {"size": 2}}]),
                                 201)
        self.assertEqual(done["modified"], [{"resource": mine, "version": 2}])
        self.assertStatus(req("GET", f"/resources/{mine}", token=w.tp), 200)
        self.assertError(self.provision("advise", used=[mine]), 422, "resource_not_usable")
        self.assertError(req("POST", "/services", {"provider": w.prov, "name": "on theirs",
                                                   "built_on": [mine]}, token=w.tp),
                         422, "resource_not_usable")

    def test_used_resources(self):
        """`used` may name provider-owned resources; unknown ones are 422 unknown_reference."""
        done = self.assertStatus(self.provision("advise", used=[self.w.res]), 201)
        self.assertEqual((done["created"], done["modified"], done["transferred"]), ([], [], []))
        self.assertError(self.provision("advise", used=[uid("nothing")]), 422, "unknown_reference")

    def test_a_failed_provision_changes_nothing(self):
        """A provision that breaks a rule leaves no resource behind and no event."""
        before = self.last_seq()
        new_id = uid("prov-never")
        self.assertError(self.provision("create-vm", creates=[{"id": new_id, "kind": "vm",
                                                              "name": "never"}],
                                        used=[uid("nothing")]), 422, "unknown_reference")
        self.assertError(req("GET", f"/resources/{new_id}"), 404, "not_found")
        self.assertEqual(self.last_seq(), before)

    def test_created_resources_without_client_ids(self):
        """Creates without ids get server ids; all lists left out are empty."""
        w = self.w
        done = self.assertStatus(self.provision(
            "create-vm", creates=[{"kind": "vm", "name": "one"}, {"kind": "vm", "name": "two"}]), 201)
        self.assertEqual(len(done["created"]), 2)
        self.assertEqual(len(set(done["created"])), 2)
        for rid in done["created"]:
            res = self.assertStatus(req("GET", f"/resources/{rid}", token=w.tc), 200)
            self.assertEqual((res["owner"], res["origin"]), (w.cons, {"provision": done["id"]}))
            self.assertEqual(res["attributes"], {})


class TestValue(ApiTestCase):
    V1 = {"outcomes": ["x"], "costs": [{"amount": 10, "currency": "EUR", "kind": "introduced"}],
          "risks": [{"description": "d", "kind": "removed"}]}
    V2 = {"outcomes": ["y"], "costs": [{"amount": 5, "currency": "EUR", "kind": "introduced"},
                                       {"amount": 2.5, "currency": "USD", "kind": "removed"}],
          "risks": [{"description": "r2", "kind": "introduced"}]}

    def setUp(self):
        self.w = build_pair("value")
        self.rel = active_rel(self.w)

    def perform(self, value):
        return req("POST", "/provisions", {"relationship": self.rel, "action": "advise",
                                           "value": value}, token=self.w.tp)

    def value_of(self, org, token):
        body = self.assertStatus(req("GET", f"/organizations/{org}/value", token=token), 200)
        self.assertEqual(body["organization"], org)
        return body

    def test_value_rolls_up(self):
        """Value rolls up as received for the consumer and provided for the provider."""
        w = self.w
        self.assertStatus(self.perform(self.V1), 201)
        for org, token, side, other in [(w.cons, w.tc, "received", "provided"),
                                        (w.prov, w.tp, "provided", "received")]:
            body = self.value_of(org, token)
            v = body[side]
            self.assertEqual(v["provisions"], 1)
            self.assertTrue(mentions(v["outcomes"], "x", "text"), v)
            self.assertAlmostEqual(v["costs"]["introduced"]["EUR"], 10)
            self.assertTrue(mentions(v["risks"]["removed"], "d", "description"), v)
            self.assertEqual(v["risks"]["introduced"], [])
            self.assertEqual(body[other]["provisions"], 0)

        self.assertStatus(self.perform(self.V2), 201)
        for org, token, side in [(w.cons, w.tc, "received"), (w.prov, _ADMIN, "provided")]:
            v = self.value_of(org, token)[side]
            self.assertEqual(v["provisions"], 2)
            self.assertTrue(mentions(v["outcomes"], "y", "text"), v)
            self.assertAlmostEqual(v["costs"]["introduced"]["EUR"], 15)
            self.assertAlmostEqual(v["costs"]["removed"]["USD"], 2.5)
            self.assertTrue(mentions(v["risks"]["introduced"], "r2", "description"), v)

    def test_value_is_private(self):
        """Only the organization itself and the admin read its value (others: 403 or 404)."""
        w = self.w
        self.assertStatus(self.perform(self.V1), 201)
        for token in (w.to, w.tp):
            status = req("GET", f"/organizations/{w.cons}/value", token=token)[0]
            self.assertIn(status, (403, 404))
        self.value_of(w.cons, _ADMIN)

    def test_bad_value_is_400(self):
        """A cost kind other than introduced/removed is 400 invalid_field."""
        bad = {"costs": [{"amount": 1, "currency": "EUR", "kind": "sideways"}]}
        self.assertError(self.perform(bad), 400, "invalid_field")


# --------------------------------------------------------------------------------------------
# Services and offerings rules
# --------------------------------------------------------------------------------------------

class TestCatalogRules(ApiTestCase):

    def setUp(self):
        self.w = build_pair("cat")

    def test_lists_left_out_are_empty(self):
        """In every create, a list left out is empty."""
        w = self.w
        svc = self.assertStatus(req("POST", "/services", {"provider": w.prov, "name": "bare"},
                                    token=w.tp), 201)
        self.assertEqual((svc["built_on"], svc["depends_on"]), ([], []))
        off = self.assertStatus(req("POST", "/offerings", {
            "provider": w.prov, "service": svc["id"], "name": "bare offering",
            "audience": "public"}, token=w.tp), 201)
        for key in ("goods", "access", "actions", "service_levels"):
            self.assertEqual(off[key], [], key)

    def test_consumer_builds_on_what_it_consumes(self):
        """Through an active relationship the consumer may build on the accessed resource and
        depend on the provider's service; without one it may not (422)."""
        w = self.w
        body = {"provider": w.cons, "name": "derived", "built_on": [w.res], "depends_on": [w.svc]}
        self.assertError(req("POST", "/services", body, token=w.tc), 422)
        active_rel(w)
        svc = self.assertStatus(req("POST", "/services", body, token=w.tc), 201)
        self.assertEqual((svc["built_on"], svc["depends_on"]), ([w.res], [w.svc]))
        # The outsider sees w.svc through the public offering but does not consume it.
        self.assertError(req("POST", "/services", {"provider": w.other, "name": "x",
                                                   "depends_on": [w.svc]}, token=w.to), 422)

    def test_offering_must_be_the_providers(self):
        """An offering of another provider's service is 422 not_provider; access to a resource
        the provider does not own is 422."""
        w = self.w
        theirs = create("services", {"id": uid("cat-svc"), "provider": w.other,
                                     "name": "theirs"}, w.to)["id"]
        self.assertError(req("POST", "/offerings", offering_body("cat", w.prov, theirs)),
                         422, "not_provider")
        foreign = create("resources", {"id": uid("cat-r"), "owner": w.other, "kind": "vm",
                                       "name": "foreign"}, w.to)["id"]
        self.assertError(req("POST", "/offerings",
                             offering_body("cat", w.prov, w.svc, access=[foreign])), 422)

    def test_offering_validation(self):
        """A bad audience or action effect is 400 invalid_field."""
        w = self.w
        self.assertError(req("POST", "/offerings", offering_body("cat", w.prov, w.svc, "everyone"),
                             token=w.tp), 400, "invalid_field", "audience")
        bad = offering_body("cat", w.prov, w.svc, actions=[{"name": "x", "effect": "explode"}])
        self.assertError(req("POST", "/offerings", bad, token=w.tp), 400, "invalid_field")

    def test_admin_only_directory_writes(self):
        """Organizations and tokens are created by the admin only; a member keeps consumer
        groups of its own organization only."""
        w = self.w
        self.assertError(req("POST", "/organizations", {"name": "rogue"}, token=w.tp),
                         403, "forbidden")
        self.assertError(req("POST", "/consumer-groups",
                             {"name": "g", "owner": w.cons, "members": [w.prov]},
                             token=w.tp), 403, "forbidden")
        self.assertError(req("POST", "/tokens", {"organization": w.prov, "role": "member"},
                             token=w.tp), 403, "forbidden")

    def test_token_and_group_validation(self):
        """Bad role: 400 invalid_field "role"; unknown organization or member: 422."""
        w = self.w
        self.assertError(req("POST", "/tokens", {"organization": w.prov, "role": "owner"}),
                         400, "invalid_field", "role")
        self.assertError(req("POST", "/tokens", {"organization": uid("nothing"),
                                                 "role": "member"}), 422, "unknown_reference")
        self.assertError(req("POST", "/consumer-groups", {"name": "g",
                                                          "members": [uid("nothing")]}),
                         422, "unknown_reference")


# --------------------------------------------------------------------------------------------
# 5. Errors and their order
# --------------------------------------------------------------------------------------------

class TestErrors(ApiTestCase):

    def test_401_without_or_with_a_bad_token(self):
        for kwargs in ({"token": None}, {"token": "not-a-token"},
                       {"token": None, "headers": {"Authorization": "Basic YWRtaW46YWRtaW4="}}):
            with self.subTest(**{k: str(v) for k, v in kwargs.items()}):
                self.assertError(req("GET", "/organizations", **kwargs), 401, "unauthenticated")
        self.assertError(req("POST", "/organizations", {"name": "x"}, token=None),
                         401, "unauthenticated")

    def send_oversized(self, content_type):
        """POSTs a 9 MiB body on a raw socket, reading the answer while sending.

        Returns (parsed response or None, the send error or None). The server may answer 413
        and close before reading the whole body; a reader thread catches that answer.
        """
        body = b'{"name": "' + b"x" * (9 * MIB) + b'"}'
        head = (f"POST {API}/organizations HTTP/1.1\r\nHost: 127.0.0.1:{SERVER.port}\r\n"
                f"Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        sock = socket.create_connection(("127.0.0.1", SERVER.port), timeout=30)
        received = bytearray()

        def reader():
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    received.extend(chunk)
                    if response_complete(bytes(received)):
                        return
            except OSError:
                return

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        send_error = None
        try:
            sock.sendall(head)
            for i in range(0, len(body), 65536):
                if not thread.is_alive():
                    break  # answered already
                sock.sendall(body[i:i + 65536])
        except OSError as e:
            send_error = e
        thread.join(30)
        sock.close()
        return split_http_response(bytes(received)), send_error

    def check_413(self, content_type):
        parsed, send_error = self.send_oversized(content_type)
        if parsed is None:
            # The connection was reset before the answer could be read: tolerated, but then the
            # server must have refused the body rather than hung.
            self.assertIsNotNone(send_error, "no answer to a 9 MiB body")
        else:
            status, headers, rest = parsed
            self.assertEqual(status, 413)
            if "chunked" in headers.get("transfer-encoding", "").lower():
                rest = dechunk(rest)
            payload = decode_json(rest)
            if payload is not None:
                self.assertEqual(payload["error"]["code"], "payload_too_large")
        self.assertAlive()

    def test_413_body_over_8_mib(self):
        """A body over 8 MiB is 413 payload_too_large, and the server stays up."""
        self.check_413("application/json")

    def test_413_before_415(self):
        """The size is checked before the media type."""
        self.check_413("text/plain")

    def test_415_wrong_content_type(self):
        self.assertError(req("POST", "/organizations", raw=b'{"name": "x"}',
                             headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")

    def test_json_with_charset_is_accepted(self):
        """application/json with a charset parameter is still JSON."""
        self.assertStatus(req("POST", "/organizations", raw=b'{"name": "charset"}',
                              headers={"Content-Type": "application/json; charset=utf-8"}), 201)

    def test_400_invalid_json(self):
        self.assertError(req("POST", "/organizations", raw=b"{",
                             headers={"Content-Type": "application/json"}), 400, "invalid_json")

    def test_400_invalid_field(self):
        """A missing or mistyped required field names the field."""
        self.assertError(req("POST", "/organizations", {"description": "no name"}),
                         400, "invalid_field", "name")
        self.assertError(req("POST", "/organizations", {"name": 42}), 400, "invalid_field", "name")
        self.assertError(req("POST", "/organizations", {"name": "x", "attributes": [1]}),
                         400, "invalid_field", "attributes")

    def test_400_bad_client_id(self):
        """Client ids must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$."""
        for bad in ("-bad id", "bad id", "a/b", "x" * 129, ""):
            with self.subTest(id=bad[:20]):
                self.assertError(req("POST", "/organizations", {"id": bad, "name": "x"}),
                                 400, "invalid_field", "id")
        longest = "L" + uid("max").replace("-", ".")
        longest = longest + "9" * (128 - len(longest))
        created = self.assertStatus(req("POST", "/organizations", {"id": longest, "name": "x"}), 201)
        self.assertEqual(created["id"], longest)

    def test_404_unknown_ids(self):
        missing = uid("missing")
        for path in (f"/organizations/{missing}", f"/resources/{missing}",
                     f"/resources/{missing}/versions", f"/resources/{missing}/lineage",
                     f"/services/{missing}", f"/offerings/{missing}",
                     f"/relationships/{missing}", f"/provisions/{missing}",
                     f"/consumer-groups/{missing}", f"/organizations/{missing}/roles"):
            with self.subTest(path=path):
                self.assertError(req("GET", path), 404, "not_found")
        self.assertError(lifecycle(missing, "activate"), 404, "not_found")

    def test_duplicate_id_and_safe_retry(self):
        """Same id + equal body: 200 with the object; same id + different body: 409."""
        oid = uid("dup")
        body = {"id": oid, "name": "first", "description": "d", "attributes": {"k": [1, 2]}}
        first = self.assertStatus(req("POST", "/organizations", body), 201)
        self.assertEqual(first["id"], oid)
        again = self.assertStatus(req("POST", "/organizations", dict(reversed(body.items()))), 200)
        self.assertEqual(again, first)
        self.assertError(req("POST", "/organizations", {**body, "name": "second"}),
                         409, "duplicate_id")
        self.assertEqual(self.assertStatus(req("GET", f"/organizations/{oid}"), 200)["name"],
                         "first")

    def test_ids_are_unique_across_nouns(self):
        """An id taken by an organization cannot name a resource (409 duplicate_id)."""
        org = new_org("dupnoun")
        self.assertError(req("POST", "/resources", {"id": org, "owner": org, "kind": "vm",
                                                    "name": "clash"}), 409, "duplicate_id")

    def test_resource_version_starts_at_1(self):
        org = new_org("ver")
        res = self.assertStatus(req("POST", "/resources", {"owner": org, "kind": "information",
                                                           "name": "doc"}), 201)
        self.assertEqual((res["version"], res["owner"], res["origin"], res["attributes"]),
                         (1, org, None, {}))

    def test_422_unknown_reference(self):
        """Absent and invisible references answer alike, revealing nothing."""
        self.assertError(req("POST", "/resources", {"owner": uid("nobody"), "kind": "vm",
                                                    "name": "x"}), 422, "unknown_reference")
        a, b = new_org("ref-a"), new_org("ref-b")
        ta, tb = new_token(a), new_token(b)
        private = create("resources", {"id": uid("ref-private"), "owner": a, "kind": "vm",
                                       "name": "private"}, ta)["id"]
        absent = uid("ref-absent")
        hidden = self.assertError(req("POST", "/services", {"provider": b, "name": "s",
                                                            "built_on": [private]}, token=tb),
                                  422, "unknown_reference")
        missing = self.assertError(req("POST", "/services", {"provider": b, "name": "s",
                                                             "built_on": [absent]}, token=tb),
                                   422, "unknown_reference")
        self.assertEqual(hidden.get("field"), missing.get("field"))
        self.assertEqual(hidden["message"].replace(private, "<ID>"),
                         missing["message"].replace(absent, "<ID>"))

    def test_check_order(self):
        """401 before 400, 415 before 400, 400 before 422."""
        self.assertError(req("POST", "/organizations", raw=b"{", token=None,
                             headers={"Content-Type": "application/json"}), 401, "unauthenticated")
        self.assertError(req("POST", "/organizations", raw=b"{",
                             headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")
        self.assertError(req("POST", "/resources", {"owner": uid("nobody"), "kind": "vm"}),
                         400, "invalid_field", "name")

    def test_failed_writes_change_nothing(self):
        """Rejected requests emit no event."""
        before = self.last_seq()
        req("POST", "/organizations", {"name": 42})
        req("POST", "/organizations", raw=b"{", headers={"Content-Type": "application/json"})
        req("POST", "/resources", {"owner": uid("nobody"), "kind": "vm", "name": "x"})
        req("POST", "/organizations", {"name": "x"}, token=None)
        self.assertEqual(self.last_seq(), before)

    def test_bad_input_never_crashes(self):
        """Garbage bodies are 400 and the server stays up."""
        for raw in (b"[]", b"null", b'"text"', b"\xff\xfe\x00", b'{"name": "x",}',
                    b'{"name": "\xc3"}', b"[" * 100000, b"{" * 100000):
            with self.subTest(body=raw[:16]):
                status, _, _ = req("POST", "/organizations", raw=raw,
                                   headers={"Content-Type": "application/json"})
                self.assertEqual(status, 400)
        self.assertAlive()


# --------------------------------------------------------------------------------------------
# 6. Visibility
# --------------------------------------------------------------------------------------------

class TestVisibility(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.c = build_chain("vis")
        cls.private = create("resources", {"id": uid("vis-private"), "owner": cls.c.o1,
                                           "kind": "information", "name": "secret plans"},
                             cls.c.t1)["id"]

    def test_hidden_objects_are_404(self):
        """Org3 cannot see Org1's private resource, nor resources it has no access to (r1,
        which Org1's public offering gives access to, is in the catalog: §9.28)."""
        c = self.c
        self.assertStatus(req("GET", f"/resources/{c.r1}", token=c.t3), 200)
        for rid in (self.private, c.c1):
            with self.subTest(resource=rid):
                self.assertError(req("GET", f"/resources/{rid}", token=c.t3), 404, "not_found")
        self.assertError(req("GET", f"/relationships/{c.rel1}", token=c.t3), 404, "not_found")
        self.assertError(req("GET", f"/provisions/{c.p1}", token=c.t3), 404, "not_found")
        self.assertStatus(req("GET", f"/resources/{self.private}", token=c.t1), 200)

    def test_what_org3_may_see(self):
        """The directory; public offerings and their services; what it consumes."""
        c = self.c
        for path in (f"/organizations/{c.o1}", f"/consumer-groups/{c.group}",
                     f"/offerings/{c.of1}", f"/services/{c.s1}", f"/offerings/{c.of2}",
                     f"/services/{c.s2}", f"/relationships/{c.rel2}"):
            with self.subTest(path=path):
                self.assertStatus(req("GET", path, token=c.t3), 200)

    def test_lists_count_only_visible(self):
        """Lists hold and count only what the caller may see."""
        c = self.c
        items, total = list_all("resources", c.t3)
        self.assertEqual(total, len(items))
        self.assertNotIn(self.private, ids(items))
        for rid in ids(items):
            self.assertStatus(req("GET", f"/resources/{rid}", token=c.t3), 200)
        _, admin_total = list_all("resources")
        self.assertGreater(admin_total, total)
        org1_items, _ = list_all("resources", c.t1)
        self.assertIn(self.private, ids(org1_items))
        orgs, _ = list_all("organizations", c.t3)
        self.assertIn(c.o1, ids(orgs))

    def test_viewer_reads_but_does_not_write(self):
        c = self.c
        viewer = new_token(c.o1, "viewer")
        self.assertStatus(req("GET", f"/resources/{self.private}", token=viewer), 200)
        self.assertError(req("POST", "/resources", {"owner": c.o1, "kind": "vm", "name": "v"},
                             token=viewer), 403, "forbidden")
        self.assertError(lifecycle(c.rel1, "suspend", viewer), 403, "forbidden")
        self.assertEqual(self.assertStatus(req("GET", f"/relationships/{c.rel1}"), 200)["status"],
                         "active")

    def test_no_acting_in_anothers_name(self):
        c = self.c
        self.assertError(req("POST", "/resources", {"owner": c.o2, "kind": "vm", "name": "x"},
                             token=c.t1), 403, "forbidden")
        self.assertError(req("POST", "/services", {"provider": c.o2, "name": "x"}, token=c.t1),
                         403, "forbidden")
        self.assertError(req("POST", "/offerings", offering_body("vis", c.o2, c.s2), token=c.t1),
                         403, "forbidden")

    def test_impact_redacts_hidden_nodes(self):
        """Org3's impact from Org1's public offering names only what Org3 sees, at the same
        depths as the admin's; the rest is counted in `redacted`, never named."""
        c = self.c
        admin = self.assertStatus(req("GET", f"/impact?from={q(c.of1)}"), 200)
        org3 = self.assertStatus(req("GET", f"/impact?from={q(c.of1)}", token=c.t3), 200)
        seen, full = affected_map(org3), affected_map(admin)
        self.assertEqual(len(seen) + org3["redacted"], len(full))
        self.assertGreaterEqual(org3["redacted"], 3)
        text = json.dumps(org3)
        for hidden in (c.rel1, c.c1, c.vm):
            self.assertNotIn(f'"{hidden}"', text)
        for node in (c.o2, c.s2, c.of2, c.rel2, c.o3):
            self.assertEqual(seen.get(node), full[node])
        self.assertError(req("GET", f"/impact?from={q(self.private)}", token=c.t3),
                         404, "not_found")

    def test_events_are_filtered(self):
        """An organization's events are the subsequence about what it may see."""
        c = self.c
        admin = {e["seq"]: e for e in all_events()}
        org3 = all_events(c.t3)
        seqs = [e["seq"] for e in org3]
        self.assertEqual(seqs, sorted(set(seqs)))
        for e in org3:
            self.assertEqual((e["type"], e["subject"]),
                             (admin[e["seq"]]["type"], admin[e["seq"]]["subject"]))
        self.assertNotIn(self.private, [e["subject"] for e in org3])
        self.assertIn(c.rel2, [e["subject"] for e in org3])
        self.assertIn(self.private, [e["subject"] for e in all_events(c.t1)])

    def test_role_evidence_hides_what_the_caller_cannot_see(self):
        """Evidence entries naming anything Org3 may not see are left out."""
        c = self.c
        roles = self.assertStatus(req("GET", f"/organizations/{c.o2}/roles", token=c.t3), 200)
        self.assertEqual(len(roles["transitions"]), 1)
        self.assertEqual(roles["transitions"][0]["evidence"], [])


class TestNoHiddenIds(ApiTestCase):
    """CONTRACT §7 "No hidden id in any answer" (with §9.7, §9.8, §9.28): an ecosystem with
    hidden resources, services, provisions and relationships, and an unrelated organization U
    and a consumer D that sees only part of it; every GET answer they get is scanned for the
    id of anything they may not see."""

    @classmethod
    def setUpClass(cls):
        e = cls.e = types.SimpleNamespace()
        e.p, e.c, e.d, e.u = (new_org(f"nh-{r}") for r in ("p", "c", "d", "u"))
        e.tp, e.tc, e.td, e.tu = (new_token(o) for o in (e.p, e.c, e.d, e.u))
        res = lambda owner, tok, tag, kind="information": create("resources", {
            "id": uid(f"nh-{tag}"), "owner": owner, "kind": kind, "name": tag}, tok)["id"]
        svc = lambda provider, tok, tag, built_on=(), depends_on=(): create("services", {
            "id": uid(f"nh-{tag}"), "provider": provider, "name": tag,
            "built_on": list(built_on), "depends_on": list(depends_on)}, tok)["id"]
        # P: a secret resource and an internal service nobody else sees; psvc is built on the
        # secret and on tool (which the public offering poff gives access to) and depends on
        # the internal service. hoff offers psvc to a group of C only.
        e.secret = res(e.p, e.tp, "secret")
        e.tool = res(e.p, e.tp, "tool", "technology")
        e.vm = res(e.p, e.tp, "vm", "vm")
        e.internal = svc(e.p, e.tp, "internal", built_on=[e.secret])
        e.psvc = svc(e.p, e.tp, "psvc", built_on=[e.secret, e.tool], depends_on=[e.internal])
        e.poff = create("offerings", offering_body("nh-p", e.p, e.psvc, access=[e.tool]),
                        e.tp)["id"]
        e.cgroup = create("consumer-groups", {"id": uid("nh-cgroup"), "name": "c only",
                                              "members": [e.c]})["id"]
        e.hoff = create("offerings", offering_body("nh-h", e.p, e.psvc,
                                                   {"consumer_groups": [e.cgroup]}), e.tp)["id"]
        # C consumes poff; P creates gift for C (using the secret), tunes it, hands vm over.
        e.rel1 = create("relationships", {"id": uid("nh-rel1"), "offering": e.poff,
                                          "consumer": e.c, "type": "cooperative"}, e.tc)["id"]
        must(lifecycle(e.rel1, "activate", e.tp), 200, "P activates rel1")
        e.gift = uid("nh-gift")
        e.prov1 = create("provisions", {"id": uid("nh-prov1"), "relationship": e.rel1,
                                        "action": "create-vm", "used": [e.secret, e.tool],
                                        "creates": [{"id": e.gift, "kind": "vm",
                                                     "name": "gift"}]}, e.tp)["id"]
        e.prov2 = create("provisions", {"id": uid("nh-prov2"), "relationship": e.rel1,
                                        "action": "tune", "used": [e.secret],
                                        "modifies": [{"resource": e.gift,
                                                      "attributes": {"tuned": True}}]},
                         e.tp)["id"]
        e.prov3 = create("provisions", {"id": uid("nh-prov3"), "relationship": e.rel1,
                                        "action": "hand-over", "transfers": [e.vm]}, e.tp)["id"]
        # C builds on the gift and on psvc (consumed), offers csvc to a group of D only.
        e.csvc = svc(e.c, e.tc, "csvc", built_on=[e.gift, e.vm], depends_on=[e.psvc])
        e.dgroup = create("consumer-groups", {"id": uid("nh-dgroup"), "name": "d only",
                                              "members": [e.d]})["id"]
        e.coff = create("offerings", offering_body("nh-c", e.c, e.csvc,
                                                   {"consumer_groups": [e.dgroup]}, goods=[],
                                                   actions=[{"name": "run", "effect": "none"}]),
                        e.tc)["id"]
        e.rel2 = create("relationships", {"id": uid("nh-rel2"), "offering": e.coff,
                                          "consumer": e.d, "type": "basic"}, e.td)["id"]
        must(lifecycle(e.rel2, "activate", e.tc), 200, "C activates rel2: C turns provider")
        e.prov4 = create("provisions", {"id": uid("nh-prov4"), "relationship": e.rel2,
                                        "action": "run", "used": [e.gift]}, e.tc)["id"]
        # D offers publicly and P consumes it: D turns provider, and P -> C -> D -> P is a cycle.
        e.dres = res(e.d, e.td, "dres")
        e.dsvc = svc(e.d, e.td, "dsvc", built_on=[e.dres], depends_on=[e.csvc])
        e.doff = create("offerings", offering_body("nh-d", e.d, e.dsvc, goods=[],
                                                   actions=[{"name": "run", "effect": "none"}]),
                        e.td)["id"]
        e.rel3 = create("relationships", {"id": uid("nh-rel3"), "offering": e.doff,
                                          "consumer": e.p, "type": "partnership"}, e.tp)["id"]
        must(lifecycle(e.rel3, "activate", e.td), 200, "D activates rel3")
        # U keeps something of its own.
        e.ures = res(e.u, e.tu, "ures")
        e.usvc = svc(e.u, e.tu, "usvc", built_on=[e.ures])

        e.orgs = [e.p, e.c, e.d, e.u]
        e.groups = [e.cgroup, e.dgroup]
        e.known = set(e.orgs + e.groups + [
            e.secret, e.tool, e.vm, e.internal, e.psvc, e.poff, e.hoff, e.rel1, e.gift,
            e.prov1, e.prov2, e.prov3, e.csvc, e.coff, e.rel2, e.prov4, e.dres, e.dsvc,
            e.doff, e.rel3, e.ures, e.usvc])
        directory = set(e.orgs + e.groups)
        # What each may see, by CONTRACT §3 Visibility and §9.28.
        e.visible = {
            # The public catalog: poff and doff with their services, and tool (poff's access).
            "u": directory | {e.psvc, e.poff, e.tool, e.dsvc, e.doff, e.ures, e.usvc},
            # D: the catalog, its own, coff (its audience) with csvc, and its relationships.
            "d": directory | {e.psvc, e.poff, e.tool, e.dsvc, e.doff, e.dres, e.coff, e.csvc,
                              e.rel2, e.rel3, e.prov4},
        }

    def scan(self, who, token):
        """Walks every GET route `token` may use; returns (answers scanned, leaks found)."""
        e = self.e
        hidden = e.known - e.visible[who]
        leaks, scanned = [], [0]

        def check(path, body_text):
            scanned[0] += 1
            for hid in hidden:
                if f'"{hid}"' in body_text:
                    leaks.append(f"{who}: {path} names hidden {hid}: {body_text[:600]}")

        def get(path, expect=200):
            status, data, _ = SERVER.request_raw("GET", API + path, token=token)
            text = data.decode("utf-8", "replace")
            check(path, text)
            self.assertEqual(status, expect, f"{who}: GET {path}: {text[:300]}")
            return json.loads(text) if text else None

        collections = ["organizations", "consumer-groups", "resources", "services", "offerings",
                       "relationships", "provisions"]
        listed = set()
        for col in collections:
            offset = 0
            while True:
                body = get(f"/{col}?limit=100&offset={offset}")
                for item in body["items"]:
                    if item["id"] in e.known:
                        listed.add(item["id"])
                offset += len(body["items"])
                if not body["items"] or offset >= body["total"]:
                    break
        noun_of = {}
        for oid in sorted(e.known):
            for col in collections:
                status, _, _ = SERVER.request_raw("GET", f"{API}/{col}/{q(oid)}", token=token)
                if status == 200:
                    noun_of[oid] = col
                    get(f"/{col}/{q(oid)}")
        # Checked by the caller after the leaks, so a leak is what a failure shows first.
        self.seen = (listed, set(noun_of))
        for oid in sorted(noun_of):
            col = noun_of[oid]
            if col == "resources":
                get(f"/resources/{q(oid)}/versions")
                get(f"/resources/{q(oid)}/lineage")
                get(f"/resources/{q(oid)}/lineage?format=prov")
            if col == "organizations":
                get(f"/organizations/{q(oid)}/roles")
            if col != "consumer-groups":
                get(f"/impact?from={q(oid)}&explain=true")
                get(f"/impact?from={q(oid)}")
        get(f"/organizations/{q(e.u if who == 'u' else e.d)}/value")
        for a in e.orgs:
            for b in e.orgs:
                if a != b:
                    get(f"/chains?from={q(a)}&to={q(b)}&limit=20")
        get("/cycles")
        get("/analysis/concentration?top=1000")
        get("/graph/organizations")
        get("/me")
        after = 0
        while True:
            body = get(f"/events?after={after}&limit=1000")
            if not body["events"]:
                break
            after = body["next"]
        for frame in sse_frames(token, want=40):
            check("/events/stream", frame)
        return scanned[0], leaks

    def check_scan(self, who, token):
        scanned, leaks = self.scan(who, token)
        self.assertGreater(scanned, 60, "the walk must cover the API, not pass vacuously")
        self.assertEqual(leaks, [], "\n".join(leaks[:20]))
        listed, readable = self.seen
        self.assertEqual(listed, self.e.visible[who], f"{who} lists exactly what it may see")
        self.assertEqual(readable, self.e.visible[who], f"{who} GETs exactly what it may see")

    def test_unrelated_organization_sees_no_hidden_id(self):
        self.check_scan("u", self.e.tu)

    def test_consumer_sees_no_hidden_id(self):
        self.check_scan("d", self.e.td)

    def test_redactions_are_counted_and_own_objects_kept(self):
        """Left-out ids are counted in `redacted` {FIELD: n} (only when something was left
        out); a hidden single id is null; the caller's own objects keep every id."""
        e = self.e
        psvc = self.assertStatus(req("GET", f"/services/{e.psvc}", token=e.tu), 200)
        self.assertEqual(psvc["built_on"], [e.tool])
        self.assertEqual(psvc["depends_on"], [])
        self.assertEqual(psvc["redacted"], {"built_on": 1, "depends_on": 1})
        own = self.assertStatus(req("GET", f"/services/{e.psvc}", token=e.tp), 200)
        self.assertEqual(own["built_on"], [e.secret, e.tool])
        self.assertNotIn("redacted", own)
        poff = self.assertStatus(req("GET", f"/offerings/{e.poff}", token=e.tu), 200)
        self.assertNotIn("redacted", poff)
        prov1 = self.assertStatus(req("GET", f"/provisions/{e.prov1}", token=e.tc), 200)
        self.assertEqual(prov1["used"], [e.tool])
        self.assertEqual(prov1["redacted"], {"used": 1})
        self.assertEqual(self.assertStatus(req("GET", f"/provisions/{e.prov1}", token=e.tp),
                                           200)["used"], [e.secret, e.tool])
        csvc = self.assertStatus(req("GET", f"/services/{e.csvc}", token=e.td), 200)
        self.assertEqual(csvc["built_on"], [])
        self.assertEqual(csvc["redacted"], {"built_on": 2})
        self.assertEqual(csvc["depends_on"], [e.psvc])
        transitions = [ev for ev in all_events(e.tu)
                       if ev["type"] == "role.transitioned" and ev["subject"] == e.c]
        self.assertEqual(len(transitions), 1)
        self.assertIsNone(transitions[0]["data"]["relationship"])
        self.assertEqual(transitions[0]["data"]["evidence"], [])
        # C's evidence: csvc built on gift (prov1) and on vm (prov3), both through rel1.
        self.assertEqual(transitions[0]["data"]["redacted"], {"evidence": 2})
        roles = self.assertStatus(req("GET", f"/organizations/{e.c}/roles", token=e.tu), 200)
        self.assertEqual(roles["transitions"][0]["redacted"], {"evidence": 2})
        mine = self.assertStatus(req("GET", f"/organizations/{e.c}/roles", token=e.tc), 200)
        self.assertEqual(len(mine["transitions"][0]["evidence"]), 2)
        self.assertNotIn("redacted", mine["transitions"][0])

    def test_request_for_an_offering_the_caller_cannot_see_is_unknown_reference(self):
        """§3: 422 unknown_reference, worded as for an absent offering; not_in_audience only
        for a caller who sees the offering (the admin acting for U)."""
        e = self.e
        self.assertError(req("POST", "/relationships", {"offering": e.hoff, "consumer": e.u,
                                                        "type": "basic"}, token=e.tu),
                         422, "unknown_reference", "offering")
        self.assertError(req("POST", "/relationships", {"offering": e.hoff, "consumer": e.u,
                                                        "type": "basic"}),
                         422, "not_in_audience", "consumer")


def sse_frames(token, want, seconds=3.0):
    """The `data:` payloads of GET /events/stream?after=0 for `token`: up to `want` of them,
    or what arrives within `seconds`."""
    sock = socket.create_connection(("127.0.0.1", SERVER.port), timeout=0.5)
    sock.sendall((f"GET {API}/events/stream?after=0 HTTP/1.1\r\n"
                  f"Host: 127.0.0.1:{SERVER.port}\r\nAuthorization: Bearer {token}\r\n"
                  f"Accept: text/event-stream\r\n\r\n").encode())
    buf = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            buf += chunk
            if len(re.findall(rb"(?m)^data:", buf)) >= want:
                break
    finally:
        sock.close()
    return [line.decode("utf-8", "replace") for line in re.findall(rb"(?m)^data:(.*)$", buf)]


class TestTokens(ApiTestCase):
    """CONTRACT §5 `GET /tokens` · `DELETE /tokens/{id}`, `POST /tokens` with `expires_in`, §9.6."""

    def issue(self, org, role="member", **extra):
        body = self.assertStatus(req("POST", "/tokens", {"organization": org, "role": role,
                                                          **extra}), 201)
        return body

    def test_issue_answers_the_token_record(self):
        org = new_org("tok")
        body = self.issue(org, "viewer")
        self.assertEqual(set(body), {"id", "token", "organization", "role", "created_at"})
        self.assertEqual((body["organization"], body["role"]), (org, "viewer"))
        parse_utc(body["created_at"])

    def test_expires_in_bounds(self):
        org = new_org("tok")
        for seconds, status in ((59, 400), (60, 201), (31536000, 201), (31536001, 400),
                                (0, 400), (-1, 400), (90.5, 400), ("600", 400)):
            with self.subTest(expires_in=seconds):
                resp = req("POST", "/tokens", {"organization": org, "expires_in": seconds})
                if status == 400:
                    self.assertError(resp, 400, "invalid_field", "expires_in")
                    continue
                body = self.assertStatus(resp, 201)
                lifetime = parse_utc(body["expires_at"]) - parse_utc(body["created_at"])
                self.assertEqual(lifetime, datetime.timedelta(seconds=seconds))
                self.assertStatus(req("GET", "/me", token=body["token"]), 200)

    def test_list_admin_member_viewer(self):
        a, b = new_org("tok-a"), new_org("tok-b")
        ta = self.issue(a)
        tav = self.issue(a, "viewer", expires_in=3600)
        tb = self.issue(b)
        items, total = list_all("tokens")
        self.assertEqual(total, len(items))
        admin = {"items": items, "total": total}
        by_id = {t["id"]: t for t in items}
        for t in (ta, tav, tb):
            self.assertIn(t["id"], by_id)
        self.assertEqual(by_id[tav["id"]], {k: tav[k] for k in
                                            ("id", "organization", "role", "created_at",
                                             "expires_at")})
        member = self.assertStatus(req("GET", "/tokens", token=ta["token"]), 200)
        self.assertEqual(sorted(ids(member["items"])), sorted([ta["id"], tav["id"]]))
        self.assertEqual(member["total"], 2)
        self.assertError(req("GET", "/tokens", token=tav["token"]), 403, "forbidden")
        for answer in (admin, member):
            text = json.dumps(answer)
            for t in (ta, tav, tb):
                self.assertNotIn(t["token"], text, "never a secret")
            self.assertNotIn("digest", text)

    def test_revoke_answers_401_at_once(self):
        org = new_org("tok-rev")
        keep, gone = self.issue(org), self.issue(org)
        self.assertStatus(req("GET", "/me", token=gone["token"]), 200)  # cached from now on
        status, data, _ = SERVER.request_raw("DELETE", f"{API}/tokens/{gone['id']}",
                                             token=keep["token"])
        self.assertEqual((status, data), (204, b""))
        self.assertError(req("GET", "/me", token=gone["token"]), 401, "unauthenticated")
        self.assertStatus(req("GET", "/me", token=keep["token"]), 200)
        self.assertError(req("DELETE", f"/tokens/{gone['id']}", token=keep["token"]), 404,
                         "not_found")
        listed = self.assertStatus(req("GET", "/tokens", token=keep["token"]), 200)
        self.assertEqual(ids(listed["items"]), [keep["id"]])
        events = [ev for ev in all_events(keep["token"]) if ev["type"] == "token.revoked"]
        self.assertEqual([(ev["subject"], ev["data"]["id"]) for ev in events],
                         [(org, gone["id"])])
        self.assertIn((org, gone["id"]), [(ev["subject"], ev["data"].get("id"))
                                         for ev in all_events()
                                         if ev["type"] == "token.revoked"])
        # The admin revokes any token.
        self.assertStatus(req("DELETE", f"/tokens/{keep['id']}"), 204)
        self.assertError(req("GET", "/me", token=keep["token"]), 401)

    def test_revoke_needs_the_tokens_organization(self):
        a, b = new_org("tok-a"), new_org("tok-b")
        ta, tb = self.issue(a), self.issue(b)
        viewer = self.issue(a, "viewer")
        self.assertError(req("DELETE", f"/tokens/{ta['id']}", token=tb["token"]), 404,
                         "not_found")
        self.assertError(req("DELETE", f"/tokens/{ta['id']}", token=viewer["token"]), 403,
                         "forbidden")
        self.assertError(req("DELETE", "/tokens/tok-does-not-exist"), 404, "not_found")
        self.assertStatus(req("GET", "/me", token=ta["token"]), 200)
        self.assertEqual([ev for ev in all_events(tb["token"]) if ev["type"].startswith("token.")
                          and ev["subject"] == a], [], "b sees none of a's token events")

    def test_revoked_token_stays_revoked_after_restart(self):
        server = Server()
        self.addCleanup(server.close)
        server.start()
        org = must(server.req("POST", "/organizations", {"id": uid("tok-r"), "name": "r"}), 201,
                   "create organization")["id"]
        tokens = [must(server.req("POST", "/tokens", {"organization": org, **extra}), 201,
                       "issue") for extra in ({}, {"expires_in": 600})]
        gone, kept = tokens
        self.assertEqual(server.req("GET", "/me", token=gone["token"])[0], 200)
        self.assertEqual(server.req("DELETE", f"/tokens/{gone['id']}")[0], 204)
        before = must(server.req("GET", "/tokens"), 200, "list")
        server.restart()
        self.assertEqual(server.req("GET", "/me", token=gone["token"])[0], 401)
        self.assertEqual(server.req("GET", "/me", token=kept["token"])[0], 200)
        self.assertEqual(must(server.req("GET", "/tokens"), 200, "list"), before)
        self.assertEqual(ids(before["items"]), [kept["id"]])


# --------------------------------------------------------------------------------------------
# 7. Lists
# --------------------------------------------------------------------------------------------

class TestLists(ApiTestCase):

    def test_limit_offset_total(self):
        """Pages of /organizations cover every organization once, and total counts them all."""
        made = [new_org("list") for _ in range(5)]
        first = self.assertStatus(req("GET", "/organizations?limit=2&offset=0"), 200)
        total = first["total"]
        self.assertGreaterEqual(total, 5)
        self.assertEqual(len(first["items"]), 2)
        seen = []
        for offset in range(0, total, 2):
            page = self.assertStatus(req("GET", f"/organizations?limit=2&offset={offset}"), 200)
            self.assertEqual(page["total"], total)
            self.assertEqual(len(page["items"]), min(2, total - offset))
            seen.extend(ids(page["items"]))
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(len(seen), total)
        self.assertTrue(set(made) <= set(seen))
        beyond = self.assertStatus(req("GET", f"/organizations?limit=2&offset={total}"), 200)
        self.assertEqual((beyond["items"], beyond["total"]), ([], total))

    def test_default_limit_is_100(self):
        body = self.assertStatus(req("GET", "/organizations"), 200)
        self.assertEqual(len(body["items"]), min(100, body["total"]))

    def test_bad_limit_is_400(self):
        self.assertError(req("GET", "/organizations?limit=abc"), 400)

    def test_every_collection_lists(self):
        for collection in ("organizations", "consumer-groups", "resources", "services",
                           "offerings", "relationships", "provisions"):
            with self.subTest(collection=collection):
                body = self.assertStatus(req("GET", f"/{collection}?limit=1"), 200)
                self.assertIsInstance(body["items"], list)
                self.assertIsInstance(body["total"], int)
                self.assertLessEqual(len(body["items"]), 1)


# --------------------------------------------------------------------------------------------
# 8. Events
# --------------------------------------------------------------------------------------------

class TestEvents(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        for _ in range(3):
            new_org("ev")

    def test_admin_sequence_is_gap_free(self):
        """The admin sees seq 1, 2, 3, ... and every event has the contract's fields."""
        events = all_events(page=37)
        self.assertTrue(events)
        self.assertEqual([e["seq"] for e in events], list(range(1, len(events) + 1)))
        for e in events:
            for key in ("seq", "type", "at", "actor", "subject", "data"):
                self.assertIn(key, e)
            parse_utc(e["at"])

    def test_paging(self):
        """limit bounds a page; next is the last seq returned, or `after` when none."""
        body = self.assertStatus(req("GET", "/events?after=0&limit=3"), 200)
        self.assertEqual([e["seq"] for e in body["events"]], [1, 2, 3])
        self.assertEqual(body["next"], 3)
        body = self.assertStatus(req("GET", "/events?after=3&limit=2"), 200)
        self.assertEqual([e["seq"] for e in body["events"]], [4, 5])
        self.assertEqual(body["next"], 5)
        last = self.last_seq()
        body = self.assertStatus(req("GET", f"/events?after={last}&limit=10"), 200)
        self.assertEqual((body["events"], body["next"]), ([], last))

    def test_stream(self):
        """GET /events/stream answers text/event-stream with `data:` lines within seconds."""
        sock = socket.create_connection(("127.0.0.1", SERVER.port), timeout=0.5)
        sock.sendall((f"GET {API}/events/stream?after=0 HTTP/1.1\r\n"
                      f"Host: 127.0.0.1:{SERVER.port}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
                      f"Accept: text/event-stream\r\n\r\n").encode())

        def write_something():  # a live event, in case the stream only sends new ones
            try:
                req("POST", "/organizations", {"id": uid("sse"), "name": "stream trigger"})
            except (OSError, http.client.HTTPException):
                pass

        trigger = threading.Timer(0.5, write_something)
        trigger.start()
        buf, parsed = b"", None
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                buf += chunk
                parsed = split_http_response(buf)
                if parsed and re.search(rb"(?m)^data:", parsed[2]):
                    break
        finally:
            sock.close()
            trigger.join()
        self.assertIsNotNone(parsed, f"no response head: {buf[:500]!r}")
        status, headers, body = parsed
        self.assertEqual(status, 200)
        self.assertTrue(headers.get("content-type", "").startswith("text/event-stream"), headers)
        data_lines = re.findall(rb"(?m)^data:(.*)$", body)
        self.assertTrue(data_lines, f"no data: line within 5 s: {body[:500]!r}")
        events = [decode_json(line.strip()) for line in data_lines]
        self.assertTrue(any(isinstance(e, dict) and "seq" in e and "type" in e for e in events),
                        f"data: lines should carry event objects: {data_lines[:3]!r}")


# --------------------------------------------------------------------------------------------
# Graph questions
# --------------------------------------------------------------------------------------------

class TestGraphQuestions(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.c = build_chain("graph")
        # A two-organization cycle: a provides to b and b provides to a.
        a, b = new_org("cyc-a"), new_org("cyc-b")
        ta, tb = new_token(a), new_token(b)
        offers = {}
        for org, token in ((a, ta), (b, tb)):
            svc = create("services", {"id": uid("cyc-svc"), "provider": org, "name": "s"},
                         token)["id"]
            offers[org] = create("offerings", offering_body("cyc", org, svc, goods=[],
                                                            actions=[{"name": "talk",
                                                                      "effect": "none"}]),
                                 token)["id"]
        cls.cycle_orgs = {a, b}
        cls.cycle_rels = set()
        for consumer, ctoken, ptoken, provider in ((b, tb, ta, a), (a, ta, tb, b)):
            rel = create("relationships", {"id": uid("cyc-rel"), "offering": offers[provider],
                                           "consumer": consumer, "type": "partnership"},
                         ctoken)["id"]
            must(lifecycle(rel, "activate", ptoken), 200, "activate cycle relationship")
            cls.cycle_rels.add(rel)

    def test_chains(self):
        """The value chain from Org1 to Org3 runs through Org2; none runs backwards."""
        c = self.c
        body = self.assertStatus(req("GET", f"/chains?from={q(c.o1)}&to={q(c.o3)}"), 200)
        self.assertTrue(body["items"])
        self.assertEqual(body["items"][0]["organizations"], [c.o1, c.o2, c.o3])
        self.assertEqual(body["items"][0]["relationships"], [c.rel1, c.rel2])
        self.assertEqual(body["redacted"], 0)
        back = self.assertStatus(req("GET", f"/chains?from={q(c.o3)}&to={q(c.o1)}&limit=5"), 200)
        self.assertEqual(back["items"], [])

    def test_cycles(self):
        """Two organizations providing to each other form a cycle; the chain does not."""
        body = self.assertStatus(req("GET", "/cycles"), 200)
        ours = [i for i in body["items"] if set(i["organizations"]) & self.cycle_orgs]
        self.assertEqual(len(ours), 1, body)
        self.assertEqual(set(ours[0]["organizations"]), self.cycle_orgs)
        self.assertEqual(set(ours[0]["relationships"]), self.cycle_rels)
        for item in body["items"]:
            self.assertNotIn(self.c.o1, item["organizations"])

    def test_organization_graph(self):
        """GET /graph/organizations: every organization, and the relationships the caller is a
        party to as edges; the others only counted."""
        body = self.assertStatus(req("GET", "/graph/organizations"), 200)
        ids = {n["id"] for n in body["nodes"]}
        self.assertTrue(self.cycle_orgs <= ids)
        edges = {e["id"]: e for e in body["edges"]}
        self.assertTrue(self.cycle_rels <= set(edges))
        self.assertEqual(body["redacted"], 0)
        rel = edges[self.c.rel1]
        self.assertEqual((rel["provider"], rel["consumer"], rel["status"]),
                         (self.c.o1, self.c.o2, "active"))
        o2 = next(n for n in body["nodes"] if n["id"] == self.c.o2)
        self.assertIsNotNone(o2["consumer_since"])
        mine = self.assertStatus(req("GET", "/graph/organizations", token=new_token(self.c.o3)),
                                 200)
        self.assertEqual({n["id"] for n in mine["nodes"]}, ids)
        self.assertEqual({e["id"] for e in mine["edges"]},
                         {e["id"] for e in body["edges"]
                          if self.c.o3 in (e["provider"], e["consumer"])})
        self.assertEqual(mine["redacted"], len(body["edges"]) - len(mine["edges"]))

    def test_impact_explain(self):
        """explain=true gives each entry a shortest path from the start to itself."""
        c = self.c
        body = self.assertStatus(req("GET", f"/impact?from={q(c.r1)}&explain=true"), 200)
        for entry in body["affected"]:
            path = entry["path"]
            self.assertEqual((path[0], path[-1]), (c.r1, entry["id"]))
            self.assertEqual(len(path), entry["depth"] + 1)

    def test_impact_explain_hides_hidden_hops(self):
        """A hop the caller may not see is null in the path."""
        c = self.c
        body = self.assertStatus(req("GET", f"/impact?from={q(c.of1)}&explain=true",
                                     token=c.t3), 200)
        entry = [e for e in body["affected"] if e["id"] == c.o3][0]
        self.assertEqual(len(entry["path"]), entry["depth"] + 1)
        self.assertEqual(entry["path"][0], c.of1)
        self.assertIsNone(entry["path"][1], "rel1 is hidden from Org3")
        self.assertNotIn(c.rel1, entry["path"])

    def test_concentration(self):
        body = self.assertStatus(req("GET", "/analysis/concentration?top=3"), 200)
        self.assertLessEqual(len(body["items"]), 3)
        self.assertIsInstance(body["exact"], bool)
        self.assertIsInstance(body["redacted"], int)
        reached = [i["consumers_reached"] for i in body["items"]]
        self.assertEqual(reached, sorted(reached, reverse=True))
        for item in body["items"]:
            self.assertIn(item["type"], ("resource", "service", "offering", "relationship"))


# --------------------------------------------------------------------------------------------
# 9. Durability and 10. graceful stop (own servers)
# --------------------------------------------------------------------------------------------

class TestDurability(ApiTestCase):

    def writers(self, server, threads, per_thread):
        """Runs `threads` writers of POST /organizations; returns (threads, acked ids, lock).
        A writer stops at its first connection error (the server was killed)."""
        acked, lock = [], threading.Lock()

        def work(n):
            for _ in range(per_thread):
                oid = uid(f"dur{n}")
                try:
                    status, body, _ = server.req("POST", "/organizations",
                                                 {"id": oid, "name": f"durable {oid}"})
                except (OSError, http.client.HTTPException):
                    return
                if status == 201:
                    with lock:
                        acked.append(body["id"])

        pool = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(threads)]
        for t in pool:
            t.start()
        return pool, acked, lock

    def check_recovered(self, server, acked):
        for oid in acked:
            self.assertStatus(server.req("GET", f"/organizations/{oid}"), 200)
        events = all_events(server=server)
        self.assertEqual([e["seq"] for e in events], list(range(1, len(events) + 1)))
        created = {e["subject"] for e in events if e["type"] == "organization.created"}
        self.assertTrue(set(acked) <= created, "every acknowledged write has its event")

    def test_acknowledged_writes_survive_kill_9(self):
        """200 acknowledged writes from 8 threads, then kill -9: all survive, seq gap-free."""
        server = Server()
        self.addCleanup(server.close)
        server.start()
        pool, acked, _ = self.writers(server, threads=8, per_thread=25)
        for t in pool:
            t.join(120)
        self.assertEqual(len(acked), 200)
        server.kill9()
        server.start()
        self.check_recovered(server, acked)

    def test_kill_9_during_writes(self):
        """kill -9 while 8 threads write: every write acknowledged before the kill survives."""
        server = Server()
        self.addCleanup(server.close)
        server.start()
        pool, acked, lock = self.writers(server, threads=8, per_thread=10000)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lock:
                if len(acked) >= 100:
                    break
            time.sleep(0.01)
        server.kill9()
        for t in pool:
            t.join(30)
        with lock:
            snapshot = list(acked)
        self.assertGreaterEqual(len(snapshot), 100)
        server.start()
        self.check_recovered(server, snapshot)


class TestGracefulStop(ApiTestCase):

    def test_sigterm_exits_zero(self):
        """SIGTERM stops the server with exit code 0 within 10 s; its data is intact after."""
        server = Server()
        self.addCleanup(server.close)
        server.start()
        oid = uid("term")
        must(server.req("POST", "/organizations", {"id": oid, "name": "before stop"}), 201,
             "create organization")
        proc = server.proc
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(10)
        except subprocess.TimeoutExpired:
            self.fail("cocreate did not exit within 10 s of SIGTERM; output:\n"
                      + server.log_text()[-4000:])
        server._reap()
        self.assertEqual(rc, 0, "output:\n" + server.log_text()[-4000:])
        server.start()
        self.assertStatus(server.req("GET", f"/organizations/{oid}"), 200)


# --------------------------------------------------------------------------------------------
# Command line, generated admin token, demo (contract section 4)
# --------------------------------------------------------------------------------------------

class TestCommandLine(ApiTestCase):

    def run_cli(self, *args):
        return subprocess.run([cocreate_bin(), *args], capture_output=True, timeout=30,
                              stdin=subprocess.DEVNULL)

    def test_version(self):
        out = self.run_cli("--version")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue((out.stdout + out.stderr).strip())

    def test_help(self):
        out = self.run_cli("--help")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"serve", out.stdout + out.stderr)

    def test_generated_admin_token(self):
        """Without COCREATE_ADMIN_TOKEN the admin token is generated at first start, printed
        once, stored in DATA_DIR/admin.token (mode 0600) and kept across restarts."""
        server = Server(admin_token=None)
        self.addCleanup(server.close)
        server.start()
        path = os.path.join(server.data_dir, "admin.token")
        self.assertTrue(os.path.isfile(path), "DATA_DIR/admin.token must exist")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            token = f.read().strip()
        self.assertTrue(token)
        server.admin_token = token
        self.assertStatus(server.req("GET", "/organizations"), 200)
        self.assertError(server.req("GET", "/organizations", token=ADMIN_TOKEN), 401)
        server.restart()
        self.assertStatus(server.req("GET", "/organizations"), 200)
        self.assertIn(token, server.log_text(0), "the generated token is printed at first start")
        server.stop()
        self.assertNotIn(token, server.log_text(1), "and only then")

    def test_export_then_import_restores_the_log(self):
        """export writes every event; import into an empty store restores the same log,
        refuses a non-empty store, and imports nothing from a broken file."""
        server = Server()
        self.addCleanup(server.close)
        server.start()
        org = server.req("POST", "/organizations", {"id": uid("exp"), "name": "exported"})[1]["id"]
        server.req("POST", "/tokens", {"organization": org})
        server.stop()
        source = ["--data-dir", server.data_dir] + (["--store", server.store] if server.store else [])
        exported = subprocess.run([cocreate_bin(), "export", *source],
                                  capture_output=True, check=True, text=True).stdout
        lines = [json.loads(line) for line in exported.splitlines()]
        self.assertEqual([e["seq"] for e in lines], list(range(1, len(lines) + 1)))
        self.assertEqual({e["type"] for e in lines}, {"organization.created", "token.issued"})

        target_dir = tempfile.TemporaryDirectory(prefix="cocreate-import-")
        self.addCleanup(target_dir.cleanup)
        target = ["--data-dir", target_dir.name]
        if server.store:
            target += ["--store", fresh_postgres_database()]
        broken = exported.replace('"seq":2', '"seq":7')
        bad = subprocess.run([cocreate_bin(), "import", *target], input=broken,
                             capture_output=True, text=True)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("nothing was imported", bad.stderr)
        ok = subprocess.run([cocreate_bin(), "import", *target], input=exported,
                            capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        again = subprocess.run([cocreate_bin(), "export", *target],
                               capture_output=True, check=True, text=True).stdout
        self.assertEqual(again, exported)
        refused = subprocess.run([cocreate_bin(), "import", *target], input=exported,
                                 capture_output=True, text=True)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("empty store", refused.stderr)

    def test_demo_ecosystem(self):
        """--demo loads a chain of at least five organizations, a cycle, every relationship
        type, provisions that create, modify and transfer, and at least two role transitions."""
        server = Server(extra_args=["--demo"])
        self.addCleanup(server.close)
        server.start(timeout=30)
        rels, _ = list_all("relationships", server=server)
        self.assertTrue({"basic", "cooperative", "partnership"} <= {r["type"] for r in rels})
        edges = {}
        for r in rels:
            if r["status"] == "active":
                edges.setdefault(r["provider"], set()).add(r["consumer"])

        def longest(node, seen):
            return 1 + max((longest(n, seen | {n}) for n in edges.get(node, ()) if n not in seen),
                           default=0)

        self.assertGreaterEqual(max((longest(o, {o}) for o in edges), default=0), 5,
                                "a chain of at least five organizations")

        def reaches(src, dst):
            stack, seen = [src], set()
            while stack:
                node = stack.pop()
                for n in edges.get(node, ()):
                    if n == dst:
                        return True
                    if n not in seen:
                        seen.add(n)
                        stack.append(n)
            return False

        self.assertTrue(any(reaches(c, p) for p, cs in edges.items() for c in cs),
                        "a cycle among organizations")
        events = all_events(server=server)
        types_seen = [e["type"] for e in events]
        self.assertGreaterEqual(types_seen.count("role.transitioned"), 2)
        self.assertIn("resource.modified", types_seen)
        self.assertIn("resource.transferred", types_seen)
        resources, _ = list_all("resources", server=server)
        self.assertTrue(any(r.get("origin") for r in resources),
                        "a resource created by a provision")


# --------------------------------------------------------------------------------------------
# Operations: framing, request ids, HEAD, /metrics access, file modes, the admin token rule,
# the embedded store's lock, logs (CONTRACT §7, §9.5-6)
# --------------------------------------------------------------------------------------------

def raw_exchange(port, data, timeout=5.0):
    """Sends `data` on a new connection and reads until the server closes it.

    Returns (everything received, True when the server closed the connection within `timeout`).
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    received = bytearray()
    closed = False
    try:
        sock.sendall(data)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received.extend(chunk)
    finally:
        sock.close()
    return bytes(received), closed


def json_log_lines(text):
    """The JSON objects among a server's output lines."""
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


class TestOperations(ApiTestCase):

    def smuggle(self, framing_headers, body):
        """A POST with the given framing headers and body, then a smuggled GET; returns what
        came back and whether the server closed the connection."""
        smuggled = (f"GET {API}/organizations/smuggled-{_RUN} HTTP/1.1\r\nHost: x\r\n"
                    f"Authorization: Bearer {ADMIN_TOKEN}\r\n\r\n").encode()
        head = (f"POST {API}/organizations HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\n"
                f"{framing_headers}\r\n").encode()
        return raw_exchange(SERVER.port, head + body + smuggled)

    def test_framing_errors_answer_400_and_close(self):
        """A Transfer-Encoding other than chunked, Transfer-Encoding with Content-Length, or a
        header that does not parse: 400 bad_request, then the connection is closed, so the
        request smuggled behind it is never answered (RFC 9112 section 6.3)."""
        cases = {
            "xchunked": ("Transfer-Encoding: xchunked\r\n", b"0\r\n\r\n"),
            "chunked, identity": ("Transfer-Encoding: chunked, identity\r\n", b"0\r\n\r\n"),
            "gzip": ("Transfer-Encoding: gzip\r\n", b""),
            "TE and CL": ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
            "bad Content-Length": ("Content-Length: 1x\r\n", b""),
            "two Authorization": ("Authorization: Bearer cc_other\r\nContent-Length: 2\r\n",
                                  b"{}"),
        }
        for name, (headers, body) in cases.items():
            with self.subTest(name):
                data, closed = self.smuggle(headers, body)
                self.assertTrue(closed, f"the connection stays open after {name}: {data!r}")
                self.assertEqual(data.count(b"HTTP/1.1 "), 1, f"more than one answer: {data!r}")
                parsed = split_http_response(data)
                self.assertIsNotNone(parsed, data)
                status, headers_in, rest = parsed
                self.assertEqual(status, 400, data)
                self.assertNotIn(b"smuggled", data)
                err = decode_json(rest)["error"]
                self.assertEqual(err["code"], "bad_request")
                self.assertEqual(err["request_id"], headers_in.get("request-id"))
        # A correct chunked body is still accepted, on a connection that stays usable.
        oid = uid("chunked")
        payload = json.dumps({"id": oid, "name": "chunked"}).encode()
        body = f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n"
        data, _ = self.smuggle("Transfer-Encoding: chunked\r\n", body)
        self.assertEqual(data.count(b"HTTP/1.1 "), 2, data)
        self.assertTrue(data.startswith(b"HTTP/1.1 201"), data)
        self.assertAlive()

    def test_a_query_that_is_not_percent_encoded_text_is_400(self):
        """A stray '%', an escape that decodes to something other than UTF-8, or a control
        character in a query is 400 invalid_field naming the parameter, not a filter that
        silently matches nothing; text in any script is fine."""
        for query in ("owner=%zz", "owner=%ff", "owner=%00", "owner=%"):
            with self.subTest(query):
                self.assertError(req("GET", "/resources?" + query), 400, "invalid_field",
                                 "owner")
        self.assertError(req("GET", "/resources?%zz=1"), 400, "invalid_field", "query")
        status, body, _ = req("GET", "/resources?owner=caf%C3%A9")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["items"], [])

    def test_every_answer_has_a_request_id(self):
        """Every answer carries a Request-Id header, a fresh one per request; an error's
        error.request_id is the same id."""
        answers = [
            SERVER.request_raw("GET", "/healthz", token=None),
            SERVER.request_raw("GET", "/metrics"),
            SERVER.request_raw("GET", API + "/organizations"),
            SERVER.request_raw("GET", API + "/organizations", token=None),
            SERVER.request_raw("GET", API + f"/organizations/{uid('absent')}"),
            SERVER.request_raw("POST", API + "/organizations", raw=b"{",
                               headers={"Content-Type": "application/json"}),
            SERVER.request_raw("HEAD", API + "/organizations"),
        ]
        ids = []
        for status, data, headers in answers:
            rid = headers.get("Request-Id")
            self.assertRegex(rid or "", r"^[0-9a-f]{16}$", f"HTTP {status}: {headers}")
            ids.append(rid)
            if status >= 400 and data:
                self.assertEqual(decode_json(data)["error"]["request_id"], rid)
        self.assertEqual(len(set(ids)), len(ids), "request ids repeat")

    def test_head_is_get_without_a_body(self):
        """HEAD answers as GET would, with its Content-Length, but without the body."""
        oid = new_org("head")
        for path in (f"{API}/organizations/{oid}", "/healthz", f"{API}/openapi.json",
                     f"{API}/organizations/{uid('absent')}"):
            with self.subTest(path):
                get_status, get_body, _ = SERVER.request_raw("GET", path)
                status, body, headers = SERVER.request_raw("HEAD", path)
                self.assertEqual(status, get_status)
                self.assertEqual(body, b"")
                self.assertEqual(int(headers["Content-Length"]), len(get_body))
        # On a kept-alive connection the next request is answered normally.
        conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10)
        try:
            auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            conn.request("HEAD", f"{API}/organizations/{oid}", headers=auth)
            first = conn.getresponse()
            first.read()
            conn.request("GET", f"{API}/organizations/{oid}", headers=auth)
            second = conn.getresponse()
            self.assertEqual(second.status, 200)
            self.assertEqual(json.loads(second.read())["id"], oid)
        finally:
            conn.close()

    def test_metrics_need_the_admin_token(self):
        """/metrics: 401 without or with a wrong token, 403 for an organization's token, 200 for
        the admin."""
        self.assertError(req("GET", "/metrics", token=None, root=True), 401, "unauthenticated")
        self.assertError(req("GET", "/metrics", token="wrong", root=True), 401, "unauthenticated")
        org_token = new_token(new_org("metrics"))
        self.assertError(req("GET", "/metrics", token=org_token, root=True), 403)
        status, data, _ = SERVER.request_raw("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"cocreate_", data)

    def test_metrics_listen_serves_metrics_without_a_token(self):
        """--metrics-listen HOST:PORT serves /metrics without a token (and /healthz), nothing
        else; the API address still asks for the admin token."""
        port = free_port()
        server = Server(extra_args=["--metrics-listen", f"127.0.0.1:{port}"])
        self.addCleanup(server.close)
        server.start()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            self.assertIn(b"cocreate_http_requests_total", resp.read())
            conn.request("GET", "/api/v1/organizations",
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 404)
            resp.read()
        finally:
            conn.close()
        self.assertEqual(server.request_raw("GET", "/metrics", token=None)[0], 401)

    def test_data_dir_and_files_are_private(self):
        """The data directory is created 0700; the database, its WAL and admin.token are 0600;
        the embedded store maps no -shm file."""
        server = Server(admin_token=None, store="")
        self.addCleanup(server.close)
        server.data_dir = os.path.join(server.data_dir, "fresh")  # created by cocreate
        server.start()
        server.admin_token = open(os.path.join(server.data_dir, "admin.token")).read().strip()
        new_org("modes", server=server)
        self.assertEqual(os.stat(server.data_dir).st_mode & 0o777, 0o700)
        for name in ("cocreate.db", "cocreate.db-wal", "admin.token"):
            with self.subTest(name):
                path = os.path.join(server.data_dir, name)
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, path)
        self.assertFalse(os.path.exists(os.path.join(server.data_dir, "cocreate.db-shm")),
                         "exclusive locking keeps the WAL index in memory")
        self.assertEqual(sorted(os.listdir(server.data_dir)),
                         ["admin.token", "cocreate.db", "cocreate.db-wal"])

    def test_short_admin_token_is_refused(self):
        """A COCREATE_ADMIN_TOKEN under 32 characters: serve exits non-zero and says why."""
        with tempfile.TemporaryDirectory(prefix="cocreate-short-") as tmp:
            env = dict(os.environ, COCREATE_ADMIN_TOKEN="x" * 31)
            out = subprocess.run([cocreate_bin(), "serve", "--data-dir", tmp,
                                  "--listen", f"127.0.0.1:{free_port()}"],
                                 env=env, capture_output=True, text=True, timeout=30,
                                 stdin=subprocess.DEVNULL)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("at least 32 characters", out.stderr)

    def test_a_second_process_on_a_live_store_is_refused(self):
        """While a server holds the embedded store, export and a second serve on its data dir
        exit non-zero, saying the store is in use; the server is unharmed."""
        server = Server(store="")
        self.addCleanup(server.close)
        server.start()
        oid = new_org("locked", server=server)
        for args in (["export", "--data-dir", server.data_dir],
                     ["serve", "--data-dir", server.data_dir,
                      "--listen", f"127.0.0.1:{free_port()}"]):
            with self.subTest(args[0]):
                env = dict(os.environ, COCREATE_ADMIN_TOKEN=ADMIN_TOKEN)
                out = subprocess.run([cocreate_bin(), *args], env=env, capture_output=True,
                                     text=True, timeout=30, stdin=subprocess.DEVNULL)
                self.assertNotEqual(out.returncode, 0)
                self.assertIn(f"the store in {server.data_dir} is in use by another cocreate "
                              "process", out.stderr)
        self.assertStatus(server.req("GET", f"/organizations/{oid}"), 200)

    def test_failing_writes_answer_503_and_the_server_stays_up(self):
        """When the disk refuses the embedded store's writes (here: a 1 MiB file size limit,
        SIGXFSZ ignored, so writes fail with EFBIG), writes answer 503 with a stable message;
        the process neither crashes nor stops serving reads."""
        import resource

        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

        server = Server(store="")
        self.addCleanup(server.close)
        server.start()
        first = new_org("full", server=server)
        server.stop()
        server.preexec_fn = limit_file_size  # the same data dir, restarted under the limit
        server.start()
        codes = []
        for n in range(2000):
            status, body, headers = server.req(
                "POST", "/organizations", {"id": uid("full"), "name": "x" * 2000})
            codes.append(status)
            if status != 201:
                break
        self.assertEqual(codes[-1], 503, f"no write failed in {len(codes)} writes")
        self.assertEqual(body["error"]["message"], "the store is unavailable; retry", body)
        self.assertEqual(body["error"]["request_id"], headers["Request-Id"])
        self.assertIsNone(server.proc.poll(), "the server died")
        self.assertAlive(server)
        self.assertStatus(server.req("GET", f"/organizations/{first}"), 200)

    def test_a_quiet_servers_request_lines_reach_the_log_within_a_second_or_so(self):
        """Request lines are written in batches; a quiet server still writes them out
        (at most 1 s later) without being stopped."""
        server = Server()
        self.addCleanup(server.close)
        server.start()
        status, _, headers = server.req("GET", "/organizations")
        self.assertEqual(status, 200)
        rid = headers["Request-Id"]
        deadline = time.monotonic() + 5
        while rid not in server.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn(rid, server.log_text(), "the request line was never written")
        self.assertIsNone(server.proc.poll())

    def test_one_json_log_line_per_request_without_tokens(self):
        """Each request is logged as one JSON line on stderr with its request id, method,
        route, status, duration and principal; no token is ever logged."""
        server = Server()
        self.addCleanup(server.close)
        server.start()
        org = new_org("logged", server=server)
        member = must(server.req("POST", "/tokens", {"organization": org}), 201, "token")["token"]
        status, body, headers = server.req("GET", f"/organizations/{uid('absent')}")
        self.assertEqual(status, 404)
        rid = headers["Request-Id"]
        self.assertEqual(body["error"]["request_id"], rid)
        status, body, headers = server.req("POST", "/organizations", raw=b"{",
                                           headers={"Content-Type": "application/json"},
                                           token=member)
        self.assertEqual(status, 400)
        bad_rid = headers["Request-Id"]
        self.assertEqual(body["error"]["request_id"], bad_rid)
        server.stop()
        text = server.log_text()
        self.assertNotIn(ADMIN_TOKEN, text)
        self.assertNotIn(member, text)
        lines = {line.get("request_id"): line for line in json_log_lines(text)}
        self.assertIn(rid, lines, text[-4000:])
        line = lines[rid]
        self.assertEqual(line["msg"], "request")
        self.assertEqual(line["method"], "GET")
        self.assertEqual(line["route"], "/api/v1/organizations/{id}")
        self.assertEqual(line["status"], 404)
        self.assertEqual(line["principal"], "admin")
        self.assertIsInstance(line["duration_ms"], (int, float))
        parse_utc(line["time"])
        self.assertEqual(lines[bad_rid]["principal"], org)
        self.assertEqual(lines[bad_rid]["role"], "member")
        self.assertEqual(lines[bad_rid]["status"], 400)


if __name__ == "__main__":
    unittest.main(verbosity=2)
