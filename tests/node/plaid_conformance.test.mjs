// Conformance of build/bin/plaid-emulator with Plaid's API, driven by the official `plaid` node client.
//
// Every response the emulator gives to a Plaid endpoint (success or error) is validated against
// Plaid's OpenAPI spec (tests/node/lib/openapi.mjs); on top of that each test asserts behaviour:
// exact error_type/error_code/HTTP status, token formats, stable ids, fixtures, paging rules, webhooks
// and their signatures. References: docs/emulator.md, docs/emulator-link-protocol.md,
// third_party/plaid-openapi/.
//
// Run: node --test tests/node/plaid_conformance.test.mjs
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Configuration, PlaidApi } from 'plaid';
import { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET } from './lib/emulator.mjs';
import {
  assertMatchesResponseSchema, assertMatchesSchema, assertMatchesWebhookSchema, spec,
} from './lib/openapi.mjs';
import { startWebhookReceiver, verifyPlaidWebhook, WebhookVerificationError } from './lib/webhooks.mjs';

// ---------------------------------------------------------------------------------------------------
// Formats and fixtures

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const LINK_TOKEN_RE = new RegExp(`^link-sandbox-${UUID}$`);
const PUBLIC_TOKEN_RE = new RegExp(`^public-sandbox-${UUID}$`);
const ACCESS_TOKEN_RE = new RegExp(`^access-sandbox-${UUID}$`);
const PLAID_ID_RE = /^[A-Za-z0-9]{37}$/;  // item_id, account_id: 37-char base62-like (plaid-api.md §3)

const INSTITUTION_ID = 'ins_109508';
const INSTITUTION_NAME = 'First Platypus Bank';
const ALL_PRODUCTS = ['transactions', 'auth', 'identity', 'investments', 'liabilities'];
const INITIAL_DELAY = 120;      // --transactions-initial-delay of the main emulator (emulated seconds)
const HISTORICAL_DELAY = 600;   // --transactions-historical-delay of the main emulator

// ---------------------------------------------------------------------------------------------------
// The official client, wrapped so that every response body is checked against the spec.

class PlaidCallError extends Error {
  constructor(method, path, status, body) {
    super(`${method} (POST ${path}) -> HTTP ${status} ${body?.error_type}/${body?.error_code}: ${body?.error_message}`);
    this.name = 'PlaidCallError';
    this.method = method;
    this.path = path;
    this.status = status;
    this.body = body;
  }
}

function pathOf(config) {
  return new URL(config.url).pathname;
}

// Returns an object whose methods are PlaidApi's; each resolves to the validated response body, or rejects
// with PlaidCallError {status, body} after validating the error body against PlaidError.
function makeClient(basePath, { clientId = DEMO_CLIENT_ID, secret = DEMO_SECRET } = {}) {
  const api = new PlaidApi(new Configuration({
    basePath,
    baseOptions: { headers: { 'PLAID-CLIENT-ID': clientId, 'PLAID-SECRET': secret } },
  }));
  return new Proxy({}, {
    get(_, name) {
      if (typeof api[name] !== 'function') return undefined;
      return async (req) => {
        let res;
        try {
          res = await api[name](req);
        } catch (err) {
          if (!err.response) throw err;
          const p = pathOf(err.config);
          assertMatchesResponseSchema(p, err.response.status, err.response.data);
          throw new PlaidCallError(name, p, err.response.status, err.response.data);
        }
        const p = pathOf(res.config);
        assert.equal(res.status, 200, `${name}: HTTP ${res.status}`);
        assertMatchesResponseSchema(p, res.status, res.data);
        assert.equal(typeof res.data.request_id, 'string');
        assert.notEqual(res.data.request_id, '', `${name}: empty request_id`);
        return res.data;
      };
    },
  });
}

// Awaits `promise`, requires a PlaidCallError with the given HTTP status/error_type/error_code; returns the body.
async function expectPlaidError(promise, status, errorType, errorCode) {
  return expectPlaidErrorOneOf(promise, status, [[errorType, errorCode]]);
}

const UNKNOWN_INSTITUTION_ERRORS = [['INVALID_INPUT', 'INVALID_INSTITUTION'], ['INSTITUTION_ERROR', 'INSTITUTION_NOT_FOUND']];

// Like expectPlaidError, accepting any of `pairs` ([[error_type, error_code], ...]).
async function expectPlaidErrorOneOf(promise, status, pairs) {
  const [errorType, errorCode] = pairs[0];
  let err;
  try {
    const body = await promise;
    assert.fail(`expected HTTP ${status} ${errorType}/${errorCode}, got 200: ${JSON.stringify(body).slice(0, 300)}`);
  } catch (e) {
    if (!(e instanceof PlaidCallError)) throw e;
    err = e;
  }
  const got = { status: err.status, error_type: err.body.error_type, error_code: err.body.error_code };
  const match = pairs.find(([t, c]) => t === got.error_type && c === got.error_code) ?? pairs[0];
  assert.deepEqual(got, { status, error_type: match[0], error_code: match[1] },
    `${err.method}: HTTP ${err.status} ${JSON.stringify(err.body)}`);
  assert.equal(typeof err.body.request_id, 'string', 'error body without request_id');
  assert.notEqual(err.body.request_id, '');
  assert.ok(err.body.error_message, 'error_message is empty');
  return err.body;
}

// ---------------------------------------------------------------------------------------------------
// Raw HTTP helpers (request validation, credentials in the body, Link stand-in backend)

let emu;          // main emulator
let plaid;        // wrapped official client for it
let hooks;        // webhook receiver

async function rawPost(url, p, body, headers = {}) {
  const res = await fetch(url + p, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json };
}

// POSTs to a Plaid endpoint of the main emulator without the client; validates the answer against the spec.
async function rawPlaid(p, body, headers = { 'PLAID-CLIENT-ID': DEMO_CLIENT_ID, 'PLAID-SECRET': DEMO_SECRET }) {
  const r = await rawPost(emu.url, p, body, { 'Plaid-Version': '2020-09-14', ...headers });
  assertMatchesResponseSchema(p, r.status, r.body);
  return r;
}

function assertRawError(r, status, errorType, errorCode) {
  assert.deepEqual(
    { status: r.status, error_type: r.body?.error_type, error_code: r.body?.error_code },
    { status, error_type: errorType, error_code: errorCode },
    JSON.stringify(r.body));
  assert.equal(typeof r.body.request_id, 'string');
  return r.body;
}

// The Link stand-in's backend (docs/emulator-link-protocol.md). Error bodies must be Plaid error envelopes.
async function link(p, body, url = emu.url) {
  const r = await rawPost(url, `/link/v2/session/${p}`, body);
  if (r.status !== 200) assertMatchesSchema('PlaidError', r.body, `POST /link/v2/session/${p} -> ${r.status}`);
  return r;
}

async function linkOk(p, body, url = emu.url) {
  const r = await link(p, body, url);
  assert.equal(r.status, 200, `/link/v2/session/${p}: ${JSON.stringify(r.body)}`);
  return r.body;
}

// ---------------------------------------------------------------------------------------------------
// Emulator controls

function toMs(v) {
  if (typeof v === 'number') return v > 1e12 ? v : v * 1000;
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return toMs(Number(v));
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  throw new Error(`unrecognised emulator clock value ${JSON.stringify(v)}`);
}

async function nowMs(e = emu) {
  const c = await e.control('GET', '/emulator/clock');
  return toMs(c.now);
}

async function advance(seconds, e = emu) {
  const before = await nowMs(e);
  const r = await e.control('POST', '/emulator/clock/advance', { seconds });
  const after = toMs(r.now);
  assert.ok(after - before >= seconds * 1000 - 1000,
    `clock advanced by ${(after - before) / 1000} s, asked for ${seconds} s`);
  return after;
}

function isoDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------------
// Items

let hookSeq = 0;
function hookUrl(label) {
  return hooks.url(`/hooks/${label}-${++hookSeq}`);
}

async function createPublicToken(client, { products = ALL_PRODUCTS, webhook, institutionId = INSTITUTION_ID } = {}) {
  const options = {};
  if (webhook) options.webhook = webhook;
  const r = await client.sandboxPublicTokenCreate({
    institution_id: institutionId, initial_products: products, options,
  });
  assert.match(r.public_token, PUBLIC_TOKEN_RE);
  return r.public_token;
}

async function newItem(client = plaid, opts = {}) {
  const publicToken = await createPublicToken(client, opts);
  const r = await client.itemPublicTokenExchange({ public_token: publicToken });
  assert.match(r.access_token, ACCESS_TOKEN_RE);
  assert.match(r.item_id, PLAID_ID_RE);
  return { publicToken, accessToken: r.access_token, itemId: r.item_id, webhook: opts.webhook };
}

let mainItemPromise;
function mainItem() {
  mainItemPromise ??= newItem(plaid, { webhook: hookUrl('main') });
  return mainItemPromise;
}

function checking(accounts) {
  const a = accounts.find((x) => x.name === 'Plaid Checking');
  assert.ok(a, `no "Plaid Checking" among ${JSON.stringify(accounts.map((x) => x.name))}`);
  return a;
}

function assertCheckingFixture(a) {
  assert.equal(a.mask, '0000');
  assert.equal(a.type, 'depository');
  assert.equal(a.subtype, 'checking');
  assert.equal(a.balances.available, 100);
  assert.equal(a.balances.current, 110);
  assert.equal(a.balances.iso_currency_code, 'USD');
  assert.equal(a.balances.unofficial_currency_code, null);
}

function assertItemBasics(item, { itemId, webhook }) {
  assert.equal(item.item_id, itemId);
  assert.equal(item.institution_id, INSTITUTION_ID);
  if (webhook !== undefined) assert.equal(item.webhook, webhook);
  const billed = new Set(item.billed_products);
  for (const p of item.available_products) assert.ok(!billed.has(p), `${p} is both available and billed`);
}

// Runs /transactions/sync from `cursor` until has_more is false. `state` = {live: Map id->txn, everAdded: Set}.
// Checks: no id is added twice, modified/removed ids were added before, accounts exist.
async function syncAll(client, accessToken, cursor, state, { count = 10, knownAccountIds } = {}) {
  let pages = 0;
  for (;;) {
    const req = { access_token: accessToken, count };
    if (cursor !== undefined) req.cursor = cursor;
    const r = await client.transactionsSync(req);
    pages++;
    assert.ok(pages < 500, 'too many /transactions/sync pages');
    assert.ok(r.added.length + r.modified.length + r.removed.length <= count,
      `page has ${r.added.length}+${r.modified.length}+${r.removed.length} updates, count was ${count}`);
    for (const t of r.added) {
      assert.ok(!state.everAdded.has(t.transaction_id), `transaction ${t.transaction_id} added twice across sync pages`);
      state.everAdded.add(t.transaction_id);
      state.live.set(t.transaction_id, t);
    }
    for (const t of r.modified) {
      assert.ok(state.everAdded.has(t.transaction_id), `modified ${t.transaction_id} was never added`);
      state.live.set(t.transaction_id, t);
    }
    for (const t of r.removed) {
      assert.ok(state.everAdded.has(t.transaction_id), `removed ${t.transaction_id} was never added`);
      state.live.delete(t.transaction_id);
    }
    if (knownAccountIds) {
      for (const t of [...r.added, ...r.modified]) {
        assert.ok(knownAccountIds.has(t.account_id), `transaction ${t.transaction_id} on unknown account ${t.account_id}`);
      }
    }
    const pageAccountIds = new Set(r.accounts.map((a) => a.account_id));
    for (const t of [...r.added, ...r.modified]) {
      assert.ok(pageAccountIds.has(t.account_id), `sync page lacks account ${t.account_id} of ${t.transaction_id}`);
    }
    if (r.next_cursor === '') {
      assert.equal(r.has_more, false, 'has_more with an empty next_cursor');
      return { ...r, pages };
    }
    cursor = r.next_cursor;
    if (!r.has_more) return { ...r, pages };
  }
}

// Verifies a received webhook against the main emulator's key (fetched with the client). `iat` must be
// within 5 minutes of the emulator's clock; a receiver in a real deployment checks against its own wall
// clock, so that is accepted too (which one matched is recorded in iatClocks and printed at the end).
const iatClocks = [];
async function verifyHook(rec, client = plaid, e = emu) {
  const emulated = Math.floor((await nowMs(e)) / 1000);
  const wall = Math.floor(Date.now() / 1000);
  const v = await verifyPlaidWebhook({
    headers: rec.headers,
    rawBody: rec.rawBody,
    nowSeconds: [emulated, wall],
    getKey: async (kid) => {
      const r = await client.webhookVerificationKeyGet({ key_id: kid });
      assert.equal(r.key.kid, kid);
      assert.equal(r.key.alg, 'ES256');
      assert.equal(r.key.kty, 'EC');
      assert.equal(r.key.crv, 'P-256');
      assert.equal(r.key.use, 'sig');
      return r.key;
    },
  });
  iatClocks.push(`${rec.json?.webhook_type}/${rec.json?.webhook_code}: iat ${v.claims.iat}, emulated now ${emulated}, ` +
    `wall now ${wall} -> matched the ${v.clock === 0 ? 'emulated' : 'wall'} clock`);
  return v;
}

function hookFor(itemId, type, code, extra = () => true) {
  return (rec) => rec.json?.item_id === itemId && rec.json?.webhook_type === type &&
    rec.json?.webhook_code === code && extra(rec.json);
}

// ---------------------------------------------------------------------------------------------------

before(async () => {
  spec();  // load the 3 MB spec once, before the first timed call
  hooks = await startWebhookReceiver();
  emu = await startEmulator([
    '--transactions-initial-delay', String(INITIAL_DELAY),
    '--transactions-historical-delay', String(HISTORICAL_DELAY),
  ]);
  plaid = makeClient(emu.url);
});

after(async () => {
  if (process.env.PLAID_CONFORMANCE_VERBOSE) for (const l of iatClocks) console.log(`# webhook ${l}`);
  await emu?.stop();
  await hooks?.close();
});

// ---------------------------------------------------------------------------------------------------

describe('link tokens', () => {
  it('/link/token/create + /link/token/get: a new-Item token expires ~4 h ahead', async () => {
    const webhook = hookUrl('linktoken');
    const before = await nowMs();
    const r = await plaid.linkTokenCreate({
      client_name: 'Linkhub Tests',
      language: 'en',
      country_codes: ['US'],
      user: { client_user_id: 'conn_conformance_1' },
      products: ['transactions'],
      optional_products: ['identity'],
      webhook,
    });
    assert.match(r.link_token, LINK_TOKEN_RE);
    const exp = Date.parse(r.expiration);
    assert.ok(!Number.isNaN(exp), `expiration ${r.expiration}`);
    const ahead = (exp - before) / 1000;
    assert.ok(Math.abs(ahead - 4 * 3600) <= 120, `new-Item link_token expires ${ahead} s ahead, expected ~14400`);

    const g = await plaid.linkTokenGet({ link_token: r.link_token });
    assert.equal(g.link_token, r.link_token);
    assert.equal(Date.parse(g.expiration), exp, 'link/token/get expiration differs from create');
    assert.ok(Math.abs(Date.parse(g.created_at) - before) <= 120_000, `created_at ${g.created_at}`);
    assert.deepEqual(g.metadata.initial_products, ['transactions']);
    assert.equal(g.metadata.webhook, webhook);
    assert.deepEqual(g.metadata.country_codes, ['US']);
    assert.equal(g.metadata.language, 'en');
    assert.equal(g.metadata.client_name, 'Linkhub Tests');

    const r2 = await plaid.linkTokenCreate({
      client_name: 'Linkhub Tests', language: 'en', country_codes: ['US'],
      user: { client_user_id: 'conn_conformance_1' }, products: ['transactions'],
    });
    assert.notEqual(r2.link_token, r.link_token, 'two link/token/create calls returned the same token');

    await expectPlaidError(plaid.linkTokenGet({ link_token: `link-sandbox-${randomUUID()}` }),
      400, 'INVALID_INPUT', 'INVALID_LINK_TOKEN');
  });

  it('/link/token/create in update mode (access_token, no products) expires ~30 min ahead', async () => {
    const item = await newItem(plaid, { products: ['transactions'] });
    const before = await nowMs();
    const r = await plaid.linkTokenCreate({
      client_name: 'Linkhub Tests', language: 'en', country_codes: ['US'],
      user: { client_user_id: 'conn_conformance_2' }, access_token: item.accessToken,
    });
    assert.match(r.link_token, LINK_TOKEN_RE);
    const ahead = (Date.parse(r.expiration) - before) / 1000;
    assert.ok(Math.abs(ahead - 30 * 60) <= 120, `update-mode link_token expires ${ahead} s ahead, expected ~1800`);
    const g = await plaid.linkTokenGet({ link_token: r.link_token });
    assert.equal(g.link_token, r.link_token);
    assert.equal(Date.parse(g.expiration), Date.parse(r.expiration));

    await expectPlaidError(plaid.linkTokenCreate({
      client_name: 'Linkhub Tests', language: 'en', country_codes: ['US'],
      user: { client_user_id: 'conn_conformance_2' }, access_token: `access-sandbox-${randomUUID()}`,
    }), 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
  });
});

describe('items', () => {
  it('/sandbox/public_token/create for ins_109508 with five products and a webhook', async () => {
    const webhook = hookUrl('sandbox-create');
    const r = await plaid.sandboxPublicTokenCreate({
      institution_id: INSTITUTION_ID, initial_products: ALL_PRODUCTS, options: { webhook },
    });
    assert.match(r.public_token, PUBLIC_TOKEN_RE);
    const r2 = await plaid.sandboxPublicTokenCreate({
      institution_id: INSTITUTION_ID, initial_products: ALL_PRODUCTS, options: { webhook },
    });
    assert.notEqual(r2.public_token, r.public_token);

    // Plaid answers an unknown institution_id with INVALID_INPUT/INVALID_INSTITUTION; plaid-api.md §4.2 lists
    // INSTITUTION_ERROR/INSTITUTION_NOT_FOUND. Either is accepted, as a 400.
    await expectPlaidErrorOneOf(plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_999999999', initial_products: ['transactions'],
    }), 400, UNKNOWN_INSTITUTION_ERRORS);
  });

  it('/item/public_token/exchange gives an access_token and item_id; the Item carries products and webhook', async () => {
    const webhook = hookUrl('exchange');
    const publicToken = await createPublicToken(plaid, { webhook });
    const r = await plaid.itemPublicTokenExchange({ public_token: publicToken });
    assert.match(r.access_token, ACCESS_TOKEN_RE);
    assert.match(r.item_id, PLAID_ID_RE);

    const { items } = await emu.control('GET', '/emulator/items');
    const rec = items.find((x) => x.item_id === r.item_id);
    assert.ok(rec, `/emulator/items lacks ${r.item_id}`);
    assert.equal(rec.institution_id, INSTITUTION_ID);
    assert.equal(rec.webhook, webhook);
    assert.equal(rec.removed, false);
    assert.equal(rec.error, null);
    const products = new Set([...(rec.products ?? []), ...(rec.billed_products ?? [])]);
    for (const p of ALL_PRODUCTS) assert.ok(products.has(p), `emulator item lacks product ${p}`);

    const g = await plaid.itemGet({ access_token: r.access_token });
    assert.equal(g.item.item_id, r.item_id);
  });

  it('/item/get shows institution, webhook, products and no error', async () => {
    const item = await mainItem();
    const r = await plaid.itemGet({ access_token: item.accessToken });
    assertItemBasics(r.item, item);
    assert.equal(r.item.error, null);
    const products = new Set([...(r.item.products ?? []), ...r.item.billed_products]);
    for (const p of ALL_PRODUCTS) assert.ok(products.has(p), `item lacks product ${p}: ${JSON.stringify(r.item)}`);
    if (r.item.institution_name !== undefined) assert.equal(r.item.institution_name, INSTITUTION_NAME);
    assert.ok(['background', 'user_present_required'].includes(r.item.update_type));
    const again = await plaid.itemGet({ access_token: item.accessToken });
    assert.equal(again.item.item_id, r.item.item_id);
    assert.notEqual(again.request_id, r.request_id, 'request_id repeated across calls');
  });
});

describe('product endpoints', () => {
  it('/accounts/get: Plaid Checking 100/110 mask 0000, ids stable, account_ids filter', async () => {
    const item = await mainItem();
    const r = await plaid.accountsGet({ access_token: item.accessToken });
    assert.ok(r.accounts.length >= 2, `only ${r.accounts.length} accounts`);
    for (const a of r.accounts) assert.match(a.account_id, PLAID_ID_RE);
    assert.equal(new Set(r.accounts.map((a) => a.account_id)).size, r.accounts.length, 'duplicate account_id');
    assertCheckingFixture(checking(r.accounts));
    assertItemBasics(r.item, item);
    const types = new Set(r.accounts.map((a) => a.type));
    for (const t of ['depository', 'credit', 'loan', 'investment']) {
      assert.ok(types.has(t), `no ${t} account for an Item with ${ALL_PRODUCTS.join(',')}`);
    }

    const again = await plaid.accountsGet({ access_token: item.accessToken });
    assert.deepEqual(again.accounts.map((a) => a.account_id), r.accounts.map((a) => a.account_id),
      'account ids/order changed between calls');

    const chk = checking(r.accounts);
    const only = await plaid.accountsGet({ access_token: item.accessToken, options: { account_ids: [chk.account_id] } });
    assert.deepEqual(only.accounts.map((a) => a.account_id), [chk.account_id]);
  });

  it('/accounts/balance/get: same accounts, real-time balances; unknown account_id is INVALID_ACCOUNT_ID', async () => {
    const item = await mainItem();
    const accounts = (await plaid.accountsGet({ access_token: item.accessToken })).accounts;
    const r = await plaid.accountsBalanceGet({ access_token: item.accessToken });
    assert.deepEqual(r.accounts.map((a) => a.account_id).sort(), accounts.map((a) => a.account_id).sort());
    assertCheckingFixture(checking(r.accounts));
    assertItemBasics(r.item, item);
    await expectPlaidError(plaid.accountsBalanceGet({
      access_token: item.accessToken, options: { account_ids: ['NoSuchAccount0000000000000000000000000'.slice(0, 37)] },
    }), 400, 'INVALID_INPUT', 'INVALID_ACCOUNT_ID');
  });

  it('/auth/get: ACH numbers for the depository accounts', async () => {
    const item = await mainItem();
    const accounts = (await plaid.accountsGet({ access_token: item.accessToken })).accounts;
    const ids = new Set(accounts.map((a) => a.account_id));
    const r = await plaid.authGet({ access_token: item.accessToken });
    for (const k of ['ach', 'eft', 'international', 'bacs']) assert.ok(Array.isArray(r.numbers[k]), `numbers.${k}`);
    const chk = checking(r.accounts);
    assert.ok(ids.has(chk.account_id), 'auth/get checking account_id differs from accounts/get');
    const ach = r.numbers.ach.find((n) => n.account_id === chk.account_id);
    assert.ok(ach, 'no ACH numbers for Plaid Checking');
    assert.match(ach.account, /^\d{4,17}$/);
    assert.match(ach.routing, /^\d{9}$/);
    const authIds = new Set(r.accounts.map((a) => a.account_id));
    for (const k of ['ach', 'eft', 'international', 'bacs']) {
      for (const n of r.numbers[k]) assert.ok(authIds.has(n.account_id), `numbers.${k} for unknown ${n.account_id}`);
    }
    for (const a of r.accounts) assert.ok(ids.has(a.account_id), `auth/get account ${a.account_id} not in accounts/get`);
  });

  it('/identity/get: every account has owners with names', async () => {
    const item = await mainItem();
    const ids = new Set((await plaid.accountsGet({ access_token: item.accessToken })).accounts.map((a) => a.account_id));
    const r = await plaid.identityGet({ access_token: item.accessToken });
    assert.ok(r.accounts.length > 0);
    for (const a of r.accounts) {
      assert.ok(ids.has(a.account_id), `identity account ${a.account_id} not in accounts/get`);
      assert.ok(a.owners.length > 0, `${a.name} has no owners`);
      for (const o of a.owners) assert.ok(o.names.length > 0 && o.names.every((n) => n.length > 0));
    }
    assertCheckingFixture(checking(r.accounts));
  });

  it('/investments/holdings/get: holdings reference known accounts and securities', async () => {
    const item = await mainItem();
    const r = await plaid.investmentsHoldingsGet({ access_token: item.accessToken });
    assert.ok(r.holdings.length > 0, 'no holdings');
    assert.ok(r.securities.length > 0, 'no securities');
    const accounts = new Map(r.accounts.map((a) => [a.account_id, a]));
    const securities = new Set(r.securities.map((s) => s.security_id));
    for (const h of r.holdings) {
      assert.ok(accounts.has(h.account_id), `holding on unknown account ${h.account_id}`);
      assert.equal(accounts.get(h.account_id).type, 'investment');
      assert.ok(securities.has(h.security_id), `holding of unknown security ${h.security_id}`);
    }
    const again = await plaid.investmentsHoldingsGet({ access_token: item.accessToken });
    assert.deepEqual(again.securities.map((s) => s.security_id), r.securities.map((s) => s.security_id));
  });

  it('/investments/transactions/get: totals, offset paging, references', async () => {
    const item = await mainItem();
    const now = await nowMs();
    const req = { access_token: item.accessToken, start_date: isoDate(now - 730 * 86400e3), end_date: isoDate(now) };
    const r = await plaid.investmentsTransactionsGet(req);
    assert.ok(r.investment_transactions.length > 0, 'no investment transactions');
    assert.ok(r.total_investment_transactions >= r.investment_transactions.length);
    const accounts = new Set(r.accounts.map((a) => a.account_id));
    const securities = new Set(r.securities.map((s) => s.security_id));
    for (const t of r.investment_transactions) {
      assert.ok(accounts.has(t.account_id), `investment txn on unknown account ${t.account_id}`);
      if (t.security_id !== null) assert.ok(securities.has(t.security_id), `unknown security ${t.security_id}`);
      assert.ok(t.date >= req.start_date && t.date <= req.end_date, `date ${t.date} outside the range`);
    }
    const page = await plaid.investmentsTransactionsGet({ ...req, options: { count: 1, offset: 0 } });
    assert.equal(page.investment_transactions.length, 1);
    assert.equal(page.total_investment_transactions, r.total_investment_transactions);
  });

  it('/liabilities/get: credit, student and mortgage liabilities reference loan/credit accounts', async () => {
    const item = await mainItem();
    const r = await plaid.liabilitiesGet({ access_token: item.accessToken });
    const accounts = new Map(r.accounts.map((a) => [a.account_id, a]));
    const { credit, student, mortgage } = r.liabilities;
    assert.ok((credit?.length ?? 0) + (student?.length ?? 0) + (mortgage?.length ?? 0) > 0, 'no liabilities');
    for (const c of credit ?? []) {
      assert.ok(accounts.has(c.account_id), `credit liability on unknown account ${c.account_id}`);
      assert.equal(accounts.get(c.account_id).type, 'credit');
    }
    for (const l of [...(student ?? []), ...(mortgage ?? [])]) {
      assert.ok(accounts.has(l.account_id), `loan liability on unknown account ${l.account_id}`);
      assert.equal(accounts.get(l.account_id).type, 'loan');
    }
    assertItemBasics(r.item, item);
  });

  it('/institutions/get_by_id: First Platypus Bank; unknown id is an error', async () => {
    const r = await plaid.institutionsGetById({ institution_id: INSTITUTION_ID, country_codes: ['US'] });
    assert.equal(r.institution.institution_id, INSTITUTION_ID);
    assert.equal(r.institution.name, INSTITUTION_NAME);
    assert.equal(r.institution.oauth, false);
    assert.ok(r.institution.country_codes.includes('US'));
    for (const p of ['transactions', 'auth', 'identity']) assert.ok(r.institution.products.includes(p), `lacks ${p}`);
    const withMeta = await plaid.institutionsGetById({
      institution_id: INSTITUTION_ID, country_codes: ['US'], options: { include_optional_metadata: true },
    });
    assert.equal(withMeta.institution.institution_id, INSTITUTION_ID);
    await expectPlaidErrorOneOf(plaid.institutionsGetById({ institution_id: 'ins_999999999', country_codes: ['US'] }),
      400, UNKNOWN_INSTITUTION_ERRORS);
  });

  it('/institutions/search: "Platypus" finds ins_109508, filtered by products and country', async () => {
    const r = await plaid.institutionsSearch({ query: 'Platypus', country_codes: ['US'], products: ['transactions'] });
    const hit = r.institutions.find((i) => i.institution_id === INSTITUTION_ID);
    assert.ok(hit, `search lacks ${INSTITUTION_ID}: ${r.institutions.map((i) => i.institution_id)}`);
    assert.equal(hit.name, INSTITUTION_NAME);
    for (const i of r.institutions) {
      assert.ok(i.country_codes.includes('US'), `${i.institution_id} is not US`);
      assert.ok(i.products.includes('transactions'), `${i.institution_id} lacks transactions`);
      assert.match(i.name.toLowerCase(), /platypus/);
    }
    const none = await plaid.institutionsSearch({ query: 'zzzz no such bank zzzz', country_codes: ['US'] });
    assert.deepEqual(none.institutions, []);
  });
});

describe('transactions', () => {
  it('/transactions/sync: empty next_cursor until the first pull, then pages without duplicates; SYNC_UPDATES_AVAILABLE is signed', async () => {
    const webhook = hookUrl('sync');
    const item = await newItem(plaid, { webhook });
    const accountIds = new Set((await plaid.accountsGet({ access_token: item.accessToken })).accounts.map((a) => a.account_id));

    const first = await plaid.transactionsSync({ access_token: item.accessToken });
    assert.equal(first.next_cursor, '', 'next_cursor before the first pull');
    assert.deepEqual([first.added, first.modified, first.removed], [[], [], []]);
    assert.equal(first.has_more, false);
    assert.equal(first.transactions_update_status, 'NOT_READY');

    await advance(INITIAL_DELAY + 1);
    const state = { live: new Map(), everAdded: new Set() };
    const init = await syncAll(plaid, item.accessToken, undefined, state, { count: 25, knownAccountIds: accountIds });
    assert.notEqual(init.next_cursor, '', 'still not ready after the initial delay');
    assert.ok(state.everAdded.size > 0, 'no transactions after the initial pull');
    assert.ok(['INITIAL_UPDATE_COMPLETE', 'HISTORICAL_UPDATE_COMPLETE'].includes(init.transactions_update_status),
      init.transactions_update_status);
    for (const t of state.live.values()) {
      assert.equal(typeof t.amount, 'number');
      assert.match(t.date, /^\d{4}-\d{2}-\d{2}$/);
    }

    const hook1 = await hooks.waitFor(hookFor(item.itemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE',
      (b) => b.initial_update_complete === true), 5000, 'SYNC_UPDATES_AVAILABLE (initial)');
    assert.equal(new URL(webhook).pathname, hook1.path);
    assertMatchesWebhookSchema(hook1.json);
    assert.equal(hook1.json.environment, 'sandbox');
    await verifyHook(hook1);

    await advance(HISTORICAL_DELAY + 100);
    const hist = await syncAll(plaid, item.accessToken, init.next_cursor, state, { count: 25, knownAccountIds: accountIds });
    assert.equal(hist.transactions_update_status, 'HISTORICAL_UPDATE_COMPLETE');
    assert.equal(hist.has_more, false);
    const hook2 = await hooks.waitFor(hookFor(item.itemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE',
      (b) => b.historical_update_complete === true), 5000, 'SYNC_UPDATES_AVAILABLE (historical)');
    assertMatchesWebhookSchema(hook2.json);
    assert.equal(hook2.json.initial_update_complete, true);
    await verifyHook(hook2);

    // A fresh pull from the beginning sees exactly the live set.
    const fresh = { live: new Map(), everAdded: new Set() };
    await syncAll(plaid, item.accessToken, undefined, fresh, { count: 500 });
    assert.deepEqual([...fresh.live.keys()].sort(), [...state.live.keys()].sort(),
      'a sync from scratch differs from the incremental result');

    // Nothing new from the final cursor.
    const idle = await plaid.transactionsSync({ access_token: item.accessToken, cursor: hist.next_cursor });
    assert.deepEqual([idle.added, idle.modified, idle.removed, idle.has_more], [[], [], [], false]);
    assert.notEqual(idle.next_cursor, '');
  });

  it('/transactions/get: PRODUCT_NOT_READY before the pull, then offset paging with total_transactions', async () => {
    const item = await newItem(plaid, { products: ['transactions'] });
    const now = await nowMs();
    const req = { access_token: item.accessToken, start_date: isoDate(now - 730 * 86400e3), end_date: isoDate(now) };
    await expectPlaidError(plaid.transactionsGet(req), 400, 'ITEM_ERROR', 'PRODUCT_NOT_READY');

    await advance(INITIAL_DELAY + HISTORICAL_DELAY + 100);
    // The advance may have crossed midnight: the range ends on the emulator's today, so that it
    // holds every transaction /transactions/sync returns below.
    req.end_date = isoDate(await nowMs());
    const all = await plaid.transactionsGet(req);
    const total = all.total_transactions;
    assert.ok(total > 0, 'no transactions');
    assert.ok(all.transactions.length <= 100, 'default count is 100');
    assert.ok(all.transactions.length === Math.min(total, 100), `first page ${all.transactions.length} of ${total}`);

    // Page in ~6 pages of an odd size (Plaid limits /transactions/get to 30 calls per Item per minute).
    const pageSize = Math.max(1, Math.ceil(total / 6) | 1);
    const seen = [];
    for (let offset = 0; offset < total; ) {
      const p = await plaid.transactionsGet({ ...req, options: { count: pageSize, offset } });
      assert.equal(p.total_transactions, total, 'total_transactions changed while paging');
      assert.ok(p.transactions.length > 0 && p.transactions.length <= pageSize, `page of ${p.transactions.length}`);
      seen.push(...p.transactions);
      offset += p.transactions.length;
    }
    const ids = seen.map((t) => t.transaction_id);
    assert.equal(new Set(ids).size, ids.length, 'a transaction appears on two /transactions/get pages');
    assert.equal(ids.length, total);
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i - 1].date >= seen[i].date, `not reverse-chronological at ${i}: ${seen[i - 1].date} < ${seen[i].date}`);
    }
    for (const t of seen) assert.ok(t.date >= req.start_date && t.date <= req.end_date, `date ${t.date} outside range`);
    const accountIds = new Set(all.accounts.map((a) => a.account_id));
    for (const t of seen) assert.ok(accountIds.has(t.account_id), `txn on unknown account ${t.account_id}`);

    const beyond = await plaid.transactionsGet({ ...req, options: { count: 10, offset: total } });
    assert.deepEqual(beyond.transactions, []);
    assert.equal(beyond.total_transactions, total);

    const chk = checking(all.accounts);
    const filtered = await plaid.transactionsGet({ ...req, options: { account_ids: [chk.account_id], count: 500 } });
    assert.ok(filtered.transactions.every((t) => t.account_id === chk.account_id), 'account_ids filter ignored');
    assert.ok(filtered.total_transactions <= total);

    // The same transactions as /transactions/sync.
    const state = { live: new Map(), everAdded: new Set() };
    await syncAll(plaid, item.accessToken, undefined, state, { count: 500 });
    assert.deepEqual([...state.live.keys()].sort(), [...ids].sort(), '/transactions/get and /transactions/sync disagree');
  });

  it('/transactions/refresh: accepted for a transactions Item; sync afterwards stays consistent', async () => {
    const item = await newItem(plaid, { products: ['transactions'], webhook: hookUrl('refresh') });
    await advance(INITIAL_DELAY + 1);
    const state = { live: new Map(), everAdded: new Set() };
    const s1 = await syncAll(plaid, item.accessToken, undefined, state);
    const r = await plaid.transactionsRefresh({ access_token: item.accessToken });
    assert.equal(typeof r.request_id, 'string');
    await syncAll(plaid, item.accessToken, s1.next_cursor, state);
    await expectPlaidError(plaid.transactionsRefresh({ access_token: `access-sandbox-${randomUUID()}` }),
      400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
  });
});

describe('transactions updates', () => {
  it('periodic updates and /transactions/refresh: incremental sync stays equal to a fresh sync; webhook announces them', async () => {
    const webhook = hookUrl('updates');
    const item = await newItem(plaid, { products: ['transactions'], webhook });
    await advance(INITIAL_DELAY + HISTORICAL_DELAY + 100);
    const state = { live: new Map(), everAdded: new Set() };
    const base = await syncAll(plaid, item.accessToken, undefined, state, { count: 100 });
    assert.equal(base.transactions_update_status, 'HISTORICAL_UPDATE_COMPLETE');
    const before = new Map([...state.live].map(([id, t]) => [id, JSON.stringify(t)]));
    const hooksBefore = hooks.received.filter(hookFor(item.itemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE')).length;

    // A day of periodic pulls (Plaid updates Items several times a day), then an on-demand refresh.
    await advance(24 * 3600 + 60);
    await plaid.transactionsRefresh({ access_token: item.accessToken });
    const upd = await syncAll(plaid, item.accessToken, base.next_cursor, state, { count: 100 });
    assert.equal(upd.has_more, false);
    const changed = [...state.live].filter(([id, t]) => before.get(id) !== JSON.stringify(t)).length +
      [...before.keys()].filter((id) => !state.live.has(id)).length;
    assert.ok(changed > 0, 'a day of updates plus a refresh changed no transaction');
    await hooks.waitForCount(hookFor(item.itemId, 'TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE'), hooksBefore + 1, 5000,
      'SYNC_UPDATES_AVAILABLE after the updates');

    // A posted transaction replaces its pending one: both are never live at once.
    for (const t of state.live.values()) {
      if (t.pending_transaction_id) {
        assert.ok(!state.live.has(t.pending_transaction_id),
          `posted ${t.transaction_id} and its pending ${t.pending_transaction_id} are both live`);
      }
    }
    const fresh = { live: new Map(), everAdded: new Set() };
    await syncAll(plaid, item.accessToken, undefined, fresh, { count: 500 });
    assert.deepEqual([...fresh.live.keys()].sort(), [...state.live.keys()].sort(),
      'incremental sync result differs from a sync from scratch');
    for (const [id, t] of fresh.live) {
      assert.deepEqual(t, state.live.get(id), `transaction ${id} differs between incremental and fresh sync`);
    }
  });
});

describe('public_token lifecycle', () => {
  it('a public_token is single-use: the second exchange is INVALID_PUBLIC_TOKEN', async () => {
    const publicToken = await createPublicToken(plaid, { products: ['auth'] });
    const r = await plaid.itemPublicTokenExchange({ public_token: publicToken });
    assert.match(r.access_token, ACCESS_TOKEN_RE);
    await expectPlaidError(plaid.itemPublicTokenExchange({ public_token: publicToken }),
      400, 'INVALID_INPUT', 'INVALID_PUBLIC_TOKEN');
    await expectPlaidError(plaid.itemPublicTokenExchange({ public_token: 'not-a-public-token' }),
      400, 'INVALID_INPUT', 'INVALID_PUBLIC_TOKEN');
    await expectPlaidError(plaid.itemPublicTokenExchange({ public_token: `public-sandbox-${randomUUID()}` }),
      400, 'INVALID_INPUT', 'INVALID_PUBLIC_TOKEN');
    // The first exchange's access_token still works.
    await plaid.accountsGet({ access_token: r.access_token });
  });

  it('a public_token expires after 30 minutes', async () => {
    const early = await createPublicToken(plaid, { products: ['auth'] });
    const late = await createPublicToken(plaid, { products: ['auth'] });
    await advance(29 * 60);
    const ok = await plaid.itemPublicTokenExchange({ public_token: early });
    assert.match(ok.access_token, ACCESS_TOKEN_RE);
    await advance(2 * 60);
    await expectPlaidError(plaid.itemPublicTokenExchange({ public_token: late }),
      400, 'INVALID_INPUT', 'INVALID_PUBLIC_TOKEN');
  });
});

describe('credentials', () => {
  it('wrong client_id/secret is INVALID_INPUT/INVALID_API_KEYS; missing ones are MISSING_FIELDS', async () => {
    const bad = makeClient(emu.url, { secret: 'wrong-secret' });
    await expectPlaidError(bad.institutionsGetById({ institution_id: INSTITUTION_ID, country_codes: ['US'] }),
      400, 'INVALID_INPUT', 'INVALID_API_KEYS');
    await expectPlaidError(bad.sandboxPublicTokenCreate({ institution_id: INSTITUTION_ID, initial_products: ['auth'] }),
      400, 'INVALID_INPUT', 'INVALID_API_KEYS');
    const badId = makeClient(emu.url, { clientId: 'no-such-client' });
    await expectPlaidError(badId.institutionsGetById({ institution_id: INSTITUTION_ID, country_codes: ['US'] }),
      400, 'INVALID_INPUT', 'INVALID_API_KEYS');
    const item = await mainItem();
    await expectPlaidError(bad.accountsGet({ access_token: item.accessToken }), 400, 'INVALID_INPUT', 'INVALID_API_KEYS');
    // Real Plaid answers absent credentials with INVALID_REQUEST/MISSING_FIELDS "the following required
    // fields are missing: client_id, secret" (github.com/plaid/pattern/issues/192,
    // github.com/plaid/plaid-ruby/issues/344), not INVALID_API_KEYS as plaid-api.md §1 says.
    const none = await rawPlaid('/institutions/get_by_id', { institution_id: INSTITUTION_ID, country_codes: ['US'] }, {});
    const e = assertRawError(none, 400, 'INVALID_REQUEST', 'MISSING_FIELDS');
    assert.match(e.error_message, /client_id/);
    assert.match(e.error_message, /secret/);
    const noSecret = await rawPlaid('/institutions/get_by_id',
      { institution_id: INSTITUTION_ID, country_codes: ['US'] }, { 'PLAID-CLIENT-ID': DEMO_CLIENT_ID });
    assert.match(assertRawError(noSecret, 400, 'INVALID_REQUEST', 'MISSING_FIELDS').error_message, /secret/);
  });

  it('credentials are accepted in the body instead of the headers', async () => {
    const item = await mainItem();
    const r = await rawPlaid('/accounts/get',
      { client_id: DEMO_CLIENT_ID, secret: DEMO_SECRET, access_token: item.accessToken }, {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assertCheckingFixture(checking(r.body.accounts));
    const i = await rawPlaid('/institutions/get_by_id',
      { client_id: DEMO_CLIENT_ID, secret: DEMO_SECRET, institution_id: INSTITUTION_ID, country_codes: ['US'] }, {});
    assert.equal(i.status, 200, JSON.stringify(i.body));
    assert.equal(i.body.institution.institution_id, INSTITUTION_ID);
    const bad = await rawPlaid('/institutions/get_by_id',
      { client_id: DEMO_CLIENT_ID, secret: 'wrong', institution_id: INSTITUTION_ID, country_codes: ['US'] }, {});
    assertRawError(bad, 400, 'INVALID_INPUT', 'INVALID_API_KEYS');
  });
});

describe('request validation', () => {
  const validLinkToken = () => ({
    client_name: 'Linkhub Tests', language: 'en', country_codes: ['US'],
    user: { client_user_id: 'conn_validation' }, products: ['transactions'],
  });

  it('the valid baseline request succeeds (raw fetch)', async () => {
    const r = await rawPlaid('/link/token/create', validLinkToken());
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.link_token, LINK_TOKEN_RE);
  });

  it('missing user.client_user_id is INVALID_REQUEST/MISSING_FIELDS', async () => {
    const body = validLinkToken();
    body.user = {};
    const e = assertRawError(await rawPlaid('/link/token/create', body), 400, 'INVALID_REQUEST', 'MISSING_FIELDS');
    assert.match(e.error_message, /client_user_id/);
  });

  it('missing client_name is INVALID_REQUEST/MISSING_FIELDS', async () => {
    const body = validLinkToken();
    delete body.client_name;
    const e = assertRawError(await rawPlaid('/link/token/create', body), 400, 'INVALID_REQUEST', 'MISSING_FIELDS');
    assert.match(e.error_message, /client_name/);
  });

  it('missing access_token on /accounts/get is INVALID_REQUEST/MISSING_FIELDS', async () => {
    const e = assertRawError(await rawPlaid('/accounts/get', {}), 400, 'INVALID_REQUEST', 'MISSING_FIELDS');
    assert.match(e.error_message, /access_token/);
  });

  it('an unknown top-level field is INVALID_REQUEST/UNKNOWN_FIELDS', async () => {
    const e = assertRawError(await rawPlaid('/link/token/create', { ...validLinkToken(), foo: 1 }),
      400, 'INVALID_REQUEST', 'UNKNOWN_FIELDS');
    assert.match(e.error_message, /foo/);
  });

  it('a bad enum value (product, country) is INVALID_REQUEST/INVALID_FIELD', async () => {
    assertRawError(await rawPlaid('/link/token/create', { ...validLinkToken(), products: ['not_a_product'] }),
      400, 'INVALID_REQUEST', 'INVALID_FIELD');
    assertRawError(await rawPlaid('/link/token/create', { ...validLinkToken(), country_codes: ['XX'] }),
      400, 'INVALID_REQUEST', 'INVALID_FIELD');
  });

  it('a wrong type is INVALID_REQUEST/INVALID_FIELD', async () => {
    assertRawError(await rawPlaid('/link/token/create', { ...validLinkToken(), client_name: 42 }),
      400, 'INVALID_REQUEST', 'INVALID_FIELD');
  });

  it('an out-of-range count is INVALID_REQUEST/INVALID_FIELD', async () => {
    const item = await mainItem();
    const now = await nowMs();
    assertRawError(await rawPlaid('/transactions/get', {
      access_token: item.accessToken, start_date: isoDate(now - 30 * 86400e3), end_date: isoDate(now),
      options: { count: 501 },
    }), 400, 'INVALID_REQUEST', 'INVALID_FIELD');
  });

  it('a body that is not JSON is INVALID_REQUEST/INVALID_BODY', async () => {
    const e = assertRawError(await rawPlaid('/link/token/create', 'this is {not json'),
      400, 'INVALID_REQUEST', 'INVALID_BODY');
    assert.match(e.error_message, /could not be parsed as JSON/);
  });
});

describe('update mode', () => {
  it('/sandbox/item/reset_login breaks the Item; Link update mode (stand-in backend) repairs it', async () => {
    const webhook = hookUrl('reset');
    const item = await newItem(plaid, { webhook });
    const before = await plaid.accountsGet({ access_token: item.accessToken });

    const reset = await plaid.sandboxItemResetLogin({ access_token: item.accessToken });
    assert.equal(reset.reset_login, true);

    for (const call of [
      () => plaid.accountsGet({ access_token: item.accessToken }),
      () => plaid.authGet({ access_token: item.accessToken }),
      () => plaid.identityGet({ access_token: item.accessToken }),
    ]) {
      const e = await expectPlaidError(call(), 400, 'ITEM_ERROR', 'ITEM_LOGIN_REQUIRED');
      assert.equal(e.display_message, null);
    }
    const broken = await plaid.itemGet({ access_token: item.accessToken });
    assert.ok(broken.item.error, '/item/get shows no error after reset_login');
    assert.equal(broken.item.error.error_type, 'ITEM_ERROR');
    assert.equal(broken.item.error.error_code, 'ITEM_LOGIN_REQUIRED');

    const errHook = await hooks.waitFor(hookFor(item.itemId, 'ITEM', 'ERROR'), 5000, 'ITEM/ERROR webhook');
    assertMatchesWebhookSchema(errHook.json);
    assert.equal(errHook.json.error.error_code, 'ITEM_LOGIN_REQUIRED');
    await verifyHook(errHook);

    const now = await nowMs();
    const lt = await plaid.linkTokenCreate({
      client_name: 'Linkhub Tests', language: 'en', country_codes: ['US'],
      user: { client_user_id: 'conn_update' }, access_token: item.accessToken,
    });
    const ahead = (Date.parse(lt.expiration) - now) / 1000;
    assert.ok(Math.abs(ahead - 1800) <= 120, `update-mode link_token expires ${ahead} s ahead`);

    const start = await linkOk('start', { link_token: lt.link_token });
    assert.equal(start.step, 'credentials');
    assert.equal(start.update_mode, true);
    assert.equal(start.institution?.institution_id, INSTITUTION_ID);
    const creds = await linkOk('credentials', {
      link_session_id: start.link_session_id, institution_id: INSTITUTION_ID, username: 'user_good', password: 'pass_good',
    });
    assert.equal(creds.step, 'select_accounts');
    assert.ok(creds.accounts.length > 0);
    const done = await linkOk('complete', {
      link_session_id: start.link_session_id, account_ids: creds.accounts.map((a) => a.id),
    });
    assert.match(done.public_token, PUBLIC_TOKEN_RE);
    assert.equal(done.metadata.link_session_id, start.link_session_id);

    const repaired = await plaid.accountsGet({ access_token: item.accessToken });
    assert.deepEqual(repaired.accounts.map((a) => a.account_id), before.accounts.map((a) => a.account_id),
      'account ids changed by update mode');
    const ok = await plaid.itemGet({ access_token: item.accessToken });
    assert.equal(ok.item.error, null);
  });
});

describe('Link stand-in new-Item flow', () => {
  it('select_institution -> credentials -> complete mints a public_token the client can exchange', async () => {
    const lt = await plaid.linkTokenCreate({
      client_name: 'Linkhub Tests', language: 'en', country_codes: ['US'],
      user: { client_user_id: 'conn_link_flow' }, products: ['transactions', 'auth'],
    });
    const start = await linkOk('start', { link_token: lt.link_token });
    assert.equal(start.step, 'select_institution');
    assert.equal(start.update_mode, false);
    assert.equal(typeof start.link_session_id, 'string');
    assert.equal(start.client_name, 'Linkhub Tests');
    assert.deepEqual(start.accounts, []);

    const search = await linkOk('search', { link_session_id: start.link_session_id, query: 'Platypus' });
    assert.ok(search.institutions.some((i) => i.institution_id === INSTITUTION_ID), 'Link search lacks ins_109508');

    const wrong = await link('credentials', {
      link_session_id: start.link_session_id, institution_id: INSTITUTION_ID, username: 'user_good', password: 'nope',
    });
    assertRawError(wrong, 400, 'ITEM_ERROR', 'INVALID_CREDENTIALS');

    const creds = await linkOk('credentials', {
      link_session_id: start.link_session_id, institution_id: INSTITUTION_ID, username: 'user_good', password: 'pass_good',
    });
    assert.equal(creds.step, 'select_accounts');
    const chk = creds.accounts.find((a) => a.name === 'Plaid Checking');
    assert.ok(chk, 'no Plaid Checking to select');
    assert.equal(chk.mask, '0000');

    const done = await linkOk('complete', { link_session_id: start.link_session_id, account_ids: [chk.id] });
    assert.match(done.public_token, PUBLIC_TOKEN_RE);
    assert.deepEqual(done.metadata.institution, { name: INSTITUTION_NAME, institution_id: INSTITUTION_ID });
    assert.deepEqual(done.metadata.accounts.map((a) => a.id), [chk.id]);
    assert.equal(done.metadata.link_session_id, start.link_session_id);
    assert.equal(done.metadata.transfer_status, null);

    const ex = await plaid.itemPublicTokenExchange({ public_token: done.public_token });
    assert.match(ex.access_token, ACCESS_TOKEN_RE);
    const accounts = await plaid.accountsGet({ access_token: ex.access_token });
    assert.ok(accounts.accounts.some((a) => a.account_id === chk.id), 'selected account missing from /accounts/get');
    assertCheckingFixture(checking(accounts.accounts));
    assert.equal(accounts.item.institution_id, INSTITUTION_ID);
    await expectPlaidError(plaid.itemPublicTokenExchange({ public_token: done.public_token }),
      400, 'INVALID_INPUT', 'INVALID_PUBLIC_TOKEN');
  });

  it('an unknown link_token is INVALID_INPUT/INVALID_LINK_TOKEN at session start', async () => {
    const r = await link('start', { link_token: `link-sandbox-${randomUUID()}` });
    assertRawError(r, 400, 'INVALID_INPUT', 'INVALID_LINK_TOKEN');
  });
});

describe('webhooks', () => {
  it('/item/webhook/update fires a verifiable WEBHOOK_UPDATE_ACKNOWLEDGED to the new URL; a tampered body fails', async () => {
    const item = await newItem(plaid, { products: ['transactions'], webhook: hookUrl('old') });
    const newUrl = hookUrl('new');
    const r = await plaid.itemWebhookUpdate({ access_token: item.accessToken, webhook: newUrl });
    assert.equal(r.item.webhook, newUrl);
    assert.equal(r.item.item_id, item.itemId);
    assert.equal((await plaid.itemGet({ access_token: item.accessToken })).item.webhook, newUrl);

    const rec = await hooks.waitFor(hookFor(item.itemId, 'ITEM', 'WEBHOOK_UPDATE_ACKNOWLEDGED'), 5000,
      'WEBHOOK_UPDATE_ACKNOWLEDGED');
    assert.equal(rec.path, new URL(newUrl).pathname, 'acknowledgement not sent to the new URL');
    assert.equal(rec.method, 'POST');
    assert.match(rec.headers['content-type'] ?? '', /^application\/json/);
    assertMatchesWebhookSchema(rec.json);
    assert.equal(rec.json.new_webhook_url, newUrl);
    assert.equal(rec.json.environment, 'sandbox');

    const { header, claims } = await verifyHook(rec);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'JWT');
    assert.match(claims.request_body_sha256, /^[0-9a-f]{64}$/);

    const otherItemId = item.itemId.slice(0, -1) + (item.itemId.endsWith('A') ? 'B' : 'A');
    const tampered = Buffer.from(rec.rawBody.toString('utf8').replace(item.itemId, otherItemId));
    assert.notDeepEqual(tampered, rec.rawBody);
    await assert.rejects(verifyHook({ ...rec, rawBody: tampered }), (e) =>
      e instanceof WebhookVerificationError && /request_body_sha256/.test(e.message));
    // Re-serialised JSON (same content, other bytes) must not verify either: the hash is over raw bytes.
    const reserialised = Buffer.from(JSON.stringify(rec.json, null, 2));
    if (!reserialised.equals(rec.rawBody)) {
      await assert.rejects(verifyHook({ ...rec, rawBody: reserialised }), WebhookVerificationError);
    }
    // A forged signature (flip one byte of the signature) fails too.
    const [h, p, s] = rec.headers['plaid-verification'].split('.');
    const sig = Buffer.from(s, 'base64url');
    sig[10] ^= 0xff;
    await assert.rejects(verifyHook({ ...rec, headers: { 'plaid-verification': `${h}.${p}.${sig.toString('base64url')}` } }),
      (e) => e instanceof WebhookVerificationError && /signature/.test(e.message));

    const { webhooks } = await emu.control('GET', '/emulator/webhooks');
    const logged = webhooks.find((w) => w.item_id === item.itemId && w.webhook_code === 'WEBHOOK_UPDATE_ACKNOWLEDGED');
    assert.ok(logged, '/emulator/webhooks lacks the acknowledgement');
    assert.equal(logged.url, newUrl);
    assert.equal(logged.webhook_type, 'ITEM');
    assert.equal(logged.delivered, true);
    assert.ok(logged.attempts.some((a) => a.status === 200), JSON.stringify(logged.attempts));
  });

  it('/sandbox/item/fire_webhook delivers signed TRANSACTIONS webhooks', async () => {
    const webhook = hookUrl('fire');
    const item = await newItem(plaid, { products: ['transactions'], webhook });
    await advance(INITIAL_DELAY + 1);
    for (const code of ['SYNC_UPDATES_AVAILABLE', 'DEFAULT_UPDATE']) {
      const pred = hookFor(item.itemId, 'TRANSACTIONS', code);
      const n = hooks.received.filter(pred).length;
      const r = await plaid.sandboxItemFireWebhook({ access_token: item.accessToken, webhook_type: 'TRANSACTIONS', webhook_code: code });
      assert.equal(r.webhook_fired, true);
      const rec = (await hooks.waitForCount(pred, n + 1, 5000, `fired ${code}`))[n];
      assert.equal(rec.path, new URL(webhook).pathname);
      assertMatchesWebhookSchema(rec.json);
      await verifyHook(rec);
    }
    await expectPlaidError(plaid.sandboxItemFireWebhook({ access_token: `access-sandbox-${randomUUID()}`, webhook_code: 'DEFAULT_UPDATE' }),
      400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
  });
});

describe('test controls by item_id', () => {
  // A hub under test holds the access tokens, so these name the Item by its id.
  it('fire_webhook sends any code the sandbox can, with the date or error code asked for', async () => {
    const item = await newItem(plaid, { products: ['transactions'], webhook: hookUrl('by-id') });
    const at = '2027-01-15T00:00:00Z';
    const fired = await emu.control('POST', `/emulator/items/${item.itemId}/fire_webhook`,
      { webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: at });
    assert.equal(fired.webhook_fired, true);
    const rec = await hooks.waitFor(hookFor(item.itemId, 'ITEM', 'PENDING_EXPIRATION'), 5000, 'PENDING_EXPIRATION');
    assert.equal(rec.json.consent_expiration_time, at);
    assertMatchesWebhookSchema(rec.json);
    await verifyHook(rec);

    await emu.control('POST', `/emulator/items/${item.itemId}/fire_webhook`,
      { webhook_type: 'ITEM', webhook_code: 'ERROR', error_code: 'INSTITUTION_NOT_RESPONDING' });
    const error = await hooks.waitFor(hookFor(item.itemId, 'ITEM', 'ERROR'), 5000, 'ITEM ERROR');
    assert.equal(error.json.error.error_code, 'INSTITUTION_NOT_RESPONDING');
    assertMatchesWebhookSchema(error.json);
    await expectPlaidError(plaid.accountsGet({ access_token: item.accessToken }), 400, 'INSTITUTION_ERROR',
      'INSTITUTION_NOT_RESPONDING');

    await emu.control('POST', `/emulator/items/${item.itemId}/fire_webhook`, { webhook_code: 'LOGIN_REPAIRED' });
    await hooks.waitFor(hookFor(item.itemId, 'ITEM', 'LOGIN_REPAIRED'), 5000, 'LOGIN_REPAIRED');
    assert.equal((await plaid.accountsGet({ access_token: item.accessToken })).item.item_id, item.itemId);
  });

  it('reset_login puts the Item in ITEM_LOGIN_REQUIRED and says so by webhook', async () => {
    const item = await newItem(plaid, { products: ['transactions'], webhook: hookUrl('by-id-reset') });
    const r = await emu.control('POST', `/emulator/items/${item.itemId}/reset_login`);
    assert.equal(r.reset_login, true);
    const rec = await hooks.waitFor(hookFor(item.itemId, 'ITEM', 'ERROR'), 5000, 'ITEM ERROR');
    assert.equal(rec.json.error.error_code, 'ITEM_LOGIN_REQUIRED');
    await verifyHook(rec);
    await expectPlaidError(plaid.accountsGet({ access_token: item.accessToken }), 400, 'ITEM_ERROR',
      'ITEM_LOGIN_REQUIRED');
  });

  it('an unknown Item is a 404, a bad request a 400', async () => {
    const item = await newItem(plaid, { products: ['transactions'], webhook: hookUrl('by-id-bad') });
    const post = (p, body) => fetch(emu.url + p, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}),
    });
    assert.equal((await post('/emulator/items/item-nope/reset_login')).status, 404);
    assert.equal((await post('/emulator/items/item-nope/fire_webhook', { webhook_code: 'ERROR' })).status, 404);
    for (const body of [{}, { webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: 'soon' },
      { webhook_code: 'ERROR', error_code: 'NOT_A_CODE' }]) {
      const res = await post(`/emulator/items/${item.itemId}/fire_webhook`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    const unsupported = await post(`/emulator/items/${item.itemId}/fire_webhook`, { webhook_type: 'ITEM', webhook_code: 'NOPE' });
    assert.equal(unsupported.status, 400);
  });
});

describe('access token rotation and removal', () => {
  it('/item/access_token/invalidate: the old token dies, the new one works on the same Item', async () => {
    const item = await newItem(plaid, { products: ['auth'] });
    const before = await plaid.accountsGet({ access_token: item.accessToken });
    const r = await plaid.itemAccessTokenInvalidate({ access_token: item.accessToken });
    assert.match(r.new_access_token, ACCESS_TOKEN_RE);
    assert.notEqual(r.new_access_token, item.accessToken);
    await expectPlaidError(plaid.accountsGet({ access_token: item.accessToken }), 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
    const after = await plaid.accountsGet({ access_token: r.new_access_token });
    assert.equal(after.item.item_id, item.itemId);
    assert.deepEqual(after.accounts.map((a) => a.account_id), before.accounts.map((a) => a.account_id));
  });

  it('/item/remove: later product calls and a second remove are INVALID_ACCESS_TOKEN', async () => {
    const item = await newItem(plaid, { products: ['transactions', 'auth'] });
    await plaid.itemRemove({ access_token: item.accessToken });
    await expectPlaidError(plaid.accountsGet({ access_token: item.accessToken }), 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
    await expectPlaidError(plaid.authGet({ access_token: item.accessToken }), 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
    await expectPlaidError(plaid.transactionsSync({ access_token: item.accessToken }), 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
    await expectPlaidError(plaid.itemGet({ access_token: item.accessToken }), 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
    await expectPlaidError(plaid.itemRemove({ access_token: item.accessToken }), 400, 'INVALID_INPUT', 'INVALID_ACCESS_TOKEN');
    const { items } = await emu.control('GET', '/emulator/items');
    const rec = items.find((x) => x.item_id === item.itemId);
    assert.ok(rec, 'removed item vanished from /emulator/items');
    assert.equal(rec.removed, true);
  });
});

describe('rate limiting', () => {
  let limited;
  before(async () => { limited = await startEmulator(['--item-rate-limit', '3']); });
  after(async () => { await limited?.stop(); });

  it('--item-rate-limit 3: the 4th /accounts/get in a minute is 429 ACCOUNTS_LIMIT; 61 s later it works', async () => {
    const client = makeClient(limited.url);
    const a = await newItem(client, { products: ['auth'] });
    const b = await newItem(client, { products: ['auth'] });
    for (let i = 0; i < 3; i++) await client.accountsGet({ access_token: a.accessToken });
    const e = await expectPlaidError(client.accountsGet({ access_token: a.accessToken }), 429, 'RATE_LIMIT_EXCEEDED', 'ACCOUNTS_LIMIT');
    assert.equal(e.display_message, null);
    // The limit is per Item: another Item is unaffected.
    await client.accountsGet({ access_token: b.accessToken });
    await advance(61, limited);
    await client.accountsGet({ access_token: a.accessToken });
  });
});

describe('fault injection', () => {
  after(async () => { await emu.control('DELETE', '/emulator/faults'); });

  it('an INTERNAL_SERVER_ERROR fault answers 500 API_ERROR once, then the call succeeds', async () => {
    const item = await mainItem();
    await emu.control('POST', '/emulator/faults', { endpoint: '/accounts/get', count: 1, error_code: 'INTERNAL_SERVER_ERROR' });
    await expectPlaidError(plaid.accountsGet({ access_token: item.accessToken }), 500, 'API_ERROR', 'INTERNAL_SERVER_ERROR');
    const r = await plaid.accountsGet({ access_token: item.accessToken });
    assertCheckingFixture(checking(r.accounts));
  });

  it('a fault with explicit type/code/status and count 2 fails twice; DELETE /emulator/faults clears faults', async () => {
    const item = await mainItem();
    await emu.control('POST', '/emulator/faults', {
      endpoint: '/auth/get', count: 2, error_type: 'INSTITUTION_ERROR', error_code: 'INSTITUTION_DOWN', http_status: 400,
    });
    await expectPlaidError(plaid.authGet({ access_token: item.accessToken }), 400, 'INSTITUTION_ERROR', 'INSTITUTION_DOWN');
    await expectPlaidError(plaid.authGet({ access_token: item.accessToken }), 400, 'INSTITUTION_ERROR', 'INSTITUTION_DOWN');
    await plaid.authGet({ access_token: item.accessToken });

    await emu.control('POST', '/emulator/faults', { endpoint: '/item/get', count: 5, error_code: 'INTERNAL_SERVER_ERROR' });
    await emu.control('DELETE', '/emulator/faults');
    await plaid.itemGet({ access_token: item.accessToken });
  });
});
