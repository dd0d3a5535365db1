// A consumer group (#/group/ID): its owner (an organization, or none when the admin made
// it), its members with their status, and for the admin or a member of the owner a form
// that renames it and adds members (PATCH /consumer-groups/{id} {name?, add?, remove?})
// and a Remove button per member.
import { enc, get, patch, type ConsumerGroup } from '../api';
import { h, link, section, statusBadge, table } from '../dom';
import { editForm, refusal } from '../forms';
import { mayChange, organizations, type View } from './common';

export const groupView: View = async (root, [id], ctx) => {
  const s = ctx.signal;
  const [g, orgs] = await Promise.all([
    get<ConsumerGroup>(`/consumer-groups/${enc(id)}`, s),
    organizations(s),
  ]);
  const may = g.owner ? mayChange(ctx, g.owner) : ctx.me.role === 'admin';
  const members = g.members ?? [];
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'group-remove-result',
  });
  const removeButton = (m: string) =>
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'data-remove': m,
        onclick: async (ev: Event) => {
          const b = ev.currentTarget as HTMLButtonElement;
          b.disabled = true;
          result.replaceChildren();
          try {
            await patch<ConsumerGroup>(`/consumer-groups/${enc(id)}`, { remove: [m] });
            ctx.reload(`${orgs.get(m)?.name ?? m} left the group.`);
          } catch (e) {
            result.append(refusal(e));
            b.disabled = false;
          }
        },
      },
      'Remove',
    );
  root.append(
    h('h1', null, g.name, ' ', h('small', { class: 'muted' }, `consumer group ${g.id}`)),
    h(
      'dl',
      { class: 'compact' },
      h('dt', null, 'Owner'),
      h(
        'dd',
        null,
        g.owner
          ? link('organization', g.owner, orgs.get(g.owner)?.name ?? g.owner)
          : 'none (made by the admin)',
      ),
    ),
    section(
      `Members (${members.length})`,
      g.members === undefined
        ? h(
            'p',
            { class: 'muted' },
            'The members are shown to the owner, the admin and each member.',
          )
        : members.length
          ? table(
              may ? ['organization', 'name', 'status', ''] : ['organization', 'name', 'status'],
              members.map((m) => [
                link('organization', m),
                orgs.get(m)?.name ?? '',
                statusBadge(orgs.get(m)?.status),
                ...(may ? [removeButton(m)] : []),
              ]),
              { 'data-testid': 'group-members' },
            )
          : h('p', { class: 'muted' }, 'No members.'),
      result,
    ),
  );
  if (!may) return;
  root.append(
    section(
      'Change this group',
      h(
        'p',
        { class: 'muted' },
        'Members added or removed keep their live relationships as they are.',
      ),
      editForm({
        id: 'group-edit',
        title: 'Edit the group',
        fields: [
          { name: 'name', label: 'Name', kind: 'text', value: g.name },
          { name: 'add', label: 'Add members (organization ids)', kind: 'ids', value: [] },
          { name: 'remove', label: 'Remove members (organization ids)', kind: 'ids', value: [] },
        ],
        submitLabel: 'Save changes',
        send: (body) => patch<ConsumerGroup>(`/consumer-groups/${enc(id)}`, body),
        onDone: () => ctx.reload('The group was changed.'),
      }),
    ),
  );
};
