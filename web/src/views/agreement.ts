// The agreement of a relationship (CONTRACT §6): the version in force, every version
// before it with what changed, the proposals (open ones with Accept / Decline for the other
// party and Withdraw for the proposer), and for either party a form that proposes changes
// (POST /relationships/{id}/proposals: only the terms changed are sent). Accepting makes a
// new version, and the relationship's type follows it (§9.3).
import {
  describeError,
  enc,
  getExact,
  listAll,
  post,
  type Agreement,
  type Organization,
  type Page,
  type Proposal,
  type Relationship,
} from '../api';
import { Amount, checkAmount } from '../decimal';
import { h, errorBox, fmtTime, statusBadge } from '../dom';
import { refusal } from '../forms';
import {
  changeLines,
  changedTerms,
  inputFromUtc,
  objectiveText,
  priceText,
  proposalMoves,
  serviceLevelsText,
  utcFromInput,
  type Side,
} from '../srm';
import type { Ctx } from './common';

const TYPES = ['basic', 'cooperative', 'partnership'] as const;

function terms(a: Agreement): HTMLElement {
  return h(
    'dl',
    {
      class: 'compact',
      'data-testid': 'agreement',
      'data-version': String(a.version),
      'data-type': a.type,
    },
    h('dt', null, 'Version'),
    h('dd', null, String(a.version), ' ', h('small', { class: 'muted' }, `since ${fmtTime(a.at)}`)),
    h('dt', null, 'Type'),
    h('dd', null, h('strong', { 'data-testid': 'agreement-type' }, a.type)),
    h('dt', null, 'Service levels'),
    h(
      'dd',
      null,
      a.service_levels.length
        ? h(
            'ul',
            null,
            a.service_levels.map((sl) =>
              h('li', null, h('strong', null, sl.metric), ' ', objectiveText(sl)),
            ),
          )
        : 'none',
    ),
    h('dt', null, 'Price'),
    h('dd', { class: 'money', 'data-testid': 'agreement-price' }, priceText(a.price)),
    h('dt', null, 'Term'),
    h('dd', null, `${fmtTime(a.start)} → ${a.end ? fmtTime(a.end) : 'open-ended'}`),
    h('dt', null, 'Renewal'),
    h(
      'dd',
      null,
      a.renewal === 'auto' ? 'renews automatically at its end' : 'ends at its end (no renewal)',
    ),
  );
}

function history(versions: Agreement[]): HTMLElement {
  const newestFirst = versions.slice().sort((a, b) => b.version - a.version);
  return h(
    'ol',
    { class: 'timeline versions', 'data-testid': 'agreement-versions' },
    newestFirst.map((a) => {
      const before = versions.find((v) => v.version === a.version - 1);
      const changed = before ? changedTerms(before, a) : [];
      return h(
        'li',
        { 'data-version': String(a.version) },
        h('time', { datetime: a.at }, fmtTime(a.at)),
        ' ',
        h('strong', null, `version ${a.version}`),
        a.proposal
          ? [' — from proposal ', h('code', null, a.proposal)]
          : before
            ? ''
            : ' — on activation',
        before
          ? h(
              'div',
              { class: 'muted' },
              changed.length
                ? `changed: ${changed.join(', ').replace('service_levels', 'service levels')}`
                : 'no term changed',
            )
          : null,
        h(
          'div',
          null,
          `${a.type} · ${serviceLevelsText(a.service_levels)} · ${priceText(a.price)}${a.end ? ` · ends ${fmtTime(a.end)}` : ''} · renewal ${a.renewal}`,
        ),
      );
    }),
  );
}

function proposalItem(
  p: Proposal,
  rel: Relationship,
  ctx: Ctx,
  orgName: (id: string) => string,
  onMoved: (message: string) => void,
): HTMLElement {
  const moves = proposalMoves(p, rel, ctx.me);
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const reason = moves.some((m) => m !== 'accept')
    ? h('input', {
        'aria-label': `Reason (optional) for proposal ${p.id}`,
        placeholder: 'reason (optional)',
        size: 22,
        'data-reason': p.id,
      })
    : null;
  const button = (move: 'accept' | 'decline' | 'withdraw') =>
    h(
      'button',
      {
        type: 'button',
        class: move === 'accept' ? 'primary' : 'danger',
        'data-proposal-move': move,
        onclick: async (ev: Event) => {
          const b = ev.currentTarget as HTMLButtonElement;
          b.disabled = true;
          result.replaceChildren();
          try {
            const body =
              move !== 'accept' && reason?.value.trim() ? { reason: reason.value.trim() } : {};
            const after = await post<Proposal>(`/proposals/${enc(p.id)}/${move}`, body);
            onMoved(`Proposal ${p.id} is ${after.status}.`);
          } catch (e) {
            result.append(refusal(e));
            b.disabled = false;
          }
        },
      },
      move[0].toUpperCase() + move.slice(1),
    );
  return h(
    'li',
    { class: 'proposal', 'data-proposal': p.id, 'data-status': p.status },
    h(
      'div',
      null,
      statusBadge(p.status),
      ' ',
      h('strong', null, `by ${orgName(p.by)}`),
      ' ',
      h(
        'small',
        { class: 'muted' },
        `${fmtTime(p.created_at)}${p.closed_at ? ` → ${fmtTime(p.closed_at)}` : ''} · ${p.id}`,
      ),
    ),
    h(
      'ul',
      { class: 'changes' },
      changeLines(p.changes).map((l) => h('li', null, l)),
    ),
    p.note ? h('p', { class: 'note-text' }, `“${p.note}”`) : null,
    p.reason ? h('p', { class: 'muted' }, `reason: ${p.reason}`) : null,
    moves.length ? h('div', { class: 'actions' }, moves.map(button), reason) : null,
    result,
  );
}

/** The agreement section's content. `onChanged` reloads the page's parts an agreement touches. */
export async function agreementSection(
  rel: Relationship,
  side: Side,
  ctx: Ctx,
  orgs: Map<string, Organization>,
  onChanged: (message: string) => void,
): Promise<Node[]> {
  const s = ctx.signal;
  if (rel.agreement === null)
    return [
      h(
        'p',
        { class: 'muted', 'data-testid': 'agreement-none' },
        'No agreement yet: version 1 comes with activation, from the offering’s service levels and price.',
      ),
    ];
  const [current, { items: versions }, proposals] = await Promise.all([
    getExact<Agreement>(`/relationships/${enc(rel.id)}/agreement`, s),
    getExact<Page<Agreement>>(`/relationships/${enc(rel.id)}/agreements`, s), // every version: not paged
    listAll<Proposal>(`relationships/${enc(rel.id)}/proposals`, {}, s, true),
  ]);
  const orgName = (id: string) => orgs.get(id)?.name ?? id;
  const open = proposals
    .filter((p) => p.status === 'open')
    .sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  const closed = proposals
    .filter((p) => p.status !== 'open')
    .sort((a, b) => ((a.closed_at ?? a.created_at) < (b.closed_at ?? b.created_at) ? 1 : -1));
  const nodes: Node[] = [
    h(
      'div',
      { class: 'agreement-grid' },
      h('div', null, h('h3', null, 'In force'), terms(current)),
      h('div', null, h('h3', null, `Versions (${versions.length})`), history(versions)),
    ),
    h('h3', null, `Open proposals (${open.length})`),
    open.length
      ? h(
          'ul',
          { class: 'proposals', 'data-testid': 'proposals-open' },
          open.map((p) => proposalItem(p, rel, ctx, orgName, onChanged)),
        )
      : h('p', { class: 'muted' }, 'None.'),
  ];
  if (closed.length) {
    nodes.push(
      h(
        'details',
        { class: 'closed-proposals' },
        h('summary', null, `Closed proposals (${closed.length})`),
        h(
          'ul',
          { class: 'proposals', 'data-testid': 'proposals-closed' },
          closed.map((p) => proposalItem(p, rel, ctx, orgName, onChanged)),
        ),
      ),
    );
  }
  if (side !== 'none') {
    nodes.push(
      rel.status === 'active' || rel.status === 'suspended'
        ? proposeForm(rel, current, onChanged)
        : h(
            'p',
            { class: 'muted' },
            `Changes are proposed while the relationship is active or suspended (it is ${rel.status}).`,
          ),
    );
  }
  return nodes;
}

function proposeForm(
  rel: Relationship,
  a: Agreement,
  onDone: (message: string) => void,
): HTMLElement {
  const type = h(
    'select',
    { id: 'propose-type' },
    TYPES.map((t) =>
      h('option', { value: t, selected: t === a.type }, t === a.type ? `${t} (as now)` : t),
    ),
  );
  const renewal = h(
    'select',
    { id: 'propose-renewal' },
    (['none', 'auto'] as const).map((r) =>
      h('option', { value: r, selected: r === a.renewal }, r === a.renewal ? `${r} (as now)` : r),
    ),
  );
  const end = h('input', { id: 'propose-end', type: 'datetime-local', value: inputFromUtc(a.end) });
  const amount = h('input', {
    id: 'propose-price-amount',
    inputmode: 'decimal',
    size: 16,
    value: a.price?.amount ?? '',
    autocomplete: 'off',
  });
  const currency = h('input', {
    id: 'propose-price-currency',
    size: 4,
    value: a.price?.currency ?? 'EUR',
  });
  const period = h('input', {
    id: 'propose-price-period',
    size: 8,
    value: a.price?.period ?? 'month',
  });
  const levels = h('textarea', {
    id: 'propose-service-levels',
    rows: Math.min(8, 2 + a.service_levels.length * 2),
    spellcheck: 'false',
  });
  levels.value = JSON.stringify(a.service_levels, null, 1);
  const note = h('input', { id: 'propose-note', size: 40 });
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'propose-result',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Propose');

  /** The terms that differ from the agreement in force (throws on input the server would refuse). */
  const changes = (): Record<string, unknown> => {
    const c: Record<string, unknown> = {};
    if (type.value !== a.type) c.type = type.value;
    if (renewal.value !== a.renewal) c.renewal = renewal.value;
    const e = utcFromInput(end.value);
    if (inputFromUtc(e) !== inputFromUtc(a.end)) c.end = e;
    const amt = amount.value.trim();
    if (!amt) {
      if (a.price) c.price = null;
    } else {
      const why = checkAmount(amt);
      if (why) {
        amount.setAttribute('aria-invalid', 'true');
        throw new Error(`Price: ${why}`);
      }
      if (
        !a.price ||
        amt !== a.price.amount ||
        currency.value.trim() !== a.price.currency ||
        period.value.trim() !== a.price.period
      ) {
        c.price = {
          amount: new Amount(amt),
          currency: currency.value.trim(),
          period: period.value.trim(),
        };
      }
    }
    let sl: unknown;
    try {
      sl = JSON.parse(levels.value || '[]');
    } catch (err) {
      levels.setAttribute('aria-invalid', 'true');
      throw new Error(`Service levels are not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!Array.isArray(sl)) {
      levels.setAttribute('aria-invalid', 'true');
      throw new Error(
        'Service levels must be a JSON list, like [{"metric": "availability", "objective": 99.9, "unit": "percent"}]',
      );
    }
    if (JSON.stringify(sl) !== JSON.stringify(a.service_levels)) c.service_levels = sl;
    return c;
  };

  return h(
    'form',
    {
      class: 'srm-form',
      'aria-label': 'Propose a change to the agreement',
      'data-testid': 'propose',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        result.replaceChildren();
        for (const el of [amount, levels]) el.removeAttribute('aria-invalid');
        let body: Record<string, unknown>;
        try {
          body = changes();
        } catch (e) {
          result.append(errorBox(describeError(e)));
          return;
        }
        if (!Object.keys(body).length) {
          result.append(
            h('p', { class: 'muted' }, 'Nothing to propose: change at least one term.'),
          );
          return;
        }
        if (note.value.trim()) body.note = note.value.trim();
        submit.disabled = true;
        try {
          const p = await post<Proposal>(`/relationships/${enc(rel.id)}/proposals`, body);
          onDone(`Proposed (${p.id}): the other party may now accept or decline it.`);
        } catch (e) {
          result.append(refusal(e));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', null, 'Propose a change'),
    h(
      'p',
      { class: 'muted' },
      'Only the terms you change are proposed; the other party accepts or declines.',
    ),
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'propose-type' }, 'Type'),
      type,
      h('label', { for: 'propose-renewal' }, 'Renewal'),
      renewal,
      h('label', { for: 'propose-end' }, 'End (UTC, empty: open-ended)'),
      end,
    ),
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'propose-price-amount' }, 'Price (empty: none)'),
      amount,
      h('label', { for: 'propose-price-currency' }, 'Currency'),
      currency,
      h('label', { for: 'propose-price-period' }, 'per'),
      period,
    ),
    h(
      'label',
      { for: 'propose-service-levels' },
      'Service levels (JSON: metric, objective, unit, target "at_least" or "at_most")',
    ),
    levels,
    h('div', { class: 'inline' }, h('label', { for: 'propose-note' }, 'Note'), note),
    submit,
    result,
  );
}
