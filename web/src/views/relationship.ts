// A relationship: its lifecycle actions for the party allowed to take them; its agreement,
// service levels, requests, value both ways and people in roles (CONTRACT §6: each a
// section of its own, in views/agreement.ts, servicelevels.ts, requests.ts, value.ts,
// roles.ts); its provisions as a timeline, and (for the provider, while active) a form
// that performs a provision (POST /provisions), fulfilling a request when one is chosen.
// A change reloads only the sections it touches. #/relationship/ID?request=REQ (a link of
// the Requests view) marks that request in the queue and scrolls to it.
//
//             activate (provider)        suspend (provider)
// requested ─────────────────────▶ active ◀──────────────▶ suspended
//     │  reject (provider)            │     resume (provider)    │
//     ▼                               │ terminate (either party) │ terminate (either party)
//  rejected                           ▼                          ▼
//                                terminated ◀────────────────────┘
//    (terminate from requested, by either party, withdraws it: → terminated)
import {
  describeError,
  enc,
  get,
  getExact,
  listAll,
  post,
  type Effect,
  type Offering,
  type Organization,
  type Provision,
  type RelStatus,
  type Relationship,
  type RelationshipValue,
  type ServiceRequest,
  type Value,
} from '../api';
import { h, errorBox, fmtTime, link } from '../dom';
import { sideOf } from '../srm';
import { agreementSection } from './agreement';
import { liveSection, organizations, isAdmin, type Ctx, type View } from './common';
import { requestsSection } from './requests';
import { rolesSection } from './roles';
import { serviceLevels } from './servicelevels';
import { stateValueForm, valueTable } from './value';

type Action = 'activate' | 'reject' | 'suspend' | 'resume' | 'terminate';
const BY_STATUS: Record<RelStatus, { action: Action; who: 'provider' | 'either' }[]> = {
  requested: [
    { action: 'activate', who: 'provider' },
    { action: 'reject', who: 'provider' },
    { action: 'terminate', who: 'either' },
  ],
  active: [
    { action: 'suspend', who: 'provider' },
    { action: 'terminate', who: 'either' },
  ],
  suspended: [
    { action: 'resume', who: 'provider' },
    { action: 'terminate', who: 'either' },
  ],
  rejected: [],
  terminated: [],
};

/** The lifecycle actions this caller may take now. */
export function allowedActions(rel: Relationship, ctx: Ctx): Action[] {
  if (ctx.me.role === 'viewer') return [];
  const admin = isAdmin(ctx);
  const me = ctx.me.organization;
  return BY_STATUS[rel.status]
    .filter(
      (a) =>
        admin ||
        (a.who === 'provider' ? me === rel.provider : me === rel.provider || me === rel.consumer),
    )
    .map((a) => a.action);
}

const ids = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

function parseObject(text: string, what: string): Record<string, unknown> {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new Error(`${what} must be a JSON object, like {"size": 3}`);
  return v as Record<string, unknown>;
}

function valueText(v: Value | null | undefined): Node | null {
  if (!v) return null;
  const parts: string[] = [];
  for (const o of v.outcomes ?? []) parts.push(`outcome: ${o}`);
  for (const c of v.costs ?? []) parts.push(`cost ${c.kind}: ${c.amount} ${c.currency}`);
  for (const r of v.risks ?? []) parts.push(`risk ${r.kind}: ${r.description}`);
  return parts.length
    ? h(
        'ul',
        { class: 'value-list' },
        parts.map((p) => h('li', null, p)),
      )
    : null;
}

/** The provision form; with `fulfils`, it performs that request's action and names the
 *  request (POST /provisions {request}), which fulfils it. */
function provisionForm(
  rel: Relationship,
  offering: Offering,
  onDone: (message: Node) => void,
  fulfils?: ServiceRequest,
  onCancelFulfil?: () => void,
): HTMLElement {
  const actionSel = h(
    'select',
    { id: 'prov-action', name: 'action', disabled: !!fulfils },
    offering.actions.map((a) =>
      h(
        'option',
        { value: a.name, 'data-effect': a.effect, selected: fulfils?.action === a.name },
        `${a.name} (${a.effect})`,
      ),
    ),
  );
  const effectOf = (): Effect =>
    offering.actions.find((a) => a.name === actionSel.value)?.effect ?? 'none';

  const createRows = h('div', { class: 'rows' });
  let createCount = 0;
  const addCreateRow = () => {
    const i = createCount++;
    createRows.append(
      h(
        'fieldset',
        { class: 'row', 'data-create-row': String(i) },
        h('legend', null, `New resource ${i + 1}`),
        h('label', { for: `create-kind-${i}` }, 'Kind'),
        h('input', {
          id: `create-kind-${i}`,
          value: offering.goods[0]?.kind ?? '',
          required: true,
        }),
        h('label', { for: `create-name-${i}` }, 'Name'),
        h('input', { id: `create-name-${i}`, required: true }),
        h('label', { for: `create-id-${i}` }, 'Id (optional)'),
        h('input', { id: `create-id-${i}` }),
        h('label', { for: `create-attrs-${i}` }, 'Attributes (JSON object)'),
        h('textarea', { id: `create-attrs-${i}`, rows: 2, placeholder: '{"size": 3}' }),
      ),
    );
  };
  addCreateRow();
  const createBox = h(
    'div',
    { 'data-effect-box': 'create' },
    createRows,
    h('button', { type: 'button', onclick: addCreateRow }, 'Add another resource'),
  );

  const modRes = h('input', {
    id: 'modify-resource',
    placeholder: 'resource id owned by the consumer',
  });
  const modAttrs = h('textarea', {
    id: 'modify-attrs',
    rows: 3,
    placeholder: '{"nodes": 8} (a JSON merge patch)',
  });
  const modifyBox = h(
    'div',
    { 'data-effect-box': 'modify' },
    h('label', { for: 'modify-resource' }, 'Resource to modify'),
    modRes,
    h('label', { for: 'modify-attrs' }, 'Attribute changes (JSON merge patch)'),
    modAttrs,
  );

  const transferIds = h('input', {
    id: 'transfer-ids',
    placeholder: 'your resource ids, comma separated',
  });
  const transferBox = h(
    'div',
    { 'data-effect-box': 'transfer' },
    h(
      'label',
      { for: 'transfer-ids' },
      `Resources to transfer (kinds: ${offering.goods.map((g) => g.kind).join(', ') || 'none'})`,
    ),
    transferIds,
  );

  const used = h('input', { id: 'prov-used', placeholder: 'resource ids, comma separated' });
  const outcomes = h('textarea', {
    id: 'prov-outcomes',
    rows: 2,
    placeholder: 'one outcome per line',
  });
  const costAmount = h('input', { id: 'prov-cost-amount', type: 'number', step: 'any', min: '0' });
  const costCurrency = h('input', {
    id: 'prov-cost-currency',
    value: offering.price?.currency ?? 'EUR',
    size: 4,
  });
  const costKind = h(
    'select',
    { id: 'prov-cost-kind' },
    h('option', { value: 'introduced' }, 'introduced'),
    h('option', { value: 'removed' }, 'removed'),
  );
  const riskDesc = h('input', { id: 'prov-risk' });
  const riskKind = h(
    'select',
    { id: 'prov-risk-kind' },
    h('option', { value: 'introduced' }, 'introduced'),
    h('option', { value: 'removed' }, 'removed'),
  );
  const result = h('div', { 'aria-live': 'polite', class: 'result' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Perform provision');

  const sync = () => {
    const e = effectOf();
    createBox.hidden = e !== 'create';
    modifyBox.hidden = e !== 'modify';
    transferBox.hidden = e !== 'transfer';
    for (const el of createBox.querySelectorAll('input'))
      (el as HTMLInputElement).required = e === 'create' && !el.id.startsWith('create-id');
  };
  actionSel.addEventListener('change', sync);
  sync();

  return h(
    'form',
    {
      class: 'provision-form',
      'aria-label': 'Perform a provision',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        result.replaceChildren();
        try {
          const effect = effectOf();
          const body: Record<string, unknown> = {
            relationship: rel.id,
            action: actionSel.value,
            used: ids(used.value),
          };
          if (fulfils) body.request = fulfils.id;
          if (effect === 'create') {
            body.creates = [...createRows.querySelectorAll('[data-create-row]')].map((_, i) => {
              const val = (id: string) =>
                (document.getElementById(id) as HTMLInputElement).value.trim();
              const item: Record<string, unknown> = {
                kind: val(`create-kind-${i}`),
                name: val(`create-name-${i}`),
                attributes: parseObject(
                  val(`create-attrs-${i}`),
                  `Attributes of new resource ${i + 1}`,
                ),
              };
              if (val(`create-id-${i}`)) item.id = val(`create-id-${i}`);
              return item;
            });
          } else if (effect === 'modify') {
            body.modifies = modRes.value.trim()
              ? [
                  {
                    resource: modRes.value.trim(),
                    attributes: parseObject(modAttrs.value, 'The attribute changes'),
                  },
                ]
              : [];
          } else if (effect === 'transfer') {
            body.transfers = ids(transferIds.value);
          }
          const value: Value = {};
          const outs = outcomes.value
            .split('\n')
            .map((x) => x.trim())
            .filter(Boolean);
          if (outs.length) value.outcomes = outs;
          if (costAmount.value)
            value.costs = [
              {
                amount: Number(costAmount.value),
                currency: costCurrency.value.trim(),
                kind: costKind.value as 'introduced' | 'removed',
              },
            ];
          if (riskDesc.value.trim())
            value.risks = [
              {
                description: riskDesc.value.trim(),
                kind: riskKind.value as 'introduced' | 'removed',
              },
            ];
          if (Object.keys(value).length) body.value = value;
          submit.disabled = true;
          const p = await post<Provision>('/provisions', body);
          onDone(
            h(
              'p',
              { class: 'ok', 'data-testid': 'provision-result' },
              'Provision ',
              link('provision', p.id),
              ' performed',
              fulfils ? ` (fulfils request ${fulfils.id})` : '',
              '.',
              p.created.length
                ? [' Created: ', p.created.map((c, i) => [i ? ', ' : '', link('resource', c)])]
                : '',
              p.transferred.length
                ? [
                    ' Transferred: ',
                    p.transferred.map((c, i) => [i ? ', ' : '', link('resource', c)]),
                  ]
                : '',
              p.modified.length
                ? [
                    ' Modified: ',
                    p.modified.map((m, i) => [
                      i ? ', ' : '',
                      typeof m === 'string'
                        ? link('resource', m)
                        : link('resource', m.resource, `${m.resource} (v${m.version})`),
                    ]),
                  ]
                : '',
            ),
          );
        } catch (e) {
          result.append(errorBox(`The provision was refused: ${describeError(e)}`));
        } finally {
          submit.disabled = false;
        }
      },
    },
    fulfils
      ? h(
          'p',
          { class: 'note', 'data-testid': 'prov-fulfils' },
          `Fulfils request ${fulfils.id} (${fulfils.action})${fulfils.note ? `: “${fulfils.note}”` : ''}. `,
          h('button', { type: 'button', onclick: () => onCancelFulfil?.() }, 'Not now'),
        )
      : null,
    h('label', { for: 'prov-action' }, 'Service action'),
    actionSel,
    createBox,
    modifyBox,
    transferBox,
    h('label', { for: 'prov-used' }, 'Resources used (optional)'),
    used,
    h(
      'fieldset',
      null,
      h('legend', null, 'Value (optional)'),
      h('label', { for: 'prov-outcomes' }, 'Outcomes'),
      outcomes,
      h(
        'div',
        { class: 'inline' },
        h('label', { for: 'prov-cost-amount' }, 'Cost'),
        costAmount,
        h('label', { for: 'prov-cost-currency' }, 'Currency'),
        costCurrency,
        h('label', { for: 'prov-cost-kind' }, 'Kind'),
        costKind,
      ),
      h(
        'div',
        { class: 'inline' },
        h('label', { for: 'prov-risk' }, 'Risk'),
        riskDesc,
        h('label', { for: 'prov-risk-kind' }, 'Kind'),
        riskKind,
      ),
    ),
    submit,
    result,
  );
}

type Part = 'agreement' | 'levels' | 'requests' | 'value' | 'roles' | 'provisions';

export const relationshipView: View = async (root, [id], ctx) => {
  const s = ctx.signal;
  const orgs = await organizations(s);
  const orgLink = (o: string) => link('organization', o, orgs.get(o)?.name ?? o);
  const name = (o: Organization | undefined, fallback: string) => o?.name ?? fallback;
  let rel = await get<Relationship>(`/relationships/${enc(id)}`, s);
  // The offering is null when the caller may not see it.
  const offering = rel.offering
    ? await get<Offering>(`/offerings/${enc(rel.offering)}`, s).catch(() => null)
    : null;
  const side = sideOf(rel, ctx.me);

  const header = h('div');
  const actions = h('section', { class: 'card', 'aria-label': 'Lifecycle' });
  const pageNav = h('nav', { class: 'page-nav', 'aria-label': 'Sections of this relationship' });

  /** Reads the relationship again and reloads the parts named (all of them when none). */
  const refresh = async (parts: Part[] | 'all', message?: string, where?: Part): Promise<void> => {
    rel = await get<Relationship>(`/relationships/${enc(id)}`, s);
    drawHeader();
    const names = parts === 'all' ? (Object.keys(sections) as Part[]) : parts;
    await Promise.all(names.map((p) => sections[p].load(p === where ? message : undefined)));
  };
  const changedBy = (where: Part, parts: Part[]) => (message: string) =>
    void refresh(parts, message, where);

  const levels = serviceLevels(() => rel, side, s, changedBy('levels', ['levels']));
  let fulfilling: ServiceRequest | undefined;
  const sections: Record<Part, ReturnType<typeof liveSection>> = {
    agreement: liveSection('Agreement', 'agreement-section', s, () =>
      agreementSection(rel, side, ctx, orgs, changedBy('agreement', ['agreement', 'levels'])),
    ),
    levels: liveSection('Service levels', 'levels-section', s, levels.render),
    requests: liveSection('Requests', 'requests-section', s, () =>
      requestsSection(rel, offering, side, s, {
        changed: changedBy('requests', ['requests', 'provisions', 'value']),
        fulfilWithForm: (r) => {
          fulfilling = r;
          void sections.provisions
            .load()
            .then(() => document.getElementById('prov-form')?.scrollIntoView({ block: 'start' }));
        },
      }),
    ),
    value: liveSection('Value, as each party states it', 'value-section', s, () => valueSection()),
    roles: liveSection('People in roles', 'roles-section', s, () =>
      rolesSection(rel, side, orgs, s, changedBy('roles', ['roles'])),
    ),
    provisions: liveSection('Provisions', 'provisions-section', s, () => provisionsPart()),
  };

  async function valueSection(): Promise<Node[]> {
    const v = await getExact<RelationshipValue>(`/relationships/${enc(rel.id)}/value`, s);
    const provider = name(orgs.get(rel.provider), rel.provider);
    const consumer = name(orgs.get(rel.consumer), rel.consumer);
    const nodes: Node[] = [
      h(
        'p',
        { class: 'muted' },
        'Provisions count as value the provider states. Amounts are as stated, summed per currency by the server.',
      ),
      valueTable(
        [
          { title: `As ${provider} (provider) states it`, side: 'provider', v: v.provider_stated },
          { title: `As ${consumer} (consumer) states it`, side: 'consumer', v: v.consumer_stated },
        ],
        orgs,
        'value-compare',
      ),
    ];
    if (side === 'provider' || side === 'consumer') {
      nodes.push(
        stateValueForm(
          rel.id,
          offering?.price?.currency ?? 'EUR',
          (r) =>
            void refresh(
              ['value'],
              `Value stated (${r.id}) as ${r.party === rel.provider ? 'the provider' : 'the consumer'}.`,
              'value',
            ),
        ),
      );
    } else if (side === 'admin') {
      nodes.push(
        h('p', { class: 'muted' }, 'Only the two parties state value (the admin may not).'),
      );
    }
    return nodes;
  }

  async function provisionsPart(): Promise<Node[]> {
    const provs = (await listAll<Provision>('provisions', { relationship: rel.id }, s)).sort(
      (a, b) => (a.at < b.at ? -1 : 1),
    );
    const nodes: Node[] = [
      provs.length
        ? h(
            'ol',
            { class: 'timeline', 'data-testid': 'provisions' },
            provs.map((p) =>
              h(
                'li',
                { 'data-provision': p.id },
                h('time', { datetime: p.at }, fmtTime(p.at)),
                ' ',
                h('strong', null, p.action),
                ' — ',
                link('provision', p.id),
                p.created.length
                  ? [
                      h('br'),
                      'created ',
                      p.created.map((c, i) => [i ? ', ' : '', link('resource', c)]),
                    ]
                  : '',
                p.modified.length
                  ? [
                      h('br'),
                      'modified ',
                      p.modified.map((m, i) => [
                        i ? ', ' : '',
                        link('resource', typeof m === 'string' ? m : m.resource),
                      ]),
                    ]
                  : '',
                p.transferred.length
                  ? [
                      h('br'),
                      'transferred ',
                      p.transferred.map((c, i) => [i ? ', ' : '', link('resource', c)]),
                    ]
                  : '',
                p.used.length
                  ? [h('br'), 'used ', p.used.map((c, i) => [i ? ', ' : '', link('resource', c)])]
                  : '',
                valueText(p.value),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No provision yet.'),
    ];
    const canProvide = side === 'provider' || side === 'admin';
    if (canProvide && offering) {
      if (rel.status === 'active') {
        const fulfils = fulfilling;
        fulfilling = undefined;
        nodes.push(
          h(
            'div',
            { id: 'prov-form' },
            h('h3', null, `Perform a provision for ${name(orgs.get(rel.consumer), rel.consumer)}`),
            provisionForm(
              rel,
              offering,
              (m) =>
                void Promise.all([
                  refresh(fulfils ? ['requests', 'value'] : ['value']),
                  sections.provisions.load(m),
                ]),
              fulfils,
              () => void sections.provisions.load(),
            ),
          ),
        );
      } else {
        nodes.push(
          h(
            'p',
            { class: 'muted' },
            `Provisions are performed only while the relationship is active (it is ${rel.status}).`,
          ),
        );
      }
    }
    return nodes;
  }

  function drawHeader(message?: Node): void {
    header.replaceChildren(
      h('h1', null, `Relationship ${rel.id}`),
      h(
        'p',
        { class: 'lead' },
        orgLink(rel.provider),
        ' provides ',
        offering ? link('offering', offering.id, offering.name) : link('offering', rel.offering),
        ' to ',
        orgLink(rel.consumer),
        ' · ',
        h('span', { class: 'rel-type', 'data-testid': 'rel-type' }, rel.type),
      ),
      h(
        'dl',
        { class: 'compact' },
        h('dt', null, 'Status'),
        h(
          'dd',
          null,
          h('span', { class: `status ${rel.status}`, 'data-testid': 'rel-status' }, rel.status),
        ),
        h('dt', null, 'Requested'),
        h('dd', null, fmtTime(rel.requested_at)),
        h('dt', null, 'Activated'),
        h('dd', null, fmtTime(rel.activated_at)),
        h('dt', null, 'Updated'),
        h('dd', null, fmtTime(rel.updated_at)),
      ),
    );
    const allowed = allowedActions(rel, ctx);
    const feedback = h('div', { 'aria-live': 'polite' }, message ?? null);
    const role =
      side === 'admin'
        ? 'the admin'
        : side === 'provider'
          ? 'the provider'
          : side === 'consumer'
            ? 'the consumer'
            : ctx.me.role === 'viewer'
              ? 'a viewer'
              : 'not a party';
    actions.replaceChildren(
      h('h2', null, 'Lifecycle'),
      h(
        'p',
        null,
        `You act as ${role}.`,
        allowed.length ? '' : ' No lifecycle action is open to you in this status.',
      ),
      h(
        'div',
        { class: 'actions' },
        allowed.map((a) =>
          h(
            'button',
            {
              type: 'button',
              class:
                a === 'activate' || a === 'resume'
                  ? 'primary'
                  : a === 'terminate' || a === 'reject'
                    ? 'danger'
                    : '',
              'data-action': a,
              onclick: async (ev: Event) => {
                (ev.currentTarget as HTMLButtonElement).disabled = true;
                try {
                  const r = await post<Relationship>(`/relationships/${enc(rel.id)}/${a}`, {});
                  await refresh('all');
                  drawHeader(h('p', { class: 'ok' }, `Done: the relationship is now ${r.status}.`));
                } catch (e) {
                  feedback.replaceChildren(errorBox(`Could not ${a}: ${describeError(e)}`));
                  (ev.target as HTMLButtonElement).disabled = false;
                }
              },
            },
            a[0].toUpperCase() + a.slice(1),
          ),
        ),
      ),
      feedback,
    );
  }

  const order: Part[] = ['agreement', 'levels', 'requests', 'value', 'roles', 'provisions'];
  const titles: Record<Part, string> = {
    agreement: 'Agreement',
    levels: 'Service levels',
    requests: 'Requests',
    value: 'Value',
    roles: 'Roles',
    provisions: 'Provisions',
  };
  pageNav.append(
    ...order.map((p) =>
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => sections[p].el.scrollIntoView({ block: 'start' }),
        },
        titles[p],
      ),
    ),
  );
  drawHeader();
  root.append(header, pageNav, actions, ...order.map((p) => sections[p].el));
  await Promise.all(order.map((p) => sections[p].load()));
  // #/relationship/ID?request=REQ (from the Requests view): that request, in the queue.
  const wanted = ctx.query.get('request');
  if (wanted && !s.aborted) {
    const li = [...sections.requests.el.querySelectorAll<HTMLElement>('li[data-request]')].find(
      (x) => x.dataset.request === wanted,
    );
    if (li) {
      li.classList.add('wanted');
      li.scrollIntoView({ block: 'center' });
      li.querySelector<HTMLElement>('button, input')?.focus({ preventScroll: true });
    } else {
      sections.requests.el.scrollIntoView({ block: 'start' });
    }
  }
  return levels.dispose;
};
