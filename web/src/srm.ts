// Pure helpers of the service relationship views (agreements, service levels, requests,
// value, roles): what to offer whom, how to word it, what to draw. No DOM, no fetch, so
// src/srm.test.ts covers them.
import type {
  Agreement,
  AgreementChanges,
  Measurement,
  Proposal,
  Relationship,
  RequestStatus,
  RoleName,
  ServiceLevel,
  ServiceRequest,
  StatedValue,
} from './api';
import type { Decimal } from './decimal';

/** Which party the caller is on a relationship: the admin acts as either. */
export type Side = 'provider' | 'consumer' | 'admin' | 'none';
export function sideOf(
  rel: Pick<Relationship, 'provider' | 'consumer'>,
  me: { organization: string | null; role: string },
): Side {
  if (me.role === 'admin') return 'admin';
  if (me.role === 'viewer') return 'none';
  if (me.organization === rel.provider) return 'provider';
  if (me.organization === rel.consumer) return 'consumer';
  return 'none';
}

/** "≥ 99.9 percent" (at_least, the default) or "≤ 15 minutes" (at_most). */
export function objectiveText(sl: Pick<ServiceLevel, 'objective' | 'unit' | 'target'>): string {
  return `${sl.target === 'at_most' ? '≤' : '≥'} ${sl.objective} ${sl.unit}`;
}

/** Attainment (met / measurements, 0..1) as a percentage with one decimal, "—" with none. */
export function attainmentText(a: number | null | undefined): string {
  if (a === null || a === undefined) return '—';
  const pct = Math.round(a * 1000) / 10;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)} %`;
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h"; "—" when unknown. */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Money by currency as the server wrote it (read with getExact): "120.50 EUR, 3 USD"
 *  (currencies in order). */
export function moneyText(m: Record<string, Decimal | number> | null | undefined): string {
  const entries = Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.map(([cur, amount]) => `${amount} ${cur}`).join(', ') || '—';
}

/** Value as one party states it, in a few lines: costs by direction, counts of outcomes
 *  and risks; ["nothing stated"] when empty. */
export function valueLines(v: StatedValue): string[] {
  const out: string[] = [];
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (Object.keys(v.costs.introduced).length)
    out.push(`costs introduced: ${moneyText(v.costs.introduced)}`);
  if (Object.keys(v.costs.removed).length) out.push(`costs removed: ${moneyText(v.costs.removed)}`);
  if (v.outcomes.length) out.push(plural(v.outcomes.length, 'outcome'));
  if (v.risks.introduced.length)
    out.push(`${plural(v.risks.introduced.length, 'risk')} introduced`);
  if (v.risks.removed.length) out.push(`${plural(v.risks.removed.length, 'risk')} removed`);
  return out.length ? out : ['nothing stated'];
}

// ---- times typed by a person: <input type="datetime-local"> read as UTC ----

/** "2026-12-01T10:00" (a datetime-local value, taken as UTC) → "2026-12-01T10:00:00Z";
 *  "" → null; anything else throws. */
export function utcFromInput(value: string): string | null {
  const v = value.trim();
  if (!v) return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?)?$/.exec(v);
  if (!m) throw new Error(`"${v}" is not a date and time like 2026-12-01T10:00`);
  const t = `${m[1]}T${m[2] ?? '00:00'}${(m[3] ?? ':00').slice(0, 3)}Z`;
  if (isNaN(Date.parse(t))) throw new Error(`"${v}" is not a date and time like 2026-12-01T10:00`);
  return t;
}

/** The datetime-local value (UTC, to the minute) of an RFC 3339 time or a Date; "" when absent. */
export function inputFromUtc(t: string | Date | null | undefined): string {
  if (!t) return '';
  const d = typeof t === 'string' ? new Date(t) : t;
  if (isNaN(d.getTime())) return '';
  return d.toISOString().slice(0, 16);
}

// ---- agreements and proposals ----

const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, x[k]]),
        )
      : x,
  );

const TERMS = ['type', 'service_levels', 'price', 'end', 'renewal'] as const;
export type Term = (typeof TERMS)[number];

/** The terms of an agreement that differ from the version before it. */
export function changedTerms(before: Agreement, after: Agreement): Term[] {
  return TERMS.filter((k) => canon(before[k] ?? null) !== canon(after[k] ?? null));
}

export function serviceLevelsText(sls: ServiceLevel[]): string {
  return sls.map((sl) => `${sl.metric} ${objectiveText(sl)}`).join('; ') || 'none';
}
export function priceText(
  p: { amount: Decimal | number; currency: string; period: string } | null | undefined,
): string {
  return p ? `${p.amount} ${p.currency} per ${p.period}` : 'no price';
}

/** One line per change a proposal asks for: "type → partnership". */
export function changeLines(c: AgreementChanges): string[] {
  const out: string[] = [];
  if (c.type !== undefined) out.push(`type → ${c.type}`);
  if (c.service_levels !== undefined)
    out.push(`service levels → ${serviceLevelsText(c.service_levels)}`);
  if (c.price !== undefined) out.push(`price → ${priceText(c.price)}`);
  if (c.end !== undefined) out.push(`end → ${c.end ?? 'none (open-ended)'}`);
  if (c.renewal !== undefined) out.push(`renewal → ${c.renewal}`);
  return out;
}

export type ProposalMove = 'accept' | 'decline' | 'withdraw';
/** What the caller may do with a proposal: the other party accepts or declines, the
 *  proposer withdraws; the admin is offered all three (the server has the last word). */
export function proposalMoves(
  p: Pick<Proposal, 'status' | 'by'>,
  rel: Pick<Relationship, 'provider' | 'consumer'>,
  me: { organization: string | null; role: string },
): ProposalMove[] {
  if (p.status !== 'open') return [];
  const side = sideOf(rel, me);
  if (side === 'admin') return ['accept', 'decline', 'withdraw'];
  if (side === 'none') return [];
  return me.organization === p.by ? ['withdraw'] : ['accept', 'decline'];
}

export type RequestMove = 'fulfil' | 'decline' | 'cancel';
/** What the caller may do with a request: the provider fulfils or declines, the consumer cancels. */
export function requestMoves(r: Pick<ServiceRequest, 'status'>, side: Side): RequestMove[] {
  if (r.status !== 'open') return [];
  if (side === 'provider') return ['fulfil', 'decline'];
  if (side === 'consumer') return ['cancel'];
  if (side === 'admin') return ['fulfil', 'decline', 'cancel'];
  return [];
}

/** Requests as a queue: the open ones first, oldest first; then the closed, newest first. */
export function queueOrder<R extends Pick<ServiceRequest, 'status' | 'opened_at' | 'closed_at'>>(
  items: R[],
): R[] {
  const closedAt = (r: R) => r.closed_at ?? r.opened_at;
  return items.slice().sort((a, b) => {
    const ao = a.status === 'open';
    if (ao !== (b.status === 'open')) return ao ? -1 : 1;
    if (ao) return a.opened_at < b.opened_at ? -1 : a.opened_at > b.opened_at ? 1 : 0;
    return closedAt(a) > closedAt(b) ? -1 : closedAt(a) < closedAt(b) ? 1 : 0;
  });
}

// ---- requests across relationships (GET /requests?as=&status=) ----

/** The status filter of the Requests view: one status, or all of them. */
export type RequestFilter = RequestStatus | 'all';
const REQUEST_FILTERS: readonly RequestFilter[] = [
  'open',
  'fulfilled',
  'declined',
  'cancelled',
  'all',
];
/** The filter named in the route (`#/requests?status=`); open (what waits) when absent or unknown. */
export function requestFilter(v: string | null | undefined): RequestFilter {
  return REQUEST_FILTERS.includes(v as RequestFilter) ? (v as RequestFilter) : 'open';
}
export function requestFilters(): RequestFilter[] {
  return REQUEST_FILTERS.slice();
}

/** One list of the Requests view: the caller's organization as provider or as consumer,
 *  or (as null) every request, for the admin. */
export interface RequestListing {
  as: 'provider' | 'consumer' | null;
  key: string;
}
/** The lists the caller is shown: the admin every request at once; an organization's token
 *  what was asked of it (first: that is what waits for it) and what it asked for. */
export function requestListings(me: {
  organization: string | null;
  role: string;
}): RequestListing[] {
  if (me.role === 'admin') return [{ as: null, key: 'all' }];
  if (!me.organization) return [];
  return [
    { as: 'provider', key: 'provider' },
    { as: 'consumer', key: 'consumer' },
  ];
}

/** The path of one page of a listing: /requests?as=&status=&limit=&offset= (no status for 'all'). */
export function requestsPath(
  as: RequestListing['as'],
  filter: RequestFilter,
  limit: number,
  offset = 0,
): string {
  const p = new URLSearchParams();
  if (as) p.set('as', as);
  if (filter !== 'all') p.set('status', filter);
  p.set('limit', String(limit));
  if (offset) p.set('offset', String(offset));
  return `/requests?${p.toString()}`;
}

/** How long an open request has waited ("waiting 3 h"), or a closed one's lead time. */
export function waitText(
  r: Pick<ServiceRequest, 'status' | 'opened_at' | 'lead_time_seconds'>,
  nowMs: number,
): string {
  if (r.status === 'open') {
    const t = Date.parse(r.opened_at);
    return isNaN(t) ? 'waiting' : `waiting ${fmtDuration(Math.max(0, (nowMs - t) / 1000))}`;
  }
  return r.lead_time_seconds !== null && r.lead_time_seconds !== undefined
    ? `lead time ${fmtDuration(r.lead_time_seconds)}`
    : '';
}

/** The roles a party gives its own people on a relationship. */
export function rolesFor(side: 'provider' | 'consumer'): RoleName[] {
  return side === 'provider' ? ['relationship_manager'] : ['customer', 'user', 'sponsor'];
}

// ---- service levels over time ----

export interface SeriesData {
  /** Seconds since the epoch of each measurement's period end, ascending. */
  x: number[];
  value: number[];
  /** The objective in force for each measurement (it changes with the agreement). */
  objective: number[];
  /** The value where the objective was missed, null where it was met. */
  breach: (number | null)[];
  breaches: number;
}

/** One metric's measurements as the chart's series, in order of period end. */
export function seriesOf(measurements: Measurement[], metric: string): SeriesData {
  const ms = measurements
    .filter((m) => m.metric === metric)
    .slice()
    .sort((a, b) => Date.parse(a.period.end) - Date.parse(b.period.end));
  return {
    x: ms.map((m) => Date.parse(m.period.end) / 1000),
    value: ms.map((m) => m.value),
    objective: ms.map((m) => m.objective),
    breach: ms.map((m) => (m.met ? null : m.value)),
    breaches: ms.filter((m) => !m.met).length,
  };
}
