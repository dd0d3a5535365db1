// What every view receives and returns, and what views share: the directory of
// organizations, who may change what, a section that loads (and reloads) itself.
import { describeError, listAll, type Me, type Organization } from '../api';
import { h, errorBox } from '../dom';

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

let orgCache: Promise<Map<string, Organization>> | null = null;
/** The directory of organizations (every token may read it), loaded once and shared by
 *  views, so it is never tied to (and aborted with) one view's signal. */
export function organizations(_signal?: AbortSignal): Promise<Map<string, Organization>> {
  if (!orgCache) {
    orgCache = listAll<Organization>('organizations', {}).then(
      (items) => new Map(items.map((o) => [o.id, o])),
    );
    orgCache.catch(() => (orgCache = null));
  }
  return orgCache;
}
export function forgetOrganizations(): void {
  orgCache = null;
}

/** A card that loads its own content and can load it again (after a change), with a
 *  one-line message above it. While loading it is aria-busy; a failure is shown in words. */
export interface LiveSection {
  el: HTMLElement;
  /** Loads the content again; `message` (a confirmation) is shown above it. */
  load: (message?: Node | string) => Promise<void>;
}
export function liveSection(
  title: string,
  testid: string,
  signal: AbortSignal,
  render: () => Promise<Node | Node[]>,
): LiveSection {
  const note = h('div', { 'aria-live': 'polite', 'data-testid': `${testid}-message` });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const el = h(
    'section',
    { class: 'card', 'data-testid': testid, 'aria-label': title },
    h('h2', null, title),
    note,
    body,
  );
  let latest = 0; // a load started later wins over one that ends later
  const load = async (message?: Node | string) => {
    const mine = ++latest;
    el.setAttribute('aria-busy', 'true');
    // The message appears with the content it confirms, not before.
    const said = typeof message === 'string' ? h('p', { class: 'ok' }, message) : (message ?? '');
    try {
      const n = await render();
      if (signal.aborted || mine !== latest) return;
      body.replaceChildren(...(Array.isArray(n) ? n : [n]));
      note.replaceChildren(said);
    } catch (e) {
      if (signal.aborted || mine !== latest) return;
      note.replaceChildren();
      body.replaceChildren(errorBox(describeError(e)));
    } finally {
      if (mine === latest) el.removeAttribute('aria-busy');
    }
  };
  return { el, load };
}
