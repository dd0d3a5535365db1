// Entry point: sign-in (from a #token= link or the form), the shell, and hash routing.
// Routes: #/ map · #/org/ID · #/catalog · #/relationship/ID · #/resource/ID ·
// #/impact/ID · #/events · #/offering/ID · #/service/ID · #/group/ID · #/tokens ·
// #/chains?from=&to= · #/requests?status= · #/provision/ID (details).
import './style.css';
import {
  clearToken,
  describeError,
  get,
  getToken,
  setToken,
  setUnauthorizedHandler,
  type Me,
  type Organization,
} from './api';
import { h, clear, errorBox, link } from './dom';
import { whoAmI } from './session';
import { forgetOrganizations, type View, type Ctx } from './views/common';
import { mapView, prefetchMap } from './views/map';
import { orgView } from './views/org';
import { catalogView } from './views/catalog';
import { relationshipView } from './views/relationship';
import { resourceView } from './views/resource';
import { impactView } from './views/impact';
import { eventsView } from './views/events';
import { detailView } from './views/detail';
import { groupView } from './views/group';
import { serviceView } from './views/service';
import { offeringView } from './views/offering';
import { tokensView } from './views/tokens';
import { chainsView } from './views/chains';
import { requestListView } from './views/requestlist';

const app = document.getElementById('app')!;

// 1. A #token=... fragment signs in; the token leaves the URL at once.
function readTokenFromUrl(): void {
  const m = /^#token=([^&]+)(?:&next=(.*))?$/.exec(location.hash);
  if (!m) return;
  setToken(decodeURIComponent(m[1]));
  const next = m[2] ? decodeURIComponent(m[2]) : '/';
  history.replaceState(null, '', `${location.pathname}${location.search}#${next}`);
}

let me: Me | null = null;
let meOrg: Organization | null = null;
let current: { abort: AbortController; cleanup?: () => void } | null = null;
let flash: string | null = null; // shown once, above the next view rendered

function signInForm(message?: string): void {
  current?.abort.abort();
  current = null;
  clear(app);
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const status = h('div', { 'aria-live': 'polite' }, message ? errorBox(message) : null);
  const form = h(
    'form',
    {
      class: 'card signin',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        setToken(input.value.trim());
        clear(status);
        await start(status);
      },
    },
    h('h1', null, 'Sign in to cocreate'),
    h(
      'p',
      null,
      'Paste an API token (the admin token, or one issued to your organization). Links of the form /#token=… sign in directly.',
    ),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    status,
  );
  app.appendChild(h('main', { id: 'main', class: 'narrow' }, form));
  input.focus();
}

function signOut(): void {
  clearToken();
  forgetOrganizations();
  me = null;
  meOrg = null;
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  signInForm();
}

let mainEl: HTMLElement;
let whoEl: HTMLElement;

function shell(): void {
  clear(app);
  const nav = h(
    'nav',
    { 'aria-label': 'Main' },
    h('a', { href: '#/', 'data-nav': 'map' }, 'Ecosystem map'),
    me?.organization
      ? h(
          'a',
          { href: `#/org/${encodeURIComponent(me.organization)}`, 'data-nav': 'org' },
          'My organization',
        )
      : null,
    h('a', { href: '#/catalog', 'data-nav': 'catalog' }, 'Catalog'),
    h('a', { href: '#/requests', 'data-nav': 'requests' }, 'Requests'),
    h('a', { href: '#/impact', 'data-nav': 'impact' }, 'Impact'),
    h('a', { href: '#/chains', 'data-nav': 'chains' }, 'Value chains'),
    h('a', { href: '#/events', 'data-nav': 'events' }, 'Live events'),
    h('a', { href: '#/tokens', 'data-nav': 'tokens' }, 'Tokens'),
  );
  whoEl = h('span', { class: 'who', 'data-testid': 'who' });
  renderWho();
  mainEl = h('main', { id: 'main', tabindex: '-1' });
  app.append(
    h(
      'header',
      { class: 'top' },
      h(
        'button',
        { type: 'button', class: 'skip', onclick: () => mainEl.focus() },
        'Skip to content',
      ),
      h('a', { href: '#/', class: 'brand' }, 'cocreate'),
      nav,
      h(
        'div',
        { class: 'session' },
        whoEl,
        h('button', { type: 'button', onclick: signOut, 'data-testid': 'signout' }, 'Sign out'),
      ),
    ),
    mainEl,
  );
}

function renderWho(): void {
  clear(whoEl);
  if (!me) return;
  if (me.role === 'admin') whoEl.append('Signed in as ', h('strong', null, 'admin'));
  else if (me.organization)
    whoEl.append(
      'Signed in as ',
      link('organization', me.organization, meOrg?.name ?? me.organization),
      me.role !== 'unknown' ? ` (${me.role})` : '',
    );
  else whoEl.append('Signed in (organization unknown)');
}

const routes: [RegExp, View][] = [
  [/^\/?$/, mapView],
  [/^\/org\/(.+)$/, orgView],
  [/^\/catalog$/, catalogView],
  [/^\/relationship\/(.+)$/, relationshipView],
  [/^\/resource\/(.+)$/, resourceView],
  [/^\/impact(?:\/(.+))?$/, impactView],
  [/^\/events$/, eventsView],
  [/^\/(?:group|consumer-group)\/(.+)$/, groupView],
  [/^\/service\/(.+)$/, serviceView],
  [/^\/offering\/(.+)$/, offeringView],
  [/^\/tokens$/, tokensView],
  [/^\/chains$/, chainsView],
  [/^\/requests$/, requestListView],
  [/^\/(provision)\/(.+)$/, detailView],
];

async function route(): Promise<void> {
  if (!me) return;
  if (location.hash.startsWith('#token=')) {
    readTokenFromUrl();
    await start();
    return;
  }
  const path = location.hash.replace(/^#/, '') || '/';
  const [pathname, query = ''] = path.split('?');
  current?.abort.abort();
  current?.cleanup?.();
  const abort = new AbortController();
  current = { abort };
  clear(mainEl);
  for (const a of document.querySelectorAll('nav a')) a.removeAttribute('aria-current');
  const match = routes.find(([re]) => re.test(pathname));
  if (!match) {
    mainEl.append(
      h('h1', null, 'Not found'),
      h('p', null, `There is no page at ${path}.`),
      h('a', { href: '#/' }, 'Back to the map'),
    );
    return;
  }
  const params = match[0]
    .exec(pathname)!
    .slice(1)
    .map((p) => (p === undefined ? '' : decodeURIComponent(p)));
  const navKey = pathname.split('/')[1] || 'map';
  document.querySelector(`nav a[data-nav="${navKey}"]`)?.setAttribute('aria-current', 'page');
  const reload = (message?: string) => {
    flash = message ?? null;
    void route();
  };
  const ctx: Ctx = { me, signal: abort.signal, query: new URLSearchParams(query), reload };
  if (flash)
    mainEl.append(h('p', { class: 'ok flash', role: 'status', 'data-testid': 'flash' }, flash));
  flash = null;
  mainEl.focus({ preventScroll: true });
  try {
    const cleanup = await match[1](mainEl, params, ctx);
    if (abort.signal.aborted) cleanup?.();
    else current.cleanup = cleanup ?? undefined;
  } catch (e) {
    if (abort.signal.aborted) return;
    mainEl.append(errorBox(describeError(e)));
  }
}

async function start(status?: HTMLElement): Promise<void> {
  if (!getToken()) return signInForm();
  const path = location.hash.replace(/^#/, '');
  const who = whoAmI(); // asked first: the server answers it at once, before the map's data
  if (path === '' || path === '/') prefetchMap(); // the map's data loads while we ask who we are
  try {
    me = await who;
  } catch (e) {
    clearToken();
    me = null;
    if (status) status.append(errorBox(`Sign-in failed: ${describeError(e)}`));
    else signInForm(`Sign-in failed: ${describeError(e)}`);
    return;
  }
  meOrg = null;
  shell();
  if (me.organization) {
    get<Organization>(`/organizations/${encodeURIComponent(me.organization)}`)
      .then((o) => {
        meOrg = o;
        renderWho();
      })
      .catch(() => {});
  }
  await route();
}

setUnauthorizedHandler(() => {
  clearToken();
  me = null;
  signInForm('The token was refused (401): sign in again.');
});
window.addEventListener('hashchange', () => void route());
readTokenFromUrl();
void start();
