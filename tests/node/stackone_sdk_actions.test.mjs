// StackOne's official TypeScript SDK (@stackone/stackone-client-ts 4.28.0, unchanged) drives linkhub's
// actions API: actions.listActionsMeta (filters, include=operation_details, the page iterator
// following `next`), actions.rpcAction (x-account-id through fetchOptions headers, since 4.28.0 has
// no typed field for it) and proxy.proxyRequest, plus the typed errors the SDK maps from 400, 404
// and 409. The SDK validates every answer with its zod schemas, so a passing call is also a shape
// check; a ResponseValidationError fails the test.
//
// The SDK strips rpc `data` to {} (its schema is z.object({})) and ignores the proxy's body, so a
// custom HTTPClient fetcher keeps a clone of every raw exchange to check the payload.
//
// Contract: docs/api.md (Actions).
// Run: node --test tests/node/stackone_sdk_actions.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as errors from '@stackone/stackone-client-ts/sdk/models/errors/index.js';
import { startEmulator } from './lib/emulator.mjs';
import { stackoneClient } from './lib/stackone.mjs';
import { startHub, createProject, call, sandboxPublicToken, connectSession } from './lib/hub.mjs';

const PLATYPUS = 'ins_109508';
const ALL_PRODUCTS = ['transactions', 'auth', 'identity', 'investments', 'liabilities'];
const ALL_ACTIONS = [
  'plaid_list_accounts', 'plaid_get_balances', 'plaid_get_auth', 'plaid_sync_transactions',
  'plaid_list_transactions', 'plaid_refresh_transactions', 'plaid_get_identity', 'plaid_list_holdings',
  'plaid_list_investment_transactions', 'plaid_get_liabilities', 'plaid_get_item',
  'plaid_get_institution', 'plaid_search_institutions',
];
const TX_ONLY_ACTIONS = [
  'plaid_list_accounts', 'plaid_get_balances', 'plaid_sync_transactions', 'plaid_list_transactions',
  'plaid_refresh_transactions', 'plaid_get_item', 'plaid_get_institution', 'plaid_search_institutions',
];
const ALL_DATES = { start_date: '2000-01-01', end_date: '2030-12-31' };

let emu;
let hub;
let project;
let sdk;
let exchanges; // {method, url, accountHeader, requestBody, status, json} of every SDK request
let full;      // LinkedAccount with every product
let txOnly;    // LinkedAccount with transactions only

function client(apiKey) {
  return stackoneClient(hub.url, apiKey, exchanges);
}

function lastExchange() {
  return exchanges[exchanges.length - 1];
}

// Awaits `promise`, expects it to reject with an instance of `ErrorClass`; returns the error.
async function expectSdkError(promise, ErrorClass, status, messageRe) {
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
  assert.ok(err.data$.timestamp instanceof Date && !Number.isNaN(err.data$.timestamp.getTime()));
  if (messageRe) assert.match(err.data$.message, messageRe);
  return err;
}

async function linkWith(owner, products) {
  const s = await connectSession(hub, project.api_key, { origin_owner_id: owner, multiple: true });
  const publicToken = await sandboxPublicToken(emu, PLATYPUS, products);
  const res = await call(hub, 'POST', '/hub/accounts', {
    session: s.token, body: { integration_id: 'plaid', credentials: { public_token: publicToken } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return (await call(hub, 'GET', `/accounts/${res.body.id}`, { key: project.api_key })).body;
}

function onAccount(id) {
  return { fetchOptions: { headers: { 'x-account-id': id } } };
}

before(async () => {
  exchanges = [];
  emu = await startEmulator(['--rate-limits', 'off', '--transactions-initial-delay', '0',
                             '--transactions-historical-delay', '0']);
  hub = await startHub(emu);
  project = await createProject(hub, 'SDK actions');
  sdk = client(project.api_key);
  full = await linkWith('sdk_full', ALL_PRODUCTS);
  txOnly = await linkWith('sdk_tx', ['transactions']);
});

after(async () => {
  const results = await Promise.allSettled([hub?.stop()]);
  results.push(...(await Promise.allSettled([emu?.stop()])));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

test('listActionsMeta with filter connectors and include operation_details', async () => {
  const res = await sdk.actions.listActionsMeta({
    filter: { connectors: 'plaid' },
    include: ['operation_details'],
  });
  assert.equal(res.statusCode, 200);
  const sent = lastExchange().url;
  assert.equal(sent.pathname, '/actions');
  assert.equal(sent.searchParams.get('filter[connectors]'), 'plaid');
  assert.equal(sent.searchParams.get('include'), 'operation_details');

  const page = res.actionsMetaPaginated;
  assert.ok(page, 'actionsMetaPaginated missing');
  assert.equal(page.next, null);
  assert.equal(page.data.length, 1);
  const c = page.data[0];
  assert.equal(c.key, 'plaid');
  assert.equal(c.name, 'Plaid');
  assert.ok(c.authentication.length >= 1);
  assert.deepEqual(c.actions.map((a) => a.id).sort(), [...ALL_ACTIONS].sort());
  for (const a of c.actions) {
    assert.equal(a.schemaType, 'native');
    assert.equal(typeof a.label, 'string');
    assert.ok(Array.isArray(a.tags));
    assert.equal(typeof a.operationDetails, 'object', `${a.id} has no operationDetails`);
    assert.equal(a.operationDetails.input_schema.type, 'object');
  }
  const lt = c.actions.find((a) => a.id === 'plaid_list_transactions');
  assert.deepEqual([...lt.operationDetails.input_schema.required].sort(), ['end_date', 'start_date']);
  assert.equal(lt.operationDetails.plaid_endpoint, '/transactions/get');

  // Without include: no operation details.
  const plain = await sdk.actions.listActionsMeta({ filter: { connectors: 'plaid', actionKey: 'plaid_get_item' } });
  assert.deepEqual(plain.actionsMetaPaginated.data[0].actions.map((a) => a.id), ['plaid_get_item']);
  assert.equal(plain.actionsMetaPaginated.data[0].actions[0].operationDetails, undefined);
  // Another connector: an empty list, which the SDK accepts.
  const none = await sdk.actions.listActionsMeta({ filter: { connectors: 'bamboohr' } });
  assert.deepEqual(none.actionsMetaPaginated.data, []);
  assert.equal(none.actionsMetaPaginated.next, null);
});

test('the listActionsMeta iterator follows next through every page', async () => {
  const before = exchanges.length;
  const res = await sdk.actions.listActionsMeta({ pageSize: '5', include: ['operation_details'] });
  const ids = [];
  const sizes = [];
  for await (const page of res) {
    assert.equal(page.statusCode, 200);
    const actions = page.actionsMetaPaginated.data.flatMap((c) => c.actions);
    sizes.push(actions.length);
    ids.push(...actions.map((a) => a.id));
    for (const a of actions) assert.ok(a.operationDetails);
    assert.ok(sizes.length <= 5, 'the iterator does not stop');
  }
  assert.deepEqual(sizes, [5, 5, 3]);
  assert.equal(new Set(ids).size, ids.length, 'an action on two pages');
  assert.deepEqual(ids.sort(), [...ALL_ACTIONS].sort());
  // The SDK sent the cursors it was given.
  const urls = exchanges.slice(before).map((e) => e.url);
  assert.equal(urls.length, 3);
  assert.equal(urls[0].searchParams.get('next'), null);
  const cursors = exchanges.slice(before, before + 2).map((e) => e.json.next);
  assert.deepEqual(urls.slice(1).map((u) => u.searchParams.get('next')), cursors);
  for (const u of urls) assert.equal(u.searchParams.get('page_size'), '5');

  // Filtered by account: the transactions-only account's actions, in pages of 3.
  const filtered = [];
  for await (const page of await sdk.actions.listActionsMeta({ pageSize: '3', filter: { accountIds: txOnly.id } })) {
    filtered.push(...page.actionsMetaPaginated.data.flatMap((c) => c.actions.map((a) => a.id)));
  }
  assert.deepEqual(filtered.sort(), [...TX_ONLY_ACTIONS].sort());
  assert.ok(!filtered.includes('plaid_get_identity'));
  const both = [];
  for await (const page of await sdk.actions.listActionsMeta({ filter: { accountIds: `${txOnly.id},${full.id}` } })) {
    both.push(...page.actionsMetaPaginated.data.flatMap((c) => c.actions.map((a) => a.id)));
  }
  assert.deepEqual(both.sort(), [...ALL_ACTIONS].sort());
});

test('rpcAction runs an action on the account given in fetchOptions headers', async () => {
  const res = await sdk.actions.rpcAction({ action: 'plaid_list_accounts', body: {} }, onAccount(full.id));
  assert.equal(res.statusCode, 200);
  assert.match(res.contentType, /^application\/json/);
  // The typed result loses the payload...
  assert.deepEqual(res.actionsRpcResponse.data, {});
  // ...the raw body has it.
  const ex = lastExchange();
  assert.equal(ex.url.pathname, '/actions/rpc');
  assert.equal(ex.accountHeader, full.id);
  assert.deepEqual(JSON.parse(ex.requestBody), { action: 'plaid_list_accounts', body: {} });
  assert.ok(Array.isArray(ex.json.data.accounts));
  const masks = ex.json.data.accounts.map((a) => a.mask);
  for (const m of ['0000', '1111', '3333']) assert.ok(masks.includes(m), `mask ${m}`);
  assert.equal(ex.json.data.item.item_id, full.plaid.item_id);
  assert.equal(ex.json.next, null);

  // Query inputs as strings, and the `next` of a paged action in the typed result.
  const page = await sdk.actions.rpcAction(
    { action: 'plaid_list_transactions', query: { ...ALL_DATES, count: '3' } }, onAccount(full.id));
  assert.equal(page.actionsRpcResponse.next, 'o:3');
  assert.equal(lastExchange().json.data.transactions.length, 3);
  const second = await sdk.actions.rpcAction(
    { action: 'plaid_list_transactions', body: { ...ALL_DATES, count: 3, next: page.actionsRpcResponse.next } },
    onAccount(full.id));
  assert.equal(second.actionsRpcResponse.next, 'o:6');
  assert.equal(lastExchange().json.data.transactions.length, 3);

  // Other actions through the SDK.
  await sdk.actions.rpcAction({ action: 'plaid_get_identity' }, onAccount(full.id));
  assert.ok(lastExchange().json.data.accounts[0].owners[0].names.includes('Alberta Bobbeth Charleson'));
  await sdk.actions.rpcAction({ action: 'plaid_sync_transactions', body: { consumer: 'sdk' } }, onAccount(txOnly.id));
  assert.ok(lastExchange().json.data.added.length > 0);
  assert.equal(lastExchange().json.data.has_more, false);
});

test('rpcAction failures are typed SDK errors', async () => {
  const nf = await expectSdkError(
    sdk.actions.rpcAction({ action: 'plaid_transfer_money', body: {} }, onAccount(full.id)),
    errors.NotFoundResponse, 404, /plaid_transfer_money/);
  assert.match(nf.contentType, /^application\/json/);
  await expectSdkError(
    sdk.actions.rpcAction({ action: 'plaid_list_transactions', body: { ...ALL_DATES, start_date: '2026-13-01' } },
                          onAccount(full.id)),
    errors.BadRequestResponse, 400, /start_date must be a date/);
  await expectSdkError(
    sdk.actions.rpcAction({ action: 'plaid_list_transactions', body: { ...ALL_DATES, bogus: true } }, onAccount(full.id)),
    errors.BadRequestResponse, 400, /bogus is not a known field/);
  await expectSdkError(
    sdk.actions.rpcAction({ action: 'plaid_list_transactions', query: { ...ALL_DATES, count: '0' } }, onAccount(full.id)),
    errors.BadRequestResponse, 400, /count must be at least 1/);
  // Without x-account-id (the SDK sends none by itself).
  await expectSdkError(sdk.actions.rpcAction({ action: 'plaid_list_accounts' }),
                       errors.BadRequestResponse, 400, /x-account-id/);
  await expectSdkError(sdk.actions.rpcAction({ action: 'plaid_list_accounts' }, onAccount('acc_nope')),
                       errors.NotFoundResponse, 404);
  // The products gate.
  await expectSdkError(sdk.actions.rpcAction({ action: 'plaid_get_identity' }, onAccount(txOnly.id)),
                       errors.ConflictResponse, 409, /'identity'/);
  // A Plaid error: ITEM_LOGIN_REQUIRED is a 409 whose provider_errors the raw body carries.
  const acc = await linkWith('sdk_login', ['transactions']);
  await emu.control('POST', '/emulator/faults',
                    { endpoint: '/item/get', error_code: 'ITEM_LOGIN_REQUIRED', item_id: acc.plaid.item_id, count: 1 });
  await expectSdkError(sdk.actions.rpcAction({ action: 'plaid_get_item' }, onAccount(acc.id)),
                       errors.ConflictResponse, 409, /ITEM_LOGIN_REQUIRED/);
  assert.equal(lastExchange().json.provider_errors[0].error_code, 'ITEM_LOGIN_REQUIRED');
  const status = await sdk.accounts.getAccount({ id: acc.id });
  assert.equal(status.linkedAccount.status, 'error');
  // A wrong key.
  await expectSdkError(client('sk_wrong').actions.rpcAction({ action: 'plaid_get_item' }, onAccount(full.id)),
                       errors.UnauthorizedResponse, 401);
});

test('proxy.proxyRequest forwards a POST to an allow-listed Plaid path', async () => {
  const res = await sdk.proxy.proxyRequest({
    xAccountId: full.id,
    proxyRequestBody: { method: 'post', path: '/accounts/get' },
  });
  assert.equal(res.statusCode, 200);
  const ex = lastExchange();
  assert.equal(ex.url.pathname, '/unified/proxy');
  assert.equal(ex.accountHeader, full.id);
  assert.deepEqual(JSON.parse(ex.requestBody), { method: 'post', path: '/accounts/get' });
  assert.ok(ex.json.accounts.length >= 10);
  assert.equal(ex.json.item.item_id, full.plaid.item_id);

  // Plaid's request body and the allowed headers.
  const checking = ex.json.accounts.find((a) => a.mask === '0000');
  const one = await sdk.proxy.proxyRequest({
    xAccountId: full.id,
    proxyRequestBody: { method: 'post', path: '/accounts/get', headers: { 'Plaid-Version': '2020-09-14' },
                        body: { options: { account_ids: [checking.account_id] } } },
  });
  assert.equal(one.statusCode, 200);
  assert.deepEqual(lastExchange().json.accounts.map((a) => a.mask), ['0000']);
  // A full url on the configured Plaid host.
  const viaUrl = await sdk.proxy.proxyRequest({
    xAccountId: full.id, proxyRequestBody: { method: 'post', url: `${emu.url}/item/get` },
  });
  assert.equal(viaUrl.statusCode, 200);
  assert.equal(lastExchange().json.item.item_id, full.plaid.item_id);

  // The SDK's default method is get, which Plaid's API does not take.
  await expectSdkError(sdk.proxy.proxyRequest({ xAccountId: full.id, proxyRequestBody: { path: '/accounts/get' } }),
                       errors.BadRequestResponse, 400, /method/);
  assert.equal(JSON.parse(lastExchange().requestBody).method, 'get');
  await expectSdkError(sdk.proxy.proxyRequest({ xAccountId: full.id, proxyRequestBody: { method: 'post', path: '/item/remove' } }),
                       errors.BadRequestResponse, 400);
  await expectSdkError(sdk.proxy.proxyRequest({ xAccountId: full.id,
                                                proxyRequestBody: { method: 'post', url: 'https://evil.example/accounts/get' } }),
                       errors.BadRequestResponse, 400);
  await expectSdkError(sdk.proxy.proxyRequest({ xAccountId: full.id,
                                                proxyRequestBody: { method: 'post', path: '/accounts/get', body: { access_token: 'x' } } }),
                       errors.BadRequestResponse, 400, /access_token/);
  await expectSdkError(sdk.proxy.proxyRequest({ xAccountId: 'acc_nope', proxyRequestBody: { method: 'post', path: '/accounts/get' } }),
                       errors.NotFoundResponse, 404);
  await expectSdkError(sdk.proxy.proxyRequest({ xAccountId: txOnly.id, proxyRequestBody: { method: 'post', path: '/identity/get' } }),
                       errors.ConflictResponse, 409, /'identity'/);
});
