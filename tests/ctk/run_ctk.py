#!/usr/bin/env python3
"""Runs TM Forum's official v4 conformance test kits (CTKs) against cocreate.

The kits are TM Forum's, unmodified, and not part of this repository: they are found in
COCREATE_CTK_DIR or, by default, in `shared/ctk` beside the repository (`../shared/ctk`, or
the same next to any folder above it). Their licence allows configuring a kit only through
its own `config.json`, so each kit is copied whole into a temporary folder and only that
copy's `config.json` is written: the server's URL and headers with a bearer token.

Each kit then runs as its README says: `node index.js` in its `ctk/` folder (with the
packages of tests/ctk/package.json, pinned by its lock), which writes the collection with
our headers (`pmtest.json`) and runs newman. TMF639's `index.js` first probes the API
without the configured headers, which a server that requires a token answers 401; for it,
as for any kit whose `index.js` ran no collection, the generated `pmtest.json` is run with
newman's CLI. The assertions are the kit's own either way; this script reads newman's
summary (the kits' `index.js` exits 0 even when assertions fail) and fails on any failed
assertion, printing the counts.

Usage: run_ctk.py [--bin build/debug/cocreate] [--json results.json]
Exit status: 0 all kits passed, 1 an assertion failed or a kit did not run, 3 kits absent.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ADMIN = "ctk-admin-" + "0123456789abcdef" * 3

# folder, API, the variable its collection reads the URL from, the base path, whose token
KITS = [
    ("CTK-TMF632-Party", "TMF632 Party", "Party", "/tmf-api/party/v4/", "admin"),
    ("CTK-TMF669-PartyRole", "TMF669 Party Role", "Party_Role",
     "/tmf-api/partyRoleManagement/v4/", "admin"),
    ("CTK-TMF639-ResourceInventory", "TMF639 Resource Inventory", "Resource_Inventory",
     "/tmf-api/resourceInventoryManagement/v4/", "member"),
]


def find_ctk_dir():
    env = os.environ.get("COCREATE_CTK_DIR")
    if env:
        return env if os.path.isdir(env) else None
    d = os.path.dirname(REPO)
    while True:
        candidate = os.path.join(d, "shared", "ctk")
        if os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, token=ADMIN):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": "application/json"})
    with urllib.request.urlopen(r, timeout=30) as resp:
        return json.loads(resp.read())


def start_server(binary, data_dir, log):
    port = free_port()
    env = dict(os.environ, COCREATE_ADMIN_TOKEN=ADMIN)
    proc = subprocess.Popen([binary, "serve", "--data-dir", data_dir, "--listen",
                             f"127.0.0.1:{port}"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"cocreate exited with {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("cocreate did not answer /healthz within 30 s")


def newman_cli():
    return [shutil.which("node") or "node",
            os.path.join(HERE, "node_modules", "newman", "bin", "newman.js")]


def run_kit(src, work, url, token, var, log):
    """Runs one kit in a copy under `work`; returns newman's summary (the parsed JSON)."""
    kit = os.path.join(work, os.path.basename(src))
    shutil.copytree(src, kit)
    with open(os.path.join(src, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    config["url"] = url
    config["headers"] = dict(config.get("headers", {}), Authorization=f"Bearer {token}")
    with open(os.path.join(kit, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    ctk = os.path.join(kit, "ctk")
    env = dict(os.environ, NODE_PATH=os.path.join(HERE, "node_modules"))
    results = os.path.join(kit, "jsonResults.json")
    subprocess.run(["node", "index.js"], cwd=ctk, env=env, stdout=log, stderr=subprocess.STDOUT,
                   stdin=subprocess.DEVNULL, timeout=600, check=False)
    if not os.path.exists(results):
        # index.js stopped before running the collection (TMF639's probe without the
        # token): run the collection it generated, with our headers, as it would have.
        pmtest = os.path.join(ctk, "pmtest.json")
        if not os.path.exists(pmtest):
            raise RuntimeError(f"{os.path.basename(src)}: index.js wrote no pmtest.json")
        subprocess.run(newman_cli() + ["run", pmtest, "--env-var", f"{var}={url}",
                                       "--reporters", "cli,json",
                                       "--reporter-json-export", results],
                       cwd=ctk, env=env, stdout=log, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=600, check=False)
    if not os.path.exists(results):
        raise RuntimeError(f"{os.path.basename(src)}: newman wrote no results")
    with open(results, encoding="utf-8") as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.environ.get("COCREATE_BIN",
                                                    os.path.join(REPO, "build/debug/cocreate")))
    ap.add_argument("--json", help="write the counts here as JSON")
    args = ap.parse_args()

    ctk_dir = find_ctk_dir()
    if ctk_dir is None:
        print("TM Forum CTKs: not found (set COCREATE_CTK_DIR to the folder holding "
              "CTK-TMF632-Party, CTK-TMF669-PartyRole and CTK-TMF639-ResourceInventory, or put "
              "them in ../shared/ctk beside the repository); the kits did NOT run.")
        return 3
    if not os.path.isdir(os.path.join(HERE, "node_modules", "newman")):
        print("tests/ctk/node_modules has no newman: run `npm ci` in tests/ctk "
              "(script/bootstrap --test does)")
        return 1

    work = tempfile.mkdtemp(prefix="cocreate-ctk-")
    log_path = os.path.join(work, "ctk.log")
    failed = False
    counts = {}
    with open(log_path, "wb") as log:
        data = os.path.join(work, "data")
        os.mkdir(data)
        proc, port = start_server(args.bin, data, log)
        try:
            org = call(port, "POST", "/api/v1/organizations", {"name": "CTK resource owner"})
            member = call(port, "POST", "/api/v1/tokens",
                          {"organization": org["id"], "role": "member"})["token"]
            for folder, api, var, base, who in KITS:
                src = os.path.join(ctk_dir, folder)
                if not os.path.isdir(src):
                    print(f"{api}: kit folder {src} is missing")
                    failed = True
                    continue
                url = f"http://127.0.0.1:{port}{base}"
                token = ADMIN if who == "admin" else member
                try:
                    summary = run_kit(src, work, url, token, var, log)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    print(f"{api}: did not run: {e}")
                    failed = True
                    continue
                run = summary.get("run", {})
                stats = run.get("stats", {})
                assertions = stats.get("assertions", {})
                requests = stats.get("requests", {})
                total, bad = assertions.get("total", 0), assertions.get("failed", 0)
                counts[api] = {"requests": requests.get("total", 0), "assertions": total,
                               "failed": bad}
                verdict = "PASS" if total > 0 and bad == 0 and not run.get("failures") else "FAIL"
                print(f"{api}: {verdict}: {total} assertions, {bad} failed, "
                      f"{requests.get('total', 0)} requests")
                for failure in run.get("failures", [])[:20]:
                    err = failure.get("error", {})
                    print(f"    {failure.get('source', {}).get('name', '?')}: "
                          f"{err.get('test', '')} {err.get('message', '')}")
                if verdict == "FAIL":
                    failed = True
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(counts, f, indent=2)
    if failed:
        print(f"the kits' output and the server log: {log_path}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    total = sum(c["assertions"] for c in counts.values())
    print(f"TM Forum CTKs: all {len(counts)} kits passed, {total} assertions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
