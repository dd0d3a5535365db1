// What every view receives and returns.
import type { Me } from '../api';

export interface Ctx {
  me: Me;
  signal: AbortSignal; // aborted when the user leaves the view
  query: URLSearchParams;
  /** Renders the view again (after a change), with `flash` shown above it once. */
  reload: (flash?: string) => void;
}
/** Renders into root; may return a cleanup run when the view is left. */
export type View = (root: HTMLElement, params: string[], ctx: Ctx) => Promise<(() => void) | void>;

export function isAdmin(ctx: Ctx): boolean {
  return ctx.me.role === 'admin';
}

/** Whether the caller may change what `owner` owns: the admin, or a (non-viewer) token of
 *  that organization. The server has the last word; this only decides what to offer. */
export function mayChange(ctx: Ctx, owner: string | null | undefined): boolean {
  if (isAdmin(ctx)) return true;
  return !!owner && ctx.me.organization === owner && ctx.me.role !== 'viewer';
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
