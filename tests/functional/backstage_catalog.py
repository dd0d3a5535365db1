#!/usr/bin/env python3
"""Writes a synthetic Backstage catalog: TEAMS folders, each with one
catalog-info.yaml holding a Group, a System, three Components, two
Resources and two APIs (9 entities per team), where every team's storefront
component consumes one API of each of the next two teams and depends on
the component providing it. 25 teams (the default) make 225 entities and 50
relationships.

    python3 tests/functional/backstage_catalog.py OUT_DIR [TEAMS]
"""

import os
import sys

AREAS = ["billing", "catalog", "checkout", "identity", "search", "shipping", "pricing",
         "inventory", "loyalty", "reviews", "payments", "fraud", "notifications", "ledger",
         "returns", "tax", "recommendations", "media", "analytics", "support", "partners",
         "warehouse", "fulfilment", "subscriptions", "accounts"]


def team_name(i):
    area = AREAS[i % len(AREAS)]
    return area if i < len(AREAS) else f"{area}-{i // len(AREAS)}"


def team_yaml(i, teams):
    t = team_name(i)
    docs = [f"""apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: {t}-team
  description: Owns the {t} domain
spec:
  type: team
  profile:
    displayName: {t.title()} Team
  children: []""",
            f"""apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: {t}
  description: Everything {t}
spec:
  owner: {t}-team""",
            f"""apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: {t}-db
  annotations:
    backstage.io/created-at: "2024-0{1 + i % 9}-1{i % 10}T08:00:00Z"
spec:
  type: database
  owner: {t}-team
  system: {t}""",
            f"""apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: {t}-queue
spec:
  type: queue
  owner: group:default/{t}-team
  system: {t}""",
            f"""apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {t}-api-server
  title: {t.title()} API server
spec:
  type: service
  lifecycle: production
  owner: {t}-team
  system: {t}
  providesApis: [{t}-api, {t}-events]
  dependsOn: [resource:{t}-db, resource:{t}-queue]""",
            f"""apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {t}-worker
spec:
  type: service
  lifecycle: production
  owner: {t}-team
  system: {t}
  dependsOn: [resource:{t}-queue, component:{t}-api-server]"""]
    neighbours = [team_name((i + k) % teams) for k in (1, 2) if (i + k) % teams != i]
    consumes = ", ".join(f"{n}-api" for n in neighbours)
    depends = ", ".join(["component:" + t + "-api-server"] +
                        [f"component:{n}-api-server" for n in neighbours])
    docs.append(f"""apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {t}-web
  tags: [frontend]
spec:
  type: website
  lifecycle: production
  owner: {t}-team
  system: {t}
  consumesApis: [{consumes}]
  dependsOn: [{depends}]""")
    for api, kind in ((f"{t}-api", "openapi"), (f"{t}-events", "asyncapi")):
        docs.append(f"""apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: {api}
spec:
  type: {kind}
  lifecycle: production
  owner: {t}-team
  system: {t}
  definition: |
    {kind}: 3.0.0
    info: {{title: {api}}}""")
    return "---\n".join(d + "\n" for d in docs)


def write(out_dir, teams=25):
    for i in range(teams):
        folder = os.path.join(out_dir, team_name(i))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "catalog-info.yaml"), "w") as f:
            f.write(team_yaml(i, teams))
    return teams * 9


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    n = write(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
    print(f"wrote {n} entities to {sys.argv[1]}")
