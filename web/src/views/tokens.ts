// Tokens (#/tokens): the tokens the caller may see (GET /tokens: the admin all of them, a
// member its organization's; viewers 403), each with a Revoke button (DELETE /tokens/{id}:
// the token answers 401 from then on), and for the admin a form that issues one
// (POST /tokens {organization, role, expires_in?}), whose secret is shown once.
import {
  ApiError,
  del,
  describeError,
  enc,
  listAll,
  post,
  type IssuedToken,
  type Token,
} from '../api';
import { h, fmtTime, link, section, table } from '../dom';
import { refusal } from '../forms';
import { isAdmin, organizations, type View } from './common';

export const tokensView: View = async (root, _params, ctx) => {
  const s = ctx.signal;
  root.append(h('h1', null, 'Tokens'));
  const issued = h('div', { 'aria-live': 'polite', 'data-testid': 'token-issued' });
  const list = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  // Outlives the list (read again after each revocation).
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'revoke-result',
  });
  const orgs = await organizations(s);

  const load = async (): Promise<void> => {
    let tokens: Token[];
    try {
      tokens = await listAll<Token>('tokens', {}, s);
    } catch (e) {
      if (s.aborted) return;
      const msg =
        e instanceof ApiError && e.status === 403
          ? `Your token may not list tokens (${describeError(e)}). Viewers cannot see tokens; ask a member of your organization or the admin.`
          : describeError(e);
      list.replaceChildren(
        h('div', { class: 'error', role: 'alert', 'data-testid': 'tokens-error' }, msg),
      );
      return;
    } finally {
      list.removeAttribute('aria-busy');
    }
    const revoke = (t: Token) =>
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-revoke': t.id,
          onclick: async (ev: Event) => {
            const b = ev.currentTarget as HTMLButtonElement;
            if (b.dataset.armed !== 'true') {
              // The first click asks; the second revokes.
              b.dataset.armed = 'true';
              b.textContent = 'Click again to revoke';
              return;
            }
            b.disabled = true;
            result.replaceChildren();
            try {
              await del(`/tokens/${enc(t.id)}`);
              result.append(
                h('p', { class: 'ok' }, `Token ${t.id} was revoked: it is refused from now on.`),
              );
              await load();
            } catch (e) {
              result.append(refusal(e));
              b.disabled = false;
            }
          },
        },
        'Revoke',
      );
    list.replaceChildren(
      tokens.length
        ? table(
            ['token', 'organization', 'role', 'issued', 'expires', ''],
            tokens.map((t) => [
              h('code', null, t.id),
              link(
                'organization',
                t.organization,
                orgs.get(t.organization)?.name ?? t.organization,
              ),
              t.role,
              fmtTime(t.created_at),
              t.expires_at ? fmtTime(t.expires_at) : 'never',
              revoke(t),
            ]),
            { 'data-testid': 'tokens' },
          )
        : h('p', { class: 'muted', 'data-testid': 'tokens-empty' }, 'No tokens issued.'),
    );
    for (const row of list.querySelectorAll('tbody tr')) {
      const id = row.querySelector('button[data-revoke]')?.getAttribute('data-revoke');
      if (id) row.setAttribute('data-token', id);
    }
  };

  root.append(
    section(
      'Issued tokens',
      h(
        'p',
        { class: 'muted' },
        'Secrets are never shown again after issue; a revoked token answers 401.',
      ),
      list,
      result,
    ),
  );
  if (isAdmin(ctx)) root.append(issueForm(orgs, issued, () => void load()));
  await load();
};

function issueForm(
  orgs: Map<string, { id: string; name: string; status?: string }>,
  out: HTMLElement,
  onIssued: () => void,
): HTMLElement {
  const org = h('input', {
    id: 'token-org',
    name: 'organization',
    list: 'token-orgs',
    required: true,
    autocomplete: 'off',
    placeholder: 'organization id',
  });
  const options = h(
    'datalist',
    { id: 'token-orgs' },
    [...orgs.values()]
      .filter((o) => o.status !== 'closed')
      .map((o) => h('option', { value: o.id }, o.name)),
  );
  const role = h(
    'select',
    { id: 'token-role', name: 'role' },
    h('option', { value: 'member' }, 'member (reads and acts)'),
    h('option', { value: 'viewer' }, 'viewer (reads only)'),
  );
  const expires = h('input', {
    id: 'token-expires',
    name: 'expires_in',
    type: 'number',
    min: '60',
    max: '31536000',
    step: '1',
    placeholder: 'never',
  });
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'token-issue-result',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Issue token');
  return section(
    'Issue a token',
    h(
      'form',
      {
        class: 'inline-form',
        'aria-label': 'Issue a token',
        'data-testid': 'token-issue',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          result.replaceChildren();
          out.replaceChildren();
          const body: Record<string, unknown> = {
            organization: org.value.trim(),
            role: role.value,
          };
          if (expires.value) body.expires_in = Number(expires.value);
          submit.disabled = true;
          try {
            const t = await post<IssuedToken>('/tokens', body);
            const secret = h('input', {
              id: 'token-secret',
              readonly: true,
              value: t.token,
              size: Math.min(80, t.token.length + 2),
              'data-testid': 'token-secret',
            });
            out.replaceChildren(
              h(
                'div',
                { class: 'note' },
                h(
                  'p',
                  null,
                  h('strong', null, 'Copy this token now: it is shown only once.'),
                  ` Issued ${t.id ? `as ${t.id} ` : ''}to ${body.organization} (${body.role}).`,
                ),
                h('label', { for: 'token-secret' }, 'Secret '),
                secret,
                ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: () =>
                      void navigator.clipboard?.writeText(t.token).catch(() => secret.select()),
                  },
                  'Copy',
                ),
              ),
            );
            secret.select();
            org.value = '';
            expires.value = '';
            onIssued();
          } catch (e) {
            result.append(refusal(e));
          } finally {
            submit.disabled = false;
          }
        },
      },
      h('label', { for: 'token-org' }, 'Organization'),
      org,
      options,
      h('label', { for: 'token-role' }, 'Role'),
      role,
      h('label', { for: 'token-expires' }, 'Expires in (seconds, 60 to 31,536,000)'),
      expires,
      submit,
    ),
    result,
    out,
  );
}
