// An offering: its details, its versions (GET /offerings/{id}/versions, what changed
// from each to the next), and for its provider a form that changes it (PATCH, the
// version goes up by one; changes reach existing relationships at once) and a Retire
// button (POST /offerings/{id}/retire: no new requests; existing relationships carry on).
import { ApiError, describeError, enc, get, patch, post, type Offering } from '../api';
import { h, errorBox, fmtTime, section } from '../dom';
import { confirmButton, editForm } from '../forms';
import { mayChange, type View } from './common';
import { detailList, detailTitle } from './detail';

const EDITABLE = [
  'name',
  'audience',
  'goods',
  'access',
  'actions',
  'service_levels',
  'price',
] as const;

/** The editable fields whose values differ between two versions of an offering. */
export function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return EDITABLE.filter((f) => JSON.stringify(a[f] ?? null) !== JSON.stringify(b[f] ?? null));
}

export const offeringView: View = async (root, [id], ctx) => {
  const s = ctx.signal;
  const off = await get<Offering>(`/offerings/${enc(id)}`, s);
  const rec = off as unknown as Record<string, unknown>;
  root.append(
    detailTitle(rec, 'offering', id),
    detailList(rec),
    h('p', null, h('a', { href: `#/impact/${enc(id)}` }, 'Impact analysis from here')),
  );

  const versions = section('Versions', h('p', { class: 'muted' }, 'Loading…'));
  root.append(versions);
  const versionsP = get<{
    items: (Offering & { at?: string; updated_at?: string; created_at?: string })[];
    total: number;
  }>(`/offerings/${enc(id)}/versions`, s)
    .then((v) => {
      versions.replaceChildren(
        h('h2', null, `Versions (${v.total})`),
        h(
          'ol',
          { class: 'versions', 'data-testid': 'offering-versions' },
          v.items.map((ver, i) => {
            const changed = i
              ? changedFields(
                  v.items[i - 1] as unknown as Record<string, unknown>,
                  ver as unknown as Record<string, unknown>,
                )
              : [];
            return h(
              'li',
              { 'data-version': String(ver.version ?? i + 1) },
              h('strong', null, `Version ${ver.version ?? i + 1}`),
              ' · ',
              fmtTime(ver.at ?? ver.updated_at ?? ver.created_at),
              i ? ` · changed: ${changed.join(', ') || 'nothing visible'}` : ' · first version',
            );
          }),
        ),
      );
    })
    .catch((e) => {
      if (s.aborted) return;
      // A server from before offering versions: say so quietly.
      if (e instanceof ApiError && e.status === 404 && /no such route/.test(e.message))
        versions.replaceChildren(
          h('h2', null, 'Versions'),
          h('p', { class: 'muted' }, 'This server does not list offering versions.'),
        );
      else versions.replaceChildren(h('h2', null, 'Versions'), errorBox(describeError(e)));
    });

  if (mayChange(ctx, off.provider) && off.status !== 'retired') {
    root.append(
      section(
        'Change this offering',
        h(
          'p',
          { class: 'muted' },
          'Structured fields are JSON. Resources added to access are granted to every active relationship on this offering at once, resources removed are revoked; actions removed cannot be performed any more.',
        ),
        editForm({
          id: 'offering-edit',
          title: 'Edit the offering',
          fields: [
            { name: 'name', label: 'Name', kind: 'text', value: off.name },
            {
              name: 'audience',
              label: 'Audience ("public" or {"consumer_groups": [...]})',
              kind: 'json',
              value: off.audience,
            },
            { name: 'goods', label: 'Goods ([{"kind", "name"}])', kind: 'json', value: off.goods },
            { name: 'access', label: 'Access ([{"resource"}])', kind: 'json', value: off.access },
            {
              name: 'actions',
              label: 'Actions ([{"name", "effect"}])',
              kind: 'json',
              value: off.actions,
            },
            {
              name: 'service_levels',
              label: 'Service levels ([{"metric", "objective", "unit"}])',
              kind: 'json',
              value: off.service_levels,
            },
            {
              name: 'price',
              label: 'Price ({"amount", "currency", "period"} or null)',
              kind: 'json',
              value: off.price ?? null,
            },
          ],
          submitLabel: 'Save as a new version',
          send: (body) => patch<Offering>(`/offerings/${enc(id)}`, body),
          onDone: (o) =>
            ctx.reload(`The offering was changed: now version ${(o as Offering).version ?? '?'}.`),
        }),
        h('h3', null, 'Retire'),
        h(
          'p',
          { class: 'muted' },
          'A retired offering takes no new requests; relationships on it carry on.',
        ),
        confirmButton({
          id: 'offering-retire',
          label: 'Retire this offering…',
          confirmLabel: `Retire ${off.name}`,
          explain: `Retire ${off.name}? No one will be able to request it again.`,
          run: () => post<Offering>(`/offerings/${enc(id)}/retire`),
          onDone: () => ctx.reload('The offering was retired.'),
        }),
      ),
    );
  }
  await versionsP;
};
