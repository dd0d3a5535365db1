// Forms that change objects: an edit form that sends only what changed (PATCH, or a
// revision), and a two-step button for irreversible lifecycle moves (retire, close).
// Whatever the server refuses is shown beside the form in its own words, with its code
// ({"error": {code, message, field}}), and the field at fault is marked.
import { ApiError, describeError } from './api';
import { h, errorBox } from './dom';

/** Field kinds: one line of text, free text, a list of ids (comma or space separated),
 *  a JSON value, or a JSON object edited whole and sent as a merge patch (RFC 7396). */
export type FieldKind = 'text' | 'textarea' | 'ids' | 'json' | 'merge';

export interface FieldSpec {
  name: string; // the body's field
  label: string;
  kind: FieldKind;
  value: unknown; // as it stands (prefilled)
  hint?: string;
  rows?: number;
}

const canon = (v: unknown): string => JSON.stringify(sortKeys(v));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** The RFC 7396 merge patch that turns `before` into `after` (both JSON objects): keys
 *  removed become null, nested objects are patched key by key, anything else is replaced.
 *  An empty object when nothing changed. */
export function mergePatchBetween(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const k of Object.keys(before)) if (!(k in after)) patch[k] = null;
  for (const [k, v] of Object.entries(after)) {
    const old = before[k];
    if (isObject(old) && isObject(v)) {
      const sub = mergePatchBetween(old, v);
      if (Object.keys(sub).length) patch[k] = sub;
    } else if (!(k in before) || canon(old) !== canon(v)) {
      patch[k] = v;
    }
  }
  return patch;
}

/** Ids typed by a person: split on commas and white space, blanks dropped. */
export function parseIds(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

export class InputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function parseJson(text: string, spec: FieldSpec): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(spec.name, `${spec.label} is not valid JSON: ${(e as Error).message}`);
  }
}

function initialText(spec: FieldSpec): string {
  if (spec.kind === 'ids') return ((spec.value as string[] | undefined) ?? []).join(', ');
  if (spec.kind === 'json' || spec.kind === 'merge')
    return JSON.stringify(spec.value ?? (spec.kind === 'merge' ? {} : null), null, 2);
  return spec.value === undefined || spec.value === null ? '' : String(spec.value);
}

/** What a field contributes to the body: undefined when unchanged (exported for its tests).
 *  Throws an InputError naming the field when its text cannot be read. */
export function read(spec: FieldSpec, text: string): unknown {
  switch (spec.kind) {
    case 'text':
    case 'textarea': {
      const v = spec.kind === 'text' ? text.trim() : text;
      return v === ((spec.value as string | undefined) ?? '') ? undefined : v;
    }
    case 'ids': {
      const v = parseIds(text);
      return canon(v) === canon(spec.value ?? []) ? undefined : v;
    }
    case 'json': {
      const v = parseJson(text, spec);
      return canon(v) === canon(spec.value ?? null) ? undefined : v;
    }
    case 'merge': {
      const v = text.trim() ? parseJson(text, spec) : {};
      if (!isObject(v))
        throw new InputError(spec.name, `${spec.label} must be a JSON object, like {"size": 3}`);
      const patch = mergePatchBetween(isObject(spec.value) ? spec.value : {}, v);
      return Object.keys(patch).length ? patch : undefined;
    }
  }
}

export interface EditFormOptions {
  id: string; // prefix of the inputs' ids; the form's data-testid
  title: string; // the form's accessible name
  fields: FieldSpec[];
  submitLabel: string;
  /** Fields always sent (e.g. a revision's attributes), with this value when unchanged. */
  always?: Record<string, unknown>;
  send: (body: Record<string, unknown>) => Promise<unknown>;
  onDone: (answer: unknown) => void;
}

/** A form whose submit sends the changed fields (and `always`); "Nothing changed" when none. */
export function editForm(o: EditFormOptions): HTMLFormElement {
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': `${o.id}-result`,
  });
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  const rows = o.fields.map((f) => {
    const id = `${o.id}-${f.name}`;
    const text = initialText(f);
    const input =
      f.kind === 'text' || f.kind === 'ids'
        ? h('input', { id, name: f.name, value: text, autocomplete: 'off', spellcheck: 'false' })
        : h('textarea', {
            id,
            name: f.name,
            rows: f.rows ?? Math.min(10, Math.max(2, text.split('\n').length)),
            spellcheck: 'false',
          });
    if (input instanceof HTMLTextAreaElement) input.value = text;
    inputs.set(f.name, input);
    return h(
      'div',
      { class: 'field' },
      h('label', { for: id }, f.label),
      input,
      f.hint ? h('small', { class: 'muted' }, f.hint) : null,
    );
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, o.submitLabel);
  const form = h(
    'form',
    {
      class: 'edit-form',
      'aria-label': o.title,
      'data-testid': o.id,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        result.replaceChildren();
        for (const i of inputs.values()) i.removeAttribute('aria-invalid');
        const body: Record<string, unknown> = {};
        try {
          for (const f of o.fields) {
            const v = read(f, inputs.get(f.name)!.value);
            if (v !== undefined) body[f.name] = v;
          }
        } catch (e) {
          if (e instanceof InputError) inputs.get(e.field)?.setAttribute('aria-invalid', 'true');
          result.append(errorBox(describeError(e)));
          return;
        }
        if (!Object.keys(body).length) {
          result.append(h('p', { class: 'muted' }, 'Nothing changed.'));
          return;
        }
        for (const [k, v] of Object.entries(o.always ?? {})) if (!(k in body)) body[k] = v;
        submit.disabled = true;
        try {
          o.onDone(await o.send(body));
        } catch (e) {
          result.append(refusal(e));
          if (e instanceof ApiError && e.field)
            inputs.get(e.field.split(/[.[]/)[0])?.setAttribute('aria-invalid', 'true');
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', null, o.title),
    rows,
    submit,
    result,
  );
  return form;
}

/** The server's refusal as shown beside a form: its words, its code as data-code. */
export function refusal(e: unknown): HTMLElement {
  const box = errorBox(describeError(e));
  if (e instanceof ApiError) box.dataset.code = e.code;
  return box;
}

/** A button for an irreversible move: the first click asks, the second does it. */
export function confirmButton(o: {
  id: string;
  label: string;
  confirmLabel: string;
  explain: string;
  run: () => Promise<unknown>;
  onDone: (answer: unknown) => void;
}): HTMLElement {
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': `${o.id}-result`,
  });
  const ask = h('div', { class: 'confirm', hidden: true }, h('p', null, o.explain));
  const first = h('button', { type: 'button', class: 'danger', 'data-testid': o.id }, o.label);
  const yes = h(
    'button',
    { type: 'button', class: 'danger primary-danger', 'data-testid': `${o.id}-confirm` },
    o.confirmLabel,
  );
  const no = h('button', { type: 'button' }, 'Cancel');
  ask.append(h('div', { class: 'actions' }, yes, no));
  first.addEventListener('click', () => {
    result.replaceChildren();
    ask.hidden = false;
    first.hidden = true;
    yes.focus();
  });
  no.addEventListener('click', () => {
    ask.hidden = true;
    first.hidden = false;
    first.focus();
  });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      o.onDone(await o.run());
    } catch (e) {
      result.append(refusal(e));
      ask.hidden = true;
      first.hidden = false;
    } finally {
      yes.disabled = false;
    }
  });
  return h('div', { class: 'confirm-action' }, first, ask, result);
}
