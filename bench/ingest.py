#!/usr/bin/env python3
"""Runs the ingest benchmark (see bench/ingest). Prints a table; --json FILE
writes {"connections", "seconds", "repeat", "systems": {NAME: {"provisions_per_s",
"p50_ms", "p99_ms", "errors", "cpu_us_per_provision", "runs", "reads_alone",
"reads_under_writes"}}, "raw": {...},
"ratios": {...}}; reads_* (sqlite and postgresql_1) are {"reads_per_s", "p50_ms",
"p99_ms", "errors"} of GET /relationships/{id} on 4 more connections, alone and
beside the same write load (with that run's "provisions_per_s"). NAME is
sqlite, postgresql_1, postgresql_2, or http_limit: the same load against
bench/http_limit.cc, which parses and answers but stores nothing.
provisions_per_s counts only 2xx answers. http_limit is measured before the
first system and after each (the machine's speed drifts over minutes), and
a system's ratio to it (ratios.*_vs_http_limit) is to the mean of the limit
runs just before and after it ("http_limit_beside"). With --repeat N the
sequence runs N times: provisions_per_s and the ratios are medians over the
rounds, "runs" lists every round's rate, and the other figures are those of
the median round (reads: the first round's).
cpu_us_per_provision: microseconds of CPU per provision during the write run,
by the server's threads (http, committer, syncer, other: /proc/PID/task), by
every PostgreSQL process of the machine (postgresql), and their total. On a
noisy machine these vary less than the rates, and show where a change saved
or cost."""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# COCREATE_BIN: another build of cocreate to measure (e.g. an older commit's).
BIN = os.environ.get("COCREATE_BIN", os.path.join(ROOT, "build/release/cocreate"))
RAW = os.path.join(ROOT, "build/release/bench/ingest_raw")
HTTP_LIMIT = os.path.join(ROOT, "build/release/bench/http_limit")
ADMIN = "bench-admin-token-0123456789abcdef"  # at least 32 characters
PG = os.environ["COCREATE_TEST_POSTGRES"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fresh_db(name):
    subprocess.run(["psql", PG, "-q", "-c", f"DROP DATABASE IF EXISTS {name}"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["psql", PG, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                   stdout=subprocess.DEVNULL)
    return PG[:PG.rfind("/") + 1] + name


def settle():
    """Lets the previous run's writes reach the disk (PostgreSQL's checkpoint,
    the page cache) before the next is measured, so no run pays for another."""
    subprocess.run(["psql", PG, "-q", "-c", "CHECKPOINT"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.sync()
    time.sleep(1)


def wait_until_up(port, what):
    """Polls /healthz for up to 10 s."""
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


def call(port, method, path, body=None, token=ADMIN):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def checkpoint_pause_s(ports):
    """Seconds writes have waited for checkpoint encodings, summed over the
    instances (/metrics: cocreate_checkpoint_pause_seconds_total)."""
    total = 0.0
    for port in ports:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Authorization": f"Bearer {ADMIN}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("cocreate_checkpoint_pause_seconds_total "):
                    total += float(line.split()[1])
    return total


class Instance:
    def __init__(self, data_dir, store=None, demo=True):
        self.port = free_port()
        args = [BIN, "serve", "--data-dir", data_dir, "--listen", f"127.0.0.1:{self.port}"]
        if store:
            args += ["--store", store]
        if demo:
            args.append("--demo")
        env = dict(os.environ, COCREATE_ADMIN_TOKEN=ADMIN)
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until_up(self.port, "cocreate")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


class HttpLimit:
    """bench/http_limit.cc on a free port: the same HTTP and JSON work per
    request as cocreate at least does, without rules or storage."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([HTTP_LIMIT, "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(self.port, "http_limit")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


def lua_script(token, directory):
    path = os.path.join(directory, "provision.lua")
    body = json.dumps({"relationship": "rel-swiftparcel-logistics", "action": "collect-parcels",
                       "value": {"outcomes": ["parcels collected"],
                                 "costs": [{"amount": 3.4, "currency": "EUR",
                                            "kind": "introduced"}]}})
    with open(path, "w") as f:
        f.write('wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.headers["Authorization"] = "Bearer {token}"\n'
                f"wrk.body = {json.dumps(body)}\n")
    return path


def read_script(token, directory):
    """GET /relationships/{id} as the provider's member: a read of the
    relationship every provision of the load changes."""
    path = os.path.join(directory, "read.lua")
    with open(path, "w") as f:
        f.write('wrk.method = "GET"\n'
                f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    return path


READ_PATH = "/api/v1/relationships/rel-swiftparcel-logistics"


def start_reads(port, script, seconds, connections=4):
    return subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                             "-s", script, f"http://127.0.0.1:{port}{READ_PATH}"],
                            stdout=subprocess.PIPE, text=True)


def read_result(proc):
    out = proc.communicate()[0]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"reads_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))),
            "p50_ms": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
            "p99_ms": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
            "errors": int(m.group(1)) if m else 0}


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The server's threads by name; the main thread (named as the process)
# accepts the connections and counts as HTTP, as does every thread of
# http_limit. The rest of a process's
# CPU, threads named otherwise or gone (a graph fold, a checkpoint write)
# and the checkpoint writers' child processes once they ended, counts as "other": an older build, whose threads have no names, shows all
# but its main thread there.
THREAD_GROUPS = {"cc-http": "http", "cc-commit": "committer", "cc-sync": "syncer",
                 "http_limit": "http"}


def stat_ticks(path, children=False):
    """(name, user + system clock ticks) of one /proc/.../stat, or None when it
    is gone; with `children`, also those of the children it has reaped."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()  # from field 3, state
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return name, ticks


def cpu_ticks(pids):
    """CPU used so far, in clock ticks, by thread group of the processes
    `pids`, and by every PostgreSQL process (with the ones that ended, through
    their parent) as "postgresql"."""
    out = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # gone
        named = 0
        for tid in tids:
            got = stat_ticks(f"/proc/{pid}/task/{tid}/stat")
            if got is None:
                continue
            group = "http" if tid == str(pid) else THREAD_GROUPS.get(got[0])
            if group:
                out[group] = out.get(group, 0) + got[1]
                named += got[1]
        # Read last, so that it holds at least what the threads were seen with;
        # with the children it reaped (the processes that write checkpoints).
        total = stat_ticks(f"/proc/{pid}/stat", children=True)
        if total is not None:
            out["other"] = out.get("other", 0) + max(total[1] - named, 0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        got = stat_ticks(f"/proc/{pid}/stat", children=True)
        if got and got[0] == "postgres":
            out["postgresql"] = out.get("postgresql", 0) + got[1]
    return out


def cpu_per_provision(before, after, provisions):
    """Microseconds of CPU per provision, by group, and their total."""
    ticks = {g: after.get(g, 0) - before.get(g, 0) for g in sorted(after)}
    us = {g: round(t * 1e6 / CLOCK_TICKS / provisions, 1) for g, t in ticks.items() if t > 0}
    us["total"] = round(sum(t for t in ticks.values() if t > 0) * 1e6 / CLOCK_TICKS /
                        provisions, 1)
    return us


def wrk(ports, script, connections, seconds, pids=()):
    """Runs one wrk per port at once, splitting the connections; sums their
    rates. With `pids`: also the CPU per provision of those processes'
    threads (cpu_us_per_provision)."""
    before = cpu_ticks(pids)
    share = connections // len(ports)
    procs = [subprocess.Popen(["wrk", "-t2", f"-c{share}", f"-d{seconds}s", "--latency", "-s",
                               script, f"http://127.0.0.1:{p}/api/v1/provisions"],
                              stdout=subprocess.PIPE, text=True) for p in ports]
    rate, errors, answered, p50, p99 = 0.0, 0, 0, [], []
    for proc in procs:
        out = proc.communicate()[0]
        done = int(re.search(r"(\d+) requests in", out).group(1))
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        failed = int(m.group(1)) if m else 0
        # Only what was answered 2xx counts: a refusal is fast and stores
        # nothing.
        total = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        rate += total * (done - failed) / done if done else 0.0
        answered += done
        errors += failed
        p50.append(to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)))
        p99.append(to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)))
    result = {"provisions_per_s": round(rate), "p50_ms": max(p50), "p99_ms": max(p99),
              "errors": errors}
    if pids and answered > errors:
        result["cpu_us_per_provision"] = cpu_per_provision(before, cpu_ticks(pids),
                                                           answered - errors)
    return result


def limit_run(script, connections, seconds):
    """One wrk run against http_limit (a member's token, which it does not
    check): the same script, connections and duration as a system's."""
    limit = HttpLimit()
    settle()
    try:
        return wrk([limit.port], script, connections, seconds, [limit.proc.pid])
    finally:
        limit.stop()


def system_run(name, store, count, tmp, args, with_reads):
    """One write run of `name` on fresh data; with `with_reads`, also the
    reads alone and beside the same write load."""
    instances = [Instance(os.path.join(tmp, f"{name}-{i}"), store, demo=(i == 0))
                 for i in range(count)]
    try:
        token = call(instances[0].port, "POST", "/tokens",
                     {"organization": "org-swiftparcel"})["token"]
        if count > 1:
            time.sleep(0.5)  # the second instance tails the demo and the token
        script = lua_script(token, tmp)
        settle()
        paused = checkpoint_pause_s([i.port for i in instances])
        result = wrk([i.port for i in instances], script, args.connections, args.seconds,
                     [i.proc.pid for i in instances])
        # A checkpoint during the run holds the writes while the state is
        # encoded: it shows in p99 (docs/scaling.md).
        result["checkpoint_pause_ms"] = round(
            (checkpoint_pause_s([i.port for i in instances]) - paused) * 1000, 1)
        if with_reads:
            # Reads beside the same write load: what a reader waits for
            # while rounds commit (and alone, for comparison).
            reads = read_script(token, tmp)
            settle()
            proc = start_reads(instances[0].port, reads, args.seconds)
            under = wrk([instances[0].port], script, args.connections, args.seconds)
            result["reads_under_writes"] = read_result(proc)
            result["reads_under_writes"]["provisions_per_s"] = under["provisions_per_s"]
            proc = start_reads(instances[0].port, reads, args.seconds)
            result["reads_alone"] = read_result(proc)
        return result
    finally:
        for i in instances:
            i.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of the whole sequence; rates and ratios are their medians")
    ap.add_argument("--json")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cocreate-ingest-")
    raw = {}

    raw["sqlite"] = json.loads(subprocess.run(
        [RAW, "--sqlite", os.path.join(tmp, "raw.db")], capture_output=True, text=True,
        check=True).stdout)
    raw["postgresql"] = json.loads(subprocess.run(
        [RAW, "--postgres", fresh_db("cc_bench_raw")], capture_output=True, text=True,
        check=True).stdout)

    # http_limit runs beside each system, before and after it, and each
    # system's ratio is to the mean of those two: this VM's speed drifts by
    # tens of percent over minutes, so a limit measured a minute away
    # compares different machines. A limit run serves the systems on both
    # sides of it: limit, sqlite, limit, postgresql_1, limit, postgresql_2.
    limit_script = lua_script("cc_" + "0" * 48, tmp)
    systems = (("sqlite", None, 1), ("postgresql_1", "cc_bench_one", 1),
               ("postgresql_2", "cc_bench_two", 2))
    rounds = []
    for r in range(args.repeat):
        runs = {"http_limit": [limit_run(limit_script, args.connections, args.seconds)]}
        here = os.path.join(tmp, f"round-{r}")  # fresh data every round
        os.makedirs(here)
        for name, db, count in systems:
            store = fresh_db(db) if db else None
            runs[name] = system_run(name, store, count, here, args,
                                    with_reads=(r == 0 and count == 1))
            runs["http_limit"].append(limit_run(limit_script, args.connections,
                                                args.seconds))
        rounds.append(runs)

    def beside(r, i):
        """The mean http_limit rate before and after the i-th system of round r."""
        lim = rounds[r]["http_limit"]
        return (lim[i]["provisions_per_s"] + lim[i + 1]["provisions_per_s"]) / 2

    # Each system's figures are those of its median round (by rate); its
    # rates in every round are kept under "runs".
    results = {}
    for i, (name, _, _) in enumerate(systems):
        ordered = sorted(range(args.repeat),
                         key=lambda r: rounds[r][name]["provisions_per_s"])
        pick = ordered[(args.repeat - 1) // 2]
        results[name] = dict(rounds[pick][name])
        results[name]["provisions_per_s"] = round(
            statistics.median([rd[name]["provisions_per_s"] for rd in rounds]))
        results[name]["runs"] = [rd[name]["provisions_per_s"] for rd in rounds]
        results[name]["http_limit_beside"] = [round(beside(r, i)) for r in range(args.repeat)]
        if "reads_alone" not in results[name] and "reads_alone" in rounds[0][name]:
            for key in ("reads_alone", "reads_under_writes"):
                results[name][key] = rounds[0][name][key]
    limits = [x for rd in rounds for x in rd["http_limit"]]
    results["http_limit"] = dict(sorted(limits, key=lambda x: x["provisions_per_s"])[
        (len(limits) - 1) // 2])
    results["http_limit"]["provisions_per_s"] = round(
        statistics.median([x["provisions_per_s"] for x in limits]))
    results["http_limit"]["runs"] = [x["provisions_per_s"] for x in limits]

    def vs_limit(name):
        i = [s[0] for s in systems].index(name)
        return round(statistics.median([rounds[r][name]["provisions_per_s"] / beside(r, i)
                                        for r in range(args.repeat)]), 3)

    ratios = {
        "sqlite_vs_raw_batched": round(results["sqlite"]["provisions_per_s"] /
                                       raw["sqlite"]["batched_rows_per_s"], 3),
        "postgresql_1_vs_raw_batched": round(results["postgresql_1"]["provisions_per_s"] /
                                             raw["postgresql"]["batched_rows_per_s"], 3),
        "postgresql_2_vs_1": round(results["postgresql_2"]["provisions_per_s"] /
                                   results["postgresql_1"]["provisions_per_s"], 3),
        "sqlite_vs_http_limit": vs_limit("sqlite"),
        "postgresql_1_vs_http_limit": vs_limit("postgresql_1"),
    }
    print(f"\ningest over HTTP: {args.connections} connections, {args.seconds} s each, "
          "durable POST /provisions (http_limit: parsed and answered, not stored); "
          f"{args.repeat} round(s), medians")
    print(f"{'system':<16}{'prov/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
          "  every round; http_limit beside")
    for name, r in results.items():
        print(f"{name:<16}{r['provisions_per_s']:>10}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}"
              f"{r['errors']:>8}  {r['runs']}" +
              (f"; {r['http_limit_beside']}" if "http_limit_beside" in r else ""))
    print("checkpoint pauses during the run (ms, writes held for checkpoints): " +
          ", ".join(f"{name} {r['checkpoint_pause_ms']}" for name, r in results.items()
                    if "checkpoint_pause_ms" in r))
    print("\nCPU per provision (us; server threads by name, every PostgreSQL process):")
    for name, r in results.items():
        cpu = r.get("cpu_us_per_provision", {})
        print(f"{name:<16}" + ", ".join(f"{g} {v}" for g, v in cpu.items()))
    print(f"\nreads (GET {READ_PATH}, 4 connections), alone and beside the write load:")
    print(f"{'system':<16}{'reads/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
          f"{'  writes/s beside':>18}")
    for name, r in results.items():
        for label in ("reads_alone", "reads_under_writes"):
            if label in r:
                x = r[label]
                print(f"{name + (' alone' if label == 'reads_alone' else ' +writes'):<16}"
                      f"{x['reads_per_s']:>10}{x['p50_ms']:>10.2f}{x['p99_ms']:>10.2f}"
                      f"{x['errors']:>8}{x.get('provisions_per_s', ''):>18}")
    print(f"\nraw limit (bare program, durable commits):")
    for name, r in raw.items():
        print(f"{name:<16}{r['batched_rows_per_s']:>10.0f} rows/s in batches of {r['batch']}, "
              f"{r['single_rows_per_s']:.0f} rows/s one per commit")
    print("\nratios: " + ", ".join(f"{k} {v}" for k, v in ratios.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"connections": args.connections, "seconds": args.seconds,
                       "repeat": args.repeat,
                       "systems": results, "raw": raw, "ratios": ratios}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
