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
    if (m.type() === 'error' && !EXPECTED_HTTP.test(m.text())) consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: pageerror ${e.message}`));
  page.setDefaultTimeout(20_000);
  return page;
}

async function api(method, path, body, token = ADMIN, base = BASE) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const all = async (collection, token = ADMIN, base = BASE) => (await api('GET', `/${collection}?limit=1000`, undefined, token, base)).items;
const tokenFor = async (organization, role = 'member') => (await api('POST', '/tokens', { organization, role })).token;

async function signIn(page, token, base = BASE) {
  await page.goto(`${base}/#token=${encodeURIComponent(token)}`);
  await page.locator('[data-testid=who]').filter({ hasText: 'Signed in' }).waitFor();
}
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

/** Node ids of a graph (from Cytoscape) and of its text alternative (the table). */
async function graphAndTableIds(page, title) {
  await page.waitForFunction((t) => window.__graphs && window.__graphs[t], title);
  const block = page.locator(`.graph-block[data-graph="${title}"]`);
  const details = block.locator('details.graph-alt');
  if (!(await details.evaluate((d) => d.open))) await details.locator('summary').click();
  await block.locator(`table[data-graph-alt="${title}"]`).waitFor();
  const graphIds = await page.evaluate((t) => window.__graphs[t].nodes().map((n) => n.id()), title);
  const tableIds = await block.locator('tr[data-node-id]').evaluateAll((rows) => rows.map((r) => r.dataset.nodeId));
  return { graphIds: graphIds.sort(), tableIds: tableIds.sort() };
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
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
  await page.waitForFunction((n) => window.__cy.edges().length === n, rels.filter((r) => ['active', 'terminated'].includes(r.status) && r.type !== 'basic').length);
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
  assert.ok(!page.url().includes(story.consumerToken) && !page.url().includes('token='), page.url());
  const who = await page.locator('[data-testid=who]').innerText();
  assert.ok(who.includes(consumer.name) || who.includes(consumer.id), `who shows the organization: ${who}`);
  await page.context().close();
});

test('story: request from the catalog, provider activates and provisions, the consumer turns provider', async () => {
  const C = story.consumer;
  // An offering C may request, from another provider, with an action that creates.
  const offerings = (await all('offerings', story.consumerToken)).filter((o) => o.provider !== C.id && o.actions.some((a) => a.effect === 'create'));
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
  await pp.locator(`[data-testid=provisions] li`).filter({ hasText: createAction.name }).first().waitFor();
  await shot(pp, 'relationship-1280');
  const res = await api('GET', `/resources/${created}`);
  assert.equal(res.owner, C.id);

  // 4. The consumer sees the new resource in its organization view.
  await cp.goto(`${BASE}/#/org/${C.id}`);
  await cp.locator(`[data-testid=org-resources] a[data-id="${created}"]`).waitFor();

  // 5. Setup (API, not under test): C offers a service built on that resource;
  //    another organization requests it.
  const svc = await api('POST', '/services', { provider: C.id, name: 'E2E café archive', built_on: [created], depends_on: [] }, story.consumerToken);
  const off = await api(
    'POST',
    '/offerings',
    { provider: C.id, service: svc.id, name: 'E2E archive for friends', audience: 'public', goods: [], access: [], actions: [{ name: 'archive', effect: 'none' }], service_levels: [] },
    story.consumerToken,
  );
  const others = (await all('organizations')).filter((o) => o.id !== C.id && o.id !== O.provider);
  const D = others[0];
  const rel2 = await api('POST', '/relationships', { offering: off.id, consumer: D.id, type: 'basic' }, await tokenFor(D.id));

  // 6. C, now the provider, activates it (UI) and the role timeline shows the transition.
  await cp.goto(`${BASE}/#/relationship/${rel2.id}`);
  await cp.click('button[data-action=activate]');
  await cp.getByTestId('rel-status').filter({ hasText: 'active' }).waitFor();
  await cp.goto(`${BASE}/#/org/${C.id}`);
  const transition = cp.locator('[data-testid=roles] .transition');
  await transition.waitFor();
  assert.match(await transition.innerText(), /consumer → provider/);
  assert.ok((await transition.innerText()).includes(created), 'the evidence names the resource obtained as a consumer');
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
  if (versioned.version > 1) assert.ok((await page.locator('ul.diff li').count()) > 0, 'a diff between versions');
  const lineage = await api('GET', `/resources/${versioned.id}/lineage`);
  const { graphIds, tableIds } = await graphAndTableIds(page, 'Lineage');
  assert.deepEqual(tableIds, graphIds);
  const expected = new Set([versioned.id]);
  for (const k of ['provisions', 'resources', 'services', 'offerings', 'relationships', 'organizations']) for (const x of lineage[k]) if (x.id) expected.add(x.id);
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
  const from = (await all('resources')).find((r) => r.owner === story.offering.provider)?.id ?? story.resource;
  const expected = await api('GET', `/impact?from=${encodeURIComponent(from)}`);
  await page.goto(`${BASE}/#/impact/${encodeURIComponent(from)}`);
  await page.getByTestId('impact-counts').waitFor();
  const { graphIds, tableIds } = await graphAndTableIds(page, 'Impact');
  assert.deepEqual(tableIds, graphIds, 'impact table lists the graph nodes');
  const want = expected.affected.map((a) => a.id).filter(Boolean).sort();
  assert.deepEqual(tableIds.filter((id) => id !== from), want);
  for (const [type, n] of Object.entries(expected.counts)) {
    assert.match(await page.locator(`[data-testid=impact-counts] li[data-type="${type}"]`).innerText(), new RegExp(`^${n} `));
  }
  await page.getByTestId('explain').click();
  await page.getByTestId('impact-why').waitFor();
  assert.equal(await page.locator('[data-testid=impact-why] tbody tr').count(), expected.affected.length);
  const edges = await page.evaluate(() => window.__graphs.Impact.edges().length);
  assert.ok(want.length === 0 || edges > 0, 'explained paths draw edges');
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

test('an API error is shown in words: a consumer outside the audience', async () => {
  const page = await newPage();
  await signIn(page, ADMIN);
  // An offering restricted to consumer groups, and an organization in none of them.
  const offerings = await all('offerings');
  const groups = await all('consumer-groups');
  const orgs = await all('organizations');
  const restricted = offerings.find((o) => o.audience !== 'public');
  const members = new Set(groups.filter((g) => restricted.audience.consumer_groups.includes(g.id)).flatMap((g) => g.members));
  const outsider = orgs.find((o) => !members.has(o.id) && o.id !== restricted.provider);
  await page.goto(`${BASE}/#/catalog`);
  await page.locator('[data-testid=catalog] li').first().waitFor();
  const card = page.locator(`li[data-offering="${restricted.id}"]`);
  while (!(await card.count())) await page.getByRole('button', { name: 'Show more offerings' }).click();
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
  await page.locator(`[data-testid=events] li[data-type="organization.created"]`).filter({ hasText: id }).waitFor();
  await shot(page, 'events-1280');
  await page.context().close();
});

test('the 5,000-organization map renders; time to first render and pan/zoom frames', { skip: !BIG }, async () => {
  const page = await newPage();
  const t0 = Date.now();
  await page.goto(`${BIG}/#token=${encodeURIComponent(ADMIN)}`);
  await page.waitForFunction(() => window.__mapRenderMs !== undefined, null, { timeout: 120_000 });
  const renderMs = await page.evaluate(() => window.__mapRenderMs);
  await page.waitForFunction(() => window.__mapCompleteMs !== undefined, null, { timeout: 120_000 });
  const info = await page.evaluate(() => ({ complete: window.__mapCompleteMs, timings: window.__mapTimings, nodes: window.__cy.nodes().length, edges: window.__cy.edges().length, clusters: window.__cy.nodes('[kind = "cluster"]').length }));
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
  assert.ok(spread.w > spread.width / 4 || spread.h > spread.height / 4,
    `the map's nodes cover a visible area: ${JSON.stringify(spread)}`);
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
      phases_ms: Object.fromEntries(Object.entries(info.timings ?? {}).map(([k, v]) => [k, Math.round(v)])),
      panzoom_frame_ms: { median: +q(0.5).toFixed(1), p95: +q(0.95).toFixed(1), mean: +mean.toFixed(1), fps: +(1000 / mean).toFixed(1), frames: frames.length },
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
});

test('no console errors in any page', () => {
  assert.deepEqual(consoleErrors, []);
});
