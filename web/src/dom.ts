// Small DOM helpers: h() builds elements, link helpers build hash routes.

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function')
        el.addEventListener(k.slice(2), v as EventListener);
      else if (k === 'class') el.className = String(v);
      else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else
      el.appendChild(
        typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
      );
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export const enc = encodeURIComponent;

export type Kind =
  | 'organization'
  | 'resource'
  | 'service'
  | 'offering'
  | 'relationship'
  | 'provision'
  | 'consumer_group';

/** The route that shows an object of this kind (objects without a view go to impact). */
export function routeOf(kind: string, id: string): string {
  switch (kind) {
    case 'organization':
      return `#/org/${enc(id)}`;
    case 'resource':
      return `#/resource/${enc(id)}`;
    case 'relationship':
      return `#/relationship/${enc(id)}`;
    case 'offering':
      return `#/offering/${enc(id)}`;
    case 'service':
      return `#/service/${enc(id)}`;
    case 'provision':
      return `#/provision/${enc(id)}`;
    case 'consumer_group':
      return `#/group/${enc(id)}`;
    default:
      return `#/impact/${enc(id)}`;
  }
}

export function link(kind: string, id: string | null | undefined, text?: string): Node {
  if (!id) return h('span', { class: 'muted' }, '(hidden)');
  return h('a', { href: routeOf(kind, id), 'data-id': id }, text ?? id);
}

/** A status as a badge (active, retired, closed, degraded, requested, ...); nothing when unknown. */
export function statusBadge(status: string | null | undefined): Node | null {
  if (!status) return null;
  return h('span', { class: `status ${status}`, 'data-status': status }, status);
}

export function fmtTime(t: string | null | undefined): string {
  if (!t) return '—';
  const d = new Date(t);
  if (isNaN(d.getTime())) return t;
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function errorBox(message: string): HTMLElement {
  return h('div', { class: 'error', role: 'alert' }, message);
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

export function table(headers: string[], rows: Child[][], attrs: Attrs = {}): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            null,
            r.map((c) => h('td', null, c)),
          ),
        ),
      ),
    ),
  );
}

export function json(v: unknown): string {
  return JSON.stringify(v, null, 2);
}
