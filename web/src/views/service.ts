// A service: its details, why it is degraded (when it is), and for its provider a form
// that changes it (PATCH /services/{id}: lists replace, the rules are checked again) and
// a Retire button (POST /services/{id}/retire; 409 in_use while something still uses it).
import { enc, get, patch, post, type Service } from '../api';
import { h, section } from '../dom';
import { confirmButton, editForm } from '../forms';
import { mayChange, type View } from './common';
import { degradedBy, detailList, detailTitle } from './detail';

export const serviceView: View = async (root, [id], ctx) => {
  const svc = await get<Service>(`/services/${enc(id)}`, ctx.signal);
  root.append(detailTitle(svc as unknown as Record<string, unknown>, 'service', id));
  if (svc.status === 'degraded') root.append(degradedBy(svc));
  root.append(
    detailList(svc as unknown as Record<string, unknown>),
    h('p', null, h('a', { href: `#/impact/${enc(id)}` }, 'Impact analysis from here')),
  );
  if (!mayChange(ctx, svc.provider) || svc.status === 'retired') return;
  root.append(
    section(
      'Change this service',
      h(
        'p',
        { class: 'muted' },
        'Lists replace the current ones; the rules are checked again (built on resources the provider owns or has access to, depending on its own services or services it consumes).',
      ),
      editForm({
        id: 'service-edit',
        title: 'Edit the service',
        fields: [
          { name: 'name', label: 'Name', kind: 'text', value: svc.name },
          {
            name: 'description',
            label: 'Description',
            kind: 'textarea',
            value: svc.description ?? '',
          },
          { name: 'built_on', label: 'Built on (resource ids)', kind: 'ids', value: svc.built_on },
          {
            name: 'depends_on',
            label: 'Depends on (service ids)',
            kind: 'ids',
            value: svc.depends_on,
          },
        ],
        submitLabel: 'Save changes',
        send: (body) => patch<Service>(`/services/${enc(id)}`, body),
        onDone: () => ctx.reload('The service was changed.'),
      }),
      h('h3', null, 'Retire'),
      h(
        'p',
        { class: 'muted' },
        'A retired service cannot be offered or depended on again. It cannot be retired while an offering that is not retired offers it, or a service depends on it.',
      ),
      confirmButton({
        id: 'service-retire',
        label: 'Retire this service…',
        confirmLabel: `Retire ${svc.name}`,
        explain: `Retire ${svc.name}? This cannot be undone.`,
        run: () => post<Service>(`/services/${enc(id)}/retire`),
        onDone: () => ctx.reload('The service was retired.'),
      }),
    ),
  );
};
