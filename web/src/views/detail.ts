// Details of an offering, service, provision or consumer group, with every id a link.
import { enc, get } from '../api';
import { h, fmtTime, link } from '../dom';
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
};

function render(v: unknown, field: string): Node | string {
  const kind = KIND_OF_FIELD[field];
  if (typeof v === 'string') {
    if (kind) return link(kind, v);
    if (/_at$|^at$/.test(field)) return fmtTime(v);
    return v;
  }
  if (Array.isArray(v)) {
    if (!v.length) return '—';
    return h('ul', null, v.map((x) => h('li', null, render(x, field))));
  }
  if (v && typeof v === 'object') {
    return h('dl', { class: 'compact' }, Object.entries(v as Record<string, unknown>).map(([k, x]) => [h('dt', null, k), h('dd', null, render(x, k === 'resource' || KIND_OF_FIELD[k] ? k : field === 'modified' ? 'resource' : k))]));
  }
  return v === null || v === undefined ? '—' : String(v);
}

export const detailView: View = async (root, [noun, id], ctx) => {
  const collection = noun === 'consumer-group' ? 'consumer-groups' : `${noun}s`;
  const obj = await get<Record<string, unknown>>(`/${collection}/${enc(id)}`, ctx.signal);
  root.append(
    h('h1', null, String(obj.name ?? obj.action ?? id), ' ', h('small', { class: 'muted' }, `${noun} ${id}`)),
    h('dl', { class: 'compact detail' }, Object.entries(obj).map(([k, v]) => [h('dt', null, k), h('dd', null, render(v, k))])),
    ...(noun !== 'consumer-group' ? [h('p', null, h('a', { href: `#/impact/${enc(id)}` }, 'Impact analysis from here'))] : []),
  );
};
