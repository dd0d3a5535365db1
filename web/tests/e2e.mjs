// End-to-end tests of the web UI in real headless Chromium (Debian's chromium, driven by
// playwright-core). Plain node:test; script/test-web starts the servers and sets:
//   BASE_URL      the UI (and /api/v1 behind it) of a server started with --demo
//   ADMIN_TOKEN   that server's admin token
//   ARTIFACTS     where screenshots (PNG) and figures.json go
//   BIG_BASE_URL  optional: the UI of a server holding a generated 5,000-organization store
//   CHROMIUM      optional: the browser binary (default /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:4173';
const ADMIN = process.env.ADMIN_TOKEN ?? 'devtoken-0123456789abcdef0123456789';
const ARTIFACTS = process.env.ARTIFACTS ?? 'test-results';
const BIG = process.env.BIG_BASE_URL ?? '';
mkdirSync(ARTIFACTS, { recursive: true });

let browser;
const consoleErrors = [];
const figures = {};

// The browser logs every 4xx answer as "Failed to load resource"; those are expected
// here (403 value of another organization, 422 refused requests) and are shown in words.
const EXPECTED_HTTP = /Failed to load resource: the server responded with a status of 4\d\d/;

async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !EXPECTED_HTTP.test(m.text()))
      consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: pageerror ${e.message}`));
  page.setDefaultTimeout(20_000);
  return page;
}

async function api(method, path, body, token = ADMIN, base = BASE) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const all = async (collection, token = ADMIN, base = BASE) =>
  (await api('GET', `/${collection}?limit=1000`, undefined, token, base)).items;
const tokenFor = async (organization, role = 'member') =>
  (await api('POST', '/tokens', { organization, role })).token;

async function signIn(page, token, base = BASE) {
  await page.goto(`${base}/#token=${encodeURIComponent(token)}`);
  await page.locator('[data-testid=who]').filter({ hasText: 'Signed in' }).waitFor();
}
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
/** A picture of one part of a page (with the sticky header out of its way). */
async function shotOf(locator, name) {
  await locator.page().addStyleTag({ content: 'header.top { position: static !important; }' });
  await locator.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Node ids of a graph (from Cytoscape) and of its text alternative (the table). */
async function graphAndTableIds(page, title) {
  await page.waitForFunction((t) => window.__graphs && window.__graphs[t], title);
  const block = page.locator(`.graph-block[data-graph="${title}"]`);
  const details = block.locator('details.graph-alt');
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
  await block.locator(`table[data-graph-alt="${title}"]`).waitFor();
  const graphIds = await page.evaluate((t) => window.__graphs[t].nodes().map((n) => n.id()), title);
  const tableIds = await block
    .locator('tr[data-node-id]')
    .evaluateAll((rows) => rows.map((r) => r.dataset.nodeId));
  return { graphIds: graphIds.sort(), tableIds: tableIds.sort() };
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
after(async () => {
  await browser?.close();
  writeFileSync(join(ARTIFACTS, 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
});

// Shared by the story tests.
const story = {};

test('sign in through a #token= link (admin), token leaves the URL, sign out and sign in by form', async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  assert.ok(!page.url().includes(ADMIN), `token still in URL: ${page.url()}`);
  assert.ok(!page.url().includes('token='), page.url());
  assert.match(await page.locator('[data-testid=who]').innerText(), /admin/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cocreate.token')), ADMIN);
  await page.waitForFunction(() => window.__mapRenderMs !== undefined);
  const orgs = await all('organizations');
  const { graphIds, tableIds } = await graphAndTableIds(page, 'Ecosystem map');
  assert.deepEqual(graphIds, orgs.map((o) => o.id).sort(), 'map nodes are the organizations');
  assert.deepEqual(tableIds, graphIds, 'map table lists the same nodes');
  await page.locator('details.graph-alt summary').click(); // close it again for the picture
  await shot(page, 'map-1280');
  // Filters: the edges drawn are the relationships of the chosen statuses and types.
  const rels = await all('relationships');
  const edgeCount = () => page.evaluate(() => window.__cy.edges().length);
  assert.equal(await edgeCount(), rels.filter((r) => r.status === 'active').length);
  await page.check('#f-status-terminated');
  await page.uncheck('#f-type-basic');
  await page.waitForFunction(
    (n) => window.__cy.edges().length === n,
    rels.filter((r) => ['active', 'terminated'].includes(r.status) && r.type !== 'basic').length,
  );
  const cycles = await api('GET', '/cycles');
  const cycleEdges = await page.evaluate(() => window.__cy.edges('.cycle').length);
  assert.ok(cycles.items.length === 0 || cycleEdges > 0, 'cycle edges are highlighted');

  await page.getByTestId('signout').click();
  await page.locator('form.signin').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('cocreate.token')), null);
  await page.fill('#token', 'not-a-token');
  await page.click('form.signin button[type=submit]');
  await page.locator('form.signin .error').waitFor();
  assert.match(await page.locator('form.signin .error').innerText(), /401|token/i);
  await page.fill('#token', ADMIN);
  await page.click('form.signin button[type=submit]');
  await page.locator('[data-testid=who]').filter({ hasText: 'admin' }).waitFor();
  await page.context().close();
});

test('sign in through a #token= link with an organization token', async () => {
  // The demo's consumer that has never provided: it will turn provider in the story.
  const orgs = await all('organizations');
  let consumer = null;
  for (const o of orgs) {
    const r = await api('GET', `/organizations/${o.id}/roles`);
    if (r.consumer_since && !r.provider_since) {
      consumer = o;
      break;
    }
  }
  assert.ok(consumer, 'the demo has an organization that consumed but never provided');
  story.consumer = consumer;
  story.consumerToken = await tokenFor(consumer.id);
  const page = await newPage();
  await signIn(page, story.consumerToken);
  assert.ok(
    !page.url().includes(story.consumerToken) && !page.url().includes('token='),
    page.url(),
  );
  const who = await page.locator('[data-testid=who]').innerText();
  assert.ok(
    who.includes(consumer.name) || who.includes(consumer.id),
    `who shows the organization: ${who}`,
  );
  await page.context().close();
});

test('story: request from the catalog, provider activates and provisions, the consumer turns provider', async () => {
  const C = story.consumer;
  // An offering C may request, from another provider, with an action that creates.
  const offerings = (await all('offerings', story.consumerToken)).filter(
    (o) => o.provider !== C.id && o.actions.some((a) => a.effect === 'create'),
  );
  assert.ok(offerings.length, 'some offering is open to the consumer');
  const O = offerings.find((o) => o.audience === 'public') ?? offerings[0];
  const createAction = O.actions.find((a) => a.effect === 'create');
  story.offering = O;
  const providerToken = await tokenFor(O.provider);

  // 1. The consumer requests it from the catalog (UI).
  const cp = await newPage();
  await signIn(cp, story.consumerToken);
  await cp.goto(`${BASE}/#/catalog`);
  const card = cp.locator(`li[data-offering="${O.id}"]`);
  await card.waitFor();
  await card.locator('select[name=type]').selectOption('cooperative');
  await shot(cp, 'catalog-1280');
  await card.getByRole('button', { name: 'Request' }).click();
  const ok = card.locator('.result .ok');
  await ok.waitFor();
  const relId = await ok.locator('a[data-id]').getAttribute('data-id');
  assert.ok(relId);
  story.rel = relId;
  const rel = await api('GET', `/relationships/${relId}`);
  assert.equal(rel.status, 'requested');
  assert.equal(rel.consumer, C.id);
  assert.equal(rel.type, 'cooperative');

  // The consumer may not activate: no such button; only terminate (withdraw).
  await cp.goto(`${BASE}/#/relationship/${relId}`);
  await cp.getByTestId('rel-status').filter({ hasText: 'requested' }).waitFor();
  assert.equal(await cp.locator('button[data-action=activate]').count(), 0);
  assert.equal(await cp.locator('button[data-action=terminate]').count(), 1);

  // 2. The provider activates it (UI).
  const pp = await newPage();
  await signIn(pp, providerToken);
  await pp.goto(`${BASE}/#/relationship/${relId}`);
  await pp.click('button[data-action=activate]');
  await pp.getByTestId('rel-status').filter({ hasText: 'active' }).waitFor();
  assert.equal((await api('GET', `/relationships/${relId}`)).status, 'active');

  // 3. The provider performs a provision whose action creates a resource (UI).
  await pp.selectOption('#prov-action', createAction.name);
  await pp.fill('#create-name-0', 'E2E storage for the cafés');
  await pp.fill('#create-attrs-0', '{"e2e": true, "size_gb": 50}');
  await pp.fill('#prov-outcomes', 'Orders are archived off-site');
  await pp.fill('#prov-cost-amount', '12');
  await pp.getByRole('button', { name: 'Perform provision' }).click();
  const result = pp.getByTestId('provision-result');
  await result.waitFor();
  const created = await result.locator('a[href^="#/resource/"]').first().getAttribute('data-id');
  assert.ok(created, 'the provision created a resource');
  story.resource = created;
  await pp
    .locator(`[data-testid=provisions] li`)
    .filter({ hasText: createAction.name })
    .first()
    .waitFor();
  await pp.evaluate(() => window.scrollTo(0, 0));
  await shot(pp, 'relationship-1280');
  const res = await api('GET', `/resources/${created}`);
  assert.equal(res.owner, C.id);

  // 4. The consumer sees the new resource in its organization view.
  await cp.goto(`${BASE}/#/org/${C.id}`);
  await cp.locator(`[data-testid=org-resources] a[data-id="${created}"]`).waitFor();

  // 5. Setup (API, not under test): C offers a service built on that resource;
  //    another organization requests it.
  const svc = await api(
    'POST',
    '/services',
    { provider: C.id, name: 'E2E café archive', built_on: [created], depends_on: [] },
    story.consumerToken,
  );
  const off = await api(
    'POST',
    '/offerings',
    {
      provider: C.id,
      service: svc.id,
      name: 'E2E archive for friends',
      audience: 'public',
      goods: [],
      access: [],
      actions: [{ name: 'archive', effect: 'none' }],
      service_levels: [],
    },
    story.consumerToken,
  );
  const others = (await all('organizations')).filter((o) => o.id !== C.id && o.id !== O.provider);
  const D = others[0];
  const rel2 = await api(
    'POST',
    '/relationships',
    { offering: off.id, consumer: D.id, type: 'basic' },
    await tokenFor(D.id),
  );

  // 6. C, now the provider, activates it (UI) and the role timeline shows the transition.
  await cp.goto(`${BASE}/#/relationship/${rel2.id}`);
  await cp.click('button[data-action=activate]');
  await cp.getByTestId('rel-status').filter({ hasText: 'active' }).waitFor();
  await cp.goto(`${BASE}/#/org/${C.id}`);
  const transition = cp.locator('[data-testid=roles] .transition');
  await transition.waitFor();
  assert.match(await transition.innerText(), /consumer → provider/);
  assert.ok(
    (await transition.innerText()).includes(created),
    'the evidence names the resource obtained as a consumer',
  );
  const roles = await api('GET', `/organizations/${C.id}/roles`);
  assert.equal(roles.transitions.length, 1);
  await cp.locator('[data-section=value] .value-grid').waitFor();
  await shot(cp, 'organization-1280');
  await cp.setViewportSize({ width: 390, height: 844 });
  await shot(cp, 'organization-390');
  await cp.goto(`${BASE}/#/`);
  await cp.waitForFunction(() => window.__mapRenderMs !== undefined);
  await shot(cp, 'map-390');

  // The value of another organization is not for C: shown in words.
  await cp.setViewportSize({ width: 1280, height: 800 });
  await cp.goto(`${BASE}/#/org/${O.provider}`);
  const valueErr = cp.locator('[data-section=value] .error');
  await valueErr.waitFor();
  assert.match(await valueErr.innerText(), /403|404/);
  await cp.context().close();
  await pp.context().close();
});

test('resource view: versions with a diff, lineage graph with its table', async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  // A resource with more than one version.
  const resources = await all('resources');
  const versioned = resources.find((r) => r.version > 1) ?? resources[0];
  await page.goto(`${BASE}/#/resource/${versioned.id}`);
  await page.locator('[data-testid=versions] li').first().waitFor();
  assert.equal(await page.locator('[data-testid=versions] > li').count(), versioned.version);
  if (versioned.version > 1)
    assert.ok((await page.locator('ul.diff li').count()) > 0, 'a diff between versions');
  const lineage = await api('GET', `/resources/${versioned.id}/lineage`);
  const { graphIds, tableIds } = await graphAndTableIds(page, 'Lineage');
  assert.deepEqual(tableIds, graphIds);
  const expected = new Set([versioned.id]);
  for (const k of [
    'provisions',
    'resources',
    'services',
    'offerings',
    'relationships',
    'organizations',
  ])
    for (const x of lineage[k]) if (x.id) expected.add(x.id);
  assert.deepEqual(graphIds, [...expected].sort(), 'lineage nodes are the lineage answer');
  await shot(page, 'resource-1280');

  // The story's resource: one version, lineage through the new provision.
  await page.goto(`${BASE}/#/resource/${story.resource}`);
  await page.locator('[data-testid=versions] li').first().waitFor();
  const l2 = await graphAndTableIds(page, 'Lineage');
  assert.ok(l2.graphIds.includes(story.rel), 'lineage reaches the story relationship');
  await page.context().close();
});

test('impact view lists exactly the nodes GET /impact answers, and explains them', async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  const from =
    (await all('resources')).find((r) => r.owner === story.offering.provider)?.id ?? story.resource;
  const expected = await api('GET', `/impact?from=${encodeURIComponent(from)}&explain=true`);
  await page.goto(`${BASE}/#/impact/${encodeURIComponent(from)}`);
  await page.getByTestId('impact-counts').waitFor();
  const { graphIds, tableIds } = await graphAndTableIds(page, 'Impact');
  assert.deepEqual(tableIds, graphIds, 'impact table lists the graph nodes');
  const want = expected.affected
    .map((a) => a.id)
    .filter(Boolean)
    .sort();
  assert.deepEqual(
    tableIds.filter((id) => id !== from),
    want,
  );
  for (const [type, n] of Object.entries(expected.counts)) {
    assert.match(
      await page.locator(`[data-testid=impact-counts] li[data-type="${type}"]`).innerText(),
      new RegExp(`^${n} `),
    );
  }
  // The explanation comes with the view: one row per affected node, and the paths drawn.
  assert.equal(
    await page.locator('[data-testid=impact-why] tbody tr').count(),
    expected.affected.length,
  );
  assert.deepEqual(
    await impactEdges(page),
    pathPairs(expected.affected),
    'each consecutive pair on the paths is an edge',
  );
  await shot(page, 'impact-1280');

  // Impact typed by hand, through the form; a consumer group is no start: shown in words.
  const group = (await all('consumer-groups'))[0];
  await page.fill('#impact-from', group.id);
  await page.getByRole('button', { name: 'Analyze' }).click();
  const err = page.locator('main .error');
  await err.waitFor();
  assert.match(await err.innerText(), /422/);
  await page.context().close();
});

/** The visible consecutive pairs of the explained paths, as "a>b" strings, sorted. */
function pathPairs(affected) {
  const out = new Set();
  for (const a of affected) {
    const p = (a.path ?? []).filter(Boolean);
    for (let i = 1; i < p.length; i++) if (p[i - 1] !== p[i]) out.add(`${p[i - 1]}>${p[i]}`);
  }
  return [...out].sort();
}
const impactEdges = (page) =>
  page.evaluate(() =>
    window.__graphs.Impact.edges()
      .map((e) => `${e.source().id()}>${e.target().id()}`)
      .sort(),
  );

test("impact from the demo's control plane: labelled nodes, the paths' edges, one column per depth", async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  const resources = await all('resources');
  const start = (resources.find((r) => /control-plane/.test(r.id)) ?? resources[0]).id;
  const expected = await api('GET', `/impact?from=${encodeURIComponent(start)}&explain=true`);
  assert.ok(expected.affected.length > 5, `the demo's ${start} reaches something`);
  const orgs = new Map((await all('organizations')).map((o) => [o.id, o.name]));
  await page.goto(`${BASE}/#/impact/${encodeURIComponent(start)}`);
  await page.waitForFunction(() => window.__graphs && window.__graphs.Impact);
  const edges = await impactEdges(page);
  assert.ok(edges.length >= expected.affected.length, `edges drawn: ${edges.length}`);
  assert.deepEqual(edges, pathPairs(expected.affected));
  assert.match(
    await page.locator('.graph-block[data-graph="Impact"] .graph-counts').innerText(),
    new RegExp(`${expected.affected.length + 1} nodes, ${edges.length} edges`),
  );
  // Every node carries its label (an organization its name, anything else its id), and the
  // label is drawn at the zoom the view opens with.
  const nodes = await page.evaluate(() =>
    window.__graphs.Impact.nodes().map((n) => ({
      id: n.id(),
      label: n.data('label'),
      drawn: n.style('label').replace(/\u200b/g, ''),
      minZoomed: parseFloat(n.style('min-zoomed-font-size')),
      x: n.position('x'),
    })),
  );
  for (const n of nodes) {
    assert.equal(n.label, orgs.get(n.id) ?? n.id, `label of ${n.id}`);
    assert.equal(n.drawn, n.label, `drawn label of ${n.id}`);
    assert.equal(n.minZoomed, 0, `label of ${n.id} drawn at any zoom`);
  }
  // One column per depth: the start alone at depth 0, then x grows with depth.
  const depthOf = new Map([
    [start, 0],
    ...expected.affected.filter((a) => a.id).map((a) => [a.id, a.depth]),
  ]);
  const xs = new Map();
  for (const n of nodes) {
    const d = depthOf.get(n.id);
    if (!xs.has(d)) xs.set(d, new Set());
    xs.get(d).add(Math.round(n.x));
  }
  const depths = [...xs.keys()].sort((a, b) => a - b);
  assert.equal(depths[0], 0);
  for (const d of depths) assert.equal(xs.get(d).size, 1, `depth ${d} is one column`);
  for (let i = 1; i < depths.length; i++)
    assert.ok(
      [...xs.get(depths[i])][0] > [...xs.get(depths[i - 1])][0],
      `depth ${depths[i]} right of depth ${depths[i - 1]}`,
    );
  assert.equal(
    nodes.filter((n) => depthOf.get(n.id) === 0).length,
    1,
    'the start alone at depth 0',
  );
  await shot(page, 'impact-control-plane-1280');
  await page.context().close();
});

test('an API error is shown in words: a consumer outside the audience', async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  // An offering restricted to consumer groups, and an organization in none of them.
  const offerings = await all('offerings');
  const groups = await all('consumer-groups');
  const orgs = await all('organizations');
  const restricted = offerings.find((o) => o.audience !== 'public');
  const members = new Set(
    groups
      .filter((g) => restricted.audience.consumer_groups.includes(g.id))
      .flatMap((g) => g.members),
  );
  const outsider = orgs.find((o) => !members.has(o.id) && o.id !== restricted.provider);
  await page.goto(`${BASE}/#/catalog`);
  await page.locator('[data-testid=catalog] li').first().waitFor();
  const card = page.locator(`li[data-offering="${restricted.id}"]`);
  while (!(await card.count()))
    await page.getByRole('button', { name: 'Show more offerings' }).click();
  await card.locator('input[name=consumer]').fill(outsider.id);
  await card.getByRole('button', { name: 'Request' }).click();
  const err = card.locator('.error');
  await err.waitFor();
  const text = await err.innerText();
  assert.match(text, /HTTP 422/);
  assert.ok(text.length > 30, `a sentence, not a code: ${text}`);
  await page.context().close();
});

test('the live event feed shows new events as they happen', async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  await page.goto(`${BASE}/#/events`);
  await page.locator('[data-testid=stream-status][data-state=open]').waitFor();
  const id = `org-e2e-live-${Date.now()}`;
  await api('POST', '/organizations', { id, name: 'E2E live organization' });
  await page
    .locator(`[data-testid=events] li[data-type="organization.created"]`)
    .filter({ hasText: id })
    .waitFor();
  await shot(page, 'events-1280');
  await page.context().close();
});

// ---- A living ecosystem: edit, retire, revise, close, versions, tokens, degraded ----

/** The error a request answers (it must fail): {status, code, message}. */
async function refusedBy(method, path, body, token = ADMIN) {
  const res = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  assert.ok(!res.ok, `${method} ${path} should be refused, got ${res.status}`);
  return { status: res.status, ...json.error };
}
const uid = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** A fresh organization with a member token: {id, token}. */
async function freshOrg(label) {
  const id = `org-e2e-${label}-${uid()}`;
  await api('POST', '/organizations', {
    id,
    name: `E2E ${label}`,
    description: `made by the browser tests (${label})`,
    attributes: { tier: 'gold', region: 'eu' },
  });
  return { id, token: await tokenFor(id) };
}

/** Asserts the refusal shown in `box` carries the server's code and its own message. */
async function assertShowsRefusal(box, expected) {
  await box.waitFor();
  const text = await box.innerText();
  assert.equal(await box.getAttribute('data-code'), expected.code);
  assert.ok(text.includes(expected.code), `the code is shown: ${text}`);
  assert.ok(
    text.includes(expected.message),
    `the rule's message is shown: ${text} (expected ${expected.message})`,
  );
  assert.ok(text.includes(`HTTP ${expected.status}`), text);
}

const living = {};

test('organization: an edit that succeeds (name, attributes as a merge patch) and a close the server refuses', async () => {
  const X = await freshOrg('edit');
  living.X = X;
  const page = await newPage();
  await signIn(page, X.token);
  await page.goto(`${BASE}/#/org/${X.id}`);
  await page.locator('[data-testid=org-manage] summary').click();
  await page.fill('#org-edit-name', 'E2E edited organization');
  // Delete "region", change "tier", add "since": the form sends the merge patch between them.
  await page.fill('#org-edit-attributes', JSON.stringify({ tier: 'platinum', since: 2026 }));
  await page.locator('[data-testid=org-edit] button[type=submit]').click();
  await page.getByTestId('flash').filter({ hasText: 'changed' }).waitFor();
  await page.locator('h1').filter({ hasText: 'E2E edited organization' }).waitFor();
  const org = await api('GET', `/organizations/${X.id}`);
  assert.equal(org.name, 'E2E edited organization');
  assert.deepEqual(org.attributes, { tier: 'platinum', since: 2026 });
  assert.equal(org.status, 'active');
  assert.equal(await page.locator('h1 .status').innerText(), 'active');
  // A member may not close its organization: no Close button for it.
  assert.equal(await page.getByTestId('org-close').count(), 0);
  await page.context().close();

  // The admin may, but not while the organization is party to a live relationship: 409.
  const busy = (await all('relationships')).find((r) => r.status === 'active').provider;
  const expected = await refusedBy('POST', `/organizations/${busy}/close`);
  assert.equal(expected.code, 'has_active_relationships');
  const admin = await newPage();
  await signIn(admin, ADMIN);
  await admin.goto(`${BASE}/#/org/${busy}`);
  await admin.locator('[data-testid=org-manage] summary').click();
  await admin.getByTestId('org-close').click();
  await admin.getByTestId('org-close-confirm').click();
  await assertShowsRefusal(admin.locator('[data-testid=org-close-result] .error'), expected);
  await shot(admin, 'organization-close-refused-1280');
  assert.equal((await api('GET', `/organizations/${busy}`)).status, 'active');

  // An organization with nothing live closes: the badge says so.
  const Z = await freshOrg('close');
  await admin.goto(`${BASE}/#/org/${Z.id}`);
  await admin.locator('[data-testid=org-manage] summary').click();
  await admin.getByTestId('org-close').click();
  await admin.getByTestId('org-close-confirm').click();
  await admin.getByTestId('flash').filter({ hasText: 'closed' }).waitFor();
  assert.equal(await admin.locator('h1 .status').innerText(), 'closed');
  assert.equal((await api('GET', `/organizations/${Z.id}`)).status, 'closed');
  living.closed = Z.id;
  await admin.context().close();
});

test('resource: a new revision, a retire refused as in use (409), a service edit refused (422 retired_reference), a retire', async () => {
  const X = living.X ?? (await freshOrg('edit'));
  const used = await api(
    'POST',
    '/resources',
    {
      owner: X.id,
      kind: 'technology',
      name: 'E2E used resource',
      attributes: { size: 1, zone: 'a' },
    },
    X.token,
  );
  const spare = await api(
    'POST',
    '/resources',
    { owner: X.id, kind: 'technology', name: 'E2E spare resource', attributes: {} },
    X.token,
  );
  const svc = await api(
    'POST',
    '/services',
    { provider: X.id, name: 'E2E service', built_on: [used.id], depends_on: [] },
    X.token,
  );
  const page = await newPage();
  await signIn(page, X.token);

  // New revision: attributes edited whole, sent as a merge patch; version 2 appears.
  await page.goto(`${BASE}/#/resource/${used.id}`);
  await page.locator('[data-testid=resource-manage] summary').click();
  await page.fill('#revision-attributes', JSON.stringify({ size: 2 }));
  await page.locator('[data-testid=revision] button[type=submit]').click();
  await page.getByTestId('flash').filter({ hasText: 'version 2' }).waitFor();
  await page.locator('[data-testid=versions] > li[data-version="2"]').waitFor();
  const r2 = await api('GET', `/resources/${used.id}`);
  assert.equal(r2.version, 2);
  assert.deepEqual(r2.attributes, { size: 2 });
  assert.match(
    await page.locator('[data-testid=versions] > li[data-version="2"] ul.diff').innerText(),
    /size/,
  );

  // Retire while a service is built on it: 409 in_use, in the server's words.
  const inUse = await refusedBy('POST', `/resources/${used.id}/retire`, undefined, X.token);
  assert.equal(inUse.code, 'in_use');
  await page.locator('[data-testid=resource-manage] summary').click();
  await page.getByTestId('resource-retire').click();
  await page.getByTestId('resource-retire-confirm').click();
  await assertShowsRefusal(page.locator('[data-testid=resource-retire-result] .error'), inUse);
  await shot(page, 'resource-retire-refused-1280');

  // Retire one nothing uses: done, badged.
  await page.goto(`${BASE}/#/resource/${spare.id}`);
  await page.locator('[data-testid=resource-manage] summary').click();
  await page.getByTestId('resource-retire').click();
  await page.getByTestId('resource-retire-confirm').click();
  await page.getByTestId('flash').filter({ hasText: 'retired' }).waitFor();
  assert.equal(await page.locator('h1 .status').innerText(), 'retired');
  assert.equal((await api('GET', `/resources/${spare.id}`)).status, 'retired');
  // The organization lists it with its badge.
  await page.goto(`${BASE}/#/org/${X.id}`);
  await page
    .locator(
      `[data-testid=org-resources] tr:has(a[data-id="${spare.id}"]) .status[data-status=retired]`,
    )
    .waitFor();

  // A service may not be built on a retired resource: 422 retired_reference, shown by the form.
  const refused = await refusedBy(
    'PATCH',
    `/services/${svc.id}`,
    { built_on: [used.id, spare.id] },
    X.token,
  );
  assert.equal(refused.code, 'retired_reference');
  await page.goto(`${BASE}/#/service/${svc.id}`);
  await page.fill('#service-edit-built_on', `${used.id}, ${spare.id}`);
  await page.locator('[data-testid=service-edit] button[type=submit]').click();
  await assertShowsRefusal(page.locator('[data-testid=service-edit-result] .error'), refused);
  await shot(page, 'service-edit-refused-1280');
  // ... and an edit within the rules goes through.
  await page.fill('#service-edit-name', 'E2E service, renamed');
  await page.fill('#service-edit-built_on', used.id);
  await page.locator('[data-testid=service-edit] button[type=submit]').click();
  await page.getByTestId('flash').filter({ hasText: 'changed' }).waitFor();
  assert.equal((await api('GET', `/services/${svc.id}`)).name, 'E2E service, renamed');
  living.service = svc.id;
  await page.context().close();
});

test('offering: an edit makes a new version, then it is retired from its page', async () => {
  const X = living.X ?? (await freshOrg('edit'));
  const svc =
    living.service ??
    (
      await api(
        'POST',
        '/services',
        { provider: X.id, name: 'E2E service', built_on: [], depends_on: [] },
        X.token,
      )
    ).id;
  const off = await api(
    'POST',
    '/offerings',
    {
      provider: X.id,
      service: svc,
      name: 'E2E offering',
      audience: 'public',
      goods: [],
      access: [],
      actions: [{ name: 'advise', effect: 'none' }],
      service_levels: [],
    },
    X.token,
  );
  const page = await newPage();
  await signIn(page, X.token);
  await page.goto(`${BASE}/#/offering/${off.id}`);
  await page.fill('#offering-edit-name', 'E2E offering v2');
  await page.fill(
    '#offering-edit-actions',
    JSON.stringify([
      { name: 'advise', effect: 'none' },
      { name: 'review', effect: 'none' },
    ]),
  );
  await page.locator('[data-testid=offering-edit] button[type=submit]').click();
  await page.getByTestId('flash').filter({ hasText: 'version 2' }).waitFor();
  const o2 = await api('GET', `/offerings/${off.id}`);
  assert.equal(o2.version, 2);
  assert.equal(o2.name, 'E2E offering v2');
  assert.equal(o2.actions.length, 2);
  await page
    .locator('[data-testid=offering-versions] > li[data-version="2"]')
    .filter({ hasText: /changed: .*name/ })
    .waitFor();
  // A malformed JSON field is caught before anything is sent.
  await page.fill('#offering-edit-price', '{"amount": ');
  await page.locator('[data-testid=offering-edit] button[type=submit]').click();
  await page
    .locator('[data-testid=offering-edit-result] .error')
    .filter({ hasText: 'not valid JSON' })
    .waitFor();
  assert.equal(await page.getAttribute('#offering-edit-price', 'aria-invalid'), 'true');

  await page.getByTestId('offering-retire').click();
  await page.getByTestId('offering-retire-confirm').click();
  await page.getByTestId('flash').filter({ hasText: 'retired' }).waitFor();
  assert.equal(await page.locator('h1 .status').innerText(), 'retired');
  assert.equal((await api('GET', `/offerings/${off.id}`)).status, 'retired');
  await page.goto(`${BASE}/#/org/${X.id}`);
  await page
    .locator(
      `[data-testid=org-offerings] tr:has(a[data-id="${off.id}"]) .status[data-status=retired]`,
    )
    .waitFor();
  await page.context().close();
});

test('consumer group page: rename and add a member by form, remove one by its button', async () => {
  const X = living.X ?? (await freshOrg('edit'));
  const orgs = await all('organizations');
  const [m1, m2] = orgs.filter((o) => o.id !== X.id && o.status !== 'closed');
  const g = await api(
    'POST',
    '/consumer-groups',
    { name: 'E2E group', owner: X.id, members: [m1.id] },
    X.token,
  );
  const page = await newPage();
  await signIn(page, X.token);
  await page.goto(`${BASE}/#/org/${X.id}`);
  await page.locator(`[data-testid=org-groups] a[data-id="${g.id}"]`).click();
  await page.locator('[data-testid=group-members]').waitFor();
  await page.fill('#group-edit-name', 'E2E group, renamed');
  await page.fill('#group-edit-add', m2.id);
  await page.locator('[data-testid=group-edit] button[type=submit]').click();
  await page.getByTestId('flash').filter({ hasText: 'changed' }).waitFor();
  await page.locator(`[data-testid=group-members] a[data-id="${m2.id}"]`).waitFor();
  let got = await api('GET', `/consumer-groups/${g.id}`);
  assert.equal(got.name, 'E2E group, renamed');
  assert.deepEqual(got.members.slice().sort(), [m1.id, m2.id].sort());
  await page.locator(`button[data-remove="${m1.id}"]`).click();
  await page.getByTestId('flash').filter({ hasText: 'left the group' }).waitFor();
  got = await api('GET', `/consumer-groups/${g.id}`);
  assert.deepEqual(got.members, [m2.id]);
  await shot(page, 'group-1280');
  await page.context().close();
});

test('resource version picker: choosing a version redraws the lineage graph and table as of it', async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  // The demo resource with the most versions made by provisions.
  const resources = (await all('resources'))
    .filter((r) => r.version > 1)
    .sort((a, b) => b.version - a.version);
  let target = null;
  for (const r of resources) {
    const v = await api('GET', `/resources/${r.id}/versions`);
    if (v.items.filter((x) => x.provision).length >= 2) {
      target = r;
      break;
    }
  }
  target ??= resources[0];
  const lineageIds = async (version) => {
    const l = await api('GET', `/resources/${target.id}/lineage?version=${version}`);
    const ids = new Set([target.id]);
    for (const k of [
      'provisions',
      'resources',
      'services',
      'offerings',
      'relationships',
      'organizations',
    ])
      for (const x of l[k]) if (x.id) ids.add(x.id);
    return [...ids].sort();
  };
  await page.goto(`${BASE}/#/resource/${target.id}`);
  // The picker starts with the latest version alone and gets the others
  // once the versions have loaded: wait for the first one.
  await page.locator('#lineage-version option[value="1"]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('#lineage-version option').count(), target.version);
  assert.equal(await page.inputValue('#lineage-version'), String(target.version));
  const latest = await graphAndTableIds(page, 'Lineage');
  assert.deepEqual(latest.tableIds, await lineageIds(target.version));

  await page.selectOption('#lineage-version', '1');
  await page.locator('[data-testid=lineage-summary][data-version="1"]').waitFor();
  const v1 = await graphAndTableIds(page, 'Lineage');
  const want = await lineageIds(1);
  assert.deepEqual(v1.tableIds, want, 'the table is the lineage of version 1');
  assert.deepEqual(v1.graphIds, want, 'the graph is the lineage of version 1');
  assert.notDeepEqual(
    want,
    latest.tableIds,
    `the lineage of ${target.id} as of version 1 is not the latest one`,
  );
  await shot(page, 'resource-version-1-1280');
  await page.context().close();
});

test('tokens page: the admin issues one (secret shown once), a member sees its own, revokes one; a viewer is told no', async () => {
  const X = living.X ?? (await freshOrg('edit'));
  const page = await newPage();
  await signIn(page, ADMIN);
  await page.locator('nav a[data-nav=tokens]').click();
  await page.locator('[data-testid=tokens]').waitFor();
  const listed = (await api('GET', '/tokens?limit=1000')).items;
  assert.equal(await page.locator('[data-testid=tokens] tbody tr').count(), listed.length);
  await page.fill('#token-org', X.id);
  await page.selectOption('#token-role', 'member');
  await page.fill('#token-expires', '3600');
  await page.locator('[data-testid=token-issue] button[type=submit]').click();
  const secret = await page.getByTestId('token-secret').inputValue();
  assert.ok(secret.length >= 20, 'the secret is shown');
  assert.equal((await api('GET', '/me', undefined, secret)).organization, X.id);
  const issued = (await api('GET', '/tokens?limit=1000')).items.find(
    (t) => t.organization === X.id && t.expires_at,
  );
  assert.ok(issued, 'the new token is listed, with its expiry');
  await page.locator(`[data-testid=tokens] tr[data-token="${issued.id}"]`).waitFor();
  assert.ok(
    !(await page.locator('[data-testid=tokens]').innerText()).includes(secret),
    'the list never shows a secret',
  );
  await shot(page, 'tokens-admin-1280');
  await page.context().close();

  // A member sees its organization's tokens only, and revokes one (two clicks).
  const member = await newPage();
  await signIn(member, X.token);
  await member.goto(`${BASE}/#/tokens`);
  await member.locator('[data-testid=tokens]').waitFor();
  const orgsShown = await member
    .locator('[data-testid=tokens] tbody tr td:nth-child(2) a')
    .evaluateAll((as) => as.map((a) => a.dataset.id));
  assert.ok(
    orgsShown.length >= 2 && orgsShown.every((o) => o === X.id),
    `only ${X.id}'s tokens: ${orgsShown}`,
  );
  assert.equal(await member.getByTestId('token-issue').count(), 0, 'no issue form for a member');
  const button = member.locator(`button[data-revoke="${issued.id}"]`);
  await button.click();
  await button.click();
  await member.getByTestId('revoke-result').filter({ hasText: 'revoked' }).waitFor();
  await member
    .locator(`[data-testid=tokens] tr[data-token="${issued.id}"]`)
    .waitFor({ state: 'detached' });
  const after = await fetch(`${BASE}/api/v1/me`, {
    headers: { Authorization: `Bearer ${secret}` },
  });
  assert.equal(after.status, 401, 'a revoked token is refused');
  await member.context().close();

  // A viewer may not list tokens: told so in words.
  const viewer = await newPage();
  await signIn(viewer, await tokenFor(X.id, 'viewer'));
  await viewer.goto(`${BASE}/#/tokens`);
  const err = viewer.getByTestId('tokens-error');
  await err.waitFor();
  assert.match(await err.innerText(), /403/);
  await viewer.context().close();
});

test('degraded: a consumer that loses access sees its service degraded, with what broke it; the map marks it (and closed organizations)', async () => {
  // Setup (API): P offers access to a resource; C builds a service on it; P suspends.
  const P = await freshOrg('provider');
  const C = await freshOrg('consumer');
  const res = await api(
    'POST',
    '/resources',
    { owner: P.id, kind: 'technology', name: 'E2E shared database', attributes: {} },
    P.token,
  );
  const psvc = await api(
    'POST',
    '/services',
    { provider: P.id, name: 'E2E database service', built_on: [res.id], depends_on: [] },
    P.token,
  );
  const off = await api(
    'POST',
    '/offerings',
    {
      provider: P.id,
      service: psvc.id,
      name: 'E2E database access',
      audience: 'public',
      goods: [],
      access: [{ resource: res.id }],
      actions: [{ name: 'operate', effect: 'none' }],
      service_levels: [],
    },
    P.token,
  );
  const rel = await api(
    'POST',
    '/relationships',
    { offering: off.id, consumer: C.id, type: 'basic' },
    C.token,
  );
  await api('POST', `/relationships/${rel.id}/activate`, {}, P.token);
  const csvc = await api(
    'POST',
    '/services',
    { provider: C.id, name: 'E2E app on the shared database', built_on: [res.id], depends_on: [] },
    C.token,
  );
  await api('POST', `/relationships/${rel.id}/suspend`, {}, P.token);
  const degraded = await api('GET', `/services/${csvc.id}`, undefined, C.token);
  assert.equal(degraded.status, 'degraded', 'the API degrades the service (setup)');

  const page = await newPage();
  await signIn(page, C.token);
  await page.goto(`${BASE}/#/org/${C.id}`);
  const row = page.locator(`[data-testid=org-services] tr:has(a[data-id="${csvc.id}"])`);
  await row.locator('.status[data-status=degraded]').waitFor();
  const why = row.getByTestId('degraded-by');
  await why.locator(`a[href="#/resource/${res.id}"]`).waitFor();
  await why.locator(`a[href="#/relationship/${rel.id}"]`).waitFor();
  assert.match(await page.getByTestId('org-degraded-note').innerText(), /1 degraded service/);
  await shot(page, 'organization-degraded-1280');
  // The service's own page says why too.
  await page.goto(`${BASE}/#/service/${csvc.id}`);
  await page.locator(`[data-testid=degraded-by] a[href="#/resource/${res.id}"]`).waitFor();
  await page.context().close();

  // The admin's map marks C (class, table) and not P.
  const admin = await newPage();
  await signIn(admin, ADMIN);
  await admin.waitForFunction(() => window.__mapRenderMs !== undefined);
  await admin.waitForFunction((id) => window.__cy.getElementById(id).hasClass('degraded'), C.id);
  assert.equal(
    await admin.evaluate((id) => window.__cy.getElementById(id).hasClass('degraded'), P.id),
    false,
  );
  if (living.closed)
    assert.ok(
      await admin.evaluate(
        (id) => window.__cy.getElementById(id).hasClass('closed'),
        living.closed,
      ),
      'a closed organization is marked too',
    );
  const { tableIds } = await graphAndTableIds(admin, 'Ecosystem map');
  assert.ok(tableIds.includes(C.id));
  assert.match(await admin.locator(`tr[data-node-id="${C.id}"]`).innerText(), /1 degraded service/);
  await admin.locator('details.graph-alt summary').click();
  await shot(admin, 'map-degraded-1280');
  await admin.context().close();

  // Access back: the service is active again, and the page says so.
  await api('POST', `/relationships/${rel.id}/resume`, {}, P.token);
  assert.equal((await api('GET', `/services/${csvc.id}`, undefined, C.token)).status, 'active');
});

// ---- Service relationship management (CONTRACT §6): agreements, service levels, requests,
// value both ways, people in roles, breaches, value chains ----

const srm = {};

/** P provides C a service with two service levels and two actions; C provides D: the chain P → C → D. */
async function srmWorld() {
  if (srm.rel) return srm;
  const P = await freshOrg('srm-provider');
  const C = await freshOrg('srm-consumer');
  const D = await freshOrg('srm-downstream');
  const res = await api(
    'POST',
    '/resources',
    { owner: P.id, kind: 'technology', name: 'E2E helpdesk platform', attributes: {} },
    P.token,
  );
  const svc = await api(
    'POST',
    '/services',
    { provider: P.id, name: 'E2E helpdesk', built_on: [res.id], depends_on: [] },
    P.token,
  );
  const off = await api(
    'POST',
    '/offerings',
    {
      provider: P.id,
      service: svc.id,
      name: 'E2E managed helpdesk',
      audience: 'public',
      goods: [{ kind: 'technology', name: 'Mailbox' }],
      access: [{ resource: res.id }],
      actions: [
        { name: 'reset-password', effect: 'none' },
        { name: 'add-mailbox', effect: 'create' },
      ],
      service_levels: [
        { metric: 'availability', objective: 99.9, unit: 'percent', target: 'at_least' },
        { metric: 'response-time', objective: 4, unit: 'hours', target: 'at_most' },
      ],
      price: { amount: 1250.5, currency: 'EUR', period: 'month' },
    },
    P.token,
  );
  const rel = await api(
    'POST',
    '/relationships',
    { offering: off.id, consumer: C.id, type: 'basic' },
    C.token,
  );
  await api('POST', `/relationships/${rel.id}/activate`, {}, P.token);
  // Downstream: C serves D with a service that depends on what it gets from P.
  const csvc = await api(
    'POST',
    '/services',
    { provider: C.id, name: 'E2E office IT', built_on: [res.id], depends_on: [] },
    C.token,
  );
  const coff = await api(
    'POST',
    '/offerings',
    {
      provider: C.id,
      service: csvc.id,
      name: 'E2E office IT for D',
      audience: 'public',
      goods: [],
      access: [],
      actions: [{ name: 'advise', effect: 'none' }],
      service_levels: [],
    },
    C.token,
  );
  const rel2 = await api(
    'POST',
    '/relationships',
    { offering: coff.id, consumer: D.id, type: 'basic' },
    D.token,
  );
  await api('POST', `/relationships/${rel2.id}/activate`, {}, C.token);
  Object.assign(srm, { P, C, D, offering: off, rel: rel.id, rel2: rel2.id });
  return srm;
}

/** The raw text of an API answer (to compare amounts digit for digit). */
async function rawText(path, token = ADMIN) {
  const res = await fetch(`${BASE}/api/v1${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.ok(res.ok, `${path}: ${res.status}`);
  return res.text();
}

test('requests: the consumer opens one in the UI, the provider fulfils it by clicking; a cancel and a decline', async () => {
  const { P, C, rel } = await srmWorld();
  const cp = await newPage();
  await signIn(cp, C.token);
  await cp.goto(`${BASE}/#/relationship/${rel}`);
  await cp.getByTestId('request-open').waitFor();
  await cp.selectOption('#request-action', 'reset-password');
  await cp.fill('#request-note', 'Locked out of the mailbox');
  await cp.getByRole('button', { name: 'Open request' }).click();
  await cp.getByTestId('requests-section-message').filter({ hasText: 'opened' }).waitFor();
  const item = cp.locator('[data-testid=requests] li[data-status=open]');
  await item.first().waitFor();
  assert.equal(await item.count(), 1);
  const reqId = await item.first().getAttribute('data-request');
  let req = await api('GET', `/requests/${reqId}`);
  assert.equal(req.status, 'open');
  assert.equal(req.action, 'reset-password');
  assert.equal(req.consumer, C.id);
  // The consumer may cancel, not fulfil.
  assert.equal(await item.first().locator('button[data-request-move=fulfil]').count(), 0);
  assert.equal(await item.first().locator('button[data-request-move=cancel]').count(), 1);

  const pp = await newPage();
  await signIn(pp, P.token);
  await pp.goto(`${BASE}/#/relationship/${rel}`);
  const row = pp.locator(`[data-testid=requests] li[data-request="${reqId}"]`);
  await row.waitFor();
  assert.equal(
    await row.locator('button[data-request-move=cancel]').count(),
    0,
    'the provider may not cancel',
  );
  await row.locator('button[data-request-move=fulfil]').click();
  await pp
    .locator(`[data-testid=requests] li[data-request="${reqId}"][data-status=fulfilled]`)
    .waitFor();
  req = await api('GET', `/requests/${reqId}`);
  assert.equal(req.status, 'fulfilled');
  assert.ok(req.provision, 'the request names the provision that fulfilled it');
  const prov = await api('GET', `/provisions/${req.provision}`);
  assert.equal(prov.action, 'reset-password');
  assert.equal(prov.relationship, rel);
  await pp.locator(`[data-testid=provisions] li[data-provision="${req.provision}"]`).waitFor();
  await pp
    .locator(`[data-testid=requests] li[data-request="${reqId}"] a[data-id="${req.provision}"]`)
    .waitFor();
  assert.match(await pp.getByTestId('requests-summary').innerText(), /fulfilled\s*1/);

  // Two more: the consumer cancels one, the provider declines the other with a reason.
  const r2 = await api(
    'POST',
    `/relationships/${rel}/requests`,
    { action: 'reset-password', note: 'never mind' },
    C.token,
  );
  const r3 = await api(
    'POST',
    `/relationships/${rel}/requests`,
    { action: 'add-mailbox', note: 'for the intern' },
    C.token,
  );
  await cp.reload(); // the same route: read it again
  await cp.locator(`li[data-request="${r2.id}"] button[data-request-move=cancel]`).click();
  await cp.locator(`li[data-request="${r2.id}"][data-status=cancelled]`).waitFor();
  await pp.reload();
  await pp.locator(`li[data-request="${r3.id}"] input[data-reason]`).fill('no budget this quarter');
  await pp.locator(`li[data-request="${r3.id}"] button[data-request-move=decline]`).click();
  await pp.locator(`li[data-request="${r3.id}"][data-status=declined]`).waitFor();
  assert.equal((await api('GET', `/requests/${r2.id}`)).status, 'cancelled');
  const declined = await api('GET', `/requests/${r3.id}`);
  assert.equal(declined.status, 'declined');
  assert.equal(declined.reason, 'no budget this quarter');
  // The queue: nothing open is left, and the closed ones come newest first.
  assert.deepEqual(
    await pp
      .locator('[data-testid=requests] > li')
      .evaluateAll((ls) => ls.map((l) => l.dataset.request)),
    [r3.id, r2.id, reqId],
  );
  await shotOf(pp.getByTestId('requests-section'), 'relationship-requests-1280');
  await cp.context().close();
  await pp.context().close();
});

test('requests view: the provider sees what waits for it and follows it to fulfil; the consumer and the admin see it too', async () => {
  const { P, C, rel } = await srmWorld();
  const open = await api(
    'POST',
    `/relationships/${rel}/requests`,
    { action: 'reset-password', note: 'From the requests view' },
    C.token,
  );
  const later = await api(
    'POST',
    `/relationships/${rel}/requests`,
    { action: 'add-mailbox', note: 'for the new hire' },
    C.token,
  );

  // The provider: Requests in the navigation, what waits for it (open, oldest first).
  const pp = await newPage();
  await signIn(pp, P.token);
  await pp.locator('nav a[data-nav=requests]').click();
  await pp.waitForURL(/#\/requests$/);
  const waiting = pp.getByTestId('requests-provider-list');
  await waiting.locator(`li[data-request="${open.id}"][data-status=open]`).waitFor();
  const expected = (
    await api('GET', '/requests?as=provider&status=open&limit=1000', undefined, P.token)
  ).items.map((r) => r.id);
  assert.deepEqual(
    await waiting.locator('> li').evaluateAll((ls) => ls.map((l) => l.dataset.request)),
    expected,
    'the open requests asked of P, oldest first',
  );
  assert.deepEqual(expected.slice(-2), [open.id, later.id]);
  const row = waiting.locator(`li[data-request="${open.id}"]`);
  assert.match(await row.innerText(), /reset-password/);
  assert.match(await row.innerText(), /waiting \d/);
  assert.match(await row.innerText(), /From the requests view/);
  await row.locator(`a[data-id="${C.id}"]`).waitFor(); // who asked
  assert.equal(
    await pp.getByTestId('requests-consumer-none').count(),
    1,
    'P asked nothing as consumer',
  );
  await shot(pp, 'requests-provider-1280');

  // Follow it to the relationship's queue, where it is marked, and fulfil it there.
  await row.locator(`a[data-act="${open.id}"]`).click();
  await pp.waitForURL(new RegExp(`#/relationship/${rel}\\?request=${open.id}$`));
  const queued = pp.locator(`[data-testid=requests] li.wanted[data-request="${open.id}"]`);
  await queued.waitFor();
  await queued.locator('button[data-request-move=fulfil]').click();
  await pp
    .locator(`[data-testid=requests] li[data-request="${open.id}"][data-status=fulfilled]`)
    .waitFor();
  assert.equal((await api('GET', `/requests/${open.id}`)).status, 'fulfilled');

  // Back in the Requests view: it no longer waits; the status filter finds it fulfilled.
  await pp.goto(`${BASE}/#/requests`);
  await pp
    .getByTestId('requests-provider-list')
    .locator(`li[data-request="${later.id}"]`)
    .waitFor();
  assert.equal(
    await pp.locator(`[data-testid=requests-provider-list] li[data-request="${open.id}"]`).count(),
    0,
  );
  await pp.selectOption('#requests-status', 'fulfilled');
  await pp.waitForURL(/#\/requests\?status=fulfilled$/);
  await pp
    .getByTestId('requests-provider-list')
    .locator(`li[data-request="${open.id}"][data-status=fulfilled] a[data-id]`)
    .first()
    .waitFor();

  // The consumer sees what it asked for; it may cancel an open one in the queue.
  const cp = await newPage();
  await signIn(cp, C.token);
  await cp.goto(`${BASE}/#/requests?status=all`);
  const asked = cp.getByTestId('requests-consumer-list');
  await asked.locator(`li[data-request="${open.id}"][data-status=fulfilled]`).waitFor();
  const laterRow = asked.locator(`li[data-request="${later.id}"][data-status=open]`);
  assert.match(await laterRow.locator('a[data-act]').innerText(), /^Cancel/);
  const mine = (await api('GET', '/requests?as=consumer&limit=1000', undefined, C.token)).total;
  assert.match(
    await cp.getByTestId('requests-consumer-count').innerText(),
    new RegExp(`^${mine} request`),
  );
  await shot(cp, 'requests-consumer-1280');

  // The admin: one list of every request.
  const ap = await newPage();
  await signIn(ap, ADMIN);
  await ap.goto(`${BASE}/#/requests`);
  await ap.getByTestId('requests-all-list').locator(`li[data-request="${later.id}"]`).waitFor();
  assert.equal(await ap.getByTestId('requests-provider').count(), 0);

  await api('POST', `/requests/${later.id}/cancel`, {}, C.token); // leave nothing open
  for (const p of [pp, cp, ap]) await p.context().close();
});

test('service levels: a breach recorded through the API is marked on the chart; one recorded in the form too', async () => {
  const { P, C, rel } = await srmWorld();
  const m = (metric, value, month) =>
    api(
      'POST',
      `/relationships/${rel}/measurements`,
      {
        metric,
        value,
        period: { start: `2026-0${month}-01T00:00:00Z`, end: `2026-0${month}-28T00:00:00Z` },
      },
      P.token,
    );
  assert.equal((await m('availability', 99.95, 1)).met, true);
  const breach = await m('availability', 99.5, 2);
  assert.equal(breach.met, false, 'setup: 99.5 misses 99.9');
  assert.equal((await m('availability', 99.99, 3)).met, true);
  assert.equal((await m('response-time', 3, 1)).met, true);

  const page = await newPage();
  await signIn(page, C.token);
  await page.goto(`${BASE}/#/relationship/${rel}`);
  const chart = page.locator('figure.sl-chart[data-metric=availability]');
  await chart.locator('canvas').first().waitFor();
  assert.equal(await chart.getAttribute('data-points'), '3');
  assert.equal(await chart.getAttribute('data-breaches'), '1');
  assert.ok(
    (await chart
      .locator('canvas')
      .first()
      .evaluate((c) => c.width)) > 200,
    'the chart is drawn',
  );
  assert.match(await chart.locator('figcaption').innerText(), /1 breach marked in red/);
  assert.equal(
    await page
      .locator('figure.sl-chart[data-metric="response-time"]')
      .getAttribute('data-breaches'),
    '0',
  );
  assert.equal(await page.locator('[data-testid=sl-breaches] tbody tr').count(), 1);
  assert.match(
    await page.locator('[data-testid=sl-breaches] tbody tr').innerText(),
    /99\.5 percent/,
  );
  const summary = await api('GET', `/relationships/${rel}/service-levels`, undefined, C.token);
  const avail = summary.items.find((x) => x.metric === 'availability');
  assert.equal(avail.breaches.length, 1);
  assert.equal(
    await page.locator('.attainment[data-metric=availability]').getAttribute('data-attainment'),
    String(avail.attainment),
  );
  assert.match(await page.locator('.attainment[data-metric=availability]').innerText(), /66\.7 %/);

  // The consumer records a miss in the form: a second red mark.
  await page.selectOption('#measure-metric', 'availability');
  await page.fill('#measure-value', '98');
  await page.fill('#measure-start', '2026-04-01T00:00');
  await page.fill('#measure-end', '2026-04-28T00:00');
  await page.getByRole('button', { name: 'Record measurement' }).click();
  await page.getByTestId('levels-section-message').filter({ hasText: 'breach' }).waitFor();
  await page
    .locator('figure.sl-chart[data-metric=availability][data-breaches="2"] canvas')
    .first()
    .waitFor();
  assert.equal(await page.locator('[data-testid=sl-breaches] tbody tr').count(), 2);
  const items = (
    await api('GET', `/relationships/${rel}/measurements?metric=availability`, undefined, C.token)
  ).items;
  const recorded = items.find((x) => x.value === 98);
  assert.ok(recorded, 'the form recorded the measurement');
  assert.equal(recorded.period.end, '2026-04-28T00:00:00Z', 'times typed are UTC');
  assert.equal(recorded.by, C.id);
  // A metric outside the agreement is refused by the server (422 unknown_metric), not by guessing.
  await shotOf(page.getByTestId('levels-section'), 'relationship-service-levels-1280');
  await page.context().close();
});

test('agreement: a proposal made in the UI and accepted in the UI changes the relationship type; a price stays exact', async () => {
  const { P, C, rel } = await srmWorld();
  const pp = await newPage();
  await signIn(pp, P.token);
  await pp.goto(`${BASE}/#/relationship/${rel}`);
  await pp.getByTestId('propose').waitFor();
  assert.equal(await pp.getByTestId('rel-type').innerText(), 'basic');
  await pp.selectOption('#propose-type', 'partnership');
  await pp.fill('#propose-price-amount', '123456789012345.1234');
  await pp.fill('#propose-note', 'Let us grow together');
  await pp.getByRole('button', { name: 'Propose' }).click();
  const open = pp.locator('[data-testid=proposals-open] li[data-status=open]');
  await open.first().waitFor();
  const propId = await open.first().getAttribute('data-proposal');
  const prop = await api('GET', `/relationships/${rel}/proposals`).then((x) =>
    x.items.find((p) => p.id === propId),
  );
  assert.equal(prop.by, P.id);
  assert.deepEqual(
    Object.keys(prop.changes).sort(),
    ['price', 'type'],
    'only the terms changed are proposed',
  );
  assert.ok(
    (await rawText(`/relationships/${rel}/proposals`)).includes('"amount":123456789012345.1234'),
    'the amount went out digit for digit',
  );
  // The proposer may withdraw, not accept.
  assert.deepEqual(
    await open
      .first()
      .locator('button[data-proposal-move]')
      .evaluateAll((bs) => bs.map((b) => b.dataset.proposalMove)),
    ['withdraw'],
  );

  const cp = await newPage();
  await signIn(cp, C.token);
  await cp.goto(`${BASE}/#/relationship/${rel}`);
  const mine = cp.locator(`[data-testid=proposals-open] li[data-proposal="${propId}"]`);
  await mine.waitFor();
  assert.match(await mine.innerText(), /type → partnership/);
  assert.match(await mine.innerText(), /123456789012345\.1234 EUR per month/);
  await mine.locator('button[data-proposal-move=accept]').click();
  await cp.getByTestId('rel-type').filter({ hasText: 'partnership' }).waitFor();
  await cp.locator('[data-testid=agreement][data-version="2"]').waitFor();
  assert.equal(await cp.getByTestId('agreement-type').innerText(), 'partnership');
  assert.equal(
    await cp.getByTestId('agreement-price').innerText(),
    '123456789012345.1234 EUR per month',
  );
  assert.equal(await cp.locator('[data-testid=agreement-versions] > li').count(), 2);
  assert.match(
    await cp.locator('[data-testid=agreement-versions] > li[data-version="2"]').innerText(),
    /changed: type, price/,
  );
  assert.equal((await api('GET', `/relationships/${rel}`)).type, 'partnership');
  assert.equal((await api('GET', `/relationships/${rel}/agreement`)).version, 2);
  await shotOf(cp.getByTestId('agreement-section'), 'relationship-agreement-1280');

  // A second proposal, withdrawn by its proposer in the UI.
  const p2 = await api('POST', `/relationships/${rel}/proposals`, { renewal: 'auto' }, P.token);
  await pp.reload();
  await pp.locator(`li[data-proposal="${p2.id}"] button[data-proposal-move=withdraw]`).click();
  await pp
    .locator(`[data-testid=proposals-closed] li[data-proposal="${p2.id}"][data-status=withdrawn]`)
    .waitFor({ state: 'attached' });
  assert.equal(
    (await api('GET', `/relationships/${rel}/proposals`)).items.find((p) => p.id === p2.id).status,
    'withdrawn',
  );
  await pp.context().close();
  await cp.context().close();
});

test('value both ways and people in roles on the relationship page', async () => {
  const { P, C, rel } = await srmWorld();
  await api(
    'POST',
    `/relationships/${rel}/value`,
    {
      outcomes: ['Fewer lost hours'],
      costs: [{ amount: 310.25, currency: 'EUR', kind: 'introduced' }],
    },
    P.token,
  );
  const person = await api(
    'POST',
    `/organizations/${C.id}/people`,
    { name: 'E2E Sam Sponsor', email: 'sam@example.test' },
    C.token,
  );
  const page = await newPage();
  await signIn(page, C.token);
  await page.goto(`${BASE}/#/relationship/${rel}`);
  // The consumer states its own value: an exact amount, an outcome, a risk.
  await page.getByTestId('value-state').waitFor();
  await page.fill('#value-outcomes', 'Staff back at work within the hour');
  await page.fill('#value-cost-amount-0', '4200.0001');
  await page.selectOption('#value-cost-kind-0', 'removed');
  await page.fill('#value-risk-0', 'Depends on one helpdesk vendor');
  await page.getByRole('button', { name: 'State value' }).click();
  await page.getByTestId('value-section-message').filter({ hasText: 'as the consumer' }).waitFor();
  const table = page.getByTestId('value-compare');
  const cell = (side, row) => table.locator(`tr[data-row="${row}"] td[data-side="${side}"]`);
  // Each column shows what the server answers for that party, amounts as it writes them.
  const raw = await rawText(`/relationships/${rel}/value`, C.token);
  const v = JSON.parse(raw);
  const removedLiteral = /"consumer_stated":\{.*?"removed":\{"EUR":([-0-9.]+)\}/.exec(raw)?.[1];
  assert.equal(removedLiteral, '4200.0001');
  assert.equal(await cell('consumer', 'costs-removed').innerText(), '4200.0001 EUR');
  assert.match(
    await cell('consumer', 'outcomes').innerText(),
    /Staff back at work within the hour/,
  );
  assert.match(
    await cell('consumer', 'risks-introduced').innerText(),
    /Depends on one helpdesk vendor/,
  );
  assert.match(await cell('provider', 'outcomes').innerText(), /Fewer lost hours/);
  assert.match(
    await cell('provider', 'count').innerText(),
    new RegExp(`${v.provider_stated.provisions} provision`),
  );
  assert.match(await cell('provider', 'costs-introduced').innerText(), /310\.25 EUR/);
  await shotOf(page.getByTestId('value-section'), 'relationship-value-1280');

  // Roles: the consumer makes its person sponsor, then takes it back.
  await page.selectOption('#role-person', person.id);
  await page.selectOption('#role-role', 'sponsor');
  await page.getByRole('button', { name: 'Assign' }).click();
  await page.locator(`[data-testid=roles] [data-person="${person.id}"]`).waitFor();
  let roles = await api('GET', `/relationships/${rel}/roles`, undefined, P.token);
  assert.deepEqual(
    roles.items.map((r) => [r.person, r.role, r.organization]),
    [[person.id, 'sponsor', C.id]],
  );
  assert.equal(
    await page.locator('#role-role option').evaluateAll((os) => os.map((o) => o.value).join(',')),
    'customer,user,sponsor',
  );
  await shotOf(page.getByTestId('roles-section'), 'relationship-roles-1280');
  // The provider sees the person by name, and may not unassign the consumer's people.
  const pp = await newPage();
  await signIn(pp, P.token);
  await pp.goto(`${BASE}/#/relationship/${rel}`);
  await pp
    .locator(`[data-testid=roles] [data-person="${person.id}"]`)
    .filter({ hasText: 'E2E Sam Sponsor' })
    .waitFor();
  assert.equal(await pp.locator(`button[data-unassign="${person.id}/sponsor"]`).count(), 0);
  await pp.context().close();
  await page.locator(`button[data-unassign="${person.id}/sponsor"]`).click();
  await page.getByTestId('roles-empty').waitFor();
  roles = await api('GET', `/relationships/${rel}/roles`, undefined, P.token);
  assert.equal(roles.items.length, 0);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'relationship-390');
  await page.context().close();
});

test('organization page: people (added in the UI), breaches that reached it, value over a chosen period', async () => {
  const { P, C, rel } = await srmWorld();
  // Setup (API): one more breach and one more statement of value, in 2026.
  await api(
    'POST',
    `/relationships/${rel}/measurements`,
    {
      metric: 'availability',
      value: 97,
      period: { start: '2026-05-01T00:00:00Z', end: '2026-05-28T00:00:00Z' },
    },
    P.token,
  );
  await api(
    'POST',
    `/relationships/${rel}/value`,
    {
      outcomes: ['Audit passed'],
      period: { start: '2026-05-01T00:00:00Z', end: '2026-05-28T00:00:00Z' },
    },
    P.token,
  );
  const cleo = await api(
    'POST',
    `/organizations/${C.id}/people`,
    { name: 'E2E Cleo Customer' },
    C.token,
  );
  await api('POST', `/relationships/${rel}/roles`, { person: cleo.id, role: 'customer' }, C.token);
  const page = await newPage();
  const roleLookups = [];
  page.on('request', (r) => {
    if (/\/api\/v1\/relationships\/[^/]+\/roles/.test(r.url())) roleLookups.push(r.url());
  });
  await signIn(page, C.token);
  await page.goto(`${BASE}/#/org/${C.id}`);
  await page.getByTestId('person-new').waitFor();
  await page.fill('#person-new-name', 'E2E Uma User');
  await page.fill('#person-new-email', 'uma@example.test');
  await page.locator('[data-testid=person-new] button[type=submit]').click();
  await page.getByTestId('org-people-section-message').filter({ hasText: 'added' }).waitFor();
  const people = (await api('GET', `/organizations/${C.id}/people`, undefined, C.token)).items;
  const uma = people.find((p) => p.name === 'E2E Uma User');
  assert.ok(uma, 'the person was created');
  assert.equal(uma.organization, C.id);
  assert.equal(await page.locator('[data-testid=org-people] tbody tr').count(), people.length);
  await page.locator(`[data-testid=org-people] [data-person="${uma.id}"]`).waitFor();
  // Each person with the roles it holds, as the person answers them (`roles`): no
  // relationship is asked for its roles.
  const cleoAnswer = people.find((p) => p.id === cleo.id);
  assert.deepEqual(
    cleoAnswer.roles.map((x) => [x.relationship, x.role]),
    [[rel, 'customer']],
  );
  const cleoRow = page.locator(`[data-testid=org-people] tr:has([data-person="${cleo.id}"])`);
  assert.match(await cleoRow.innerText(), /customer on/);
  await cleoRow
    .locator(`li[data-relationship="${rel}"][data-role=customer] a[data-id="${rel}"]`)
    .waitFor();
  assert.deepEqual(roleLookups, [], 'the page asked no relationship for its roles');
  assert.match(
    await page.locator(`[data-testid=org-people] tr:has([data-person="${uma.id}"])`).innerText(),
    /none/,
  );

  // Breaches that reached C: those of the service levels test, as the server lists them.
  const breaches = await api('GET', `/organizations/${C.id}/breaches`, undefined, C.token);
  assert.ok(breaches.total >= 1, 'a breach reached the consumer');
  assert.equal(
    await page.locator('[data-testid=org-breaches] tbody tr').count(),
    breaches.items.length,
  );
  await page.locator(`[data-testid=org-breaches] a[data-id="${rel}"]`).first().waitFor();

  // Value: all time, then a period in the future (nothing in it), then all time again.
  const all = await api('GET', `/organizations/${C.id}/value`, undefined, C.token);
  const countCell = () =>
    page.locator('[data-testid=org-value] tr[data-row=count] td[data-side=received]');
  assert.match(
    await countCell().innerText(),
    new RegExp(`^${all.received.provisions} provisions?, ${all.received.statements} statements?$`),
  );
  assert.ok(all.received.provisions + all.received.statements > 0, 'C received value');
  await page.fill('#period-from', '2099-01-01T00:00');
  await page.fill('#period-to', '2099-12-31T23:59');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByTestId('org-value-period').filter({ hasText: '2099-01-01' }).waitFor();
  assert.ok(
    page.url().includes('from=2099-01-01T00%3A00%3A00Z'),
    `the period is in the route: ${page.url()}`,
  );
  const future = await api(
    'GET',
    `/organizations/${C.id}/value?from=2099-01-01T00:00:00Z&to=2099-12-31T23:59:00Z`,
    undefined,
    C.token,
  );
  assert.equal(future.received.provisions + future.received.statements, 0);
  await countCell()
    .filter({ hasText: /^0 provisions, 0 statements$/ })
    .waitFor();
  await page.getByTestId('org-breaches-none').waitFor();
  await page.getByTestId('period-all').click();
  await countCell()
    .filter({ hasText: new RegExp(`^${all.received.provisions} provision`) })
    .waitFor();
  await page.locator('[data-testid=org-breaches] tbody tr').first().waitFor();
  await shotOf(page.getByTestId('org-people-section'), 'organization-people-1280');
  await shotOf(page.getByTestId('org-value-section'), 'organization-value-1280');
  await shotOf(page.getByTestId('org-breaches-section'), 'organization-breaches-1280');
  await page.context().close();
});

test('value chains: from provider to the consumer downstream, the value on each hop', async () => {
  const { P, C, D, rel, rel2 } = await srmWorld();
  const expected = await api('GET', `/chains?from=${P.id}&to=${D.id}&value=true`);
  assert.ok(expected.items.length >= 1, 'setup: a chain P → C → D');
  const page = await newPage();
  await signIn(page, ADMIN);
  await page.locator('nav a[data-nav=chains]').click();
  await page.fill('#chain-from', P.id);
  await page.fill('#chain-to', D.id);
  await page.getByRole('button', { name: 'Show chains' }).click();
  await page.getByTestId('chains').waitFor();
  assert.equal(await page.locator('[data-testid=chains] > li').count(), expected.items.length);
  const first = page.locator('[data-testid=chains] > li[data-chain="0"]');
  assert.deepEqual(
    await first.locator('li.chain-org').evaluateAll((ls) => ls.map((l) => l.dataset.org)),
    [P.id, C.id, D.id],
  );
  assert.deepEqual(
    await first.locator('li.chain-hop').evaluateAll((ls) => ls.map((l) => l.dataset.relationship)),
    [rel, rel2],
  );
  // Each hop shows both parties' statements; the first hop carries what was stated above.
  const hop = first.locator(`li.chain-hop[data-relationship="${rel}"]`);
  assert.match(
    await hop.locator('dd[data-side=provider_stated]').innerText(),
    /costs introduced: .*EUR/,
  );
  assert.match(
    await hop.locator('dd[data-side=consumer_stated]').innerText(),
    /costs removed: 4200\.0001 EUR/,
  );
  assert.match(
    await first
      .locator(`li.chain-hop[data-relationship="${rel2}"] dd[data-side=consumer_stated]`)
      .innerText(),
    /nothing stated/,
  );
  await shot(page, 'chains-1280');
  await page.context().close();
});

test(
  'the 5,000-organization map renders; time to first render and pan/zoom frames',
  { skip: !BIG },
  async () => {
    const page = await newPage();
    const t0 = Date.now();
    await page.goto(`${BIG}/#token=${encodeURIComponent(ADMIN)}`);
    await page.waitForFunction(() => window.__mapRenderMs !== undefined, null, {
      timeout: 120_000,
    });
    const renderMs = await page.evaluate(() => window.__mapRenderMs);
    await page.waitForFunction(() => window.__mapCompleteMs !== undefined, null, {
      timeout: 120_000,
    });
    const info = await page.evaluate(() => ({
      complete: window.__mapCompleteMs,
      timings: window.__mapTimings,
      nodes: window.__cy.nodes().length,
      edges: window.__cy.edges().length,
      clusters: window.__cy.nodes('[kind = "cluster"]').length,
    }));
    const orgs = (await api('GET', '/organizations?limit=1', undefined, ADMIN, BIG)).total;
    if (orgs <= 5000) assert.equal(info.nodes, orgs, 'every organization is a node');
    else assert.ok(info.clusters > 0, 'aggregated into clusters');
    // The nodes are spread over the map and the view shows them at a readable size (a layout
    // that puts every node at one point still has 5,000 nodes).
    const spread = await page.evaluate(() => {
      const cy = window.__cy;
      const bb = cy.nodes().boundingBox();
      return { w: bb.w * cy.zoom(), h: bb.h * cy.zoom(), width: cy.width(), height: cy.height() };
    });
    assert.ok(
      spread.w > spread.width / 4 || spread.h > spread.height / 4,
      `the map's nodes cover a visible area: ${JSON.stringify(spread)}`,
    );
    await shot(page, 'map-5000-1280');
    // Pan and zoom as a person does (wheel, drag), recording every frame's interval.
    await page.evaluate(() => {
      window.__frames = [];
      let last = performance.now();
      const tick = (now) => {
        window.__frames.push(now - last);
        last = now;
        if (window.__recording) requestAnimationFrame(tick);
      };
      window.__recording = true;
      requestAnimationFrame(tick);
    });
    const box = await page.locator('.graph').first().boundingBox();
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    for (let i = 0; i < 12; i++) {
      await page.mouse.wheel(0, -120);
      await page.waitForTimeout(30);
    }
    await page.mouse.down();
    for (let i = 0; i < 30; i++) await page.mouse.move(cx + i * 8, cy + i * 4, { steps: 1 });
    await page.mouse.up();
    for (let i = 0; i < 12; i++) {
      await page.mouse.wheel(0, 120);
      await page.waitForTimeout(30);
    }
    const frames = await page.evaluate(() => {
      window.__recording = false;
      return window.__frames.slice(1);
    });
    const sorted = frames.slice().sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    const mean = frames.reduce((a, b) => a + b, 0) / frames.length;
    Object.assign(figures, {
      map_5000: {
        organizations: orgs,
        nodes: info.nodes,
        edges: info.edges,
        first_render_ms: Math.round(renderMs),
        all_edges_ms: Math.round(info.complete),
        phases_ms: Object.fromEntries(
          Object.entries(info.timings ?? {}).map(([k, v]) => [k, Math.round(v)]),
        ),
        panzoom_frame_ms: {
          median: +q(0.5).toFixed(1),
          p95: +q(0.95).toFixed(1),
          mean: +mean.toFixed(1),
          fps: +(1000 / mean).toFixed(1),
          frames: frames.length,
        },
        wall_clock_to_complete_ms: Date.now() - t0,
      },
    });
    console.log('# figures', JSON.stringify(figures.map_5000));
    // Clusters: the same store in aggregated form, one cluster expanded on demand.
    await page.check('#f-cluster');
    await page.waitForFunction(() => window.__cy.nodes('[kind = "cluster"]').length > 0);
    const before = await page.evaluate(() => window.__cy.nodes().length);
    const firstCluster = await page.evaluate(() => window.__cy.nodes('[kind = "cluster"]')[0].id());
    await page.locator('details.graph-alt summary').click();
    await page.getByRole('button', { name: `Expand ${firstCluster}`, exact: true }).click();
    await page.waitForFunction((n) => window.__cy.nodes().length > n, before);
    await page.locator('.graph').first().scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'map-5000-clusters-1280');
    await page.context().close();
  },
);

test('no console errors in any page', () => {
  assert.deepEqual(consoleErrors, []);
});
