// Helpers for driving linkhub through Plaid faults injected at the emulator
// (POST /emulator/faults) and checking what it answers: the emulator's request log, the faults
// still pending, the StackOne error shape, and that nothing secret leaks.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { hubBinary } from './hub.mjs';
import { DEMO_CLIENT_ID, DEMO_SECRET } from './emulator.mjs';

// The four failures the emulator can make of a Plaid call, as fault bodies for `endpoint`.
// `answered` is the emulator's request-log status of a faulted request ("PATH STATUS"): a delay
// answers late with the real 200, a drop closes the connection without an answer.
export const PLAID_LIMIT_CODES = {
  '/accounts/get': 'ACCOUNTS_LIMIT',
  '/accounts/balance/get': 'BALANCE_LIMIT',
  '/auth/get': 'AUTH_LIMIT',
  '/identity/get': 'IDENTITY_LIMIT',
  '/institutions/get_by_id': 'INSTITUTIONS_GET_BY_ID_LIMIT',
  '/institutions/search': 'INSTITUTIONS_SEARCH_LIMIT',
  '/investments/holdings/get': 'INVESTMENT_HOLDINGS_GET_LIMIT',
  '/investments/transactions/get': 'INVESTMENT_TRANSACTIONS_LIMIT',
  '/item/get': 'ITEM_GET_LIMIT',
  '/item/remove': 'ITEM_REMOVE_LIMIT',
  '/liabilities/get': 'LIABILITIES_LIMIT',
  '/transactions/get': 'TRANSACTIONS_LIMIT',
  '/transactions/sync': 'TRANSACTIONS_SYNC_LIMIT',
  '/transactions/refresh': 'TRANSACTIONS_REFRESH_LIMIT',
};

export function faultKinds(delayMs) {
  return {
    500: {
      label: 'HTTP 500 INTERNAL_SERVER_ERROR',
      body: () => ({ error_code: 'INTERNAL_SERVER_ERROR' }),
      answered: '500',
      provider: () => ({ status: 500, type: 'API_ERROR', code: 'INTERNAL_SERVER_ERROR' }),
    },
    429: {
      label: 'HTTP 429 RATE_LIMIT_EXCEEDED',
      body: (endpoint) => ({ error_code: PLAID_LIMIT_CODES[endpoint] ?? 'RATE_LIMIT' }),
      answered: '429',
      provider: (endpoint) => ({
        status: 429, type: 'RATE_LIMIT_EXCEEDED', code: PLAID_LIMIT_CODES[endpoint] ?? 'RATE_LIMIT',
      }),
    },
    delay: {
      label: `answer ${delayMs} ms late`,
      body: () => ({ delay_ms: delayMs }),
      answered: '200',
      provider: () => undefined,
    },
    drop: {
      label: 'connection dropped',
      body: () => ({ drop_connection: true }),
      answered: 'dropped',
      provider: () => undefined,
    },
  };
}

// The emulator's request log: {"PATH": arrived, "PATH STATUS": answered}.
export async function requestLog(emu) {
  return (await emu.control('GET', '/emulator/requests')).requests;
}

// How many more of `key` `after` counts than `before`.
export function grew(before, after, key) {
  return (after[key] ?? 0) - (before[key] ?? 0);
}

// Injects `count` faults of `kind` on `endpoint` (only for `itemId`'s access token when given);
// resolves to the fault id.
export async function inject(emu, endpoint, kind, count, itemId) {
  const body = { endpoint, count, ...kind.body(endpoint) };
  if (itemId) body.item_id = itemId;
  return (await emu.control('POST', '/emulator/faults', body)).fault_id;
}

// How many requests fault `id` would still fail (0 once it is spent).
export async function remaining(emu, id) {
  const { faults } = await emu.control('GET', '/emulator/faults');
  return faults.find((f) => f.fault_id === id)?.remaining ?? 0;
}

// Spends what is left of fault `id` on `endpoint` with direct requests to the emulator (for a
// fault that no access token scopes, so that it cannot reach a later case).
export async function spend(emu, id, endpoint) {
  for (let left = await remaining(emu, id); left > 0; left = await remaining(emu, id)) {
    await fetch(emu.url + endpoint, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
    }).then((r) => r.text()).catch(() => {});
  }
}

// Throws if `text` holds something that must never leave linkhub: the Plaid secret, an access or
// public token's id, or Plaid's address.
export function assertNoSecrets(text, emuUrl, what = 'answer') {
  const s = typeof text === 'string' ? text : JSON.stringify(text);
  assert.ok(!s.includes(DEMO_SECRET), `${what} holds the Plaid secret`);
  assert.doesNotMatch(s, /access-(sandbox|production)-[0-9a-f]{8}/, `${what} holds an access token`);
  assert.doesNotMatch(s, /public-(sandbox|production)-[0-9a-f]{8}/, `${what} holds a public token`);
  if (emuUrl) assert.ok(!s.includes(new URL(emuUrl).host), `${what} names Plaid's address`);
}

// Asserts StackOne's error shape with `status`: a JSON body {statusCode, message, timestamp},
// `message` matching `message` when given, and `provider_errors` carrying Plaid's error
// ({status, type, code}) exactly when `provider` is given. Returns the body.
export function assertStackOneError(res, status, { message, provider, emuUrl } = {}) {
  const shown = JSON.stringify(res.body)?.slice(0, 1500);
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${shown}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `not JSON: ${shown}`);
  const body = res.body;
  assert.equal(typeof body, 'object', `the error has no JSON body: ${shown}`);
  assert.equal(body.statusCode, status);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0, 'empty message');
  assert.ok(!Number.isNaN(Date.parse(body.timestamp)), `timestamp: ${body.timestamp}`);
  if (message) assert.match(body.message, message);
  if (provider) {
    assert.ok(Array.isArray(body.provider_errors), `no provider_errors: ${shown}`);
    assert.equal(body.provider_errors.length, 1);
    const p = body.provider_errors[0];
    assert.equal(p.status, provider.status);
    assert.equal(p.error_type, provider.type);
    assert.equal(p.error_code, provider.code);
    assert.equal(typeof p.error_message, 'string');
    assert.match(p.request_id, /^[A-Za-z0-9]+$/, 'Plaid\'s request_id');
    assert.equal(p.raw.error_code, provider.code);
    assert.equal(JSON.parse(body.provider_response).error_code, provider.code);
  } else {
    assert.equal(body.provider_errors, undefined, `provider_errors without a Plaid answer: ${shown}`);
  }
  assertNoSecrets(body, emuUrl);
  return body;
}

// Runs a linkhub admin command on `hub`'s data directory, which may fail; resolves to {code,
// stdout, stderr, json} (json: stdout parsed, when it is JSON). With `plaid` (the default) it
// gets the emulator as Plaid; the secret travels in the environment.
export function runAdmin(hub, emu, args, { binary = hubBinary, plaid = true } = {}) {
  const plaidFlags = plaid ? ['--plaid-base-url', emu.url, '--plaid-client-id', DEMO_CLIENT_ID] : [];
  return new Promise((resolve) => {
    execFile(binary, [...args, '--data-dir', hub.dataDir, ...plaidFlags], {
      env: { ...process.env, LINKHUB_MASTER_KEY: hub.masterKey, LINKHUB_PLAID_SECRET: DEMO_SECRET },
    }, (error, stdout, stderr) => {
      let json;
      try { json = JSON.parse(stdout); } catch { json = undefined; }
      resolve({ code: error ? error.code ?? 1 : 0, stdout, stderr, json });
    });
  });
}
