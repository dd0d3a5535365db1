#!/usr/bin/env python3
"""Functional tests of checkpoints (docs/scaling.md) against the real binary: a start from a
checkpoint answers every GET route exactly as a full replay of the log does, after a clean
stop, after kill -9 with writes past the checkpoint, and when the checkpoint is corrupt or
missing.

    COCREATE_BIN=build/debug/cocreate python3 tests/functional/checkpoint_test.py -v

COCREATE_TEST_STORE=postgresql runs the same against the cluster of script/with-postgres.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_test import Server, cocreate_bin  # noqa: E402

# Routes whose answers change with time or traffic, not with the state: left out
# (a webhook's deliveries record the sender's attempts, which go on in the background).
VOLATILE = re.compile(r"^/api/v1/(metrics|stats|events/stream|openapi\.json)|/stream$|/deliveries$")
IDS_PER_ROUTE = 12


def get(server, path, token=None):
    kwargs = {} if token is None else {"token": token}
    status, body, headers = server.request_raw("GET", path, **kwargs)
    # An error names its request, which differs on every call.
    return status, re.sub(r'"request_id":"[0-9a-f]+"', '"request_id":""',
                          body.decode("utf-8", "replace"))


def routes(server):
    """The GET path templates of the server's own OpenAPI description."""
    status, text = get(server, "/api/v1/openapi.json", token=None)
    assert status == 200, status
    spec = json.loads(text)
    out = []
    for path, ops in sorted(spec["paths"].items()):
        full = path if path.startswith("/api/") else "/api/v1" + path
        if "get" in ops and not VOLATILE.search(full):
            out.append(full)
    return out


# Routes that take their subject in the query: the collection its ids come from.
QUERIED = {"/api/v1/impact": ("resources", "?explain=true&from="),
           "/api/v1/chains": ("organizations", "?to=org-nimbus&from=")}


def listed_ids(body):
    try:
        value = json.loads(body)
    except ValueError:
        return []
    items = value.get("items", []) if isinstance(value, dict) else []
    return [item["id"] for item in items if isinstance(item, dict) and "id" in item]


def crawl(server, templates, tokens):
    """{(token name, path): (status, body)} for every GET route: those without parameters
    once, those with an id for a fixed sample of the ids listed by the collection it names
    (/relationships/{id}/... takes relationship ids; /proposals/{id} the ids that lists of
    proposals answered)."""
    answers = {}
    pools = {}  # collection name -> ids its lists answered

    def fetch(path):
        for name, token in tokens.items():
            status, body = get(server, path, token)
            answers[(name, path)] = (status, body)
            if status == 200:
                last = path.split("?")[0].rstrip("/").split("/")[-1]
                pools.setdefault(last, set()).update(listed_ids(body))

    def sample(collection, salt):
        ids = sorted(pools.get(collection, ()))
        step = max(1, len(ids) // IDS_PER_ROUTE)
        return ids[zlib.crc32(salt.encode()) % step::step][:IDS_PER_ROUTE]

    todo = []
    for template in templates:
        if template in QUERIED:
            continue
        if "{" not in template:
            fetch(template)
        else:
            todo.append(template)
    # Lists of sub-records first (their ids feed /proposals/{id} and the like).
    for _ in range(3):
        later = []
        for template in todo:
            collection = template.split("/")[3]
            if collection not in pools:
                later.append(template)
                continue
            for ident in sample(collection, template):
                fetch(re.sub(r"\{[^}]+\}", ident, template))
        todo = later
    for template, (collection, query) in QUERIED.items():
        if template in templates:
            for ident in sample(collection, template):
                fetch(template + query + ident)
    answers[("-", "unreached")] = (0, " ".join(todo))
    return answers


class CheckpointTest(unittest.TestCase):
    def setUp(self):
        cocreate_bin()
        # The demo ecosystem writes a few hundred events: with --checkpoint-every 100 the
        # server also writes checkpoints in the background while it loads.
        self.server = Server(extra_args=["--demo", "--checkpoint-every", "100"])
        self.addCleanup(self.server.close)
        self.server.start()
        self.checkpoint = os.path.join(self.server.data_dir, "checkpoint")
        # What the state keeps beside the demo: a member token and a webhook.
        status, body = self.server.request_raw(
            "POST", "/api/v1/tokens", body={"organization": "org-harbor-it", "role": "member"})[:2]
        self.assertEqual(status, 201, body)
        self.member = json.loads(body)["token"]
        status, body = self.server.request_raw(
            "POST", "/api/v1/webhooks",
            body={"id": "wh-ckpt", "url": "https://example.test:8443/hook", "events": ["*"],
                  "secret": "s3cret"})[:2]
        self.assertIn(status, (201, 422), body)  # 422 unsafe_target where DNS resolves nothing
        self.templates = routes(self.server)
        self.assertGreater(len(self.templates), 40)

    def tokens(self):
        return {"admin": self.server.admin_token, "member": self.member}

    def assert_same(self, want, label):
        got = crawl(self.server, self.templates, self.tokens())
        self.assertEqual(sorted(got), sorted(want), label + ": the same routes")
        differ = [key for key in want if got[key] != want[key]]
        for key in differ[:3]:
            print(label, key, "\n  want", want[key][0], want[key][1][:300],
                  "\n  got ", got[key][0], got[key][1][:300], file=sys.stderr)
        self.assertEqual(differ[:5], [], f"{label}: {len(differ)} of {len(want)} answers differ")

    def test_every_route_answers_the_same_from_a_checkpoint_as_from_a_replay(self):
        want = crawl(self.server, self.templates, self.tokens())
        ok = [key for key, (status, _) in want.items() if status == 200]
        self.assertGreater(len(ok), 250, "the crawl reaches most of the ecosystem")
        self.assertEqual(want[("-", "unreached")], (0, ""), "every route with an id is crawled")

        # A clean stop writes a checkpoint; the next start loads it.
        self.server.restart()
        self.assertIn("checkpoint written", self.server.log_text(-2))
        self.assertIn("checkpoint loaded", self.server.log_text())
        self.assert_same(want, "from the stop's checkpoint")

        # Writes past the checkpoint, then kill -9: the start loads the checkpoint and
        # replays the tail.
        status, body = self.server.request_raw(
            "POST", "/api/v1/organizations", body={"id": "after-ckpt", "name": "Late"})[:2]
        self.assertEqual(status, 201, body)
        want = crawl(self.server, self.templates, self.tokens())
        self.server.kill9()
        self.server.start()
        self.assertIn("checkpoint loaded", self.server.log_text())
        self.assert_same(want, "from a checkpoint plus the tail after kill -9")

        # A corrupt checkpoint is named in the log and not used: a full replay.
        self.server.stop()
        with open(self.checkpoint, "r+b") as f:
            f.seek(os.path.getsize(self.checkpoint) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
        self.server.start()
        log = self.server.log_text()
        self.assertIn("checkpoint not used", log)
        self.assertIn("checksum mismatch", log)
        self.assertNotIn("checkpoint loaded", log)
        self.assert_same(want, "after a corrupt checkpoint")

        # No checkpoint at all: a full replay, and the stop writes one again.
        self.server.stop()
        os.remove(self.checkpoint)
        self.server.start()
        self.assertNotIn("checkpoint loaded", self.server.log_text())
        self.assert_same(want, "without a checkpoint")
        self.server.stop()
        self.assertTrue(os.path.exists(self.checkpoint))

    def test_metrics_count_the_checkpoints_and_the_pauses_they_cost_writes(self):
        """/metrics counts checkpoints written and the time writes waited while each was
        encoded (the demo's load crosses --checkpoint-every 100 several times)."""
        def samples():
            status, body = self.server.request_raw("GET", "/metrics")[:2]
            self.assertEqual(status, 200)
            return {line.split(" ")[0]: float(line.split(" ")[1])
                    for line in body.decode().splitlines() if line.startswith("cocreate_")}
        deadline = time.time() + 10  # the committer looks once a second
        m = samples()
        while m["cocreate_checkpoints_written_total"] < 1 and time.time() < deadline:
            time.sleep(0.2)
            m = samples()
        self.assertGreaterEqual(m["cocreate_checkpoints_written_total"], 1, m)
        self.assertEqual(m["cocreate_checkpoint_failures_total"], 0, m)
        self.assertGreater(m["cocreate_checkpoint_last_pause_seconds"], 0, m)
        self.assertGreaterEqual(m["cocreate_checkpoint_pause_seconds_total"],
                                m["cocreate_checkpoint_last_pause_seconds"], m)

    def test_a_token_works_and_its_revocation_holds_across_checkpoint_starts(self):
        self.server.restart()
        self.assertIn("checkpoint loaded", self.server.log_text())
        status, _ = get(self.server, "/api/v1/organizations/org-harbor-it", self.member)
        self.assertEqual(status, 200)
        # Revoking after the checkpoint start: 401 at once, and after the next start too.
        status, body = self.server.request_raw("GET", "/api/v1/tokens")[:2]
        token_id = json.loads(body)["items"][0]["id"]
        status = self.server.request_raw("DELETE", f"/api/v1/tokens/{token_id}")[0]
        self.assertEqual(status, 204)
        self.assertEqual(get(self.server, "/api/v1/organizations/org-harbor-it", self.member)[0], 401)
        self.server.kill9()
        self.server.start()
        self.assertEqual(get(self.server, "/api/v1/organizations/org-harbor-it", self.member)[0], 401)


class StartTest(unittest.TestCase):
    """The start-up around checkpoints: a FIFO in the checkpoint's place, and the heap on huge
    pages: jemalloc's own setting, or glibc's through one re-run (docs/operations.md)."""

    def test_a_fifo_in_the_checkpoints_place_does_not_hold_up_the_start(self):
        server = Server(extra_args=["--demo"])
        self.addCleanup(server.close)
        server.start()
        server.stop()
        path = os.path.join(server.data_dir, "checkpoint")
        os.remove(path)
        os.mkfifo(path)
        server.start()
        self.assertIn("not a regular file", server.log_text())
        self.assertEqual(get(server, "/api/v1/organizations/org-nimbus",
                             server.admin_token)[0], 200)

    def run_version(self, env_extra, argv0=None, timeout=10):
        env = dict(os.environ)
        for name in ("GLIBC_TUNABLES", "MALLOC_CONF", "COCREATE_MALLOC_HUGEPAGES"):
            env.pop(name, None)
        env.update(env_extra)
        out = subprocess.run([argv0 or cocreate_bin(), "--version"], env=env, timeout=timeout,
                             capture_output=True, text=True)
        return out.returncode, out.stdout

    def environ(self, server):
        with open(f"/proc/{server.proc.pid}/environ", "rb") as f:
            return f.read().split(b"\0")

    def test_the_server_runs_once_more_for_huge_pages_and_keeps_its_name(self):
        rc, version = self.run_version({})
        self.assertEqual(rc, 0)
        allocator = re.search(r"^allocator: (\w+)$", version, re.M).group(1)
        self.assertIn(allocator, ("glibc", "jemalloc"))
        server = Server()
        self.addCleanup(server.close)
        server.start()
        environ = self.environ(server)
        if allocator == "glibc":
            # glibc's heap goes on huge pages only with the tunable set at start.
            self.assertIn(b"GLIBC_TUNABLES=glibc.malloc.hugetlb=1", environ)
        else:
            # jemalloc asks for them itself (malloc_conf): no second run.
            self.assertFalse([v for v in environ if v.startswith(b"COCREATE_MALLOC_HUGEPAGES_SET")])
        with open(f"/proc/{server.proc.pid}/comm") as f:
            self.assertEqual(f.read().strip(), os.path.basename(cocreate_bin())[:15])
        # Opting out runs jemalloc once more with huge pages off.
        out = Server(extra_env={"COCREATE_MALLOC_HUGEPAGES": "0"})
        self.addCleanup(out.close)
        out.start()
        environ = self.environ(out)
        if allocator == "jemalloc":
            self.assertIn(b"MALLOC_CONF=thp:never,metadata_thp:disabled", environ)
        else:
            self.assertFalse([v for v in environ if v.startswith(b"GLIBC_TUNABLES")])
        if allocator == "jemalloc":
            # Another option whose name contains "thp" is not the thp option; and a second
            # run through a symlink keeps the symlink's name.
            with tempfile.TemporaryDirectory() as tmp:
                link = os.path.join(tmp, "ccsvc")
                os.symlink(os.path.abspath(cocreate_bin()), link)
                proc = subprocess.Popen([link, "serve", "--data-dir", tmp, "--listen",
                                         "127.0.0.1:0"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL,
                                        env=dict(os.environ, COCREATE_ADMIN_TOKEN="x" * 40,
                                                 COCREATE_MALLOC_HUGEPAGES="0",
                                                 MALLOC_CONF="metadata_thp:auto"))
                try:
                    environ = b""
                    for _ in range(100):  # until the second run has replaced the first
                        with open(f"/proc/{proc.pid}/environ", "rb") as f:
                            environ = f.read()
                        if b"COCREATE_MALLOC_HUGEPAGES_SET" in environ:
                            break
                        time.sleep(0.05)
                    self.assertIn(b"MALLOC_CONF=metadata_thp:auto,thp:never,metadata_thp:disabled",
                                  environ.split(b"\0"))
                    with open(f"/proc/{proc.pid}/comm") as f:
                        self.assertEqual(f.read().strip(), "ccsvc")
                finally:
                    proc.terminate()
                    proc.wait(20)
        # Opting out, or a setting already made: the version all the same.
        for extra in ({"COCREATE_MALLOC_HUGEPAGES": "0"},
                      {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"},
                      {"GLIBC_TUNABLES": "glibc.malloc.check=0"},
                      {"MALLOC_CONF": "thp:never", "COCREATE_MALLOC_HUGEPAGES": "0"},
                      {"MALLOC_CONF": "narenas:2", "COCREATE_MALLOC_HUGEPAGES": "0"}):
            rc, out = self.run_version(extra)
            self.assertEqual(rc, 0, extra)
            self.assertIn("cocreate", out)

    def test_a_privileged_binary_does_not_run_itself_forever(self):
        setcap = shutil.which("setcap")
        setpriv = shutil.which("setpriv")
        if os.geteuid() != 0 or not setcap or not setpriv:
            self.skipTest("needs root, setcap and setpriv")
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o755)
            copy = os.path.join(tmp, "cocreate")
            shutil.copy(cocreate_bin(), copy)
            os.chmod(copy, 0o755)
            if subprocess.run([setcap, "cap_net_bind_service=+ep", copy]).returncode != 0:
                self.skipTest("setcap failed (filesystem without extended attributes)")
            out = subprocess.run([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                  copy, "--version"], capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("cocreate", out.stdout)


if __name__ == "__main__":
    unittest.main()
