// An organization: resources, services (degraded ones with what broke them), offerings,
// consumer groups, relationships as provider and as consumer, role timeline
// (GET /organizations/{id}/roles) and value (GET .../value); for the admin or a member of
// it, a form that changes it (PATCH /organizations/{id}), and for the admin a Close button
// (POST /organizations/{id}/close; 409 has_active_relationships).
import { describeError, enc, get, listAll, patch, post, type ConsumerGroup, type Offering, type OrgValue, type Organization, type Relationship, type Resource, type Roles, type Service, type ValueRollup } from '../api';
import { h, errorBox, fmtTime, link, section, statusBadge, table } from '../dom';
import { confirmButton, editForm } from '../forms';
import { forgetOrganizations, isAdmin, mayChange, organizations, type Ctx, type View } from './common';
import { degradedBy } from './detail';

function orgName(orgs: Map<string, Organization>, id: string): Node {
  return link('organization', id, orgs.get(id)?.name ?? id);
}

function relTable(rels: Relationship[], orgs: Map<string, Organization>, other: 'provider' | 'consumer'): Node {
  if (!rels.length) return h('p', { class: 'muted' }, 'None.');
  return table(
    ['relationship', other, 'offering', 'type', 'status', 'activated'],
    rels.map((r) => [link('relationship', r.id), orgName(orgs, r[other]), link('offering', r.offering), r.type, statusBadge(r.status), fmtTime(r.activated_at)]),
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

/** The forms that change an organization: edit (its admin or members), close (admin). */
function manage(org: Organization, ctx: Ctx): HTMLElement | null {
  const edit = mayChange(ctx, org.id) && org.status !== 'closed';
  const close = isAdmin(ctx) && org.status !== 'closed';
  if (!edit && !close) return null;
  const changed = (message: string) => {
    forgetOrganizations(); // names and statuses in the shared directory changed
    ctx.reload(message);
  };
  return h(
    'details',
    { class: 'card manage', 'data-testid': 'org-manage' },
    h('summary', null, h('h2', { class: 'inline-h' }, 'Change this organization')),
    edit
      ? editForm({
          id: 'org-edit',
          title: 'Edit name, description and attributes',
          fields: [
            { name: 'name', label: 'Name', kind: 'text', value: org.name },
            { name: 'description', label: 'Description', kind: 'textarea', value: org.description ?? '' },
            { name: 'attributes', label: 'Attributes (JSON object; keys you delete are removed)', kind: 'merge', value: org.attributes ?? {}, rows: 6 },
          ],
          submitLabel: 'Save changes',
          send: (body) => patch<Organization>(`/organizations/${enc(org.id)}`, body),
          onDone: () => changed('The organization was changed.'),
        })
      : null,
    close
      ? [
          h('h3', null, 'Close'),
          h('p', { class: 'muted' }, 'A closed organization cannot be party to a new relationship; its offerings are retired and its tokens stop working. It cannot be closed while it is party to a requested, active or suspended relationship.'),
          confirmButton({
            id: 'org-close',
            label: 'Close this organization…',
            confirmLabel: `Close ${org.name}`,
            explain: `Close ${org.name}? This cannot be undone.`,
            run: () => post<Organization>(`/organizations/${enc(org.id)}/close`),
            onDone: () => changed('The organization was closed.'),
          }),
        ]
      : null,
  );
}

export const orgView: View = async (root, [id], ctx) => {
  const s = ctx.signal;
  const [org, orgs] = await Promise.all([get<Organization>(`/organizations/${enc(id)}`, s), organizations(s)]);
  const degradedNote = h('div', { 'data-testid': 'org-degraded-note' });
  root.append(
    h('h1', null, org.name, ' ', statusBadge(org.status), ' ', h('small', { class: 'muted' }, org.id)),
    h('p', null, org.description ?? ''),
    degradedNote,
    h('p', null, h('a', { href: `#/impact/${enc(org.id)}` }, 'Impact analysis from this organization')),
  );
  const manageBox = manage(org, ctx);
  if (manageBox) root.append(manageBox);
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
  const groups = slot('Consumer groups');
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
        ['resource', 'name', 'kind', 'version', 'status', 'origin'],
        items.map((r) => [link('resource', r.id), r.name, r.kind, String(r.version), statusBadge(r.status) ?? '—', r.origin ? link('provision', r.origin.provision) : '—']),
        { 'data-testid': 'org-resources' },
      );
    }),
    services(async () => {
      const items = await listAll<Service>('services', { provider: id }, s);
      const degraded = items.filter((x) => x.status === 'degraded');
      if (degraded.length)
        degradedNote.replaceChildren(
          h('p', { class: 'note' }, h('strong', null, `${degraded.length} degraded service${degraded.length === 1 ? '' : 's'}: `), degraded.map((x, i) => [i ? ', ' : '', link('service', x.id, x.name)]), '. See Services below for what broke them.'),
        );
      if (!items.length) return h('p', { class: 'muted' }, 'None visible.');
      return table(
        ['service', 'name', 'status', 'built on', 'depends on'],
        items.map((x) => [
          link('service', x.id),
          x.name,
          [statusBadge(x.status) ?? '—', x.status === 'degraded' ? degradedBy(x) : null],
          x.built_on.map((b, i) => [i ? ', ' : '', link('resource', b)]),
          x.depends_on.map((b, i) => [i ? ', ' : '', link('service', b)]),
        ]),
        { 'data-testid': 'org-services' },
      );
    }),
    offerings(async () => {
      const items = await listAll<Offering>('offerings', { provider: id }, s);
      if (!items.length) return h('p', { class: 'muted' }, 'None visible.');
      return table(
        ['offering', 'name', 'status', 'audience', 'actions'],
        items.map((o) => [
          link('offering', o.id),
          o.name,
          statusBadge(o.status) ?? '—',
          o.audience === 'public' ? 'public' : o.audience.consumer_groups.map((g, i) => [i ? ', ' : '', link('consumer_group', g)]),
          o.actions.map((a) => `${a.name} (${a.effect})`).join(', '),
        ]),
        { 'data-testid': 'org-offerings' },
      );
    }),
    groups(async () => {
      const all = await listAll<ConsumerGroup>('consumer-groups', {}, s);
      const mine = all.filter((g) => g.owner === id || (g.members ?? []).includes(id));
      return [
        mine.length
          ? table(
              ['group', 'name', 'owner', 'this organization'],
              mine.map((g) => [link('consumer_group', g.id), g.name, g.owner ? orgName(orgs, g.owner) : 'admin', [g.owner === id ? 'owns it' : '', (g.members ?? []).includes(id) ? (g.owner === id ? ', member' : 'member') : '']]),
              { 'data-testid': 'org-groups' },
            )
          : h('p', { class: 'muted' }, 'In no consumer group, and owns none.'),
        mayChange(ctx, id) && org.status !== 'closed'
          ? editForm({
              id: 'group-new',
              title: 'New consumer group owned by this organization',
              fields: [
                { name: 'name', label: 'Name', kind: 'text', value: '' },
                { name: 'members', label: 'Members (organization ids)', kind: 'ids', value: [] },
              ],
              always: { owner: id, members: [] },
              submitLabel: 'Create group',
              send: (body) => post<ConsumerGroup>('/consumer-groups', body),
              onDone: (g) => (location.hash = `#/group/${enc((g as ConsumerGroup).id)}`),
            })
          : null,
      ].filter((n): n is HTMLElement => n !== null);
    }),
    asProvider(async () => relTable(await listAll<Relationship>('relationships', { provider: id }, s), orgs, 'consumer')),
    asConsumer(async () => relTable(await listAll<Relationship>('relationships', { consumer: id }, s), orgs, 'provider')),
  ]);
};
