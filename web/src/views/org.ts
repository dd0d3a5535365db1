// An organization: resources, services, offerings, relationships as provider and as
// consumer, role timeline (GET /organizations/{id}/roles) and value (GET .../value).
import { describeError, enc, get, listAll, type Offering, type OrgValue, type Organization, type Relationship, type Resource, type Roles, type Service, type ValueRollup } from '../api';
import { h, errorBox, fmtTime, link, section, table } from '../dom';
import { organizations, type View } from './common';

function orgName(orgs: Map<string, Organization>, id: string): Node {
  return link('organization', id, orgs.get(id)?.name ?? id);
}

function relTable(rels: Relationship[], orgs: Map<string, Organization>, other: 'provider' | 'consumer'): Node {
  if (!rels.length) return h('p', { class: 'muted' }, 'None.');
  return table(
    ['relationship', other, 'offering', 'type', 'status', 'activated'],
    rels.map((r) => [link('relationship', r.id), orgName(orgs, r[other]), link('offering', r.offering), r.type, h('span', { class: `status ${r.status}` }, r.status), fmtTime(r.activated_at)]),
  );
}

function rollup(title: string, v: ValueRollup): Node {
  const money = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([cur, n]) => `${n.toLocaleString('en')} ${cur}`)
      .join(', ') || '—';
  return h(
    'div',
    { class: 'value' },
    h('h3', null, `${title} (${v.provisions} provisions)`),
    h('dl', null, h('dt', null, 'Costs introduced'), h('dd', null, money(v.costs.introduced)), h('dt', null, 'Costs removed'), h('dd', null, money(v.costs.removed))),
    h('h4', null, 'Outcomes'),
    v.outcomes.length ? h('ul', null, v.outcomes.map((o) => h('li', null, o))) : h('p', { class: 'muted' }, 'None.'),
    h('h4', null, 'Risks'),
    h(
      'ul',
      null,
      v.risks.introduced.map((r) => h('li', null, `introduced: ${r}`)),
      v.risks.removed.map((r) => h('li', null, `removed: ${r}`)),
    ),
  );
}

export const orgView: View = async (root, [id], ctx) => {
  const s = ctx.signal;
  const [org, orgs] = await Promise.all([get<Organization>(`/organizations/${enc(id)}`, s), organizations(s)]);
  root.append(
    h('h1', null, org.name, ' ', h('small', { class: 'muted' }, org.id)),
    h('p', null, org.description ?? ''),
    h('p', null, h('a', { href: `#/impact/${enc(org.id)}` }, 'Impact analysis from this organization')),
  );
  const slot = (title: string) => {
    const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
    const sec = section(title, body);
    sec.dataset.section = title.toLowerCase().replace(/[^a-z]+/g, '-');
    root.append(sec);
    return (f: () => Promise<Node | Node[]>) =>
      f()
        .then((n) => {
          body.replaceChildren(...(Array.isArray(n) ? n : [n]));
        })
        .catch((e) => {
          if (s.aborted) return;
          body.replaceChildren(errorBox(describeError(e)));
        })
        .finally(() => body.removeAttribute('aria-busy'));
  };
  const roles = slot('Role timeline');
  const value = slot('Value');
  const resources = slot('Resources');
  const services = slot('Services');
  const offerings = slot('Offerings');
  const asProvider = slot('Relationships as provider');
  const asConsumer = slot('Relationships as consumer');

  await Promise.all([
    roles(async () => {
      const r = await get<Roles>(`/organizations/${enc(id)}/roles`, s);
      const items: { at: string | null; what: Node | string }[] = [
        { at: r.consumer_since, what: 'first active relationship as consumer' },
        { at: r.provider_since, what: 'first active relationship as provider' },
        ...r.transitions.map((t) => ({
          at: t.at,
          what: h(
            'div',
            { class: 'transition', 'data-transition': t.at },
            h('strong', null, `role transition: ${t.from} → ${t.to}`),
            t.evidence.length
              ? h(
                  'ul',
                  null,
                  t.evidence.map((e) =>
                    h('li', null, 'service ', link('service', e.service), ' is built on ', link('resource', e.resource), ', obtained by provision ', link('provision', e.provision), ' in ', link('relationship', e.relationship), ' from ', orgName(orgs, e.provider)),
                  ),
                )
              : h('p', { class: 'muted' }, 'No evidence resources.'),
          ),
        })),
      ];
      const known = items.filter((i) => i.at).sort((a, b) => (a.at! < b.at! ? -1 : a.at! > b.at! ? 1 : 0));
      const nodes: Node[] = [];
      nodes.push(
        h('p', null, r.transitions.length ? `Turned provider ${r.transitions.length === 1 ? 'once' : `${r.transitions.length} times`}.` : r.consumer_since && !r.provider_since ? 'Consumer only so far.' : r.provider_since && !r.consumer_since ? 'Provider only so far.' : 'No role transition.'),
      );
      nodes.push(known.length ? h('ol', { class: 'timeline', 'data-testid': 'roles' }, known.map((i) => h('li', null, h('time', { datetime: i.at! }, fmtTime(i.at)), ' ', i.what))) : h('p', { class: 'muted' }, 'No active relationship yet.'));
      return nodes;
    }),
    value(async () => {
      const v = await get<OrgValue>(`/organizations/${enc(id)}/value`, s);
      return h('div', { class: 'value-grid' }, rollup('Received', v.received), rollup('Provided', v.provided));
    }),
    resources(async () => {
      const items = await listAll<Resource>('resources', { owner: id }, s);
      if (!items.length) return h('p', { class: 'muted' }, 'None visible.');
      return table(
        ['resource', 'name', 'kind', 'version', 'origin'],
        items.map((r) => [link('resource', r.id), r.name, r.kind, String(r.version), r.origin ? link('provision', r.origin.provision) : '—']),
        { 'data-testid': 'org-resources' },
      );
    }),
    services(async () => {
      const items = await listAll<Service>('services', { provider: id }, s);
      if (!items.length) return h('p', { class: 'muted' }, 'None visible.');
      return table(
        ['service', 'name', 'built on', 'depends on'],
        items.map((x) => [link('service', x.id), x.name, x.built_on.map((b, i) => [i ? ', ' : '', link('resource', b)]), x.depends_on.map((b, i) => [i ? ', ' : '', link('service', b)])]),
      );
    }),
    offerings(async () => {
      const items = await listAll<Offering>('offerings', { provider: id }, s);
      if (!items.length) return h('p', { class: 'muted' }, 'None visible.');
      return table(
        ['offering', 'name', 'audience', 'actions'],
        items.map((o) => [link('offering', o.id), o.name, o.audience === 'public' ? 'public' : o.audience.consumer_groups.join(', '), o.actions.map((a) => `${a.name} (${a.effect})`).join(', ')]),
      );
    }),
    asProvider(async () => relTable(await listAll<Relationship>('relationships', { provider: id }, s), orgs, 'consumer')),
    asConsumer(async () => relTable(await listAll<Relationship>('relationships', { consumer: id }, s), orgs, 'provider')),
  ]);
};
