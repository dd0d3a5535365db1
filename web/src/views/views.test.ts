// The views' pure helpers: who may change what, which lifecycle moves to offer, the map's
// consumers turned provider and its clusters.
import { expect, test } from 'vitest';
import type { Me, Relationship } from '../api';
import { isAdmin, mayChange, type Ctx } from './common';
import { clusterize, turnedProviders } from './map';
import { allowedActions } from './relationship';

const ctx = (me: Me): Ctx => ({
  me,
  signal: new AbortController().signal,
  query: new URLSearchParams(),
  reload: () => {},
});
const admin = ctx({ organization: null, role: 'admin' });
const member = (org: string) => ctx({ organization: org, role: 'member' });
const viewer = (org: string) => ctx({ organization: org, role: 'viewer' });

const rel = (status: Relationship['status'], extra: Partial<Relationship> = {}): Relationship => ({
  id: 'rel',
  offering: 'off',
  provider: 'p',
  consumer: 'c',
  type: 'basic',
  status,
  requested_at: '2025-01-01T00:00:00Z',
  activated_at: null,
  updated_at: '2025-01-01T00:00:00Z',
  agreement: null,
  ...extra,
});

test('isAdmin and mayChange: the admin, or a non-viewer token of the owner', () => {
  expect(isAdmin(admin)).toBe(true);
  expect(isAdmin(member('p'))).toBe(false);
  expect(mayChange(admin, null)).toBe(true);
  expect(mayChange(member('p'), 'p')).toBe(true);
  expect(mayChange(member('p'), 'c')).toBe(false);
  expect(mayChange(viewer('p'), 'p')).toBe(false);
  expect(mayChange(member('p'), null)).toBe(false);
});

test('allowedActions: the provider moves a relationship, either party terminates, viewers nothing', () => {
  expect(allowedActions(rel('requested'), member('p'))).toStrictEqual([
    'activate',
    'reject',
    'terminate',
  ]);
  expect(allowedActions(rel('requested'), member('c'))).toStrictEqual(['terminate']);
  expect(allowedActions(rel('active'), member('p'))).toStrictEqual(['suspend', 'terminate']);
  expect(allowedActions(rel('suspended'), admin)).toStrictEqual(['resume', 'terminate']);
  expect(allowedActions(rel('active'), member('x'))).toStrictEqual([]);
  expect(allowedActions(rel('active'), viewer('p'))).toStrictEqual([]);
  expect(allowedActions(rel('terminated'), admin)).toStrictEqual([]);
  expect(allowedActions(rel('rejected'), admin)).toStrictEqual([]);
});

test('turnedProviders: organizations whose first activation as consumer came before their first as provider', () => {
  const rels = [
    rel('active', { id: '1', provider: 'a', consumer: 'b', activated_at: '2026-01-01T00:00:00Z' }),
    rel('active', { id: '2', provider: 'b', consumer: 'c', activated_at: '2026-02-01T00:00:00Z' }),
    rel('active', { id: '3', provider: 'c', consumer: 'a', activated_at: '2025-12-01T00:00:00Z' }),
    rel('requested', { id: '4', provider: 'd', consumer: 'a', activated_at: null }),
  ];
  // b consumed (Jan) before providing (Feb); c consumed (Feb) after providing (Dec); a provided (Jan) after consuming (Dec).
  expect([...turnedProviders(rels)].sort()).toStrictEqual(['a', 'b']);
});

test('clusterize: connected organizations share a cluster, clusters are capped, small groups pooled', () => {
  const ids = Array.from({ length: 12 }, (_, i) => `o${i}`);
  // o0..o5 a chain, o6..o11 another chain: two groups of six.
  const rels = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10].map((i) =>
    rel('active', { id: `r${i}`, provider: `o${i}`, consumer: `o${i + 1}` }),
  );
  const c = clusterize(ids, rels);
  expect(c.size).toBe(12);
  expect(new Set(ids.slice(0, 6).map((id) => c.get(id))).size).toBe(1);
  expect(new Set(ids.slice(6).map((id) => c.get(id))).size).toBe(1);
  expect(c.get('o0')).not.toBe(c.get('o6'));
  // Capped at maxSize members each.
  const capped = clusterize(ids, rels, 4);
  const sizes = new Map<string, number>();
  for (const id of capped.values()) sizes.set(id, (sizes.get(id) ?? 0) + 1);
  for (const n of sizes.values()) expect(n).toBeLessThanOrEqual(4);
  // Isolated organizations (groups under 5) are pooled into one cluster.
  const lonely = clusterize(['x', 'y', 'z'], []);
  expect(new Set(lonely.values()).size).toBe(1);
  // The same input gives the same clusters.
  expect([...clusterize(ids, rels)]).toStrictEqual([...c]);
});
