// The ecosystem map: organizations as nodes, relationships as edges (provider → consumer),
// consumers that turned provider marked (a star), cycles (GET /cycles) in red, providers
// of degraded services (GET /services?status=degraded) ringed in orange, closed
// organizations (GET /organizations?status=closed) faded.
// Over AGGREGATE_LIMIT organizations, organizations are collapsed into clusters
// (label propagation over the relationships), each expandable on demand.
import {
  ApiError,
  describeError,
  get,
  listAll,
  type Cycles,
  type OrganizationGraph,
  type Relationship,
  type Service,
} from '../api';
import { h, clear, errorBox, link, section } from '../dom';
import { renderGraph, spiral, type GEdge, type GNode, type GraphHandle } from '../graph';
import { organizations, forgetOrganizations, type View } from './common';

export const AGGREGATE_LIMIT = 5000;
const TYPES = ['basic', 'cooperative', 'partnership'] as const;
const STATUSES = ['requested', 'active', 'suspended', 'rejected', 'terminated'] as const;

declare global {
  interface Window {
    __mapRenderMs?: number;
    __mapCompleteMs?: number;
    __mapTimings?: Record<string, number>;
    __cy?: unknown;
  }
}

/** Organizations whose first activation as consumer came before their first as provider. */
export function turnedProviders(rels: Relationship[]): Set<string> {
  const cons = new Map<string, string>();
  const prov = new Map<string, string>();
  for (const r of rels) {
    if (!r.activated_at) continue;
    if (!cons.has(r.consumer) || r.activated_at < cons.get(r.consumer)!)
      cons.set(r.consumer, r.activated_at);
    if (!prov.has(r.provider) || r.activated_at < prov.get(r.provider)!)
      prov.set(r.provider, r.activated_at);
  }
  const out = new Set<string>();
  for (const [org, c] of cons) {
    const p = prov.get(org);
    if (p && c < p) out.add(org);
  }
  return out;
}

/** Deterministic label propagation: a few sweeps, then clusters capped in size (groups under
 *  5 pooled together). Exported for its tests. */
export function clusterize(
  ids: string[],
  rels: Relationship[],
  maxSize = 250,
): Map<string, string> {
  const index = new Map(ids.map((id, i) => [id, i]));
  const adj: number[][] = ids.map(() => []);
  for (const r of rels) {
    const a = index.get(r.provider);
    const b = index.get(r.consumer);
    if (a === undefined || b === undefined || a === b) continue;
    adj[a].push(b);
    adj[b].push(a);
  }
  const label = ids.map((_, i) => i);
  for (let sweep = 0; sweep < 5; sweep++) {
    let changed = 0;
    for (let i = 0; i < ids.length; i++) {
      if (adj[i].length === 0) continue;
      const votes = new Map<number, number>();
      for (const j of adj[i]) votes.set(label[j], (votes.get(label[j]) ?? 0) + 1);
      let best = label[i];
      let bestVotes = votes.get(best) ?? 0;
      for (const [l, v] of votes) {
        if (v > bestVotes || (v === bestVotes && l < best)) {
          best = l;
          bestVotes = v;
        }
      }
      if (best !== label[i]) {
        label[i] = best;
        changed++;
      }
    }
    if (!changed) break;
  }
  const groups = new Map<number, number[]>();
  label.forEach((l, i) => {
    if (!groups.has(l)) groups.set(l, []);
    groups.get(l)!.push(i);
  });
  const out = new Map<string, string>();
  let c = 0;
  const small: number[] = [];
  for (const members of groups.values()) {
    if (members.length < 5) {
      small.push(...members);
      continue;
    }
    for (let k = 0; k < members.length; k += maxSize) {
      const id = `cluster:${c++}`;
      for (const m of members.slice(k, k + maxSize)) out.set(ids[m], id);
    }
  }
  for (let k = 0; k < small.length; k += maxSize) {
    const id = `cluster:${c++}`;
    for (const m of small.slice(k, k + maxSize)) out.set(ids[m], id);
  }
  return out;
}

interface MapOrg {
  id: string;
  name: string;
  status?: string;
}
interface MapData {
  orgs: Map<string, MapOrg>;
  rels: Relationship[];
  turned: Set<string>;
}
interface CycleData {
  cycles: Cycles;
  cycleError?: unknown;
}
let prefetched: { at: number; data: Promise<MapData>; cycles: Promise<CycleData> } | null = null;

/** The map in one request; a server without /graph/organizations (404) is paged through instead. */
async function loadMapData(signal?: AbortSignal): Promise<MapData> {
  let g: OrganizationGraph;
  try {
    g = await get<OrganizationGraph>('/graph/organizations', signal);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
    forgetOrganizations();
    const [orgs, rels] = await Promise.all([
      organizations(signal),
      listAll<Relationship>('relationships', {}, signal),
    ]);
    return { orgs, rels, turned: turnedProviders(rels) };
  }
  const orgs = new Map<string, MapOrg>();
  const turned = new Set<string>();
  for (const n of g.nodes) {
    orgs.set(n.id, { id: n.id, name: n.name });
    if (
      n.consumer_since &&
      n.provider_since &&
      Date.parse(n.consumer_since) < Date.parse(n.provider_since)
    )
      turned.add(n.id);
  }
  const rels = g.edges as Relationship[];
  return { orgs, rels, turned };
}

function loadCycles(signal?: AbortSignal): Promise<CycleData> {
  return get<Cycles>('/cycles', signal).then(
    (cycles) => ({ cycles }),
    (cycleError) => ({ cycles: { items: [], redacted: 0 }, cycleError }),
  );
}

interface Marks {
  degraded: Map<string, string[]>; // organization → its degraded services
  closed: Set<string>;
}
/** Organizations providing a degraded service (with those services' ids), and closed
 *  ones: two short filtered lists. A server without statuses refuses the filters (400):
 *  then nothing is marked. */
function loadMarks(signal?: AbortSignal): Promise<Marks> {
  const degraded = listAll<Service>('services', { status: 'degraded' }, signal).then(
    (items) => {
      const out = new Map<string, string[]>();
      for (const x of items) {
        if (x.status !== 'degraded') continue;
        if (!out.has(x.provider)) out.set(x.provider, []);
        out.get(x.provider)!.push(x.id);
      }
      return out;
    },
    () => new Map<string, string[]>(),
  );
  const closed = listAll<{ id: string; status?: string }>(
    'organizations',
    { status: 'closed' },
    signal,
  ).then(
    (items) => new Set(items.filter((o) => o.status === 'closed').map((o) => o.id)),
    () => new Set<string>(),
  );
  return Promise.all([degraded, closed]).then(([d, c]) => ({ degraded: d, closed: c }));
}

/** Starts loading the map's data while the session is still being set up. */
export function prefetchMap(): void {
  const data = loadMapData();
  data.catch(() => {}); // the view reports errors when it uses the data
  // Cycles (slower to compute) are asked for once the map's data is in, not competing with it.
  const cycles = data.then(
    () => loadCycles(),
    () => loadCycles(),
  );
  prefetched = { at: performance.now(), data, cycles };
}

export const mapView: View = async (root, _params, ctx) => {
  const t0 = performance.now();
  window.__mapRenderMs = undefined;
  window.__mapCompleteMs = undefined;
  root.append(h('h1', null, 'Ecosystem map'));
  const status = h(
    'p',
    { class: 'muted', 'aria-live': 'polite' },
    'Loading organizations and relationships…',
  );
  root.append(status);
  const fresh = prefetched && performance.now() - prefetched.at < 10_000 ? prefetched : null;
  prefetched = null;
  // Cycles come separately and are marked once they arrive: the map does not wait for them.
  const dataP = fresh?.data ?? loadMapData(ctx.signal);
  const cyclesP =
    fresh?.cycles ??
    dataP.then(
      () => loadCycles(ctx.signal),
      () => loadCycles(ctx.signal),
    );
  const marksP = loadMarks(ctx.signal);
  const { orgs, rels, turned } = await dataP;
  if (ctx.signal.aborted) return;
  const tFetched = performance.now();
  status.textContent = '';
  const cycleOrgs = new Set<string>();
  const cycleRels = new Set<string>();
  let degraded = new Map<string, string[]>();
  let closed = new Set<string>();
  const statusText = (id: string) =>
    [
      closed.has(id) || orgs.get(id)?.status === 'closed' ? 'closed' : '',
      degraded.has(id) ? degradedText(id) : '',
    ]
      .filter(Boolean)
      .join(' · ');
  const degradedText = (id: string) => {
    const n = degraded.get(id)?.length ?? 0;
    return n ? `${n} degraded service${n === 1 ? '' : 's'}` : '';
  };
  const orgIds = [...orgs.keys()];
  const forceClusters = orgIds.length > AGGREGATE_LIMIT;

  const typeBoxes = TYPES.map((t) =>
    h('input', { type: 'checkbox', id: `f-type-${t}`, name: 'type', value: t, checked: true }),
  );
  const statusBoxes = STATUSES.map((s) =>
    h('input', {
      type: 'checkbox',
      id: `f-status-${s}`,
      name: 'status',
      value: s,
      checked: s === 'active',
    }),
  );
  const clusterBox = h('input', {
    type: 'checkbox',
    id: 'f-cluster',
    checked: forceClusters,
    disabled: forceClusters,
  });
  const filters = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Map filters',
      onchange: () => draw(),
      onsubmit: (e: Event) => e.preventDefault(),
    },
    h(
      'fieldset',
      null,
      h('legend', null, 'Relationship type'),
      TYPES.map((t, i) => h('label', { for: `f-type-${t}` }, typeBoxes[i], ` ${t}`)),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Status'),
      STATUSES.map((s, i) => h('label', { for: `f-status-${s}` }, statusBoxes[i], ` ${s}`)),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Scale'),
      h(
        'label',
        { for: 'f-cluster' },
        clusterBox,
        forceClusters
          ? ` grouped into clusters (over ${AGGREGATE_LIMIT} organizations)`
          : ' group organizations into clusters',
      ),
    ),
  );
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    h('li', null, h('span', { class: 'sw org' }), 'organization'),
    h('li', null, h('span', { class: 'sw turned' }), 'consumer turned provider (star)'),
    h('li', null, h('span', { class: 'sw cycle' }), 'in a cycle (red)'),
    h('li', null, h('span', { class: 'sw degraded' }), 'provides a degraded service (orange ring)'),
    h('li', null, h('span', { class: 'sw closed' }), 'closed (faded)'),
    h('li', null, 'edge: provider → consumer; dashed suspended, dotted requested'),
  );
  const graphHost = h('div');
  root.append(filters, graphHost);

  const cycleList = section('Cycles', h('p', { class: 'muted' }, 'Looking for cycles…'));
  root.append(cycleList);
  const showCycles = ({ cycles, cycleError }: CycleData): void => {
    const list = section(
      `Cycles (${cycles.items.length}${cycles.redacted ? `, ${cycles.redacted} hidden` : ''})`,
      cycleError ? errorBox(`Cycles could not be loaded: ${describeError(cycleError)}`) : null,
      cycles.items.length
        ? h(
            'ol',
            { class: 'cycles' },
            cycles.items.slice(0, 50).map((c) =>
              h(
                'li',
                null,
                c.organizations.map((o, i) => [
                  i ? ' ⇄ ' : '',
                  link('organization', o, o ? (orgs.get(o)?.name ?? o) : undefined),
                ]),
              ),
            ),
            cycles.items.length > 50
              ? h('li', null, `… and ${cycles.items.length - 50} more`)
              : null,
          )
        : cycleError
          ? null
          : h('p', null, 'No cycles among the relationships you can see.'),
    );
    cycleList.replaceWith(list);
  };

  const expanded = new Set<string>();
  let clusters: Map<string, string> | null = null;
  let graph: GraphHandle | null = null;
  let first = true;
  let shownNodes = new Map<string, GNode>();

  function draw(): void {
    const tDraw = performance.now();
    const types = new Set(typeBoxes.filter((b) => b.checked).map((b) => b.value));
    const statuses = new Set(statusBoxes.filter((b) => b.checked).map((b) => b.value));
    const shown = rels.filter((r) => types.has(r.type) && statuses.has(r.status));
    const relClass = (r: Relationship) => [
      ...(cycleRels.has(r.id) ? ['cycle'] : []),
      ...(r.status === 'suspended'
        ? ['suspended']
        : r.status === 'requested'
          ? ['requested']
          : r.status !== 'active'
            ? ['ended']
            : []),
    ];
    const orgNode = (id: string): GNode => {
      const o = orgs.get(id);
      const classes = [
        ...(turned.has(id) ? ['turned'] : []),
        ...(cycleOrgs.has(id) ? ['cycle'] : []),
        ...(degraded.has(id) ? ['degraded'] : []),
        ...(o?.status === 'closed' || closed.has(id) ? ['closed'] : []),
      ];
      return {
        id,
        label: o?.name ?? id,
        kind: 'organization',
        classes,
        cells: [
          turned.has(id) ? 'consumer turned provider' : '',
          cycleOrgs.has(id) ? 'in a cycle' : '',
          statusText(id),
        ],
      };
    };
    let nodes: GNode[];
    let edges: GEdge[];
    if (clusterBox.checked) {
      clusters ??= clusterize(orgIds, rels);
      const members = new Map<string, string[]>();
      for (const [o, c] of clusters) {
        if (!members.has(c)) members.set(c, []);
        members.get(c)!.push(o);
      }
      const clusterIds = [...members.keys()].sort(
        (a, b) => members.get(b)!.length - members.get(a)!.length,
      );
      const centers = new Map(clusterIds.map((c, i) => [c, spiral(i, 200)]));
      nodes = [];
      for (const c of clusterIds) {
        const m = members.get(c)!;
        const center = centers.get(c)!;
        if (expanded.has(c)) {
          m.forEach((o, i) => nodes.push({ ...orgNode(o), ...spiral(i, 12, center.x, center.y) }));
        } else {
          const turnedCount = m.filter((o) => turned.has(o)).length;
          const node: GNode & { size: number } = {
            id: c,
            label: `${m.length} orgs`,
            kind: 'cluster',
            x: center.x,
            y: center.y,
            size: 30 + Math.sqrt(m.length) * 9,
            href: '#',
            classes: [
              ...(m.some((o) => cycleOrgs.has(o)) ? ['cycle'] : []),
              ...(m.some((o) => degraded.has(o)) ? ['degraded'] : []),
            ],
            cells: [
              `${m.length} organizations (e.g. ${m.slice(0, 3).join(', ')})${turnedCount ? `, ${turnedCount} turned provider` : ''}`,
              '',
              '',
            ],
          };
          nodes.push(node);
        }
      }
      const rep = (o: string) => (expanded.has(clusters!.get(o)!) ? o : clusters!.get(o)!);
      const seen = new Map<string, GEdge>();
      for (const r of shown) {
        const a = rep(r.provider);
        const b = rep(r.consumer);
        if (a === undefined || b === undefined || a === b) continue;
        const key = `${a}>${b}`;
        const e = seen.get(key);
        const agg = a.startsWith('cluster:') || b.startsWith('cluster:');
        if (e) {
          e.weight = (e.weight ?? 1) + 1;
          if (cycleRels.has(r.id)) e.classes = [...(agg ? ['agg'] : []), 'cycle'];
        } else
          seen.set(key, {
            source: a,
            target: b,
            weight: 1,
            classes: [...(agg ? ['agg'] : []), ...relClass(r)],
          });
      }
      edges = [...seen.values()];
    } else {
      nodes = orgIds.map(orgNode);
      edges = shown.map((r) => ({
        id: `edge:${r.id}`,
        source: r.provider,
        target: r.consumer,
        classes: relClass(r),
      }));
    }
    shownNodes = new Map(nodes.map((n) => [n.id, n]));
    graph?.destroy();
    graph = renderGraph(graphHost, nodes, edges, {
      title: 'Ecosystem map',
      // Small ecosystems read best as tiers, providers above their consumers.
      layout: nodes.length <= 60 ? 'tree' : 'auto',
      columns: ['role', 'cycles', 'status'],
      legend,
      onNodeActivate: (n) => {
        if (n.kind !== 'cluster') return false;
        expanded.add(n.id);
        draw();
        return true;
      },
    });
    if (clusterBox.checked) {
      // Clusters expand from the table too (keyboard users).
      for (const row of graphHost.querySelectorAll<HTMLTableRowElement>(
        'tr[data-node-id^="cluster:"]',
      )) {
        const id = row.dataset.nodeId!;
        const cell = row.cells[0];
        clear(cell);
        cell.append(
          h(
            'button',
            { type: 'button', onclick: () => (expanded.add(id), draw()) },
            `Expand ${id}`,
          ),
        );
      }
    }
    window.__cy = graph.cy;
    const isFirst = first;
    first = false;
    const g = graph;
    void g.rendered.then((t) => {
      if (!isFirst) return;
      window.__mapRenderMs = t;
      window.__mapTimings = {
        fetch: tFetched - t0,
        build: tDraw - tFetched,
        render: t - tDraw,
        nodes: nodes.length,
        edges: edges.length,
      };
    });
    void g.complete.then((t) => {
      if (g === graph) window.__cy = g.cy; // big graphs build Cytoscape after the first frame
      if (!isFirst) return;
      window.__mapCompleteMs = t;
      if (window.__mapTimings)
        Object.assign(window.__mapTimings, g.timings, { complete: t - tDraw });
      g.root.querySelector('.graph-block')?.setAttribute('data-complete', 'true');
    });
  }
  draw();
  void cyclesP.then((c) => {
    if (ctx.signal.aborted) return;
    showCycles(c);
    for (const cy of c.cycles.items) {
      cy.organizations.forEach((o) => o && cycleOrgs.add(o));
      cy.relationships.forEach((r) => r && cycleRels.add(r));
    }
    if (!cycleOrgs.size && !cycleRels.size) return;
    if (clusterBox.checked) return draw(); // aggregated edges carry the mark: draw again (small)
    // Mark the drawn graph in place: its nodes, its table (now or when opened), its edges once all are in.
    for (const id of cycleOrgs) {
      const n = shownNodes.get(id);
      if (!n) continue;
      n.classes = [...(n.classes ?? []), 'cycle'];
      if (n.cells) n.cells[1] = 'in a cycle';
      const row = graphHost.querySelector<HTMLTableRowElement>(
        `tr[data-node-id="${CSS.escape(id)}"]`,
      );
      if (row && row.cells[4]) row.cells[4].textContent = 'in a cycle';
    }
    const g = graph!;
    void g.complete.then(() => {
      if (g.cy.destroyed()) return;
      g.cy.batch(() => {
        for (const id of cycleOrgs) g.cy.getElementById(id).addClass('cycle');
        for (const id of cycleRels) g.cy.getElementById(`edge:${id}`).addClass('cycle');
      });
    });
  });
  void marksP.then((m) => {
    if (ctx.signal.aborted || (!m.degraded.size && !m.closed.size)) return;
    degraded = m.degraded;
    closed = m.closed;
    if (clusterBox.checked) return draw();
    // Mark the drawn graph in place, as the cycles are.
    const marked = [...degraded.keys(), ...closed];
    for (const id of marked) {
      const n = shownNodes.get(id);
      if (!n) continue;
      n.classes = [
        ...(n.classes ?? []),
        ...(degraded.has(id) ? ['degraded'] : []),
        ...(closed.has(id) ? ['closed'] : []),
      ];
      if (n.cells) n.cells[2] = statusText(id);
      const row = graphHost.querySelector<HTMLTableRowElement>(
        `tr[data-node-id="${CSS.escape(id)}"]`,
      );
      if (row && row.cells[5]) row.cells[5].textContent = statusText(id);
    }
    const g = graph!;
    void g.complete.then(() => {
      if (g.cy.destroyed()) return;
      g.cy.batch(() => {
        for (const id of degraded.keys()) g.cy.getElementById(id).addClass('degraded');
        for (const id of closed) g.cy.getElementById(id).addClass('closed');
      });
      g.root.querySelector('.graph-block')?.setAttribute('data-degraded', String(degraded.size));
    });
  });
  return () => graph?.destroy();
};
