// The catalog: offerings the signed-in organization may request (those visible to it,
// other than its own), each with a request action: POST /relationships {offering, consumer, type}.
// The admin requests on behalf of a consumer it names.
import { describeError, get, post, qs, type Offering, type Page, type Relationship } from '../api';
import { h, errorBox, link, statusBadge } from '../dom';
import { organizations, isAdmin, type View } from './common';

const PAGE = 50;

export const catalogView: View = async (root, _params, ctx) => {
  const s = ctx.signal;
  const me = ctx.me.organization;
  const admin = isAdmin(ctx);
  const orgs = await organizations(s);
  root.append(
    h('h1', null, 'Catalog'),
    h(
      'p',
      null,
      admin
        ? 'Every offering. As the admin, name the consumer that requests it.'
        : me
          ? `Offerings that ${orgs.get(me)?.name ?? me} may request.`
          : 'Offerings visible to this token.',
    ),
  );
  if (ctx.me.role === 'viewer')
    root.append(h('p', { class: 'note' }, 'A viewer token only reads: requests will be refused.'));
  const datalist = admin
    ? h(
        'datalist',
        { id: 'org-ids' },
        [...orgs.values()].slice(0, 2000).map((o) => h('option', { value: o.id }, o.name)),
      )
    : null;
  if (datalist) root.append(datalist);
  const list = h('ul', { class: 'catalog', 'data-testid': 'catalog' });
  const more = h('button', { type: 'button' }, 'Show more offerings');
  const info = h('p', { class: 'muted', 'aria-live': 'polite' });
  root.append(info, list, more);
  let offset = 0;
  let total = 0;
  let shown = 0;

  function card(o: Offering): HTMLElement {
    const typeSel = h(
      'select',
      { id: `type-${o.id}`, name: 'type' },
      ['basic', 'cooperative', 'partnership'].map((t) => h('option', { value: t }, t)),
    );
    const consumerIn = admin
      ? h('input', {
          id: `consumer-${o.id}`,
          name: 'consumer',
          list: 'org-ids',
          required: true,
          placeholder: 'organization id',
        })
      : null;
    const result = h('div', { 'aria-live': 'polite', class: 'result' });
    const btn = h('button', { type: 'submit', class: 'primary' }, 'Request');
    const form = h(
      'form',
      {
        class: 'request',
        'aria-label': `Request ${o.name}`,
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          result.replaceChildren();
          btn.disabled = true;
          try {
            const consumer = admin ? consumerIn!.value.trim() : me;
            const rel = await post<Relationship>('/relationships', {
              offering: o.id,
              consumer,
              type: typeSel.value,
            });
            result.append(
              h(
                'p',
                { class: 'ok' },
                'Requested: ',
                link('relationship', rel.id),
                ` (status ${rel.status}). The provider can now activate it.`,
              ),
            );
          } catch (e) {
            result.append(errorBox(`The request was refused: ${describeError(e)}`));
          } finally {
            btn.disabled = false;
          }
        },
      },
      consumerIn ? [h('label', { for: `consumer-${o.id}` }, 'Consumer'), consumerIn] : null,
      h('label', { for: `type-${o.id}` }, 'Relationship type'),
      typeSel,
      btn,
    );
    const price = o.price
      ? `${o.price.amount.toLocaleString('en')} ${o.price.currency} per ${o.price.period}`
      : 'no price';
    return h(
      'li',
      { class: 'card offering', 'data-offering': o.id },
      h('h2', null, link('offering', o.id, o.name), ' ', statusBadge(o.status)),
      h(
        'p',
        null,
        'by ',
        link('organization', o.provider, orgs.get(o.provider)?.name ?? o.provider),
        ' · service ',
        link('service', o.service),
        ' · ',
        o.audience === 'public' ? 'public' : `for ${o.audience.consumer_groups.join(', ')}`,
        ' · ',
        price,
      ),
      h(
        'dl',
        { class: 'compact' },
        h('dt', null, 'Goods'),
        h('dd', null, o.goods.map((g) => `${g.name} (${g.kind})`).join('; ') || '—'),
        h('dt', null, 'Access to'),
        h(
          'dd',
          null,
          o.access.map((a, i) => [i ? ', ' : '', link('resource', a.resource)]),
        ),
        h('dt', null, 'Actions'),
        h('dd', null, o.actions.map((a) => `${a.name} (${a.effect})`).join(', ') || '—'),
        h('dt', null, 'Service levels'),
        h(
          'dd',
          null,
          o.service_levels.map((l) => `${l.metric} ${l.objective} ${l.unit}`).join('; ') || '—',
        ),
      ),
      o.status === 'retired'
        ? h('p', { class: 'muted' }, 'Retired: it takes no new requests.')
        : [form, result],
    );
  }

  async function loadMore(): Promise<void> {
    more.disabled = true;
    try {
      const page = await get<Page<Offering>>(`/offerings${qs({ limit: PAGE, offset })}`, s);
      total = page.total;
      offset += page.items.length;
      for (const o of page.items) {
        if (!admin && o.provider === me) continue;
        list.append(card(o));
        shown++;
      }
      info.textContent = `${shown} offerings shown (${offset} of ${total} visible offerings read).`;
      more.hidden = offset >= total;
      if (!shown && offset >= total)
        list.append(h('li', { class: 'muted' }, 'No offering is open to you.'));
    } catch (e) {
      if (!s.aborted) root.append(errorBox(describeError(e)));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => void loadMore());
  await loadMore();
};
