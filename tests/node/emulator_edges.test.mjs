// Edge cases of build/bin/plaid-emulator that plaid_conformance.test.mjs does not cover: paging
// interrupted by a pull, incremental sync over time, cursor binding, the Link stand-in backend's
// failure paths, update mode with account selection, request robustness, and webhook key rotation.
//
// Requests go through the harness's raw fetch; every Plaid answer (200 or error) is validated against
// Plaid's OpenAPI spec, and every error asserts its exact HTTP status, error_type and error_code.
// References: docs/emulator.md, docs/emulator-link-protocol.md.
//
// Run: node --test tests/node/emulator_edges.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET } from './lib/emulator.mjs';
import { assertMatchesResponseSchema, assertMatchesSchema, spec } from './lib/openapi.mjs';
import { startWebhookReceiver, verifyPlaidWebhook } from './lib/webhooks.mjs';

const INSTITUTION_ID = 'ins_109508';   // First Platypus Bank (credentials, no OAuth)
const OAUTH_INSTITUTION_ID = 'ins_127287';  // Platypus OAuth Bank
const REDIRECT_URI = 'https://app.example.com/oauth-return';
const DAY = 86400;

let emu;
let hooks;

before(async () => {
  spec();  // load the spec once, up front
  hooks = await startWebhookReceiver();
  // Transactions are ready at once and no rate limit interferes with the many sync pages.
  emu = await startEmulator([
    '--transactions-initial-delay', '0',
    '--transactions-historical-delay', '0',
    '--rate-limits', 'off',
  ]);
});

after(async () => {
  await emu?.stop();
  await hooks?.close();
});

// ---------------------------------------------------------------------------------------------------
// Plaid calls

// POSTs to a Plaid endpoint and validates the answer against the spec (the 200 schema or PlaidError).
async function call(p, body) {
  const r = await emu.plaid(p, body);
  assertMatchesResponseSchema(p, r.status, r.body);
  return r;
}

async function ok(p, body) {
  const r = await call(p, body);
  assert.equal(r.status, 200, `${p}: ${JSON.stringify(r.body)}`);
  return r.body;
}

function assertError(r, status, errorType, errorCode, what = '') {
  assert.deepEqual(
    { status: r.status, error_type: r.body?.error_type, error_code: r.body?.error_code },
    { status, error_type: errorType, error_code: errorCode },
    `${what}${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body.request_id, 'string');
  assert.ok(r.body.error_message, 'empty error_message');
  return r.body;
}

async function expectError(p, body, status, errorType, errorCode) {
  return assertError(await call(p, body), status, errorType, errorCode);
}

// POSTs a raw string body with the demo credentials; returns {status, body} (body parsed if JSON).
async function rawPlaid(p, text) {
  const res = await fetch(emu.url + p, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'PLAID-CLIENT-ID': DEMO_CLIENT_ID,
      'PLAID-SECRET': DEMO_SECRET,
      'Plaid-Version': '2020-09-14',
    },
    body: text,
  });
  const t = await res.text();
  let json;
  try { json = JSON.parse(t); } catch { json = t; }
  return { status: res.status, body: json };
}

// A control call that is expected to fail: emu.control throws on non-2xx, so this uses fetch.
async function controlRaw(method, p, body) {
  const res = await fetch(emu.url + p, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function advance(seconds) {
  return emu.control('POST', '/emulator/clock/advance', { seconds });
}

async function newItem() {
  const { public_token } = await ok('/sandbox/public_token/create', {
    institution_id: INSTITUTION_ID, initial_products: ['transactions'],
  });
  const ex = await ok('/item/public_token/exchange', { public_token });
  return { accessToken: ex.access_token, itemId: ex.item_id };
}

async function linkToken(extra = {}) {
  const r = await ok('/link/token/create', {
    client_name: 'Linkhub Edge Tests', language: 'en', country_codes: ['US'],
    user: { client_user_id: 'edge-user' }, ...extra,
  });
  return r.link_token;
}

// ---------------------------------------------------------------------------------------------------
// /transactions/sync

// Pages /transactions/sync from `cursor` (undefined: from scratch) until has_more is false.
// Returns the concatenated lists, the page count, whether any page had has_more, and the last cursor.
async function syncPages(accessToken, cursor, { count = 10, options } = {}) {
  const out = { added: [], modified: [], removed: [], pages: 0, sawHasMore: false, nextCursor: cursor };
  for (;;) {
    const req = { access_token: accessToken, count };
    if (out.nextCursor !== undefined) req.cursor = out.nextCursor;
    if (options) req.options = options;
    const r = await ok('/transactions/sync', req);
    out.pages++;
    assert.ok(out.pages < 300, 'too many /transactions/sync pages');
    assert.ok(r.added.length + r.modified.length + r.removed.length <= count, 'page larger than count');
    out.added.push(...r.added);
    out.modified.push(...r.modified);
    out.removed.push(...r.removed.map((x) => x.transaction_id));
    out.nextCursor = r.next_cursor;
    if (!r.has_more) return out;
    out.sawHasMore = true;
  }
}

function assertNoDuplicateAdds(changes, what) {
  const ids = changes.added.map((t) => t.transaction_id);
  assert.equal(new Set(ids).size, ids.length, `${what}: a transaction is added twice`);
}

// Applies a sync result to `live` (Map id -> transaction). Every modified or removed id must be one the
// caller has seen added (before or in this result), and an added id must not be live already.
function applyChanges(live, changes) {
  const seen = new Set(live.keys());
  for (const t of changes.added) {
    assert.ok(!live.has(t.transaction_id), `added ${t.transaction_id} is already live`);
    seen.add(t.transaction_id);
    live.set(t.transaction_id, t);
  }
  for (const t of changes.modified) {
    assert.ok(seen.has(t.transaction_id), `modified ${t.transaction_id} was never added`);
    live.set(t.transaction_id, t);
  }
  for (const id of changes.removed) {
    assert.ok(seen.has(id), `removed ${id} was never added`);
    live.delete(id);
  }
  return live;
}

// A from-scratch sync to the end, as Map id -> transaction, plus its final cursor.
async function fullSync(accessToken, opts = { count: 500 }) {
  const changes = await syncPages(accessToken, undefined, opts);
  assertNoDuplicateAdds(changes, 'fresh sync');
  return { live: applyChanges(new Map(), changes), cursor: changes.nextCursor, changes };
}

function assertSameTransactions(actual, expected, what) {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: transaction ids differ`);
  for (const [id, t] of expected) assert.deepEqual(actual.get(id), t, `${what}: transaction ${id} differs`);
}

function idsOf(changes) {
  return {
    added: changes.added.map((t) => t.transaction_id).sort(),
    modified: changes.modified.map((t) => t.transaction_id).sort(),
    removed: [...changes.removed].sort(),
  };
}

// ---------------------------------------------------------------------------------------------------
// The Link stand-in's backend (not in the OpenAPI spec; its errors are Plaid error envelopes)

async function link(step, body) {
  const res = await fetch(`${emu.url}/link/v2/session/${step}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const r = { status: res.status, body: await res.json() };
  if (r.status !== 200) assertMatchesSchema('PlaidError', r.body, `POST /link/v2/session/${step} -> ${r.status}`);
  return r;
}

async function linkOk(step, body) {
  const r = await link(step, body);
  assert.equal(r.status, 200, `/link/v2/session/${step}: ${JSON.stringify(r.body)}`);
  return r.body;
}

// Starts a session and submits user_good/pass_good; returns {session, accounts} at select_accounts.
async function linkWithCredentials(token, { expectStep } = {}) {
  const session = await linkOk('start', { link_token: token });
  if (expectStep) assert.equal(session.step, expectStep);
  const creds = await linkOk('credentials', {
    link_session_id: session.link_session_id, institution_id: INSTITUTION_ID,
    username: 'user_good', password: 'pass_good',
  });
  assert.equal(creds.step, 'select_accounts');
  return { session, accounts: creds.accounts };
}

// ---------------------------------------------------------------------------------------------------

test('a pull during pagination interrupts it; restarting from the loop\'s first cursor gives a consistent set', async () => {
  const item = await newItem();
  const first = await ok('/transactions/sync', { access_token: item.accessToken, count: 10 });
  assert.equal(first.has_more, true, 'a 10-transaction first page should leave more to fetch');
  assert.equal(first.added.length, 10);

  // Three days of scheduled pulls bring new, posted and revised transactions.
  await advance(3 * DAY);
  await expectError('/transactions/sync', { access_token: item.accessToken, count: 10, cursor: first.next_cursor },
    400, 'TRANSACTIONS_ERROR', 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION');

  // The loop started from scratch, so its first cursor is "none".
  const restarted = await syncPages(item.accessToken, undefined, { count: 10 });
  assert.ok(restarted.sawHasMore, 'the restarted loop fit in one page');
  assertNoDuplicateAdds(restarted, 'restarted loop');
  const live = applyChanges(new Map(), restarted);

  const fresh = await fullSync(item.accessToken);
  assertSameTransactions(live, fresh.live, 'restarted loop vs fresh sync');
});

test('incremental sync after two days: changes apply on top of the saved set to equal a fresh sync', async () => {
  const item = await newItem();
  const base = await fullSync(item.accessToken);
  assert.ok(base.live.size > 0, 'no transactions after the historical pull');

  await advance(2 * DAY);
  const changes = await syncPages(item.accessToken, base.cursor, { count: 10 });
  assertNoDuplicateAdds(changes, 'incremental sync');
  const total = changes.added.length + changes.modified.length + changes.removed.length;
  assert.ok(total > 0, 'two days of pulls changed nothing');

  // applyChanges checks that every removed (and modified) id was added before.
  const live = applyChanges(new Map(base.live), changes);
  const fresh = await fullSync(item.accessToken);
  assertSameTransactions(live, fresh.live, 'incremental vs fresh sync');
});

test('cursors are bound to their account filter and Item; garbage is rejected; "now" skips history', async () => {
  const item = await newItem();
  const other = await newItem();
  const { accounts } = await ok('/accounts/get', { access_token: item.accessToken });
  const [a, b] = accounts.map((x) => x.account_id);

  const filtered = await ok('/transactions/sync', { access_token: item.accessToken, count: 5, options: { account_id: a } });
  assert.ok(filtered.added.every((t) => t.account_id === a), 'options.account_id filter ignored');
  const cursorA = filtered.next_cursor;
  assert.notEqual(cursorA, '');

  for (const [what, extra] of [
    ['another account_id', { options: { account_id: b } }],
    ['no options', {}],
    ['options without account_id', { options: {} }],
  ]) {
    const r = await call('/transactions/sync', { access_token: item.accessToken, cursor: cursorA, ...extra });
    assertError(r, 400, 'INVALID_REQUEST', 'INVALID_FIELD', `cursor for account A with ${what}: `);
  }
  // The same filter keeps working.
  await ok('/transactions/sync', { access_token: item.accessToken, cursor: cursorA, options: { account_id: a } });

  // An unfiltered cursor is bound to its Item too.
  const unfiltered = await ok('/transactions/sync', { access_token: item.accessToken, count: 5 });
  await expectError('/transactions/sync', { access_token: other.accessToken, cursor: unfiltered.next_cursor },
    400, 'INVALID_REQUEST', 'INVALID_FIELD');
  for (const garbage of ['garbage!!', 'djE6', 'bm90IGEgY3Vyc29y', 'a'.repeat(300)]) {
    await expectError('/transactions/sync', { access_token: item.accessToken, cursor: garbage },
      400, 'INVALID_REQUEST', 'INVALID_FIELD');
  }

  // "now" at the same moment as a full sync's final cursor: both must then see the same changes.
  const base = await fullSync(item.accessToken);
  const now = await ok('/transactions/sync', { access_token: item.accessToken, cursor: 'now' });
  assert.deepEqual([now.added, now.modified, now.removed, now.has_more], [[], [], [], false]);
  assert.notEqual(now.next_cursor, '');
  assert.notEqual(now.next_cursor, 'now');

  await advance(2 * DAY);
  const fromNow = await syncPages(item.accessToken, now.next_cursor, { count: 10 });
  const fromBase = await syncPages(item.accessToken, base.cursor, { count: 10 });
  assert.ok(fromNow.added.length + fromNow.modified.length + fromNow.removed.length > 0,
    'nothing new from the "now" cursor after two days');
  for (const t of fromNow.added) {
    assert.ok(!base.live.has(t.transaction_id), `"now" cursor re-sent old transaction ${t.transaction_id}`);
  }
  assert.deepEqual(idsOf(fromNow), idsOf(fromBase), '"now" cursor and the full sync\'s cursor disagree');
  const live = applyChanges(new Map(base.live), fromNow);
  assertSameTransactions(live, (await fullSync(item.accessToken)).live, '"now" cursor + changes vs fresh sync');
});

test('Link backend: wrong username, MFA lockout, single-use OAuth state, approve after a denial', async () => {
  const token = await linkToken({ products: ['transactions'] });

  const s1 = await linkOk('start', { link_token: token });
  assertError(await link('credentials', {
    link_session_id: s1.link_session_id, institution_id: INSTITUTION_ID, username: 'user_bad', password: 'pass_good',
  }), 400, 'ITEM_ERROR', 'INVALID_CREDENTIALS');

  // The user may retry after INVALID_CREDENTIALS; the MFA user then fails the code three times.
  const mfa = await linkOk('credentials', {
    link_session_id: s1.link_session_id, institution_id: INSTITUTION_ID, username: 'user_good', password: 'mfa_device',
  });
  assert.equal(mfa.step, 'mfa');
  assert.equal(mfa.mfa.type, 'device');
  for (let i = 1; i <= 2; i++) {
    assertError(await link('mfa', { link_session_id: s1.link_session_id, code: '0000' }), 400, 'ITEM_ERROR', 'INVALID_MFA');
  }
  assertError(await link('mfa', { link_session_id: s1.link_session_id, code: '0000' }), 400, 'ITEM_ERROR', 'ITEM_LOCKED');

  // OAuth with a redirect_uri: the resumed start consumes the state; a replay is refused.
  const oauthToken = await linkToken({ products: ['transactions'], redirect_uri: REDIRECT_URI });
  const s2 = await linkOk('start', { link_token: oauthToken });
  assert.equal(s2.step, 'select_institution');
  const search = await linkOk('search', { link_session_id: s2.link_session_id, query: 'Platypus OAuth' });
  assert.ok(search.institutions.some((i) => i.institution_id === OAUTH_INSTITUTION_ID), 'search lacks the OAuth bank');
  const oauth = await linkOk('oauth', { link_session_id: s2.link_session_id, institution_id: OAUTH_INSTITUTION_ID });
  assert.equal(oauth.redirect, true);
  const received = `${REDIRECT_URI}?oauth_state_id=${encodeURIComponent(oauth.oauth_state_id)}`;
  const resumed = await linkOk('start', { link_token: oauthToken, received_redirect_uri: received });
  assert.equal(resumed.step, 'select_accounts');
  assert.equal(resumed.institution?.institution_id, OAUTH_INSTITUTION_ID);
  assert.ok(resumed.accounts.length > 0);
  assertError(await link('start', { link_token: oauthToken, received_redirect_uri: received }),
    400, 'INVALID_REQUEST', 'INVALID_FIELD');

  // A denial ends the session: approving the same state afterwards is refused.
  const s3 = await linkOk('start', { link_token: oauthToken });
  const oauth3 = await linkOk('oauth', { link_session_id: s3.link_session_id, institution_id: OAUTH_INSTITUTION_ID });
  const denied = await linkOk('oauth/approve', { oauth_state_id: oauth3.oauth_state_id, denied: true });
  assert.equal(denied.denied, true);
  assert.equal(denied.error?.error_type, 'OAUTH_ERROR');
  assert.equal(denied.error?.error_code, 'OAUTH_USER_DENIED');
  assertError(await link('oauth/approve', { oauth_state_id: oauth3.oauth_state_id }),
    400, 'INVALID_REQUEST', 'INVALID_FIELD');
});

test('update mode with account selection adds an account; a saved cursor receives its history', async () => {
  // A new Item through Link with only the checking account.
  const { session, accounts } = await linkWithCredentials(await linkToken({ products: ['transactions'] }),
    { expectStep: 'select_institution' });
  const checking = accounts.find((a) => a.subtype === 'checking');
  const card = accounts.find((a) => a.name === 'Plaid Credit Card');  // many transactions: several pages
  assert.ok(checking && card, `accounts: ${JSON.stringify(accounts.map((a) => a.name))}`);
  const done = await linkOk('complete', { link_session_id: session.link_session_id, account_ids: [checking.id] });
  const ex = await ok('/item/public_token/exchange', { public_token: done.public_token });
  const accessToken = ex.access_token;
  assert.deepEqual((await ok('/accounts/get', { access_token: accessToken })).accounts.map((a) => a.account_id),
    [checking.id]);
  const base = await fullSync(accessToken);
  assert.ok([...base.live.values()].every((t) => t.account_id === checking.id), 'transactions of an unselected account');

  // Update mode with account selection: add the credit card.
  const updateToken = await linkToken({ access_token: accessToken, update: { account_selection_enabled: true } });
  const upd = await linkWithCredentials(updateToken, { expectStep: 'credentials' });
  assert.equal(upd.session.update_mode, true);
  assert.equal(upd.session.account_selection_enabled, true);
  await linkOk('complete', { link_session_id: upd.session.link_session_id, account_ids: [checking.id, card.id] });
  assert.deepEqual(
    (await ok('/accounts/get', { access_token: accessToken })).accounts.map((a) => a.account_id).sort(),
    [checking.id, card.id].sort());

  // The docs promise a pull at once, so the saved cursor sees the card's history without a clock move.
  const changes = await syncPages(accessToken, base.cursor, { count: 10 });
  assert.ok(changes.sawHasMore, 'the new account\'s history fit in one page of 10');
  assertNoDuplicateAdds(changes, 'sync after adding an account');
  const cardAdded = changes.added.filter((t) => t.account_id === card.id).map((t) => t.transaction_id).sort();
  assert.ok(cardAdded.length > 0, 'no transactions of the new account were added');
  const cardOnly = await fullSync(accessToken, { count: 500, options: { account_id: card.id } });
  assert.deepEqual(cardAdded, [...cardOnly.live.keys()].sort(), 'added for the new account != its full history');
  const live = applyChanges(new Map(base.live), changes);
  assertSameTransactions(live, (await fullSync(accessToken)).live, 'saved cursor + changes vs fresh sync');
});

// Subtests, so that one failing check does not hide the others.
test('robustness: control validation, oversized bodies, numeric edge cases, dropped and delayed answers', async (t) => {
  const item = await newItem();

  await t.test('a fault with http_status 5000 is refused and not installed', async () => {
    const r = await controlRaw('POST', '/emulator/faults', { endpoint: '/accounts/get', http_status: 5000 });
    assertError(r, 400, 'INVALID_REQUEST', 'INVALID_FIELD');
    assert.deepEqual((await emu.control('GET', '/emulator/faults')).faults, []);
  });

  await t.test('advancing the clock by 11 years is refused and moves nothing', async () => {
    const before = await emu.control('GET', '/emulator/clock');
    const r = await controlRaw('POST', '/emulator/clock/advance', { seconds: 11 * 365 * DAY });
    assertError(r, 400, 'INVALID_REQUEST', 'INVALID_FIELD');
    const after = await emu.control('GET', '/emulator/clock');
    assert.ok(after.offset_seconds - before.offset_seconds < 60, 'a refused advance moved the clock');
  });

  await t.test('a 2 MB body is 413 with Plaid\'s envelope', async () => {
    // Sent several times: a server that closes before reading the whole body races with the
    // client's upload, so a single attempt could pass by luck.
    const big = JSON.stringify({ access_token: item.accessToken, padding: 'x'.repeat(2 * 1024 * 1024) });
    for (let attempt = 1; attempt <= 10; attempt++) {
      let r;
      try {
        r = await rawPlaid('/accounts/get', big);
      } catch (e) {
        assert.fail(`attempt ${attempt}: fetch rejected (${e.cause?.code ?? e.message}) instead of reading a 413`);
      }
      assertMatchesResponseSchema('/accounts/get', r.status, r.body);
      assertError(r, 413, 'INVALID_REQUEST', 'INVALID_BODY', `attempt ${attempt}: `);
    }
  });

  await t.test('count 1e300 is INVALID_FIELD; count 50.0 is 50', async () => {
    // Raw bodies, because JSON.stringify writes 50.0 as 50.
    const huge = await rawPlaid('/transactions/sync', `{"access_token":"${item.accessToken}","count":1e300}`);
    assertMatchesResponseSchema('/transactions/sync', huge.status, huge.body);
    assertError(huge, 400, 'INVALID_REQUEST', 'INVALID_FIELD');
    const fifty = await rawPlaid('/transactions/sync', `{"access_token":"${item.accessToken}","count":50.0}`);
    assert.equal(fifty.status, 200, JSON.stringify(fifty.body));
    assertMatchesResponseSchema('/transactions/sync', 200, fifty.body);
    assert.equal(fifty.body.added.length, 50);
  });

  await t.test('a drop_connection fault makes one call fail; the next works', async () => {
    await emu.control('POST', '/emulator/faults', { endpoint: '/accounts/get', count: 1, drop_connection: true });
    await assert.rejects(emu.plaid('/accounts/get', { access_token: item.accessToken }), TypeError);
    await ok('/accounts/get', { access_token: item.accessToken });
  });

  await t.test('a delay_ms fault still answers 200 and is consumed', async () => {
    await emu.control('POST', '/emulator/faults', { endpoint: '/accounts/get', count: 1, delay_ms: 300 });
    await ok('/accounts/get', { access_token: item.accessToken });
    assert.deepEqual((await emu.control('GET', '/emulator/faults')).faults, []);
  });
});

test('webhook key rotation: later webhooks carry the new kid; the old key reports expired_at', async () => {
  const item = await newItem();
  const ackFor = (path) => (rec) => rec.path === path && rec.json?.item_id === item.itemId &&
    rec.json?.webhook_code === 'WEBHOOK_UPDATE_ACKNOWLEDGED';
  const kidOf = (rec) => JSON.parse(Buffer.from(rec.headers['plaid-verification'].split('.')[0], 'base64url')).kid;

  await ok('/item/webhook/update', { access_token: item.accessToken, webhook: hooks.url('/rotate-before') });
  const oldKid = kidOf(await hooks.waitFor(ackFor('/rotate-before'), 5000, 'acknowledgement before rotation'));

  const { kid: newKid } = await emu.control('POST', '/emulator/webhook_key/rotate');
  assert.equal(typeof newKid, 'string');
  assert.notEqual(newKid, oldKid);

  await ok('/item/webhook/update', { access_token: item.accessToken, webhook: hooks.url('/rotate-after') });
  const rec = await hooks.waitFor(ackFor('/rotate-after'), 5000, 'acknowledgement after rotation');
  const keyGet = async (kid) => (await ok('/webhook_verification_key/get', { key_id: kid })).key;
  const v = await verifyPlaidWebhook({
    headers: rec.headers, rawBody: rec.rawBody, getKey: keyGet, nowSeconds: Math.floor(Date.now() / 1000),
  });
  assert.equal(v.header.kid, newKid);
  assert.equal(v.key.expired_at, null);

  const old = await keyGet(oldKid);
  assert.equal(old.kid, oldKid);
  assert.notEqual(old.expired_at, null, 'the rotated-out key has no expired_at');
});
