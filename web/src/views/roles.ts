// People in roles on a relationship (CONTRACT §6, §9.11): who is the consumer's customer,
// user or sponsor and the provider's relationship manager (GET /relationships/{id}/roles);
// a party assigns one of its own people (POST .../roles {person, role}) and unassigns
// them (DELETE .../roles/{person}/{role}).
import {
  del,
  enc,
  listAll,
  post,
  type Organization,
  type Person,
  type Relationship,
  type RoleAssignment,
} from '../api';
import { h, link, table } from '../dom';
import { refusal } from '../forms';
import { rolesFor, type Side } from '../srm';

export async function rolesSection(
  rel: Relationship,
  side: Side,
  orgs: Map<string, Organization>,
  signal: AbortSignal,
  changed: (message: string) => void,
): Promise<Node[]> {
  const roles = await listAll<RoleAssignment>(`relationships/${enc(rel.id)}/roles`, {}, signal);
  // The parties whose people the caller may place: its own side, or both for the admin.
  const mine: ('provider' | 'consumer')[] =
    side === 'admin'
      ? ['provider', 'consumer']
      : side === 'provider' || side === 'consumer'
        ? [side]
        : [];
  const mayUnassign = (a: RoleAssignment) =>
    side === 'admin' || mine.some((p) => rel[p] === a.organization);
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'roles-result',
  });
  const nodes: Node[] = [
    roles.length
      ? table(
          ['person', 'role', 'organization', ''],
          roles.map((a) => [
            h(
              'span',
              { 'data-person': a.person },
              a.name,
              ' ',
              h('small', { class: 'muted' }, a.person),
            ),
            h('span', { class: `role role-${a.role}` }, a.role.replace('_', ' ')),
            link('organization', a.organization, orgs.get(a.organization)?.name ?? a.organization),
            mayUnassign(a)
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'danger',
                    'data-unassign': `${a.person}/${a.role}`,
                    onclick: async (ev: Event) => {
                      const b = ev.currentTarget as HTMLButtonElement;
                      b.disabled = true;
                      result.replaceChildren();
                      try {
                        await del(
                          `/relationships/${enc(rel.id)}/roles/${enc(a.person)}/${enc(a.role)}`,
                        );
                        changed(`${a.name} is no longer ${a.role.replace('_', ' ')}.`);
                      } catch (e) {
                        result.append(refusal(e));
                        b.disabled = false;
                      }
                    },
                  },
                  'Unassign',
                )
              : '',
          ]),
          { 'data-testid': 'roles' },
        )
      : h(
          'p',
          { class: 'muted', 'data-testid': 'roles-empty' },
          'Nobody is in a role on this relationship yet.',
        ),
    result,
  ];
  if (mine.length) {
    const people = (
      await Promise.all(
        mine.map(async (p) =>
          (
            await listAll<Person>(`organizations/${enc(rel[p])}/people`, {}, signal).catch(
              () => [] as Person[],
            )
          ).map((person) => ({ person, party: p })),
        ),
      )
    ).flat();
    nodes.push(
      people.length
        ? assignForm(rel, people, changed)
        : noPeople(
            mine.map((p) => rel[p]),
            orgs,
          ),
    );
  }
  return nodes;
}

function noPeople(orgIds: string[], orgs: Map<string, Organization>): HTMLElement {
  return h(
    'p',
    { class: 'muted', 'data-testid': 'role-assign-none' },
    'To put someone in a role here, first add people on the page of ',
    orgIds.map((id, i) => [i ? ' or ' : '', link('organization', id, orgs.get(id)?.name ?? id)]),
    '.',
  );
}

function assignForm(
  rel: Relationship,
  people: { person: Person; party: 'provider' | 'consumer' }[],
  changed: (message: string) => void,
): HTMLElement {
  const person = h(
    'select',
    { id: 'role-person' },
    people.map(({ person: p, party }) =>
      h('option', { value: p.id, 'data-party': party }, `${p.name} (${p.id})`),
    ),
  );
  const role = h('select', { id: 'role-role' });
  const syncRoles = () => {
    const party = person.selectedOptions[0]?.dataset.party as 'provider' | 'consumer';
    role.replaceChildren(
      ...rolesFor(party).map((r) => h('option', { value: r }, r.replace('_', ' '))),
    );
  };
  person.addEventListener('change', syncRoles);
  syncRoles();
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'role-assign-result',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Assign');
  return h(
    'form',
    {
      class: 'inline-form',
      'aria-label': 'Assign a role',
      'data-testid': 'role-assign',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        result.replaceChildren();
        submit.disabled = true;
        try {
          const a = await post<RoleAssignment>(`/relationships/${enc(rel.id)}/roles`, {
            person: person.value,
            role: role.value,
          });
          changed(`${a.name} is now ${a.role.replace('_', ' ')}.`);
        } catch (e) {
          result.append(refusal(e));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('label', { for: 'role-person' }, 'Person'),
    person,
    h('label', { for: 'role-role' }, 'Role'),
    role,
    submit,
    result,
  );
}
