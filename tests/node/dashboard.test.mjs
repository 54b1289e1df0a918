// Browser tests of the operator dashboard (/dashboard) in headless Chromium: sign-in, the
// Accounts page (list, filters, pagination), link now (through the Hub page) and send a link,
// the action tester, logs, suspend and resume, re-link, status reasons and the re-link they ask
// for, the account timeline, delete, sign-out, CSRF refusals, and the Webhooks page (endpoints,
// the secret shown once, rotation, deliveries and retry, failing endpoints).
// Contract: docs/dashboard.md.
//
// Screenshots: accounts.png (the README's image) in LINKHUB_DOC_SCREENSHOTS when set
// (docs/screenshots to refresh it), and, for review, the dark and 360 px views in
// DASHBOARD_SHOTS_DIR (default /tmp/dashboard-shots, which also gets accounts.png otherwise).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { startEmulator, repoRoot } from './lib/emulator.mjs';
import {
  startHub, createProject, call, connectSession, linkAccount, poll, sandboxPublicToken,
} from './lib/hub.mjs';
import { startWebhookReceiver } from './lib/webhooks.mjs';

const SHOTS = process.env.DASHBOARD_SHOTS_DIR || '/tmp/dashboard-shots';
const DOC_SHOT = process.env.LINKHUB_DOC_SCREENSHOTS
  ? path.join(path.resolve(repoRoot, process.env.LINKHUB_DOC_SCREENSHOTS), 'accounts.png')
  : path.join(SHOTS, 'accounts.png');
const FIRST_PLATYPUS = 'ins_109508';
const COOKIE = 'linkhub_dashboard';

let emu;
let hub;
let projectA;
let projectB;
let projectW;  // the reasons, timeline and webhooks tests: a project of its own
let browser;
let evil;
let receiver;  // a local receiver of linkhub's events
const named = {};  // accounts linked up front, by owner

// ------------------------------------------------------------------------ set-up

// A page on another origin that tries to change things on the dashboard with the operator's
// cookie (a classic CSRF): a cross-origin fetch and a plain form post.
function startEvilSite() {
  const server = http.createServer((req, res) => {
    const { pathname, searchParams } = new URL(req.url, 'http://localhost');
    if (pathname !== '/attack') {
      res.writeHead(404);
      res.end();
      return;
    }
    const target = searchParams.get('target');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>prize</title>
<form id="f" method="POST" action="${target}" enctype="text/plain"><input name='{"a":"' value='"}'></form>
<script>
  window.__done = fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', mode: 'no-cors',
    headers: { 'Content-Type': 'text/plain' }, body: '{}' }).then(() => 'sent', () => 'failed');
</script>`);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.mkdirSync(path.dirname(DOC_SHOT), { recursive: true });
  emu = await startEmulator(['--transactions-initial-delay', '0']);
  // Private webhook URLs: the endpoints of these tests point at a receiver on loopback.
  hub = await startHub(emu, { args: ['--allow-private-webhook-urls'] });
  projectA = await createProject(hub, 'Acme Budgeting');
  projectB = await createProject(hub, 'Other Tenant');
  projectW = await createProject(hub, 'Hooks and Co');
  receiver = await startWebhookReceiver();
  // Project A: three named owners, then enough others for a second page (26 accounts in all).
  for (const [owner, name] of [['cust_alice', 'Alice Martin'], ['cust_bob', 'Bob Chen'], ['cust_carol', 'Carol Diaz']]) {
    const s = await connectSession(hub, projectA.api_key, { origin_owner_id: owner, origin_owner_name: name });
    named[owner] = await linkAccount(hub, emu, projectA.api_key, { session: s.token });
  }
  for (let i = 1; i <= 23; i += 1) {
    const s = await connectSession(hub, projectA.api_key, {
      origin_owner_id: `cust_bulk_${String(i).padStart(2, '0')}`, origin_owner_name: `Bulk Customer ${i}`,
    });
    await linkAccount(hub, emu, projectA.api_key, { session: s.token });
  }
  const sb = await connectSession(hub, projectB.api_key, { origin_owner_id: 'cust_tenant_b', origin_owner_name: 'Tenant B User' });
  named.other = await linkAccount(hub, emu, projectB.api_key, { session: sb.token });
  evil = await startEvilSite();
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (evil) evil.close();
  if (receiver) await receiver.close();
  if (hub) await hub.stop();
  if (emu) await emu.stop();
});

// ------------------------------------------------------------------------ helpers

// A page in a fresh browser context that fails the test on page errors and CSP violations.
// Refused requests (401/403/404/409, which some tests make on purpose) are not problems.
async function newPage(t, { colorScheme = 'light', width = 1280, height = 860, clipboard = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: hub.url });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !/status of (401|403|404|409)/.test(text)) {
      problems.push(`console.error: ${text} (${msg.location().url})`);
    }
  });
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], 'no page errors or CSP violations');
  });
  return page;
}

async function signIn(page, key = projectA.api_key) {
  await page.goto(`${hub.url}/dashboard`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#accounts-view').waitFor({ state: 'visible' });
  await rowsLoaded(page);
}

async function rowsLoaded(page) {
  await page.waitForFunction(() => !document.querySelector('#accounts-table').hasAttribute('aria-busy'));
}

const row = (page, accountId) => page.locator(`#accounts-body tr[data-account-id="${accountId}"]`);
const rowIds = (page) => page.locator('#accounts-body tr').evaluateAll((rows) => rows.map((r) => r.dataset.accountId));

async function openAccount(page, accountId) {
  await row(page, accountId).getByRole('button', { name: /^Manage/ }).click();
  await page.locator('#account-dialog').waitFor({ state: 'visible' });
}

async function account(id, key = projectA.api_key) {
  const res = await call(hub, 'GET', `/accounts/${id}`, { key });
  return res;
}

async function linkFrameIn(frame) {
  const handle = await frame.waitForSelector('iframe[title="Plaid Link"]', { state: 'attached' });
  const link = await handle.contentFrame();
  assert.ok(link, 'Plaid Link frame');
  return link;
}

const linkView = (frame, name) => frame.locator(`section[data-view="${name}"]`);

// Links an account of `project` whose Item sends Plaid's webhooks to linkhub (as a link token
// made by linkhub would), so that the emulator's fire_webhook reaches the account.
async function linkWithWebhook(project, owner, name) {
  const session = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: name });
  const publicToken = await sandboxPublicToken(emu, FIRST_PLATYPUS, ['transactions'],
    { webhook: `${hub.url}/webhooks/plaid/${project.project_id}` });
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: session.token, body: { credentials: { public_token: publicToken } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return (await account(res.body.id, project.api_key)).body;
}

// Fires an ITEM webhook at the account's Item and waits until linkhub has applied it: `until`
// tells from the account.
async function fireAndWait(acc, body, until, key = projectW.api_key) {
  await emu.control('POST', `/emulator/items/${acc.plaid.item_id}/fire_webhook`, body);
  const changed = await poll(async () => {
    const a = (await account(acc.id, key)).body;
    return until(a) ? a : null;
  }, 10000);
  assert.ok(changed, `${body.webhook_code} was not applied to ${acc.id}`);
  return changed;
}

// Shows the rows of one owner.
async function filterOwner(page, owner) {
  await page.locator('#filter-owner').fill(owner);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await rowsLoaded(page);
}

async function goToWebhooks(page) {
  await page.locator('#pages-nav').getByRole('link', { name: 'Webhooks' }).click();
  await page.locator('#webhooks-view').waitFor({ state: 'visible' });
  await page.waitForFunction(() => !document.querySelector('#webhooks-table').hasAttribute('aria-busy'));
}

const hookRow = (page, id) => page.locator(`#webhooks-body tr[data-webhook-id="${id}"]`);

// Clicks Refresh until `locator`'s text matches `re` (the list is read again each time).
async function refreshUntil(page, button, locator, re, ms = 10000) {
  const ok = await poll(async () => {
    if (await locator.count() && re.test(await locator.first().innerText())) return true;
    await button.click();
    await page.waitForFunction(() => !document.querySelector('#deliveries-table').hasAttribute('aria-busy'));
    return await locator.count() > 0 && re.test(await locator.first().innerText());
  }, ms, 100);
  assert.ok(ok, `no ${re} in ${await locator.count() ? await locator.first().innerText() : 'nothing'}`);
}

async function cookieOf(page) {
  const cookies = await page.context().cookies(`${hub.url}/dashboard`);
  return cookies.find((c) => c.name === COOKIE);
}

// fetch() to the dashboard API as a browser would not allow: any cookie, Origin and token.
async function raw(method, p, { cookie, origin, csrf, body } = {}) {
  const headers = {};
  if (cookie) headers.Cookie = `${COOKIE}=${cookie}`;
  if (origin) headers.Origin = origin;
  if (csrf) headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(hub.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, body: parsed };
}

// ------------------------------------------------------------------------ tests

test('sign in: a bad key is refused; a good key opens a cookie session for its project only', async (t) => {
  const page = await newPage(t);
  const res = await page.goto(`${hub.url}/dashboard`);
  const csp = res.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'(;|$)/, 'no inline script allowed');
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
  await page.locator('#sign-in-view').waitFor({ state: 'visible' });

  await page.getByLabel('API key').fill('lh_live_not-a-real-key-0000000000000000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#sign-in-error', { hasText: 'not valid' }).waitFor();
  assert.equal(await page.getByLabel('API key').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#accounts-view').isVisible(), false);
  assert.equal(await cookieOf(page), undefined, 'no cookie for a refused key');

  await page.getByLabel('API key').fill(projectA.api_key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#accounts-view').waitFor({ state: 'visible' });
  await rowsLoaded(page);
  assert.equal(await page.locator('#project-name').innerText(), 'Acme Budgeting');

  const cookie = await cookieOf(page);
  assert.ok(cookie, 'session cookie set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/dashboard');
  assert.equal(cookie.secure, false, 'Secure only when the public URL is https');
  assert.ok(!cookie.value.includes(projectA.api_key), 'the cookie is not the API key');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is invisible to scripts');
  assert.equal(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage })), '{}',
    'nothing kept in web storage');

  // Tenants never see each other's accounts, even by id.
  const ids = await rowIds(page);
  assert.ok(!ids.includes(named.other.id));
  const peek = await page.evaluate(async (id) => (await fetch(`/dashboard/api/accounts/${id}`)).status, named.other.id);
  assert.equal(peek, 404);
});

test('list, filter by status, owner and connector, and page through the accounts', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  assert.equal((await rowIds(page)).length, 25, 'a page holds 25 accounts');
  assert.equal(await page.locator('#page-prev').isDisabled(), true);
  assert.equal(await page.locator('#page-label').innerText(), 'Page 1');

  const alice = row(page, named.cust_alice.id);
  await page.getByRole('button', { name: 'Next page' }).click();
  await rowsLoaded(page);
  assert.equal(await page.locator('#page-label').innerText(), 'Page 2');
  assert.equal(await page.locator('#page-next').isDisabled(), true);
  // Newest first: the first account linked is on the last page.
  assert.deepEqual(await rowIds(page), [named.cust_alice.id]);
  const cells = await alice.locator('td').allInnerTexts();
  assert.match(cells[0], /First Platypus Bank[\s\S]*Alice Martin · cust_alice[\s\S]*acc_/);
  assert.equal(cells[1], 'Plaid');
  assert.equal(cells[2], 'test', 'a sandbox Item is a test account');
  assert.match(cells[3], /Plaid sandbox[\s\S]*transactions/);
  assert.match(cells[4], /^active/);
  assert.match(cells[5], new RegExp(String(new Date().getFullYear())));
  await page.getByRole('button', { name: 'Previous page' }).click();
  await rowsLoaded(page);
  assert.equal((await rowIds(page)).length, 25);

  await page.locator('#filter-owner').fill('cust_bob');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await rowsLoaded(page);
  assert.deepEqual(await rowIds(page), [named.cust_bob.id]);
  await page.locator('#progress', { hasText: '1 account on page 1' }).waitFor();

  await page.getByLabel('Status').selectOption('error');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await rowsLoaded(page);
  assert.deepEqual(await rowIds(page), []);
  assert.equal(await page.locator('#accounts-empty').isVisible(), true);

  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByLabel('Connector').selectOption('plaid');
  await page.getByLabel('Status').selectOption('active');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await rowsLoaded(page);
  assert.equal((await rowIds(page)).length, 25);
  assert.equal(await page.locator('#page-next').isDisabled(), false);
});

test('link now opens the Hub page in a dialog and links an account through it', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  await page.getByRole('button', { name: 'Link account' }).click();
  await page.locator('#link-owner-id').fill('cust_dana');
  await page.getByLabel('Owner name').fill('Dana Wu');
  await page.getByRole('button', { name: 'Link now' }).click();

  await page.locator('#hub-dialog').waitFor({ state: 'visible' });
  const src = await page.locator('#hub-frame').getAttribute('src');
  assert.match(src, new RegExp(`^${hub.url.replace(/[.:/]/g, '\\$&')}/embedded/integrations\\?token=lhcs_`));
  const hubFrame = await (await page.$('#hub-frame')).contentFrame();
  await hubFrame.locator('#connect').waitFor({ state: 'visible' });
  await hubFrame.locator('#connect').click();

  const link = await linkFrameIn(hubFrame);
  await linkView(link, 'consent').waitFor({ state: 'visible' });
  await link.getByRole('button', { name: 'Continue' }).click();
  await linkView(link, 'select_institution').waitFor({ state: 'visible' });
  await link.getByLabel('Search institutions').fill('First Platypus');
  await link.locator('#search-status', { hasText: /^\d+ results?$/ }).waitFor();
  await link.locator(`#results button[data-institution-id="${FIRST_PLATYPUS}"]`).click();
  await linkView(link, 'credentials').waitFor({ state: 'visible' });
  await link.getByLabel('Username').fill('user_good');
  await link.getByLabel('Password', { exact: true }).fill('pass_good');
  await link.locator('#cred-submit').click();
  await linkView(link, 'select_accounts').waitFor({ state: 'visible' });
  await link.locator('#accounts-continue').click();
  await linkView(link, 'success').waitFor({ state: 'visible' });
  await link.locator('#success-continue').click();

  // The Hub page posts `success` to the dashboard, which closes the dialog and lists the account.
  await page.locator('#hub-dialog').waitFor({ state: 'hidden' });
  await page.locator('#progress', { hasText: /Account acc_\w+ linked/ }).waitFor();
  await rowsLoaded(page);
  const first = page.locator('#accounts-body tr').first();
  await first.locator('text=Dana Wu · cust_dana').waitFor();
  const id = await first.getAttribute('data-account-id');
  const res = await account(id);
  assert.equal(res.status, 200);
  assert.equal(res.body.origin_owner_id, 'cust_dana');
  assert.equal(res.body.status, 'active');
  assert.equal(res.body.plaid.institution_id, FIRST_PLATYPUS);
});

test('send a link: a 5-day auth link to copy', async (t) => {
  const page = await newPage(t, { clipboard: true });
  await signIn(page);
  await page.getByRole('button', { name: 'Link account' }).click();
  await page.getByRole('button', { name: 'Send a link' }).click();
  await page.locator('#link-error', { hasText: 'owner' }).waitFor();
  assert.equal(await page.locator('#link-owner-id').getAttribute('aria-invalid'), 'true');

  await page.locator('#link-owner-id').fill('cust_erin');
  await page.getByLabel('Owner name').fill('Erin Park');
  assert.equal(await page.getByLabel('Link valid for (days)').inputValue(), '5');
  await page.getByRole('button', { name: 'Send a link' }).click();
  await page.locator('#link-result').waitFor({ state: 'visible' });
  const url = await page.locator('#link-url').inputValue();
  assert.match(url, new RegExp(`^${hub.url.replace(/[.:/]/g, '\\$&')}/embedded/integrations\\?token=lhcs_\\w+$`));
  await page.locator('#link-result').getByRole('button', { name: 'Copy' }).click();
  await page.locator('#progress', { hasText: 'copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);

  const token = new URL(url).searchParams.get('token');
  const session = await call(hub, 'POST', '/connect_sessions/authenticate', { key: projectA.api_key, body: { token } });
  assert.equal(session.status, 201);
  assert.equal(session.body.origin_owner_id, 'cust_erin');
  assert.equal(Date.parse(session.body.expires_at) - Date.parse(session.body.created_at), 5 * 24 * 3600 * 1000);
  // The link opens the Hub page.
  const hubPage = await fetch(url);
  assert.equal(hubPage.status, 200);
});

test('action tester: a form from the input schema runs the action through the runner', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  await page.getByRole('button', { name: 'Next page' }).click();
  await rowsLoaded(page);
  await openAccount(page, named.cust_alice.id);
  await page.getByRole('tab', { name: 'Action tester' }).click();
  const select = page.getByLabel('Action', { exact: true });
  await page.locator('#tester-action option[value="plaid_list_accounts"]').waitFor({ state: 'attached' });
  const options = await page.locator('#tester-action option').evaluateAll((o) => o.map((x) => x.value));
  assert.equal(options.length, 13, 'the whole catalogue');

  await select.selectOption('plaid_list_accounts');
  assert.equal(await page.getByLabel('account_ids').count(), 1, 'one field per schema property');
  await page.getByRole('button', { name: 'Run action' }).click();
  await page.locator('#tester-meta', { hasText: /^200/ }).waitFor();
  const result = JSON.parse(await page.locator('#tester-result').innerText());
  assert.ok(Array.isArray(result.data.accounts) && result.data.accounts.length >= 2);
  assert.equal(result.data.item.institution_id, FIRST_PLATYPUS);

  // Required fields are checked before sending; types follow the schema.
  await select.selectOption('plaid_list_transactions');
  await page.getByRole('button', { name: 'Run action' }).click();
  await page.locator('#tester-error', { hasText: 'start_date is required' }).waitFor();
  assert.equal(await page.getByLabel(/^start_date/).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel(/^start_date/).getAttribute('type'), 'date');
  assert.equal(await page.getByLabel(/^count/).getAttribute('type'), 'number');
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 30 * 86400 * 1000);
  await page.getByLabel(/^start_date/).fill(monthAgo.toISOString().slice(0, 10));
  await page.getByLabel(/^end_date/).fill(today.toISOString().slice(0, 10));
  await page.getByLabel(/^count/).fill('5');
  await page.getByRole('button', { name: 'Run action' }).click();
  await page.locator('#tester-meta', { hasText: /^200/ }).waitFor();
  const txns = JSON.parse(await page.locator('#tester-result').innerText());
  assert.ok(txns.data.transactions.length <= 5);
  assert.equal(typeof txns.data.total_transactions, 'number');

  // An action whose product the account lacks: the runner's 409, shown as it came.
  await select.selectOption('plaid_get_auth');
  assert.match(await page.locator('#tester-description').innerText(), /not linked with auth/);
  await page.getByRole('button', { name: 'Run action' }).click();
  await page.locator('#tester-meta', { hasText: '409' }).waitFor();
  assert.equal(JSON.parse(await page.locator('#tester-result').innerText()).statusCode, 409);
  assert.match(await page.locator('#tester-error').innerText(), /auth/);
});

test('logs: the account\'s Plaid calls with status, error_code, request_id and latency', async (t) => {
  const id = named.cust_bob.id;
  const itemId = (await account(id)).body.plaid.item_id;
  const ok = await call(hub, 'POST', '/actions/rpc', {
    key: projectA.api_key, headers: { 'x-account-id': id }, body: { action: 'plaid_get_item' },
  });
  assert.equal(ok.status, 200);
  await emu.control('POST', '/emulator/faults', {
    endpoint: '/accounts/balance/get', count: 1, item_id: itemId, http_status: 400,
    error_type: 'INVALID_REQUEST', error_code: 'INVALID_FIELD', error_message: 'injected for the logs test',
  });
  const bad = await call(hub, 'POST', '/actions/rpc', {
    key: projectA.api_key, headers: { 'x-account-id': id }, body: { action: 'plaid_get_balances' },
  });
  assert.equal(bad.status, 400);

  const page = await newPage(t);
  await signIn(page);
  await page.locator('#filter-owner').fill('cust_bob');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await rowsLoaded(page);
  await openAccount(page, id);
  await page.getByRole('tab', { name: 'Logs' }).click();
  const rows = page.locator('#logs-body tr');
  await rows.first().waitFor();
  const texts = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.innerText)));
  // Newest first.
  const [balance, item] = texts;
  assert.equal(balance[1], '/accounts/balance/get');
  assert.equal(balance[2], '400');
  assert.equal(balance[3], 'INVALID_FIELD');
  assert.match(balance[4], /\S/);
  assert.match(balance[5], /^\d+(\.\d)? ms$/);
  assert.equal(item[1], '/item/get');
  assert.equal(item[2], '200');
  assert.equal(item[3], '—');
  assert.match(item[4], /^[A-Za-z0-9]+$/, 'Plaid request_id');
  const body = await page.locator('#panel-logs').innerText();
  assert.doesNotMatch(body, /access-sandbox|secret/i, 'never a token or a secret');
});

test('suspend and resume: while suspended an RPC on the account is refused', async (t) => {
  const id = named.cust_carol.id;
  const rpc = () => call(hub, 'POST', '/actions/rpc', {
    key: projectA.api_key, headers: { 'x-account-id': id }, body: { action: 'plaid_list_accounts' },
  });
  assert.equal((await rpc()).status, 200);

  const page = await newPage(t);
  await signIn(page);
  await page.locator('#filter-owner').fill('cust_carol');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await rowsLoaded(page);
  await openAccount(page, id);
  await page.getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('button', { name: 'Resume' }).waitFor();
  assert.match(await page.locator('#account-facts').innerText(), /suspended[\s\S]*Suspended by an operator/);
  assert.match(await row(page, id).locator('td').nth(4).innerText(), /^suspended/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'resume', 'focus moves to Resume');

  const refused = await rpc();
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.match(refused.body.message, /suspended/);
  const proxy = await call(hub, 'POST', '/unified/proxy', {
    key: projectA.api_key, headers: { 'x-account-id': id }, body: { path: '/accounts/get', body: {} },
  });
  assert.notEqual(proxy.status, 200, 'the proxy refuses too');
  assert.equal((await account(id)).body.status, 'suspended');
  const listed = await call(hub, 'GET', '/accounts?status=suspended', { key: projectA.api_key });
  assert.deepEqual(listed.body.map((a) => a.id), [id]);
  // A suspended account still holds a live Item: the owner cannot quietly link a second one.
  const again = await connectSession(hub, projectA.api_key, { origin_owner_id: 'cust_carol', origin_owner_name: 'Carol Diaz' });
  const second = await call(hub, 'POST', '/hub/accounts', {
    session: again.token,
    body: { integration_id: 'plaid', credentials: { public_token: await sandboxPublicToken(emu) } },
  });
  assert.equal(second.status, 409);
  assert.equal(second.body.existing_account_id, id);

  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('button', { name: 'Suspend' }).waitFor();
  assert.match(await row(page, id).locator('td').nth(4).innerText(), /^active/);
  assert.equal((await rpc()).status, 200);

  // The same state change on the management API, with the API key.
  const s1 = await call(hub, 'POST', `/accounts/${id}/suspend`, { key: projectA.api_key });
  assert.equal(s1.status, 200);
  assert.equal(s1.body.status, 'suspended');
  assert.equal((await call(hub, 'POST', `/accounts/${id}/suspend`, { key: projectA.api_key })).body.status, 'suspended');
  assert.equal((await call(hub, 'POST', `/accounts/${id}/suspend`, { key: projectB.api_key })).status, 404);
  assert.equal((await call(hub, 'POST', `/accounts/${id}/resume`)).status, 401);
  const r1 = await call(hub, 'POST', `/accounts/${id}/resume`, { key: projectA.api_key });
  assert.equal(r1.status, 200);
  assert.equal(r1.body.status, 'active');
});

test('re-link: an account in error gets a re-link URL that repairs it in Plaid Link update mode', async (t) => {
  const s = await connectSession(hub, projectA.api_key, { origin_owner_id: 'cust_frank', origin_owner_name: 'Frank Ito' });
  const linked = await linkAccount(hub, emu, projectA.api_key, { session: s.token });
  const itemId = (await account(linked.id)).body.plaid.item_id;
  await emu.control('POST', '/emulator/faults', {
    endpoint: '/accounts/get', count: 1, item_id: itemId, http_status: 400,
    error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', error_message: 'the login details of this item have changed',
  });
  const broken = await call(hub, 'POST', '/actions/rpc', {
    key: projectA.api_key, headers: { 'x-account-id': linked.id }, body: { action: 'plaid_list_accounts' },
  });
  assert.equal(broken.status, 409);

  const page = await newPage(t, { clipboard: true });
  await signIn(page);
  await page.getByLabel('Status').selectOption('error');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await rowsLoaded(page);
  assert.deepEqual(await rowIds(page), [linked.id]);
  assert.match(await row(page, linked.id).innerText(), /error[\s\S]*log in again/i);
  await openAccount(page, linked.id);
  assert.equal(await page.locator('#relink').getAttribute('class'), 'primary', 're-link is the suggested step');
  await page.getByRole('button', { name: 'Re-link' }).click();
  await page.locator('#relink-result').waitFor({ state: 'visible' });
  const url = await page.locator('#relink-url').inputValue();
  assert.match(url, /\/embedded\/integrations\?token=lhcs_/);
  const token = new URL(url).searchParams.get('token');
  const session = await call(hub, 'POST', '/connect_sessions/authenticate', { key: projectA.api_key, body: { token } });
  assert.equal(session.body.account_id, linked.id, 'a re-link session for this account');
  assert.equal(session.body.origin_owner_id, 'cust_frank');

  // The end user opens the link: Plaid Link in update mode, and the account is active again.
  const enduser = await page.context().newPage();
  await enduser.goto(url);
  await enduser.locator('#connect').click();
  const link = await linkFrameIn(enduser.mainFrame());
  await linkView(link, 'credentials').waitFor({ state: 'visible' });
  await link.getByLabel('Username').fill('user_good');
  await link.getByLabel('Password', { exact: true }).fill('pass_good');
  await link.locator('#cred-submit').click();
  await linkView(link, 'success').waitFor({ state: 'visible' });
  await link.locator('#success-continue').click();
  assert.ok(await poll(async () => (await account(linked.id)).body.status === 'active'), 'active again');
  await enduser.close();
});

test('delete asks for confirmation, then removes the account', async (t) => {
  const s = await connectSession(hub, projectA.api_key, { origin_owner_id: 'cust_gone', origin_owner_name: 'Gone Soon' });
  const linked = await linkAccount(hub, emu, projectA.api_key, { session: s.token });
  const page = await newPage(t);
  await signIn(page);
  await openAccount(page, linked.id);
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.locator('#confirm-dialog').waitFor({ state: 'visible' });
  assert.match(await page.locator('#confirm-text').innerText(), new RegExp(`Gone Soon \\(${linked.id}\\)`));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'confirm-cancel', 'the safe choice has focus');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#confirm-dialog').waitFor({ state: 'hidden' });
  assert.equal((await account(linked.id)).status, 200, 'nothing deleted on cancel');

  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('button', { name: 'Delete account' }).click();
  await page.locator('#account-dialog').waitFor({ state: 'hidden' });
  await page.locator('#progress', { hasText: `Account ${linked.id} deleted.` }).waitFor();
  await rowsLoaded(page);
  assert.ok(!(await rowIds(page)).includes(linked.id));
  assert.equal((await account(linked.id)).status, 404);
});

test('reasons: a consent running out shows its date and asks for a re-link; new accounts for a re-link with account selection', async (t) => {
  const acc = await linkWithWebhook(projectW, 'cust_consent', 'Connie Sent');
  const consentEnds = '2027-03-01T00:00:00Z';
  await fireAndWait(acc, { webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: consentEnds },
    (a) => a.status_reasons.at(-1)?.code === 'consent_expiring');

  const page = await newPage(t, { clipboard: true });
  await signIn(page, projectW.api_key);
  await filterOwner(page, 'cust_consent');
  const r = row(page, acc.id);
  // Still active, with the warning, its date and the step it asks for.
  const status = r.locator('td').nth(4);
  assert.match(await status.innerText(), /^active[\s\S]*consent[\s\S]*Consent runs out on [\s\S]*2027[\s\S]*Next step: re-link\./);
  assert.equal(await status.locator(`time[datetime="${consentEnds}"]`).count(), 1);
  assert.equal(await status.locator('.reason').getAttribute('data-code'), 'consent_expiring');

  await openAccount(page, acc.id);
  const relink = page.locator('#relink');
  assert.equal(await relink.getAttribute('class'), 'primary', 're-link is the suggested step of an active account');
  assert.equal(await relink.innerText(), 'Re-link');
  assert.match(await page.locator('#relink-advice').innerText(), /^Suggested: re-link\./);
  assert.equal(await page.locator('#link-again').isVisible(), false);
  assert.equal(await page.locator(`#account-facts time[datetime="${consentEnds}"]`).count(), 1);
  assert.match(await page.locator('#account-facts').innerText(), /Consent runs out on/);
  await page.keyboard.press('Escape');
  await page.locator('#account-dialog').waitFor({ state: 'hidden' });

  // The bank has new accounts: the re-link lets the owner choose them.
  await fireAndWait(acc, { webhook_code: 'NEW_ACCOUNTS_AVAILABLE' },
    (a) => a.status_reasons.at(-1)?.code === 'new_accounts_available');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await rowsLoaded(page);
  assert.match(await r.locator('td').nth(4).innerText(), /^active[\s\S]*Next step: re-link and choose the new accounts\./);
  await openAccount(page, acc.id);
  assert.equal(await relink.innerText(), 'Re-link and choose new accounts');
  assert.equal(await relink.getAttribute('class'), 'primary');
  assert.match(await page.locator('#relink-advice').innerText(), /account selection/);
  await page.getByRole('button', { name: 'Re-link and choose new accounts' }).click();
  await page.locator('#relink-result').waitFor({ state: 'visible' });
  assert.match(await page.locator('#relink-url-label').innerText(), /with account selection/);
  const token = new URL(await page.locator('#relink-url').inputValue()).searchParams.get('token');
  const session = await call(hub, 'POST', '/connect_sessions/authenticate', { key: projectW.api_key, body: { token } });
  assert.equal(session.body.account_id, acc.id, 'a re-link of this account');
  assert.equal(await relink.innerText(), 'Re-link and choose new accounts', 'the label survives the busy state');
  await page.screenshot({ path: path.join(SHOTS, 'account-new-accounts.png'), animations: 'disabled' });
});

test('reasons: a revoked Item asks to link the bank again, with a new link, not for a re-link', async (t) => {
  const acc = await linkWithWebhook(projectW, 'cust_revoked', 'Rita Voke');
  const gone = await fireAndWait(acc, { webhook_code: 'USER_PERMISSION_REVOKED' }, (a) => a.status === 'inactive');
  assert.equal(gone.status_reasons.at(-1).relink, 'link_again');

  const page = await newPage(t);
  await signIn(page, projectW.api_key);
  await page.getByLabel('Status').selectOption('inactive');
  await filterOwner(page, 'cust_revoked');
  assert.deepEqual(await rowIds(page), [acc.id]);
  assert.match(await row(page, acc.id).innerText(), /inactive[\s\S]*revoked[\s\S]*must link the bank again/i);
  assert.doesNotMatch(await row(page, acc.id).innerText(), /Next step: re-link/);

  await openAccount(page, acc.id);
  assert.equal(await page.locator('#relink').isVisible(), false, 'no re-link for an Item that is gone');
  assert.notEqual(await page.locator('#relink').getAttribute('class'), 'primary');
  const again = page.getByRole('button', { name: 'Link the bank again…' });
  assert.equal(await again.getAttribute('class'), 'primary', 'linking again is the suggested step');
  assert.match(await page.locator('#relink-advice').innerText(), /must link the bank again/);
  await page.screenshot({ path: path.join(SHOTS, 'account-revoked.png'), animations: 'disabled' });

  // The Link account flow, for the same owner: a new connect session, not one for this account.
  await again.click();
  await page.locator('#link-dialog').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#link-title').innerText(), 'Link the bank again');
  assert.equal(await page.locator('#link-owner-id').inputValue(), 'cust_revoked');
  assert.equal(await page.getByLabel('Owner name').inputValue(), 'Rita Voke');
  await page.getByRole('button', { name: 'Send a link' }).click();
  await page.locator('#link-result').waitFor({ state: 'visible' });
  const token = new URL(await page.locator('#link-url').inputValue()).searchParams.get('token');
  const session = await call(hub, 'POST', '/connect_sessions/authenticate', { key: projectW.api_key, body: { token } });
  assert.equal(session.status, 201);
  assert.equal(session.body.origin_owner_id, 'cust_revoked');
  assert.equal(session.body.account_id ?? null, null, 'a new link, not a re-link');
  await page.keyboard.press('Escape');
  await page.locator('#link-dialog').waitFor({ state: 'hidden' });
  assert.equal(await page.locator('#account-dialog').isVisible(), true, 'the account stays open beneath');
  await page.waitForFunction(() => document.activeElement.id === 'link-again');
});

test('timeline: the account\'s Plaid webhooks and the events sent about it, newest first', async (t) => {
  const acc = await linkWithWebhook(projectW, 'cust_timeline', 'Tim Line');
  await fireAndWait(acc, { webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: '2027-05-01T00:00:00Z' },
    (a) => a.status_reasons.at(-1)?.code === 'consent_expiring');

  const page = await newPage(t);
  await signIn(page, projectW.api_key);
  await filterOwner(page, 'cust_timeline');
  await openAccount(page, acc.id);
  await page.getByRole('tab', { name: 'Timeline' }).click();
  assert.equal(await page.locator('#panel-timeline').isVisible(), true);
  const items = page.locator('#timeline-list li');
  const hook = items.filter({ hasText: 'ITEM PENDING_EXPIRATION' });
  await hook.waitFor();
  assert.equal(await hook.getAttribute('data-kind'), 'plaid_webhook');
  assert.match(await hook.innerText(), /Plaid webhook[\s\S]*ITEM PENDING_EXPIRATION[\s\S]*consent_expiring/i);
  const updated = items.filter({ hasText: 'account.updated' }).first();
  assert.equal(await updated.getAttribute('data-kind'), 'event');
  assert.match(await updated.innerText(), /linkhub event[\s\S]*account\.updated[\s\S]*Event id evt_/i);
  assert.equal(await items.filter({ hasText: 'account.created' }).count(), 1);

  // As the route answers it: newest first.
  const listed = await page.evaluate(async (id) => (await fetch(`/dashboard/api/accounts/${id}/timeline?limit=50`)).json(), acc.id);
  assert.equal(await items.count(), listed.data.length);
  const times = await items.locator('time').evaluateAll((ts) => ts.map((x) => Date.parse(x.getAttribute('datetime'))));
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
  assert.equal(listed.data.at(-1).name, 'account.created', 'the oldest entry is the link');
  await page.screenshot({ path: path.join(SHOTS, 'account-timeline.png'), animations: 'disabled' });

  // Keyboard: the tabs go round to the timeline too.
  await page.getByRole('tab', { name: 'Overview' }).focus();
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-timeline');
});

test('webhooks: an endpoint made shows its secret once; its deliveries are listed and Retry sends one again', async (t) => {
  const page = await newPage(t, { clipboard: true });
  await signIn(page, projectW.api_key);
  assert.equal(await page.locator('#nav-accounts').getAttribute('aria-current'), 'page');
  await goToWebhooks(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'webhooks-title', 'focus moves to the new page');
  assert.equal(await page.locator('#nav-webhooks').getAttribute('aria-current'), 'page');
  assert.equal(await page.locator('#nav-accounts').getAttribute('aria-current'), null);
  assert.match(await page.title(), /^Webhooks · Hooks and Co/);

  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.locator('#webhook-error', { hasText: 'URL' }).waitFor();
  assert.equal(await page.getByLabel('Endpoint URL').getAttribute('aria-invalid'), 'true');

  const url = receiver.url('/dashboard-events');
  await page.getByLabel('Endpoint URL').fill(url);
  await page.getByLabel('account.created').check();
  await page.getByLabel('account.updated').check();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.locator('#secret-result').waitFor({ state: 'visible' });
  const secret = await page.locator('#secret-value').inputValue();
  assert.match(secret, /^whsec_/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'secret-value');
  assert.match(await page.locator('#secret-note').innerText(), /will not be shown again/);
  await page.locator('#secret-result').getByRole('button', { name: 'Copy' }).click();
  await page.locator('#progress', { hasText: 'Secret copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await page.screenshot({ path: path.join(SHOTS, 'webhook-secret.png'), animations: 'disabled' });

  const listed = await call(hub, 'GET', '/webhooks', { key: projectW.api_key });
  const endpoint = listed.body.find((w) => w.url === url);
  assert.ok(endpoint, 'made on the server');
  assert.deepEqual(endpoint.events, ['account.created', 'account.updated']);
  const r = hookRow(page, endpoint.id);
  await r.waitFor();
  assert.match(await r.innerText(), new RegExp(`${url.replace(/[.:/]/g, '\\$&')}[\\s\\S]*account\\.created, account\\.updated[\\s\\S]*active`));
  assert.equal(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage })), '{}',
    'the secret is not kept in web storage');

  // Shown once: a reload lists the endpoint and not its secret.
  await page.reload();
  await page.locator('#webhooks-view').waitFor({ state: 'visible' });
  await r.waitFor();
  assert.equal(await page.locator('#secret-result').isVisible(), false);
  assert.equal(await page.locator('#secret-value').inputValue(), '');
  assert.ok(!(await page.content()).includes(secret), 'the secret is nowhere in the page');
  const api = await page.evaluate(async () => (await fetch('/dashboard/api/webhooks')).text());
  assert.ok(!api.includes(secret) && !api.includes('whsec_'), 'nor in the list');

  // A link sends account.created; the endpoint's recent deliveries show it delivered.
  const s = await connectSession(hub, projectW.api_key, { origin_owner_id: 'cust_hooked', origin_owner_name: 'Hook Ed' });
  const linked = await linkAccount(hub, emu, projectW.api_key, { session: s.token });
  const first = await receiver.waitFor((x) => x.path === '/dashboard-events' && x.json?.event === 'account.created' &&
    x.json?.account_id === linked.id, 10000, 'account.created');
  const eventId = first.headers['webhook-id'];
  assert.match(eventId, /^evt_/);

  await r.getByRole('button', { name: /^Recent deliveries/ }).click();
  await page.locator('#deliveries').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'deliveries-title');
  const delivery = page.locator('#deliveries-body tr', { hasText: eventId });
  const refresh = page.getByRole('button', { name: 'Refresh' });
  await refreshUntil(page, refresh, delivery, /delivered/);
  assert.match(await delivery.innerText(), new RegExp(`account\\.created[\\s\\S]*${eventId}[\\s\\S]*${linked.id}[\\s\\S]*delivered[\\s\\S]*1 attempt[\\s\\S]*Last: HTTP 200`));
  await page.screenshot({ path: path.join(SHOTS, 'webhooks.png'), animations: 'disabled', fullPage: true });

  // Retry: the same event again, with the same webhook-id.
  await delivery.getByRole('button', { name: /^Retry/ }).click();
  await page.locator('#progress', { hasText: 'queued' }).waitFor();
  const both = await receiver.waitForCount((x) => x.headers['webhook-id'] === eventId, 2, 10000, 'the retried delivery');
  assert.equal(both.length, 2);
  assert.equal(both[1].json.event, 'account.created');
  await refreshUntil(page, refresh, delivery, /delivered[\s\S]*2 attempts/);
});

test('webhooks: rotate shows the new secret once; delete asks for confirmation, then removes the endpoint', async (t) => {
  const url = receiver.url('/rotate-me');
  const made = await call(hub, 'POST', '/webhooks', { key: projectW.api_key, body: { url, events: [] } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const id = made.body.id;

  const page = await newPage(t);
  await signIn(page, projectW.api_key);
  await goToWebhooks(page);
  const r = hookRow(page, id);
  await r.waitFor();
  assert.match(await r.innerText(), /Every event/);

  await r.getByRole('button', { name: /^Rotate secret/ }).click();
  await page.locator('#secret-result').waitFor({ state: 'visible' });
  const secret = await page.locator('#secret-value').inputValue();
  assert.match(secret, /^whsec_/);
  assert.notEqual(secret, made.body.secret, 'a new secret');
  assert.match(await page.locator('#secret-label').innerText(), /^New signing secret of /);
  assert.match(await page.locator('#secret-note').innerText(), /will not be shown again[\s\S]*old secret keeps signing beside it for 24 hours/);
  await r.locator('text=The previous secret also signs until').waitFor();
  const after = (await call(hub, 'GET', `/webhooks/${id}`, { key: projectW.api_key })).body;
  const overlap = Date.parse(after.previous_secret_expires_at) - Date.now();
  assert.ok(overlap > 23 * 3600e3 && overlap <= 24 * 3600e3, `the old secret signs for 24 hours (${overlap})`);
  await page.getByRole('button', { name: 'I have saved it' }).click();
  assert.equal(await page.locator('#secret-result').isVisible(), false);
  assert.equal(await page.locator('#secret-value').inputValue(), '', 'gone from the page');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-focus-key')), `rotate:${id}`);

  await r.getByRole('button', { name: /^Delete endpoint/ }).click();
  await page.locator('#webhook-confirm-dialog').waitFor({ state: 'visible' });
  assert.match(await page.locator('#webhook-confirm-text').innerText(), new RegExp(`\\(${id}\\)`));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'webhook-confirm-cancel', 'the safe choice has focus');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#webhook-confirm-dialog').waitFor({ state: 'hidden' });
  assert.equal((await call(hub, 'GET', `/webhooks/${id}`, { key: projectW.api_key })).status, 200, 'nothing deleted on cancel');

  await r.getByRole('button', { name: /^Delete endpoint/ }).click();
  await page.getByRole('button', { name: 'Delete endpoint', exact: true }).click();
  await page.locator('#webhook-confirm-dialog').waitFor({ state: 'hidden' });
  await page.locator('#progress', { hasText: `Endpoint ${id} deleted.` }).waitFor();
  assert.equal(await r.count(), 0);
  assert.equal((await call(hub, 'GET', `/webhooks/${id}`, { key: projectW.api_key })).status, 404);
  await page.waitForFunction(() => document.activeElement.id === 'webhooks-title');
});

test('webhooks: a failing endpoint is flagged on the Webhooks page and counted on the Accounts page', async (t) => {
  // An endpoint fails after a day of failed deliveries: the list is stubbed, the page is real.
  const since = new Date(Date.now() - 26 * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const failing = {
    id: 'whk_failing_stub', url: 'https://receiver.example.test/down', events: [], status: 'failing',
    failing_since: since, previous_secret_expires_at: null, created_at: since,
  };
  const page = await newPage(t);
  await page.route('**/dashboard/api/webhooks', (route) => (route.request().method() === 'GET'
    ? route.fulfill({ json: { data: [failing], failing: 1 } })
    : route.continue()));
  await signIn(page, projectW.api_key);
  const notice = page.locator('#failing-notice');
  await notice.waitFor({ state: 'visible' });
  assert.match(await notice.innerText(), /^1 webhook endpoint is failing: every delivery to it has failed for a day\./);
  await page.screenshot({ path: path.join(SHOTS, 'accounts-failing.png'), animations: 'disabled' });

  // Its link goes to the Webhooks page, keyboard and all.
  await notice.getByRole('link', { name: 'Open the Webhooks page' }).click();
  await page.locator('#webhooks-view').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'webhooks-title');
  assert.match(await page.locator('#webhooks-failing').innerText(), /1 webhook endpoint is failing[\s\S]*retry the failed deliveries/);
  const r = hookRow(page, failing.id);
  await r.waitFor();
  assert.match(await r.innerText(), /failing[\s\S]*Every delivery has failed since/);
  assert.equal(await r.locator(`time[datetime="${since}"]`).count(), 2);

  // Back to the Accounts page: by the browser's Back, then by the navigation.
  await page.goBack();
  await page.locator('#accounts-view').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#nav-accounts').getAttribute('aria-current'), 'page');
  await goToWebhooks(page);
  await page.locator('#pages-nav').getByRole('link', { name: 'Accounts' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('#accounts-view').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'accounts-title');
  assert.equal(await page.locator('#webhooks-view').isVisible(), false);
});

test('keyboard only: sign in, open an account, switch tabs, close with Escape', async (t) => {
  const page = await newPage(t);
  await page.goto(`${hub.url}/dashboard`);
  await page.locator('#sign-in-view').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'api-key', 'the key field has focus');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip', 'the skip link comes first');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'api-key');
  await page.keyboard.type(projectA.api_key);
  await page.keyboard.press('Enter');
  await page.locator('#accounts-view').waitFor({ state: 'visible' });
  await rowsLoaded(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'accounts-title');

  const manage = page.locator('#accounts-body tr').first().getByRole('button', { name: /^Manage/ });
  await manage.focus();
  await page.keyboard.press('Enter');
  await page.locator('#account-dialog').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-overview');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-tester');
  assert.equal(await page.locator('#panel-tester').isVisible(), true);
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.locator('#panel-logs').isVisible(), true);
  await page.keyboard.press('Escape');
  await page.locator('#account-dialog').waitFor({ state: 'hidden' });
  assert.equal(await manage.evaluate((b) => b === document.activeElement), true, 'focus returns to the row');
});

test('a CSRF attempt is refused with 403 and changes nothing', async (t) => {
  const id = named.cust_alice.id;
  const page = await newPage(t);
  await signIn(page);
  const cookie = (await cookieOf(page)).value;
  const { csrf_token: csrf } = await page.evaluate(async () => (await fetch('/dashboard/api/session')).json());

  // A page on another origin posts with the operator's browser (cookies go along: same site).
  const target = `${hub.url}/dashboard/api/accounts/${id}/suspend`;
  const attacker = await page.context().newPage();
  const answers = [];
  attacker.on('response', (r) => { if (r.url() === target) answers.push(r.status()); });
  await attacker.goto(`${evil.url}/attack?target=${encodeURIComponent(target)}`);
  assert.equal(await attacker.evaluate(() => window.__done), 'sent');
  await Promise.all([
    attacker.waitForNavigation(),
    attacker.evaluate(() => document.getElementById('f').submit()),
  ]);
  assert.deepEqual(answers, [403, 403]);
  assert.match(await attacker.locator('body').innerText(), /cross-origin request refused/);
  await attacker.close();
  assert.equal((await account(id)).body.status, 'active', 'not suspended');

  // Every part is needed: the session, the CSRF token and linkhub's own Origin.
  const path = `/dashboard/api/accounts/${id}/suspend`;
  assert.equal((await raw('POST', path, { cookie, csrf, origin: evil.url })).status, 403);
  assert.equal((await raw('POST', path, { cookie, csrf })).status, 403, 'no Origin');
  assert.equal((await raw('POST', path, { cookie, origin: hub.url })).status, 403, 'no token');
  assert.equal((await raw('POST', path, { cookie, origin: hub.url, csrf: csrf.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })).status, 403);
  assert.equal((await raw('POST', path, { origin: hub.url, csrf })).status, 401, 'no session');
  assert.equal((await raw('POST', '/dashboard/api/sign_in', { origin: evil.url, body: { api_key: projectA.api_key } })).status, 403,
    'no sign-in from another origin either');
  assert.equal((await account(id)).body.status, 'active');
  // With all three, it works (and is undone).
  assert.equal((await raw('POST', path, { cookie, csrf, origin: hub.url })).status, 200);
  assert.equal((await raw('POST', `/dashboard/api/accounts/${id}/resume`, { cookie, csrf, origin: hub.url })).status, 200);
});

test('orphaned Items: an exchange without an answer shows as possible until its retry settles it', async (t) => {
  const page = await newPage(t);
  await signIn(page, projectB.api_key);
  assert.equal(await page.locator('#orphans').isVisible(), false, 'no notice without orphans');

  // Plaid's connection drops during the token exchange: the outcome is unknown.
  const session = await connectSession(hub, projectB.api_key, { origin_owner_id: 'orphan_owner', multiple: true });
  const body = {
    credentials: { public_token: await sandboxPublicToken(emu, FIRST_PLATYPUS) },
    metadata: { link_session_id: 'lsid-dashboard-orphan' },
  };
  await emu.control('POST', '/emulator/faults',
    { endpoint: '/item/public_token/exchange', drop_connection: true, count: 1 });
  const lost = await call(hub, 'POST', '/hub/accounts', { session: session.token, body });
  assert.ok(lost.status >= 500, JSON.stringify(lost.body));

  await page.reload();
  await page.locator('#accounts-view').waitFor({ state: 'visible' });
  const notice = page.locator('#orphans');
  await notice.waitFor({ state: 'visible' });
  assert.equal(await page.locator('#orphans-summary').innerText(), '1 orphaned Item at Plaid (0 definite, 1 possible)');
  await page.locator('#orphans-summary').click();
  const item = page.locator('#orphans-list li');
  assert.equal(await item.count(), 1);
  assert.match(await item.innerText(), /possible · link_session_id lsid-dashboard-orphan/);
  const listed = await page.evaluate(async () => (await fetch('/dashboard/api/orphans')).json());
  assert.equal(listed.possible, 1);
  assert.equal(listed.data[0].link_session_id, 'lsid-dashboard-orphan');

  // Another project's dashboard does not see it.
  const otherPage = await newPage(t);
  await signIn(otherPage, projectA.api_key);
  const theirs = await otherPage.evaluate(async () => (await fetch('/dashboard/api/orphans')).json());
  assert.deepEqual(theirs.data, []);

  // The retry with the same token links (the dropped request never reached Plaid's exchange):
  // not an orphan after all.
  const retried = await call(hub, 'POST', '/hub/accounts', { session: session.token, body });
  assert.equal(retried.status, 201, JSON.stringify(retried.body));
  await page.reload();
  await rowsLoaded(page);
  await page.waitForFunction(() => document.querySelector('#orphans').hidden);
});

test('sign out deletes the session: the old cookie no longer works', async (t) => {
  const page = await newPage(t);
  await signIn(page);
  const cookie = (await cookieOf(page)).value;
  const { csrf_token: csrf } = await page.evaluate(async () => (await fetch('/dashboard/api/session')).json());
  assert.equal((await raw('GET', '/dashboard/api/session', { cookie })).status, 200);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#sign-in-view').waitFor({ state: 'visible' });
  assert.equal(await cookieOf(page), undefined, 'the browser drops the cookie');
  const after = await raw('GET', '/dashboard/api/session', { cookie });
  assert.equal(after.status, 401);
  assert.equal(after.body.statusCode, 401);
  assert.equal((await raw('GET', '/dashboard/api/accounts', { cookie })).status, 401);
  assert.equal((await raw('POST', `/dashboard/api/accounts/${named.cust_alice.id}/suspend`, { cookie, csrf, origin: hub.url })).status, 401);
  await page.reload();
  await page.locator('#sign-in-view').waitFor({ state: 'visible' });
});

test('with an https public URL the session cookie is Secure, and the page and assets are served', async () => {
  const secure = await startHub(emu, { args: ['--public-url', 'https://hub.example.test'] });
  try {
    const key = (await createProject(secure, 'Secure project')).api_key;
    const post = (origin) => fetch(`${secure.url}/dashboard/api/sign_in`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Origin: origin },
      body: JSON.stringify({ api_key: key }),
    });
    const ok = await post('https://hub.example.test');
    assert.equal(ok.status, 200);
    const setCookie = ok.headers.get('set-cookie');
    assert.match(setCookie, /^linkhub_dashboard=lhds_\w+; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
    // Over https, an http page of the same host is another origin.
    assert.equal((await post(secure.url)).status, 403);
    for (const [p, type] of [['/dashboard', /^text\/html/], ['/dashboard/assets/dashboard.js', /^text\/javascript/],
      ['/dashboard/assets/dashboard.css', /^text\/css/], ['/dashboard/assets/icon.svg', /^image\/svg\+xml/]]) {
      const res = await fetch(secure.url + p);
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get('content-type'), type, p);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', p);
      assert.ok(res.headers.get('content-security-policy'), p);
    }
    assert.equal((await fetch(`${secure.url}/dashboard/assets/nope.js`)).status, 404);
  } finally {
    await secure.stop();
  }
});

test('screenshots: the Accounts page light, dark and at 360 px', async (t) => {
  const page = await newPage(t, { width: 1280, height: 820 });
  await signIn(page);
  await page.locator('#accounts-body tr').first().waitFor();
  await page.screenshot({ path: DOC_SHOT, animations: 'disabled' });
  assert.ok(fs.statSync(DOC_SHOT).size > 10_000);

  const dark = await newPage(t, { colorScheme: 'dark' });
  await signIn(dark);
  const bg = await dark.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.equal(bg, 'rgb(17, 20, 24)', 'dark colours in dark mode');
  await dark.screenshot({ path: path.join(SHOTS, 'accounts-dark.png'), animations: 'disabled' });
  await openAccount(dark, (await rowIds(dark))[0]);
  await dark.screenshot({ path: path.join(SHOTS, 'account-dark.png'), animations: 'disabled' });

  const small = await newPage(t, { width: 360, height: 740 });
  await signIn(small);
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'no sideways scrolling at 360 px');
  await small.screenshot({ path: path.join(SHOTS, 'accounts-360.png'), animations: 'disabled', fullPage: false });
  await openAccount(small, (await rowIds(small))[0]);
  const dialogWidth = await small.locator('#account-dialog').evaluate((d) => d.getBoundingClientRect().width);
  assert.ok(dialogWidth <= 360, `dialog fits (${dialogWidth})`);
  await small.screenshot({ path: path.join(SHOTS, 'account-360.png'), animations: 'disabled' });

  const hooks = await newPage(t, { width: 360, height: 740 });
  await signIn(hooks, projectW.api_key);
  await goToWebhooks(hooks);
  await hooks.locator('#webhooks-body tr').first().waitFor();
  const hooksOverflow = await hooks.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(hooksOverflow, 0, 'the Webhooks page fits at 360 px too');
  await hooks.screenshot({ path: path.join(SHOTS, 'webhooks-360.png'), animations: 'disabled', fullPage: true });
});
