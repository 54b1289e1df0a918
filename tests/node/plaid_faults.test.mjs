// Every Plaid fault the emulator can make, on every Plaid endpoint linkhub calls, through the
// door that calls it: an HTTP 500 (INTERNAL_SERVER_ERROR), a 429 (RATE_LIMIT_EXCEEDED), an answer
// later than linkhub's Plaid deadline, and a connection dropped without an answer. Each ends in a
// retry that succeeds (reads, which linkhub repeats safely) or in a clear error in StackOne's
// shape — status, message, provider_errors exactly when Plaid answered — and never in a hang, a
// body-less 5xx, a leaked secret or a half-linked or half-deleted account. docs/plaid-faults.md
// is the table of what is asserted here.
//
// How a case reads:
//   - reads (retried): the fault is injected ATTEMPTS + 1 times (ATTEMPTS is linkhub's default
//     --plaid-retry-attempts), so it outlasts linkhub's budget: the call ends in the error after
//     exactly ATTEMPTS requests, one fault is left, and the next call meets that one, is retried
//     once and succeeds. A dropped connection may also be sent once more by the transport itself
//     (a pooled connection that died unanswered, for reads only), so the budget case injects
//     2 × ATTEMPTS drops and counts between ATTEMPTS and 2 × ATTEMPTS requests.
//   - writes (sent once): one fault is enough; the call fails after exactly one request, and the
//     caller's own repeat afterwards does what the design says.
// Requests are counted in the emulator's request log (GET /emulator/requests: "PATH" as each
// arrives, "PATH STATUS" as its answer is made, STATUS "dropped" for a dropped connection) and
// in the faults still pending (GET /emulator/faults).
//
// One emulator and one linkhub serve every case. linkhub runs with --plaid-timeout 1 (its
// shortest) so that a late answer costs a second, --plaid-rate-budget off so that only the
// injected faults refuse, and room for every case's Plaid call at once (a call queued behind
// others would wait at most --plaid-timeout). Cases of different endpoints run at once, with
// faults scoped to each case's own Item (item_id) where Plaid's request carries an access token;
// cases of one endpoint run one after another, so that the request log counts exactly theirs.
// The cases whose faults cannot be scoped (the link flow, the institution look-ups, the webhook
// key) never share an endpoint with a case running beside them. Faults are cleared between the
// two phases.
//
// References: docs/plaid-faults.md, docs/api.md (Errors, Actions), docs/webhooks.md,
// docs/emulator.md. Run: node --test tests/node/plaid_faults.test.mjs
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, emulatorBinary } from './lib/emulator.mjs';
import {
  startHub, createProject, call, connectSession, sandboxPublicToken, poll, executable, hubBinary,
} from './lib/hub.mjs';
import { startWebhookReceiver } from './lib/webhooks.mjs';
import {
  faultKinds, requestLog, grew, inject, remaining, spend, assertNoSecrets, assertStackOneError,
  runAdmin,
} from './lib/faults.mjs';

const ATTEMPTS = 4;          // linkhub's default --plaid-retry-attempts
const PLAID_TIMEOUT_S = 1;   // --plaid-timeout for this linkhub
const DELAY_MS = 3000;       // a late answer: well past PLAID_TIMEOUT_S
const KINDS = faultKinds(DELAY_MS);
const KIND_ORDER = ['500', '429', 'delay', 'drop'];
const PLATYPUS = 'ins_109508';
const ALL_PRODUCTS = ['transactions', 'auth', 'identity', 'investments', 'liabilities'];
const DATES = { start_date: '2000-01-01', end_date: '2030-12-31' };
const CASE = { timeout: 30_000 };  // a hang fails the case instead of the run

let emu;
let hub;
let receiver;      // where the webhook account's Item sends its webhooks
let key;           // the main project's API key
let projectId;
let cliProject;    // {project_id, api_key} of the project the CLI case updates
let exchangeProject;
const accounts = {};  // LinkedAccounts by role

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// The error a fault ends in once linkhub gives up, per kind: HTTP status, message, and whether
// Plaid's error is in provider_errors. `write` adds what a call that is sent once says.
function expectedError(kindName, endpoint, { write = false } = {}) {
  const ep = escape(endpoint);
  const unknown = write ? ', so whether Plaid carried it out is unknown' : '';
  const provider = KINDS[kindName].provider(endpoint);
  switch (kindName) {
    case '500':
      return { status: 502, provider, message: /Plaid answered 500 API_ERROR\/INTERNAL_SERVER_ERROR/ };
    case '429':
      return { status: 429, provider, message: new RegExp(`Plaid answered 429 RATE_LIMIT_EXCEEDED/${provider.code}`) };
    case 'delay':
      return { status: 504, message: new RegExp(`Plaid did not answer ${ep} in time${escape(unknown)}`) };
    default:
      return { status: 503, message: new RegExp(`Plaid did not answer ${ep}: the connection failed${escape(unknown)}`) };
  }
}

function assertFault(res, kindName, endpoint, opts = {}) {
  const e = expectedError(kindName, endpoint, opts);
  return assertStackOneError(res, e.status, {
    message: opts.message ?? e.message, provider: e.provider, emuUrl: emu.url,
  });
}

async function link(apiKey, owner, { products = ALL_PRODUCTS, webhook } = {}) {
  const s = await connectSession(hub, apiKey, { origin_owner_id: owner, multiple: true });
  const publicToken = await sandboxPublicToken(emu, PLATYPUS, products, webhook ? { webhook } : undefined);
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: s.token, body: { integration_id: 'plaid', credentials: { public_token: publicToken } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const acc = await getAccount(res.body.id, apiKey);
  assert.equal(acc.status, 200);
  assert.equal(acc.body.status, 'active');
  return acc.body;
}

function getAccount(id, apiKey = key) {
  return call(hub, 'GET', `/accounts/${id}`, { key: apiKey });
}

function rpc(account, action, body) {
  return call(hub, 'POST', '/actions/rpc', {
    key, headers: { 'x-account-id': account.id }, body: { action, body },
  });
}

function assertOk(res, dataKey) {
  assert.equal(res.status, 200, `expected 200, got ${res.status}: ${JSON.stringify(res.body).slice(0, 1500)}`);
  assert.ok(res.body.data && dataKey in res.body.data, `no ${dataKey} in ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body.data;
}

async function assertStillActive(account) {
  const res = await getAccount(account.id);
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'active', `account ${account.id}: ${JSON.stringify(res.body.status_reasons)}`);
  assert.equal(res.body.plaid.item_id, account.plaid.item_id);
}

async function emuItem(itemId) {
  const { items } = await emu.control('GET', '/emulator/items');
  return items.find((i) => i.item_id === itemId);
}

// ---------------------------------------------------------------------------------------------
// The reads: every action of the catalogue that changes nothing at Plaid, through POST
// /actions/rpc.

const READS = [
  { endpoint: '/accounts/get', action: 'plaid_list_accounts', body: {}, data: 'accounts' },
  { endpoint: '/accounts/balance/get', action: 'plaid_get_balances', body: {}, data: 'accounts' },
  { endpoint: '/auth/get', action: 'plaid_get_auth', body: {}, data: 'numbers' },
  // The consumer's cursor is at the end (see before()): each sync reads one page.
  { endpoint: '/transactions/sync', action: 'plaid_sync_transactions', body: { consumer: 'faults' }, data: 'next_cursor' },
  { endpoint: '/transactions/get', action: 'plaid_list_transactions', body: { ...DATES, count: 5 }, data: 'transactions' },
  { endpoint: '/identity/get', action: 'plaid_get_identity', body: {}, data: 'accounts' },
  { endpoint: '/investments/holdings/get', action: 'plaid_list_holdings', body: {}, data: 'holdings' },
  { endpoint: '/investments/transactions/get', action: 'plaid_list_investment_transactions', body: { ...DATES, count: 5 }, data: 'investment_transactions' },
  { endpoint: '/liabilities/get', action: 'plaid_get_liabilities', body: {}, data: 'liabilities' },
  { endpoint: '/item/get', action: 'plaid_get_item', body: {}, data: 'item' },
  // No access token in these requests: their faults cannot be scoped to an Item.
  { endpoint: '/institutions/get_by_id', action: 'plaid_get_institution', body: {}, data: 'institution', unscoped: true },
  { endpoint: '/institutions/search', action: 'plaid_search_institutions', body: { query: 'Platypus' }, data: 'institutions', unscoped: true },
];

function readAccount(r, role = 'main') {
  return accounts[`${r.endpoint} ${role}`];
}

async function readCase(r, kindName) {
  const kind = KINDS[kindName];
  const account = readAccount(r);
  const scope = (a) => (r.unscoped ? undefined : a.plaid.item_id);
  const send = (a) => rpc(a, r.action, r.body);

  if (kindName === 'drop') {
    // One drop: retried (by the transport or by the retry policy), and the call succeeds.
    let before = await requestLog(emu);
    await inject(emu, r.endpoint, kind, 1, scope(account));
    assertOk(await send(account), r.data);
    let after = await requestLog(emu);
    assert.equal(grew(before, after, `${r.endpoint} dropped`), 1);
    assert.equal(grew(before, after, `${r.endpoint} 200`), 1);
    assert.equal(grew(before, after, r.endpoint), 2, 'one request dropped, one retried');

    // Drops beyond the budget: a clear 503 with no provider_errors (Plaid said nothing).
    const victim = r.unscoped ? account : readAccount(r, 'drop');
    before = await requestLog(emu);
    const id = await inject(emu, r.endpoint, kind, 2 * ATTEMPTS, scope(victim));
    assertFault(await send(victim), kindName, r.endpoint);
    after = await requestLog(emu);
    const sent = grew(before, after, r.endpoint);
    assert.ok(sent >= ATTEMPTS && sent <= 2 * ATTEMPTS, `${sent} requests for ${ATTEMPTS} attempts`);
    assert.equal(grew(before, after, `${r.endpoint} dropped`), sent);
    assert.equal(grew(before, after, `${r.endpoint} 200`), 0);
    assert.equal(await remaining(emu, id), 2 * ATTEMPTS - sent);
    await assertStillActive(victim);
    if (r.unscoped) await spend(emu, id, r.endpoint);
    return;
  }

  // Beyond the budget: ATTEMPTS requests, then the error; the last fault is still pending.
  let before = await requestLog(emu);
  const id = await inject(emu, r.endpoint, kind, ATTEMPTS + 1, scope(account));
  assertFault(await send(account), kindName, r.endpoint);
  let after = await requestLog(emu);
  assert.equal(grew(before, after, r.endpoint), ATTEMPTS, 'requests sent');
  assert.equal(grew(before, after, `${r.endpoint} ${kind.answered}`), ATTEMPTS);
  if (kindName !== 'delay') assert.equal(grew(before, after, `${r.endpoint} 200`), 0);
  assert.equal(await remaining(emu, id), 1, 'linkhub stopped before the fault ran out');
  await assertStillActive(account);

  // One fault: the first request meets it, the retry succeeds.
  before = await requestLog(emu);
  assertOk(await send(account), r.data);
  after = await requestLog(emu);
  assert.equal(grew(before, after, r.endpoint), 2, 'one failed request and its retry');
  assert.equal(grew(before, after, `${r.endpoint} 200`), kindName === 'delay' ? 2 : 1);
  if (kindName !== 'delay') assert.equal(grew(before, after, `${r.endpoint} ${kind.answered}`), 1);
  assert.equal(await remaining(emu, id), 0);
  await assertStillActive(account);
}

// ---------------------------------------------------------------------------------------------
// The writes of the action catalogue and of the management API.

async function refreshCase(kindName) {
  const account = accounts.refresh;
  const before = await requestLog(emu);
  await inject(emu, '/transactions/refresh', KINDS[kindName], 1, account.plaid.item_id);
  assertFault(await rpc(account, 'plaid_refresh_transactions', {}), kindName, '/transactions/refresh', { write: true });
  const after = await requestLog(emu);
  assert.equal(grew(before, after, '/transactions/refresh'), 1, 'a write is sent once');
  await assertStillActive(account);
  // The caller decides to repeat it: it goes through.
  assertOk(await rpc(account, 'plaid_refresh_transactions', {}), 'request_id');
}

async function removeCase(kindName) {
  const account = accounts[`remove ${kindName}`];
  const before = await requestLog(emu);
  await inject(emu, '/item/remove', KINDS[kindName], 1, account.plaid.item_id);
  const res = await call(hub, 'DELETE', `/accounts/${account.id}`, { key });
  const e = expectedError(kindName, '/item/remove', { write: true });
  assertFault(res, kindName, '/item/remove', {
    write: true, message: new RegExp(`^the Item could not be removed at Plaid, so the account was kept: .*${e.message.source}`),
  });
  const after = await requestLog(emu);
  assert.equal(grew(before, after, '/item/remove'), 1, 'a write is sent once');
  // Not half-deleted: the account and its token are kept, whatever Plaid did.
  await assertStillActive(account);
  const item = await emuItem(account.plaid.item_id);
  // A late answer is Plaid's real one: the Item is gone there; every other fault came first.
  assert.equal(item.removed, kindName === 'delay');
  // Deleting again removes it (an Item Plaid no longer knows counts as removed).
  const again = await call(hub, 'DELETE', `/accounts/${account.id}`, { key });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.status, 'inactive');
  assert.equal((await emuItem(account.plaid.item_id)).removed, true);
  const listed = await call(hub, 'GET', `/accounts?origin_owner_id=${account.origin_owner_id}`, { key });
  assert.deepEqual(listed.body.filter((a) => a.status !== 'inactive'), []);
}

const LINK_TOKEN_DOORS = {
  hub: async (owner) => {
    const s = await connectSession(hub, key, { origin_owner_id: owner });
    return () => call(hub, 'POST', '/hub/plaid/link_token', { session: s.token });
  },
  management: async (owner) => () => call(hub, 'POST', '/plaid/link_token', { key, body: { origin_owner_id: owner } }),
};

async function linkTokenCase(door, kindName) {
  const mint = await LINK_TOKEN_DOORS[door](`link-token-${door}-${kindName}`);
  const before = await requestLog(emu);
  await inject(emu, '/link/token/create', KINDS[kindName], 1);
  assertFault(await mint(), kindName, '/link/token/create', { write: true });
  const after = await requestLog(emu);
  assert.equal(grew(before, after, '/link/token/create'), 1, 'a write is sent once');
  const again = await mint();
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.match(again.body.link_token, /^link-sandbox-/);
}

// `linkhub items update-webhooks` (an admin command: Plaid's /item/webhook/update, sent once).
async function webhookUpdateCase(kindName) {
  const account = accounts.cli;
  // The Item is pointed at the receiver, not at linkhub: Plaid acknowledges a new webhook URL with
  // a webhook, which would make linkhub fetch Plaid's key beside the webhook-key cases.
  const args = ['items', 'update-webhooks', '--project', cliProject.project_id,
                '--plaid-webhook-url', receiver.base, '--plaid-timeout', String(PLAID_TIMEOUT_S)];
  const before = await requestLog(emu);
  await inject(emu, '/item/webhook/update', KINDS[kindName], 1, account.plaid.item_id);
  const failed = await runAdmin(hub, emu, args);
  assert.equal(failed.code, 1, `exit ${failed.code}: ${failed.stdout}${failed.stderr}`);
  assert.equal(failed.json?.updated, 0, failed.stdout);
  assert.equal(failed.json.failed.length, 1, failed.stdout);
  assert.equal(failed.json.failed[0].account_id, account.id);
  assert.match(failed.json.failed[0].error, expectedError(kindName, '/item/webhook/update', { write: true }).message);
  assert.match(failed.stderr, /1 Items were not updated/);
  assertNoSecrets(failed.stdout, emu.url, 'the command\'s report');
  assertNoSecrets(failed.stderr, undefined, 'the command\'s log');
  const after = await requestLog(emu);
  assert.equal(grew(before, after, '/item/webhook/update'), 1, 'a write is sent once');
  const again = await runAdmin(hub, emu, args);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(again.json.updated, 1);
  assert.deepEqual(again.json.failed, []);
}

// ---------------------------------------------------------------------------------------------
// Plaid's webhook key, fetched when a webhook names a key linkhub has not seen.

// A webhook signed with a key linkhub has never fetched: the emulator's key is rotated, the
// webhook account's Item fires one, and the receiver keeps its exact bytes and header.
async function freshlySignedWebhook() {
  const { kid } = await emu.control('POST', '/emulator/webhook_key/rotate');
  await emu.control('POST', `/emulator/items/${accounts.webhook.plaid.item_id}/fire_webhook`,
                    { webhook_code: 'SYNC_UPDATES_AVAILABLE' });
  const signedWith = (rec) => {
    const header = String(rec.headers['plaid-verification'] ?? '').split('.')[0];
    try { return JSON.parse(Buffer.from(header, 'base64url').toString('utf8')).kid; } catch { return undefined; }
  };
  return receiver.waitFor((rec) => rec.path === '/plaid' && signedWith(rec) === kid, 10_000,
                          `a webhook signed with key ${kid}`);
}

function deliver(rec) {
  return call(hub, 'POST', `/webhooks/plaid/${projectId}`, {
    headers: { 'Plaid-Verification': rec.headers['plaid-verification'], 'Content-Type': 'application/json' },
    body: rec.rawBody.toString('utf8'),
  });
}

// The key fetch is a read, retried like the others. Past the budget the webhook is answered 503
// (with Plaid's error when Plaid answered one), nothing is cached about the key, and Plaid's next
// delivery fetches it again and is received.
async function webhookKeyCase(kindName) {
  const kind = KINDS[kindName];
  const endpoint = '/webhook_verification_key/get';
  const rec = await freshlySignedWebhook();
  let before = await requestLog(emu);
  const count = kindName === 'drop' ? 2 * ATTEMPTS : ATTEMPTS + 1;
  const id = await inject(emu, endpoint, kind, count);
  const res = await deliver(rec);
  assertStackOneError(res, 503, {
    message: /the webhook's key could not be fetched from Plaid/, emuUrl: emu.url,
    provider: kind.provider(endpoint),
  });
  let after = await requestLog(emu);
  const sent = grew(before, after, endpoint);
  if (kindName === 'drop') {
    // A dropped connection may be re-sent by the transport as well as by the retry policy.
    assert.ok(sent >= ATTEMPTS && sent <= 2 * ATTEMPTS, `${sent} requests for ${ATTEMPTS} attempts`);
    await spend(emu, id, endpoint);
  } else {
    assert.equal(sent, ATTEMPTS, 'requests sent');
    assert.equal(await remaining(emu, id), 1, 'linkhub stopped before the fault ran out');
  }
  assert.equal(grew(before, after, `${endpoint} 200`), kindName === 'delay' ? ATTEMPTS : 0);
  // Plaid's next delivery: the key is fetched (past the last fault, if one is left) and the
  // webhook received.
  before = await requestLog(emu);
  const again = await deliver(rec);
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.received, true);
  after = await requestLog(emu);
  assert.equal(grew(before, after, endpoint), kindName === 'drop' ? 1 : 2, 'the key was fetched again');
  assert.equal(await remaining(emu, id), 0);
}

// ---------------------------------------------------------------------------------------------
// The link flow: the public-token exchange, and the display reads that follow it.

async function orphans(project) {
  const out = await runAdmin(hub, emu, ['items', 'orphans', '--project', project.project_id], { plaid: false });
  assert.equal(out.code, 0, out.stderr);
  return out.json;
}

async function newItemToken(owner) {
  const known = new Set((await emu.control('GET', '/emulator/items')).items.map((i) => i.item_id));
  const publicToken = await sandboxPublicToken(emu, PLATYPUS, ['transactions']);
  const item = (await emu.control('GET', '/emulator/items')).items.find((i) => !known.has(i.item_id));
  const session = await connectSession(hub, exchangeProject.api_key, { origin_owner_id: owner });
  const submit = () => call(hub, 'POST', '/hub/accounts', {
    session: session.token, body: { integration_id: 'plaid', credentials: { public_token: publicToken } },
  });
  const ownerAccounts = async () => (await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`,
                                                { key: exchangeProject.api_key })).body;
  return { item, submit, ownerAccounts };
}

async function exchangeCase(kindName) {
  const earlier = new Set((await orphans(exchangeProject)).map((o) => o.id));
  const fresh = async () => (await orphans(exchangeProject)).filter((o) => !earlier.has(o.id));
  const { item, submit, ownerAccounts } = await newItemToken(`exchange-${kindName}`);
  const before = await requestLog(emu);
  await inject(emu, '/item/public_token/exchange', KINDS[kindName], 1);
  const res = await submit();
  const noAnswer = kindName === 'delay' || kindName === 'drop';
  assertFault(res, kindName, '/item/public_token/exchange', {
    write: true, message: noAnswer ? /^Plaid did not answer the token exchange; try again in a moment with the same public token\.$/ : undefined,
  });
  const after = await requestLog(emu);
  assert.equal(grew(before, after, '/item/public_token/exchange'), 1, 'a write is sent once');
  // Never half-linked: no account, whatever Plaid did.
  assert.deepEqual(await ownerAccounts(), []);
  // A late answer is Plaid's real one: the token was exchanged; every other fault came first.
  assert.equal((await emuItem(item.item_id)).exchanged, kindName === 'delay');
  // An exchange without Plaid's answer (or with Plaid failing) may have made an Item: possible.
  const suspected = await fresh();
  assert.deepEqual(suspected.map((o) => o.certainty), kindName === '429' ? [] : ['possible']);

  // The page posts the same token again.
  const retried = await submit();
  if (kindName === 'delay') {
    // Plaid had exchanged it: the token is spent, the Item is a definite orphan.
    assertStackOneError(retried, 400, {
      message: /run Plaid Link again/, emuUrl: emu.url,
      provider: { status: 400, type: 'INVALID_INPUT', code: 'INVALID_PUBLIC_TOKEN' },
    });
    assert.deepEqual(await ownerAccounts(), []);
    const known = await fresh();
    assert.deepEqual(known.map((o) => o.certainty), ['definite']);
    assert.equal(known[0].removable, false);
    return;
  }
  assert.equal(retried.status, 201, JSON.stringify(retried.body));
  const listed = await ownerAccounts();
  assert.deepEqual(listed.map((a) => [a.id, a.status, a.plaid.item_id]), [[retried.body.id, 'active', item.item_id]]);
  assert.deepEqual(await fresh(), [], 'the possible orphan was settled');
}

// Display fields after the exchange: each read failing for good leaves a whole account.
async function displayReadCase(endpoint) {
  const owner = `display-${endpoint.replace(/\W+/g, '-')}`;
  const before = await requestLog(emu);
  await inject(emu, endpoint, KINDS['500'], ATTEMPTS);  // every attempt linkhub makes
  const s = await connectSession(hub, key, { origin_owner_id: owner });
  const publicToken = await sandboxPublicToken(emu, PLATYPUS, ['transactions']);
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: s.token, body: { integration_id: 'plaid', credentials: { public_token: publicToken } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const after = await requestLog(emu);
  assert.equal(grew(before, after, `${endpoint} 500`), ATTEMPTS);
  const acc = await getAccount(res.body.id);
  assert.equal(acc.body.status, 'active');
  assert.match(acc.body.plaid.item_id, /^[A-Za-z0-9]{37}$/);
  // The stored access token works.
  assertOk(await rpc(acc.body, 'plaid_get_item', {}), 'item');
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  // The binaries may be being rebuilt: wait (boundedly) until they are in place.
  await poll(() => executable(emulatorBinary) && executable(hubBinary), 60_000, 200);
  emu = await startEmulator(['--rate-limits', 'off', '--transactions-initial-delay', '0',
                             '--transactions-historical-delay', '0']);
  // The side-by-side cases hold up to ~20 Plaid calls of one project at once: a queue slot
  // waits at most --plaid-timeout, so the project may run more than that at once.
  hub = await startHub(emu, {
    args: ['--plaid-timeout', String(PLAID_TIMEOUT_S), '--plaid-rate-budget', 'off',
           '--plaid-concurrency-per-project', '64'],
  });
  receiver = await startWebhookReceiver();
  const main = await createProject(hub, 'plaid faults');
  key = main.api_key;
  projectId = main.project_id;
  cliProject = await createProject(hub, 'plaid faults: update-webhooks');
  exchangeProject = await createProject(hub, 'plaid faults: exchange');

  const wanted = [];
  for (const r of READS) {
    wanted.push([`${r.endpoint} main`, key, {}]);
    if (!r.unscoped) wanted.push([`${r.endpoint} drop`, key, {}]);
  }
  wanted.push(['refresh', key, { products: ['transactions'] }]);
  for (const k of KIND_ORDER) wanted.push([`remove ${k}`, key, { products: ['transactions'] }]);
  wanted.push(['webhook', key, { products: ['transactions'], webhook: receiver.url('/plaid') }]);
  wanted.push(['cli', cliProject.api_key, { products: ['transactions'] }]);
  await Promise.all(wanted.map(async ([role, apiKey, opts], i) => {
    accounts[role] = await link(apiKey, `owner-${i}-${role.replace(/\W+/g, '-')}`, opts);
  }));
  // The sync case's consumer starts at the end of the account's transactions.
  for (const role of ['main', 'drop']) {
    const acc = readAccount(READS.find((r) => r.action === 'plaid_sync_transactions'), role);
    assertOk(await rpc(acc, 'plaid_sync_transactions', { consumer: 'faults' }), 'next_cursor');
  }
  await emu.control('DELETE', '/emulator/faults');
});

after(async () => {
  // Nothing linkhub wrote to its log names the Plaid secret or a token.
  if (hub) assertNoSecrets(hub.stderr(), undefined, 'linkhub\'s log');
  const results = await Promise.allSettled([hub?.stop(), receiver?.close()]);
  results.push(...(await Promise.allSettled([emu?.stop()])));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

describe('reads, writes, the webhook key and the admin command (endpoints side by side)', { concurrency: true }, () => {
  after(() => emu.control('DELETE', '/emulator/faults'));

  for (const r of READS) {
    test(`${r.endpoint} (${r.action}): retried, then a clear error`, async (t) => {
      for (const k of KIND_ORDER) await t.test(KINDS[k].label, CASE, () => readCase(r, k));
    });
  }
  test('/transactions/refresh (plaid_refresh_transactions): sent once', async (t) => {
    for (const k of KIND_ORDER) await t.test(KINDS[k].label, CASE, () => refreshCase(k));
  });
  test('/item/remove (DELETE /accounts/{id}): sent once, the account kept until Plaid removes it', async (t) => {
    for (const k of KIND_ORDER) await t.test(KINDS[k].label, CASE, () => removeCase(k));
  });
  test('/link/token/create (POST /hub/plaid/link_token, POST /plaid/link_token): sent once', async (t) => {
    for (const door of Object.keys(LINK_TOKEN_DOORS)) {
      for (const k of KIND_ORDER) await t.test(`${door}: ${KINDS[k].label}`, CASE, () => linkTokenCase(door, k));
    }
  });
  test('/webhook_verification_key/get (POST /webhooks/plaid/{project}): retried, then 503, and the next delivery verifies', async (t) => {
    for (const k of KIND_ORDER) {
      await t.test(KINDS[k].label, CASE, () => webhookKeyCase(k));
    }
  });
  test('/item/webhook/update (linkhub items update-webhooks): sent once, the account named', async (t) => {
    for (const k of KIND_ORDER) await t.test(KINDS[k].label, CASE, () => webhookUpdateCase(k));
  });
});

describe('the link flow (POST /hub/accounts)', () => {
  after(() => emu.control('DELETE', '/emulator/faults'));

  test('/item/public_token/exchange: sent once, never a half-linked account, the same token settles it', async (t) => {
    for (const k of KIND_ORDER) await t.test(KINDS[k].label, CASE, () => exchangeCase(k));
  });
  test('display reads after the exchange failing for good leave a whole, active account', async (t) => {
    for (const ep of ['/item/get', '/accounts/get', '/institutions/get_by_id']) {
      await t.test(ep, CASE, () => displayReadCase(ep));
    }
  });
});
