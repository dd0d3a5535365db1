// What every view receives and returns.
import type { Me } from '../api';

export interface Ctx {
  me: Me;
  signal: AbortSignal; // aborted when the user leaves the view
  query: URLSearchParams;
}
/** Renders into root; may return a cleanup run when the view is left. */
export type View = (root: HTMLElement, params: string[], ctx: Ctx) => Promise<(() => void) | void>;

export function isAdmin(ctx: Ctx): boolean {
  return ctx.me.role === 'admin';
}

import { listAll, type Organization } from '../api';

let orgCache: Promise<Map<string, Organization>> | null = null;
/** The directory of organizations (every token may read it), loaded once and shared by
 *  views, so it is never tied to (and aborted with) one view's signal. */
export function organizations(_signal?: AbortSignal): Promise<Map<string, Organization>> {
  if (!orgCache) {
    orgCache = listAll<Organization>('organizations', {}).then((items) => new Map(items.map((o) => [o.id, o])));
    orgCache.catch(() => (orgCache = null));
  }
  return orgCache;
}
export function forgetOrganizations(): void {
  orgCache = null;
}
