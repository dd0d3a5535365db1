#!/usr/bin/env python3
"""Measures `cocreate import --format backstage` on a generated catalog
(tests/functional/backstage_catalog.py, 9 entities per team): the first
import (everything created, through the rules) and the second (everything
unchanged), in entities/s, and the bytes of YAML and of stored events per
entity. Uses an embedded SQLite store in a temporary folder.

    python3 bench/import.py [--bin build/release/cocreate] [--teams 25]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "functional"))
import backstage_catalog  # noqa: E402

ADMIN = "bench-admin-token-0123456789abcdef"


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/release/cocreate"))
    ap.add_argument("--teams", type=int, default=25)
    args = ap.parse_args()
    env = dict(os.environ, COCREATE_ADMIN_TOKEN=ADMIN)
    with tempfile.TemporaryDirectory(prefix="cocreate-bench-import-") as tmp:
        catalog = os.path.join(tmp, "catalog")
        data = os.path.join(tmp, "data")
        entities = backstage_catalog.write(catalog, args.teams)
        for run in ("first (create)", "second (unchanged)"):
            started = time.monotonic()
            out = subprocess.run([args.bin, "import", "--data-dir", data, "--format", "backstage",
                                  catalog], capture_output=True, text=True, env=env)
            seconds = time.monotonic() - started
            if out.returncode != 0:
                sys.exit(f"import failed ({out.returncode}): {out.stdout}{out.stderr}")
            report = json.loads(out.stdout)
            counted = report["created"] + report["updated"] + report["unchanged"]
            print(f"{run:20s} {counted} entities (of them {entities} Backstage entities) in "
                  f"{seconds:.2f} s: {counted / seconds:.0f} entities/s "
                  f"(process included; importer alone: {out.stderr.strip()})")
        export = subprocess.run([args.bin, "export", "--data-dir", data], capture_output=True,
                                check=True, env=env).stdout
        print(f"YAML: {folder_bytes(catalog) / entities:.0f} bytes per entity; "
              f"events (export): {len(export) / entities:.0f} bytes per entity, "
              f"{len(export.splitlines())} events")


if __name__ == "__main__":
    main()
