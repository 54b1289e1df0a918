// Several Plaid clients at one emulator (--client ID:SECRET, repeatable, beside --client-id and
// --secret), driven with the official `plaid` client: each client's Items and tokens are its own.
// Another client's access token, public token or link token is unknown to it (Plaid's
// INVALID_ACCESS_TOKEN, INVALID_PUBLIC_TOKEN, INVALID_LINK_TOKEN) and stays usable by its owner;
// a client's id with another's secret is INVALID_API_KEYS; GET /emulator/items names each Item's
// client.
//
// Run: node --test tests/node/emulator_clients.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Configuration, PlaidApi, PlaidEnvironments } from 'plaid';
import { startEmulator, DEMO_CLIENT_ID, DEMO_SECRET } from './lib/emulator.mjs';

const ACME = { clientId: 'acme-client', secret: 'acme-secret-0123456789' };
const BETA = { clientId: 'beta-client', secret: 'beta-secret-9876543210' };
const DEMO = { clientId: DEMO_CLIENT_ID, secret: DEMO_SECRET };

let emu;
before(async () => {
  emu = await startEmulator(['--client', `${ACME.clientId}:${ACME.secret}`, '--client', `${BETA.clientId}:${BETA.secret}`]);
});
after(async () => { await emu?.stop(); });

function client({ clientId, secret }) {
  assert.ok(PlaidEnvironments.sandbox);
  return new PlaidApi(new Configuration({
    basePath: emu.url,
    baseOptions: { headers: { 'PLAID-CLIENT-ID': clientId, 'PLAID-SECRET': secret } },
  }));
}

// Plaid's error body of a call that must fail.
async function plaidError(promise, status, code) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err.response, err.message);
    assert.equal(err.response.status, status, JSON.stringify(err.response.data));
    assert.equal(err.response.data.error_code, code, JSON.stringify(err.response.data));
    return err.response.data;
  }
  assert.fail(`expected ${code}`);
}

async function newItem(who) {
  const api = client(who);
  const { data: { public_token } } = await api.sandboxPublicTokenCreate({
    institution_id: 'ins_109508', initial_products: ['transactions'],
  });
  const { data } = await api.itemPublicTokenExchange({ public_token });
  return data;
}

test('each client links Items of its own; /emulator/items names the client', async () => {
  const acme = await newItem(ACME);
  const beta = await newItem(BETA);
  const demo = await newItem(DEMO);
  const { items } = await emu.control('GET', '/emulator/items');
  const byId = new Map(items.map((i) => [i.item_id, i]));
  assert.equal(byId.get(acme.item_id).client_id, ACME.clientId);
  assert.equal(byId.get(beta.item_id).client_id, BETA.clientId);
  assert.equal(byId.get(demo.item_id).client_id, DEMO_CLIENT_ID);
  // Each reads its own Item.
  for (const [who, item] of [[ACME, acme], [BETA, beta], [DEMO, demo]]) {
    const { data } = await client(who).itemGet({ access_token: item.access_token });
    assert.equal(data.item.item_id, item.item_id);
  }
});

test("another client's access token is unknown to it, on every endpoint", async () => {
  const acme = await newItem(ACME);
  const beta = client(BETA);
  await plaidError(beta.itemGet({ access_token: acme.access_token }), 400, 'INVALID_ACCESS_TOKEN');
  await plaidError(beta.accountsGet({ access_token: acme.access_token }), 400, 'INVALID_ACCESS_TOKEN');
  await plaidError(beta.transactionsSync({ access_token: acme.access_token }), 400, 'INVALID_ACCESS_TOKEN');
  await plaidError(beta.itemRemove({ access_token: acme.access_token }), 400, 'INVALID_ACCESS_TOKEN');
  // An update-mode link token for it, too.
  await plaidError(beta.linkTokenCreate({
    client_name: 'x', language: 'en', country_codes: ['US'], user: { client_user_id: 'u' },
    access_token: acme.access_token,
  }), 400, 'INVALID_ACCESS_TOKEN');
  // Nothing was removed: its owner still reads it.
  const { data } = await client(ACME).itemGet({ access_token: acme.access_token });
  assert.equal(data.item.item_id, acme.item_id);
});

test("another client's public token is unknown to it and stays its owner's to exchange", async () => {
  const { data: { public_token } } = await client(ACME).sandboxPublicTokenCreate({
    institution_id: 'ins_109508', initial_products: ['transactions'],
  });
  await plaidError(client(BETA).itemPublicTokenExchange({ public_token }), 400, 'INVALID_PUBLIC_TOKEN');
  const { data } = await client(ACME).itemPublicTokenExchange({ public_token });
  assert.match(data.access_token, /^access-sandbox-/);
});

test("another client's link token is unknown to it", async () => {
  const { data: { link_token } } = await client(ACME).linkTokenCreate({
    client_name: 'Acme', language: 'en', country_codes: ['US'], user: { client_user_id: 'u1' }, products: ['transactions'],
  });
  await plaidError(client(BETA).linkTokenGet({ link_token }), 400, 'INVALID_LINK_TOKEN');
  const { data } = await client(ACME).linkTokenGet({ link_token });
  assert.equal(data.link_token, link_token);
});

test("a client's id with another client's secret is refused", async () => {
  await plaidError(client({ clientId: ACME.clientId, secret: BETA.secret }).institutionsGetById({ institution_id: 'ins_109508', country_codes: ['US'] }),
    400, 'INVALID_API_KEYS');
  await plaidError(client({ clientId: BETA.clientId, secret: DEMO_SECRET }).institutionsGetById({ institution_id: 'ins_109508', country_codes: ['US'] }),
    400, 'INVALID_API_KEYS');
});
