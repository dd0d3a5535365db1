// Unit tests of pure helpers of the forms and views (no browser): the merge patch of an
// edit, the impact drawing, what changed between offering and resource versions.
import { expect, test } from 'vitest';
import { mergePatchBetween, parseIds } from './forms';
import { impactDrawing } from './views/impact';
import { changedFields } from './views/offering';
import { diffVersions } from './views/resource';

test('mergePatchBetween: deleted keys become null, nested objects are patched key by key', () => {
  expect(mergePatchBetween({ a: 1, b: 2 }, { a: 1, b: 2 })).toStrictEqual({});
  expect(
    mergePatchBetween({ tier: 'gold', region: 'eu' }, { tier: 'platinum', since: 2026 }),
  ).toStrictEqual({ region: null, tier: 'platinum', since: 2026 });
  expect(mergePatchBetween({ n: { x: 1, y: 2 } }, { n: { x: 1, y: 3, z: 4 } })).toStrictEqual({
    n: { y: 3, z: 4 },
  });
  expect(mergePatchBetween({ n: { x: 1 } }, { n: { x: 1 } })).toStrictEqual({});
  // Arrays and type changes replace whole; key order does not count as a change.
  expect(mergePatchBetween({ l: [1, 2] }, { l: [1, 2, 3] })).toStrictEqual({ l: [1, 2, 3] });
  expect(mergePatchBetween({ o: { a: 1, b: 2 } }, { o: { b: 2, a: 1 } })).toStrictEqual({});
  expect(mergePatchBetween({ v: { a: 1 } }, { v: 'flat' })).toStrictEqual({ v: 'flat' });
  expect(mergePatchBetween({ v: 'flat' }, { v: { a: 1 } })).toStrictEqual({ v: { a: 1 } });
});

test('mergePatchBetween: applying the patch (RFC 7396) gives back the edited object', () => {
  const apply = (target: unknown, patch: unknown): unknown => {
    if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
    const out: Record<string, unknown> =
      target && typeof target === 'object' && !Array.isArray(target)
        ? { ...(target as Record<string, unknown>) }
        : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = apply(out[k], v);
    }
    return out;
  };
  const cases: [Record<string, unknown>, Record<string, unknown>][] = [
    [{ a: 1, b: { c: 2, d: [1] } }, { b: { d: [2], e: 'x' } }],
    [{}, { a: { b: { c: 1 } } }],
    [{ a: { b: { c: 1 } } }, {}],
    [
      { s: 'x', n: 1, t: true },
      { s: 'y', n: 1, t: false },
    ],
  ];
  for (const [before, after] of cases)
    expect(apply(before, mergePatchBetween(before, after))).toStrictEqual(after);
});

test('parseIds: commas and white space separate, blanks are dropped', () => {
  expect(parseIds(' a, b,,c\n d ')).toStrictEqual(['a', 'b', 'c', 'd']);
  expect(parseIds('')).toStrictEqual([]);
});

test('impactDrawing: each consecutive pair of a path is one edge; columns by depth, ordered by parent', () => {
  const d = impactDrawing('r', [
    { id: 's1', type: 'service', depth: 1, path: ['r', 's1'] },
    { id: 'o1', type: 'offering', depth: 1, path: ['r', 'o1'] },
    { id: 's2', type: 'service', depth: 2, path: ['r', 's1', 's2'] },
    { id: 'x', type: 'relationship', depth: 2, path: ['r', 'o1', 'x'] },
    { id: 'org', type: 'organization', depth: 3, path: ['r', 'o1', 'x', 'org'] },
  ]);
  expect(d.edges.map((e) => `${e.source}>${e.target}`).sort()).toStrictEqual([
    'o1>x',
    'r>o1',
    'r>s1',
    's1>s2',
    'x>org',
  ]);
  expect(d.nodes.map((n) => `${n.depth}:${n.id}`)).toStrictEqual(
    // depth 1 by type (no parent row yet differs: both hang off r), depth 2 by parent's row.
    ['0:r', '1:o1', '1:s1', '2:x', '2:s2', '3:org'],
  );
  expect(d.nodes[0].type).toBe('start');
});

test('impactDrawing: hidden hops join their visible neighbours with a hidden edge; no path, no edge', () => {
  // A hidden node is never listed (the server counts it in `redacted`); it shows as null in paths.
  const d = impactDrawing('r', [
    { id: 'o', type: 'offering', depth: 2, path: ['r', null, 'o'] },
    { id: 'q', type: 'offering', depth: 1 },
  ]);
  expect(d.edges).toStrictEqual([{ source: 'r', target: 'o', hidden: true }]);
  expect(d.nodes.map((n) => n.id).sort()).toStrictEqual(['o', 'q', 'r']);
});

test('changedFields: the editable fields that differ between two offering versions', () => {
  const a = {
    name: 'A',
    audience: 'public',
    actions: [{ name: 'x', effect: 'none' }],
    price: null,
    version: 1,
  };
  expect(changedFields(a, { ...a, version: 2 })).toStrictEqual([]);
  expect(changedFields(a, { ...a, name: 'B', actions: [], version: 2 })).toStrictEqual([
    'name',
    'actions',
  ]);
  expect(changedFields({ name: 'A' }, { name: 'A', price: null })).toStrictEqual([]);
});

test('diffVersions: top-level fields, then attributes by path', () => {
  const v = (version: number, owner: string, attributes: Record<string, unknown>) => ({
    id: 'r',
    version,
    owner,
    kind: 'k',
    name: 'n',
    attributes,
    at: '',
    provision: null,
  });
  expect(
    diffVersions(
      v(1, 'a', { size: 1, net: { cidr: 'x' } }),
      v(2, 'b', { net: { cidr: 'y' }, zone: 'z' }),
    ),
  ).toStrictEqual([
    { field: 'owner', op: 'changed', before: 'a', after: 'b' },
    { field: 'attributes.net.cidr', op: 'changed', before: '"x"', after: '"y"' },
    { field: 'attributes.zone', op: 'added', after: '"z"' },
    { field: 'attributes.size', op: 'removed', before: '1' },
  ]);
});
