// The service relationship views' pure helpers: who may do what, how it is worded, what is drawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Agreement, Measurement } from '../../src/api';
import {
  attainmentText,
  changeLines,
  changedTerms,
  fmtDuration,
  inputFromUtc,
  moneyText,
  objectiveText,
  proposalMoves,
  queueOrder,
  requestFilter,
  requestFilters,
  requestListings,
  requestMoves,
  requestsPath,
  rolesFor,
  seriesOf,
  sideOf,
  utcFromInput,
  valueLines,
  waitText,
} from '../../src/srm';

const rel = { provider: 'p', consumer: 'c' };

test('sideOf: provider, consumer, admin; a viewer or an outsider acts as none', () => {
  assert.equal(sideOf(rel, { organization: 'p', role: 'member' }), 'provider');
  assert.equal(sideOf(rel, { organization: 'c', role: 'unknown' }), 'consumer');
  assert.equal(sideOf(rel, { organization: null, role: 'admin' }), 'admin');
  assert.equal(sideOf(rel, { organization: 'c', role: 'viewer' }), 'none');
  assert.equal(sideOf(rel, { organization: 'x', role: 'member' }), 'none');
});

test('proposalMoves: the other party accepts or declines, the proposer withdraws, closed ones none', () => {
  const p = { status: 'open' as const, by: 'p' };
  assert.deepEqual(proposalMoves(p, rel, { organization: 'p', role: 'member' }), ['withdraw']);
  assert.deepEqual(proposalMoves(p, rel, { organization: 'c', role: 'member' }), ['accept', 'decline']);
  assert.deepEqual(proposalMoves(p, rel, { organization: null, role: 'admin' }), ['accept', 'decline', 'withdraw']);
  assert.deepEqual(proposalMoves(p, rel, { organization: 'c', role: 'viewer' }), []);
  assert.deepEqual(proposalMoves({ ...p, status: 'accepted' }, rel, { organization: 'c', role: 'member' }), []);
});

test('requestMoves: provider fulfils or declines, consumer cancels, only while open', () => {
  assert.deepEqual(requestMoves({ status: 'open' }, 'provider'), ['fulfil', 'decline']);
  assert.deepEqual(requestMoves({ status: 'open' }, 'consumer'), ['cancel']);
  assert.deepEqual(requestMoves({ status: 'open' }, 'none'), []);
  assert.deepEqual(requestMoves({ status: 'fulfilled' }, 'provider'), []);
  assert.deepEqual(rolesFor('provider'), ['relationship_manager']);
  assert.deepEqual(rolesFor('consumer'), ['customer', 'user', 'sponsor']);
});

test('wording: objectives, attainment, durations, money as written', () => {
  assert.equal(objectiveText({ objective: 99.9, unit: 'percent' }), '≥ 99.9 percent');
  assert.equal(objectiveText({ objective: 15, unit: 'minutes', target: 'at_most' }), '≤ 15 minutes');
  assert.equal(attainmentText(null), '—');
  assert.equal(attainmentText(1), '100 %');
  assert.equal(attainmentText(2 / 3), '66.7 %');
  assert.equal(attainmentText(0), '0 %');
  assert.equal(fmtDuration(null), '—');
  assert.equal(fmtDuration(42), '42 s');
  assert.equal(fmtDuration(720), '12 min');
  assert.equal(fmtDuration(3 * 3600 + 300), '3 h 5 min');
  assert.equal(fmtDuration(7200), '2 h');
  assert.equal(fmtDuration(2 * 86400 + 4 * 3600), '2 d 4 h');
  assert.equal(moneyText({ USD: '3', EUR: '120.50' }), '120.50 EUR, 3 USD');
  assert.equal(moneyText({}), '—');
});

test('utcFromInput / inputFromUtc: a datetime-local value is read as UTC and written back', () => {
  assert.equal(utcFromInput('2026-12-01T10:00'), '2026-12-01T10:00:00Z');
  assert.equal(utcFromInput('2026-12-01T10:00:30'), '2026-12-01T10:00:30Z');
  assert.equal(utcFromInput('2026-12-01'), '2026-12-01T00:00:00Z');
  assert.equal(utcFromInput('  '), null);
  assert.throws(() => utcFromInput('yesterday'));
  assert.throws(() => utcFromInput('2026-13-45T10:00'));
  assert.equal(inputFromUtc('2026-12-01T10:00:00.123Z'), '2026-12-01T10:00');
  assert.equal(inputFromUtc('2026-12-01T11:00:00+01:00'), '2026-12-01T10:00');
  assert.equal(inputFromUtc(null), '');
});

const agreement = (over: Partial<Agreement>): Agreement => ({
  version: 1,
  type: 'basic',
  service_levels: [{ metric: 'availability', objective: 99.9, unit: 'percent', target: 'at_least' }],
  price: { amount: '120.50', currency: 'EUR', period: 'month' },
  start: '2026-01-01T00:00:00Z',
  end: null,
  renewal: 'none',
  proposal: null,
  at: '2026-01-01T00:00:00Z',
  ...over,
});

test('changedTerms: the terms that differ between versions; key order is no change', () => {
  const a = agreement({});
  assert.deepEqual(changedTerms(a, agreement({ version: 2, at: 'later', proposal: 'x' })), []);
  assert.deepEqual(changedTerms(a, agreement({ type: 'partnership', renewal: 'auto' })), ['type', 'renewal']);
  assert.deepEqual(changedTerms(a, agreement({ price: { period: 'month', currency: 'EUR', amount: '120.50' } })), []);
  assert.deepEqual(changedTerms(a, agreement({ price: null, service_levels: [] })), ['service_levels', 'price']);
});

test('changeLines: one line per change a proposal asks for', () => {
  assert.deepEqual(changeLines({ type: 'partnership', price: { amount: '99.9900', currency: 'EUR', period: 'year' }, end: null }), [
    'type → partnership',
    'price → 99.9900 EUR per year',
    'end → none (open-ended)',
  ]);
  assert.deepEqual(changeLines({ service_levels: [{ metric: 'mttr', objective: 4, unit: 'hours', target: 'at_most' }], renewal: 'auto' }), ['service levels → mttr ≤ 4 hours', 'renewal → auto']);
  assert.deepEqual(changeLines({}), []);
});

test('seriesOf: one metric in order of period end, breaches where not met', () => {
  const m = (id: string, metric: string, end: string, value: number, objective: number, met: boolean): Measurement => ({
    id, relationship: 'r', by: 'p', metric, value, unit: 'percent', period: { start: end, end }, objective, target: 'at_least', met, agreement_version: 1, at: end,
  });
  const s = seriesOf(
    [
      m('b', 'availability', '2026-01-03T00:00:00Z', 98, 99.9, false),
      m('a', 'availability', '2026-01-02T00:00:00Z', 99.95, 99.9, true),
      m('x', 'latency', '2026-01-01T00:00:00Z', 120, 200, true),
      m('c', 'availability', '2026-01-04T00:00:00Z', 99.99, 99.5, true),
    ],
    'availability',
  );
  assert.deepEqual(s.x, [Date.parse('2026-01-02T00:00:00Z') / 1000, Date.parse('2026-01-03T00:00:00Z') / 1000, Date.parse('2026-01-04T00:00:00Z') / 1000]);
  assert.deepEqual(s.value, [99.95, 98, 99.99]);
  assert.deepEqual(s.objective, [99.9, 99.9, 99.5]);
  assert.deepEqual(s.breach, [null, 98, null]);
  assert.equal(s.breaches, 1);
  assert.equal(seriesOf([], 'availability').x.length, 0);
});

test('queueOrder: open requests first, oldest first; then closed ones, newest first', () => {
  const r = (id: string, status: 'open' | 'fulfilled' | 'declined' | 'cancelled', opened_at: string, closed_at: string | null = null) => ({ id, status, opened_at, closed_at });
  const got = queueOrder([
    r('f1', 'fulfilled', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'),
    r('o2', 'open', '2026-01-05T00:00:00Z'),
    r('c1', 'cancelled', '2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z'),
    r('o1', 'open', '2026-01-01T12:00:00Z'),
  ]);
  assert.deepEqual(got.map((x) => x.id), ['o1', 'o2', 'c1', 'f1']);
});

test("valueLines: a hop's value in a few lines, as stated", () => {
  const src = { type: 'value' as const, id: 'v1' };
  const empty = { provisions: 0, statements: 0, outcomes: [], costs: { introduced: {}, removed: {} }, risks: { introduced: [], removed: [] } };
  assert.deepEqual(valueLines(empty), ['nothing stated']);
  assert.deepEqual(
    valueLines({
      ...empty,
      outcomes: [{ text: 'a', source: src, party: 'p' }, { text: 'b', source: src, party: 'p' }],
      costs: { introduced: { EUR: '123456789012345.1234' }, removed: { USD: '3' } },
      risks: { introduced: [{ description: 'x', kind: 'introduced', source: src, party: 'p' }], removed: [] },
    }),
    ['costs introduced: 123456789012345.1234 EUR', 'costs removed: 3 USD', '2 outcomes', '1 risk introduced'],
  );
});

test('requestFilter: a status named in the route, open when absent or unknown; all keeps every status', () => {
  assert.equal(requestFilter(null), 'open');
  assert.equal(requestFilter(''), 'open');
  assert.equal(requestFilter('bogus'), 'open');
  assert.equal(requestFilter('declined'), 'declined');
  assert.equal(requestFilter('all'), 'all');
  assert.deepEqual(requestFilters(), ['open', 'fulfilled', 'declined', 'cancelled', 'all']);
});

test('requestListings: the admin sees one list of all; an organization (member or viewer) what is asked of it, then what it asked', () => {
  assert.deepEqual(requestListings({ organization: null, role: 'admin' }), [{ as: null, key: 'all' }]);
  const two = [
    { as: 'provider', key: 'provider' },
    { as: 'consumer', key: 'consumer' },
  ];
  assert.deepEqual(requestListings({ organization: 'p', role: 'member' }), two);
  assert.deepEqual(requestListings({ organization: 'p', role: 'viewer' }), two);
  assert.deepEqual(requestListings({ organization: null, role: 'unknown' }), []);
});

test('requestsPath: as and status only when they narrow; offset only past the first page', () => {
  assert.equal(requestsPath('provider', 'open', 100), '/requests?as=provider&status=open&limit=100');
  assert.equal(requestsPath('consumer', 'all', 50, 100), '/requests?as=consumer&limit=50&offset=100');
  assert.equal(requestsPath(null, 'fulfilled', 100), '/requests?status=fulfilled&limit=100');
  assert.equal(requestsPath(null, 'all', 10), '/requests?limit=10');
});

test('waitText: how long an open request has waited; a closed one its lead time, or nothing', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  assert.equal(waitText({ status: 'open', opened_at: '2026-12-02T09:00:00Z', lead_time_seconds: null }, now), 'waiting 3 h');
  assert.equal(waitText({ status: 'open', opened_at: '2026-12-02T12:00:30Z', lead_time_seconds: null }, now), 'waiting 0 s');
  assert.equal(waitText({ status: 'open', opened_at: 'garbage', lead_time_seconds: null }, now), 'waiting');
  assert.equal(waitText({ status: 'fulfilled', opened_at: '2026-12-01T00:00:00Z', lead_time_seconds: 90 }, now), 'lead time 2 min');
  assert.equal(waitText({ status: 'declined', opened_at: '2026-12-01T00:00:00Z', lead_time_seconds: null }, now), '');
});
