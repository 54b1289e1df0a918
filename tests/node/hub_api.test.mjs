// The hub's management API and Hub API end to end: build/bin/linkhub against build/bin/plaid-emulator
// over loopback, with real sandbox public tokens from the emulator. Every answer asserts its exact
// status and body shape, and the emulator's own view of its Items (GET /emulator/items: exchanged,
// removed) shows what the hub really did at "Plaid".
//
// One part runs a second hub whose Plaid base URL is a small recording proxy in front of the
// emulator, to see what the hub sends Plaid (client_user_id, update mode) without exposing it.
//
// References: docs/api.md, docs/hub.md, docs/emulator.md, docs/emulator-link-protocol.md.
// Run: node --test tests/node/hub_api.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { startEmulator } from './lib/emulator.mjs';
import { startHub, admin, createProject, call, sandboxPublicToken, connectSession } from './lib/hub.mjs';

const PLATYPUS = 'ins_109508';       // First Platypus Bank
const GINGHAM = 'ins_109509';        // First Gingham Credit Union
const TATTERSALL = 'ins_109510';     // Tattersall Federal Credit Union
const HOUNDSTOOTH = 'ins_109512';    // Houndstooth Bank
const RUN_LINK_AGAIN = /run Plaid Link again/;

let emu;
let hub;
let project;   // {project_id, organization_id, api_key, api_key_id}
let key;

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off']);
  hub = await startHub(emu);
  project = await createProject(hub, 'hub api tests');
  key = project.api_key;
});

after(async () => {
  // Stop both even if one fails, then report the first failure.
  const results = await Promise.allSettled([hub?.stop(), emu?.stop()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

// ---------------------------------------------------------------------------------------------------
// helpers

let ownerSeq = 0;
// A fresh origin_owner_id: every sandbox Item of one institution has the same accounts, so links of
// one owner at one institution are duplicates of each other.
function newOwner(tag = 'owner') {
  return `${tag}_${process.pid}_${++ownerSeq}`;
}

function assertTimestamp(value, what) {
  assert.equal(typeof value, 'string', `${what} is not a string`);
  assert.ok(!Number.isNaN(Date.parse(value)), `${what} does not parse: ${value}`);
}

// Asserts the StackOne error shape {statusCode, message, timestamp} with `status`.
function assertError(res, status, messageRe) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(typeof res.body, 'object', `error body is not JSON: ${res.body}`);
  assert.equal(res.body.statusCode, status);
  assert.equal(typeof res.body.message, 'string');
  assert.ok(res.body.message.length > 0, 'empty message');
  assertTimestamp(res.body.timestamp, 'timestamp');
  if (messageRe) assert.match(res.body.message, messageRe);
  return res.body;
}

function assertProviderError(body, { status, errorType, errorCode }) {
  assert.ok(Array.isArray(body.provider_errors), `no provider_errors: ${JSON.stringify(body)}`);
  assert.equal(body.provider_errors.length, 1);
  const p = body.provider_errors[0];
  assert.equal(p.status, status);
  assert.equal(p.error_type, errorType);
  assert.equal(p.error_code, errorCode);
  assert.equal(typeof p.error_message, 'string');
  assert.equal(typeof p.request_id, 'string');
  assert.deepEqual(p.raw, { error_type: p.error_type, error_code: p.error_code,
                            error_message: p.error_message, request_id: p.request_id });
  assert.equal(typeof body.provider_response, 'string');
  assert.deepEqual(JSON.parse(body.provider_response), p.raw);
}

async function emuItems() {
  const { items } = await emu.control('GET', '/emulator/items');
  return new Map(items.map((i) => [i.item_id, i]));
}

async function exchangedCount() {
  return [...(await emuItems()).values()].filter((i) => i.exchanged).length;
}

// A fresh sandbox public token and the emulator Item it belongs to (found by diffing the Item list;
// the tests of this file run one at a time).
async function freshToken(institutionId = PLATYPUS) {
  const beforeIds = new Set((await emuItems()).keys());
  const token = await sandboxPublicToken(emu, institutionId);
  const created = [...(await emuItems()).values()].filter((i) => !beforeIds.has(i.item_id));
  assert.equal(created.length, 1, 'expected exactly one new emulator Item');
  return { token, item: created[0] };
}

async function newSession(fields = {}, apiKey = key) {
  return connectSession(hub, apiKey, { origin_owner_id: newOwner(), multiple: true, ...fields });
}

function submit(sessionToken, publicToken, metadata, extra = {}) {
  return call(hub, 'POST', '/hub/accounts', {
    session: sessionToken,
    body: { integration_id: 'plaid', credentials: { public_token: publicToken },
            ...(metadata ? { metadata } : {}), ...extra },
  });
}

// Plaid Link onSuccess-style metadata for an emulator Item.
function metadataFor(item, name = 'First Platypus Bank') {
  return {
    institution: { institution_id: item.institution_id, name },
    accounts: item.accounts.map((a) => ({ id: a.account_id, name: a.name, mask: a.mask,
                                          type: null, subtype: null })),
    link_session_id: randomUUID(),
  };
}

// Links a new account for a fresh (or given) owner; returns {account (201 body), item, session}.
async function link({ owner, institutionId = PLATYPUS, metadata = false, apiKey = key } = {}) {
  const session = await newSession(owner ? { origin_owner_id: owner } : {}, apiKey);
  const { token, item } = await freshToken(institutionId);
  const res = await submit(session.token, token, metadata ? metadataFor(item) : undefined);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { account: res.body, item, session, token };
}

function getAccount(id, apiKey = key) {
  return call(hub, 'GET', `/accounts/${id}`, { key: apiKey });
}

async function fault(body) {
  return emu.control('POST', '/emulator/faults', body);
}

const ACCOUNT_KEYS = ['created_at', 'id', 'label', 'origin_owner_id', 'origin_owner_name',
  'origin_username', 'plaid', 'provider', 'provider_name', 'status', 'status_reasons', 'type',
  'updated_at'].sort();

function assertLinkedAccountShape(a) {
  assert.deepEqual(Object.keys(a).sort(), ACCOUNT_KEYS);
  assert.match(a.id, /^acc_/);
  assert.equal(a.provider, 'plaid');
  assert.equal(a.provider_name, 'Plaid');
  assert.ok(['active', 'inactive', 'error'].includes(a.status));
  assert.ok(Array.isArray(a.status_reasons));
  assertTimestamp(a.created_at, 'created_at');
  assertTimestamp(a.updated_at, 'updated_at');
  assert.deepEqual(Object.keys(a.plaid).sort(),
                   ['accounts', 'environment', 'institution_id', 'institution_name', 'item_id',
                    'products'].sort());
  assert.ok(!JSON.stringify(a).includes('access-sandbox-'), 'an access token leaked');
}

// ---------------------------------------------------------------------------------------------------
// connect sessions

test('POST /connect_sessions creates a session with the StackOne shape', async () => {
  const owner = newOwner();
  const res = await call(hub, 'POST', '/connect_sessions', {
    key,
    body: { origin_owner_id: owner, origin_owner_name: 'Acme Corp', origin_username: 'jane@acme.test',
            provider: 'plaid', label: 'Main bank', categories: ['banking'], metadata: { crm: 42 },
            multiple: true, expires_in: 600, type: 'test' },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const s = res.body;
  assert.equal(typeof s.id, 'number');
  assert.ok(Number.isInteger(s.id));
  assert.equal(s.organization_id, project.organization_id);
  assert.equal(typeof s.organization_id, 'number');
  assert.equal(s.project_id, project.project_id);
  assert.equal(s.origin_owner_id, owner);
  assert.equal(s.origin_owner_name, 'Acme Corp');
  assert.equal(s.origin_username, 'jane@acme.test');
  assert.equal(s.provider, 'plaid');
  assert.equal(s.account_id, null);
  assert.equal(s.label, 'Main bank');
  assert.deepEqual(s.categories, ['banking']);
  assert.deepEqual(s.metadata, { crm: 42 });
  assert.equal(s.multiple, true);
  assert.equal(s.type, 'test');
  assertTimestamp(s.created_at, 'created_at');
  assertTimestamp(s.expires_at, 'expires_at');
  assert.equal(Date.parse(s.expires_at) - Date.parse(s.created_at), 600_000);
  assert.equal(typeof s.token, 'string');
  assert.ok(s.token.length >= 32, 'session token too short');
  assert.equal(s.auth_link_url, `${hub.url}/embedded/integrations?token=${s.token}`);

  // Defaults: provider plaid, multiple false, type production, 30 minutes.
  const d = await call(hub, 'POST', '/connect_sessions', {
    key, body: { origin_owner_id: newOwner(), origin_owner_name: 'Defaults' },
  });
  assert.equal(d.status, 201, JSON.stringify(d.body));
  assert.equal(d.body.provider, 'plaid');
  assert.equal(d.body.multiple, false);
  assert.equal(d.body.type, 'production');
  assert.equal(d.body.origin_username, null);
  assert.equal(d.body.label, null);
  assert.equal(Date.parse(d.body.expires_at) - Date.parse(d.body.created_at), 1800_000);
  assert.notEqual(d.body.id, s.id);
  assert.notEqual(d.body.token, s.token);
});

test('POST /connect_sessions validates its input', async (t) => {
  const base = { origin_owner_id: 'validation_owner', origin_owner_name: 'Acme' };
  const cases = [
    ['missing origin_owner_id', { origin_owner_name: 'Acme' }, /origin_owner_id/],
    ['empty origin_owner_id', { ...base, origin_owner_id: '' }, /origin_owner_id/],
    ['missing origin_owner_name', { origin_owner_id: 'x' }, /origin_owner_name/],
    ['numeric origin_owner_id', { ...base, origin_owner_id: 123 }, /origin_owner_id/],
    ['origin_owner_id too long', { ...base, origin_owner_id: 'x'.repeat(256) }, /origin_owner_id/],
    ['unknown provider', { ...base, provider: 'hris_bamboo' }, /provider/],
    ['numeric provider', { ...base, provider: 7 }, /provider/],
    ['expires_in below 60', { ...base, expires_in: 59 }, /expires_in/],
    ['expires_in above 30 days', { ...base, expires_in: 2592001 }, /expires_in/],
    ['expires_in as a string', { ...base, expires_in: '600' }, /expires_in/],
    ['expires_in fractional', { ...base, expires_in: 600.5 }, /expires_in/],
    ['multiple as a string', { ...base, multiple: 'yes' }, /multiple/],
    ['categories not an array', { ...base, categories: 'banking' }, /categories/],
    ['categories with a number', { ...base, categories: [1] }, /categories/],
    ['metadata not an object', { ...base, metadata: 'x' }, /metadata/],
    ['metadata over 8 KiB', { ...base, metadata: { blob: 'x'.repeat(9000) } }, /metadata/],
    ['bad type', { ...base, type: 'staging' }, /type/],
    ['label not a string', { ...base, label: { a: 1 } }, /label/],
  ];
  for (const [name, body, re] of cases) {
    await t.test(name, async () => {
      assertError(await call(hub, 'POST', '/connect_sessions', { key, body }), 400, re);
    });
  }
  await t.test('the edges of expires_in are accepted', async () => {
    for (const expires_in of [60, 2592000]) {
      const r = await call(hub, 'POST', '/connect_sessions', { key, body: { ...base, expires_in } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });
  await t.test('unknown account_id -> 404', async () => {
    assertError(await call(hub, 'POST', '/connect_sessions',
                           { key, body: { ...base, account_id: 'acc_doesnotexist' } }), 404);
  });
  await t.test('body not an object -> 400', async () => {
    assertError(await call(hub, 'POST', '/connect_sessions', { key, body: '[1,2]' }), 400);
  });
});

test('POST /connect_sessions/authenticate returns the session without its token', async () => {
  const s = await newSession({ origin_username: 'bob', label: 'L' });
  const res = await call(hub, 'POST', '/connect_sessions/authenticate', { key, body: { token: s.token } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const expected = { ...s };
  delete expected.token;
  delete expected.auth_link_url;
  assert.deepEqual(res.body, expected);
  assert.ok(!('token' in res.body));
  assert.ok(!('auth_link_url' in res.body));

  assertError(await call(hub, 'POST', '/connect_sessions/authenticate',
                         { key, body: { token: 'lhcs_unknown' } }), 404);
  assertError(await call(hub, 'POST', '/connect_sessions/authenticate', { key, body: {} }), 400, /token/);
  assertError(await call(hub, 'POST', '/connect_sessions/authenticate',
                         { key, body: { token: 12 } }), 400, /token/);
});

// ---------------------------------------------------------------------------------------------------
// linking

test('a linked account appears in the management API with Plaid facts', async () => {
  const owner = newOwner('linked');
  const session = await connectSession(hub, key, { origin_owner_id: owner, origin_owner_name: 'Linked Co',
                                                   origin_username: 'ops', label: 'Primary' });
  const { token, item } = await freshToken(PLATYPUS);
  assert.equal(item.exchanged, false);
  const res = await submit(session.token, token);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const created = res.body;
  assert.deepEqual(Object.keys(created).sort(), ['accounts', 'id', 'institution', 'provider', 'status']);
  assert.match(created.id, /^acc_/);
  assert.equal(created.provider, 'plaid');
  assert.equal(created.status, 'active');
  assert.deepEqual(created.institution, { id: PLATYPUS, name: 'First Platypus Bank' });
  assert.ok(!JSON.stringify(created).includes(item.item_id), 'the browser answer shows the item_id');
  assert.deepEqual(created.accounts.map((a) => a.mask), item.accounts.map((a) => a.mask));

  const after = (await emuItems()).get(item.item_id);
  assert.equal(after.exchanged, true);
  assert.equal(after.removed, false);

  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key });
  assert.equal(list.status, 200);
  assert.equal(list.body.length, 1);
  const a = list.body[0];
  assertLinkedAccountShape(a);
  assert.equal(a.id, created.id);
  assert.equal(a.origin_owner_id, owner);
  assert.equal(a.origin_owner_name, 'Linked Co');
  assert.equal(a.origin_username, 'ops');
  assert.equal(a.label, 'Primary');
  assert.equal(a.status, 'active');
  assert.equal(a.type, 'test');  // a sandbox Item, whatever the session's type
  assert.equal(a.plaid.environment, 'sandbox');
  assert.equal(a.plaid.item_id, item.item_id);
  assert.equal(a.plaid.institution_id, PLATYPUS);
  assert.equal(a.plaid.institution_name, 'First Platypus Bank');
  assert.deepEqual(a.plaid.products, ['transactions']);
  assert.equal(a.plaid.accounts.length, item.accounts.length);
  for (const [i, acc] of a.plaid.accounts.entries()) {
    assert.equal(acc.account_id, item.accounts[i].account_id);
    assert.equal(acc.name, item.accounts[i].name);
    assert.equal(acc.mask, item.accounts[i].mask);
    assert.match(acc.mask, /^\d{4}$/);
    assert.equal(typeof acc.type, 'string');
  }
  assert.deepEqual(a.plaid.accounts.find((x) => x.mask === '0000'),
                   { account_id: item.accounts[0].account_id, name: 'Plaid Checking', mask: '0000',
                     type: 'depository', subtype: 'checking' });

  const one = await getAccount(created.id);
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, a);

  const meta = await call(hub, 'GET', `/accounts/${created.id}/meta`, { key });
  assert.equal(meta.status, 200);
  assert.deepEqual(meta.body, { provider: 'plaid', category: 'banking',
                                models: { transactions: { plaid_product: 'transactions' } } });

  assertError(await getAccount('acc_nope'), 404);
  assertError(await call(hub, 'GET', '/accounts/acc_nope/meta', { key }), 404);
});

test('GET /connectors/meta lists the Plaid connector', async () => {
  const connector = { provider: 'plaid', provider_name: 'Plaid', category: 'banking', active: true,
                      models: { transactions: { plaid_product: 'transactions' } } };
  const all = await call(hub, 'GET', '/connectors/meta', { key });
  assert.equal(all.status, 200);
  assert.deepEqual(all.body, [connector]);
  const one = await call(hub, 'GET', '/connectors/meta/plaid', { key });
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, connector);
  assertError(await call(hub, 'GET', '/connectors/meta/nope', { key }), 404);
});

test('the same public token submitted twice in a row gives the same account', async () => {
  const session = await newSession();
  const { token, item } = await freshToken();
  const exchangedBefore = await exchangedCount();
  const first = await submit(session.token, token);
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const second = await submit(session.token, token);
  assert.equal(second.status, 201, JSON.stringify(second.body));
  assert.equal(second.body.id, first.body.id);
  assert.equal(await exchangedCount(), exchangedBefore + 1);
  assert.equal((await emuItems()).get(item.item_id).exchanged, true);
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${session.origin_owner_id}`, { key });
  assert.deepEqual(list.body.map((a) => a.id), [first.body.id]);
});

test('five concurrent submits of one public token give one account and one Item', async () => {
  const session = await newSession();
  const { token, item } = await freshToken();
  const exchangedBefore = await exchangedCount();
  // Slow the exchange down so that the submits really overlap.
  await fault({ endpoint: '/item/public_token/exchange', delay_ms: 300, count: 1 });
  const results = await Promise.all(Array.from({ length: 5 }, () => submit(session.token, token)));
  for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
  const ids = new Set(results.map((r) => r.body.id));
  assert.equal(ids.size, 1, `different account ids: ${[...ids]}`);
  const items = await emuItems();
  assert.equal(items.get(item.item_id).exchanged, true);
  assert.equal(items.get(item.item_id).removed, false);
  assert.equal(await exchangedCount(), exchangedBefore + 1);
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${session.origin_owner_id}`, { key });
  assert.equal(list.body.length, 1);
  assert.equal(list.body[0].plaid.item_id, item.item_id);
});

test('invalid public tokens are refused with a clear message', async (t) => {
  const session = await newSession();
  await t.test('an unknown public-sandbox token -> 400 INVALID_PUBLIC_TOKEN', async () => {
    const body = assertError(await submit(session.token, `public-sandbox-${randomUUID()}`), 400, RUN_LINK_AGAIN);
    assertProviderError(body, { status: 400, errorType: 'INVALID_INPUT', errorCode: 'INVALID_PUBLIC_TOKEN' });
  });
  await t.test('a token that is not a public token -> 400 without calling Plaid', async () => {
    for (const bad of [`access-sandbox-${randomUUID()}`, 'hello', `link-sandbox-${randomUUID()}`]) {
      const body = assertError(await submit(session.token, bad), 400, /public token/);
      assert.equal(body.provider_errors, undefined);
    }
  });
  await t.test('a missing public token -> 400', async () => {
    assertError(await call(hub, 'POST', '/hub/accounts',
                           { session: session.token, body: { integration_id: 'plaid', credentials: {} } }),
                400, /public_token/);
    assertError(await call(hub, 'POST', '/hub/accounts', { session: session.token, body: {} }), 400, /public_token/);
    assertError(await call(hub, 'POST', '/hub/accounts',
                           { session: session.token, body: { credentials: { public_token: 5 } } }), 400);
  });
  await t.test('another integration -> 400', async () => {
    const { token } = await freshToken();
    assertError(await submit(session.token, token, undefined, { integration_id: 'stripe' }), 400, /integration_id/);
  });
  await t.test('a token already exchanged elsewhere -> 400 INVALID_PUBLIC_TOKEN', async () => {
    const { token } = await freshToken();
    const ex = await emu.plaid('/item/public_token/exchange', { public_token: token });
    assert.equal(ex.status, 200);
    await emu.plaid('/item/remove', { access_token: ex.body.access_token });
    const body = assertError(await submit(session.token, token), 400, RUN_LINK_AGAIN);
    assertProviderError(body, { status: 400, errorType: 'INVALID_INPUT', errorCode: 'INVALID_PUBLIC_TOKEN' });
  });
  await t.test('an expired public token -> 400 INVALID_PUBLIC_TOKEN', async () => {
    const { token, item } = await freshToken();
    await emu.control('POST', '/emulator/clock/advance', { seconds: 31 * 60 });
    const body = assertError(await submit(session.token, token), 400, RUN_LINK_AGAIN);
    assertProviderError(body, { status: 400, errorType: 'INVALID_INPUT', errorCode: 'INVALID_PUBLIC_TOKEN' });
    assert.equal((await emuItems()).get(item.item_id).exchanged, false);
    // A second try does not turn into anything else.
    assertError(await submit(session.token, token), 400, RUN_LINK_AGAIN);
  });
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${session.origin_owner_id}`, { key });
  assert.deepEqual(list.body, []);
});

test('duplicate guard with Link metadata refuses before exchanging', async () => {
  const owner = newOwner('dup');
  const first = await link({ owner, metadata: true });
  const session = await newSession({ origin_owner_id: owner });
  const { token, item } = await freshToken(PLATYPUS);
  const exchangedBefore = await exchangedCount();
  // Metadata from the first account's stored Plaid accounts: same institution, masks and names.
  const stored = (await getAccount(first.account.id)).body;
  const metadata = {
    institution: { institution_id: PLATYPUS, name: 'First Platypus Bank' },
    accounts: stored.plaid.accounts.slice(0, 2).map((a) => ({ id: `new_${a.account_id}`, name: a.name,
                                                             mask: a.mask, type: a.type, subtype: a.subtype })),
    link_session_id: randomUUID(),
  };
  const body = assertError(await submit(session.token, token, metadata), 409, /already linked/);
  assert.equal(body.existing_account_id, first.account.id);
  assert.equal(await exchangedCount(), exchangedBefore);
  assert.equal((await emuItems()).get(item.item_id).exchanged, false, 'the duplicate was exchanged');
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key });
  assert.deepEqual(list.body.map((a) => a.id), [first.account.id]);

  // Another institution with the same masks is not a duplicate.
  const other = await freshToken(GINGHAM);
  const ok = await submit(session.token, other.token, metadataFor(other.item, 'First Gingham Credit Union'));
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.notEqual(ok.body.id, first.account.id);
});

test('duplicate guard without metadata removes the new Item at Plaid', async () => {
  const owner = newOwner('dup_paste');
  const first = await link({ owner });
  const session = await newSession({ origin_owner_id: owner });
  const { token, item } = await freshToken(PLATYPUS);
  const body = assertError(await submit(session.token, token), 409, /already linked/);
  assert.equal(body.existing_account_id, first.account.id);
  const items = await emuItems();
  assert.equal(items.get(item.item_id).exchanged, true);
  assert.equal(items.get(item.item_id).removed, true, 'the duplicate Item is still billed at Plaid');
  assert.equal(items.get(first.item.item_id).removed, false, 'the original Item was removed');
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key });
  assert.deepEqual(list.body.map((a) => a.id), [first.account.id]);
  assert.equal(list.body[0].status, 'active');
  // The same token again does not resurrect the duplicate.
  const again = await submit(session.token, token);
  assertError(again, 400, RUN_LINK_AGAIN);
  const list2 = await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key });
  assert.deepEqual(list2.body.map((a) => a.id), [first.account.id]);
});

test('multiple=false refuses a second bank; multiple=true links it', async () => {
  const owner = newOwner('multi');
  const first = await link({ owner });
  const single = await connectSession(hub, key, { origin_owner_id: owner, multiple: false });
  const { token, item } = await freshToken(GINGHAM);
  const exchangedBefore = await exchangedCount();
  const body = assertError(await submit(single.token, token), 409, /multiple/);
  assert.equal(body.existing_account_id, first.account.id);
  assert.equal(await exchangedCount(), exchangedBefore);
  assert.equal((await emuItems()).get(item.item_id).exchanged, false);

  const multi = await connectSession(hub, key, { origin_owner_id: owner, multiple: true });
  const ok = await submit(multi.token, token);
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.notEqual(ok.body.id, first.account.id);
  assert.deepEqual(ok.body.institution, { id: GINGHAM, name: 'First Gingham Credit Union' });
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key });
  assert.deepEqual(list.body.map((a) => a.id), [ok.body.id, first.account.id]);
  assert.equal(list.body[0].plaid.item_id, item.item_id);
});

test('concurrent links that the guards forbid keep one account only', async (t) => {
  // Two Link runs (two tabs) for one owner finish at the same time with different public tokens.
  // The exchange is slowed down so that both requests pass the pre-exchange checks before either
  // stores its account; the guards must still hold once both are done.
  const cases = [
    { name: 'same bank login, with Link metadata', multiple: true, institutions: [PLATYPUS, PLATYPUS], metadata: true },
    { name: 'same bank login, pasted tokens', multiple: true, institutions: [PLATYPUS, PLATYPUS], metadata: false },
    { name: 'multiple=false, two banks', multiple: false, institutions: [PLATYPUS, GINGHAM], metadata: false },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const owner = newOwner('race');
      const session = await connectSession(hub, key, { origin_owner_id: owner, multiple: c.multiple });
      const tokens = [];
      for (const inst of c.institutions) tokens.push(await freshToken(inst));
      await fault({ endpoint: '/item/public_token/exchange', delay_ms: 400, count: tokens.length });
      const results = await Promise.all(tokens.map(({ token, item }) =>
        submit(session.token, token, c.metadata ? metadataFor(item) : undefined)));
      await emu.control('DELETE', '/emulator/faults');
      const statuses = results.map((r) => r.status).sort();
      const live = (await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key })).body;
      const items = await emuItems();
      const billed = tokens.filter(({ item }) => {
        const i = items.get(item.item_id);
        return i.exchanged && !i.removed;
      });
      assert.deepEqual({ statuses, live: live.length, billed: billed.length },
                       { statuses: [201, 409], live: 1, billed: 1 },
                       `answers: ${JSON.stringify(results.map((r) => [r.status, r.body.id ?? r.body.message]))}`);
      const winner = results.find((r) => r.status === 201);
      const loser = results.find((r) => r.status === 409);
      assert.equal(live[0].id, winner.body.id);
      assert.equal(loser.body.existing_account_id, winner.body.id);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// listing

test('GET /accounts filters and pages', async (t) => {
  // A project of its own, so the list holds only what this test made.
  const p = await createProject(hub, 'list tests');
  const k = p.api_key;
  const o1 = newOwner('list1');
  const o2 = newOwner('list2');
  const a1 = (await link({ owner: o1, institutionId: PLATYPUS, apiKey: k })).account;
  const a2 = (await link({ owner: o1, institutionId: GINGHAM, apiKey: k })).account;
  const a3 = (await link({ owner: o2, institutionId: PLATYPUS, apiKey: k })).account;
  const a4 = (await link({ owner: o2, institutionId: TATTERSALL, apiKey: k })).account;
  const gone = (await link({ owner: o2, institutionId: HOUNDSTOOTH, apiKey: k })).account;
  assert.equal((await call(hub, 'DELETE', `/accounts/${gone.id}`, { key: k })).status, 200);
  const newestFirst = [a4.id, a3.id, a2.id, a1.id];
  const ids = async (q) => {
    const r = await call(hub, 'GET', `/accounts${q}`, { key: k });
    assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
    assert.ok(Array.isArray(r.body), `${q}: not a bare array`);
    return r.body.map((a) => a.id);
  };

  await t.test('no filter: every live account, newest first', async () => {
    assert.deepEqual(await ids(''), newestFirst);
  });
  await t.test('providers', async () => {
    assert.deepEqual(await ids('?providers=plaid'), newestFirst);
    assert.deepEqual(await ids('?providers=hris_bamboo'), []);
    assert.deepEqual(await ids('?providers=hris_bamboo,plaid'), newestFirst);
  });
  await t.test('origin_owner_id', async () => {
    assert.deepEqual(await ids(`?origin_owner_id=${o1}`), [a2.id, a1.id]);
    assert.deepEqual(await ids(`?origin_owner_id=${o2}`), [a4.id, a3.id]);
    assert.deepEqual(await ids('?origin_owner_id=nobody'), []);
  });
  await t.test('status', async () => {
    assert.deepEqual(await ids('?status=active'), newestFirst);
    assert.deepEqual(await ids('?status=error'), []);
    assert.deepEqual(await ids('?status=inactive'), [], 'a deleted account is listed');
    assertError(await call(hub, 'GET', '/accounts?status=bogus', { key: k }), 400, /status/);
    assertError(await call(hub, 'GET', '/accounts?status=active,bogus', { key: k }), 400, /status/);
  });
  await t.test('account_ids: repeated, comma list and []', async () => {
    assert.deepEqual(await ids(`?account_ids=${a1.id}&account_ids=${a3.id}`), [a3.id, a1.id]);
    assert.deepEqual(await ids(`?account_ids=${a1.id},${a4.id}`), [a4.id, a1.id]);
    assert.deepEqual(await ids(`?account_ids[]=${a2.id}`), [a2.id]);
    assert.deepEqual(await ids(`?account_ids=${gone.id}`), []);
    assert.deepEqual(await ids('?account_ids=acc_unknown'), []);
  });
  await t.test('brackets sent raw (as fetch and browsers send them) are honoured', async () => {
    // `[` and `]` are not percent-encoded by WHATWG URLs; a query that holds them must not lose
    // its filters.
    assert.deepEqual(await ids(`?account_ids%5B%5D=${a2.id}`), [a2.id]);
    assert.deepEqual(await ids(`?status[]=active&origin_owner_id=${o1}`), [a2.id, a1.id]);
    assert.deepEqual(await ids(`?origin_owner_id=${o1}&extra[]=1`), [a2.id, a1.id]);
    assert.deepEqual(await ids(`?providers[]=hris_bamboo`), []);
    assertError(await call(hub, 'GET', '/accounts?status[]=bogus', { key: k }), 400, /status/);
  });
  await t.test('filters combine', async () => {
    assert.deepEqual(await ids(`?origin_owner_id=${o1}&account_ids=${a1.id},${a3.id}`), [a1.id]);
    assert.deepEqual(await ids(`?origin_owner_id=${o1},${o2}&status=active&providers=plaid`), newestFirst);
  });
  await t.test('page and page_size', async () => {
    assert.deepEqual(await ids('?page_size=3'), newestFirst.slice(0, 3));
    assert.deepEqual(await ids('?page_size=3&page=1'), newestFirst.slice(0, 3));
    assert.deepEqual(await ids('?page_size=3&page=2'), newestFirst.slice(3));
    assert.deepEqual(await ids('?page_size=2&page=2'), newestFirst.slice(2, 4));
    assert.deepEqual(await ids('?page_size=2&page=3'), []);
    assert.deepEqual(await ids('?page_size=100'), newestFirst);
    for (const bad of ['page_size=0', 'page_size=101', 'page_size=abc', 'page=-1', 'page=x', 'page_size=2.5']) {
      assertError(await call(hub, 'GET', `/accounts?${bad}`, { key: k }), 400, /page/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// PATCH

test('PATCH /accounts/{id} changes display fields only', async () => {
  const { account } = await link({ owner: newOwner('patch') });
  const before = (await getAccount(account.id)).body;

  const r1 = await call(hub, 'PATCH', `/accounts/${account.id}`,
                        { key, body: { label: 'Renamed', origin_owner_name: 'New Name Ltd' } });
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  assert.equal(r1.body.label, 'Renamed');
  assert.equal(r1.body.origin_owner_name, 'New Name Ltd');
  assert.equal(r1.body.origin_owner_id, before.origin_owner_id);
  assert.deepEqual(r1.body.plaid, before.plaid);
  const stored = (await getAccount(account.id)).body;
  assert.deepEqual(stored, r1.body);

  // The StackOne SDK sends these objects even when nothing changes.
  const sdk = await call(hub, 'PATCH', `/accounts/${account.id}`, {
    key, body: { credentials: {}, label: {}, metadata: {}, secrets: {}, type: 'production' },
  });
  assert.equal(sdk.status, 200, JSON.stringify(sdk.body));
  const { updated_at: _u1, ...sdkRest } = sdk.body;
  const { updated_at: _u2, ...storedRest } = stored;
  assert.deepEqual(sdkRest, storedRest);

  assertError(await call(hub, 'PATCH', `/accounts/${account.id}`,
                         { key, body: { credentials: { public_token: 'public-sandbox-x' } } }), 400, /credentials/);
  assertError(await call(hub, 'PATCH', `/accounts/${account.id}`,
                         { key, body: { secrets: { access_token: 'access-sandbox-x' } } }), 400, /secrets/);
  assertError(await call(hub, 'PATCH', `/accounts/${account.id}`, { key, body: { origin_owner_name: '' } }), 400);
  assertError(await call(hub, 'PATCH', `/accounts/${account.id}`, { key, body: { origin_owner_name: 5 } }), 400);
  assertError(await call(hub, 'PATCH', `/accounts/${account.id}`, { key, body: { provider: 'hris_bamboo' } }), 400);
  assertError(await call(hub, 'PATCH', `/accounts/${account.id}`, { key, body: '{"label":' }), 400);
  assertError(await call(hub, 'PATCH', '/accounts/acc_nope', { key, body: { label: 'x' } }), 404);
  const after = (await getAccount(account.id)).body;
  assert.equal(after.label, 'Renamed');
  assert.equal(after.origin_owner_name, 'New Name Ltd');

  // origin_owner_id moves the account to another owner.
  const newOwnerId = newOwner('patched_owner');
  const moved = await call(hub, 'PATCH', `/accounts/${account.id}`, { key, body: { origin_owner_id: newOwnerId } });
  assert.equal(moved.status, 200);
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${newOwnerId}`, { key });
  assert.deepEqual(list.body.map((a) => a.id), [account.id]);
});

// ---------------------------------------------------------------------------------------------------
// DELETE

test('DELETE /accounts/{id} removes the Item at Plaid and hides the account', async () => {
  const owner = newOwner('del');
  const { account, item } = await link({ owner });
  const res = await call(hub, 'DELETE', `/accounts/${account.id}`, { key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assertLinkedAccountShape(res.body);
  assert.equal(res.body.id, account.id);
  assert.equal(res.body.status, 'inactive');
  assert.equal((await emuItems()).get(item.item_id).removed, true);
  assertError(await getAccount(account.id), 404);
  assertError(await call(hub, 'GET', `/accounts/${account.id}/meta`, { key }), 404);
  assert.deepEqual((await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key })).body, []);
  assert.deepEqual((await call(hub, 'GET', `/accounts?account_ids=${account.id}`, { key })).body, []);
  assertError(await call(hub, 'DELETE', `/accounts/${account.id}`, { key }), 404);
  assertError(await call(hub, 'PATCH', `/accounts/${account.id}`, { key, body: { label: 'x' } }), 404);

  // A re-link session or an update-mode link token for the deleted account -> 404.
  assertError(await call(hub, 'POST', '/connect_sessions', {
    key, body: { origin_owner_id: owner, origin_owner_name: 'X', account_id: account.id } }), 404);
  assertError(await call(hub, 'POST', '/plaid/link_token',
                         { key, body: { origin_owner_id: owner, account_id: account.id } }), 404);

  // The owner can link that bank again: the deleted account is no duplicate.
  const again = await link({ owner });
  assert.notEqual(again.account.id, account.id);
});

test('DELETE succeeds when Plaid no longer knows the Item', async () => {
  const { account, item } = await link({ owner: newOwner('del_gone') });
  await fault({ endpoint: '/item/remove', error_code: 'ITEM_NOT_FOUND', count: 1 });
  const res = await call(hub, 'DELETE', `/accounts/${account.id}`, { key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.status, 'inactive');
  assertError(await getAccount(account.id), 404);
  // The fault answered instead of the emulator: the Item itself is untouched.
  assert.equal((await emuItems()).get(item.item_id).removed, false);
  assert.deepEqual((await emu.control('GET', '/emulator/faults')).faults, []);
});

test('DELETE keeps the account when Plaid fails to remove the Item', async () => {
  const { account, item } = await link({ owner: newOwner('del_fail') });
  await fault({ endpoint: '/item/remove', error_code: 'INTERNAL_SERVER_ERROR', count: 1 });
  const res = await call(hub, 'DELETE', `/accounts/${account.id}`, { key });
  assert.ok(res.status >= 500 && res.status <= 599, `status ${res.status}`);
  const body = assertError(res, res.status, /kept/);
  assertProviderError(body, { status: 500, errorType: 'API_ERROR', errorCode: 'INTERNAL_SERVER_ERROR' });
  const still = await getAccount(account.id);
  assert.equal(still.status, 200);
  assert.equal(still.body.status, 'active');
  assert.equal(still.body.plaid.item_id, item.item_id);
  assert.equal((await emuItems()).get(item.item_id).removed, false);

  // Once Plaid is back, the delete goes through.
  const retry = await call(hub, 'DELETE', `/accounts/${account.id}`, { key });
  assert.equal(retry.status, 200, JSON.stringify(retry.body));
  assert.equal((await emuItems()).get(item.item_id).removed, true);
});

// ---------------------------------------------------------------------------------------------------
// link tokens

test('POST /plaid/link_token creates link tokens', async () => {
  const owner = newOwner('lt');
  const res = await call(hub, 'POST', '/plaid/link_token', { key, body: { origin_owner_id: owner } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), ['expiration', 'link_token']);
  assert.match(res.body.link_token, /^link-sandbox-/);
  assertTimestamp(res.body.expiration, 'expiration');
  const got = await emu.plaid('/link/token/get', { link_token: res.body.link_token });
  assert.equal(got.status, 200);
  assert.deepEqual(got.body.metadata.initial_products, ['transactions']);

  const withProducts = await call(hub, 'POST', '/plaid/link_token',
                                  { key, body: { origin_owner_id: owner, products: ['auth', 'transactions'] } });
  assert.equal(withProducts.status, 200, JSON.stringify(withProducts.body));
  const got2 = await emu.plaid('/link/token/get', { link_token: withProducts.body.link_token });
  assert.deepEqual(got2.body.metadata.initial_products, ['auth', 'transactions']);

  assertError(await call(hub, 'POST', '/plaid/link_token', { key, body: {} }), 400, /origin_owner_id/);
  assertError(await call(hub, 'POST', '/plaid/link_token',
                         { key, body: { origin_owner_id: owner, products: ['teleportation'] } }), 400, /products/);
  assertError(await call(hub, 'POST', '/plaid/link_token',
                         { key, body: { origin_owner_id: owner, products: 'auth' } }), 400, /products/);
  assertError(await call(hub, 'POST', '/plaid/link_token',
                         { key, body: { origin_owner_id: owner, account_id: 'acc_nope' } }), 404);
});

test('POST /plaid/link_token with account_id is update mode for that owner only', async () => {
  const owner = newOwner('lt_update');
  const { account } = await link({ owner });
  const res = await call(hub, 'POST', '/plaid/link_token',
                         { key, body: { origin_owner_id: owner, account_id: account.id } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.body.link_token, /^link-sandbox-/);
  // Update mode: Plaid's 30-minute link token, no products, and Link starts in update mode.
  const now = Date.parse((await emu.control('GET', '/emulator/clock')).now);
  assert.ok(Math.abs(Date.parse(res.body.expiration) - now - 30 * 60_000) < 120_000,
            `expiration ${res.body.expiration} is not 30 minutes from ${new Date(now).toISOString()}`);
  const got = await emu.plaid('/link/token/get', { link_token: res.body.link_token });
  assert.deepEqual(got.body.metadata.initial_products, []);
  const started = await linkSessionStart(res.body.link_token);
  assert.equal(started.update_mode, true);
  assert.equal(started.institution?.institution_id, PLATYPUS);

  // Someone else's account (same project, another owner) -> 400.
  assertError(await call(hub, 'POST', '/plaid/link_token',
                         { key, body: { origin_owner_id: newOwner('intruder'), account_id: account.id } }),
              400, /origin_owner_id/);
});

async function linkSessionStart(linkToken) {
  const res = await fetch(`${emu.url}/link/v2/session/start`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ link_token: linkToken }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

test('POST /hub/plaid/link_token and a re-link session', async () => {
  const owner = newOwner('hub_lt');
  const session = await connectSession(hub, key, { origin_owner_id: owner });
  const res = await call(hub, 'POST', '/hub/plaid/link_token', { session: session.token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), ['expiration', 'link_script_url', 'link_token', 'update_mode']);
  assert.match(res.body.link_token, /^link-sandbox-/);
  assertTimestamp(res.body.expiration, 'expiration');
  assert.equal(res.body.update_mode, false);
  assert.equal(res.body.link_script_url, `${emu.url}/link/v2/stable/link-initialize.js`);
  assert.equal((await linkSessionStart(res.body.link_token)).update_mode, false);

  const { token, item } = await freshToken();
  const linked = await submit(session.token, token);
  assert.equal(linked.status, 201, JSON.stringify(linked.body));

  // Re-link: a session made for the account.
  const relink = await connectSession(hub, key, { origin_owner_id: owner, account_id: linked.body.id });
  assert.equal(relink.account_id, linked.body.id);
  const lt = await call(hub, 'POST', '/hub/plaid/link_token', { session: relink.token });
  assert.equal(lt.status, 200, JSON.stringify(lt.body));
  assert.equal(lt.body.update_mode, true);
  const started = await linkSessionStart(lt.body.link_token);
  assert.equal(started.update_mode, true);

  const itemsBefore = await emuItems();
  const exchangedBefore = await exchangedCount();
  const done = await call(hub, 'POST', '/hub/accounts', { session: relink.token, body: { integration_id: 'plaid' } });
  assert.equal(done.status, 201, JSON.stringify(done.body));
  assert.equal(done.body.id, linked.body.id);
  assert.equal(done.body.status, 'active');
  const itemsAfter = await emuItems();
  assert.equal(itemsAfter.size, itemsBefore.size, 're-link created an Item');
  assert.equal(await exchangedCount(), exchangedBefore);
  assert.equal(itemsAfter.get(item.item_id).removed, false);
  const list = await call(hub, 'GET', `/accounts?origin_owner_id=${owner}`, { key });
  assert.deepEqual(list.body.map((a) => a.id), [linked.body.id]);
  assert.equal(list.body[0].plaid.item_id, item.item_id);

  // A re-link session for another owner's account is refused.
  assertError(await call(hub, 'POST', '/connect_sessions', {
    key, body: { origin_owner_id: newOwner('other'), origin_owner_name: 'X', account_id: linked.body.id },
  }), 400, /origin_owner_id/);
});

// ---------------------------------------------------------------------------------------------------
// Plaid failures during the exchange

test('Plaid failing the exchange gives a clear error and the same token works afterwards', async (t) => {
  const cases = [
    { name: 'INTERNAL_SERVER_ERROR -> 502', fault: { error_code: 'INTERNAL_SERVER_ERROR' },
      status: [502], provider: { status: 500, errorType: 'API_ERROR', errorCode: 'INTERNAL_SERVER_ERROR' } },
    { name: 'INSTITUTION_DOWN -> 503', fault: { error_code: 'INSTITUTION_DOWN' },
      status: [503], provider: { status: 400, errorType: 'INSTITUTION_ERROR', errorCode: 'INSTITUTION_DOWN' } },
    { name: 'dropped connection -> 503/504', fault: { drop_connection: true }, status: [503, 504],
      message: /try again/ },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const session = await newSession();
      const { token, item } = await freshToken();
      await fault({ endpoint: '/item/public_token/exchange', count: 1, ...c.fault });
      const res = await submit(session.token, token);
      assert.ok(c.status.includes(res.status), `status ${res.status}: ${JSON.stringify(res.body)}`);
      const body = assertError(res, res.status, c.message);
      if (c.provider) assertProviderError(body, c.provider);
      else assert.equal(body.provider_errors, undefined);
      assert.equal((await emuItems()).get(item.item_id).exchanged, false);
      assert.deepEqual((await call(hub, 'GET', `/accounts?origin_owner_id=${session.origin_owner_id}`, { key })).body, []);

      const retry = await submit(session.token, token);
      assert.equal(retry.status, 201, JSON.stringify(retry.body));
      assert.equal((await emuItems()).get(item.item_id).exchanged, true);
      const list = await call(hub, 'GET', `/accounts?origin_owner_id=${session.origin_owner_id}`, { key });
      assert.deepEqual(list.body.map((a) => a.id), [retry.body.id]);
      assert.equal(list.body[0].plaid.item_id, item.item_id);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// CORS, authentication, malformed requests

test('CORS on the Hub API', async () => {
  const origin = 'https://app.example.com';
  for (const p of ['/hub/accounts', '/hub/plaid/link_token']) {
    const res = await fetch(hub.url + p, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST',
                 'Access-Control-Request-Headers': 'content-type,x-hub-session-token' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    const allowHeaders = res.headers.get('access-control-allow-headers').toLowerCase();
    for (const h of ['content-type', 'x-hub-session-token', 'x-hub-version']) {
      assert.ok(allowHeaders.includes(h), `${p}: ${h} not allowed: ${allowHeaders}`);
    }
    assert.match(res.headers.get('access-control-allow-methods'), /POST/);
  }

  const unauthorized = await call(hub, 'POST', '/hub/accounts', {
    session: 'lhcs_not_a_session', headers: { Origin: origin }, body: { credentials: { public_token: 'public-x' } },
  });
  assertError(unauthorized, 401);
  assert.equal(unauthorized.headers.get('access-control-allow-origin'), origin);

  const missing = await call(hub, 'POST', '/hub/plaid/link_token', { headers: { Origin: origin } });
  assertError(missing, 401);
  assert.equal(missing.headers.get('access-control-allow-origin'), origin);

  const session = await newSession();
  const ok = await call(hub, 'POST', '/hub/plaid/link_token', { session: session.token, headers: { Origin: origin } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), origin);

  // A Hub API error that is not an authentication error carries CORS headers too.
  const bad = await call(hub, 'POST', '/hub/accounts', { session: session.token, headers: { Origin: origin }, body: '{' });
  assertError(bad, 400);
  assert.equal(bad.headers.get('access-control-allow-origin'), origin);

  // So do the server's own errors on /hub/ paths (no route, body too large).
  const noRoute = await call(hub, 'POST', '/hub/nope', { headers: { Origin: origin }, body: {} });
  assertError(noRoute, 404);
  assert.equal(noRoute.headers.get('access-control-allow-origin'), origin);
  const tooLarge = await call(hub, 'POST', '/hub/accounts', {
    session: session.token, headers: { Origin: origin },
    body: JSON.stringify({ credentials: { public_token: 'public-x' }, pad: 'x'.repeat(300 << 10) }),
  });
  assertError(tooLarge, 413);
  assert.equal(tooLarge.headers.get('access-control-allow-origin'), origin);

  // The session token is not an API key, and an API key is not a session token.
  assertError(await call(hub, 'GET', '/accounts', { key: session.token }), 401);
  assertError(await call(hub, 'POST', '/hub/plaid/link_token', { session: key }), 401);
});

test('management authentication', async () => {
  assertError(await call(hub, 'GET', '/accounts'), 401);
  assertError(await call(hub, 'GET', '/accounts', { key: 'lh_live_wrongwrongwrong' }), 401);
  assertError(await call(hub, 'GET', '/accounts', { headers: { Authorization: 'Basic !!!notbase64' } }), 401);
  assertError(await call(hub, 'GET', '/accounts', { headers: { Authorization: 'Token abc' } }), 401);
  assertError(await call(hub, 'POST', '/connect_sessions',
                         { body: { origin_owner_id: 'x', origin_owner_name: 'y' } }), 401);
  // Bearer works as well as Basic.
  const bearer = await call(hub, 'GET', '/connectors/meta', { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(bearer.status, 200);

  const second = await admin(hub.dataDir, hub.masterKey,
                             ['api-key', 'create', '--project', project.project_id, '--label', 'second']);
  assert.equal(second.project_id, project.project_id);
  assert.match(second.api_key_id, /^key_/);
  assert.notEqual(second.api_key, key);
  const viaSecond = await call(hub, 'GET', '/connectors/meta', { key: second.api_key });
  assert.equal(viaSecond.status, 200);
  const s = await connectSession(hub, second.api_key, { origin_owner_id: newOwner() });
  assert.equal(s.project_id, project.project_id);

  const keys = await admin(hub.dataDir, hub.masterKey, ['api-key', 'list', '--project', project.project_id]);
  assert.deepEqual(keys.map((k) => k.id).sort(), [project.api_key_id, second.api_key_id].sort());
  assert.ok(!JSON.stringify(keys).includes(second.api_key), 'api-key list shows a key');
  assert.equal(keys.find((k) => k.id === second.api_key_id).label, 'second');

  await admin(hub.dataDir, hub.masterKey,
              ['api-key', 'revoke', '--project', project.project_id, '--id', second.api_key_id]);
  assertError(await call(hub, 'GET', '/connectors/meta', { key: second.api_key }), 401);
  assertError(await call(hub, 'GET', '/accounts', { headers: { Authorization: `Bearer ${second.api_key}` } }), 401);
  // The first key is unaffected.
  assert.equal((await call(hub, 'GET', '/connectors/meta', { key })).status, 200);
  const listed = await admin(hub.dataDir, hub.masterKey, ['api-key', 'list', '--project', project.project_id]);
  assert.ok(listed.find((k) => k.id === second.api_key_id).revoked_at, 'revoked_at not set');
});

test('malformed requests, body limits and unknown routes answer JSON errors', async () => {
  assertError(await call(hub, 'POST', '/connect_sessions', { key, body: '{"origin_owner_id":' }), 400, /JSON/);
  assertError(await call(hub, 'POST', '/connect_sessions', { key, body: 'null' }), 400);
  assertError(await call(hub, 'POST', '/connect_sessions', { key, body: '"text"' }), 400);
  assertError(await call(hub, 'POST', '/plaid/link_token', { key, body: 'not json' }), 400, /JSON/);
  const session = await newSession();
  assertError(await call(hub, 'POST', '/hub/accounts', { session: session.token, body: '{{' }), 400, /JSON/);

  // Larger than the default body limit (256 KiB).
  const big = JSON.stringify({ origin_owner_id: 'x', origin_owner_name: 'y', metadata: { blob: 'x'.repeat(300 << 10) } });
  assertError(await call(hub, 'POST', '/connect_sessions', { key, body: big }), 413);

  assertError(await call(hub, 'GET', '/nope', { key }), 404);
  assertError(await call(hub, 'GET', '/hub/nope'), 404);
  assertError(await call(hub, 'POST', '/accounts/acc_x/unknown', { key, body: {} }), 404);
  const wrongMethod = await call(hub, 'PUT', '/connect_sessions', { key, body: {} });
  assertError(wrongMethod, 405);
  assert.match(wrongMethod.headers.get('allow') ?? '', /POST/);
});

// ---------------------------------------------------------------------------------------------------
// What the hub sends Plaid (a second hub behind a recording proxy)

// An HTTP proxy in front of the emulator that records every Plaid call (request and answer).
async function startRecordingProxy(target) {
  const calls = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    const headers = {};
    for (const h of ['content-type', 'plaid-client-id', 'plaid-secret', 'plaid-version']) {
      if (req.headers[h]) headers[h] = req.headers[h];
    }
    try {
      const upstream = await fetch(target + req.url, { method: req.method, headers,
                                                        body: req.method === 'GET' ? undefined : text });
      const answer = await upstream.text();
      let request = text;
      let response = answer;
      try { request = JSON.parse(text); } catch { /* keep text */ }
      try { response = JSON.parse(answer); } catch { /* keep text */ }
      calls.push({ path: req.url, request, status: upstream.status, response });
      res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(answer);
    } catch (e) {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(String(e));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('what the hub sends Plaid: client_user_id and update mode', async (t) => {
  const proxy = await startRecordingProxy(emu.url);
  const phub = await startHub(proxy);
  try {
    const p1 = await createProject(phub, 'proxy one');
    const p2 = await createProject(phub, 'proxy two');
    const linkTokenCalls = () => proxy.calls.filter((c) => c.path === '/link/token/create');
    const clientUserIdFor = async (apiKey, owner, extra = {}) => {
      const n = linkTokenCalls().length;
      const r = await call(phub, 'POST', '/plaid/link_token', { key: apiKey, body: { origin_owner_id: owner, ...extra } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const sent = linkTokenCalls().slice(n);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].response.link_token, r.body.link_token);
      return sent[0].request;
    };

    await t.test('client_user_id is a stable keyed hash of project and owner', async () => {
      const owner = 'customer-42@example.com';
      const a = await clientUserIdFor(p1.api_key, owner);
      const b = await clientUserIdFor(p1.api_key, owner);
      const other = await clientUserIdFor(p1.api_key, 'customer-43@example.com');
      const otherProject = await clientUserIdFor(p2.api_key, owner);
      assert.match(a.user.client_user_id, /^lh_[0-9a-f]{32}$/);
      assert.equal(b.user.client_user_id, a.user.client_user_id);
      assert.notEqual(other.user.client_user_id, a.user.client_user_id);
      assert.notEqual(otherProject.user.client_user_id, a.user.client_user_id);
      for (const r of [a, other, otherProject]) {
        assert.ok(!r.user.client_user_id.includes('customer'), 'client_user_id carries the owner id');
        assert.ok(!JSON.stringify(r).includes('customer-4'), 'the owner id is sent to Plaid');
      }
      assert.deepEqual(a.products, ['transactions']);
      assert.equal(a.access_token, undefined);

      // The Hub API's link token uses the same client_user_id for the session's owner.
      const s = await connectSession(phub, p1.api_key, { origin_owner_id: owner });
      const n = linkTokenCalls().length;
      const r = await call(phub, 'POST', '/hub/plaid/link_token', { session: s.token });
      assert.equal(r.status, 200);
      assert.equal(linkTokenCalls().slice(n)[0].request.user.client_user_id, a.user.client_user_id);
    });

    await t.test('update mode sends the Item access token and no products', async () => {
      const owner = newOwner('proxy_update');
      const s = await connectSession(phub, p1.api_key, { origin_owner_id: owner });
      const token = await sandboxPublicToken(emu, PLATYPUS);
      const linked = await call(phub, 'POST', '/hub/accounts', { session: s.token, body: { credentials: { public_token: token } } });
      assert.equal(linked.status, 201, JSON.stringify(linked.body));
      const exchange = proxy.calls.filter((c) => c.path === '/item/public_token/exchange').at(-1);
      const accessToken = exchange.response.access_token;
      assert.match(accessToken, /^access-sandbox-/);

      const sent = await clientUserIdFor(p1.api_key, owner, { account_id: linked.body.id });
      assert.equal(sent.access_token, accessToken);
      assert.equal(sent.products, undefined);

      const relink = await connectSession(phub, p1.api_key, { origin_owner_id: owner, account_id: linked.body.id });
      const n = linkTokenCalls().length;
      const lt = await call(phub, 'POST', '/hub/plaid/link_token', { session: relink.token });
      assert.equal(lt.status, 200);
      assert.equal(lt.body.update_mode, true);
      assert.equal(linkTokenCalls().slice(n)[0].request.access_token, accessToken);

      // While Plaid reports ITEM_LOGIN_REQUIRED, the re-link is refused...
      const reset = await emu.plaid('/sandbox/item/reset_login', { access_token: accessToken });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      const refused = await call(phub, 'POST', '/hub/accounts', { session: relink.token, body: {} });
      const body = assertError(refused, 409, /update mode/);
      assert.equal(body.provider_errors[0].error_code, 'ITEM_LOGIN_REQUIRED');

      // ...and once Link in update mode has run, it completes with the same account.
      const start = await linkSessionStart(lt.body.link_token);
      assert.equal(start.update_mode, true);
      const step = async (name, b) => {
        const res = await fetch(`${emu.url}/link/v2/session/${name}`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b),
        });
        const json = await res.json();
        assert.equal(res.status, 200, `${name}: ${JSON.stringify(json)}`);
        return json;
      };
      let accounts = start.accounts;
      if (start.step === 'credentials') {
        const cred = await step('credentials', { link_session_id: start.link_session_id, institution_id: PLATYPUS,
                                                 username: 'user_good', password: 'pass_good' });
        assert.equal(cred.step, 'select_accounts');
        accounts = cred.accounts;
      }
      await step('complete', { link_session_id: start.link_session_id, account_ids: accounts.map((a) => a.id) });
      const exchangesBefore = proxy.calls.filter((c) => c.path === '/item/public_token/exchange').length;
      const done = await call(phub, 'POST', '/hub/accounts', { session: relink.token, body: {} });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      assert.equal(done.body.id, linked.body.id);
      assert.equal(done.body.status, 'active');
      assert.equal(proxy.calls.filter((c) => c.path === '/item/public_token/exchange').length, exchangesBefore);
    });

    await t.test('the hub sends its Plaid credentials in headers and never a public token twice', async () => {
      for (const c of proxy.calls) {
        assert.equal(c.request.secret, undefined, `${c.path}: secret in the body`);
      }
      const exchanged = proxy.calls.filter((c) => c.path === '/item/public_token/exchange')
        .map((c) => c.request.public_token);
      assert.equal(new Set(exchanged).size, exchanged.length, 'a public token was exchanged twice');
    });
  } finally {
    const results = await Promise.allSettled([phub.stop()]);
    await proxy.close();
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }
});
