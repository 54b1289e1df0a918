// StackOne's official TypeScript SDK (@stackone/stackone-client-ts 4.28.0, unchanged) drives linkhub:
// connect sessions, linked accounts (list with filters, get, meta, update, delete), connectors meta,
// and the typed errors the SDK maps from 400/401/404. The SDK validates every answer with its zod
// schemas, so a passing call is also a shape check; a ResponseValidationError fails the test.
// Linking itself goes through the Hub API with plain fetch (the SDK has no Hub API), with a
// sandbox public token from the emulator.
//
// Contract: docs/api.md (connect sessions, linked accounts, connectors), which follows StackOne's
// public API as the SDK sends and accepts it.
//
// Run: node --test tests/node/stackone_sdk.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as errors from '@stackone/stackone-client-ts/sdk/models/errors/index.js';
import { startEmulator } from './lib/emulator.mjs';
import { stackoneClient } from './lib/stackone.mjs';
import { startHub, createProject, call, sandboxPublicToken } from './lib/hub.mjs';

const FIRST_PLATYPUS = 'ins_109508';
const GINGHAM = 'ins_109509';
const TATTERSALL = 'ins_109510';

let emu;
let hub;
let project;   // {project_id, organization_id, api_key, ...}
let sdk;       // StackOne client with the project's key
let exchanges; // every request the SDK made and the raw answer: {method, url, requestBody, status, json}

// A StackOne client pointed at the hub. Its fetcher keeps a copy of each raw exchange, because the
// SDK strips unknown fields (plaid, token...) from what it returns.
function client(apiKey) {
  return stackoneClient(hub.url, apiKey, exchanges);
}

function lastExchange() {
  return exchanges[exchanges.length - 1];
}

// Awaits `promise`, expects it to reject with an instance of `ErrorClass`; returns the error.
async function expectSdkError(promise, ErrorClass, status) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${ErrorClass.name}, the call succeeded`);
  assert.ok(!(err instanceof errors.ResponseValidationError),
    `ResponseValidationError: ${err.message}\n${err.pretty?.() ?? ''}`);
  assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err.name}: ${err.message}`);
  assert.equal(err.statusCode, status);
  assert.equal(err.data$.statusCode, status);
  assert.equal(typeof err.data$.message, 'string');
  assert.ok(err.data$.message.length > 0);
  assert.ok(err.data$.timestamp instanceof Date && !Number.isNaN(err.data$.timestamp.getTime()));
  assert.match(err.contentType, /^application\/json/);
  return err;
}

// Links one bank login for the session `token` through the Hub API; returns the 201 body.
async function hubLink(token, institutionId, linkSessionId) {
  const publicToken = await sandboxPublicToken(emu, institutionId);
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: token,
    body: {
      integration_id: 'plaid',
      credentials: { public_token: publicToken },
      metadata: { institution: { institution_id: institutionId }, link_session_id: linkSessionId },
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

async function emulatorItem(itemId) {
  const { items } = await emu.control('GET', '/emulator/items');
  return items.find((i) => i.item_id === itemId);
}

before(async () => {
  exchanges = [];
  emu = await startEmulator(['--transactions-initial-delay', '0', '--rate-limits', 'off']);
  hub = await startHub(emu);
  project = await createProject(hub, 'SDK project');
  sdk = client(project.api_key);
});

after(async () => {
  await hub?.stop();
  await emu?.stop();
});

// State shared by the tests below, which run in order.
let session;       // ConnectSessionTokenAuthLink of owner A
let accountA1;     // first linked account of owner A (hub 201 body)
let accountA2;     // second linked account of owner A
let accountB;      // owner B's account

test('createConnectSession returns the typed session with a numeric id, token and auth link', async () => {
  const res = await sdk.connectSessions.createConnectSession({
    originOwnerId: 'sdk_owner_a',
    originOwnerName: 'SDK Owner A',
    originUsername: 'a@example.com',
    provider: 'plaid',
    label: 'SDK label',
    categories: ['stackone'],
    multiple: true,
    expiresIn: 3600,
    type: 'test',
  });
  assert.equal(res.statusCode, 201);
  // What went over the wire: the SDK's snake_case body (metadata stripped to {}).
  const sent = JSON.parse(lastExchange().requestBody);
  assert.equal(sent.origin_owner_id, 'sdk_owner_a');
  assert.equal(sent.expires_in, 3600);
  assert.deepEqual(sent.categories, ['stackone']);

  session = res.connectSessionTokenAuthLink;
  assert.ok(session, 'connectSessionTokenAuthLink missing');
  assert.equal(typeof session.id, 'number');
  assert.ok(Number.isInteger(session.id) && session.id > 0);
  assert.equal(typeof session.organizationId, 'number');
  assert.equal(session.organizationId, project.organization_id);
  assert.equal(session.projectId, project.project_id);
  assert.equal(session.originOwnerId, 'sdk_owner_a');
  assert.equal(session.originOwnerName, 'SDK Owner A');
  assert.equal(session.originUsername, 'a@example.com');
  assert.equal(session.provider, 'plaid');
  assert.equal(session.label, 'SDK label');
  assert.deepEqual(session.categories, ['stackone']);
  assert.equal(session.type, 'test');
  assert.ok(session.createdAt instanceof Date);
  assert.ok(Math.abs(session.createdAt.getTime() - Date.now()) < 24 * 3600 * 1000);
  assert.equal(typeof session.token, 'string');
  assert.ok(session.token.length >= 20);
  assert.equal(session.authLinkUrl,
    `${hub.url}/embedded/integrations?token=${encodeURIComponent(session.token)}`);
  // The raw answer also carries expires_at = created_at + expires_in.
  const raw = lastExchange().json;
  assert.equal(Date.parse(raw.expires_at) - Date.parse(raw.created_at), 3600 * 1000);
});

test('createConnectSession with only the required fields uses the defaults', async () => {
  const res = await sdk.connectSessions.createConnectSession({
    originOwnerId: 'sdk_owner_b', originOwnerName: 'SDK Owner B',
  });
  assert.equal(res.statusCode, 201);
  const s = res.connectSessionTokenAuthLink;
  assert.equal(typeof s.id, 'number');
  assert.notEqual(s.id, session.id);
  assert.equal(s.provider, 'plaid');
  assert.notEqual(s.token, session.token);
  const raw = lastExchange().json;
  assert.equal(raw.multiple, false);
  assert.equal(raw.type, 'production');
  assert.equal(Date.parse(raw.expires_at) - Date.parse(raw.created_at), 1800 * 1000);
  // Owner B links one account, for the list filters below.
  accountB = await hubLink(s.token, FIRST_PLATYPUS, 'sdk-b-1');
});

test('authenticateConnectSession returns the session without token or auth link', async () => {
  const res = await sdk.connectSessions.authenticateConnectSession({ token: session.token });
  assert.equal(res.statusCode, 201);
  const s = res.connectSession;
  assert.ok(s, 'connectSession missing');
  assert.equal(s.id, session.id);
  assert.equal(s.organizationId, project.organization_id);
  assert.equal(s.projectId, project.project_id);
  assert.equal(s.originOwnerId, 'sdk_owner_a');
  assert.equal(s.originOwnerName, 'SDK Owner A');
  assert.equal(s.originUsername, 'a@example.com');
  assert.equal(s.label, 'SDK label');
  assert.equal(s.type, 'test');
  assert.equal(s.createdAt.getTime(), session.createdAt.getTime());
  const raw = lastExchange().json;
  assert.ok(!('token' in raw), 'authenticate must not echo the token');
  assert.ok(!('auth_link_url' in raw));
});

test('authenticateConnectSession of an unknown token is a NotFoundResponse', async () => {
  await expectSdkError(
    sdk.connectSessions.authenticateConnectSession({ token: 'lhcs_thisTokenDoesNotExist0000000000000000000' }),
    errors.NotFoundResponse, 404);
});

test('authenticateConnectSession of another project\'s token is a NotFoundResponse', async () => {
  const other = await createProject(hub, 'SDK other project');
  const otherSdk = client(other.api_key);
  const res = await otherSdk.connectSessions.createConnectSession({
    originOwnerId: 'x', originOwnerName: 'X',
  });
  const token = res.connectSessionTokenAuthLink.token;
  await expectSdkError(sdk.connectSessions.authenticateConnectSession({ token }),
    errors.NotFoundResponse, 404);
  // ...and its owner can.
  const own = await otherSdk.connectSessions.authenticateConnectSession({ token });
  assert.equal(own.statusCode, 201);
});

test('accounts linked through the Hub API are listed by listLinkedAccounts with filters', async () => {
  accountA1 = await hubLink(session.token, GINGHAM, 'sdk-a-1');
  accountA2 = await hubLink(session.token, TATTERSALL, 'sdk-a-2');
  assert.match(accountA1.id, /^acc_/);
  assert.notEqual(accountA1.id, accountA2.id);

  // Owner A, provider plaid, active: both of A's accounts, newest first, B's not.
  const all = await sdk.accounts.listLinkedAccounts({
    originOwnerId: 'sdk_owner_a', providers: ['plaid'], status: ['active'], pageSize: 10,
  });
  assert.equal(all.statusCode, 200);
  const q = lastExchange().url.searchParams;
  assert.equal(q.get('origin_owner_id'), 'sdk_owner_a');
  assert.deepEqual(q.getAll('providers'), ['plaid']);
  assert.deepEqual(q.getAll('status'), ['active']);
  assert.equal(q.get('page_size'), '10');
  assert.ok(Array.isArray(all.classes));
  assert.deepEqual(all.classes.map((a) => a.id), [accountA2.id, accountA1.id]);
  for (const a of all.classes) {
    assert.equal(a.provider, 'plaid');
    assert.equal(a.providerName, 'Plaid');
    assert.equal(a.originOwnerId, 'sdk_owner_a');
    assert.equal(a.originOwnerName, 'SDK Owner A');
    assert.equal(a.originUsername, 'a@example.com');
    assert.equal(a.label, 'SDK label');
    assert.equal(a.status, 'active');
    assert.equal(a.type, 'test');
    assert.ok(a.createdAt instanceof Date);
    assert.ok(a.updatedAt instanceof Date);
    assert.deepEqual(a.statusReasons, []);
  }
  // The raw list is a bare array and never carries an access token.
  const raw = lastExchange();
  assert.ok(Array.isArray(raw.json));
  assert.doesNotMatch(JSON.stringify(raw.json), /access-/);

  // pageSize 1: two pages of one, then an empty page.
  const pages = [];
  for (const page of [1, 2, 3]) {
    const r = await sdk.accounts.listLinkedAccounts({ originOwnerId: 'sdk_owner_a', page, pageSize: 1 });
    pages.push(r.classes.map((a) => a.id));
  }
  assert.deepEqual(pages, [[accountA2.id], [accountA1.id], []]);

  // providers that do not exist, status inactive: nothing.
  const none = await sdk.accounts.listLinkedAccounts({ providers: ['workday'] });
  assert.deepEqual(none.classes, []);
  const inactive = await sdk.accounts.listLinkedAccounts({ status: ['inactive'] });
  assert.deepEqual(inactive.classes, []);

  // No filter: all three accounts of the project; owner filters as a list.
  const everything = await sdk.accounts.listLinkedAccounts({});
  assert.deepEqual(new Set(everything.classes.map((a) => a.id)),
    new Set([accountA1.id, accountA2.id, accountB.id]));
  const owners = await sdk.accounts.listLinkedAccounts({ originOwnerIds: ['sdk_owner_b'] });
  assert.deepEqual(owners.classes.map((a) => a.id), [accountB.id]);
  const byIds = await sdk.accounts.listLinkedAccounts({ accountIds: [accountA1.id, accountB.id] });
  assert.deepEqual(new Set(byIds.classes.map((a) => a.id)), new Set([accountA1.id, accountB.id]));
  const both = await sdk.accounts.listLinkedAccounts({ status: ['active', 'error'], providers: ['plaid'] });
  assert.equal(both.classes.length, 3);
});

test('listLinkedAccounts with a bad status is a BadRequestResponse', async () => {
  const err = await expectSdkError(sdk.accounts.listLinkedAccounts({ status: ['bogus'] }),
    errors.BadRequestResponse, 400);
  assert.match(err.data$.message, /status/);
  await expectSdkError(sdk.accounts.listLinkedAccounts({ pageSize: 1000 }),
    errors.BadRequestResponse, 400);
});

test('another project sees none of these accounts', async () => {
  const other = await createProject(hub, 'SDK empty project');
  const r = await client(other.api_key).accounts.listLinkedAccounts({});
  assert.deepEqual(r.classes, []);
  await expectSdkError(client(other.api_key).accounts.getAccount({ id: accountA1.id }),
    errors.NotFoundResponse, 404);
});

test('getAccount returns the typed LinkedAccount', async () => {
  const res = await sdk.accounts.getAccount({ id: accountA1.id });
  assert.equal(res.statusCode, 200);
  const a = res.linkedAccount;
  assert.ok(a, 'linkedAccount missing');
  assert.equal(a.id, accountA1.id);
  assert.equal(a.provider, 'plaid');
  assert.equal(a.providerName, 'Plaid');
  assert.equal(a.originOwnerId, 'sdk_owner_a');
  assert.equal(a.originOwnerName, 'SDK Owner A');
  assert.equal(a.status, 'active');
  assert.ok(a.createdAt instanceof Date && a.updatedAt instanceof Date);
  assert.ok(a.updatedAt.getTime() >= a.createdAt.getTime());
  // The raw answer carries the Plaid facts (the SDK drops them) and no access token.
  const raw = lastExchange().json;
  assert.equal(raw.plaid.institution_id, GINGHAM);
  assert.equal(raw.plaid.institution_name, 'First Gingham Credit Union');
  assert.equal(typeof raw.plaid.item_id, 'string');
  assert.ok(raw.plaid.accounts.length > 0);
  assert.doesNotMatch(JSON.stringify(raw), /access-/);
  const item = await emulatorItem(raw.plaid.item_id);
  assert.ok(item, 'the item_id must be the emulator\'s Item');
  assert.equal(item.exchanged, true);
  assert.equal(item.institution_id, GINGHAM);
});

test('createConnectSession with accountId makes a re-link session for that account', async () => {
  const res = await sdk.connectSessions.createConnectSession({
    originOwnerId: 'sdk_owner_a', originOwnerName: 'SDK Owner A', accountId: accountA1.id,
  });
  assert.equal(res.statusCode, 201);
  const s = res.connectSessionTokenAuthLink;
  assert.equal(s.accountId, accountA1.id);
  const auth = await sdk.connectSessions.authenticateConnectSession({ token: s.token });
  assert.equal(auth.connectSession.accountId, accountA1.id);
  // The Hub page of that session opens Plaid Link in update mode.
  const lt = await call(hub, 'POST', '/hub/plaid/link_token', { session: s.token });
  assert.equal(lt.status, 200, JSON.stringify(lt.body));
  assert.equal(lt.body.update_mode, true);
});

test('getAccount of an unknown id throws NotFoundResponse', async () => {
  const err = await expectSdkError(sdk.accounts.getAccount({ id: 'acc_doesNotExist000000000' }),
    errors.NotFoundResponse, 404);
  assert.ok(err.data$.message.length > 0);
  await expectSdkError(sdk.accounts.getAccount({ id: 'does-not-exist' }), errors.NotFoundResponse, 404);
  await expectSdkError(sdk.accounts.getAccountMetaInfo({ id: 'does-not-exist' }),
    errors.NotFoundResponse, 404);
});

test('getAccountMetaInfo returns provider, category and models', async () => {
  const res = await sdk.accounts.getAccountMetaInfo({ id: accountA1.id });
  assert.equal(res.statusCode, 200);
  const m = res.linkedAccountMeta;
  assert.ok(m, 'linkedAccountMeta missing');
  assert.equal(m.provider, 'plaid');
  assert.equal(m.category, 'banking');
  assert.equal(typeof m.models, 'object');
  assert.ok('transactions' in m.models, JSON.stringify(m.models));
});

test('updateAccount: the SDK\'s empty objects are accepted and change nothing', async () => {
  const before = (await sdk.accounts.getAccount({ id: accountA1.id })).linkedAccount;
  const res = await sdk.accounts.updateAccount({
    id: accountA1.id,
    patchAccountExternalDto: { label: {}, credentials: {}, secrets: {}, metadata: {}, setupInformation: {} },
  });
  assert.equal(res.statusCode, 200);
  const sent = JSON.parse(lastExchange().requestBody);
  assert.deepEqual(sent.label, {});
  assert.deepEqual(sent.credentials, {});
  assert.deepEqual(sent.secrets, {});
  const a = res.linkedAccount;
  assert.equal(a.id, accountA1.id);
  assert.equal(a.label, before.label);
  assert.equal(a.originOwnerName, before.originOwnerName);
  assert.equal(a.originOwnerId, before.originOwnerId);
  assert.equal(a.status, 'active');

  // A completely empty patch (the SDK still sends type) succeeds too.
  const empty = await sdk.accounts.updateAccount({ id: accountA1.id, patchAccountExternalDto: {} });
  assert.equal(empty.statusCode, 200);
  assert.equal(empty.linkedAccount.label, before.label);
});

test('updateAccount changes the owner name and username', async () => {
  const res = await sdk.accounts.updateAccount({
    id: accountA1.id,
    patchAccountExternalDto: { originOwnerName: 'Renamed Owner', originUsername: 'renamed@example.com' },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.linkedAccount.originOwnerName, 'Renamed Owner');
  assert.equal(res.linkedAccount.originUsername, 'renamed@example.com');
  assert.equal(res.linkedAccount.originOwnerId, 'sdk_owner_a');
  const got = (await sdk.accounts.getAccount({ id: accountA1.id })).linkedAccount;
  assert.equal(got.originOwnerName, 'Renamed Owner');
  assert.equal(got.originUsername, 'renamed@example.com');
  // The other account of the owner is untouched.
  const other = (await sdk.accounts.getAccount({ id: accountA2.id })).linkedAccount;
  assert.equal(other.originOwnerName, 'SDK Owner A');
});

test('updateAccount with credentials is a BadRequestResponse; unknown id a NotFoundResponse', async () => {
  await expectSdkError(
    sdk.accounts.updateAccount({ id: 'acc_doesNotExist000000000', patchAccountExternalDto: {} }),
    errors.NotFoundResponse, 404);
  // The SDK strips credentials to {}; a raw PATCH with real ones is refused.
  const res = await call(hub, 'PATCH', `/accounts/${accountA1.id}`, {
    key: project.api_key, body: { credentials: { access_token: 'access-sandbox-x' } },
  });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.statusCode, 400);
});

test('listConnectorsMeta and getConnectorMeta describe the plaid connector', async () => {
  const list = await sdk.connectors.listConnectorsMeta({});
  assert.equal(list.statusCode, 200);
  assert.ok(Array.isArray(list.classes));
  assert.equal(list.classes.length, 1);
  const c = list.classes[0];
  assert.equal(c.provider, 'plaid');
  assert.equal(c.providerName, 'Plaid');
  assert.equal(c.category, 'banking');
  assert.equal(c.active, true);
  assert.ok('transactions' in c.models);

  const one = await sdk.connectors.getConnectorMeta({ provider: 'plaid' });
  assert.equal(one.statusCode, 200);
  assert.deepEqual(one.connectorsMeta, c);

  const withInclude = await sdk.connectors.getConnectorMeta({ provider: 'plaid', include: 'field_path' });
  assert.equal(withInclude.connectorsMeta.provider, 'plaid');

  await expectSdkError(sdk.connectors.getConnectorMeta({ provider: 'workday' }),
    errors.NotFoundResponse, 404);
});

test('deleteAccount answers 200 with the account and removes the Item at Plaid', async () => {
  const itemId = (await call(hub, 'GET', `/accounts/${accountA2.id}`, { key: project.api_key })).body.plaid.item_id;
  assert.equal(typeof itemId, 'string');
  assert.equal((await emulatorItem(itemId)).removed, false);

  const res = await sdk.accounts.deleteAccount({ id: accountA2.id });
  assert.equal(res.statusCode, 200);
  const a = res.linkedAccount;
  assert.ok(a, 'deleteAccount must return the account body');
  assert.equal(a.id, accountA2.id);
  assert.equal(a.status, 'inactive');
  assert.equal(a.provider, 'plaid');
  assert.doesNotMatch(JSON.stringify(lastExchange().json), /access-/);

  assert.equal((await emulatorItem(itemId)).removed, true);
  await expectSdkError(sdk.accounts.getAccount({ id: accountA2.id }), errors.NotFoundResponse, 404);
  await expectSdkError(sdk.accounts.deleteAccount({ id: accountA2.id }), errors.NotFoundResponse, 404);
  const list = await sdk.accounts.listLinkedAccounts({ originOwnerId: 'sdk_owner_a' });
  assert.deepEqual(list.classes.map((x) => x.id), [accountA1.id]);
  const inactive = await sdk.accounts.listLinkedAccounts({ status: ['inactive'] });
  assert.deepEqual(inactive.classes, [], 'deleted accounts are never listed');
});

test('a wrong, missing or revoked-looking API key throws UnauthorizedResponse', async () => {
  const bad = client('lh_live_notARealKey000000000000000000000000000');
  await expectSdkError(bad.accounts.listLinkedAccounts({}), errors.UnauthorizedResponse, 401);
  await expectSdkError(bad.connectSessions.createConnectSession({ originOwnerId: 'x', originOwnerName: 'X' }),
    errors.UnauthorizedResponse, 401);
  await expectSdkError(bad.accounts.getAccount({ id: accountA1.id }), errors.UnauthorizedResponse, 401);
  await expectSdkError(bad.connectors.listConnectorsMeta({}), errors.UnauthorizedResponse, 401);
  await expectSdkError(client('').accounts.listLinkedAccounts({}), errors.UnauthorizedResponse, 401);
});

test('a create body the server refuses throws BadRequestResponse', async () => {
  let err = await expectSdkError(
    sdk.connectSessions.createConnectSession({ originOwnerId: 'x', originOwnerName: 'X', provider: 'nope' }),
    errors.BadRequestResponse, 400);
  assert.match(err.data$.message, /plaid/);
  // The SDK does not check these; the server does.
  await expectSdkError(
    sdk.connectSessions.createConnectSession({ originOwnerId: 'x', originOwnerName: '' }),
    errors.BadRequestResponse, 400);
  await expectSdkError(
    sdk.connectSessions.createConnectSession({ originOwnerId: 'x', originOwnerName: 'X', expiresIn: 10 }),
    errors.BadRequestResponse, 400);
  err = await expectSdkError(
    sdk.connectSessions.createConnectSession({
      originOwnerId: 'sdk_owner_a', originOwnerName: 'A', accountId: 'acc_doesNotExist000000000',
    }),
    errors.NotFoundResponse, 404);
  // A re-link session for another owner's account is refused.
  await expectSdkError(
    sdk.connectSessions.createConnectSession({
      originOwnerId: 'sdk_owner_b', originOwnerName: 'B', accountId: accountA1.id,
    }),
    errors.BadRequestResponse, 400);
});

test('no SDK call met an answer it could not validate', () => {
  // Every answer was JSON with a JSON content type; errors had the three required fields.
  assert.ok(exchanges.length > 30);
  for (const x of exchanges) {
    assert.ok(x.json !== undefined, `${x.method} ${x.url.pathname}: not JSON`);
    if (x.status >= 400) {
      assert.equal(typeof x.json.statusCode, 'number', JSON.stringify(x.json));
      assert.equal(x.json.statusCode, x.status);
      assert.equal(typeof x.json.message, 'string');
      assert.match(x.json.timestamp, /(Z|[+-]\d\d:\d\d)$/);
    }
  }
});
