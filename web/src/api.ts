// The one way the UI reads and writes: the cocreate HTTP API under /api/v1.
// Every call carries the session's bearer token; every failure becomes an ApiError
// whose message is the server's words ({"error": {code, message, field?}}).
// Bodies are written by stringifyExact (an Amount goes out digit for digit); getExact
// reads an answer keeping its money amounts as the decimals the server wrote.
import { parseJsonExact, stringifyExact, type Decimal } from './decimal';

const BASE = '/api/v1';
const TOKEN_KEY = 'cocreate.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  /** A sentence a person can act on: "HTTP 409 conflict: ... (field: x)". */
  describe(): string {
    const where = this.field ? ` (field: ${this.field})` : '';
    const status = this.status ? `HTTP ${this.status} ` : '';
    return `${status}${this.code}: ${this.message}${where}`;
  }
}

export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.describe();
  if (e instanceof Error) return e.message;
  return String(e);
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}
export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Called when the server answers 401: the session is over. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

function headers(body: boolean): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json' };
  const t = getToken();
  if (t) h.Authorization = `Bearer ${t}`;
  if (body) h['Content-Type'] = 'application/json';
  return h;
}

async function toError(res: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
    const j = JSON.parse(text);
    if (j && j.error) {
      return new ApiError(res.status, String(j.error.code ?? 'error'), String(j.error.message ?? ''), j.error.field);
    }
  } catch {
    /* not JSON: fall through */
  }
  return new ApiError(res.status, 'http_error', text.trim() || res.statusText || 'request failed');
}

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, exact = false): Promise<T> {
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : stringifyExact(body),
      signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', `the server could not be reached (${(e as Error).message})`);
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401) onUnauthorized();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  if (!exact) return (await res.json()) as T;
  return parseJsonExact(await res.text()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal);
/** GET, with every money amount of the answer kept as the decimal the server wrote. */
export const getExact = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal, true);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
/** POST, reading money in the answer exactly (as getExact). */
export const postExact = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body, undefined, true);
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const del = (path: string) => request<void>('DELETE', path);

export interface Page<T> {
  items: T[];
  total: number;
}

export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Every item of a listing: the first page, then the rest in parallel (limit max 1000).
 *  `collection` may be a sub-listing (`relationships/ID/measurements`); `exact` reads money
 *  as getExact does. */
export async function listAll<T>(collection: string, filters: Record<string, string> = {}, signal?: AbortSignal, exact = false): Promise<T[]> {
  const limit = 1000;
  const read = (offset: number) => request<Page<T>>('GET', `/${collection}${qs({ ...filters, limit, offset })}`, undefined, signal, exact);
  const first = await read(0);
  const items = first.items.slice();
  const rest: Promise<Page<T>>[] = [];
  for (let offset = limit; offset < first.total; offset += limit) rest.push(read(offset));
  for (const page of await Promise.all(rest)) items.push(...page.items);
  return items;
}

export const enc = encodeURIComponent;

// ---- shapes (as the server answers them) ----

// Every object has a status; a server from before statuses answers none.
export type OrgStatus = 'active' | 'closed';
export type ObjectStatus = 'active' | 'retired';
export type ServiceStatus = 'active' | 'retired' | 'degraded';

export interface Organization {
  id: string;
  name: string;
  description?: string;
  attributes?: Record<string, unknown>;
  status?: OrgStatus;
  created_at?: string;
}
export interface ConsumerGroup {
  id: string;
  name: string;
  owner?: string | null;
  members?: string[];
  status?: string;
  created_at?: string;
}
export interface Resource {
  id: string;
  owner: string;
  kind: string;
  name: string;
  attributes: Record<string, unknown>;
  version: number;
  origin: { provision: string } | null;
  status?: ObjectStatus;
  created_at?: string;
  updated_at?: string;
}
export interface ResourceVersion {
  id: string;
  version: number;
  owner: string;
  kind: string;
  name: string;
  attributes: Record<string, unknown>;
  at: string;
  provision?: string | null;
}
export interface Service {
  id: string;
  provider: string;
  name: string;
  description?: string;
  built_on: string[];
  depends_on: string[];
  status?: ServiceStatus;
  /** What broke a degraded service: a resource or service it lost access to, and through which relationship. */
  degraded_by?: { resource?: string; service?: string; relationship?: string | null }[];
}
export type Effect = 'create' | 'modify' | 'transfer' | 'none';
export interface Offering {
  id: string;
  provider: string;
  service: string;
  name: string;
  audience: 'public' | { consumer_groups: string[] };
  goods: { kind: string; name: string }[];
  access: { resource: string }[];
  actions: { name: string; effect: Effect }[];
  service_levels: { metric: string; objective: number; unit: string }[];
  price?: { amount: number; currency: string; period: string } | null;
  status?: ObjectStatus;
  version?: number;
}
export type RelStatus = 'requested' | 'active' | 'suspended' | 'rejected' | 'terminated';
export interface Relationship {
  id: string;
  offering: string;
  provider: string;
  consumer: string;
  type: 'basic' | 'cooperative' | 'partnership';
  status: RelStatus;
  requested_at?: string;
  activated_at?: string | null;
  updated_at?: string;
  /** The agreement in force (read it exactly from /relationships/{id}/agreement); null
   *  until activation. Absent from servers before agreements. */
  agreement?: { version: number } | null;
}
export interface Value {
  outcomes?: string[];
  costs?: { amount: number; currency: string; kind: string }[];
  risks?: { description: string; kind: string }[];
}
export interface Provision {
  id: string;
  relationship: string;
  action: string;
  provider: string;
  consumer: string;
  used: string[];
  created: string[];
  modified: ({ resource: string; version: number } | string)[];
  transferred: string[];
  value?: Value | null;
  at: string;
}
export interface Roles {
  organization: string;
  consumer_since: string | null;
  provider_since: string | null;
  transitions: {
    at: string;
    from: string;
    to: string;
    evidence: { service: string; resource: string; provision: string; relationship: string; provider: string }[];
  }[];
}
export interface ValueRollup {
  provisions: number;
  outcomes: string[];
  costs: { introduced: Record<string, number>; removed: Record<string, number> };
  risks: { introduced: string[]; removed: string[] };
}
export interface OrgValue {
  organization: string;
  received: ValueRollup;
  provided: ValueRollup;
}
export interface ImpactEntry {
  id: string | null;
  type: string;
  depth: number;
  path?: (string | null)[];
}
export interface Impact {
  from: string;
  affected: ImpactEntry[];
  counts: Record<string, number>;
  redacted: number;
}
export interface Cycle {
  organizations: (string | null)[];
  relationships: (string | null)[];
}
export interface CocreateEvent {
  seq: number;
  type: string;
  at: string;
  actor: string;
  subject: string;
  data: unknown;
}
export interface Token {
  id: string;
  organization: string;
  role: 'member' | 'viewer';
  person?: string | null;
  created_at: string;
  expires_at?: string | null;
}
/** POST /tokens answers the token's listing fields and, this once, its secret. */
export interface IssuedToken extends Partial<Token> {
  token: string;
}
export interface Me {
  organization: string | null;
  role: 'admin' | 'member' | 'viewer' | 'unknown';
}

// ---- service relationship management (CONTRACT §6): read with getExact, so every
// money amount below is a Decimal, the literal the server wrote ----

export type RelType = Relationship['type'];
export type Target = 'at_least' | 'at_most';
export interface ServiceLevel {
  metric: string;
  objective: number;
  unit: string;
  target?: Target;
}
export interface Price {
  amount: Decimal;
  currency: string;
  period: string;
}
export interface Agreement {
  version: number;
  type: RelType;
  service_levels: ServiceLevel[];
  price: Price | null;
  start: string;
  end: string | null;
  renewal: 'none' | 'auto';
  /** The proposal whose acceptance made this version (null for version 1). */
  proposal: string | null;
  at: string;
}
export type ProposalStatus = 'open' | 'accepted' | 'declined' | 'withdrawn';
export interface AgreementChanges {
  type?: RelType;
  service_levels?: ServiceLevel[];
  price?: Price | null;
  end?: string | null;
  renewal?: 'none' | 'auto';
}
export interface Proposal {
  id: string;
  relationship: string;
  /** The organization that proposed it. */
  by: string;
  status: ProposalStatus;
  changes: AgreementChanges;
  note?: string;
  created_at: string;
  closed_at?: string | null;
  reason?: string | null;
}
export interface Period {
  start: string;
  end: string;
}
export interface Measurement {
  id: string;
  relationship: string;
  by: string;
  metric: string;
  value: number;
  unit: string;
  period: Period;
  note?: string;
  objective: number;
  target: Target;
  met: boolean;
  agreement_version: number;
  at: string;
}
export interface ServiceLevelSummary extends ServiceLevel {
  measurements: number;
  met: number;
  attainment: number | null;
  last: Measurement | null;
  breaches: Measurement[];
}
export interface ServiceLevels {
  relationship: string;
  items: ServiceLevelSummary[];
}
export interface Breach {
  seq: number;
  at: string;
  /** null when the caller may not see the relationship. */
  relationship: string | null;
  metric: string;
  period: Period;
  consumers_reached: number;
  value?: number;
  objective?: number;
}
export interface Breaches extends Page<Breach> {
  organization: string;
}
export type RequestStatus = 'open' | 'fulfilled' | 'declined' | 'cancelled';
/** A request the consumer opened for one of the offering's actions. */
export interface ServiceRequest {
  id: string;
  relationship: string;
  consumer: string;
  provider: string;
  action: string;
  note?: string;
  details: Record<string, unknown>;
  status: RequestStatus;
  opened_at: string;
  closed_at: string | null;
  provision: string | null;
  reason: string | null;
  lead_time_seconds: number | null;
}
export interface Requests extends Page<ServiceRequest> {
  lead_time: { fulfilled: number; mean_seconds: number | null; median_seconds: number | null };
}
export interface Source {
  type: 'provision' | 'value';
  id: string;
}
export interface StatedRisk {
  description: string;
  kind: string;
  source: Source;
  party: string;
}
/** Value as one party states it (V in the contract). */
export interface StatedValue {
  provisions: number;
  statements: number;
  outcomes: { text: string; source: Source; party: string }[];
  costs: { introduced: Record<string, Decimal>; removed: Record<string, Decimal> };
  risks: { introduced: StatedRisk[]; removed: StatedRisk[] };
}
export interface RelationshipValue {
  relationship: string;
  provider_stated: StatedValue;
  consumer_stated: StatedValue;
}
export interface OrgStatedValue {
  organization: string;
  received: StatedValue;
  provided: StatedValue;
}
export interface ValueRecord {
  id: string;
  relationship: string;
  party: string;
  outcomes: string[];
  costs: { amount: Decimal; currency: string; kind: 'introduced' | 'removed' }[];
  risks: { description: string; kind: string }[];
  period: Period | null;
  note?: string;
  at: string;
}
export interface Chain {
  organizations: (string | null)[];
  relationships: (string | null)[];
  value?: RelationshipValue[];
}
export interface Chains {
  items: Chain[];
  redacted: number;
}
/** A role a person holds on a relationship, as GET /people/{id} and
 *  /organizations/{id}/people answer it (on relationships the caller may see). */
export interface PersonRole {
  relationship: string;
  role: RoleName;
  assigned_at: string;
}
export interface Person {
  id: string;
  organization: string | null;
  name: string;
  email?: string;
  created_at: string;
  /** Absent from servers before roles were answered with the person. */
  roles?: PersonRole[];
}
export type RoleName = 'customer' | 'user' | 'sponsor' | 'relationship_manager';
export interface RoleAssignment {
  person: string;
  name: string;
  role: RoleName;
  organization: string;
  assigned_at?: string;
}
