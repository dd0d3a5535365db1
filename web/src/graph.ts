// Graph rendering with Cytoscape.js, tuned for scale, and the text alternative that
// every graph carries (a table listing the same nodes, keyboard reachable).
//
// Scale rules: cose layout only under COSE_LIMIT nodes; above it, positions are
// precomputed (a sunflower spiral, busiest nodes in the middle, or rings by depth).
// Above BIG_LIMIT nodes: haystack edges, no arrows, labels only when zoomed in,
// textureOnViewport and hideEdgesOnViewport while panning and zooming, no layout run (the
// fitted viewport is computed from the positions), a first frame painted on a plain canvas
// and Cytoscape built right after it, edges streamed in over the next frames.
import cytoscape from 'cytoscape';
import { h, clear, routeOf, append } from './dom';

export const COSE_LIMIT = 400;
export const BIG_LIMIT = 1500;
const TABLE_EAGER_LIMIT = 800;

export interface GNode {
  id: string;
  label: string;
  kind: string; // organization, resource, service, ... or 'cluster'
  classes?: string[];
  ring?: number; // for ring layouts (e.g. impact depth)
  x?: number;
  y?: number;
  href?: string; // where the node leads (defaults to its kind's view)
  cells?: (Node | string)[]; // extra columns in the text alternative
}
export interface GEdge {
  id?: string; // must not collide with a node id; default e0, e1, ...
  source: string;
  target: string;
  weight?: number; // aggregated edges: how many relationships they stand for
  classes?: string[];
  label?: string;
}
export interface GraphOptions {
  title: string; // accessible name
  layout?: 'auto' | 'rings' | 'tree' | 'layers'; // layers: one column per `ring`, nodes in the order given
  columns?: string[]; // headers of the extra cells
  onNodeActivate?: (n: GNode) => boolean | void; // return true when handled
  height?: string;
  legend?: Node;
  /** Never fit below this zoom: a wider graph starts at its left edge, to be panned. */
  minFitZoom?: number;
}
export interface GraphHandle {
  cy: cytoscape.Core; // big graphs: set once built, just after the first frame (await complete)
  root: HTMLElement;
  rendered: Promise<number>; // performance.now() at the first frame drawn
  complete: Promise<number>; // performance.now() once every edge is in (big graphs add them in chunks)
  timings: Record<string, number>; // ms: quick_paint, construct, interactive (from the call)
  destroy(): void;
}

const GOLDEN = Math.PI * (3 - Math.sqrt(5));

/** Sunflower positions: index 0 in the middle, spacing s between neighbours. */
export function spiral(i: number, s: number, cx = 0, cy = 0): { x: number; y: number } {
  const r = s * Math.sqrt(i + 0.5);
  const a = i * GOLDEN;
  return { x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) };
}

/** Column spacing and row spacing of the 'layers' layout. */
export const LAYER_GAP = { x: 180, y: 60 };

/** Positions for the layouts cocreate computes itself (exported for its tests). */
export function precompute(
  nodes: GNode[],
  edges: GEdge[],
  mode: 'auto' | 'rings' | 'layers',
): void {
  if (mode === 'layers') {
    const byRing = new Map<number, GNode[]>();
    for (const n of nodes) {
      const r = n.ring ?? 0;
      if (!byRing.has(r)) byRing.set(r, []);
      byRing.get(r)!.push(n);
    }
    for (const [r, col] of byRing) {
      col.forEach((n, i) => {
        n.x = r * LAYER_GAP.x;
        n.y = (i - (col.length - 1) / 2) * LAYER_GAP.y;
      });
    }
    return;
  }
  if (mode === 'rings') {
    const byRing = new Map<number, GNode[]>();
    for (const n of nodes) {
      const r = n.ring ?? 0;
      if (!byRing.has(r)) byRing.set(r, []);
      byRing.get(r)!.push(n);
    }
    let radius = 0;
    for (const r of [...byRing.keys()].sort((a, b) => a - b)) {
      const ring = byRing.get(r)!;
      if (r === 0 && ring.length === 1) {
        ring[0].x = 0;
        ring[0].y = 0;
        radius = 60;
        continue;
      }
      // Enough circumference for 40 px per node, and at least 120 px further out.
      radius = Math.max(radius + 120, (ring.length * 40) / (2 * Math.PI));
      ring.forEach((n, i) => {
        const a = (2 * Math.PI * i) / ring.length + r * 0.3;
        n.x = radius * Math.cos(a);
        n.y = radius * Math.sin(a);
      });
    }
    return;
  }
  const degree = new Map<string, number>();
  for (const e of edges) {
    degree.set(e.source, (degree.get(e.source) ?? 0) + 1);
    degree.set(e.target, (degree.get(e.target) ?? 0) + 1);
  }
  const order = nodes
    .slice()
    .sort((a, b) => (degree.get(b.id) ?? 0) - (degree.get(a.id) ?? 0) || (a.id < b.id ? -1 : 1));
  order.forEach((n, i) => {
    if (n.x === undefined || n.y === undefined) Object.assign(n, spiral(i, 26));
  });
}

function styles(big: boolean): cytoscape.StylesheetJson {
  if (big) {
    // Few selectors: every one is matched against every element.
    return [
      {
        selector: 'node',
        style: { 'background-color': '#5b7fa6', width: 10, height: 10, label: '' },
      },
      {
        selector: 'node.turned',
        style: { 'background-color': '#d9822b', shape: 'star', width: 14, height: 14 },
      },
      { selector: 'node.cycle', style: { 'border-width': 2, 'border-color': '#c0392b' } },
      {
        selector: 'node.degraded',
        style: { 'border-width': 2, 'border-color': '#d35400', 'background-color': '#f0b27a' },
      },
      {
        selector: 'node.labelled',
        style: {
          label: 'data(label)',
          'font-size': 9,
          color: '#1d2733',
          'text-valign': 'bottom',
          'text-margin-y': 2,
        },
      },
      { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#1565c0' } },
      {
        selector: 'node[kind = "cluster"]',
        style: {
          'background-color': '#9bb3cc',
          width: 'data(size)',
          height: 'data(size)',
          label: 'data(label)',
          'font-size': 12,
        },
      },
      // Opaque edges: alpha blending thousands of paths costs more than it shows.
      {
        selector: 'edge',
        style: {
          'curve-style': 'haystack',
          'haystack-radius': 0,
          width: 0.8,
          'line-color': '#c3ccd5',
        },
      },
      { selector: 'edge.cycle', style: { 'line-color': '#c0392b', width: 1.5, opacity: 1 } },
    ];
  }
  const s: cytoscape.StylesheetJson = [
    {
      selector: 'node',
      style: {
        'background-color': '#5b7fa6',
        width: big ? 10 : 22,
        height: big ? 10 : 22,
        label: big ? '' : 'data(label)',
        'font-size': big ? 5 : 11,
        'min-zoomed-font-size': big ? 9 : 6,
        color: '#1d2733',
        'text-valign': 'bottom',
        'text-margin-y': 3,
        'text-wrap': 'ellipsis',
        'text-max-width': '140px',
      },
    },
    {
      selector: 'node[kind = "resource"]',
      style: { 'background-color': '#4f9a6a', shape: 'round-rectangle' },
    },
    {
      selector: 'node[kind = "service"]',
      style: { 'background-color': '#8a63b3', shape: 'hexagon' },
    },
    { selector: 'node[kind = "offering"]', style: { 'background-color': '#c98a2b', shape: 'tag' } },
    {
      selector: 'node[kind = "relationship"]',
      style: { 'background-color': '#7a8894', shape: 'diamond' },
    },
    {
      selector: 'node[kind = "provision"]',
      style: { 'background-color': '#2f8fa3', shape: 'triangle' },
    },
    {
      selector: 'node[kind = "cluster"]',
      style: {
        'background-color': '#9bb3cc',
        width: 'data(size)',
        height: 'data(size)',
        'font-size': 28,
        'min-zoomed-font-size': 3,
        'text-valign': 'center',
        'text-max-width': '400px',
      },
    },
    {
      selector: 'node.labelled',
      style: { label: 'data(label)', 'font-size': 9, 'min-zoomed-font-size': 0 },
    },
    {
      selector: 'node.turned',
      style: {
        'background-color': '#d9822b',
        shape: 'star',
        width: big ? 14 : 28,
        height: big ? 14 : 28,
      },
    },
    { selector: 'node.cycle', style: { 'border-width': big ? 2 : 3, 'border-color': '#c0392b' } },
    {
      selector: 'node.start',
      style: {
        'background-color': '#111',
        width: 30,
        height: 30,
        'border-width': 4,
        'border-color': '#f1c40f',
      },
    },
    { selector: 'node.affected', style: { 'border-width': 3, 'border-color': '#e67e22' } },
    { selector: 'node.dim', style: { opacity: 0.25 } },
    // Columns by depth: every label drawn, to the right of its node, at any zoom.
    // Columns by depth: every label drawn at any zoom, wrapped after - _ . : to fit a column.
    {
      selector: 'node.layered',
      style: {
        label: 'data(wrapped)',
        'text-wrap': 'wrap',
        'text-max-width': '160px',
        'min-zoomed-font-size': 0,
        'font-size': 11,
      },
    },
    {
      selector: 'node.degraded',
      style: {
        'border-width': 3,
        'border-color': '#fff',
        'outline-width': 4,
        'outline-color': '#e65100',
        'outline-offset': 0,
      },
    },
    {
      selector: 'node.closed',
      style: { opacity: 0.45, 'border-width': 2, 'border-color': '#555', 'border-style': 'dashed' },
    },
    { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#1565c0' } },
    {
      selector: 'edge',
      style: big
        ? {
            'curve-style': 'haystack',
            'haystack-radius': 0,
            width: 0.6,
            'line-color': '#9aa7b4',
            opacity: 0.55,
          }
        : {
            'curve-style': 'bezier',
            width: 1.6,
            'line-color': '#8796a5',
            'target-arrow-shape': 'triangle',
            'target-arrow-color': '#8796a5',
            'arrow-scale': 0.9,
          },
    },
    {
      selector: 'edge[label]',
      style: big
        ? {}
        : {
            label: 'data(label)',
            'font-size': 8,
            'text-rotation': 'autorotate',
            color: '#5a6570',
            'min-zoomed-font-size': 7,
          },
    },
    {
      selector: 'edge.agg',
      style: {
        'curve-style': 'haystack',
        'target-arrow-shape': 'none',
        width: 'mapData(weight, 1, 40, 0.8, 10)',
        opacity: 0.4,
        'line-color': '#7d8fa3',
      },
    },
    {
      selector: 'edge.cycle',
      style: {
        'line-color': '#c0392b',
        'target-arrow-color': '#c0392b',
        width: big ? 1.5 : 3,
        opacity: 1,
      },
    },
    { selector: 'edge.suspended', style: { 'line-style': 'dashed' } },
    {
      selector: 'edge.via-hidden',
      style: { 'line-style': 'dashed', 'line-color': '#b0b8c0', 'target-arrow-color': '#b0b8c0' },
    },
    { selector: 'edge.requested', style: { 'line-style': 'dotted' } },
    { selector: 'edge.ended', style: { 'line-color': '#c9d1d9', 'target-arrow-color': '#c9d1d9' } },
  ];
  return s;
}

/** The zoom and pan that fit precomputed positions into the container (as cy.fit would). */
function fitViewport(
  nodes: GNode[],
  container: HTMLElement,
  padding: number,
  minZoom: number,
  maxZoom: number,
) {
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  for (const n of nodes) {
    const r = ((n as GNode & { size?: number }).size ?? 14) / 2;
    const x = n.x ?? 0,
      y = n.y ?? 0;
    if (x - r < x1) x1 = x - r;
    if (x + r > x2) x2 = x + r;
    if (y - r < y1) y1 = y - r;
    if (y + r > y2) y2 = y + r;
  }
  const w = container.clientWidth || 800;
  const hgt = container.clientHeight || 600;
  if (!isFinite(x1)) return { zoom: 1, pan: { x: w / 2, y: hgt / 2 } };
  const zoom = Math.min(
    maxZoom,
    Math.max(
      minZoom,
      Math.min(
        (w - 2 * padding) / Math.max(1, x2 - x1),
        (hgt - 2 * padding) / Math.max(1, y2 - y1),
      ),
    ),
  );
  return { zoom, pan: { x: w / 2 - (zoom * (x1 + x2)) / 2, y: hgt / 2 - (zoom * (y1 + y2)) / 2 } };
}

/** Draws nodes and edges (as the big stylesheet does, roughly) on a plain canvas over `container`. */
function quickPaint(
  container: HTMLElement,
  nodes: GNode[],
  edgeEls: cytoscape.ElementDefinition[],
  vp: { zoom: number; pan: { x: number; y: number } },
): HTMLCanvasElement {
  const w = container.clientWidth || 800;
  const hgt = container.clientHeight || 600;
  const c = document.createElement('canvas');
  c.width = w;
  c.height = hgt;
  c.setAttribute('aria-hidden', 'true');
  c.style.cssText = 'position:absolute;left:0;top:0;pointer-events:none;z-index:1';
  if (getComputedStyle(container).position === 'static') container.style.position = 'relative';
  container.appendChild(c);
  const ctx = c.getContext('2d');
  if (!ctx) return c;
  const { zoom, pan } = vp;
  const pos = new Map<string, GNode>();
  for (const n of nodes) pos.set(n.id, n);
  const px = (n: GNode) => (n.x ?? 0) * zoom + pan.x;
  const py = (n: GNode) => (n.y ?? 0) * zoom + pan.y;
  for (const [color, width, cycle] of [
    ['#c3ccd5', 0.8, false],
    ['#c0392b', 1.5, true],
  ] as const) {
    ctx.beginPath();
    for (const e of edgeEls) {
      const isCycle = (e.classes as string | undefined)?.includes('cycle') ?? false;
      if (isCycle !== cycle) continue;
      const a = pos.get(e.data.source as string);
      const b = pos.get(e.data.target as string);
      if (!a || !b) continue;
      ctx.moveTo(px(a), py(a));
      ctx.lineTo(px(b), py(b));
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = Math.max(0.5, width * zoom);
    ctx.stroke();
  }
  for (const [color, match] of [
    ['#5b7fa6', (n: GNode) => !n.classes?.includes('turned') && n.kind !== 'cluster'],
    ['#9bb3cc', (n: GNode) => n.kind === 'cluster'],
    ['#d9822b', (n: GNode) => !!n.classes?.includes('turned')],
  ] as const) {
    ctx.beginPath();
    for (const n of nodes) {
      if (!match(n)) continue;
      const size =
        n.kind === 'cluster'
          ? ((n as GNode & { size?: number }).size ?? 30)
          : n.classes?.includes('turned')
            ? 14
            : 10;
      const r = Math.max(0.75, (size / 2) * zoom);
      ctx.moveTo(px(n) + r, py(n));
      ctx.arc(px(n), py(n), r, 0, 2 * Math.PI);
    }
    ctx.fillStyle = color;
    ctx.fill();
  }
  return c;
}

/** Renders a graph and its text alternative into `host` (cleared first). */
export function renderGraph(
  host: HTMLElement,
  nodes: GNode[],
  edges: GEdge[],
  opts: GraphOptions,
): GraphHandle {
  const tStart = performance.now();
  clear(host);
  const big = nodes.length > BIG_LIMIT;
  const layoutMode = opts.layout ?? 'auto';
  const hasPositions =
    nodes.length > 0 && nodes.every((n) => n.x !== undefined && n.y !== undefined);
  const usePreset =
    hasPositions || layoutMode === 'rings' || layoutMode === 'layers' || nodes.length > COSE_LIMIT;
  if (usePreset)
    precompute(
      nodes,
      edges,
      layoutMode === 'rings' || layoutMode === 'layers' ? layoutMode : 'auto',
    );

  const canvas = h('div', {
    class: 'graph',
    role: 'img',
    'aria-label': `${opts.title}: ${nodes.length} nodes, ${edges.length} edges. The same nodes are listed in the table below.`,
    style: opts.height ? `height:${opts.height}` : null,
  });
  const counts = h('p', { class: 'graph-counts' }, `${nodes.length} nodes, ${edges.length} edges`);
  const alt = h(
    'details',
    { class: 'graph-alt' },
    h('summary', null, `${opts.title} as a table (${nodes.length} nodes)`),
  );
  const controls = h(
    'div',
    { class: 'graph-controls' },
    h('button', { type: 'button', onclick: () => cy?.fit(undefined, 20) }, 'Fit'),
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          cy?.zoom({
            level: cy.zoom() * 1.4,
            renderedPosition: { x: canvas.clientWidth / 2, y: canvas.clientHeight / 2 },
          }),
      },
      'Zoom in',
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          cy?.zoom({
            level: cy.zoom() / 1.4,
            renderedPosition: { x: canvas.clientWidth / 2, y: canvas.clientHeight / 2 },
          }),
      },
      'Zoom out',
    ),
    counts,
  );
  append(host, [
    h(
      'div',
      { class: 'graph-block', 'data-graph': opts.title },
      controls,
      canvas,
      opts.legend ?? null,
      alt,
    ),
  ]);

  const byId = new Map(nodes.map((n) => [n.id, n]));
  const fillTable = () => {
    if (alt.querySelector('table')) return;
    const cols = opts.columns ?? [];
    const tbody = h('tbody');
    const frag = document.createDocumentFragment();
    for (const n of nodes) {
      frag.appendChild(
        h(
          'tr',
          { 'data-node-id': n.id },
          h('td', null, h('a', { href: n.href ?? routeOf(n.kind, n.id) }, n.id)),
          h('td', null, n.label),
          h('td', null, n.kind),
          ...(n.cells ?? []).map((c) => h('td', null, c)),
        ),
      );
    }
    tbody.appendChild(frag);
    alt.appendChild(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { 'data-graph-alt': opts.title },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['id', 'name', 'type', ...cols].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          tbody,
        ),
      ),
    );
  };
  if (nodes.length <= TABLE_EAGER_LIMIT) fillTable();
  else alt.addEventListener('toggle', fillTable);

  const elements: cytoscape.ElementDefinition[] = [];
  for (const n of nodes) {
    elements.push({
      group: 'nodes',
      data: {
        id: n.id,
        label: n.label,
        wrapped: n.label.replace(/([-_.:])/g, '$1\u200b'),
        kind: n.kind,
        size: (n as GNode & { size?: number }).size ?? 30,
      },
      classes: n.classes?.join(' '),
      position: usePreset ? { x: n.x ?? 0, y: n.y ?? 0 } : undefined,
    });
  }
  let k = 0;
  for (const e of edges) {
    if (!byId.has(e.source) || !byId.has(e.target)) continue;
    elements.push({
      group: 'edges',
      data: {
        id: e.id ?? `e${k++}`,
        source: e.source,
        target: e.target,
        weight: e.weight ?? 1,
        ...(e.label ? { label: e.label } : {}),
      },
      classes: e.classes?.join(' '),
    });
  }

  let resolveRendered: (t: number) => void = () => {};
  const rendered = new Promise<number>((r) => (resolveRendered = r));
  const nodeEls = elements.filter((e) => e.group === 'nodes');
  const edgeEls = elements.filter((e) => e.group === 'edges');
  const viewport = big ? fitViewport(nodes, canvas, 20, 0.02, 6) : null;
  let cy!: cytoscape.Core;
  let stopped = false;
  let resolveBuilt: () => void = () => {};
  const built = new Promise<void>((r) => (resolveBuilt = r));
  const timings: Record<string, number> = {};
  let quick: HTMLCanvasElement | null = null;

  const build = (): void => {
    const tConstruct = performance.now();
    cy = cytoscape({
      container: canvas,
      elements: big ? nodeEls : elements,
      style: styles(big),
      // Big graphs: positions are in the element definitions and the fitted viewport is
      // computed here, so no layout runs (a preset layout's fit measures every element).
      layout: big
        ? { name: 'preset', fit: false }
        : usePreset
          ? { name: 'preset', fit: true, padding: 20 }
          : layoutMode === 'tree'
            ? {
                name: 'breadthfirst',
                directed: true,
                fit: true,
                padding: 30,
                spacingFactor: 1.1,
                animate: false,
              }
            : {
                name: 'cose',
                animate: false,
                fit: true,
                padding: 30,
                randomize: true,
                nodeRepulsion: () => 60000,
                idealEdgeLength: () => 130,
                componentSpacing: 80,
              },
      ...(viewport ?? {}),
      minZoom: 0.02,
      maxZoom: 6,
      wheelSensitivity: 0.4,
      pixelRatio: big ? 1 : 'auto',
      textureOnViewport: big,
      hideEdgesOnViewport: big,
      motionBlur: false,
      boxSelectionEnabled: false,
    });
    timings.construct = performance.now() - tConstruct;
    if (opts.minFitZoom && !big && cy.zoom() < opts.minFitZoom) {
      const bb = cy.elements().boundingBox();
      cy.zoom(opts.minFitZoom);
      cy.pan({
        x: 20 - bb.x1 * opts.minFitZoom,
        y: canvas.clientHeight / 2 - ((bb.y1 + bb.y2) / 2) * opts.minFitZoom,
      });
    }
    cy.one('render', () => {
      timings.interactive = performance.now() - tStart;
      quick?.remove();
      quick = null;
      resolveRendered(performance.now()); // no-op when the quick paint came first
      resolveBuilt();
    });
    // Tests and curious users reach each graph by its title.
    ((window as unknown as { __graphs?: Record<string, cytoscape.Core> }).__graphs ??= {})[
      opts.title
    ] = cy;
    if (big) {
      // Labels only when zoomed in far enough that few nodes are on screen.
      let timer = 0;
      let labelled: cytoscape.NodeCollection = cy.collection();
      cy.on('viewport', () => {
        clearTimeout(timer);
        timer = window.setTimeout(() => {
          if (cy.destroyed()) return;
          const ext = cy.extent();
          const inView = cy.nodes().filter((n) => {
            const p = n.position();
            return p.x >= ext.x1 && p.x <= ext.x2 && p.y >= ext.y1 && p.y <= ext.y2;
          });
          cy.batch(() => {
            labelled.removeClass('labelled');
            labelled = inView.length <= 250 ? inView : cy.collection();
            labelled.addClass('labelled');
          });
        }, 200);
      });
    }
    cy.on('tap', 'node', (ev) => {
      const n = byId.get(ev.target.id());
      if (!n) return;
      if (opts.onNodeActivate && opts.onNodeActivate(n)) return;
      location.hash = n.href ?? routeOf(n.kind, n.id);
    });
  };

  if (big && viewport) {
    // Big graphs: the first frame is a plain canvas drawing of the same nodes and edges
    // at the same viewport (milliseconds); Cytoscape is built right after that frame and
    // replaces it (then the map pans, zooms and answers clicks).
    const tQuick = performance.now();
    quick = quickPaint(canvas, nodes, edgeEls, viewport);
    timings.quick_paint = performance.now() - tQuick;
    requestAnimationFrame(() => {
      resolveRendered(performance.now());
      // Build once that frame is on screen.
      setTimeout(() => {
        if (!stopped) build();
      }, 0);
    });
  } else {
    build();
  }
  // Big graphs draw their nodes first and stream the edges in over the next frames,
  // so the map is on screen (and pannable) before every edge is built.
  const complete = !big
    ? rendered
    : built.then(async () => {
        const chunk = 3000;
        for (let i = 0; i < edgeEls.length && !stopped; i += chunk) {
          await new Promise((r) => requestAnimationFrame(r));
          if (stopped) break;
          cy.add(edgeEls.slice(i, i + chunk));
        }
        return performance.now();
      });
  return {
    get cy() {
      return cy;
    },
    root: host,
    rendered,
    complete,
    timings,
    destroy: () => {
      stopped = true;
      cy?.destroy();
    },
  };
}
