// Browser test of the emulator's Plaid Link stand-in: a "customer app" served from its own
// origin loads <emulator>/link/v2/stable/link-initialize.js and runs Link in headless Chromium.
// Contract under test: docs/emulator-link-protocol.md and plaid-api.md §8.
//
// Screenshots of every main view land in /tmp/link-shots/ (override with LINK_SHOTS_DIR).
// LINK_TEST_WEB_DIR=emulator/web serves the web files from disk (`--web-dir`) while iterating.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './lib/browser.mjs';
import { startEmulator } from './lib/emulator.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PAGES = path.join(here, 'pages');
const SHOTS = process.env.LINK_SHOTS_DIR || '/tmp/link-shots';
const FIRST_PLATYPUS = 'ins_109508';
const OAUTH_BANK = 'ins_127287';
const EVENT_METADATA_KEYS = [
  'error_type', 'error_code', 'error_message', 'exit_status', 'institution_id', 'institution_name',
  'institution_search_query', 'is_update_mode', 'mfa_type', 'view_name', 'selection', 'timestamp',
  'link_session_id', 'request_id',
];

let emu;
let app;
let browser;
let userCounter = 0;

// ------------------------------------------------------------------------ customer app server

function startApp(emulatorUrl) {
  const files = {
    '/app': ['app.html', 'text/html; charset=utf-8'],
    '/oauth-return': ['app.html', 'text/html; charset=utf-8'],
    '/app.js': ['app.js', 'text/javascript'],
    '/app.css': ['app.css', 'text/css'],
  };
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    const entry = files[pathname];
    if (pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (!entry) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    let body = fs.readFileSync(path.join(PAGES, entry[0]), 'utf8');
    body = body.replaceAll('{{EMULATOR}}', emulatorUrl);
    res.writeHead(200, { 'Content-Type': entry[1], 'Cache-Control': 'no-store' });
    res.end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
    });
  });
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const args = ['--transactions-initial-delay', '0'];
  if (process.env.LINK_TEST_WEB_DIR) args.push('--web-dir', path.resolve(process.env.LINK_TEST_WEB_DIR));
  emu = await startEmulator(args);
  app = await startApp(emu.url);
  assert.notEqual(new URL(app.url).origin, new URL(emu.url).origin, 'the app must be cross-origin');
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (app) app.close();
  if (emu) await emu.stop();
});

// ------------------------------------------------------------------------ helpers

async function plaidOk(p, body) {
  const res = await emu.plaid(p, body);
  assert.equal(res.status, 200, `${p} -> ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function createLinkToken(extra = {}) {
  userCounter += 1;
  const body = await plaidOk('/link/token/create', {
    client_name: 'Acme Budget',
    language: 'en',
    country_codes: ['US'],
    user: { client_user_id: `browser-user-${userCounter}` },
    products: ['transactions'],
    ...extra,
  });
  assert.match(body.link_token, /^link-sandbox-/);
  return body.link_token;
}

// A page in a fresh browser context that fails the test on page errors and CSP violations.
async function newPage(t, { colorScheme = 'light', width = 1100, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 400/.test(text)) {
      problems.push(`console.error: ${text} (${msg.location().url})`);
    }
  });
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], 'no page errors or CSP violations');
  });
  return page;
}

async function openApp(page, token) {
  await page.goto(`${app.url}/app?token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => window.__results && window.__results.loaded);
}

// The Link iframe's Frame (it lives on the emulator origin).
async function linkFrame(page) {
  const handle = await page.waitForSelector('iframe[title="Plaid Link"]', { state: 'attached' });
  const frame = await handle.contentFrame();
  assert.ok(frame, 'Link iframe has a frame');
  // The frame is attached before its first navigation commits (its URL is empty until then):
  // wait for Link's own page, which must come from the emulator's origin.
  await frame.waitForURL((url) => url.origin === new URL(emu.url).origin);
  return frame;
}

function view(frame, name) {
  return frame.locator(`section[data-view="${name}"]`);
}

async function waitView(frame, name, timeout = 10000) {
  await view(frame, name).waitFor({ state: 'visible', timeout });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled' });
}

const results = (page) => page.evaluate(() => window.__results);

// Event names, with TRANSITION_VIEW carrying its view_name, LOADING transitions dropped and
// repeated SEARCH_INSTITUTION collapsed (one per debounced query).
function eventTrail(events) {
  const out = [];
  for (const e of events) {
    if (e.name === 'TRANSITION_VIEW' && e.metadata.view_name === 'LOADING') continue;
    const name = e.name === 'TRANSITION_VIEW' ? `TRANSITION_VIEW:${e.metadata.view_name}` : e.name;
    if (name === 'SEARCH_INSTITUTION' && out[out.length - 1] === name) continue;
    out.push(name);
  }
  return out;
}

function assertEventShapes(events, linkSessionId) {
  for (const e of events) {
    for (const key of EVENT_METADATA_KEYS) {
      assert.ok(key in e.metadata, `${e.name} metadata has ${key}`);
    }
    assert.ok(!Number.isNaN(Date.parse(e.metadata.timestamp)), `${e.name} timestamp is ISO 8601`);
    assert.equal(e.metadata.link_session_id, linkSessionId, `${e.name} link_session_id`);
    assert.equal(typeof e.metadata.request_id, 'string', `${e.name} request_id`);
  }
}

// Waits until the results of a typed query (not the featured list) are shown.
async function waitSearchResults(frame) {
  await frame.locator('#search-status', { hasText: /^\d+ results?$/ }).waitFor();
}

async function pickInstitution(frame, query, institutionId) {
  await frame.getByLabel('Search institutions').fill(query);
  await waitSearchResults(frame);
  const button = frame.locator(`#results button[data-institution-id="${institutionId}"]`);
  await button.waitFor({ state: 'visible' });
  await button.click();
}

async function submitCredentials(frame, username, password) {
  await frame.getByLabel('Username').fill(username);
  await frame.getByLabel('Password', { exact: true }).fill(password);
  await frame.locator('#cred-submit').click();
}

async function linkVisible(page) {
  return page.locator('iframe[title="Plaid Link"]').isVisible();
}

// ------------------------------------------------------------------------ tests

test('(1) user_good/pass_good at First Platypus Bank ends in onSuccess with an exchangeable public_token', async (t) => {
  const page = await newPage(t);
  await openApp(page, await createLinkToken());
  await shot(page, 'app-light');
  await page.click('#connect');
  const frame = await linkFrame(page);

  await waitView(frame, 'consent');
  assert.match(await view(frame, 'consent').locator('h1').innerText(),
    /Acme Budget uses Plaid to connect your account/);
  await shot(page, 'consent-light');
  await frame.getByRole('button', { name: 'Continue' }).click();

  await waitView(frame, 'select_institution');
  await frame.locator('#results button').first().waitFor();
  await shot(page, 'search-light');
  await frame.getByLabel('Search institutions').fill('First Platypus');
  await waitSearchResults(frame);
  const platypus = frame.locator(`#results button[data-institution-id="${FIRST_PLATYPUS}"]`);
  await platypus.waitFor();
  await shot(page, 'search-results-light');
  await platypus.click();

  await waitView(frame, 'credentials');
  assert.match(await view(frame, 'credentials').innerText(), /user_good[\s\S]*pass_good/);
  await shot(page, 'credentials-light');
  await submitCredentials(frame, 'user_good', 'pass_good');

  await waitView(frame, 'select_accounts');
  const boxes = frame.locator('#accounts-list input[type="checkbox"]');
  const total = await boxes.count();
  assert.ok(total >= 2, `several accounts offered (got ${total})`);
  for (let i = 0; i < total; i += 1) assert.ok(await boxes.nth(i).isChecked(), 'all selected by default');
  await shot(page, 'accounts-light');
  const dropped = await boxes.nth(1).inputValue();
  await boxes.nth(1).uncheck();
  await frame.locator('#accounts-continue').click();

  await waitView(frame, 'success');
  assert.match(await view(frame, 'success').innerText(), /Success![\s\S]*Your account has been connected/);
  await shot(page, 'success-light');
  await frame.locator('#success-continue').click();
  await page.waitForFunction(() => window.__results.success);

  const r = await results(page);
  const { public_token: publicToken, metadata } = r.success;
  assert.match(publicToken, /^public-sandbox-/);
  assert.deepEqual(metadata.institution, { name: 'First Platypus Bank', institution_id: FIRST_PLATYPUS });
  assert.equal(metadata.accounts.length, total - 1, 'only the selected accounts');
  assert.ok(!metadata.accounts.some((a) => a.id === dropped), 'the unchecked account is left out');
  for (const a of metadata.accounts) {
    for (const key of ['id', 'name', 'mask', 'type', 'subtype', 'verification_status', 'class_type']) {
      assert.ok(key in a, `account has ${key}`);
    }
  }
  assert.equal(typeof metadata.link_session_id, 'string');
  assert.ok('transfer_status' in metadata);
  assert.equal(await linkVisible(page), false, 'Link is hidden after onSuccess');

  assert.deepEqual(eventTrail(r.events), [
    'OPEN',
    'TRANSITION_VIEW:CONSENT',
    'TRANSITION_VIEW:SELECT_INSTITUTION',
    'SEARCH_INSTITUTION',
    'SELECT_INSTITUTION',
    'TRANSITION_VIEW:CREDENTIAL',
    'SUBMIT_CREDENTIALS',
    'TRANSITION_VIEW:SELECT_ACCOUNT',
    'TRANSITION_VIEW:CONNECTED',
    'HANDOFF',
  ]);
  assert.deepEqual(r.log.slice(-2), ['event:HANDOFF', 'onSuccess'], 'HANDOFF precedes onSuccess');
  assertEventShapes(r.events, metadata.link_session_id);
  const search = r.events.find((e) => e.name === 'SEARCH_INSTITUTION');
  assert.equal(search.metadata.institution_search_query, 'First Platypus');
  const select = r.events.find((e) => e.name === 'SELECT_INSTITUTION');
  assert.equal(select.metadata.institution_id, FIRST_PLATYPUS);
  assert.equal(select.metadata.institution_name, 'First Platypus Bank');
  assert.equal(r.events[0].metadata.is_update_mode, 'no');

  const exchanged = await plaidOk('/item/public_token/exchange', { public_token: publicToken });
  assert.match(exchanged.access_token, /^access-sandbox-/);
  const accounts = await plaidOk('/accounts/get', { access_token: exchanged.access_token });
  const ids = new Set(accounts.accounts.map((a) => a.account_id));
  for (const a of metadata.accounts) assert.ok(ids.has(a.id), `account ${a.id} is on the Item`);
  const again = await emu.plaid('/item/public_token/exchange', { public_token: publicToken });
  assert.equal(again.status, 400, 'a public_token is single-use');
});

test('(2) mfa_device: a wrong code shows an error, then 1234 works', async (t) => {
  const page = await newPage(t);
  await openApp(page, await createLinkToken());
  await page.click('#connect');
  const frame = await linkFrame(page);
  await waitView(frame, 'consent');
  await frame.locator('#consent-continue').click();
  await pickInstitution(frame, 'First Platypus', FIRST_PLATYPUS);
  await waitView(frame, 'credentials');
  await submitCredentials(frame, 'user_good', 'mfa_device');

  await waitView(frame, 'mfa');
  await shot(page, 'mfa-light');
  await frame.getByLabel('Verification code', { exact: true }).fill('0000');
  await frame.locator('#mfa-submit').click();
  await frame.locator('#mfa-error').waitFor({ state: 'visible' });
  await waitView(frame, 'mfa');
  assert.ok((await frame.locator('#mfa-error').innerText()).length > 0, 'the error is shown');
  assert.equal(await frame.getByLabel('Verification code', { exact: true }).getAttribute('aria-invalid'), 'true');
  await shot(page, 'mfa-error-light');

  await frame.getByLabel('Verification code', { exact: true }).fill('1234');
  await frame.locator('#mfa-submit').click();
  await waitView(frame, 'select_accounts');
  await frame.locator('#accounts-continue').click();
  await waitView(frame, 'success');
  await frame.locator('#success-continue').click();
  await page.waitForFunction(() => window.__results.success);

  const r = await results(page);
  assert.match(r.success.public_token, /^public-sandbox-/);
  const trail = eventTrail(r.events);
  assert.deepEqual(trail.slice(trail.indexOf('SUBMIT_CREDENTIALS')), [
    'SUBMIT_CREDENTIALS',
    'TRANSITION_VIEW:MFA',
    'SUBMIT_MFA',
    'ERROR',
    'TRANSITION_VIEW:MFA',
    'SUBMIT_MFA',
    'TRANSITION_VIEW:SELECT_ACCOUNT',
    'TRANSITION_VIEW:CONNECTED',
    'HANDOFF',
  ]);
  const error = r.events.find((e) => e.name === 'ERROR');
  assert.equal(error.metadata.error_code, 'INVALID_MFA');
  assert.equal(error.metadata.error_type, 'ITEM_ERROR');
  const mfaView = r.events.find((e) => e.name === 'TRANSITION_VIEW' && e.metadata.view_name === 'MFA');
  assert.equal(mfaView.metadata.mfa_type, 'code');
  assert.equal(r.events.find((e) => e.name === 'SUBMIT_MFA').metadata.mfa_type, 'code');
  assertEventShapes(r.events, r.success.metadata.link_session_id);
});

test('(3) error_INVALID_CREDENTIALS shows the error view; exiting calls onExit with that error', async (t) => {
  const page = await newPage(t);
  await openApp(page, await createLinkToken());
  await page.click('#connect');
  const frame = await linkFrame(page);
  await waitView(frame, 'consent');
  await frame.locator('#consent-continue').click();
  await pickInstitution(frame, 'Platypus', FIRST_PLATYPUS);
  await waitView(frame, 'credentials');
  await submitCredentials(frame, 'user_good', 'error_INVALID_CREDENTIALS');

  await waitView(frame, 'error');
  const message = await frame.locator('#error-message').innerText();
  assert.ok(message.length > 0, 'display_message (or error_message) is shown');
  assert.match(await frame.locator('#error-code').innerText(), /INVALID_CREDENTIALS/);
  await shot(page, 'error-light');

  // "Try again" goes back to the credentials with the username kept.
  await frame.getByRole('button', { name: 'Try again' }).click();
  await waitView(frame, 'credentials');
  assert.equal(await frame.getByLabel('Username').inputValue(), 'user_good');
  await frame.getByLabel('Password', { exact: true }).fill('error_INVALID_CREDENTIALS');
  await frame.locator('#cred-submit').click();
  await waitView(frame, 'error');
  await frame.getByRole('button', { name: 'Exit' }).click();
  await page.waitForFunction(() => window.__results.exit);

  const r = await results(page);
  const { error, metadata } = r.exit;
  assert.equal(error.error_code, 'INVALID_CREDENTIALS');
  assert.equal(error.error_type, 'ITEM_ERROR');
  assert.equal(typeof error.error_message, 'string');
  assert.ok('display_message' in error);
  assert.equal(metadata.status, 'requires_credentials');
  assert.deepEqual(metadata.institution, { name: 'First Platypus Bank', institution_id: FIRST_PLATYPUS });
  assert.equal(typeof metadata.link_session_id, 'string');
  assert.equal(typeof metadata.request_id, 'string');
  assert.deepEqual(r.log.slice(-2), ['event:EXIT', 'onExit']);
  const exitEvent = r.events.at(-1);
  assert.equal(exitEvent.metadata.exit_status, 'requires_credentials');
  assert.equal(exitEvent.metadata.error_code, 'INVALID_CREDENTIALS');
  assert.equal(r.events.filter((e) => e.name === 'ERROR').length, 2);
  assertEventShapes(r.events, metadata.link_session_id);
  assert.equal(await linkVisible(page), false);
  assert.equal(r.success, null);
});

test('(4) closing with X (after confirming) calls onExit(null, ...)', async (t) => {
  const page = await newPage(t);
  await openApp(page, await createLinkToken());
  await page.click('#connect');
  const frame = await linkFrame(page);
  await waitView(frame, 'consent');
  await frame.locator('#consent-continue').click();
  await waitView(frame, 'select_institution');

  // X, then "Continue connecting" returns to the same view.
  await frame.getByRole('button', { name: 'Close' }).click();
  await waitView(frame, 'confirm_exit');
  await shot(page, 'confirm-exit-light');
  await frame.getByRole('button', { name: 'Continue connecting' }).click();
  await waitView(frame, 'select_institution');

  // A search without results, then X and Exit: status institution_not_found.
  await frame.getByLabel('Search institutions').fill('Bank of Nowhere Zzyzx');
  await frame.locator('#search-empty').waitFor({ state: 'visible' });
  await shot(page, 'search-empty-light');
  await frame.getByRole('button', { name: 'Close' }).click();
  await waitView(frame, 'confirm_exit');
  await frame.locator('#confirm-exit').click();
  await page.waitForFunction(() => window.__results.exit);

  const r = await results(page);
  assert.equal(r.exit.error, null);
  assert.equal(r.exit.metadata.status, 'institution_not_found');
  assert.equal(r.exit.metadata.institution, null);
  assert.equal(typeof r.exit.metadata.link_session_id, 'string');
  assert.equal(typeof r.exit.metadata.request_id, 'string');
  assert.deepEqual(eventTrail(r.events), [
    'OPEN',
    'TRANSITION_VIEW:CONSENT',
    'TRANSITION_VIEW:SELECT_INSTITUTION',
    'TRANSITION_VIEW:EXIT',
    'TRANSITION_VIEW:SELECT_INSTITUTION',
    'SEARCH_INSTITUTION',
    'TRANSITION_VIEW:EXIT',
    'EXIT',
  ]);
  assert.equal(r.events.at(-1).metadata.exit_status, 'institution_not_found');
  assert.deepEqual(r.log.slice(-2), ['event:EXIT', 'onExit']);
  assert.equal(await linkVisible(page), false);

  // Link can be opened again with the same handler, and exit({force: true}) closes it at once.
  await page.evaluate(() => { window.__results.exit = null; window.__handler.open(); });
  await waitView(frame, 'consent');
  // exit() without force asks first.
  await page.evaluate(() => window.__handler.exit());
  await waitView(frame, 'confirm_exit');
  assert.equal((await results(page)).exit, null);
  await page.evaluate(() => window.__handler.exit({ force: true }));
  await page.waitForFunction(() => window.__results.exit);
  const forced = (await results(page)).exit;
  assert.equal(forced.error, null);
  assert.equal(forced.metadata.status, 'requires_credentials');
  assert.notEqual(forced.metadata.link_session_id, r.exit.metadata.link_session_id, 'a new session');
  assert.equal(await linkVisible(page), false);
});

test('(5) OAuth with redirect_uri: bank page, Allow, re-init with receivedRedirectUri, onSuccess', async (t) => {
  const page = await newPage(t);
  const redirectUri = `${app.url}/oauth-return`;
  await openApp(page, await createLinkToken({ redirect_uri: redirectUri }));
  await page.click('#connect');
  const frame = await linkFrame(page);
  await waitView(frame, 'consent');
  await frame.locator('#consent-continue').click();
  await pickInstitution(frame, 'Platypus OAuth', OAUTH_BANK);

  await waitView(frame, 'oauth');
  assert.match(await view(frame, 'oauth').locator('h1').innerText(), /You will be sent to Platypus OAuth Bank/);
  await shot(page, 'oauth-handoff-light');
  await frame.locator('#oauth-continue').click();

  // The top window goes to the stand-in bank on the emulator's origin.
  await page.waitForURL((url) => url.pathname === '/link/v2/oauth/authorize', { timeout: 10000 });
  assert.equal(new URL(page.url()).origin, new URL(emu.url).origin);
  assert.ok(new URL(page.url()).searchParams.get('oauth_state_id'));
  await page.getByRole('button', { name: 'Allow' }).waitFor();
  assert.match(await page.locator('#bank-top-name').innerText(), /Platypus OAuth Bank/);
  await shot(page, 'oauth-bank-light');
  await page.getByRole('button', { name: 'Allow' }).click();

  // Back on the app's redirect page, which re-creates Link with receivedRedirectUri and opens it.
  await page.waitForURL((url) => url.pathname === '/oauth-return', { timeout: 10000 });
  const returned = new URL(page.url());
  assert.equal(returned.origin, new URL(app.url).origin);
  assert.ok(returned.searchParams.get('oauth_state_id'));
  const frame2 = await linkFrame(page);
  await waitView(frame2, 'select_accounts');
  await shot(page, 'oauth-accounts-light');
  await frame2.locator('#accounts-continue').click();
  await waitView(frame2, 'success');
  await frame2.locator('#success-continue').click();
  await page.waitForFunction(() => window.__results.success);

  const r = await results(page);
  assert.match(r.success.public_token, /^public-sandbox-/);
  assert.deepEqual(r.success.metadata.institution, { name: 'Platypus OAuth Bank', institution_id: OAUTH_BANK });
  assert.ok(r.success.metadata.accounts.length >= 1);
  const before = r.previousLog.filter((x) => x.startsWith('event:') && x !== 'event:TRANSITION_VIEW:LOADING');
  assert.deepEqual(before.slice(before.indexOf('event:SELECT_INSTITUTION')),
    ['event:SELECT_INSTITUTION', 'event:TRANSITION_VIEW:OAUTH', 'event:OPEN_OAUTH'],
    'OPEN_OAUTH is the last event before leaving for the bank');
  assert.deepEqual(eventTrail(r.events), [
    'OPEN',
    'CLOSE_OAUTH',
    'TRANSITION_VIEW:SELECT_ACCOUNT',
    'TRANSITION_VIEW:CONNECTED',
    'HANDOFF',
  ]);
  assert.equal(r.events[0].metadata.institution_id, OAUTH_BANK);
  const exchanged = await plaidOk('/item/public_token/exchange', { public_token: r.success.public_token });
  const item = await plaidOk('/item/get', { access_token: exchanged.access_token });
  assert.equal(item.item.institution_id, OAUTH_BANK);
});

test('(5b) OAuth without redirect_uri: the bank page opens inside Link', async (t) => {
  const page = await newPage(t);
  await openApp(page, await createLinkToken());
  await page.click('#connect');
  const frame = await linkFrame(page);
  await waitView(frame, 'consent');
  await frame.locator('#consent-continue').click();
  await pickInstitution(frame, 'Platypus OAuth', OAUTH_BANK);
  await waitView(frame, 'oauth');
  await frame.locator('#oauth-continue').click();
  await waitView(frame, 'oauth_inline');
  const bank = await (await frame.waitForSelector('iframe.bank-frame')).contentFrame();
  await bank.getByRole('button', { name: 'Allow' }).waitFor();
  await shot(page, 'oauth-inline-light');
  await bank.getByRole('button', { name: 'Allow' }).click();
  await waitView(frame, 'select_accounts');
  await frame.locator('#accounts-continue').click();
  await waitView(frame, 'success');
  await frame.locator('#success-continue').click();
  await page.waitForFunction(() => window.__results.success);
  const r = await results(page);
  assert.deepEqual(r.success.metadata.institution, { name: 'Platypus OAuth Bank', institution_id: OAUTH_BANK });
  const trail = eventTrail(r.events);
  assert.deepEqual(trail.slice(trail.indexOf('SELECT_INSTITUTION')), [
    'SELECT_INSTITUTION',
    'TRANSITION_VIEW:OAUTH',
    'OPEN_OAUTH',
    'CLOSE_OAUTH',
    'TRANSITION_VIEW:SELECT_ACCOUNT',
    'TRANSITION_VIEW:CONNECTED',
    'HANDOFF',
  ]);
});

test('(6) update mode after reset_login goes straight to credentials and repairs the Item', async (t) => {
  const { public_token: sandboxToken } = await plaidOk('/sandbox/public_token/create', {
    institution_id: FIRST_PLATYPUS,
    initial_products: ['transactions'],
  });
  const { access_token: accessToken } = await plaidOk('/item/public_token/exchange', { public_token: sandboxToken });
  await plaidOk('/sandbox/item/reset_login', { access_token: accessToken });
  const broken = await emu.plaid('/accounts/get', { access_token: accessToken });
  assert.equal(broken.status, 400);
  assert.equal(broken.body.error_code, 'ITEM_LOGIN_REQUIRED');

  userCounter += 1;
  const { link_token: token } = await plaidOk('/link/token/create', {
    client_name: 'Acme Budget',
    language: 'en',
    country_codes: ['US'],
    user: { client_user_id: `browser-user-${userCounter}` },
    access_token: accessToken,
  });

  const page = await newPage(t);
  await openApp(page, token);
  await page.click('#connect');
  const frame = await linkFrame(page);
  await waitView(frame, 'credentials');
  assert.match(await view(frame, 'credentials').locator('.inst-head').innerText(), /First Platypus Bank/);
  assert.equal(await frame.locator('#btn-back').isVisible(), false, 'no way back to search in update mode');
  await shot(page, 'update-credentials-light');
  await submitCredentials(frame, 'user_good', 'pass_good');
  await waitView(frame, 'success');
  await frame.locator('#success-continue').click();
  await page.waitForFunction(() => window.__results.success);

  const r = await results(page);
  assert.deepEqual(eventTrail(r.events), [
    'OPEN',
    'TRANSITION_VIEW:CREDENTIAL',
    'SUBMIT_CREDENTIALS',
    'TRANSITION_VIEW:CONNECTED',
    'HANDOFF',
  ]);
  for (const e of r.events) assert.equal(e.metadata.is_update_mode, 'yes');
  assert.equal(r.events[0].metadata.institution_id, FIRST_PLATYPUS);
  assert.deepEqual(r.success.metadata.institution, { name: 'First Platypus Bank', institution_id: FIRST_PLATYPUS });

  const repaired = await emu.plaid('/accounts/get', { access_token: accessToken });
  assert.equal(repaired.status, 200, `accounts/get after update mode: ${JSON.stringify(repaired.body)}`);
  const item = await plaidOk('/item/get', { access_token: accessToken });
  assert.equal(item.item.error, null);
});

test('(6b) an unknown link_token shows the error pane and exits with INVALID_LINK_TOKEN', async (t) => {
  const page = await newPage(t);
  await openApp(page, 'link-sandbox-00000000-0000-4000-8000-000000000000');
  await page.click('#connect');
  const frame = await linkFrame(page);
  await waitView(frame, 'error');
  assert.equal(await frame.locator('#error-retry').isVisible(), false, 'no "Try again" for a dead token');
  await shot(page, 'invalid-token-light');
  await frame.getByRole('button', { name: 'Exit' }).click();
  await page.waitForFunction(() => window.__results.exit);
  const r = await results(page);
  assert.equal(r.exit.error.error_code, 'INVALID_LINK_TOKEN');
  assert.equal(r.exit.error.error_type, 'INVALID_INPUT');
  assert.equal(r.exit.metadata.institution, null);
  assert.deepEqual(r.events.map((e) => e.name), ['ERROR', 'EXIT']);
});

async function activeInFrame(frame) {
  return frame.evaluate(() => {
    const a = document.activeElement;
    return {
      hasFocus: document.hasFocus(),
      inDialog: document.getElementById('dialog').contains(a),
      id: a ? a.id : null,
      tag: a ? a.tagName : null,
      institutionId: a && a.dataset ? a.dataset.institutionId || null : null,
    };
  });
}

async function pressUntil(page, frame, key, predicate, max = 25) {
  for (let i = 0; i < max; i += 1) {
    const active = await activeInFrame(frame);
    assert.ok(active.inDialog, `focus stays in the dialog (${key} #${i})`);
    if (predicate(active)) return active;
    await page.keyboard.press(key);
  }
  assert.fail(`pressing ${key} never reached the target`);
}

test('(7) keyboard only: the happy path with Tab, Enter and typing; focus is trapped in the dialog', async (t) => {
  const page = await newPage(t);
  await openApp(page, await createLinkToken());
  // Reach the app's button with the keyboard.
  for (let i = 0; i < 10; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement && document.activeElement.id === 'connect')) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement.id), 'connect');
  await page.keyboard.press('Enter');

  const frame = await linkFrame(page);
  await waitView(frame, 'consent');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'IFRAME', 'the Link iframe has focus');
  let active = await activeInFrame(frame);
  assert.ok(active.hasFocus && active.inDialog, `focus is inside the dialog after open (${JSON.stringify(active)})`);
  assert.equal(active.id, 'consent-continue');
  assert.equal(await frame.locator('#dialog').getAttribute('role'), 'dialog');
  assert.equal(await frame.locator('#dialog').getAttribute('aria-modal'), 'true');
  assert.equal(await frame.locator('#dialog').getAttribute('aria-labelledby'), 'consent-title');

  // Tab and Shift+Tab wrap around inside the dialog.
  const seen = new Set();
  for (let i = 0; i < 6; i += 1) {
    await page.keyboard.press('Tab');
    active = await activeInFrame(frame);
    assert.ok(active.inDialog, `Tab #${i} stays in the dialog`);
    seen.add(active.id);
  }
  assert.ok(seen.has('btn-close') && seen.has('consent-continue'), `Tab cycles (${[...seen]})`);
  await pressUntil(page, frame, 'Shift+Tab', (a) => a.id === 'consent-continue');
  await page.keyboard.press('Enter');

  await waitView(frame, 'select_institution');
  assert.equal((await activeInFrame(frame)).id, 'search-input');
  // Escape asks before leaving; Enter on the focused "Continue connecting" stays.
  await page.keyboard.press('Escape');
  await waitView(frame, 'confirm_exit');
  assert.equal((await activeInFrame(frame)).id, 'confirm-stay');
  await page.keyboard.press('Enter');
  await waitView(frame, 'select_institution');
  assert.equal((await activeInFrame(frame)).id, 'search-input');

  await page.keyboard.type('First Platypus Bank');
  await waitSearchResults(frame);
  await frame.locator(`#results button[data-institution-id="${FIRST_PLATYPUS}"]`).waitFor();
  await pressUntil(page, frame, 'Tab', (a) => a.institutionId === FIRST_PLATYPUS);
  await page.keyboard.press('Enter');

  await waitView(frame, 'credentials');
  assert.equal((await activeInFrame(frame)).id, 'cred-username');
  await page.keyboard.type('user_good');
  await page.keyboard.press('Tab');
  assert.equal((await activeInFrame(frame)).id, 'cred-password');
  await page.keyboard.type('pass_good');
  await page.keyboard.press('Enter');

  await waitView(frame, 'select_accounts');
  await pressUntil(page, frame, 'Tab', (a) => a.id === 'accounts-continue');
  await page.keyboard.press('Enter');

  await waitView(frame, 'success');
  assert.equal((await activeInFrame(frame)).id, 'success-continue');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.__results.success);
  const r = await results(page);
  assert.match(r.success.public_token, /^public-sandbox-/);
  assert.deepEqual(r.success.metadata.institution, { name: 'First Platypus Bank', institution_id: FIRST_PLATYPUS });
  // Focus goes back to where it was in the app.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'connect');
});

// A tour of every view for the screenshots (dark mode, and a 360 px wide phone in both schemes).
for (const variant of [
  { name: 'dark', colorScheme: 'dark', width: 1100, height: 800 },
  { name: 'phone-light', colorScheme: 'light', width: 360, height: 740 },
  { name: 'phone-dark', colorScheme: 'dark', width: 360, height: 740 },
]) {
  test(`(8) screenshots: ${variant.name}`, async (t) => {
    const page = await newPage(t, variant);
    const tag = variant.name;
    await openApp(page, await createLinkToken());
    await page.click('#connect');
    const frame = await linkFrame(page);
    await waitView(frame, 'consent');
    await shot(page, `consent-${tag}`);
    await frame.locator('#consent-continue').click();
    await waitView(frame, 'select_institution');
    await frame.getByLabel('Search institutions').fill('Platypus');
    await waitSearchResults(frame);
    await frame.locator(`#results button[data-institution-id="${FIRST_PLATYPUS}"]`).waitFor();
    await shot(page, `search-${tag}`);
    await frame.locator('#btn-close').click();
    await waitView(frame, 'confirm_exit');
    await shot(page, `confirm-exit-${tag}`);
    await frame.locator('#confirm-stay').click();
    await frame.locator(`#results button[data-institution-id="${FIRST_PLATYPUS}"]`).click();
    await waitView(frame, 'credentials');
    await frame.getByLabel('Username').fill('user_good');
    await shot(page, `credentials-${tag}`);
    await frame.locator('#cred-submit').click();
    await frame.locator('#cred-password-error').waitFor({ state: 'visible' });
    await shot(page, `credentials-invalid-${tag}`);
    await frame.getByLabel('Password', { exact: true }).fill('error_INVALID_CREDENTIALS');
    await frame.locator('#cred-submit').click();
    await waitView(frame, 'error');
    await shot(page, `error-${tag}`);
    await frame.locator('#error-retry').click();
    await waitView(frame, 'credentials');
    await frame.getByLabel('Password', { exact: true }).fill('mfa_device');
    await frame.locator('#cred-submit').click();
    await frame.locator('#loading-title').waitFor({ state: 'visible' });
    await shot(page, `loading-${tag}`);
    await waitView(frame, 'mfa');
    await frame.getByLabel('Verification code', { exact: true }).fill('9999');
    await frame.locator('#mfa-submit').click();
    await frame.locator('#mfa-error').waitFor({ state: 'visible' });
    await waitView(frame, 'mfa');
    await shot(page, `mfa-error-${tag}`);
    await frame.getByLabel('Verification code', { exact: true }).fill('1234');
    await frame.locator('#mfa-submit').click();
    await waitView(frame, 'select_accounts');
    await shot(page, `accounts-${tag}`);
    await frame.locator('#accounts-continue').click();
    await waitView(frame, 'success');
    await shot(page, `success-${tag}`);
    await frame.locator('#success-continue').click();
    await page.waitForFunction(() => window.__results.success);

    // The OAuth hand-off and the bank page inside Link.
    await openApp(page, await createLinkToken());
    await page.click('#connect');
    const frame2 = await linkFrame(page);
    await waitView(frame2, 'consent');
    await frame2.locator('#consent-continue').click();
    await pickInstitution(frame2, 'Platypus OAuth', OAUTH_BANK);
    await waitView(frame2, 'oauth');
    await shot(page, `oauth-handoff-${tag}`);
    await frame2.locator('#oauth-continue').click();
    await waitView(frame2, 'oauth_inline');
    const bank = await (await frame2.waitForSelector('iframe.bank-frame')).contentFrame();
    await bank.getByRole('button', { name: 'Allow' }).waitFor();
    await shot(page, `oauth-inline-${tag}`);
    await bank.getByRole('button', { name: 'Deny' }).click();
    await waitView(frame2, 'error');
    await shot(page, `oauth-denied-${tag}`);
    await frame2.locator('#error-exit').click();
    await page.waitForFunction(() => window.__results.exit);
    const r = await results(page);
    assert.equal(r.exit.error.error_code, 'OAUTH_USER_DENIED');
    assert.equal(r.exit.metadata.status, 'requires_oauth');
  });
}
