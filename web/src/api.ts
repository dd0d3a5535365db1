// The one way the UI reads and writes: the cocreate HTTP API under /api/v1.
// Every call carries the session's bearer token; every failure becomes an ApiError
// whose message is the server's words ({"error": {code, message, field?}}).
// Bodies are written by stringifyExact (an Amount goes out digit for digit); getExact
// reads an answer keeping its money amounts as the decimals the server wrote.
import type { components } from './api-types';
import { parseJsonExact, stringifyExact } from './decimal';

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
      return new ApiError(
        res.status,
        String(j.error.code ?? 'error'),
        String(j.error.message ?? ''),
        j.error.field,
      );
    }
  } catch {
    /* not JSON: fall through */
  }
  return new ApiError(res.status, 'http_error', text.trim() || res.statusText || 'request failed');
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
  exact = false,
): Promise<T> {
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

export const get = <T>(path: string, signal?: AbortSignal) =>
  request<T>('GET', path, undefined, signal);
/** GET, with every money amount of the answer kept as the decimal the server wrote. */
export const getExact = <T>(path: string, signal?: AbortSignal) =>
  request<T>('GET', path, undefined, signal, true);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
/** POST, reading money in the answer exactly (as getExact). */
export const postExact = <T>(path: string, body: unknown = {}) =>
  request<T>('POST', path, body, undefined, true);
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const del = (path: string) => request<void>('DELETE', path);

/** A page of a listing: `limit` and `offset` are absent from the few lists that take none. */
export interface Page<T> {
  items: T[];
  total: number;
  limit?: number;
  offset?: number;
}

export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Every item of a listing: the first page, then the rest in parallel (limit max 1000).
 *  `collection` may be a sub-listing (`relationships/ID/measurements`); `exact` reads money
 *  as getExact does. */
export async function listAll<T>(
  collection: string,
  filters: Record<string, string> = {},
  signal?: AbortSignal,
  exact = false,
): Promise<T[]> {
  const limit = 1000;
  const read = (offset: number) =>
    request<Page<T>>(
      'GET',
      `/${collection}${qs({ ...filters, limit, offset })}`,
      undefined,
      signal,
      exact,
    );
  const first = await read(0);
  const items = first.items.slice();
  const rest: Promise<Page<T>>[] = [];
  for (let offset = limit; offset < first.total; offset += limit) rest.push(read(offset));
  for (const page of await Promise.all(rest)) items.push(...page.items);
  return items;
}

export const enc = encodeURIComponent;

// ---- shapes: the types generated from the server's OpenAPI document (api-types.ts, which
// script/test-web checks against the binary), under the names the views use. A money
// amount is `number | Decimal`: a Decimal (the literal the server wrote) when read with
// getExact, which every view that shows money uses. ----

type Schemas = components['schemas'];

export type Organization = Schemas['Organization'];
export type OrgStatus = Organization['status'];
export type ConsumerGroup = Schemas['ConsumerGroup'];
export type Resource = Schemas['Resource'];
export type ObjectStatus = Resource['status'];
export type ResourceVersion = Schemas['ResourceVersion'];
export type Service = Schemas['Service'];
export type ServiceStatus = Service['status'];
export type Offering = Schemas['Offering'];
export type Effect = Schemas['Action']['effect'];
export type Relationship = Schemas['Relationship'];
export type RelStatus = Relationship['status'];
export type RelType = Schemas['RelationshipType'];
export type Value = Schemas['Value'];
export type Provision = Schemas['Provision'];
export type Roles = Schemas['Roles'];
export type Impact = Schemas['Impact'];
export type ImpactEntry = Impact['affected'][number];
export type Cycles = Schemas['Cycles'];
export type Cycle = Cycles['items'][number];
export type OrganizationGraph = Schemas['OrganizationGraph'];
export type Lineage = Schemas['Lineage'];
export type CocreateEvent = Schemas['Event'];
export type EventPage = Schemas['EventPage'];
export type Token = Schemas['TokenInfo'];
/** POST /tokens answers the token's listing fields and, this once, its secret. */
export type IssuedToken = Schemas['Token'];
/** Who is signed in; `unknown` when inferred from a server without GET /me (session.ts). */
export type Me = Omit<Schemas['Me'], 'person' | 'role'> & {
  role: Schemas['Me']['role'] | 'unknown';
  person?: string | null;
};
export type Target = NonNullable<Schemas['ServiceLevel']['target']>;
export type ServiceLevel = Schemas['ServiceLevel'];
export type Price = Schemas['Price'];
export type Agreement = Schemas['Agreement'];
export type AgreementChanges = Schemas['AgreementChanges'];
export type Proposal = Schemas['Proposal'];
export type ProposalStatus = Proposal['status'];
export type Period = Schemas['Period'];
export type Measurement = Schemas['Measurement'];
export type ServiceLevelSummary = Schemas['ServiceLevelStatus'];
export type ServiceLevels = Schemas['ServiceLevels'];
export type Breach = Schemas['Breach'];
export type Breaches = Schemas['BreachList'];
/** A request the consumer opened for one of the offering's actions. */
export type ServiceRequest = Schemas['Request'];
export type RequestStatus = ServiceRequest['status'];
export type Requests = Schemas['RequestQueue'];
export type Source = Schemas['Source'];
export type StatedRisk = Schemas['StatedRisk'];
/** Value as one party states it (V in the contract). */
export type StatedValue = Schemas['StatedValue'];
export type RelationshipValue = Schemas['RelationshipValue'];
export type OrgStatedValue = Schemas['OrganizationValue'];
export type ValueRecord = Schemas['ValueRecord'];
export type Chain = Schemas['Chain'];
export type Chains = Schemas['Chains'];
export type Person = Schemas['Person'];
/** A role a person holds on a relationship, as GET /people/{id} and
 *  /organizations/{id}/people answer it (on relationships the caller may see). */
export type PersonRole = NonNullable<Person['roles']>[number];
export type RoleName = Schemas['RoleName'];
export type RoleAssignment = Schemas['RoleAssignment'];
