// StackOne's own Hub UI, the <stackone-hub> web component of @stackone/hub 1.11, served from a
// customer page on another origin with base-url/app-url pointed at linkhub, in headless
// Chromium: it links a Plaid account with a pasted public_token, shows linkhub's error for a
// used token, re-links an account in error, and follows a project's list of allowed origins.
// Outside traffic goes to a dead-end proxy (never page.route, which would answer the CORS
// preflights itself), so every preflight is linkhub's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './lib/browser.mjs';
import { startEmulator, repoRoot } from './lib/emulator.mjs';
import { startHub, createProject, admin, call, connectSession, sandboxPublicToken, linkAccount } from './lib/hub.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PAGES = path.join(here, 'pages');
const BUNDLE = path.join(repoRoot, 'node_modules', '@stackone', 'hub', 'dist', 'webcomponent.js');
const PLATYPUS = 'ins_109508';

let emu;
let hub;
let project;
let site;
let deadEnd;
let browser;
let owners = 0;

function newOwner() {
  owners += 1;
  return `component-owner-${owners}`;
}

function startSite() {
  const files = {
    '/': [path.join(PAGES, 'stackone_hub.html'), 'text/html; charset=utf-8'],
    '/stackone_hub.js': [path.join(PAGES, 'stackone_hub.js'), 'text/javascript'],
    '/webcomponent.js': [BUNDLE, 'text/javascript'],
  };
  const server = http.createServer((req, res) => {
    const entry = files[new URL(req.url, 'http://x').pathname];
    if (!entry) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': entry[1] });
    res.end(fs.readFileSync(entry[0]));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}

// A port that accepts and at once closes connections: the proxy for every non-loopback host.
function startDeadEnd() {
  const server = net.createServer((socket) => socket.destroy());
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close: () => server.close() }));
  });
}

before(async () => {
  assert.ok(fs.existsSync(BUNDLE), 'npm ci installed @stackone/hub');
  emu = await startEmulator();
  hub = await startHub(emu);
  project = await createProject(hub, 'Component');
  site = await startSite();
  assert.notEqual(new URL(site.url).origin, new URL(hub.url).origin, 'the page is cross-origin');
  deadEnd = await startDeadEnd();
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (deadEnd) deadEnd.close();
  if (site) site.close();
  if (hub) await hub.stop();
  if (emu) await emu.stop();
});

// Opens the customer page for `token`; records the page's requests.
async function openComponent(t, token, extra = '') {
  const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), headers: r.headers() }));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.after(() => assert.deepEqual(errors, [], 'no page errors'));
  await page.goto(`${site.url}/?token=${encodeURIComponent(token)}&base=${encodeURIComponent(hub.url)}${extra}`);
  return { page, requests };
}

const events = (page) => page.evaluate(() => window.__events);

test('<stackone-hub> links a Plaid account through linkhub with a pasted public_token', async (t) => {
  const owner = newOwner();
  const s = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe' });
  const { page, requests } = await openComponent(t, s.token);

  const field = page.getByLabel('Public Token', { exact: true });
  await field.waitFor({ timeout: 20000 });
  // linkhub's guide for the manual path is shown with the field.
  await page.getByText(/POST \/plaid\/link_token on this hub is the easy way/).waitFor();
  const connect = page.getByRole('button', { name: 'Connect', exact: true });
  assert.equal(await connect.isDisabled(), true, 'Connect waits for the required field');
  await field.fill(await sandboxPublicToken(emu, PLATYPUS));
  await connect.click();
  await page.waitForFunction(() => window.__events.some((e) => e.type === 'success'), null, { timeout: 20000 });

  const [ok] = (await events(page)).filter((e) => e.type === 'success');
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key: project.api_key });
  assert.equal(list.body.length, 1);
  assert.deepEqual(ok.detail, { id: list.body[0].id, provider: 'plaid' });
  assert.equal(list.body[0].status, 'active');
  assert.equal(list.body[0].plaid.institution_name, 'First Platypus Bank');

  // What the component asked linkhub for, cross-origin with its session header (each behind a
  // CORS preflight, which the browser would not skip for these headers).
  const hubCalls = requests.filter((r) => r.url.startsWith(`${hub.url}/hub/`));
  const seen = hubCalls.map((r) => `${r.method} ${new URL(r.url).pathname}`);
  for (const want of ['GET /hub/settings', 'GET /hub/connectors', 'GET /hub/connectors/plaid', 'POST /hub/accounts']) {
    assert.ok(seen.includes(want), `${want} in ${seen.join(', ')}`);
  }
  for (const r of hubCalls.filter((c) => c.method !== 'GET' || !c.url.includes('/logos/'))) {
    assert.equal(r.headers['x-hub-session-token'], s.token);
    assert.match(r.headers['x-hub-version'], /^1\.11\./);
  }
  assert.ok(requests.some((r) => r.url === `${hub.url}/hub/logos/plaid.svg`), 'the logo comes from linkhub');
  const outside = requests.filter((r) => !r.url.startsWith('http://127.0.0.1:') && !r.url.startsWith('data:'));
  assert.deepEqual(outside, [], 'the page fetched nothing outside this machine');
});

test('<stackone-hub> shows linkhub\'s message for a used token and lets the user retry', async (t) => {
  const owner = newOwner();
  const s = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe' });
  const used = await sandboxPublicToken(emu, PLATYPUS);
  assert.equal((await emu.plaid('/item/public_token/exchange', { public_token: used })).status, 200);
  const { page } = await openComponent(t, s.token);
  const field = page.getByLabel('Public Token', { exact: true });
  await field.waitFor({ timeout: 20000 });
  await field.fill(used);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByText('This public token has expired or was already used: run Plaid Link again to get a new one.')
    .waitFor({ timeout: 20000 });
  assert.deepEqual(await events(page), [], 'no success event');

  // The form is usable again: a fresh token links.
  await field.fill(await sandboxPublicToken(emu, PLATYPUS));
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.waitForFunction(() => window.__events.some((e) => e.type === 'success'), null, { timeout: 20000 });
});

test('<stackone-hub> re-links an account in error through a re-link session', async (t) => {
  const owner = newOwner();
  const base = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe' });
  const linked = await linkAccount(hub, emu, project.api_key, { session: base.token });
  const acc = await call(hub, 'GET', `/accounts/${linked.id}`, { key: project.api_key });
  await emu.control('POST', '/emulator/faults', {
    endpoint: '/accounts/get', error_code: 'ITEM_LOGIN_REQUIRED', item_id: acc.body.plaid.item_id, count: 1,
  });
  const rpc = await call(hub, 'POST', '/actions/rpc', {
    key: project.api_key, headers: { 'x-account-id': linked.id }, body: { action: 'plaid_list_accounts' },
  });
  assert.equal(rpc.status, 409);

  const s = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe', account_id: linked.id });
  const { page, requests } = await openComponent(t, s.token);
  const field = page.getByLabel('Public Token', { exact: true });
  await field.waitFor({ timeout: 20000 });
  // Update mode's onSuccess also returns a public_token; linkhub does not exchange it.
  await field.fill(await sandboxPublicToken(emu, PLATYPUS));
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.waitForFunction(() => window.__events.some((e) => e.type === 'success'), null, { timeout: 20000 });

  const [ok] = (await events(page)).filter((e) => e.type === 'success');
  assert.deepEqual(ok.detail, { id: linked.id, provider: 'plaid' });
  const seen = requests.map((r) => `${r.method} ${new URL(r.url).pathname}`);
  assert.ok(seen.includes(`GET /hub/accounts/${linked.id}`), seen.join(', '));
  assert.ok(seen.includes(`PATCH /hub/accounts/${linked.id}`), seen.join(', '));
  const after = await call(hub, 'GET', `/accounts/${linked.id}`, { key: project.api_key });
  assert.equal(after.body.status, 'active');
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key: project.api_key });
  assert.equal(list.body.length, 1, 'no second account');
});

test('A project\'s allowed origins decide whether the component may use its sessions', async (t) => {
  const narrow = await admin(hub.dataDir, hub.masterKey,
    ['project', 'create', '--name', 'Narrow', '--allowed-origins', 'https://app.elsewhere.example']);
  const s = await connectSession(hub, narrow.api_key, { origin_owner_id: newOwner(), origin_owner_name: 'Pat Doe' });
  // The preflight is answered (it carries no token), the request itself is refused without a
  // CORS grant, so the component cannot read anything.
  const pre = await fetch(`${hub.url}/hub/connectors`, {
    method: 'OPTIONS',
    headers: { Origin: site.url, 'Access-Control-Request-Method': 'GET',
               'Access-Control-Request-Headers': 'content-type,x-hub-session-token,x-hub-version' },
  });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get('access-control-allow-headers'), /x-hub-session-token/i);
  const refused = await call(hub, 'GET', '/hub/connectors', { session: s.token, headers: { Origin: site.url } });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);

  const blocked = await openComponent(t, s.token);
  await blocked.page.getByText(/Failed to fetch/).first().waitFor({ timeout: 30000 });
  assert.equal(await blocked.page.getByLabel('Public Token', { exact: true }).count(), 0);

  // Once the project lists the page's origin, the same session works from it.
  await admin(hub.dataDir, hub.masterKey,
    ['project', 'update', '--project', narrow.project_id, '--allowed-origins', `https://app.elsewhere.example,${site.url}`]);
  const allowed = await openComponent(t, s.token);
  await allowed.page.getByLabel('Public Token', { exact: true }).waitFor({ timeout: 20000 });
  const res = await call(hub, 'GET', '/hub/connectors', { session: s.token, headers: { Origin: site.url } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), site.url);
});

test('The Hub API the component reads: settings, connectors, accounts and connection attempts', async () => {
  const owner = newOwner();
  const s = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe', multiple: true });
  const get = (p, token = s.token) => call(hub, 'GET', p, { session: token });

  assert.deepEqual((await get('/hub/settings')).body, { enabled_features: [] });
  const connectors = await get('/hub/connectors');
  assert.equal(connectors.status, 200);
  assert.deepEqual(connectors.body.integrations.map((i) => [i.integration_id, i.provider, i.active, i.logo_url]),
    [['plaid', 'plaid', true, `${hub.url}/hub/logos/plaid.svg`]]);
  assert.deepEqual((await get('/hub/connectors?provider=workday')).body, { integrations: [] });
  const form = (await get('/hub/connectors/plaid')).body.config.authentication.public_token.production;
  assert.equal(form.type, 'custom');
  for (const f of form.fields) assert.equal(typeof f.type, 'string', `field ${f.key} has a type`);
  assert.deepEqual(form.fields.map((f) => [f.key, f.type, f.secret, f.required]), [['public_token', 'password', true, true]]);
  const other = await get('/hub/connectors/workday');
  assert.equal(other.status, 404);
  assert.equal(other.body.statusCode, 404);
  const logo = await fetch(`${hub.url}/hub/logos/plaid.svg`);
  assert.equal(logo.status, 200);
  assert.equal(logo.headers.get('content-type'), 'image/svg+xml');
  assert.match(await logo.text(), /^<svg /);

  // A connection attempt turns "authenticated" once this session links an account.
  const attempt = await call(hub, 'POST', '/hub/connection_attempts', { session: s.token, body: { token: s.token } });
  assert.equal(attempt.status, 201);
  assert.equal(attempt.body.status, 'pending');
  assert.equal((await get(`/hub/connection_attempts/${attempt.body.id}`)).body.status, 'pending');
  const linked = await linkAccount(hub, emu, project.api_key, { session: s.token });
  const done = await get(`/hub/connection_attempts/${attempt.body.id}`);
  assert.equal(done.body.status, 'authenticated');
  assert.deepEqual(done.body.account, { id: linked.id, provider: 'plaid' });
  const cancelled = await call(hub, 'POST', '/hub/connection_attempts', { session: s.token });
  const del = await call(hub, 'DELETE', `/hub/connection_attempts/${cancelled.body.id}`, { session: s.token });
  assert.equal(del.status, 200);
  assert.equal(del.body.status, 'cancelled');
  assert.equal((await get(`/hub/connection_attempts/${cancelled.body.id}`)).body.status, 'cancelled');

  // Accounts: the session owner's, display fields only; nobody else's.
  const list = await get('/hub/accounts');
  assert.deepEqual(list.body.map((a) => a.id), [linked.id]);
  assert.equal(list.body[0].institution.name, 'First Platypus Bank');
  assert.ok(!JSON.stringify(list.body).includes('access-sandbox'), 'no token');
  assert.equal(list.body[0].plaid, undefined, 'no item id');
  const one = await get(`/hub/accounts/${linked.id}`);
  assert.equal(one.body.integrationId, 'plaid');
  assert.deepEqual(one.body.secrets, {});

  const stranger = await connectSession(hub, project.api_key, { origin_owner_id: newOwner(), origin_owner_name: 'Sam Roe' });
  assert.deepEqual((await get('/hub/accounts', stranger.token)).body, []);
  assert.equal((await get(`/hub/accounts/${linked.id}`, stranger.token)).status, 404);
  assert.equal((await get(`/hub/connection_attempts/${attempt.body.id}`, stranger.token)).status, 404);
  const patch = await call(hub, 'PATCH', `/hub/accounts/${linked.id}`, {
    session: stranger.token, body: { integration_id: 'plaid', credentials: {} },
  });
  assert.equal(patch.status, 404, 'only a re-link session for that account may PATCH it');

  // 401 only for a bad or expired session token, with CORS headers so a page can read it.
  const bad = await call(hub, 'GET', '/hub/settings', { session: 'lhcs_unknown', headers: { Origin: site.url } });
  assert.equal(bad.status, 401);
  assert.equal(bad.body.statusCode, 401);
  assert.equal(bad.headers.get('access-control-allow-origin'), site.url);

  // A re-link session tells the component which account it re-links.
  const relink = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe', account_id: linked.id });
  assert.deepEqual((await get('/hub/settings', relink.token)).body, { enabled_features: [], existing_account_id: linked.id });
});
