// Details of any object as a definition list, with every id a link and statuses as
// badges; the provision view is just that.
import { enc, get, type Service } from '../api';
import { h, fmtTime, link, statusBadge } from '../dom';
import type { View } from './common';

const KIND_OF_FIELD: Record<string, string> = {
  provider: 'organization',
  consumer: 'organization',
  owner: 'organization',
  organization: 'organization',
  members: 'organization',
  relationship: 'relationship',
  service: 'service',
  depends_on: 'service',
  offering: 'offering',
  built_on: 'resource',
  used: 'resource',
  created: 'resource',
  transferred: 'resource',
  resource: 'resource',
  provision: 'provision',
  consumer_groups: 'consumer_group',
};

function render(v: unknown, field: string): Node | string {
  const kind = KIND_OF_FIELD[field];
  if (field === 'status' && typeof v === 'string') return statusBadge(v)!;
  if (typeof v === 'string') {
    if (kind) return link(kind, v);
    if (/_at$|^at$/.test(field)) return fmtTime(v);
    return v;
  }
  if (Array.isArray(v)) {
    if (!v.length) return '—';
    return h(
      'ul',
      null,
      v.map((x) => h('li', null, render(x, field))),
    );
  }
  if (v && typeof v === 'object') {
    return h(
      'dl',
      { class: 'compact' },
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        h('dt', null, k),
        h(
          'dd',
          null,
          render(
            x,
            k === 'resource' || KIND_OF_FIELD[k] ? k : field === 'modified' ? 'resource' : k,
          ),
        ),
      ]),
    );
  }
  return v === null || v === undefined ? '—' : String(v);
}

/** Why a service is degraded: what it lost access to, and through which relationship. */
export function degradedBy(svc: Service): HTMLElement {
  const items = svc.degraded_by ?? [];
  return h(
    'div',
    { class: 'degraded-note', 'data-testid': 'degraded-by', 'data-service': svc.id },
    h('strong', null, 'Degraded: '),
    items.length
      ? h(
          'ul',
          null,
          items.map((d) =>
            h(
              'li',
              null,
              'lost access to ',
              d.resource
                ? ['resource ', link('resource', d.resource)]
                : d.service
                  ? ['service ', link('service', d.service)]
                  : 'something hidden',
              d.relationship
                ? [' through relationship ', link('relationship', d.relationship)]
                : '',
            ),
          ),
        )
      : 'a resource or service it was built on is no longer available.',
  );
}

/** Every field of an object, ids as links (by the field's name), `status` as a badge. */
export function detailList(obj: Record<string, unknown>): HTMLElement {
  return h(
    'dl',
    { class: 'compact detail' },
    Object.entries(obj).map(([k, v]) => [h('dt', null, k), h('dd', null, render(v, k))]),
  );
}

/** The title of an object's page: its name, status badge and noun with id. */
export function detailTitle(obj: Record<string, unknown>, noun: string, id: string): HTMLElement {
  return h(
    'h1',
    null,
    String(obj.name ?? obj.action ?? id),
    ' ',
    statusBadge(obj.status as string | undefined),
    ' ',
    h('small', { class: 'muted' }, `${noun} ${id}`),
  );
}

export const detailView: View = async (root, [noun, id], ctx) => {
  const obj = await get<Record<string, unknown>>(`/${noun}s/${enc(id)}`, ctx.signal);
  root.append(
    detailTitle(obj, noun, id),
    detailList(obj),
    h('p', null, h('a', { href: `#/impact/${enc(id)}` }, 'Impact analysis from here')),
  );
};
