#!/usr/bin/env python3
"""The graph benchmark (see bench/graph). Output: a table, and with --json
{"nodes", "edges", "queries", "mismatches", "systems": {NAME: {"median_ms",
"p95_ms", "total_ms", "mean_reached", "load_s", "bytes_per_edge"}}}."""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build/release/cocreate")
BENCH = os.path.join(ROOT, "build/release/bench/graph_bench")
ADMIN = "bench-admin-token-0123456789abcdef"  # at least 32 characters
# With --fanout 32 the generator makes about 70 nodes and 10 edges per node
# for each organization: 1m is about 1 M nodes and 10 M edges.
SIZES = {"10k": 140, "100k": 1_400, "1m": 14_000}
FANOUT = 32


def summary(ms, reached, load_s, bytes_per_edge):
    ms_sorted = sorted(ms)
    return {"median_ms": statistics.median(ms), "p95_ms": ms_sorted[int(0.95 * len(ms)) - 1],
            "total_ms": sum(ms), "mean_reached": sum(reached) / len(reached),
            "load_s": load_s, "bytes_per_edge": bytes_per_edge}


def igraph_system(edges_path, starts):
    import igraph
    t = time.monotonic()
    with open(edges_path) as f:
        pairs = [tuple(map(int, line.split())) for line in f]
    n = 1 + max(max(u, v) for u, v in pairs) if pairs else 0
    n = max(n, 1 + max(s for s, _, _ in starts))
    g = igraph.Graph(n=n, edges=pairs, directed=True)
    load_s = time.monotonic() - t
    for s, _, _ in starts:  # untimed warm-up pass, as for the in-process systems
        g.subcomponent(s, mode="out")
    ms, reached = [], []
    for s, _, _ in starts:
        q = time.monotonic()
        r = g.subcomponent(s, mode="out")
        ms.append((time.monotonic() - q) * 1000)
        # subcomponent lists the start itself once; the others exclude it.
        reached.append(len(r) - 1)
    return summary(ms, reached, load_s, None), reached


def http_system(data_dir, starts):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = dict(os.environ, COCREATE_ADMIN_TOKEN=ADMIN)
    t = time.monotonic()
    proc = subprocess.Popen([BIN, "serve", "--data-dir", data_dir, "--listen",
                             f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL)
    try:
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                c.request("GET", "/healthz")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.05)
        load_s = time.monotonic() - t
        ms, reached = [], []
        for _, sid, _ in starts:
            q = time.monotonic()
            c.request("GET", "/api/v1/impact?from=" + urllib.parse.quote(sid),
                      headers={"Authorization": f"Bearer {ADMIN}"})
            body = json.loads(c.getresponse().read())
            ms.append((time.monotonic() - q) * 1000)
            reached.append(len(body["affected"]))
        return summary(ms, reached, load_s, None), reached
    finally:
        proc.terminate()
        proc.wait(60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=sorted(SIZES), default="100k")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--json")
    args = ap.parse_args()
    data_dir = os.path.join(ROOT, "build", f"bench-graph-{args.size}-f{FANOUT}")
    if not os.path.exists(os.path.join(data_dir, "cocreate.db")):
        subprocess.run([BIN, "generate", "--organizations", str(SIZES[args.size]), "--seed", "1",
                        "--fanout", str(FANOUT), "--data-dir", data_dir], check=True)
    edges, starts_path = data_dir + "/edges.txt", data_dir + "/starts.txt"
    out = subprocess.run([BENCH, "--data-dir", data_dir, "--queries", str(args.queries),
                          "--postgres", os.environ["COCREATE_TEST_POSTGRES"], "--edges-out", edges,
                          "--starts-out", starts_path], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    with open(starts_path) as f:
        starts = [(int(a), b, int(c)) for a, b, c in (line.split() for line in f)]
    expected = [c for _, _, c in starts]
    for name, run in (("igraph", lambda: igraph_system(edges, starts)),
                      ("cocreate_http", lambda: http_system(data_dir, starts))):
        summary_, reached = run()
        result["systems"][name] = summary_
        result["mismatches"] += sum(1 for a, b in zip(reached, expected) if a != b)
    limit = result["systems"]["csr_limit"]
    print(f"\nimpact from {result['queries']} random starts: {result['nodes']} nodes, "
          f"{result['edges']} edges, {result['mismatches']} mismatches")
    print(f"{'system':<16}{'median ms':>11}{'p95 ms':>10}{'total ms':>11}{'reached':>9}"
          f"{'load s':>9}{'p95/csr':>9}")
    for name, s in sorted(result["systems"].items(), key=lambda kv: kv[1]["total_ms"]):
        ratio = s["p95_ms"] / limit["p95_ms"] if limit["p95_ms"] else float("nan")
        print(f"{name:<16}{s['median_ms']:>11.3f}{s['p95_ms']:>10.3f}{s['total_ms']:>11.1f}"
              f"{s['mean_reached']:>9.1f}{s['load_s']:>9.2f}{ratio:>9.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 1 if result["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
