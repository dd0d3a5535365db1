// The service relationship views' pure helpers: who may do what, how it is worded, what is drawn.
import { expect, test } from 'vitest';
import type { Agreement, Measurement } from './api';
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
} from './srm';

const rel = { provider: 'p', consumer: 'c' };

test('sideOf: provider, consumer, admin; a viewer or an outsider acts as none', () => {
  expect(sideOf(rel, { organization: 'p', role: 'member' })).toBe('provider');
  expect(sideOf(rel, { organization: 'c', role: 'unknown' })).toBe('consumer');
  expect(sideOf(rel, { organization: null, role: 'admin' })).toBe('admin');
  expect(sideOf(rel, { organization: 'c', role: 'viewer' })).toBe('none');
  expect(sideOf(rel, { organization: 'x', role: 'member' })).toBe('none');
});

test('proposalMoves: the other party accepts or declines, the proposer withdraws, closed ones none', () => {
  const p = { status: 'open' as const, by: 'p' };
  expect(proposalMoves(p, rel, { organization: 'p', role: 'member' })).toStrictEqual(['withdraw']);
  expect(proposalMoves(p, rel, { organization: 'c', role: 'member' })).toStrictEqual([
    'accept',
    'decline',
  ]);
  expect(proposalMoves(p, rel, { organization: null, role: 'admin' })).toStrictEqual([
    'accept',
    'decline',
    'withdraw',
  ]);
  expect(proposalMoves(p, rel, { organization: 'c', role: 'viewer' })).toStrictEqual([]);
  expect(
    proposalMoves({ ...p, status: 'accepted' }, rel, { organization: 'c', role: 'member' }),
  ).toStrictEqual([]);
});

test('requestMoves: provider fulfils or declines, consumer cancels, only while open', () => {
  expect(requestMoves({ status: 'open' }, 'provider')).toStrictEqual(['fulfil', 'decline']);
  expect(requestMoves({ status: 'open' }, 'consumer')).toStrictEqual(['cancel']);
  expect(requestMoves({ status: 'open' }, 'none')).toStrictEqual([]);
  expect(requestMoves({ status: 'fulfilled' }, 'provider')).toStrictEqual([]);
  expect(rolesFor('provider')).toStrictEqual(['relationship_manager']);
  expect(rolesFor('consumer')).toStrictEqual(['customer', 'user', 'sponsor']);
});

test('wording: objectives, attainment, durations, money as written', () => {
  expect(objectiveText({ objective: 99.9, unit: 'percent' })).toBe('≥ 99.9 percent');
  expect(objectiveText({ objective: 15, unit: 'minutes', target: 'at_most' })).toBe('≤ 15 minutes');
  expect(attainmentText(null)).toBe('—');
  expect(attainmentText(1)).toBe('100 %');
  expect(attainmentText(2 / 3)).toBe('66.7 %');
  expect(attainmentText(0)).toBe('0 %');
  expect(fmtDuration(null)).toBe('—');
  expect(fmtDuration(42)).toBe('42 s');
  expect(fmtDuration(720)).toBe('12 min');
  expect(fmtDuration(3 * 3600 + 300)).toBe('3 h 5 min');
  expect(fmtDuration(7200)).toBe('2 h');
  expect(fmtDuration(2 * 86400 + 4 * 3600)).toBe('2 d 4 h');
  expect(moneyText({ USD: '3', EUR: '120.50' })).toBe('120.50 EUR, 3 USD');
  expect(moneyText({})).toBe('—');
});

test('utcFromInput / inputFromUtc: a datetime-local value is read as UTC and written back', () => {
  expect(utcFromInput('2026-12-01T10:00')).toBe('2026-12-01T10:00:00Z');
  expect(utcFromInput('2026-12-01T10:00:30')).toBe('2026-12-01T10:00:30Z');
  expect(utcFromInput('2026-12-01')).toBe('2026-12-01T00:00:00Z');
  expect(utcFromInput('  ')).toBe(null);
  expect(() => utcFromInput('yesterday')).toThrow();
  expect(() => utcFromInput('2026-13-45T10:00')).toThrow();
  expect(inputFromUtc('2026-12-01T10:00:00.123Z')).toBe('2026-12-01T10:00');
  expect(inputFromUtc('2026-12-01T11:00:00+01:00')).toBe('2026-12-01T10:00');
  expect(inputFromUtc(null)).toBe('');
});

const agreement = (over: Partial<Agreement>): Agreement => ({
  version: 1,
  type: 'basic',
  service_levels: [
    { metric: 'availability', objective: 99.9, unit: 'percent', target: 'at_least' },
  ],
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
  expect(changedTerms(a, agreement({ version: 2, at: 'later', proposal: 'x' }))).toStrictEqual([]);
  expect(changedTerms(a, agreement({ type: 'partnership', renewal: 'auto' }))).toStrictEqual([
    'type',
    'renewal',
  ]);
  expect(
    changedTerms(a, agreement({ price: { period: 'month', currency: 'EUR', amount: '120.50' } })),
  ).toStrictEqual([]);
  expect(changedTerms(a, agreement({ price: null, service_levels: [] }))).toStrictEqual([
    'service_levels',
    'price',
  ]);
});

test('changeLines: one line per change a proposal asks for', () => {
  expect(
    changeLines({
      type: 'partnership',
      price: { amount: '99.9900', currency: 'EUR', period: 'year' },
      end: null,
    }),
  ).toStrictEqual([
    'type → partnership',
    'price → 99.9900 EUR per year',
    'end → none (open-ended)',
  ]);
  expect(
    changeLines({
      service_levels: [{ metric: 'mttr', objective: 4, unit: 'hours', target: 'at_most' }],
      renewal: 'auto',
    }),
  ).toStrictEqual(['service levels → mttr ≤ 4 hours', 'renewal → auto']);
  expect(changeLines({})).toStrictEqual([]);
});

test('seriesOf: one metric in order of period end, breaches where not met', () => {
  const m = (
    id: string,
    metric: string,
    end: string,
    value: number,
    objective: number,
    met: boolean,
  ): Measurement => ({
    id,
    relationship: 'r',
    by: 'p',
    metric,
    value,
    unit: 'percent',
    period: { start: end, end },
    note: null,
    objective,
    target: 'at_least',
    met,
    agreement_version: 1,
    at: end,
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
  expect(s.x).toStrictEqual([
    Date.parse('2026-01-02T00:00:00Z') / 1000,
    Date.parse('2026-01-03T00:00:00Z') / 1000,
    Date.parse('2026-01-04T00:00:00Z') / 1000,
  ]);
  expect(s.value).toStrictEqual([99.95, 98, 99.99]);
  expect(s.objective).toStrictEqual([99.9, 99.9, 99.5]);
  expect(s.breach).toStrictEqual([null, 98, null]);
  expect(s.breaches).toBe(1);
  expect(seriesOf([], 'availability').x.length).toBe(0);
});

test('queueOrder: open requests first, oldest first; then closed ones, newest first', () => {
  const r = (
    id: string,
    status: 'open' | 'fulfilled' | 'declined' | 'cancelled',
    opened_at: string,
    closed_at: string | null = null,
  ) => ({ id, status, opened_at, closed_at });
  const got = queueOrder([
    r('f1', 'fulfilled', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'),
    r('o2', 'open', '2026-01-05T00:00:00Z'),
    r('c1', 'cancelled', '2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z'),
    r('o1', 'open', '2026-01-01T12:00:00Z'),
  ]);
  expect(got.map((x) => x.id)).toStrictEqual(['o1', 'o2', 'c1', 'f1']);
});

test("valueLines: a hop's value in a few lines, as stated", () => {
  const src = { type: 'value' as const, id: 'v1' };
  const empty = {
    provisions: 0,
    statements: 0,
    outcomes: [],
    costs: { introduced: {}, removed: {} },
    risks: { introduced: [], removed: [] },
  };
  expect(valueLines(empty)).toStrictEqual(['nothing stated']);
  expect(
    valueLines({
      ...empty,
      outcomes: [
        { text: 'a', source: src, party: 'p' },
        { text: 'b', source: src, party: 'p' },
      ],
      costs: { introduced: { EUR: '123456789012345.1234' }, removed: { USD: '3' } },
      risks: {
        introduced: [{ description: 'x', kind: 'introduced', source: src, party: 'p' }],
        removed: [],
      },
    }),
  ).toStrictEqual([
    'costs introduced: 123456789012345.1234 EUR',
    'costs removed: 3 USD',
    '2 outcomes',
    '1 risk introduced',
  ]);
});

test('requestFilter: a status named in the route, open when absent or unknown; all keeps every status', () => {
  expect(requestFilter(null)).toBe('open');
  expect(requestFilter('')).toBe('open');
  expect(requestFilter('bogus')).toBe('open');
  expect(requestFilter('declined')).toBe('declined');
  expect(requestFilter('all')).toBe('all');
  expect(requestFilters()).toStrictEqual(['open', 'fulfilled', 'declined', 'cancelled', 'all']);
});

test('requestListings: the admin sees one list of all; an organization (member or viewer) what is asked of it, then what it asked', () => {
  expect(requestListings({ organization: null, role: 'admin' })).toStrictEqual([
    { as: null, key: 'all' },
  ]);
  const two = [
    { as: 'provider', key: 'provider' },
    { as: 'consumer', key: 'consumer' },
  ];
  expect(requestListings({ organization: 'p', role: 'member' })).toStrictEqual(two);
  expect(requestListings({ organization: 'p', role: 'viewer' })).toStrictEqual(two);
  expect(requestListings({ organization: null, role: 'unknown' })).toStrictEqual([]);
});

test('requestsPath: as and status only when they narrow; offset only past the first page', () => {
  expect(requestsPath('provider', 'open', 100)).toBe('/requests?as=provider&status=open&limit=100');
  expect(requestsPath('consumer', 'all', 50, 100)).toBe(
    '/requests?as=consumer&limit=50&offset=100',
  );
  expect(requestsPath(null, 'fulfilled', 100)).toBe('/requests?status=fulfilled&limit=100');
  expect(requestsPath(null, 'all', 10)).toBe('/requests?limit=10');
});

test('waitText: how long an open request has waited; a closed one its lead time, or nothing', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  expect(
    waitText({ status: 'open', opened_at: '2026-12-02T09:00:00Z', lead_time_seconds: null }, now),
  ).toBe('waiting 3 h');
  expect(
    waitText({ status: 'open', opened_at: '2026-12-02T12:00:30Z', lead_time_seconds: null }, now),
  ).toBe('waiting 0 s');
  expect(waitText({ status: 'open', opened_at: 'garbage', lead_time_seconds: null }, now)).toBe(
    'waiting',
  );
  expect(
    waitText(
      { status: 'fulfilled', opened_at: '2026-12-01T00:00:00Z', lead_time_seconds: 90 },
      now,
    ),
  ).toBe('lead time 2 min');
  expect(
    waitText(
      { status: 'declined', opened_at: '2026-12-01T00:00:00Z', lead_time_seconds: null },
      now,
    ),
  ).toBe('');
});
