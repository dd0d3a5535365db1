// An organization: its people and the roles they hold on relationships, value received
// and provided over a period (GET /organizations/{id}/value?from=&to=) and the breaches of
// service levels that reached it (GET .../breaches?from=&to=), one period picker for both
// (kept in the route: #/org/ID?from=&to=, RFC 3339 UTC); resources, services (degraded
// ones with what broke them), offerings, consumer groups, relationships as provider and
// as consumer, role timeline (GET .../roles); for the admin or a member of it, forms that
// add a person (POST .../people) and change it (PATCH /organizations/{id}), and for the
// admin a Close button (POST /organizations/{id}/close; 409 has_active_relationships).
import {
  ApiError,
  describeError,
  enc,
  get,
  getExact,
  listAll,
  patch,
  post,
  qs,
  type Breaches,
  type ConsumerGroup,
  type Offering,
  type OrgStatedValue,
  type Organization,
  type Person,
  type PersonRole,
  type Relationship,
  type Resource,
  type Roles,
  type Service,
} from '../api';
import { h, errorBox, fmtTime, link, section, statusBadge, table } from '../dom';
import { confirmButton, editForm } from '../forms';
import { inputFromUtc, utcFromInput } from '../srm';
import {
  forgetOrganizations,
  isAdmin,
  liveSection,
  mayChange,
  organizations,
  type Ctx,
  type View,
} from './common';
import { degradedBy } from './detail';
import { valueTable } from './value';

function orgName(orgs: Map<string, Organization>, id: string): Node {
  return link('organization', id, orgs.get(id)?.name ?? id);
}

function relTable(
  rels: Relationship[],
  orgs: Map<string, Organization>,
  other: 'provider' | 'consumer',
): Node {
  if (!rels.length) return h('p', { class: 'muted' }, 'None.');
  return table(
    ['relationship', other, 'offering', 'type', 'status', 'activated'],
    rels.map((r) => [
      link('relationship', r.id),
      orgName(orgs, r[other]),
      link('offering', r.offering),
      r.type,
      statusBadge(r.status),
      fmtTime(r.activated_at),
    ]),
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
            {
              name: 'description',
              label: 'Description',
              kind: 'textarea',
              value: org.description ?? '',
            },
            {
              name: 'attributes',
              label: 'Attributes (JSON object; keys you delete are removed)',
              kind: 'merge',
              value: org.attributes ?? {},
              rows: 6,
            },
          ],
          submitLabel: 'Save changes',
          send: (body) => patch<Organization>(`/organizations/${enc(org.id)}`, body),
          onDone: () => changed('The organization was changed.'),
        })
      : null,
    close
      ? [
          h('h3', null, 'Close'),
          h(
            'p',
            { class: 'muted' },
            'A closed organization cannot be party to a new relationship; its offerings are retired and its tokens stop working. It cannot be closed while it is party to a requested, active or suspended relationship.',
          ),
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
  const [org, orgs] = await Promise.all([
    get<Organization>(`/organizations/${enc(id)}`, s),
    organizations(s),
  ]);
  const degradedNote = h('div', { 'data-testid': 'org-degraded-note' });
  root.append(
    h(
      'h1',
      null,
      org.name,
      ' ',
      statusBadge(org.status),
      ' ',
      h('small', { class: 'muted' }, org.id),
    ),
    h('p', null, org.description ?? ''),
    degradedNote,
    h(
      'p',
      null,
      h('a', { href: `#/impact/${enc(org.id)}` }, 'Impact analysis from this organization'),
    ),
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

  // Relationships of both kinds: listed below, and where its people hold roles.
  const rels = Promise.all([
    listAll<Relationship>('relationships', { provider: id }, s),
    listAll<Relationship>('relationships', { consumer: id }, s),
  ]);
  const people = liveSection('People', 'org-people-section', s, () =>
    peopleSection(org, ctx, rels, () => void people.load('The person was added.')),
  );
  people.el.dataset.section = 'people';
  let period = { from: ctx.query.get('from') ?? '', to: ctx.query.get('to') ?? '' };
  const value = liveSection('Value', 'org-value-section', s, async () => {
    const v = await getExact<OrgStatedValue>(`/organizations/${enc(id)}/value${qs(period)}`, s);
    return [
      h('p', { class: 'muted', 'data-testid': 'org-value-period' }, periodText(period)),
      h(
        'div',
        { class: 'value-grid' },
        valueTable(
          [
            {
              title: 'Received (as consumer; both parties’ statements)',
              side: 'received',
              v: v.received,
            },
            {
              title: 'Provided (as provider; both parties’ statements)',
              side: 'provided',
              v: v.provided,
            },
          ],
          orgs,
          'org-value',
        ),
      ),
    ];
  });
  value.el.dataset.section = 'value';
  const breaches = liveSection('Breaches that reached us', 'org-breaches-section', s, () =>
    breachesSection(id, period, orgs, s),
  );
  breaches.el.dataset.section = 'breaches';
  const picker = periodPicker(period, (p) => {
    period = p;
    history.replaceState(null, '', `#/org/${enc(id)}${qs(p)}`);
    void value.load();
    void breaches.load();
  });
  root.append(people.el, picker, value.el, breaches.el);
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
                    h(
                      'li',
                      null,
                      'service ',
                      link('service', e.service),
                      ' is built on ',
                      link('resource', e.resource),
                      ', obtained by provision ',
                      link('provision', e.provision),
                      ' in ',
                      link('relationship', e.relationship),
                      ' from ',
                      orgName(orgs, e.provider),
                    ),
                  ),
                )
              : h('p', { class: 'muted' }, 'No evidence resources.'),
          ),
        })),
      ];
      const known = items
        .filter((i) => i.at)
        .sort((a, b) => (a.at! < b.at! ? -1 : a.at! > b.at! ? 1 : 0));
      const nodes: Node[] = [];
      nodes.push(
        h(
          'p',
          null,
          r.transitions.length
            ? `Turned provider ${r.transitions.length === 1 ? 'once' : `${r.transitions.length} times`}.`
            : r.consumer_since && !r.provider_since
              ? 'Consumer only so far.'
              : r.provider_since && !r.consumer_since
                ? 'Provider only so far.'
                : 'No role transition.',
        ),
      );
      nodes.push(
        known.length
          ? h(
              'ol',
              { class: 'timeline', 'data-testid': 'roles' },
              known.map((i) =>
                h('li', null, h('time', { datetime: i.at! }, fmtTime(i.at)), ' ', i.what),
              ),
            )
          : h('p', { class: 'muted' }, 'No active relationship yet.'),
      );
      return nodes;
    }),
    people.load(),
    value.load(),
    breaches.load(),
    resources(async () => {
      const items = await listAll<Resource>('resources', { owner: id }, s);
      if (!items.length) return h('p', { class: 'muted' }, 'None visible.');
      return table(
        ['resource', 'name', 'kind', 'version', 'status', 'origin'],
        items.map((r) => [
          link('resource', r.id),
          r.name,
          r.kind,
          String(r.version),
          statusBadge(r.status) ?? '—',
          r.origin ? link('provision', r.origin.provision) : '—',
        ]),
        { 'data-testid': 'org-resources' },
      );
    }),
    services(async () => {
      const items = await listAll<Service>('services', { provider: id }, s);
      const degraded = items.filter((x) => x.status === 'degraded');
      if (degraded.length)
        degradedNote.replaceChildren(
          h(
            'p',
            { class: 'note' },
            h(
              'strong',
              null,
              `${degraded.length} degraded service${degraded.length === 1 ? '' : 's'}: `,
            ),
            degraded.map((x, i) => [i ? ', ' : '', link('service', x.id, x.name)]),
            '. See Services below for what broke them.',
          ),
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
          o.audience === 'public'
            ? 'public'
            : o.audience.consumer_groups.map((g, i) => [i ? ', ' : '', link('consumer_group', g)]),
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
              mine.map((g) => [
                link('consumer_group', g.id),
                g.name,
                g.owner ? orgName(orgs, g.owner) : 'admin',
                [
                  g.owner === id ? 'owns it' : '',
                  (g.members ?? []).includes(id) ? (g.owner === id ? ', member' : 'member') : '',
                ],
              ]),
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
    asProvider(async () => relTable((await rels)[0], orgs, 'consumer')),
    asConsumer(async () => relTable((await rels)[1], orgs, 'provider')),
  ]);
};

type PeriodQuery = { from: string; to: string };

function periodText(p: PeriodQuery): string {
  if (!p.from && !p.to) return 'All time.';
  return `From ${p.from ? fmtTime(p.from) : 'the beginning'} to ${p.to ? fmtTime(p.to) : 'now'} (UTC).`;
}

/** From and to (UTC) for value and breaches, with two presets and "All time". */
function periodPicker(initial: PeriodQuery, apply: (p: PeriodQuery) => void): HTMLElement {
  const from = h('input', {
    id: 'period-from',
    type: 'datetime-local',
    value: inputFromUtc(initial.from),
  });
  const to = h('input', {
    id: 'period-to',
    type: 'datetime-local',
    value: inputFromUtc(initial.to),
  });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const set = (f: Date | null, t: Date | null) => {
    from.value = inputFromUtc(f);
    to.value = inputFromUtc(t);
    submit();
  };
  const submit = () => {
    result.replaceChildren();
    try {
      const p = { from: utcFromInput(from.value) ?? '', to: utcFromInput(to.value) ?? '' };
      if (p.from && p.to && p.from > p.to) throw new Error('The period ends before it starts.');
      apply(p);
    } catch (e) {
      result.append(errorBox(describeError(e)));
    }
  };
  const daysAgo = (n: number) => new Date(Date.now() - n * 86400_000);
  return h(
    'form',
    {
      class: 'card period-picker',
      'aria-label': 'Period of value and breaches',
      'data-testid': 'period-picker',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        submit();
      },
    },
    h('strong', null, 'Period of value and breaches'),
    h('div', { class: 'field' }, h('label', { for: 'period-from' }, 'From (UTC)'), from),
    h('div', { class: 'field' }, h('label', { for: 'period-to' }, 'To (UTC)'), to),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'button', onclick: () => set(daysAgo(30), null) }, 'Last 30 days'),
    h('button', { type: 'button', onclick: () => set(daysAgo(365), null) }, 'Last 12 months'),
    h(
      'button',
      { type: 'button', 'data-testid': 'period-all', onclick: () => set(null, null) },
      'All time',
    ),
    result,
  );
}

/** Said in words when the caller may not see something of another organization. */
function notYours(e: unknown, what: string): Node {
  if (e instanceof ApiError && (e.status === 403 || e.status === 404))
    return h('p', { class: 'muted', 'data-code': e.code }, `${what} (${e.describe()})`);
  throw e;
}

async function breachesSection(
  id: string,
  period: PeriodQuery,
  orgs: Map<string, Organization>,
  s: AbortSignal,
): Promise<Node[]> {
  let b: Breaches;
  try {
    b = await get<Breaches>(
      `/organizations/${enc(id)}/breaches${qs({ ...period, limit: 1000 })}`,
      s,
    );
  } catch (e) {
    return [
      notYours(e, 'Only the organization itself and the admin see the breaches that reached it'),
    ];
  }
  const items = b.items.slice().sort((x, y) => y.seq - x.seq);
  const nodes: Node[] = [
    h(
      'p',
      { class: 'muted' },
      `Service levels missed on relationships whose impact reaches ${orgs.get(id)?.name ?? id}, as consumer or further downstream. ${periodText(period)}`,
    ),
    items.length
      ? table(
          [
            'when',
            'metric',
            'relationship',
            'period (UTC)',
            'measured',
            'objective',
            'consumers reached',
          ],
          items.map((x) => [
            fmtTime(x.at),
            h('strong', null, x.metric),
            x.relationship
              ? link('relationship', x.relationship)
              : h('span', { class: 'muted' }, '(not visible to you)'),
            `${fmtTime(x.period.start)} → ${fmtTime(x.period.end)}`,
            x.value !== undefined ? h('span', { class: 'missed' }, String(x.value)) : '—',
            x.objective !== undefined ? String(x.objective) : '—',
            String(x.consumers_reached),
          ]),
          { 'data-testid': 'org-breaches' },
        )
      : h(
          'p',
          { class: 'muted', 'data-testid': 'org-breaches-none' },
          'No breach reached this organization in the period.',
        ),
  ];
  if (b.total > b.items.length)
    nodes.push(h('p', { class: 'muted' }, `${b.items.length} of ${b.total} shown.`));
  return nodes;
}

async function peopleSection(
  org: Organization,
  ctx: Ctx,
  rels: Promise<Relationship[][]>,
  added: () => void,
): Promise<Node[]> {
  const s = ctx.signal;
  let people: Person[];
  try {
    people = await listAll<Person>(`organizations/${enc(org.id)}/people`, {}, s);
  } catch (e) {
    return [notYours(e, 'People are visible to their organization and the admin')];
  }
  // Each person answers the roles it holds (on the relationships the caller may see); the
  // relationships listed below give their statuses, to mark roles on ones no longer live.
  const status = new Map<string, string>();
  for (const r of (await rels.catch(() => [] as Relationship[][])).flat())
    status.set(r.id, r.status);
  const roleItem = (x: PersonRole) => {
    const st = status.get(x.relationship);
    return h(
      'li',
      { 'data-relationship': x.relationship, 'data-role': x.role },
      h('span', { class: 'role' }, x.role.replace('_', ' ')),
      ' on ',
      link('relationship', x.relationship),
      st && st !== 'active' ? [' ', statusBadge(st)] : '',
      x.assigned_at ? h('small', { class: 'muted' }, ` since ${fmtTime(x.assigned_at)}`) : '',
    );
  };
  const nodes: Node[] = [
    people.length
      ? table(
          ['person', 'email', 'roles on relationships', 'added'],
          people.map((p) => [
            h(
              'span',
              { 'data-person': p.id },
              h('strong', null, p.name),
              ' ',
              h('small', { class: 'muted' }, p.id),
            ),
            p.email ?? '—',
            p.roles?.length
              ? h('ul', { class: 'stated' }, p.roles.map(roleItem))
              : h('span', { class: 'muted' }, 'none'),
            fmtTime(p.created_at),
          ]),
          { 'data-testid': 'org-people' },
        )
      : h('p', { class: 'muted', 'data-testid': 'org-people-none' }, 'No people yet.'),
  ];
  if (mayChange(ctx, org.id) && org.status !== 'closed') {
    nodes.push(
      editForm({
        id: 'person-new',
        title: 'Add a person',
        fields: [
          { name: 'name', label: 'Name', kind: 'text', value: '' },
          { name: 'email', label: 'Email (optional)', kind: 'text', value: '' },
        ],
        submitLabel: 'Add person',
        send: (body) => post<Person>(`/organizations/${enc(org.id)}/people`, body),
        onDone: added,
      }),
    );
  }
  return nodes;
}
