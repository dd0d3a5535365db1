// A resource: its versions (GET /resources/{id}/versions) with a readable diff between
// consecutive versions, and its lineage as a graph, as of the version picked
// (GET /resources/{id}/lineage?version=N). For a member of its owner: a form that makes a
// new revision (POST /resources/{id}/revisions, attributes as a merge patch) and a Retire
// button (POST /resources/{id}/retire; 409 in_use while the owner still builds on it).
import {
  describeError,
  enc,
  get,
  post,
  qs,
  type Lineage,
  type Provision,
  type Resource,
  type ResourceVersion,
  type Service,
} from '../api';
import { h, errorBox, fmtTime, link, section, statusBadge } from '../dom';
import { confirmButton, editForm } from '../forms';
import { renderGraph, type GEdge, type GNode, type GraphHandle } from '../graph';
import { mayChange, organizations, type Ctx, type View } from './common';

function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(v));
}

export interface Change {
  field: string;
  op: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}
/** What changed from one version to the next: top-level fields, then attributes by path. */
export function diffVersions(a: ResourceVersion, b: ResourceVersion): Change[] {
  const out: Change[] = [];
  for (const f of ['owner', 'kind', 'name'] as const)
    if (a[f] !== b[f]) out.push({ field: f, op: 'changed', before: a[f], after: b[f] });
  const fa = new Map<string, string>();
  const fb = new Map<string, string>();
  flatten(a.attributes ?? {}, '', fa);
  flatten(b.attributes ?? {}, '', fb);
  for (const [k, v] of fb) {
    if (!k) continue;
    if (!fa.has(k)) out.push({ field: `attributes.${k}`, op: 'added', after: v });
    else if (fa.get(k) !== v)
      out.push({ field: `attributes.${k}`, op: 'changed', before: fa.get(k), after: v });
  }
  for (const [k, v] of fa)
    if (k && !fb.has(k)) out.push({ field: `attributes.${k}`, op: 'removed', before: v });
  return out;
}

export const resourceView: View = async (root, [id], ctx) => {
  const s = ctx.signal;
  const [res, orgs] = await Promise.all([
    get<Resource>(`/resources/${enc(id)}`, s),
    organizations(s),
  ]);
  root.append(
    h(
      'h1',
      null,
      res.name,
      ' ',
      statusBadge(res.status),
      ' ',
      h('small', { class: 'muted' }, res.id),
    ),
    h(
      'dl',
      { class: 'compact' },
      h('dt', null, 'Owner'),
      h('dd', null, link('organization', res.owner, orgs.get(res.owner)?.name ?? res.owner)),
      h('dt', null, 'Kind'),
      h('dd', null, res.kind),
      h('dt', null, 'Version'),
      h('dd', null, String(res.version)),
      h('dt', null, 'Origin'),
      h(
        'dd',
        null,
        res.origin
          ? ['created by provision ', link('provision', res.origin.provision)]
          : 'created directly',
      ),
      h('dt', null, 'Attributes'),
      h('dd', null, h('pre', null, JSON.stringify(res.attributes, null, 2))),
    ),
    h('p', null, h('a', { href: `#/impact/${enc(res.id)}` }, 'Impact analysis from this resource')),
  );
  const manageBox = manage(res, ctx);
  if (manageBox) root.append(manageBox);
  const versionsSec = section('Versions', h('p', { class: 'muted' }, 'Loading…'));
  const lineageSec = section('Lineage', h('p', { class: 'muted' }, 'Loading…'));
  const lineageHost = h('div', { 'aria-live': 'polite' });
  const versionSel = h(
    'select',
    { id: 'lineage-version', name: 'version', 'data-testid': 'lineage-version' },
    h('option', { value: String(res.version) }, `version ${res.version} (latest)`),
  );
  lineageSec.replaceChildren(
    h('h2', null, 'Lineage'),
    h('div', { class: 'inline' }, h('label', { for: 'lineage-version' }, 'As of'), versionSel),
    lineageHost,
  );
  root.append(versionsSec, lineageSec);
  let graph: GraphHandle | null = null;
  let lineageAbort: AbortController | null = null;
  versionSel.addEventListener('change', () => void showLineage(Number(versionSel.value)));

  await Promise.all([
    (async () => {
      try {
        const v = await get<{ items: ResourceVersion[]; total: number }>(
          `/resources/${enc(id)}/versions`,
          s,
        );
        const items = v.items;
        const list = h(
          'ol',
          { class: 'versions', 'data-testid': 'versions' },
          items.map((ver, i) => {
            const changes = i ? diffVersions(items[i - 1], ver) : [];
            return h(
              'li',
              { 'data-version': String(ver.version) },
              h('strong', null, `Version ${ver.version}`),
              ' · ',
              fmtTime(ver.at),
              ver.provision ? [' · by provision ', link('provision', ver.provision)] : '',
              i === 0
                ? h('pre', null, JSON.stringify(ver.attributes, null, 2))
                : changes.length
                  ? h(
                      'ul',
                      {
                        class: 'diff',
                        'aria-label': `Changes from version ${items[i - 1].version} to ${ver.version}`,
                      },
                      changes.map((c) =>
                        h(
                          'li',
                          { class: c.op },
                          c.op === 'added'
                            ? `+ ${c.field}: ${c.after}`
                            : c.op === 'removed'
                              ? `− ${c.field}: ${c.before}`
                              : `~ ${c.field}: ${c.before} → ${c.after}`,
                        ),
                      ),
                    )
                  : h('p', { class: 'muted' }, 'No visible change.'),
            );
          }),
        );
        versionsSec.replaceChildren(h('h2', null, `Versions (${v.total})`), list);
        const latest = Math.max(res.version, ...items.map((x) => x.version));
        versionSel.replaceChildren(
          ...items
            .slice()
            .reverse()
            .map((x) =>
              h(
                'option',
                { value: String(x.version), selected: x.version === latest },
                `version ${x.version}${x.version === latest ? ' (latest)' : ''} · ${fmtTime(x.at)}`,
              ),
            ),
        );
      } catch (e) {
        if (!s.aborted)
          versionsSec.replaceChildren(h('h2', null, 'Versions'), errorBox(describeError(e)));
      }
    })(),
    showLineage(res.version),
  ]);
  return () => {
    lineageAbort?.abort();
    graph?.destroy();
  };

  /** Draws the lineage of version `version` (the latest asks without ?version=). */
  async function showLineage(version: number): Promise<void> {
    lineageAbort?.abort();
    const abort = new AbortController();
    lineageAbort = abort;
    const stop = () => abort.abort();
    s.addEventListener('abort', stop);
    const sig = abort.signal;
    lineageHost.setAttribute('aria-busy', 'true');
    versionSel.disabled = true;
    try {
      const l = await get<Lineage>(
        `/resources/${enc(id)}/lineage${qs({ version: version === res.version ? undefined : version })}`,
        sig,
      );
      const nodes: GNode[] = [
        {
          id: res.id,
          label: res.name,
          kind: 'resource',
          classes: ['start'],
          cells: [`start, version ${version}`],
        },
      ];
      const known = new Set([res.id]);
      const groups: [keyof Lineage, string][] = [
        ['provisions', 'provision'],
        ['resources', 'resource'],
        ['services', 'service'],
        ['offerings', 'offering'],
        ['relationships', 'relationship'],
        ['organizations', 'organization'],
      ];
      const items: { kind: string; item: Record<string, unknown> }[] = [];
      for (const [key, kind] of groups) {
        for (const item of l[key] as Record<string, unknown>[]) {
          const iid = item.id as string | null;
          if (!iid || known.has(iid)) continue;
          known.add(iid);
          items.push({ kind, item });
          nodes.push({
            id: iid,
            label: String(item.name ?? item.action ?? iid),
            kind,
            cells: [
              h(
                'span',
                null,
                kind === 'provision'
                  ? `at ${fmtTime(item.at as string)}`
                  : typeof item.version === 'number'
                    ? `version ${item.version} `
                    : '',
                typeof item.status === 'string' ? statusBadge(item.status) : null,
              ),
            ],
          });
        }
      }
      const edges: GEdge[] = [];
      const edgeKeys = new Set<string>();
      const add = (a: unknown, b: unknown, label: string) => {
        if (
          typeof a !== 'string' ||
          typeof b !== 'string' ||
          !known.has(a) ||
          !known.has(b) ||
          a === b
        )
          return;
        const k = `${a}>${b}`;
        if (edgeKeys.has(k)) return;
        edgeKeys.add(k);
        edges.push({ source: a, target: b, label });
      };
      for (const { kind, item } of items) {
        const iid = item.id as string;
        if (kind === 'provision') add(iid, res.id, 'touched');
        for (const f of ['relationship', 'offering', 'service']) add(item[f], iid, f);
        for (const f of ['provider', 'owner']) add(item[f], iid, f);
      }
      // Provenance the lineage lists do not spell out: built_on, depends_on and used.
      const details = await Promise.all(
        items
          .filter((x) => x.kind === 'service' || x.kind === 'provision')
          .slice(0, 60)
          .map((x) =>
            get<Service | Provision>(`/${x.kind}s/${enc(x.item.id as string)}`, sig).catch(
              () => null,
            ),
          ),
      );
      for (const d of details) {
        if (!d) continue;
        if ('built_on' in d) {
          d.built_on.forEach((r) => add(r, d.id, 'built on'));
          d.depends_on.forEach((r) => add(r, d.id, 'depends on'));
        } else {
          d.used.forEach((r) => add(r, d.id, 'used'));
          add(d.relationship, d.id, 'relationship');
        }
      }
      if (sig.aborted) return;
      const host = h('div');
      lineageHost.replaceChildren(
        h(
          'p',
          { 'data-testid': 'lineage-summary', 'data-version': String(version) },
          `Version ${version}: ${nodes.length - 1} upstream nodes${l.redacted ? `, ${l.redacted} hidden` : ''}.`,
        ),
        h(
          'p',
          { class: 'muted' },
          'Arrows point from where something came from to what it produced; the black node is this resource. Resources are listed at the version they had then.',
        ),
        host,
      );
      graph?.destroy();
      graph = renderGraph(host, nodes, edges, {
        title: 'Lineage',
        layout: 'tree',
        columns: ['note'],
        height: '460px',
      });
    } catch (e) {
      if (!sig.aborted)
        lineageHost.replaceChildren(
          errorBox(`The lineage of version ${version} could not be loaded: ${describeError(e)}`),
        );
    } finally {
      s.removeEventListener('abort', stop);
      if (lineageAbort === abort) {
        lineageHost.removeAttribute('aria-busy');
        versionSel.disabled = false;
      }
    }
  }
};

/** The forms that change a resource, for a member of its owner (or the admin). */
function manage(res: Resource, ctx: Ctx): HTMLElement | null {
  if (!mayChange(ctx, res.owner) || res.status === 'retired') return null;
  return h(
    'details',
    { class: 'card manage', 'data-testid': 'resource-manage' },
    h('summary', null, h('h2', { class: 'inline-h' }, 'Change this resource')),
    editForm({
      id: 'revision',
      title: 'New revision',
      fields: [
        { name: 'name', label: 'Name', kind: 'text', value: res.name },
        {
          name: 'attributes',
          label: 'Attributes (JSON object; sent as a merge patch: keys you delete are removed)',
          kind: 'merge',
          value: res.attributes,
          rows: 6,
        },
      ],
      always: { attributes: {} },
      submitLabel: 'Save as a new version',
      send: (body) => post<Resource>(`/resources/${enc(res.id)}/revisions`, body),
      onDone: (r) => ctx.reload(`Saved as version ${(r as Resource).version ?? '?'}.`),
    }),
    h('h3', null, 'Retire'),
    h(
      'p',
      { class: 'muted' },
      "Retiring revokes every access to it and degrades the services built on it. It cannot be retired while one of its owner's services is built on it or one of its offerings gives access to it.",
    ),
    confirmButton({
      id: 'resource-retire',
      label: 'Retire this resource…',
      confirmLabel: `Retire ${res.name}`,
      explain: `Retire ${res.name}? This cannot be undone.`,
      run: () => post<Resource>(`/resources/${enc(res.id)}/retire`),
      onDone: () => ctx.reload('The resource was retired.'),
    }),
  );
}
