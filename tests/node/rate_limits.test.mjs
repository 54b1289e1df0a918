// Rate limits: --rate-limit-per-key N requests a minute per API key on every door (management API,
// RPC fast and slow, MCP, proxy), --rate-limit-per-ip N per client address on the Hub API and the
// dashboard's sign-in, --client-address-header for a deployment behind a reverse proxy. Past a
// limit: 429 in StackOne's error shape with Retry-After, and other keys and addresses go on.
// The limits are token buckets of a minute's allowance, so a test sends its N at once and the
// next is refused whatever the machine's speed (N is small against the refill of N a minute).
//
// Run: node --test tests/node/rate_limits.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from './lib/emulator.mjs';
import { startHub, createProject, call, admin, linkAccount } from './lib/hub.mjs';

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { await emu?.stop(); });

function assertLimited(res, flag) {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.body.statusCode, 429);
  assert.ok(res.body.message.includes(flag), res.body.message);
  assert.equal(typeof res.body.timestamp, 'string');
  const after = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(after) && after >= 1 && after <= 60, `Retry-After: ${res.headers.get('retry-after')}`);
  assert.equal(res.body.retry_after_seconds, after);
}

test('per key: every door of one key shares its minute; another key is not touched', async (t) => {
  const hub = await startHub(emu, { args: ['--rate-limit-per-key', '6'] });
  t.after(() => hub.stop());
  const project = await createProject(hub);
  const key = project.api_key;
  // The link itself spends two of the key's six (connect session, then the account read below).
  const account = await linkAccount(hub, emu, key);
  const rpc = () => call(hub, 'POST', '/actions/rpc', {
    key, headers: { 'x-account-id': account.id }, body: { action: 'plaid_get_item' },
  });
  assert.equal((await call(hub, 'GET', `/accounts/${account.id}`, { key })).status, 200);
  assert.equal((await rpc()).status, 200);  // the slow door, then the fast one
  assert.equal((await rpc()).status, 200);
  const mcp = await fetch(`${hub.url}/mcp`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'x-account-id': account.id, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });
  assert.equal(mcp.status, 200);
  assert.equal((await call(hub, 'POST', '/unified/proxy', {
    key, headers: { 'x-account-id': account.id }, body: { path: '/item/get' },
  })).status, 200);
  // Six spent: every door now answers 429.
  assertLimited(await rpc(), '--rate-limit-per-key');
  assertLimited(await call(hub, 'GET', '/accounts', { key }), '--rate-limit-per-key');
  const mcpRefused = await fetch(`${hub.url}/mcp`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'x-account-id': account.id, 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } }),
  });
  assert.equal(mcpRefused.status, 429);
  assert.ok(Number(mcpRefused.headers.get('retry-after')) >= 1);

  const other = await admin(hub.dataDir, hub.masterKey, ['api-key', 'create', '--project', project.project_id]);
  assert.equal((await call(hub, 'GET', '/accounts', { key: other.api_key })).status, 200, 'another key has its own minute');
});

test('per address: the Hub API and the dashboard sign-in share an address\'s minute', async (t) => {
  const hub = await startHub(emu, { args: ['--rate-limit-per-ip', '4', '--client-address-header', 'X-Forwarded-For'] });
  t.after(() => hub.stop());
  const guess = (xff) => call(hub, 'GET', '/hub/session', {
    session: 'not-a-token', headers: { 'X-Forwarded-For': xff },
  });
  for (let i = 0; i < 3; ++i) assert.equal((await guess('203.0.113.7')).status, 401);
  const signIn = (xff) => call(hub, 'POST', '/dashboard/api/sign_in', {
    headers: { 'X-Forwarded-For': xff, Origin: hub.url }, body: { api_key: 'lh_live_guess' },
  });
  assert.equal((await signIn('203.0.113.7')).status, 401);
  const limited = await guess('203.0.113.7');
  assertLimited(limited, '--rate-limit-per-ip');
  assertLimited(await signIn('203.0.113.7'), '--rate-limit-per-ip');
  // The last entry of the header is the address: a proxy appends the peer it saw.
  assertLimited(await guess('198.51.100.1, 203.0.113.7'), '--rate-limit-per-ip');
  assert.equal((await guess('203.0.113.7, 198.51.100.1')).status, 401, 'another address');
  // The management API is limited per key, not per address.
  const project = await createProject(hub);
  assert.equal((await call(hub, 'GET', '/accounts', { key: project.api_key, headers: { 'X-Forwarded-For': '203.0.113.7' } })).status, 200);
});

test('0 turns a limit off', async (t) => {
  const hub = await startHub(emu, { args: ['--rate-limit-per-key', '0', '--rate-limit-per-ip', '0'] });
  t.after(() => hub.stop());
  const project = await createProject(hub);
  for (let i = 0; i < 30; ++i) {
    assert.equal((await call(hub, 'GET', '/accounts', { key: project.api_key })).status, 200);
    assert.equal((await call(hub, 'GET', '/hub/session', { session: 'nope' })).status, 401);
  }
});
