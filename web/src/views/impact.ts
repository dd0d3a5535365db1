// Impact analysis: from any id, the downstream subgraph (GET /impact?from=ID) with counts
// per type; on demand, why each node is affected (&explain=true gives one path per node).
import { enc, get, qs, type Impact } from '../api';
import { h, errorBox, routeOf, section, table } from '../dom';
import { describeError } from '../api';
import { renderGraph, type GEdge, type GNode, type GraphHandle } from '../graph';
import type { View } from './common';

export const impactView: View = async (root, [from], ctx) => {
  const s = ctx.signal;
  const depth = ctx.query.get('depth') ?? '';
  const idIn = h('input', { id: 'impact-from', name: 'from', value: from ?? '', required: true, placeholder: 'any id: organization, resource, service, offering, relationship, provision' });
  const depthIn = h('input', { id: 'impact-depth', name: 'depth', type: 'number', min: '1', value: depth, placeholder: 'unbounded' });
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
    root.append(h('p', { class: 'muted' }, 'Name a start: what would a failure there reach downstream?'));
    return;
  }
  let graph: GraphHandle | null = null;
  const out = h('div', { 'aria-live': 'polite' });
  root.append(out);
  let impact: Impact;
  try {
    impact = await get<Impact>(`/impact${qs({ from, depth })}`, s);
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
        counts.map(([t, n]) => h('li', { 'data-type': t }, h('strong', null, String(n)), ` ${t}${n === 1 ? '' : 's'}`)),
        impact.redacted ? h('li', null, `${impact.redacted} hidden from you`) : null,
      ),
    ),
  );
  const explainBtn = h('button', { type: 'button', 'data-testid': 'explain' }, 'Explain why each node is affected');
  const graphHost = h('div');
  const why = h('div');
  out.append(section('Downstream subgraph', h('p', { class: 'muted' }, 'Rings by depth; the black node is the start, affected nodes are outlined in orange.'), explainBtn, graphHost), why);

  const draw = (explained: Impact | null) => {
    const nodes: GNode[] = [{ id: from, label: from, kind: 'start', classes: ['start'], ring: 0, href: '#/impact/' + enc(from), cells: ['0', 'start'] }];
    const seen = new Set([from]);
    const src = explained ?? impact;
    for (const a of src.affected) {
      if (!a.id || seen.has(a.id)) continue;
      seen.add(a.id);
      nodes.push({ id: a.id, label: a.id, kind: a.type, classes: ['affected'], ring: a.depth, cells: [String(a.depth), a.path ? a.path.map((p) => p ?? '(hidden)').join(' → ') : ''] });
    }
    const edges: GEdge[] = [];
    if (explained) {
      const keys = new Set<string>();
      for (const a of explained.affected) {
        const p = a.path ?? [];
        for (let i = 1; i < p.length; i++) {
          const x = p[i - 1];
          const y = p[i];
          if (!x || !y || keys.has(`${x}>${y}`)) continue;
          keys.add(`${x}>${y}`);
          edges.push({ source: x, target: y });
        }
      }
    }
    graph?.destroy();
    graph = renderGraph(graphHost, nodes, edges, { title: 'Impact', layout: 'rings', columns: ['depth', explained ? 'why (path)' : 'path'], height: '460px' });
  };
  draw(null);
  explainBtn.addEventListener('click', async () => {
    explainBtn.disabled = true;
    try {
      const ex = await get<Impact>(`/impact${qs({ from, depth, explain: 'true' })}`, s);
      draw(ex);
      why.replaceChildren(
        section(
          'Why each node is affected',
          table(
            ['node', 'type', 'path from the start'],
            ex.affected.map((a) => [
              a.id ? h('a', { href: routeOf(a.type, a.id) }, a.id) : '(hidden)',
              a.type,
              (a.path ?? []).map((p, i) => [i ? ' → ' : '', p ?? '(hidden)']),
            ]),
            { 'data-testid': 'impact-why' },
          ),
        ),
      );
    } catch (e) {
      why.replaceChildren(errorBox(`Explain failed: ${describeError(e)}`));
    } finally {
      explainBtn.disabled = false;
    }
  });
  return () => graph?.destroy();
};
