// The Hub page (/embedded/integrations, a connect session's auth_link_url) in headless Chromium,
// through the emulator's Plaid Link stand-in: the one-click path (success, exit, MFA, an error_
// password, the OAuth redirect), re-link in update mode, the paste form (fresh, reused and
// expired tokens), a duplicate Item, expired and unknown sessions, and the iframe's postMessage
// origin policy. Contract: docs/hub.md.
//
// Screenshots of the Hub page and its confirmation go to a temporary directory, or to the
// directory LINKHUB_DOC_SCREENSHOTS names (docs/screenshots to refresh the README's images).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './lib/browser.mjs';
import { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET, repoRoot } from './lib/emulator.mjs';
import {
  hubBinary, spawnHub, newDataDir, newMasterKey, admin, createProject, call, connectSession,
  sandboxPublicToken, linkAccount,
} from './lib/hub.mjs';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const PAGES = path.join(here, 'pages');
const SHOTS = process.env.LINKHUB_DOC_SCREENSHOTS
  ? path.resolve(repoRoot, process.env.LINKHUB_DOC_SCREENSHOTS)
  : path.join(os.tmpdir(), 'linkhub-hub-shots');
const PLATYPUS = 'ins_109508';
const OAUTH_BANK = 'ins_127287';

let emu;
let hub;
let project;
let app;
let browser;
let owners = 0;

function newOwner() {
  owners += 1;
  return `hub-page-owner-${owners}`;
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A customer site on its own origin: /parent embeds the Hub page given as ?src=.
function startApp() {
  const files = {
    '/parent': ['hub_parent.html', 'text/html; charset=utf-8'],
    '/hub_parent.js': ['hub_parent.js', 'text/javascript'],
  };
  const server = http.createServer((req, res) => {
    const entry = files[new URL(req.url, 'http://x').pathname];
    if (!entry) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': entry[1], 'Cache-Control': 'no-store' });
    res.end(fs.readFileSync(path.join(PAGES, entry[0])));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  emu = await startEmulator(['--transactions-initial-delay', '0']);
  // The Hub page is the OAuth redirect_uri, so the hub's address must be known before it starts.
  const port = await freePort();
  const dataDir = newDataDir();
  const masterKey = newMasterKey();
  const spawned = await spawnHub(hubBinary, [
    'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir,
    '--plaid-base-url', emu.url, '--plaid-client-id', DEMO_CLIENT_ID,
    '--plaid-client-name', 'Acme Budget',
    '--plaid-link-script-url', `${emu.url}/link/v2/stable/link-initialize.js`,
    '--plaid-redirect-uri', `http://127.0.0.1:${port}/embedded/integrations`,
  ], { env: { ...process.env, LINKHUB_MASTER_KEY: masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET } });
  hub = { ...spawned, dataDir, masterKey };
  project = await createProject(hub, 'Hub page');
  app = await startApp();
  assert.notEqual(new URL(app.url).origin, new URL(hub.url).origin);
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (app) app.close();
  if (hub) await hub.stop();
  if (emu) await emu.stop();
});

// ------------------------------------------------------------------------ shared steps

// A page in a fresh context that fails the test on page errors and CSP violations (the answers
// of refused requests, 4xx, are expected in some tests and are not errors of the page).
async function newPage(t, { colorScheme = 'light', width = 1100, height = 860 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) {
      problems.push(`console.error: ${text} (${msg.location().url})`);
    }
  });
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], 'no page errors or CSP violations');
  });
  return page;
}

async function session(fields = {}, key = project.api_key) {
  return connectSession(hub, key, { origin_owner_id: newOwner(), origin_owner_name: 'Pat Doe', ...fields });
}

function heading(page) {
  return page.locator('.view:not([hidden]) h1');
}

async function waitHeading(page, re, timeout = 15000) {
  await page.locator('.view:not([hidden]) h1', { hasText: re }).waitFor({ timeout });
}

async function openHub(page, s) {
  await page.goto(s.auth_link_url);
  await waitHeading(page, /Connect your bank|Reconnect/);
}

async function linkFrame(page) {
  const handle = await page.waitForSelector('iframe[title="Plaid Link"]', { state: 'attached' });
  const frame = await handle.contentFrame();
  // The frame is attached before its first navigation commits (its URL is empty until then):
  // wait for Link's own page, which must come from the emulator's origin.
  await frame.waitForURL((url) => url.origin === new URL(emu.url).origin);
  return frame;
}

async function waitView(frame, name) {
  await frame.locator(`section[data-view="${name}"]`).waitFor({ state: 'visible', timeout: 15000 });
}

async function pickInstitution(frame, query, institutionId) {
  await waitView(frame, 'consent');
  await frame.locator('#consent-continue').click();
  await waitView(frame, 'select_institution');
  await frame.getByLabel('Search institutions').fill(query);
  const button = frame.locator(`#results button[data-institution-id="${institutionId}"]`);
  await button.waitFor({ state: 'visible' });
  await button.click();
}

async function credentials(frame, password) {
  await waitView(frame, 'credentials');
  await frame.getByLabel('Username').fill('user_good');
  await frame.getByLabel('Password', { exact: true }).fill(password);
  await frame.locator('#cred-submit').click();
}

async function finishLink(frame) {
  await waitView(frame, 'select_accounts');
  await frame.locator('#accounts-continue').click();
  await waitView(frame, 'success');
  await frame.locator('#success-continue').click();
}

async function account(id) {
  const r = await call(hub, 'GET', `/accounts/${id}`, { key: project.api_key });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function ownerAccounts(owner) {
  const r = await call(hub, 'GET', `/accounts?origin_owner_id=${encodeURIComponent(owner)}`, { key: project.api_key });
  assert.equal(r.status, 200);
  return r.body;
}

async function emulatorItems() {
  return (await emu.control('GET', '/emulator/items')).items;
}

// The confirmation lists every account the hub stored, with name, mask and type.
async function assertConfirmation(page, acc, bank) {
  await waitHeading(page, new RegExp(`(Connected|Reconnected) ${bank}`));
  const rows = page.locator('#done-accounts li');
  assert.equal(await rows.count(), acc.plaid.accounts.length);
  const text = await page.locator('#done-accounts').innerText();
  for (const a of acc.plaid.accounts) {
    assert.ok(text.includes(a.name), `lists ${a.name}`);
    assert.ok(text.includes(`•••• ${a.mask}`), `shows mask ${a.mask}`);
    assert.ok(text.includes(a.type), `shows type ${a.type}`);
  }
}

async function shot(page, name, { fullPage = false } = {}) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled', fullPage });
}

// Moves a session's expiry into the past in the running hub's database.
async function expire(s) {
  const db = path.join(hub.dataDir, 'linkhub.db');
  await execFileP('sqlite3', ['-cmd', '.timeout 5000', db,
    `UPDATE connect_sessions SET expires_at = created_at - 1 WHERE id = ${Number(s.id)}`]);
}

// ------------------------------------------------------------------------ one-click path

test('Connect your bank: Plaid Link, exchange, and a confirmation naming the bank and its accounts', async (t) => {
  const page = await newPage(t);
  const s = await session();
  const res = await page.goto(s.auth_link_url);
  assert.equal(res.status(), 200);
  const csp = res.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self' http:\/\/127\.0\.0\.1:\d+\/link\/v2\/stable\/link-initialize\.js;/);
  assert.match(csp, /frame-ancestors \*/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  await waitHeading(page, /Connect your bank/);
  assert.match(await page.locator('.view:not([hidden]) .lead').innerText(), /never shared with Acme Budget/);
  await shot(page, 'hub');

  await page.getByRole('button', { name: 'Connect your bank' }).click();
  const frame = await linkFrame(page);
  await pickInstitution(frame, 'First Platypus', PLATYPUS);
  await credentials(frame, 'pass_good');
  await finishLink(frame);

  await waitHeading(page, /Connected First Platypus Bank/);
  const [acc] = await ownerAccounts(s.origin_owner_id);
  assert.equal(acc.status, 'active');
  assert.equal(acc.plaid.institution_name, 'First Platypus Bank');
  assert.ok(acc.plaid.accounts.length >= 2);
  await assertConfirmation(page, acc, 'First Platypus Bank');
  // Focus followed the content, so a keyboard user is on the confirmation.
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Connected First Platypus Bank');
  await shot(page, 'hub-confirmation', { fullPage: true });
  // Standalone, Done says the window may be closed.
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByText('You can close this window now.').waitFor();
  // The link_token kept for OAuth is gone from the tab.
  assert.equal(await page.evaluate(() => sessionStorage.getItem('linkhub.hub.link')), null);
});

test('Closing Plaid Link shows a friendly message and a retry that opens Link again', async (t) => {
  const page = await newPage(t);
  await openHub(page, await session());
  await page.getByRole('button', { name: 'Connect your bank' }).click();
  const frame = await linkFrame(page);
  await waitView(frame, 'consent');
  await frame.getByRole('button', { name: 'Close' }).click();
  await waitView(frame, 'confirm_exit');
  await frame.locator('#confirm-exit').click();

  await waitHeading(page, /No account connected yet/);
  assert.match(await page.locator('#exit-message').innerText(), /nothing was connected/);
  assert.equal(await page.locator('#exit-code').isVisible(), false);
  // The finished Link frame is gone; Try again makes a new one.
  await page.locator('iframe[title="Plaid Link"]').waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Try again' }).click();
  const again = await linkFrame(page);
  await waitView(again, 'consent');
  assert.equal(await page.locator('iframe[title="Plaid Link"]').count(), 1, 'one Link frame at a time');
});

test('MFA: a device code completes the link', async (t) => {
  const page = await newPage(t);
  const s = await session();
  await openHub(page, s);
  await page.getByRole('button', { name: 'Connect your bank' }).click();
  const frame = await linkFrame(page);
  await pickInstitution(frame, 'First Platypus', PLATYPUS);
  await credentials(frame, 'mfa_device');
  await waitView(frame, 'mfa');
  await frame.getByLabel('Verification code', { exact: true }).fill('1234');
  await frame.locator('#mfa-submit').click();
  await finishLink(frame);
  await waitHeading(page, /Connected First Platypus Bank/);
  const list = await ownerAccounts(s.origin_owner_id);
  assert.equal(list.length, 1);
  assert.equal(list[0].status, 'active');
});

test('An error_ password: Link shows the error, and the Hub names it after exit', async (t) => {
  const page = await newPage(t);
  const s = await session();
  await openHub(page, s);
  await page.getByRole('button', { name: 'Connect your bank' }).click();
  const frame = await linkFrame(page);
  await pickInstitution(frame, 'First Platypus', PLATYPUS);
  await credentials(frame, 'error_INVALID_CREDENTIALS');
  await waitView(frame, 'error');
  const shown = await frame.locator('#error-message').innerText();
  await frame.getByRole('button', { name: 'Exit' }).click();

  await waitHeading(page, /Your bank could not be connected/);
  assert.equal(await page.locator('#exit-message').innerText(), shown, 'Plaid\'s display message');
  assert.match(await page.locator('#exit-code').innerText(), /INVALID_CREDENTIALS/);
  assert.deepEqual(await ownerAccounts(s.origin_owner_id), [], 'nothing linked');
});

test('OAuth bank: the Hub page is the redirect_uri and resumes Link with the same link_token', async (t) => {
  const page = await newPage(t);
  const s = await session();
  await openHub(page, s);
  await page.getByRole('button', { name: 'Connect your bank' }).click();
  const frame = await linkFrame(page);
  const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('linkhub.hub.link')));
  assert.match(stored.link_token, /^link-sandbox-/);
  assert.equal(stored.token, s.token);
  await pickInstitution(frame, 'Platypus OAuth', OAUTH_BANK);
  await waitView(frame, 'oauth');
  await frame.locator('#oauth-continue').click();

  await page.waitForURL((u) => u.pathname === '/link/v2/oauth/authorize', { timeout: 15000 });
  await page.getByRole('button', { name: 'Allow' }).click();
  // Back on the Hub page with ?oauth_state_id= and no session token in the URL.
  await page.waitForURL((u) => u.pathname === '/embedded/integrations' && u.searchParams.has('oauth_state_id'));
  const resumed = await linkFrame(page);
  await finishLink(resumed);

  await waitHeading(page, /Connected Platypus OAuth Bank/);
  const [acc] = await ownerAccounts(s.origin_owner_id);
  assert.equal(acc.plaid.institution_id, OAUTH_BANK);
  await assertConfirmation(page, acc, 'Platypus OAuth Bank');
  const u = new URL(page.url());
  assert.equal(u.searchParams.get('token'), s.token, 'a reload starts from the session again');
  assert.equal(u.searchParams.has('oauth_state_id'), false);
  // The link token the emulator saw carried the Hub page as redirect_uri.
  const got = await emu.plaid('/link/token/get', { link_token: stored.link_token });
  assert.equal(got.body.metadata.redirect_uri, `${hub.url}/embedded/integrations`);
});

test('Re-link session: Link in update mode, and the account is active again without a new exchange', async (t) => {
  const owner = newOwner();
  const base = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe' });
  const linked = await linkAccount(hub, emu, project.api_key, { session: base.token });
  const before = await account(linked.id);
  // Plaid reports ITEM_LOGIN_REQUIRED once: the hub marks the account in error.
  await emu.control('POST', '/emulator/faults', {
    endpoint: '/accounts/get', error_code: 'ITEM_LOGIN_REQUIRED', item_id: before.plaid.item_id, count: 1,
  });
  const rpc = await call(hub, 'POST', '/actions/rpc', {
    key: project.api_key, headers: { 'x-account-id': linked.id }, body: { action: 'plaid_list_accounts' },
  });
  assert.equal(rpc.status, 409, JSON.stringify(rpc.body));
  assert.equal((await account(linked.id)).status, 'error');
  const items = (await emulatorItems()).length;

  const s = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe', account_id: linked.id });
  const page = await newPage(t);
  await openHub(page, s);
  await waitHeading(page, /Reconnect First Platypus Bank/);
  assert.equal(await page.locator('#manual').isVisible(), false, 'no paste form in update mode');
  await page.getByRole('button', { name: 'Reconnect your bank' }).click();
  const frame = await linkFrame(page);
  // Update mode goes straight to the bank's login.
  await credentials(frame, 'pass_good');
  await waitView(frame, 'success');
  await frame.locator('#success-continue').click();

  await waitHeading(page, /Reconnected First Platypus Bank/);
  const after = await account(linked.id);
  assert.equal(after.status, 'active');
  assert.equal(after.plaid.item_id, before.plaid.item_id, 'the same Item');
  assert.equal((await emulatorItems()).length, items, 'no new Item was made');
  assert.equal((await ownerAccounts(owner)).length, 1, 'no second account');
});

// ------------------------------------------------------------------------ the paste form

test('Paste form: a fresh token links; a reused and an expired one say to run Link again', async (t) => {
  const page = await newPage(t);
  const s = await session({ multiple: true });
  await openHub(page, s);
  // Keyboard only: open the disclosure, fill the field, submit with Enter.
  await page.locator('#manual summary').focus();
  await page.keyboard.press('Enter');
  const field = page.getByLabel('Public Token', { exact: true });
  await field.waitFor();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  assert.match(await page.locator('#public-token-error').innerText(), /Paste the public_token/);
  assert.equal(await field.getAttribute('aria-invalid'), 'true');

  await field.fill(await sandboxPublicToken(emu, PLATYPUS));
  await field.press('Enter');
  await waitHeading(page, /Connected First Platypus Bank/);
  const [acc] = await ownerAccounts(s.origin_owner_id);
  await assertConfirmation(page, acc, 'First Platypus Bank');
  assert.equal(await page.getByRole('button', { name: 'Connect another bank' }).isVisible(), true);

  // Reused: the token was exchanged elsewhere already.
  await page.getByRole('button', { name: 'Connect another bank' }).click();
  await page.locator('#manual').evaluate((d) => { d.open = true; });
  const used = await sandboxPublicToken(emu, 'ins_109509');
  assert.equal((await emu.plaid('/item/public_token/exchange', { public_token: used })).status, 200);
  await field.fill(used);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const error = page.locator('#public-token-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.innerText(), /expired or was already used: run Plaid Link again/);
  assert.equal(await field.inputValue(), '', 'the field is cleared for the next try');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'public-token');

  // Expired: 31 minutes pass at Plaid before the paste.
  const old = await sandboxPublicToken(emu, 'ins_109510');
  await emu.control('POST', '/emulator/clock/advance', { seconds: 31 * 60 });
  await field.fill(old);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.locator('#public-token-error', { hasText: /run Plaid Link again/ }).waitFor();
  assert.equal((await ownerAccounts(s.origin_owner_id)).length, 1, 'only the fresh token linked');
});

test('A duplicate Item is refused with the existing account it matches', async (t) => {
  const owner = newOwner();
  const first = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe' });
  const existing = await linkAccount(hub, emu, project.api_key, { session: first.token });
  const exchanged = async () => (await emulatorItems()).filter((i) => i.exchanged).length;
  const exchangedBefore = await exchanged();
  const s = await connectSession(hub, project.api_key, { origin_owner_id: owner, origin_owner_name: 'Pat Doe', multiple: true });

  const page = await newPage(t);
  await openHub(page, s);
  await page.getByRole('button', { name: 'Connect your bank' }).click();
  const frame = await linkFrame(page);
  await pickInstitution(frame, 'First Platypus', PLATYPUS);
  await credentials(frame, 'pass_good');
  await finishLink(frame);

  const alert = page.locator('#start-alert');
  await alert.waitFor({ state: 'visible' });
  assert.equal(await alert.getAttribute('role'), 'alert');
  const text = await alert.innerText();
  assert.match(text, new RegExp(`already linked as account ${existing.id} \\(First Platypus Bank\\)`));
  assert.match(text, new RegExp(`Existing account: ${existing.id}`));
  assert.equal((await ownerAccounts(owner)).length, 1);
  // Refused before the exchange: Link's Item was never exchanged, so nothing is billed for it.
  assert.equal(await exchanged(), exchangedBefore);
});

// ------------------------------------------------------------------------ sessions that cannot link

test('Expired, unknown and missing session tokens get a clear page', async (t) => {
  const page = await newPage(t);
  const s = await session();
  await expire(s);
  let res = await page.goto(s.auth_link_url);
  assert.equal(res.status(), 410);
  await waitHeading(page, /This link has expired/);
  assert.match(await page.locator('.view:not([hidden]) .lead').innerText(), /ask it for a new link/);

  res = await page.goto(`${hub.url}/embedded/integrations?token=lhcs_nope`);
  assert.equal(res.status(), 404);
  await waitHeading(page, /This link is not valid/);

  res = await page.goto(`${hub.url}/embedded/integrations`);
  assert.equal(res.status(), 404);
  await waitHeading(page, /This link is incomplete/);

  // Without JavaScript the server-rendered state still shows the right page.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  try {
    const p = await noJs.newPage();
    await p.goto(s.auth_link_url);
    assert.equal(await p.locator('[data-view="expired"] h1').isVisible(), true);
    assert.equal(await p.locator('[data-view="loading"]').isVisible(), false);
    assert.equal(await p.locator('[data-view="start"]').isVisible(), false);
  } finally {
    await noJs.close();
  }

  // A session that expires while the page is open: the next step says so.
  const live = await session();
  await openHub(page, live);
  await expire(live);
  await page.getByRole('button', { name: 'Connect your bank' }).click();
  await waitHeading(page, /This link has expired/);
});

// ------------------------------------------------------------------------ inside an iframe

async function messages(page) {
  return page.evaluate(() => window.__messages);
}

test('Embedded: ready, success {id, provider} and close reach the parent from the hub origin', async (t) => {
  const page = await newPage(t);
  const s = await session();
  await page.goto(`${app.url}/parent?src=${encodeURIComponent(s.auth_link_url)}`);
  const frame = page.frameLocator('iframe[title="Connect your bank"]');
  await frame.locator('.view:not([hidden]) h1', { hasText: 'Connect your bank' }).waitFor();
  await page.waitForFunction(() => window.__messages.some((m) => m.data.type === 'ready'));

  await frame.locator('#manual summary').click();
  await frame.getByLabel('Public Token', { exact: true }).fill(await sandboxPublicToken(emu, PLATYPUS));
  await frame.getByRole('button', { name: 'Connect', exact: true }).click();
  await frame.locator('.view:not([hidden]) h1', { hasText: 'Connected First Platypus Bank' }).waitFor();
  await page.waitForFunction(() => window.__messages.some((m) => m.data.type === 'success'));
  await frame.getByRole('button', { name: 'Done' }).click();
  await page.waitForFunction(() => window.__messages.some((m) => m.data.type === 'close'));

  const [acc] = await ownerAccounts(s.origin_owner_id);
  const got = await messages(page);
  for (const m of got) {
    assert.equal(m.origin, new URL(hub.url).origin, 'every message comes from the hub');
    assert.equal(m.data.source, 'linkhub-hub');
  }
  assert.deepEqual(got.map((m) => m.data.type), ['ready', 'success', 'close']);
  assert.deepEqual(got[1].data, { source: 'linkhub-hub', type: 'success', id: acc.id, provider: 'plaid' });
  assert.deepEqual(got[0].data, { source: 'linkhub-hub', type: 'ready' }, 'ready carries nothing');
  // Embedded, the page offers a Close that tells the parent.
  assert.equal(await frame.getByRole('button', { name: 'Close' }).isVisible(), true);
});

test('Embedded: an expired session posts an error, with a code only', async (t) => {
  const page = await newPage(t);
  const s = await session();
  await expire(s);
  await page.goto(`${app.url}/parent?src=${encodeURIComponent(s.auth_link_url)}`);
  await page.waitForFunction(() => window.__messages.length > 0);
  const [m] = await messages(page);
  assert.deepEqual(m.data, { source: 'linkhub-hub', type: 'error', code: 'session_expired', message: 'This link cannot be used.' });
});

test('A project that lists origins: only those may embed the page, and messages go only to them', async (t) => {
  const other = 'https://app.other.example';
  const narrow = await admin(hub.dataDir, hub.masterKey,
    ['project', 'create', '--name', 'Narrow', '--allowed-origins', `${other},${app.url}`]);
  assert.deepEqual(narrow.allowed_origins, [other, app.url]);
  const s = await connectSession(hub, narrow.api_key, { origin_owner_id: newOwner(), origin_owner_name: 'Pat Doe' });

  // An allowed parent gets each message once (the other listed origin does not match it).
  const page = await newPage(t);
  const res = await call(hub, 'GET', `/embedded/integrations?token=${s.token}`);
  assert.match(res.headers.get('content-security-policy'),
    new RegExp(`frame-ancestors 'self' ${other.replaceAll('.', '\\.')} ${app.url.replaceAll('.', '\\.')};`));
  await page.goto(`${app.url}/parent?src=${encodeURIComponent(s.auth_link_url)}`);
  const frame = page.frameLocator('iframe[title="Connect your bank"]');
  await frame.locator('#manual summary').click();
  await frame.getByLabel('Public Token', { exact: true }).fill(await sandboxPublicToken(emu, PLATYPUS));
  await frame.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.waitForFunction(() => window.__messages.some((m) => m.data.type === 'success'));
  assert.deepEqual((await messages(page)).map((m) => m.data.type), ['ready', 'success']);

  // The project narrowed to another origin: the browser refuses to frame the page for this
  // parent, and nothing is posted to it.
  const update = await admin(hub.dataDir, hub.masterKey,
    ['project', 'update', '--project', narrow.project_id, '--allowed-origins', other]);
  assert.deepEqual(update.allowed_origins, [other]);
  const s2 = await connectSession(hub, narrow.api_key, { origin_owner_id: newOwner(), origin_owner_name: 'Pat Doe' });
  const blocked = await browser.newContext();
  t.after(() => blocked.close());
  const p2 = await blocked.newPage();
  const frameResponse = p2.waitForResponse((r) => r.url().startsWith(`${hub.url}/embedded/integrations`));
  await p2.goto(`${app.url}/parent?src=${encodeURIComponent(s2.auth_link_url)}`);
  assert.equal((await frameResponse).status(), 200);
  const child = p2.frames().find((f) => f !== p2.mainFrame());
  await child.waitForLoadState();
  // The browser put its error page in the frame: the Hub page never ran there, so it cannot
  // post anything to this parent.
  assert.notEqual(await child.evaluate(() => document.body && document.body.getAttribute('data-state')), 'ready');
  assert.deepEqual(await p2.evaluate(() => window.__messages), []);
  // And the Hub API refuses the session from that origin (no CORS grant, 403).
  const fromApp = await p2.evaluate(async ([u, token]) => {
    try {
      const r = await fetch(u, { headers: { 'x-hub-session-token': token } });
      return `status ${r.status}`;
    } catch (e) {
      return 'blocked';
    }
  }, [`${hub.url}/hub/settings`, s2.token]);
  assert.equal(fromApp, 'blocked');
  const direct = await call(hub, 'GET', '/hub/settings', { session: s2.token, headers: { Origin: app.url } });
  assert.equal(direct.status, 403);
  assert.equal(direct.headers.get('access-control-allow-origin'), null);
});

test('Small screens and dark mode: nothing overflows at 360 px; dark colours apply', async (t) => {
  const page = await newPage(t, { colorScheme: 'dark', width: 360, height: 740 });
  await openHub(page, await session());
  await page.locator('#manual summary').click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'no horizontal scrolling at 360 px');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(14, 17, 23)');
  await shot(page, 'hub-mobile-dark');
});
