// The graph helpers that place nodes before Cytoscape draws them.
import { expect, test } from 'vitest';
import { LAYER_GAP, precompute, spiral, type GNode } from './graph';

const node = (id: string, ring?: number): GNode => ({ id, label: id, kind: 'organization', ring });

test('spiral: index 0 near the centre, distances grow with the square root of the index', () => {
  const d = (i: number) => Math.hypot(spiral(i, 10).x, spiral(i, 10).y);
  expect(d(0)).toBeCloseTo(10 * Math.sqrt(0.5));
  expect(d(99)).toBeCloseTo(10 * Math.sqrt(99.5));
  expect(spiral(0, 10, 5, 7).x - spiral(0, 10).x).toBeCloseTo(5);
  expect(spiral(0, 10, 5, 7).y - spiral(0, 10).y).toBeCloseTo(7);
  // No two of the first thousand positions coincide.
  const seen = new Set(
    Array.from(
      { length: 1000 },
      (_, i) => `${Math.round(spiral(i, 26).x)},${Math.round(spiral(i, 26).y)}`,
    ),
  );
  expect(seen.size).toBe(1000);
});

test('precompute layers: one column per ring, each centred on y = 0, in the order given', () => {
  const nodes = [node('a', 0), node('b', 1), node('c', 1), node('d', 2)];
  precompute(nodes, [], 'layers');
  expect(nodes.map((n) => [n.x, n.y])).toStrictEqual([
    [0, 0],
    [LAYER_GAP.x, -LAYER_GAP.y / 2],
    [LAYER_GAP.x, LAYER_GAP.y / 2],
    [2 * LAYER_GAP.x, 0],
  ]);
});

test('precompute rings: a lone start in the middle, each ring further out than the one before', () => {
  const nodes = [
    node('start', 0),
    ...Array.from({ length: 6 }, (_, i) => node(`one${i}`, 1)),
    ...Array.from({ length: 30 }, (_, i) => node(`two${i}`, 2)),
  ];
  precompute(nodes, [], 'rings');
  const radius = (n: GNode) => Math.hypot(n.x!, n.y!);
  expect(radius(nodes[0])).toBe(0);
  const ring1 = nodes.filter((n) => n.ring === 1).map(radius);
  const ring2 = nodes.filter((n) => n.ring === 2).map(radius);
  for (const r of ring1) expect(r).toBeCloseTo(ring1[0]);
  expect(Math.min(...ring2)).toBeGreaterThanOrEqual(Math.max(...ring1) + 120 - 1e-9);
});

test('precompute auto: the busiest node in the middle; positions already set are kept', () => {
  const nodes = [node('leaf1'), node('hub'), node('leaf2'), { ...node('pinned'), x: 500, y: -500 }];
  const edges = [
    { source: 'hub', target: 'leaf1' },
    { source: 'hub', target: 'leaf2' },
    { source: 'hub', target: 'pinned' },
  ];
  precompute(nodes, edges, 'auto');
  expect({ x: nodes[1].x, y: nodes[1].y }).toStrictEqual(spiral(0, 26));
  expect([nodes[3].x, nodes[3].y]).toStrictEqual([500, -500]);
  for (const n of nodes) expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
});
