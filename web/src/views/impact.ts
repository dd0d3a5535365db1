// Impact analysis: from any id, the downstream subgraph (GET /impact?from=ID&explain=true)
// with counts per type. The answer's paths are what the graph draws: each consecutive pair
// on a path is an edge, every node is labelled, and nodes stand in one column per depth
// (the start alone at depth 0), so the picture reads left to right as the walk went.
import {
  describeError,
  enc,
  get,
  qs,
  type Impact,
  type ImpactEntry,
  type Organization,
} from '../api';
import { h, errorBox, routeOf, section, table } from '../dom';
import { LAYER_GAP, renderGraph, type GEdge, type GNode, type GraphHandle } from '../graph';
import { organizations, type View } from './common';

export interface ImpactDrawing {
  /** Start first, then by depth; within a depth, ordered by their predecessors' rows. */
  nodes: { id: string; type: string; depth: number }[];
  /** One per consecutive pair of visible nodes on some path; `hidden` when hidden hops lay between. */
  edges: { source: string; target: string; hidden: boolean }[];
}

/** The nodes and edges the explained paths draw. Entries without a path (a server that
 *  does not explain) get no edge; hidden (null) hops join their visible neighbours with a
 *  `hidden` edge. */
export function impactDrawing(from: string, affected: ImpactEntry[]): ImpactDrawing {
  const depthOf = new Map<string, { type: string; depth: number }>([
    [from, { type: 'start', depth: 0 }],
  ]);
  for (const a of affected)
    if (a.id && !depthOf.has(a.id)) depthOf.set(a.id, { type: a.type, depth: a.depth });
  const edges: ImpactDrawing['edges'] = [];
  const seen = new Set<string>();
  const parent = new Map<string, string>();
  for (const a of affected) {
    let prev: string | null = null;
    let skipped = false;
    for (const p of a.path ?? []) {
      if (p === null) {
        skipped = true;
        continue;
      }
      if (prev !== null && depthOf.has(prev) && depthOf.has(p) && prev !== p) {
        const key = `${prev}>${p}`;
        if (!seen.has(key)) {
          seen.add(key);
          edges.push({ source: prev, target: p, hidden: skipped });
        }
        if (!parent.has(p)) parent.set(p, prev);
      }
      prev = p;
      skipped = false;
    }
  }
  // Order each column by where its parents stand in the previous one (fewer crossings).
  const byDepth = new Map<number, string[]>();
  for (const [id, x] of depthOf) {
    if (!byDepth.has(x.depth)) byDepth.set(x.depth, []);
    byDepth.get(x.depth)!.push(id);
  }
  const row = new Map<string, number>();
  const nodes: ImpactDrawing['nodes'] = [];
  for (const d of [...byDepth.keys()].sort((a, b) => a - b)) {
    const col = byDepth.get(d)!;
    const key = (id: string) => row.get(parent.get(id) ?? '') ?? Number.MAX_SAFE_INTEGER;
    col.sort(
      (a, b) =>
        key(a) - key(b) ||
        depthOf.get(a)!.type.localeCompare(depthOf.get(b)!.type) ||
        (a < b ? -1 : a > b ? 1 : 0),
    );
    col.forEach((id, i) => {
      row.set(id, i);
      nodes.push({ id, ...depthOf.get(id)! });
    });
  }
  return { nodes, edges };
}

export const impactView: View = async (root, [from], ctx) => {
  const s = ctx.signal;
  const depth = ctx.query.get('depth') ?? '';
  const idIn = h('input', {
    id: 'impact-from',
    name: 'from',
    value: from ?? '',
    required: true,
    placeholder: 'any id: organization, resource, service, offering, relationship, provision',
  });
  const depthIn = h('input', {
    id: 'impact-depth',
    name: 'depth',
    type: 'number',
    min: '1',
    value: depth,
    placeholder: 'unbounded',
  });
  root.append(
    h('h1', null, 'Impact analysis'),
    h(
      'form',
      {
        class: 'inline-form',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const id = idIn.value.trim();
          if (id) location.hash = `#/impact/${enc(id)}${qs({ depth: depthIn.value })}`;
        },
      },
      h('label', { for: 'impact-from' }, 'Start from'),
      idIn,
      h('label', { for: 'impact-depth' }, 'Depth'),
      depthIn,
      h('button', { type: 'submit', class: 'primary' }, 'Analyze'),
    ),
  );
  if (!from) {
    root.append(
      h('p', { class: 'muted' }, 'Name a start: what would a failure there reach downstream?'),
    );
    return;
  }
  const out = h('div', { 'aria-live': 'polite' });
  root.append(out);
  let impact: Impact;
  let orgs: Map<string, Organization>;
  try {
    [impact, orgs] = await Promise.all([
      get<Impact>(`/impact${qs({ from, depth, explain: 'true' })}`, s),
      organizations(s).catch(() => new Map<string, Organization>()),
    ]);
  } catch (e) {
    out.append(errorBox(`Impact analysis failed: ${describeError(e)}`));
    return;
  }
  const counts = Object.entries(impact.counts);
  out.append(
    h(
      'section',
      { class: 'card', 'aria-label': 'Counts' },
      h('h2', null, `${impact.affected.length} affected from ${from}`),
      h(
        'ul',
        { class: 'counts', 'data-testid': 'impact-counts' },
        counts.map(([t, n]) =>
          h('li', { 'data-type': t }, h('strong', null, String(n)), ` ${t}${n === 1 ? '' : 's'}`),
        ),
        impact.redacted ? h('li', null, `${impact.redacted} hidden from you`) : null,
      ),
    ),
  );

  const drawing = impactDrawing(from, impact.affected);
  const pathOf = new Map(impact.affected.filter((a) => a.id).map((a) => [a.id!, a.path ?? []]));
  const label = (id: string, type: string) =>
    type === 'organization' || orgs.has(id) ? (orgs.get(id)?.name ?? id) : id;
  const nodes: GNode[] = drawing.nodes.map((n) =>
    n.id === from
      ? {
          id: from,
          label: label(from, 'start'),
          kind: 'start',
          classes: ['start', 'layered'],
          ring: 0,
          href: orgs.has(from) ? routeOf('organization', from) : '#/impact/' + enc(from),
          cells: ['0', 'start'],
        }
      : {
          id: n.id,
          label: label(n.id, n.type),
          kind: n.type,
          classes: ['affected', 'layered'],
          ring: n.depth,
          cells: [
            String(n.depth),
            (pathOf.get(n.id) ?? []).map((p) => p ?? '(hidden)').join(' → '),
          ],
        },
  );
  const edges: GEdge[] = drawing.edges.map((e) => ({
    source: e.source,
    target: e.target,
    classes: e.hidden ? ['via-hidden'] : [],
  }));
  const tallest = Math.max(
    1,
    ...[...new Set(drawing.nodes.map((n) => n.depth))].map(
      (d) => drawing.nodes.filter((n) => n.depth === d).length,
    ),
  );
  const height = Math.min(1100, Math.max(320, tallest * LAYER_GAP.y * 0.8 + 80));
  const graphHost = h('div');
  out.append(
    section(
      'Downstream subgraph',
      h(
        'p',
        { class: 'muted' },
        'One column per depth, the start (black) on the left; each arrow is a step of the walk that reached the node (dashed: through something hidden from you). Drag to pan; Fit shows it whole.',
      ),
      graphHost,
    ),
  );
  const graph: GraphHandle = renderGraph(graphHost, nodes, edges, {
    title: 'Impact',
    layout: 'layers',
    columns: ['depth', 'path from the start'],
    height: `${height}px`,
    minFitZoom: 0.8,
  });
  out.append(
    section(
      'Why each node is affected',
      table(
        ['node', 'type', 'depth', 'path from the start'],
        impact.affected.map((a) => [
          a.id ? h('a', { href: routeOf(a.type, a.id) }, a.id) : '(hidden)',
          a.type,
          String(a.depth),
          (a.path ?? []).map((p, i) => [i ? ' → ' : '', p ?? '(hidden)']),
        ]),
        { 'data-testid': 'impact-why' },
      ),
    ),
  );
  return () => graph.destroy();
};
