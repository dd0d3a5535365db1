#!/usr/bin/env python3
"""Memory and start-up at scale (see bench/memory). For each size, generates
an ecosystem once (cached in build/bench-memory-ORGS), starts `cocreate serve`
on it, and reports how long /healthz took to answer, the server's resident
memory then, and bytes per object: first without a checkpoint (a full replay
of the log; its clean stop writes one), then from that checkpoint. Prints a
table; --json FILE writes {"sizes": {NAME: {"organizations", "objects",
"events", "generate_s", "generate_peak_rss_bytes", "start_s" (from the
checkpoint), "rss_bytes", "bytes_per_object", "replay_start_s",
"replay_rss_bytes", "stop_s" (the stop that writes the checkpoint),
"checkpoint_bytes"}}}."""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build/release/cocreate")
# About 74 objects per organization with --fanout 32 (the graph bench's shape).
SIZES = {"100k": 1400, "1m": 14000, "3m": 42000, "10m": 140000}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def generate(orgs):
    """Generates once; returns (dir, facts) with the generator's own figures."""
    data = os.path.join(ROOT, "build", f"bench-memory-{orgs}")
    facts_path = os.path.join(data, "facts.json")
    if os.path.exists(facts_path):
        with open(facts_path) as f:
            return data, json.load(f)
    subprocess.run(["rm", "-rf", data], check=True)
    t = time.time()
    out = subprocess.run(["/usr/bin/time", "-f", "peak_kb=%M", BIN, "generate",
                          "--organizations", str(orgs), "--seed", "1", "--fanout", "32",
                          "--data-dir", data], check=True, capture_output=True, text=True)
    text = out.stdout + out.stderr
    m = re.search(r"(\d+) objects, (\d+) commands, (\d+) events", text)
    peak = re.search(r"peak_kb=(\d+)", text)
    if not m:
        sys.exit("cocreate generate said: " + text)
    facts = {"organizations": orgs, "objects": int(m.group(1)), "events": int(m.group(3)),
             "generate_s": round(time.time() - t, 1),
             "generate_peak_rss_bytes": int(peak.group(1)) * 1024 if peak else None}
    with open(facts_path, "w") as f:
        json.dump(facts, f)
    return data, facts


def start(data):
    """Starts a server; returns (seconds to /healthz, RSS then, seconds its clean stop
    took)."""
    port = free_port()
    t = time.time()
    proc = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}",
                             "--log-level", "warn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(f"cocreate serve exited with {proc.returncode} on {data}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.05)
        took = time.time() - t
        rss = rss_bytes(proc.pid)
        stopping = time.time()
        proc.terminate()
        proc.wait()
        return took, rss, time.time() - stopping
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100k", help="comma-separated: " + ",".join(SIZES))
    ap.add_argument("--starts", type=int, default=2, help="starts per size (the best is kept)")
    ap.add_argument("--json")
    args = ap.parse_args()
    result = {"sizes": {}}
    print(f"{'size':>6} {'objects':>10} {'events':>10} {'replay_s':>9} {'ckpt_s':>7} "
          f"{'rss_MB':>8} {'bytes/object':>13} {'replay_MB':>10} {'ckpt_MB':>8} "
          f"{'stop_s':>7} {'gen_peak_MB':>12}")
    for name in args.sizes.split(","):
        if name not in SIZES:
            sys.exit(f"unknown size '{name}'; one of {', '.join(SIZES)}")
        data, facts = generate(SIZES[name])
        checkpoint = os.path.join(data, "checkpoint")
        replays = []
        for _ in range(args.starts):
            if os.path.exists(checkpoint):
                os.remove(checkpoint)
            replays.append(start(data))  # its stop writes the checkpoint
        runs = [start(data) for _ in range(args.starts)]
        replay_s, replay_rss, stop_s = min(replays)
        start_s, rss, _ = min(runs)
        row = dict(facts, start_s=round(start_s, 2), rss_bytes=rss,
                   bytes_per_object=round(rss / facts["objects"]),
                   replay_start_s=round(replay_s, 2), replay_rss_bytes=replay_rss,
                   stop_s=round(stop_s, 2), checkpoint_bytes=os.path.getsize(checkpoint))
        result["sizes"][name] = row
        peak = row["generate_peak_rss_bytes"]
        print(f"{name:>6} {row['objects']:>10} {row['events']:>10} {replay_s:>9.2f} "
              f"{start_s:>7.2f} {rss / 1e6:>8.0f} {row['bytes_per_object']:>13} "
              f"{replay_rss / 1e6:>10.0f} {row['checkpoint_bytes'] / 1e6:>8.0f} "
              f"{stop_s:>7.2f} {(peak or 0) / 1e6:>12.0f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
