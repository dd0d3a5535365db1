// Requests across relationships (GET /requests?as=&status=): what waits for the signed-in
// organization as provider — open requests to fulfil or decline, each linking to its place
// in the relationship's queue (#/relationship/ID?request=REQ), where that is done — and
// what it asked for as consumer; for the admin, every request. One status filter for both
// lists, kept in the route (#/requests?status=open|fulfilled|declined|cancelled|all; open
// when absent). Each list reads a page at a time ("Show more").
import { enc, get, type Organization, type Page, type ServiceRequest } from '../api';
import { h, link } from '../dom';
import {
  queueOrder,
  requestFilter,
  requestFilters,
  requestListings,
  requestMoves,
  requestsPath,
  sideOf,
  waitText,
  type RequestFilter,
  type RequestListing,
} from '../srm';
import { liveSection, organizations, type Ctx, type View } from './common';
import { requestLines } from './requests';

const PAGE = 100;

export const requestListView: View = async (root, _params, ctx) => {
  const s = ctx.signal;
  const filter = requestFilter(ctx.query.get('status'));
  const orgs = await organizations(s);
  const mine = ctx.me.organization
    ? (orgs.get(ctx.me.organization)?.name ?? ctx.me.organization)
    : null;
  const listings = requestListings(ctx.me);
  root.append(
    h('h1', null, 'Requests'),
    h(
      'p',
      { class: 'muted' },
      listings.length === 1 && listings[0].as === null
        ? 'Every request on every relationship. Requests are fulfilled, declined or cancelled in the queue of their relationship.'
        : `The requests of the relationships ${mine ?? 'your organization'} is party to. Requests are fulfilled, declined or cancelled in the queue of their relationship.`,
    ),
    filterForm(filter),
  );
  if (!listings.length) {
    root.append(
      h(
        'p',
        { class: 'muted' },
        'Requests are listed for an organization’s token and for the admin; this token names no organization.',
      ),
    );
    return;
  }
  const sections = listings.map((l) => {
    const sec = liveSection(title(l, filter, mine), `requests-${l.key}`, s, () =>
      listing(l, filter, ctx, orgs),
    );
    sec.el.dataset.as = l.as ?? 'all';
    return sec;
  });
  root.append(...sections.map((x) => x.el));
  await Promise.all(sections.map((x) => x.load()));
};

function title(l: RequestListing, filter: RequestFilter, mine: string | null): string {
  const who = mine ?? 'us';
  const which =
    filter === 'all' ? 'Requests' : `${filter[0].toUpperCase()}${filter.slice(1)} requests`;
  if (l.as === 'provider')
    return filter === 'open'
      ? `Waiting for ${who} (as provider)`
      : `${which} to ${who} (as provider)`;
  if (l.as === 'consumer') return `${which} by ${who} (as consumer)`;
  return filter === 'all' ? 'All requests' : `All ${filter} requests`;
}

/** The status filter: a select that changes the route (and so redraws the view). */
function filterForm(filter: RequestFilter): HTMLElement {
  const select = h(
    'select',
    {
      id: 'requests-status',
      onchange: (ev: Event) => {
        const v = (ev.currentTarget as HTMLSelectElement).value;
        location.hash = v === 'open' ? '#/requests' : `#/requests?status=${enc(v)}`;
      },
    },
    requestFilters().map((f) =>
      h('option', { value: f, selected: f === filter }, f === 'all' ? 'all statuses' : f),
    ),
  );
  return h(
    'form',
    {
      class: 'inline-form card',
      'aria-label': 'Filter requests',
      'data-testid': 'requests-filter',
      onsubmit: (ev: Event) => ev.preventDefault(),
    },
    h('label', { for: 'requests-status' }, 'Status'),
    select,
  );
}

async function listing(
  l: RequestListing,
  filter: RequestFilter,
  ctx: Ctx,
  orgs: Map<string, Organization>,
): Promise<Node[]> {
  const s = ctx.signal;
  const first = await get<Page<ServiceRequest>>(requestsPath(l.as, filter, PAGE), s);
  if (!first.items.length) {
    const none =
      l.as === 'provider' && filter === 'open'
        ? 'Nothing waits: no open request was made to your organization.'
        : filter === 'all'
          ? 'No request.'
          : `No ${filter} request.`;
    return [h('p', { class: 'muted', 'data-testid': `requests-${l.key}-none` }, none)];
  }
  const loaded = first.items.slice();
  const list = h('ol', { class: 'queue', 'data-testid': `requests-${l.key}-list` });
  const shown = h('p', { class: 'muted', 'data-testid': `requests-${l.key}-count` });
  const more = h(
    'button',
    { type: 'button', 'data-testid': `requests-${l.key}-more` },
    'Show more',
  );
  const draw = (total: number) => {
    const now = Date.now();
    list.replaceChildren(...queueOrder(loaded).map((r) => item(r, l, ctx, orgs, now)));
    shown.textContent =
      total > loaded.length
        ? `${loaded.length} of ${total} shown (open ones first, oldest first; then the closed, newest first).`
        : `${total} request${total === 1 ? '' : 's'}.`;
    more.hidden = loaded.length >= total;
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const next = await get<Page<ServiceRequest>>(
        requestsPath(l.as, filter, PAGE, loaded.length),
        s,
      );
      const seen = new Set(loaded.map((r) => r.id));
      loaded.push(...next.items.filter((r) => !seen.has(r.id)));
      draw(next.total);
    } finally {
      more.disabled = false;
    }
  });
  draw(first.total);
  return [shown, list, more];
}

function item(
  r: ServiceRequest,
  l: RequestListing,
  ctx: Ctx,
  orgs: Map<string, Organization>,
  now: number,
): HTMLElement {
  const org = (id: string) => link('organization', id, orgs.get(id)?.name ?? id);
  const moves = requestMoves(r, sideOf(r, ctx.me));
  const where = `#/relationship/${enc(r.relationship)}?request=${enc(r.id)}`;
  const verb = moves.includes('fulfil')
    ? 'Fulfil or decline'
    : moves.includes('cancel')
      ? 'Cancel'
      : 'See it';
  return h(
    'li',
    {
      class: `request-item ${r.status}`,
      'data-request': r.id,
      'data-status': r.status,
      'data-relationship': r.relationship,
    },
    requestLines(
      r,
      r.status === 'open' ? [' · ', h('span', { class: 'waiting' }, waitText(r, now))] : [],
    ),
    h(
      'div',
      { class: 'req-parties' },
      l.as === 'provider'
        ? ['asked by ', org(r.consumer)]
        : l.as === 'consumer'
          ? ['asked of ', org(r.provider)]
          : [org(r.consumer), ' asked ', org(r.provider)],
      ' on ',
      link('relationship', r.relationship),
      ' · ',
      h(
        'a',
        { href: where, class: moves.length ? 'act' : undefined, 'data-act': r.id },
        `${verb} in the relationship’s queue →`,
      ),
    ),
  );
}
