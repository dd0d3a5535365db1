// Value both ways (CONTRACT §6, §9.20): value as each party states it, side by side (a
// relationship's provider_stated | consumer_stated, an organization's received | provided,
// a chain's hops), and the form in which a party states value (POST /relationships/{id}/value).
// Amounts are shown as the server wrote them (getExact) and never added up here.
import {
  describeError,
  enc,
  postExact,
  type Organization,
  type StatedValue,
  type ValueRecord,
} from '../api';
import { Amount, checkAmount } from '../decimal';
import { h, errorBox, link } from '../dom';
import { moneyText, utcFromInput } from '../srm';

type Outcome = StatedValue['outcomes'][number];
type Risk = StatedValue['risks']['introduced'][number];

type Entry = Outcome | Risk | string;
// A server from before §9.20 answers outcomes and risks as plain strings.
const entryText = (x: Entry) => (typeof x === 'string' ? x : 'text' in x ? x.text : x.description);

function sourceOf(x: Entry, orgs: Map<string, Organization>): Node | null {
  if (typeof x === 'string' || !x.source) return null;
  const by = x.party ? [' by ', orgs.get(x.party)?.name ?? x.party] : [];
  const src =
    x.source.type === 'provision'
      ? link('provision', x.source.id)
      : h('span', { class: 'src' }, `statement ${x.source.id}`);
  return h('small', { class: 'muted' }, ' — ', src, ...by);
}

function entries(list: Entry[], orgs: Map<string, Organization>): Node {
  if (!list.length) return h('span', { class: 'muted' }, '—');
  return h(
    'ul',
    { class: 'stated' },
    list.map((x) => h('li', null, entryText(x), sourceOf(x, orgs))),
  );
}

export interface Column {
  /** Column heading, e.g. "As Nimbus (provider) states it". */
  title: string;
  side: string; // data-side of its cells
  v: StatedValue;
}

/** Value as two (or more) parties state it, one column each, one row per kind of value. */
export function valueTable(
  columns: Column[],
  orgs: Map<string, Organization>,
  testid: string,
): HTMLElement {
  const row = (label: string, cell: (v: StatedValue) => Node | string, key: string) =>
    h(
      'tr',
      { 'data-row': key },
      h('th', { scope: 'row' }, label),
      columns.map((c) => h('td', { 'data-side': c.side }, cell(c.v))),
    );
  const count = (v: StatedValue) => {
    const parts = [`${v.provisions} provision${v.provisions === 1 ? '' : 's'}`];
    if (v.statements !== undefined)
      parts.push(`${v.statements} statement${v.statements === 1 ? '' : 's'}`);
    return parts.join(', ');
  };
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'value-compare', 'data-testid': testid },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('td', null),
          columns.map((c) => h('th', { scope: 'col', 'data-side': c.side }, c.title)),
        ),
      ),
      h(
        'tbody',
        null,
        row('Stated in', count, 'count'),
        row(
          'Costs introduced',
          (v) => h('span', { class: 'money' }, moneyText(v.costs.introduced)),
          'costs-introduced',
        ),
        row(
          'Costs removed',
          (v) => h('span', { class: 'money' }, moneyText(v.costs.removed)),
          'costs-removed',
        ),
        row('Outcomes', (v) => entries(v.outcomes, orgs), 'outcomes'),
        row('Risks introduced', (v) => entries(v.risks.introduced, orgs), 'risks-introduced'),
        row('Risks removed', (v) => entries(v.risks.removed, orgs), 'risks-removed'),
      ),
    ),
  );
}

/** The form in which a party states value on a relationship; `onDone` gets the record. */
export function stateValueForm(
  relId: string,
  currency: string,
  onDone: (r: ValueRecord) => void,
): HTMLElement {
  const outcomes = h('textarea', {
    id: 'value-outcomes',
    rows: 2,
    placeholder: 'one outcome per line',
  });
  const rows = h('div', { class: 'rows' });
  let n = 0;
  const addCost = () => {
    const i = n++;
    rows.append(
      h(
        'div',
        { class: 'inline', 'data-cost-row': String(i) },
        h('label', { for: `value-cost-amount-${i}` }, 'Cost'),
        h('input', {
          id: `value-cost-amount-${i}`,
          inputmode: 'decimal',
          size: 14,
          placeholder: '1250.50',
          autocomplete: 'off',
        }),
        h('label', { for: `value-cost-currency-${i}` }, 'Currency'),
        h('input', { id: `value-cost-currency-${i}`, value: currency, size: 4 }),
        h('label', { for: `value-cost-kind-${i}` }, 'Kind'),
        h(
          'select',
          { id: `value-cost-kind-${i}` },
          h('option', { value: 'introduced' }, 'introduced'),
          h('option', { value: 'removed' }, 'removed'),
        ),
      ),
    );
  };
  addCost();
  const riskRows = h('div', { class: 'rows' });
  let r = 0;
  const addRisk = () => {
    const i = r++;
    riskRows.append(
      h(
        'div',
        { class: 'inline', 'data-risk-row': String(i) },
        h('label', { for: `value-risk-${i}` }, 'Risk'),
        h('input', { id: `value-risk-${i}`, size: 36 }),
        h('label', { for: `value-risk-kind-${i}` }, 'Kind'),
        h(
          'select',
          { id: `value-risk-kind-${i}` },
          h('option', { value: 'introduced' }, 'introduced'),
          h('option', { value: 'removed' }, 'removed'),
        ),
      ),
    );
  };
  addRisk();
  const start = h('input', { id: 'value-period-start', type: 'datetime-local' });
  const end = h('input', { id: 'value-period-end', type: 'datetime-local' });
  const note = h('input', { id: 'value-note', size: 40 });
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'value-state-result',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'State value');
  const val = (id: string) =>
    (document.getElementById(id) as HTMLInputElement | HTMLSelectElement).value.trim();
  return h(
    'form',
    {
      class: 'srm-form',
      'aria-label': 'State value',
      'data-testid': 'value-state',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        result.replaceChildren();
        const body: Record<string, unknown> = {};
        try {
          const outs = outcomes.value
            .split('\n')
            .map((x) => x.trim())
            .filter(Boolean);
          if (outs.length) body.outcomes = outs;
          const costs = [];
          for (let i = 0; i < n; i++) {
            const amount = val(`value-cost-amount-${i}`);
            if (!amount) continue;
            const why = checkAmount(amount);
            if (why) {
              document
                .getElementById(`value-cost-amount-${i}`)!
                .setAttribute('aria-invalid', 'true');
              throw new Error(`Cost ${i + 1}: ${why}`);
            }
            costs.push({
              amount: new Amount(amount),
              currency: val(`value-cost-currency-${i}`),
              kind: val(`value-cost-kind-${i}`),
            });
          }
          if (costs.length) body.costs = costs;
          const risks = [];
          for (let i = 0; i < r; i++)
            if (val(`value-risk-${i}`))
              risks.push({
                description: val(`value-risk-${i}`),
                kind: val(`value-risk-kind-${i}`),
              });
          if (risks.length) body.risks = risks;
          const [s, e] = [utcFromInput(start.value), utcFromInput(end.value)];
          if (s || e) {
            if (!s || !e) throw new Error('A period needs both a start and an end (or neither).');
            body.period = { start: s, end: e };
          }
          if (note.value.trim()) body.note = note.value.trim();
        } catch (e) {
          result.append(errorBox(describeError(e)));
          return;
        }
        if (!body.outcomes && !body.costs && !body.risks) {
          result.append(h('p', { class: 'muted' }, 'State at least one outcome, cost or risk.'));
          return;
        }
        submit.disabled = true;
        try {
          onDone(await postExact<ValueRecord>(`/relationships/${enc(relId)}/value`, body));
        } catch (e) {
          result.append(errorBox(`The value was refused: ${describeError(e)}`));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', null, 'State value'),
    h('label', { for: 'value-outcomes' }, 'Outcomes'),
    outcomes,
    rows,
    h('button', { type: 'button', onclick: addCost }, 'Add a cost'),
    riskRows,
    h('button', { type: 'button', onclick: addRisk }, 'Add a risk'),
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'value-period-start' }, 'Period from (UTC, optional)'),
      start,
      h('label', { for: 'value-period-end' }, 'to'),
      end,
    ),
    h('div', { class: 'inline' }, h('label', { for: 'value-note' }, 'Note'), note),
    submit,
    result,
  );
}
