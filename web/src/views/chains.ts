// Value chains (#/chains?from=ORG&to=ORG): every chain of active relationships from one
// organization (provider) down to another (consumer), shortest first, drawn as organizations
// joined by their relationships, and on each hop the value as its provider and its consumer
// state it (GET /chains?from=&to=&value=true). Chains with a hop the caller may not see are
// only counted (`redacted`).
import { getExact, qs, type Chains, type RelationshipValue } from '../api';
import { h, link } from '../dom';
import { valueLines } from '../srm';
import { organizations, type View } from './common';

const LIMIT = 10;

export const chainsView: View = async (root, _params, ctx) => {
  const s = ctx.signal;
  const orgs = await organizations(s);
  const from = ctx.query.get('from') ?? ctx.me.organization ?? '';
  const to = ctx.query.get('to') ?? '';
  const fromIn = h('input', {
    id: 'chain-from',
    name: 'from',
    list: 'chain-orgs',
    required: true,
    autocomplete: 'off',
    value: from,
    placeholder: 'provider organization id',
  });
  const toIn = h('input', {
    id: 'chain-to',
    name: 'to',
    list: 'chain-orgs',
    required: true,
    autocomplete: 'off',
    value: to,
    placeholder: 'consumer organization id',
  });
  root.append(
    h('h1', null, 'Value chains'),
    h(
      'p',
      { class: 'muted' },
      'How value flows from a provider, through the organizations it serves, down to a consumer: each hop an active relationship, with the value each of its two parties states.',
    ),
    h(
      'form',
      {
        class: 'card inline-form',
        'aria-label': 'Chains between two organizations',
        'data-testid': 'chain-form',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          location.hash = `#/chains${qs({ from: fromIn.value.trim(), to: toIn.value.trim() })}`;
        },
      },
      h('label', { for: 'chain-from' }, 'From (provider)'),
      fromIn,
      h('label', { for: 'chain-to' }, 'to (consumer)'),
      toIn,
      h(
        'datalist',
        { id: 'chain-orgs' },
        [...orgs.values()].slice(0, 2000).map((o) => h('option', { value: o.id }, o.name)),
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Show chains'),
    ),
  );
  if (!from || !to) return;

  const c = await getExact<Chains>(`/chains${qs({ from, to, value: true, limit: LIMIT })}`, s);
  const name = (id: string | null) => (id ? (orgs.get(id)?.name ?? id) : '(hidden)');
  root.append(
    h(
      'p',
      { 'data-testid': 'chains-summary' },
      c.items.length
        ? `${c.items.length} chain${c.items.length === 1 ? '' : 's'} from ${name(from)} to ${name(to)}, shortest first`
        : `No chain you may see from ${name(from)} to ${name(to)}`,
      c.redacted ? `; ${c.redacted} more pass through a relationship you may not see.` : '.',
      c.items.length === LIMIT ? ` The first ${LIMIT} are shown.` : '',
    ),
  );
  if (!c.items.length) return;
  root.append(
    h(
      'ol',
      { class: 'chains', 'data-testid': 'chains' },
      c.items.map((chain, i) =>
        h(
          'li',
          {
            class: 'card',
            'data-chain': String(i),
            'data-hops': String(chain.relationships.length),
          },
          h(
            'h2',
            null,
            `Chain ${i + 1}: ${chain.relationships.length} hop${chain.relationships.length === 1 ? '' : 's'}`,
          ),
          h(
            'ol',
            { class: 'chain' },
            chain.organizations.map((o, k) => [
              h(
                'li',
                { class: 'chain-org', 'data-org': o ?? '' },
                o ? link('organization', o, name(o)) : '(hidden)',
              ),
              k < chain.relationships.length ? hop(chain.relationships[k], chain.value?.[k]) : null,
            ]),
          ),
        ),
      ),
    ),
  );
};

/** One relationship of a chain: its link, and its value as its provider and its consumer state it. */
function hop(rel: string | null, v: RelationshipValue | undefined): HTMLElement {
  const side = (title: string, key: 'provider_stated' | 'consumer_stated') => {
    const x = v?.[key];
    return [
      h('dt', { 'data-side': key }, title),
      x
        ? h(
            'dd',
            { 'data-side': key },
            valueLines(x).map((line, i) => [i ? h('br') : null, line]),
            x.outcomes.length
              ? h(
                  'ul',
                  { class: 'stated' },
                  x.outcomes.slice(0, 3).map((o) => h('li', null, o.text)),
                )
              : null,
          )
        : h('dd', { class: 'muted', 'data-side': key }, '—'),
    ];
  };
  return h(
    'li',
    { class: 'chain-hop', 'data-relationship': rel ?? '' },
    h('div', { class: 'arrow' }, rel ? link('relationship', rel) : '(hidden)'),
    h(
      'dl',
      null,
      side('provider says', 'provider_stated'),
      side('consumer says', 'consumer_stated'),
    ),
  );
}
