// The actions API end to end: GET /actions, POST /actions/rpc and POST /unified/proxy of
// build/bin/linkhub against build/bin/plaid-emulator over loopback, with accounts linked through
// the Hub API from sandbox public tokens whose products are chosen (so the products gate can be
// exercised): one account with every product, one with transactions only.
//
// Every one of the 13 actions gets a real call with assertions on the data Plaid (the emulator)
// returned. Plaid failures come from the emulator's fault injection (POST /emulator/faults), scoped
// to one Item; how many calls really reached "Plaid" is counted from the emulator's request log
// (one stderr line per request: `POST /path STATUS ...`) and from the faults it consumed.
// Transactions change over time by moving the emulator's clock (POST /emulator/clock/advance):
// each simulated day brings new pending transactions, pending ones that post (removed + added with
// pending_transaction_id) and revised amounts (modified).
//
// Hubs: `hub` runs with --plaid-rate-budget off (the emulator runs with --rate-limits off), so
// that only injected faults fail and 50 concurrent calls are allowed; `budgetHub` keeps the default
// per-Item budget and is used only by the budget test, so that only the hub can refuse.
//
// References: docs/api.md (Actions), docs/emulator.md.
// Run: node --test tests/node/actions.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from './lib/emulator.mjs';
import {
  startHub, createProject, call, poll, linkWithProducts,
} from './lib/hub.mjs';

const PLATYPUS = 'ins_109508';   // First Platypus Bank: every product
const GINGHAM = 'ins_109509';    // First Gingham Credit Union
const ALL_PRODUCTS = ['transactions', 'auth', 'identity', 'investments', 'liabilities'];
const ALL_ACTIONS = [
  'plaid_list_accounts', 'plaid_get_balances', 'plaid_get_auth', 'plaid_sync_transactions',
  'plaid_list_transactions', 'plaid_refresh_transactions', 'plaid_get_identity', 'plaid_list_holdings',
  'plaid_list_investment_transactions', 'plaid_get_liabilities', 'plaid_get_item',
  'plaid_get_institution', 'plaid_search_institutions',
];
// What an account linked with ['transactions'] only supports: the product-less actions and the
// transactions ones.
const TX_ONLY_ACTIONS = [
  'plaid_list_accounts', 'plaid_get_balances', 'plaid_sync_transactions', 'plaid_list_transactions',
  'plaid_refresh_transactions', 'plaid_get_item', 'plaid_get_institution', 'plaid_search_institutions',
];
const PRODUCT_OF = {
  plaid_get_auth: 'auth', plaid_get_identity: 'identity', plaid_list_holdings: 'investments',
  plaid_list_investment_transactions: 'investments', plaid_get_liabilities: 'liabilities',
};
const ALL_DATES = { start_date: '2000-01-01', end_date: '2030-12-31' };
const DAY = 86400;

let emu;
let hub;          // --plaid-rate-budget off
let budgetHub;    // default budget
let project;
let key;
let otherProject; // a second project on `hub`
let full;         // LinkedAccount linked with ALL_PRODUCTS
let txOnly;       // LinkedAccount linked with ['transactions']
let otherAcc;     // otherProject's account

before(async () => {
  emu = await startEmulator(['--rate-limits', 'off', '--transactions-initial-delay', '0',
                             '--transactions-historical-delay', '0']);
  hub = await startHub(emu, { args: ['--plaid-rate-budget', 'off'] });
  budgetHub = await startHub(emu);
  project = await createProject(hub, 'actions tests');
  key = project.api_key;
  otherProject = await createProject(hub, 'another project');
  full = await linkWith(hub, key, 'owner_full', ALL_PRODUCTS);
  txOnly = await linkWith(hub, key, 'owner_tx', ['transactions']);
  otherAcc = await linkWith(hub, otherProject.api_key, 'owner_other', ALL_PRODUCTS);
});

after(async () => {
  const results = await Promise.allSettled([hub?.stop(), budgetHub?.stop()]);
  results.push(...(await Promise.allSettled([emu?.stop()])));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
});

// ---------------------------------------------------------------------------------------------------
// helpers


// linkWithProducts, with the item id checked to be Plaid's.
async function linkWith(h, apiKey, owner, products, institutionId = PLATYPUS) {
  const acc = await linkWithProducts(h, emu, apiKey, owner, products, institutionId);
  assert.match(acc.plaid.item_id, /^[A-Za-z0-9]{37}$/);
  return acc;
}

let ownerSeq = 0;
function newOwner(tag = 'owner') {
  return `${tag}_${process.pid}_${++ownerSeq}`;
}

// POST /actions/rpc; `accountId` undefined sends no x-account-id header.
function rpc(accountId, action, body, { query, apiKey = key, h = hub } = {}) {
  const payload = { action };
  if (body !== undefined) payload.body = body;
  if (query !== undefined) payload.query = query;
  return call(h, 'POST', '/actions/rpc', {
    key: apiKey, headers: accountId === undefined ? {} : { 'x-account-id': accountId }, body: payload,
  });
}

// Asserts a 200 {data, next} answer; returns it.
function ok(res) {
  assert.equal(res.status, 200, `expected 200, got ${res.status}: ${JSON.stringify(res.body).slice(0, 2000)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(res.body).sort(), ['data', 'next']);
  assert.ok(res.body.next === null || typeof res.body.next === 'string');
  return res.body;
}

async function okData(promise) {
  return ok(await promise).data;
}

function assertTimestamp(value, what) {
  assert.equal(typeof value, 'string', `${what} is not a string`);
  assert.ok(!Number.isNaN(Date.parse(value)), `${what} does not parse: ${value}`);
}

// Asserts the StackOne error shape {statusCode, message, timestamp} with `status`.
function assertError(res, status, messageRe) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body).slice(0, 2000)}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(typeof res.body, 'object', `error body is not JSON: ${res.body}`);
  assert.equal(res.body.statusCode, status);
  assert.equal(typeof res.body.message, 'string');
  assert.ok(res.body.message.length > 0, 'empty message');
  assertTimestamp(res.body.timestamp, 'timestamp');
  if (messageRe) assert.match(res.body.message, messageRe);
  return res.body;
}

// Asserts provider_errors carries one Plaid error with `errorCode` (and `status` when given).
function assertProviderError(body, errorCode, status) {
  assert.ok(Array.isArray(body.provider_errors), `no provider_errors: ${JSON.stringify(body)}`);
  assert.equal(body.provider_errors.length, 1);
  const p = body.provider_errors[0];
  assert.equal(p.error_code, errorCode);
  if (status !== undefined) assert.equal(p.status, status);
  assert.equal(typeof p.error_type, 'string');
  assert.equal(typeof p.error_message, 'string');
  assert.equal(typeof p.request_id, 'string');
  assert.equal(p.raw.error_code, errorCode);
  assert.equal(typeof body.provider_response, 'string');
  assert.equal(JSON.parse(body.provider_response).error_code, errorCode);
  return p;
}

function actionIds(listBody) {
  assert.ok(Array.isArray(listBody.data));
  return listBody.data.flatMap((c) => c.actions.map((a) => a.id));
}

// Plaid requests the emulator counted (GET /emulator/requests): per "PATH" as each arrived, per
// "PATH STATUS" (STATUS "dropped" for a dropped connection) as its answer was made. Once the hub
// has answered, every request it made for that answer is counted.
async function emuCounts(whats) {
  const { requests } = await emu.control('GET', '/emulator/requests');
  return whats.map((w) => requests[w] ?? 0);
}

async function emuCount(what) {
  return (await emuCounts([what]))[0];
}

// Asserts the emulator counted exactly `n` more requests of `what` than `base`.
async function expectEmuCalls(what, base, n) {
  assert.equal((await emuCount(what)) - base, n, `emulator calls of ${what}`);
}

async function fault(body) {
  return emu.control('POST', '/emulator/faults', body);
}

async function faults() {
  return (await emu.control('GET', '/emulator/faults')).faults;
}

function getAccount(id, apiKey = key) {
  return call(hub, 'GET', `/accounts/${id}`, { key: apiKey });
}

// Every page of an offset-paged action, following `next`; returns {pages, items}.
async function allPages(accountId, action, input, itemsKey) {
  const items = [];
  const nexts = [];
  let next;
  for (let i = 0; i < 100; i++) {
    const res = ok(await rpc(accountId, action, { ...input, ...(next ? { next } : {}) }));
    items.push(...res.data[itemsKey]);
    nexts.push(res.next);
    if (res.next === null) return { pages: i + 1, items, nexts };
    next = res.next;
  }
  throw new Error('too many pages');
}

function ids(list) {
  return list.map((t) => t.transaction_id);
}

function assertNoDuplicates(list, what) {
  assert.equal(new Set(list).size, list.length, `${what} has duplicates`);
}

// ---------------------------------------------------------------------------------------------------
// GET /actions

test('GET /actions lists the 13 Plaid actions in StackOne shape', async () => {
  const res = await call(hub, 'GET', '/actions', { key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(res.body).sort(), ['data', 'next']);
  assert.equal(res.body.next, null);
  assert.equal(res.body.data.length, 1);
  const c = res.body.data[0];
  assert.equal(c.key, 'plaid');
  assert.equal(c.name, 'Plaid');
  assert.equal(typeof c.description, 'string');
  assert.equal(typeof c.version, 'string');
  assert.ok(Array.isArray(c.authentication) && c.authentication.length >= 1);
  for (const a of c.authentication) {
    assert.equal(typeof a.key, 'string');
    assert.equal(typeof a.label, 'string');
    assert.equal(typeof a.type, 'string');
  }
  assert.deepEqual(c.actions.map((a) => a.id).sort(), [...ALL_ACTIONS].sort());
  for (const a of c.actions) {
    assert.match(a.id, /^plaid_[a-z_]+$/);
    assert.equal(typeof a.label, 'string');
    assert.ok(a.label.length > 0);
    assert.equal(typeof a.description, 'string');
    assert.ok(a.description.length > 0);
    assert.equal(a.schema_type, 'native');
    assert.ok(Array.isArray(a.tags) && a.tags.every((t) => typeof t === 'string'));
    assert.equal(a.operation_details, undefined, 'operation_details only with include');
  }

  // filter[connectors]
  const plaidOnly = await call(hub, 'GET', '/actions?filter[connectors]=plaid', { key });
  assert.equal(plaidOnly.status, 200);
  assert.deepEqual(actionIds(plaidOnly.body).sort(), [...ALL_ACTIONS].sort());
  const encoded = await call(hub, 'GET', '/actions?filter%5Bconnectors%5D=bamboohr%2Cplaid', { key });
  assert.equal(encoded.status, 200);
  assert.deepEqual(actionIds(encoded.body).sort(), [...ALL_ACTIONS].sort());
  const none = await call(hub, 'GET', '/actions?filter[connectors]=bamboohr', { key });
  assert.equal(none.status, 200);
  assert.deepEqual(none.body, { data: [], next: null });

  // filter[action_key]
  const one = await call(hub, 'GET', '/actions?filter[action_key]=plaid_get_identity', { key });
  assert.equal(one.status, 200);
  assert.deepEqual(actionIds(one.body), ['plaid_get_identity']);
  assert.equal(one.body.next, null);
  const unknownKey = await call(hub, 'GET', '/actions?filter[action_key]=plaid_nothing', { key });
  assert.deepEqual(unknownKey.body, { data: [], next: null });

  // The list needs an API key.
  assertError(await call(hub, 'GET', '/actions'), 401);
  assertError(await call(hub, 'GET', '/actions', { key: 'sk_wrong' }), 401);
});

test('GET /actions filter[account_ids] keeps only what the accounts support', async () => {
  const list = async (q) => {
    const res = await call(hub, 'GET', `/actions?${q}`, { key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const txIds = actionIds(await list(`filter[account_ids]=${txOnly.id}`));
  assert.deepEqual([...txIds].sort(), [...TX_ONLY_ACTIONS].sort());
  for (const a of Object.keys(PRODUCT_OF)) assert.ok(!txIds.includes(a), `${a} listed for a transactions-only account`);

  assert.deepEqual(actionIds(await list(`filter[account_ids]=${full.id}`)).sort(), [...ALL_ACTIONS].sort());
  // An action qualifies when at least one of the accounts supports it.
  assert.deepEqual(actionIds(await list(`filter[account_ids]=${txOnly.id},${full.id}`)).sort(),
                   [...ALL_ACTIONS].sort());
  // Unknown ids are ignored: alone they match nothing.
  assert.deepEqual(actionIds(await list(`filter[account_ids]=${txOnly.id},acc_unknown`)).sort(),
                   [...TX_ONLY_ACTIONS].sort());
  assert.deepEqual(await list('filter[account_ids]=acc_unknown'), { data: [], next: null });
  // Another project's account is unknown here, whatever it supports.
  assert.deepEqual(await list(`filter[account_ids]=${otherAcc.id}`), { data: [], next: null });
  assert.deepEqual(actionIds(await list(`filter[account_ids]=${otherAcc.id}`)), []);
  // Combined with action_key.
  assert.deepEqual(await list(`filter[account_ids]=${txOnly.id}&filter[action_key]=plaid_get_identity`),
                   { data: [], next: null });
  assert.deepEqual(actionIds(await list(`filter[account_ids]=${full.id}&filter[action_key]=plaid_get_identity`)),
                   ['plaid_get_identity']);
  // The other project sees its own account.
  const theirs = await call(hub, 'GET', `/actions?filter[account_ids]=${otherAcc.id}`, { key: otherProject.api_key });
  assert.equal(theirs.status, 200);
  assert.deepEqual(actionIds(theirs.body).sort(), [...ALL_ACTIONS].sort());
});

test('GET /actions include=operation_details describes each action', async () => {
  const res = await call(hub, 'GET', '/actions?include=operation_details', { key });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const actions = new Map(res.body.data[0].actions.map((a) => [a.id, a]));
  assert.equal(actions.size, 13);
  for (const [id, a] of actions) {
    const d = a.operation_details;
    assert.equal(typeof d, 'object', `${id} has no operation_details`);
    assert.match(d.plaid_endpoint, /^\/[a-z_/]+$/);
    assert.equal(d.product, PRODUCT_OF[id] ?? (['plaid_sync_transactions', 'plaid_list_transactions',
      'plaid_refresh_transactions'].includes(id) ? 'transactions' : null), `${id} product`);
    assert.equal(typeof d.read_only, 'boolean');
    assert.ok(['none', 'next', 'sync_cursor'].includes(d.paging), `${id} paging ${d.paging}`);
    assert.equal(d.input_schema.type, 'object', `${id} input_schema`);
    assert.equal(d.input_schema.additionalProperties, false);
    assert.equal(typeof d.input_schema.properties, 'object');
    assert.equal(typeof d.output, 'object');
  }
  const lt = actions.get('plaid_list_transactions').operation_details;
  assert.equal(lt.plaid_endpoint, '/transactions/get');
  assert.equal(lt.paging, 'next');
  assert.deepEqual([...lt.input_schema.required].sort(), ['end_date', 'start_date']);
  assert.equal(lt.input_schema.properties.start_date.format, 'date');
  assert.equal(lt.input_schema.properties.count.type, 'integer');
  const sync = actions.get('plaid_sync_transactions').operation_details;
  assert.equal(sync.paging, 'sync_cursor');
  for (const f of ['consumer', 'cursor', 'reset', 'count', 'account_id']) assert.ok(sync.input_schema.properties[f], f);
  const refresh = actions.get('plaid_refresh_transactions').operation_details;
  assert.equal(refresh.read_only, false);
  assert.equal(refresh.plaid_endpoint, '/transactions/refresh');
  assert.equal(actions.get('plaid_get_item').operation_details.read_only, true);
  assert.equal(actions.get('plaid_get_identity').operation_details.plaid_endpoint, '/identity/get');
  assert.deepEqual(actions.get('plaid_search_institutions').operation_details.input_schema.required, ['query']);
  assert.equal(actions.get('plaid_list_investment_transactions').operation_details.paging, 'next');
  assert.equal(actions.get('plaid_list_accounts').operation_details.paging, 'none');

  // With other filters too.
  const one = await call(hub, 'GET',
    `/actions?filter[action_key]=plaid_get_auth&include=operation_details&filter[account_ids]=${full.id}`, { key });
  assert.equal(one.status, 200);
  assert.equal(one.body.data[0].actions.length, 1);
  assert.equal(one.body.data[0].actions[0].operation_details.plaid_endpoint, '/auth/get');
});

test('GET /actions page_size=5 walks all 13 actions with next cursors', async () => {
  const seen = [];
  const sizes = [];
  let url = '/actions?page_size=5&include=operation_details';
  let pages = 0;
  for (;;) {
    const res = await call(hub, 'GET', url, { key });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    pages++;
    const got = actionIds(res.body);
    sizes.push(got.length);
    seen.push(...got);
    for (const a of res.body.data[0].actions) assert.ok(a.operation_details, 'include kept across pages');
    if (res.body.next === null) break;
    assert.equal(typeof res.body.next, 'string');
    assert.ok(res.body.next.length > 0);
    assert.ok(pages < 10, 'the cursor does not end');
    url = `/actions?page_size=5&include=operation_details&next=${encodeURIComponent(res.body.next)}`;
  }
  assert.deepEqual(sizes, [5, 5, 3]);
  assertNoDuplicates(seen, 'the pages');
  assert.deepEqual([...seen].sort(), [...ALL_ACTIONS].sort());

  // Paging within a filter: the transactions-only account's 8 in pages of 3.
  const filtered = [];
  let next = null;
  for (let i = 0; i < 5; i++) {
    const res = await call(hub, 'GET',
      `/actions?page_size=3&filter[account_ids]=${txOnly.id}${next ? `&next=${encodeURIComponent(next)}` : ''}`, { key });
    assert.equal(res.status, 200);
    filtered.push(...actionIds(res.body));
    next = res.body.next;
    if (next === null) break;
  }
  assert.equal(next, null);
  assertNoDuplicates(filtered, 'filtered pages');
  assert.deepEqual(filtered.sort(), [...TX_ONLY_ACTIONS].sort());

  // page_size=13 exactly: one page, next null.
  const all = await call(hub, 'GET', '/actions?page_size=13', { key });
  assert.equal(actionIds(all.body).length, 13);
  assert.equal(all.body.next, null);
  // Bad paging parameters.
  assertError(await call(hub, 'GET', '/actions?page_size=0', { key }), 400, /page_size/);
  assertError(await call(hub, 'GET', '/actions?page_size=101', { key }), 400, /page_size/);
  assertError(await call(hub, 'GET', '/actions?page_size=abc', { key }), 400, /page_size/);
  assertError(await call(hub, 'GET', '/actions?next=bogus', { key }), 400, /next/);
});

// ---------------------------------------------------------------------------------------------------
// every action, with real data

test('plaid_list_accounts returns the linked accounts with masks; account_ids narrows them', async () => {
  const res = ok(await rpc(full.id, 'plaid_list_accounts', {}));
  assert.equal(res.next, null);
  const { accounts, item } = res.data;
  assert.ok(Array.isArray(accounts) && accounts.length >= 10);
  const masks = accounts.map((a) => a.mask);
  for (const m of ['0000', '1111', '2222', '3333', '4444', '5555', '6666', '7777', '8888']) {
    assert.ok(masks.includes(m), `mask ${m} missing`);
  }
  for (const a of accounts) {
    assert.match(a.account_id, /^[A-Za-z0-9]{37}$/);
    assert.match(a.mask, /^\d{4}$/);
    assert.equal(typeof a.name, 'string');
    assert.equal(typeof a.type, 'string');
    assert.equal(typeof a.balances, 'object');
    assert.ok('current' in a.balances);
  }
  // The same accounts as the hub stored at link time.
  assert.deepEqual(accounts.map((a) => a.account_id).sort(),
                   full.plaid.accounts.map((a) => a.account_id).sort());
  const checking = accounts.find((a) => a.mask === '0000');
  assert.equal(checking.name, 'Plaid Checking');
  assert.equal(checking.balances.available, 100);
  assert.equal(checking.balances.current, 110);
  assert.equal(item.item_id, full.plaid.item_id);
  assert.ok(!JSON.stringify(res).includes('access-sandbox-'), 'an access token leaked');

  const narrowed = await okData(rpc(full.id, 'plaid_list_accounts', { account_ids: [checking.account_id] }));
  assert.deepEqual(narrowed.accounts.map((a) => a.mask), ['0000']);
  // A foreign account id is Plaid's INVALID_ACCOUNT_ID, a 400 with provider_errors.
  const foreign = assertError(await rpc(full.id, 'plaid_list_accounts',
    { account_ids: [txOnly.plaid.accounts[0].account_id] }), 400);
  assertProviderError(foreign, 'INVALID_ACCOUNT_ID', 400);
});

test('plaid_get_balances returns real-time balances', async () => {
  const data = await okData(rpc(full.id, 'plaid_get_balances', {}));
  assert.ok(data.accounts.length >= 10);
  const checking = data.accounts.find((a) => a.mask === '0000');
  assert.equal(checking.balances.available, 100);
  assert.equal(checking.balances.current, 110);
  for (const a of data.accounts) assertTimestamp(a.balances.last_updated_datetime, 'last_updated_datetime');
  const saving = data.accounts.find((a) => a.mask === '1111');
  const one = await okData(rpc(full.id, 'plaid_get_balances', { account_ids: [saving.account_id] }));
  assert.deepEqual(one.accounts.map((a) => a.mask), ['1111']);
  // Balances need no product: the transactions-only account has them too.
  const tx = await okData(rpc(txOnly.id, 'plaid_get_balances', {}));
  assert.ok(tx.accounts.length >= 1);
});

test('plaid_get_auth returns ACH numbers for the depository accounts', async () => {
  const data = await okData(rpc(full.id, 'plaid_get_auth', {}));
  assert.ok(Array.isArray(data.accounts) && data.accounts.length >= 1);
  assert.ok(Array.isArray(data.numbers.ach) && data.numbers.ach.length >= 2);
  const accountIds = new Set(data.accounts.map((a) => a.account_id));
  for (const n of data.numbers.ach) {
    assert.match(n.account, /^\d{4,17}$/);
    assert.match(n.routing, /^\d{9}$/);
    assert.ok(accountIds.has(n.account_id), `ach for an account not in accounts: ${n.account_id}`);
    const acc = data.accounts.find((a) => a.account_id === n.account_id);
    assert.equal(acc.type, 'depository');
    assert.ok(n.account.endsWith(acc.mask), `account number ${n.account} does not end in mask ${acc.mask}`);
  }
  const checking = data.accounts.find((a) => a.mask === '0000');
  assert.ok(data.numbers.ach.some((n) => n.account_id === checking.account_id));
});

test('plaid_get_identity returns the account owners', async () => {
  const data = await okData(rpc(full.id, 'plaid_get_identity', {}));
  assert.ok(data.accounts.length >= 1);
  for (const a of data.accounts) {
    assert.ok(Array.isArray(a.owners) && a.owners.length >= 1, `${a.mask} has no owners`);
    for (const o of a.owners) {
      assert.ok(o.names.length >= 1);
      assert.ok(Array.isArray(o.emails));
      assert.ok(Array.isArray(o.phone_numbers));
      assert.ok(Array.isArray(o.addresses));
    }
  }
  const owner = data.accounts.find((a) => a.mask === '0000').owners[0];
  assert.ok(owner.names.includes('Alberta Bobbeth Charleson'));
  assert.ok(owner.emails.some((e) => e.primary && /@/.test(e.data)));
  assert.ok(owner.addresses.some((a) => a.primary && typeof a.data.city === 'string'));
});

test('plaid_list_holdings returns holdings and their securities', async () => {
  const data = await okData(rpc(full.id, 'plaid_list_holdings', {}));
  assert.ok(data.holdings.length >= 1);
  assert.ok(data.securities.length >= 1);
  const securityIds = new Set(data.securities.map((s) => s.security_id));
  const accountIds = new Set(data.accounts.map((a) => a.account_id));
  for (const a of data.accounts) assert.equal(a.type, 'investment');
  assert.ok(data.accounts.some((a) => a.mask === '5555'));
  for (const h of data.holdings) {
    assert.ok(securityIds.has(h.security_id), `holding of unknown security ${h.security_id}`);
    assert.ok(accountIds.has(h.account_id), `holding of unknown account ${h.account_id}`);
    assert.equal(typeof h.quantity, 'number');
    assert.equal(typeof h.institution_value, 'number');
  }
  for (const s of data.securities) assert.match(s.security_id, /^[A-Za-z0-9]+$/);
});

test('plaid_list_investment_transactions pages with next', async () => {
  const whole = ok(await rpc(full.id, 'plaid_list_investment_transactions', { ...ALL_DATES, count: 500 }));
  const total = whole.data.total_investment_transactions;
  assert.ok(total >= 5, `only ${total} investment transactions`);
  assert.equal(whole.data.investment_transactions.length, total);
  assert.equal(whole.next, null);
  const securityIds = new Set(whole.data.securities.map((s) => s.security_id));
  for (const t of whole.data.investment_transactions) {
    assert.match(t.investment_transaction_id, /^[A-Za-z0-9]+$/);
    assert.equal(typeof t.amount, 'number');
    assert.match(t.date, /^\d{4}-\d{2}-\d{2}$/);
    if (t.security_id) assert.ok(securityIds.has(t.security_id));
  }

  const first = ok(await rpc(full.id, 'plaid_list_investment_transactions', { ...ALL_DATES, count: 4 }));
  assert.equal(first.data.investment_transactions.length, 4);
  assert.equal(first.next, 'o:4');
  const { pages, items, nexts } = await allPages(full.id, 'plaid_list_investment_transactions',
    { ...ALL_DATES, count: 4 }, 'investment_transactions');
  assert.equal(pages, Math.ceil(total / 4));
  assert.deepEqual(nexts.slice(0, -1), Array.from({ length: pages - 1 }, (_, i) => `o:${4 * (i + 1)}`));
  const pagedIds = items.map((t) => t.investment_transaction_id);
  assertNoDuplicates(pagedIds, 'investment transaction pages');
  assert.deepEqual(pagedIds, whole.data.investment_transactions.map((t) => t.investment_transaction_id));
  // offset works like next.
  const viaOffset = await okData(rpc(full.id, 'plaid_list_investment_transactions', { ...ALL_DATES, count: 4, offset: 4 }));
  assert.deepEqual(viaOffset.investment_transactions.map((t) => t.investment_transaction_id), pagedIds.slice(4, 8));
  assertError(await rpc(full.id, 'plaid_list_investment_transactions', { ...ALL_DATES, next: 'x:4' }), 400, /next/);
});

test('plaid_list_transactions pages with next; account_ids narrows', async () => {
  const first = ok(await rpc(full.id, 'plaid_list_transactions', { ...ALL_DATES, count: 150 }));
  const total = first.data.total_transactions;
  assert.ok(total > 150, `only ${total} transactions`);
  assert.equal(first.next, 'o:150');
  const t0 = first.data.transactions[0];
  for (const f of ['transaction_id', 'account_id', 'amount', 'date', 'name', 'pending']) assert.ok(f in t0, f);
  const { pages, items } = await allPages(full.id, 'plaid_list_transactions', { ...ALL_DATES, count: 150 }, 'transactions');
  assert.equal(pages, Math.ceil(total / 150));
  assert.equal(items.length, total);
  assertNoDuplicates(ids(items), 'transaction pages');
  // Newest first.
  for (let i = 1; i < items.length; i++) assert.ok(items[i - 1].date >= items[i].date, 'not newest first');

  const checking = full.plaid.accounts.find((a) => a.mask === '0000');
  const narrowed = await allPages(full.id, 'plaid_list_transactions',
    { ...ALL_DATES, count: 500, account_ids: [checking.account_id] }, 'transactions');
  assert.ok(narrowed.items.length > 0);
  assert.ok(narrowed.items.every((t) => t.account_id === checking.account_id));
  assert.deepEqual(ids(narrowed.items).sort(),
                   ids(items.filter((t) => t.account_id === checking.account_id)).sort());
  // A date range.
  const recent = await okData(rpc(full.id, 'plaid_list_transactions',
    { start_date: items[0].date, end_date: items[0].date, count: 500 }));
  assert.ok(recent.transactions.length >= 1);
  assert.ok(recent.transactions.every((t) => t.date === items[0].date));
  assertError(await rpc(full.id, 'plaid_list_transactions', { ...ALL_DATES, next: 'o:abc' }), 400, /next/);
});

test('plaid_get_liabilities returns credit, student and mortgage details', async () => {
  const data = await okData(rpc(full.id, 'plaid_get_liabilities', {}));
  const { credit, student, mortgage } = data.liabilities;
  const accountIds = new Set(data.accounts.map((a) => a.account_id));
  assert.ok(credit.length >= 1);
  for (const c of credit) {
    assert.ok(accountIds.has(c.account_id));
    assert.ok(Array.isArray(c.aprs) && c.aprs.length >= 1);
    assert.equal(typeof c.aprs[0].apr_percentage, 'number');
  }
  assert.ok(student.length >= 1);
  assert.ok(mortgage.length >= 1);
  assert.ok(accountIds.has(student[0].account_id));
  assert.ok(accountIds.has(mortgage[0].account_id));
  assert.ok(data.accounts.some((a) => a.mask === '3333' && a.type === 'credit'));
  assert.ok(data.accounts.some((a) => a.mask === '7777' && a.subtype === 'student'));
  assert.ok(data.accounts.some((a) => a.mask === '8888' && a.subtype === 'mortgage'));
});

test('plaid_get_item returns the Item with its products', async () => {
  const data = await okData(rpc(full.id, 'plaid_get_item', {}));
  assert.equal(data.item.item_id, full.plaid.item_id);
  assert.equal(data.item.institution_id, PLATYPUS);
  assert.equal(data.item.error, null);
  for (const p of ALL_PRODUCTS) assert.ok(data.item.products.includes(p), p);
  const tx = await okData(rpc(txOnly.id, 'plaid_get_item', {}));
  assert.equal(tx.item.item_id, txOnly.plaid.item_id);
  assert.deepEqual(tx.item.products, ['transactions']);
  // The hub's view of the products matches Plaid's.
  assert.deepEqual([...full.plaid.products].sort(), [...ALL_PRODUCTS].sort());
  assert.deepEqual(txOnly.plaid.products, ['transactions']);
});

test('plaid_get_institution defaults to the account\'s institution', async () => {
  const own = await okData(rpc(full.id, 'plaid_get_institution', {}));
  assert.equal(own.institution.institution_id, PLATYPUS);
  assert.equal(own.institution.name, 'First Platypus Bank');
  assert.ok(own.institution.products.includes('transactions'));
  assert.equal(full.plaid.institution_id, PLATYPUS);
  const other = await okData(rpc(txOnly.id, 'plaid_get_institution', { institution_id: GINGHAM }));
  assert.equal(other.institution.institution_id, GINGHAM);
  assert.equal(other.institution.name, 'First Gingham Credit Union');
  const unknown = assertError(await rpc(full.id, 'plaid_get_institution', { institution_id: 'ins_999999999' }), 400);
  assert.ok(Array.isArray(unknown.provider_errors));
});

test('plaid_search_institutions finds institutions by name', async () => {
  const data = await okData(rpc(txOnly.id, 'plaid_search_institutions', { query: 'Platypus' }));
  assert.ok(data.institutions.length >= 2);
  assert.ok(data.institutions.some((i) => i.institution_id === PLATYPUS && i.name === 'First Platypus Bank'));
  for (const i of data.institutions) assert.match(i.name, /Platypus/i);
  const gingham = await okData(rpc(txOnly.id, 'plaid_search_institutions', { query: 'Gingham' }));
  assert.deepEqual(gingham.institutions.map((i) => i.institution_id), [GINGHAM]);
  const withProducts = await okData(rpc(txOnly.id, 'plaid_search_institutions',
    { query: 'Platypus', products: ['investments'] }));
  assert.ok(withProducts.institutions.every((i) => i.products.includes('investments')));
  assertError(await rpc(txOnly.id, 'plaid_search_institutions', {}), 400, /query is required/);
});

test('plaid_refresh_transactions is acknowledged', async () => {
  const base = await emuCount('/transactions/refresh 200');
  const data = await okData(rpc(txOnly.id, 'plaid_refresh_transactions', {}));
  assert.equal(typeof data.request_id, 'string');
  await expectEmuCalls('/transactions/refresh 200', base, 1);
  assertError(await rpc(txOnly.id, 'plaid_refresh_transactions', { force: true }), 400, /force is not a known field/);
});

// ---------------------------------------------------------------------------------------------------
// input

test('input failing the schema is a 400 naming the field', async (t) => {
  const lt = 'plaid_list_transactions';
  const cases = [
    ['bad date', lt, { ...ALL_DATES, start_date: '2026-13-01' }, /^start_date must be a date like 2026-01-31/],
    ['date with time', lt, { ...ALL_DATES, end_date: '2026-01-31T00:00:00Z' }, /end_date must be a date/],
    ['unknown field', lt, { ...ALL_DATES, bogus: 1 }, /bogus is not a known field/],
    ['count 0', lt, { ...ALL_DATES, count: 0 }, /count must be at least 1/],
    ['count 501', lt, { ...ALL_DATES, count: 501 }, /count must be at most 500/],
    ['count as a string in body', lt, { ...ALL_DATES, count: '5' }, /^count must be/],
    ['count fractional', lt, { ...ALL_DATES, count: 2.5 }, /^count must be/],
    ['wrong type', lt, { ...ALL_DATES, start_date: 5 }, /start_date must be a string/],
    ['missing required', lt, { end_date: '2026-01-31' }, /start_date is required/],
    ['negative offset', lt, { ...ALL_DATES, offset: -1 }, /offset must be at least 0/],
    ['account_ids not an array', lt, { ...ALL_DATES, account_ids: 'abc' }, /account_ids must be/],
    ['account_ids with a number', lt, { ...ALL_DATES, account_ids: [1] }, /account_ids\[0\] must be/],
    ['sync reset not a boolean', 'plaid_sync_transactions', { reset: 'yes' }, /reset must be/],
    ['sync empty consumer', 'plaid_sync_transactions', { consumer: '' }, /consumer must not be empty/],
    ['balances bad date-time', 'plaid_get_balances', { min_last_updated_datetime: 'yesterday' }, /min_last_updated_datetime must be/],
    ['item takes no input', 'plaid_get_item', { access_token: 'x' }, /access_token is not a known field/],
  ];
  for (const [name, action, body, re] of cases) {
    await t.test(name, async () => {
      assertError(await rpc(full.id, action, body), 400, re);
    });
  }
  await t.test('the request itself', async () => {
    assertError(await call(hub, 'POST', '/actions/rpc', { key, headers: { 'x-account-id': full.id }, body: {} }), 400, /action/);
    assertError(await call(hub, 'POST', '/actions/rpc', { key, headers: { 'x-account-id': full.id },
                                                          body: { action: 7 } }), 400, /action/);
    assertError(await call(hub, 'POST', '/actions/rpc', { key, headers: { 'x-account-id': full.id },
                                                          body: { action: 'plaid_get_item', body: 5 } }), 400, /body/);
    assertError(await call(hub, 'POST', '/actions/rpc', { key, headers: { 'x-account-id': full.id },
                                                          body: { action: 'plaid_get_item', query: [1] } }), 400, /query/);
    assertError(await call(hub, 'POST', '/actions/rpc', { key, headers: { 'x-account-id': full.id },
                                                          body: 'not json' }), 400);
  });
});

test('query inputs are coerced to the schema\'s types', async () => {
  const q = ok(await rpc(full.id, 'plaid_list_transactions', undefined,
    { query: { ...ALL_DATES, count: '5', offset: '2' } }));
  assert.equal(q.data.transactions.length, 5);
  assert.equal(q.next, 'o:7');
  const b = await okData(rpc(full.id, 'plaid_list_transactions', { ...ALL_DATES, count: 5, offset: 2 }));
  assert.deepEqual(ids(q.data.transactions), ids(b.transactions));
  // An array from a comma list.
  const [a1, a2] = full.plaid.accounts;
  const accs = await okData(rpc(full.id, 'plaid_list_accounts', undefined,
    { query: { account_ids: `${a1.account_id},${a2.account_id}` } }));
  assert.deepEqual(accs.accounts.map((a) => a.account_id).sort(), [a1.account_id, a2.account_id].sort());
  // A boolean.
  const inst = await okData(rpc(full.id, 'plaid_get_institution', undefined, { query: { include_optional_metadata: 'true' } }));
  assert.equal(inst.institution.institution_id, PLATYPUS);
  // The body wins over the query.
  const both = await okData(rpc(full.id, 'plaid_list_transactions', { count: 3 }, { query: { ...ALL_DATES, count: '5' } }));
  assert.equal(both.transactions.length, 3);
  // Values that do not convert fail the schema, naming the field.
  assertError(await rpc(full.id, 'plaid_list_transactions', undefined, { query: { ...ALL_DATES, count: 'abc' } }), 400, /^count must be/);
  assertError(await rpc(full.id, 'plaid_list_transactions', undefined, { query: { ...ALL_DATES, count: '0' } }), 400, /count must be at least 1/);
  assertError(await rpc(full.id, 'plaid_get_institution', undefined, { query: { include_status: 'maybe' } }), 400, /include_status must be/);
  assertError(await rpc(full.id, 'plaid_list_transactions', undefined, { query: { ...ALL_DATES, extra: '1' } }), 400, /extra is not a known field/);
});

test('the products gate refuses actions the account was not linked for', async () => {
  const endpoints = ['/identity/get', '/auth/get', '/investments/holdings/get', '/investments/transactions/get', '/liabilities/get'];
  const before = await emuCounts(endpoints);
  for (const [action, product] of Object.entries(PRODUCT_OF)) {
    const input = action === 'plaid_list_investment_transactions' ? ALL_DATES : {};
    const body = assertError(await rpc(txOnly.id, action, input), 409);
    assert.ok(body.message.includes(`'${product}'`), `message does not name ${product}: ${body.message}`);
    assert.match(body.message, /re-link/);
    assert.ok(body.message.includes(action));
    assert.equal(body.provider_errors, undefined);
  }
  // None of them reached Plaid.
  assert.deepEqual(await emuCounts(endpoints), before);
  // Invalid input is reported before the gate; the account still works for what it has.
  assertError(await rpc(txOnly.id, 'plaid_get_identity', { nope: 1 }), 400, /nope/);
  ok(await rpc(txOnly.id, 'plaid_list_accounts', {}));
});

test('unknown action, missing account header, foreign or unknown account', async () => {
  const unknown = assertError(await rpc(full.id, 'plaid_transfer_money', {}), 404, /plaid_transfer_money/);
  assert.equal(unknown.provider_errors, undefined);
  assertError(await rpc(full.id, 'bamboohr_list_employees', {}), 404);
  assertError(await rpc(undefined, 'plaid_list_accounts', {}), 400, /x-account-id/);
  assertError(await call(hub, 'POST', '/actions/rpc', { key, headers: { 'x-account-id': '' },
                                                        body: { action: 'plaid_list_accounts' } }), 400, /x-account-id/);
  assertError(await rpc('acc_doesnotexist', 'plaid_list_accounts', {}), 404);
  // Another project's account is not found, for every kind of action, and Plaid is not called.
  const base = await emuCount('/accounts/get');
  assertError(await rpc(otherAcc.id, 'plaid_list_accounts', {}), 404);
  assertError(await rpc(otherAcc.id, 'plaid_search_institutions', { query: 'Platypus' }), 404);
  assertError(await call(hub, 'POST', '/unified/proxy', { key, headers: { 'x-account-id': otherAcc.id },
                                                          body: { method: 'post', path: '/accounts/get' } }), 404);
  assert.equal(await emuCount('/accounts/get'), base);
  // ... while its own project can use it.
  ok(await rpc(otherAcc.id, 'plaid_list_accounts', {}, { apiKey: otherProject.api_key }));
  // Without a key.
  assertError(await call(hub, 'POST', '/actions/rpc', { headers: { 'x-account-id': full.id },
                                                        body: { action: 'plaid_list_accounts' } }), 401);
  // A deleted account is gone for the actions too.
  const doomed = await linkWith(hub, key, newOwner('deleted'), ['transactions']);
  assert.equal((await call(hub, 'DELETE', `/accounts/${doomed.id}`, { key })).status, 200);
  assertError(await rpc(doomed.id, 'plaid_list_accounts', {}), 404);
  assertError(await rpc(doomed.id, 'plaid_get_institution', {}), 404);
  const listed = await call(hub, 'GET', `/actions?filter[account_ids]=${doomed.id}`, { key });
  assert.deepEqual(listed.body, { data: [], next: null });
});

// ---------------------------------------------------------------------------------------------------
// Plaid errors

test('ITEM_LOGIN_REQUIRED puts the account in error until a call succeeds again', async () => {
  const acc = await linkWith(hub, key, newOwner('login'), ['transactions']);
  await fault({ endpoint: '/accounts/get', error_code: 'ITEM_LOGIN_REQUIRED', item_id: acc.plaid.item_id, count: 1 });
  const body = assertError(await rpc(acc.id, 'plaid_list_accounts', {}), 409);
  const p = assertProviderError(body, 'ITEM_LOGIN_REQUIRED', 400);
  assert.equal(p.error_type, 'ITEM_ERROR');
  assert.deepEqual(await faults(), []);

  const errored = (await getAccount(acc.id)).body;
  assert.equal(errored.status, 'error');
  assert.equal(errored.status_reasons.length, 1);
  assert.equal(errored.status_reasons[0].code, 'login_required');
  assert.equal(typeof errored.status_reasons[0].description, 'string');
  assertTimestamp(errored.status_reasons[0].timestamp, 'status_reasons[0].timestamp');
  const listed = await call(hub, 'GET', '/accounts?status=error', { key });
  assert.ok(listed.body.some((a) => a.id === acc.id));

  // The fault is gone: the next call succeeds and the account is active again.
  const data = await okData(rpc(acc.id, 'plaid_list_accounts', {}));
  assert.ok(data.accounts.length >= 1);
  const fixed = (await getAccount(acc.id)).body;
  assert.equal(fixed.status, 'active');
  assert.deepEqual(fixed.status_reasons, []);
});

test('a call that does not touch the Item leaves an Item error alone', async () => {
  // plaid_search_institutions and plaid_get_institution send no access token: their success says
  // nothing about the Item, so an account waiting for the user to log in again stays in error.
  const acc = await linkWith(hub, key, newOwner('stillbroken'), ['transactions']);
  await fault({ endpoint: '/item/get', error_code: 'ITEM_LOGIN_REQUIRED', item_id: acc.plaid.item_id, count: 1 });
  assertError(await rpc(acc.id, 'plaid_get_item', {}), 409);
  assert.equal((await getAccount(acc.id)).body.status, 'error');
  ok(await rpc(acc.id, 'plaid_search_institutions', { query: 'Platypus' }));
  assert.equal((await getAccount(acc.id)).body.status, 'error',
               'plaid_search_institutions (no access token) marked a broken Item active');
  ok(await rpc(acc.id, 'plaid_get_institution', {}));
  const after = (await getAccount(acc.id)).body;
  assert.equal(after.status, 'error', 'plaid_get_institution (no access token) marked a broken Item active');
  assert.equal(after.status_reasons[0]?.code, 'login_required');
});

test('a status change at the end of an RPC keeps a PATCH made meanwhile', async () => {
  const acc = await linkWith(hub, key, newOwner('race'), ['transactions']);
  const item = acc.plaid.item_id;
  await fault({ endpoint: '/accounts/get', error_code: 'ITEM_LOGIN_REQUIRED', item_id: item, count: 1 });
  assertError(await rpc(acc.id, 'plaid_list_accounts', {}), 409);
  assert.equal((await getAccount(acc.id)).body.status, 'error');
  // A slow answer (1.5 s) that succeeds, so the hub turns the account active when it arrives;
  // meanwhile the account's display fields are changed.
  await fault({ endpoint: '/accounts/get', delay_ms: 1500, item_id: item, count: 1 });
  const pending = rpc(acc.id, 'plaid_list_accounts', {});
  assert.ok(await poll(async () => (await faults()).length === 0, 5000, 20), 'the hub did not call Plaid');
  const patched = await call(hub, 'PATCH', `/accounts/${acc.id}`,
                             { key, body: { label: 'Renamed meanwhile', origin_owner_name: 'New Owner Name' } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.equal(patched.body.label, 'Renamed meanwhile');
  ok(await pending);
  const now = (await getAccount(acc.id)).body;
  assert.equal(now.status, 'active');
  assert.equal(now.label, 'Renamed meanwhile', 'the RPC\'s status update wrote back a stale label');
  assert.equal(now.origin_owner_name, 'New Owner Name', 'the RPC\'s status update wrote back a stale owner name');
});

test('INVALID_ACCESS_TOKEN makes the account inactive; further calls are refused', async () => {
  const acc = await linkWith(hub, key, newOwner('revoked'), ['transactions']);
  await fault({ endpoint: '/item/get', error_code: 'INVALID_ACCESS_TOKEN', item_id: acc.plaid.item_id, count: 1 });
  const body = assertError(await rpc(acc.id, 'plaid_get_item', {}), 400);
  assertProviderError(body, 'INVALID_ACCESS_TOKEN', 400);
  const dead = (await getAccount(acc.id)).body;
  assert.equal(dead.status, 'inactive');
  assert.equal(dead.status_reasons[0].code, 'INVALID_ACCESS_TOKEN');
  const listed = await call(hub, 'GET', '/accounts?status=inactive', { key });
  assert.ok(listed.body.some((a) => a.id === acc.id));

  const bases = await emuCounts(['/item/get', '/accounts/get', '/transactions/sync']);
  assertError(await rpc(acc.id, 'plaid_get_item', {}), 409, /inactive/);
  assertError(await rpc(acc.id, 'plaid_list_accounts', {}), 409, /inactive/);
  assertError(await rpc(acc.id, 'plaid_sync_transactions', {}), 409, /inactive/);
  assertError(await call(hub, 'POST', '/unified/proxy', { key, headers: { 'x-account-id': acc.id },
                                                          body: { method: 'post', path: '/accounts/get' } }), 409);
  assert.deepEqual(await emuCounts(['/item/get', '/accounts/get', '/transactions/sync']), bases,
                   'an inactive account reached Plaid');
  assert.equal((await getAccount(acc.id)).body.status, 'inactive');
});

test('ITEM_NOT_FOUND also makes the account inactive', async () => {
  const acc = await linkWith(hub, key, newOwner('gone'), ['transactions']);
  await fault({ endpoint: '/accounts/balance/get', error_code: 'ITEM_NOT_FOUND', item_id: acc.plaid.item_id, count: 1 });
  const body = assertError(await rpc(acc.id, 'plaid_get_balances', {}), 409);
  assertProviderError(body, 'ITEM_NOT_FOUND', 400);
  assert.equal((await getAccount(acc.id)).body.status, 'inactive');
  assertError(await rpc(acc.id, 'plaid_get_item', {}), 409);
});

test('a single transient Plaid failure is retried and the call succeeds', async (t) => {
  const item = full.plaid.item_id;
  const cases = [
    ['RATE_LIMIT_EXCEEDED 429', '/accounts/get', 'plaid_list_accounts', { error_code: 'ACCOUNTS_LIMIT' }, 429],
    ['http 429', '/item/get', 'plaid_get_item', { http_status: 429 }, 429],
    ['INSTITUTION_DOWN', '/auth/get', 'plaid_get_auth', { error_code: 'INSTITUTION_DOWN' }, 400],
    ['INSTITUTION_NOT_RESPONDING', '/identity/get', 'plaid_get_identity', { error_code: 'INSTITUTION_NOT_RESPONDING' }, 400],
    ['500', '/liabilities/get', 'plaid_get_liabilities', { http_status: 500 }, 500],
    ['500 on a sync page', '/transactions/sync', 'plaid_sync_transactions', { http_status: 500 }, 500],
    ['no answer (connection dropped)', '/investments/holdings/get', 'plaid_list_holdings', { drop_connection: true }, 'dropped'],
  ];
  for (const [name, endpoint, action, spec, failStatus] of cases) {
    await t.test(name, async () => {
      const total = await emuCount(endpoint);
      const oks = await emuCount(`${endpoint} 200`);
      const fails = await emuCount(`${endpoint} ${failStatus}`);
      await fault({ endpoint, item_id: item, count: 1, ...spec });
      const input = action === 'plaid_sync_transactions' ? { consumer: `retry_${process.pid}` } : {};
      const data = await okData(rpc(full.id, action, input));
      assert.equal(typeof data, 'object');
      assert.deepEqual(await faults(), [], 'the fault was not consumed');
      if (action === 'plaid_sync_transactions') {
        assert.ok(data.added.length > 0);
        // The sync reads several pages of 100; one of them failed once.
        await expectEmuCalls(endpoint, total, data.pages + 1);
      } else {
        // The emulator saw the failed call and the successful retry.
        await expectEmuCalls(endpoint, total, 2);
        await expectEmuCalls(`${endpoint} 200`, oks, 1);
      }
      assert.equal((await emuCount(`${endpoint} ${failStatus}`)) - fails, 1);
    });
  }
  assert.equal((await getAccount(full.id)).body.status, 'active');
});

test('a persistent Plaid failure gives up after 4 attempts with provider_errors', async (t) => {
  const item = full.plaid.item_id;
  const cases = [
    ['500 -> 502', '/accounts/get', 'plaid_list_accounts', { http_status: 500 }, 502, 'INTERNAL_SERVER_ERROR', 500],
    ['RATE_LIMIT -> 429', '/item/get', 'plaid_get_item', { error_code: 'ITEM_GET_LIMIT' }, 429, 'ITEM_GET_LIMIT', 429],
    ['INSTITUTION_DOWN -> 503', '/auth/get', 'plaid_get_auth', { error_code: 'INSTITUTION_DOWN' }, 503, 'INSTITUTION_DOWN', 400],
  ];
  try {
    for (const [name, endpoint, action, spec, status, code, plaidStatus] of cases) {
      await t.test(name, async () => {
        const base = await emuCount(endpoint);
        const { fault_id } = await fault({ endpoint, item_id: item, count: 10, ...spec });
        const body = assertError(await rpc(full.id, action, {}), status);
        assertProviderError(body, code, plaidStatus);
        // Four attempts (the default), so 6 of the 10 failures are left.
        const left = (await faults()).find((f) => f.fault_id === fault_id);
        assert.equal(left?.remaining, 6);
        await expectEmuCalls(endpoint, base, 4);
        await emu.control('DELETE', '/emulator/faults');
      });
    }
  } finally {
    await emu.control('DELETE', '/emulator/faults');
  }
  // Transient failures do not change the account's status.
  assert.equal((await getAccount(full.id)).body.status, 'active');
});

test('a Plaid timeout -> 504; --plaid-retry-attempts and --plaid-timeout are honoured', { timeout: 30000 }, async () => {
  const h = await startHub(emu, { args: ['--plaid-rate-budget', 'off', '--plaid-timeout', '1',
                                         '--plaid-retry-attempts', '2'] });
  try {
    const p = await createProject(h, 'timeouts');
    const acc = await linkWith(h, p.api_key, newOwner('slow'), ['transactions']);
    // Every answer comes 3 s late: both attempts time out after 1 s each.
    const { fault_id } = await fault({ endpoint: '/item/get', delay_ms: 3000, item_id: acc.plaid.item_id, count: 10 });
    const body = assertError(await rpc(acc.id, 'plaid_get_item', {}, { h, apiKey: p.api_key }), 504);
    assert.equal(body.provider_errors, undefined, 'Plaid did not answer');
    assert.equal((await faults()).find((f) => f.fault_id === fault_id)?.remaining, 8);
    await emu.control('DELETE', '/emulator/faults');
    // Two attempts for a 500 as well.
    const base500 = await emuCount('/item/get 500');
    const f500 = await fault({ endpoint: '/item/get', http_status: 500, item_id: acc.plaid.item_id, count: 10 });
    assertProviderError(assertError(await rpc(acc.id, 'plaid_get_item', {}, { h, apiKey: p.api_key }), 502),
                        'INTERNAL_SERVER_ERROR', 500);
    assert.equal((await faults()).find((f) => f.fault_id === f500.fault_id)?.remaining, 8);
    await expectEmuCalls('/item/get 500', base500, 2);
    await emu.control('DELETE', '/emulator/faults');
    ok(await rpc(acc.id, 'plaid_get_item', {}, { h, apiKey: p.api_key }));
  } finally {
    await emu.control('DELETE', '/emulator/faults');
    await h.stop();
  }
});

test('writes are not retried: a failed /transactions/refresh fails the call', async () => {
  const base = await emuCount('/transactions/refresh');
  await fault({ endpoint: '/transactions/refresh', http_status: 500, item_id: full.plaid.item_id, count: 1 });
  const body = assertError(await rpc(full.id, 'plaid_refresh_transactions', {}), 502);
  assertProviderError(body, 'INTERNAL_SERVER_ERROR', 500);
  assert.deepEqual(await faults(), [], 'the fault was consumed once');
  await expectEmuCalls('/transactions/refresh', base, 1);
  // Nothing is left behind: the next refresh works.
  ok(await rpc(full.id, 'plaid_refresh_transactions', {}));
  await expectEmuCalls('/transactions/refresh', base, 2);
  // Neither is a 429 on a write retried.
  await fault({ endpoint: '/transactions/refresh', error_code: 'TRANSACTIONS_LIMIT', item_id: full.plaid.item_id, count: 1 });
  assertError(await rpc(full.id, 'plaid_refresh_transactions', {}), 429);
  await expectEmuCalls('/transactions/refresh', base, 3);
  assert.deepEqual(await faults(), []);
});

test('the hub\'s per-Item budget refuses the 16th /item/get within a minute without calling Plaid', async () => {
  const p = await createProject(budgetHub, 'budget');
  const acc = await linkWith(budgetHub, p.api_key, newOwner('budget'), ['transactions']);
  const acc2 = await linkWith(budgetHub, p.api_key, newOwner('budget2'), ['transactions']);
  const call15 = async () => {
    const base = await emuCount('/item/get');
    for (let i = 0; i < 15; i++) {
      const data = await okData(rpc(acc.id, 'plaid_get_item', {}, { h: budgetHub, apiKey: p.api_key }));
      assert.equal(data.item.item_id, acc.plaid.item_id);
    }
    return base;
  };
  const base = await call15();
  const refused = assertError(await rpc(acc.id, 'plaid_get_item', {}, { h: budgetHub, apiKey: p.api_key }), 429);
  assert.match(refused.message, /\/item\/get/);
  assert.equal(refused.provider_errors, undefined, 'Plaid was not asked');
  assert.ok(refused.retry_after_seconds !== undefined, 'retry_after_seconds missing');
  const retryAfter = Number(refused.retry_after_seconds);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
            `retry_after_seconds ${JSON.stringify(refused.retry_after_seconds)}`);
  // The emulator saw exactly the 15 allowed calls.
  await expectEmuCalls('/item/get', base, 15);
  // The budget is per Item and per endpoint.
  ok(await rpc(acc2.id, 'plaid_get_item', {}, { h: budgetHub, apiKey: p.api_key }));
  ok(await rpc(acc.id, 'plaid_list_accounts', {}, { h: budgetHub, apiKey: p.api_key }));
  // The proxy shares it.
  assertError(await call(budgetHub, 'POST', '/unified/proxy', {
    key: p.api_key, headers: { 'x-account-id': acc.id }, body: { method: 'post', path: '/item/get' },
  }), 429);
  assert.equal((await emuCount('/item/get')) - base, 16, 'only the other Item\'s call reached Plaid');
});

// ---------------------------------------------------------------------------------------------------
// concurrency

test('50 concurrent RPCs of mixed actions on one account are all correct', { timeout: 60000 }, async () => {
  // References, read one at a time.
  const ref = {
    masks: (await okData(rpc(full.id, 'plaid_list_accounts', {}))).accounts.map((a) => a.mask).sort(),
    ach: (await okData(rpc(full.id, 'plaid_get_auth', {}))).numbers.ach.map((n) => n.account).sort(),
    holdings: (await okData(rpc(full.id, 'plaid_list_holdings', {}))).holdings.length,
    credit: (await okData(rpc(full.id, 'plaid_get_liabilities', {}))).liabilities.credit.length,
  };
  const listing = await allPages(full.id, 'plaid_list_transactions', { ...ALL_DATES, count: 500 }, 'transactions');
  const txIds = ids(listing.items);
  assert.ok(txIds.length >= 50);

  const kinds = [
    ['plaid_list_accounts', () => ({}), (d) => assert.deepEqual(d.accounts.map((a) => a.mask).sort(), ref.masks)],
    ['plaid_get_balances', () => ({}), (d) => assert.equal(d.accounts.find((a) => a.mask === '0000').balances.available, 100)],
    ['plaid_get_auth', () => ({}), (d) => assert.deepEqual(d.numbers.ach.map((n) => n.account).sort(), ref.ach)],
    ['plaid_get_identity', () => ({}), (d) => assert.ok(d.accounts[0].owners[0].names.includes('Alberta Bobbeth Charleson'))],
    ['plaid_list_holdings', () => ({}), (d) => assert.equal(d.holdings.length, ref.holdings)],
    ['plaid_get_liabilities', () => ({}), (d) => assert.equal(d.liabilities.credit.length, ref.credit)],
    ['plaid_get_item', () => ({}), (d) => assert.equal(d.item.item_id, full.plaid.item_id)],
    ['plaid_get_institution', () => ({}), (d) => assert.equal(d.institution.institution_id, PLATYPUS)],
    ['plaid_list_transactions', (i) => ({ ...ALL_DATES, count: 1, offset: i }),
     (d, i) => assert.deepEqual(ids(d.transactions), [txIds[i]])],
    ['plaid_sync_transactions', (i) => ({ consumer: `conc50_${process.pid}_${i}` }),
     (d) => {
       assert.deepEqual(ids(d.added).sort(), [...txIds].sort());
       assert.equal(d.restarts, 0);
     }],
  ];
  const jobs = Array.from({ length: 50 }, (_, i) => {
    const [action, input, check] = kinds[i % kinds.length];
    return rpc(full.id, action, input(i)).then((res) => ({ i, action, res, check }));
  });
  const results = await Promise.all(jobs);
  const requestIds = [];
  for (const { i, action, res, check } of results) {
    const body = ok(res);
    try {
      check(body.data, i);
    } catch (e) {
      e.message = `#${i} ${action}: ${e.message}`;
      throw e;
    }
    if (body.data.request_id) requestIds.push(body.data.request_id);
  }
  assert.equal(requestIds.length, 45);  // every Plaid answer but the syncs' (several pages each)
  assertNoDuplicates(requestIds, 'request ids');
  assert.equal((await getAccount(full.id)).body.status, 'active');
});

test('concurrent syncs of one consumer never repeat or skip a transaction', { timeout: 60000 }, async () => {
  const consumer = `same_${process.pid}`;
  const results = await Promise.all(Array.from({ length: 5 }, () =>
    rpc(full.id, 'plaid_sync_transactions', { consumer, count: 50 })));
  const seen = new Map();
  let union = [];
  results.forEach((res, k) => {
    const d = ok(res).data;
    assert.equal(d.has_more, false);
    for (const id of ids(d.added)) {
      assert.ok(!seen.has(id), `${id} returned by syncs ${seen.get(id)} and ${k}`);
      seen.set(id, k);
    }
    union = union.concat(ids(d.added));
    assert.deepEqual(d.removed, []);
  });
  const fresh = await okData(rpc(full.id, 'plaid_sync_transactions', { consumer: `fresh_${process.pid}`, count: 500 }));
  assert.ok(fresh.added.length > 0);
  assert.deepEqual(union.sort(), ids(fresh.added).sort());
  // All the concurrent results moved the consumer to the end: nothing more to read.
  const again = await okData(rpc(full.id, 'plaid_sync_transactions', { consumer }));
  assert.deepEqual([again.added.length, again.modified.length, again.removed.length], [0, 0, 0]);
  assert.equal(again.next_cursor, fresh.next_cursor);
});

// ---------------------------------------------------------------------------------------------------
// transactions sync

test('the sync result\'s accounts cover every account of its transactions', async () => {
  // The update is read in pages of 3; Plaid lists in each page the accounts of that page, so the
  // hub must merge them over all pages.
  const d = await okData(rpc(full.id, 'plaid_sync_transactions', { consumer: `accounts_${process.pid}`, count: 3 }));
  assert.ok(d.pages > 10);
  const listed = new Set(d.accounts.map((a) => a.account_id));
  const referenced = new Set([...d.added, ...d.modified, ...d.removed].map((t) => t.account_id));
  assert.ok(referenced.size >= 3);
  const missing = [...referenced].filter((id) => !listed.has(id));
  assert.deepEqual(missing, [], `data.accounts lists ${listed.size} accounts but the transactions are on ${referenced.size}`);
  assertNoDuplicates(d.accounts.map((a) => a.account_id), 'data.accounts');
  for (const a of d.accounts) assert.match(a.mask, /^\d{4}$/);
});

test('a mutation in the middle of paging restarts the update: no duplicates', async () => {
  const acc = await linkWith(hub, key, newOwner('mut'), ['transactions']);
  const item = acc.plaid.item_id;
  const expected = ids((await okData(rpc(acc.id, 'plaid_sync_transactions', { consumer: 'reference', count: 500 }))).added).sort();
  assert.ok(expected.length > 60);
  // Pages 1 and 2 answer normally (a 1 ms delay only consumes the fault), page 3 says the data
  // changed: the hub must start the whole update again from its first cursor.
  await fault({ endpoint: '/transactions/sync', item_id: item, delay_ms: 1, count: 2 });
  await fault({ endpoint: '/transactions/sync', item_id: item, count: 1,
                error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION' });
  const base = await emuCount('/transactions/sync');
  const d = await okData(rpc(acc.id, 'plaid_sync_transactions', { consumer: 'paged', count: 20 }));
  assert.deepEqual(await faults(), []);
  assert.equal(d.restarts, 1);
  assert.equal(d.pages, Math.ceil(expected.length / 20));
  assert.equal(d.has_more, false);
  assertNoDuplicates(ids(d.added), 'added');
  assert.deepEqual(ids(d.added).sort(), expected);
  // 3 calls before the restart, then every page again.
  await expectEmuCalls('/transactions/sync', base, 3 + d.pages);
  const after = await okData(rpc(acc.id, 'plaid_sync_transactions', { consumer: 'paged' }));
  assert.deepEqual([after.added.length, after.modified.length, after.removed.length], [0, 0, 0]);

  // More mutations than the hub restarts for: a 409 with Plaid's error, and no cursor stored.
  await fault({ endpoint: '/transactions/sync', item_id: item, count: 4,
                error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION' });
  const body = assertError(await rpc(acc.id, 'plaid_sync_transactions', { consumer: 'unlucky', count: 20 }), 409);
  assertProviderError(body, 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION', 400);
  assert.deepEqual(await faults(), [], 'the hub restarted 3 times');
  const retry = await okData(rpc(acc.id, 'plaid_sync_transactions', { consumer: 'unlucky', count: 100 }));
  assert.deepEqual(ids(retry.added).sort(), expected, 'a failed sync stored a cursor');
});

test('a real pull during paging (emulator clock) restarts the update', { timeout: 30000 }, async () => {
  const acc = await linkWith(hub, key, newOwner('pull'), ['transactions']);
  // The first page is answered 1.5 s late; meanwhile a day passes at the bank, so the next page's
  // cursor is stale and the emulator answers TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION.
  const answered = await emuCount('/transactions/sync 200');
  await fault({ endpoint: '/transactions/sync', item_id: acc.plaid.item_id, delay_ms: 1500, count: 1 });
  const pending = rpc(acc.id, 'plaid_sync_transactions', { consumer: 'c', count: 20 });
  // The first page's answer is made (the delay only holds it back): now the day passes.
  const made = await poll(async () => (await emuCount('/transactions/sync 200')) > answered, 5000, 20);
  assert.ok(made, 'the hub did not call /transactions/sync');
  await emu.control('POST', '/emulator/clock/advance', { seconds: DAY });
  const d = ok(await pending).data;
  assert.ok(d.restarts >= 1, `restarts ${d.restarts}`);
  assertNoDuplicates(ids(d.added), 'added');
  assert.deepEqual([d.modified.length, d.removed.length], [0, 0]);
  // The result is the Item's current state.
  const fresh = await okData(rpc(acc.id, 'plaid_sync_transactions', { consumer: 'check', count: 500 }));
  assert.deepEqual(ids(d.added).sort(), ids(fresh.added).sort());
  assert.equal(d.next_cursor, fresh.next_cursor);
});

test('sync across days of bank activity stays consistent; consumers, reset, own cursor', { timeout: 60000 }, async () => {
  const acc = await linkWith(hub, key, newOwner('ledger'), ['transactions']);
  const sync = async (input) => {
    const d = await okData(rpc(acc.id, 'plaid_sync_transactions', input));
    assert.equal(d.has_more, false);
    assert.equal(typeof d.next_cursor, 'string');
    assert.ok(d.next_cursor.length > 0);
    assert.equal(d.transactions_update_status, 'HISTORICAL_UPDATE_COMPLETE');
    assert.ok(Array.isArray(d.accounts));
    for (const r of d.removed) assert.deepEqual(Object.keys(r).sort(), ['account_id', 'transaction_id']);
    return d;
  };
  const ledger = new Map();
  // Applies an update, checking it fits what the consumer already has.
  const apply = (map, d, what) => {
    for (const t of d.added) {
      assert.ok(!map.has(t.transaction_id), `${what}: ${t.transaction_id} added twice`);
      map.set(t.transaction_id, t);
    }
    for (const t of d.modified) {
      assert.ok(map.has(t.transaction_id), `${what}: modified unknown ${t.transaction_id}`);
      map.set(t.transaction_id, t);
    }
    for (const r of d.removed) {
      assert.ok(map.has(r.transaction_id), `${what}: removed unknown ${r.transaction_id}`);
      map.delete(r.transaction_id);
    }
  };

  const first = await sync({ consumer: 'ledger', count: 50 });
  const total0 = first.added.length;
  assert.ok(total0 > 100);
  assert.equal(first.pages, Math.ceil(total0 / 50));
  assert.equal(first.restarts, 0);
  assert.deepEqual([first.modified.length, first.removed.length], [0, 0]);
  assert.ok(first.accounts.length >= 1);
  apply(ledger, first, 'initial');
  const cursor0 = first.next_cursor;
  const snapshot0 = new Map(ledger);

  // Nothing new without time passing.
  const idle = await sync({ consumer: 'ledger' });
  assert.deepEqual([idle.added.length, idle.modified.length, idle.removed.length], [0, 0, 0]);
  assert.equal(idle.next_cursor, cursor0);
  assert.equal(idle.pages, 1);

  // Days pass at the bank.
  let added = 0; let modified = 0; let removed = 0; let posted = 0;
  let cursor = cursor0;
  for (let day = 1; day <= 4; day++) {
    await emu.control('POST', '/emulator/clock/advance', { seconds: DAY });
    let d;
    if (day === 4) {
      // Own cursor: the same update, and the stored cursor is left alone.
      const own = await sync({ consumer: 'ledger', cursor });
      d = await sync({ consumer: 'ledger', count: 3 });
      assert.deepEqual(ids(own.added), ids(d.added));
      assert.deepEqual(ids(own.modified), ids(d.modified));
      assert.deepEqual(own.removed, d.removed);
      assert.equal(own.next_cursor, d.next_cursor);
    } else {
      d = await sync({ consumer: 'ledger', count: 3 });
    }
    assert.ok(d.pages >= 1);
    const removedIds = new Set(d.removed.map((r) => r.transaction_id));
    for (const t of d.added) {
      if (t.pending_transaction_id && removedIds.has(t.pending_transaction_id)) {
        assert.equal(t.pending, false);
        assert.equal(ledger.get(t.pending_transaction_id)?.pending, true, 'the posted one was pending');
        posted++;
      }
    }
    apply(ledger, d, `day ${day}`);
    added += d.added.length; modified += d.modified.length; removed += d.removed.length;
    assert.notEqual(d.next_cursor, cursor);
    cursor = d.next_cursor;
  }
  assert.ok(added > 0, 'no new transactions in 4 days');
  assert.ok(removed > 0, 'no removed transactions in 4 days');
  assert.ok(posted > 0, 'no pending transaction posted in 4 days');
  assert.ok(added + modified + removed > 10);

  // The consumer's view equals the current full listing.
  const listing = await allPages(acc.id, 'plaid_list_transactions', { ...ALL_DATES, count: 500 }, 'transactions');
  assert.equal(listing.items.length, ledger.size);
  for (const t of listing.items) {
    const mine = ledger.get(t.transaction_id);
    assert.ok(mine, `listing has ${t.transaction_id}, the synced ledger not`);
    for (const f of ['amount', 'date', 'pending', 'account_id', 'name', 'pending_transaction_id']) {
      assert.deepEqual(mine[f], t[f], `${t.transaction_id}.${f}`);
    }
  }

  // Another consumer is independent: it starts from the beginning and gets the current state.
  const other = await sync({ consumer: 'other' });
  assert.deepEqual([other.modified.length, other.removed.length], [0, 0]);
  assert.deepEqual(ids(other.added).sort(), [...ledger.keys()].sort());
  assert.equal(other.next_cursor, cursor);

  // An own cursor from day 0 replays everything since then onto that day's snapshot.
  const replay = await sync({ cursor: cursor0 });
  apply(snapshot0, replay, 'replay');
  assert.deepEqual([...snapshot0.keys()].sort(), [...ledger.keys()].sort());
  // An empty own cursor reads from the beginning; nothing is stored for the default consumer.
  const fromStart = await sync({ cursor: '' });
  assert.deepEqual(ids(fromStart.added).sort(), [...ledger.keys()].sort());
  const dflt = await sync({});
  assert.deepEqual(ids(dflt.added).sort(), [...ledger.keys()].sort());

  // reset: everything again, then the consumer is at the end.
  const reset = await sync({ consumer: 'ledger', reset: true });
  assert.deepEqual(ids(reset.added).sort(), [...ledger.keys()].sort());
  assert.deepEqual([reset.modified.length, reset.removed.length], [0, 0]);
  const afterReset = await sync({ consumer: 'ledger' });
  assert.deepEqual([afterReset.added.length, afterReset.modified.length, afterReset.removed.length], [0, 0, 0]);

  // An account filter keeps its own cursor for the same consumer.
  const checking = acc.plaid.accounts.find((a) => a.mask === '0000');
  const filtered = await sync({ consumer: 'ledger', account_id: checking.account_id });
  assert.ok(filtered.added.length > 0);
  assert.ok(filtered.added.every((t) => t.account_id === checking.account_id));
  assert.deepEqual(ids(filtered.added).sort(),
                   [...ledger.values()].filter((t) => t.account_id === checking.account_id).map((t) => t.transaction_id).sort());
  const unfiltered = await sync({ consumer: 'ledger' });
  assert.deepEqual([unfiltered.added.length, unfiltered.modified.length, unfiltered.removed.length], [0, 0, 0]);
  const filteredAgain = await sync({ consumer: 'ledger', account_id: checking.account_id });
  assert.equal(filteredAgain.added.length, 0);
  // A foreign account id is Plaid's error.
  assertError(await rpc(acc.id, 'plaid_sync_transactions', { account_id: full.plaid.accounts[0].account_id }), 400);
  // A cursor that is not this Item's is Plaid's error too, and stores nothing.
  assertError(await rpc(acc.id, 'plaid_sync_transactions', { cursor: 'not-a-cursor' }), 400);
});

// ---------------------------------------------------------------------------------------------------
// POST /unified/proxy

test('POST /unified/proxy forwards allow-listed calls to Plaid only', async (t) => {
  const proxy = (body, accountId = full.id, apiKey = key) =>
    call(hub, 'POST', '/unified/proxy', { key: apiKey, headers: accountId ? { 'x-account-id': accountId } : {}, body });

  await t.test('/accounts/get works and adds the access token', async () => {
    const res = await proxy({ method: 'post', path: '/accounts/get' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(res.body.accounts.length >= 10);
    assert.equal(res.body.item.item_id, full.plaid.item_id);
    assert.equal(typeof res.body.request_id, 'string');
    assert.ok(!JSON.stringify(res.body).includes('access-sandbox-'));
    // Plaid's own body, options included.
    const checking = res.body.accounts.find((a) => a.mask === '0000');
    const one = await proxy({ method: 'POST', path: '/accounts/get', body: { options: { account_ids: [checking.account_id] } } });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.deepEqual(one.body.accounts.map((a) => a.mask), ['0000']);
    // The method defaults to post.
    assert.equal((await proxy({ path: '/item/get' })).status, 200);
  });
  await t.test('a url on the configured Plaid host works', async () => {
    const res = await proxy({ method: 'post', url: `${emu.url}/accounts/get` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.accounts.length >= 10);
    const both = await proxy({ method: 'post', url: `${emu.url}/item/get`, path: '/item/get' });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assertError(await proxy({ method: 'post', url: `${emu.url}/item/get`, path: '/accounts/get' }), 400);
  });
  await t.test('allowed headers', async () => {
    const res = await proxy({ method: 'post', path: '/accounts/get',
                              headers: { 'Content-Type': 'application/json', 'Plaid-Version': '2020-09-14' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });
  await t.test('paths that are not allow-listed -> 400', async () => {
    for (const path of ['/item/remove', '/item/access_token/invalidate', '/sandbox/item/reset_login',
                        '/institutions/search', '/link/token/create', '/accounts/get/../../item/remove',
                        '/emulator/reset', 'accounts/get', '/accounts/get?x=1']) {
      assertError(await proxy({ method: 'post', path }), 400);
    }
    assertError(await proxy({ method: 'post' }), 400, /path/);
  });
  await t.test('a url on another host -> 400', async () => {
    const port = new URL(emu.url).port;
    for (const url of ['https://evil.example/accounts/get', `http://localhost:${port}/accounts/get`,
                       `${emu.url}.evil.example/accounts/get`, `${emu.url}@evil.example/accounts/get`,
                       'https://sandbox.plaid.com/accounts/get', `${emu.url}/item/remove`]) {
      assertError(await proxy({ method: 'post', url }), 400);
    }
  });
  await t.test('methods other than post -> 400', async () => {
    for (const method of ['get', 'put', 'delete', 'patch']) {
      assertError(await proxy({ method, path: '/accounts/get' }), 400, /method/);
    }
  });
  await t.test('disallowed headers -> 400 naming the header', async () => {
    assertError(await proxy({ method: 'post', path: '/accounts/get', headers: { Authorization: 'Bearer x' } }), 400, /Authorization/);
    assertError(await proxy({ method: 'post', path: '/accounts/get', headers: { 'PLAID-SECRET': 'x' } }), 400, /PLAID-SECRET/);
    assertError(await proxy({ method: 'post', path: '/accounts/get', headers: { 'Plaid-Version': '2018-05-22' } }), 400, /Plaid-Version/);
    assertError(await proxy({ method: 'post', path: '/accounts/get', headers: { Host: 'evil.example' } }), 400, /Host/);
  });
  await t.test('credentials in the body -> 400', async () => {
    for (const field of ['access_token', 'client_id', 'secret']) {
      assertError(await proxy({ method: 'post', path: '/accounts/get', body: { [field]: 'x' } }), 400, new RegExp(field));
    }
  });
  await t.test('account header, project and products gate', async () => {
    assertError(await proxy({ method: 'post', path: '/accounts/get' }, null), 400, /x-account-id/);
    assertError(await proxy({ method: 'post', path: '/accounts/get' }, 'acc_unknown'), 404);
    assertError(await proxy({ method: 'post', path: '/accounts/get' }, otherAcc.id), 404);
    const gated = assertError(await proxy({ method: 'post', path: '/identity/get' }, txOnly.id), 409);
    assert.match(gated.message, /'identity'/);
    const id = await proxy({ method: 'post', path: '/identity/get' }, full.id);
    assert.equal(id.status, 200);
    assert.ok(id.body.accounts[0].owners.length >= 1);
    assertError(await call(hub, 'POST', '/unified/proxy', { headers: { 'x-account-id': full.id },
                                                            body: { method: 'post', path: '/accounts/get' } }), 401);
  });
  await t.test('Plaid errors carry provider_errors; reads are retried', async () => {
    const base = await emuCount('/accounts/get');
    await fault({ endpoint: '/accounts/get', item_id: full.plaid.item_id, http_status: 500, count: 1 });
    const res = await proxy({ method: 'post', path: '/accounts/get' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await expectEmuCalls('/accounts/get', base, 2);
    const bad = assertError(await proxy({ method: 'post', path: '/accounts/get', body: { options: { account_ids: 'x' } } }), 400);
    assert.ok(Array.isArray(bad.provider_errors));
    assert.equal(bad.provider_errors[0].error_type, 'INVALID_REQUEST');
  });
});
