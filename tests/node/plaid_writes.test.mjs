// Plaid calls that are not safe to repeat are sent exactly once, whichever door and transport they
// take. The emulator's drop_connection fault closes the connection without an answer, the way a
// pooled connection dies; a client that silently sends the request again on a new connection
// would make Plaid refresh twice, remove twice or mint twice. Each case first warms the hub's
// connections to the emulator, then drops one call and counts what reached the emulator
// (GET /emulator/requests). The answer says that the outcome is unknown.
//
// References: docs/api.md (Errors), docs/emulator.md (Test controls).
// Run: node --test tests/node/plaid_writes.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from './lib/emulator.mjs';
import { startHub, createProject, call, sandboxPublicToken, connectSession } from './lib/hub.mjs';

let emu;
let hub;
let key;
let account;

async function requests(what) {
  const { requests: counts } = await emu.control('GET', '/emulator/requests');
  return counts[what] ?? 0;
}

async function dropNext(endpoint) {
  await emu.control('POST', '/emulator/faults', { endpoint, drop_connection: true, count: 1 });
}

async function link(owner) {
  const s = await connectSession(hub, key, { origin_owner_id: owner, multiple: true });
  const publicToken = await sandboxPublicToken(emu, 'ins_109508', ['transactions']);
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: s.token, body: { integration_id: 'plaid', credentials: { public_token: publicToken } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

function rpc(action) {
  return call(hub, 'POST', '/actions/rpc', {
    key, headers: { 'x-account-id': account.id }, body: { action },
  });
}

// Runs `send` once with the next call to `endpoint` dropped; asserts that exactly one request
// reached the emulator and returns the answer.
async function onceDropped(endpoint, send) {
  const before = await requests(endpoint);
  await dropNext(endpoint);
  const res = await send();
  assert.equal((await requests(endpoint)) - before, 1, `${endpoint} was sent more than once`);
  assert.deepEqual((await emu.control('GET', '/emulator/faults')).faults, [], 'the fault was not taken');
  return res;
}

function assertUnknownOutcome(res, endpoint) {
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.match(res.body.message, new RegExp(`Plaid did not answer ${endpoint}`));
  assert.match(res.body.message, /unknown/);
  assert.doesNotMatch(res.body.message, /127\.0\.0\.1|http:/);
}

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off', '--transactions-initial-delay', '0',
                             '--transactions-historical-delay', '0']);
  hub = await startHub(emu, { args: ['--plaid-rate-budget', 'off'] });
  key = (await createProject(hub, 'writes')).api_key;
  account = await link('owner-writes');
});

after(async () => {
  await hub?.stop();
  await emu?.stop();
});

test('a dropped /transactions/refresh through the RPC API is sent once and reported as unknown', async () => {
  assert.equal((await rpc('plaid_refresh_transactions')).status, 200);  // warms the connections
  const res = await onceDropped('/transactions/refresh', () => rpc('plaid_refresh_transactions'));
  assertUnknownOutcome(res, '/transactions/refresh');
  assert.equal((await rpc('plaid_refresh_transactions')).status, 200);
});

test('a dropped /transactions/refresh through the proxy is sent once', async () => {
  const proxy = () => call(hub, 'POST', '/unified/proxy', {
    key, headers: { 'x-account-id': account.id }, body: { method: 'post', path: '/transactions/refresh' },
  });
  assert.equal((await proxy()).status, 200);
  assertUnknownOutcome(await onceDropped('/transactions/refresh', proxy), '/transactions/refresh');
});

test('a dropped /link/token/create is sent once', async () => {
  const mint = () => call(hub, 'POST', '/plaid/link_token', { key, body: { origin_owner_id: 'owner-writes' } });
  assert.equal((await mint()).status, 200);
  assertUnknownOutcome(await onceDropped('/link/token/create', mint), '/link/token/create');
});

test('a dropped /item/remove is sent once and the account is kept', async () => {
  const doomed = await link('owner-remove');
  assert.equal((await rpc('plaid_get_item')).status, 200);
  const res = await onceDropped('/item/remove', () => call(hub, 'DELETE', `/accounts/${doomed.id}`, { key }));
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.match(res.body.message, /kept/);
  assert.match(res.body.message, /unknown/);
  const kept = await call(hub, 'GET', `/accounts/${doomed.id}`, { key });
  assert.equal(kept.status, 200);
  assert.equal(kept.body.status, 'active');
  // Asked again, the removal goes through (an Item already removed would count as removed too).
  assert.equal((await call(hub, 'DELETE', `/accounts/${doomed.id}`, { key })).status, 200);
});

test('a dropped /item/public_token/exchange is sent once and the same token can be retried', async () => {
  const s = await connectSession(hub, key, { origin_owner_id: 'owner-exchange', multiple: true });
  const publicToken = await sandboxPublicToken(emu, 'ins_109508', ['transactions']);
  const body = { integration_id: 'plaid', credentials: { public_token: publicToken } };
  const res = await onceDropped('/item/public_token/exchange',
                                () => call(hub, 'POST', '/hub/accounts', { session: s.token, body }));
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.match(res.body.message, /try again/);
  // The emulator dropped the connection before exchanging: the retry links the account.
  const retried = await call(hub, 'POST', '/hub/accounts', { session: s.token, body });
  assert.equal(retried.status, 201, JSON.stringify(retried.body));
});
