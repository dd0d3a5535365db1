// The DOM helpers that are plain functions: routes, times, JSON for people.
import { expect, test } from 'vitest';
import { fmtTime, json, routeOf } from './dom';

test('routeOf: each kind to its view, ids encoded; kinds without a view go to impact', () => {
  expect(routeOf('organization', 'org-1')).toBe('#/org/org-1');
  expect(routeOf('resource', 'r 1/2')).toBe('#/resource/r%201%2F2');
  expect(routeOf('relationship', 'rel')).toBe('#/relationship/rel');
  expect(routeOf('offering', 'o')).toBe('#/offering/o');
  expect(routeOf('service', 's')).toBe('#/service/s');
  expect(routeOf('provision', 'p')).toBe('#/provision/p');
  expect(routeOf('consumer_group', 'g')).toBe('#/group/g');
  expect(routeOf('cluster', 'cluster:1')).toBe('#/impact/cluster%3A1');
});

test('fmtTime: UTC to the second, a dash for nothing, text that is no time as it is', () => {
  expect(fmtTime('2026-12-02T01:02:34.617Z')).toBe('2026-12-02 01:02:34Z');
  expect(fmtTime('2026-12-02T02:02:34+01:00')).toBe('2026-12-02 01:02:34Z');
  expect(fmtTime(null)).toBe('—');
  expect(fmtTime(undefined)).toBe('—');
  expect(fmtTime('')).toBe('—');
  expect(fmtTime('soon')).toBe('soon');
});

test('json: indented by two spaces', () => {
  expect(json({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
});
