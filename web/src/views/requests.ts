// Requests on a relationship (CONTRACT §6) as a queue: open ones first, oldest first, then
// the closed ones, newest first, with lead times. The consumer opens a request for one of
// the offering's actions (POST /relationships/{id}/requests) and cancels it; the provider
// fulfils it — a provision of that action naming the request (POST /provisions {request}),
// in one click for an action that changes no resource, else through the provision form —
// or declines it.
import {
  describeError,
  enc,
  get,
  post,
  type Offering,
  type Provision,
  type Relationship,
  type Requests,
  type ServiceRequest,
} from '../api';
import { h, errorBox, fmtTime, link, statusBadge } from '../dom';
import { refusal } from '../forms';
import { fmtDuration, queueOrder, requestMoves, type Side } from '../srm';

export interface RequestHooks {
  /** Something changed: reload the parts a request touches, with a message. */
  changed: (message: string) => void;
  /** Fulfil through the provision form (an action that creates, modifies or transfers). */
  fulfilWithForm: (r: ServiceRequest) => void;
}

export async function requestsSection(
  rel: Relationship,
  offering: Offering | null,
  side: Side,
  signal: AbortSignal,
  hooks: RequestHooks,
): Promise<Node[]> {
  const page = await get<Requests>(`/relationships/${enc(rel.id)}/requests?limit=1000`, signal);
  const items = queueOrder(page.items);
  const count = (st: string) => page.items.filter((r) => r.status === st).length;
  const lt = page.lead_time;
  const nodes: Node[] = [
    h(
      'ul',
      { class: 'counts', 'data-testid': 'requests-summary' },
      h('li', { 'data-status': 'open' }, statusBadge('open'), ` ${count('open')}`),
      h('li', { 'data-status': 'fulfilled' }, statusBadge('fulfilled'), ` ${count('fulfilled')}`),
      h('li', { 'data-status': 'declined' }, statusBadge('declined'), ` ${count('declined')}`),
      h('li', { 'data-status': 'cancelled' }, statusBadge('cancelled'), ` ${count('cancelled')}`),
      h(
        'li',
        null,
        `lead time to fulfil: mean ${fmtDuration(lt?.mean_seconds)}, median ${fmtDuration(lt?.median_seconds)} (${lt?.fulfilled ?? 0} fulfilled)`,
      ),
    ),
  ];
  if (page.total > page.items.length)
    nodes.push(h('p', { class: 'muted' }, `${page.items.length} of ${page.total} requests shown.`));
  nodes.push(
    items.length
      ? h(
          'ol',
          { class: 'queue', 'data-testid': 'requests' },
          items.map((r) => requestItem(r, rel, offering, side, hooks)),
        )
      : h('p', { class: 'muted', 'data-testid': 'requests-empty' }, 'No request yet.'),
  );
  if ((side === 'consumer' || side === 'admin') && offering) {
    nodes.push(
      rel.status === 'active'
        ? openForm(rel, offering, hooks)
        : h(
            'p',
            { class: 'muted' },
            `Requests are opened while the relationship is active (it is ${rel.status}).`,
          ),
    );
  }
  return nodes;
}

function requestItem(
  r: ServiceRequest,
  rel: Relationship,
  offering: Offering | null,
  side: Side,
  hooks: RequestHooks,
): HTMLElement {
  const moves = requestMoves(r, side);
  const effect = offering?.actions.find((a) => a.name === r.action)?.effect ?? 'none';
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const reason = moves.some((m) => m !== 'fulfil')
    ? h('input', {
        'aria-label': `Reason (optional) for request ${r.id}`,
        placeholder: 'reason (optional)',
        size: 20,
        'data-reason': r.id,
      })
    : null;
  const act = async (b: HTMLButtonElement, run: () => Promise<string>) => {
    b.disabled = true;
    result.replaceChildren();
    try {
      hooks.changed(await run());
    } catch (e) {
      result.append(refusal(e));
      b.disabled = false;
    }
  };
  const button = (move: 'fulfil' | 'decline' | 'cancel') =>
    h(
      'button',
      {
        type: 'button',
        class: move === 'fulfil' ? 'primary' : 'danger',
        'data-request-move': move,
        onclick: (ev: Event) => {
          const b = ev.currentTarget as HTMLButtonElement;
          if (move === 'fulfil' && effect !== 'none') {
            hooks.fulfilWithForm(r);
            return;
          }
          void act(b, async () => {
            if (move === 'fulfil') {
              const p = await post<Provision>('/provisions', {
                relationship: rel.id,
                action: r.action,
                request: r.id,
              });
              return `Request ${r.id} fulfilled by provision ${p.id}.`;
            }
            const body = reason?.value.trim() ? { reason: reason.value.trim() } : {};
            const after = await post<ServiceRequest>(`/requests/${enc(r.id)}/${move}`, body);
            return `Request ${r.id} is ${after.status}.`;
          });
        },
      },
      move === 'fulfil'
        ? effect === 'none'
          ? 'Fulfil'
          : 'Fulfil…'
        : move[0].toUpperCase() + move.slice(1),
    );
  return h(
    'li',
    { class: `request-item ${r.status}`, 'data-request': r.id, 'data-status': r.status },
    requestLines(r),
    moves.length ? h('div', { class: 'actions' }, moves.map(button), reason) : null,
    result,
  );
}

/** A request in a few lines: status, action and id; when opened and closed, lead time and
 *  the provision that fulfilled it; the consumer's note and details; the reason given.
 *  Shared by the queue of a relationship and the Requests view (views/requestlist.ts). */
export function requestLines(r: ServiceRequest, extra: (Node | string)[] = []): Node[] {
  const details = Object.keys(r.details ?? {}).length
    ? h('code', { class: 'details' }, JSON.stringify(r.details))
    : null;
  return [
    h(
      'div',
      { class: 'req-head' },
      statusBadge(r.status),
      ' ',
      h('strong', null, r.action),
      ' ',
      h('small', { class: 'muted' }, r.id),
    ),
    h(
      'div',
      { class: 'req-times' },
      h('time', { datetime: r.opened_at }, `opened ${fmtTime(r.opened_at)}`),
      r.closed_at
        ? [' · ', h('time', { datetime: r.closed_at }, `${r.status} ${fmtTime(r.closed_at)}`)]
        : '',
      r.lead_time_seconds !== null && r.lead_time_seconds !== undefined
        ? ` · lead time ${fmtDuration(r.lead_time_seconds)}`
        : '',
      r.provision ? [' · by provision ', link('provision', r.provision)] : '',
      extra,
    ),
    r.note ? h('div', null, `“${r.note}”`) : null,
    details,
    r.reason ? h('div', { class: 'muted' }, `reason: ${r.reason}`) : null,
  ].filter((n): n is HTMLElement => n !== null);
}

function openForm(rel: Relationship, offering: Offering, hooks: RequestHooks): HTMLElement {
  const action = h(
    'select',
    { id: 'request-action' },
    offering.actions.map((a) => h('option', { value: a.name }, `${a.name} (${a.effect})`)),
  );
  const note = h('input', { id: 'request-note', size: 40 });
  const details = h('textarea', {
    id: 'request-details',
    rows: 2,
    placeholder: '{"size": "large"} (optional)',
    spellcheck: 'false',
  });
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'request-open-result',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Open request');
  return h(
    'form',
    {
      class: 'srm-form',
      'aria-label': 'Open a request',
      'data-testid': 'request-open',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        result.replaceChildren();
        const body: Record<string, unknown> = { action: action.value };
        if (note.value.trim()) body.note = note.value.trim();
        if (details.value.trim()) {
          let d: unknown;
          try {
            d = JSON.parse(details.value);
          } catch (e) {
            result.append(errorBox(`Details are not valid JSON: ${(e as Error).message}`));
            return;
          }
          if (!d || typeof d !== 'object' || Array.isArray(d)) {
            result.append(errorBox('Details must be a JSON object, like {"size": "large"}'));
            return;
          }
          body.details = d;
        }
        submit.disabled = true;
        try {
          const r = await post<ServiceRequest>(`/relationships/${enc(rel.id)}/requests`, body);
          hooks.changed(`Request ${r.id} opened: the provider may now fulfil it.`);
        } catch (e) {
          result.append(errorBox(`The request was refused: ${describeError(e)}`));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', null, 'Open a request'),
    offering.actions.length
      ? [
          h(
            'div',
            { class: 'inline' },
            h('label', { for: 'request-action' }, 'Action'),
            action,
            h('label', { for: 'request-note' }, 'Note'),
            note,
          ),
          h('label', { for: 'request-details' }, 'Details (JSON object, optional)'),
          details,
          submit,
        ]
      : h('p', { class: 'muted' }, 'The offering has no action to request.'),
    result,
  );
}
